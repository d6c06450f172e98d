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
//! scans, and a writer moves it on after its commit is visible. A list kept
//! at the current generation therefore began after every commit so far had
//! finished, and saw them all.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::query::{QueueView, TicketFilter, TicketSlot};

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
}

impl SlotCache {
    /// Take this before reading a list that may be kept.
    pub(super) fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// A ticket was written: every kept list may be out of date.
    pub(super) fn tickets_changed(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// The list for `key` if it was read at the current generation.
    pub(super) fn get(&self, key: &SlotKey) -> Option<Arc<Vec<TicketSlot>>> {
        let now = self.generation();
        let lists = self.lists.lock().unwrap_or_else(|p| p.into_inner());
        lists.get(key).filter(|(g, _)| *g == now).map(|(_, list)| Arc::clone(list))
    }

    /// Keeps `list`, read for `key` at `generation`.
    pub(super) fn put(&self, key: SlotKey, generation: u64, list: Arc<Vec<TicketSlot>>) {
        let mut lists = self.lists.lock().unwrap_or_else(|p| p.into_inner());
        lists.retain(|_, (g, _)| *g == generation);
        if lists.len() >= KEPT {
            lists.clear();
        }
        lists.insert(key, (generation, list));
    }
}
