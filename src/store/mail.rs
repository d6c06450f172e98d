//! Where mail lives: one record per message taken in (keyed by its
//! Message-ID or digest, which is what makes taking it in twice
//! impossible), its raw bytes in pieces, its attachments, and the index
//! from every Message-ID of a thread to its ticket.

use super::keys::{Key, read_u64, trailing_u64, u64_key};
use super::records::{IndexEntry, Record, TreeId};
use super::{Store, StoreError};
use crate::domain::mail::{MailChunk, MailRecord, MessageKey, StoredAttachment};
use crate::domain::mail_reply::OutgoingMail;
use crate::domain::record::RecordMeta;
use crate::domain::ticket::TicketRef;

/// How many messages of one ticket are listed.
pub const MAX_MAILS_PER_TICKET: usize = 500;

fn thread_entry(message_id: &str, ticket: TicketRef) -> IndexEntry {
    IndexEntry {
        tree: TreeId::MailThreads,
        key: message_id.as_bytes().to_vec(),
        value: u64_key(ticket.0),
        unique: None,
    }
}

impl Record for MailRecord {
    const TREE: TreeId = TreeId::Mail;
    const VERSION: u8 = 1;
    const WHAT: &'static str = "mail";
    fn key(&self) -> Vec<u8> {
        self.key.store_key()
    }
    fn label(&self) -> String {
        self.key.to_string()
    }
    fn ticket(&self) -> Option<u64> {
        Some(self.ticket.0)
    }
    fn indexes(&self) -> Vec<IndexEntry> {
        let mut out = vec![IndexEntry {
            tree: TreeId::MailByTicket,
            key: Key::new().u64(self.ticket.0).u64(self.id).build(),
            value: self.key.store_key(),
            unique: None,
        }];
        if let Some(id) = self.key.message_id() {
            out.push(thread_entry(id, self.ticket));
        }
        out
    }
}

impl Record for MailChunk {
    const TREE: TreeId = TreeId::MailRaw;
    const VERSION: u8 = 1;
    const WHAT: &'static str = "raw mail";
    fn key(&self) -> Vec<u8> {
        Key::new().u64(self.mail).u64(u64::from(self.index)).build()
    }
    fn label(&self) -> String {
        format!("mail #{} part {}", self.mail, self.index)
    }
}

impl Record for StoredAttachment {
    const TREE: TreeId = TreeId::MailAttachments;
    const VERSION: u8 = 1;
    const WHAT: &'static str = "attachment";
    fn key(&self) -> Vec<u8> {
        Key::new().u64(self.mail).u64(u64::from(self.index)).build()
    }
    fn label(&self) -> String {
        self.info.name.clone()
    }
}

impl super::Change {
    /// Keeps `erased` (from `domain::erasure::redact_mail`) in place of
    /// `mail`, and removes the original's pieces and the attachments.
    pub fn erase_mail(&mut self, mail: &MailRecord, erased: &MailRecord) -> Result<(), super::CodecError> {
        for index in 0..mail.raw_chunks {
            self.remove_key(TreeId::MailRaw, Key::new().u64(mail.id).u64(u64::from(index)).build());
        }
        for index in 0..mail.attachments.len() as u64 {
            self.remove_key(TreeId::MailAttachments, Key::new().u64(mail.id).u64(index).build());
        }
        self.set(erased)
    }
}

impl Store {
    /// The message taken in under `key`, if it was.
    pub fn mail(&self, key: &MessageKey) -> Result<Option<MailRecord>, StoreError> {
        self.get(&key.store_key())
    }

    /// The ticket a Message-ID (ours or a requester's) belongs to.
    pub fn mail_thread(&self, message_id: &str) -> Result<Option<TicketRef>, StoreError> {
        let got = self.tree(TreeId::MailThreads).get(message_id.as_bytes()).map_err(|e| self.io_error(e))?;
        Ok(got.and_then(|v| read_u64(&v, 0)).map(TicketRef))
    }

    /// The messages of a ticket, oldest first.
    pub fn mails_for_ticket(&self, ticket: TicketRef) -> Result<Vec<MailRecord>, StoreError> {
        let prefix = Key::new().u64(ticket.0).build();
        let mut out = Vec::new();
        for (_, store_key) in self.keys_with_prefix(TreeId::MailByTicket, &prefix, None, MAX_MAILS_PER_TICKET)? {
            if let Some(record) = self.get::<MailRecord>(&store_key)? {
                out.push(record);
            }
        }
        Ok(out)
    }

    /// The raw bytes of a message taken in, put back together.
    pub fn mail_raw(&self, record: &MailRecord) -> Result<Vec<u8>, StoreError> {
        let mut raw = Vec::with_capacity(record.raw_len as usize);
        for index in 0..record.raw_chunks {
            let key = Key::new().u64(record.id).u64(u64::from(index)).build();
            match self.get::<MailChunk>(&key)? {
                Some(chunk) => raw.extend_from_slice(&chunk.bytes),
                None => break,
            }
        }
        Ok(raw)
    }

    /// One stored piece of a message's raw bytes.
    pub fn mail_chunk(&self, mail: u64, index: u32) -> Result<Option<Vec<u8>>, StoreError> {
        let key = Key::new().u64(mail).u64(u64::from(index)).build();
        Ok(self.get::<MailChunk>(&key)?.map(|chunk| chunk.bytes))
    }

    /// A kept attachment of a message.
    pub fn mail_attachment(&self, mail: u64, index: u32) -> Result<Option<StoredAttachment>, StoreError> {
        self.get(&Key::new().u64(mail).u64(u64::from(index)).build())
    }
}

