//! Which tree each record lives in, its key, the index entries it owns, and
//! how older versions of it are read.
//!
//! One tree per mapping and one more per index. An index entry belongs to
//! the record that produced it: when a record changes, the store removes the
//! entries it no longer produces and adds the new ones, so indexes cannot
//! drift from the records they point at.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::codec::{self, CodecError};
use super::keys::{Key, u64_key};
use crate::domain::account::{Account, AccountStatus};
use crate::domain::audit::AuditEntry;
use crate::domain::mailbox::Mailbox;
use crate::domain::operator::Operator;
use crate::domain::organisation::Organisation;
use crate::domain::record::RecordMeta;
use crate::domain::search::{NameField, index_words};
use crate::domain::sms::SmsMessage;
use crate::domain::ticket::Ticket;
use crate::domain::validate::fold_for_search;

macro_rules! trees {
    ($($id:ident = $name:literal,)*) => {
        /// Every tree of the database. The names are on disk: never rename.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum TreeId { $($id,)* }
        impl TreeId {
            pub const ALL: &'static [TreeId] = &[$(TreeId::$id,)*];
            pub fn name(self) -> &'static str {
                match self { $(TreeId::$id => $name,)* }
            }
        }
    };
}

trees! {
    Meta = "meta",
    Orgs = "orgs",
    OrgsByName = "orgs.by_name",
    Accounts = "accounts",
    AccountsByAddress = "accounts.by_address",
    AccountsByMobile = "accounts.by_mobile",
    AccountsByName = "accounts.by_name",
    AccountsByOrg = "accounts.by_org",
    AccountsByOrgName = "accounts.by_org_name",
    AccountsByEmail = "accounts.by_email",
    AccountsByDue = "accounts.by_due",
    Mailboxes = "mailboxes",
    MailboxesByAddress = "mailboxes.by_address",
    MailboxesByName = "mailboxes.by_name",
    MailboxesByOrg = "mailboxes.by_org",
    MailboxesByOwner = "mailboxes.by_owner",
    Members = "members",
    MemberOf = "members.by_account",
    Tickets = "tickets",
    TicketsByQueue = "tickets.by_queue",
    TicketsByAssignee = "tickets.by_assignee",
    TicketsByOrg = "tickets.by_org",
    TicketsByAccount = "tickets.by_account",
    TicketsByMailbox = "tickets.by_mailbox",
    Operators = "operators",
    Audit = "audit",
    Outbox = "outbox",
    // Layout 2: one entry per word of a name, so a search can start from
    // any word of it (a lone first name, a surname particle, a word of an
    // organisation's name).
    OrgsByWord = "orgs.by_word",
    AccountsByWord = "accounts.by_word",
    MailboxesByWord = "mailboxes.by_word",
    Mail = "mail",
    MailThreads = "mail.threads",
    MailByTicket = "mail.by_ticket",
    MailRaw = "mail.raw",
    MailAttachments = "mail.attachments",
    MailOutbox = "mail.outbox",
    MailOutboxDue = "mail.outbox.due",
    MailOutboxByTicket = "mail.outbox.by_ticket",
    MailSentTo = "mail.sent_to",
    AuditByBatch = "audit.by_batch",
    TicketTallies = "tickets.tally",
    Texts = "texts",
    Views = "views",
    // Layout 3: a ticket's row apart from its body and timeline, so a list
    // never reads a whole ticket. (Layout 3 also made the account indexes
    // by address, mobile, name and organisation covering, and the queue
    // index carry the row: same trees, longer values.)
    TicketsRows = "tickets.rows",
    // Layout 3 too (a tree that starts empty): the audit entries that
    // concern each account, by account id then entry number, so deleting
    // the account can erase them.
    AuditByPerson = "audit.by_person",
    // The same for each ticket, by ticket number then entry number.
    AuditByTicket = "audit.by_ticket",
}

