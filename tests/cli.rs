//! The command line end to end: the real binary on a temporary database,
//! the way a script (mail intake, a directory feed, a rehearsal) drives it.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

mod tmux;

const WEDNESDAY_10AM: &str = "2026-01-07T10:00:00Z";
const CHRISTMAS_EVE_EVENING: &str = "2026-12-24T18:00:00Z";

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

fn json(db: &Path, now: &str, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    serde_json::from_str(&ok(db, now, &all)).expect("valid JSON")
}

fn audit_count(db: &Path) -> usize {
    let audit = json(db, WEDNESDAY_10AM, &["audit", "--limit", "100000"]);
    audit["audit"].as_array().expect("the audit entries").len()
}

/// A database with one organisation, one account and its mailbox.
fn ready() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    ok(&db, WEDNESDAY_10AM, &["init"]);
    ok(&db, WEDNESDAY_10AM, &["org", "add", "V1234", "--name", "Sunrise Care", "--ig-compliant", "yes"]);
    let address = ok(
        &db,
        WEDNESDAY_10AM,
        &[
            "account",
            "new",
            "--first",
            "Zoë",
            "--last",
            "O'Neil",
            "--mobile",
            "07700 900123",
            "--ods",
            "V1234",
            "--email",
            "zoe@example.org",
        ],
    );
    assert_eq!(address.lines().next(), Some("zoe.oneil@nhs.net"), "account new prints the address first");
    // A mailbox owner must be active: the directory reports Zoë's first password change.
    ok(&db, WEDNESDAY_10AM, &["account", "password-changed", "zoe.oneil@nhs.net"]);
    ok(
        &db,
        WEDNESDAY_10AM,
        &[
            "mailbox",
            "new",
            "sunrise@nhs.net",
            "--name",
            "Sunrise shared",
            "--ods",
            "V1234",
            "--owner",
            "zoe.oneil@nhs.net",
        ],
    );
    dir
}

#[test]
fn an_out_of_hours_leaver_request_goes_to_the_resolver_group_from_the_next_opening() {
    let dir = ready();
    let db = dir.path().join("db");
    let t = json(
        &db,
        CHRISTMAS_EVE_EVENING,
        &[
            "ticket",
            "new",
            "--category",
            "leaver",
            "--channel",
            "phone",
            "--requester-name",
            "Jo Bloggs",
            "--ods",
            "V1234",
            "--subject",
            "Jo is leaving",
        ],
    );
    assert_eq!(t["ref"], "CD-000001");
    assert_eq!(t["queue"], "resolver");
    assert_eq!(
        t["work_from"], "2026-12-29T09:00:00Z",
        "Christmas, the Boxing Day substitute and the weekend are skipped"
    );
    assert_eq!(t["due_at"], "2026-12-30T17:00:00Z");
    assert_eq!(t["status"], "new");

    let simple = json(
        &db,
        CHRISTMAS_EVE_EVENING,
        &[
            "ticket",
            "new",
            "--category",
            "password-reset",
            "--channel",
            "email-helpdesk",
            "--requester-name",
            "Jo Bloggs",
            "--subject",
            "locked out",
        ],
    );
    assert_eq!(
        (simple["queue"].as_str(), simple["work_from"].as_str()),
        (Some("helpdesk"), Some(CHRISTMAS_EVE_EVENING))
    );

    let listed = json(&db, CHRISTMAS_EVE_EVENING, &["ticket", "list", "--queue", "resolver"]);
    let refs: Vec<_> = listed.as_array().unwrap().iter().map(|r| r["ref"].as_str().unwrap().to_owned()).collect();
    assert_eq!(refs, ["CD-000001"]);
}

