//! Searching the demo database from the command line the way operators
//! type: lone accented first names, names with a particle, either order,
//! ODS codes without a digit, organisation names. Each test is named after
//! a search that found nothing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Mutex, MutexGuard, OnceLock};

use caredesk::service::Service;
use caredesk::store::OpenMode;
use serde_json::Value;

const WEDNESDAY_10AM: &str = "2026-01-07T10:00:00Z";

/// The demo database, and what the tests look for in it.
struct Demo {
    _dir: tempfile::TempDir,
    db: PathBuf,
    /// A person whose surname starts with a particle: (first, last, address).
    particle: (String, String, String),
    /// An organisation whose ODS code has no digit, and its mailboxes.
    letters_only: String,
    mailboxes_in_it: usize,
}

/// sled lets one process at a time open the database: the tests take turns.
fn turn() -> MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::new(());
    TURN.lock().unwrap_or_else(|p| p.into_inner())
}

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
    let _turn = turn();
    let out = caredesk(db, args);
    assert!(out.status.success(), "caredesk {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8 output")
}

fn found(db: &Path, args: &[&str]) -> Vec<Value> {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    match serde_json::from_str(&ok(db, &all)).expect("valid JSON") {
        Value::Array(list) => list,
        other => panic!("not a list: {other}"),
    }
}

fn addresses(list: &[Value]) -> Vec<&str> {
    list.iter().map(|v| v["address"].as_str().expect("an address")).collect()
}

fn demo() -> &'static Demo {
    static DEMO: OnceLock<Demo> = OnceLock::new();
    DEMO.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("demo");
        ok(&db, &["demo"]);
        let service = Service::open(&db, OpenMode::Existing).unwrap();
        let store = service.store();
        let particle = (1..=store.last_number("account").unwrap())
            .filter_map(|id| store.account(id).unwrap())
            .find_map(|a| {
                let p = a.personal.as_ref()?;
                p.last_name
                    .starts_with("ap ")
                    .then(|| (p.first_name.clone(), p.last_name.clone(), a.address.to_string()))
            })
            .expect("the demo has a surname with a particle");
        let mut per_org = std::collections::BTreeMap::<String, usize>::new();
        for id in 1..=store.last_number("mailbox").unwrap() {
            if let Some(m) = store.mailbox(id).unwrap() {
                if !m.ods.as_str().chars().any(|c| c.is_ascii_digit()) {
                    *per_org.entry(m.ods.to_string()).or_default() += 1;
                }
            }
        }
        let (letters_only, mailboxes_in_it) =
            per_org.into_iter().max_by_key(|(_, n)| *n).expect("the demo has an ODS code without a digit");
        drop(service);
        Demo { _dir: dir, db, particle, letters_only, mailboxes_in_it }
    })
}

#[test]
fn a_lone_accented_first_name_found_nothing() {
    let demo = demo();
    for (typed, first) in [("Zoë", "Zoë"), ("zoe", "Zoë"), ("ZOË", "Zoë"), ("Sinéad", "Sinéad"), ("sinead", "Sinéad")]
    {
        let list = found(&demo.db, &["account", "find", typed]);
        assert!(!list.is_empty(), "{typed:?} found nothing");
        for account in &list {
            assert_eq!(account["personal"]["first_name"], first, "{typed:?} found {account}");
        }
    }
}

#[test]
fn a_name_with_a_particle_in_natural_order_found_nothing() {
    let demo = demo();
    let (first, last, address) = &demo.particle;
    for typed in [format!("{first} {last}"), format!("{last}, {first}"), format!("{last} {first}")] {
        let list = found(&demo.db, &["account", "find", &typed]);
        assert_eq!(addresses(&list).first(), Some(&address.as_str()), "{typed:?}: {:?}", addresses(&list));
    }
}

#[test]
fn a_surname_typed_first_without_a_comma_found_nothing() {
    let demo = demo();
    for typed in ["mensah nicola", "nicola mensah", "mensah, nicola", "Mensah Nicola", "mens nic"] {
        let list = found(&demo.db, &["account", "find", typed]);
        assert_eq!(addresses(&list).first(), Some(&"nicola.mensah@nhs.net"), "{typed:?}: {:?}", addresses(&list));
    }
}