impl TreeId {
    /// Whether every write to the tree goes through a commit, so that its
    /// keys and values are held to the audit entries' state digests. The
    /// audit log and its head are the chain itself; the outboxes' delivery
    /// bookkeeping is written without an entry, as it is no operator's
    /// change.
    pub fn state_is_audited(self) -> bool {
        !matches!(
            self,
            TreeId::Meta
                | TreeId::Audit
                | TreeId::AuditByBatch
                | TreeId::AuditByPerson
                | TreeId::AuditByTicket
                | TreeId::Outbox
                | TreeId::MailOutbox
                | TreeId::MailOutboxDue
        )
    }
}

/// One entry a record places in an index tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexEntry {
    pub tree: TreeId,
    pub key: Vec<u8>,
    pub value: Vec<u8>,
    /// For unique indexes: what the key is, for the refusal message.
    pub unique: Option<&'static str>,
}

impl IndexEntry {
    pub(super) fn plain(tree: TreeId, key: Vec<u8>) -> IndexEntry {
        IndexEntry { tree, key, value: Vec::new(), unique: None }
    }
    fn unique(tree: TreeId, key: Vec<u8>, value: Vec<u8>, what: &'static str) -> IndexEntry {
        IndexEntry { tree, key, value, unique: Some(what) }
    }
}

pub trait Record: Serialize + DeserializeOwned + Sized {
    const TREE: TreeId;
    const VERSION: u8;
    const WHAT: &'static str;
    fn key(&self) -> Vec<u8>;
    /// How messages name this record: an address, a reference, a code.
    fn label(&self) -> String;
    fn indexes(&self) -> Vec<IndexEntry> {
        Vec::new()
    }
    fn meta(&self) -> Option<&RecordMeta> {
        None
    }
    /// The accounts whose personal data the record (and so the audit
    /// entry that writes it) may hold, by id: erased when they are deleted.
    fn persons(&self) -> Vec<u64> {
        Vec::new()
    }
    /// The ticket the record belongs to, by number: the entry that writes
    /// it is indexed under the ticket, and erased with the person the
    /// ticket is about.
    fn ticket(&self) -> Option<u64> {
        None
    }
    /// The counters this record adds one to while it is as it is (an open
    /// ticket counts in its queue's depth): a write moves them by the
    /// difference, in the hour it is made (see `shift.rs`).
    fn tallies(&self) -> Vec<Vec<u8>> {
        Vec::new()
    }
    /// The value as stored: the version byte, then the body.
    fn encode_stored(&self) -> Result<Vec<u8>, CodecError> {
        codec::encode(Self::WHAT, Self::VERSION, self)
    }
    /// Reads a body of the current schema version.
    fn decode_current(body: &[u8]) -> Result<Self, CodecError> {
        codec::decode_body(Self::WHAT, body)
    }
    /// Reads a body written under an older schema version.
    fn upgrade(version: u8, _body: &[u8]) -> Result<Self, CodecError> {
        Err(CodecError::Unknown { what: Self::WHAT, found: version })
    }
}

pub fn encode<R: Record>(record: &R) -> Result<Vec<u8>, CodecError> {
    record.encode_stored()
}

pub fn decode<R: Record>(bytes: &[u8]) -> Result<R, CodecError> {
    let (version, body) = codec::split(R::WHAT, bytes)?;
    match version {
        v if v == R::VERSION => R::decode_current(body),
        v if v > R::VERSION => Err(CodecError::Newer { what: R::WHAT, found: v, known: R::VERSION }),
        v => R::upgrade(v, body),
    }
}

