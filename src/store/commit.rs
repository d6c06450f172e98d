//! Writing a command's change: the records, their index entries and the
//! audit entry, in one transaction, flushed before the caller hears of it
//! (a bulk load on the same thread flushes once, before it reports).
//!
//! A change is built outside the transaction from what the command read.
//! Each record write names the revision it was based on; inside the
//! transaction the store checks that revision is still current, so an edit
//! made by someone else in between is refused as a conflict rather than
//! silently overwritten. Unique indexes (address, mobile) are checked in the
//! same transaction, so two operators cannot both take one mobile number.
//! sled may run the closure more than once; it only reads and writes through
//! the transaction, so a rerun is harmless.
//!
//! The audit entry commits to what the change left: a digest of every key
//! it wrote in the trees whose state is audited, and of the value it left
//! there (see [`StateDigest`]), so `audit --verify` can hold the store to it.

use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionError, TransactionalTree};

use super::Store;
use super::StoreError;
use super::batch::{InTransaction, Writes};
use super::codec::CodecError;
use super::keys::u64_key;
use super::records::{self, IndexEntry, Record, TreeId};
use crate::domain::audit::{AuditDraft, AuditEntry, GENESIS_HASH, StateDigest};
use crate::domain::erasure::{Personal, SALT_LEN, Seal};

const AUDIT_HEAD: &[u8] = b"audit.head";

/// Reads the revision and last writer out of a stored record.
type RevReader = fn(&[u8]) -> Result<(u64, String), CodecError>;

enum Op {
    Put {
        tree: TreeId,
        key: Vec<u8>,
        value: Vec<u8>,
        what: &'static str,
        label: String,
        /// The revision the change was built on; `None` for a new record.
        based_on: Option<u64>,
        /// Who wrote that revision.
        based_on_by: String,
        current_rev: RevReader,
        remove: Vec<(TreeId, Vec<u8>)>,
        add: Vec<IndexEntry>,
        /// Counters the write moves, and by how much (see `shift.rs`).
        tallies: Vec<(Vec<u8>, i64)>,
    },
    /// A key whose presence is the fact (memberships), or a setting.
    Raw { tree: TreeId, key: Vec<u8>, value: Option<Vec<u8>> },
    /// A record the change affects without rewriting it (the account a
    /// membership is about): named in the change's event, not written.
    Mention { what: &'static str, label: String },
    /// An audit entry whose texts the change erases.
    Erase { seq: u64 },
}

/// Everything one command writes, apart from its audit entry.
#[derive(Default)]
pub struct Change {
    ops: Vec<Op>,
    /// The accounts the change concerns (see [`Record::persons`]): its
    /// audit entry is sealed and indexed under each.
    persons: Vec<u64>,
    /// The tickets whose records it writes: its entry is indexed under each.
    tickets: Vec<u64>,
}

fn current_rev<R: Record>(bytes: &[u8]) -> Result<(u64, String), CodecError> {
    let record: R = records::decode(bytes)?;
    Ok(record.meta().map_or((0, String::new()), |m| (m.rev, m.changed_by.clone())))
}

impl Change {
    pub fn new() -> Change {
        Change::default()
    }

    /// Writes `new` in place of `old` (which the command read), moving the
    /// index entries that changed.
    pub fn put<R: Record>(&mut self, old: Option<&R>, new: &R) -> Result<(), CodecError> {
        let old_entries = old.map(Record::indexes).unwrap_or_default();
        let new_entries = new.indexes();
        let remove = old_entries
            .iter()
            .filter(|e| !new_entries.iter().any(|n| n.tree == e.tree && n.key == e.key))
            .map(|e| (e.tree, e.key.clone()))
            .collect();
        let same_record = old.is_some_and(|o| o.key() == new.key());
        let add = new_entries
            .into_iter()
            .filter(|n| !old_entries.contains(n))
            .map(|mut n| {
                // A unique key the record already held is its own: only its
                // covered value changes, and there is no holder to look up.
                if same_record && old_entries.iter().any(|o| o.tree == n.tree && o.key == n.key) {
                    n.unique = None;
                }
                n
            })
            .collect();
        let tallies = super::shift::tally_moves(old.map(Record::tallies).unwrap_or_default(), new.tallies());
        self.concerns(old.map(Record::persons).unwrap_or_default().into_iter().chain(new.persons()));
        self.about_ticket(new.ticket());
        self.ops.push(Op::Put {
            tree: R::TREE,
            key: new.key(),
            value: records::encode(new)?,
            what: R::WHAT,
            label: new.label(),
            based_on: old.and_then(|o| o.meta()).map(|m| m.rev),
            based_on_by: old.and_then(|o| o.meta()).map(|m| m.changed_by.clone()).unwrap_or_default(),
            current_rev: current_rev::<R>,
            remove,
            add,
            tallies,
        });
        Ok(())
    }

