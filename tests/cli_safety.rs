//! The command line under accident and attack, end to end on the real
//! binary: an SMS gateway that prints the password back or never finishes,
//! text that would reorder the terminal, a calendar that would close the
//! NAS for years, and a leap second in `--now`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const WEDNESDAY_10AM: &str = "2026-01-07T10:00:00Z";

fn caredesk(db: &Path, now: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_caredesk"))
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
    String::from_utf8(out.stdout).expect("utf-8 output")
}

fn json(db: &Path, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    serde_json::from_str(&ok(db, WEDNESDAY_10AM, &all)).expect("valid JSON")
}

/// A database with one organisation and one account, jo.smith@nhs.net.
fn ready() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    ok(&db, WEDNESDAY_10AM, &["init"]);
    ok(&db, WEDNESDAY_10AM, &["org", "add", "V1234", "--name", "Sunrise Care", "--ig-compliant", "yes"]);
    ok(
        &db,
        WEDNESDAY_10AM,
        &[
            "account",
            "new",
            "--first",
            "Jo",
            "--last",
            "Smith",
            "--mobile",
            "07700 900123",
            "--ods",
            "V1234",
            "--email",
            "jo@example.org",
        ],
    );
    (dir, db)
}

fn reset(db: &Path) -> Output {
    caredesk(db, WEDNESDAY_10AM, &["account", "reset-password", "jo.smith@nhs.net", "--verified-by", "mobile"])
}

/// Every file under `dir`, read raw.
fn raw_files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut found = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else {
                found.push((path.clone(), std::fs::read(&path).unwrap()));
            }
        }
    }
    found
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// The last audit entry's action, and how many entries there are.
fn audit_tail(db: &Path) -> (String, usize) {
    let audit = json(db, &["audit", "--limit", "100000"]);
    let entries = audit["audit"].as_array().expect("the audit entries");
    let action = entries[0]["draft"]["action"].as_str().unwrap_or_default().to_owned();
    (action, entries.len())
}

#[test]
fn a_gateway_that_echoes_its_input_leaks_the_password_nowhere() {
    let (dir, db) = ready();
    // The gateway keeps a copy of what it was given outside the database,
    // so the test knows the password, then prints it all back and fails.
    let seen = dir.path().join("seen");
    let program = format!("tee '{}' >&2; echo \"to $1\" >&2; exit 1", seen.display());
    ok(&db, WEDNESDAY_10AM, &["policy", "sms-command", &program]);
    let (_, entries_before) = audit_tail(&db);

    let out = reset(&db);
    let message = std::fs::read_to_string(&seen).expect("the gateway was run");
    let password = message.split(" is ").nth(1).and_then(|rest| rest.split(' ').next()).unwrap().to_owned();
    assert_eq!(password.len(), 12, "{message}");

    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "a password that was not sent is not a success: {stdout} {stderr}");
    assert!(stdout.contains("NOT sent to 07*** ***123"), "{stdout}");
    assert!(stderr.contains("the text message was NOT sent (outbox #2)"), "{stderr}");
    assert!(!stdout.contains(&password) && !stderr.contains(&password), "{stdout}\n{stderr}");

    let outbox = json(&db, &["outbox"]);
    let entry = &outbox["outbox"][0];
    let reason = entry["delivery"]["failed"]["reason"].as_str().expect("the failure is on the outbox entry");
    assert!(reason.starts_with("the SMS command failed with exit status 1"), "{reason}");
    assert!(!outbox.to_string().contains(&password), "{outbox}");
    let summary = json(&db, &["account", "show", "jo.smith@nhs.net"]).to_string();
    assert!(!summary.contains(&password));

    // The reset itself stands, with its audit entry.
    assert_eq!(audit_tail(&db), ("account.reset-password".to_owned(), entries_before + 1));

    // Not in the database files or the log, however they are read.
    let files = raw_files(dir.path());
    let log = caredesk::cli::todays_log_file(&db);
    assert!(files.iter().any(|(p, _)| p == &log), "the log is beside the database");
    for (path, bytes) in files.iter().filter(|(p, _)| p != &seen) {
        assert!(!contains(bytes, &password), "the password is in {}", path.display());
    }
}

