//! The real binary in a real terminal: tmux runs `caredesk` on a demo
//! database, the test types at it and reads the screen back, as an
//! operator would see it.
//!
//! The walk-through: find an account, reset its password with the
//! owner-verified flow and see the outbox entry, log an out-of-hours
//! leaver request and find it in the resolver group's queue, then quit and
//! check the terminal was handed back clean (normal screen, cursor shown,
//! mouse reporting off).
//!
//! It needs tmux, which `.ci/run` installs when it is missing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use chrono::{Datelike, Duration as Span, TimeZone, Utc, Weekday};
use serde_json::Value;

mod tmux;

use tmux::Tmux;

const BIN: &str = env!("CARGO_BIN_EXE_caredesk");

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("could not run {cmd:?}: {e}"));
    assert!(out.status.success(), "{cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    out
}

fn caredesk_json(db: &Path, args: &[&str]) -> Value {
    let out = run(Command::new(BIN).arg("--db").arg(db).arg("--json").args(args));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("caredesk {args:?} did not print JSON: {e}"))
}

/// The next weekday evening at 20:00 UTC (after 17:00 in London in summer
/// and winter): out of hours, and in the future so the demo's history is behind it.
fn next_weekday_evening() -> chrono::DateTime<Utc> {
    let mut day = Utc::now() + Span::days(1);
    while matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
        day += Span::days(1);
    }
    Utc.with_ymd_and_hms(day.year(), day.month(), day.day(), 20, 0, 0).single().expect("a valid instant")
}

/// A shared mailbox with an active owner and an active member who owns
/// nothing: the member forgets their password, the owner vouches for them.
/// Returns (member address, member mobile, owner address).
fn reset_candidate(db: &Path) -> (String, String, String) {
    // Mailbox names start with their organisation's; a letter finds some.
    let mailboxes: Vec<Value> = ["a", "b", "c", "s"]
        .iter()
        .flat_map(|prefix| caredesk_json(db, &["mailbox", "find", prefix]).as_array().cloned().unwrap_or_default())
        .collect();
    for mailbox in &mailboxes {
        let view = caredesk_json(db, &["mailbox", "show", mailbox["address"].as_str().expect("an address")]);
        let owner = &view["owner"];
        if owner["status"] != "active" {
            continue;
        }
        for member in view["members"].as_array().expect("a list of members") {
            let address = member["address"].as_str().unwrap_or_default();
            let owns =
                caredesk_json(db, &["account", "show", address])["owns"].as_array().is_some_and(|o| !o.is_empty());
            // A member whose account a local administrator runs is handled
            // by them, so the console offers no reset for it.
            let by_nas = member["administered_by"] == "nas";
            if member["status"] == "active" && by_nas && address != owner["address"] && !owns {
                if let Some(mobile) = member["personal"]["mobile"].as_str() {
                    let owner = owner["address"].as_str().unwrap_or_default();
                    return (address.to_owned(), mobile.to_owned(), owner.to_owned());
                }
            }
        }
    }
    panic!("the demo has no shared mailbox with an active owner and an active member");
}

