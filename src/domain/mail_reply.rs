//! Mail we send: acknowledgements of new requests and operators' replies,
//! as kept in the mail outbox until the submission server takes them.
//!
//! Also the two rules that decide whether caredesk may write at all: loop
//! protection (never answer a machine, ourselves, or one sender too often)
//! and the backoff between attempts. Pure: time comes in as an argument.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Europe::London;
use serde::{Deserialize, Serialize};

use super::mail::Automatic;
use super::record::RecordMeta;
use super::routing::Queue;
use super::ticket::{Detail, Ticket, TicketRef};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OutgoingKind {
    /// Sent by caredesk when an email opens a ticket.
    Acknowledgement,
    /// Written by an operator (`r` in the console, `ticket reply`).
    Reply,
}

/// Where an outgoing mail stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MailStatus {
    /// Waiting for its next attempt.
    Queued,
    /// The submission server accepted it.
    Sent {
        #[serde(with = "super::time::ts")]
        at: DateTime<Utc>,
    },
    /// The last attempt failed; another is due.
    Retrying { reason: String },
    /// Every attempt failed, or the server refused it for good; a
    /// supervisor can queue it again.
    Failed { reason: String },
    /// No submission server is configured (or this is a demo database):
    /// nothing left the machine and the outbox is the record.
    KeptInOutbox,
}

impl MailStatus {
    pub fn label(&self) -> String {
        match self {
            MailStatus::Queued => "queued".into(),
            MailStatus::Sent { at } => format!("sent {}", super::time::rfc3339(*at)),
            MailStatus::Retrying { reason } => format!("queued, retrying after: {reason}"),
            MailStatus::Failed { reason } => format!("failed: {reason}"),
            MailStatus::KeptInOutbox => "kept in the outbox (no mail server is configured)".into(),
        }
    }

    /// Whether the sender still has work to do on it.
    pub fn is_pending(&self) -> bool {
        matches!(self, MailStatus::Queued | MailStatus::Retrying { .. })
    }
}

/// One mail in the outbox. The text is what the requester receives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutgoingMail {
    pub seq: u64,
    pub ticket: TicketRef,
    pub kind: OutgoingKind,
    pub from: String,
    pub to: String,
    pub subject: String,
    pub body: String,
    /// Without angle brackets.
    pub message_id: String,
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    #[serde(with = "super::time::ts")]
    pub queued_at: DateTime<Utc>,
    pub status: MailStatus,
    pub attempts: u32,
    #[serde(with = "super::time::ts_opt")]
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub meta: RecordMeta,
}

/// How many attempts a mail gets before it is marked failed.
pub const MAX_ATTEMPTS: u32 = 8;

/// The wait before attempt `attempts + 1`: one minute, doubling, at most
/// an hour, so eight attempts span about four hours of a server outage.
pub fn backoff(attempts: u32) -> Duration {
    Duration::minutes((1i64 << attempts.min(6)).min(60))
}

impl OutgoingMail {
    /// The outcome of one attempt, at `now`.
    pub fn attempted(&self, result: Result<(), Attempt>, now: DateTime<Utc>) -> OutgoingMail {
        let mut next = self.clone();
        next.meta = self.meta.next("caredesk-mail", now);
        next.attempts += 1;
        match result {
            Ok(()) => {
                next.status = MailStatus::Sent { at: now };
                next.next_attempt_at = None;
            }
            Err(Attempt::Permanent(reason)) => {
                next.status = MailStatus::Failed { reason };
                next.next_attempt_at = None;
            }
            Err(Attempt::Transient(reason)) if next.attempts >= MAX_ATTEMPTS => {
                next.status =
                    MailStatus::Failed { reason: format!("{reason} (gave up after {} attempts)", next.attempts) };
                next.next_attempt_at = None;
            }
            Err(Attempt::Transient(reason)) => {
                next.status = MailStatus::Retrying { reason };
                next.next_attempt_at = Some(now + backoff(next.attempts));
            }
        }
        next
    }

    /// Queued again by a supervisor, for one more round of attempts.
    pub fn retried(&self, by: &str, now: DateTime<Utc>) -> OutgoingMail {
        OutgoingMail {
            status: MailStatus::Queued,
            attempts: 0,
            next_attempt_at: Some(now),
            meta: self.meta.next(by, now),
            ..self.clone()
        }
    }
}

/// Why an attempt failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// Worth trying again (connection refused, timeout, 4xx).
    Transient(String),
    /// The server refused it for good (5xx, bad address).
    Permanent(String),
}

/// Why a message gets no automatic reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoAutoReply {
    Automatic(Automatic),
    NoSender,
    Ourselves,
    /// Already this many automatic replies to this sender in the last hour.
    TooMany {
        sent: usize,
        limit: usize,
    },
}

