//! What deleting a person needs of the store: the audit entries and outbox
//! messages that concern them, and compaction.
//!
//! sled writes a log: a value overwritten or removed stays in the files
//! until the segment holding it is reused, so erasing a record in the tree
//! does not yet erase its bytes from the disk. A deletion that erases
//! personal data therefore marks the database (`erasure.pending` in the
//! meta tree), and [`compact`] rebuilds it from a snapshot of what is live,
//! into a new directory that never held the erased bytes, and swaps it in.
//! `caredesk compact` runs it, and `caredesk serve` runs it as it starts
//! whenever the mark is set.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use super::keys::read_u64;
use super::records::{self, TreeId};
use super::snapshot::{BackupError, io};
use super::{OpenMode, Store, StoreError};
use crate::domain::sms::SmsMessage;

/// Set by a deletion that erased personal data, cleared by compaction.
pub(super) const ERASURE_PENDING: &[u8] = b"erasure.pending";

impl Store {
    /// The numbers of the audit entries that concern account `person`.
    pub fn person_entries(&self, person: u64) -> Result<Vec<u64>, StoreError> {
        self.entries_under(TreeId::AuditByPerson, person)
    }

    /// The numbers of the audit entries that wrote ticket `ticket`'s
    /// records (the ticket, its mail, its text messages).
    pub fn ticket_entries(&self, ticket: u64) -> Result<Vec<u64>, StoreError> {
        self.entries_under(TreeId::AuditByTicket, ticket)
    }

    fn entries_under(&self, tree: TreeId, id: u64) -> Result<Vec<u64>, StoreError> {
        // Through the batch, so a sweep's deletion sees the entries of the
        // batch before it that a build's writer has not yet landed.
        let rows = self.keys_with_prefix(tree, &id.to_be_bytes(), None, usize::MAX)?;
        Ok(rows.iter().filter_map(|(key, _)| read_u64(key, 8)).filter(|seq| *seq != 0).collect())
    }

    /// The text messages sent to any of `accounts`, by account: one pass
    /// over the outbox, which has no index by account.
    pub fn outbox_for(&self, accounts: &HashSet<u64>) -> Result<HashMap<u64, Vec<SmsMessage>>, StoreError> {
        let mut out: HashMap<u64, Vec<SmsMessage>> = HashMap::new();
        if accounts.is_empty() {
            return Ok(out);
        }
        for r in self.tree(TreeId::Outbox).iter() {
            let (_, v) = r.map_err(|e| self.io_error(e))?;
            let message: SmsMessage = records::decode(&v)?;
            if accounts.contains(&message.account) {
                out.entry(message.account).or_default().push(message);
            }
        }
        Ok(out)
    }

    /// Whether a deletion has erased data whose bytes may still be in the
    /// database's files.
    pub fn erasure_pending(&self) -> Result<bool, StoreError> {
        Ok(self.read(TreeId::Meta, ERASURE_PENDING)?.is_some())
    }
}

/// What a compaction did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compacted {
    pub path: PathBuf,
    /// Keys copied.
    pub entries: u64,
    pub bytes_before: u64,
    pub bytes_after: u64,
}

/// Rebuilds the database at `dir` from what it holds now, so that nothing
/// erased or overwritten is left in its files. The database must not be
/// open elsewhere (sled's lock refuses it otherwise). The copy is built
/// and checked beside `dir` and swapped in with two renames; a
/// compaction cut short leaves either the old database or the new one at
/// `dir`, and the next compaction finishes the swap.
pub fn compact(dir: &Path) -> Result<Compacted, BackupError> {
    let old = sibling(dir, "before-compact");
    let file = sibling(dir, "compact.backup");
    let built = sibling(dir, "compacted");
    // A compaction cut short between its renames left the database aside.
    if !dir.exists() && old.exists() {
        rename(&old, dir)?;
    }
    for leftover in [&built, &old] {
        if leftover.exists() {
            std::fs::remove_dir_all(leftover).map_err(io("remove the unfinished compaction", leftover))?;
        }
    }
    if file.exists() {
        std::fs::remove_file(&file).map_err(io("remove the unfinished compaction", &file))?;
    }
    let bytes_before = dir_bytes(dir);
    {
        let store = Store::open(dir, OpenMode::Existing)?;
        store.backup(&file)?;
    }
    let restored = Store::restore(&file, &built);
    let _ = std::fs::remove_file(&file);
    let restored = restored?;
    {
        let store = Store::open(&built, OpenMode::Existing)?;
        store.tree(TreeId::Meta).remove(ERASURE_PENDING).map_err(|e| store.io_error(e))?;
        store.flush()?;
    }
    rename(dir, &old)?;
    rename(&built, dir)?;
    std::fs::remove_dir_all(&old).map_err(io("remove the database as it was before compaction", &old))?;
    Ok(Compacted { path: dir.to_owned(), entries: restored.entries, bytes_before, bytes_after: dir_bytes(dir) })
}

fn sibling(dir: &Path, what: &str) -> PathBuf {
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "db".into());
    dir.with_file_name(format!(".{name}.{what}"))
}

fn rename(from: &Path, to: &Path) -> Result<(), BackupError> {
    std::fs::rename(from, to).map_err(io("move the database to", to))?;
    if let Some(parent) = to.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::File::open(parent).and_then(|d| d.sync_all()).map_err(io("sync", parent))?;
    }
    Ok(())
}

/// The bytes of the files directly in `dir` and one level down.
fn dir_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    entries
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_bytes(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}
