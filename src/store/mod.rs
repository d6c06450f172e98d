//! The sled database: the only module that names sled.
//!
//! One `Store` per process owns the database; sled refuses a second open, so
//! everything (the CLI, the console, the daemon) shares this one. Reads go
//! through indexes; writes go through [`Store::commit`] only.
//!
//! Versioning: every record, setting and the audit head is stored as a
//! schema-version byte and a bincode body (see `codec`), so each can be
//! upgraded on read. Index entries, sequence counters and flags are bare
//! keys and big-endian numbers whose shape belongs to the database layout
//! ([`LAYOUT`], kept under `layout` in the meta tree): changing one of them
//! means a new layout and a rebuild of that index, not a per-value upgrade.

mod batch;
mod codec;
mod commit;
mod encoded;
mod erasure;
mod keys;
mod lookup;
mod mail;
mod migrate;
mod pack;
mod records;
mod salvage;
mod shift;
mod snapshot;
mod state;

use std::borrow::Cow;
use std::path::{Path, PathBuf};

pub use batch::BATCH_RECORDS;
pub use codec::{CodecError, LIMIT as MAX_VALUE, decode_message, encode_message};
pub use commit::Change;
pub use encoded::{AccountHead, EncodedAccount, PersonalHead};
pub use erasure::{Compacted, compact};
pub use lookup::QueueSlot;
pub use records::{Record, TicketSummary, TreeId, queue_key, v1};
pub use salvage::{CheckReport, Finding, SalvageError, SalvageReport, copy_database};
pub use shift::{HourlyDepth, MAX_BATCH_ENTRIES, hour_of};
pub use snapshot::{
    BACKUP_FORMAT, BackupError, BackupMade, Header as BackupHeader, Restored, Snapshot, WriteTurn, read_backup,
};
pub use state::{ChainState, StateFault, StateReport};

/// The database layout this build writes. A database with a newer layout is
/// refused; an older one is upgraded record by record as it is read, and
/// gets the index trees added since as it is opened (`migrate`).
/// 2: word indexes for names (`*.by_word`).
/// 3: covering account indexes, ticket rows (`tickets.rows`) and rows in
/// the queue index.
pub const LAYOUT: u8 = 3;
const LAYOUT_KEY: &[u8] = b"layout";
const DEMO_KEY: &[u8] = b"demo";
/// Present while a database is being built from nothing ([`Store::building`]).
const UNFINISHED_KEY: &[u8] = b"unfinished";

