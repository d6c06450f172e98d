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
//! A console that holds a list asks what changed in it since (see
//! [`SlotsAt`]), rather than for the whole list again: the cache also
//! remembers the rows of the last tickets written, by generation, and the
//! answer is each ticket written since and its slot in the list now (or
//! none). A listing names the generation it is current at; the changes
//! since it are every logged write after it, the latest row of each
//! ticket winning, so applying them to the list the console holds gives
//! the list as it is now. A console whose listing is older than the log,
//! from another daemon run, or of a cut list is sent the whole list.
//!
//! Each list is read from the indexes by one request at a time. After a
//! change, the requests for the same list that arrived meanwhile wait for
//! that read and share it, instead of all scanning at once; different lists
//! are read side by side.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use super::ServiceError;
use super::queue::{MAX_SLOTS, QueueView, TicketFilter, TicketRow, TicketSlot};
use crate::domain::ticket::TicketRef;

/// More different lists than this (filters are free text) and the oldest
/// go; a desk uses a handful.
const KEPT: usize = 64;

/// Rows of written tickets remembered for the changes since a listing:
/// at ten writes a second, several minutes of a busy desk, far more than
/// a console's 15-second refresh needs. One write touching more (a bulk
/// action over a whole queue) empties the log, and consoles are sent
/// their lists whole.
const LOGGED_ROWS: usize = 20_000;

/// Where in the ticket changes a listing is current: the daemon run (so
/// a listing from before a restart is never taken for a newer one) and
/// the generation. Consoles hand it back unread.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotsAt {
    run: u64,
    generation: u64,
}

/// Each ticket one write touched, with its row after it (`None`: gone).
type Written = Vec<(TicketRef, Option<TicketRow>)>;

/// The changes to a list since a generation: each ticket written since,
/// with its row as it is now (`None`: no such ticket).
pub(super) struct Changes {
    pub(super) at: SlotsAt,
    pub(super) rows: HashMap<TicketRef, Option<TicketRow>>,
}

/// The kept lists and the log of written rows, under one lock, so a list
/// and the log agree on the generation.
#[derive(Default)]
struct Lists {
    kept: HashMap<SlotKey, Kept>,
    /// Each write's generation and the rows it touched, oldest first.
    log: VecDeque<(u64, Written)>,
    /// Rows in `log`.
    logged: usize,
    /// The oldest generation whose changes since are all in `log`.
    floor: u64,
}

impl Lists {
    /// Nothing before `generation` can be told as changes any more.
    fn forget_log(&mut self, generation: u64) {
        self.log.clear();
        self.logged = 0;
        self.floor = generation;
    }
}

/// A view, a filter and, for "mine", whose.
pub(super) type SlotKey = (QueueView, TicketFilter, Option<String>);

/// A list and the generation it was read at.
type Kept = (u64, Arc<Vec<TicketSlot>>);

pub(super) struct SlotCache {
    /// Tells this run's generations from another's.
    run: u64,
    generation: AtomicU64,
    lists: Mutex<Lists>,
    /// Per list, held while it is read from the indexes.
    refills: Mutex<HashMap<SlotKey, Arc<Mutex<()>>>>,
}

impl Default for SlotCache {
    fn default() -> SlotCache {
        // The start of the run, to the nanosecond, and a count for two
        // services started in the same one (tests).
        static STARTED: AtomicU64 = AtomicU64::new(0);
        let clock =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
        SlotCache {
            run: clock ^ STARTED.fetch_add(1, Ordering::Relaxed).rotate_right(1),
            generation: AtomicU64::new(0),
            lists: Mutex::default(),
            refills: Mutex::default(),
        }
    }
}

impl SlotCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, Lists> {
        self.lists.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A listing current at `generation`, if the list is whole.
    pub(super) fn at(&self, generation: u64, list: &[TicketSlot]) -> Option<SlotsAt> {
        (list.len() < MAX_SLOTS).then_some(SlotsAt { run: self.run, generation })
    }

