//! Mark mode: the queue rows an operator has marked, and the bulk claim
//! and undo that act on them.
//!
//! The marks are only references; every action goes to the service as one
//! `BulkTickets` request, which authorises, applies and audits each ticket
//! on its own under one batch number. The console keeps that number so
//! the undo key can take the batch back, but only until the operator does
//! something else: undo is for "that was the wrong set", not for later.

use std::collections::BTreeSet;

use super::desk::DeskExt;
use super::pane::Cx;
use crate::domain::ticket::TicketRef;
use crate::service::ops::{BulkTickets, Undo};
use crate::service::{BulkAction, BulkReport, BulkTargets};

/// How many refusals the message line names before it counts the rest.
pub const REFUSALS_SHOWN: usize = 5;

#[derive(Debug, Default)]
pub struct Marks {
    marked: BTreeSet<TicketRef>,
    /// The batch the undo key takes back: the last bulk action, while
    /// nothing else has been done since.
    undoable: Option<u64>,
}

impl Marks {
    pub fn len(&self) -> usize {
        self.marked.len()
    }

    pub fn is_empty(&self) -> bool {
        self.marked.is_empty()
    }

    pub fn contains(&self, reference: TicketRef) -> bool {
        self.marked.contains(&reference)
    }

    pub fn undoable(&self) -> Option<u64> {
        self.undoable
    }

    /// Something other than undo was done: the last batch is no longer
    /// "right after".
    pub fn moved_on(&mut self) {
        self.undoable = None;
    }

    pub fn toggle(&mut self, reference: TicketRef) {
        if !self.marked.remove(&reference) {
            self.marked.insert(reference);
        }
    }

    /// Marks every reference given (the rows of the current filter); if all
    /// were marked already, unmarks them instead, so the same key clears.
    pub fn mark_all(&mut self, refs: impl IntoIterator<Item = TicketRef>) {
        let refs: Vec<TicketRef> = refs.into_iter().collect();
        if refs.iter().all(|r| self.marked.contains(r)) {
            for r in &refs {
                self.marked.remove(r);
            }
        } else {
            self.marked.extend(refs);
        }
    }

    /// Applies `action` to every marked ticket in one request. The marks
    /// are cleared when the service answered, whatever it refused; the
    /// message says how many succeeded and why each refusal was refused.
    pub fn apply(&mut self, action: BulkAction, cx: &mut Cx<'_>) {
        let refs: Vec<TicketRef> = self.marked.iter().copied().collect();
        self.apply_to(refs, action, cx);
    }

    /// The marked references, for a form that acts on them when saved.
    pub fn refs(&self) -> Vec<TicketRef> {
        self.marked.iter().copied().collect()
    }

    /// [`Marks::apply`] to `refs`: the marks taken when a form opened, or
    /// one ticket as a batch of one.
    pub fn apply_to(&mut self, refs: Vec<TicketRef>, action: BulkAction, cx: &mut Cx<'_>) {
        match cx.desk.call(BulkTickets { action, targets: BulkTargets::Refs(refs) }) {
            Ok(done) => {
                self.marked.clear();
                self.undoable = done.record.cannot_undo.is_none().then_some(done.record.batch);
                let undo = if self.undoable.is_some() { "; u undoes it" } else { "" };
                cx.info(format!("{}{}{undo}", done.summary, refusals(&done.record)));
                cx.changed = true;
            }
            Err(e) => cx.fail(&e),
        }
    }

    /// Takes the last batch back, through the service's compensating
    /// changes; says so when there is nothing to undo.
    pub fn undo(&mut self, cx: &mut Cx<'_>) {
        let Some(batch) = self.undoable.take() else {
            cx.warn("nothing to undo: u takes back a bulk action straight after it");
            return;
        };
        match cx.desk.call(Undo { batch }) {
            Ok(done) => {
                cx.info(format!("undid batch {batch}: {}{}", done.summary, refusals(&done.record)));
                cx.changed = true;
            }
            Err(e) => cx.fail(&e),
        }
    }
}

/// "; refused T12: reason; T13: reason" for the first few, then a count.
fn refusals(report: &BulkReport) -> String {
    let mut out = String::new();
    for (reference, why) in report.refused.iter().take(REFUSALS_SHOWN) {
        out.push_str(&format!("; {reference}: {}", crate::text::one_line(why)));
    }
    if report.refused.len() > REFUSALS_SHOWN {
        out.push_str(&format!("; and {} more refused", report.refused.len() - REFUSALS_SHOWN));
    }
    out
}
