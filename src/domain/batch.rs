//! Bulk actions and their undo: which action a batch applied, whether it
//! can be taken back, and the compensating change for one ticket.
//!
//! A batch never rewrites history: undo is a new change per ticket, made
//! through the same rules as any other, and it is worked out here from
//! what the ticket was before the batch and what the batch made it.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::account::AccountId;
use super::mailbox::MailboxId;
use super::refusal::Refusal;
use super::routing::UnknownName;
use super::ticket::{EntryKind, Ticket, TicketStatus};

/// The most tickets one bulk action or one undo takes: a whole queue of a
/// bank-holiday weekend is a few hundred, and each ticket is its own write.
pub const MAX_BATCH: usize = 5_000;

/// What a bulk action does to each ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BulkKind {
    Claim,
    Assign,
    Status,
    Note,
    Link,
    Close,
}

impl BulkKind {
    pub const ALL: [BulkKind; 6] =
        [BulkKind::Claim, BulkKind::Assign, BulkKind::Status, BulkKind::Note, BulkKind::Link, BulkKind::Close];

    pub fn slug(self) -> &'static str {
        match self {
            BulkKind::Claim => "claim",
            BulkKind::Assign => "assign",
            BulkKind::Status => "status",
            BulkKind::Note => "note",
            BulkKind::Link => "link",
            BulkKind::Close => "close",
        }
    }

    /// Why the action cannot be taken back, when it cannot: said before
    /// it runs.
    pub fn cannot_undo(self) -> Option<&'static str> {
        match self {
            BulkKind::Note => {
                Some("a note cannot be undone: it stays on each ticket's timeline (add another note to correct it)")
            }
            _ => None,
        }
    }
}

impl fmt::Display for BulkKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.slug())
    }
}

impl FromStr for BulkKind {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, UnknownName> {
        let wanted = s.trim().to_ascii_lowercase();
        BulkKind::ALL.into_iter().find(|k| k.slug() == wanted).ok_or_else(|| UnknownName {
            what: "bulk action",
            given: s.to_owned(),
            choices: "claim, assign, status, note, link, close".to_owned(),
        })
    }
}

/// What a ticket was, as far as undo cares: read back from the `before` and
/// `after` of its audit entry (the ticket as JSON; other fields ignored).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TicketState {
    pub status: TicketStatus,
    pub assignee: Option<String>,
    pub account: Option<AccountId>,
    pub mailbox: Option<MailboxId>,
    pub meta: super::record::RecordMeta,
}

/// The change that takes one ticket of a batch back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Compensation {
    /// Gives a claimed ticket back: its assignee and status as before.
    Unclaim {
        assignee: Option<String>,
        status: TicketStatus,
    },
    Assign {
        to: Option<String>,
    },
    /// Its status as before, and the assignee it had then: a status
    /// change can clear the assignee (back to new), and undoing it gives
    /// the ticket back to them.
    Status {
        status: TicketStatus,
        assignee: Option<String>,
    },
    /// Its links as before (none: unlinked).
    Relink {
        account: Option<AccountId>,
        mailbox: Option<MailboxId>,
    },
}

/// Why one ticket of a batch is not taken back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotUndone {
    #[error("{0}")]
    Never(&'static str),
    #[error("this entry is not one a bulk action writes ({0}), so it has no undo")]
    Unknown(String),
}

/// The compensation for one audit entry of a batch, by its action name.
pub fn compensation(action: &str, before: &TicketState) -> Result<Compensation, NotUndone> {
    match action {
        "ticket.claim" => Ok(Compensation::Unclaim { assignee: before.assignee.clone(), status: before.status }),
        "ticket.unclaim" | "ticket.assign" => Ok(Compensation::Assign { to: before.assignee.clone() }),
        "ticket.status" => Ok(Compensation::Status { status: before.status, assignee: before.assignee.clone() }),
        "ticket.link" | "ticket.relink" => {
            Ok(Compensation::Relink { account: before.account, mailbox: before.mailbox })
        }
        "ticket.note" => Err(NotUndone::Never(BulkKind::Note.cannot_undo().unwrap_or_default())),
        other => Err(NotUndone::Unknown(other.to_owned())),
    }
}