impl Record for Organisation {
    const TREE: TreeId = TreeId::Orgs;
    /// 2: the IG standing became a DSPT status instead of a level-2 flag.
    const VERSION: u8 = 2;
    const WHAT: &'static str = "organisation";
    fn key(&self) -> Vec<u8> {
        self.ods.as_str().as_bytes().to_vec()
    }
    fn label(&self) -> String {
        self.ods.to_string()
    }
    fn indexes(&self) -> Vec<IndexEntry> {
        let mut out = vec![IndexEntry::plain(
            TreeId::OrgsByName,
            Key::new().text(&fold_for_search(&self.name)).text(self.ods.as_str()).build(),
        )];
        for word in index_words(&self.name) {
            out.push(IndexEntry::plain(TreeId::OrgsByWord, org_word_key(&word, self.ods.as_str())));
        }
        out
    }
    fn meta(&self) -> Option<&RecordMeta> {
        Some(&self.meta)
    }
    fn upgrade(version: u8, body: &[u8]) -> Result<Self, CodecError> {
        match version {
            1 => Ok(codec::decode_body::<v1::Organisation>(Self::WHAT, body)?.into()),
            found => Err(CodecError::Unknown { what: Self::WHAT, found }),
        }
    }
}

/// Shapes written by earlier releases, kept so their records stay readable.
pub mod v1 {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Serialize};

    use crate::domain::organisation::{Administration, IgStatus};
    use crate::domain::record::RecordMeta;
    use crate::domain::validate::OdsCode;

    /// Schema 1: IG Toolkit level 2 as a yes/no.
    #[derive(Debug, Clone, Serialize, Deserialize)]
    pub struct Organisation {
        pub ods: OdsCode,
        pub name: String,
        pub ig_toolkit_level2: bool,
        pub administered_by: Administration,
        #[serde(with = "crate::domain::time::ts")]
        pub created_at: DateTime<Utc>,
        #[serde(with = "crate::domain::time::ts_opt")]
        pub closed_at: Option<DateTime<Utc>>,
        pub meta: RecordMeta,
    }

    /// Schema 1: the SMS command ran without a time limit.
    #[derive(Debug, Clone, Serialize, Deserialize)]
    pub struct Policy {
        pub targets: crate::domain::routing::ServiceTargets,
        pub sms_command: Option<String>,
    }

    /// Schema 1 of an audit entry: no batch.
    #[derive(Debug, Clone, Serialize, Deserialize)]
    pub struct AuditEntry {
        pub seq: u64,
        pub draft: AuditDraft,
        pub prev_hash: String,
        pub hash: String,
    }

    /// Schema 2 of an audit entry: the entry's serde form before it held
    /// a state digest.
    #[derive(Debug, Clone, Serialize, Deserialize)]
    pub struct AuditEntryV2 {
        pub seq: u64,
        pub draft: crate::domain::audit::AuditDraft,
        pub prev_hash: String,
        pub hash: String,
    }

    impl From<AuditEntryV2> for crate::domain::audit::AuditEntry {
        fn from(old: AuditEntryV2) -> Self {
            let AuditEntryV2 { seq, draft, prev_hash, hash } = old;
            crate::domain::audit::AuditEntry { seq, draft, prev_hash, hash, state: None, personal: Default::default() }
        }
    }

    #[derive(Debug, Clone, Serialize, Deserialize)]
    pub struct AuditDraft {
        #[serde(with = "crate::domain::time::ts")]
        pub at: DateTime<Utc>,
        #[serde(with = "crate::domain::time::ts")]
        pub recorded_at: DateTime<Utc>,
        pub operator: String,
        pub action: String,
        pub subject: String,
        pub command: String,
        pub before: Option<String>,
        pub after: Option<String>,
    }

    impl From<AuditEntry> for crate::domain::audit::AuditEntry {
        fn from(old: AuditEntry) -> Self {
            let d = old.draft;
            crate::domain::audit::AuditEntry {
                seq: old.seq,
                draft: crate::domain::audit::AuditDraft {
                    at: d.at,
                    recorded_at: d.recorded_at,
                    operator: d.operator,
                    action: d.action,
                    subject: d.subject,
                    command: d.command,
                    before: d.before,
                    after: d.after,
                    batch: None,
                },
                prev_hash: old.prev_hash,
                personal: Default::default(),
                hash: old.hash,
                state: None,
            }
        }
    }

    impl From<Policy> for crate::domain::policy::Policy {
        fn from(old: Policy) -> Self {
            crate::domain::policy::Policy { targets: old.targets, sms_command: old.sms_command, ..Default::default() }
        }
    }

    impl From<Organisation> for crate::domain::organisation::Organisation {
        fn from(old: Organisation) -> Self {
            crate::domain::organisation::Organisation {
                ods: old.ods,
                name: old.name,
                ig: if old.ig_toolkit_level2 { IgStatus::IgToolkitLevel2 } else { IgStatus::NotMet },
                administered_by: old.administered_by,
                created_at: old.created_at,
                closed_at: old.closed_at,
                meta: old.meta,
            }
        }
    }
}