#[test]
fn a_gateway_that_never_exits_is_stopped_and_the_reset_still_stands() {
    let (dir, db) = ready();
    let refused = caredesk(&db, WEDNESDAY_10AM, &["policy", "sms-command", "sleep 600", "--time-limit", "31"]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("outside 1 to 30 s"));
    ok(&db, WEDNESDAY_10AM, &["policy", "sms-command", "sleep 600", "--time-limit", "1"]);
    assert!(ok(&db, WEDNESDAY_10AM, &["policy", "show"]).contains("sleep 600 (stopped after 1 s)"));
    let (_, entries_before) = audit_tail(&db);

    let out = reset(&db);
    assert_eq!(out.status.code(), Some(4), "{}", String::from_utf8_lossy(&out.stderr));
    let outbox = json(&db, &["outbox"]);
    let reason = outbox["outbox"][0]["delivery"]["failed"]["reason"].as_str().unwrap_or_default();
    assert_eq!(reason, "the SMS command did not finish within 1 s and was stopped");

    assert_eq!(audit_tail(&db), ("account.reset-password".to_owned(), entries_before + 1));
    let account = json(&db, &["account", "show", "jo.smith@nhs.net"]);
    assert_eq!(account["account"]["temp_password_issued_at"], WEDNESDAY_10AM, "{account}");
    assert!(ok(&db, WEDNESDAY_10AM, &["audit", "--verify"]).contains("intact"));
    drop(dir);
}

/// Bidi overrides and isolates, and an escape sequence, from outside.
const REORDERING: [char; 6] = ['\u{202E}', '\u{202D}', '\u{2066}', '\u{2067}', '\u{2069}', '\u{1b}'];

#[test]
fn ticket_show_prints_no_bidi_override_from_the_ticket() {
    let (dir, db) = ready();
    let body = dir.path().join("body.txt");
    std::fs::write(&body, "invoice\u{202E}fdp.exe\nsee \u{2066}attached\u{2069}\x1b[2J").unwrap();
    let t = json(
        &db,
        &[
            "ticket",
            "new",
            "--category",
            "general",
            "--channel",
            "phone",
            "--requester-name",
            "Jo Bloggs",
            "--ods",
            "V1234",
            "--subject",
            "an ordinary subject",
            "--body-file",
            body.to_str().unwrap(),
        ],
    );
    let reference = t["ref"].as_str().unwrap().to_owned();
    ok(&db, WEDNESDAY_10AM, &["ticket", "note", &reference, "call back\u{202E}enohp"]);

    // The service refuses such a subject, but a record written by an older
    // release (or an import) may hold one: plant it.
    {
        use caredesk::store::{OpenMode, Store, TreeId};
        let store = Store::open(&db, OpenMode::Existing).unwrap();
        let number: u64 = reference.trim_start_matches("CD-").parse().unwrap();
        let mut ticket = store.ticket(reference.parse().unwrap()).unwrap().unwrap();
        ticket.subject = "Refund for \u{202E}gpj.exe".into();
        ticket.requester.name = "Eve \u{2067}Admin\u{2069}".into();
        let bytes = Store::encode_versioned("ticket", 1, &ticket);
        store.raw_put(TreeId::Tickets, &number.to_be_bytes(), &bytes).unwrap();
        store.flush().unwrap();
    }

    let shown = ok(&db, WEDNESDAY_10AM, &["ticket", "show", &reference]);
    assert!(shown.contains("Refund for"), "the planted subject is shown: {shown}");
    assert!(shown.contains("invoice\u{FFFD}fdp.exe"), "{shown}");
    for c in REORDERING {
        assert!(!shown.contains(c), "ticket show printed U+{:04X}: {shown:?}", c as u32);
    }
    let listed = ok(&db, WEDNESDAY_10AM, &["ticket", "list", "--queue", "all"]);
    for c in REORDERING {
        assert!(!listed.contains(c), "ticket list printed U+{:04X}: {listed:?}", c as u32);
    }
}

