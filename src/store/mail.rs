//! Where mail lives: one record per message taken in (keyed by its
//! Message-ID or digest, which is what makes taking it in twice
//! impossible), its raw bytes in pieces, its attachments, and the index
//! from every Message-ID of a thread to its ticket.

use super::keys::{Key, read_u64, u64_key};
use super::records::{IndexEntry, Record, TreeId};
use super::{Store, StoreError};
use crate::domain::mail::{MailChunk, MailRecord, MessageKey, StoredAttachment};
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
        for row in self.tree(TreeId::MailByTicket).scan_prefix(&prefix).take(MAX_MAILS_PER_TICKET) {
            let (_, store_key) = row.map_err(|e| self.io_error(e))?;
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

    /// A kept attachment of a message.
    pub fn mail_attachment(&self, mail: u64, index: u32) -> Result<Option<StoredAttachment>, StoreError> {
        self.get(&Key::new().u64(mail).u64(u64::from(index)).build())
    }
}