impl Record for Account {
    const TREE: TreeId = TreeId::Accounts;
    const VERSION: u8 = 1;
    const WHAT: &'static str = "account";
    fn key(&self) -> Vec<u8> {
        u64_key(self.id)
    }
    fn label(&self) -> String {
        self.address.to_string()
    }
    fn persons(&self) -> Vec<u64> {
        vec![self.id]
    }
    fn indexes(&self) -> Vec<IndexEntry> {
        // The lists operators read all day (by address, mobile, name and
        // organisation) are covering: the entry holds the whole encoded
        // account, so a list is one range read with no per-row look-up.
        // A unique entry's value is the id, then the account.
        let covered = encode(self).unwrap_or_default();
        let id_and_account = [u64_key(self.id).as_slice(), covered.as_slice()].concat();
        // The address stays indexed after deletion so it is never reused
        // and the tombstone can still be found.
        let mut out = vec![IndexEntry::unique(
            TreeId::AccountsByAddress,
            self.address.as_str().as_bytes().to_vec(),
            id_and_account.clone(),
            "NHSmail address",
        )];
        if let Some(p) = &self.personal {
            out.push(IndexEntry::unique(
                TreeId::AccountsByMobile,
                p.mobile.as_str().as_bytes().to_vec(),
                id_and_account,
                "mobile number",
            ));
            out.push(IndexEntry {
                tree: TreeId::AccountsByName,
                key: Key::new()
                    .text(&fold_for_search(&p.last_name))
                    .text(&fold_for_search(&p.first_name))
                    .u64(self.id)
                    .build(),
                value: covered.clone(),
                unique: None,
            });
            for (field, name) in [(NameField::Surname, &p.last_name), (NameField::Forename, &p.first_name)] {
                for word in index_words(name) {
                    out.push(IndexEntry::plain(TreeId::AccountsByWord, account_word_key(&word, field, self.id)));
                }
            }
            out.push(IndexEntry::plain(
                TreeId::AccountsByEmail,
                Key::new().text(p.email.as_str()).u64(self.id).build(),
            ));
        }
        if let (Some(p), true) = (&self.personal, self.status != AccountStatus::Deleted) {
            // Same name in the same organisation is how a likely duplicate
            // is spotted: an exact key, however common the name.
            out.push(IndexEntry::plain(
                TreeId::AccountsByOrgName,
                Key::new()
                    .text(self.ods.as_str())
                    .text(&fold_for_search(&p.last_name))
                    .text(&fold_for_search(&p.first_name))
                    .u64(self.id)
                    .build(),
            ));
        }
        if self.status != AccountStatus::Deleted {
            out.push(IndexEntry {
                tree: TreeId::AccountsByOrg,
                key: Key::new().text(self.ods.as_str()).u64(self.id).build(),
                value: covered,
                unique: None,
            });
        }
        if let Some(due) = self.lifecycle_due() {
            out.push(IndexEntry::plain(TreeId::AccountsByDue, Key::new().instant(due.at).u64(self.id).build()));
        }
        out
    }
    fn meta(&self) -> Option<&RecordMeta> {
        Some(&self.meta)
    }
}

