//! A CSV import through the daemon must not cost anyone else their writes:
//! the daemon is killed (SIGKILL) in the middle of an import, again and
//! again, while another operator adds notes, and every note the other
//! operator was told was saved is there after a restart, with the audit
//! chain intact.
//!
//! This broke when the import's deferred flush was one switch for the whole
//! process: every commit skipped its flush while any import ran.

mod served;

use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use caredesk::daemon::RemoteDesk;
use caredesk::desk::{Clock, DeskExt};
use caredesk::domain::routing::{Category, Channel};
use caredesk::service::ops::*;
use served::{Served, client, shell};

/// Kill cycles: each one an import killed part way with notes going on.
const CYCLES: usize = 12;
/// Organisations per import file: more than an import gets through before
/// the kill, so that every kill lands inside the import.
const ORGS_PER_IMPORT: usize = 12_000;

fn desk(socket: &Path) -> RemoteDesk {
    RemoteDesk::new(Arc::new(client(socket)), Clock::System)
}

fn ticket_for(cycle: usize) -> CreateTicket {
    CreateTicket {
        category: Category::General,
        channel: Channel::Phone,
        received_at: None,
        requester_name: "Pat Lee".into(),
        requester_email: None,
        requester_phone: None,
        ods: None,
        account: None,
        mailbox: None,
        mailbox_name: None,
        subject: format!("Notes during import {cycle}"),
        body: "Notes are added while an import runs.".into(),
        incomplete: true,
    }
}

fn ods(cycle: usize, line: usize) -> String {
    format!("Q{cycle:02}{line:05}")
}

fn orgs_csv(cycle: usize) -> String {
    let mut csv = String::from("ods,name,ig_status\n");
    for line in 0..ORGS_PER_IMPORT {
        csv.push_str(&format!("{},Imported Care Home {cycle} {line},yes\n", ods(cycle, line)));
    }
    csv
}

/// Whether the import has written the organisation on this line yet.
fn imported(desk: &RemoteDesk, cycle: usize, line: usize) -> bool {
    desk.call(ShowOrganisation { ods: ods(cycle, line) }).is_ok()
}

#[test]
fn notes_acknowledged_while_an_import_runs_survive_the_daemon_being_killed() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let db = dir.path().join("db");
    served::caredesk(&db, 0o022, &["init"]);
    let mut lost = Vec::new();
    for cycle in 0..CYCLES {
        let mut daemon = Served::start(&db, 0o022);
        let reference = match desk(&daemon.socket).call(ticket_for(cycle)) {
            Ok(done) => done.record.reference,
            Err(e) => panic!("the ticket for cycle {cycle}: {e}"),
        };
        let file = dir.path().join(format!("orgs-{cycle}.csv"));
        std::fs::write(&file, orgs_csv(cycle)).expect("the CSV file");
        let mut import = shell(&db, 0o022, &["import", "orgs", file.to_str().expect("a UTF-8 path")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("caredesk import starts");

        // The other operator notes away on their ticket until the daemon goes.
        let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
        let writing = Arc::new(AtomicBool::new(true));
        let writer = {
            let (desk, acknowledged, writing) = (desk(&daemon.socket), Arc::clone(&acknowledged), Arc::clone(&writing));
            std::thread::spawn(move || {
                for i in 0.. {
                    if !writing.load(Ordering::SeqCst) {
                        return;
                    }
                    let text = format!("cycle {cycle} note {i}");
                    match desk.call(Note { reference, text: text.clone() }) {
                        Ok(_) => acknowledged.lock().unwrap().push(text),
                        Err(_) => return,
                    }
                }
            })
        };

        // Kill once the import is writing, at a different point each time.
        let watcher = desk(&daemon.socket);
        let deadline = Instant::now() + Duration::from_secs(60);
        while !imported(&watcher, cycle, 0) {
            assert!(Instant::now() < deadline, "cycle {cycle}: the import wrote nothing within 60 s");
            std::thread::sleep(Duration::from_millis(10));
        }
        std::thread::sleep(Duration::from_millis(150 + 70 * cycle as u64));
        let notes_before_kill = acknowledged.lock().unwrap().len();
        assert!(
            import.try_wait().expect("the import's status").is_none(),
            "cycle {cycle}: the import finished before the kill; make ORGS_PER_IMPORT larger"
        );
        assert!(!imported(&watcher, cycle, ORGS_PER_IMPORT - 1), "cycle {cycle}: the import is already done");
        drop(watcher);
        daemon.kill();
        writing.store(false, Ordering::SeqCst);
        writer.join().expect("the note writer");
        let _ = import.wait();
        let acknowledged = acknowledged.lock().unwrap().clone();
        assert!(notes_before_kill > 0, "cycle {cycle}: no note was acknowledged during the import");

        let daemon = Served::start(&db, 0o022);
        let timeline =
            desk(&daemon.socket).call(ShowTicket { reference }).expect("the ticket after the restart").timeline;
        lost.extend(acknowledged.iter().filter(|text| !timeline.iter().any(|e| &e.text == *text)).cloned());
        let verified = desk(&daemon.socket).call(VerifyAudit { anchor: None }).expect("the audit chain is intact");
        assert!(format!("{verified:?}").contains("AuditVerified"), "cycle {cycle}: {verified:?}");
    }
    assert!(lost.is_empty(), "{} acknowledged notes were lost: {lost:?}", lost.len());
    // With the last daemon gone, the command line's own check agrees.
    let verified = served::caredesk(&db, 0o022, &["audit", "--verify"]);
    assert!(verified.contains("audit log intact"), "audit --verify said: {verified}");
    // Each import was killed inside a batch: every organisation it left has
    // its audit entry, and every entry it left has its organisation.
    let store = caredesk::store::Store::open(&db, caredesk::store::OpenMode::Existing).expect("the database");
    let mut audited = std::collections::BTreeSet::new();
    store
        .audit_walk(|e| {
            if e.draft.action == "org.add" && e.draft.subject.starts_with('Q') {
                assert!(audited.insert(e.draft.subject.clone()), "{} was added twice", e.draft.subject);
            }
            true
        })
        .expect("the audit log");
    let stored: std::collections::BTreeSet<String> = store
        .organisations_named("", usize::MAX)
        .expect("the organisations")
        .into_iter()
        .map(|o| o.ods.to_string())
        .filter(|ods| ods.starts_with('Q'))
        .collect();
    assert!(!stored.is_empty(), "no import wrote anything before its kill");
    assert_eq!(stored, audited, "organisations and their audit entries differ after the kills");
}
