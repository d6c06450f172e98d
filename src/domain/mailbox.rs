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

    /// Whether `account` may take this mailbox over: a suitable owner from
    /// the mailbox's own organisation who does not own it already.
    pub fn check_new_owner(&self, account: &Account) -> Result<(), Refusal> {
        check_owner_in(account, &self.ods)?;
        if self.owner == Some(account.id) {
            return Err(Refusal::NothingToChange {
                what: format!("{} already owns {}", account.address, self.address),
            });
        }
        Ok(())
    }

    /// Whether `account` may be taken out of the mailbox: not its owner,
    /// who stays a member until someone else owns it.
    pub fn check_removal(&self, account: &Account) -> Result<(), Refusal> {
        if self.owner == Some(account.id) {
            return Err(Refusal::OwnerStaysMember { mailbox: self.address.clone(), account: account.address.clone() });
        }
        Ok(())
    }

    pub fn next(&self, by: &str, at: DateTime<Utc>) -> Mailbox {
        let mut next = self.clone();
        next.meta = self.meta.next(by, at);
        next
    }
}

/// The owner is the helpdesk's contact for the organisation and vouches for
/// its people: an active personal account with a mobile number. An account
/// not yet activated, or gone inactive, cannot be reached that way.
pub fn check_owner(account: &Account) -> Result<(), Refusal> {
    let why = match account.status {
        AccountStatus::Deleted => Some("the account has been deleted"),
        AccountStatus::Leaver => Some("the account is marked as a leaver"),
        AccountStatus::PendingActivation => {
            Some("the account has not been activated yet: its user must log in and change the temporary password first")
        }
        AccountStatus::Inactive => Some(
            "the account is inactive: its user must log in (or have the password reset) before it can own a mailbox",
        ),
        AccountStatus::Active if account.mobile().is_none() => Some("the account has no mobile number"),
        AccountStatus::Active => None,
    };
    match why {
        Some(why) => Err(Refusal::UnsuitableOwner { address: account.address.clone(), why: why.to_owned() }),
        None => Ok(()),
    }
}