/// `MailOutboxDue` keys: when the next attempt is due, then the number.
fn due_key(at: chrono::DateTime<chrono::Utc>, seq: u64) -> Vec<u8> {
    Key::new().instant(at).u64(seq).build()
}

impl Record for OutgoingMail {
    const TREE: TreeId = TreeId::MailOutbox;
    const VERSION: u8 = 1;
    const WHAT: &'static str = "outgoing mail";
    fn key(&self) -> Vec<u8> {
        u64_key(self.seq)
    }
    fn label(&self) -> String {
        format!("mail #{}", self.seq)
    }
    fn ticket(&self) -> Option<u64> {
        Some(self.ticket.0)
    }
    fn indexes(&self) -> Vec<IndexEntry> {
        let plain = |tree, key| IndexEntry { tree, key, value: Vec::new(), unique: None };
        let mut out = vec![
            thread_entry(&self.message_id, self.ticket),
            plain(TreeId::MailOutboxByTicket, Key::new().u64(self.ticket.0).u64(self.seq).build()),
            plain(TreeId::MailSentTo, Key::new().text(&self.to).instant(self.queued_at).u64(self.seq).build()),
        ];
        if let (true, Some(at)) = (self.status.is_pending(), self.next_attempt_at) {
            out.push(plain(TreeId::MailOutboxDue, due_key(at, self.seq)));
        }
        out
    }
    fn meta(&self) -> Option<&RecordMeta> {
        Some(&self.meta)
    }
}

impl Store {
    /// Outgoing mail whose next attempt is due at `now`, soonest first.
    pub fn mail_due(&self, now: chrono::DateTime<chrono::Utc>, limit: usize) -> Result<Vec<OutgoingMail>, StoreError> {
        let end = due_key(now, u64::MAX);
        let mut out = Vec::new();
        for row in self.tree(TreeId::MailOutboxDue).range(..=end).take(limit) {
            let (key, _) = row.map_err(|e| self.io_error(e))?;
            if let Some(seq) = trailing_u64(&key) {
                if let Some(mail) = self.get::<OutgoingMail>(&u64_key(seq))? {
                    out.push(mail);
                }
            }
        }
        Ok(out)
    }

    /// The outgoing mail of a ticket, oldest first.
    pub fn mail_outbox_for_ticket(&self, ticket: TicketRef) -> Result<Vec<OutgoingMail>, StoreError> {
        let prefix = Key::new().u64(ticket.0).build();
        let mut out = Vec::new();
        for (key, _) in self.keys_with_prefix(TreeId::MailOutboxByTicket, &prefix, None, MAX_MAILS_PER_TICKET)? {
            if let Some(mail) = trailing_u64(&key).map(|seq| self.get::<OutgoingMail>(&u64_key(seq))).transpose()? {
                out.extend(mail);
            }
        }
        Ok(out)
    }

    pub fn outgoing_mail(&self, seq: u64) -> Result<Option<OutgoingMail>, StoreError> {
        self.get(&u64_key(seq))
    }

    /// How many mails were queued to `to` since `since`.
    pub fn mail_sent_to_since(&self, to: &str, since: chrono::DateTime<chrono::Utc>) -> Result<usize, StoreError> {
        let prefix = Key::new().text(to).build();
        let start = Key::new().text(to).instant(since).build();
        let mut n = 0;
        for row in self.tree(TreeId::MailSentTo).range(start..) {
            let (key, _) = row.map_err(|e| self.io_error(e))?;
            if !key.starts_with(&prefix) {
                break;
            }
            n += 1;
        }
        Ok(n)
    }

    /// Records the outcome of an attempt to send `old`, as `new`. This is
    /// the outbox's own bookkeeping, not an operator's change, so it
    /// writes no audit entry (as for text messages); the record and its
    /// due entry change together, and are flushed before this returns.
    pub fn record_mail_attempt(&self, old: &OutgoingMail, new: &OutgoingMail) -> Result<(), StoreError> {
        use sled::Transactional;
        let bytes = super::records::encode(new)?;
        let old_due = old.next_attempt_at.filter(|_| old.status.is_pending()).map(|at| due_key(at, old.seq));
        let new_due = new.next_attempt_at.filter(|_| new.status.is_pending()).map(|at| due_key(at, new.seq));
        let trees = (self.tree(TreeId::MailOutbox), self.tree(TreeId::MailOutboxDue));
        trees
            .transaction(|(outbox, due)| {
                if let Some(k) = &old_due {
                    due.remove(k.as_slice())?;
                }
                if let Some(k) = &new_due {
                    due.insert(k.as_slice(), &[] as &[u8])?;
                }
                outbox.insert(u64_key(new.seq), bytes.as_slice())?;
                Ok::<_, sled::transaction::ConflictableTransactionError<()>>(())
            })
            .map_err(|e| match e {
                sled::transaction::TransactionError::Storage(e) => self.io_error(e),
                sled::transaction::TransactionError::Abort(()) => {
                    self.io_error(sled::Error::Unsupported("aborted".into()))
                }
            })?;
        self.flush()
    }
}

impl Record for crate::domain::mail_reply::MailSettings {
    const TREE: TreeId = TreeId::Meta;
    const VERSION: u8 = 1;
    const WHAT: &'static str = "mail settings";
    fn key(&self) -> Vec<u8> {
        b"mail.settings".to_vec()
    }
    fn label(&self) -> String {
        "mail settings".to_owned()
    }
}

impl Store {
    /// The mail settings, or the defaults when none were set.
    pub fn mail_settings(&self) -> Result<crate::domain::mail_reply::MailSettings, StoreError> {
        Ok(self.get(b"mail.settings")?.unwrap_or_default())
    }
}
