//! The database and its log are for the daemon's own user only: directories
//! 0700 and files 0600, whatever the umask it was started with, and a
//! database left open to the group by an earlier release is closed again
//! when it is opened. The socket's directory and the socket stay open to
//! the caredesk group, or no operator could connect.
//!
//! This broke under the shipped unit (UMask=0027): `db/` was 0750 or 0755
//! and its files 0640 or 0644, so any member of the group could read every
//! mobile and the audit log with `strings`.

mod served;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use caredesk::daemon::RemoteDesk;
use caredesk::desk::{Clock, DeskExt};
use caredesk::service::ops::AddOperator;
use served::{Served, caredesk, client};

/// The umask the shipped systemd unit gives the daemon.
fn unit_umask() -> u32 {
    let unit = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/caredesk.service"))
        .expect("assets/caredesk.service");
    let line = unit.lines().find_map(|l| l.trim().strip_prefix("UMask=")).expect("the unit sets a UMask");
    u32::from_str_radix(line.trim(), 8).unwrap_or_else(|e| panic!("UMask={line} is not octal: {e}"))
}

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())).permissions().mode() & 0o7777
}

/// Every path under `dir`, `dir` included.
fn everything_in(dir: &Path) -> Vec<PathBuf> {
    let mut found = vec![dir.to_owned()];
    let mut i = 0;
    while i < found.len() {
        if found[i].is_dir() {
            let entries = std::fs::read_dir(&found[i]).expect("a directory listing");
            found.extend(entries.map(|e| e.expect("an entry").path()));
        }
        i += 1;
    }
    found
}

/// What in the database directory, or the log, someone other than the owner
/// may read, write or enter.
fn open_to_others(db: &Path) -> Vec<String> {
    let mut paths = everything_in(db);
    paths.push(caredesk::cli::todays_log_file(db));
    paths.into_iter().filter(|p| mode(p) & 0o077 != 0).map(|p| format!("{} {:o}", p.display(), mode(&p))).collect()
}

/// Makes a database and a daemon under `umask`, writes through the daemon
/// until sled has made its snapshot files, and stops it.
fn serve_and_write(db: &Path, umask: u32) {
    caredesk(db, umask, &["init"]);
    let mut daemon = Served::start(db, umask);
    let socket_dir = daemon.socket.parent().expect("the socket's directory").to_owned();
    assert_eq!(mode(&socket_dir), 0o750, "the group must still reach the socket's directory");
    assert_eq!(mode(&daemon.socket), 0o660, "the group must still reach the socket");
    let desk = RemoteDesk::new(std::sync::Arc::new(client(&daemon.socket)), Clock::System);
    for i in 0..20 {
        let user = format!("op{i}");
        desk.call(AddOperator { username: user, role: caredesk::domain::permission::Role::Nas })
            .expect("an operator added");
    }
    drop(desk);
    assert!(daemon.terminate().success(), "the daemon stops cleanly");
}

#[test]
fn the_shipped_unit_keeps_the_database_and_log_to_the_daemons_user() {
    let umask = unit_umask();
    assert_eq!(umask & 0o077, 0o077, "UMask={umask:04o} in the unit lets the group or others read new files");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let db = dir.path().join("db");
    serve_and_write(&db, umask);
    assert_eq!(open_to_others(&db), Vec::<String>::new());
}

#[test]
fn under_a_permissive_umask_the_database_and_log_are_still_the_owners_only() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let db = dir.path().join("db");
    serve_and_write(&db, 0o022);
    assert!(everything_in(&db).iter().any(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("snap."))));
    assert_eq!(open_to_others(&db), Vec::<String>::new());
    assert_eq!(mode(&db), 0o700);
    assert_eq!(mode(&caredesk::cli::todays_log_file(&db)), 0o600);
}

#[test]
fn a_database_left_open_to_the_group_is_closed_when_it_is_next_opened() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let db = dir.path().join("db");
    caredesk(&db, 0o022, &["init"]);
    // As an earlier release left it.
    for path in everything_in(&db).into_iter().chain([caredesk::cli::todays_log_file(&db)]) {
        let wide = if path.is_dir() { 0o755 } else { 0o644 };
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(wide)).expect("chmod");
    }
    assert!(!open_to_others(&db).is_empty());
    caredesk(&db, 0o022, &["status"]);
    assert_eq!(open_to_others(&db), Vec::<String>::new());
}
