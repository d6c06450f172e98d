//! The five everyday tasks of the helpdesk (the second done two ways: from
//! the caller's account and from the mailbox), timed in keys: the real binary
//! in tmux at 80×24 on the demo database, each task run with the quickest
//! key sequence the README names, its keys counted and held to its target,
//! and its result read back through the command line.
//!
//! A key is anything pressed that is not text the operator has to type
//! anyway (a name, a number read out, a note, a mailbox name). Letters
//! typed to narrow a choice are keys. Each task starts on the pane it is
//! done on, so the key that brings that pane up (`2`, `3`) is not counted.
//!
//! It needs tmux, which `.ci/run` installs when it is missing.

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

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

/// The next weekday at `hour`:00 UTC, in the future so the demo's history
/// is behind it: 20:00 is out of hours, 11:00 in hours, in summer and winter.
fn next_weekday_at(hour: u32) -> chrono::DateTime<Utc> {
    let mut day = Utc::now() + Span::days(1);
    while matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
        day += Span::days(1);
    }
    Utc.with_ymd_and_hms(day.year(), day.month(), day.day(), hour, 0, 0).single().expect("a valid instant")
}

/// A console in tmux at 80×24, and the keys pressed in it for one task.
struct Console {
    tmux: Tmux,
    keys: usize,
}

impl Console {
    fn start(name: &str, db: &Path, now: &str) -> Console {
        let command = format!(
            "env TERM=xterm-256color NO_COLOR=1 {BIN} --db {} --now {now}; echo \"caredesk exited with $?\"; sleep 600",
            db.display()
        );
        let tmux = Tmux::start(name, &command);
        tmux.cmd(&["resize-window", "-t", "e2e", "-x", "80", "-y", "24"]);
        tmux.wait_for("Ticket queue");
        std::thread::sleep(Duration::from_millis(300));
        Console { tmux, keys: 0 }
    }

    /// Presses keys: each named key (`<Enter>`) and each character counts.
    fn press(&mut self, keys: &str) {
        let mut rest = keys;
        while !rest.is_empty() {
            if let Some(named) = rest.strip_prefix('<') {
                let end = named.find('>').expect("a closed <key>");
                rest = &named[end + 1..];
            } else {
                let c = rest.chars().next().expect("a character");
                rest = &rest[c.len_utf8()..];
            }
            self.keys += 1;
        }
        self.tmux.keys(keys);
    }

    /// Types text the operator has to type anyway: not counted.
    fn type_text(&mut self, text: &str) {
        self.tmux.keys(text);
    }

    /// The keys pressed since the last call, and starts counting again.
    fn counted(&mut self) -> usize {
        std::mem::take(&mut self.keys)
    }

    fn wait_for(&self, text: &str) -> String {
        self.tmux.wait_for(text)
    }

    fn quit(&mut self) {
        self.tmux.keys("q");
        self.tmux.wait_for("caredesk exited with 0");
    }
}

fn text<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key].as_str().unwrap_or_default()
}

/// Mailboxes whose display names start with these letters: enough of the
/// demo's to find every case below in.
fn some_mailboxes(db: &Path) -> Vec<Value> {
    ["a", "b", "c", "h", "s"]
        .iter()
        .flat_map(|prefix| caredesk_json(db, &["mailbox", "find", prefix]).as_array().cloned().unwrap_or_default())
        .collect()
}

/// An active NAS-run account with a mobile whose name, typed surname first,
/// finds only it; and its mobile.
fn unique_caller(db: &Path, mailboxes: &[Value], not: &[&str]) -> (Value, String) {
    for mailbox in mailboxes {
        let view = caredesk_json(db, &["mailbox", "show", text(mailbox, "address")]);
        for member in view["members"].as_array().cloned().unwrap_or_default() {
            let address = text(&member, "address");
            if member["status"] != "active" || member["administered_by"] != "nas" || not.contains(&address) {
                continue;
            }
            let personal = &member["personal"];
            let name = format!("{} {}", text(personal, "last_name"), text(personal, "first_name")).to_lowercase();
            let found = caredesk_json(db, &["account", "find", &name]);
            if found.as_array().map(Vec::len) == Some(1) {
                let mobile = text(personal, "mobile").to_owned();
                return (member.clone(), mobile);
            }
        }
    }
    panic!("the demo has no account whose name finds only it");
}

