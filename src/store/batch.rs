//! Bulk work in batches: many commands, each with its own audit entry,
//! written to disk in one transaction.
//!
//! A sled transaction per command costs far more than the command's own
//! work at national scale (every tree it names is locked, read and logged
//! on its own). A batch keeps the commands' writes in memory on the thread
//! that runs them (an overlay) and writes them all at the end in one
//! transaction, flushed before the caller hears of it. Inside the batch
//! the thread reads its own writes: every read of the store on that thread
//! (a record, an index entry, a range of an index) looks at the overlay
//! first, so the second "John Smith" of a batch gets the next free address
//! and a repeated mobile is refused, exactly as one command at a time.
//!
//! Each command is still checked and written as a unit: its writes are
//! staged apart and join the overlay only when the whole command
//! succeeded, so a refused command leaves nothing, and the audit chain
//! runs through the overlay entry by entry.
//!
//! Other threads (other operators through the daemon) see nothing of a
//! batch until it is written, and write as usual meanwhile. The overlay
//! remembers what each key held on disk when the batch first read it; the
//! final transaction checks that every key it read and writes still holds
//! that, so if anyone else wrote one of them (the audit head, above all)
//! the batch writes nothing and says so ([`StoreError::Interrupted`]), and
//! its caller runs the same work again one command at a time. Keys a
//! command writes without reading them (its audit entry, new index
//! entries, a new outbox message) are not read from disk at all: every
//! command reads the audit head, and every other commit writes it, so no
//! commit can land between the batch's reads and its write unnoticed. A
//! process killed during a batch leaves none of it: no record without its
//! audit entry, no audit entry without its record. Only numbers taken from
//! sequences are lost, as they are for any refused command.
//!
//! A database being built from nothing (the demo) can go faster: inside
//! [`Store::building`], a batch is handed to a writer thread and the next
//! one starts at once, reading the handed-over batch beneath its own until
//! it is on disk, so the commands run on one core while sled writes on the
//! other. The writer inserts key by key, with no transaction (a sled
//! transaction would lock every reader out while it writes), so the
//! database is marked unfinished for the whole build and no one can open
//! it until the build has written and flushed everything and taken the
//! mark off. A build that dies leaves a database that says so when opened.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::sync::Arc;
use std::thread::JoinHandle;

use sled::IVec;
use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionError, TransactionalTree};

use super::records::TreeId;
use super::{Store, StoreError};

/// Commands per batch that bulk loads use: big enough that the per
/// transaction cost vanishes, small enough that a batch redone one command
/// at a time after an interruption costs little.
pub const BATCH_RECORDS: usize = 500;

/// A key as the batch has it.
struct Slot {
    /// `None`: removed by the batch.
    now: Option<IVec>,
    /// What the key held on disk when the batch first read it; `None` for
    /// a key the batch wrote without reading.
    base: Option<Option<IVec>>,
}

#[derive(Default)]
struct Overlay {
    trees: HashMap<TreeId, BTreeMap<Vec<u8>, Slot>>,
    /// Disk values the batch read without writing, kept so a later write
    /// of the same key checks against what the command saw.
    seen: HashMap<TreeId, HashMap<Vec<u8>, Option<IVec>>>,
}

/// One write of a staged command: a tree, a key, and its new value or
/// `None` for a removal.
type Write = (TreeId, Vec<u8>, Option<IVec>);

thread_local! {
    /// The store this thread is batching into (0: none).
    static ACTIVE: Cell<u64> = const { Cell::new(0) };
    static OVERLAY: RefCell<Overlay> = RefCell::new(Overlay::default());
    /// One command's writes, before it has succeeded.
    static STAGED: RefCell<Option<Vec<Write>>> = const { RefCell::new(None) };
    /// The store this thread is building (0: none): its batches are written
    /// by a writer thread.
    static BUILDING: Cell<u64> = const { Cell::new(0) };
    /// The batch the writer thread is writing, read beneath this thread's
    /// own until it is on disk.
    static WRITING: RefCell<Option<InFlight>> = const { RefCell::new(None) };
}