#[test]
fn an_ods_code_without_a_digit_found_nothing() {
    let demo = demo();
    let code = demo.letters_only.as_str();
    for typed in [code.to_owned(), code.to_lowercase()] {
        let mailboxes = found(&demo.db, &["mailbox", "find", &typed, "--limit", "500"]);
        assert_eq!(mailboxes.len(), demo.mailboxes_in_it, "{typed}: {:?}", addresses(&mailboxes));
        assert!(mailboxes.iter().all(|m| m["ods"] == code), "{typed}: {mailboxes:?}");
        let accounts = found(&demo.db, &["account", "find", &typed]);
        assert!(!accounts.is_empty(), "account find {typed} found nothing");
        assert!(accounts.iter().all(|a| a["ods"] == code), "{typed}: {:?}", addresses(&accounts));
    }
}

#[test]
fn results_did_not_show_the_organisation_name() {
    let demo = demo();
    let list = found(&demo.db, &["account", "find", "nicola mensah"]);
    let name = list[0]["organisation_name"].as_str().expect("the organisation's name").to_owned();
    // The fields scripts already read are all still there.
    for field in ["address", "ods", "status", "personal", "id"] {
        assert!(!list[0][field].is_null(), "{field} went missing: {}", list[0]);
    }
    let text = ok(&demo.db, &["account", "find", "nicola mensah"]);
    let line = text.lines().next().expect("a line");
    assert!(line.starts_with("nicola.mensah@nhs.net") && line.ends_with(&name), "{line:?}");
    let code = demo.letters_only.as_str();
    let mailboxes = found(&demo.db, &["mailbox", "find", code]);
    assert!(mailboxes[0]["organisation_name"].is_string(), "{}", mailboxes[0]);

    // The organisation's name finds its people and mailboxes too.
    let org_words: String = name.split_whitespace().take(2).collect::<Vec<_>>().join(" ");
    let by_org = found(&demo.db, &["account", "find", &org_words, "--limit", "500"]);
    assert!(addresses(&by_org).contains(&"nicola.mensah@nhs.net"), "{org_words:?}: {:?}", addresses(&by_org));
    let with_first = found(&demo.db, &["account", "find", &format!("nicola {org_words}")]);
    assert_eq!(addresses(&with_first).first(), Some(&"nicola.mensah@nhs.net"), "{:?}", addresses(&with_first));
}

#[test]
fn a_database_made_before_the_word_indexes_finds_by_first_name_once_opened() {
    let _turn = turn();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let run = |args: &[&str]| {
        let out = caredesk(&db, args);
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    run(&["init"]);
    run(&["org", "add", "VBDDU", "--name", "Oak Lodge", "--ig-compliant", "yes"]);
    run(&[
        "account",
        "new",
        "--first",
        "Zoë",
        "--last",
        "ap Dafydd",
        "--mobile",
        "07700 900123",
        "--ods",
        "VBDDU",
        "--email",
        "zoe@example.org",
    ]);
    {
        let service = Service::open(&db, OpenMode::Existing).unwrap();
        service.store().pretend_layout(1).unwrap();
    }
    {
        let service = Service::open(&db, OpenMode::Existing).unwrap();
        assert_eq!(
            service.store().raw_get(caredesk::store::TreeId::Meta, b"layout").unwrap(),
            Some(vec![caredesk::store::LAYOUT])
        );
    }
    for typed in ["Zoë", "zoe ap dafydd", "VBDDU", "oak lodge"] {
        let text = run(&["account", "find", typed]);
        assert!(text.starts_with("zoe.ap-dafydd@nhs.net"), "{typed:?}: {text}");
    }
}

#[test]
fn a_find_piped_into_head_panicked_on_the_broken_pipe() {
    use std::io::{BufRead, BufReader};
    let demo = demo();
    let _turn = turn();
    let mut child = Command::new(env!("CARGO_BIN_EXE_caredesk"))
        .arg("--db")
        .arg(&demo.db)
        .args(["--now", WEDNESDAY_10AM, "--json", "account", "find", "a", "--limit", "3000"])
        .env_remove("CAREDESK_DB")
        .env_remove("CAREDESK_SOCKET")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the caredesk binary runs");
    // `| head -1`: read one line, then close the pipe while caredesk still
    // has far more than a pipe's buffer to write.
    let mut reader = BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = String::new();
    reader.read_line(&mut first).unwrap();
    assert_eq!(first, "[\n");
    drop(reader);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked") && !stderr.contains("Broken pipe"), "{stderr}");
    assert!(matches!(out.status.code(), Some(0 | 141)), "{:?}: {stderr}", out.status);
}
