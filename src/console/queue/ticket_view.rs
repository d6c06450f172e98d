//! The ticket view: everything about one ticket and its timeline.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::rows::{Against, local, sla_style};
use crate::console::pane::View;
use crate::console::text::{clean, clean_lines};
use crate::domain::sla::SlaState;
use crate::domain::ticket::EntryKind;
use crate::service::{SlaEdges, TicketDetail, TicketRow};

/// Draws a ticket: its fields, the request as written, and the timeline,
/// scrolled down `scroll` lines.
pub(super) fn draw(
    frame: &mut Frame<'_>,
    area: Rect,
    view: &View<'_>,
    d: &TicketDetail,
    scroll: u16,
    sla: Option<&SlaEdges>,
    here: Option<&str>,
) {
    let theme = view.theme;
    let t = &d.ticket;
    let state = Against { now: view.now, sla, here: None }.state(&TicketRow::from(t));
    let flag = match state {
        SlaState::Breached => "  BREACHED",
        SlaState::DueSoon => "  DUE SOON",
        SlaState::OnTime => "",
    };
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
            Span::styled(format!("{}{flag}", local(t.routing.due_at, "%a %-d %b %H:%M")), sla_style(state, theme)),
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
    if let Some(here) = here {
        lines.push(Line::from(vec![label("here too"), Span::styled(here.to_owned(), theme.amber())]));
    }
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
        let mut text = clean_lines(&entry.text).into_iter().map(|l| london_instants(&l));
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

/// Timeline text as stored names instants in UTC (RFC 3339, as the record
/// keeps them); an operator reads London time. Each word that is such an
/// instant, with any trailing punctuation kept, is shown as London time.
fn london_instants(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    for (i, word) in line.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let bare = word.trim_end_matches([',', ';', '.', ')']);
        match chrono::DateTime::parse_from_rfc3339(bare) {
            Ok(at) => {
                out.push_str(&local(at.with_timezone(&chrono::Utc), "%a %-d %b %H:%M"));
                out.push_str(&word[bare.len()..]);
            }
            Err(_) => out.push_str(word),
        }
    }
    out
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

#[cfg(test)]
mod tests {
    use super::london_instants;

    #[test]
    fn utc_instants_in_timeline_text_read_as_london_time() {
        for (stored, shown) in [
            // Winter: London is UTC.
            ("due 2026-12-08T17:00:00Z", "due Tue 8 Dec 17:00"),
            // Summer: London is an hour ahead, and punctuation stays.
            ("at 2026-07-01T08:30:00Z; routed", "at Wed 1 Jul 09:30; routed"),
            ("work from 2026-07-01T08:30:00+00:00, due", "work from Wed 1 Jul 09:30, due"),
            // Not instants: left alone.
            ("due 2026-12-08 at five", "due 2026-12-08 at five"),
            ("", ""),
        ] {
            assert_eq!(london_instants(stored), shown, "{stored:?}");
        }
    }
}