/// A batch handed to the writer thread.
struct InFlight {
    overlay: Arc<Overlay>,
    writer: JoinHandle<Result<(), StoreError>>,
}

/// Empties the overlay when a batch ends, even by a panic.
struct BatchScope;

impl Drop for BatchScope {
    fn drop(&mut self) {
        ACTIVE.with(|a| a.set(0));
        OVERLAY.with(|o| *o.borrow_mut() = Overlay::default());
        STAGED.with(|s| *s.borrow_mut() = None);
    }
}

/// Puts back the thread's earlier build state when a build ends, even by
/// a panic, as [`BatchScope`] does for a batch.
struct BuildScope {
    was: u64,
}

impl Drop for BuildScope {
    fn drop(&mut self) {
        BUILDING.with(|b| b.set(self.was));
    }
}

type Rows = Vec<(IVec, IVec)>;

impl Store {
    /// Whether this thread is running a batch on this store.
    pub fn in_batch(&self) -> bool {
        ACTIVE.with(|a| a.get()) == self.id
    }

    /// Runs `work` as one batch: every command it commits on this thread is
    /// kept in memory, then all are written in one transaction and flushed,
    /// whatever `work` returned (each command in it succeeded and carries
    /// its audit entry). [`StoreError::Interrupted`] means another writer
    /// got in meanwhile and nothing was written: run `work` again outside
    /// a batch. A batch inside a batch is part of the outer one.
    pub fn batch<T>(&self, work: impl FnOnce() -> T) -> Result<T, StoreError> {
        if self.in_batch() {
            return Ok(work());
        }
        if ACTIVE.with(|a| a.get()) != 0 {
            // A batch on another store of this thread: keep them apart.
            return Ok(work());
        }
        let _scope = BatchScope;
        ACTIVE.with(|a| a.set(self.id));
        let answer = work();
        let overlay = OVERLAY.with(|o| std::mem::take(&mut *o.borrow_mut()));
        ACTIVE.with(|a| a.set(0));
        if self.is_building() {
            self.hand_over(overlay)?;
            return Ok(answer);
        }
        self.write_overlay(overlay)?;
        self.flush()?;
        Ok(answer)
    }

    /// Runs `work`, which builds this database from nothing, with its
    /// batches written by a writer thread while the next is made (see the
    /// module's notes). The database is marked unfinished first and the
    /// mark is taken off only once everything `work` wrote is on disk, so a
    /// build that fails or dies leaves a database that refuses to open and
    /// says why. Commands outside a batch may run in `work` too: each waits
    /// for the writer first.
    pub fn building<T, E: From<StoreError>>(&self, work: impl FnOnce() -> Result<T, E>) -> Result<T, E> {
        let meta = self.tree(TreeId::Meta);
        meta.insert(super::UNFINISHED_KEY, &[1]).map_err(|e| self.io_error(e))?;
        self.flush()?;
        let answer = {
            let _scope = BuildScope { was: BUILDING.with(|b| b.replace(self.id)) };
            work()
        };
        let written = self.settle_writes();
        let answer = answer?;
        written?;
        self.flush()?;
        meta.remove(super::UNFINISHED_KEY).map_err(|e| self.io_error(e))?;
        self.flush()?;
        Ok(answer)
    }

    /// Whether this thread is building this database ([`Store::building`]).
    pub fn is_building(&self) -> bool {
        BUILDING.with(|b| b.get()) == self.id
    }

    /// Waits for the writer thread to finish the batch it was handed, if
    /// any, and says whether it wrote it.
    pub fn settle_writes(&self) -> Result<(), StoreError> {
        let Some(in_flight) = WRITING.with(|w| w.borrow_mut().take()) else { return Ok(()) };
        in_flight.writer.join().unwrap_or_else(|_| {
            Err(self.io_error(sled::Error::ReportableBug("the writer of a batch panicked".to_owned())))
        })
    }

