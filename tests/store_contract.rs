//! The store's contract, on a temporary sled database: what it keeps across
//! a reopen, how it refuses a database it cannot use, how it reads records
//! written by other versions, how its indexes follow their records, and how
//! a write based on stale data or taking someone else's unique key is
//! refused whole.

mod common;

use std::path::Path;

use caredesk::domain::account::Account;
use caredesk::domain::audit::AuditDraft;
use caredesk::domain::organisation::{Administration, IgStatus, Organisation};
use caredesk::domain::record::RecordMeta;
use caredesk::domain::routing::{Category, Channel};
use caredesk::domain::validate::{Email, Mobile, OdsCode};
use caredesk::service::ops::*;
use caredesk::service::{Service, Verification};
use caredesk::store::{Change, OpenMode, Store, StoreError, TreeId, v1};
use common::*;

fn draft(action: &str, subject: &str) -> AuditDraft {
    AuditDraft {
        at: in_hours(),
        recorded_at: in_hours(),
        operator: "contract".into(),
        action: action.into(),
        subject: subject.into(),
        command: "{}".into(),
        before: None,
        after: None,
        batch: None,
    }
}

/// A desk with Sunrise Care (V1234) and Hilltop Care (V9999) and three people.
fn desk_with_people() -> Desk {
    let desk = Desk::new();
    desk.add_good_org("V1234", "Sunrise Care");
    desk.add_good_org("V9999", "Hilltop Care");
    desk.sup(&create_account("Jo", "Smith", &mobile(1), "V1234", "jo@example.org", false));
    desk.sup(&create_account("Joanne", "Smithson", &mobile(2), "V1234", "joanne@example.org", false));
    desk.sup(&create_account("Al", "Jones", &mobile(3), "V9999", "al@example.org", false));
    desk
}

fn org(ods: &str) -> Organisation {
    Organisation {
        ods: OdsCode::parse(ods).unwrap(),
        name: "Planted Care".into(),
        ig: IgStatus::DsptStandardsMet,
        administered_by: Administration::Nas,
        created_at: in_hours(),
        closed_at: None,
        meta: RecordMeta::created("contract", in_hours()),
    }
}

fn ods(code: &str) -> OdsCode {
    OdsCode::parse(code).unwrap()
}

fn ids(accounts: &[Account]) -> Vec<String> {
    let mut out: Vec<String> = accounts.iter().map(|a| a.address.to_string()).collect();
    out.sort();
    out
}

// ---------------------------------------------------------------------------
// Opening

#[test]
fn a_reopened_database_keeps_its_records() {
    let Desk { dir, service } = desk_with_people();
    let head = service.store().audit_head().unwrap();
    drop(service);

    let store = Store::open(&dir.path().join("db"), OpenMode::Existing).unwrap();
    assert_eq!(store.organisation(&ods("V1234")).unwrap().map(|o| o.name), Some("Sunrise Care".to_owned()));
    let jo = store.account_by_address("jo.smith@nhs.net").unwrap().expect("jo after reopen");
    assert_eq!(jo.mobile().map(Mobile::as_str), Some(mobile(1).as_str()));
    assert_eq!(store.audit_head().unwrap(), head);
    assert_eq!(store.operator(SUPERVISOR).unwrap().map(|o| o.enabled), Some(true));
    let service = Service::with_store(store).unwrap();
    assert_eq!(service.verify_audit().unwrap(), head);
}

#[test]
fn opening_a_missing_database_says_to_run_caredesk_init() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db");
    let err = Store::open(&path, OpenMode::Existing).err().expect("no database there");
    assert!(matches!(err, StoreError::Missing { .. }), "{err:?}");
    assert!(err.to_string().contains("caredesk init"), "{err}");
    assert!(!path.join("conf").exists(), "a refused open creates nothing");
    let err = Service::open(&path, OpenMode::Existing).err().expect("no database there");
    assert!(err.to_string().contains("caredesk init"), "{err}");
}

fn assert_locked_message(message: &str) {
    assert!(message.contains("in use by another caredesk process"), "{message}");
    assert!(!message.contains("could not acquire lock"), "sled's own words leaked: {message}");
}

