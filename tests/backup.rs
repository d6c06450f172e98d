//! Online backup and restore: a backup taken through the daemon while four
//! operators keep writing holds every write acknowledged before it began
//! and restores into a database whose audit log verifies; a damaged or
//! foreign file restores nothing; scheduled backups keep the newest N.

#[path = "console/world.rs"]
mod world;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use caredesk::daemon::backups::{BackupSchedule, scheduled_backups};
use caredesk::daemon::{Daemon, RemoteDesk};
use caredesk::desk::{Clock, DeskExt};
use caredesk::domain::permission::Role;
use caredesk::domain::ticket::TicketRef;
use caredesk::service::Service;
use caredesk::service::ops::*;
use caredesk::store::{BackupError, OpenMode, Store};
use world::{SUP, World, in_hours};

const BIN: &str = env!("CARGO_BIN_EXE_caredesk");

fn desk(daemon: &Daemon, operator: &str) -> RemoteDesk {
    let client = daemon.connect(operator).unwrap_or_else(|e| panic!("{operator} could not connect: {e}"));
    RemoteDesk::new(Arc::new(client), Clock::Fixed(in_hours()))
}

/// Every note text in the ticket's timeline, as the restored database has it.
fn timeline(service: &Service, reference: TicketRef) -> String {
    let ctx = caredesk::service::Ctx::new(SUP, in_hours());
    format!("{:?}", service.execute(&ctx, &ShowTicket { reference }).expect("the ticket").timeline)
}