#[test]
fn refused_input_says_what_to_do_exits_non_zero_and_writes_nothing() {
    let dir = ready();
    let db = dir.path().join("db");
    let before = audit_count(&db);
    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "account",
                "new",
                "--first",
                "Al",
                "--last",
                "Bo",
                "--mobile",
                "0161 496 0000",
                "--ods",
                "V1234",
                "--email",
                "a@b.org",
            ],
            "landline",
        ),
        (
            &[
                "account",
                "new",
                "--first",
                "Al",
                "--last",
                "Bo",
                "--mobile",
                "07700 900123",
                "--ods",
                "V1234",
                "--email",
                "a@b.org",
            ],
            "zoe.oneil@nhs.net",
        ),
        (&["account", "show", "nobody@nhs.net"], "caredesk account find"),
        // The service's words are the console's too; the command line adds its flags.
        (
            &[
                "account",
                "new",
                "--first",
                "Zoë",
                "--last",
                "O'Neil",
                "--mobile",
                "07700 900124",
                "--ods",
                "V1234",
                "--email",
                "zoe.other@example.org",
            ],
            "(repeat with --not-duplicate if so)",
        ),
        (&["account", "leaver", "zoe.oneil@nhs.net"], "(give it with --new-owner ADDRESS)"),
        (
            &[
                "ticket",
                "new",
                "--category",
                "missing-personal-account",
                "--channel",
                "email-nas",
                "--requester-name",
                "Al",
                "--subject",
                "no account",
            ],
            "--incomplete",
        ),
        (&["org", "add", "V1234", "--name", "Again", "--ig-compliant", "yes"], "already exists"),
        (&["ticket", "claim", "CD-999"], "no ticket"),
    ];
    for (args, hint) in cases {
        let out = caredesk(&db, WEDNESDAY_10AM, args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "one line on stderr for {args:?}: {err}");
        assert!(err.contains(hint), "{args:?} should mention {hint:?}: {err}");
    }
    assert_eq!(audit_count(&db), before, "a refused command writes nothing");
}

#[test]
fn an_owner_verified_reset_is_recorded_on_the_ticket_and_the_password_is_masked() {
    let dir = ready();
    let db = dir.path().join("db");
    ok(
        &db,
        WEDNESDAY_10AM,
        &[
            "account",
            "new",
            "--first",
            "Ali",
            "--last",
            "Khan",
            "--mobile",
            "07700900200",
            "--ods",
            "V1234",
            "--email",
            "ali@example.org",
        ],
    );
    ok(
        &db,
        WEDNESDAY_10AM,
        &[
            "ticket",
            "new",
            "--category",
            "password-reset",
            "--channel",
            "phone",
            "--requester-name",
            "Ali Khan",
            "--subject",
            "forgot password",
        ],
    );
    let out = ok(
        &db,
        WEDNESDAY_10AM,
        &[
            "account",
            "reset-password",
            "ali.khan@nhs.net",
            "--verified-by",
            "owner:zoe.oneil@nhs.net",
            "--mobile",
            "07700 900200",
            "--ticket",
            "CD-000001",
        ],
    );
    assert!(out.contains("07*** ***200"), "{out}");
    let ticket = ok(&db, WEDNESDAY_10AM, &["ticket", "show", "CD-1"]);
    assert!(ticket.contains("zoe.oneil@nhs.net") && ticket.contains("checked the caller locally"), "{ticket}");
    let outbox = ok(&db, WEDNESDAY_10AM, &["outbox"]);
    assert!(outbox.contains("********") && outbox.contains("ali.khan@nhs.net"), "{outbox}");
    let verified = ok(&db, WEDNESDAY_10AM, &["audit", "--verify"]);
    assert!(verified.starts_with("audit log intact"), "{verified}");
}

#[test]
fn the_actor_in_the_audit_log_is_the_operating_system_account() {
    let dir = ready();
    let db = dir.path().join("db");
    let ops = ok(&db, WEDNESDAY_10AM, &["operator", "list"]);
    let me = ops.split_whitespace().next().unwrap().to_owned();
    let out = caredesk(&db, WEDNESDAY_10AM, &["operator", "add", "helpdesk1", "--role", "helpdesk"]);
    assert!(out.status.success());
    let audit = ok(&db, WEDNESDAY_10AM, &["audit", "--limit", "1"]);
    assert!(audit.contains(&me) && audit.contains("operator.add"), "the actor is the OS user: {audit}");
}