#[test]
fn a_database_open_twice_in_one_process_is_reported_as_locked() {
    let desk = Desk::new();
    let err = Store::open(&desk.db_path(), OpenMode::Existing).err().expect("the second open is refused");
    assert!(matches!(err, StoreError::Locked { .. }), "{err:?}");
    assert_locked_message(&err.to_string());

    let Desk { dir, service } = desk;
    drop(service);
    Store::open(&dir.path().join("db"), OpenMode::Existing).expect("free again once the first is closed");
}

const PROBE_ENV: &str = "CAREDESK_CONTRACT_PROBE_DB";
const PROBE_MARK: &str = "probe refused: ";

/// Run by `a_database_held_by_another_process_is_reported_as_locked` in a
/// child process; on its own it has no database to probe.
#[test]
#[ignore = "run in a child process by a_database_held_by_another_process_is_reported_as_locked"]
fn probe_open_from_another_process() {
    // Under `--include-ignored` without a parent there is nothing to probe.
    let Ok(path) = std::env::var(PROBE_ENV) else { return };
    match Store::open(Path::new(&path), OpenMode::Existing) {
        Ok(_) => panic!("the probe opened a database another process holds"),
        Err(e) => println!("{PROBE_MARK}{e}"),
    }
}

#[test]
fn a_database_held_by_another_process_is_reported_as_locked() {
    let desk = Desk::new();
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "probe_open_from_another_process", "--ignored", "--nocapture", "--test-threads=1"])
        .env(PROBE_ENV, desk.db_path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "probe failed:\n{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    let line = stdout.lines().find_map(|l| l.split_once(PROBE_MARK)).map(|(_, m)| m.to_owned());
    let message = line.unwrap_or_else(|| panic!("the probe did not report a refusal:\n{stdout}"));
    assert_locked_message(&message);
}

#[test]
fn a_database_laid_out_by_a_newer_caredesk_is_refused() {
    let Desk { dir, service } = Desk::new();
    service.store().raw_put(TreeId::Meta, b"layout", &[caredesk::store::LAYOUT + 1]).unwrap();
    service.store().flush().unwrap();
    drop(service);
    let err = Store::open(&dir.path().join("db"), OpenMode::Existing).err().expect("refused");
    assert!(matches!(err, StoreError::NewerLayout { .. }), "{err:?}");
    assert!(err.to_string().contains("upgrade caredesk"), "{err}");
}

// ---------------------------------------------------------------------------
// Record versions

#[test]
fn an_organisation_written_by_schema_1_is_read_as_the_current_shape() {
    let desk = Desk::new();
    let store = desk.service.store();
    for (code, level2, want) in [("V1111", true, IgStatus::IgToolkitLevel2), ("V2222", false, IgStatus::NotMet)] {
        let old = v1::Organisation {
            ods: ods(code),
            name: format!("Legacy {code}"),
            ig_toolkit_level2: level2,
            administered_by: Administration::Nas,
            created_at: in_hours(),
            closed_at: None,
            meta: RecordMeta::created("legacy", in_hours()),
        };
        let bytes = Store::encode_versioned("organisation", 1, &old);
        assert_eq!(bytes[0], 1);
        store.raw_put(TreeId::Orgs, code.as_bytes(), &bytes).unwrap();
        let read = store.organisation(&ods(code)).unwrap().expect("the planted organisation");
        assert_eq!((read.ig, read.name.as_str(), read.meta.rev), (want, format!("Legacy {code}").as_str(), 1));
    }

    // IG Toolkit level 2 still meets the requirement, and a change rewrites
    // the record in the current schema.
    desk.sup(&create_account("Jo", "Smith", &mobile(1), "V1111", "jo@example.org", false));
    desk.sup(&SetIgStatus { ods: "V1111".into(), ig: IgStatus::DsptStandardsMet });
    let raw = store.raw_get(TreeId::Orgs, b"V1111").unwrap().unwrap();
    assert_eq!(raw[0], 2, "rewritten in schema 2");
    assert_eq!(store.organisation(&ods("V1111")).unwrap().unwrap().ig, IgStatus::DsptStandardsMet);
}

#[test]
fn a_record_from_a_newer_caredesk_is_refused_with_upgrade_advice() {
    let desk = Desk::new();
    let store = desk.service.store();
    store.raw_put(TreeId::Orgs, b"V3333", &Store::encode_versioned("organisation", 9, &org("V3333"))).unwrap();
    let err = store.organisation(&ods("V3333")).unwrap_err();
    let message = err.to_string();
    assert!(message.contains("newer caredesk (schema 9"), "{message}");
    assert!(message.contains("upgrade caredesk"), "{message}");
}

