//! End to end against real mail servers from Debian's packages (started by
//! tests/mail/servers.sh on 127.0.0.1): a request mailed to the NAS box
//! becomes a routed ticket with its fields proposed, its acknowledgement
//! arrives in the requester's mailbox, the requester's answer threads onto
//! the ticket, and an operator's reply arrives threaded.
//!
//! Intake here is the daemon's watched Maildir (the one Postfix delivers
//! the NAS box to); sending is SMTP submission to Postfix. Skipped, with
//! the reason, when not root or the servers cannot be installed; under CI
//! (CI=true, as root) it must run.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use caredesk::mail::{InboundMail, parse};
use chrono::Utc;
use lettre::{SmtpTransport, Transport};

const NAS_MAILDIR: &str = "/home/careadmin/Maildir";
const REQUESTER_MAILDIR: &str = "/home/requester/Maildir";

#[path = "mail/start.rs"]
mod start;

fn servers_ready() -> bool {
    let required = std::env::var("CI").is_ok_and(|v| v == "true") && nix::unistd::geteuid().is_root();
    match start::start_servers() {
        start::Started::Ready => true,
        start::Started::Skipped(why) if !required => {
            eprintln!("skipped: {why}");
            false
        }
        start::Started::Skipped(why) | start::Started::Failed(why) => {
            panic!("the mail servers could not be started:\n{why}")
        }
    }
}

fn caredesk(db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_caredesk"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env_remove("CAREDESK_DB")
        .output()
        .expect("the caredesk binary runs")
}

fn ok(out: Output) -> String {
    assert!(out.status.success(), "{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.0.id().to_string()]).status();
        let _ = self.0.wait();
    }
}

fn until<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let started = Instant::now();
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn submit(raw: String) {
    submit_to("careadmin@caredesk.test", raw)
}

fn submit_to(to: &str, raw: String) {
    let smtp = SmtpTransport::builder_dangerous("127.0.0.1").port(2525).build();
    let envelope =
        lettre::address::Envelope::new(Some("requester@caredesk.test".parse().unwrap()), vec![to.parse().unwrap()])
            .unwrap();
    smtp.send_raw(&envelope, raw.replace('\n', "\r\n").as_bytes()).expect("postfix takes the message");
}

fn mailbox(dir: &str) -> Vec<InboundMail> {
    let mut out = Vec::new();
    for sub in ["new", "cur"] {
        let Ok(entries) = std::fs::read_dir(PathBuf::from(dir).join(sub)) else { continue };
        for e in entries.flatten() {
            if let Ok(raw) = std::fs::read(e.path()) {
                out.push(parse(&raw, Utc::now()));
            }
        }
    }
    out
}

