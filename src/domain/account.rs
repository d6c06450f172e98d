//! Personal NHSmail accounts and the changes the lifecycle rules allow.
//!
//! Every state change is a method that takes the instant as an argument and
//! either returns the changed account or a refusal; nothing here reads a
//! clock or a store. When an account is deleted its personal data is erased
//! and the record stays behind as a tombstone (address and dates).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::address::NhsMailAddress;
use super::organisation::Administration;
use super::record::RecordMeta;
use super::refusal::Refusal;
use super::routing::Category;
use super::validate::{Email, Mobile, OdsCode};

pub type AccountId = u64;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AccountStatus {
    /// Temporary password sent; the user has not yet changed it.
    PendingActivation,
    Active,
    /// No login, or no password change, for 90 days.
    Inactive,
    /// Marked as leaving; deleted 30 days later unless taken as a joiner.
    Leaver,
    /// Personal data erased; a tombstone for the audit trail.
    Deleted,
}

impl AccountStatus {
    pub fn label(self) -> &'static str {
        match self {
            AccountStatus::PendingActivation => "pending activation",
            AccountStatus::Active => "active",
            AccountStatus::Inactive => "inactive",
            AccountStatus::Leaver => "leaver",
            AccountStatus::Deleted => "deleted",
        }
    }
}

/// What deletion erases.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonalData {
    pub first_name: String,
    pub last_name: String,
    /// The personal email given at registration.
    pub email: Email,
    pub mobile: Mobile,
}

impl PersonalData {
    pub fn full_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub id: AccountId,
    pub address: NhsMailAddress,
    /// `None` once the account is deleted.
    pub personal: Option<PersonalData>,
    pub mobile_hidden: bool,
    pub ods: OdsCode,
    pub administered_by: Administration,
    pub status: AccountStatus,
    pub must_change_password: bool,
    #[serde(with = "super::time::ts")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "super::time::ts_opt")]
    pub activated_at: Option<DateTime<Utc>>,
    #[serde(with = "super::time::ts_opt")]
    pub last_login_at: Option<DateTime<Utc>>,
    #[serde(with = "super::time::ts_opt")]
    pub password_changed_at: Option<DateTime<Utc>>,
    #[serde(with = "super::time::ts_opt")]
    pub temp_password_issued_at: Option<DateTime<Utc>>,
    #[serde(with = "super::time::ts_opt")]
    pub locked_at: Option<DateTime<Utc>>,
    #[serde(with = "super::time::ts_opt")]
    pub inactive_since: Option<DateTime<Utc>>,
    #[serde(with = "super::time::ts_opt")]
    pub leaver_since: Option<DateTime<Utc>>,
    #[serde(with = "super::time::ts_opt")]
    pub deleted_at: Option<DateTime<Utc>>,
    pub meta: RecordMeta,
}

/// What a new account is made from, once validated.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub id: AccountId,
    pub address: NhsMailAddress,
    pub personal: PersonalData,
    pub ods: OdsCode,
    pub administered_by: Administration,
}

impl Account {
    /// A new account, pending activation: its temporary password is issued
    /// in the same step.
    pub fn register(new: NewAccount, by: &str, at: DateTime<Utc>) -> Account {
        Account {
            id: new.id,
            address: new.address,
            personal: Some(new.personal),
            mobile_hidden: false,
            ods: new.ods,
            administered_by: new.administered_by,
            status: AccountStatus::PendingActivation,
            must_change_password: true,
            created_at: at,
            activated_at: None,
            last_login_at: None,
            password_changed_at: None,
            temp_password_issued_at: Some(at),
            locked_at: None,
            inactive_since: None,
            leaver_since: None,
            deleted_at: None,
            meta: RecordMeta::created(by, at),
        }
    }

    pub fn mobile(&self) -> Option<&Mobile> {
        self.personal.as_ref().map(|p| &p.mobile)
    }

    pub fn display_name(&self) -> String {
        self.personal.as_ref().map_or_else(|| "(erased)".to_owned(), PersonalData::full_name)
    }