#[test]
fn a_record_with_trailing_bytes_is_reported_as_corrupt() {
    let desk = Desk::new();
    desk.add_good_org("V1234", "Sunrise Care");
    let store = desk.service.store();
    let mut bytes = store.raw_get(TreeId::Orgs, b"V1234").unwrap().unwrap();
    bytes.extend_from_slice(&[0xde, 0xad]);
    store.raw_put(TreeId::Orgs, b"V1234", &bytes).unwrap();
    let message = store.organisation(&ods("V1234")).unwrap_err().to_string();
    assert!(message.contains("organisation record could not be read"), "{message}");
    assert!(message.contains("2 trailing bytes"), "{message}");
    assert!(message.contains("damaged"), "{message}");

    store.raw_put(TreeId::Orgs, b"V1234", &[]).unwrap();
    let message = store.organisation(&ods("V1234")).unwrap_err().to_string();
    assert!(message.contains("empty value"), "{message}");
}

// ---------------------------------------------------------------------------
// Indexes

#[test]
fn every_index_finds_the_records_it_was_built_from() {
    let desk = desk_with_people();
    let store = desk.service.store();
    let jo = store.account_by_address("jo.smith@nhs.net").unwrap().expect("by address");
    assert_eq!(jo.display_name(), "Jo Smith");
    let by_mobile = store.account_by_mobile(&Mobile::parse(&mobile(1)).unwrap()).unwrap().expect("by mobile");
    assert_eq!(by_mobile.id, jo.id);
    assert!(store.account_by_mobile(&Mobile::parse(&mobile(9)).unwrap()).unwrap().is_none());

    assert_eq!(
        ids(&store.accounts_by_name("smith", None, 10).unwrap()),
        ["jo.smith@nhs.net", "joanne.smithson@nhs.net"]
    );
    assert_eq!(ids(&store.accounts_by_name("smith", Some("jo"), 10).unwrap()), ["jo.smith@nhs.net"]);
    assert_eq!(ids(&store.accounts_by_name("smithson", Some("jo"), 10).unwrap()), ["joanne.smithson@nhs.net"]);
    assert!(store.accounts_by_name("smith", Some("al"), 10).unwrap().is_empty());
    assert_eq!(ids(&store.accounts_by_name("smith", None, 1).unwrap()).len(), 1, "limits are honoured");

    assert_eq!(
        ids(&store.accounts_in_org(&ods("V1234"), 10).unwrap()),
        ["jo.smith@nhs.net", "joanne.smithson@nhs.net"]
    );
    assert_eq!(ids(&store.accounts_in_org(&ods("V9999"), 10).unwrap()), ["al.jones@nhs.net"]);
    let email = Email::parse("Jo@Example.org").unwrap();
    assert_eq!(ids(&store.accounts_with_email(&email, 10).unwrap()), ["jo.smith@nhs.net"]);
    assert_eq!(
        ids(&store.accounts_by_address_prefix("jo", 10).unwrap()),
        ["jo.smith@nhs.net", "joanne.smithson@nhs.net"]
    );
    assert_eq!(ids(&store.accounts_by_mobile_prefix("077009000", 10).unwrap()).len(), 3);

    // The service's search goes through the same indexes: whole words
    // rank before the start of one.
    assert_eq!(
        ids(&desk.service.find_accounts("Smith, Jo", 10).unwrap()),
        ["jo.smith@nhs.net", "joanne.smithson@nhs.net"]
    );
    assert_eq!(ids(&desk.service.find_accounts("07700 900003", 10).unwrap()), ["al.jones@nhs.net"]);
    assert_eq!(ids(&desk.service.find_accounts("V9999", 10).unwrap()), ["al.jones@nhs.net"]);
}