    /// Notes accounts whose data the change's audit entry may hold though
    /// it writes no record of theirs.
    pub fn concerns(&mut self, persons: impl IntoIterator<Item = u64>) {
        for person in persons {
            if !self.persons.contains(&person) {
                self.persons.push(person);
            }
        }
    }

    fn about_ticket(&mut self, ticket: Option<u64>) {
        if let Some(t) = ticket.filter(|t| !self.tickets.contains(t)) {
            self.tickets.push(t);
        }
    }

    /// Erases the texts of audit entry `seq` (sealed, and concerning an
    /// account being deleted), keeping its hash; the change's own entry
    /// lists it. An entry already erased is left as it is.
    pub fn erase_entry(&mut self, seq: u64) {
        self.ops.push(Op::Erase { seq });
    }

    /// Marks the database for compaction: the change erases personal data
    /// whose old bytes sled keeps in its files until then.
    pub fn erases_personal_data(&mut self) {
        self.ops.push(Op::Raw {
            tree: TreeId::Meta,
            key: super::erasure::ERASURE_PENDING.to_vec(),
            value: Some(Vec::new()),
        });
    }

    /// Notes that the candidate addresses of `stem` below `floor` are all
    /// given out, so the next account of that name starts looking there
    /// instead of at every namesake. Only a hint: [`Store::address_taken`]
    /// still decides, so a lost or old note costs time, never an address.
    pub fn address_given(&mut self, stem: &str, floor: u32) {
        self.ops.push(Op::Raw {
            tree: TreeId::Meta,
            key: super::lookup::address_floor_key(stem),
            value: Some(floor.to_be_bytes().to_vec()),
        });
    }

    /// Removes a record and every index entry it has.
    pub fn delete<R: Record>(&mut self, record: &R) {
        for entry in record.indexes() {
            self.ops.push(Op::Raw { tree: entry.tree, key: entry.key, value: None });
        }
        self.remove(record);
    }

    /// Removes a key the service has no record of at hand (a piece of a
    /// raw message), without naming it in the change's event.
    pub(super) fn remove_key(&mut self, tree: TreeId, key: Vec<u8>) {
        self.ops.push(Op::Raw { tree, key, value: None });
    }

    /// Stores an append-only record (an outbox message) or a setting.
    pub fn set<R: Record>(&mut self, record: &R) -> Result<(), CodecError> {
        self.concerns(record.persons());
        self.about_ticket(record.ticket());
        self.ops.push(Op::Raw { tree: R::TREE, key: record.key(), value: Some(records::encode(record)?) });
        Ok(())
    }

    pub fn add_member(&mut self, mailbox: u64, account: u64) {
        for (tree, key) in records::membership_keys(mailbox, account) {
            self.ops.push(Op::Raw { tree, key, value: Some(Vec::new()) });
        }
    }

    /// Removes a record that owns no index entries (a text module, a saved
    /// view): its key goes, and the change's event names it.
    pub fn remove<R: Record>(&mut self, record: &R) {
        self.ops.push(Op::Raw { tree: R::TREE, key: record.key(), value: None });
        self.ops.push(Op::Mention { what: R::WHAT, label: record.label() });
    }

    /// Names a record the change affects without writing it.
    pub fn mention(&mut self, what: &'static str, label: impl Into<String>) {
        self.ops.push(Op::Mention { what, label: label.into() });
    }

