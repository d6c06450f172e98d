//! Mail as the service keeps it: which message a ticket came from, what it
//! carried, and why some messages must never get an automatic answer.
//!
//! Plain data only; reading bytes into these is `crate::mail`'s work and
//! storing them the store's.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::routing::Channel;
use super::ticket::TicketRef;

/// What identifies a message across fetches: its Message-ID, or when it has
/// none, a SHA-256 digest of its raw bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MessageKey {
    /// Without angle brackets.
    MessageId(String),
    /// Lower-case hex.
    Digest(String),
}

impl MessageKey {
    /// The bytes the de-duplication tree is keyed by; the prefixes keep a
    /// Message-ID that happens to look like a digest apart from one.
    pub fn store_key(&self) -> Vec<u8> {
        match self {
            MessageKey::MessageId(id) => format!("id:{id}").into_bytes(),
            MessageKey::Digest(hex) => format!("sha256:{hex}").into_bytes(),
        }
    }

    pub fn message_id(&self) -> Option<&str> {
        match self {
            MessageKey::MessageId(id) => Some(id),
            MessageKey::Digest(_) => None,
        }
    }
}

impl fmt::Display for MessageKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MessageKey::MessageId(id) => write!(f, "<{id}>"),
            MessageKey::Digest(hex) => write!(f, "sha256:{hex}"),
        }
    }
}

/// The service's own addresses: where mail arrives, and what never gets
/// an automatic reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Addresses {
    /// The NAS address (careadmin@nhs.net).
    pub nas: std::borrow::Cow<'static, str>,
    /// The national helpdesk's address.
    pub helpdesk: std::borrow::Cow<'static, str>,
}

impl Addresses {
    pub const DEFAULT: Addresses = Addresses {
        nas: std::borrow::Cow::Borrowed("careadmin@nhs.net"),
        helpdesk: std::borrow::Cow::Borrowed("helpdesk@nhs.net"),
    };

    /// The mailbox a message to these recipients reached: the helpdesk's
    /// when it is addressed there (and not also to the NAS), else the NAS's.
    pub fn channel_for(&self, recipients: &[String]) -> Channel {
        let to = |a: &str| recipients.iter().any(|t| t.eq_ignore_ascii_case(a));
        if to(&self.helpdesk) && !to(&self.nas) { Channel::EmailHelpdesk } else { Channel::EmailNas }
    }

    pub fn is_ours(&self, address: &str) -> bool {
        address.eq_ignore_ascii_case(&self.nas) || address.eq_ignore_ascii_case(&self.helpdesk)
    }

    /// The address that answers mail of `channel`.
    pub fn for_channel(&self, channel: Channel) -> &str {
        if channel == Channel::EmailHelpdesk { &self.helpdesk } else { &self.nas }
    }
}

/// An attachment as the ticket lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentInfo {
    /// Sanitised; "(unnamed)" when the message gave none.
    pub name: String,
    /// The MIME type, e.g. `application/pdf`.
    pub content_type: String,
    /// Decoded size in bytes.
    pub size: u64,
    /// Whether its content is kept in the database.
    pub kept: bool,
}

impl AttachmentInfo {
    /// One line for the timeline.
    pub fn describe(&self) -> String {
        let kept = if self.kept { "" } else { ", not kept: larger than the attachment limit" };
        format!("{} ({}, {}{kept})", self.name, self.content_type, human_size(self.size))
    }
}

pub fn human_size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 => format!("{:.1} MB", b as f64 / f64::from(1 << 20)),
        b if b >= 1 << 10 => format!("{:.0} kB", b as f64 / 1024.0),
        b => format!("{b} bytes"),
    }
}

/// Why a message was sent by a machine rather than a person: such a message
/// never gets an automatic reply, or two auto-responders would answer each
/// other for ever.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Automatic {
    /// `Auto-Submitted` other than `no`, or an auto-reply marker (RFC 3834).
    AutoSubmitted,
    /// `Precedence: bulk`, `junk` or `list`, or a mailing-list header.
    Bulk,
    /// A delivery report: from a mailer-daemon or postmaster, an empty
    /// return path, or a `multipart/report`.
    Bounce,
}

impl Automatic {
    pub fn label(self) -> &'static str {
        match self {
            Automatic::AutoSubmitted => "an automatic reply",
            Automatic::Bulk => "bulk or mailing-list mail",
            Automatic::Bounce => "a delivery failure report",
        }
    }
}

/// A message taken in, as the store keeps it: which ticket it made or
/// joined, and where its raw bytes and attachments are. Keyed by its
/// [`MessageKey`], so the same message is never taken in twice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailRecord {
    pub key: MessageKey,
    /// Numbers the raw chunks and attachments of this message.
    pub id: u64,
    pub ticket: TicketRef,
    /// Whether the message joined an existing ticket rather than opening one.
    pub threaded: bool,
    pub channel: Channel,
    pub from: Option<String>,
    pub subject: String,
    #[serde(with = "super::time::ts")]
    pub arrived_at: DateTime<Utc>,
    #[serde(with = "super::time::ts")]
    pub taken_in_at: DateTime<Utc>,
    pub attachments: Vec<AttachmentInfo>,
    pub automatic: Option<Automatic>,
    pub unparsed: Option<String>,
    pub raw_len: u64,
    /// How many pieces the original is stored in; 0 once it was erased
    /// with the person the ticket was about (`raw_len` still says how big
    /// it was).
    pub raw_chunks: u32,
}

impl MailRecord {
    /// Whether the original and attachments were erased with the person
    /// the ticket was about.
    pub fn original_erased(&self) -> bool {
        self.raw_chunks == 0 && self.raw_len > 0
    }
}

/// The size of one stored piece of a raw message: well inside the store's
/// largest value.
pub const RAW_CHUNK_BYTES: usize = 4 << 20;

/// One piece of a raw message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailChunk {
    pub mail: u64,
    pub index: u32,
    pub bytes: Vec<u8>,
}

/// An attachment's content, kept because it was under the limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredAttachment {
    pub mail: u64,
    pub index: u32,
    pub info: AttachmentInfo,
    pub content: Vec<u8>,
}
