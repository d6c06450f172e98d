//! The queue lists most recently read, kept and updated as tickets change.
//!
//! Listing a tab reads every slot of its index: about 10 ms at 20,000 open
//! tickets. Many operators watch the same few tabs, and their consoles read
//! them again on a switch, a filter or a tick, so the daemon would read the
//! same index over and over. Each list is kept with the ticket generation
//! it is current at. A write to tickets moves the generation on and, in the
//! same step, updates every kept list from the rows of the tickets it
//! touched (a ticket leaves a list, joins it, or moves in it), so a busy
//! desk costs one row read per list per change instead of a scan.
//!
//! The update reads each touched ticket's row while holding the lists, so
//! of two writes to one ticket the later update always reads the later
//! row. A list that was cut at [`MAX_SLOTS`] cannot be updated exactly (a
//! ticket leaving it would let an unlisted one in) and is dropped instead.
//!
//! Why a kept list is never stale: a reader takes the generation before it
//! scans, and a writer moves it on after its commit is visible (and before
//! the operator hears it is saved). A request that arrives at generation
//! `a` must see every write acknowledged before it; each of those moved the
//! generation to at most `a`, so any list whose scan began at generation
//! `a` or later saw them all. Such a list is served, even if more has been
//! written since: it is as fresh as reading the index at the moment the
//! request arrived.
//!
//! Each list is read from the indexes by one request at a time. After a
//! change, the requests for the same list that arrived meanwhile wait for
//! that read and share it, instead of all scanning at once; different lists
//! are read side by side.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::ServiceError;
use super::queue::{MAX_SLOTS, QueueView, TicketFilter, TicketRow, TicketSlot};
use crate::domain::ticket::TicketRef;

/// More different lists than this (filters are free text) and the oldest
/// go; a desk uses a handful.
const KEPT: usize = 64;

/// A view, a filter and, for "mine", whose.
pub(super) type SlotKey = (QueueView, TicketFilter, Option<String>);

/// A list and the generation it was read at.
type Kept = (u64, Arc<Vec<TicketSlot>>);

#[derive(Default)]
pub(super) struct SlotCache {
    generation: AtomicU64,
    lists: Mutex<HashMap<SlotKey, Kept>>,
    /// Per list, held while it is read from the indexes.
    refills: Mutex<HashMap<SlotKey, Arc<Mutex<()>>>>,
}

impl SlotCache {
    /// The turn to read a list from the indexes; check [`SlotCache::get`]
    /// again once it is yours, as the read before may have served you.
    pub(super) fn refill_turn(&self, key: &SlotKey) -> Arc<Mutex<()>> {
        let mut refills = self.refills.lock().unwrap_or_else(|p| p.into_inner());
        if refills.len() >= KEPT && !refills.contains_key(key) {
            // Only locks nobody holds or waits for can go.
            refills.retain(|_, lock| Arc::strong_count(lock) > 1);
        }
        Arc::clone(refills.entry(key.clone()).or_default())
    }

    /// Take this before reading a list that may be kept.
    pub(super) fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Every kept list is forgotten: the next listing reads the indexes.
    pub(super) fn forget(&self) {
        let mut lists = self.lists.lock().unwrap_or_else(|p| p.into_inner());
        self.generation.fetch_add(1, Ordering::SeqCst);
        lists.clear();
    }

    /// Tickets were written: moves the generation on and updates every
    /// kept list from `row`, which reads a ticket's row as it is now
    /// (`None`: no such ticket).
    pub(super) fn tickets_changed(
        &self,
        tickets: &[TicketRef],
        row: impl Fn(TicketRef) -> Result<Option<TicketRow>, ServiceError>,
    ) {
        let mut lists = self.lists.lock().unwrap_or_else(|p| p.into_inner());
        let generation = self.generation.fetch_add(1, Ordering::SeqCst) + 1;
        let mut rows = Vec::with_capacity(tickets.len());
        for reference in tickets {
            match row(*reference) {
                Ok(found) => rows.push((*reference, found)),
                Err(e) => {
                    // Without the row no list can be updated: read them all again.
                    tracing::warn!("kept queue lists dropped: the row of {reference} could not be read: {e}");
                    lists.clear();
                    return;
                }
            }
        }
        lists.retain(|(view, filter, operator), (kept_at, list)| {
            if list.len() >= MAX_SLOTS {
                return false;
            }
            let list = Arc::make_mut(list);
            for (reference, row) in &rows {
                list.retain(|slot| slot.reference != *reference);
                let Some(row) = row else { continue };
                if view.admits(row, operator.as_deref().unwrap_or_default()) && filter.admits(row) {
                    let slot = TicketSlot { due_at: row.due_at, reference: *reference };
                    let at = list.binary_search(&slot).unwrap_or_else(|at| at);
                    list.insert(at, slot);
                }
            }
            *kept_at = generation;
            true
        });
    }

    /// The list for `key` if its read began at generation `arrived` or
    /// later (`arrived`: the generation when the request came in).
    pub(super) fn get(&self, key: &SlotKey, arrived: u64) -> Option<Arc<Vec<TicketSlot>>> {
        let lists = self.lists.lock().unwrap_or_else(|p| p.into_inner());
        lists.get(key).filter(|(g, _)| *g >= arrived).map(|(_, list)| Arc::clone(list))
    }

    /// Keeps `list`, read for `key` from generation `generation`.
    pub(super) fn put(&self, key: SlotKey, generation: u64, list: Arc<Vec<TicketSlot>>) {
        let mut lists = self.lists.lock().unwrap_or_else(|p| p.into_inner());
        if lists.len() >= KEPT && !lists.contains_key(&key) {
            lists.clear();
        }
        let newer = lists.get(&key).is_none_or(|(g, _)| *g <= generation);
        if newer {
            lists.insert(key, (generation, list));
        }
    }
}
