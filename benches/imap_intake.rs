//! Mail intake over IMAP from the local Dovecot that tests/mail/servers.sh
//! sets up (127.0.0.1:1143, STARTTLS, user `helpdesk`): messages a second
//! from APPENDed unseen messages to committed tickets, through the daemon's
//! own `imap::round` (UID SEARCH UNSEEN, fetch each with BODY.PEEK, take it
//! in with its own commit and flush, then mark it \Seen).
//!
//! Needs root for the servers; says why and does nothing without them.
//! `cargo bench --bench imap_intake`; figures in docs/performance.md.

use std::time::Instant;

use caredesk::domain::mail_reply::{ImapSettings, SmtpSecurity};
use caredesk::domain::routing::Channel;
use caredesk::mail::imap;
use caredesk::service::ops::Init;
use caredesk::service::{Ctx, Service};
use caredesk::store::OpenMode;
use chrono::Utc;

const BATCH: usize = 200;
const ROUNDS: usize = 5;

fn message(n: usize) -> String {
    format!(
        "From: Jo Bloggs <jo{n}@provider.example>\r\nTo: helpdesk@caredesk.test\r\nSubject: Password reset {n}\r\n\
         Message-ID: <imap-bench-{n}-{}@provider.example>\r\nDate: Wed, 7 Jan 2026 20:00:00 +0000\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         Hello,\r\n\r\nI am locked out of my NHSmail account. Our ODS code is V1234.\r\n\r\nJo Bloggs\r\n",
        std::process::id()
    )
}

#[path = "../tests/mail/start.rs"]
mod start;

fn main() {
    match start::start_servers() {
        start::Started::Ready => {}
        start::Started::Skipped(why) | start::Started::Failed(why) => {
            eprintln!("imap_intake: no local mail servers ({why}); nothing measured");
            return;
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let password = dir.path().join("password");
    std::fs::write(&password, "helpdesk-test\n").unwrap();
    let settings = ImapSettings {
        channel: Channel::EmailHelpdesk,
        host: "127.0.0.1".into(),
        port: 1143,
        security: SmtpSecurity::LocalPlain,
        username: "helpdesk".into(),
        password_file: password.display().to_string(),
        folder: "INBOX".into(),
        move_to: None,
    };
    let service = Service::open(&dir.path().join("db"), OpenMode::CreateIfMissing).unwrap();
    service.execute(&Ctx::new("bench", Utc::now()), &Init).unwrap();
    let mut session = imap::connect(&settings).expect("the bench logs in to the local Dovecot");
    let mut rates = Vec::new();
    for round in 0..ROUNDS {
        for n in 0..BATCH {
            session.append("INBOX", message(round * BATCH + n).as_bytes()).finish().expect("APPEND");
        }
        let started = Instant::now();
        let taken = imap::round(&mut session, &service, "bench", &settings).expect("a round");
        let spent = started.elapsed();
        assert_eq!(taken, BATCH, "every appended message is taken in");
        let rate = BATCH as f64 / spent.as_secs_f64();
        println!(
            "round {}: {BATCH} messages in {:.0} ms, {rate:.0} messages a second",
            round + 1,
            spent.as_secs_f64() * 1e3
        );
        rates.push(rate);
    }
    rates.sort_by(f64::total_cmp);
    println!(
        "imap intake: median {:.0} messages a second (min {:.0}, max {:.0}) over {ROUNDS} rounds of {BATCH}",
        rates[ROUNDS / 2],
        rates[0],
        rates[ROUNDS - 1]
    );
}
