//! What national scale changed underneath: covering indexes and ticket rows
//! (layout 3) and the migration that builds them for a database made
//! before, batches that write many commands in one transaction, and kept
//! queue lists that follow each change.

mod common;

use caredesk::domain::routing::{Category, Channel, Queue};
use caredesk::domain::validate::{Mobile, OdsCode};
use caredesk::service::ops::*;
use caredesk::service::{Ctx, QueueView, StatusFilter, TicketFilter, batch_interrupted};
use caredesk::store::{LAYOUT, OpenMode, Store, StoreError, TreeId};
use common::*;

fn ticket(requester: &str, ods: Option<&str>) -> CreateTicket {
    CreateTicket {
        category: Category::General,
        channel: Channel::Phone,
        received_at: None,
        requester_name: requester.into(),
        requester_email: None,
        requester_phone: None,
        ods: ods.map(str::to_owned),
        account: None,
        mailbox: None,
        mailbox_name: None,
        subject: format!("Question from {requester}"),
        body: "as told on the phone".into(),
        incomplete: false,
    }
}

/// Every key and value of the trees layout 3 built or reshaped.
fn layout_3_trees(store: &Store) -> Vec<(TreeId, Vec<u8>, Option<Vec<u8>>)> {
    let mut out = Vec::new();
    let desk_keys: Vec<(TreeId, Vec<u8>)> = vec![
        (TreeId::AccountsByAddress, b"jo.smith@nhs.net".to_vec()),
        (TreeId::AccountsByMobile, Mobile::parse(&mobile(1)).unwrap().as_str().as_bytes().to_vec()),
        (TreeId::TicketsRows, 1u64.to_be_bytes().to_vec()),
        (TreeId::TicketsRows, 2u64.to_be_bytes().to_vec()),
    ];
    for (tree, key) in desk_keys {
        out.push((tree, key.clone(), store.raw_get(tree, &key).unwrap()));
    }
    out
}

#[test]
fn a_database_made_before_covering_indexes_is_migrated_when_opened() {
    let desk = Desk::new();
    desk.add_good_org("V1234", "Sunrise Care");
    desk.sup(&create_account("Jo", "Smith", &mobile(1), "V1234", "jo@example.org", false));
    desk.sup(&create_account("Al", "Smithson", &mobile(2), "V1234", "al@example.org", false));
    desk.sup(&ticket("Jo Smith", Some("V1234")));
    desk.sup(&ticket("Al Smithson", None));
    let as_written = layout_3_trees(desk.service.store());
    assert!(as_written.iter().all(|(_, _, v)| v.as_ref().is_some_and(|v| v.len() > 8)), "covering values");
    let rows_before = desk.sup(&ListTickets { view: QueueView::All, status: StatusFilter::Open, limit: 50 });
    desk.service.store().pretend_layout(2).unwrap();
    let old = layout_3_trees(desk.service.store());
    assert_ne!(old, as_written, "pretend_layout(2) must put the old shape back, or this test proves nothing");
    assert_eq!(desk.service.store().raw_get(TreeId::TicketsRows, &1u64.to_be_bytes()).unwrap(), None);
    let Desk { dir, service } = desk;
    drop(service);

    let store = Store::open(&dir.path().join("db"), OpenMode::Existing).unwrap();
    assert_eq!(store.migrated_from(), Some(2));
    assert_eq!(store.layout().unwrap(), LAYOUT);
    assert_eq!(layout_3_trees(&store), as_written, "the migration writes what a commit would have");
    let ods = OdsCode::parse("V1234").unwrap();
    let named: Vec<String> =
        store.accounts_by_name("smith", None, 10).unwrap().iter().map(|a| a.address.to_string()).collect();
    assert_eq!(named, ["jo.smith@nhs.net", "al.smithson@nhs.net"]);
    assert_eq!(store.accounts_in_org(&ods, 10).unwrap().len(), 2);
    drop(store);

    let service = caredesk::service::Service::open(&dir.path().join("db"), OpenMode::Existing).unwrap();
    assert_eq!(service.store().migrated_from(), None, "migrated once");
    let rows = service
        .execute(
            &Ctx::new(SUPERVISOR, in_hours()),
            &ListTickets { view: QueueView::All, status: StatusFilter::Open, limit: 50 },
        )
        .unwrap();
    assert_eq!(rows, rows_before);
}