/// A suitable owner (see [`check_owner`]) who belongs to `ods`, the
/// organisation of the mailbox they would own.
pub fn check_owner_in(account: &Account, ods: &OdsCode) -> Result<(), Refusal> {
    check_owner(account)?;
    if account.ods != *ods {
        return Err(Refusal::UnsuitableOwner {
            address: account.address.clone(),
            why: format!("they belong to {}, not {ods}", account.ods),
        });
    }
    Ok(())
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

/// The longest reason recorded for a member from another organisation.
pub const MAX_REASON_CHARS: usize = 500;

/// Whether `account` may join `mailbox`: a suitable member (see
/// [`check_member`]) from the mailbox's organisation, or from another one
/// with a reason, which the change records. Returns the reason, cleaned
/// of control characters, when one is needed.
pub fn check_new_member(mailbox: &Mailbox, account: &Account, reason: Option<&str>) -> Result<Option<String>, Refusal> {
    check_member(account)?;
    if account.ods == mailbox.ods {
        return Ok(None);
    }
    let cleaned: String = reason
        .unwrap_or_default()
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .filter(|c| !c.is_control())
        .collect();
    let cleaned = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    if cleaned.is_empty() || cleaned.chars().count() > MAX_REASON_CHARS {
        return Err(Refusal::CrossOrganisationMember {
            mailbox: mailbox.address.clone(),
            account: account.address.clone(),
            member_ods: account.ods.clone(),
            mailbox_ods: mailbox.ods.clone(),
        });
    }
    Ok(Some(cleaned))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::account::{NewAccount, PersonalData};
    use crate::domain::organisation::Administration;
    use crate::domain::record::RecordMeta;
    use crate::domain::validate::{Email, Mobile};

    fn at() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-01-07T10:00:00Z").unwrap().to_utc()
    }

    fn person(id: AccountId, local: &str, ods: &str) -> Account {
        Account::register(
            NewAccount {
                id,
                address: NhsMailAddress::parse(&format!("{local}@nhs.net")).unwrap(),
                personal: PersonalData {
                    first_name: "Jo".into(),
                    last_name: "Bloggs".into(),
                    email: Email::parse(&format!("{local}@example.org")).unwrap(),
                    mobile: Mobile::parse(&format!("07700900{id:03}")).unwrap(),
                },
                ods: OdsCode::parse(ods).unwrap(),
                administered_by: Administration::Nas,
            },
            "nas1",
            at(),
        )
    }

    fn team(owner: AccountId) -> Mailbox {
        Mailbox {
            id: 1,
            address: NhsMailAddress::parse("oak.team@nhs.net").unwrap(),
            display_name: "Oak Team".into(),
            ods: OdsCode::parse("V1234").unwrap(),
            owner: Some(owner),
            sponsorship: Sponsorship::National,
            member_count: 2,
            created_at: at(),
            last_accessed_at: None,
            meta: RecordMeta::created("nas1", at()),
        }
    }

    #[test]
    fn who_may_take_a_mailbox_over() {
        let mailbox = team(1);
        let owner = with_status(person(1, "jo.bloggs", "V1234"), AccountStatus::Active);
        let colleague = with_status(person(2, "sam.smith", "V1234"), AccountStatus::Active);
        let elsewhere = with_status(person(3, "pat.lee", "V9999"), AccountStatus::Active);
        let leaver = colleague.mark_leaver("nas1", at()).unwrap();
        assert_eq!(mailbox.check_new_owner(&colleague), Ok(()));
        let refused = |a: &Account| mailbox.check_new_owner(a).unwrap_err().to_string();
        assert!(refused(&owner).contains("already owns oak.team@nhs.net"), "{}", refused(&owner));
        assert!(refused(&elsewhere).contains("they belong to V9999, not V1234"), "{}", refused(&elsewhere));
        assert!(refused(&leaver).contains("marked as a leaver"), "{}", refused(&leaver));
    }

    fn with_status(mut account: Account, status: AccountStatus) -> Account {
        account.status = status;
        account
    }

    /// An owner must be reachable: active, with a mobile.
    #[test]
    fn who_may_own_a_mailbox() {
        let jo = || person(2, "sam.smith", "V1234");
        let mut no_mobile = with_status(jo(), AccountStatus::Active);
        no_mobile.personal = None;
        let cases = [
            (with_status(jo(), AccountStatus::Active), None),
            (with_status(jo(), AccountStatus::PendingActivation), Some("not been activated yet")),
            (with_status(jo(), AccountStatus::Inactive), Some("is inactive")),
            (with_status(jo(), AccountStatus::Leaver), Some("marked as a leaver")),
            (with_status(jo(), AccountStatus::Deleted), Some("deleted")),
            (no_mobile, Some("no mobile number")),
        ];
        for (account, want) in cases {
            let got = check_owner(&account);
            match want {
                None => assert_eq!(got, Ok(()), "{:?}", account.status),
                Some(why) => {
                    let message = got.expect_err(why).to_string();
                    assert!(message.contains(why), "{:?}: {message}", account.status);
                }
            }
        }
    }

    /// (member's organisation, reason given) → the reason recorded, or refused.
    #[test]
    fn a_member_from_another_organisation_needs_a_reason() {
        let mailbox = team(1);
        let long = "x".repeat(MAX_REASON_CHARS + 1);
        type Case<'a> = (&'a str, Option<&'a str>, Result<Option<&'a str>, ()>);
        let cases: [Case; 6] = [
            ("V1234", None, Ok(None)),
            ("V1234", Some("ignored"), Ok(None)),
            ("V9999", None, Err(())),
            ("V9999", Some("  \u{1b}\n "), Err(())),
            ("V9999", Some(long.as_str()), Err(())),
            ("V9999", Some(" covers\tnights\u{1b}[31m for Oak "), Ok(Some("covers nights[31m for Oak"))),
        ];
        for (ods, reason, want) in cases {
            let member = with_status(person(3, "pat.lee", ods), AccountStatus::Active);
            let got = check_new_member(&mailbox, &member, reason);
            match want {
                Ok(recorded) => assert_eq!(got, Ok(recorded.map(str::to_owned)), "{ods} {reason:?}"),
                Err(()) => {
                    let message = got.expect_err(ods).to_string();
                    assert!(
                        message.contains("belongs to V9999, not V1234") && message.contains("needs a reason"),
                        "{message}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_owner_stays_a_member() {
        let mailbox = team(1);
        assert!(matches!(
            mailbox.check_removal(&person(1, "jo.bloggs", "V1234")),
            Err(Refusal::OwnerStaysMember { .. })
        ));
        assert_eq!(mailbox.check_removal(&person(2, "sam.smith", "V1234")), Ok(()));
    }
}
