//! The service, the only way to change data, tested the way the FAQ reads:
//! every change writes one audit entry and a refusal writes none; who may
//! do what and when; the rules for accounts, passwords, leavers, joiners
//! and tickets; and what happens when operators act at the same moment.

mod common;

use std::sync::Barrier;

use caredesk::domain::account::AccountStatus;
use caredesk::domain::lifecycle::Transition;
use caredesk::domain::organisation::IgStatus;
use caredesk::domain::permission::Role;
use caredesk::domain::routing::{Category, Channel, Queue};
use caredesk::domain::sms::{Delivery, PASSWORD_MASK};
use caredesk::domain::ticket::{Ticket, TicketRef, TicketStatus};
use caredesk::service::{
    Command, Ctx, NewTicket, Outcome, Query, QueueView, Reply, ResetReceipt, StatusFilter, Subject, SweepReport,
    Verification,
};
use caredesk::store::{Store, TreeId};
use chrono::{DateTime, Utc};
use common::*;

// ---------------------------------------------------------------------------
// Helpers

fn ticket_form(category: Category, requester: &str, ods: Option<&str>) -> NewTicket {
    NewTicket {
        category,
        channel: Channel::Phone,
        received_at: None,
        requester_name: requester.into(),
        requester_email: None,
        requester_phone: None,
        ods: ods.map(str::to_owned),
        account: None,
        mailbox: None,
        mailbox_name: None,
        subject: format!("{} for {requester}", category.label()),
        body: "as told on the phone".into(),
        incomplete: false,
    }
}

fn received(mut form: NewTicket, at: &str) -> NewTicket {
    form.received_at = Some(at.into());
    form
}

fn ticket(desk: &Desk, reference: TicketRef) -> Ticket {
    match desk.service.query(&Ctx::new(SUPERVISOR, in_hours()), &Query::Ticket { reference }).unwrap() {
        Reply::Ticket(t) => *t,
        other => panic!("ticket query answered {other:?}"),
    }
}

fn logged(outcome: &Outcome) -> Ticket {
    match &outcome.subject {
        Subject::Ticket(t) => (**t).clone(),
        other => panic!("expected a ticket, got {other:?}"),
    }
}

fn receipt(outcome: &Outcome) -> ResetReceipt {
    match &outcome.subject {
        Subject::PasswordReset(r) => r.clone(),
        other => panic!("expected a reset receipt, got {other:?}"),
    }
}

fn sweep_report(outcome: &Outcome) -> SweepReport {
    match &outcome.subject {
        Subject::Sweep(r) => r.clone(),
        other => panic!("expected a sweep report, got {other:?}"),
    }
}

fn rows(desk: &Desk, operator: &str, view: QueueView, status: StatusFilter, limit: usize) -> Vec<TicketRef> {
    let query = Query::Tickets { view, status, limit };
    match desk.service.query(&Ctx::new(operator, in_hours()), &query).unwrap() {
        Reply::Tickets(rows) => {
            let dues: Vec<_> = rows.iter().map(|r| r.due_at).collect();
            assert!(dues.windows(2).all(|w| w[0] <= w[1]), "rows out of due order: {dues:?}");
            rows.into_iter().map(|r| r.reference).collect()
        }
        other => panic!("tickets query answered {other:?}"),
    }
}

fn refs(numbers: &[u64]) -> Vec<TicketRef> {
    numbers.iter().copied().map(TicketRef).collect()
}

fn sunrise(desk: &Desk) {
    desk.add_good_org("V1234", "Sunrise Care");
}

// ---------------------------------------------------------------------------
// One audit entry per change, none per refusal

/// Runs one row of the audit table and describes what went wrong, if anything.
fn audit_row(desk: &Desk, who: &str, now: DateTime<Utc>, command: &Command, want_ok: bool) -> Option<String> {
    let before = desk.audit_head();
    let result = desk.run(who, now, command);
    let after = desk.audit_head();
    let action = command.action();
    match (want_ok, result) {
        (true, Ok(outcome)) => {
            if after != before + 1 {
                return Some(format!("{action} by {who} wrote {} audit entries, not 1", after - before));
            }
            if outcome.audit_seq != Some(after) {
                return Some(format!("{action}: outcome names entry {:?}, head is {after}", outcome.audit_seq));
            }
            let entry = desk.service.store().audit_newest(None, 1).unwrap().remove(0);
            if entry.draft.action != action || entry.draft.operator != who || entry.draft.at != now {
                return Some(format!(
                    "{action}: newest entry is {} by {} at {}",
                    entry.draft.action, entry.draft.operator, entry.draft.at
                ));
            }
            None
        }
        (false, Err(e)) => {
            (after != before).then(|| format!("refused {action} by {who} ({e}) still wrote {} entries", after - before))
        }
        (true, Err(e)) => Some(format!("{action} by {who} should succeed but was refused: {e}")),
        (false, Ok(o)) => Some(format!("{action} by {who} should be refused but did: {}", o.summary)),
    }
}