/// An active owner of exactly one mailbox, found by a name that finds only
/// them, whose mailbox has another active member of the same organisation.
fn owner_with_successor(db: &Path, mailboxes: &[Value]) -> (String, String, String) {
    for mailbox in mailboxes.iter().filter(|m| m["sponsorship"] == "national") {
        let view = caredesk_json(db, &["mailbox", "show", text(mailbox, "address")]);
        let owner = &view["owner"];
        if owner["status"] != "active" || owner["administered_by"] != "nas" {
            continue;
        }
        let address = text(owner, "address");
        let shown = caredesk_json(db, &["account", "show", address]);
        if shown["owns"].as_array().map(Vec::len) != Some(1) {
            continue;
        }
        let successor = view["members"].as_array().into_iter().flatten().any(|m| {
            text(m, "address") != address
                && m["status"] == "active"
                && m["ods"] == owner["ods"]
                && m["personal"]["mobile"].is_string()
        });
        let personal = &owner["personal"];
        let name = format!("{} {}", text(personal, "last_name"), text(personal, "first_name")).to_lowercase();
        let alone = caredesk_json(db, &["account", "find", &name]).as_array().map(Vec::len) == Some(1);
        if successor && alone {
            return (address.to_owned(), name, text(mailbox, "address").to_owned());
        }
    }
    panic!("the demo has no owner of one mailbox with a member to hand it to");
}

/// An organisation whose ODS code finds exactly one mailbox, the mailbox,
/// and an active account of it that is not a member.
fn single_mailbox_organisation(db: &Path, mailboxes: &[Value]) -> (String, String, String) {
    // A legacy mailbox is its sponsor's to change, not the NAS's.
    for mailbox in mailboxes.iter().filter(|m| m["sponsorship"] == "national") {
        let ods = text(mailbox, "ods");
        let found = caredesk_json(db, &["mailbox", "find", ods]);
        if found.as_array().map(Vec::len) != Some(1) {
            continue;
        }
        let view = caredesk_json(db, &["mailbox", "show", text(mailbox, "address")]);
        let members: Vec<&str> = view["members"].as_array().into_iter().flatten().map(|m| text(m, "address")).collect();
        let people = caredesk_json(db, &["account", "find", ods]);
        let newcomer = people.as_array().into_iter().flatten().find(|a| {
            a["status"] == "active" && !members.contains(&text(a, "address")) && a["personal"]["mobile"].is_string()
        });
        if let Some(newcomer) = newcomer {
            return (ods.to_owned(), text(mailbox, "address").to_owned(), text(newcomer, "address").to_owned());
        }
    }
    panic!("the demo has no organisation with one mailbox and an account to add to it");
}

