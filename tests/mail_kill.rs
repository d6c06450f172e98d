//! A daemon killed with SIGKILL while it takes in mail, many times over,
//! loses no message and makes no ticket twice: every message ends up as
//! exactly one ticket, because a message is marked seen only after its
//! ticket is committed and flushed, and its Message-ID is recorded in the
//! same transaction.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use caredesk::domain::ticket::TicketRef;
use caredesk::mail::{maildir, parse};
use caredesk::service::Service;
use caredesk::store::OpenMode;
use chrono::Utc;

const MESSAGES: u32 = 600;
const KILLS: u32 = 20;

fn serve(db: &Path, mail: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_caredesk"))
        .arg("--db")
        .arg(db)
        .args(["serve", "--sweep-every", "0", "--mail-every", "1", "--maildir"])
        .arg(mail)
        .stderr(Stdio::null())
        .spawn()
        .expect("caredesk serve starts")
}

fn unseen(mail: &Path) -> usize {
    maildir::pending(mail).map(|p| p.len()).unwrap_or(usize::MAX)
}

#[test]
fn every_message_is_one_ticket_however_often_the_daemon_is_killed() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let init = Command::new(env!("CARGO_BIN_EXE_caredesk")).arg("--db").arg(&db).arg("init").output().unwrap();
    assert!(init.status.success(), "{}", String::from_utf8_lossy(&init.stderr));
    let mail = dir.path().join("Maildir");
    let mut raws = Vec::new();
    for n in 0..MESSAGES {
        let raw = format!(
            "From: Jo Bloggs <jo{n}@example.org>\r\nTo: careadmin@nhs.net\r\nSubject: Password reset {n}\r\n\
             Message-ID: <kill-{n}@example.org>\r\nDate: Wed, 7 Jan 2026 10:00:00 +0000\r\n\r\nPlease reset it.\r\n"
        );
        maildir::deliver(&mail, &format!("{:06}.kill.host", n), raw.as_bytes()).unwrap();
        raws.push(raw);
    }
    // Kill at varied moments: now and then before intake can have begun,
    // most often just after it is seen to have begun, so that the kills
    // land mid-intake however fast or loaded the machine is.
    let mut seed = 7u64;
    let mut mid_intake = 0;
    for round in 0..KILLS {
        let before = unseen(&mail);
        let mut child = serve(&db, &mail);
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let jitter = Duration::from_millis((seed >> 33) % 60);
        if round % 4 == 3 {
            std::thread::sleep(jitter);
        } else {
            let started = Instant::now();
            while unseen(&mail) == before {
                assert!(started.elapsed() < Duration::from_secs(60), "the daemon took in nothing for 60 s");
                std::thread::sleep(Duration::from_millis(2));
            }
            std::thread::sleep(jitter);
        }
        child.kill().unwrap();
        child.wait().unwrap();
        let after = unseen(&mail);
        if after > 0 && after < before {
            mid_intake += 1;
        }
        if after == 0 {
            break;
        }
    }
    eprintln!("{mid_intake} kills landed while mail was being taken in");
    assert!(mid_intake >= 3, "only {mid_intake} kills landed while mail was being taken in");
    // Let a last daemon finish the rest.
    let mut child = serve(&db, &mail);
    let started = Instant::now();
    while unseen(&mail) > 0 {
        assert!(started.elapsed() < Duration::from_secs(120), "{} messages still unseen", unseen(&mail));
        std::thread::sleep(Duration::from_millis(100));
    }
    child.kill().unwrap();
    child.wait().unwrap();

    let service = Service::open(&db, OpenMode::Existing).unwrap();
    let store = service.store();
    let tickets: Vec<_> =
        (1..=store.last_number("ticket").unwrap()).filter_map(|n| store.ticket(TicketRef(n)).unwrap()).collect();
    assert_eq!(tickets.len(), MESSAGES as usize, "one ticket per message");
    let mut seen = std::collections::HashSet::new();
    for raw in &raws {
        let m = parse(raw.as_bytes(), Utc::now());
        let record = store.mail(&m.key).unwrap().unwrap_or_else(|| panic!("{} was lost", m.key));
        assert!(seen.insert(record.ticket), "two messages on {}", record.ticket);
        assert!(store.ticket(record.ticket).unwrap().is_some());
    }
}
