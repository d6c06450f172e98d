//! When an account changes state by the passage of time alone.
//!
//! An account goes inactive 90 days after its last login or its last password
//! change, whichever comes first; an inactive account is deleted 90 days after
//! it went inactive; a leaver is deleted 30 days after being marked. The dates
//! are computed from the account's own timestamps, never from when a sweep
//! happened to run, so running the sweep late or twice gives the same result.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::account::{Account, AccountStatus};

pub const INACTIVE_AFTER_DAYS: i64 = 90;
pub const DELETED_AFTER_INACTIVE_DAYS: i64 = 90;
pub const LEAVER_DELETED_AFTER_DAYS: i64 = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Transition {
    BecomeInactive,
    Delete,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DueReason {
    NoLogin,
    NoPasswordChange,
    InactiveTooLong,
    LeaverNotTaken,
}

impl DueReason {
    pub fn describe(self) -> &'static str {
        match self {
            DueReason::NoLogin => "no login for 90 days",
            DueReason::NoPasswordChange => "password not changed for 90 days",
            DueReason::InactiveTooLong => "inactive for 90 days",
            DueReason::LeaverNotTaken => "leaver not taken as a joiner within 30 days",
        }
    }
}

/// The next transition an account faces, and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LifecycleDue {
    pub transition: Transition,
    #[serde(with = "super::time::ts")]
    pub at: DateTime<Utc>,
    pub reason: DueReason,
}

impl Account {
    /// The next time-driven transition, or `None` for a deleted account.
    pub fn lifecycle_due(&self) -> Option<LifecycleDue> {
        match self.status {
            AccountStatus::PendingActivation | AccountStatus::Active => {
                // A temporary password restarts both clocks: the user has a
                // fresh 90 days to log in and change it.
                let fresh = self.temp_password_issued_at.into_iter().chain([self.created_at]);
                let login = fresh.clone().chain(self.last_login_at).max().unwrap_or(self.created_at);
                let password = fresh.chain(self.password_changed_at).max().unwrap_or(self.created_at);
                let (base, reason) = if login <= password {
                    (login, DueReason::NoLogin)
                } else {
                    (password, DueReason::NoPasswordChange)
                };
                Some(LifecycleDue {
                    transition: Transition::BecomeInactive,
                    at: base + Duration::days(INACTIVE_AFTER_DAYS),
                    reason,
                })
            }
            AccountStatus::Inactive => {
                let since = self.inactive_since.unwrap_or(self.meta.changed_at);
                Some(LifecycleDue {
                    transition: Transition::Delete,
                    at: since + Duration::days(DELETED_AFTER_INACTIVE_DAYS),
                    reason: DueReason::InactiveTooLong,
                })
            }
            AccountStatus::Leaver => {
                let since = self.leaver_since.unwrap_or(self.meta.changed_at);
                Some(LifecycleDue {
                    transition: Transition::Delete,
                    at: since + Duration::days(LEAVER_DELETED_AFTER_DAYS),
                    reason: DueReason::LeaverNotTaken,
                })
            }
            AccountStatus::Deleted => None,
        }
    }

    /// Applies the next transition if it is due at `now`. The transition is
    /// dated when it fell due, not when it was applied.
    pub fn apply_due(&self, by: &str, now: DateTime<Utc>) -> Option<(Account, LifecycleDue)> {
        let due = self.lifecycle_due().filter(|d| d.at <= now)?;
        let mut next = self.clone();
        next.meta = self.meta.next(by, now);
        match due.transition {
            Transition::BecomeInactive => {
                next.status = AccountStatus::Inactive;
                next.inactive_since = Some(due.at);
            }
            Transition::Delete => {
                next.status = AccountStatus::Deleted;
                next.deleted_at = Some(due.at);
                next.personal = None;
                next.mobile_hidden = false;
                next.locked_at = None;
            }
        }
        Some((next, due))
    }

    /// Every transition due by `now`, in order (an account untouched for 200
    /// days goes inactive and is then deleted).
    pub fn status_at(&self, now: DateTime<Utc>) -> AccountStatus {
        let mut account = self.clone();
        while let Some((next, _)) = account.apply_due("", now) {
            account = next;
        }
        account.status
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::account::{NewAccount, PersonalData};
    use crate::domain::address::NhsMailAddress;
    use crate::domain::organisation::Administration;
    use crate::domain::validate::{Email, Mobile, OdsCode};

    fn day(n: i64) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-01-01T12:00:00Z").unwrap().to_utc() + Duration::days(n)
    }

    fn new_account() -> Account {
        let new = NewAccount {
            id: 1,
            address: NhsMailAddress::parse("jo.bloggs@nhs.net").unwrap(),
            personal: PersonalData {
                first_name: "Jo".into(),
                last_name: "Bloggs".into(),
                email: Email::parse("jo@example.org").unwrap(),
                mobile: Mobile::parse("07700900123").unwrap(),
            },
            ods: OdsCode::parse("V1234").unwrap(),
            administered_by: Administration::Nas,
        };
        Account::register(new, "nas1", day(0))
    }