#[test]
fn a_changed_mobile_name_email_or_organisation_leaves_no_stale_index_entry() {
    let desk = desk_with_people();
    let store = desk.service.store();
    desk.sup(&create_account("Ola", "Owner", &mobile(4), "V1234", "ola@example.org", false));
    desk.new_mailbox("sunrise.care@nhs.net", "Sunrise Care shared", "V1234", "ola.owner@nhs.net");

    // Mobile: the owner confirms a new number during a reset.
    let old_mobile = Mobile::parse(&mobile(1)).unwrap();
    let new_mobile = Mobile::parse(&mobile(5)).unwrap();
    desk.sup(&ResetPassword {
        address: "jo.smith@nhs.net".into(),
        verified_by: Verification::Owner { owner: "ola.owner@nhs.net".into(), mobile: mobile(5) },
        ticket: None,
    });
    assert!(store.account_by_mobile(&old_mobile).unwrap().is_none(), "the old mobile still finds the account");
    assert!(store.raw_get(TreeId::AccountsByMobile, old_mobile.as_str().as_bytes()).unwrap().is_none());
    let jo = store.account_by_mobile(&new_mobile).unwrap().expect("the new mobile finds the account");
    assert_eq!(jo.address.as_str(), "jo.smith@nhs.net");
    // The old number is free for someone else.
    desk.sup(&create_account("Cy", "Next", &mobile(1), "V1234", "cy@example.org", false));

    // Name and email: written through a change like any command.
    let mut renamed = jo.clone();
    renamed.meta = jo.meta.next("contract", in_hours());
    let personal = renamed.personal.as_mut().unwrap();
    personal.last_name = "Brown".into();
    personal.email = Email::parse("jo.brown@example.org").unwrap();
    let mut change = Change::new();
    change.put(Some(&jo), &renamed).unwrap();
    store.commit(&change, &draft("account.rename", "jo.smith@nhs.net")).unwrap();
    assert_eq!(ids(&store.accounts_by_name("smith", None, 10).unwrap()), ["joanne.smithson@nhs.net"]);
    assert_eq!(ids(&store.accounts_by_name("brown", Some("jo"), 10).unwrap()), ["jo.smith@nhs.net"]);
    assert!(store.accounts_with_email(&Email::parse("jo@example.org").unwrap(), 10).unwrap().is_empty());
    let by_new_email = store.accounts_with_email(&Email::parse("jo.brown@example.org").unwrap(), 10).unwrap();
    assert_eq!(ids(&by_new_email), ["jo.smith@nhs.net"]);

    // Organisation: a joiner moves.
    desk.sup(&Joiner { address: "jo.smith@nhs.net".into(), ods: "V9999".into(), mailboxes: vec![], ticket: None });
    assert_eq!(
        ids(&store.accounts_in_org(&ods("V1234"), 10).unwrap()),
        ["cy.next@nhs.net", "joanne.smithson@nhs.net", "ola.owner@nhs.net"]
    );
    assert_eq!(ids(&store.accounts_in_org(&ods("V9999"), 10).unwrap()), ["al.jones@nhs.net", "jo.smith@nhs.net"]);
}

#[test]
fn a_write_based_on_a_stale_revision_is_refused_naming_who_changed_it() {
    let desk = desk_with_people();
    desk.add_operator("nas1", caredesk::domain::permission::Role::Nas);
    let store = desk.service.store();
    let seen = store.account_by_address("jo.smith@nhs.net").unwrap().unwrap();
    desk.ok("nas1", in_hours(), &RecordLogin { address: "jo.smith@nhs.net".into() });

    let mut edited = seen.clone();
    edited.meta = seen.meta.next("contract", in_hours());
    edited.mobile_hidden = true;
    let mut change = Change::new();
    change.put(Some(&seen), &edited).unwrap();
    let head = store.audit_head().unwrap();
    let err = store.commit(&change, &draft("account.directory", "jo.smith@nhs.net")).unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("account jo.smith@nhs.net was changed by nas1"), "{message}");
    assert!(message.contains("reload and try again"), "{message}");
    assert_eq!(store.audit_head().unwrap(), head, "a refused commit writes no audit entry");
    let now = store.account_by_address("jo.smith@nhs.net").unwrap().unwrap();
    assert!(!now.mobile_hidden && now.last_login_at == Some(in_hours()), "nas1's change stands, ours is not applied");

    // Creating a record that already exists is refused too.
    let mut change = Change::new();
    change.put(None, &now).unwrap();
    let err = store.commit(&change, &draft("account.new", "jo.smith@nhs.net")).unwrap_err();
    assert!(matches!(err, StoreError::Exists { .. }), "{err:?}");
}

