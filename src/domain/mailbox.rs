//! Shared mailboxes: no password, no activation, never deleted.
//!
//! Members are kept as pairs in the store (both ways), not inside the
//! record, because a mailbox may have any number of them. The record keeps
//! the count so a list can show it without touching the pairs.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::account::{Account, AccountId, AccountStatus};
use super::address::NhsMailAddress;
use super::record::RecordMeta;
use super::refusal::Refusal;
use super::validate::OdsCode;

pub type MailboxId = u64;

/// A mailbox not opened for this long is flagged: referrals may be waiting.
pub const NOT_ACCESSED_FLAG_DAYS: i64 = 30;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Sponsorship {
    /// Created through the national process.
    National,
    /// A legacy mailbox sponsored by another organisation; its format
    /// cannot be changed.
    SponsoredBy { sponsor: OdsCode },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mailbox {
    pub id: MailboxId,
    pub address: NhsMailAddress,
    pub display_name: String,
    pub ods: OdsCode,
    /// `None` only when the owner's account was deleted by the lifecycle
    /// sweep; the console asks for a new owner.
    pub owner: Option<AccountId>,
    pub sponsorship: Sponsorship,
    pub member_count: u32,
    #[serde(with = "super::time::ts")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "super::time::ts_opt")]
    pub last_accessed_at: Option<DateTime<Utc>>,
    pub meta: RecordMeta,
}

impl Mailbox {
    pub fn not_accessed_recently(&self, now: DateTime<Utc>) -> bool {
        let since = self.last_accessed_at.unwrap_or(self.created_at);
        now - since > Duration::days(NOT_ACCESSED_FLAG_DAYS)
    }

    /// Refuses changes to a legacy sponsored mailbox: only its sponsor's
    /// local administrator may touch it.
    pub fn require_national(&self) -> Result<(), Refusal> {
        match &self.sponsorship {
            Sponsorship::National => Ok(()),
            Sponsorship::SponsoredBy { sponsor } => {
                Err(Refusal::SponsoredMailbox { mailbox: self.address.clone(), sponsor: sponsor.clone() })
            }
        }
    }

    pub fn next(&self, by: &str, at: DateTime<Utc>) -> Mailbox {
        let mut next = self.clone();
        next.meta = self.meta.next(by, at);
        next
    }
}

/// The owner is the helpdesk's contact for the organisation: a live personal
/// account with a mobile number.
pub fn check_owner(account: &Account) -> Result<(), Refusal> {
    let why = match account.status {
        AccountStatus::Deleted => Some("the account has been deleted"),
        AccountStatus::Leaver => Some("the account is marked as a leaver"),
        _ if account.mobile().is_none() => Some("the account has no mobile number"),
        _ => None,
    };
    match why {
        Some(why) => Err(Refusal::UnsuitableOwner { address: account.address.clone(), why: why.to_owned() }),
        None => Ok(()),
    }
}

/// Every member must hold a live personal account.
pub fn check_member(account: &Account) -> Result<(), Refusal> {
    let why = match account.status {
        AccountStatus::Deleted => Some("the account has been deleted"),
        AccountStatus::Leaver => Some("the account is marked as a leaver"),
        _ => None,
    };
    match why {
        Some(why) => Err(Refusal::UnsuitableMember { address: account.address.clone(), why: why.to_owned() }),
        None => Ok(()),
    }
}
