//! `caredesk check` finds damage made behind the store's back (through sled
//! directly): a record that no longer decodes, a record changed without its
//! indexes, a deleted index entry, a broken audit chain; and `caredesk
//! salvage` copies everything readable into a new database that checks
//! clean, saying what was lost.

#[path = "console/world.rs"]
mod world;

use caredesk::domain::validate::Mobile;
use caredesk::store::{Finding, Store, TreeId};
use world::World;

const BIN: &str = env!("CARGO_BIN_EXE_caredesk");

fn findings(store: &Store) -> Vec<Finding> {
    store.check().expect("the check runs").findings
}

#[test]
fn a_healthy_database_checks_clean() {
    let world = World::new();
    let report = world.service.store().check().expect("the check runs");
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
    assert!(report.records > 10 && report.index_entries > 20 && report.audit_entries > 10, "{report:?}");
}

#[test]
fn a_record_that_no_longer_decodes_is_reported_and_salvage_saves_everything_else() {
    let world = World::new();
    let store = world.service.store();
    let key = 2u64.to_be_bytes();
    let bytes = store.raw_get(TreeId::Tickets, &key).unwrap().expect("ticket 2");
    store.raw_put(TreeId::Tickets, &key, &bytes[..bytes.len() / 2]).unwrap();
    let found = findings(store);
    assert!(
        found.iter().any(|f| matches!(f, Finding::Undecodable { tree: "tickets", key, .. } if key == "#2")),
        "{found:#?}"
    );
    // Its index entries now point at a record that cannot be read.
    assert!(found.iter().any(|f| matches!(f, Finding::Orphan { tree: "tickets.rows", .. })), "{found:#?}");

    let to = world.dir.path().join("salvaged");
    let report = store.salvage(&to, chrono::Utc::now()).expect("the salvage");
    assert_eq!(report.lost.len(), 1, "exactly the damaged ticket is lost: {:#?}", report.lost);
    assert!(report.lost[0].to_string().contains("tickets #2"), "{}", report.lost[0]);
    assert_eq!(report.copied["tickets"], 3);
    let saved = Store::open(&to, caredesk::store::OpenMode::Existing).expect("the salvaged database opens");
    let left = findings(&saved);
    assert!(left.is_empty(), "the salvaged database checks clean: {left:#?}");
    // Its log says what the damage took, and it verifies from there on.
    let recorded = report.recorded.expect("an entry records the lost ticket");
    let entry = saved.audit_newest(None, 1).unwrap().remove(0);
    assert_eq!((entry.seq, entry.draft.action.as_str()), (recorded, "database.salvage"));
    assert!(entry.draft.after.as_deref().unwrap_or("").contains("tickets #2"), "{:?}", entry.draft.after);
    assert_eq!(saved.count(TreeId::Accounts), store.count(TreeId::Accounts));
    assert_eq!(saved.count(TreeId::Members), store.count(TreeId::Members));
}

#[test]
fn a_mobile_changed_behind_the_store_is_caught_by_its_indexes() {
    let world = World::new();
    let store = world.service.store();
    let mut account = store.account_by_address("sam.smith@nhs.net").unwrap().expect("Sam");
    let key = account.id.to_be_bytes();
    let version = store.raw_get(TreeId::Accounts, &key).unwrap().expect("Sam's record")[0];
    let personal = account.personal.as_mut().expect("Sam's details");
    let old = personal.mobile.as_str().to_owned();
    personal.mobile = Mobile::parse("07700 999999").unwrap();
    store.raw_put(TreeId::Accounts, &key, &Store::encode_versioned("account", version, &account)).unwrap();
    let found = findings(store);
    let text: Vec<String> = found.iter().map(ToString::to_string).collect();
    assert!(
        text.iter().any(|t| t.contains("accounts.by_mobile") && t.contains(&old) && t.contains("no record produces")),
        "{text:#?}"
    );
    assert!(
        text.iter().any(|t| t.contains("accounts.by_mobile") && t.contains("07700999999") && t.contains("missing")),
        "{text:#?}"
    );
}

