//! Backups: a consistent copy of every tree, taken while operators keep
//! working, written to one file that restores into a new database.
//!
//! Consistency needs a moment when no change is half-written. Every write
//! of the service takes a turn ([`Store::writes_open`]) for as long as it
//! writes; a snapshot waits for the turns in progress to end, holds new
//! ones back while it copies every tree into memory (sled hands out values
//! by reference count, so this copies pointers, not records), and lets the
//! writers go before anything is encoded or written to disk. What the
//! snapshot holds is therefore exactly the database as of one instant: every
//! change acknowledged before it, none after, each with its audit entry.
//!
//! The file: a fixed header (magic, format version, database layout, audit
//! head, number of trees), then each tree by name with its keys and values,
//! then the SHA-256 of everything before it. It is written to a temporary
//! file beside the target, fsynced, and linked into place only if nothing
//! is there yet, so a backup is either whole or absent and never replaces
//! another file. Restore reads the whole file and checks it before it
//! creates anything, builds the database beside the target and renames it
//! into place, so a damaged file or an interrupted restore leaves nothing.
//!
//! This module must not interpret records: it copies bytes. Whether they
//! still make sense is `caredesk check`'s work.

use std::cell::RefCell;
use std::fs::{File, OpenOptions};
use std::io::{BufReader, BufWriter, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::{RwLock, RwLockReadGuard};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use sled::IVec;

use super::records::TreeId;
use super::{LAYOUT, MAX_VALUE, OpenMode, Store, StoreError};

/// The first bytes of every backup file.
const MAGIC: &[u8; 16] = b"caredesk-backup\n";
/// The backup format this build writes and reads.
pub const BACKUP_FORMAT: u16 = 1;
/// Longer tree names than this are not ours.
const MAX_TREE_NAME: usize = 64;
/// More trees than this are not ours.
const MAX_TREES: usize = 256;
/// Entries written to a restored tree per sled batch.
const RESTORE_BATCH: usize = 10_000;

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{path} is not a caredesk backup (it does not start as one): give the file `caredesk backup` wrote")]
    NotABackup { path: PathBuf },
    #[error(
        "{path} is a backup of format {found}, and this caredesk reads format {BACKUP_FORMAT}: restore it with the \
         caredesk release that wrote it"
    )]
    Format { path: PathBuf, found: u16 },
    #[error("{path} holds a database of layout {found}, newer than this caredesk ({LAYOUT}): upgrade caredesk")]
    NewerLayout { path: PathBuf, found: u8 },
    #[error("{path} is damaged ({detail}): nothing was restored; restore an earlier backup")]
    Damaged { path: PathBuf, detail: String },
    #[error("{path} already exists: a backup never replaces a file; give a new name or move the old file")]
    TargetExists { path: PathBuf },
    #[error("{path} already holds files: restore into a new or empty directory")]
    NotEmpty { path: PathBuf },
    #[error("could not {doing} {path}: {source}")]
    Io { doing: &'static str, path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub(super) fn io<'a>(doing: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> BackupError + 'a {
    move |source| BackupError::Io { doing, path: path.to_owned(), source }
}

thread_local! {
    /// The stores this thread holds a write turn of already: a batch
    /// commits its commands inside its own turn.
    static IN_TURN: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
}

/// The gate between writers and snapshots: many writers at once, or one
/// snapshot.
#[derive(Default)]
pub(super) struct WriteGate(RwLock<()>);

/// A writer's turn: while it is held no snapshot starts.
pub struct WriteTurn<'a> {
    /// The turn and its store's id; `None` inside an outer turn.
    guard: Option<(RwLockReadGuard<'a, ()>, u64)>,
}

impl Drop for WriteTurn<'_> {
    fn drop(&mut self) {
        if let Some((_, id)) = &self.guard {
            IN_TURN.with(|t| t.borrow_mut().retain(|held| held != id));
        }
    }
}

/// Every tree as of one instant.
pub struct Snapshot {
    trees: Vec<(TreeId, Vec<(IVec, IVec)>)>,
    pub layout: u8,
    pub audit_head: u64,
    /// How long writers were held back.
    pub paused: Duration,
}

