//! Reading mail: the messages behind a ticket, each one's original bytes
//! and its kept attachments, so an operator can read what the requester
//! really sent (quoted history, HTML, a scanned form); the outbox; and the
//! mail settings, which hold no secret. All of it works through the daemon.
//!
//! Reads only, in pieces no bigger than one stored value, so that a 64 MB
//! original crosses the daemon's socket as a few bounded frames. A piece is
//! only ever returned for the ticket it belongs to: knowing a message's
//! number is not enough to read it.

use serde::{Deserialize, Serialize};

use super::{Ctx, Operation, Service, ServiceError};
use crate::domain::mail::{AttachmentInfo, MailRecord};
use crate::domain::mail_reply::{MailSettings, OutgoingMail};
use crate::domain::permission::Action;
use crate::domain::ticket::TicketRef;

/// Which bytes of a message: one stored piece of the original, or one
/// kept attachment (both numbered from 0), whole or only its first
/// `at_most` bytes (what a screen shows of a 20 MB attachment need not
/// cross the socket).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MailPiece {
    Original { chunk: u32 },
    Attachment { index: u32, at_most: Option<u32> },
}

/// Bytes of a message, with what is needed to ask for the rest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailBytes {
    pub bytes: Vec<u8>,
    /// For the original: how many pieces it is stored in.
    pub pieces: u32,
    /// For an attachment: its name, type and size as the mail gave them.
    pub attachment: Option<AttachmentInfo>,
}

/// The messages taken in on a ticket, oldest first (at most the store's
/// per-ticket cap).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListTicketMail {
    pub ticket: TicketRef,
}

impl Operation for ListTicketMail {
    type Answer = Vec<MailRecord>;
    const NAME: &'static str = "ticket.mail";
    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<Vec<MailRecord>, ServiceError> {
        service.authorise(ctx, Action::View)?;
        service.load_ticket(self.ticket)?;
        let mut mails = service.store.mails_for_ticket(self.ticket)?;
        mails.sort_by_key(|m| (m.arrived_at, m.id));
        Ok(mails)
    }
}

/// One piece of one message of a ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadMailPiece {
    pub ticket: TicketRef,
    /// The message's number (`MailRecord::id`).
    pub mail: u64,
    pub piece: MailPiece,
}

impl Operation for ReadMailPiece {
    type Answer = MailBytes;
    const NAME: &'static str = "ticket.mail.read";
    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<MailBytes, ServiceError> {
        service.authorise(ctx, Action::View)?;
        service.load_ticket(self.ticket)?;
        let record =
            service.store.mails_for_ticket(self.ticket)?.into_iter().find(|m| m.id == self.mail).ok_or_else(|| {
                ServiceError::NotFound {
                    what: "message".into(),
                    key: format!("{} on {}", self.mail, self.ticket),
                    hint: "list the ticket's messages to see their numbers".into(),
                }
            })?;
        let missing = |what: String| ServiceError::NotFound {
            what: "part of the message".into(),
            key: what,
            hint: if record.original_erased() {
                "the original and its attachments were erased with the person the ticket was about".into()
            } else {
                "list the ticket's messages to see what each one kept".into()
            },
        };
        match self.piece {
            MailPiece::Original { chunk } => {
                let bytes = service
                    .store
                    .mail_chunk(record.id, chunk)?
                    .ok_or_else(|| missing(format!("piece {chunk} of the original")))?;
                Ok(MailBytes { bytes, pieces: record.raw_chunks, attachment: None })
            }
            MailPiece::Attachment { index, at_most } => {
                let info = record.attachments.get(index as usize).cloned();
                let kept = service.store.mail_attachment(record.id, index)?.ok_or_else(|| match &info {
                    Some(info) if !info.kept => missing(format!(
                        "attachment {} ({}): it was larger than the limit and not kept",
                        index + 1,
                        info.name
                    )),
                    _ => missing(format!("attachment {}", index + 1)),
                })?;
                let mut bytes = kept.content;
                if let Some(n) = at_most {
                    bytes.truncate(n as usize);
                }
                Ok(MailBytes { bytes, pieces: 1, attachment: Some(kept.info) })
            }
        }
    }
}

/// The most outgoing mails one listing returns.
pub const MAX_OUTBOX_LISTED: usize = 1_000;

/// Outgoing mail, newest first: all of it, or one ticket's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListMailOutbox {
    pub ticket: Option<TicketRef>,
    pub limit: usize,
}

impl Operation for ListMailOutbox {
    type Answer = Vec<OutgoingMail>;
    const NAME: &'static str = "mail.outbox";
    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<Vec<OutgoingMail>, ServiceError> {
        service.authorise(ctx, Action::View)?;
        let limit = self.limit.min(MAX_OUTBOX_LISTED);
        let store = &service.store;
        Ok(match self.ticket {
            Some(ticket) => {
                service.load_ticket(ticket)?;
                let mut mails = store.mail_outbox_for_ticket(ticket)?;
                mails.sort_by_key(|m| std::cmp::Reverse(m.seq));
                mails.truncate(limit);
                mails
            }
            None => {
                let last = store.last_number("mail.outbox")?;
                let mut mails = Vec::with_capacity(limit);
                for seq in (1..=last).rev() {
                    if mails.len() == limit {
                        break;
                    }
                    if let Some(m) = store.outgoing_mail(seq)? {
                        mails.push(m);
                    }
                }
                mails
            }
        })
    }
}

/// The mail settings as stored: addresses, servers and the names of the
/// password files, never a password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShowMailSettings {}

impl Operation for ShowMailSettings {
    type Answer = MailSettings;
    const NAME: &'static str = "mail.settings.show";
    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<MailSettings, ServiceError> {
        service.authorise(ctx, Action::View)?;
        Ok(service.store.mail_settings()?)
    }
}