    /// The changes since `since`, if every write after it is still in the
    /// log and it is of this run.
    pub(super) fn changes_since(&self, since: SlotsAt) -> Option<Changes> {
        let lists = self.lock();
        let now = self.generation.load(Ordering::SeqCst);
        if since.run != self.run || since.generation < lists.floor || since.generation > now {
            return None;
        }
        let mut rows = HashMap::new();
        for (_, written) in lists.log.iter().filter(|(g, _)| *g > since.generation) {
            // Oldest first, so each ticket ends with its latest row.
            rows.extend(written.iter().cloned());
        }
        Some(Changes { at: SlotsAt { run: self.run, generation: now }, rows })
    }

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
        let mut lists = self.lock();
        let generation = self.generation.fetch_add(1, Ordering::SeqCst) + 1;
        lists.kept.clear();
        lists.forget_log(generation);
    }

    /// Tickets were written: moves the generation on and updates every
    /// kept list from `row`, which reads a ticket's row as it is now
    /// (`None`: no such ticket).
    pub(super) fn tickets_changed(
        &self,
        tickets: &[TicketRef],
        row: impl Fn(TicketRef) -> Result<Option<TicketRow>, ServiceError>,
    ) {
        let mut lists = self.lock();
        let generation = self.generation.fetch_add(1, Ordering::SeqCst) + 1;
        let mut rows = Vec::with_capacity(tickets.len());
        for reference in tickets {
            match row(*reference) {
                Ok(found) => rows.push((*reference, found)),
                Err(e) => {
                    // Without the row no list can be updated: read them all again.
                    tracing::warn!("kept queue lists dropped: the row of {reference} could not be read: {e}");
                    lists.kept.clear();
                    lists.forget_log(generation);
                    return;
                }
            }
        }
        lists.kept.retain(|(view, filter, operator), (kept_at, list)| {
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
        if rows.len() > LOGGED_ROWS {
            lists.forget_log(generation);
            return;
        }
        lists.logged += rows.len();
        lists.log.push_back((generation, rows));
        while lists.logged > LOGGED_ROWS {
            let Some((oldest, dropped)) = lists.log.pop_front() else { break };
            lists.logged -= dropped.len();
            lists.floor = oldest;
        }
    }

    /// The list for `key` if its read began at generation `arrived` or
    /// later (`arrived`: the generation when the request came in).
    pub(super) fn get(&self, key: &SlotKey, arrived: u64) -> Option<(u64, Arc<Vec<TicketSlot>>)> {
        let lists = self.lock();
        lists.kept.get(key).filter(|(g, _)| *g >= arrived).map(|(g, list)| (*g, Arc::clone(list)))
    }

    /// Keeps `list`, read for `key` from generation `generation`.
    pub(super) fn put(&self, key: SlotKey, generation: u64, list: Arc<Vec<TicketSlot>>) {
        let mut lists = self.lock();
        let kept = &mut lists.kept;
        if kept.len() >= KEPT && !kept.contains_key(&key) {
            kept.clear();
        }
        let newer = kept.get(&key).is_none_or(|(g, _)| *g <= generation);
        if newer {
            kept.insert(key, (generation, list));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(cache: &SlotCache, refs: std::ops::RangeInclusive<u64>) {
        let refs: Vec<TicketRef> = refs.map(TicketRef).collect();
        cache.tickets_changed(&refs, |_| Ok(None));
    }

    fn now(cache: &SlotCache) -> SlotsAt {
        cache.at(cache.generation(), &[]).expect("an uncut list")
    }

    #[test]
    fn a_listing_older_than_the_log_of_changes_is_not_followed() {
        let cache = SlotCache::default();
        let start = now(&cache);
        written(&cache, 1..=15_000);
        let middle = now(&cache);
        assert_eq!(cache.changes_since(start).map(|c| c.rows.len()), Some(15_000));
        // The log outgrows its bound and drops its oldest write.
        written(&cache, 1..=10_000);
        assert!(cache.changes_since(start).is_none());
        assert_eq!(cache.changes_since(middle).map(|c| c.rows.len()), Some(10_000));
        // One write larger than the whole log.
        written(&cache, 1..=(LOGGED_ROWS as u64 + 1));
        assert!(cache.changes_since(middle).is_none());
        assert_eq!(cache.changes_since(now(&cache)).map(|c| c.rows.len()), Some(0));
        // A generation this run has not reached.
        let ahead = SlotsAt { run: cache.run, generation: cache.generation() + 1 };
        assert!(cache.changes_since(ahead).is_none());
        // A cut list cannot be followed at all.
        let cut = vec![TicketSlot { due_at: chrono::DateTime::UNIX_EPOCH, reference: TicketRef(1) }; MAX_SLOTS];
        assert!(cache.at(cache.generation(), &cut).is_none());
    }
}