fn ticket(db: &Path, reference: &str) -> Option<String> {
    let out = caredesk(db, &["ticket", "show", reference]);
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Both tests share the servers' mailboxes, which the script empties.
static SERVERS: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn a_mailed_request_is_acknowledged_answered_and_threaded_through_real_servers() {
    let _servers = SERVERS.lock().unwrap_or_else(|p| p.into_inner());
    if !servers_ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    ok(caredesk(&db, &["init"]));
    ok(caredesk(&db, &["org", "add", "VN3K7", "--name", "Sunrise Care", "--ig", "yes"]));
    ok(caredesk(
        &db,
        &[
            "mail",
            "settings",
            "--nas-address",
            "careadmin@caredesk.test",
            "--helpdesk-address",
            "helpdesk@caredesk.test",
            "--smtp-host",
            "127.0.0.1",
            "--smtp-security",
            "local-plain",
            "--smtp-port",
            "2525",
        ],
    ));
    let daemon = Daemon(
        Command::new(env!("CARGO_BIN_EXE_caredesk"))
            .arg("--db")
            .arg(&db)
            .args(["serve", "--sweep-every", "0", "--mail-every", "1", "--maildir", NAS_MAILDIR])
            .stderr(Stdio::null())
            .spawn()
            .expect("caredesk serve starts"),
    );
    until("the daemon's socket", || caredesk::daemon::default_socket(&db).exists().then_some(()));

    submit(
        "From: Priya Shah <requester@caredesk.test>\nTo: careadmin@caredesk.test\nSubject: New starter needs an account\n\
         Message-ID: <e2e-request@caredesk.test>\n\nHello,\n\nAmelia Jones starts on Monday. Our ODS code is VN3K7.\n\nPriya Shah\n"
            .into(),
    );
    let shown = until("the request to become a ticket", || ticket(&db, "CD-000001"));
    assert!(shown.contains("email-nas") && shown.contains("VN3K7") && shown.contains("new account"), "{shown}");
    assert!(shown.contains("proposed from the email"), "{shown}");

    let ack = until("the acknowledgement to arrive", || {
        mailbox(REQUESTER_MAILDIR).into_iter().find(|m| m.subject.starts_with("[CD-000001]"))
    });
    assert!(ack.body.contains("We have logged it as CD-000001"), "{}", ack.body);
    assert_eq!(ack.in_reply_to.first().map(String::as_str), Some("e2e-request@caredesk.test"));
    let ack_id = ack.key.message_id().expect("the acknowledgement has a Message-ID").to_owned();

    submit(format!(
        "From: Priya Shah <requester@caredesk.test>\nTo: careadmin@caredesk.test\nSubject: Re: your email\n\
         Message-ID: <e2e-answer@caredesk.test>\nIn-Reply-To: <{ack_id}>\nReferences: <e2e-request@caredesk.test> <{ack_id}>\n\n\
         Her mobile is 07700 900123.\n\nOn Monday, NAS wrote:\n> We have logged it\n"
    ));
    until("the answer to thread onto the ticket", || {
        ticket(&db, "CD-000001").filter(|t| t.contains("Her mobile is 07700 900123"))
    });
    assert!(ticket(&db, "CD-000002").is_none(), "the answer opened no ticket of its own");

    ok(caredesk(&db, &["ticket", "reply", "CD-000001", "Thank you: the account is being made."]));
    let reply = until("the operator's reply to arrive", || {
        mailbox(REQUESTER_MAILDIR).into_iter().find(|m| m.subject.starts_with("Re: [CD-000001]"))
    });
    assert_eq!(reply.body, "Thank you: the account is being made.");
    assert!(reply.in_reply_to.iter().any(|id| id == "e2e-answer@caredesk.test"), "{:?}", reply.in_reply_to);
    drop(daemon);
    let outbox = ok(caredesk(&db, &["mail", "outbox", "--ticket", "CD-000001"]));
    assert_eq!(outbox.lines().filter(|l| l.contains("— sent ")).count(), 2, "{outbox}");
}

#[test]
fn mail_fetched_over_imap_becomes_a_ticket_and_is_marked_seen_after_the_commit() {
    let _servers = SERVERS.lock().unwrap_or_else(|p| p.into_inner());
    if !servers_ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let password = dir.path().join("imap-password");
    std::fs::write(&password, "helpdesk-test\n").unwrap();
    ok(caredesk(&db, &["init"]));
    let spec = format!("email-helpdesk,127.0.0.1,1143,local-plain,helpdesk,{}", password.display());
    let shown = ok(caredesk(
        &db,
        &[
            "mail",
            "settings",
            "--nas-address",
            "careadmin@caredesk.test",
            "--helpdesk-address",
            "helpdesk@caredesk.test",
            "--imap",
            &spec,
        ],
    ));
    assert!(!shown.contains("helpdesk-test"), "the password is never shown: {shown}");
    let _daemon = Daemon(
        Command::new(env!("CARGO_BIN_EXE_caredesk"))
            .arg("--db")
            .arg(&db)
            .args(["serve", "--sweep-every", "0", "--mail-every", "1"])
            .stderr(Stdio::null())
            .spawn()
            .expect("caredesk serve starts"),
    );
    until("the daemon's socket", || caredesk::daemon::default_socket(&db).exists().then_some(()));
    submit_to(
        "helpdesk@caredesk.test",
        "From: Jo Bloggs <requester@caredesk.test>\nTo: helpdesk@caredesk.test\nSubject: Password reset\n\
         Message-ID: <imap-request@caredesk.test>\n\nI am locked out of my account.\n"
            .into(),
    );
    let shown = until("the IMAP message to become a ticket", || ticket(&db, "CD-000001"));
    assert!(shown.contains("email-helpdesk"), "{shown}");
    // Dovecot keeps \Seen as the S flag of the file name.
    until("the message to be marked seen", || {
        std::fs::read_dir("/home/helpdesk/Maildir/cur")
            .ok()?
            .flatten()
            .any(|e| e.file_name().to_string_lossy().rsplit_once(":2,").is_some_and(|(_, f)| f.contains('S')))
            .then_some(())
    });
    std::thread::sleep(Duration::from_secs(2));
    assert!(ticket(&db, "CD-000002").is_none(), "the message was taken in once");
}

/// Starts `caredesk serve` taking mail in every second, with the CA file
/// the TLS connections are verified against.
fn serve_with_ca(db: &Path, ca: &str) -> Daemon {
    let daemon = Daemon(
        Command::new(env!("CARGO_BIN_EXE_caredesk"))
            .arg("--db")
            .arg(db)
            .args(["serve", "--sweep-every", "0", "--mail-every", "1"])
            .env("SSL_CERT_FILE", ca)
            .env_remove("SSL_CERT_DIR")
            .stderr(Stdio::null())
            .spawn()
            .expect("caredesk serve starts"),
    );
    until("the daemon's socket", || caredesk::daemon::default_socket(db).exists().then_some(()));
    daemon
}

const TEST_CA: &str = "/etc/caredesk-test-tls/ca.pem";
const OTHER_CA: &str = "/etc/caredesk-test-tls/other-ca.pem";

/// Mail settings with both boxes over TLS (the NAS box by STARTTLS on 1143,
/// the helpdesk box over TLS on 1993) and submission by STARTTLS.
fn tls_settings(db: &Path, dir: &Path) {
    let careadmin = dir.join("careadmin-password");
    let helpdesk = dir.join("helpdesk-password");
    std::fs::write(&careadmin, "careadmin-test\n").unwrap();
    std::fs::write(&helpdesk, "helpdesk-test\n").unwrap();
    let nas = format!("email-nas,127.0.0.1,1143,starttls,careadmin,{}", careadmin.display());
    let out_of_hours = format!("email-helpdesk,127.0.0.1,1993,tls,helpdesk,{}", helpdesk.display());
    ok(caredesk(
        db,
        &[
            "mail",
            "settings",
            "--nas-address",
            "careadmin@caredesk.test",
            "--helpdesk-address",
            "helpdesk@caredesk.test",
            "--smtp-host",
            "127.0.0.1",
            "--smtp-security",
            "starttls",
            "--smtp-port",
            "2525",
            "--imap",
            &nas,
            "--imap",
            &out_of_hours,
        ],
    ));
}

/// A new starter request to the NAS box.
fn new_starter(message_id: &str) -> String {
    format!(
        "From: Priya Shah <requester@caredesk.test>\nTo: careadmin@caredesk.test\nSubject: New starter\n\
         Message-ID: <{message_id}>\n\nAmelia Jones starts on Monday.\n"
    )
}

/// A fresh database with the TLS settings; `None` when the servers are not
/// there (and the test may skip).
fn tls_database() -> Option<(tempfile::TempDir, PathBuf)> {
    if !servers_ready() {
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    ok(caredesk(&db, &["init"]));
    tls_settings(&db, dir.path());
    Some((dir, db))
}

#[test]
fn mail_goes_in_and_out_over_tls_verified_against_the_servers_ca() {
    let _servers = SERVERS.lock().unwrap_or_else(|p| p.into_inner());
    let Some((_dir, db)) = tls_database() else { return };
    let _daemon = serve_with_ca(&db, TEST_CA);
    submit(new_starter("tls-nas@caredesk.test"));
    submit_to(
        "helpdesk@caredesk.test",
        "From: Jo Bloggs <requester@caredesk.test>\nTo: helpdesk@caredesk.test\nSubject: Password reset\n\
         Message-ID: <tls-helpdesk@caredesk.test>\n\nI am locked out.\n"
            .into(),
    );
    let tickets = until("both messages to become tickets", || {
        let (a, b) = (ticket(&db, "CD-000001")?, ticket(&db, "CD-000002")?);
        Some(a + &b)
    });
    assert!(tickets.contains("email-nas"), "taken in by STARTTLS: {tickets}");
    assert!(tickets.contains("email-helpdesk"), "taken in over TLS: {tickets}");
    // The acknowledgements went out by STARTTLS submission.
    until("both acknowledgements to arrive", || {
        let acks = mailbox(REQUESTER_MAILDIR).into_iter().filter(|m| m.subject.starts_with("[CD-00000")).count();
        (acks == 2).then_some(())
    });
}

#[test]
fn a_mail_server_whose_certificate_no_trusted_ca_signed_is_refused() {
    let _servers = SERVERS.lock().unwrap_or_else(|p| p.into_inner());
    let Some((_dir, db)) = tls_database() else { return };
    let daemon = serve_with_ca(&db, OTHER_CA);
    submit(new_starter("untrusted@caredesk.test"));
    let log = caredesk::cli::todays_log_file(&db);
    let said = until("the refusal to be logged", || {
        let text = std::fs::read_to_string(&log).ok()?;
        text.contains("certificate").then_some(text)
    });
    assert!(said.contains("TLS with 127.0.0.1"), "{said}");
    assert!(!said.contains("careadmin-test"), "the password is never logged: {said}");
    drop(daemon);
    assert!(ticket(&db, "CD-000001").is_none(), "nothing was taken in from an unverified server");
    // It stays on the server, unread, for when the certificate is fixed.
    until("the message to be delivered and left unread", || {
        (std::fs::read_dir(format!("{NAS_MAILDIR}/new")).ok()?.count() == 1).then_some(())
    });
}
