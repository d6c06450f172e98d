//! What the pane draws outside its dialogs: the search line, the mailboxes
//! found, and the open mailbox's facts and members.
//!
//! Drawing only reads the pane's state, apart from remembering where each
//! part landed so clicks and page sizes can find it.

use chrono_tz::Europe::London;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::{Focus, MailboxPane};
use crate::console::app::in_words;
use crate::console::keymap::Act;
use crate::console::pane::View;
use crate::console::text::clean;
use crate::console::theme::Theme;
use crate::domain::account::{Account, AccountStatus};
use crate::domain::mailbox::{NOT_ACCESSED_FLAG_DAYS, Sponsorship};
use crate::service::MailboxView;

impl MailboxPane {
    pub(super) fn draw_search(&self, frame: &mut Frame<'_>, area: Rect, view: &View<'_>) {
        let theme = view.theme;
        let typing = self.focus == Focus::Search && self.dialog.is_none();
        let [key, field] = Layout::horizontal([Constraint::Length(2), Constraint::Min(1)]).areas(area);
        frame.render_widget(Paragraph::new(view.keymap.key_label(Act::Filter)).style(theme.key()), key);
        if self.search.value().is_empty() && !typing {
            frame.render_widget(Paragraph::new("find: address, name or ODS code").style(theme.dim()), field);
        } else {
            self.search.draw(frame, field, Style::new(), typing && view.focused);
        }
    }

    pub(super) fn draw_results(&mut self, frame: &mut Frame<'_>, area: Rect, theme: Theme) {
        self.results_area = area;
        if self.results.is_empty() {
            let text = if self.search.value().trim().is_empty() {
                "Type an address (team.name@nhs.net), the start of a name or an ODS code.".to_owned()
            } else {
                format!("No shared mailbox matches \"{}\".", clean(self.search.value().trim()))
            };
            frame.render_widget(Paragraph::new(text).style(theme.dim()).wrap(Wrap { trim: true }), area);
            return;
        }
        let focused = self.focus == Focus::Results;
        let rows = self.result.window(self.results.len(), usize::from(area.height));
        let width = usize::from(area.width);
        let lines: Vec<Line<'static>> = rows
            .map(|i| {
                let m = &self.results[i];
                let text = match self.result_orgs.get(i).cloned().flatten() {
                    Some(org) => format!("{}  {}  {} {}", clean(&m.display_name), m.address, m.ods, clean(&org)),
                    None => format!("{}  {}  {}", clean(&m.display_name), m.address, m.ods),
                };
                row(text, width, focused && i == self.result.selected, theme)
            })
            .collect();
        frame.render_widget(Paragraph::new(lines), area);
    }

    pub(super) fn draw_details(&mut self, frame: &mut Frame<'_>, area: Rect, theme: Theme) {
        let Some(view) = &self.shown else { return };
        let mut header = detail_lines(view, self.reveal, theme);
        if let Some(here) = in_words(self.here.get(view.mailbox.address.as_str())) {
            // Under the name and address, where it is seen before anything is changed.
            header.insert(2, labelled("Here too", Span::styled(here, theme.amber())));
        }
        let height = (header.len() as u16).min(area.height);
        let [top, members] = Layout::vertical([Constraint::Length(height), Constraint::Min(0)]).areas(area);
        frame.render_widget(Paragraph::new(header), top);
        self.members_area = members;
        let focused = self.focus == Focus::Members;
        let rows = self.member.window(view.members.len(), usize::from(members.height));
        let width = usize::from(members.width);
        let name_width = (width / 3).clamp(8, 20);
        let lines: Vec<Line<'static>> = rows
            .map(|i| {
                let a = &view.members[i];
                let text = member_text(a, Self::is_owner(view, a), name_width);
                row(text, width, focused && i == self.member.selected, theme)
            })
            .collect();
        frame.render_widget(Paragraph::new(lines), members);
    }
}

/// A list row with a marker on the selected one, so the selection shows
/// without colour too.
pub(super) fn row(text: String, width: usize, selected: bool, theme: Theme) -> Line<'static> {
    if selected {
        Line::styled(format!("› {text:<w$}", w = width.saturating_sub(2)), theme.selected())
    } else {
        Line::raw(format!("  {text}"))
    }
}

pub(super) fn member_text(account: &Account, owner: bool, name_width: usize) -> String {
    let name: String = clean(&account.display_name()).chars().take(name_width - 1).collect();
    let mut text = format!("{name:<name_width$}{}", account.address);
    if owner {
        text.push_str("  owner");
    }
    // Pending activation is the usual state of a new account; only the
    // states that matter to a mailbox are called out.
    if matches!(account.status, AccountStatus::Inactive | AccountStatus::Leaver | AccountStatus::Deleted) {
        text.push_str(&format!("  {}", account.status.label()));
    }
    text
}

fn labelled(label: &str, value: impl Into<Span<'static>>) -> Line<'static> {
    Line::from(vec![Span::raw(format!("{label:<10}")), value.into()])
}

/// The mailbox's facts above its member list.
fn detail_lines(view: &MailboxView, reveal: bool, theme: Theme) -> Vec<Line<'static>> {
    let m = &view.mailbox;
    let mut lines = vec![
        Line::styled(clean(&m.display_name).into_owned(), theme.title()),
        Line::raw(m.address.to_string()),
        labelled("Org", m.ods.to_string()),
        labelled(
            "Last used",
            m.last_accessed_at
                .map_or_else(|| "never".to_owned(), |at| at.with_timezone(&London).format("%-d %b %Y").to_string()),
        ),
    ];
    lines.extend(owner_lines(view.owner.as_ref(), reveal, theme));
    lines.extend(flag_lines(view, theme));
    let members = match m.member_count as usize {
        n if n > view.members.len() => format!("{n} (first {} listed)", view.members.len()),
        n => n.to_string(),
    };
    lines.push(Line::from(vec![Span::styled(format!("{:<10}", "Members"), theme.title()), Span::raw(members)]));
    lines
}

fn owner_lines(owner: Option<&Account>, reveal: bool, theme: Theme) -> Vec<Line<'static>> {
    let Some(owner) = owner else {
        return vec![labelled("Owner", Span::styled("none: name a new owner", theme.red()))];
    };
    let mobile = match owner.mobile() {
        Some(mobile) if reveal => mobile.to_string(),
        Some(mobile) => mobile.masked(),
        None => "no mobile".to_owned(),
    };
    let hidden = if owner.mobile_hidden { " (hidden in directory)" } else { "" };
    vec![
        labelled("Owner", clean(&owner.display_name()).into_owned()),
        labelled("", owner.address.to_string()),
        labelled("", format!("{mobile}{hidden}")),
    ]
}

fn flag_lines(view: &MailboxView, theme: Theme) -> Vec<Line<'static>> {
    let mut flags = Vec::new();
    if let Sponsorship::SponsoredBy { sponsor } = &view.mailbox.sponsorship {
        flags.push(format!("sponsored legacy ({sponsor})"));
    }
    if view.not_accessed_recently {
        flags.push(format!("not used for {NOT_ACCESSED_FLAG_DAYS}+ days"));
    }
    if flags.is_empty() {
        return vec![labelled("Flags", Span::styled("none", theme.dim()))];
    }
    flags
        .into_iter()
        .enumerate()
        .map(|(i, flag)| labelled(if i == 0 { "Flags" } else { "" }, Span::styled(flag, theme.amber())))
        .collect()
}
