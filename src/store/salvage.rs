//! `caredesk check` and `caredesk salvage`: what is wrong with a database,
//! and a new database made of everything in it that can still be read.
//!
//! The check reads every record with the type its tree holds, so a record
//! that no longer decodes is found; works out every index entry the
//! readable records produce and compares them with the index trees, so an
//! entry that points nowhere, one that no longer matches its record (a
//! mobile changed behind the store's back leaves the old number indexed),
//! and one that is missing are all found; checks that membership pairs are
//! mirrored; and walks the whole audit chain, listing every break, not
//! only the first. It only reads: the caller runs it on a copy (sled would
//! otherwise write to the database as it opens it).
//!
//! Salvage writes every readable record into a new database with the
//! index entries it produces (rebuilt, not copied), every readable audit
//! entry, and the counters and settings as they were; everything it could
//! not read is listed as lost.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::records::{self, Record, TreeId};
use super::{OpenMode, Store, StoreError};
use crate::domain::account::Account;
use crate::domain::audit::{AuditDraft, AuditEntry, ChainCheck};
use crate::domain::mail::{MailChunk, MailRecord, StoredAttachment};
use crate::domain::mail_reply::OutgoingMail;
use crate::domain::mailbox::Mailbox;
use crate::domain::operator::Operator;
use crate::domain::organisation::Organisation;
use crate::domain::saved_view::SavedView;
use crate::domain::sms::SmsMessage;
use crate::domain::text_module::TextModule;
use crate::domain::ticket::Ticket;