#[test]
fn every_change_writes_exactly_one_audit_entry_and_a_refusal_writes_none() {
    let desk = Desk::new();
    let s = SUPERVISOR;
    let day = in_hours();
    let night = out_of_hours();
    let org = |ods: &str, name: &str, ig| Command::AddOrganisation {
        ods: ods.into(),
        name: name.into(),
        ig,
        administered_by: None,
    };
    let acct = |first: &str, last: &str, n: u32, ods: &str| {
        create_account(first, last, &mobile(n), ods, &format!("{}@example.org", first.to_lowercase()), false)
    };
    let jo = || "jo.smith@nhs.net".to_owned();
    let reset = |verified_by| Command::ResetPassword { address: jo(), verified_by, ticket: None };
    let t1 = TicketRef(1);
    let mut missing = ticket_form(Category::MissingPersonalAccount, "Jo", None);
    missing.subject = "cannot find my account".into();

    #[rustfmt::skip]
    let table: Vec<(&str, DateTime<Utc>, Command, bool)> = vec![
        (s, day, Command::Init, false),
        // Organisations.
        (s, day, org("V1234", "Sunrise Care", IgStatus::DsptStandardsMet), true),
        (s, day, org("V1234", "Sunrise Care again", IgStatus::DsptStandardsMet), false),
        (s, day, org("V12 34", "Bad Code Care", IgStatus::DsptStandardsMet), false),
        (s, day, org("V9999", "Hilltop Care", IgStatus::DsptStandardsMet), true),
        (s, day, org("V5555", "Closing Care", IgStatus::DsptStandardsMet), true),
        (s, day, Command::SetIgStatus { ods: "V5555".into(), ig: IgStatus::NotMet }, true),
        (s, day, Command::SetIgStatus { ods: "V5555".into(), ig: IgStatus::NotMet }, false),
        (s, day, Command::CloseOrganisation { ods: "V5555".into() }, true),
        (s, day, Command::CloseOrganisation { ods: "V5555".into() }, false),
        (s, day, Command::CloseOrganisation { ods: "V0000".into() }, false),
        // Operators and policy.
        (s, day, Command::AddOperator { username: "nas1".into(), role: Role::Nas }, true),
        (s, day, Command::AddOperator { username: "nas1".into(), role: Role::Nas }, false),
        (s, day, Command::AddOperator { username: "Not A Login".into(), role: Role::Nas }, false),
        (s, day, Command::AddOperator { username: "help1".into(), role: Role::Helpdesk }, true),
        ("nas1", day, Command::AddOperator { username: "sneaky".into(), role: Role::Supervisor }, false),
        (s, day, Command::SetOperatorRole { username: "nas1".into(), role: Role::Resolver }, true),
        (s, day, Command::SetOperatorRole { username: "nas1".into(), role: Role::Resolver }, false),
        (s, day, Command::SetOperatorRole { username: "nas1".into(), role: Role::Nas }, true),
        (s, day, Command::SetOperatorEnabled { username: "help1".into(), enabled: false }, true),
        (s, day, Command::SetOperatorEnabled { username: "help1".into(), enabled: false }, false),
        (s, day, Command::SetOperatorEnabled { username: s.into(), enabled: false }, false),
        (s, day, Command::SetOperatorEnabled { username: "help1".into(), enabled: true }, true),
        (s, day, Command::SetTargets { nas: Some(420), helpdesk: None, resolver: None }, true),
        (s, day, Command::SetTargets { nas: None, helpdesk: Some(0), resolver: None }, false),
        ("nas1", day, Command::SetTargets { nas: Some(480), helpdesk: None, resolver: None }, false),
        // Accounts.
        (s, day, acct("Jo", "Smith", 1, "V1234"), true),
        (s, day, acct("Al", "Jones", 2, "V1234"), true),
        (s, day, acct("Bo", "Brown", 3, "V9999"), true),
        (s, day, acct("Cy", "Other", 1, "V1234"), false),
        (s, day, acct("Di", "Closed", 4, "V5555"), false),
        ("help1", night, acct("Ed", "Night", 5, "V1234"), false),
        (s, day, Command::RecordLogin { address: jo() }, true),
        (s, day, Command::RecordLogin { address: "nobody@nhs.net".into() }, false),
        (s, day, Command::RecordPasswordChange { address: jo() }, true),
        (s, day, Command::RecordLock { address: jo() }, true),
        (s, day, Command::Unlock { address: jo(), ticket: None }, true),
        (s, day, Command::Unlock { address: jo(), ticket: None }, false),
        (s, day, reset(Verification::SecurityQuestions), true),
        ("help1", night, reset(Verification::RegisteredMobile), true),
        ("help1", night, Command::SetMobileHidden { address: jo(), hidden: true, ticket: None }, true),
        (s, day, Command::SetMobileHidden { address: jo(), hidden: true, ticket: None }, false),
        (s, day, Command::SetMobileHidden { address: jo(), hidden: false, ticket: None }, true),
        // Shared mailboxes.
        (s, day, Command::CreateMailbox { address: "sunrise.care@nhs.net".into(), name: "Sunrise Care shared".into(),
            ods: "V1234".into(), owner: "al.jones@nhs.net".into(), sponsored_by: None }, true),
        (s, day, Command::CreateMailbox { address: "sunrise.care@nhs.net".into(), name: "Duplicate".into(),
            ods: "V1234".into(), owner: "al.jones@nhs.net".into(), sponsored_by: None }, false),
        (s, day, Command::CreateMailbox { address: "sunrise.office@nhs.net".into(), name: "Wrong owner".into(),
            ods: "V1234".into(), owner: "bo.brown@nhs.net".into(), sponsored_by: None }, false),
        (s, day, reset(Verification::Owner { owner: "al.jones@nhs.net".into(), mobile: mobile(1) }), true),
        (s, day, reset(Verification::Owner { owner: "bo.brown@nhs.net".into(), mobile: mobile(1) }), false),
        (s, day, Command::AddMember { mailbox: "sunrise.care@nhs.net".into(), account: jo() }, true),
        (s, day, Command::AddMember { mailbox: "sunrise.care@nhs.net".into(), account: jo() }, false),
        (s, day, Command::RemoveMember { mailbox: "sunrise.care@nhs.net".into(), account: jo() }, true),
        (s, day, Command::RemoveMember { mailbox: "sunrise.care@nhs.net".into(), account: "al.jones@nhs.net".into() }, false),
        (s, day, Command::ChangeOwner { mailbox: "sunrise.care@nhs.net".into(), owner: jo() }, true),
        (s, day, Command::ChangeOwner { mailbox: "sunrise.care@nhs.net".into(), owner: jo() }, false),
        (s, day, Command::RecordMailboxAccess { mailbox: "sunrise.care@nhs.net".into() }, true),
        (s, day, Command::RecordMailboxAccess { mailbox: "nosuch.box@nhs.net".into() }, false),
        // Tickets.
        (s, day, Command::CreateTicket(ticket_form(Category::PasswordReset, "Jo Smith", Some("V1234"))), true),
        (s, day, Command::CreateTicket(missing), false),
        (s, day, Command::Claim { reference: t1 }, true),
        (s, day, Command::Claim { reference: t1 }, false),
        (s, day, Command::Claim { reference: TicketRef(999) }, false),
        (s, day, Command::Assign { reference: t1, to: Some("nas1".into()) }, true),
        (s, day, Command::Assign { reference: t1, to: Some("ghost".into()) }, false),
        (s, day, Command::SetStatus { reference: t1, status: TicketStatus::WaitingOnRequester }, true),
        (s, day, Command::SetStatus { reference: t1, status: TicketStatus::WaitingOnRequester }, false),
        (s, day, Command::Note { reference: t1, text: "called back, no answer".into() }, true),
        (s, day, Command::Note { reference: t1, text: "   ".into() }, false),
        (s, day, Command::Reply { reference: t1, text: "please call the helpdesk".into() }, true),
        (s, day, Command::Link { reference: t1, account: Some(jo()), mailbox: None }, true),
        (s, day, Command::Link { reference: t1, account: None, mailbox: None }, false),
        // Leavers, joiners, administration.
        (s, day, Command::MarkLeaver { address: jo(), new_owner: None, ticket: None }, false),
        (s, day, Command::MarkLeaver { address: jo(), new_owner: Some("al.jones@nhs.net".into()), ticket: None }, true),
        (s, day, Command::MarkLeaver { address: jo(), new_owner: None, ticket: None }, false),
        (s, day, Command::Joiner { address: jo(), ods: "V5555".into(), mailboxes: vec![], ticket: None }, false),
        (s, day, Command::Joiner { address: jo(), ods: "V9999".into(), mailboxes: vec![], ticket: None }, true),
        (s, day, Command::TransferAdministration { address: "bo.brown@nhs.net".into(), to: Some("V1234".into()) }, true),
        (s, day, Command::TransferAdministration { address: "bo.brown@nhs.net".into(), to: Some("V1234".into()) }, false),
        (s, day, Command::TransferAdministration { address: "bo.brown@nhs.net".into(), to: None }, true),
        // Whoever is not an enabled operator writes nothing.
        ("mallory", day, Command::RecordLogin { address: jo() }, false),
    ];

    let failures: Vec<String> =
        table.iter().filter_map(|(who, now, command, ok)| audit_row(&desk, who, *now, command, *ok)).collect();
    assert!(failures.is_empty(), "audit table:\n{}", failures.join("\n"));

    // The table did what it says: spot-check the state it left behind.
    let oks = table.iter().filter(|row| row.3).count() as u64;
    assert_eq!(desk.audit_head(), 1 + oks, "Init plus one entry per successful row");
    let t = ticket(&desk, t1);
    assert_eq!((t.assignee.as_deref(), t.status), (Some("nas1"), TicketStatus::WaitingOnRequester));
    assert_eq!(desk.account("jo.smith@nhs.net").ods.as_str(), "V9999");
    assert_eq!(desk.mailbox("sunrise.care@nhs.net").owner, Some(desk.account("al.jones@nhs.net").id));
}

