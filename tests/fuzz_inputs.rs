//! Fuzzing, with proptest, of every parser that takes bytes from outside:
//! the daemon's frames and handshakes, CSV import, the bank holiday
//! calendar file, and values read back from the store. Each must answer
//! any input with a value or a clean error, never a panic, and a good input
//! changed at random must still do so.
//!
//! The default case counts keep all four under 30 s in a debug build;
//! `PROPTEST_CASES=100000 cargo test --release --test fuzz_inputs` runs a
//! long pass (docs/fuzzing.md).

#[path = "console/world.rs"]
mod world;

use caredesk::daemon::protocol::{self, Body, Envelope, Hello, ServerMessage, Welcome};
use caredesk::domain::hours::{BankHolidays, assess_change};
use caredesk::import::{ImportKind, import_csv};
use caredesk::service::Ctx;
use caredesk::service::ops::ShowShift;
use caredesk::store::{Store, TicketSummary, TreeId, decode_message};
use chrono::NaiveDate;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// `default` cases, or `PROPTEST_CASES` when set.
fn runner(default: u32) -> TestRunner {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default);
    TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() })
}

/// A good input with some of its bytes changed, some cut out and some
/// added: what a damaged file or a hostile peer sends.
fn mutated(good: Vec<u8>) -> impl Strategy<Value = Vec<u8>> {
    let len = good.len().max(1);
    let edits = prop::collection::vec((0..len, any::<u8>(), 0u8..4), 1..8);
    edits.prop_map(move |edits| {
        let mut bytes = good.clone();
        for (at, byte, how) in edits {
            let at = at.min(bytes.len());
            match how {
                0 if at < bytes.len() => bytes[at] = byte,
                1 if at < bytes.len() => {
                    bytes.remove(at);
                }
                2 => bytes.insert(at, byte),
                _ => bytes.truncate(at),
            }
        }
        bytes
    })
}

/// Random bytes, or a good input mutated.
fn hostile(good: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    let samples = prop::sample::select(good).prop_flat_map(mutated);
    prop_oneof![prop::collection::vec(any::<u8>(), 0..512), samples]
}

#[test]
fn socket_frames_and_handshakes_never_panic_on_any_bytes() {
    let request =
        Envelope { id: 7, at: None, body: Body::Run { request: Box::new(ShowShift {}.into()), based_on: Some(3) } };
    let import = Envelope {
        id: 8,
        at: None,
        body: Body::Import { kind: "accounts".into(), csv: "first_name,last_name\nJo,Bloggs\n".into(), skip_bad: true },
    };
    let mut framed = Vec::new();
    protocol::write_frame(&mut framed, &protocol::encode(&request).unwrap()).unwrap();
    let good =
        vec![framed, protocol::encode(&request).unwrap(), protocol::encode(&import).unwrap(), Hello::ours().to_bytes()];
    runner(8000)
        .run(&hostile(good), |bytes| {
            if let Ok(Some(body)) = protocol::read_frame(&mut bytes.as_slice()) {
                prop_assert!(body.len() <= protocol::MAX_FRAME);
                let _ = protocol::decode::<Envelope>(&body);
            }
            if let Ok(envelope) = protocol::decode::<Envelope>(&bytes) {
                // What decodes encodes again to what was read.
                prop_assert_eq!(
                    protocol::decode::<Envelope>(&protocol::encode(&envelope).unwrap()).ok(),
                    Some(envelope)
                );
            }
            let _ = protocol::decode::<ServerMessage>(&bytes);
            let _ = Hello::parse(&bytes);
            let _ = Welcome::parse(&bytes);
            Ok(())
        })
        .unwrap();
}