    pub fn remove_member(&mut self, mailbox: u64, account: u64) {
        for (tree, key) in records::membership_keys(mailbox, account) {
            self.ops.push(Op::Raw { tree, key, value: None });
        }
    }

    /// Every record the change writes, as (kind, label).
    pub fn touched(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.ops.iter().filter_map(|op| match op {
            Op::Put { what, label, .. } | Op::Mention { what, label } => Some((*what, label.as_str())),
            Op::Raw { .. } | Op::Erase { .. } => None,
        })
    }

    /// The first record of kind `what` the change writes: the one a command
    /// acts on.
    pub fn first_put(&self, what: &str) -> Option<ReadRecord<'_>> {
        self.ops.iter().find_map(|op| match op {
            Op::Put { what: w, label, based_on, based_on_by, .. } if *w == what => {
                Some(ReadRecord { label, rev: *based_on, changed_by: based_on_by })
            }
            _ => None,
        })
    }

    fn trees(&self) -> Vec<TreeId> {
        let mut used =
            vec![TreeId::Meta, TreeId::Audit, TreeId::AuditByBatch, TreeId::AuditByPerson, TreeId::AuditByTicket];
        for op in &self.ops {
            match op {
                Op::Put { tree, remove, add, tallies, .. } => {
                    if !tallies.is_empty() {
                        used.push(TreeId::TicketTallies);
                    }
                    used.push(*tree);
                    used.extend(remove.iter().map(|(t, _)| *t));
                    used.extend(add.iter().map(|e| e.tree));
                }
                Op::Raw { tree, .. } => used.push(*tree),
                Op::Mention { .. } | Op::Erase { .. } => {}
            }
        }
        used.sort();
        used.dedup();
        used
    }
}

/// A record as the change read it.
pub struct ReadRecord<'a> {
    pub label: &'a str,
    /// `None` when the change creates it.
    pub rev: Option<u64>,
    pub changed_by: &'a str,
}