// ---------------------------------------------------------------------------
// Who may do what, and when

#[test]
fn out_of_hours_a_helpdesk_agent_resets_passwords_but_logs_new_accounts_for_the_resolver_group() {
    let desk = Desk::new();
    sunrise(&desk);
    desk.add_operator("help1", Role::Helpdesk);
    let jo = desk.new_account("Jo", "Smith", &mobile(1), "V1234");

    let reset = Command::ResetPassword {
        address: jo.address.to_string(),
        verified_by: Verification::RegisteredMobile,
        ticket: None,
    };
    let done = desk.ok("help1", out_of_hours(), &reset);
    assert_eq!(receipt(&done).address, "jo.smith@nhs.net");

    let before = desk.audit_head();
    let new = create_account("Al", "Jones", &mobile(2), "V1234", "al@example.org", false);
    let message = desk.refused("help1", out_of_hours(), &new);
    assert!(message.contains("log this as a ticket") && message.contains("resolver group"), "{message}");
    assert_eq!(desk.audit_head(), before);
    assert!(desk.service.store().account_by_address("al.jones@nhs.net").unwrap().is_none());
}

#[test]
fn an_unknown_os_user_is_told_to_ask_for_caredesk_operator_add() {
    let desk = Desk::new();
    let message = desk.refused("mallory", in_hours(), &Command::CloseOrganisation { ods: "V1234".into() });
    assert!(message.contains("\"mallory\" is not a caredesk operator"), "{message}");
    assert!(message.contains("caredesk operator add mallory"), "{message}");
    let err = desk.service.query(&Ctx::new("mallory", in_hours()), &Query::Shift).unwrap_err();
    assert!(err.to_string().contains("caredesk operator add"), "{err}");
}

#[test]
fn a_disabled_operator_is_refused_everything() {
    let desk = Desk::new();
    sunrise(&desk);
    desk.add_operator("nas1", Role::Nas);
    let form = ticket_form(Category::General, "Jo Smith", Some("V1234"));
    desk.ok("nas1", in_hours(), &Command::CreateTicket(form.clone()));
    desk.sup(&Command::SetOperatorEnabled { username: "nas1".into(), enabled: false });

    let before = desk.audit_head();
    let message = desk.refused("nas1", in_hours(), &Command::CreateTicket(form));
    assert!(message.contains("nas1") && message.contains("disabled"), "{message}");
    let err = desk.service.query(&Ctx::new("nas1", in_hours()), &Query::Shift).unwrap_err();
    assert!(err.to_string().contains("disabled"), "{err}");
    assert_eq!(desk.audit_head(), before);
}

// ---------------------------------------------------------------------------
// Account creation

#[test]
fn an_organisation_failing_information_governance_gets_no_accounts_and_is_told_what_to_do() {
    let desk = Desk::new();
    desk.add_org("V9999", "Hilltop Care", IgStatus::DsptApproachingStandards, None);
    let before = desk.audit_head();
    let message = desk.refused(
        SUPERVISOR,
        in_hours(),
        &create_account("Jo", "Smith", &mobile(1), "V9999", "jo@example.org", false),
    );
    assert!(message.contains("Hilltop Care (V9999)"), "{message}");
    assert!(message.contains("information-governance requirement"), "{message}");
    assert!(message.contains("provider must reach DSPT \"Standards Met\""), "{message}");
    assert_eq!(desk.audit_head(), before);
}

#[test]
fn a_closed_organisation_gets_no_accounts() {
    let desk = Desk::new();
    sunrise(&desk);
    desk.sup(&Command::CloseOrganisation { ods: "V1234".into() });
    let message = desk.refused(
        SUPERVISOR,
        in_hours(),
        &create_account("Jo", "Smith", &mobile(1), "V1234", "jo@example.org", false),
    );
    assert!(message.contains("V1234 is closed"), "{message}");
}

#[test]
fn a_locally_administered_organisation_is_left_to_its_local_administrator() {
    let desk = Desk::new();
    sunrise(&desk);
    desk.add_org("V7777", "Sponsored Care", IgStatus::DsptStandardsMet, Some("V1234"));
    let before = desk.audit_head();
    let message = desk.refused(
        SUPERVISOR,
        in_hours(),
        &create_account("Jo", "Smith", &mobile(1), "V7777", "jo@example.org", false),
    );
    assert!(message.contains("local administrator of V1234"), "{message}");
    assert!(message.contains("ask that administrator"), "{message}");
    assert_eq!(desk.audit_head(), before);
}

#[test]
fn a_mobile_already_registered_is_refused_naming_its_holder() {
    let desk = Desk::new();
    sunrise(&desk);
    desk.add_good_org("V9999", "Hilltop Care");
    desk.new_account("Jo", "Smith", &mobile(1), "V1234");
    let before = desk.audit_head();
    // Written differently, and in another organisation: still the same phone.
    let message = desk.refused(
        SUPERVISOR,
        in_hours(),
        &create_account("Al", "Jones", "+44 7700 900001", "V9999", "al@example.org", true),
    );
    assert!(message.contains("already registered to jo.smith@nhs.net"), "{message}");
    assert!(message.contains("07*** ***001"), "{message}");
    assert!(!message.contains("07700900001"), "the refusal shows the number masked: {message}");
    assert_eq!(desk.audit_head(), before);
}

#[test]
fn a_likely_duplicate_is_shown_before_a_second_account_is_created() {
    let desk = Desk::new();
    sunrise(&desk);
    desk.add_good_org("V9999", "Hilltop Care");
    desk.sup(&create_account("Jo", "Smith", &mobile(1), "V1234", "jo@example.org", false));

    // Same registration email, different name and organisation.
    let same_email = create_account("Joanne", "Smythe", &mobile(2), "V9999", "JO@example.org", false);
    let message = desk.refused(SUPERVISOR, in_hours(), &same_email);
    assert!(message.contains("may already have an account: jo.smith@nhs.net (Jo Smith, V1234)"), "{message}");
    assert!(message.contains("--not-duplicate"), "{message}");

    // Same name in the same organisation, different email.
    let same_name = create_account("Jo", "Smith", &mobile(3), "V1234", "jo.other@example.org", false);
    let message = desk.refused(SUPERVISOR, in_hours(), &same_name);
    assert!(message.contains("jo.smith@nhs.net"), "{message}");

    // The same name in another organisation is somebody else.
    let elsewhere = desk.sup(&create_account("Jo", "Smith", &mobile(4), "V9999", "jo4@example.org", false));
    assert!(elsewhere.summary.contains("created jo.smith1@nhs.net"), "{}", elsewhere.summary);

    // The operator has checked: it is a different person.
    let confirmed = desk.sup(&create_account("Jo", "Smith", &mobile(3), "V1234", "jo.other@example.org", true));
    assert!(confirmed.summary.contains("created jo.smith2@nhs.net"), "{}", confirmed.summary);
    assert_eq!(desk.account("jo.smith2@nhs.net").mobile().unwrap().as_str(), mobile(3));
}