/// What a backup wrote.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BackupMade {
    pub path: PathBuf,
    pub entries: u64,
    pub bytes: u64,
    pub audit_head: u64,
    /// How long writes were paused while the snapshot was taken.
    pub paused_micros: u64,
}

/// What a restore made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    pub path: PathBuf,
    pub entries: u64,
    pub audit_head: u64,
}

impl Store {
    /// A turn to write: every write of the service takes one for as long
    /// as it writes, so a snapshot never sees half a change. A thread that
    /// holds one already gets an empty turn (no second lock, which would
    /// deadlock against a waiting snapshot).
    pub fn writes_open(&self) -> WriteTurn<'_> {
        if IN_TURN.with(|t| t.borrow().contains(&self.id)) {
            return WriteTurn { guard: None };
        }
        let guard = self.gate.0.read().unwrap_or_else(|p| p.into_inner());
        IN_TURN.with(|t| t.borrow_mut().push(self.id));
        WriteTurn { guard: Some((guard, self.id)) }
    }

    /// Holds every writer back until the guard is dropped: for a process
    /// about to hand the database over (the daemon restarting to compact
    /// it), so that no change is left half-written.
    pub fn hold_writes(&self) -> std::sync::RwLockWriteGuard<'_, ()> {
        self.gate.0.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Every tree as of one instant, holding writers back only while the
    /// trees are copied into memory.
    pub fn snapshot(&self) -> Result<Snapshot, StoreError> {
        let asked = Instant::now();
        let paused = self.gate.0.write().unwrap_or_else(|p| p.into_inner());
        let mut trees = Vec::with_capacity(TreeId::ALL.len());
        for id in TreeId::ALL {
            let rows = self.tree(*id).iter().collect::<Result<Vec<_>, _>>().map_err(|e| self.io_error(e))?;
            trees.push((*id, rows));
        }
        let audit_head = self.audit_head()?;
        let layout = self.layout()?;
        drop(paused);
        Ok(Snapshot { trees, layout, audit_head, paused: asked.elapsed() })
    }

    /// Takes a snapshot and writes it to `path` (see [`Snapshot::write`]).
    pub fn backup(&self, path: &Path) -> Result<BackupMade, BackupError> {
        let snapshot = self.snapshot()?;
        let bytes = snapshot.write(path)?;
        Ok(BackupMade {
            path: path.to_owned(),
            entries: snapshot.entries(),
            bytes,
            audit_head: snapshot.audit_head,
            paused_micros: u64::try_from(snapshot.paused.as_micros()).unwrap_or(u64::MAX),
        })
    }

    /// Makes a new database at `dir` from the backup in `file`. `dir` must
    /// not exist or be empty; the file is checked whole before anything is
    /// made, and a restore that fails part way leaves nothing at `dir`.
    pub fn restore(file: &Path, dir: &Path) -> Result<Restored, BackupError> {
        if dir.exists() {
            let mut entries = std::fs::read_dir(dir).map_err(io("read", dir))?;
            if entries.next().is_some() {
                return Err(BackupError::NotEmpty { path: dir.to_owned() });
            }
        }
        let checked = read_backup(file, |_, _, _| Ok(()))?;
        let staging = staging_dir(dir);
        if staging.exists() {
            std::fs::remove_dir_all(&staging).map_err(io("remove the unfinished restore", &staging))?;
        }
        let made = build(file, &staging, &checked);
        if let Err(e) = made {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(e);
        }
        if dir.exists() {
            std::fs::remove_dir(dir).map_err(io("replace the empty directory", dir))?;
        }
        std::fs::rename(&staging, dir).map_err(io("move the restored database to", dir))?;
        sync_parent(dir)?;
        Ok(Restored { path: dir.to_owned(), entries: checked.entries, audit_head: checked.audit_head })
    }
}

fn staging_dir(dir: &Path) -> PathBuf {
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "db".into());
    dir.with_file_name(format!(".{name}.restoring"))
}