#[test]
fn csv_imports_of_any_text_are_imported_or_refused_cleanly() {
    let world = world::World::new();
    let ctx = Ctx::new(world::SUP, world::in_hours());
    let good: Vec<Vec<u8>> = [
        "ods,name,ig_status\nV1A2C,New Lodge,yes\n",
        "first_name,last_name,mobile,ods,email\nAl,Green,07700 900555,V1A2B,al@example.org\n",
        "address,name,ods,owner,members\nnew.team@nhs.net,New Team,V1A2B,jo.bloggs@nhs.net,\"sam.smith@nhs.net\"\n",
        "first_name,last_name\n\"unclosed,quote\n",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    let kinds = [ImportKind::Orgs, ImportKind::Accounts, ImportKind::Mailboxes];
    runner(300)
        .run(&(hostile(good), 0usize..3, any::<bool>()), |(bytes, kind, skip_bad)| {
            let before = world.service.store().audit_head().unwrap();
            match import_csv(&world.service, &ctx, kinds[kind], bytes.as_slice(), skip_bad, &mut |_, _| {}) {
                Ok(report) => {
                    let after = world.service.store().audit_head().unwrap();
                    prop_assert!(after >= before + report.imported, "every imported line is audited");
                }
                Err(e) => {
                    prop_assert!(!e.to_string().is_empty());
                    if !skip_bad {
                        // A refused import without --skip-bad writes nothing.
                        if let caredesk::import::ImportError::BadLines(_) = e {
                            prop_assert_eq!(world.service.store().audit_head().unwrap(), before);
                        }
                    }
                }
            }
            Ok(())
        })
        .unwrap();
    world.service.verify_audit().expect("the audit log is intact after every import");
}

#[test]
fn calendar_files_of_any_text_are_read_or_refused_cleanly() {
    let bundled = BankHolidays::bundled();
    let good = vec![
        bundled.to_govuk_json().into_bytes(),
        br#"{"england-and-wales":{"division":"england-and-wales","events":[{"title":"X","date":"2031-02-30","notes":""}]}}"#.to_vec(),
        br#"{"england-and-wales":{"events":[]}}"#.to_vec(),
    ];
    let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    runner(3000)
        .run(&hostile(good), |bytes| {
            let text = String::from_utf8_lossy(&bytes);
            match BankHolidays::from_govuk_json(&text) {
                Ok(calendar) => {
                    let _ = assess_change(&bundled, &calendar, today);
                    prop_assert!(calendar.first_date() <= calendar.last_date());
                }
                Err(e) => prop_assert!(!e.to_string().is_empty()),
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn stored_values_of_any_bytes_are_read_or_refused_as_damage() {
    let world = world::World::new();
    let store = world.service.store();
    let sam = store.account_by_address("sam.smith@nhs.net").unwrap().expect("Sam");
    let key = |n: u64| n.to_be_bytes().to_vec();
    let good = vec![
        store.raw_get(TreeId::Tickets, &key(1)).unwrap().unwrap(),
        store.raw_get(TreeId::Accounts, &key(sam.id)).unwrap().unwrap(),
        store.raw_get(TreeId::Audit, &key(1)).unwrap().unwrap(),
        store.raw_get(TreeId::TicketsRows, &key(1)).unwrap().unwrap(),
        store.raw_get(TreeId::Orgs, b"V1A2B").unwrap().unwrap(),
    ];
    let originals = good.clone();
    let oak: caredesk::domain::validate::OdsCode = "V1A2B".parse().unwrap();
    runner(800)
        .run(&hostile(good), |bytes| {
            store.raw_put(TreeId::Tickets, &key(1), &bytes).unwrap();
            store.raw_put(TreeId::Accounts, &key(sam.id), &bytes).unwrap();
            store.raw_put(TreeId::Audit, &key(1), &bytes).unwrap();
            store.raw_put(TreeId::Orgs, b"V1A2B", &bytes).unwrap();
            let _ = store.ticket(caredesk::domain::ticket::TicketRef(1));
            let _ = store.account(sam.id);
            let _ = store.organisation(&oak);
            let _ = store.audit_walk(|_| true);
            let _ = TicketSummary::decode(&bytes);
            let _ = decode_message::<Envelope>(4, &bytes);
            let report = store.check().expect("the check reads any bytes");
            let _ = report.findings.iter().map(ToString::to_string).count();
            Ok(())
        })
        .unwrap();
    store.raw_put(TreeId::Tickets, &key(1), &originals[0]).unwrap();
    store.raw_put(TreeId::Accounts, &key(sam.id), &originals[1]).unwrap();
    store.raw_put(TreeId::Audit, &key(1), &originals[2]).unwrap();
    store.raw_put(TreeId::Orgs, b"V1A2B", &originals[4]).unwrap();
    let left = store.check().unwrap().findings;
    assert!(left.is_empty(), "{left:#?}");
    let _ = Store::encode_versioned("unused", 1, &());
}