#[test]
fn caredesk_migrate_brings_an_old_database_up_and_then_has_nothing_to_do() {
    let desk = Desk::new();
    desk.add_good_org("V1234", "Sunrise Care");
    desk.sup(&create_account("Jo", "Smith", &mobile(1), "V1234", "jo@example.org", false));
    desk.service.store().pretend_layout(2).unwrap();
    let db = desk.db_path();
    let Desk { dir, service } = desk;
    drop(service);
    let migrate = || {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_caredesk"))
            .arg("--db")
            .arg(&db)
            .arg("--socket")
            .arg(dir.path().join("no.sock"))
            .arg("migrate")
            .env_remove("CAREDESK_DB")
            .env_remove("CAREDESK_SOCKET")
            .output()
            .expect("caredesk runs");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let first = migrate();
    assert!(first.contains(&format!("from layout 2 to layout {LAYOUT}")), "{first}");
    let second = migrate();
    assert!(second.contains("nothing to do"), "{second}");
}

#[test]
fn a_batch_reads_its_own_writes_so_two_namesakes_get_two_addresses_and_a_repeated_mobile_is_refused() {
    let desk = Desk::new();
    desk.add_good_org("V1234", "Sunrise Care");
    desk.add_good_org("V9999", "Hilltop Care");
    let head = desk.audit_head();
    let ctx = Ctx::new(SUPERVISOR, in_hours());
    let (first, second, again) = desk
        .service
        .batch(|| {
            let first =
                desk.service.execute(&ctx, &create_account("Jo", "Smith", &mobile(1), "V1234", "a@x.org", false));
            let second =
                desk.service.execute(&ctx, &create_account("Jo", "Smith", &mobile(2), "V9999", "b@x.org", false));
            let again =
                desk.service.execute(&ctx, &create_account("Al", "Jones", &mobile(1), "V1234", "c@x.org", false));
            (first, second, again)
        })
        .unwrap();
    assert_eq!(first.unwrap().record.address.as_str(), "jo.smith@nhs.net");
    assert_eq!(second.unwrap().record.address.as_str(), "jo.smith1@nhs.net");
    assert!(again.unwrap_err().to_string().contains("mobile"), "the repeated mobile is refused");
    assert_eq!(desk.audit_head(), head + 2, "one audit entry per account written, none for the refusal");
    assert_eq!(desk.service.verify_audit().unwrap(), head + 2);
    assert_eq!(desk.account("jo.smith1@nhs.net").ods.as_str(), "V9999");
}

#[test]
fn a_batch_that_another_writer_got_into_writes_nothing_and_says_so() {
    let desk = Desk::new();
    desk.add_good_org("V1234", "Sunrise Care");
    let head = desk.audit_head();
    let ctx = Ctx::new(SUPERVISOR, in_hours());
    let answer = desk.service.batch(|| {
        desk.service.execute(&ctx, &create_account("Jo", "Smith", &mobile(1), "V1234", "a@x.org", false)).unwrap();
        // Another operator's ticket, written from another thread meanwhile.
        std::thread::scope(|s| {
            s.spawn(|| desk.service.execute(&ctx, &ticket("Caller", None)).unwrap());
        });
    });
    let error = answer.unwrap_err();
    assert!(batch_interrupted(&error), "{error}");
    assert_eq!(desk.audit_head(), head + 1, "only the other operator's ticket");
    assert!(desk.service.store().account_by_address("jo.smith@nhs.net").unwrap().is_none());
    assert_eq!(desk.service.verify_audit().unwrap(), head + 1);
}

/// While a database is built, each batch is written by another thread as
/// the next one runs: the next one must see it all the same, by key and in
/// a list, and nothing may be lost once the build returns.
#[test]
fn a_build_reads_the_batch_being_written_beneath_its_own() {
    let desk = Desk::new();
    desk.add_good_org("V1234", "Sunrise Care");
    desk.add_good_org("V9999", "Hilltop Care");
    let head = desk.audit_head();
    let ctx = Ctx::new(SUPERVISOR, in_hours());
    let store = desk.service.store();
    let (second, repeated, listed) = store
        .building(|| {
            desk.service.batch(|| {
                for (i, ods) in [(1, "V1234"), (2, "V1234")] {
                    let mail = format!("jo{i}@x.org");
                    desk.service.execute(&ctx, &create_account("Jo", "Smith", &mobile(i), ods, &mail, true)).unwrap();
                }
            })?;
            // The first batch may still be on its way to disk here.
            desk.service.batch(|| {
                let second = desk
                    .service
                    .execute(&ctx, &create_account("Jo", "Smith", &mobile(3), "V9999", "jo3@x.org", false))
                    .map(|done| done.record.address.to_string());
                let repeated =
                    desk.service.execute(&ctx, &create_account("Al", "Jones", &mobile(1), "V9999", "al@x.org", false));
                let listed: Vec<String> =
                    store.accounts_by_name("smith", None, 10).unwrap().iter().map(|a| a.address.to_string()).collect();
                (second, repeated.is_err(), listed)
            })
        })
        .unwrap();
    assert_eq!(second.unwrap(), "jo.smith2@nhs.net", "the third Jo Smith saw the first two");
    assert!(repeated, "a mobile given in the batch being written is refused");
    assert_eq!(listed, ["jo.smith@nhs.net", "jo.smith1@nhs.net", "jo.smith2@nhs.net"]);
    assert_eq!(desk.service.verify_audit().unwrap(), head + 3);
    let Desk { dir, service } = desk;
    drop(service);
    let store = Store::open(&dir.path().join("db"), OpenMode::Existing).expect("a finished build opens");
    assert!(store.account_by_address("jo.smith2@nhs.net").unwrap().is_some());
}

#[test]
fn a_build_that_stops_part_way_leaves_a_database_that_refuses_to_open_and_says_what_to_do() {
    let desk = Desk::new();
    desk.add_good_org("V1234", "Sunrise Care");
    let ctx = Ctx::new(SUPERVISOR, in_hours());
    let store = desk.service.store();
    let stopped: Result<(), StoreError> = store.building(|| {
        desk.service
            .batch(|| desk.service.execute(&ctx, &create_account("Jo", "Smith", &mobile(1), "V1234", "a@x.org", false)))
            .map_err(|_| StoreError::Interrupted)?
            .unwrap();
        Err(StoreError::Interrupted)
    });
    assert!(stopped.is_err());
    let Desk { dir, service } = desk;
    drop(service);
    let refused =
        Store::open(&dir.path().join("db"), OpenMode::Existing).err().expect("an unfinished build is refused");
    assert!(matches!(refused, StoreError::Unfinished { .. }), "{refused}");
    assert!(refused.to_string().contains("caredesk demo"), "{refused}");
}

/// A database from before the first free address was noted, or one whose
/// note was lost, still gives the next free address: the note only saves
/// time.
#[test]
fn the_next_namesake_gets_the_next_address_with_or_without_the_note_of_where_to_start() {
    let desk = Desk::new();
    desk.add_good_org("V1234", "Sunrise Care");
    for i in 1..=2 {
        desk.sup(&create_account("Jo", "Smith", &mobile(i), "V1234", &format!("jo{i}@x.org"), true));
    }
    desk.service.store().raw_remove(TreeId::Meta, b"address.floor.jo.smith").unwrap();
    let third = desk.sup(&create_account("Jo", "Smith", &mobile(3), "V1234", "jo3@x.org", true));
    assert_eq!(third.record.address.as_str(), "jo.smith2@nhs.net");
    let fourth = desk.sup(&create_account("Jo", "Smith", &mobile(4), "V1234", "jo4@x.org", true));
    assert_eq!(fourth.record.address.as_str(), "jo.smith3@nhs.net");
    assert!(desk.service.store().raw_get(TreeId::Meta, b"address.floor.jo.smith").unwrap().is_some());
}

#[test]
fn a_kept_queue_list_follows_a_claim_and_a_new_ticket_as_a_fresh_read_would() {
    let desk = Desk::new();
    let nas = QueueView::Queue(Queue::Nas);
    let slots = |view: &QueueView, filter: &TicketFilter| {
        desk.sup(&ListTicketSlots { view: view.clone(), filter: filter.clone() })
    };
    let first = ticket_of(&desk.sup(&ticket("First", None)));
    let open = TicketFilter::default();
    let mine = QueueView::Mine;
    assert_eq!(slots(&nas, &open).len(), 1);
    assert!(slots(&mine, &open).is_empty());
    let second = ticket_of(&desk.sup(&ticket("Second", None)));
    desk.sup(&Claim { reference: first });
    let listed: Vec<_> = slots(&nas, &open).iter().map(|s| s.reference).collect();
    assert_eq!(listed, [first, second]);
    let mine_now: Vec<_> = slots(&mine, &open).iter().map(|s| s.reference).collect();
    assert_eq!(mine_now, [first], "the claim moved the ticket into the kept \"mine\" list");
    desk.service.forget_kept_lists();
    assert_eq!(slots(&mine, &open).iter().map(|s| s.reference).collect::<Vec<_>>(), mine_now, "as read afresh");
}
