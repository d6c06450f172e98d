//! Reads: by key, or through an index, never by scanning a record tree.
//!
//! Each method knows one index's key layout. Results are bounded by a
//! limit so a page costs the same with 20 rows in the tree or 20 million.

use chrono::{DateTime, Utc};

use super::encoded::EncodedAccount;
use super::keys::{Key, SEP, prefix_end, read_u64, trailing_u64, u64_key};
use super::records::{self, Record, TicketSummary, TreeId, assignee_key, queue_key};
use super::{Store, StoreError};
use crate::domain::account::{Account, AccountId};
use crate::domain::audit::AuditEntry;
use crate::domain::hours::BankHolidays;
use crate::domain::mailbox::{Mailbox, MailboxId};
use crate::domain::operator::Operator;
use crate::domain::organisation::Organisation;
use crate::domain::policy::Policy;
use crate::domain::routing::{Category, Queue};
use crate::domain::sms::SmsMessage;
use crate::domain::ticket::{Ticket, TicketRef, TicketStatus};
use crate::domain::validate::{Email, Mobile, OdsCode};

/// Keys and values read from an index.
type Rows = Vec<(sled::IVec, sled::IVec)>;

/// One row of a queue page, read from the index alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueSlot {
    pub reference: TicketRef,
    pub due_at: DateTime<Utc>,
    pub status: TicketStatus,
    /// `None` for an index entry older than the category byte.
    pub category: Option<Category>,
}

impl Store {
    pub fn get<R: Record>(&self, key: &[u8]) -> Result<Option<R>, StoreError> {
        match self.read(R::TREE, key)? {
            Some(bytes) => Ok(Some(records::decode(&bytes)?)),
            None => Ok(None),
        }
    }