    /// Gives a finished batch to a new writer thread, once the one before
    /// it is on disk.
    fn hand_over(&self, overlay: Overlay) -> Result<(), StoreError> {
        self.settle_writes()?;
        if overlay.trees.is_empty() {
            return Ok(());
        }
        let overlay = Arc::new(overlay);
        let (trees, path, ours) = (self.trees.clone(), self.path.clone(), Arc::clone(&overlay));
        let writer = std::thread::Builder::new()
            .name("caredesk-batch-writer".to_owned())
            .spawn(move || write_plainly(&trees, &ours).map_err(|source| StoreError::Io { path, source }))
            .map_err(|e| self.io_error(sled::Error::Io(e)))?;
        WRITING.with(|w| *w.borrow_mut() = Some(InFlight { overlay, writer }));
        Ok(())
    }

    /// What the batch being written holds for a key, if it holds it.
    fn in_flight(tree: TreeId, key: &[u8]) -> Option<Option<IVec>> {
        WRITING.with(|w| {
            let w = w.borrow();
            w.as_ref()?.overlay.trees.get(&tree)?.get(key).map(|slot| slot.now.clone())
        })
    }

    fn write_overlay(&self, overlay: Overlay) -> Result<(), StoreError> {
        if overlay.trees.is_empty() {
            return Ok(());
        }
        let mut used: Vec<TreeId> = overlay.trees.keys().copied().collect();
        used.sort();
        let trees: Vec<&sled::Tree> = used.iter().map(|t| self.tree(*t)).collect();
        let result = trees.as_slice().transaction(|tx: &Vec<TransactionalTree>| {
            for (i, id) in used.iter().enumerate() {
                for (key, slot) in &overlay.trees[id] {
                    if let Some(base) = &slot.base {
                        if tx[i].get(key)? != *base {
                            return Err(ConflictableTransactionError::Abort(()));
                        }
                    }
                }
            }
            for (i, id) in used.iter().enumerate() {
                for (key, slot) in &overlay.trees[id] {
                    match &slot.now {
                        Some(v) => tx[i].insert(key.as_slice(), v.clone())?,
                        None => tx[i].remove(key.as_slice())?,
                    };
                }
            }
            Ok(())
        });
        match result {
            Ok(()) => Ok(()),
            Err(TransactionError::Abort(())) => Err(StoreError::Interrupted),
            Err(TransactionError::Storage(e)) => Err(self.io_error(e)),
        }
    }

    /// One key as this thread sees it: its staged command, its batch, then
    /// the disk.
    pub(super) fn read(&self, tree: TreeId, key: &[u8]) -> Result<Option<IVec>, StoreError> {
        if !self.in_batch() {
            if let Some(now) = Store::in_flight(tree, key) {
                return Ok(now);
            }
            return self.tree(tree).get(key).map_err(|e| self.io_error(e));
        }
        if let Some(staged) = STAGED.with(|s| {
            s.borrow()
                .as_ref()
                .and_then(|w| w.iter().rev().find(|(t, k, _)| *t == tree && k == key).map(|w| w.2.clone()))
        }) {
            return Ok(staged);
        }
        if let Some(now) =
            OVERLAY.with(|o| o.borrow().trees.get(&tree).and_then(|t| t.get(key)).map(|slot| slot.now.clone()))
        {
            return Ok(now);
        }
        if let Some(seen) = OVERLAY.with(|o| o.borrow().seen.get(&tree).and_then(|t| t.get(key)).cloned()) {
            return Ok(seen);
        }
        // What the disk will hold once the batch before this one is written.
        let on_disk = match Store::in_flight(tree, key) {
            Some(now) => now,
            None => self.tree(tree).get(key).map_err(|e| self.io_error(e))?,
        };
        OVERLAY.with(|o| o.borrow_mut().seen.entry(tree).or_default().insert(key.to_vec(), on_disk.clone()));
        Ok(on_disk)
    }