impl NoAutoReply {
    pub fn label(&self) -> String {
        match self {
            NoAutoReply::Automatic(a) => format!("the message is {}", a.label()),
            NoAutoReply::NoSender => "the message has no sender address".into(),
            NoAutoReply::Ourselves => "the message came from one of our own addresses".into(),
            NoAutoReply::TooMany { sent, limit } => {
                format!("{sent} automatic replies went to this sender in the last hour (the limit is {limit})")
            }
        }
    }
}

/// The most automatic replies one sender gets in an hour, by default.
pub const AUTO_REPLIES_PER_HOUR: usize = 5;

/// Loop protection: may caredesk answer this message automatically?
pub fn may_auto_reply(
    automatic: Option<Automatic>,
    sender: Option<&str>,
    is_ours: impl Fn(&str) -> bool,
    sent_last_hour: usize,
    limit: usize,
) -> Result<(), NoAutoReply> {
    if let Some(a) = automatic {
        return Err(NoAutoReply::Automatic(a));
    }
    let sender = sender.filter(|s| s.contains('@')).ok_or(NoAutoReply::NoSender)?;
    if is_ours(sender) {
        return Err(NoAutoReply::Ourselves);
    }
    if sent_last_hour >= limit {
        return Err(NoAutoReply::TooMany { sent: sent_last_hour, limit });
    }
    Ok(())
}

/// "Wednesday 8 January at 09:00", in London.
pub fn london(at: DateTime<Utc>) -> String {
    at.with_timezone(&London).format("%A %-d %B %Y at %H:%M").to_string()
}

/// The subject of anything we send about a ticket: its reference in
/// brackets (which threads the answer back), then the request's subject
/// without the reply prefixes that pile up.
pub fn subject_for(ticket: &Ticket) -> String {
    let mut s = ticket.subject.trim();
    loop {
        let lower = s.to_lowercase();
        let cut = ["re:", "fw:", "fwd:", "aw:"].iter().find(|p| lower.starts_with(**p)).map(|p| p.len());
        match cut {
            Some(n) => s = s[n..].trim_start(),
            None => break,
        }
    }
    let tag = format!("[{}]", ticket.reference);
    let s = s.replace(&tag, "");
    format!("{tag} {}", s.trim())
}

/// The acknowledgement of a new ticket: its reference, when work starts,
/// and what is still missing.
pub fn acknowledgement(ticket: &Ticket, missing: &[Detail]) -> (String, String) {
    let r = ticket.reference;
    let when = match ticket.routing.queue {
        Queue::Nas => {
            "The national administration service (NAS) team is working now and will start on it shortly.".to_owned()
        }
        Queue::Helpdesk => {
            "The NAS is closed at the moment, but this is a request the national helpdesk handles at any \
                            hour: the helpdesk will handle it now."
                .to_owned()
        }
        Queue::Resolver => format!(
            "The NAS is closed at the moment (it is open 09:00 to 17:00, Monday to Friday, except bank holidays). \
             The social care provider resolver group will handle your request from {} (London time).",
            london(ticket.routing.work_from)
        ),
    };
    let mut body =
        format!("Dear {},\n\nThank you for your email. We have logged it as {r}.\n\n{when}\n", ticket.requester.name);
    if !missing.is_empty() {
        body.push_str("\nSo that we can work on it, please reply with:\n");
        for d in missing {
            body.push_str(&format!("  - {}\n", d.label()));
        }
    }
    body.push_str(&format!(
        "\nPlease keep {r} in the subject of any email about this request.\n\nNHSmail social care national \
         administration service\n\nThis message was sent automatically.\n"
    ));
    (subject_for(ticket), body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    #[test]
    fn loop_protection_table() {
        let ours = |a: &str| a == "careadmin@nhs.net";
        type Case<'a> = (Option<Automatic>, Option<&'a str>, usize, Result<(), NoAutoReply>);
        let cases: &[Case] = &[
            (None, Some("jo@x.org"), 0, Ok(())),
            (None, Some("jo@x.org"), 4, Ok(())),
            (None, Some("jo@x.org"), 5, Err(NoAutoReply::TooMany { sent: 5, limit: 5 })),
            (Some(Automatic::Bounce), Some("jo@x.org"), 0, Err(NoAutoReply::Automatic(Automatic::Bounce))),
            (Some(Automatic::Bulk), Some("jo@x.org"), 0, Err(NoAutoReply::Automatic(Automatic::Bulk))),
            (Some(Automatic::AutoSubmitted), None, 0, Err(NoAutoReply::Automatic(Automatic::AutoSubmitted))),
            (None, Some("careadmin@nhs.net"), 0, Err(NoAutoReply::Ourselves)),
            (None, None, 0, Err(NoAutoReply::NoSender)),
            (None, Some("no-at-sign"), 0, Err(NoAutoReply::NoSender)),
        ];
        for (auto, sender, sent, want) in cases {
            assert_eq!(may_auto_reply(*auto, *sender, ours, *sent, 5), *want, "{auto:?} {sender:?} {sent}");
        }
    }

    #[test]
    fn backoff_doubles_to_an_hour_and_gives_up() {
        assert_eq!(backoff(0), Duration::minutes(1));
        assert_eq!(backoff(1), Duration::minutes(2));
        assert_eq!(backoff(5), Duration::minutes(32));
        assert_eq!(backoff(6), Duration::minutes(60));
        assert_eq!(backoff(20), Duration::minutes(60));
    }

    #[test]
    fn london_time_follows_summer_time() {
        assert_eq!(london(utc("2026-01-08T09:00:00Z")), "Thursday 8 January 2026 at 09:00");
        assert_eq!(london(utc("2026-06-08T08:00:00Z")), "Monday 8 June 2026 at 09:00");
    }
}