    /// What a call about this account is most likely to ask for, from the
    /// state it is in: a leaver's call is about leaving, a locked account's
    /// about unlocking, one waiting for its first login about activating;
    /// an account in good order most often needs its password reset.
    pub fn likely_request(&self) -> Category {
        match self.status {
            AccountStatus::Deleted => Category::MissingPersonalAccount,
            AccountStatus::Leaver => Category::Leaver,
            _ if self.locked_at.is_some() => Category::Unlock,
            AccountStatus::PendingActivation => Category::ActivationHelp,
            AccountStatus::Active if self.must_change_password => Category::ActivationHelp,
            AccountStatus::Active | AccountStatus::Inactive => Category::PasswordReset,
        }
    }

    /// Whether the number a caller read out is this account's registered
    /// mobile, however it was written ("+44 7700 900123", "07700 900123"):
    /// the caller proves they hold the mobile without anyone reading the
    /// registered number to them. An account with no mobile matches none.
    pub fn mobile_read_out_matches(&self, read_out: &str) -> Result<bool, super::validate::ValidationError> {
        let read_out = Mobile::parse(read_out)?;
        Ok(self.mobile() == Some(&read_out))
    }

    fn next(&self, by: &str, at: DateTime<Utc>) -> Account {
        let mut next = self.clone();
        next.meta = self.meta.next(by, at);
        next
    }

    /// Refuses any change to a deleted account, which is only a tombstone.
    pub fn refuse_if_gone(&self) -> Result<(), Refusal> {
        if self.status == AccountStatus::Deleted {
            return Err(Refusal::AccountDeleted { address: self.address.clone(), deleted_at: self.deleted_at });
        }
        Ok(())
    }

    /// The directory reports a login.
    pub fn record_login(&self, by: &str, at: DateTime<Utc>) -> Result<Account, Refusal> {
        self.refuse_if_gone()?;
        let mut next = self.next(by, at);
        next.last_login_at = Some(at);
        if next.status == AccountStatus::Inactive {
            next.status =
                if next.activated_at.is_some() { AccountStatus::Active } else { AccountStatus::PendingActivation };
            next.inactive_since = None;
        }
        Ok(next)
    }

    /// The directory reports a password change; the first one activates.
    pub fn record_password_change(&self, by: &str, at: DateTime<Utc>) -> Result<Account, Refusal> {
        self.refuse_if_gone()?;
        let mut next = self.next(by, at);
        next.password_changed_at = Some(at);
        next.must_change_password = false;
        next.activated_at.get_or_insert(at);
        if matches!(next.status, AccountStatus::PendingActivation | AccountStatus::Inactive) {
            next.status = AccountStatus::Active;
            next.inactive_since = None;
        }
        Ok(next)
    }

    /// A temporary password is issued: the user must change it at next login.
    /// An inactive account comes back to life; a locked one is unlocked.
    pub fn issue_temporary_password(&self, by: &str, at: DateTime<Utc>) -> Result<Account, Refusal> {
        self.refuse_if_gone()?;
        if self.status == AccountStatus::Leaver {
            return Err(Refusal::AccountIsLeaver { address: self.address.clone(), since: self.leaver_since });
        }
        let mut next = self.next(by, at);
        next.temp_password_issued_at = Some(at);
        next.must_change_password = true;
        next.locked_at = None;
        if next.status == AccountStatus::Inactive {
            next.status =
                if next.activated_at.is_some() { AccountStatus::Active } else { AccountStatus::PendingActivation };
            next.inactive_since = None;
        }
        Ok(next)
    }

    pub fn record_lock(&self, by: &str, at: DateTime<Utc>) -> Result<Account, Refusal> {
        self.refuse_if_gone()?;
        let mut next = self.next(by, at);
        next.locked_at = Some(at);
        Ok(next)
    }

    pub fn unlock(&self, by: &str, at: DateTime<Utc>) -> Result<Account, Refusal> {
        self.refuse_if_gone()?;
        if self.locked_at.is_none() {
            return Err(Refusal::NotLocked { address: self.address.clone() });
        }
        let mut next = self.next(by, at);
        next.locked_at = None;
        Ok(next)
    }

    pub fn set_mobile_hidden(&self, hidden: bool, by: &str, at: DateTime<Utc>) -> Result<Account, Refusal> {
        self.refuse_if_gone()?;
        if self.mobile_hidden == hidden {
            return Err(Refusal::NothingToChange {
                what: format!("the mobile of {} is already {}", self.address, if hidden { "hidden" } else { "shown" }),
            });
        }
        let mut next = self.next(by, at);
        next.mobile_hidden = hidden;
        Ok(next)
    }