#[test]
fn the_everyday_tasks_take_no_more_keys_than_their_targets() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let db = dir.path().join("demo");
    let built = run(Command::new(BIN).arg("--db").arg(&db).arg("demo"));
    assert!(String::from_utf8_lossy(&built.stdout).contains("demo database ready"));
    let mailboxes = some_mailboxes(&db);
    let (caller, mobile) = unique_caller(&db, &mailboxes, &[]);
    let caller_address = text(&caller, "address").to_owned();
    let caller_name = format!("{} {}", text(&caller["personal"], "last_name"), text(&caller["personal"], "first_name"));
    let (leaver, leaver_name, handed) = owner_with_successor(&db, &mailboxes);
    let (ods, team, newcomer) = single_mailbox_organisation(&db, &mailboxes);
    let mut counts = Vec::new();
    let sent_before = caredesk_json(&db, &["outbox", "--limit", "1"])["outbox"][0]["seq"].as_u64();

    // Out of hours.
    let mut console = Console::start("tasks-evening", &db, &next_weekday_at(20).to_rfc3339());
    console.wait_for("out of hours");

    // Task 1: a caller forgot their password. Find them surname first,
    // verify by the number they read out, reset.
    console.type_text("2");
    console.press("/");
    console.type_text(&caller_name.to_lowercase());
    console.press("<Enter>");
    console.wait_for(&caller_address);
    console.press("p<Tab>");
    console.type_text(&format!("+44 {}", &mobile[1..]));
    console.wait_for("Match");
    console.press("<Enter>");
    console.wait_for("it matched");
    console.press("<Enter>");
    let receipt = console.wait_for("Outbox #");
    assert!(!receipt.contains(&mobile), "the mobile is on screen:\n{receipt}");
    counts.push(("1 password reset", console.counted(), 6, 6));
    console.tmux.keys("<Escape>");

    // Task 2: a caller needs access to a shared mailbox: log it for the
    // resolver group from the account pane, category narrowed by typing,
    // the mailbox named.
    console.press("t");
    console.wait_for("New ticket");
    console.press("ma");
    console.wait_for("Mailbox access:");
    console.press("<BTab><BTab><BTab><BTab>");
    console.type_text(&team);
    console.press("<Enter>");
    let logged = console.wait_for("logged for the resolver group queue");
    counts.push(("2 mailbox access request", console.counted(), 8, 8));
    let reference = logged
        .split_whitespace()
        .find(|w| w.starts_with("CD-") && logged.contains(&format!("{w} logged")))
        .unwrap_or_else(|| panic!("no ticket reference in the message:\n{logged}"))
        .to_owned();

    // Task 3: open a ticket, claim it, note it, resolve it: the one just
    // logged, which the queue has selected in the resolver group's queue.
    console.press("<Enter>");
    console.wait_for(&format!("{reference} "));
    console.press("c");
    console.wait_for("claimed");
    console.press("i");
    console.wait_for("Internal note on");
    console.type_text("Access asked for by phone; passed to the mailbox owner.");
    console.press("<Enter>");
    console.tmux.wait_until("the note form closed", |s| !s.contains("Internal note on"));
    // Right after the note the hint and the status form propose resolving.
    console.wait_for("s resolve");
    console.press("s");
    let form = console.wait_for("Status of");
    let starts_resolved =
        form.lines().any(|l| l.contains("Status") && !l.contains("Status of") && l.contains("resolved"));
    assert!(starts_resolved, "the status form does not start at resolved:\n{form}");
    console.press("<Enter>");
    console.tmux.wait_until("the status form closed", |s| !s.contains("Status of"));
    counts.push(("3 open, claim, note, resolve", console.counted(), 6, 6));

    // Task 2 the other way: the caller found in the account pane (task 1)
    // names the mailbox; find it in the mailbox pane and log the access
    // request for the caller from there.
    console.type_text("3");
    console.press("/");
    console.type_text(&ods.to_lowercase());
    console.press("<Enter>");
    console.wait_for(&team);
    console.press("t");
    let form = console.wait_for("New ticket");
    assert!(form.contains("Mailbox access"), "t on a mailbox proposes mailbox access:\n{form}");
    console.press("<Enter>");
    let logged = console.wait_for("logged for the resolver group queue");
    counts.push(("2 mailbox access request, from the mailbox pane", console.counted(), 8, 8));
    let from_mailbox = logged
        .split_whitespace()
        .find(|w| w.starts_with("CD-") && logged.contains(&format!("{w} logged")))
        .unwrap_or_else(|| panic!("no ticket reference in the message:\n{logged}"))
        .to_owned();
    console.quit();

    // In hours, for the NAS.
    let mut console = Console::start("tasks-day", &db, &next_weekday_at(11).to_rfc3339());

    // Task 4: mark a mailbox owner as a leaver, handing the mailbox to a
    // member, who the list offers first.
    console.type_text("2");
    console.press("/");
    console.type_text(&leaver_name);
    console.press("<Enter>");
    console.wait_for(&leaver);
    console.press("x");
    console.wait_for("passes to");
    console.press("<Enter>");
    console.tmux.wait_until("the leaver marked", |s| !s.contains("Mark leaver"));
    counts.push(("4 leaver with hand-over", console.counted(), 4, 4));

    // Task 5: add a member to a mailbox found by its ODS code.
    console.type_text("3");
    console.press("/");
    console.type_text(&ods.to_lowercase());
    console.press("<Enter>");
    console.wait_for(&team);
    console.press("a");
    console.wait_for("Add a member");
    console.type_text(&newcomer);
    console.wait_for("1 found");
    console.press("<Enter>");
    console.tmux.wait_until("the picker closed", |s| !s.contains("Add a member"));
    counts.push(("5 add a member by ODS code", console.counted(), 4, 4));
    console.quit();

    // What the command line says was done.
    let account = caredesk_json(&db, &["account", "show", &caller_address]);
    assert_eq!(account["account"]["must_change_password"], true, "{account}");
    let outbox = caredesk_json(&db, &["outbox", "--limit", "1"]);
    let newest = &outbox["outbox"][0];
    assert_ne!(newest["seq"].as_u64(), sent_before, "no new message in the outbox");
    assert_eq!(text(newest, "address"), caller_address);
    let ticket = caredesk_json(&db, &["ticket", "show", &reference])["ticket"].clone();
    assert_eq!(ticket["category"], "mailbox-access", "{ticket}");
    assert_eq!(ticket["mailbox_name"], team.as_str(), "{ticket}");
    assert_eq!(ticket["status"], "resolved", "{ticket}");
    assert!(ticket["assignee"].is_string(), "{ticket}");
    let asked = caredesk_json(&db, &["ticket", "show", &from_mailbox])["ticket"].clone();
    assert_eq!(asked["category"], "mailbox-access", "{asked}");
    assert_eq!(asked["account"], caller["id"], "the request is the caller's: {asked}");
    let body = text(&asked, "body");
    assert!(body.contains(&format!("{caller_address} asks for access to {team}")), "{asked}");
    assert_eq!(asked["routing"]["queue"], "resolver", "{asked}");
    let leaver_now = caredesk_json(&db, &["account", "show", &leaver]);
    assert_eq!(leaver_now["account"]["status"], "leaver", "{leaver_now}");
    let handed_now = caredesk_json(&db, &["mailbox", "show", &handed]);
    assert_ne!(text(&handed_now["owner"], "address"), leaver, "{handed_now}");
    let team_now = caredesk_json(&db, &["mailbox", "show", &team]);
    let members: Vec<&str> = team_now["members"].as_array().into_iter().flatten().map(|m| text(m, "address")).collect();
    assert!(members.contains(&newcomer.as_str()), "{newcomer} is not a member of {team}: {members:?}");

    println!("keys per task (task, keys, target, bound): {counts:?}");
    // Each task within its bound: its target, or for a task not yet at
    // its target, the count it takes now.
    let over: Vec<String> = counts
        .iter()
        .filter(|(_, keys, _, bound)| keys > bound)
        .map(|(task, keys, target, bound)| format!("task {task}: {keys} keys, bound {bound}, target {target}"))
        .collect();
    assert!(over.is_empty(), "over: {over:?} (all: {counts:?})");
    let at_target = counts.iter().filter(|(_, keys, target, _)| keys <= target).count();
    assert!(at_target >= 4, "tasks at their target: {counts:?}");
}
