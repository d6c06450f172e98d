//! `caredesk doctor`: checks a deployment and says what to fix, one line per
//! check, each problem with the command that fixes it. It exits 1 when
//! anything needs fixing, so a monitoring job can run it.
//!
//! It only reads: it changes no file and no record. What it cannot see (a
//! directory it may not enter, a daemon that refuses it) it says it could
//! not check rather than guessing.

use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use chrono::{Days, NaiveDate};
use nix::unistd::{Group, Uid, User};

use super::open_service;
use crate::config::Config;
use crate::daemon::{Client, Connection, DEFAULT_GROUP, RemoteDesk};
use crate::desk::Clock;
use crate::desk::DeskExt;
use crate::service::ops::{ShowPolicy, ShowShift};
use crate::store::OpenMode;

/// Free space below either of these needs fixing: sled grows before it
/// compacts, and a full disk stops every write.
const MIN_FREE_BYTES: u64 = 1 << 30;
const MIN_FREE_PERCENT: u64 = 5;

/// The account the package makes to own the data and run the daemon.
const DAEMON_USER: &str = "caredesk";

/// How far ahead the bank holiday calendar must reach.
const CALENDAR_AHEAD_DAYS: u64 = 365;

#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    Ok,
    Fix,
    /// Not checked, and why; not a failure by itself.
    Unknown,
}

struct Report {
    lines: Vec<(Verdict, String, String)>,
}

impl Report {
    fn ok(&mut self, what: &str, text: impl Into<String>) {
        self.lines.push((Verdict::Ok, what.to_owned(), text.into()));
    }
    fn fix(&mut self, what: &str, text: impl Into<String>) {
        self.lines.push((Verdict::Fix, what.to_owned(), text.into()));
    }
    fn unknown(&mut self, what: &str, text: impl Into<String>) {
        self.lines.push((Verdict::Unknown, what.to_owned(), text.into()));
    }
}

/// What the calendar and gateway checks read, from the daemon or from the
/// database opened here.
struct Reading {
    calendar_ends: Option<NaiveDate>,
    policy_sms: Option<String>,
}

/// The account that should own the data: the `caredesk` user, when there is one.
fn daemon_user() -> Option<User> {
    User::from_name(DAEMON_USER).ok().flatten()
}

/// How to run a command as the data's owner, for the fixes we print.
fn as_owner(command: &str) -> String {
    match daemon_user() {
        Some(u) if Uid::effective() != u.uid => format!("sudo -u {} {command}", u.name),
        _ => command.to_owned(),
    }
}

fn mode(meta: &std::fs::Metadata) -> u32 {
    meta.mode() & 0o7777
}

/// Files under `dir` that others or the group may read or write.
fn open_files(dir: &Path, found: &mut Vec<PathBuf>, limit: usize) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let meta = entry.metadata()?;
        if mode(&meta) & 0o077 != 0 {
            found.push(entry.path());
            if found.len() >= limit {
                return Ok(());
            }
        }
        if meta.is_dir() {
            open_files(&entry.path(), found, limit)?;
        }
    }
    Ok(())
}

fn check_database(config: &Config, r: &mut Report) {
    let db = &config.db.value;
    let meta = match std::fs::metadata(db) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return r.fix(
                "database",
                format!("there is no database at {}: run `{}`", db.display(), as_owner("caredesk init")),
            );
        }
        Err(e) => return r.unknown("database", format!("could not look at {}: {e}", db.display())),
    };
    let mut problems = Vec::new();
    if mode(&meta) & 0o077 != 0 {
        problems.push(format!("the directory is {:o}, not 700", mode(&meta)));
    }
    let mut open = Vec::new();
    match open_files(db, &mut open, 5) {
        Ok(()) if !open.is_empty() => problems.push(format!(
            "{} can be read by others than its owner (files should be 600)",
            open.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
        )),
        Ok(()) => {}
        Err(e) => r.unknown(
            "database files",
            format!("could not look inside {} ({e}): run doctor as root to check", db.display()),
        ),
    }
    if let Some(owner) = daemon_user() {
        if meta.uid() != owner.uid.as_raw() {
            problems.push(format!("it is not owned by {}: `chown -R {0}:{0} {}`", owner.name, db.display()));
        }
    }
    if problems.is_empty() {
        r.ok("database", format!("{} ok: directory 700, files 600", db.display()));
    } else {
        r.fix(
            "database",
            format!("{}: {}; fix the modes with `chmod -R go-rwx {}`", db.display(), problems.join("; "), db.display()),
        );
    }
}