/// One thing wrong with a database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// A record or entry that cannot be read.
    Undecodable { tree: &'static str, key: String, detail: String },
    /// A record stored under another key than its own.
    Misplaced { tree: &'static str, key: String, own: String },
    /// An index entry no readable record produces: it points nowhere, or
    /// at a record that has changed since.
    Orphan { tree: &'static str, key: String },
    /// An index entry whose value no longer matches the record's.
    Stale { tree: &'static str, key: String },
    /// An entry a record produces that its index lacks.
    Missing { tree: &'static str, key: String, record: String },
    /// A membership entry without its mirror.
    Unmirrored { tree: &'static str, key: String },
    /// A break in the audit chain.
    AuditBreak(String),
    /// A record that says what no audit entry recorded.
    Unaudited { record: String, detail: String },
    /// Keys that do not hold what the audit entries that wrote them left
    /// (see `state.rs`), told together by entry.
    Unlogged(String),
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Finding::Undecodable { tree, key, detail } => write!(f, "{tree} {key}: cannot be read ({detail})"),
            Finding::Misplaced { tree, key, own } => write!(f, "{tree} {key}: holds the record of {own}"),
            Finding::Orphan { tree, key } => {
                write!(
                    f,
                    "{tree} {key}: no record produces this index entry (it points nowhere or at a record that changed)"
                )
            }
            Finding::Stale { tree, key } => write!(f, "{tree} {key}: the index entry does not match its record"),
            Finding::Missing { tree, key, record } => write!(f, "{tree} {key}: missing, though {record} produces it"),
            Finding::Unmirrored { tree, key } => write!(f, "{tree} {key}: the membership has no mirror entry"),
            Finding::AuditBreak(text) => write!(f, "audit: {text}"),
            Finding::Unaudited { record, detail } => write!(f, "{record}: {detail}"),
            Finding::Unlogged(line) => write!(f, "audit state: {line}"),
        }
    }
}

/// What a check found.
#[derive(Debug, Default)]
pub struct CheckReport {
    pub records: u64,
    pub index_entries: u64,
    pub audit_entries: u64,
    pub findings: Vec<Finding>,
}

/// What a salvage copied and what it lost.
#[derive(Debug, Default)]
pub struct SalvageReport {
    pub copied: BTreeMap<&'static str, u64>,
    pub lost: Vec<Finding>,
    /// The audit entry that records what the new database holds where it
    /// differs from its log, if anything does.
    pub recorded: Option<u64>,
}

/// The trees whose entries are only ever produced by records' `indexes`.
const INDEX_TREES: &[TreeId] = &[
    TreeId::OrgsByName,
    TreeId::OrgsByWord,
    TreeId::AccountsByAddress,
    TreeId::AccountsByMobile,
    TreeId::AccountsByName,
    TreeId::AccountsByOrg,
    TreeId::AccountsByOrgName,
    TreeId::AccountsByEmail,
    TreeId::AccountsByDue,
    TreeId::AccountsByWord,
    TreeId::MailboxesByAddress,
    TreeId::MailboxesByName,
    TreeId::MailboxesByOrg,
    TreeId::MailboxesByOwner,
    TreeId::MailboxesByWord,
    TreeId::TicketsByQueue,
    TreeId::TicketsByAssignee,
    TreeId::TicketsByOrg,
    TreeId::TicketsByAccount,
    TreeId::TicketsByMailbox,
    TreeId::TicketsRows,
    TreeId::MailThreads,
    TreeId::MailByTicket,
    TreeId::MailOutboxByTicket,
    TreeId::MailOutboxDue,
    TreeId::MailSentTo,
];

/// Trees copied as they are by a salvage: counters, sequence numbers and
/// the pieces that belong to the audit log.
const RAW_TREES: &[TreeId] =
    &[TreeId::TicketTallies, TreeId::AuditByBatch, TreeId::AuditByPerson, TreeId::AuditByTicket];

/// A key as a person can read it: a number, text, or hex.
fn shown(key: &[u8]) -> String {
    if key.len() == 8 {
        return format!("#{}", u64::from_be_bytes(key.try_into().unwrap_or([0; 8])));
    }
    match std::str::from_utf8(key) {
        Ok(text) if text.chars().all(|c| !c.is_control() || c == '\0') => {
            crate::text::one_line(&text.replace('\0', "/")).into_owned()
        }
        _ => key.iter().map(|b| format!("{b:02x}")).collect(),
    }
}

/// What the audit log's `ticket.note` entries wrote, by ticket.
/// By ticket: the commands of its `ticket.note` entries, or `None` once
/// one of them was erased with the person the ticket was about (its notes
/// were redacted then, and the deletion's state digest holds them).
type AuditedNotes = BTreeMap<String, Option<Vec<String>>>;

const NOTE_ACTION: &str = "ticket.note";

/// The index entries the readable records produce, by tree, with the
/// record that produced each.
type Expected = BTreeMap<TreeId, BTreeMap<Vec<u8>, (Vec<u8>, String)>>;

impl Store {
    /// Reads every record of `R`'s tree: the readable ones are handed to
    /// `keep` with their stored bytes; the others become findings.
    fn each_record<R: Record>(
        &self,
        findings: &mut Vec<Finding>,
        mut keep: impl FnMut(&[u8], &[u8], R),
    ) -> Result<u64, StoreError> {
        let mut n = 0;
        for row in self.tree(R::TREE).iter() {
            let (key, value) = row.map_err(|e| self.io_error(e))?;
            n += 1;
            match records::decode::<R>(&value) {
                Ok(record) if record.key() != key.as_ref() => {
                    findings.push(Finding::Misplaced { tree: R::TREE.name(), key: shown(&key), own: record.label() })
                }
                Ok(record) => keep(&key, &value, record),
                Err(e) => findings.push(Finding::Undecodable {
                    tree: R::TREE.name(),
                    key: shown(&key),
                    detail: e.to_string(),
                }),
            }
        }
        Ok(n)
    }

    /// Reads every record of `R`'s tree and notes the index entries each
    /// readable one produces.
    fn indexed<R: Record>(&self, expected: &mut Expected, findings: &mut Vec<Finding>) -> Result<u64, StoreError> {
        self.each_record::<R>(findings, |_, _, record| {
            let label = format!("{} {}", R::WHAT, record.label());
            for entry in record.indexes() {
                expected.entry(entry.tree).or_default().insert(entry.key, (entry.value, label.clone()));
            }
        })
    }

    /// Every kind of record, read and indexed.
    fn all_records(&self, expected: &mut Expected, findings: &mut Vec<Finding>) -> Result<u64, StoreError> {
        Ok(self.indexed::<Organisation>(expected, findings)?
            + self.indexed::<Account>(expected, findings)?
            + self.indexed::<Mailbox>(expected, findings)?
            + self.indexed::<Ticket>(expected, findings)?
            + self.indexed::<MailRecord>(expected, findings)?
            + self.indexed::<OutgoingMail>(expected, findings)?
            + self.indexed::<Operator>(expected, findings)?
            + self.indexed::<SmsMessage>(expected, findings)?
            + self.indexed::<TextModule>(expected, findings)?
            + self.indexed::<SavedView>(expected, findings)?
            + self.indexed::<MailChunk>(expected, findings)?
            + self.indexed::<StoredAttachment>(expected, findings)?)
    }

    /// Reports what is wrong with this database. It reads only.
    pub fn check(&self) -> Result<CheckReport, StoreError> {
        let mut report = CheckReport::default();
        let mut expected = Expected::new();
        report.records = self.all_records(&mut expected, &mut report.findings)?;
        for tree in INDEX_TREES {
            let mut wanted = expected.remove(tree).unwrap_or_default();
            for row in self.tree(*tree).iter() {
                let (key, value) = row.map_err(|e| self.io_error(e))?;
                report.index_entries += 1;
                match wanted.remove(key.as_ref()) {
                    None => report.findings.push(Finding::Orphan { tree: tree.name(), key: shown(&key) }),
                    Some((want, _)) if want != value.as_ref() => {
                        report.findings.push(Finding::Stale { tree: tree.name(), key: shown(&key) })
                    }
                    Some(_) => {}
                }
            }
            for (key, (_, record)) in wanted {
                report.findings.push(Finding::Missing { tree: tree.name(), key: shown(&key), record });
            }
        }
        self.check_members(&mut report)?;
        let (notes, written) = self.check_audit(&mut report)?;
        let state = self.check_state(written)?;
        report.findings.extend(state.findings().into_iter().map(Finding::Unlogged));
        self.check_notes(&notes, &mut report)?;
        Ok(report)
    }

    fn check_members(&self, report: &mut CheckReport) -> Result<(), StoreError> {
        for (tree, mirror) in [(TreeId::Members, TreeId::MemberOf), (TreeId::MemberOf, TreeId::Members)] {
            for row in self.tree(tree).iter() {
                let (key, _) = row.map_err(|e| self.io_error(e))?;
                report.index_entries += 1;
                let flipped = mirrored(&key);
                let there = match &flipped {
                    Some(k) => self.tree(mirror).contains_key(k).map_err(|e| self.io_error(e))?,
                    None => false,
                };
                if !there {
                    report.findings.push(Finding::Unmirrored { tree: tree.name(), key: shown(&key) });
                }
            }
        }
        Ok(())
    }

    /// Walks the whole chain, reading what it can: every undecodable entry
    /// and every break is listed.
    /// Also gathers what the readable entries say they left in the store.
    fn check_audit(&self, report: &mut CheckReport) -> Result<(AuditedNotes, super::ChainState), StoreError> {
        let mut notes = AuditedNotes::new();
        let mut chain = ChainCheck::default();
        let mut written = super::ChainState::default();
        for row in self.tree(TreeId::Audit).iter() {
            let (key, value) = row.map_err(|e| self.io_error(e))?;
            report.audit_entries += 1;
            match records::decode::<AuditEntry>(&value) {
                Ok(entry) => {
                    if entry.seq.to_be_bytes() != key.as_ref() {
                        report.findings.push(Finding::AuditBreak(format!(
                            "the entry stored as {} says it is entry {}",
                            shown(&key),
                            entry.seq
                        )));
                    }
                    if let Err(e) = chain.next(&entry) {
                        report.findings.push(Finding::AuditBreak(e.to_string()));
                    }
                    written.record(&entry);
                    if entry.draft.action == NOTE_ACTION {
                        let kept = notes.entry(entry.draft.subject.clone()).or_insert_with(|| Some(Vec::new()));
                        match kept {
                            Some(commands) if !entry.personal.is_erased() => commands.push(entry.draft.command.clone()),
                            _ => *kept = None,
                        }
                    }
                }
                Err(e) => {
                    written.unreadable(super::keys::read_u64(&key, 0).unwrap_or(0));
                    report.findings.push(Finding::Undecodable {
                        tree: TreeId::Audit.name(),
                        key: shown(&key),
                        detail: e.to_string(),
                    });
                }
            }
        }
        chain.expect_head(self.audit_head()?);
        report.findings.extend(chain.breaks().iter().map(|b| Finding::AuditBreak(b.to_string())));
        Ok((notes, written))
    }

    /// The log must still hold entry `seq` with `hash`, as an anchor kept
    /// outside the database recorded it: a log cut back with its head
    /// rewritten to match proves itself, and only this catches it.
    pub fn check_anchor(&self, seq: u64, hash: &str) -> Result<Option<Finding>, StoreError> {
        if seq == 0 {
            return Ok(None);
        }
        let stored = self.tree(TreeId::Audit).get(seq.to_be_bytes()).map_err(|e| self.io_error(e))?;
        Ok(match stored.map(|v| records::decode::<AuditEntry>(&v)) {
            None => Some(Finding::AuditBreak(format!(
                "the anchor names entry {seq} but the log has no such entry: entries were removed from the end"
            ))),
            Some(Ok(entry)) if entry.hash == hash => None,
            Some(_) => Some(Finding::AuditBreak(format!(
                "entry {seq} no longer has the hash the anchor recorded: the log was rewritten"
            ))),
        })
    }

    /// Every note on a ticket's timeline must be one a `ticket.note` entry
    /// of that ticket recorded, word for word, and no recorded note may be
    /// missing: no index covers a note's text, but the audit entry that
    /// wrote it carries the text in its command.
    fn check_notes(&self, audited: &AuditedNotes, report: &mut CheckReport) -> Result<(), StoreError> {
        let mut unreadable = Vec::new();
        self.each_record::<Ticket>(&mut unreadable, |_, _, ticket| {
            let label = ticket.reference.to_string();
            let commands = match audited.get(&label) {
                Some(Some(commands)) => commands.as_slice(),
                Some(None) => return,
                None => &[],
            };
            let notes: Vec<&str> = ticket
                .timeline
                .iter()
                .filter(|e| e.kind == crate::domain::ticket::EntryKind::Note)
                .map(|e| e.text.as_str())
                .collect();
            for (i, text) in notes.iter().enumerate() {
                let quoted = serde_json::to_string(text).unwrap_or_default();
                let inner = quoted.get(1..quoted.len().saturating_sub(1)).unwrap_or_default();
                if !commands.iter().any(|c| c.contains(inner)) {
                    report.findings.push(Finding::Unaudited {
                        record: format!("ticket {label}"),
                        detail: format!("note {} is not the text any audit entry recorded: it was changed", i + 1),
                    });
                }
            }
            if commands.len() > notes.len() {
                report.findings.push(Finding::Unaudited {
                    record: format!("ticket {label}"),
                    detail: format!(
                        "the audit log recorded {} notes but the ticket holds {}: notes were removed",
                        commands.len(),
                        notes.len()
                    ),
                });
            }
        })?;
        Ok(())
    }

    /// Copies everything readable of this database into a new one at
    /// `to` (which must not exist, or be empty), rebuilding its indexes,
    /// and says what was lost.
    pub fn salvage(&self, to: &Path, now: chrono::DateTime<chrono::Utc>) -> Result<SalvageReport, SalvageError> {
        if to.exists() && std::fs::read_dir(to).map_err(|e| SalvageError::Io(to.to_owned(), e))?.next().is_some() {
            return Err(SalvageError::NotEmpty(to.to_owned()));
        }
        let new = Store::open(to, OpenMode::CreateIfMissing)?;
        let mut report = SalvageReport::default();
        let mut expected = Expected::new();
        let mut lost = Vec::new();
        self.copy_records::<Organisation>(&new, &mut report, &mut expected, &mut lost)?;
        self.copy_records::<Account>(&new, &mut report, &mut expected, &mut lost)?;
        self.copy_records::<Mailbox>(&new, &mut report, &mut expected, &mut lost)?;
        self.copy_records::<Ticket>(&new, &mut report, &mut expected, &mut lost)?;
        self.copy_records::<MailRecord>(&new, &mut report, &mut expected, &mut lost)?;
        self.copy_records::<OutgoingMail>(&new, &mut report, &mut expected, &mut lost)?;
        self.copy_records::<Operator>(&new, &mut report, &mut expected, &mut lost)?;
        self.copy_records::<SmsMessage>(&new, &mut report, &mut expected, &mut lost)?;
        self.copy_records::<TextModule>(&new, &mut report, &mut expected, &mut lost)?;
        self.copy_records::<SavedView>(&new, &mut report, &mut expected, &mut lost)?;
        self.copy_records::<MailChunk>(&new, &mut report, &mut expected, &mut lost)?;
        self.copy_records::<StoredAttachment>(&new, &mut report, &mut expected, &mut lost)?;
        for (tree, entries) in &expected {
            for (key, (value, _)) in entries {
                new.tree(*tree).insert(key.as_slice(), value.as_slice()).map_err(|e| new.io_error(e))?;
            }
            *report.copied.entry(tree.name()).or_default() += entries.len() as u64;
        }
        self.copy_members(&new, &mut report)?;
        for tree in RAW_TREES.iter().chain([TreeId::Meta].iter()) {
            for row in self.tree(*tree).iter() {
                let (key, value) = row.map_err(|e| self.io_error(e))?;
                new.tree(*tree).insert(key, value).map_err(|e| new.io_error(e))?;
                *report.copied.entry(tree.name()).or_default() += 1;
            }
        }
        for row in self.tree(TreeId::Audit).iter() {
            let (key, value) = row.map_err(|e| self.io_error(e))?;
            match records::decode::<AuditEntry>(&value) {
                Ok(_) => {
                    new.tree(TreeId::Audit).insert(key, value).map_err(|e| new.io_error(e))?;
                    *report.copied.entry(TreeId::Audit.name()).or_default() += 1;
                }
                Err(e) => lost.push(Finding::Undecodable {
                    tree: TreeId::Audit.name(),
                    key: shown(&key),
                    detail: e.to_string(),
                }),
            }
        }
        report.recorded = new.record_salvage(now, &lost)?;
        new.flush()?;
        report.lost = lost;
        Ok(report)
    }

    /// Ends the new database's log with an entry that says what it holds
    /// where that differs from the log (what damage took), so that it
    /// verifies from then on and its log says why. `None` when nothing
    /// differs.
    fn record_salvage(&self, now: chrono::DateTime<chrono::Utc>, lost: &[Finding]) -> Result<Option<u64>, StoreError> {
        let mut chain = super::ChainState::default();
        self.audit_walk_all(|read| {
            match read {
                Ok(entry) => chain.record(&entry),
                Err((seq, _)) => chain.unreadable(seq),
            }
            true
        })?;
        let found = self.state_as_found(chain)?;
        if found.is_empty() {
            return Ok(None);
        }
        let lost: Vec<String> = lost.iter().map(ToString::to_string).collect();
        let draft = AuditDraft {
            at: now,
            recorded_at: now,
            operator: "caredesk salvage".to_owned(),
            action: "database.salvage".to_owned(),
            subject: "the database".to_owned(),
            command: String::new(),
            before: None,
            after: Some(if lost.is_empty() { "nothing lost".to_owned() } else { format!("lost: {}", lost.join("; ")) }),
            batch: None,
        };
        Ok(Some(self.record_state(&draft, found)?.seq))
    }

    fn copy_records<R: Record>(
        &self,
        new: &Store,
        report: &mut SalvageReport,
        expected: &mut Expected,
        lost: &mut Vec<Finding>,
    ) -> Result<(), StoreError> {
        let mut failed = None;
        let mut copied = 0;
        self.each_record::<R>(lost, |key, value, record| {
            if failed.is_some() {
                return;
            }
            let label = format!("{} {}", R::WHAT, record.label());
            for entry in record.indexes() {
                expected.entry(entry.tree).or_default().insert(entry.key, (entry.value, label.clone()));
            }
            match new.tree(R::TREE).insert(key, value) {
                Ok(_) => copied += 1,
                Err(e) => failed = Some(new.io_error(e)),
            }
        })?;
        *report.copied.entry(R::TREE.name()).or_default() += copied;
        failed.map_or(Ok(()), Err)
    }

    /// Memberships whose account and mailbox were both saved, both ways.
    fn copy_members(&self, new: &Store, report: &mut SalvageReport) -> Result<(), StoreError> {
        let mut pairs = BTreeSet::new();
        for row in self.tree(TreeId::Members).iter() {
            let (key, _) = row.map_err(|e| self.io_error(e))?;
            if let (Some(mailbox), Some(account)) = (super::keys::read_u64(&key, 0), super::keys::read_u64(&key, 8)) {
                pairs.insert((mailbox, account));
            }
        }
        for row in self.tree(TreeId::MemberOf).iter() {
            let (key, _) = row.map_err(|e| self.io_error(e))?;
            if let (Some(account), Some(mailbox)) = (super::keys::read_u64(&key, 0), super::keys::read_u64(&key, 8)) {
                pairs.insert((mailbox, account));
            }
        }
        for (mailbox, account) in pairs {
            let both = new.tree(TreeId::Mailboxes).contains_key(mailbox.to_be_bytes()).map_err(|e| new.io_error(e))?
                && new.tree(TreeId::Accounts).contains_key(account.to_be_bytes()).map_err(|e| new.io_error(e))?;
            if both {
                for (tree, key) in records::membership_keys(mailbox, account) {
                    new.tree(tree).insert(key, &[] as &[u8]).map_err(|e| new.io_error(e))?;
                    *report.copied.entry(tree.name()).or_default() += 1;
                }
            }
        }
        Ok(())
    }
}

/// The other half of a membership key: (a, b) becomes (b, a).
fn mirrored(key: &[u8]) -> Option<Vec<u8>> {
    (key.len() == 16).then(|| [&key[8..], &key[..8]].concat())
}

#[derive(Debug, thiserror::Error)]
pub enum SalvageError {
    #[error("{0} already holds files: salvage into a new or empty directory")]
    NotEmpty(PathBuf),
    #[error("could not read {0}: {1}")]
    Io(PathBuf, std::io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Copies the database directory `from` to a new directory `to`, so that
/// opening the copy (which sled may write to) leaves `from` untouched.
pub fn copy_database(from: &Path, to: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new().mode(0o700).create(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        let kind = entry.file_type()?;
        if kind.is_dir() {
            copy_database(&entry.path(), &target)?;
        } else if kind.is_file() {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}