impl Record for Mailbox {
    const TREE: TreeId = TreeId::Mailboxes;
    const VERSION: u8 = 1;
    const WHAT: &'static str = "shared mailbox";
    fn key(&self) -> Vec<u8> {
        u64_key(self.id)
    }
    fn label(&self) -> String {
        self.address.to_string()
    }
    fn indexes(&self) -> Vec<IndexEntry> {
        let mut out = vec![
            IndexEntry::unique(
                TreeId::MailboxesByAddress,
                self.address.as_str().as_bytes().to_vec(),
                u64_key(self.id),
                "shared mailbox address",
            ),
            IndexEntry::plain(
                TreeId::MailboxesByName,
                Key::new().text(&fold_for_search(&self.display_name)).u64(self.id).build(),
            ),
            IndexEntry::plain(TreeId::MailboxesByOrg, Key::new().text(self.ods.as_str()).u64(self.id).build()),
        ];
        for word in index_words(&self.display_name) {
            out.push(IndexEntry::plain(TreeId::MailboxesByWord, Key::new().text(&word).u64(self.id).build()));
        }
        if let Some(owner) = self.owner {
            out.push(IndexEntry::plain(TreeId::MailboxesByOwner, Key::new().u64(owner).u64(self.id).build()));
        }
        out
    }
    fn meta(&self) -> Option<&RecordMeta> {
        Some(&self.meta)
    }
}

/// `OrgsByWord` keys: a folded word of the name, then the ODS code.
pub fn org_word_key(word: &str, ods: &str) -> Vec<u8> {
    Key::new().text(word).text(ods).build()
}

/// `AccountsByWord` keys: a folded word of the surname or forename, which
/// of the two it is (so a search can rank surnames first), then the id.
pub fn account_word_key(word: &str, field: NameField, id: u64) -> Vec<u8> {
    Key::new().text(word).u8(field.code()).u64(id).build()
}

/// `TicketsByQueue` keys: queue, 0 for open or 1 for done, due, number; the
/// value is the status code, the category code, then the ticket's
/// [`TicketSummary`] (layout 3), so a page of open work is one ordered scan
/// and neither the queue filter nor the rows need a ticket read. (Entries
/// written before the category byte was added have the status alone.)
pub fn queue_key(queue: u8, open: bool, due: chrono::DateTime<chrono::Utc>, number: u64) -> Vec<u8> {
    Key::new().u8(queue).u8(u8::from(!open)).instant(due).u64(number).build()
}

/// `TicketsByAssignee` keys: operator, open flag, due, number.
pub fn assignee_key(operator: &str, open: bool, due: chrono::DateTime<chrono::Utc>, number: u64) -> Vec<u8> {
    Key::new().text(operator).u8(u8::from(!open)).instant(due).u64(number).build()
}

/// What a list shows of a ticket: everything but the body and timeline.
/// Kept in `tickets.rows` and in the queue index, in the same commit as the
/// ticket, so it cannot drift from it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TicketSummary {
    pub reference: crate::domain::ticket::TicketRef,
    #[serde(with = "crate::domain::time::ts")]
    pub received_at: chrono::DateTime<chrono::Utc>,
    #[serde(with = "crate::domain::time::ts")]
    pub due_at: chrono::DateTime<chrono::Utc>,
    pub queue: crate::domain::routing::Queue,
    pub category: crate::domain::routing::Category,
    pub ods: Option<crate::domain::validate::OdsCode>,
    pub requester: String,
    pub subject: String,
    pub status: crate::domain::ticket::TicketStatus,
    pub assignee: Option<String>,
    pub rev: u64,
}

impl TicketSummary {
    pub const VERSION: u8 = 1;
    const WHAT: &'static str = "ticket row";

