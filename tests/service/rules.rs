//! Rules that once let wrong things through, each through the service: who
//! may own a mailbox, members from another organisation, tasks recorded
//! against someone else's ticket, reopened tickets and handing work back.

use super::*;

/// Sunrise (V1234) with Jo Smith, and Hilltop (V9999) with Bo Brown.
fn two_homes() -> Desk {
    let desk = Desk::new();
    sunrise(&desk);
    desk.add_good_org("V9999", "Hilltop Care");
    desk.new_account("Jo", "Smith", &mobile(1), "V1234");
    desk.new_account("Bo", "Brown", &mobile(2), "V9999");
    desk
}

fn create_mailbox(owner: &str) -> CreateMailbox {
    CreateMailbox {
        address: "sunrise.office@nhs.net".into(),
        name: "Sunrise office".into(),
        ods: "V1234".into(),
        owner: owner.into(),
        sponsored_by: None,
    }
}

#[test]
fn an_inactive_or_pending_account_was_accepted_as_a_mailbox_owner() {
    let desk = two_homes();
    let al = desk.new_account("Al", "Jones", &mobile(3), "V1234");
    let before = desk.audit_head();
    // Pending activation: refused for a new mailbox and as a new owner.
    let message = desk.refused(SUPERVISOR, in_hours(), &create_mailbox("al.jones@nhs.net"));
    assert!(message.contains("al.jones@nhs.net cannot own") && message.contains("not been activated"), "{message}");
    desk.new_mailbox("sunrise.care@nhs.net", "Sunrise Care shared", "V1234", "jo.smith@nhs.net");
    let change = ChangeOwner { mailbox: "sunrise.care@nhs.net".into(), owner: al.address.to_string() };
    let message = desk.refused(SUPERVISOR, in_hours(), &change);
    assert!(message.contains("not been activated"), "{message}");
    assert_eq!(desk.audit_head(), before + 2, "only Jo's activation and the mailbox were written");

    // Inactive after 90 days without a login: refused too.
    desk.sup(&RecordPasswordChange { address: al.address.to_string() });
    let later = in_hours() + days(120);
    desk.ok(SUPERVISOR, later, &Sweep { dry_run: false });
    assert_eq!(desk.account("al.jones@nhs.net").status, AccountStatus::Inactive);
    let message = desk.refused(SUPERVISOR, later, &change);
    assert!(message.contains("is inactive"), "{message}");

    // Active again: accepted.
    desk.ok(SUPERVISOR, later, &RecordLogin { address: al.address.to_string() });
    desk.ok(SUPERVISOR, later, &change);
    assert_eq!(desk.mailbox("sunrise.care@nhs.net").owner, Some(al.id));
}

#[test]
fn a_member_from_another_organisation_was_added_without_a_word() {
    let desk = two_homes();
    desk.new_mailbox("sunrise.care@nhs.net", "Sunrise Care shared", "V1234", "jo.smith@nhs.net");
    let add = |reason: Option<&str>| AddMember {
        mailbox: "sunrise.care@nhs.net".into(),
        account: "bo.brown@nhs.net".into(),
        reason: reason.map(str::to_owned),
    };
    let before = desk.audit_head();
    for reason in [None, Some("   ")] {
        match desk.run(SUPERVISOR, in_hours(), &add(reason)) {
            Err(caredesk::service::ServiceError::Refused(
                caredesk::domain::refusal::Refusal::CrossOrganisationMember { member_ods, mailbox_ods, .. },
            )) => assert_eq!((member_ods.as_str(), mailbox_ods.as_str()), ("V9999", "V1234")),
            other => panic!("{reason:?}: {other:?}"),
        }
    }
    assert_eq!(desk.audit_head(), before, "a refusal writes nothing");
    desk.sup(&add(Some("covers Sunrise's night shifts")));
    let entry = desk.audit().pop().unwrap();
    let after = entry.draft.after.unwrap_or_default();
    assert!(
        after.contains("bo.brown@nhs.net from V9999") && after.contains("covers Sunrise's night shifts"),
        "{after}"
    );
    assert_eq!(desk.mailbox("sunrise.care@nhs.net").member_count, 2);
}