    /// Keys and values of `tree` in `range`, in key order (or reversed), at
    /// most `limit`, as this thread sees them.
    pub(super) fn scan(
        &self,
        tree: TreeId,
        range: (Bound<Vec<u8>>, Bound<Vec<u8>>),
        limit: usize,
        reverse: bool,
    ) -> Result<Rows, StoreError> {
        let disk = self.tree(tree).range::<Vec<u8>, _>(range.clone());
        let in_range = |t: &BTreeMap<Vec<u8>, Slot>| -> Vec<(Vec<u8>, Option<IVec>)> {
            t.range::<Vec<u8>, _>(range.clone()).map(|(k, s)| (k.clone(), s.now.clone())).collect()
        };
        let mut ours: Vec<(Vec<u8>, Option<IVec>)> = if self.in_batch() {
            OVERLAY.with(|o| o.borrow().trees.get(&tree).map(in_range).unwrap_or_default())
        } else {
            Vec::new()
        };
        let beneath = WRITING.with(|w| w.borrow().as_ref().and_then(|w| w.overlay.trees.get(&tree).map(in_range)));
        if let Some(beneath) = beneath.filter(|b| !b.is_empty()) {
            // This thread's own batch over the one being written.
            let mut merged: BTreeMap<Vec<u8>, Option<IVec>> = beneath.into_iter().collect();
            merged.extend(ours);
            ours = merged.into_iter().collect();
        }
        if ours.is_empty() {
            let take = |it: &mut dyn Iterator<Item = sled::Result<(IVec, IVec)>>| {
                it.take(limit).collect::<sled::Result<Rows>>().map_err(|e| self.io_error(e))
            };
            return if reverse { take(&mut disk.rev()) } else { take(&mut disk.into_iter()) };
        }
        let mut disk: Box<dyn Iterator<Item = sled::Result<(IVec, IVec)>>> =
            if reverse { Box::new(disk.rev()) } else { Box::new(disk) };
        let mut ours: Box<dyn Iterator<Item = (Vec<u8>, Option<IVec>)>> =
            if reverse { Box::new(ours.into_iter().rev()) } else { Box::new(ours.into_iter()) };
        let mut out = Vec::new();
        let mut next_disk = disk.next().transpose().map_err(|e| self.io_error(e))?;
        let mut next_ours = ours.next();
        while out.len() < limit {
            let order = match (&next_disk, &next_ours) {
                (None, None) => break,
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (Some((d, _)), Some((o, _))) => {
                    let order = d.as_ref().cmp(o.as_slice());
                    if reverse { order.reverse() } else { order }
                }
            };
            if order == std::cmp::Ordering::Less {
                out.extend(next_disk.take());
                next_disk = disk.next().transpose().map_err(|e| self.io_error(e))?;
                continue;
            }
            if order == std::cmp::Ordering::Equal {
                next_disk = disk.next().transpose().map_err(|e| self.io_error(e))?;
            }
            if let Some((key, Some(value))) = next_ours.take() {
                out.push((IVec::from(key), value));
            }
            next_ours = ours.next();
        }
        Ok(out)
    }

    /// Runs one command's writes against the batch: `apply` writes through
    /// [`Staged`], and its writes join the batch only if it succeeds.
    pub(super) fn staged<T, E>(&self, apply: impl FnOnce(&Staged<'_>) -> Result<T, E>) -> Result<T, E> {
        STAGED.with(|s| *s.borrow_mut() = Some(Vec::new()));
        let answer = apply(&Staged { store: self });
        let writes = STAGED.with(|s| s.borrow_mut().take()).unwrap_or_default();
        if answer.is_ok() {
            OVERLAY.with(|o| {
                let mut o = o.borrow_mut();
                let o = &mut *o;
                for (tree, key, value) in writes {
                    let base = o.seen.get(&tree).and_then(|t| t.get(&key)).cloned();
                    let slot = o.trees.entry(tree).or_default().entry(key).or_insert(Slot { now: None, base });
                    slot.now = value;
                }
            });
        }
        answer
    }
}

/// Writes a batch key by key, without a transaction: only for a database
/// being built, which no one may open until the build is done.
fn write_plainly(trees: &[sled::Tree], overlay: &Overlay) -> Result<(), sled::Error> {
    for (id, keys) in &overlay.trees {
        let tree = &trees[*id as usize];
        for (key, slot) in keys {
            match &slot.now {
                Some(v) => tree.insert(key.as_slice(), v.clone())?,
                None => tree.remove(key.as_slice())?,
            };
        }
    }
    Ok(())
}

/// The writes of one command inside a batch, read back by the command
/// itself before they join the batch.
pub(super) struct Staged<'a> {
    store: &'a Store,
}