    pub fn of(t: &Ticket) -> TicketSummary {
        TicketSummary {
            reference: t.reference,
            received_at: t.received_at,
            due_at: t.routing.due_at,
            queue: t.routing.queue,
            category: t.category,
            ods: t.ods.clone(),
            requester: t.requester.name.clone(),
            subject: t.subject.clone(),
            status: t.status,
            assignee: t.assignee.clone(),
            rev: t.meta.rev,
        }
    }

    pub fn encode(&self) -> Vec<u8> {
        codec::encode(Self::WHAT, Self::VERSION, self).unwrap_or_default()
    }

    /// A page decodes fifty of these, so this reads the fields by hand
    /// (`codec::Fields`) rather than through serde: the same bytes, in the
    /// order the struct declares them, with no visitor between.
    pub fn decode(bytes: &[u8]) -> Result<TicketSummary, CodecError> {
        use strum::VariantArray;

        use crate::domain::routing::{Category, Queue};
        use crate::domain::ticket::{TicketRef, TicketStatus};
        use crate::domain::validate::OdsCode;

        let body = match codec::split(Self::WHAT, bytes)? {
            (Self::VERSION, body) => body,
            (found, _) => return Err(CodecError::Unknown { what: Self::WHAT, found }),
        };
        let mut f = codec::Fields::new(Self::WHAT, body);
        let row = TicketSummary {
            reference: TicketRef(f.u64()?),
            received_at: f.instant()?,
            due_at: f.instant()?,
            queue: f.variant(Queue::VARIANTS)?,
            category: f.variant(Category::VARIANTS)?,
            ods: if f.some()? { Some(OdsCode::stored(f.string()?)) } else { None },
            requester: f.string()?,
            subject: f.string()?,
            status: f.variant(TicketStatus::VARIANTS)?,
            assignee: if f.some()? { Some(f.string()?) } else { None },
            rev: f.u64()?,
        };
        f.finish()?;
        Ok(row)
    }

    /// The serde reading of the same bytes, which the hand reading above
    /// must agree with.
    #[cfg(test)]
    fn decode_by_serde(bytes: &[u8]) -> Result<TicketSummary, CodecError> {
        match codec::split(Self::WHAT, bytes)? {
            (Self::VERSION, body) => codec::decode_body(Self::WHAT, body),
            (found, _) => Err(CodecError::Unknown { what: Self::WHAT, found }),
        }
    }
}

impl Record for Ticket {
    const TREE: TreeId = TreeId::Tickets;
    const VERSION: u8 = 1;
    const WHAT: &'static str = "ticket";
    fn key(&self) -> Vec<u8> {
        u64_key(self.reference.0)
    }
    fn label(&self) -> String {
        self.reference.to_string()
    }
    fn persons(&self) -> Vec<u64> {
        self.account.into_iter().collect()
    }
    fn ticket(&self) -> Option<u64> {
        Some(self.reference.0)
    }
    fn indexes(&self) -> Vec<IndexEntry> {
        let n = self.reference.0;
        let due = self.routing.due_at;
        let row = TicketSummary::of(self).encode();
        let mut out = vec![
            IndexEntry {
                tree: TreeId::TicketsByQueue,
                key: queue_key(self.routing.queue.code(), self.is_open(), due, n),
                value: [&[self.status.code(), self.category.code()][..], &row].concat(),
                unique: None,
            },
            IndexEntry { tree: TreeId::TicketsRows, key: u64_key(n), value: row, unique: None },
        ];
        if let Some(op) = &self.assignee {
            out.push(IndexEntry::plain(TreeId::TicketsByAssignee, assignee_key(op, self.is_open(), due, n)));
        }
        if let Some(ods) = &self.ods {
            out.push(IndexEntry::plain(TreeId::TicketsByOrg, Key::new().text(ods.as_str()).u64(n).build()));
        }
        if let Some(a) = self.account {
            out.push(IndexEntry::plain(TreeId::TicketsByAccount, Key::new().u64(a).u64(n).build()));
        }
        if let Some(m) = self.mailbox {
            out.push(IndexEntry::plain(TreeId::TicketsByMailbox, Key::new().u64(m).u64(n).build()));
        }
        out
    }
    fn meta(&self) -> Option<&RecordMeta> {
        Some(&self.meta)
    }
    fn tallies(&self) -> Vec<Vec<u8>> {
        if self.is_open() { vec![super::shift::depth_tally(self.routing.queue)] } else { Vec::new() }
    }
}