#[test]
fn a_policy_written_before_the_sms_time_limit_reads_with_the_default() {
    let (_dir, db) = ready();
    {
        use caredesk::store::{OpenMode, Store, TreeId, v1};
        let store = Store::open(&db, OpenMode::Existing).unwrap();
        let old = v1::Policy { targets: Default::default(), sms_command: Some("cat > /dev/null".into()) };
        store.raw_put(TreeId::Meta, b"policy", &Store::encode_versioned("policy", 1, &old)).unwrap();
        store.flush().unwrap();
    }
    let policy = json(&db, &["policy", "show"]);
    assert_eq!(policy["policy"]["sms_command"], "cat > /dev/null", "{policy}");
    assert_eq!(policy["policy"]["sms_time_limit_seconds"], 10, "{policy}");
}

const LEAP_SECOND: &str = "2026-06-30T23:59:60Z";

#[test]
fn a_leap_second_in_now_does_not_break_the_audit_chain() {
    let (_dir, db) = ready();
    ok(&db, LEAP_SECOND, &["org", "add", "V5678", "--name", "Leap Care", "--ig-compliant", "yes"]);
    ok(&db, "2026-07-01T09:30:00Z", &["org", "add", "V9999", "--name", "After Care", "--ig-compliant", "yes"]);
    let verified = ok(&db, WEDNESDAY_10AM, &["audit", "--verify"]);
    // init writes two: its supervisor and the shipped text modules.
    assert!(verified.contains("audit log intact: 6 entries verified"), "{verified}");
    // The instant reads back in the form it was hashed in.
    let audit = json(&db, &["audit", "--limit", "2"]);
    assert_eq!(audit["audit"][1]["draft"]["at"], "2026-07-01T00:00:00Z", "{audit}");
    let org = json(&db, &["org", "show", "V5678"]);
    assert!(org.to_string().contains("2026-07-01T00:00:00Z"), "{org}");
}