/// How caredesk sends and answers mail. Holds no secret: a password is read
/// from the file named here (or from systemd's `$CREDENTIALS_DIRECTORY`)
/// when it is needed, and never stored, logged or shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailSettings {
    pub addresses: super::mail::Addresses,
    /// `None`: nothing is sent and the mail outbox is the record.
    pub smtp: Option<SmtpSettings>,
    /// The IMAP mailboxes the daemon takes mail in from.
    pub imap: Vec<ImapSettings>,
    /// Whether a new ticket from an email is acknowledged.
    pub acknowledge: bool,
    pub auto_replies_per_hour: u32,
    /// The time limit on one attempt to hand a mail to the server.
    pub attempt_timeout_secs: u32,
}

impl Default for MailSettings {
    fn default() -> Self {
        MailSettings {
            addresses: super::mail::Addresses::DEFAULT,
            smtp: None,
            imap: Vec::new(),
            acknowledge: true,
            auto_replies_per_hour: AUTO_REPLIES_PER_HOUR as u32,
            attempt_timeout_secs: 30,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SmtpSecurity {
    /// Submission on port 587, upgraded with STARTTLS before anything is
    /// said; refused if the server does not offer it.
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only for a server on this machine (127.0.0.1).
    LocalPlain,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub username: Option<String>,
    /// A file holding the password, or a name looked up in
    /// `$CREDENTIALS_DIRECTORY` when it has no slash.
    pub password_file: Option<String>,
}

/// One IMAP mailbox and the channel its mail arrived by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImapSettings {
    pub channel: super::routing::Channel,
    pub host: String,
    pub port: u16,
    /// `Tls` (993), `StartTls` (143), or `LocalPlain` for a server on this machine.
    pub security: SmtpSecurity,
    pub username: String,
    /// A file holding the password, or a name in `$CREDENTIALS_DIRECTORY`.
    pub password_file: String,
    pub folder: String,
    /// Move a message here once taken in; `None`: mark it \Seen.
    pub move_to: Option<String>,
}

impl ImapSettings {
    pub fn describe(&self) -> String {
        let after = match &self.move_to {
            Some(f) => format!("moved to {f}"),
            None => "marked seen".into(),
        };
        format!(
            "{} from {}@{}:{} ({:?}) folder {}, password from {}, then {after}",
            self.channel, self.username, self.host, self.port, self.security, self.folder, self.password_file
        )
    }
}

impl MailSettings {
    /// What `caredesk mail settings` prints: every setting, and where the
    /// password comes from, never the password.
    pub fn describe(&self) -> String {
        let smtp = match &self.smtp {
            None => "none: nothing is sent, the mail outbox is the record".to_owned(),
            Some(s) => format!(
                "{}:{} ({:?}){}{}",
                s.host,
                s.port,
                s.security,
                s.username.as_deref().map(|u| format!(", as {u}")).unwrap_or_default(),
                s.password_file.as_deref().map(|f| format!(", password from {f}")).unwrap_or_default()
            ),
        };
        format!(
            "NAS address       {}\nhelpdesk address  {}\nsubmission        {smtp}\nIMAP              {}\nacknowledge       {}\nauto-replies      at most {} an hour to one sender\nattempt limit     {} s",
            self.addresses.nas,
            self.addresses.helpdesk,
            if self.imap.is_empty() {
                "none".to_owned()
            } else {
                self.imap.iter().map(ImapSettings::describe).collect::<Vec<_>>().join("\n                  ")
            },
            if self.acknowledge { "yes" } else { "no" },
            self.auto_replies_per_hour,
            self.attempt_timeout_secs
        )
    }
}