#[test]
fn addresses_take_a_number_on_collision_and_fold_accents() {
    let desk = Desk::new();
    sunrise(&desk);
    let addresses: Vec<String> =
        (1..=3).map(|n| desk.new_account("Jo", "Smith", &mobile(n), "V1234").address.to_string()).collect();
    assert_eq!(addresses, ["jo.smith@nhs.net", "jo.smith1@nhs.net", "jo.smith2@nhs.net"]);

    let zoe = desk.new_account("Zoë", "Brontë", &mobile(10), "V1234");
    assert_eq!(zoe.address.as_str(), "zoe.bronte@nhs.net");
    assert_eq!(zoe.display_name(), "Zoë Brontë", "the name itself keeps its accents");
    let sian = desk.new_account("Siân", "O’Brien", &mobile(11), "V1234");
    assert_eq!(sian.address.as_str(), "sian.obrien@nhs.net");

    // Folding also finds the duplicate typed without accents.
    let message = desk.refused(
        SUPERVISOR,
        in_hours(),
        &create_account("Zoe", "Bronte", &mobile(12), "V1234", "zoe@example.org", false),
    );
    assert!(message.contains("zoe.bronte@nhs.net"), "{message}");
}

// ---------------------------------------------------------------------------
// Password resets

/// Every file under `dir`, read whole.
fn files_under(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push((path.clone(), std::fs::read(&path).unwrap()));
        }
    }
    out
}