#[test]
fn an_operator_session_in_a_real_terminal() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let db: PathBuf = dir.path().join("demo");
    // Off a terminal, `demo` builds the database, prints its summary and exits.
    let built = run(Command::new(BIN).arg("--db").arg(&db).arg("demo"));
    assert!(String::from_utf8_lossy(&built.stdout).contains("demo database ready"));
    let (address, mobile, owner) = reset_candidate(&db);
    let evening = next_weekday_evening().to_rfc3339();

    let console = format!(
        "env TERM=xterm-256color NO_COLOR=1 {BIN} --db {} --now {evening}; echo \"caredesk exited with $?\"; sleep 600",
        db.display()
    );
    let tmux = Tmux::start("session", &console);
    tmux.wait_for("out of hours — NAS opens");

    // Find the account.
    tmux.keys(&format!("2/{address}<Enter>"));
    tmux.wait_for(&address);

    // Owner-verified reset: the third way of verifying, then this owner
    // among those the organisation offers, then the mobile the owner
    // confirms; then confirm.
    tmux.keys("p<Right><Right>");
    tmux.wait_for("Owner");
    tmux.keys("<Down>");
    for _ in 0..50 {
        let screen = tmux.screen();
        let offered = screen.lines().find(|l| l.contains("Owner ‹")).unwrap_or_default().to_owned();
        if offered.contains(&format!("<{owner}>")) {
            break;
        }
        tmux.keys("<Right>");
    }
    tmux.wait_for(&format!("<{owner}>"));
    tmux.keys(&format!("<Down>{mobile}<Enter>"));
    tmux.wait_for("The temporary password goes by text to");
    tmux.keys("<Enter>");
    let receipt = tmux.wait_for("Outbox #");
    let seq: u64 = receipt
        .split("Outbox #")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no outbox number on screen:\n{receipt}"));
    assert!(!receipt.contains(&mobile), "the full mobile is on screen:\n{receipt}");
    tmux.keys("<Escape>");

    // Out of hours, a leaver request is logged for the resolver group: the
    // leaver action, then the key that logs it as a ticket, then save.
    tmux.keys("x");
    std::thread::sleep(Duration::from_millis(300));
    tmux.keys("<Escape>t");
    tmux.wait_for("New ticket");
    let form = tmux.wait_for("→ resolver group queue");
    assert!(form.contains("leaver"), "{form}");
    tmux.keys("<Enter>");
    let queue = tmux.wait_for("logged for the resolver group queue");
    let reference = queue
        .split_whitespace()
        .find(|w| w.starts_with("CD-") && queue.contains(&format!("{w} logged")))
        .unwrap_or_else(|| panic!("no ticket reference in the message:\n{queue}"))
        .to_owned();
    assert!(queue.contains("Ticket queue · resolver"), "the resolver queue is shown:\n{queue}");
    // The queue row starts with the reference; the account pane beside it
    // may name the same ticket on another row's line.
    let row = queue
        .lines()
        .find(|l| l.contains(&format!("│ {reference} ")) || l.contains(&format!("│›{reference} ")))
        .unwrap_or_default();
    assert!(row.contains("leaver"), "the new ticket's row is in the resolver queue:\n{queue}");

    // A two-line note pasted in goes in whole: its line break does not
    // save the form, and its letters (`r` reply, `s` status, `c` claim,
    // `q` quit) do not act as keys.
    let pasted = "Caller rang back about the leaver.\nreply by email; s c q r";
    tmux.keys(&format!(":ticket {reference}<Enter>"));
    tmux.wait_for(&format!("{reference} "));
    tmux.keys("i");
    tmux.wait_for("Internal note on");
    tmux.paste(pasted);
    let form = tmux.wait_for("Caller rang back about the leaver.↵reply by email; s c q r");
    assert!(!form.contains("Reply on"), "a key in the paste opened the reply form:\n{form}");
    tmux.keys("<Enter>");
    tmux.wait_until("the note form closed", |s| !s.contains("Internal note on"));

    // Quit, and the terminal is the operator's again.
    tmux.keys("q");
    let after = tmux.wait_for("caredesk exited with 0");
    assert!(!after.contains("Ticket queue"), "the console's screen was left behind:\n{after}");
    assert_eq!(tmux.flag("alternate_on"), "0", "still on the alternate screen");
    assert_eq!(tmux.flag("cursor_flag"), "1", "the cursor is hidden");
    assert_eq!(tmux.flag("mouse_any_flag"), "0", "mouse reporting is still on");
    assert_eq!(tmux.flag("keypad_cursor_flag"), "0", "cursor keys left in application mode");

    // The console has let the database go; what it showed is what was stored.
    let outbox = caredesk_json(&db, &["outbox", "--limit", "1"]);
    let newest = &outbox["outbox"].as_array().expect("a list of messages")[0];
    assert_eq!(newest["seq"].as_u64(), Some(seq), "the outbox entry on screen is the newest");
    assert_eq!(newest["address"], address.as_str());
    let tickets = caredesk_json(&db, &["ticket", "list", "--queue", "resolver", "--limit", "500"]);
    let logged = tickets
        .as_array()
        .expect("a list")
        .iter()
        .find(|t| t["ref"] == reference.as_str())
        .unwrap_or_else(|| panic!("{reference} is not in the resolver queue: {tickets}"));
    assert_eq!(logged["category"], "leaver");
    assert_eq!(logged["subject"], format!("Leaver: {address}").as_str());
    assert!(logged["assignee"].is_null(), "a c in the paste claimed the ticket: {logged}");
    let shown = caredesk_json(&db, &["ticket", "show", &reference]);
    let notes: Vec<&str> = shown["ticket"]["timeline"]
        .as_array()
        .expect("a timeline")
        .iter()
        .filter(|e| e["kind"].as_str().is_some_and(|k| k.eq_ignore_ascii_case("note")))
        .filter_map(|e| e["text"].as_str())
        .collect();
    assert_eq!(notes, [pasted], "the pasted note was not stored whole: {shown}");
}

/// An SSH connection that drops takes the terminal with it: the console
/// must stop and let the database go, not spin on a terminal that is gone.
#[test]
fn a_dropped_connection_stops_the_console_and_frees_the_database() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let db = dir.path().join("db");
    run(Command::new(BIN).arg("--db").arg(&db).arg("init"));
    let tmux = Tmux::start("dropped", &format!("{BIN} --db {}", db.display()));
    tmux.wait_for("caredesk │");
    let pid = tmux.flag("pane_pid");
    // Closing the server closes the pane's terminal, as sshd does when the
    // connection drops: the console gets SIGHUP and its terminal is gone.
    drop(tmux);
    let deadline = Instant::now() + Duration::from_secs(10);
    while Path::new(&format!("/proc/{pid}")).exists() {
        assert!(Instant::now() < deadline, "the console (pid {pid}) is still running after its terminal went away");
        std::thread::sleep(Duration::from_millis(100));
    }
    let status = run(Command::new(BIN).arg("--db").arg(&db).arg("status"));
    assert!(String::from_utf8_lossy(&status.stdout).contains("operator"), "the database can be opened again");
}
