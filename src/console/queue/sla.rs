//! SLA notices: the operator hears on the status line when one of their
//! tickets (every open ticket, for a supervisor) becomes due soon or goes
//! past its due time.
//!
//! A crossing is found by time alone, against the edges of the check
//! before: a ticket now due soon whose due time lay beyond that check's
//! edge, or now past due whose due time was still ahead then. So nothing
//! per ticket is kept, and the first check after the console opens says
//! nothing (the list shows the flags).

use crate::console::desk::DeskExt;
use crate::console::pane::Cx;
use crate::domain::permission::Role;
use crate::domain::sla::SlaState;
use crate::service::ops::{ListTicketSlots, ReadTicketRows};
use crate::service::{QueueView, SlaEdges, TicketFilter};

/// The most tickets one check reads rows for: the most urgent ones.
pub(super) const MAX_CHECKED: usize = 500;
/// The most tickets one notice names; the rest are counted.
const NAMED: usize = 3;
/// Checks closer together than this are skipped: a list is read again
/// after every change the operator makes, and crossings need no more.
pub(super) const CHECK_EVERY: chrono::TimeDelta = chrono::TimeDelta::seconds(10);

#[derive(Debug, Default)]
pub(super) struct Watch {
    /// The edges of the last check.
    before: Option<SlaEdges>,
}

impl Watch {
    pub(super) fn check(&mut self, edges: &SlaEdges, cx: &mut Cx<'_>) {
        if self.before.as_ref().is_some_and(|b| edges.now - b.now < CHECK_EVERY) {
            return;
        }
        let Some(before) = self.before.replace(edges.clone()) else { return };
        let view = if cx.shift.role == Role::Supervisor { QueueView::All } else { QueueView::Mine };
        let latest = edges.edges.iter().map(|(_, at)| *at).max().unwrap_or(edges.now);
        let Ok(slots) = cx.desk.call(ListTicketSlots { view, filter: TicketFilter::default() }) else { return };
        // Slots come in due order: what could have crossed is at the front.
        let near: Vec<_> = slots
            .iter()
            .skip_while(|s| s.due_at < before.now)
            .take_while(|s| s.due_at <= latest)
            .take(MAX_CHECKED)
            .map(|s| s.reference)
            .collect();
        if near.is_empty() {
            return;
        }
        let Ok(rows) = cx.desk.call(ReadTicketRows { refs: near }) else { return };
        let mut crossed: Vec<String> = Vec::new();
        for row in rows.iter().filter(|r| r.status.is_open()) {
            let was = before.state(row.queue, row.due_at);
            let now = edges.state(row.queue, row.due_at);
            if now < was {
                let due = super::rows::local(row.due_at, "%H:%M");
                crossed.push(match now {
                    SlaState::Breached => format!("{} is past its due time ({due})", row.reference),
                    _ => format!("{} is due soon ({due})", row.reference),
                });
            }
        }
        if crossed.is_empty() {
            return;
        }
        let more = crossed.len().saturating_sub(NAMED);
        crossed.truncate(NAMED);
        let mut text = crossed.join("; ");
        if more > 0 {
            text.push_str(&format!("; and {more} more"));
        }
        cx.warn(text);
    }
}