    /// Keys of `tree` starting with `prefix`, after `after` (exclusive), at most `limit`.
    pub(super) fn keys_with_prefix(
        &self,
        tree: TreeId,
        prefix: &[u8],
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Rows, StoreError> {
        let start = match after {
            Some(a) => std::ops::Bound::Excluded(a.to_vec()),
            None => std::ops::Bound::Included(prefix.to_vec()),
        };
        let end = match prefix_end(prefix) {
            Some(e) => std::ops::Bound::Excluded(e),
            None => std::ops::Bound::Unbounded,
        };
        self.scan(tree, (start, end), limit, false)
    }

    fn ids_with_prefix(&self, tree: TreeId, prefix: &[u8], limit: usize) -> Result<Vec<u64>, StoreError> {
        Ok(self.keys_with_prefix(tree, prefix, None, limit)?.iter().filter_map(|(k, _)| trailing_u64(k)).collect())
    }

    /// Accounts from covering index entries: each value is the encoded
    /// account (after `skip` bytes of id), so no record is read.
    fn covered_accounts(&self, rows: Rows, skip: usize) -> Result<Vec<Account>, StoreError> {
        decoded(self.covered_encoded(rows, skip)?)
    }

    /// [`Store::covered_accounts`], left encoded. An entry without an
    /// account (never, once the layout is current) falls back to the
    /// record, by the id in its value or at the end of its key.
    fn covered_encoded(&self, rows: Rows, skip: usize) -> Result<Vec<EncodedAccount>, StoreError> {
        let mut out = Vec::with_capacity(rows.len());
        for (key, value) in rows {
            let id = if skip == 8 { read_u64(&value, 0) } else { trailing_u64(&key) };
            let Some(id) = id else { continue };
            match value.len().checked_sub(skip).filter(|len| *len > 0) {
                // The stored value itself, shared rather than copied.
                Some(len) => out.push(EncodedAccount::new(id, value.subslice(skip, len))),
                None => out.extend(self.encoded_account(id)?),
            }
        }
        Ok(out)
    }

    /// An account's record, left encoded.
    pub fn encoded_account(&self, id: AccountId) -> Result<Option<EncodedAccount>, StoreError> {
        Ok(self.read(Account::TREE, &u64_key(id))?.map(|bytes| EncodedAccount::new(id, bytes)))
    }

    /// The account a unique covering entry holds.
    fn covered_account(&self, tree: TreeId, key: &[u8]) -> Result<Option<Account>, StoreError> {
        match self.read(tree, key)? {
            Some(value) => Ok(self.covered_accounts(vec![(sled::IVec::from(key), value)], 8)?.pop()),
            None => Ok(None),
        }
    }

    fn load_all<R: Record>(&self, ids: &[u64]) -> Result<Vec<R>, StoreError> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(r) = self.get::<R>(&u64_key(*id))? {
                out.push(r);
            }
        }
        Ok(out)
    }

    // Organisations

    pub fn organisation(&self, ods: &OdsCode) -> Result<Option<Organisation>, StoreError> {
        self.get(ods.as_str().as_bytes())
    }

    /// Organisations whose folded name starts with `prefix`.
    pub fn organisations_named(&self, prefix: &str, limit: usize) -> Result<Vec<Organisation>, StoreError> {
        let rows = self.keys_with_prefix(TreeId::OrgsByName, &Key::new().text_prefix(prefix).build(), None, limit)?;
        let mut out = Vec::new();
        for (key, _) in rows {
            let ods = key.rsplit(|b| *b == SEP).nth(1).unwrap_or_default();
            if let Some(org) = self.get::<Organisation>(ods)? {
                out.push(org);
            }
        }
        Ok(out)
    }

    /// ODS codes of organisations with a word of their name starting with
    /// `word` (folded), at most `limit`.
    pub fn orgs_with_word(&self, word: &str, limit: usize) -> Result<Vec<OdsCode>, StoreError> {
        let prefix = Key::new().text_prefix(word).build();
        let mut out: Vec<OdsCode> = Vec::new();
        for (key, _) in self.keys_with_prefix(TreeId::OrgsByWord, &prefix, None, limit)? {
            let ods = key.rsplit(|b| *b == SEP).nth(1).unwrap_or_default();
            if let Ok(ods) = OdsCode::parse(&String::from_utf8_lossy(ods)) {
                if !out.contains(&ods) {
                    out.push(ods);
                }
            }
        }
        Ok(out)
    }

    // Accounts

    pub fn account(&self, id: AccountId) -> Result<Option<Account>, StoreError> {
        self.get(&u64_key(id))
    }

    fn id_at(&self, tree: TreeId, key: &[u8]) -> Result<Option<u64>, StoreError> {
        Ok(self.read(tree, key)?.and_then(|v| read_u64(&v, 0)))
    }

    pub fn account_by_address(&self, address: &str) -> Result<Option<Account>, StoreError> {
        self.covered_account(TreeId::AccountsByAddress, address.as_bytes())
    }

    pub fn account_by_mobile(&self, mobile: &Mobile) -> Result<Option<Account>, StoreError> {
        self.covered_account(TreeId::AccountsByMobile, mobile.as_str().as_bytes())
    }

    /// Accounts whose mobile starts with the given digits (national form).
    pub fn accounts_by_mobile_prefix(&self, digits: &str, limit: usize) -> Result<Vec<Account>, StoreError> {
        let rows = self.keys_with_prefix(TreeId::AccountsByMobile, digits.as_bytes(), None, limit)?;
        self.covered_accounts(rows, 8)
    }

    /// Accounts whose address starts with `prefix` (tombstones included).
    pub fn accounts_by_address_prefix(&self, prefix: &str, limit: usize) -> Result<Vec<Account>, StoreError> {
        let rows = self.keys_with_prefix(TreeId::AccountsByAddress, prefix.as_bytes(), None, limit)?;
        self.covered_accounts(rows, 8)
    }

    /// Accounts by folded surname prefix, then forename prefix.
    pub fn accounts_by_name(&self, last: &str, first: Option<&str>, limit: usize) -> Result<Vec<Account>, StoreError> {
        decoded(self.encoded_accounts_by_name(last, first, limit)?)
    }

    /// [`Store::accounts_by_name`], left encoded.
    pub fn encoded_accounts_by_name(
        &self,
        last: &str,
        first: Option<&str>,
        limit: usize,
    ) -> Result<Vec<EncodedAccount>, StoreError> {
        let prefix = match first {
            Some(first) => Key::new().text(last).text_prefix(first).build(),
            None => Key::new().text_prefix(last).build(),
        };
        self.covered_encoded(self.keys_with_prefix(TreeId::AccountsByName, &prefix, None, limit)?, 0)
    }

    /// Ids of accounts with a word of their name equal to (`exact`) or
    /// starting with `word` (folded), at most `limit`, in word order.
    pub fn account_ids_with_word(&self, word: &str, exact: bool, limit: usize) -> Result<Vec<AccountId>, StoreError> {
        self.ids_with_prefix(TreeId::AccountsByWord, &word_prefix(word, exact), limit)
    }

    pub fn accounts_in_org(&self, ods: &OdsCode, limit: usize) -> Result<Vec<Account>, StoreError> {
        decoded(self.encoded_accounts_in_org(ods, limit)?)
    }

    /// [`Store::accounts_in_org`], left encoded.
    pub fn encoded_accounts_in_org(&self, ods: &OdsCode, limit: usize) -> Result<Vec<EncodedAccount>, StoreError> {
        let rows = self.keys_with_prefix(TreeId::AccountsByOrg, &Key::new().text(ods.as_str()).build(), None, limit)?;
        self.covered_encoded(rows, 0)
    }

    /// Accounts in `ods` whose folded surname and forename are exactly these.
    pub fn accounts_named_in_org(
        &self,
        ods: &OdsCode,
        last: &str,
        first: &str,
        limit: usize,
    ) -> Result<Vec<Account>, StoreError> {
        let prefix = Key::new().text(ods.as_str()).text(last).text(first).build();
        let ids = self.ids_with_prefix(TreeId::AccountsByOrgName, &prefix, limit)?;
        self.load_all(&ids)
    }

    pub fn accounts_with_email(&self, email: &Email, limit: usize) -> Result<Vec<Account>, StoreError> {
        let ids = self.ids_with_prefix(TreeId::AccountsByEmail, &Key::new().text(email.as_str()).build(), limit)?;
        self.load_all(&ids)
    }

    /// Whether an address is held by an account (deleted ones included: an
    /// address is never reissued) or a shared mailbox.
    pub fn address_taken(&self, address: &str) -> Result<bool, StoreError> {
        for tree in [TreeId::AccountsByAddress, TreeId::MailboxesByAddress] {
            if self.read(tree, address.as_bytes())?.is_some() {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The number of the first candidate address for `stem` that may be
    /// free: every one below it was given out (see
    /// [`Change::address_given`]). 0 where none was noted, as in a database
    /// from before the note was kept.
    pub fn address_floor(&self, stem: &str) -> Result<u32, StoreError> {
        let noted = self.read(TreeId::Meta, &address_floor_key(stem))?;
        Ok(noted.and_then(|v| <[u8; 4]>::try_from(v.as_ref()).ok()).map_or(0, u32::from_be_bytes))
    }

    /// Accounts whose next lifecycle transition falls due by `now`, oldest first.
    pub fn accounts_due(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<AccountId>, StoreError> {
        let end = Key::new().instant(now).u64(u64::MAX).build();
        let rows = self.scan(
            TreeId::AccountsByDue,
            (std::ops::Bound::Unbounded, std::ops::Bound::Included(end)),
            limit,
            false,
        )?;
        Ok(rows.iter().map(|(k, _)| trailing_u64(k).unwrap_or(0)).collect())
    }

    // Shared mailboxes

    pub fn mailbox(&self, id: MailboxId) -> Result<Option<Mailbox>, StoreError> {
        self.get(&u64_key(id))
    }

    pub fn mailbox_by_address(&self, address: &str) -> Result<Option<Mailbox>, StoreError> {
        match self.id_at(TreeId::MailboxesByAddress, address.as_bytes())? {
            Some(id) => self.mailbox(id),
            None => Ok(None),
        }
    }

    pub fn mailboxes_by_address_prefix(&self, prefix: &str, limit: usize) -> Result<Vec<Mailbox>, StoreError> {
        let rows = self.keys_with_prefix(TreeId::MailboxesByAddress, prefix.as_bytes(), None, limit)?;
        let ids: Vec<u64> = rows.iter().filter_map(|(_, v)| read_u64(v, 0)).collect();
        self.load_all(&ids)
    }

    pub fn mailboxes_named(&self, prefix: &str, limit: usize) -> Result<Vec<Mailbox>, StoreError> {
        let ids = self.ids_with_prefix(TreeId::MailboxesByName, &Key::new().text_prefix(prefix).build(), limit)?;
        self.load_all(&ids)
    }

    /// Ids of mailboxes with a word of their display name equal to
    /// (`exact`) or starting with `word` (folded), at most `limit`.
    pub fn mailbox_ids_with_word(&self, word: &str, exact: bool, limit: usize) -> Result<Vec<MailboxId>, StoreError> {
        self.ids_with_prefix(TreeId::MailboxesByWord, &word_prefix(word, exact), limit)
    }

    pub fn mailboxes_in_org(&self, ods: &OdsCode, limit: usize) -> Result<Vec<Mailbox>, StoreError> {
        let ids = self.ids_with_prefix(TreeId::MailboxesByOrg, &Key::new().text(ods.as_str()).build(), limit)?;
        self.load_all(&ids)
    }

    pub fn mailboxes_owned_by(&self, account: AccountId) -> Result<Vec<Mailbox>, StoreError> {
        let ids = self.ids_with_prefix(TreeId::MailboxesByOwner, &u64_key(account), usize::MAX)?;
        self.load_all(&ids)
    }

    pub fn is_member(&self, mailbox: MailboxId, account: AccountId) -> Result<bool, StoreError> {
        let key = Key::new().u64(mailbox).u64(account).build();
        Ok(self.read(TreeId::Members, &key)?.is_some())
    }

    /// Member account ids of a mailbox, after `after`, at most `limit`.
    pub fn member_ids(
        &self,
        mailbox: MailboxId,
        after: Option<AccountId>,
        limit: usize,
    ) -> Result<Vec<AccountId>, StoreError> {
        let prefix = u64_key(mailbox);
        let after_key = after.map(|a| Key::new().u64(mailbox).u64(a).build());
        let rows = self.keys_with_prefix(TreeId::Members, &prefix, after_key.as_deref(), limit)?;
        Ok(rows.iter().filter_map(|(k, _)| trailing_u64(k)).collect())
    }

    /// Mailboxes an account is a member of.
    pub fn memberships(&self, account: AccountId) -> Result<Vec<Mailbox>, StoreError> {
        let ids = self.ids_with_prefix(TreeId::MemberOf, &u64_key(account), usize::MAX)?;
        self.load_all(&ids)
    }

    // Tickets

    pub fn ticket(&self, reference: TicketRef) -> Result<Option<Ticket>, StoreError> {
        self.get(&u64_key(reference.0))
    }

    /// A page of a queue in due order, from the index alone. `after` is the
    /// last slot of the previous page.
    pub fn queue_page(
        &self,
        queue: Queue,
        open: bool,
        after: Option<&QueueSlot>,
        limit: usize,
    ) -> Result<Vec<QueueSlot>, StoreError> {
        let prefix = Key::new().u8(queue.code()).u8(u8::from(!open)).build();
        let after_key = after.map(|s| queue_key(queue.code(), open, s.due_at, s.reference.0));
        let rows = self.keys_with_prefix(TreeId::TicketsByQueue, &prefix, after_key.as_deref(), limit)?;
        Ok(rows.iter().filter_map(|(k, v)| slot_from(k, 2, v)).collect())
    }

    /// A page of a queue in due order as rows, from the queue index alone:
    /// its values carry each ticket's row. `after` is the last slot of the
    /// previous page.
    pub fn queue_rows(
        &self,
        queue: Queue,
        open: bool,
        after: Option<&QueueSlot>,
        limit: usize,
    ) -> Result<Vec<TicketSummary>, StoreError> {
        let prefix = Key::new().u8(queue.code()).u8(u8::from(!open)).build();
        let after_key = after.map(|s| queue_key(queue.code(), open, s.due_at, s.reference.0));
        let rows = self.keys_with_prefix(TreeId::TicketsByQueue, &prefix, after_key.as_deref(), limit)?;
        let mut out = Vec::with_capacity(rows.len());
        for (key, value) in rows {
            match value.get(2..).filter(|v| !v.is_empty()) {
                Some(row) => out.push(TicketSummary::decode(row)?),
                None => out.extend(trailing_u64(&key).map(|n| self.ticket_row(TicketRef(n))).transpose()?.flatten()),
            }
        }
        Ok(out)
    }

    /// A ticket's row, without its body or timeline.
    pub fn ticket_row(&self, reference: TicketRef) -> Result<Option<TicketSummary>, StoreError> {
        match self.read(TreeId::TicketsRows, &u64_key(reference.0))? {
            Some(bytes) => Ok(Some(TicketSummary::decode(&bytes)?)),
            // Only before the layout that added the rows has been built.
            None => Ok(self.ticket(reference)?.map(|t| TicketSummary::of(&t))),
        }
    }

    /// An operator's tickets in due order.
    pub fn assigned_page(
        &self,
        operator: &str,
        open: bool,
        after: Option<&QueueSlot>,
        limit: usize,
    ) -> Result<Vec<TicketRef>, StoreError> {
        let prefix = Key::new().text(operator).u8(u8::from(!open)).build();
        let after_key = after.map(|s| assignee_key(operator, open, s.due_at, s.reference.0));
        let rows = self.keys_with_prefix(TreeId::TicketsByAssignee, &prefix, after_key.as_deref(), limit)?;
        Ok(rows.iter().filter_map(|(k, _)| trailing_u64(k).map(TicketRef)).collect())
    }

    /// Every (due, reference) of an operator's tickets on one side (open or
    /// done), in due order, from the index alone.
    pub fn assigned_slots(&self, operator: &str, open: bool) -> Result<Vec<(DateTime<Utc>, TicketRef)>, StoreError> {
        let prefix = Key::new().text(operator).u8(u8::from(!open)).build();
        let rows = self.keys_with_prefix(TreeId::TicketsByAssignee, &prefix, None, usize::MAX)?;
        Ok(rows
            .iter()
            .filter_map(|(k, _)| {
                let due = super::keys::instant_from_bits(read_u64(k, k.len().checked_sub(16)?)?)?;
                Some((due, TicketRef(trailing_u64(k)?)))
            })
            .collect())
    }

    pub fn tickets_for_org(&self, ods: &OdsCode, limit: usize) -> Result<Vec<TicketRef>, StoreError> {
        let ids = self.ids_with_prefix(TreeId::TicketsByOrg, &Key::new().text(ods.as_str()).build(), limit)?;
        Ok(ids.into_iter().map(TicketRef).collect())
    }

    pub fn tickets_for_account(&self, account: AccountId, limit: usize) -> Result<Vec<TicketRef>, StoreError> {
        Ok(self
            .ids_with_prefix(TreeId::TicketsByAccount, &u64_key(account), limit)?
            .into_iter()
            .map(TicketRef)
            .collect())
    }

    pub fn tickets_for_mailbox(&self, mailbox: MailboxId, limit: usize) -> Result<Vec<TicketRef>, StoreError> {
        Ok(self
            .ids_with_prefix(TreeId::TicketsByMailbox, &u64_key(mailbox), limit)?
            .into_iter()
            .map(TicketRef)
            .collect())
    }

    // Operators, settings, logs

    pub fn operator(&self, username: &str) -> Result<Option<Operator>, StoreError> {
        self.get(username.as_bytes())
    }

    pub fn operators(&self) -> Result<Vec<Operator>, StoreError> {
        self.tree(TreeId::Operators)
            .iter()
            .map(|r| {
                let (_, v) = r.map_err(|e| self.io_error(e))?;
                Ok(records::decode(&v)?)
            })
            .collect()
    }

    pub fn policy(&self) -> Result<Option<Policy>, StoreError> {
        self.get(b"policy")
    }

    pub fn calendar(&self) -> Result<Option<BankHolidays>, StoreError> {
        self.get(b"calendar")
    }

    /// The newest `limit` entries of an append-only log, newest first.
    fn newest<R: Record>(&self, before: Option<u64>, limit: usize) -> Result<Vec<R>, StoreError> {
        let end = before.map_or(std::ops::Bound::Unbounded, |b| std::ops::Bound::Excluded(u64_key(b)));
        self.tree(R::TREE)
            .range::<Vec<u8>, _>((std::ops::Bound::Unbounded, end))
            .rev()
            .take(limit)
            .map(|r| {
                let (_, v) = r.map_err(|e| self.io_error(e))?;
                Ok(records::decode(&v)?)
            })
            .collect()
    }

    pub fn audit_newest(&self, before: Option<u64>, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        self.newest(before, limit)
    }

    pub fn outbox_newest(&self, limit: usize) -> Result<Vec<SmsMessage>, StoreError> {
        self.newest(None, limit)
    }

    /// Every audit entry in order, for verification; stops at the first
    /// undecodable entry with its error.
    pub fn audit_walk(&self, mut visit: impl FnMut(AuditEntry) -> bool) -> Result<(), StoreError> {
        for r in self.tree(TreeId::Audit).iter() {
            let (_, v) = r.map_err(|e| self.io_error(e))?;
            if !visit(records::decode(&v)?) {
                break;
            }
        }
        Ok(())
    }

    /// Every audit entry in order, those that cannot be read given as
    /// their number (from the key) and why, so a walk can carry on past
    /// them.
    pub fn audit_walk_all(
        &self,
        mut visit: impl FnMut(Result<AuditEntry, (u64, super::CodecError)>) -> bool,
    ) -> Result<(), StoreError> {
        for r in self.tree(TreeId::Audit).iter() {
            let (k, v) = r.map_err(|e| self.io_error(e))?;
            let read = records::decode(&v).map_err(|e| (read_u64(&k, 0).unwrap_or(0), e));
            if !visit(read) {
                break;
            }
        }
        Ok(())
    }

    /// Records in a tree, for the summary after a demo build. Costs a scan.
    pub fn count(&self, tree: TreeId) -> usize {
        self.tree(tree).len()
    }
}

fn word_prefix(word: &str, exact: bool) -> Vec<u8> {
    if exact { Key::new().text(word).build() } else { Key::new().text_prefix(word).build() }
}

fn slot_from(key: &[u8], offset: usize, value: &[u8]) -> Option<QueueSlot> {
    let due_at = super::keys::instant_from_bits(read_u64(key, offset)?)?;
    let reference = TicketRef(read_u64(key, offset + 8)?);
    let status = TicketStatus::from_code(*value.first()?)?;
    let category = value.get(1).and_then(|c| Category::from_code(*c));
    Some(QueueSlot { reference, due_at, status, category })
}

/// Where the first candidate address of a stem that may be free is noted.
pub(super) fn address_floor_key(stem: &str) -> Vec<u8> {
    [b"address.floor.".as_slice(), stem.as_bytes()].concat()
}

/// Encoded accounts decoded whole, in their order.
fn decoded(encoded: Vec<EncodedAccount>) -> Result<Vec<Account>, StoreError> {
    encoded.iter().map(|e| Ok(e.account()?)).collect()
}