/// Whether `now` still holds what the batch left in the fields its undo
/// puts back: a ticket someone has moved on since is not undone, whatever
/// else (a note) was added meanwhile.
pub fn still_as_left(action: &str, after: &TicketState, now: &Ticket) -> bool {
    match action {
        "ticket.claim" | "ticket.unclaim" => now.assignee == after.assignee && now.status == after.status,
        "ticket.assign" => now.assignee == after.assignee,
        "ticket.status" => now.status == after.status,
        "ticket.link" | "ticket.relink" => now.account == after.account && now.mailbox == after.mailbox,
        _ => false,
    }
}

impl Ticket {
    /// Gives back a ticket `by` claimed: to `assignee` (nobody, as a rule)
    /// and, if the claim moved it on from new, back to `status`.
    pub fn unclaim(
        &self,
        assignee: Option<&str>,
        status: TicketStatus,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<Ticket, Refusal> {
        self.require_open()?;
        if self.assignee.as_deref() == assignee && self.status == status {
            return Err(Refusal::NothingToChange { what: format!("{} is already as it was", self.reference) });
        }
        let mut next = self.next(by, at);
        next.assignee = assignee.map(str::to_owned);
        let mut said = match assignee {
            Some(op) => format!("claim undone by {by}: back to {op}"),
            None => format!("claim undone by {by}: unassigned"),
        };
        if status != self.status && status.is_open() {
            said.push_str(&format!(", status {} → {status}", self.status));
            next.status = status;
        }
        next.push(EntryKind::Event, by, at, said);
        Ok(next)
    }

    /// Sets the links to exactly these: what undoing a link does.
    pub fn relink(
        &self,
        account: Option<(AccountId, &str)>,
        mailbox: Option<(MailboxId, &str)>,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<Ticket, Refusal> {
        self.require_open()?;
        if self.account == account.map(|a| a.0) && self.mailbox == mailbox.map(|m| m.0) {
            return Err(Refusal::NothingToChange { what: format!("{} is already linked that way", self.reference) });
        }
        let mut next = self.next(by, at);
        next.account = account.map(|a| a.0);
        next.mailbox = mailbox.map(|m| m.0);
        let named: Vec<&str> = account.map(|a| a.1).into_iter().chain(mailbox.map(|m| m.1)).collect();
        let said = if named.is_empty() {
            "links removed".to_owned()
        } else {
            format!("linked to {} only", named.join(" and "))
        };
        next.push(EntryKind::Event, by, at, format!("{said} by {by}"));
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::record::RecordMeta;

    fn state(status: TicketStatus, assignee: Option<&str>) -> TicketState {
        TicketState {
            status,
            assignee: assignee.map(str::to_owned),
            account: Some(4),
            mailbox: None,
            meta: RecordMeta::created("nas1", DateTime::from_timestamp(0, 0).unwrap()),
        }
    }

    #[test]
    fn each_action_has_its_compensation_or_says_why_not() {
        use TicketStatus::*;
        let cases: &[(&str, TicketState, Result<Compensation, &str>)] = &[
            ("ticket.claim", state(New, None), Ok(Compensation::Unclaim { assignee: None, status: New })),
            ("ticket.assign", state(InProgress, Some("nas2")), Ok(Compensation::Assign { to: Some("nas2".into()) })),
            (
                "ticket.status",
                state(WaitingOnOwner, None),
                Ok(Compensation::Status { status: WaitingOnOwner, assignee: None }),
            ),
            ("ticket.link", state(New, None), Ok(Compensation::Relink { account: Some(4), mailbox: None })),
            ("ticket.note", state(New, None), Err("a note cannot be undone")),
            ("account.leaver", state(New, None), Err("not one a bulk action writes")),
        ];
        for (action, before, want) in cases {
            match (compensation(action, before), want) {
                (Ok(got), Ok(want)) => assert_eq!(&got, want, "{action}"),
                (Err(got), Err(want)) => assert!(got.to_string().contains(want), "{action}: {got}"),
                (got, want) => panic!("{action}: got {got:?}, wanted {want:?}"),
            }
        }
    }

    #[test]
    fn only_a_note_is_announced_as_not_undoable() {
        for kind in BulkKind::ALL {
            assert_eq!(kind.cannot_undo().is_some(), kind == BulkKind::Note, "{kind}");
            assert_eq!(kind.slug().parse::<BulkKind>().unwrap(), kind);
        }
    }
}
