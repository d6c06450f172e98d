//! Which ticket an account task (a password reset, an unlock, a leaver...)
//! may be recorded against: one about that person.
//!
//! The steps of a task are written on the ticket it was done for, and the
//! ticket is linked to the account, so a task recorded against someone
//! else's ticket would leave a false trail (a reset "for" a caller who never
//! asked). A ticket fits when it is linked to the account, or, unlinked,
//! when its organisation is the account's (before or after the task: a
//! joiner's ticket may come from either side) and its requester is the
//! person. Anything else is refused until the ticket is linked to them.

use super::account::Account;
use super::refusal::Refusal;
use super::search::{rank_person, terms};
use super::ticket::Ticket;

/// Whether `ticket` may carry the steps of a task on the account, which
/// was `before` and becomes `after`.
pub fn check_task_ticket(ticket: &Ticket, before: &Account, after: &Account) -> Result<(), Refusal> {
    let refuse = |why: String| {
        Err(Refusal::TicketForSomeoneElse {
            reference: ticket.reference.to_string(),
            address: after.address.clone(),
            why,
        })
    };
    if let Some(linked) = ticket.account {
        return if linked == after.id { Ok(()) } else { refuse("it is linked to another account".to_owned()) };
    }
    if let Some(ods) = &ticket.ods {
        if *ods != before.ods && *ods != after.ods {
            return refuse(format!("it is for organisation {ods}, and {} belongs to {}", after.address, after.ods));
        }
    }
    let Some(person) = after.personal.as_ref().or(before.personal.as_ref()) else { return Ok(()) };
    let by_email = ticket.requester.email.as_ref().is_some_and(|e| *e == person.email);
    let by_name =
        rank_person(&terms(&ticket.requester.name), &person.first_name, &person.last_name, "", None).is_some();
    if by_email || by_name {
        Ok(())
    } else {
        refuse(format!("it was logged by {}, not {}", ticket.requester.name, person.full_name()))
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};

    use super::*;
    use crate::domain::account::{NewAccount, PersonalData};
    use crate::domain::address::NhsMailAddress;
    use crate::domain::organisation::Administration;
    use crate::domain::record::RecordMeta;
    use crate::domain::routing::{Category, Channel, Queue, Routing};
    use crate::domain::ticket::{Requester, TicketRef, TicketStatus};
    use crate::domain::validate::{Email, Mobile, OdsCode};

    fn at() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-01-07T10:00:00Z").unwrap().to_utc()
    }

    fn jo() -> Account {
        Account::register(
            NewAccount {
                id: 7,
                address: NhsMailAddress::parse("jo.bloggs@nhs.net").unwrap(),
                personal: PersonalData {
                    first_name: "Jo".into(),
                    last_name: "Bloggs".into(),
                    email: Email::parse("jo@example.org").unwrap(),
                    mobile: Mobile::parse("07700900007").unwrap(),
                },
                ods: OdsCode::parse("V1234").unwrap(),
                administered_by: Administration::Nas,
            },
            "nas1",
            at(),
        )
    }

    fn ticket(account: Option<u64>, ods: Option<&str>, requester: &str, email: Option<&str>) -> Ticket {
        Ticket {
            reference: TicketRef(12),
            received_at: at(),
            channel: Channel::Phone,
            category: Category::PasswordReset,
            subject: "password".into(),
            body: String::new(),
            requester: Requester {
                name: requester.into(),
                email: email.map(|e| Email::parse(e).unwrap()),
                phone: None,
            },
            ods: ods.map(|o| OdsCode::parse(o).unwrap()),
            mailbox_name: None,
            account,
            mailbox: None,
            routing: Routing { queue: Queue::Nas, work_from: at(), due_at: at() },
            status: TicketStatus::New,
            assignee: None,
            timeline: Vec::new(),
            meta: RecordMeta::created("nas1", at()),
        }
    }

    /// (linked account, organisation, requester, requester email) → the
    /// reason a reset for Jo Bloggs (V1234) is refused, or `None`.
    #[test]
    fn which_ticket_a_task_may_be_recorded_against() {
        #[rustfmt::skip]
        type Case<'a> = (Option<u64>, Option<&'a str>, &'a str, Option<&'a str>, Option<&'a str>);
        let cases: &[Case] = &[
            (Some(7), Some("V9999"), "Sam Smith", None, None),
            (Some(8), Some("V1234"), "Jo Bloggs", None, Some("linked to another account")),
            (None, Some("V1234"), "Jo Bloggs", None, None),
            (None, None, "jo bloggs", None, None),
            (None, Some("V1234"), "Mrs J Bloggs", Some("jo@example.org"), None),
            (
                None,
                Some("V9999"),
                "Jo Bloggs",
                None,
                Some("for organisation V9999, and jo.bloggs@nhs.net belongs to V1234"),
            ),
            (None, Some("V1234"), "Sam Smith", None, Some("logged by Sam Smith, not Jo Bloggs")),
            (None, None, "Sam Smith", Some("sam@example.org"), Some("logged by Sam Smith")),
        ];
        let account = jo();
        for (linked, ods, requester, email, want) in cases {
            let got = check_task_ticket(&ticket(*linked, *ods, requester, *email), &account, &account);
            match want {
                None => assert_eq!(got, Ok(()), "{linked:?} {ods:?} {requester}"),
                Some(why) => {
                    let message = got.expect_err(requester).to_string();
                    assert!(message.contains(why), "{linked:?} {ods:?} {requester}: {message}");
                    assert!(message.contains("CD-000012"), "{message}");
                }
            }
        }
    }

    #[test]
    fn a_joiners_ticket_may_come_from_the_new_organisation() {
        let before = jo();
        let mut after = jo();
        after.ods = OdsCode::parse("V5555").unwrap();
        let from_new = ticket(None, Some("V5555"), "Jo Bloggs", None);
        assert_eq!(check_task_ticket(&from_new, &before, &after), Ok(()));
        let from_elsewhere = ticket(None, Some("V9999"), "Jo Bloggs", None);
        assert!(check_task_ticket(&from_elsewhere, &before, &after).is_err());
    }
}
