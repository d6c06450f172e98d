//! Tickets: every request, its routing, its status and its timeline.
//!
//! The human reference (`CD-000123`) is the ticket number; the timeline is
//! kept inside the record because a ticket gathers tens of entries, not
//! thousands.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::account::AccountId;
use super::mailbox::MailboxId;
use super::names::named;
use super::record::RecordMeta;
use super::refusal::Refusal;
use super::routing::{Category, Channel, Routing};
use super::validate::{Email, OdsCode};

/// A ticket number, shown as `CD-000123`: a string in JSON, a number in the
/// store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TicketRef(pub u64);

impl Serialize for TicketRef {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() { s.collect_str(self) } else { s.serialize_u64(self.0) }
    }
}

impl<'de> Deserialize<'de> for TicketRef {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if d.is_human_readable() {
            let text = String::deserialize(d)?;
            text.parse().map_err(serde::de::Error::custom)
        } else {
            u64::deserialize(d).map(TicketRef)
        }
    }
}

impl fmt::Display for TicketRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CD-{:06}", self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a ticket reference: give it as CD-000123 (or just the number)")]
pub struct BadTicketRef(pub String);

impl FromStr for TicketRef {
    type Err = BadTicketRef;
    fn from_str(s: &str) -> Result<Self, BadTicketRef> {
        let t = s.trim();
        let digits = t.strip_prefix("CD-").or_else(|| t.strip_prefix("cd-")).unwrap_or(t);
        match digits.parse::<u64>() {
            Ok(n) if n > 0 && digits.bytes().all(|b| b.is_ascii_digit()) => Ok(TicketRef(n)),
            _ => Err(BadTicketRef(s.to_owned())),
        }
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, strum::VariantArray, strum::IntoStaticStr,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum TicketStatus {
    New,
    InProgress,
    WaitingOnRequester,
    WaitingOnOwner,
    Resolved,
    Closed,
}

impl TicketStatus {
    /// Open tickets are the ones still to be worked.
    pub fn is_open(self) -> bool {
        !matches!(self, TicketStatus::Resolved | TicketStatus::Closed)
    }

    /// Stable one-byte code used in index values; never reorder.
    pub fn code(self) -> u8 {
        TicketStatus::ALL.iter().position(|s| *s == self).unwrap_or(0) as u8
    }

    pub fn from_code(code: u8) -> Option<TicketStatus> {
        TicketStatus::ALL.get(usize::from(code)).copied()
    }
}

named!(TicketStatus, "status");

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requester {
    pub name: String,
    pub email: Option<Email>,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EntryKind {
    /// Seen by operators only.
    Note,
    /// Sent to the requester.
    Reply,
    /// Written by caredesk itself: routing, claims, status changes,
    /// verification steps.
    Event,
    /// Written by the requester (an email taken in).
    Requester,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    #[serde(with = "super::time::ts")]
    pub at: DateTime<Utc>,
    pub by: String,
    pub kind: EntryKind,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    pub reference: TicketRef,
    #[serde(with = "super::time::ts")]
    pub received_at: DateTime<Utc>,
    pub channel: Channel,
    pub category: Category,
    pub subject: String,
    pub body: String,
    pub requester: Requester,
    pub ods: Option<OdsCode>,
    /// The shared mailbox named by the requester, for requests about a
    /// missing personal account.
    pub mailbox_name: Option<String>,
    pub account: Option<AccountId>,
    pub mailbox: Option<MailboxId>,
    pub routing: Routing,
    pub status: TicketStatus,
    pub assignee: Option<String>,
    pub timeline: Vec<TimelineEntry>,
    pub meta: RecordMeta,
}

/// What a request must say before it can be worked, by category.
pub fn required_details(category: Category) -> &'static [Detail] {
    match category {
        Category::MissingPersonalAccount => &[Detail::FirstAndLastName, Detail::OdsCode, Detail::SharedMailboxName],
        Category::MissingSharedMailbox => &[Detail::FirstAndLastName, Detail::OdsCode],
        Category::NewAccount | Category::Leaver | Category::Move | Category::OwnerChange | Category::MailboxAccess => {
            &[Detail::OdsCode]
        }
        _ => &[],
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    FirstAndLastName,
    OdsCode,
    SharedMailboxName,
}

impl Detail {
    pub fn label(self) -> &'static str {
        match self {
            Detail::FirstAndLastName => "the requester's first and last name",
            Detail::OdsCode => "the organisation's ODS code",
            Detail::SharedMailboxName => "the shared mailbox name",
        }
    }
}

/// The details a request of `category` still lacks.
pub fn missing_details(
    category: Category,
    requester_name: &str,
    ods: Option<&OdsCode>,
    mailbox_name: Option<&str>,
) -> Vec<Detail> {
    required_details(category)
        .iter()
        .copied()
        .filter(|d| match d {
            Detail::FirstAndLastName => requester_name.split_whitespace().count() < 2,
            Detail::OdsCode => ods.is_none(),
            Detail::SharedMailboxName => mailbox_name.is_none_or(|m| m.trim().is_empty()),
        })
        .collect()
}

impl Ticket {
    pub fn is_open(&self) -> bool {
        self.status.is_open()
    }

    pub fn next(&self, by: &str, at: DateTime<Utc>) -> Ticket {
        let mut next = self.clone();
        next.meta = self.meta.next(by, at);
        next
    }

    pub fn push(&mut self, kind: EntryKind, by: &str, at: DateTime<Utc>, text: impl Into<String>) {
        self.timeline.push(TimelineEntry { at, by: by.to_owned(), kind, text: text.into() });
    }

    pub fn require_open(&self) -> Result<(), Refusal> {
        if self.is_open() {
            Ok(())
        } else {
            Err(Refusal::TicketClosed { reference: self.reference.to_string(), status: self.status.slug().to_owned() })
        }
    }

    /// Takes the ticket for `operator`; of two claims, the second is refused
    /// with the name of the first.
    pub fn claim(&self, operator: &str, at: DateTime<Utc>) -> Result<Ticket, Refusal> {
        self.require_open()?;
        match &self.assignee {
            Some(holder) if holder == operator => {
                Err(Refusal::NothingToChange { what: format!("{} is already yours", self.reference) })
            }
            Some(holder) => Err(Refusal::AlreadyClaimed { reference: self.reference.to_string(), by: holder.clone() }),
            None => {
                let mut next = self.next(operator, at);
                next.assignee = Some(operator.to_owned());
                if next.status == TicketStatus::New {
                    next.status = TicketStatus::InProgress;
                }
                next.push(EntryKind::Event, operator, at, format!("claimed by {operator}"));
                Ok(next)
            }
        }
    }

    /// Gives the ticket to `to`, or to nobody. A ticket let go of goes
    /// back to its queue: started work is `new` again (see
    /// [`released_status`](super::ticket_flow::released_status)).
    pub fn assign(&self, to: Option<&str>, by: &str, at: DateTime<Utc>) -> Result<Ticket, Refusal> {
        self.require_open()?;
        if self.assignee.as_deref() == to {
            return Err(Refusal::NothingToChange { what: format!("{} is already assigned that way", self.reference) });
        }
        let mut next = self.next(by, at);
        next.assignee = to.map(str::to_owned);
        let text = match (to, self.assignee.as_deref()) {
            (Some(op), _) => format!("assigned to {op} by {by}"),
            (None, Some(holder)) if holder == by => format!("handed back by {by}"),
            (None, _) => format!("unassigned by {by}"),
        };
        next.push(EntryKind::Event, by, at, text);
        if to.is_none() {
            let status = super::ticket_flow::released_status(self.status);
            if status != self.status {
                next.push(EntryKind::Event, by, at, format!("status {} → {status}", self.status));
                next.status = status;
            }
        }
        Ok(next)
    }

    /// Moves the ticket to `status` as the lifecycle allows (see
    /// `ticket_flow`), clearing what the move clears.
    pub fn set_status(&self, status: TicketStatus, by: &str, at: DateTime<Utc>) -> Result<Ticket, Refusal> {
        let step = super::ticket_flow::status_step(self.status, status)
            .map_err(|no| no.refusal(self.reference.to_string(), self.status, status))?;
        let mut next = self.next(by, at);
        let reopened = if step.reopens { " (reopened)" } else { "" };
        next.push(EntryKind::Event, by, at, format!("status {} → {status}{reopened}", self.status));
        next.status = status;
        if step.clears_assignee {
            if let Some(holder) = next.assignee.take() {
                next.push(EntryKind::Event, by, at, format!("back in the queue: no longer assigned to {holder}"));
            }
        }
        Ok(next)
    }

    pub fn add_entry(&self, kind: EntryKind, text: &str, by: &str, at: DateTime<Utc>) -> Result<Ticket, Refusal> {
        if self.status == TicketStatus::Closed {
            return Err(Refusal::TicketClosed { reference: self.reference.to_string(), status: "closed".to_owned() });
        }
        let mut next = self.next(by, at);
        next.push(kind, by, at, text);
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_read_and_print_alike() {
        assert_eq!(TicketRef(123).to_string(), "CD-000123");
        for text in ["CD-000123", "cd-123", "123", " CD-123 "] {
            assert_eq!(text.parse::<TicketRef>().unwrap(), TicketRef(123), "{text}");
        }
        for bad in ["", "CD-", "CD-12a", "0", "-5", "CD-+5"] {
            assert!(bad.parse::<TicketRef>().is_err(), "{bad}");
        }
    }

    #[test]
    fn missing_details_table() {
        let ods = OdsCode::parse("V1234").unwrap();
        use Category::*;
        type Case<'a> = (Category, &'a str, Option<&'a OdsCode>, Option<&'a str>, &'a [Detail]);
        let cases: &[Case] = &[
            (MissingPersonalAccount, "Jo Bloggs", Some(&ods), Some("Sunrise shared"), &[]),
            (MissingPersonalAccount, "Jo", Some(&ods), None, &[Detail::FirstAndLastName, Detail::SharedMailboxName]),
            (MissingPersonalAccount, "Jo Bloggs", None, Some("  "), &[Detail::OdsCode, Detail::SharedMailboxName]),
            (MissingSharedMailbox, "Jo Bloggs", None, None, &[Detail::OdsCode]),
            (MissingSharedMailbox, "Jo Bloggs", Some(&ods), None, &[]),
            (PasswordReset, "Jo", None, None, &[]),
            (Leaver, "Jo Bloggs", None, None, &[Detail::OdsCode]),
        ];
        for (category, name, ods, mailbox, want) in cases {
            assert_eq!(missing_details(*category, name, *ods, *mailbox), *want, "{category} {name}");
        }
    }

    #[test]
    fn status_codes_are_stable() {
        for &s in TicketStatus::ALL {
            assert_eq!(TicketStatus::from_code(s.code()), Some(s));
        }
        assert_eq!(TicketStatus::Closed.code(), 5);
        assert_eq!(TicketStatus::ALL.iter().filter(|s| s.is_open()).count(), 4);
    }
}