#[test]
fn a_deleted_index_entry_and_a_half_membership_are_reported() {
    let world = World::new();
    let store = world.service.store();
    let sam = store.account_by_address("sam.smith@nhs.net").unwrap().expect("Sam");
    let mobile = sam.personal.as_ref().unwrap().mobile.as_str().to_owned();
    store.raw_remove(TreeId::AccountsByMobile, mobile.as_bytes()).unwrap();
    let team = store.mailbox_by_address(world::TEAM).unwrap().expect("the team mailbox");
    let member_of = [sam.id.to_be_bytes(), team.id.to_be_bytes()].concat();
    store.raw_remove(TreeId::MemberOf, &member_of).unwrap();
    let found = findings(store);
    assert!(
        found.iter().any(|f| matches!(f, Finding::Missing { tree: "accounts.by_mobile", key, record } if *key == mobile && record.contains("sam.smith"))),
        "{found:#?}"
    );
    assert!(found.iter().any(|f| matches!(f, Finding::Unmirrored { tree: "members", .. })), "{found:#?}");
}

#[test]
fn every_audit_break_is_listed_not_only_the_first() {
    let world = World::new();
    let store = world.service.store();
    // Entry 3 no longer decodes, entry 7 is gone.
    let three = store.raw_get(TreeId::Audit, &3u64.to_be_bytes()).unwrap().unwrap();
    store.raw_put(TreeId::Audit, &3u64.to_be_bytes(), &three[..10]).unwrap();
    store.raw_remove(TreeId::Audit, &7u64.to_be_bytes()).unwrap();
    let found = findings(store);
    assert!(
        found.iter().any(|f| matches!(f, Finding::Undecodable { tree: "audit", key, .. } if key == "#3")),
        "{found:#?}"
    );
    let breaks: Vec<String> =
        found.iter().filter(|f| matches!(f, Finding::AuditBreak(_))).map(ToString::to_string).collect();
    assert!(breaks.iter().any(|b| b.contains('4')), "the gap where 3 was: {breaks:#?}");
    assert!(breaks.iter().any(|b| b.contains('8')), "the gap where 7 was: {breaks:#?}");
}

fn caredesk(db: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(BIN)
        .arg("--db")
        .arg(db)
        .args(args)
        .env_remove("CAREDESK_DB")
        .env_remove("CAREDESK_SOCKET")
        .output()
        .expect("the caredesk binary runs")
}

/// Every file of a database with its length and modification time.
fn stamps(db: &std::path::Path) -> Vec<(std::path::PathBuf, u64, std::time::SystemTime)> {
    let mut out = Vec::new();
    let mut pending = vec![db.to_owned()];
    while let Some(next) = pending.pop() {
        for entry in std::fs::read_dir(&next).unwrap().filter_map(Result::ok) {
            let meta = entry.metadata().unwrap();
            if meta.is_dir() {
                pending.push(entry.path());
            } else {
                out.push((entry.path(), meta.len(), meta.modified().unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn the_command_line_check_leaves_the_database_untouched_and_exits_1_on_damage() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    assert!(caredesk(&db, &["init"]).status.success());
    let out = caredesk(&db, &["check"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("no damage found"));
    {
        let store = Store::open(&db, caredesk::store::OpenMode::Existing).unwrap();
        store.raw_remove(TreeId::Audit, &1u64.to_be_bytes()).unwrap();
        store.flush().unwrap();
    }
    let before = stamps(&db);
    let out = caredesk(&db, &["check"]);
    assert_eq!(stamps(&db), before, "check wrote nothing to the database's files");
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(String::from_utf8_lossy(&out.stdout).contains("audit:"), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(String::from_utf8_lossy(&out.stderr).contains("caredesk salvage"));
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().contains("check"))
        .collect();
    assert!(leftovers.is_empty(), "the copy it checked is removed");
    let to = dir.path().join("new");
    let out = caredesk(&db, &["salvage", "--from", db.to_str().unwrap(), "--to", to.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}
