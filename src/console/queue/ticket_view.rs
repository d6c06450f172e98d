//! The ticket view: everything about one ticket and its timeline.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::rows::{due_style, local};
use crate::console::pane::View;
use crate::console::text::{clean, clean_lines};
use crate::domain::ticket::EntryKind;
use crate::service::TicketDetail;

/// Draws a ticket: its fields, the request as written, and the timeline,
/// scrolled down `scroll` lines.
pub(super) fn draw(frame: &mut Frame<'_>, area: Rect, view: &View<'_>, d: &TicketDetail, scroll: u16) {
    let theme = view.theme;
    let t = &d.ticket;
    let label = |text: &str| Span::styled(format!("{text:<13}"), theme.dim());
    let mut lines = vec![
        Line::from(vec![
            Span::styled(t.reference.to_string(), theme.title()),
            Span::raw("  "),
            Span::styled(clean(&t.subject).into_owned(), theme.title()),
        ]),
        Line::from(vec![
            label("status"),
            Span::raw(format!("{} · {} queue", t.status.slug(), t.routing.queue.label())),
        ]),
        Line::from(vec![
            label("due"),
            Span::styled(local(t.routing.due_at, "%a %-d %b %H:%M"), due_style(t.routing.due_at, view.now, theme)),
            Span::raw(format!("  (work from {})", local(t.routing.work_from, "%a %-d %b %H:%M"))),
        ]),
        Line::from(vec![
            label("received"),
            Span::raw(format!("{} by {}", local(t.received_at, "%a %-d %b %H:%M"), t.channel.slug())),
        ]),
        Line::from(vec![label("category"), Span::raw(t.category.label())]),
        Line::from(vec![label("requester"), Span::raw(requester(d))]),
        Line::from(vec![label("organisation"), Span::raw(organisation(d))]),
        Line::from(vec![label("assignee"), Span::raw(t.assignee.clone().unwrap_or_else(|| "nobody".to_owned()))]),
    ];
    if d.account.is_some() || d.mailbox.is_some() {
        let linked = [d.account.as_deref(), d.mailbox.as_deref()].into_iter().flatten().collect::<Vec<_>>();
        lines.push(Line::from(vec![label("linked"), Span::raw(clean(&linked.join(", ")).into_owned())]));
    }
    if let Some(name) = &t.mailbox_name {
        lines.push(Line::from(vec![label("mailbox"), Span::raw(format!("named \"{}\"", clean(name)))]));
    }
    lines.push(Line::default());
    lines.extend(clean_lines(&t.body).into_iter().map(Line::from));
    lines.push(Line::default());
    lines.push(Line::styled("Timeline", theme.title()));
    for entry in &t.timeline {
        let kind = match entry.kind {
            EntryKind::Note => "note",
            EntryKind::Reply => "reply",
            EntryKind::Event => "event",
            EntryKind::Requester => "requester",
        };
        let mut text = clean_lines(&entry.text).into_iter();
        lines.push(Line::from(vec![
            Span::styled(local(entry.at, "%-d %b %H:%M "), theme.dim()),
            Span::styled(format!("{} ", clean(&entry.by)), theme.key()),
            Span::styled(format!("[{kind}] "), theme.dim()),
            Span::raw(text.next().unwrap_or_default()),
        ]));
        lines.extend(text.map(|l| Line::from(format!("    {l}"))));
    }
    let scroll = scroll.min(lines.len().saturating_sub(1) as u16);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).scroll((scroll, 0)), area);
}

fn requester(d: &TicketDetail) -> String {
    let r = &d.ticket.requester;
    let mut parts = vec![clean(&r.name).into_owned()];
    if let Some(e) = &r.email {
        parts.push(clean(&e.to_string()).into_owned());
    }
    if let Some(p) = &r.phone {
        parts.push(clean(p).into_owned());
    }
    parts.join(" · ")
}

fn organisation(d: &TicketDetail) -> String {
    match (&d.ticket.ods, &d.organisation) {
        (Some(ods), Some(name)) => format!("{ods} {}", clean(name)),
        (Some(ods), None) => ods.to_string(),
        (None, _) => "not given".to_owned(),
    }
}