fn contains_bytes(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn a_temporary_password_is_never_stored_nor_shown_in_the_audit_log() {
    let (desk, gateway) = Desk::recording();
    sunrise(&desk);
    let created = desk.sup(&create_account("Jo", "Smith", &mobile(1), "V1234", "jo@example.org", false));
    let form = ticket_form(Category::PasswordReset, "Jo Smith", Some("V1234"));
    let t = ticket_of(&desk.sup(&Command::CreateTicket(form)));
    let reset = desk.sup(&Command::ResetPassword {
        address: "jo.smith@nhs.net".into(),
        verified_by: Verification::RegisteredMobile,
        ticket: Some(t),
    });

    let sent = gateway.messages();
    assert_eq!(sent.len(), 2, "one text at creation, one at the reset");
    let passwords: Vec<String> = sent.iter().map(|m| password_in(&m.text)).collect();
    for (message, password) in sent.iter().zip(&passwords) {
        assert_eq!(message.to.as_str(), mobile(1));
        assert_eq!(password.len(), 12, "{:?}", message.text);
        assert_ne!(password, PASSWORD_MASK);
    }
    assert_ne!(passwords[0], passwords[1]);
    assert_eq!(receipt(&reset).delivery, Delivery::Sent);

    let ctx = Ctx::new(SUPERVISOR, in_hours());
    let Reply::Audit(audit) = desk.service.query(&ctx, &Query::Audit { before: None, limit: 1000 }).unwrap() else {
        panic!("audit query")
    };
    assert_eq!(audit.len() as u64, desk.audit_head());
    let Reply::Outbox(outbox) = desk.service.query(&ctx, &Query::Outbox { limit: 1000 }).unwrap() else {
        panic!("outbox query")
    };
    assert_eq!(outbox.len(), 2);
    let timeline = serde_json::to_string(&ticket(&desk, t)).unwrap();
    for password in &passwords {
        for entry in &audit {
            let json = serde_json::to_string(entry).unwrap();
            assert!(!json.contains(password.as_str()), "audit entry {} holds the password", entry.seq);
        }
        for message in &outbox {
            assert!(!message.text.contains(password.as_str()), "outbox #{} holds the password", message.seq);
        }
        assert!(!timeline.contains(password.as_str()), "the ticket holds the password");
        assert!(!created.summary.contains(password.as_str()) && !reset.summary.contains(password.as_str()));
    }
    for message in &outbox {
        assert!(message.text.contains(PASSWORD_MASK), "outbox #{}: {:?}", message.seq, message.text);
        assert_eq!(message.delivery, Delivery::Sent, "the gateway's answer is recorded");
    }

    // And nothing on disk: the scan does see stored text, just not the password.
    desk.service.store().flush().unwrap();
    let files = files_under(&desk.db_path());
    assert!(files.iter().any(|(_, bytes)| contains_bytes(bytes, b"jo.smith@nhs.net")), "the scan reads the records");
    for password in &passwords {
        for (path, bytes) in &files {
            assert!(!contains_bytes(bytes, password.as_bytes()), "{} holds the password", path.display());
        }
    }
}

/// Sunrise Care with Al Owner owning its shared mailbox, and Jo Smith, who
/// cannot answer security questions, asking for a reset on a ticket.
fn owner_verified_setup(desk: &Desk) -> TicketRef {
    sunrise(desk);
    desk.new_account("Al", "Owner", &mobile(2), "V1234");
    desk.new_mailbox("sunrise.care@nhs.net", "Sunrise Care shared", "V1234", "al.owner@nhs.net");
    desk.new_account("Jo", "Smith", &mobile(1), "V1234");
    let form = ticket_form(Category::PasswordReset, "Jo Smith", Some("V1234"));
    ticket_of(&desk.sup(&Command::CreateTicket(form)))
}

#[test]
fn an_owner_verified_reset_records_every_step_on_the_ticket() {
    let desk = Desk::new();
    let t = owner_verified_setup(&desk);
    let before = desk.audit_head();
    let done = desk.ok(
        "sup",
        out_of_hours(),
        &Command::ResetPassword {
            address: "jo.smith@nhs.net".into(),
            verified_by: Verification::Owner { owner: "al.owner@nhs.net".into(), mobile: "07700 900001".into() },
            ticket: Some(t),
        },
    );
    assert_eq!(desk.audit_head(), before + 1, "the reset and its ticket steps are one change");
    let r = receipt(&done);
    assert_eq!((r.sent_to.as_str(), &r.delivery), ("07*** ***001", &Delivery::KeptInOutbox));

    let ticket = ticket(&desk, t);
    let texts: Vec<&str> = ticket.timeline.iter().map(|e| e.text.as_str()).collect();
    let has = |needle: &str| texts.iter().any(|t| t.contains(needle));
    assert!(has("al.owner@nhs.net (Al Owner), owner of sunrise.care@nhs.net"), "{texts:#?}");
    assert!(has("confirmed they checked the caller locally"), "{texts:#?}");
    assert!(has("owner confirmed the mobile for the temporary password: 07*** ***001"), "{texts:#?}");
    assert!(has(&format!("temporary password issued to 07*** ***001 (outbox #{})", r.outbox)), "{texts:#?}");
    assert!(!texts.iter().any(|t| t.contains("07700900001") || t.contains("07700 900001")), "{texts:#?}");
    assert_eq!(ticket.account, Some(desk.account("jo.smith@nhs.net").id), "the ticket is linked to the account");

    let ctx = Ctx::new(SUPERVISOR, in_hours());
    let Reply::Outbox(outbox) = desk.service.query(&ctx, &Query::Outbox { limit: 10 }).unwrap() else { panic!() };
    let kept = outbox.iter().find(|m| m.seq == r.outbox).expect("the outbox entry the ticket names");
    assert_eq!((kept.delivery.clone(), kept.ticket), (Delivery::KeptInOutbox, Some(t)));
    assert!(kept.text.contains(PASSWORD_MASK));
    let account = desk.account("jo.smith@nhs.net");
    assert!(account.must_change_password);
    assert_eq!(account.temp_password_issued_at, Some(out_of_hours()));
}

#[test]
fn the_owner_of_another_organisations_mailbox_cannot_verify_a_caller() {
    let desk = Desk::new();
    let t = owner_verified_setup(&desk);
    desk.add_good_org("V9999", "Hilltop Care");
    desk.new_account("Bo", "Brown", &mobile(3), "V9999");
    desk.new_mailbox("hilltop.care@nhs.net", "Hilltop shared", "V9999", "bo.brown@nhs.net");
    let timeline_before = ticket(&desk, t).timeline.len();
    let before = desk.audit_head();

    let message = desk.refused(
        SUPERVISOR,
        in_hours(),
        &Command::ResetPassword {
            address: "jo.smith@nhs.net".into(),
            verified_by: Verification::Owner { owner: "bo.brown@nhs.net".into(), mobile: mobile(1) },
            ticket: Some(t),
        },
    );
    assert!(message.contains("bo.brown@nhs.net does not own a shared mailbox of V1234"), "{message}");
    assert_eq!(desk.audit_head(), before);
    assert_eq!(ticket(&desk, t).timeline.len(), timeline_before);
    assert_eq!(desk.account("jo.smith@nhs.net").temp_password_issued_at, Some(in_hours()), "no new password");
}

// ---------------------------------------------------------------------------
// Leavers and joiners

#[test]
fn a_leaver_who_owns_a_mailbox_hands_it_over_in_one_change() {
    let desk = Desk::new();
    sunrise(&desk);
    let ann = desk.new_account("Ann", "Leaver", &mobile(1), "V1234");
    let ben = desk.new_account("Ben", "Member", &mobile(2), "V1234");
    let cat = desk.new_account("Cat", "Owner", &mobile(3), "V1234");
    let dan = desk.new_account("Dan", "Successor", &mobile(4), "V1234");
    desk.new_mailbox("sunrise.care@nhs.net", "Sunrise Care shared", "V1234", "ann.leaver@nhs.net");
    desk.add_member("sunrise.care@nhs.net", "ben.member@nhs.net");
    desk.new_mailbox("sunrise.office@nhs.net", "Sunrise office", "V1234", "cat.owner@nhs.net");
    desk.add_member("sunrise.office@nhs.net", "ann.leaver@nhs.net");

    let before = desk.audit_head();
    let leave = |new_owner: Option<&str>| Command::MarkLeaver {
        address: "ann.leaver@nhs.net".into(),
        new_owner: new_owner.map(str::to_owned),
        ticket: None,
    };
    let message = desk.refused(SUPERVISOR, in_hours(), &leave(None));
    assert!(message.contains("ann.leaver@nhs.net owns sunrise.care@nhs.net"), "{message}");
    assert!(message.contains("--new-owner"), "{message}");
    assert_eq!(desk.audit_head(), before);
    assert_eq!(desk.account("ann.leaver@nhs.net").status, AccountStatus::PendingActivation);

    desk.sup(&leave(Some("dan.successor@nhs.net")));
    assert_eq!(desk.audit_head(), before + 1, "ownership, memberships and status in one audit entry");
    let entry = desk.audit().pop().unwrap();
    assert_eq!((entry.draft.action.as_str(), entry.draft.subject.as_str()), ("account.leaver", "ann.leaver@nhs.net"));
    let after = entry.draft.after.unwrap_or_default();
    assert!(after.contains("dan.successor@nhs.net now owns sunrise.care@nhs.net"), "{after}");
    assert!(after.contains("removed from sunrise.office@nhs.net"), "{after}");

    let care = desk.mailbox("sunrise.care@nhs.net");
    assert_eq!(care.owner, Some(dan.id));
    let mut members = desk.member_ids(&care);
    members.sort();
    assert_eq!(members, [ben.id, dan.id]);
    assert_eq!(care.member_count, 2);
    let office = desk.mailbox("sunrise.office@nhs.net");
    assert_eq!((desk.member_ids(&office), office.member_count), (vec![cat.id], 1));

    let store = desk.service.store();
    assert!(store.memberships(ann.id).unwrap().is_empty());
    assert!(store.mailboxes_owned_by(ann.id).unwrap().is_empty());
    let ann = desk.account("ann.leaver@nhs.net");
    assert_eq!((ann.status, ann.leaver_since), (AccountStatus::Leaver, Some(in_hours())));
}

#[test]
fn a_leaver_taken_by_another_organisation_is_active_again_there() {
    let desk = Desk::new();
    sunrise(&desk);
    desk.add_good_org("V2222", "Meadow Care");
    let ann = desk.new_account("Ann", "Mover", &mobile(1), "V1234");
    desk.sup(&Command::RecordPasswordChange { address: "ann.mover@nhs.net".into() });
    desk.new_account("Eve", "Owner", &mobile(2), "V2222");
    desk.new_mailbox("meadow.care@nhs.net", "Meadow Care shared", "V2222", "eve.owner@nhs.net");
    desk.sup(&Command::MarkLeaver { address: "ann.mover@nhs.net".into(), new_owner: None, ticket: None });
    assert_eq!(desk.account("ann.mover@nhs.net").status, AccountStatus::Leaver);

    let before = desk.audit_head();
    desk.sup(&Command::Joiner {
        address: "ann.mover@nhs.net".into(),
        ods: "v2222".into(),
        mailboxes: vec!["meadow.care@nhs.net".into()],
        ticket: None,
    });
    assert_eq!(desk.audit_head(), before + 1);
    let moved = desk.account("ann.mover@nhs.net");
    assert_eq!(moved.id, ann.id, "the account is kept, not recreated");
    assert_eq!((moved.status, moved.ods.as_str(), moved.leaver_since), (AccountStatus::Active, "V2222", None));
    assert!(moved.lifecycle_due().is_some_and(|d| d.transition == Transition::BecomeInactive));
    let meadow = desk.mailbox("meadow.care@nhs.net");
    assert!(desk.member_ids(&meadow).contains(&ann.id));
    assert_eq!(meadow.member_count, 2);
    let found = desk.service.store().accounts_in_org(&moved.ods, 10).unwrap();
    assert!(found.iter().any(|a| a.id == ann.id));
}

// ---------------------------------------------------------------------------
// Tickets

#[test]
fn a_ticket_is_routed_by_when_it_arrived_and_what_it_is_about() {
    let desk = Desk::new();
    sunrise(&desk);
    let log = |form: NewTicket, now: &str| logged(&desk.ok(SUPERVISOR, utc(now), &Command::CreateTicket(form)));

    // In hours: the NAS works everything.
    let t = log(ticket_form(Category::Leaver, "Jo Smith", Some("V1234")), "2026-01-07T10:00:00Z");
    assert_eq!((t.routing.queue, t.routing.work_from), (Queue::Nas, utc("2026-01-07T10:00:00Z")));

    // Out of hours, simple: the helpdesk, now.
    let form = received(ticket_form(Category::Unlock, "Jo Smith", None), "2026-12-24T18:00:00Z");
    let t = log(form, "2026-12-24T18:10:00Z");
    assert_eq!((t.routing.queue, t.routing.work_from), (Queue::Helpdesk, utc("2026-12-24T18:00:00Z")));
    assert_eq!(t.routing.due_at, utc("2026-12-24T22:00:00Z"));

    // Out of hours, complex: the resolver group from the next opening (after
    // Christmas, Boxing Day and its substitute on Monday 28th).
    let form = received(ticket_form(Category::Leaver, "Jo Smith", Some("V1234")), "2026-12-24T18:00:00Z");
    let t = log(form, "2026-12-24T18:10:00Z");
    assert_eq!(t.received_at, utc("2026-12-24T18:00:00Z"));
    assert_eq!((t.routing.queue, t.routing.work_from), (Queue::Resolver, utc("2026-12-29T09:00:00Z")));
    assert_eq!(t.status, TicketStatus::New);
    assert!(t.timeline[0].text.contains("resolver group queue, work from 2026-12-29T09:00:00Z"), "{:?}", t.timeline);
}

#[test]
fn a_missing_account_request_lists_what_is_missing_or_waits_on_the_requester() {
    let desk = Desk::new();
    sunrise(&desk);
    let form = ticket_form(Category::MissingPersonalAccount, "Jo", None);
    let before = desk.audit_head();
    let message = desk.refused(SUPERVISOR, in_hours(), &Command::CreateTicket(form.clone()));
    for missing in ["first and last name", "ODS code", "shared mailbox name"] {
        assert!(message.contains(missing), "{missing}: {message}");
    }
    assert_eq!(desk.audit_head(), before);

    let mut complete = ticket_form(Category::MissingPersonalAccount, "Jo Smith", Some("V1234"));
    complete.mailbox_name = Some("Sunrise Care shared".into());
    assert_eq!(logged(&desk.sup(&Command::CreateTicket(complete))).status, TicketStatus::New);

    let incomplete = NewTicket { incomplete: true, ..form };
    let t = logged(&desk.sup(&Command::CreateTicket(incomplete)));
    assert_eq!(t.status, TicketStatus::WaitingOnRequester);
    let asked = &t.timeline.last().unwrap().text;
    assert!(asked.starts_with("waiting on the requester for") && asked.contains("ODS code"), "{asked}");
    assert_eq!(ticket(&desk, t.reference).status, TicketStatus::WaitingOnRequester);
}

#[test]
fn a_ticket_received_in_the_future_is_refused() {
    let desk = Desk::new();
    let form = received(ticket_form(Category::Unlock, "Jo Smith", None), "2026-01-07T11:00:00Z");
    let before = desk.audit_head();
    let message = desk.refused(SUPERVISOR, in_hours(), &Command::CreateTicket(form));
    assert!(message.contains("is in the future"), "{message}");
    assert_eq!(desk.audit_head(), before);
}

#[test]
fn of_eight_simultaneous_claims_one_wins_and_the_rest_are_told_who() {
    let desk = Desk::new();
    sunrise(&desk);
    let operators: Vec<String> = (1..=8).map(|n| format!("nas{n}")).collect();
    for op in &operators {
        desk.add_operator(op, Role::Nas);
    }
    let t = ticket_of(&desk.sup(&Command::CreateTicket(ticket_form(Category::General, "Jo Smith", Some("V1234")))));
    assert_eq!(ticket(&desk, t).routing.queue, Queue::Nas);

    let start = Barrier::new(operators.len());
    let results: Vec<(String, Result<Outcome, String>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = operators
            .iter()
            .map(|op| {
                let (desk, start) = (&desk, &start);
                scope.spawn(move || {
                    start.wait();
                    let r = desk.run(op, in_hours(), &Command::Claim { reference: t });
                    (op.clone(), r.map_err(|e| e.to_string()))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });

    let winners: Vec<&String> = results.iter().filter(|(_, r)| r.is_ok()).map(|(op, _)| op).collect();
    assert_eq!(winners.len(), 1, "{results:#?}");
    let winner = winners[0];
    for (op, result) in &results {
        if let Err(message) = result {
            assert!(message.contains(&format!("{t} is already claimed by {winner}")), "{op}: {message}");
        }
    }
    assert_eq!(ticket(&desk, t).assignee.as_deref(), Some(winner.as_str()));
    let claims = desk.audit().into_iter().filter(|e| e.draft.action == "ticket.claim").count();
    assert_eq!(claims, 1);
}

#[test]
fn concurrent_member_additions_lose_no_update() {
    const EACH: u32 = 20;
    let desk = Desk::new();
    sunrise(&desk);
    desk.new_account("Al", "Owner", &mobile(0), "V1234");
    let mailbox = desk.new_mailbox("sunrise.care@nhs.net", "Sunrise Care shared", "V1234", "al.owner@nhs.net");
    let mut sides: Vec<Vec<String>> = vec![Vec::new(), Vec::new()];
    for (side, names) in sides.iter_mut().enumerate() {
        for i in 0..EACH {
            let n = 1 + side as u32 * 100 + i;
            let first = format!("Member{}", char::from(b'a' + (i as u8)));
            let last = if side == 0 { "Left" } else { "Right" };
            names.push(desk.new_account(&first, last, &mobile(n), "V1234").address.to_string());
        }
    }

    let start = Barrier::new(2);
    let results: Vec<Result<Outcome, caredesk::service::ServiceError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = sides
            .iter()
            .map(|names| {
                let (desk, start) = (&desk, &start);
                scope.spawn(move || {
                    start.wait();
                    names
                        .iter()
                        .map(|a| {
                            desk.run(
                                SUPERVISOR,
                                in_hours(),
                                &Command::AddMember { mailbox: "sunrise.care@nhs.net".into(), account: a.clone() },
                            )
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });

    // A write that kept losing the race may be refused as a conflict; none
    // may be lost.
    let added = results.iter().filter(|r| r.is_ok()).count() as u32;
    for r in &results {
        if let Err(e) = r {
            assert!(e.is_conflict(), "only conflicts may refuse an addition: {e}");
        }
    }
    assert!(added > EACH, "most additions succeed: {added} of {}", 2 * EACH);
    let now = desk.mailbox("sunrise.care@nhs.net");
    let pairs = desk.member_ids(&mailbox).len() as u32;
    assert_eq!(pairs, 1 + added);
    assert_eq!(now.member_count, pairs, "member_count drifted from the membership pairs");
}

#[test]
fn queue_pages_come_in_due_order_and_show_only_what_is_asked() {
    let desk = Desk::new();
    sunrise(&desk);
    desk.add_operator("nas1", Role::Nas);
    desk.add_operator("nas2", Role::Nas);
    let now = utc("2026-01-07T12:00:00Z");
    // Created out of due order: CD-1 10:00, CD-2 09:30, CD-3 11:00, CD-4 09:15.
    for at in ["10:00", "09:30", "11:00", "09:15"] {
        let form = received(ticket_form(Category::General, "Jo Smith", Some("V1234")), &format!("2026-01-07T{at}:00Z"));
        desk.ok(SUPERVISOR, now, &Command::CreateTicket(form));
    }
    // A complex request from last night waits in the resolver group's queue.
    let night = received(ticket_form(Category::Leaver, "Jo Smith", Some("V1234")), "2026-01-06T20:00:00Z");
    let resolver = logged(&desk.ok(SUPERVISOR, now, &Command::CreateTicket(night)));
    assert_eq!(resolver.routing.queue, Queue::Resolver);

    let nas = |limit| rows(&desk, "nas1", QueueView::Queue(Queue::Nas), StatusFilter::Open, limit);
    assert_eq!(nas(10), refs(&[4, 2, 1, 3]));
    assert_eq!(nas(3), refs(&[4, 2, 1]));
    assert_eq!(nas(1), refs(&[4]));
    assert_eq!(rows(&desk, "nas1", QueueView::Queue(Queue::Resolver), StatusFilter::Open, 10), refs(&[5]));

    for (op, t) in [("nas1", 1), ("nas1", 3), ("nas2", 2)] {
        desk.ok(op, now, &Command::Claim { reference: TicketRef(t) });
    }
    assert_eq!(rows(&desk, "nas1", QueueView::Mine, StatusFilter::Open, 10), refs(&[1, 3]));
    assert_eq!(rows(&desk, "nas2", QueueView::Mine, StatusFilter::Open, 10), refs(&[2]));
    assert_eq!(rows(&desk, "nas1", QueueView::Mine, StatusFilter::Open, 1), refs(&[1]));
    let in_progress = StatusFilter::Only(TicketStatus::InProgress);
    assert_eq!(rows(&desk, "nas1", QueueView::Queue(Queue::Nas), in_progress, 10), refs(&[2, 1, 3]));

    desk.ok("nas1", now, &Command::SetStatus { reference: TicketRef(1), status: TicketStatus::Resolved });
    assert_eq!(nas(10), refs(&[4, 2, 3]), "a resolved ticket leaves the open page");
    assert_eq!(rows(&desk, "nas1", QueueView::Queue(Queue::Nas), StatusFilter::Done, 10), refs(&[1]));
    assert_eq!(rows(&desk, "nas1", QueueView::Mine, StatusFilter::Open, 10), refs(&[3]));
    assert_eq!(rows(&desk, "nas1", QueueView::All, StatusFilter::Open, 10), refs(&[4, 2, 3, 5]));
}

// ---------------------------------------------------------------------------
// The lifecycle sweep

#[test]
fn the_lifecycle_sweep_makes_accounts_inactive_then_deletes_them_once() {
    let desk = Desk::new();
    sunrise(&desk);
    let t0 = in_hours();
    let owner = desk.new_account("Al", "Owner", &mobile(1), "V1234");
    let idle = desk.new_account("Ida", "Idle", &mobile(2), "V1234");
    let mailbox = desk.new_mailbox("sunrise.care@nhs.net", "Sunrise Care shared", "V1234", "al.owner@nhs.net");
    desk.add_member("sunrise.care@nhs.net", "ida.idle@nhs.net");
    // The owner logs in and changes the password on day 60; Ida never does.
    desk.ok(SUPERVISOR, t0 + days(60), &Command::RecordLogin { address: "al.owner@nhs.net".into() });
    desk.ok(SUPERVISOR, t0 + days(60), &Command::RecordPasswordChange { address: "al.owner@nhs.net".into() });
    let sweep = |at, dry_run| desk.ok(SUPERVISOR, at, &Command::Sweep { dry_run });

    // Day 95: Ida has not logged in for 90 days.
    let before = desk.audit_head();
    let first = sweep(t0 + days(95), false);
    let report = sweep_report(&first);
    assert_eq!(report.applied.len(), 1, "{report:?}");
    assert_eq!(
        (report.applied[0].address.as_str(), report.applied[0].transition, report.applied[0].due_at),
        ("ida.idle@nhs.net", Transition::BecomeInactive, t0 + days(90))
    );
    assert_eq!(desk.audit_head(), before + 1);
    assert_eq!(first.audit_seq, Some(before + 1));
    assert_eq!(desk.account("ida.idle@nhs.net").status, AccountStatus::Inactive);
    assert_eq!(desk.account("al.owner@nhs.net").status, AccountStatus::Active);

    let again = sweep(t0 + days(95), false);
    assert!(sweep_report(&again).applied.is_empty());
    assert_eq!((desk.audit_head(), again.audit_seq), (before + 1, None), "a second run changes nothing");

    // Day 185: Ida has been inactive for 90 days, the owner's 90 days ran out on day 150.
    let preview = sweep(t0 + days(185), true);
    assert_eq!(sweep_report(&preview).applied.len(), 2);
    assert_eq!(desk.audit_head(), before + 1, "a dry run writes nothing");
    let second = sweep(t0 + days(185), false);
    let applied: Vec<_> =
        sweep_report(&second).applied.iter().map(|i| (i.address.clone(), i.transition)).collect::<Vec<_>>();
    assert_eq!(
        applied,
        [
            ("al.owner@nhs.net".to_owned(), Transition::BecomeInactive),
            ("ida.idle@nhs.net".to_owned(), Transition::Delete)
        ]
    );
    assert_eq!(desk.audit_head(), before + 3, "one entry per transition");
    let actions: Vec<String> = desk.audit().iter().rev().take(2).map(|e| e.draft.action.clone()).collect();
    assert_eq!(actions, ["lifecycle.delete", "lifecycle.inactive"]);

    // The tombstone: found by its address, personal data gone, memberships gone.
    let ctx = Ctx::new(SUPERVISOR, t0 + days(185));
    let Reply::Account(view) =
        desk.service.query(&ctx, &Query::Account { address: "ida.idle@nhs.net".into() }).unwrap()
    else {
        panic!("account query")
    };
    assert_eq!(view.account.id, idle.id);
    assert_eq!(view.account.status, AccountStatus::Deleted);
    assert_eq!(view.account.personal, None);
    assert_eq!(view.account.deleted_at, Some(t0 + days(180)));
    assert!(view.member_of.is_empty(), "{:?}", view.member_of);
    let store = desk.service.store();
    assert!(store.account_by_mobile(idle.mobile().unwrap()).unwrap().is_none(), "the mobile is freed");
    let now = desk.mailbox("sunrise.care@nhs.net");
    assert_eq!((desk.member_ids(&mailbox), now.member_count), (vec![owner.id], 1));
    assert_eq!(desk.account("al.owner@nhs.net").status, AccountStatus::Inactive);

    let last = sweep(t0 + days(185), false);
    assert!(sweep_report(&last).applied.is_empty());
    assert_eq!(desk.audit_head(), before + 3);
}

// ---------------------------------------------------------------------------
// The audit chain

#[test]
fn the_audit_chain_verifies_until_an_entry_is_altered() {
    let desk = Desk::new();
    sunrise(&desk);
    desk.new_account("Jo", "Smith", &mobile(1), "V1234");
    desk.sup(&Command::RecordLogin { address: "jo.smith@nhs.net".into() });
    desk.sup(&Command::CreateTicket(ticket_form(Category::General, "Jo Smith", Some("V1234"))));
    let head = desk.audit_head();
    assert_eq!(head, 5);
    assert_eq!(desk.service.verify_audit().unwrap(), head);
    let ctx = Ctx::new(SUPERVISOR, in_hours());
    assert_eq!(desk.service.query(&ctx, &Query::VerifyAudit).unwrap(), Reply::AuditVerified { entries: head });

    let store = desk.service.store();
    let key = 3u64.to_be_bytes();
    let original = store.raw_get(TreeId::Audit, &key).unwrap().expect("entry 3");
    let mut entry = desk.audit().remove(2);
    assert_eq!(entry.seq, 3);
    entry.draft.operator = "someone-else".into();
    store.raw_put(TreeId::Audit, &key, &Store::encode_versioned("audit entry", 1, &entry)).unwrap();
    let message = desk.service.verify_audit().unwrap_err().to_string();
    assert!(message.contains("audit entry 3 has been altered"), "{message}");

    // Rewriting an entry with a fresh hash breaks the link from the next one.
    store.raw_put(TreeId::Audit, &key, &original).unwrap();
    assert_eq!(desk.service.verify_audit().unwrap(), head);
    let entries = desk.audit();
    let mut forged = entries[2].draft.clone();
    forged.after = Some("forged".into());
    let rewritten = caredesk::domain::audit::AuditEntry::chain(3, forged, &entries[1].hash);
    store.raw_put(TreeId::Audit, &key, &Store::encode_versioned("audit entry", 1, &rewritten)).unwrap();
    let message = desk.service.verify_audit().unwrap_err().to_string();
    assert!(message.contains("audit entry 4 does not link"), "{message}");
}

// ---------------------------------------------------------------------------
// Found while writing these tests: each is named after what breaks.

#[test]
fn a_configured_sms_command_gets_the_real_text_and_the_outbox_keeps_the_mask() {
    let Desk { dir, service } = Desk::new();
    let sent = dir.path().join("sent.txt");
    let ctx = Ctx::new(SUPERVISOR, in_hours());
    let program = format!("printf '%s\\n' \"$1\" > '{0}'; cat >> '{0}'", sent.display());
    service.execute(&ctx, &Command::SetSmsCommand { command: Some(program) }).unwrap();
    drop(service);
    // Reopened, the service builds its gateway from the stored policy.
    let service =
        caredesk::service::Service::open(&dir.path().join("db"), caredesk::store::OpenMode::Existing).unwrap();
    let desk = Desk { dir, service };
    sunrise(&desk);
    desk.new_account("Jo", "Smith", &mobile(1), "V1234");
    let text = std::fs::read_to_string(&sent).expect("the command was run");
    let (number, message) = text.split_once('\n').unwrap();
    assert_eq!(number, "+447700900001");
    let password = password_in(message);
    assert_eq!(password.len(), 12, "{message}");
    let Reply::Outbox(outbox) = desk.service.query(&ctx, &Query::Outbox { limit: 5 }).unwrap() else { panic!() };
    assert_eq!(outbox[0].delivery, Delivery::Sent);
    assert!(outbox[0].text.contains(PASSWORD_MASK) && !outbox[0].text.contains(&password));
}

#[test]
fn a_changed_sms_command_takes_effect_without_a_restart() {
    let desk = Desk::new();
    let sent = desk.dir.path().join("sent.txt");
    desk.sup(&Command::SetSmsCommand { command: Some(format!("cat > '{}'", sent.display())) });
    sunrise(&desk);
    let created = desk.sup(&create_account("Jo", "Smith", &mobile(1), "V1234", "jo@example.org", false));
    let ctx = Ctx::new(SUPERVISOR, in_hours());
    let Reply::Outbox(outbox) = desk.service.query(&ctx, &Query::Outbox { limit: 5 }).unwrap() else { panic!() };
    assert_eq!(outbox[0].delivery, Delivery::Sent, "{}", created.summary);
    assert!(sent.exists(), "the configured command was never run");

    // And clearing it stops texts leaving the machine at once.
    desk.sup(&Command::SetSmsCommand { command: None });
    std::fs::remove_file(&sent).unwrap();
    desk.sup(&Command::ResetPassword {
        address: "jo.smith@nhs.net".into(),
        verified_by: Verification::RegisteredMobile,
        ticket: None,
    });
    assert!(!sent.exists(), "a cleared SMS command still sent the password");
}

#[test]
fn a_mailbox_owner_cannot_verify_their_own_password_reset() {
    let desk = Desk::new();
    sunrise(&desk);
    desk.new_account("Al", "Owner", &mobile(2), "V1234");
    desk.new_mailbox("sunrise.care@nhs.net", "Sunrise Care shared", "V1234", "al.owner@nhs.net");
    let before = desk.audit_head();
    // Someone calling as Al, naming Al as the owner who vouches for them,
    // and a new number for the password.
    let result = desk.run(
        SUPERVISOR,
        in_hours(),
        &Command::ResetPassword {
            address: "al.owner@nhs.net".into(),
            verified_by: Verification::Owner { owner: "al.owner@nhs.net".into(), mobile: mobile(9) },
            ticket: None,
        },
    );
    assert!(result.is_err(), "the caller verified themselves: {:?}", result.map(|o| o.summary));
    assert_eq!(desk.audit_head(), before);
    assert_eq!(desk.account("al.owner@nhs.net").mobile().unwrap().as_str(), mobile(2));
}

#[test]
fn namesakes_created_at_the_same_moment_both_get_an_address() {
    const N: u32 = 4;
    let desk = Desk::new();
    sunrise(&desk);
    desk.add_good_org("V9999", "Hilltop Care");
    // Three rounds of four namesakes at once: the race shows in most runs.
    for (round, last) in ["Smith", "Jones", "Brown"].into_iter().enumerate() {
        let start = Barrier::new(N as usize);
        let results: Vec<Result<Outcome, String>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..N)
                .map(|i| {
                    let (desk, start) = (&desk, &start);
                    scope.spawn(move || {
                        let n = round as u32 * 10 + i;
                        let ods = if i % 2 == 0 { "V1234" } else { "V9999" };
                        let email = format!("jo{n}@example.org");
                        let command = create_account("Jo", last, &mobile(n), ods, &email, true);
                        start.wait();
                        desk.run(SUPERVISOR, in_hours(), &command).map_err(|e| e.to_string())
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let refused: Vec<&String> = results.iter().filter_map(|r| r.as_ref().err()).collect();
        assert!(refused.is_empty(), "{last}: {refused:#?}");
        let stem = format!("jo.{}", last.to_lowercase());
        let mut want: Vec<String> =
            (0..N).map(|n| if n == 0 { format!("{stem}@nhs.net") } else { format!("{stem}{n}@nhs.net") }).collect();
        want.sort();
        let found = desk.service.store().accounts_by_address_prefix(&stem, 10).unwrap();
        let mut got: Vec<String> = found.iter().map(|a| a.address.to_string()).collect();
        got.sort();
        assert_eq!(got, want);
    }
}

#[test]
fn a_closed_ticket_can_be_reopened_as_its_refusal_advises() {
    let desk = Desk::new();
    let t = ticket_of(&desk.sup(&Command::CreateTicket(ticket_form(Category::General, "Jo Smith", None))));
    desk.sup(&Command::SetStatus { reference: t, status: TicketStatus::Closed });
    let note = desk.refused(SUPERVISOR, in_hours(), &Command::Note { reference: t, text: "more".into() });
    assert!(note.contains("reopen it"), "{note}");
    desk.run(SUPERVISOR, in_hours(), &Command::SetStatus { reference: t, status: TicketStatus::InProgress })
        .expect("the advice is followable: a closed ticket can be reopened");
    desk.run(SUPERVISOR, in_hours(), &Command::Note { reference: t, text: "more".into() })
        .expect("a reopened ticket takes notes again");
    // Closed again, it can be reopened but not moved to another final state.
    desk.sup(&Command::SetStatus { reference: t, status: TicketStatus::Closed });
    let refused =
        desk.refused(SUPERVISOR, in_hours(), &Command::SetStatus { reference: t, status: TicketStatus::Resolved });
    assert!(refused.contains("is closed"), "{refused}");
}
