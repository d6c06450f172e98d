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

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;

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
        self.write_overlay(overlay)?;
        self.flush()?;
        Ok(answer)
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
        let on_disk = self.tree(tree).get(key).map_err(|e| self.io_error(e))?;
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
        let ours: Vec<(Vec<u8>, Option<IVec>)> = if self.in_batch() {
            OVERLAY.with(|o| {
                o.borrow()
                    .trees
                    .get(&tree)
                    .map(|t| t.range::<Vec<u8>, _>(range).map(|(k, s)| (k.clone(), s.now.clone())).collect())
                    .unwrap_or_default()
            })
        } else {
            Vec::new()
        };
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
        // command saw when it removed it.
        self.store.read(tree, key).map_err(storage)?;
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