/// Writes every entry of `file` into a new database at `staging`.
fn build(file: &Path, staging: &Path, checked: &Header) -> Result<(), BackupError> {
    let store = Store::open(staging, OpenMode::CreateIfMissing)?;
    let mut batch = sled::Batch::default();
    let mut in_batch = 0;
    let mut current: Option<TreeId> = None;
    let again = read_backup(file, |tree, key, value| {
        if current != Some(tree) {
            if let Some(t) = current {
                store.tree(t).apply_batch(std::mem::take(&mut batch)).map_err(|e| store.io_error(e))?;
                in_batch = 0;
            }
            current = Some(tree);
        }
        batch.insert(key, value);
        in_batch += 1;
        if in_batch == RESTORE_BATCH {
            store.tree(tree).apply_batch(std::mem::take(&mut batch)).map_err(|e| store.io_error(e))?;
            in_batch = 0;
        }
        Ok(())
    })?;
    if let Some(t) = current {
        store.tree(t).apply_batch(batch).map_err(|e| store.io_error(e))?;
    }
    if again.entries != checked.entries || again.audit_head != checked.audit_head {
        return Err(BackupError::Damaged {
            path: file.to_owned(),
            detail: "it changed while it was being restored".into(),
        });
    }
    store.flush()?;
    Ok(())
}

impl Snapshot {
    pub fn entries(&self) -> u64 {
        self.trees.iter().map(|(_, rows)| rows.len() as u64).sum()
    }

    /// Writes the snapshot to `path`, owner-only, whole or not at all:
    /// through a temporary file beside it, fsynced, then linked into place
    /// only if `path` does not exist. Returns the bytes written.
    pub fn write(&self, path: &Path) -> Result<u64, BackupError> {
        if path.exists() {
            return Err(BackupError::TargetExists { path: path.to_owned() });
        }
        let name = path.file_name().ok_or_else(|| BackupError::Io {
            doing: "write",
            path: path.to_owned(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file name"),
        })?;
        let temp = path.with_file_name(format!(".{}.partial-{}", name.to_string_lossy(), std::process::id()));
        let written = self.write_temp(&temp);
        let linked = written.and_then(|bytes| match std::fs::hard_link(&temp, path) {
            Ok(()) => Ok(bytes),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                Err(BackupError::TargetExists { path: path.to_owned() })
            }
            Err(e) => Err(io("write", path)(e)),
        });
        let _ = std::fs::remove_file(&temp);
        let bytes = linked?;
        sync_parent(path)?;
        Ok(bytes)
    }

    fn write_temp(&self, temp: &Path) -> Result<u64, BackupError> {
        let file =
            OpenOptions::new().write(true).create_new(true).mode(0o600).open(temp).map_err(io("create", temp))?;
        let mut out = HashingWriter { inner: BufWriter::new(file), hash: Sha256::new(), bytes: 0 };
        let mut header = Vec::with_capacity(32);
        header.extend_from_slice(MAGIC);
        header.extend_from_slice(&BACKUP_FORMAT.to_be_bytes());
        header.push(self.layout);
        header.extend_from_slice(&self.audit_head.to_be_bytes());
        header.extend_from_slice(&(self.trees.len() as u16).to_be_bytes());
        out.write_all(&header).map_err(io("write", temp))?;
        for (tree, rows) in &self.trees {
            let name = tree.name().as_bytes();
            out.write_all(&[name.len() as u8]).map_err(io("write", temp))?;
            out.write_all(name).map_err(io("write", temp))?;
            out.write_all(&(rows.len() as u64).to_be_bytes()).map_err(io("write", temp))?;
            for (k, v) in rows {
                out.write_all(&(k.len() as u32).to_be_bytes()).map_err(io("write", temp))?;
                out.write_all(k).map_err(io("write", temp))?;
                out.write_all(&(v.len() as u32).to_be_bytes()).map_err(io("write", temp))?;
                out.write_all(v).map_err(io("write", temp))?;
            }
        }
        let digest = out.hash.clone().finalize();
        out.inner.write_all(&digest).map_err(io("write", temp))?;
        let bytes = out.bytes + digest.len() as u64;
        let file = out.inner.into_inner().map_err(|e| io("write", temp)(e.into_error()))?;
        file.sync_all().map_err(io("sync", temp))?;
        Ok(bytes)
    }
}

/// Makes a rename or link in `path`'s directory durable.
fn sync_parent(path: &Path) -> Result<(), BackupError> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    File::open(parent).and_then(|d| d.sync_all()).map_err(io("sync", parent))
}