impl Record for Operator {
    const TREE: TreeId = TreeId::Operators;
    const VERSION: u8 = 1;
    const WHAT: &'static str = "operator";
    fn key(&self) -> Vec<u8> {
        self.username.as_bytes().to_vec()
    }
    fn label(&self) -> String {
        self.username.clone()
    }
    fn meta(&self) -> Option<&RecordMeta> {
        Some(&self.meta)
    }
}

impl Record for AuditEntry {
    const TREE: TreeId = TreeId::Audit;
    /// 2: an entry may belong to a batch (a bulk action or its undo).
    /// 3: compact (hashes as bytes, texts packed; `codec::encode_audit`).
    /// 4: with the digest of the state the change left.
    /// 5: with who it concerns, and its texts sealed for erasure.
    const VERSION: u8 = 5;
    const WHAT: &'static str = "audit entry";
    fn encode_stored(&self) -> Result<Vec<u8>, CodecError> {
        codec::encode_audit(Self::VERSION, self)
    }
    fn decode_current(body: &[u8]) -> Result<Self, CodecError> {
        codec::decode_audit(Self::VERSION, body)
    }
    fn key(&self) -> Vec<u8> {
        u64_key(self.seq)
    }
    fn label(&self) -> String {
        format!("#{}", self.seq)
    }
    fn upgrade(version: u8, body: &[u8]) -> Result<Self, CodecError> {
        match version {
            1 => Ok(codec::decode_body::<v1::AuditEntry>(Self::WHAT, body)?.into()),
            2 => Ok(codec::decode_body::<v1::AuditEntryV2>(Self::WHAT, body)?.into()),
            3 | 4 => codec::decode_audit(version, body),
            found => Err(CodecError::Unknown { what: Self::WHAT, found }),
        }
    }
}

impl Record for SmsMessage {
    const TREE: TreeId = TreeId::Outbox;
    /// 2: a failure's reason is sanitised with the message and password
    /// removed. Schema 1 kept the SMS command's raw output, which could
    /// hold the password, so it is not shown.
    const VERSION: u8 = 2;
    const WHAT: &'static str = "outbox message";
    fn key(&self) -> Vec<u8> {
        u64_key(self.seq)
    }
    fn label(&self) -> String {
        format!("#{}", self.seq)
    }
    fn persons(&self) -> Vec<u64> {
        vec![self.account]
    }
    fn ticket(&self) -> Option<u64> {
        self.ticket.map(|t| t.0)
    }
    fn upgrade(version: u8, body: &[u8]) -> Result<Self, CodecError> {
        use crate::domain::sms::Delivery;
        match version {
            1 => {
                let mut message: SmsMessage = codec::decode_body(Self::WHAT, body)?;
                if let Delivery::Failed { reason } = &mut message.delivery {
                    *reason = crate::domain::sms::UNKEPT_REASON.to_owned();
                }
                Ok(message)
            }
            found => Err(CodecError::Unknown { what: Self::WHAT, found }),
        }
    }
}

/// Membership pairs, both ways round.
pub fn membership_keys(mailbox: u64, account: u64) -> [(TreeId, Vec<u8>); 2] {
    [
        (TreeId::Members, Key::new().u64(mailbox).u64(account).build()),
        (TreeId::MemberOf, Key::new().u64(account).u64(mailbox).build()),
    ]
}