#[test]
fn a_locked_database_gets_a_clear_error_not_the_storage_engines() {
    let dir = ready();
    let db = dir.path().join("db");
    let holder = caredesk::store::Store::open(&db, caredesk::store::OpenMode::Existing).unwrap();
    let out = caredesk(&db, WEDNESDAY_10AM, &["ticket", "list"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("in use by another caredesk process") && !err.contains("could not acquire lock"), "{err}");
    drop(holder);
    assert!(caredesk(&db, WEDNESDAY_10AM, &["ticket", "list"]).status.success());
}

#[test]
fn a_missing_database_says_how_to_create_one() {
    let dir = tempfile::tempdir().unwrap();
    let out = caredesk(&dir.path().join("nothing"), WEDNESDAY_10AM, &["ticket", "list"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("caredesk init"));
}

#[test]
fn claim_note_and_resolve_through_the_cli() {
    let dir = ready();
    let db = dir.path().join("db");
    ok(
        &db,
        WEDNESDAY_10AM,
        &[
            "ticket",
            "new",
            "--category",
            "general",
            "--channel",
            "email-nas",
            "--requester-name",
            "Jo Bloggs",
            "--subject",
            "question",
        ],
    );
    ok(&db, WEDNESDAY_10AM, &["ticket", "claim", "CD-000001"]);
    let again = caredesk(&db, WEDNESDAY_10AM, &["ticket", "claim", "CD-000001"]);
    assert!(!again.status.success());
    ok(&db, WEDNESDAY_10AM, &["ticket", "note", "CD-000001", "called back"]);
    ok(&db, WEDNESDAY_10AM, &["ticket", "status", "CD-000001", "resolved"]);
    let t = json(&db, WEDNESDAY_10AM, &["ticket", "show", "CD-000001"]);
    assert_eq!(t["status"], "resolved");
    assert!(t["assignee"].is_string());
    let open = json(&db, WEDNESDAY_10AM, &["ticket", "list"]);
    assert_eq!(open.as_array().map(Vec::len), Some(0), "a resolved ticket leaves the open list");
    let done = json(&db, WEDNESDAY_10AM, &["ticket", "list", "--status", "done"]);
    assert_eq!(done.as_array().map(Vec::len), Some(1));
}

#[test]
fn only_a_supervisor_may_act_at_another_time_because_permissions_follow_the_clock() {
    let dir = ready();
    let db = dir.path().join("db");
    let me = ok(&db, WEDNESDAY_10AM, &["operator", "list"]).split_whitespace().next().unwrap().to_owned();
    ok(&db, WEDNESDAY_10AM, &["operator", "role", &me, "helpdesk"]);
    let out = caredesk(&db, WEDNESDAY_10AM, &["ticket", "list"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("--now") && err.contains("supervisor"), "{err}");
    let real_clock =
        Command::new(env!("CARGO_BIN_EXE_caredesk")).arg("--db").arg(&db).args(["ticket", "list"]).output().unwrap();
    assert!(real_clock.status.success(), "{}", String::from_utf8_lossy(&real_clock.stderr));
}

#[test]
fn a_csv_with_bad_lines_imports_nothing_and_names_each_line_unless_told_to_skip_them() {
    let dir = ready();
    let db = dir.path().join("db");
    let csv = dir.path().join("orgs.csv");
    std::fs::write(
        &csv,
        "ods,name,ig_status\nV2001,Oak House,yes\nV2002,Elm Court,perhaps\nV 2003,Ash Lodge,no\nV2004,Birch View,dspt-standards-met\n",
    )
    .unwrap();
    let before = audit_count(&db);
    let out = caredesk(&db, WEDNESDAY_10AM, &["import", "orgs", csv.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains(":3:") && err.contains(":4:") && err.contains("nothing was imported"), "{err}");
    assert_eq!(audit_count(&db), before, "nothing written");

    let done = json(&db, WEDNESDAY_10AM, &["import", "orgs", csv.to_str().unwrap(), "--skip-bad"]);
    assert_eq!(done["imported"], 2);
    assert_eq!(done["skipped"].as_array().map(Vec::len), Some(2));
    assert!(ok(&db, WEDNESDAY_10AM, &["org", "show", "V2004"]).contains("Birch View"));
}

/// A daemon serving the database for as long as it lives.
struct Daemon(std::process::Child);

impl Daemon {
    fn serve(db: &Path) -> Daemon {
        let child = Command::new(env!("CARGO_BIN_EXE_caredesk"))
            .arg("--db")
            .arg(db)
            .args(["serve", "--sweep-every", "0"])
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("caredesk serve starts");
        let socket = caredesk::daemon::default_socket(db);
        let started = std::time::Instant::now();
        // Served, not merely bound: the socket can exist a moment before
        // the daemon answers on it.
        while !matches!(caredesk::daemon::Client::connect(&socket), Ok(caredesk::daemon::Connection::Served(_))) {
            assert!(started.elapsed() < std::time::Duration::from_secs(10), "no daemon answers after 10 s");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        Daemon(child)
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.0.id().to_string()]).status();
        let _ = self.0.wait();
    }
}

#[test]
fn the_same_commands_work_through_a_daemon() {
    let dir = ready();
    let db = dir.path().join("db");
    let _daemon = Daemon::serve(&db);
    // The daemon holds the database: anything that works now went through it.
    assert!(caredesk::store::Store::open(&db, caredesk::store::OpenMode::Existing).is_err());

    let csv = dir.path().join("orgs.csv");
    std::fs::write(&csv, "ods,name,ig_status\nV2001,Oak House,yes\nV2002,Elm Court,perhaps\n").unwrap();
    let before = audit_count(&db);
    let out = caredesk(&db, WEDNESDAY_10AM, &["import", "orgs", csv.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains(":3:") && err.contains("nothing was imported"), "{err}");
    assert_eq!(audit_count(&db), before, "nothing written");
    let done = json(&db, WEDNESDAY_10AM, &["import", "orgs", csv.to_str().unwrap(), "--skip-bad"]);
    assert_eq!(done["imported"], 1);
    // A file larger than one message is refused before it is sent.
    let huge = dir.path().join("huge.csv");
    let line = "V3001,A very long provider name for a very large file,yes\n";
    std::fs::write(&huge, format!("ods,name,ig_status\n{}", line.repeat((17 << 20) / line.len()))).unwrap();
    let out = caredesk(&db, WEDNESDAY_10AM, &["import", "orgs", huge.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("split it into smaller files"), "{err}");

    let new = json(
        &db,
        WEDNESDAY_10AM,
        &[
            "ticket",
            "new",
            "--category",
            "general",
            "--channel",
            "phone",
            "--requester-name",
            "Jo Bloggs",
            "--subject",
            "q",
        ],
    );
    let reference = new["ref"].as_str().expect("a reference").to_owned();
    ok(&db, WEDNESDAY_10AM, &["ticket", "claim", &reference]);
    let again = caredesk(&db, WEDNESDAY_10AM, &["ticket", "claim", &reference]);
    assert_eq!(again.status.code(), Some(1), "a second claim is refused");
    let said = String::from_utf8_lossy(&again.stderr);
    assert!(said.contains("already yours"), "{said}");
    let me = ok(&db, WEDNESDAY_10AM, &["operator", "list"]).split_whitespace().next().unwrap().to_owned();
    let audit = json(&db, WEDNESDAY_10AM, &["audit", "--limit", "1"]);
    assert_eq!(audit["audit"][0]["draft"]["action"], "ticket.claim");
    assert_eq!(audit["audit"][0]["draft"]["operator"], me.as_str(), "the actor is the account that connected");
    // A rehearsal through the daemon is still a supervisor's only.
    ok(&db, WEDNESDAY_10AM, &["operator", "role", &me, "helpdesk"]);
    let out = caredesk(&db, WEDNESDAY_10AM, &["ticket", "list"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--now"));
}

#[test]
fn serve_with_now_was_accepted_and_ignored() {
    let dir = ready();
    let db = dir.path().join("db");
    let out = caredesk(&db, WEDNESDAY_10AM, &["serve"]);
    assert!(!out.status.success(), "serve --now ran");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--now cannot be given"), "{stderr}");
}

#[test]
fn a_member_from_another_organisation_was_added_without_a_reason() {
    let dir = ready();
    let db = dir.path().join("db");
    ok(&db, WEDNESDAY_10AM, &["org", "add", "V9999", "--name", "Hilltop Care", "--ig-compliant", "yes"]);
    let bo = [
        "account",
        "new",
        "--first",
        "Bo",
        "--last",
        "Brown",
        "--mobile",
        "07700 900124",
        "--ods",
        "V9999",
        "--email",
        "bo@example.org",
    ];
    ok(&db, WEDNESDAY_10AM, &bo);
    let before = audit_count(&db);
    let out = caredesk(&db, WEDNESDAY_10AM, &["mailbox", "add-member", "sunrise@nhs.net", "bo.brown@nhs.net"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("belongs to V9999, not V1234") && stderr.contains("--reason"), "{stderr}");
    assert_eq!(audit_count(&db), before);
    let added = ok(
        &db,
        WEDNESDAY_10AM,
        &["mailbox", "add-member", "sunrise@nhs.net", "bo.brown@nhs.net", "--reason", "covers night shifts"],
    );
    assert!(added.contains("covers night shifts"), "{added}");
}

#[test]
fn one_operator_can_be_shown_through_the_daemon_and_directly() {
    let dir = ready();
    let db = dir.path().join("db");
    ok(&db, WEDNESDAY_10AM, &["operator", "add", "nina", "--role", "nas"]);
    let shown = ok(&db, WEDNESDAY_10AM, &["operator", "show", "nina"]);
    assert!(shown.starts_with("nina (NAS administrator, enabled) since 2026-01-07"), "{shown}");
    let _daemon = Daemon::serve(&db);
    let v = json(&db, WEDNESDAY_10AM, &["operator", "show", "nina"]);
    assert_eq!(v["operator"]["role"], "nas");
    let out = caredesk(&db, WEDNESDAY_10AM, &["operator", "show", "nobody"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("no operator nobody") && err.contains("`caredesk operator list`"), "{err}");
}

/// `caredesk` with `input` on its standard input, as a pipe.
fn caredesk_fed(db: &Path, args: &[&str], input: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_caredesk"))
        .arg("--db")
        .arg(db)
        .args(["--now", WEDNESDAY_10AM])
        .args(args)
        .env_remove("CAREDESK_DB")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the caredesk binary runs");
    child.stdin.take().expect("a pipe").write_all(input.as_bytes()).expect("the number is written");
    child.wait_with_output().expect("caredesk ends")
}

/// The check of a number read out, directly and through a daemon: 0 and
/// "matches" for the registered mobile in any spacing, 5 and "does NOT
/// match" for another, and neither answer shows the registered number.
#[test]
fn a_number_read_out_could_only_be_checked_by_revealing_the_mobile_and_now_the_command_line_checks_it() {
    let dir = ready();
    let db = dir.path().join("db");
    let check = |input: &str| caredesk_fed(&db, &["account", "verify-mobile", "zoe.oneil@nhs.net"], input);
    for round in ["directly", "through the daemon"] {
        let _daemon = (round == "through the daemon").then(|| Daemon::serve(&db));
        let out = check("07700 900 123\n");
        let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert_eq!(out.status.code(), Some(0), "{round}: {said}");
        assert!(said.contains("matches the registered mobile of zoe.oneil@nhs.net"), "{round}: {said}");
        let out = check("07700900999\n");
        let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert_eq!(out.status.code(), Some(5), "{round}: a mismatch has its own exit status: {said}");
        assert!(said.contains("does NOT match"), "{round}: {said}");
        assert!(!said.contains("900123") && !said.contains("900 123"), "{round}: the registered number stays hidden");
        assert!(!said.contains("900999"), "{round}: what was read out is not repeated: {said}");
        let out = check("\n");
        assert_eq!(out.status.code(), Some(1), "{round}: nothing read out is bad input");
        assert!(String::from_utf8_lossy(&out.stderr).contains("type the digits the caller reads out"));
    }
}

/// A reset verified by the number read out: a wrong number is refused with
/// nothing sent or written, the right one issues the password, and the
/// audit log says a number matched without holding it.
#[test]
fn a_reset_verified_by_the_number_read_out_is_refused_for_another_number_and_done_for_the_registered_one() {
    let dir = ready();
    let db = dir.path().join("db");
    let reset = ["account", "reset-password", "zoe.oneil@nhs.net", "--verified-by", "read-out"];
    let before = audit_count(&db);
    let sent = ok(&db, WEDNESDAY_10AM, &["outbox"]);
    let out = caredesk_fed(&db, &reset, "07700900999\n");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(audit_count(&db), before, "a refused reset writes nothing");
    assert_eq!(ok(&db, WEDNESDAY_10AM, &["outbox"]), sent, "and sends nothing");
    let out = caredesk_fed(&db, &reset, "07700 900123\n");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let audit = json(&db, WEDNESDAY_10AM, &["audit", "--limit", "1"]);
    let entry = &audit["audit"][0]["draft"];
    assert_eq!(entry["action"], "account.reset-password");
    let command = entry["command"].as_str().expect("the command");
    assert!(command.contains("mobile-read-out"), "{command}");
    assert!(!command.contains("900"), "the command audited does not hold the number read out: {command}");
}

/// At a terminal the digits are typed with the echo off: the screen never
/// shows them, and the terminal echoes again afterwards.
#[test]
fn the_number_typed_at_the_terminal_is_not_echoed() {
    let dir = ready();
    let db = dir.path().join("db");
    let command = format!(
        "{} --db {} --now {WEDNESDAY_10AM} account verify-mobile zoe.oneil@nhs.net; echo EXIT=$?; stty -a | grep -o -- '-\\?echo '; sleep 60",
        env!("CARGO_BIN_EXE_caredesk"),
        db.display()
    );
    let tmux = tmux::Tmux::start("verify-mobile", &command);
    tmux.wait_for("(not shown):");
    tmux.keys("07700 900123");
    let screen = tmux.screen();
    assert!(!screen.contains("900123"), "the digits are not echoed:\n{screen}");
    tmux.keys("<Enter>");
    let screen = tmux.wait_for("EXIT=");
    assert!(screen.contains("matches the registered mobile") && screen.contains("EXIT=0"), "{screen}");
    assert!(!screen.contains("900123"), "{screen}");
    assert!(screen.contains("\necho ") || screen.lines().any(|l| l.trim() == "echo"), "echo is back on:\n{screen}");
}