struct HashingWriter<W: Write> {
    inner: W,
    hash: Sha256,
    bytes: u64,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// What a backup file's header and walk said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub layout: u8,
    pub audit_head: u64,
    pub entries: u64,
}

/// Reads a backup file through, giving every entry to `visit`, and checks
/// its shape, its limits and its checksum. An error from `visit` stops it.
pub fn read_backup(
    file: &Path,
    mut visit: impl FnMut(TreeId, &[u8], &[u8]) -> Result<(), BackupError>,
) -> Result<Header, BackupError> {
    let opened = File::open(file).map_err(io("open", file))?;
    let mut r = HashingReader { inner: BufReader::new(opened), hash: Sha256::new() };
    let damaged = |detail: String| BackupError::Damaged { path: file.to_owned(), detail };
    let cut = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::UnexpectedEof => {
            BackupError::Damaged { path: file.to_owned(), detail: "it ends early".into() }
        }
        _ => io("read", file)(e),
    };
    let mut magic = [0u8; 16];
    if r.read_exact(&mut magic).is_err() || &magic != MAGIC {
        return Err(BackupError::NotABackup { path: file.to_owned() });
    }
    let format = u16::from_be_bytes(read_array(&mut r).map_err(cut)?);
    if format != BACKUP_FORMAT {
        return Err(BackupError::Format { path: file.to_owned(), found: format });
    }
    let [layout] = read_array::<1>(&mut r).map_err(cut)?;
    if layout > LAYOUT {
        return Err(BackupError::NewerLayout { path: file.to_owned(), found: layout });
    }
    let audit_head = u64::from_be_bytes(read_array(&mut r).map_err(cut)?);
    let trees = usize::from(u16::from_be_bytes(read_array(&mut r).map_err(cut)?));
    if trees > MAX_TREES {
        return Err(damaged(format!("it claims {trees} trees")));
    }
    let mut entries = 0u64;
    let mut key = Vec::new();
    let mut value = Vec::new();
    for _ in 0..trees {
        let [len] = read_array::<1>(&mut r).map_err(cut)?;
        if usize::from(len) > MAX_TREE_NAME {
            return Err(damaged(format!("a tree name of {len} bytes")));
        }
        let mut name = vec![0u8; usize::from(len)];
        r.read_exact(&mut name).map_err(cut)?;
        let Some(tree) = TreeId::ALL.iter().copied().find(|t| t.name().as_bytes() == name.as_slice()) else {
            return Err(damaged(format!(
                "a tree this caredesk does not know ({}); it may come from a newer release",
                crate::text::one_line(&String::from_utf8_lossy(&name))
            )));
        };
        let rows = u64::from_be_bytes(read_array(&mut r).map_err(cut)?);
        for _ in 0..rows {
            read_part(&mut r, &mut key).map_err(cut)?.map_err(damaged)?;
            read_part(&mut r, &mut value).map_err(cut)?.map_err(damaged)?;
            visit(tree, &key, &value)?;
            entries += 1;
        }
    }
    let digest = r.hash.clone().finalize();
    let mut stored = [0u8; 32];
    r.inner.read_exact(&mut stored).map_err(cut)?;
    if stored[..] != digest[..] {
        return Err(damaged("its checksum does not match its contents".into()));
    }
    let mut rest = [0u8; 1];
    if r.inner.read(&mut rest).map_err(io("read", file))? != 0 {
        return Err(damaged("bytes follow its checksum".into()));
    }
    Ok(Header { layout, audit_head, entries })
}

fn read_array<const N: usize>(r: &mut impl Read) -> std::io::Result<[u8; N]> {
    let mut out = [0u8; N];
    r.read_exact(&mut out)?;
    Ok(out)
}

/// One length-prefixed key or value into `buf`; the inner error names a
/// length past the limit.
fn read_part(r: &mut impl Read, buf: &mut Vec<u8>) -> std::io::Result<Result<(), String>> {
    let len = u32::from_be_bytes(read_array(r)?) as usize;
    if len > MAX_VALUE {
        return Ok(Err(format!("a value of {len} bytes, past the {MAX_VALUE}-byte limit")));
    }
    buf.clear();
    buf.resize(len, 0);
    r.read_exact(buf)?;
    Ok(Ok(()))
}

struct HashingReader<R: Read> {
    inner: R,
    hash: Sha256,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }
}
