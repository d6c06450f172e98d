//! Erasure reaches the disk: after a leaver is deleted and the database
//! compacted, neither their name nor their mobile is anywhere in the
//! database directory's files (read as raw bytes, the way `strings` or a
//! grep would), and the audit log still verifies.

use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_caredesk");
const DAY_0: &str = "2026-01-07T10:00:00Z";
const DAY_40: &str = "2026-02-16T10:00:00Z";

const NAME: &str = "Philippa Quennell";
const MOBILE: &str = "07700900417";

fn caredesk(db: &Path, now: &str, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("--db")
        .arg(db)
        .args(["--now", now])
        .args(args)
        .env_remove("CAREDESK_DB")
        .output()
        .expect("the caredesk binary runs")
}

fn ok(db: &Path, now: &str, args: &[&str]) -> String {
    let out = caredesk(db, now, args);
    assert!(out.status.success(), "caredesk {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The files under `dir` that hold `needle`, searched as raw bytes.
fn files_holding(dir: &Path, needle: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if std::fs::read(&path).unwrap().windows(needle.len()).any(|w| w == needle) {
                found.push(path.display().to_string());
            }
        }
    }
    found
}

#[test]
fn a_deleted_leavers_name_and_mobile_are_gone_from_the_database_files_and_the_log_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    ok(&db, DAY_0, &["init"]);
    ok(&db, DAY_0, &["org", "add", "V1234", "--name", "Sunrise Care", "--ig-compliant", "yes"]);
    let (first, last) = NAME.split_once(' ').unwrap();
    let new = ["account", "new", "--first", first, "--last", last, "--mobile", MOBILE, "--ods", "V1234"];
    ok(&db, DAY_0, &[&new[..], &["--email", "pq@example.org"]].concat());
    let address = "philippa.quennell@nhs.net";
    let body = dir.path().join("body.txt");
    std::fs::write(&body, format!("{NAME} rang from {MOBILE}: locked out")).unwrap();
    ok(
        &db,
        DAY_0,
        &[
            "ticket",
            "new",
            "--category",
            "password-reset",
            "--channel",
            "phone",
            "--requester-name",
            NAME,
            "--ods",
            "V1234",
            "--account",
            address,
            "--subject",
            &format!("Locked out: {NAME}"),
            "--body-file",
            body.to_str().unwrap(),
        ],
    );
    std::fs::remove_file(&body).unwrap();
    ok(&db, DAY_0, &["ticket", "note", "CD-1", &format!("called {first} back on {MOBILE}")]);
    ok(&db, DAY_0, &["account", "reset-password", address, "--verified-by", "mobile"]);
    ok(&db, DAY_0, &["account", "leaver", address]);
    for needle in [NAME.as_bytes(), last.as_bytes(), MOBILE.as_bytes()] {
        assert!(
            !files_holding(&db, needle).is_empty(),
            "{} is in the files before the deletion, or this test proves nothing",
            String::from_utf8_lossy(needle)
        );
    }

    let swept = ok(&db, DAY_40, &["sweep"]);
    assert!(swept.contains("deleted 1"), "{swept}");
    let compacted = ok(&db, DAY_40, &["compact"]);
    assert!(compacted.contains("compacted"), "{compacted}");
    for needle in [first.as_bytes(), last.as_bytes(), MOBILE.as_bytes(), b"900417", b"pq@example.org"] {
        let holding = files_holding(dir.path(), needle);
        assert!(holding.is_empty(), "{} is still in {holding:?}", String::from_utf8_lossy(needle));
    }
    let verified = ok(&db, DAY_40, &["audit", "--verify"]);
    assert!(verified.contains("intact"), "{verified}");
    let checked = ok(&db, DAY_40, &["check"]);
    assert!(checked.contains("no damage found"), "{checked}");
    // The tombstone is still found by its address.
    let shown = ok(&db, DAY_40, &["account", "show", address]);
    assert!(shown.contains("deleted"), "{shown}");
}

/// A database whose one account, the person's, is marked a leaver.
fn leaver_db() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    ok(&db, DAY_0, &["init"]);
    ok(&db, DAY_0, &["org", "add", "V1234", "--name", "Sunrise Care", "--ig-compliant", "yes"]);
    let (first, last) = NAME.split_once(' ').unwrap();
    let new = ["account", "new", "--first", first, "--last", last, "--mobile", MOBILE, "--ods", "V1234"];
    ok(&db, DAY_0, &[&new[..], &["--email", "pq@example.org"]].concat());
    ok(&db, DAY_0, &["account", "leaver", "philippa.quennell@nhs.net"]);
    (dir, db)
}

#[test]
fn serve_compacts_a_database_a_deletion_has_erased_data_from_as_it_starts() {
    let (dir, db) = leaver_db();
    let last = NAME.split_once(' ').unwrap().1;
    ok(&db, DAY_40, &["sweep"]);

    let socket = dir.path().join("sock");
    let mut daemon = Command::new(BIN)
        .arg("--db")
        .arg(&db)
        .arg("--socket")
        .arg(&socket)
        .args(["serve", "--sweep-every", "0", "--mail-every", "0"])
        .env_remove("CAREDESK_DB")
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the daemon starts");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !socket.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let _ = daemon.kill();
    let _ = daemon.wait();
    assert!(socket.exists(), "the daemon came up");
    for needle in [last.as_bytes(), MOBILE.as_bytes()] {
        let holding = files_holding(&db, needle);
        assert!(holding.is_empty(), "{} is still in {holding:?}", String::from_utf8_lossy(needle));
    }
}

#[test]
fn a_running_daemon_restarts_itself_at_compact_at_so_erased_data_leaves_the_files_and_serves_on() {
    let (_dir, db) = leaver_db();
    let (first, last) = NAME.split_once(' ').unwrap();

    // Any time of day has passed 00:00, so the daemon's first look (ten
    // seconds in) finds the erasure the sweep below makes through it.
    let socket = db.with_file_name("db.run").join("caredesk.sock");
    let mut daemon = Command::new(BIN)
        .arg("--db")
        .arg(&db)
        .args(["serve", "--sweep-every", "0", "--mail-every", "0", "--compact-at", "00:00"])
        .env_remove("CAREDESK_DB")
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the daemon starts");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !socket.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let swept = ok(&db, DAY_40, &["sweep"]);
    assert!(swept.contains("deleted 1"), "{swept}");
    assert!(!files_holding(&db, MOBILE.as_bytes()).is_empty(), "the old bytes are in the files until the compaction");

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    let mut holding = files_holding(&db, MOBILE.as_bytes());
    while !holding.is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(500));
        holding = files_holding(&db, MOBILE.as_bytes());
    }
    assert!(holding.is_empty(), "the mobile is still in {holding:?}");
    // The same process serves again, and the log still verifies.
    let mut verified = caredesk(&db, DAY_40, &["audit", "--verify"]);
    while !verified.status.success() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(200));
        verified = caredesk(&db, DAY_40, &["audit", "--verify"]);
    }
    let said = String::from_utf8_lossy(&verified.stdout).into_owned();
    assert!(said.contains("intact"), "{said}{}", String::from_utf8_lossy(&verified.stderr));
    assert_eq!(daemon.try_wait().unwrap(), None, "the daemon restarted in place");
    for needle in [first.as_bytes(), last.as_bytes()] {
        let holding = files_holding(&db, needle);
        assert!(holding.is_empty(), "{} is still in {holding:?}", String::from_utf8_lossy(needle));
    }
    let _ = daemon.kill();
    let _ = daemon.wait();
}