#[test]
fn a_mobile_cannot_have_two_holders_and_the_whole_change_is_refused() {
    let desk = desk_with_people();
    let store = desk.service.store();
    let jo = store.account_by_address("jo.smith@nhs.net").unwrap().unwrap();
    let al = store.account_by_address("al.jones@nhs.net").unwrap().unwrap();

    // One change that hides Jo's mobile and gives Al Jo's number.
    let mut jo_hidden = jo.clone();
    jo_hidden.meta = jo.meta.next("contract", in_hours());
    jo_hidden.mobile_hidden = true;
    let mut al_taking = al.clone();
    al_taking.meta = al.meta.next("contract", in_hours());
    al_taking.personal.as_mut().unwrap().mobile = jo.mobile().unwrap().clone();
    let mut change = Change::new();
    change.put(Some(&jo), &jo_hidden).unwrap();
    change.put(Some(&al), &al_taking).unwrap();

    let head = store.audit_head().unwrap();
    let err = store.commit(&change, &draft("account.mobile", "al.jones@nhs.net")).unwrap_err();
    assert!(matches!(&err, StoreError::Taken { what, .. } if what == "mobile number"), "{err:?}");
    assert!(err.to_string().contains("is already taken"), "{err}");
    assert_eq!(store.audit_head().unwrap(), head);
    assert_eq!(store.account(jo.id).unwrap().unwrap(), jo, "the first half of the change was not applied");
    assert_eq!(store.account(al.id).unwrap().unwrap(), al);
    let holder = store.account_by_mobile(jo.mobile().unwrap()).unwrap().unwrap();
    assert_eq!(holder.id, jo.id);
    assert!(store.account_by_mobile(al.mobile().unwrap()).unwrap().is_some(), "Al's own number is still indexed");
}

// ---------------------------------------------------------------------------
// Sequences

#[test]
fn sequence_numbers_keep_rising_across_a_reopen() {
    let Desk { dir, service } = Desk::new();
    let store = service.store();
    let first: Vec<u64> = (0..3).map(|_| store.next_number("ticket").unwrap()).collect();
    assert_eq!(first, [1, 2, 3]);
    assert_eq!(store.next_number("outbox").unwrap(), 1, "each sequence counts on its own");
    assert_eq!(store.last_number("ticket").unwrap(), 3);
    drop(service);

    let store = Store::open(&dir.path().join("db"), OpenMode::Existing).unwrap();
    assert_eq!(store.last_number("ticket").unwrap(), 3);
    let after: Vec<u64> = (0..3).map(|_| store.next_number("ticket").unwrap()).collect();
    assert_eq!(after, [4, 5, 6]);
}

#[test]
fn tickets_are_found_by_organisation_account_and_mailbox() {
    let desk = desk_with_people();
    desk.new_mailbox("sunrise.care@nhs.net", "Sunrise Care shared", "V1234", "jo.smith@nhs.net");
    let form = |account: Option<&str>, mailbox: Option<&str>, ods: Option<&str>| CreateTicket {
        category: Category::General,
        channel: Channel::Phone,
        received_at: None,
        requester_name: "Jo Smith".into(),
        requester_email: None,
        requester_phone: None,
        ods: ods.map(Into::into),
        account: account.map(Into::into),
        mailbox: mailbox.map(Into::into),
        mailbox_name: None,
        subject: "a question".into(),
        body: String::new(),
        incomplete: false,
    };
    let about_jo = ticket_of(&desk.sup(&form(Some("jo.smith@nhs.net"), None, None)));
    let about_mailbox = ticket_of(&desk.sup(&form(None, Some("sunrise.care@nhs.net"), None)));
    let about_hilltop = ticket_of(&desk.sup(&form(None, None, Some("V9999"))));
    let store = desk.service.store();
    let jo = desk.account("jo.smith@nhs.net");
    let mailbox = desk.mailbox("sunrise.care@nhs.net");
    assert_eq!(store.tickets_for_account(jo.id, 10).unwrap(), [about_jo]);
    assert_eq!(store.tickets_for_mailbox(mailbox.id, 10).unwrap(), [about_mailbox]);
    // The account's and the mailbox's organisation is taken onto the ticket.
    assert_eq!(store.tickets_for_org(&ods("V1234"), 10).unwrap(), [about_jo, about_mailbox]);
    assert_eq!(store.tickets_for_org(&ods("V9999"), 10).unwrap(), [about_hilltop]);
}