#[test]
fn a_backup_under_four_writers_holds_every_acknowledged_write_and_the_restored_copy_verifies() {
    let world = World::new();
    let writers: Vec<String> = (1..=4).map(|i| format!("nas{i}")).collect();
    for name in &writers {
        world.run(SUP, in_hours(), &AddOperator { username: name.clone(), role: Role::Nas });
    }
    let daemon = Daemon::without_socket(world.service.clone()).with_clock(Clock::Fixed(in_hours()));
    daemon.start_relay().expect("the relay starts");
    let target = TicketRef(1);
    let stop = AtomicBool::new(false);
    let began = std::sync::OnceLock::<Instant>::new();
    let (acknowledged, made) = std::thread::scope(|s| {
        let handles: Vec<_> = writers
            .iter()
            .map(|name| {
                let d = desk(&daemon, name);
                let stop = &stop;
                s.spawn(move || {
                    let mut acked = Vec::new();
                    let mut n = 0;
                    while !stop.load(Ordering::Relaxed) {
                        n += 1;
                        let text = format!("{name} note {n}");
                        match d.call(Note { reference: target, text: text.clone() }) {
                            Ok(_) => acked.push((Instant::now(), text)),
                            Err(e) if e.is_conflict() => {}
                            Err(e) => panic!("{name}'s note failed: {e}"),
                        }
                    }
                    acked
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(400));
        let sup = desk(&daemon, SUP);
        let file = world.dir.path().join("online.backup");
        let _ = began.set(Instant::now());
        let made = sup.call(Backup { path: file }).expect("the backup");
        std::thread::sleep(Duration::from_millis(200));
        stop.store(true, Ordering::Relaxed);
        let acked: Vec<(Instant, String)> = handles.into_iter().flat_map(|h| h.join().expect("a writer")).collect();
        (acked, made)
    });
    let began = *began.get().expect("the backup began");
    let before: Vec<&String> = acknowledged.iter().filter(|(at, _)| *at < began).map(|(_, t)| t).collect();
    let after = acknowledged.len() - before.len();
    assert!(before.len() >= 8, "the writers wrote before the backup ({} notes)", before.len());
    assert!(after > 0, "the writers kept writing during and after the backup");
    eprintln!(
        "backup: {} entries, {} bytes, writes paused {} µs; {} notes before it began, {after} after",
        made.entries,
        made.bytes,
        made.paused_micros,
        before.len()
    );
    assert!(made.paused_micros < 500_000, "writes were paused for {} µs", made.paused_micros);

    let restored_dir = world.dir.path().join("restored");
    let restored = Store::restore(&made.path, &restored_dir).expect("the restore");
    assert_eq!(restored.entries, made.entries);
    let service = Service::open(&restored_dir, OpenMode::Existing).expect("the restored database opens");
    let proved = service.verify_audit().expect("the restored audit log verifies");
    assert_eq!(proved, made.audit_head, "the restored log ends where the backup's did");
    let notes = timeline(&service, target);
    for text in before {
        assert!(notes.contains(&format!("{text:?}")), "{text} was acknowledged before the backup but is missing");
    }
    // One instant: every note the copy's audit log holds is in the copy's
    // ticket, and every note in the ticket has its audit entry.
    let mut audited = Vec::new();
    service
        .store()
        .audit_walk(|entry| {
            audited.push(entry.draft.command.clone());
            true
        })
        .expect("the restored log reads");
    assert_eq!(service.store().audit_head().unwrap(), audited.len() as u64, "the head names the last entry copied");
    for (_, text) in &acknowledged {
        let in_log = audited.iter().any(|c| c.contains(&format!("{text:?}")));
        let in_ticket = notes.contains(&format!("{text:?}"));
        assert_eq!(in_log, in_ticket, "{text}: in the audit log {in_log}, in the ticket {in_ticket}");
    }
}

/// A small database with a few audited changes, and a backup of it.
fn backed_up() -> (World, std::path::PathBuf) {
    let world = World::new();
    let file = world.dir.path().join("small.backup");
    world.service.store().backup(&file).expect("the backup");
    (world, file)
}

#[test]
fn a_backup_file_is_owner_only_and_never_replaces_an_existing_file() {
    let (world, file) = backed_up();
    let mode = std::fs::metadata(&file).expect("the file").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the backup holds everything the database does");
    let precious = world.dir.path().join("precious.txt");
    std::fs::write(&precious, "keep me").unwrap();
    let err = world.service.store().backup(&precious).expect_err("an existing file");
    assert!(matches!(err, BackupError::TargetExists { .. }), "{err}");
    assert_eq!(std::fs::read_to_string(&precious).unwrap(), "keep me");
    let leftovers: Vec<_> = std::fs::read_dir(world.dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().contains("partial"))
        .collect();
    assert!(leftovers.is_empty(), "no temporary file is left behind");
}

fn restore_err(file: &Path, into: &Path) -> BackupError {
    let err = Store::restore(file, into).expect_err("the restore is refused");
    assert!(!into.join("conf").exists(), "a refused restore makes no database at {}", into.display());
    err
}

#[test]
fn restore_refuses_a_damaged_file_another_format_and_a_directory_in_use_and_makes_nothing() {
    let (world, file) = backed_up();
    let bytes = std::fs::read(&file).unwrap();
    let at = |name: &str| world.dir.path().join(name);

    let mut flipped = bytes.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x40;
    std::fs::write(at("flipped.backup"), &flipped).unwrap();
    let err = restore_err(&at("flipped.backup"), &at("from-flipped"));
    assert!(matches!(err, BackupError::Damaged { .. }), "{err}");
    assert!(err.to_string().contains("nothing was restored"), "{err}");

    std::fs::write(at("cut.backup"), &bytes[..bytes.len() - 10]).unwrap();
    let err = restore_err(&at("cut.backup"), &at("from-cut"));
    assert!(matches!(err, BackupError::Damaged { .. }), "{err}");

    let mut newer = bytes.clone();
    newer[16..18].copy_from_slice(&99u16.to_be_bytes());
    std::fs::write(at("newer.backup"), &newer).unwrap();
    let err = restore_err(&at("newer.backup"), &at("from-newer"));
    assert!(matches!(err, BackupError::Format { found: 99, .. }), "{err}");

    std::fs::write(at("notes.txt"), "not a backup").unwrap();
    let err = restore_err(&at("notes.txt"), &at("from-notes"));
    assert!(matches!(err, BackupError::NotABackup { .. }), "{err}");

    let busy = at("busy");
    std::fs::create_dir(&busy).unwrap();
    std::fs::write(busy.join("something"), "mine").unwrap();
    let err = restore_err(&file, &busy);
    assert!(matches!(err, BackupError::NotEmpty { .. }), "{err}");
    assert_eq!(std::fs::read_to_string(busy.join("something")).unwrap(), "mine");

    let empty = at("empty");
    std::fs::create_dir(&empty).unwrap();
    Store::restore(&file, &empty).expect("an empty directory takes a restore");
    Service::open(&empty, OpenMode::Existing).expect("it opens").verify_audit().expect("and verifies");
}

fn caredesk(db: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(BIN)
        .arg("--db")
        .arg(db)
        .args(args)
        .env_remove("CAREDESK_DB")
        .env_remove("CAREDESK_SOCKET")
        .output()
        .expect("the caredesk binary runs")
}

#[test]
fn the_command_line_backs_up_without_a_daemon_and_restores_a_database_that_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let out = caredesk(&db, &["init"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let file = dir.path().join("cli.backup");
    let out = caredesk(&db, &["backup", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("backup written to") && said.contains("paused"), "{said}");

    let again = caredesk(&db, &["backup", file.to_str().unwrap()]);
    assert!(!again.status.success(), "a second backup to the same file is refused");
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("never replaces"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );

    let restored = dir.path().join("restored");
    let out = caredesk(&restored, &["restore", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = caredesk(&restored, &["audit", "--verify"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("intact"));

    let out = caredesk(&restored, &["restore", file.to_str().unwrap()]);
    assert!(!out.status.success(), "a restore over a database is refused");
    assert!(String::from_utf8_lossy(&out.stderr).contains("already holds files"));
}

#[test]
fn scheduled_backups_are_named_by_time_keep_the_newest_and_a_failing_round_does_not_stop_the_daemon() {
    let world = World::new();
    let dir = world.dir.path().join("backups");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("notes.txt"), "not ours").unwrap();
    let schedule = BackupSchedule { every: Duration::from_millis(1100), dir: dir.clone(), keep: 2 };
    let daemon = Daemon::without_socket(world.service.clone()).with_backups(schedule);
    let stop = daemon.stop_handle();
    let running = std::thread::spawn(move || daemon.run());
    std::thread::sleep(Duration::from_millis(4000));
    stop.stop();
    running.join().expect("the daemon thread").expect("the daemon stops cleanly");
    let kept = scheduled_backups(&dir).expect("the folder");
    assert_eq!(kept.len(), 2, "three rounds ran and the oldest was pruned: {kept:?}");
    assert!(dir.join("notes.txt").exists(), "a file that is not a scheduled backup is never removed");
    for file in &kept {
        caredesk::store::read_backup(file, |_, _, _| Ok(())).expect("each kept backup is whole");
    }

    // A folder that cannot be written: every round fails, the daemon serves on.
    let gone = world.dir.path().join("not-a-folder");
    std::fs::write(&gone, "a file").unwrap();
    let schedule = BackupSchedule { every: Duration::from_millis(300), dir: gone, keep: 2 };
    let daemon =
        Daemon::without_socket(world.service.clone()).with_clock(Clock::Fixed(in_hours())).with_backups(schedule);
    daemon.start_relay().expect("the relay");
    let stop = daemon.stop_handle();
    let sup = desk(&daemon, SUP);
    let running = std::thread::spawn(move || daemon.run());
    std::thread::sleep(Duration::from_millis(1000));
    sup.call(ShowShift {}).expect("the daemon still answers after failed backups");
    stop.stop();
    running.join().expect("the daemon thread").expect("the daemon stops cleanly");
}

#[test]
fn a_snapshot_waits_for_a_write_in_progress_and_holds_new_writes_back_until_it_has_copied() {
    let world = World::new();
    let store = world.service.store();
    let finished = AtomicBool::new(false);
    std::thread::scope(|s| {
        let turn = store.writes_open();
        let taker = s.spawn(|| {
            let snapshot = store.snapshot().expect("the snapshot");
            finished.store(true, Ordering::SeqCst);
            snapshot
        });
        std::thread::sleep(Duration::from_millis(300));
        assert!(!finished.load(Ordering::SeqCst), "the snapshot began while a write was half done");
        drop(turn);
        let snapshot = taker.join().expect("the snapshot thread");
        assert!(snapshot.paused >= Duration::from_millis(250), "the wait counts as paused: {:?}", snapshot.paused);
    });
}

#[test]
fn doctor_reports_the_age_of_the_newest_scheduled_backup_when_a_folder_is_set() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    assert!(caredesk(&db, &["init"]).status.success());
    let backups = dir.path().join("backups");
    std::fs::create_dir(&backups).unwrap();
    let doctor = |with_dir: bool| {
        let mut cmd = std::process::Command::new(BIN);
        cmd.arg("--db").arg(&db).arg("doctor").env_remove("CAREDESK_DB").env_remove("CAREDESK_SOCKET");
        if with_dir {
            cmd.env("CAREDESK_BACKUP_DIR", &backups);
        } else {
            cmd.env_remove("CAREDESK_BACKUP_DIR");
        }
        String::from_utf8_lossy(&cmd.output().expect("doctor runs").stdout).into_owned()
    };
    assert!(!doctor(false).contains("backups"), "no folder, no line");
    let none = doctor(true);
    assert!(none.lines().any(|l| l.starts_with("FIX") && l.contains("no backup in")), "{none}");
    let store = Store::open(&db, OpenMode::Existing).unwrap();
    store.backup(&backups.join(caredesk::daemon::backups::backup_name(chrono::Utc::now()))).unwrap();
    drop(store);
    let one = doctor(true);
    assert!(one.lines().any(|l| l.starts_with("ok") && l.contains("was written 0 h 0 min ago")), "{one}");
}

#[test]
fn the_command_line_backs_up_through_a_running_daemon_which_also_backs_up_on_its_schedule() {
    use caredesk::daemon::{Client, Connection};
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    assert!(caredesk(&db, &["init"]).status.success());
    let scheduled = dir.path().join("scheduled");
    let socket = caredesk::daemon::default_socket(&db);
    let mut child = std::process::Command::new(BIN)
        .arg("--db")
        .arg(&db)
        .args(["serve", "--sweep-every", "0", "--mail-every", "0", "--backup-every", "1s", "--backup-keep", "2"])
        .arg("--backup-dir")
        .arg(&scheduled)
        .env_remove("CAREDESK_DB")
        .env_remove("CAREDESK_SOCKET")
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("caredesk serve starts");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !matches!(Client::connect(&socket), Ok(Connection::Served(_))) {
        assert!(Instant::now() < deadline, "the daemon did not answer within 10 s");
        std::thread::sleep(Duration::from_millis(20));
    }
    // A relative path names a file in the caller's folder, not the daemon's.
    let out = std::process::Command::new(BIN)
        .arg("--db")
        .arg(&db)
        .args(["backup", "through-daemon.backup"])
        .current_dir(dir.path())
        .env_remove("CAREDESK_DB")
        .env_remove("CAREDESK_SOCKET")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let file = dir.path().join("through-daemon.backup");
    assert!(file.exists(), "{}", String::from_utf8_lossy(&out.stdout));
    let inside = db.join("inside.backup");
    let out = caredesk(&db, &["backup", inside.to_str().unwrap()]);
    assert!(!out.status.success() && !inside.exists(), "a backup inside the database is refused");
    std::thread::sleep(Duration::from_millis(3500));
    let _ = child.kill();
    let _ = child.wait();
    let kept = scheduled_backups(&scheduled).unwrap();
    assert_eq!(kept.len(), 2, "the schedule ran and kept two: {kept:?}");
    let restored = dir.path().join("restored");
    Store::restore(&file, &restored).expect("the restore");
    Service::open(&restored, OpenMode::Existing).unwrap().verify_audit().expect("the restored log verifies");
}

#[test]
fn a_write_inside_a_batch_does_not_deadlock_against_a_waiting_snapshot() {
    let world = World::new();
    let store = world.service.store();
    std::thread::scope(|s| {
        let outer = store.writes_open();
        let taker = s.spawn(|| store.snapshot().expect("the snapshot").entries());
        std::thread::sleep(Duration::from_millis(200));
        // The snapshot now waits; a second turn on this thread must not.
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        s.spawn(move || {
            done_rx.recv_timeout(Duration::from_secs(5)).expect("the inner turn was taken at once");
        });
        let inner = store.writes_open();
        done_tx.send(()).unwrap();
        drop(inner);
        drop(outer);
        assert!(taker.join().expect("the snapshot thread") > 0);
    });
}
