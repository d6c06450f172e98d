//! `caredesk mail import` as a script runs it: a Maildir or one file in,
//! tickets out, each message marked seen once it is on disk and never
//! taken in twice.

use std::path::Path;
use std::process::{Command, Output};

use caredesk::mail::maildir;

mod served;

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

/// A message with quoted history, an escape sequence in its body and a PDF.
fn with_attachment(n: u32) -> Vec<u8> {
    format!(
        "Received: from mx by imap; Wed, 7 Jan 2026 09:{n:02}:00 +0000\r\nFrom: Jo Bloggs <jo{n}@example.org>\r\n\
         To: careadmin@nhs.net\r\nSubject: Form attached {n}\r\nMessage-ID: <att-{n}@example.org>\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\nThe form is attached.\x1b[2J\r\n\r\n> quoted earlier mail\r\n\
         --b\r\nContent-Type: application/pdf; name=\"form.pdf\"\r\nContent-Disposition: attachment; filename=\"form.pdf\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQKJcOkw7zDtsOfCg==\r\n--b--\r\n"
    )
    .into_bytes()
}

#[test]
fn the_original_and_attachments_of_a_mailed_request_can_be_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    ok(caredesk(&db, &["init"]));
    let file = dir.path().join("request.eml");
    let raw = with_attachment(1);
    std::fs::write(&file, &raw).unwrap();
    ok(caredesk(&db, &["mail", "import", file.to_str().unwrap()]));

    let listed = ok(caredesk(&db, &["ticket", "mail", "CD-000001"]));
    assert!(listed.contains("1. ") && listed.contains("Form attached 1"), "{listed}");
    assert!(listed.contains("attachment 1: form.pdf (application/pdf"), "{listed}");

    // On a terminal or a pipe without --out: the whole original, quoted
    // history included, but never its escape sequences.
    let shown = ok(caredesk(&db, &["ticket", "original", "CD-000001"]));
    assert!(shown.contains("> quoted earlier mail"), "the full original is kept: {shown}");
    assert!(!shown.contains('\x1b'), "no escape sequence reaches the terminal: {shown:?}");

    // The exact bytes to a new file, private to the operator.
    let saved = dir.path().join("original.eml");
    ok(caredesk(&db, &["ticket", "original", "CD-000001", "--out", saved.to_str().unwrap()]));
    assert_eq!(std::fs::read(&saved).unwrap(), raw, "the original comes back byte for byte");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&saved).unwrap().permissions().mode() & 0o777, 0o600);
    let again = caredesk(&db, &["ticket", "original", "CD-000001", "--out", saved.to_str().unwrap()]);
    assert!(!again.status.success(), "an existing file is never overwritten");
    assert!(String::from_utf8_lossy(&again.stderr).contains("does not exist yet"), "{again:?}");

    let pdf = dir.path().join("form.pdf");
    ok(caredesk(&db, &["ticket", "attachment", "CD-000001", "1", "--out", pdf.to_str().unwrap()]));
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF-1.4"), "the attachment is decoded");
    let beyond = caredesk(&db, &["ticket", "attachment", "CD-000001", "2", "--out", "/dev/null"]);
    assert!(String::from_utf8_lossy(&beyond.stderr).contains("has 1 attachment(s)"), "{beyond:?}");
    let no_mail = caredesk(&db, &["ticket", "original", "CD-000001", "--mail", "2"]);
    assert!(String::from_utf8_lossy(&no_mail.stderr).contains("--mail 1 to 1"), "{no_mail:?}");
}

#[test]
fn policy_show_includes_the_mail_settings_and_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    ok(caredesk(&db, &["init"]));
    let password = dir.path().join("smtp-password");
    std::fs::write(&password, "s3cret-submission\n").unwrap();
    let file = password.to_str().unwrap();
    ok(caredesk(
        &db,
        &[
            "mail",
            "settings",
            "--smtp-host",
            "smtp.example.net",
            "--smtp-user",
            "caredesk",
            "--smtp-password-file",
            file,
        ],
    ));
    let shown = ok(caredesk(&db, &["policy", "show"]));
    assert!(shown.contains("NAS address") && shown.contains("smtp.example.net"), "{shown}");
    let json: serde_json::Value = serde_json::from_str(&ok(caredesk(&db, &["--json", "policy", "show"]))).unwrap();
    assert_eq!(json["mail"]["smtp"]["host"], "smtp.example.net", "{json}");
    for text in [shown, json.to_string()] {
        assert!(!text.contains("s3cret-submission"), "the password is never shown: {text}");
    }
}

fn served(db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_caredesk"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env_remove("CAREDESK_DB")
        .output()
        .expect("the caredesk binary runs")
}

#[test]
fn mail_import_was_refused_while_a_daemon_owned_the_database_and_now_goes_through_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    ok(caredesk(&db, &["init"]));
    let _daemon = served::Served::start(&db, 0o077);
    let mail = dir.path().join("Maildir");
    for n in 1..=3 {
        maildir::deliver(&mail, &format!("17000000{n}.x.host"), &request(n)).unwrap();
    }
    let first = ok(served(&db, &["--json", "mail", "import", mail.to_str().unwrap()]));
    let report: serde_json::Value = serde_json::from_str(first.trim()).unwrap();
    assert_eq!(report["created"].as_array().unwrap().len(), 3, "{first}");
    assert_eq!(std::fs::read_dir(mail.join("new")).unwrap().count(), 0, "each message is marked seen once taken in");
    let shown = ok(served(&db, &["ticket", "show", "CD-000002"]));
    assert!(shown.contains("Password reset 2") && shown.contains("email-helpdesk"), "{shown}");
    // The same message again, as a file: one ticket, and no second entry.
    let file = dir.path().join("one.eml");
    std::fs::write(&file, request(2)).unwrap();
    let dup = ok(served(&db, &["--json", "mail", "import", file.to_str().unwrap()]));
    assert!(dup.contains("\"duplicates\":1"), "{dup}");
    // Audited as mail taken in, as the daemon's own fetch is; the message
    // as it arrived is kept with its ticket, not copied into the log.
    let audit = ok(served(&db, &["--json", "audit", "--limit", "10"]));
    assert_eq!(audit.matches("\"action\": \"mail.take-in\"").count(), 3, "{audit}");
    assert!(!audit.contains("mail.deliver"), "{audit}");
    assert!(!audit.contains("Received: from mx"), "the raw message reached the audit log: {audit}");
    // A channel that mail does not arrive by is refused before anything is sent.
    let out = served(&db, &["mail", "import", "--channel", "phone", file.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("email-nas or email-helpdesk"));
}
