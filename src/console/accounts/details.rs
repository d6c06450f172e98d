//! What the details say: the selected account in words, where it stands
//! in its lifecycle, and the dates and times those words are made of.
//!
//! Only words and lines are made here; nothing is read from the desk, so
//! the pane's last view of the account is all that is shown.

use chrono::{DateTime, Utc};
use chrono_tz::Europe::London;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::{AccountPane, Focus};
use crate::console::app::in_words;
use crate::console::pane::View;
use crate::console::text::clean;
use crate::console::theme::Theme;
use crate::domain::account::{Account, AccountStatus};
use crate::domain::lifecycle::{DueReason, LifecycleDue, Transition};
use crate::service::AccountView;

/// The width of the labels in the details.
const LABEL: usize = 11;

impl AccountPane {
    pub(super) fn draw_details(&self, frame: &mut Frame<'_>, area: Rect, view: &View<'_>) {
        let Some(account) = &self.view else { return };
        let mailboxes = self.mailboxes();
        let selected = (self.focus == Focus::Mailboxes).then_some(self.mailbox);
        let how = DetailStyle { theme: view.theme, now: view.now, reveal: self.reveal, width: usize::from(area.width) };
        let here = in_words(self.here.get(account.account.address.as_str()));
        let mut lines = details(account, &mailboxes, selected, &how);
        if let Some(here) = here {
            // Under the name and address, where it is seen before anything is changed.
            let mut sheet = Sheet { lines: Vec::new(), width: how.width };
            sheet.row("Here too", here, view.theme.amber());
            let at = lines.len().min(2);
            lines.splice(at..at, sheet.lines);
        }
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
    }
}

/// What the details of an account are drawn with.
struct DetailStyle {
    theme: Theme,
    now: DateTime<Utc>,
    reveal: bool,
    /// The inner width, for wrapping each value under its own column.
    width: usize,
}

/// The selected account in words: who, where it stands, how to reach them.
/// `selected` is the highlighted entry of `mailboxes`.
fn details(
    view: &AccountView,
    mailboxes: &[(String, bool)],
    selected: Option<usize>,
    how: &DetailStyle,
) -> Vec<Line<'static>> {
    let (account, theme, now) = (&view.account, how.theme, how.now);
    let mut sheet = Sheet { lines: Vec::new(), width: how.width };
    sheet.lines.push(Line::styled(clean(&account.display_name()).into_owned(), theme.title()));
    sheet.lines.push(Line::from(account.address.to_string()));
    let status = match &view.next {
        Some(next) => format!("{}: {}", account.status.label(), next_in_words(next, now)),
        None => account.status.label().to_owned(),
    };
    let calm = matches!(account.status, AccountStatus::Active | AccountStatus::PendingActivation);
    sheet.row("Status", status, if calm { Style::new() } else { theme.amber() });
    if let Some(at) = account.locked_at {
        sheet.row("Locked", format!("since {}", when(at, now)), theme.red());
    }
    match &view.organisation {
        Some(org) => {
            sheet.row("Org", format!("{} ({})", clean(&org.name), org.ods), Style::new());
            sheet.row("", format!("administered by {}", org.administered_by.describe()), Style::new());
            if let Err(refusal) = org.may_hold_accounts() {
                // The refusal names the organisation, which is outside text.
                sheet.row("", clean(&refusal.to_string()).into_owned(), theme.amber());
            }
            if org.administered_by != account.administered_by {
                sheet.row("", format!("this account: {}", account.administered_by.describe()), theme.amber());
            }
        }
        None => sheet.row("Org", format!("{} (not on record)", account.ods), theme.amber()),
    }
    if let Some(mobile) = account.mobile() {
        let shown = if how.reveal { mobile.to_string() } else { mobile.masked() };
        let directory =
            if account.mobile_hidden { "hidden from the NHS Directory" } else { "shown in the NHS Directory" };
        sheet.row("Mobile", format!("{shown} · {directory}"), Style::new());
    }
    let login = account.last_login_at.map_or_else(|| "never".to_owned(), |at| when(at, now));
    sheet.row("Last login", login, Style::new());
    sheet.row("Password", password_words(account, now), Style::new());
    if mailboxes.is_empty() {
        sheet.row("Mailboxes", "none".to_owned(), theme.dim());
    }
    for (i, (address, owner)) in mailboxes.iter().enumerate() {
        let style = if selected == Some(i) { theme.selected() } else { Style::new() };
        let role = if *owner { "owner" } else { "member" };
        sheet.row(if i == 0 { "Mailboxes" } else { "" }, format!("{address} ({role})"), style);
    }
    if !view.tickets.is_empty() {
        let refs: Vec<String> = view.tickets.iter().map(ToString::to_string).collect();
        sheet.row("Tickets", refs.join(", "), Style::new());
    }
    sheet.lines
}

/// Labelled lines whose values wrap under their own column, so the labels
/// stay readable in a narrow pane.
struct Sheet {
    lines: Vec<Line<'static>>,
    width: usize,
}

impl Sheet {
    fn row(&mut self, label: &str, value: String, style: Style) {
        let width = self.width.saturating_sub(LABEL).max(10);
        for (i, part) in wrap_words(&value, width).into_iter().enumerate() {
            let label = if i == 0 { label } else { "" };
            self.lines.push(Line::from(vec![Span::raw(format!("{label:<LABEL$}")), Span::styled(part, style)]));
        }
    }
}