#[test]
fn a_reset_against_another_persons_ticket_was_accepted() {
    let desk = two_homes();
    let bos = ticket_of(&desk.sup(&ticket_form(Category::PasswordReset, "Bo Brown", Some("V9999"))));
    let reset = |ticket| ResetPassword {
        address: "jo.smith@nhs.net".into(),
        verified_by: Verification::SecurityQuestions,
        ticket: Some(ticket),
    };
    let before = (desk.audit_head(), desk.service.store().outbox_newest(10).unwrap().len());
    let message = desk.refused(SUPERVISOR, in_hours(), &reset(bos));
    assert!(message.contains("is not about jo.smith@nhs.net") && message.contains("organisation V9999"), "{message}");
    assert_eq!((desk.audit_head(), desk.service.store().outbox_newest(10).unwrap().len()), before);

    // Same organisation, another requester: refused until linked to Jo.
    let sams = ticket_of(&desk.sup(&ticket_form(Category::PasswordReset, "Sam Green", Some("V1234"))));
    let message = desk.refused(SUPERVISOR, in_hours(), &reset(sams));
    assert!(message.contains("logged by Sam Green, not Jo Smith"), "{message}");
    desk.sup(&Link { reference: sams, account: Some("jo.smith@nhs.net".into()), mailbox: None });
    desk.sup(&reset(sams));

    // Jo's own ticket is fine, and gets the steps.
    let jos = ticket_of(&desk.sup(&ticket_form(Category::PasswordReset, "Jo Smith", Some("V1234"))));
    desk.sup(&reset(jos));
    assert!(ticket(&desk, jos).timeline.iter().any(|e| e.text.contains("temporary password issued")));
}

#[test]
fn a_resolved_ticket_set_back_to_new_kept_its_assignee() {
    let desk = two_homes();
    let t = ticket_of(&desk.sup(&ticket_form(Category::General, "Jo Smith", Some("V1234"))));
    desk.sup(&Claim { reference: t });
    desk.sup(&SetStatus { reference: t, status: TicketStatus::Resolved });
    desk.sup(&SetStatus { reference: t, status: TicketStatus::New });
    let reopened = ticket(&desk, t);
    assert_eq!((reopened.status, reopened.assignee.as_deref()), (TicketStatus::New, None));
    let texts: Vec<&str> = reopened.timeline.iter().map(|e| e.text.as_str()).collect();
    assert!(texts.iter().any(|t| t.contains("resolved → new (reopened)")), "{texts:?}");
    assert!(texts.iter().any(|t| t.contains("no longer assigned to sup")), "{texts:?}");
    // It is nobody's: it shows in no one's "mine" list.
    assert!(rows(&desk, SUPERVISOR, QueueView::Mine, StatusFilter::Open, 10).is_empty());

    // A closed ticket can only be reopened.
    desk.sup(&SetStatus { reference: t, status: TicketStatus::Closed });
    let message =
        desk.refused(SUPERVISOR, in_hours(), &SetStatus { reference: t, status: TicketStatus::WaitingOnRequester });
    assert!(message.contains("is closed"), "{message}");
}

#[test]
fn a_resolver_could_not_hand_back_a_ticket_they_hold() {
    let desk = two_homes();
    desk.add_operator("res1", Role::Resolver);
    desk.add_operator("res2", Role::Resolver);
    let form = received(ticket_form(Category::Leaver, "Jo Smith", Some("V1234")), "2026-12-24T18:00:00Z");
    let t = ticket_of(&desk.ok(SUPERVISOR, utc("2026-12-24T18:10:00Z"), &form));
    assert_eq!(ticket(&desk, t).routing.queue, Queue::Resolver);
    let monday = utc("2026-12-29T10:00:00Z");
    desk.ok("res1", monday, &Claim { reference: t });

    // Someone else's ticket is not theirs to hand back, nor to give away.
    let unassign = Assign { reference: t, to: None };
    let message = desk.refused("res2", monday, &unassign);
    assert!(message.contains("cannot") || message.contains("only"), "{message}");
    let message = desk.refused("res1", monday, &Assign { reference: t, to: Some("res2".into()) });
    assert!(!message.is_empty());

    desk.ok("res1", monday, &unassign);
    let back = ticket(&desk, t);
    assert_eq!((back.assignee.as_deref(), back.status), (None, TicketStatus::New), "back in the queue");
    assert!(back.timeline.iter().any(|e| e.text == "handed back by res1"), "{:?}", back.timeline);
    desk.ok("res2", monday, &Claim { reference: t });
}
