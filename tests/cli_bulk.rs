//! Bulk actions, undo, text modules, views and reports through the real
//! binary, as a supervisor's script would use them.

use std::path::Path;
use std::process::{Command, Output};

use caredesk::domain::routing::{Category, Channel};
use caredesk::service::ops::*;
use caredesk::service::{Ctx, Service};
use caredesk::store::OpenMode;
use serde_json::Value;

const WEDNESDAY_10AM: &str = "2026-01-07T10:00:00Z";

fn caredesk(db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_caredesk"))
        .arg("--db")
        .arg(db)
        .args(["--now", WEDNESDAY_10AM])
        .args(args)
        .env_remove("CAREDESK_DB")
        .env_remove("CAREDESK_SOCKET")
        .output()
        .expect("the caredesk binary runs")
}

fn ok(db: &Path, args: &[&str]) -> String {
    let out = caredesk(db, args);
    assert!(out.status.success(), "caredesk {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8 output")
}

fn json(db: &Path, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    serde_json::from_str(&ok(db, &all)).expect("valid JSON")
}

fn me() -> String {
    caredesk::cli::os_user().expect("the user running the tests")
}

/// A database made by `init` with 200 leaver tickets, three of them
/// claimed meanwhile by a colleague, nas2.
fn two_hundred_tickets() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    ok(&db, &["init"]);
    ok(&db, &["org", "add", "V1234", "--name", "Sunrise Care", "--ig-compliant", "yes"]);
    ok(&db, &["operator", "add", "nas2", "--role", "nas"]);
    let service = Service::open(&db, OpenMode::Existing).expect("the database");
    let now = chrono::DateTime::parse_from_rfc3339(WEDNESDAY_10AM).unwrap().to_utc();
    let ctx = Ctx::new(me(), now);
    for i in 0..200 {
        let form = CreateTicket {
            category: Category::Leaver,
            channel: Channel::EmailNas,
            received_at: None,
            requester_name: format!("Jo Smith{i}"),
            requester_email: None,
            requester_phone: None,
            ods: Some("V1234".into()),
            account: None,
            mailbox: None,
            mailbox_name: None,
            subject: format!("leaver {i}"),
            body: String::new(),
            incomplete: false,
        };
        service.execute(&ctx, &form).expect("a ticket");
    }
    let nas2 = Ctx::new("nas2", now);
    for n in [3, 50, 151] {
        service.execute(&nas2, &Claim { reference: caredesk::domain::ticket::TicketRef(n) }).expect("nas2's claim");
    }
    dir
}

#[test]
fn a_bulk_claim_by_filter_reports_the_three_taken_and_undo_restores_the_other_197() {
    let dir = two_hundred_tickets();
    let db = dir.path().join("db");

    let preview = json(&db, &["ticket", "bulk", "claim", "--filter", "cat:leaver", "--dry-run"]);
    assert_eq!(preview["tickets"].as_array().unwrap().len(), 200);
    assert!(preview["cannot_undo"].is_null());

    let done = json(&db, &["ticket", "bulk", "claim", "--filter", "cat:leaver -who:nobody"]);
    let refused: Vec<&str> = done["refused"].as_array().unwrap().iter().map(|r| r["ref"].as_str().unwrap()).collect();
    assert_eq!(refused, ["CD-000003", "CD-000050", "CD-000151"]);
    assert_eq!(done["done"].as_array().unwrap().len(), 197);
    let first = done["batch"].as_u64().unwrap();

    let text = ok(&db, &["undo", &first.to_string()]);
    assert!(text.contains("undid 197 of 197"), "{text}");
    let mine = json(&db, &["ticket", "list", "--queue", "all", "--limit", "500"]);
    let assigned: Vec<&str> = mine.as_array().unwrap().iter().filter_map(|r| r["assignee"].as_str()).collect();
    assert_eq!(assigned, ["nas2", "nas2", "nas2"], "only the colleague's three stay claimed");

    let audit = json(&db, &["audit", "--limit", "100000"]);
    let batches: Vec<u64> =
        audit["audit"].as_array().unwrap().iter().filter_map(|e| e["draft"]["batch"].as_u64()).collect();
    let under = |b: u64| batches.iter().filter(|x| **x == b).count();
    let second = batches.iter().copied().find(|b| *b != first).expect("the undo's batch");
    assert_eq!((under(first), under(second), batches.len()), (197, 197, 394));
    let verified = ok(&db, &["audit", "--verify"]);
    assert!(verified.contains("intact"), "{verified}");
}

#[test]
fn shipped_text_modules_render_for_a_ticket_and_views_count_what_they_hold() {
    let dir = two_hundred_tickets();
    let db = dir.path().join("db");
    let list = ok(&db, &["text", "list"]);
    for name in ["missing-personal-account", "missing-shared-mailbox", "leaver-joiner", "ig-rejection"] {
        assert!(list.contains(name), "{name} is shipped: {list}");
    }
    let rendered = ok(&db, &["text", "show", "leaver-joiner", "--ticket", "CD-000007"]);
    assert!(rendered.contains("Dear Jo Smith6") && rendered.contains("(CD-000007)"), "{rendered}");
    let bad = caredesk(&db, &["text", "add", "greeting", "--body", "Hello {name}"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("{name} is not a placeholder"));

    ok(&db, &["view", "save", "theirs", "--filter", "who:nas2"]);
    ok(&db, &["view", "save", "unclaimed", "--filter", "cat:leaver -who:nas2", "--shared"]);
    let views = json(&db, &["view", "list"]);
    let counts: Vec<(String, u64)> = views["views"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["view"]["name"].as_str().unwrap().to_owned(), v["count"].as_u64().unwrap()))
        .collect();
    assert_eq!(counts, [("theirs".to_owned(), 3), ("unclaimed".to_owned(), 197)]);

    let report = json(&db, &["report"]);
    let nas = &report["queues"][0];
    assert_eq!((nas["queue"].as_str(), nas["depth"].as_u64()), (Some("nas"), Some(200)));
    assert_eq!(nas["hourly"].as_array().unwrap().len(), 24);
    let csv = ok(&db, &["report", "--csv"]);
    assert!(csv.starts_with("queue,figure,period,value\nnas,depth,now,200\n"), "{csv}");
    let breaches =
        ok(&db, &["report", "breaches", "--from", "2026-01-01T00:00:00Z", "--to", "2026-02-01T00:00:00Z", "--csv"]);
    assert_eq!(breaches.lines().next(), Some("ref,queue,category,ods,assignee,due_at,resolved_at,late_minutes"));
}