    /// Applies a scripted history (day, event) and returns the account.
    fn history(events: &[(i64, &str)]) -> Account {
        let mut a = new_account();
        for &(d, event) in events {
            a = match event {
                "login" => a.record_login("feed", day(d)).unwrap(),
                "password" => a.record_password_change("feed", day(d)).unwrap(),
                "reset" => a.issue_temporary_password("helpdesk", day(d)).unwrap(),
                "leaver" => a.mark_leaver("nas", day(d)).unwrap(),
                "joiner" => a.join(OdsCode::parse("V9999").unwrap(), Administration::Nas, "nas", day(d)).unwrap(),
                "sweep" => a.apply_due("sweep", day(d)).map_or(a, |(next, _)| next),
                other => panic!("unknown event {other}"),
            };
        }
        a
    }

    #[test]
    fn lifecycle_table() {
        use AccountStatus::*;
        // (history, day asked) -> (status then, next transition, due day)
        type Case<'a> = (&'a [(i64, &'a str)], i64, AccountStatus, Option<(Transition, i64)>);
        let cases: &[Case] = &[
            (&[], 0, PendingActivation, Some((Transition::BecomeInactive, 90))),
            (&[], 89, PendingActivation, Some((Transition::BecomeInactive, 90))),
            (&[], 90, Inactive, Some((Transition::BecomeInactive, 90))),
            (&[(1, "login"), (1, "password")], 30, Active, Some((Transition::BecomeInactive, 91))),
            // Logging in does not help if the password is never changed again.
            (&[(1, "login"), (1, "password"), (80, "login")], 91, Inactive, Some((Transition::BecomeInactive, 91))),
            (
                &[(1, "login"), (1, "password"), (60, "password"), (100, "login")],
                140,
                Active,
                Some((Transition::BecomeInactive, 150)),
            ),
            (&[(1, "login"), (1, "password"), (95, "sweep")], 95, Inactive, Some((Transition::Delete, 181))),
            (&[(1, "login"), (1, "password"), (95, "sweep")], 181, Deleted, Some((Transition::Delete, 181))),
            // A reset brings an inactive account back with a fresh 90 days.
            (
                &[(1, "login"), (1, "password"), (95, "sweep"), (120, "reset")],
                130,
                Active,
                Some((Transition::BecomeInactive, 210)),
            ),
            (&[(5, "leaver")], 20, Leaver, Some((Transition::Delete, 35))),
            (&[(5, "leaver")], 35, Deleted, Some((Transition::Delete, 35))),
            // Never logged in: the 90 days run from registration.
            (&[(1, "password"), (5, "leaver"), (20, "joiner")], 40, Active, Some((Transition::BecomeInactive, 90))),
        ];
        for (i, (events, asked, status, next)) in cases.iter().enumerate() {
            let a = history(events);
            assert_eq!(a.status_at(day(*asked)), *status, "case {i}: {events:?} on day {asked}");
            let due = a.lifecycle_due().map(|d| (d.transition, d.at));
            assert_eq!(due, next.map(|(t, d)| (t, day(d))), "case {i}: {events:?}");
        }
    }

    #[test]
    fn a_late_sweep_dates_transitions_when_they_fell_due() {
        let a = history(&[(1, "login"), (1, "password")]);
        let (inactive, due) = a.apply_due("sweep", day(150)).unwrap();
        assert_eq!(inactive.inactive_since, Some(day(91)));
        assert_eq!(due.reason, DueReason::NoLogin);
        let (deleted, _) = inactive.apply_due("sweep", day(200)).unwrap();
        assert_eq!((deleted.status, deleted.deleted_at), (AccountStatus::Deleted, Some(day(181))));
        assert!(deleted.personal.is_none(), "deletion erases personal data");
        assert_eq!(deleted.address.as_str(), "jo.bloggs@nhs.net", "the tombstone keeps the address");
        assert!(deleted.apply_due("sweep", day(999)).is_none(), "a tombstone has nothing left to do");
    }

    #[test]
    fn nothing_is_due_before_its_date() {
        let a = history(&[(1, "login"), (1, "password")]);
        assert!(a.apply_due("sweep", day(90)).is_none());
        assert!(a.apply_due("sweep", day(91)).is_some());
    }

    #[test]
    fn deleted_and_leaver_accounts_refuse_what_no_longer_applies() {
        let leaver = history(&[(5, "leaver")]);
        assert!(leaver.issue_temporary_password("h", day(6)).is_err());
        assert!(leaver.mark_leaver("h", day(6)).is_err());
        let (gone, _) = leaver.apply_due("sweep", day(40)).unwrap();
        assert!(gone.record_login("feed", day(41)).is_err());
        assert!(gone.join(OdsCode::parse("V9999").unwrap(), Administration::Nas, "nas", day(41)).is_err());
    }
}
