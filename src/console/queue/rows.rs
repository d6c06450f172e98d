//! The queue list's columns and how a row's values are written: short
//! due times in London time, ages, and which columns fit a given width.

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Europe::London;
use ratatui::style::Style;
use ratatui::text::Span;
use ratatui::widgets::Cell;

use crate::console::text::clean;
use crate::console::theme::Theme;
use crate::domain::ticket::TicketStatus;
use crate::service::TicketRow;

/// A due time this close is drawn amber.
pub(super) const DUE_SOON: TimeDelta = TimeDelta::hours(2);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Col {
    Reference,
    Age,
    Due,
    Category,
    Organisation,
    Requester,
    Status,
    Assignee,
}

pub(super) struct Column {
    pub(super) id: Col,
    pub(super) title: &'static str,
    pub(super) width: u16,
}

/// The columns that fit in `width`, most useful first, drawn in their
/// natural order.
pub(super) fn columns(width: u16) -> Vec<Column> {
    let all = [
        (Col::Reference, " ref", 10, 0),
        (Col::Age, "age", 4, 6),
        (Col::Due, "due", 9, 1),
        (Col::Category, "category", 14, 3),
        (Col::Organisation, "org", 5, 7),
        (Col::Requester, "requester", 14, 5),
        (Col::Status, "status", 11, 2),
        (Col::Assignee, "assignee", 8, 4),
    ];
    let mut by_priority = all;
    by_priority.sort_by_key(|c| c.3);
    let mut used = 0u16;
    let mut chosen = Vec::new();
    for (id, _, w, _) in by_priority {
        if used + w < width {
            used += w + 1;
            chosen.push(id);
        }
    }
    all.into_iter().filter(|c| chosen.contains(&c.0)).map(|(id, title, width, _)| Column { id, title, width }).collect()
}

/// A row's value for a column. The selected row's reference is marked, so
/// the selection shows without colour or reverse video too.
pub(super) fn cell(col: Col, row: &TicketRow, selected: bool, now: DateTime<Utc>, theme: Theme) -> Cell<'static> {
    match col {
        Col::Reference => Cell::from(format!("{}{}", if selected { '›' } else { ' ' }, row.reference)),
        Col::Age => Cell::from(age(now - row.received_at)),
        Col::Due => Cell::from(Span::styled(due(row.due_at, now), due_style(row.due_at, now, theme))),
        Col::Category => Cell::from(row.category.slug()),
        Col::Organisation => Cell::from(row.ods.as_ref().map(|o| o.to_string()).unwrap_or_default()),
        Col::Requester => Cell::from(clean(&row.requester).into_owned()),
        Col::Status => Cell::from(short_status(row.status)),
        Col::Assignee => Cell::from(clean(row.assignee.as_deref().unwrap_or("-")).into_owned()),
    }
}

/// A status in the column's eleven characters; the ticket view spells it out.
fn short_status(status: TicketStatus) -> &'static str {
    match status {
        TicketStatus::New => "new",
        TicketStatus::InProgress => "in progress",
        TicketStatus::WaitingOnRequester => "waiting req",
        TicketStatus::WaitingOnOwner => "waiting own",
        TicketStatus::Resolved => "resolved",
        TicketStatus::Closed => "closed",
    }
}

pub(super) fn age(elapsed: TimeDelta) -> String {
    let minutes = elapsed.num_minutes().max(0);
    match minutes {
        0..60 => format!("{minutes}m"),
        60..1440 => format!("{}h", minutes / 60),
        _ => format!("{}d", minutes / 1440),
    }
}

/// A due time as short as it can be and still be read: the time today,
/// the weekday and time in the coming week, the date otherwise. Overdue
/// times start with `!`, so they stand out without colour too.
pub(super) fn due(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let (at_l, now_l) = (at.with_timezone(&London), now.with_timezone(&London));
    let text = if at_l.date_naive() == now_l.date_naive() {
        at_l.format("%H:%M").to_string()
    } else if at > now && (at - now).num_days() < 6 {
        at_l.format("%a %H:%M").to_string()
    } else {
        at_l.format("%-d %b").to_string()
    };
    if at < now { format!("!{text}") } else { text }
}

pub(super) fn due_style(at: DateTime<Utc>, now: DateTime<Utc>, theme: Theme) -> Style {
    if at < now {
        theme.red()
    } else if at - now <= DUE_SOON {
        theme.amber()
    } else {
        Style::new()
    }
}

pub(super) fn local(at: DateTime<Utc>, format: &str) -> String {
    at.with_timezone(&London).format(format).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time::rfc3339;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    #[test]
    fn due_times_are_short_and_in_london_time() {
        let now = at("2026-07-06T09:00:00Z"); // Monday, BST
        assert_eq!(due(at("2026-07-06T15:00:00Z"), now), "16:00");
        assert_eq!(due(at("2026-07-08T15:00:00Z"), now), "Wed 16:00");
        assert_eq!(due(at("2026-07-20T15:00:00Z"), now), "20 Jul");
        assert_eq!(due(at("2026-07-06T08:00:00Z"), now), "!09:00");
        assert_eq!(due(at("2026-07-03T15:00:00Z"), now), "!3 Jul");
        assert_eq!(rfc3339(now), "2026-07-06T09:00:00Z");
    }

    #[test]
    fn ages_round_down_to_the_largest_unit() {
        assert_eq!(age(TimeDelta::minutes(59)), "59m");
        assert_eq!(age(TimeDelta::minutes(61)), "1h");
        assert_eq!(age(TimeDelta::hours(49)), "2d");
        assert_eq!(age(TimeDelta::minutes(-5)), "0m");
    }

    #[test]
    fn narrow_lists_keep_the_most_useful_columns() {
        let names = |w| columns(w).into_iter().map(|c| c.title.trim()).collect::<Vec<_>>();
        assert_eq!(names(40), ["ref", "age", "due", "status"]);
        assert_eq!(names(60), ["ref", "due", "category", "status", "assignee"]);
        assert_eq!(names(78), ["ref", "age", "due", "category", "requester", "status", "assignee"]);
        assert_eq!(names(200).len(), 8);
    }
}