/// Why a transaction gave up.
enum Abort {
    Conflict { what: &'static str, label: String, changed_by: String },
    Exists { what: &'static str, label: String },
    Unique { what: &'static str, value: String },
    Codec(CodecError),
}

type TxResult<T> = Result<T, ConflictableTransactionError<Abort>>;

fn abort<T>(a: Abort) -> TxResult<T> {
    Err(ConflictableTransactionError::Abort(a))
}

impl Store {
    /// Applies `change` and appends `audit` to the chain, atomically, then
    /// flushes. Returns the audit entry as written.
    pub fn commit(&self, change: &Change, audit: &AuditDraft) -> Result<AuditEntry, StoreError> {
        // Drawn once, outside the transaction, so a rerun seals alike.
        let sealed = !change.persons.is_empty() || !change.tickets.is_empty();
        let salt = if sealed { Some(salt(self)?) } else { None };
        let result = if self.in_batch() {
            self.staged(|staged| apply(staged, change, audit, salt)).map_err(settled)
        } else {
            // A batch still being written under a build lands first.
            self.settle_writes()?;
            let used = change.trees();
            let trees: Vec<&sled::Tree> = used.iter().map(|t| self.tree(*t)).collect();
            trees.as_slice().transaction(|tx: &Vec<TransactionalTree>| {
                apply(&InTransaction { used: &used, tx: tx.as_slice() }, change, audit, salt)
            })
        };
        let entry = result.map_err(|e| match e {
            TransactionError::Abort(Abort::Conflict { what, label, changed_by }) => {
                StoreError::Conflict { what: what.into(), label, changed_by }
            }
            TransactionError::Abort(Abort::Exists { what, label }) => StoreError::Exists { what: what.into(), label },
            TransactionError::Abort(Abort::Unique { what, value }) => StoreError::Taken { what: what.into(), value },
            TransactionError::Abort(Abort::Codec(e)) => StoreError::Codec(e),
            TransactionError::Storage(e) => self.io_error(e),
        })?;
        if !self.in_bulk_load() && !self.in_batch() {
            self.flush()?;
        }
        Ok(entry)
    }

    /// Appends an entry that changes nothing but says what the store holds
    /// (`state`, from [`Store::state_as_found`]), and flushes: how a
    /// salvage records what damage took.
    pub fn record_state(&self, audit: &AuditDraft, state: StateDigest) -> Result<AuditEntry, StoreError> {
        use sled::Transactional;
        let used = [TreeId::Meta, TreeId::Audit, TreeId::AuditByBatch, TreeId::AuditByPerson, TreeId::AuditByTicket];
        let trees: Vec<&sled::Tree> = used.iter().map(|t| self.tree(*t)).collect();
        let entry = trees
            .as_slice()
            .transaction(|tx: &Vec<TransactionalTree>| {
                append(&InTransaction { used: &used, tx: tx.as_slice() }, audit, state.clone(), Personal::default())
            })
            .map_err(|e| match e {
                TransactionError::Abort(Abort::Codec(e)) => StoreError::Codec(e),
                TransactionError::Abort(_) => StoreError::Interrupted,
                TransactionError::Storage(e) => self.io_error(e),
            })?;
        self.flush()?;
        Ok(entry)
    }

    /// Records the gateway's answer for a message already in the outbox.
    /// This is the outbox's own bookkeeping, not an operator's change, so it
    /// writes no audit entry.
    pub fn record_delivery(&self, message: &crate::domain::sms::SmsMessage) -> Result<(), StoreError> {
        let bytes = records::encode(message)?;
        self.tree(TreeId::Outbox).insert(u64_key(message.seq), bytes).map_err(|e| self.io_error(e))?;
        self.flush()
    }

    /// The newest audit entry's number, 0 for an empty log.
    pub fn audit_head(&self) -> Result<u64, StoreError> {
        match self.read(TreeId::Meta, AUDIT_HEAD)? {
            Some(bytes) => Ok(decode_head(&bytes)?.0),
            None => Ok(0),
        }
    }
}

fn encode_head(seq: u64, hash: &str) -> Result<Vec<u8>, CodecError> {
    super::codec::encode("audit head", 1, &(seq, hash))
}

fn decode_head(bytes: &[u8]) -> Result<(u64, String), CodecError> {
    let (_, body) = super::codec::split("audit head", bytes)?;
    super::codec::decode_body("audit head", body)
}

/// Writes `change` and its audit entry through `w`: a transaction, or a
/// command of a batch. sled may run it more than once; it only reads and
/// writes through `w`, so a rerun is harmless.
fn apply(
    w: &impl Writes<Abort>,
    change: &Change,
    audit: &AuditDraft,
    salt: Option<[u8; SALT_LEN]>,
) -> TxResult<AuditEntry> {
    let mut erased = Vec::new();
    // What the change leaves in the store, for the entry to commit to.
    let mut state = StateDigest::default();
    let mut wrote = |tree: TreeId, key: &[u8], value: Option<&[u8]>| {
        if tree.state_is_audited() {
            state.wrote(tree.name(), key, value);
        }
    };
    for op in &change.ops {
        match op {
            Op::Put { tree, key, value, what, label, based_on, current_rev, remove, add, tallies, .. } => {
                let current = w.get(*tree, key)?;
                match (based_on, current) {
                    (None, Some(_)) => return abort(Abort::Exists { what, label: label.clone() }),
                    (Some(_), None) => {
                        return abort(Abort::Conflict {
                            what,
                            label: label.clone(),
                            changed_by: "another operator (it was removed)".into(),
                        });
                    }
                    (Some(rev), Some(bytes)) => {
                        let (now_rev, by) = current_rev(&bytes).or_else(|e| abort(Abort::Codec(e)))?;
                        if now_rev != *rev {
                            return abort(Abort::Conflict { what, label: label.clone(), changed_by: by });
                        }
                    }
                    (None, None) => {}
                }
                for (index, key) in remove {
                    w.remove(*index, key)?;
                    wrote(*index, key, None);
                }
                for entry in add {
                    if let Some(unique) = entry.unique {
                        if let Some(holder) = w.get(entry.tree, &entry.key)? {
                            // A unique entry's value starts with the id of
                            // the record holding it; the rest is what the
                            // entry covers of that record, which changes.
                            if holder.get(..8) != entry.value.get(..8) {
                                return abort(Abort::Unique {
                                    what: unique,
                                    value: String::from_utf8_lossy(&entry.key).into_owned(),
                                });
                            }
                        }
                    }
                    w.insert(entry.tree, &entry.key, &entry.value)?;
                    wrote(entry.tree, &entry.key, Some(&entry.value));
                }
                w.insert(*tree, key, value)?;
                wrote(*tree, key, Some(value));
                for (tally, delta) in tallies {
                    let at = super::shift::tally_key(tally, audit.at);
                    let was = w.get(TreeId::TicketTallies, &at)?;
                    let now = super::shift::read_tally(was.as_deref()) + delta;
                    w.insert(TreeId::TicketTallies, &at, &now.to_be_bytes())?;
                    wrote(TreeId::TicketTallies, &at, Some(&now.to_be_bytes()));
                }
            }
            Op::Raw { tree, key, value: Some(v) } => {
                w.insert(*tree, key, v)?;
                wrote(*tree, key, Some(v));
            }
            Op::Raw { tree, key, value: None } => {
                w.remove(*tree, key)?;
                wrote(*tree, key, None);
            }
            Op::Mention { .. } => {}
            Op::Erase { seq } => {
                let key = u64_key(*seq);
                let Some(bytes) = w.get(TreeId::Audit, &key)? else { continue };
                let mut entry: AuditEntry = records::decode(&bytes).or_else(|e| abort(Abort::Codec(e)))?;
                if entry.erase() {
                    let bytes = records::encode(&entry).or_else(|e| abort(Abort::Codec(e)))?;
                    w.insert(TreeId::Audit, &key, &bytes)?;
                    erased.push(*seq);
                }
            }
        }
    }
    let personal = Personal {
        persons: change.persons.clone(),
        tickets: change.tickets.clone(),
        seal: salt.map(|salt| Seal::Sealed { salt }),
        erases: erased,
    };
    append(w, audit, state, personal)
}

/// A fresh salt for a sealed entry, from the operating system.
fn salt(store: &Store) -> Result<[u8; SALT_LEN], StoreError> {
    let mut salt = [0u8; SALT_LEN];
    getrandom::fill(&mut salt).map_err(|e| {
        store.io_error(sled::Error::Io(std::io::Error::other(format!("no random bytes for an audit seal: {e}"))))
    })?;
    Ok(salt)
}

/// Appends `audit`, saying the store now holds `state`, to the chain.
fn append(w: &impl Writes<Abort>, audit: &AuditDraft, state: StateDigest, personal: Personal) -> TxResult<AuditEntry> {
    let (seq, prev) = match w.get(TreeId::Meta, AUDIT_HEAD)? {
        Some(bytes) => decode_head(&bytes).or_else(|e| abort(Abort::Codec(e)))?,
        None => (0, GENESIS_HASH.to_owned()),
    };
    let entry = AuditEntry::chain_with(seq + 1, audit.clone(), &prev, Some(state), personal);
    let bytes = records::encode(&entry).or_else(|e| abort(Abort::Codec(e)))?;
    w.insert(TreeId::Audit, &u64_key(entry.seq), &bytes)?;
    if let Some(batch) = entry.draft.batch {
        w.insert(TreeId::AuditByBatch, &super::shift::batch_key(batch, entry.seq), &[])?;
    }
    for &person in &entry.personal.persons {
        w.insert(TreeId::AuditByPerson, &super::shift::batch_key(person, entry.seq), &[])?;
    }
    for &ticket in &entry.personal.tickets {
        w.insert(TreeId::AuditByTicket, &super::shift::batch_key(ticket, entry.seq), &[])?;
    }
    let head = encode_head(entry.seq, &entry.hash).or_else(|e| abort(Abort::Codec(e)))?;
    w.insert(TreeId::Meta, AUDIT_HEAD, &head)?;
    Ok(entry)
}

/// A batch command's failure, as a transaction's would be.
fn settled(e: ConflictableTransactionError<Abort>) -> TransactionError<Abort> {
    match e {
        ConflictableTransactionError::Abort(a) => TransactionError::Abort(a),
        ConflictableTransactionError::Storage(e) => TransactionError::Storage(e),
        _ => TransactionError::Storage(sled::Error::ReportableBug("a batch command met a transaction conflict".into())),
    }
}
