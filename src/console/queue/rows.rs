//! The queue list's columns and how a row's values are written: short
//! due times in London time, ages, and how wide each column is drawn.
//!
//! Widths come from the space there is and the rows on screen: each
//! column is as wide as its widest value (within a cap), the columns that
//! do not fit are left off least useful first, and the subject takes what
//! is left, so a wide screen shows whole names and a long subject, and a
//! narrow one still shows the subject.

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Europe::London;
use ratatui::style::Style;
use ratatui::text::Span;
use ratatui::widgets::Cell;

use crate::console::text::clean;
use crate::console::theme::Theme;
use crate::domain::sla::SlaState;
use crate::domain::ticket::TicketStatus;
use crate::service::{SlaEdges, TicketRow};

/// What a row is drawn against: the time, and where each queue's due-soon
/// edge stands (policy, read with the list; unknown until then).
#[derive(Clone, Copy)]
pub(super) struct Against<'a> {
    pub(super) now: DateTime<Utc>,
    pub(super) sla: Option<&'a SlaEdges>,
    /// Who else has a ticket open ("nas2 viewing"), put before its subject.
    pub(super) here: Option<&'a OthersOn<'a>>,
}

/// Who else has a row's ticket open, in words; `None` for nobody.
pub(super) type OthersOn<'a> = dyn Fn(&TicketRow) -> Option<String> + 'a;

impl Against<'_> {
    /// Where an open ticket stands against its due time; a done one is on time.
    pub(super) fn state(&self, row: &TicketRow) -> SlaState {
        if !row.status.is_open() {
            return SlaState::OnTime;
        }
        match self.sla {
            Some(edges) => edges.state(row.queue, row.due_at),
            None if row.due_at < self.now => SlaState::Breached,
            None => SlaState::OnTime,
        }
    }
}

/// The subject is never narrower than this, at any width.
pub(super) const SUBJECT_MIN: u16 = 12;

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
    Subject,
}

/// What a column is called, its narrowest and widest drawn width, and how
/// soon it is left off when space is short (0 never).
struct Spec {
    id: Col,
    title: &'static str,
    min: u16,
    cap: u16,
    drop_order: u8,
}