/// The default page cache: 256 MiB. At a million accounts the hot records
/// and indexes are about 270 MiB, and measured look-ups are four to seven
/// times faster than with 64 MiB (docs/performance.md); sled's own default
/// of 1 GiB is more than a server running other things should give up.
pub const DEFAULT_CACHE_BYTES: u64 = 256 << 20;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "the database at {path} is in use by another caredesk process and no `caredesk serve` answers for it: \
         finish in the console or command that holds it, or wait for it to end, then try again; for several \
         operators at once, run `caredesk serve --db {path}` and every console and command goes through it"
    )]
    Locked { path: PathBuf },
    #[error("there is no caredesk database at {path}: create one with `caredesk init --db {path}` or `caredesk demo`")]
    Missing { path: PathBuf },
    #[error("the database at {path} uses layout {found}, newer than this caredesk ({LAYOUT}): upgrade caredesk")]
    NewerLayout { path: PathBuf, found: u8 },
    #[error(
        "the database at {path} was never finished: it was being built (by `caredesk demo`) and the build \
         stopped part way, so what it holds is not whole; build it again with `caredesk demo --db {path}`, \
         which replaces it"
    )]
    Unfinished { path: PathBuf },
    #[error("database error at {path}: {source}")]
    Io { path: PathBuf, source: sled::Error },
    #[error(transparent)]
    Codec(#[from] CodecError),
    #[error("{what} {label} was changed by {changed_by} after you loaded it: reload and try again")]
    Conflict { what: Cow<'static, str>, label: String, changed_by: String },
    #[error("{what} {label} already exists")]
    Exists { what: Cow<'static, str>, label: String },
    #[error("{what} {value} is already taken")]
    Taken { what: Cow<'static, str>, value: String },
    #[error(
        "another operator wrote while a batch of records was being saved, so none of that batch was saved: run it again"
    )]
    Interrupted,
}

impl StoreError {
    /// The database could not be used at all, rather than one write being
    /// refused.
    pub fn is_unavailable(&self) -> bool {
        !matches!(
            self,
            StoreError::Conflict { .. }
                | StoreError::Exists { .. }
                | StoreError::Taken { .. }
                | StoreError::Interrupted
        )
    }

    /// The operating system refused this user the database's files.
    pub fn is_permission_denied(&self) -> bool {
        matches!(self, StoreError::Io { source: sled::Error::Io(e), .. } if e.kind() == std::io::ErrorKind::PermissionDenied)
    }
}

pub struct Store {
    db: sled::Db,
    path: PathBuf,
    trees: Vec<sled::Tree>,
    /// Tells this store apart in [`BULK_LOAD`] and in batches.
    id: u64,
    /// The layout the database had when opened, if it was brought up to
    /// [`LAYOUT`] then.
    migrated_from: Option<u8>,
    /// Holds writers back while a backup copies the trees.
    gate: snapshot::WriteGate,
}

/// Hands out [`Store::id`]s.
static NEXT_STORE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

thread_local! {
    /// The store this thread is bulk-loading into, if any (0: none). A bulk
    /// load defers the flush of its own commits only: it is one thread's
    /// batch, and every other thread's commits (another operator's note
    /// while an import runs through the daemon) still flush before their
    /// caller is told.
    static BULK_LOAD: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Puts back the thread's earlier bulk state when a load ends, even by a
/// panic.
struct BulkScope {
    was: u64,
}

impl Drop for BulkScope {
    fn drop(&mut self) {
        BULK_LOAD.with(|b| b.set(self.was));
    }
}

/// A tree, a key and its value, as the benches copy them.
pub type RawEntry = (TreeId, Vec<u8>, Vec<u8>);

/// Whether opening may create a new database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    Existing,
    CreateIfMissing,
}

impl Store {
    pub fn open(path: &Path, mode: OpenMode) -> Result<Store, StoreError> {
        Store::open_with_cache(path, mode, DEFAULT_CACHE_BYTES)
    }

    /// Opens with a page cache of `cache_bytes`.
    pub fn open_with_cache(path: &Path, mode: OpenMode, cache_bytes: u64) -> Result<Store, StoreError> {
        let exists = path.join("conf").exists();
        if !exists && mode == OpenMode::Existing {
            return Err(StoreError::Missing { path: path.to_owned() });
        }
        keep_private(path)?;
        let db = open_db(path, cache_bytes)?;
        let trees = TreeId::ALL
            .iter()
            .map(|t| db.open_tree(t.name()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| open_error(path, e))?;
        let id = NEXT_STORE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut store = Store { db, path: path.to_owned(), trees, id, migrated_from: None, gate: Default::default() };
        if store.tree(TreeId::Meta).contains_key(UNFINISHED_KEY).map_err(|e| store.io_error(e))? {
            return Err(StoreError::Unfinished { path: path.to_owned() });
        }
        store.migrated_from = store.check_layout()?;
        Ok(store)
    }

    /// Refuses a newer layout and upgrades an older one; says which.
    fn check_layout(&self) -> Result<Option<u8>, StoreError> {
        let meta = self.tree(TreeId::Meta);
        match meta.get(LAYOUT_KEY).map_err(|e| self.io_error(e))? {
            Some(v) if v.first().copied().unwrap_or(0) > LAYOUT => {
                Err(StoreError::NewerLayout { path: self.path.clone(), found: v[0] })
            }
            Some(v) if v.first().copied().unwrap_or(0) < LAYOUT => {
                let from = v.first().copied().unwrap_or(0);
                self.upgrade_layout(from)?;
                Ok(Some(from))
            }
            Some(_) => Ok(None),
            None => {
                meta.insert(LAYOUT_KEY, &[LAYOUT]).map_err(|e| self.io_error(e))?;
                Ok(None)
            }
        }
    }

    /// The layout this database was brought up from as it was opened, or
    /// `None` if it was already at [`LAYOUT`].
    pub fn migrated_from(&self) -> Option<u8> {
        self.migrated_from
    }

    /// The layout recorded in the database.
    pub fn layout(&self) -> Result<u8, StoreError> {
        let v = self.tree(TreeId::Meta).get(LAYOUT_KEY).map_err(|e| self.io_error(e))?;
        Ok(v.and_then(|v| v.first().copied()).unwrap_or(0))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn tree(&self, id: TreeId) -> &sled::Tree {
        &self.trees[id as usize]
    }

    fn io_error(&self, source: sled::Error) -> StoreError {
        StoreError::Io { path: self.path.clone(), source }
    }

    /// Makes every acknowledged write durable.
    pub fn flush(&self) -> Result<(), StoreError> {
        self.db.flush().map(drop).map_err(|e| self.io_error(e))
    }

    /// Runs `load` with the flushes of the commits it makes on this thread
    /// deferred, then flushes once, before returning, whether the load
    /// succeeded or stopped part way. Only for loads whose caller reports
    /// after this returns (the demo builder, CSV import): an interactive
    /// command must not use it. Commits on other threads meanwhile flush as
    /// always.
    pub fn bulk<T, E: From<StoreError>>(&self, load: impl FnOnce() -> Result<T, E>) -> Result<T, E> {
        let result = {
            let _scope = BulkScope { was: BULK_LOAD.with(|b| b.replace(self.id)) };
            load()
        };
        self.flush()?;
        result
    }

    /// Whether a commit on this thread may leave its flush to a bulk load
    /// that is running on this thread.
    fn in_bulk_load(&self) -> bool {
        BULK_LOAD.with(|b| b.get()) == self.id
    }

    /// Marks this database as demo data, for good.
    pub fn mark_demo(&self) -> Result<(), StoreError> {
        self.tree(TreeId::Meta).insert(DEMO_KEY, &[1]).map_err(|e| self.io_error(e))?;
        self.flush()
    }

    pub fn is_demo(&self) -> Result<bool, StoreError> {
        self.tree(TreeId::Meta).contains_key(DEMO_KEY).map_err(|e| self.io_error(e))
    }

    /// A fresh number from a named sequence (ticket numbers, record ids).
    /// Numbers are never reused; a command that fails after taking one
    /// leaves a gap.
    pub fn next_number(&self, sequence: &str) -> Result<u64, StoreError> {
        let key = format!("seq.{sequence}");
        let next = self
            .tree(TreeId::Meta)
            .update_and_fetch(key.as_bytes(), |old| {
                let n = old.and_then(|b| b.try_into().ok()).map_or(0, u64::from_be_bytes);
                Some((n + 1).to_be_bytes().to_vec())
            })
            .map_err(|e| self.io_error(e))?;
        Ok(next.and_then(|b| keys::read_u64(&b, 0)).unwrap_or(1))
    }

    /// The last number a sequence gave out.
    pub fn last_number(&self, sequence: &str) -> Result<u64, StoreError> {
        let key = format!("seq.{sequence}");
        let got = self.tree(TreeId::Meta).get(key.as_bytes()).map_err(|e| self.io_error(e))?;
        Ok(got.and_then(|b| keys::read_u64(&b, 0)).unwrap_or(0))
    }

    /// Raw bytes under a key, for tests that inspect what is on disk.
    #[doc(hidden)]
    pub fn raw_get(&self, tree: TreeId, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.tree(tree).get(key).map(|v| v.map(|v| v.to_vec())).map_err(|e| self.io_error(e))
    }

    /// Writes raw bytes, bypassing commit: for tests that plant old-version
    /// records or damage the audit log on purpose.
    #[doc(hidden)]
    pub fn raw_put(&self, tree: TreeId, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        self.tree(tree).insert(key, value).map(drop).map_err(|e| self.io_error(e))
    }

    /// Removes a key, bypassing commit: for tests that cut entries from the
    /// audit log on purpose.
    #[doc(hidden)]
    pub fn raw_remove(&self, tree: TreeId, key: &[u8]) -> Result<(), StoreError> {
        self.tree(tree).remove(key).map(drop).map_err(|e| self.io_error(e))
    }

    /// Reads `n` keys and values of `tree` in order from `start`, copying
    /// nothing: the floor a range read of an index cannot beat, for the
    /// benches. Returns how many were read.
    #[doc(hidden)]
    pub fn raw_range(&self, tree: TreeId, start: &[u8], n: usize) -> Result<usize, StoreError> {
        let mut read = 0;
        for item in self.tree(tree).range(start..).take(n) {
            let (k, v) = item.map_err(|e| self.io_error(e))?;
            read += usize::from(!k.is_empty() || !v.is_empty());
        }
        Ok(read)
    }

    /// Every key and value of every tree, for a bench that writes the same
    /// bytes again into another database.
    #[doc(hidden)]
    pub fn raw_dump(&self) -> Result<Vec<RawEntry>, StoreError> {
        let mut out = Vec::new();
        for tree in TreeId::ALL {
            for item in self.tree(*tree).iter() {
                let (k, v) = item.map_err(|e| self.io_error(e))?;
                out.push((*tree, k.to_vec(), v.to_vec()));
            }
        }
        Ok(out)
    }

    /// Writes `writes` in one transaction over the trees they name and
    /// flushes: the raw batched insert a bench compares a batched import
    /// with.
    #[doc(hidden)]
    pub fn raw_transaction(&self, writes: &[RawEntry]) -> Result<(), StoreError> {
        use sled::Transactional;
        let mut used: Vec<TreeId> = writes.iter().map(|w| w.0).collect();
        used.sort();
        used.dedup();
        let trees: Vec<&sled::Tree> = used.iter().map(|t| self.tree(*t)).collect();
        trees
            .as_slice()
            .transaction(|tx: &Vec<sled::transaction::TransactionalTree>| {
                for (tree, k, v) in writes {
                    tx[used.binary_search(tree).unwrap_or(0)].insert(k.as_slice(), v.as_slice())?;
                }
                Ok::<_, sled::transaction::ConflictableTransactionError<()>>(())
            })
            .map_err(|e| match e {
                sled::transaction::TransactionError::Storage(e) => self.io_error(e),
                sled::transaction::TransactionError::Abort(()) => StoreError::Interrupted,
            })?;
        self.flush()
    }

    /// Encodes a record as the store keeps it now, for tests that plant
    /// altered records.
    #[doc(hidden)]
    pub fn encode_record<R: Record>(record: &R) -> Vec<u8> {
        records::encode(record).unwrap_or_default()
    }

    /// Encodes a value in an older layout, for migration tests.
    #[doc(hidden)]
    pub fn encode_versioned<T: serde::Serialize>(what: &'static str, version: u8, value: &T) -> Vec<u8> {
        codec::encode(what, version, value).unwrap_or_default()
    }
}

/// The database holds mobiles, names and the audit log, and being in the
/// caredesk group grants nothing by itself: only the user that owns the
/// database may read it. sled creates files whenever it likes (snapshots,
/// blobs) from its own threads, so the process's umask is narrowed to the
/// owner for good (which also covers whatever else the process makes), and
/// what is already there is closed on every open, for a database made by
/// an earlier release or under a wider umask.
fn keep_private(path: &Path) -> Result<(), StoreError> {
    use nix::sys::stat::{Mode, umask};
    let was = umask(Mode::from_bits_truncate(0o077));
    umask(was | Mode::from_bits_truncate(0o077));
    if path.is_dir() {
        close_to_others(path).map_err(|e| StoreError::Io { path: path.to_owned(), source: sled::Error::Io(e) })?;
    }
    Ok(())
}

/// Makes `dir` and everything in it the owner's only: directories 0700,
/// files 0600. Entries owned by another user are left alone (sled then
/// refuses to open them, which says so).
fn close_to_others(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let me = nix::unistd::Uid::effective().as_raw();
    let mut pending = vec![dir.to_owned()];
    while let Some(next) = pending.pop() {
        let meta = std::fs::symlink_metadata(&next)?;
        if meta.file_type().is_symlink() || (meta.uid() != me && me != 0) {
            continue;
        }
        let private = if meta.is_dir() { 0o700 } else { 0o600 };
        if meta.mode() & 0o777 & !private != 0 {
            std::fs::set_permissions(&next, std::fs::Permissions::from_mode(meta.mode() & private))?;
        }
        if meta.is_dir() {
            for entry in std::fs::read_dir(&next)? {
                pending.push(entry?.path());
            }
        }
    }
    Ok(())
}

/// How long to wait for a lock that a handle dropped in this process is
/// still releasing: sled lets go of its file lock shortly after the last
/// handle is dropped, not at once. Another process holding it is reported
/// after this wait.
const LOCK_PATIENCE: std::time::Duration = std::time::Duration::from_millis(500);

fn open_db(path: &Path, cache_bytes: u64) -> Result<sled::Db, StoreError> {
    let started = std::time::Instant::now();
    loop {
        let opened = sled::Config::new().path(path).cache_capacity(cache_bytes).flush_every_ms(Some(500)).open();
        match opened.map_err(|e| open_error(path, e)) {
            Err(StoreError::Locked { .. }) if started.elapsed() < LOCK_PATIENCE => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            other => return other,
        }
    }
}

fn open_error(path: &Path, e: sled::Error) -> StoreError {
    match &e {
        sled::Error::Io(io) if io.to_string().contains("could not acquire lock") => {
            StoreError::Locked { path: path.to_owned() }
        }
        _ => StoreError::Io { path: path.to_owned(), source: e },
    }
}