type TxResult<T, A> = Result<T, ConflictableTransactionError<A>>;

fn storage<A>(e: StoreError) -> ConflictableTransactionError<A> {
    match e {
        StoreError::Io { source, .. } => ConflictableTransactionError::Storage(source),
        other => ConflictableTransactionError::Storage(sled::Error::Unsupported(other.to_string())),
    }
}

/// What a command's writes go through: a sled transaction, or a batch.
pub(super) trait Writes<A> {
    fn get(&self, tree: TreeId, key: &[u8]) -> TxResult<Option<IVec>, A>;
    fn insert(&self, tree: TreeId, key: &[u8], value: &[u8]) -> TxResult<(), A>;
    fn remove(&self, tree: TreeId, key: &[u8]) -> TxResult<(), A>;
}

impl<A> Writes<A> for Staged<'_> {
    fn get(&self, tree: TreeId, key: &[u8]) -> TxResult<Option<IVec>, A> {
        self.store.read(tree, key).map_err(storage)
    }
    fn insert(&self, tree: TreeId, key: &[u8], value: &[u8]) -> TxResult<(), A> {
        STAGED.with(|s| s.borrow_mut().get_or_insert_default().push((tree, key.to_vec(), Some(IVec::from(value)))));
        Ok(())
    }
    fn remove(&self, tree: TreeId, key: &[u8]) -> TxResult<(), A> {
        // Read first, so the batch checks the key still holds what this
        // command saw when it removed it. A database being built has no
        // other writer and its batches are written without that check.
        if !self.store.is_building() {
            self.store.read(tree, key).map_err(storage)?;
        }
        STAGED.with(|s| s.borrow_mut().get_or_insert_default().push((tree, key.to_vec(), None)));
        Ok(())
    }
}

/// A sled transaction over the trees `used` names, in that order.
pub(super) struct InTransaction<'a> {
    pub used: &'a [TreeId],
    pub tx: &'a [TransactionalTree],
}

impl InTransaction<'_> {
    fn at(&self, tree: TreeId) -> &TransactionalTree {
        &self.tx[self.used.binary_search(&tree).unwrap_or(0)]
    }
}