/// The queue index carries each ticket's category, so the queue filter
/// reads no tickets; an entry written before the category byte existed
/// still lists, and the filter reads that one ticket to learn its category.
#[test]
fn a_queue_entry_without_its_category_byte_is_still_filtered_by_category() {
    use caredesk::domain::routing::Queue;
    use caredesk::service::ops::*;
    use caredesk::service::{Ctx, QueueView, TicketFilter};

    let desk = desk_with_people();
    let new = |category: Category| CreateTicket {
        category,
        channel: Channel::Phone,
        received_at: None,
        requester_name: "Jo Smith".into(),
        requester_email: None,
        requester_phone: None,
        ods: Some("V1234".into()),
        account: None,
        mailbox: None,
        mailbox_name: None,
        subject: "a request".into(),
        body: String::new(),
        incomplete: false,
    };
    let leaver = ticket_of(&desk.sup(&new(Category::Leaver)));
    let unlock = ticket_of(&desk.sup(&new(Category::Unlock)));
    let store = desk.service.store();
    let slots = store.queue_page(Queue::Nas, true, None, 10).unwrap();
    assert_eq!(slots.iter().map(|s| s.category).collect::<Vec<_>>(), [Some(Category::Leaver), Some(Category::Unlock)]);

    // Rewrite the leaver's entry as an older caredesk wrote it: the status alone.
    let slot = slots[0];
    let key = caredesk::store::queue_key(Queue::Nas.code(), true, slot.due_at, leaver.0);
    let value = store.raw_get(TreeId::TicketsByQueue, &key).unwrap().expect("the entry");
    store.raw_put(TreeId::TicketsByQueue, &key, &value[..1]).unwrap();
    assert_eq!(store.queue_page(Queue::Nas, true, None, 10).unwrap()[0].category, None);

    let filtered = |words: &str| match desk.service.execute(
        &Ctx::new(SUPERVISOR, in_hours()),
        &ListTicketSlots { view: QueueView::Queue(Queue::Nas), filter: TicketFilter::parse(words).unwrap() },
    ) {
        Ok(slots) => slots.into_iter().map(|s| s.reference).collect::<Vec<_>>(),
        other => panic!("{other:?}"),
    };
    assert_eq!(filtered("cat:leaver"), [leaver]);
    assert_eq!(filtered("cat:unlock"), [unlock]);
    assert_eq!(filtered(""), [leaver, unlock]);
}

/// An edit that keeps the record's own mobile rewrites its index entry
/// without asking who holds it; one that takes another person's mobile is
/// still refused whole, alone and inside a batch.
#[test]
fn an_edit_taking_someone_elses_mobile_is_refused_and_one_keeping_its_own_is_not() {
    let desk = desk_with_people();
    let store = desk.service.store();
    let jo = store.account_by_address("jo.smith@nhs.net").unwrap().unwrap();
    let als = store.account_by_address("al.jones@nhs.net").unwrap().unwrap().personal.unwrap().mobile;
    let edit = |change_mobile: bool| {
        let mut edited = jo.clone();
        edited.meta = jo.meta.next("contract", in_hours());
        edited.mobile_hidden = true;
        if change_mobile {
            edited.personal.as_mut().unwrap().mobile = als.clone();
        }
        let mut change = Change::new();
        change.put(Some(&jo), &edited).unwrap();
        change
    };
    let head = store.audit_head().unwrap();
    for in_batch in [false, true] {
        let commit = || store.commit(&edit(true), &draft("account.mobile", "jo.smith@nhs.net"));
        let err = if in_batch { store.batch(commit).unwrap() } else { commit() }.unwrap_err();
        assert!(matches!(err, StoreError::Taken { .. }), "in a batch: {in_batch}: {err:?}");
        assert_eq!(store.audit_head().unwrap(), head, "a refused edit writes nothing");
    }
    let holder = store.account_by_mobile(&als).unwrap().unwrap();
    assert_eq!(holder.address.as_str(), "al.jones@nhs.net");

    store.commit(&edit(false), &draft("account.directory", "jo.smith@nhs.net")).unwrap();
    let mobile = jo.personal.as_ref().unwrap().mobile.clone();
    let now = store.account_by_mobile(&mobile).unwrap().expect("her own mobile still finds her");
    assert!(now.mobile_hidden, "the index holds the account as edited");
}
