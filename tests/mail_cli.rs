//! `caredesk mail import` as a script runs it: a Maildir or one file in,
//! tickets out, each message marked seen once it is on disk and never
//! taken in twice.

use std::path::Path;
use std::process::{Command, Output};

use caredesk::mail::maildir;

fn caredesk(db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_caredesk"))
        .arg("--db")
        .arg(db)
        .args(["--now", "2026-01-07T10:00:00Z"])
        .args(args)
        .env_remove("CAREDESK_DB")
        .output()
        .expect("the caredesk binary runs")
}

fn ok(out: Output) -> String {
    assert!(out.status.success(), "{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn request(n: u32) -> Vec<u8> {
    format!(
        "Received: from mx by imap; Wed, 7 Jan 2026 09:{n:02}:00 +0000\r\nFrom: Jo Bloggs <jo{n}@example.org>\r\n\
         To: helpdesk@nhs.net\r\nSubject: Password reset {n}\r\nMessage-ID: <cli-{n}@example.org>\r\n\r\nPlease reset it.\r\n"
    )
    .into_bytes()
}

#[test]
fn a_maildir_is_taken_in_once_and_marked_seen() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    ok(caredesk(&db, &["init"]));
    let mail = dir.path().join("Maildir");
    for n in 1..=3 {
        maildir::deliver(&mail, &format!("17000000{n}.x.host"), &request(n)).unwrap();
    }
    let first = ok(caredesk(&db, &["--json", "mail", "import", mail.to_str().unwrap()]));
    let report: serde_json::Value = serde_json::from_str(first.trim()).unwrap();
    assert_eq!(report["created"].as_array().unwrap().len(), 3, "{first}");
    assert_eq!(std::fs::read_dir(mail.join("new")).unwrap().count(), 0);
    // Addressed to the helpdesk, so logged as email to the helpdesk.
    let shown = ok(caredesk(&db, &["ticket", "show", "CD-000001"]));
    assert!(shown.contains("email-helpdesk"), "{shown}");
    let again = ok(caredesk(&db, &["mail", "import", mail.to_str().unwrap()]));
    assert!(again.contains("0 messages taken in"), "{again}");
    // The same message given again as a file is recognised.
    let file = dir.path().join("one.eml");
    std::fs::write(&file, request(2)).unwrap();
    let dup = ok(caredesk(&db, &["--json", "mail", "import", file.to_str().unwrap()]));
    assert!(dup.contains("\"duplicates\":1"), "{dup}");
}

#[test]
fn a_directory_that_is_not_a_maildir_is_refused_with_what_to_give() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    ok(caredesk(&db, &["init"]));
    let out = caredesk(&db, &["mail", "import", dir.path().to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Maildir") && err.contains(".eml"), "{err}");
}