#[test]
fn verify_reports_every_break_not_only_the_first() {
    let (_dir, db) = ready();
    for (ods, name) in [("V2001", "One"), ("V2002", "Two"), ("V2003", "Three")] {
        ok(&db, WEDNESDAY_10AM, &["org", "add", ods, "--name", name, "--ig-compliant", "yes"]);
    }
    assert!(ok(&db, WEDNESDAY_10AM, &["audit", "--verify"]).contains("7 entries verified"));
    {
        use caredesk::domain::audit::AuditEntry;
        use caredesk::store::{OpenMode, Store, TreeId};
        let store = Store::open(&db, OpenMode::Existing).unwrap();
        let mut entries = Vec::new();
        store
            .audit_walk(|e| {
                entries.push(e);
                true
            })
            .unwrap();
        let plant = |entry: &AuditEntry| {
            let bytes = Store::encode_record(entry);
            store.raw_put(TreeId::Audit, &entry.seq.to_be_bytes(), &bytes).unwrap();
        };
        let mut second = entries[1].clone();
        second.draft.operator = "someone-else".into();
        plant(&second);
        let mut fifth = entries[4].clone();
        fifth.draft.after = Some("forged".into());
        plant(&AuditEntry::chain(5, fifth.draft, &entries[3].hash, fifth.state));
        store.flush().unwrap();
    }
    let out = caredesk(&db, WEDNESDAY_10AM, &["audit", "--verify"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("2 breaks"), "{stderr}");
    assert!(stderr.contains("audit entry 2 has been altered"), "{stderr}");
    assert!(stderr.contains("audit entry 6 does not link"), "{stderr}");
}

/// A GOV.UK-layout file with these England and Wales holidays.
fn calendar_file(dir: &Path, name: &str, dates: &[String]) -> PathBuf {
    let events: Vec<Value> = dates
        .iter()
        .map(|d| serde_json::json!({ "title": "Holiday", "date": d, "notes": "", "bunting": true }))
        .collect();
    let path = dir.join(name);
    let file = serde_json::json!({ "england-and-wales": { "division": "england-and-wales", "events": events } });
    std::fs::write(&path, file.to_string()).unwrap();
    path
}

#[test]
fn a_calendar_that_would_open_the_nas_on_bank_holidays_needs_force() {
    let (dir, db) = ready();
    let good_friday = "2026-04-03T10:00:00Z";
    assert!(ok(&db, good_friday, &["status"]).contains("out of hours"), "Good Friday is a bank holiday");
    let (_, entries_before) = audit_tail(&db);

    let one = calendar_file(dir.path(), "one.json", &["2026-12-25".to_owned()]);
    let refused = caredesk(&db, WEDNESDAY_10AM, &["policy", "calendar", one.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("the bank holiday file looks wrong: it drops 22 coming holidays"), "{stderr}");
    assert!(stderr.contains("2026-04-03 Good Friday"), "{stderr}");
    assert!(
        stderr.contains("importing it would replace 2018-01-01 to 2028-12-26 with 2026-12-25 to 2026-12-25"),
        "{stderr}"
    );
    assert!(stderr.contains("--force"), "{stderr}");
    assert_eq!(audit_tail(&db).1, entries_before, "a refused import writes nothing");
    assert!(ok(&db, good_friday, &["status"]).contains("out of hours"), "the calendar in force is unchanged");

    let days: Vec<String> = (2026..=2029)
        .flat_map(|y| (1..=12).flat_map(move |m| (1..=28).map(move |d| format!("{y}-{m:02}-{d:02}"))))
        .collect();
    let closed = calendar_file(dir.path(), "closed.json", &days);
    let refused = caredesk(&db, WEDNESDAY_10AM, &["policy", "calendar", closed.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("holidays in 2026 and too many in 3 other years"), "{stderr}");
    assert!(stderr.contains("working days in a row holidays"), "{stderr}");

    // Confirmed, it is imported and audited, and it says what it overrode.
    let forced = ok(&db, WEDNESDAY_10AM, &["policy", "calendar", one.to_str().unwrap(), "--force"]);
    assert!(forced.contains("calendar imported: 1 England and Wales bank holidays"), "{forced}");
    assert!(forced.contains("imported although it drops 22 coming holidays"), "{forced}");
    assert_eq!(audit_tail(&db), ("policy.calendar".to_owned(), entries_before + 1));
    assert!(ok(&db, good_friday, &["status"]).contains("NAS open"));

    // GOV.UK's own file puts the holidays back without being forced.
    let bundled = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/bank-holidays.json");
    assert!(ok(&db, WEDNESDAY_10AM, &["policy", "calendar", bundled]).contains("91 England and Wales bank holidays"));
    assert!(ok(&db, good_friday, &["status"]).contains("out of hours"));
}

#[test]
fn an_outbox_failure_recorded_before_sanitising_shows_none_of_its_raw_output() {
    let (_dir, db) = ready();
    {
        use caredesk::domain::sms::{Delivery, SmsMessage};
        use caredesk::store::{OpenMode, Store, TreeId};
        let store = Store::open(&db, OpenMode::Existing).unwrap();
        let raw = store.raw_get(TreeId::Outbox, &1u64.to_be_bytes()).unwrap().expect("outbox #1");
        let mut message: SmsMessage = caredesk::store::decode_message(2, &raw).unwrap();
        message.delivery = Delivery::Failed { reason: "exit 1: the temporary password is Pw9xKq2mTt7A".into() };
        store
            .raw_put(TreeId::Outbox, &1u64.to_be_bytes(), &Store::encode_versioned("outbox message", 1, &message))
            .unwrap();
        store.flush().unwrap();
    }
    let outbox = json(&db, &["outbox"]);
    let reason = outbox["outbox"][0]["delivery"]["failed"]["reason"].as_str().unwrap_or_default();
    assert!(reason.starts_with("the SMS command failed (what it printed was not kept"), "{outbox}");
    assert!(!ok(&db, WEDNESDAY_10AM, &["outbox"]).contains("Pw9xKq2mTt7A"));
}