/// Splits `text` at spaces into lines of at most `width` characters; a
/// word longer than that (a long mailbox address) is cut into pieces that
/// fit, so every piece stays in the value column.
pub(super) fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = vec![String::new()];
    for word in text.split(' ') {
        let chars: Vec<char> = word.chars().collect();
        for piece in chars.chunks(width) {
            let piece: String = piece.iter().collect();
            let line = lines.last_mut().expect("there is always a line");
            let used = line.chars().count();
            if used > 0 && used + 1 + piece.chars().count() > width {
                lines.push(piece);
            } else {
                if used > 0 {
                    line.push(' ');
                }
                line.push_str(&piece);
            }
        }
    }
    lines
}

fn password_words(account: &Account, now: DateTime<Utc>) -> String {
    match (account.must_change_password, account.temp_password_issued_at, account.password_changed_at) {
        (true, Some(issued), _) => format!("temporary, issued {}; to be changed at next login", when(issued, now)),
        (_, _, Some(changed)) => format!("changed {}", when(changed, now)),
        _ => "never changed".to_owned(),
    }
}

/// The next lifecycle step in words, e.g. "inactive in 12 days (no login
/// for 90 days)" or "deleted on 3 Feb unless taken as a joiner".
fn next_in_words(due: &LifecycleDue, now: DateTime<Utc>) -> String {
    let on = day(due.at, now);
    let overdue = due.at <= now;
    match (due.transition, due.reason) {
        (Transition::BecomeInactive, reason) if overdue => {
            format!("inactive since {on} ({}), at the next lifecycle sweep", reason.describe())
        }
        (Transition::BecomeInactive, reason) => {
            let days = (local_date(due.at) - local_date(now)).num_days();
            let at = match days {
                0 => "later today".to_owned(),
                1 => "tomorrow".to_owned(),
                n => format!("in {n} days"),
            };
            format!("inactive {at} ({})", reason.describe())
        }
        (Transition::Delete, _) if overdue => format!("deleted since {on}, at the next lifecycle sweep"),
        (Transition::Delete, DueReason::LeaverNotTaken) => format!("deleted on {on} unless taken as a joiner"),
        (Transition::Delete, _) => format!("deleted on {on} unless the user logs in or has a password reset"),
    }
}

fn local_date(at: DateTime<Utc>) -> chrono::NaiveDate {
    at.with_timezone(&London).date_naive()
}

/// "3 Feb", with the year when it is not this year's.
pub(super) fn day(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let local = at.with_timezone(&London);
    if local.format("%Y").to_string() == now.with_timezone(&London).format("%Y").to_string() {
        local.format("%-d %b").to_string()
    } else {
        local.format("%-d %b %Y").to_string()
    }
}

/// "3 Feb 14:05" (with the year when it is not this year's), London time.
pub(super) fn when(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    format!("{} {}", day(at, now), at.with_timezone(&London).format("%H:%M"))
}

/// A short status for the results list.
pub(super) fn status_word(account: &Account) -> &'static str {
    match account.status {
        AccountStatus::Deleted => "deleted",
        _ if account.locked_at.is_some() => "locked",
        AccountStatus::PendingActivation => "pending",
        status => status.label(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    #[test]
    fn long_addresses_are_cut_to_stay_in_the_value_column() {
        assert_eq!(wrap_words("a long line of words", 9), ["a long", "line of", "words"]);
        assert_eq!(
            wrap_words("abbeyfield-care.team@nhs.net (owner)", 12),
            ["abbeyfield-c", "are.team@nhs", ".net (owner)"]
        );
    }

    #[test]
    fn the_next_lifecycle_step_reads_as_words() {
        let now = at("2026-11-23T10:30:00Z");
        let cases = [
            (
                Transition::BecomeInactive,
                DueReason::NoLogin,
                "2026-12-05T09:00:00Z",
                "inactive in 12 days (no login for 90 days)",
            ),
            (
                Transition::BecomeInactive,
                DueReason::NoPasswordChange,
                "2026-11-24T08:00:00Z",
                "inactive tomorrow (password not changed for 90 days)",
            ),
            (
                Transition::BecomeInactive,
                DueReason::NoLogin,
                "2026-11-23T18:00:00Z",
                "inactive later today (no login for 90 days)",
            ),
            (
                Transition::BecomeInactive,
                DueReason::NoLogin,
                "2026-11-20T18:00:00Z",
                "inactive since 20 Nov (no login for 90 days), at the next lifecycle sweep",
            ),
            (
                Transition::Delete,
                DueReason::LeaverNotTaken,
                "2027-02-03T10:00:00Z",
                "deleted on 3 Feb 2027 unless taken as a joiner",
            ),
            (
                Transition::Delete,
                DueReason::InactiveTooLong,
                "2026-12-01T10:00:00Z",
                "deleted on 1 Dec unless the user logs in or has a password reset",
            ),
            (
                Transition::Delete,
                DueReason::LeaverNotTaken,
                "2026-11-01T10:00:00Z",
                "deleted since 1 Nov, at the next lifecycle sweep",
            ),
        ];
        for (transition, reason, due, want) in cases {
            let due = LifecycleDue { transition, at: at(due), reason };
            assert_eq!(next_in_words(&due, now), want, "{due:?}");
        }
    }
}