impl<A> Writes<A> for InTransaction<'_> {
    fn get(&self, tree: TreeId, key: &[u8]) -> TxResult<Option<IVec>, A> {
        Ok(self.at(tree).get(key)?)
    }
    fn insert(&self, tree: TreeId, key: &[u8], value: &[u8]) -> TxResult<(), A> {
        self.at(tree).insert(key, value)?;
        Ok(())
    }
    fn remove(&self, tree: TreeId, key: &[u8]) -> TxResult<(), A> {
        self.at(tree).remove(key)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::OpenMode;

    fn keys(rows: Rows) -> Vec<String> {
        rows.iter().map(|(k, _)| String::from_utf8_lossy(k).into_owned()).collect()
    }

    /// A write as a test gives it: the tree, the key, the new value or `None`.
    type TestWrite<'a> = (TreeId, &'a [u8], Option<&'a [u8]>);

    /// Hands `writes` to a writer held back until told, so that what it
    /// writes is certainly not on disk while a test's reads run.
    fn held_writer(store: &Store, writes: &[TestWrite<'_>]) -> std::sync::mpsc::Sender<()> {
        let mut overlay = Overlay::default();
        for (tree, key, now) in writes {
            let slot = Slot { now: now.map(IVec::from), base: None };
            overlay.trees.entry(*tree).or_default().insert(key.to_vec(), slot);
        }
        let overlay = Arc::new(overlay);
        let (go, held) = std::sync::mpsc::channel::<()>();
        let (trees, path, ours) = (store.trees.clone(), store.path.clone(), Arc::clone(&overlay));
        let writer = std::thread::spawn(move || {
            held.recv().ok();
            write_plainly(&trees, &ours).map_err(|source| StoreError::Io { path, source })
        });
        WRITING.with(|w| *w.borrow_mut() = Some(InFlight { overlay, writer }));
        go
    }

    #[test]
    fn reads_and_lists_see_the_batch_being_written_before_it_lands() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), OpenMode::CreateIfMissing).unwrap();
        let tree = TreeId::Meta;
        for key in ["k.old", "k.gone"] {
            store.tree(tree).insert(key, "disk").unwrap();
        }
        let go = held_writer(&store, &[(tree, b"k.new", Some(b"batch")), (tree, b"k.gone", None)]);
        let range = || (Bound::Included(b"k.".to_vec()), Bound::Excluded(b"k/".to_vec()));

        assert_eq!(store.tree(tree).get("k.new").unwrap(), None, "held back: not on disk");
        assert_eq!(store.read(tree, b"k.new").unwrap(), Some(IVec::from("batch")));
        assert_eq!(store.read(tree, b"k.gone").unwrap(), None, "removed by the batch being written");
        assert_eq!(keys(store.scan(tree, range(), 10, false).unwrap()), ["k.new", "k.old"]);
        assert_eq!(keys(store.scan(tree, range(), 10, true).unwrap()), ["k.old", "k.new"]);

        // A batch of the build's own, over the one being written.
        BUILDING.with(|b| b.set(store.id));
        store
            .batch(|| {
                assert_eq!(store.read(tree, b"k.new").unwrap(), Some(IVec::from("batch")));
                store.staged(|s| Writes::<()>::insert(s, tree, b"k.mine", b"mine")).unwrap();
                store.staged(|s| Writes::<()>::remove(s, tree, b"k.new")).unwrap();
                assert_eq!(keys(store.scan(tree, range(), 10, false).unwrap()), ["k.mine", "k.old"]);
                go.send(()).unwrap();
            })
            .unwrap();
        store.settle_writes().unwrap();
        BUILDING.with(|b| b.set(0));
        let on_disk: Vec<String> = store
            .tree(tree)
            .scan_prefix("k.")
            .keys()
            .map(|k| String::from_utf8_lossy(&k.unwrap()).into_owned())
            .collect();
        assert_eq!(on_disk, ["k.mine", "k.old"], "both batches landed, in order");
    }

    /// A sweep in a build deletes people while the pass before (which may
    /// have written their entries, or moved their due dates) is still
    /// being written: the look-ups a deletion makes must see it.
    #[test]
    fn the_look_ups_of_a_deletion_see_the_batch_being_written() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), OpenMode::CreateIfMissing).unwrap();
        let (person, on_disk, in_flight) = (7, 41, 42);
        let entry = |seq| super::super::shift::batch_key(person, seq);
        store.tree(TreeId::AuditByPerson).insert(entry(on_disk), &[]).unwrap();
        let now = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let due = |id: u64, days: i64| {
            crate::store::keys::Key::new().instant(now - chrono::Duration::days(days)).u64(id).build()
        };
        store.tree(TreeId::AccountsByDue).insert(due(1, 3), &[]).unwrap();
        store.tree(TreeId::AccountsByDue).insert(due(2, 2), &[]).unwrap();
        let go = held_writer(
            &store,
            &[
                (TreeId::AuditByPerson, &entry(in_flight), Some(&[])),
                (TreeId::AccountsByDue, &due(2, 2), None),
                (TreeId::AccountsByDue, &due(3, 1), Some(&[])),
            ],
        );

        assert_eq!(store.person_entries(person).unwrap(), [on_disk, in_flight]);
        assert_eq!(store.accounts_due(now, 10).unwrap(), [1, 3], "one due date moved, one added");
        go.send(()).unwrap();
        store.settle_writes().unwrap();
        assert_eq!(store.person_entries(person).unwrap(), [on_disk, in_flight], "and the same once landed");
    }
}