impl Record for crate::domain::policy::Policy {
    const TREE: TreeId = TreeId::Meta;
    /// 2: the SMS command got a time limit.
    const VERSION: u8 = 2;
    const WHAT: &'static str = "policy";
    fn key(&self) -> Vec<u8> {
        b"policy".to_vec()
    }
    fn label(&self) -> String {
        "policy".to_owned()
    }
    fn upgrade(version: u8, body: &[u8]) -> Result<Self, CodecError> {
        match version {
            1 => Ok(codec::decode_body::<v1::Policy>(Self::WHAT, body)?.into()),
            found => Err(CodecError::Unknown { what: Self::WHAT, found }),
        }
    }
}

impl Record for crate::domain::hours::BankHolidays {
    const TREE: TreeId = TreeId::Meta;
    const VERSION: u8 = 1;
    const WHAT: &'static str = "bank holiday calendar";
    fn key(&self) -> Vec<u8> {
        b"calendar".to_vec()
    }
    fn label(&self) -> String {
        "bank holiday calendar".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use strum::VariantArray;

    use super::TicketSummary;
    use crate::domain::routing::{Category, Queue};
    use crate::domain::ticket::{TicketRef, TicketStatus};
    use crate::domain::validate::OdsCode;

    fn text() -> impl Strategy<Value = String> {
        // Long enough to need each of the length's encodings.
        prop_oneof![".{0,40}", ".{240,260}", prop::collection::vec(any::<char>(), 0..20).prop_map(String::from_iter)]
    }

    fn instant() -> impl Strategy<Value = chrono::DateTime<chrono::Utc>> {
        let range = chrono::DateTime::<chrono::Utc>::MIN_UTC.timestamp_millis()
            ..=chrono::DateTime::<chrono::Utc>::MAX_UTC.timestamp_millis();
        prop_oneof![range, -100_000i64..100_000]
            .prop_map(|ms| chrono::DateTime::from_timestamp_millis(ms).expect("in range"))
    }

    fn summary() -> impl Strategy<Value = TicketSummary> {
        let number = prop_oneof![any::<u64>(), 0u64..300, 60_000u64..70_000];
        (
            (number, instant(), instant(), prop::sample::select(Queue::VARIANTS)),
            (prop::sample::select(Category::VARIANTS), prop::option::of("[A-Z0-9]{3,10}"), text(), text()),
            (prop::sample::select(TicketStatus::VARIANTS), prop::option::of(text()), any::<u64>()),
        )
            .prop_map(
                |((n, received_at, due_at, queue), (category, ods, requester, subject), (status, assignee, rev))| {
                    TicketSummary {
                        reference: TicketRef(n),
                        received_at,
                        due_at,
                        queue,
                        category,
                        ods: ods.map(|o| OdsCode::parse(&o).expect("a good code")),
                        requester,
                        subject,
                        status,
                        assignee,
                        rev,
                    }
                },
            )
    }

    proptest! {
        #[test]
        fn the_hand_reading_of_a_row_gives_back_what_was_written(row in summary()) {
            let bytes = row.encode();
            prop_assert_eq!(TicketSummary::decode(&bytes).expect("decodes"), row);
        }

        /// Damaged or foreign bytes: the hand reading refuses what serde
        /// refuses and reads what serde reads, never panicking.
        #[test]
        fn the_hand_reading_agrees_with_serde_on_any_bytes(
            row in summary(),
            edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..4), 0..6),
        ) {
            let mut bytes = row.encode();
            for (at, byte, how) in edits {
                let at = at.index(bytes.len() + 1);
                match how {
                    0 if at < bytes.len() => bytes[at] = byte,
                    1 if at < bytes.len() => {
                        bytes.remove(at);
                    }
                    2 => bytes.insert(at, byte),
                    _ => bytes.truncate(at),
                }
            }
            let ours = TicketSummary::decode(&bytes);
            let serde = TicketSummary::decode_by_serde(&bytes);
            prop_assert_eq!(ours.as_ref().ok(), serde.as_ref().ok(), "hand {:?}, serde {:?}", ours, serde);
        }
    }
}