fn check_group(r: &mut Report) -> Option<Group> {
    match Group::from_name(DEFAULT_GROUP) {
        Ok(Some(g)) => {
            let members = g.mem.len();
            r.ok("group", format!("{} exists ({members} member{})", g.name, if members == 1 { "" } else { "s" }));
            Some(g)
        }
        _ => {
            r.fix(
                "group",
                "there is no caredesk group, so operators cannot reach the daemon: reinstall the package, or \
                 `groupadd --system caredesk`",
            );
            None
        }
    }
}

fn check_socket(config: &Config, group: Option<&Group>, r: &mut Report) {
    let socket = &config.socket.value;
    let dir = socket.parent().unwrap_or(Path::new("."));
    let want_gid = group.map(|g| g.gid.as_raw());
    if let Ok(meta) = std::fs::metadata(dir) {
        let mut problems = Vec::new();
        if mode(&meta) & 0o007 != 0 {
            problems.push(format!("{} is {:o}: others may enter it; `chmod 750 {0}`", dir.display(), mode(&meta)));
        }
        if want_gid.is_some_and(|g| g != meta.gid()) {
            problems.push(format!("{} is not in the caredesk group: `chgrp caredesk {0}`", dir.display()));
        }
        if problems.is_empty() {
            r.ok("socket directory", format!("{} ok: 750, group caredesk", dir.display()));
        } else {
            r.fix("socket directory", problems.join("; "));
        }
    }
    match std::fs::symlink_metadata(socket) {
        Ok(meta) if meta.file_type().is_socket() => {
            if mode(&meta) & 0o007 != 0 || want_gid.is_some_and(|g| g != meta.gid()) {
                r.fix(
                    "socket",
                    format!(
                        "{} is {:o} in group {}: restart the daemon (`systemctl restart caredesk`), which makes it 660 \
                         in the caredesk group",
                        socket.display(),
                        mode(&meta),
                        meta.gid()
                    ),
                );
            } else {
                r.ok("socket", format!("{} ok: 660, group caredesk", socket.display()));
            }
        }
        Ok(_) => r.fix("socket", format!("{} is not a socket: move it away and restart the daemon", socket.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => r.fix(
            "socket",
            format!("there is no socket at {}: start the daemon (`systemctl enable --now caredesk`)", socket.display()),
        ),
        Err(e) => r.unknown("socket", format!("could not look at {}: {e}", socket.display())),
    }
}

/// Asks the daemon, or failing that the database opened here, for the
/// calendar and the policy's gateway.
fn read_settings(config: &Config, clock: Clock, r: &mut Report) -> Option<Reading> {
    let socket = &config.socket.value;
    match Client::connect(socket) {
        Ok(Connection::Served(client)) => {
            r.ok("daemon", format!("answers at {} (you are {})", socket.display(), client.operator()));
            let desk = RemoteDesk::new(std::sync::Arc::new(client), clock);
            let calendar_ends = desk.call(ShowShift {}).ok()?.calendar_ends;
            let policy_sms = desk.call(ShowPolicy {}).ok()?.sms_command;
            Some(Reading { calendar_ends, policy_sms })
        }
        Ok(Connection::NoDaemon) => {
            r.fix("daemon", format!("nothing answers at {}: `systemctl enable --now caredesk`", socket.display()));
            // Opened only by its owner: a file sled writes as another user
            // (root, say) would lock the daemon out of its own database.
            let owner = std::fs::metadata(&config.db.value).map(|m| m.uid());
            if owner.ok() != Some(Uid::effective().as_raw()) {
                return None;
            }
            match open_service(&config.db.value, OpenMode::Existing, config) {
                Ok(service) => Some(Reading {
                    calendar_ends: service.hours().holidays().last_date(),
                    policy_sms: service.policy().sms_command,
                }),
                Err(_) => None,
            }
        }
        Err(e) if e.is_unavailable() => {
            r.fix("daemon", format!("{e}"));
            None
        }
        // It answered, and refused this user: it is up.
        Err(e) => {
            r.ok("daemon", format!("answers at {}, but not to you: {e}", socket.display()));
            None
        }
    }
}

fn check_calendar(reading: Option<&Reading>, today: NaiveDate, r: &mut Report) {
    let import = "import a newer GOV.UK bank-holidays.json with `caredesk policy calendar FILE`";
    match reading {
        None => r.unknown(
            "calendar",
            format!("could not read it: run doctor as an operator, or `{}`", as_owner("caredesk doctor")),
        ),
        Some(Reading { calendar_ends: None, .. }) => r.fix("calendar", format!("there are no bank holidays: {import}")),
        Some(Reading { calendar_ends: Some(end), .. }) => {
            let horizon = today.checked_add_days(Days::new(CALENDAR_AHEAD_DAYS)).unwrap_or(today);
            if *end < horizon {
                r.fix("calendar", format!("the bank holidays end on {end}, less than a year away: {import}"));
            } else {
                r.ok("calendar", format!("bank holidays known until {end}"));
            }
        }
    }
}

fn check_gateway(config: &Config, reading: Option<&Reading>, r: &mut Report) {
    if let Some(file) = &config.sms_credentials {
        match std::fs::metadata(&file.value) {
            Ok(meta) if mode(&meta) & 0o007 != 0 => {
                r.fix("sms credentials", format!("{} can be read by every user: `chmod 640 {0}`", file.value.display()))
            }
            Ok(_) => r.ok("sms credentials", format!("{} ok", file.value.display())),
            Err(e) => r.fix("sms credentials", format!("{} ({}): {e}", file.value.display(), file.origin)),
        }
    }
    match (&config.sms_command, reading.map(|x| &x.policy_sms)) {
        (Some(command), _) => r.ok("sms gateway", format!("`{}` ({})", command.value, command.origin)),
        (None, Some(Some(command))) => r.ok("sms gateway", format!("`{command}` (the database's policy)")),
        (None, Some(None)) => r.fix(
            "sms gateway",
            "none: temporary passwords stay in the outbox and reach nobody; set [sms] command in \
             /etc/caredesk/caredesk.toml",
        ),
        (None, None) => {
            r.unknown("sms gateway", "no [sms] command in the config, and the database's policy could not be read")
        }
    }
}

fn check_disk(config: &Config, r: &mut Report) {
    let mut place = config.db.value.as_path();
    while !place.exists() {
        match place.parent() {
            Some(p) if !p.as_os_str().is_empty() => place = p,
            _ => return r.unknown("disk", "no directory of the database exists to measure"),
        }
    }
    match nix::sys::statvfs::statvfs(place) {
        Ok(fs) => {
            let block = fs.fragment_size();
            let free = fs.blocks_available() * block;
            let total = (fs.blocks() * block).max(1);
            let percent = free * 100 / total;
            let text = format!("{} MiB free on {} ({percent}%)", free >> 20, place.display());
            if free < MIN_FREE_BYTES || percent < MIN_FREE_PERCENT {
                r.fix("disk", format!("only {text}: free space before the database fills it"));
            } else {
                r.ok("disk", text);
            }
        }
        Err(e) => r.unknown("disk", format!("could not measure {}: {e}", place.display())),
    }
}

/// Runs every check and prints the report.
pub fn run(config: &Config, clock: Clock) -> Result<()> {
    let mut r = Report { lines: Vec::new() };
    let read: Vec<String> =
        config.files.iter().filter(|(_, found)| *found).map(|(p, _)| p.display().to_string()).collect();
    if read.is_empty() {
        r.ok("config", "no config file; defaults and the environment apply (see `caredesk config show`)");
    } else {
        r.ok("config", format!("read {}", read.join(", ")));
    }
    check_database(config, &mut r);
    let group = check_group(&mut r);
    check_socket(config, group.as_ref(), &mut r);
    let reading = read_settings(config, clock, &mut r);
    check_calendar(reading.as_ref(), clock.now().date_naive(), &mut r);
    check_gateway(config, reading.as_ref(), &mut r);
    check_disk(config, &mut r);
    check_backups(&mut r);

    let width = r.lines.iter().map(|l| l.1.len()).max().unwrap_or(0);
    for (verdict, what, text) in &r.lines {
        let mark = match verdict {
            Verdict::Ok => "ok ",
            Verdict::Fix => "FIX",
            Verdict::Unknown => " ? ",
        };
        println!("{mark} {what:<width$}  {text}");
    }
    let to_fix = r.lines.iter().filter(|l| l.0 == Verdict::Fix).count();
    match to_fix {
        0 => Ok(()),
        1 => bail!("1 thing needs fixing (the FIX line above)"),
        n => bail!("{n} things need fixing (the FIX lines above)"),
    }
}

/// How long ago the newest scheduled backup was written, when a backup
/// folder is configured (`CAREDESK_BACKUP_DIR`, as `serve --backup-dir`).
fn check_backups(r: &mut Report) {
    let Some(dir) = std::env::var_os("CAREDESK_BACKUP_DIR").map(PathBuf::from) else {
        return;
    };
    let shown = crate::text::one_line(&dir.display().to_string()).into_owned();
    match crate::daemon::backups::last_backup_age(&dir) {
        Ok(Some((_, age))) => {
            let hours = age.as_secs() / 3600;
            let minutes = (age.as_secs() % 3600) / 60;
            r.ok("backups", format!("the newest backup in {shown} was written {hours} h {minutes} min ago"))
        }
        Ok(None) => r.fix(
            "backups",
            format!("no backup in {shown} yet: run `caredesk backup {shown}/first.backup`, or start `caredesk serve --backup-every 6h`"),
        ),
        Err(e) => r.unknown("backups", format!("could not read {shown}: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn verdict(reading: Option<Reading>, today: &str) -> (Verdict, String) {
        let mut r = Report { lines: Vec::new() };
        check_calendar(reading.as_ref(), date(today), &mut r);
        let (v, _, text) = r.lines.pop().unwrap();
        (v, text)
    }

    #[test]
    fn a_calendar_ending_within_a_year_needs_a_newer_one() {
        let ends = |d: &str| Some(Reading { calendar_ends: Some(date(d)), policy_sms: None });
        assert_eq!(verdict(ends("2028-12-26"), "2026-06-01").0, Verdict::Ok);
        let (v, text) = verdict(ends("2026-12-28"), "2026-06-01");
        assert_eq!(v, Verdict::Fix);
        assert!(text.contains("caredesk policy calendar FILE"), "{text}");
        assert_eq!(verdict(None, "2026-06-01").0, Verdict::Unknown);
    }

    #[test]
    fn files_readable_by_others_are_found_however_deep() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("blobs")).unwrap();
        let private = dir.path().join("conf");
        let shared = dir.path().join("blobs").join("1");
        std::fs::write(&private, "x").unwrap();
        std::fs::write(&shared, "x").unwrap();
        std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::fs::set_permissions(dir.path().join("blobs"), std::fs::Permissions::from_mode(0o700)).unwrap();
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o644)).unwrap();
        let mut found = Vec::new();
        open_files(dir.path(), &mut found, 5).unwrap();
        assert_eq!(found, vec![shared]);
    }
}