/// The columns in the order they are drawn.
const SPECS: [Spec; 9] = [
    Spec { id: Col::Reference, title: " ref", min: 10, cap: 10, drop_order: 0 },
    Spec { id: Col::Age, title: "age", min: 3, cap: 4, drop_order: 7 },
    Spec { id: Col::Due, title: "due", min: 5, cap: 14, drop_order: 1 },
    Spec { id: Col::Category, title: "category", min: 8, cap: 16, drop_order: 4 },
    Spec { id: Col::Organisation, title: "org", min: 3, cap: 8, drop_order: 8 },
    Spec { id: Col::Requester, title: "requester", min: 9, cap: 24, drop_order: 6 },
    Spec { id: Col::Status, title: "status", min: 6, cap: 11, drop_order: 3 },
    Spec { id: Col::Assignee, title: "assignee", min: 8, cap: 20, drop_order: 5 },
    Spec { id: Col::Subject, title: "subject", min: SUBJECT_MIN, cap: u16::MAX, drop_order: 0 },
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Column {
    pub(super) id: Col,
    pub(super) title: &'static str,
    pub(super) width: u16,
}

/// The columns for a list `width` wide showing `rows`, each as wide as
/// its widest value there; one column space between each.
pub(super) fn columns(width: u16, rows: &[&TicketRow], at: Against<'_>) -> Vec<Column> {
    let natural = |spec: &Spec| -> u16 {
        let widest = rows.iter().map(|r| text_width(&text(spec.id, r, false, at))).max().unwrap_or(0);
        widest.max(text_width(spec.title)).clamp(spec.min, spec.cap)
    };
    let mut wanted: Vec<(usize, u16)> = SPECS.iter().enumerate().map(|(i, s)| (i, natural(s))).collect();
    wanted.sort_by_key(|&(i, _)| SPECS[i].drop_order);
    // The reference and the subject always stay; the rest by usefulness,
    // each whole or not at all.
    let mut used = SPECS[0].min + SUBJECT_MIN + 1;
    let mut chosen: Vec<(usize, u16)> = Vec::new();
    for (i, w) in wanted {
        match SPECS[i].id {
            Col::Reference => chosen.push((i, SPECS[i].min)),
            Col::Subject => {}
            _ if used + w < width => {
                used += w + 1;
                chosen.push((i, w));
            }
            _ => {}
        }
    }
    let subject = width.saturating_sub(used).saturating_add(SUBJECT_MIN);
    chosen.push((SPECS.len() - 1, subject));
    chosen.sort_by_key(|&(i, _)| i);
    chosen.into_iter().map(|(i, width)| Column { id: SPECS[i].id, title: SPECS[i].title, width }).collect()
}

fn text_width(text: &str) -> u16 {
    u16::try_from(Span::raw(text).width()).unwrap_or(u16::MAX)
}

/// A row's value for a column as plain text. The selected row's reference
/// is marked, so the selection shows without colour or reverse video too.
pub(super) fn text(col: Col, row: &TicketRow, selected: bool, at: Against<'_>) -> String {
    let now = at.now;
    match col {
        Col::Reference => format!("{}{}", if selected { '›' } else { ' ' }, row.reference),
        Col::Age => age(now - row.received_at),
        Col::Due => flagged_due(row.due_at, now, at.state(row)),
        Col::Category => row.category.slug().to_owned(),
        Col::Organisation => row.ods.as_ref().map(|o| o.to_string()).unwrap_or_default(),
        Col::Requester => clean(&row.requester).into_owned(),
        Col::Status => short_status(row.status).to_owned(),
        Col::Assignee => clean(row.assignee.as_deref().unwrap_or("-")).into_owned(),
        Col::Subject => match at.here.and_then(|here| here(row)) {
            Some(here) => format!("[{here}] {}", clean(&row.subject)),
            None => clean(&row.subject).into_owned(),
        },
    }
}

/// A row's value for a column, styled.
pub(super) fn cell(col: Col, row: &TicketRow, selected: bool, at: Against<'_>, theme: Theme) -> Cell<'static> {
    let value = text(col, row, selected, at);
    match col {
        Col::Due => Cell::from(Span::styled(value, sla_style(at.state(row), theme))),
        _ => Cell::from(value),
    }
}

/// A due time with its SLA flag in words or marks that read without
/// colour: `!` before a breached time, `soon` before one inside the
/// policy's threshold.
pub(super) fn flagged_due(at: DateTime<Utc>, now: DateTime<Utc>, state: SlaState) -> String {
    let text = due(at, now);
    match state {
        SlaState::DueSoon => format!("soon {text}"),
        SlaState::Breached if !text.starts_with('!') => format!("!{text}"),
        _ => text,
    }
}

pub(super) fn sla_style(state: SlaState, theme: Theme) -> Style {
    match state {
        SlaState::Breached => theme.red(),
        SlaState::DueSoon => theme.amber(),
        SlaState::OnTime => Style::new(),
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

    fn row(assignee: &str, requester: &str, subject: &str) -> TicketRow {
        let now = at("2026-07-06T09:00:00Z");
        TicketRow {
            reference: crate::domain::ticket::TicketRef(1),
            received_at: now - TimeDelta::hours(3),
            due_at: now + TimeDelta::hours(30),
            queue: crate::domain::routing::Queue::Resolver,
            category: crate::domain::routing::Category::PasswordReset,
            ods: None,
            requester: requester.into(),
            subject: subject.into(),
            status: TicketStatus::InProgress,
            assignee: Some(assignee.into()),
            rev: 1,
        }
    }

    #[test]
    fn every_width_keeps_a_subject_and_the_columns_fill_the_width() {
        let now = at("2026-07-06T09:00:00Z");
        let (a, b) = (row("resolver1", "Jo Bloggs", "Locked out"), row("resolver2", "Sam Smith", "Leaver form"));
        let rows = [&a, &b];
        for width in [30, 40, 60, 78, 120, 198] {
            let cols = columns(width, &rows, Against { now, sla: None, here: None });
            assert!(cols.iter().any(|c| c.id == Col::Subject), "{width}: {cols:?}");
            let drawn: u16 = cols.iter().map(|c| c.width).sum::<u16>() + cols.len() as u16 - 1;
            assert_eq!(drawn, width, "{width}: {cols:?}");
        }
        let names = |w| {
            columns(w, &rows, Against { now, sla: None, here: None })
                .into_iter()
                .map(|c| c.title.trim())
                .collect::<Vec<_>>()
        };
        assert_eq!(names(40), ["ref", "age", "due", "subject"]);
        assert_eq!(names(78), ["ref", "age", "due", "category", "org", "status", "assignee", "subject"]);
        assert_eq!(names(198).len(), 9);
    }

    #[test]
    fn wide_lists_draw_whole_assignee_names_so_resolver1_and_resolver2_differ() {
        let now = at("2026-07-06T09:00:00Z");
        let (a, b) = (row("resolver1", "Jo Bloggs", "x"), row("a-much-longer-operator-name", "Sam", "y"));
        let cols = columns(198, &[&a, &b], Against { now, sla: None, here: None });
        let assignee = cols.iter().find(|c| c.id == Col::Assignee).unwrap();
        assert_eq!(assignee.width, 20, "capped at the column's widest");
        let cols = columns(198, &[&a], Against { now, sla: None, here: None });
        let assignee = cols.iter().find(|c| c.id == Col::Assignee).unwrap();
        assert_eq!(assignee.width, 9, "as wide as resolver1, no wider");
        let subject = cols.iter().find(|c| c.id == Col::Subject).unwrap();
        assert!(subject.width > 80, "the subject takes the rest: {cols:?}");
    }
}