    /// The mobile the owner of the organisation's shared mailbox confirmed.
    pub fn change_mobile(&self, mobile: Mobile, by: &str, at: DateTime<Utc>) -> Result<Account, Refusal> {
        self.refuse_if_gone()?;
        let mut next = self.next(by, at);
        if let Some(p) = next.personal.as_mut() {
            p.mobile = mobile;
        }
        Ok(next)
    }

    pub fn mark_leaver(&self, by: &str, at: DateTime<Utc>) -> Result<Account, Refusal> {
        self.refuse_if_gone()?;
        if self.status == AccountStatus::Leaver {
            return Err(Refusal::AccountIsLeaver { address: self.address.clone(), since: self.leaver_since });
        }
        let mut next = self.next(by, at);
        next.status = AccountStatus::Leaver;
        next.leaver_since = Some(at);
        Ok(next)
    }

    /// Taken by a new organisation: the account is kept and moves; a leaver
    /// is a leaver no more.
    pub fn join(&self, ods: OdsCode, admin: Administration, by: &str, at: DateTime<Utc>) -> Result<Account, Refusal> {
        self.refuse_if_gone()?;
        if self.ods == ods && self.status != AccountStatus::Leaver {
            return Err(Refusal::NothingToChange { what: format!("{} is already in {ods}", self.address) });
        }
        let mut next = self.next(by, at);
        next.ods = ods;
        next.administered_by = admin;
        if next.status == AccountStatus::Leaver {
            next.leaver_since = None;
            next.status =
                if next.activated_at.is_some() { AccountStatus::Active } else { AccountStatus::PendingActivation };
        }
        Ok(next)
    }

    pub fn transfer_administration(&self, to: Administration, by: &str, at: DateTime<Utc>) -> Result<Account, Refusal> {
        self.refuse_if_gone()?;
        if self.administered_by == to {
            return Err(Refusal::NothingToChange {
                what: format!("{} is already administered by {}", self.address, to.describe()),
            });
        }
        let mut next = self.next(by, at);
        next.administered_by = to;
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::address::NhsMailAddress;

    fn account(status: AccountStatus, locked: bool, must_change: bool) -> Account {
        let at = DateTime::<Utc>::UNIX_EPOCH;
        let mut account = Account::register(
            NewAccount {
                id: 1,
                address: NhsMailAddress::parse("jo.bloggs@nhs.net").expect("address"),
                personal: PersonalData {
                    first_name: "Jo".into(),
                    last_name: "Bloggs".into(),
                    email: Email::parse("jo@example.org").expect("email"),
                    mobile: Mobile::parse("07700900123").expect("mobile"),
                },
                ods: OdsCode::parse("VBDDU").expect("ods"),
                administered_by: Administration::Nas,
            },
            "nas1",
            at,
        );
        account.status = status;
        account.locked_at = locked.then_some(at);
        account.must_change_password = must_change;
        account
    }

    #[test]
    fn the_likely_request_follows_the_accounts_state() {
        use AccountStatus::*;
        let cases = [
            (Active, false, false, Category::PasswordReset),
            (Active, false, true, Category::ActivationHelp),
            (Active, true, false, Category::Unlock),
            (Inactive, false, false, Category::PasswordReset),
            (Inactive, true, false, Category::Unlock),
            (PendingActivation, false, true, Category::ActivationHelp),
            (Leaver, true, false, Category::Leaver),
            (Deleted, false, false, Category::MissingPersonalAccount),
        ];
        for (status, locked, must_change, expected) in cases {
            assert_eq!(account(status, locked, must_change).likely_request(), expected, "{status:?} locked {locked}");
        }
    }

    #[test]
    fn a_mobile_read_out_matches_in_any_way_it_is_written() {
        let jo = account(AccountStatus::Active, false, false);
        let cases = [
            ("07700900123", Some(true)),
            ("07700 900 123", Some(true)),
            ("+44 7700 900123", Some(true)),
            ("+44 (0)7700-900123", Some(true)),
            ("07700900124", Some(false)),
            ("07700 900", None),
            ("01632 960000", None),
        ];
        for (read_out, expected) in cases {
            assert_eq!(jo.mobile_read_out_matches(read_out).ok(), expected, "{read_out}");
        }
        let mut erased = jo.clone();
        erased.personal = None;
        assert_eq!(erased.mobile_read_out_matches("07700900123").ok(), Some(false));
    }
}
