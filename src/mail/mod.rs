//! Email in and out: what reaches the NAS and helpdesk addresses, read into
//! plain values the service can turn into tickets.
//!
//! Parsing never fails: a message that cannot be read becomes an
//! [`InboundMail`] marked unparsed with its raw bytes kept, so nothing that
//! arrives is dropped. Every piece of text taken from a message goes through
//! [`text::sanitise_body`] or [`text::sanitise_line`] before anything else
//! sees it. This module reads bytes; it never writes the store.

pub mod imap;
pub mod intake;
pub mod maildir;
pub mod parse;
pub mod smtp;
pub mod text;
pub mod tls;
pub mod worker;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use crate::domain::mail::{Addresses, AttachmentInfo, Automatic, MessageKey};
pub use parse::parse;

/// The largest message kept whole. Larger ones are kept truncated to this
/// and marked unparsed, with the size they had.
pub const MAX_MESSAGE_BYTES: usize = 64 << 20;

/// The largest attachment kept in the database; a larger one is listed on
/// the ticket with a note that it was not kept (the raw message still holds
/// it). Below the store's largest value.
pub const MAX_ATTACHMENT_BYTES: usize = 10 << 20;

/// The longest body text kept on a ticket, in characters.
pub const MAX_BODY_CHARS: usize = 100_000;

/// The sender as the message names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sender {
    pub name: Option<String>,
    /// Lower-cased.
    pub address: String,
}

/// One attachment, with its content when it is small enough to keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub info: AttachmentInfo,
    /// `None` when the attachment is larger than [`MAX_ATTACHMENT_BYTES`].
    pub content: Option<Vec<u8>>,
}

/// A message as it arrived, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundMail {
    /// The Message-ID, or a digest of the raw bytes when there is none: what
    /// makes fetching the same message twice harmless.
    pub key: MessageKey,
    /// Message-IDs this one answers (In-Reply-To, then References), without
    /// angle brackets.
    pub in_reply_to: Vec<String>,
    pub from: Option<Sender>,
    /// Recipient addresses (To and Cc), lower-cased.
    pub to: Vec<String>,
    /// Decoded and sanitised, on one line.
    pub subject: String,
    /// When the mail server took the message in.
    pub arrived_at: DateTime<Utc>,
    /// The text without quoted history, sanitised.
    pub body: String,
    /// The whole text, sanitised, quoted history included.
    pub full_text: String,
    pub attachments: Vec<Attachment>,
    /// Why no automatic reply may go to this message, if it is automatic.
    pub automatic: Option<Automatic>,
    /// Why the message could not be read, when it could not.
    pub unparsed: Option<String>,
    /// The message as it arrived (up to [`MAX_MESSAGE_BYTES`]).
    pub raw: Vec<u8>,
    /// The size of the message as it arrived.
    pub raw_len: usize,
}

impl InboundMail {
    pub fn sender_address(&self) -> Option<&str> {
        self.from.as_ref().map(|f| f.address.as_str())
    }
}
