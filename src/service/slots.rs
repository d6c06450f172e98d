//! The queue lists most recently read, kept until a ticket changes.
//!
//! Listing a tab reads every slot of its index: about 10 ms at 20,000 open
//! tickets. Many operators watch the same few tabs, and their consoles read
//! them again on a switch, a filter or a tick, so the daemon would read the
//! same index over and over between two changes. Each list is kept with the
//! ticket generation it was read at; any write to a ticket moves the
//! generation on, and a list of an older generation is read afresh.
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

use super::queue::{QueueView, TicketFilter, TicketSlot};

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

    /// A ticket was written: every kept list may be out of date.
    pub(super) fn tickets_changed(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
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
