//! Scheduled backups from `caredesk serve --backup-every`: one file per
//! round in the backup folder, named by its UTC time so that names sort as
//! times do, the oldest removed beyond the number to keep.
//!
//! A failed round (a full disk, a folder that went away) is logged and the
//! next round tries again: backups must never stop the daemon serving. Only
//! files with this module's own name pattern are ever removed.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};

use super::guard::escaped;
use crate::service::Service;

/// How often, where, and how many to keep.
#[derive(Debug, Clone)]
pub struct BackupSchedule {
    pub every: Duration,
    pub dir: PathBuf,
    pub keep: usize,
}

const PREFIX: &str = "caredesk-";
const SUFFIX: &str = ".backup";

/// The file name of a backup taken at `at`.
pub fn backup_name(at: DateTime<Utc>) -> String {
    format!("{PREFIX}{}{SUFFIX}", at.format("%Y%m%dT%H%M%SZ"))
}

/// Whether `name` is one of ours: `caredesk-YYYYMMDDTHHMMSSZ.backup`.
fn is_backup_name(name: &str) -> bool {
    name.strip_prefix(PREFIX)
        .and_then(|rest| rest.strip_suffix(SUFFIX))
        .is_some_and(|stamp| chrono::NaiveDateTime::parse_from_str(stamp, "%Y%m%dT%H%M%SZ").is_ok())
}

/// The scheduled backups in `dir`, oldest first.
pub fn scheduled_backups(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_str().is_some_and(is_backup_name))
        .map(|e| e.path())
        .collect();
    found.sort();
    Ok(found)
}

/// How long ago the newest scheduled backup in `dir` was written, if any.
pub fn last_backup_age(dir: &Path) -> std::io::Result<Option<(PathBuf, Duration)>> {
    let Some(newest) = scheduled_backups(dir)?.pop() else {
        return Ok(None);
    };
    let written = std::fs::metadata(&newest)?.modified()?;
    Ok(Some((newest, SystemTime::now().duration_since(written).unwrap_or_default())))
}

/// Takes one scheduled backup and prunes the oldest beyond `keep`; says
/// what went wrong, already fit for the log.
pub fn backup_round(service: &Service, schedule: &BackupSchedule, at: DateTime<Utc>) -> Result<PathBuf, String> {
    let path = schedule.dir.join(backup_name(at));
    let made = service.store().backup(&path).map_err(|e| escaped(&e.to_string()))?;
    tracing::info!(
        entries = made.entries,
        bytes = made.bytes,
        paused_micros = made.paused_micros,
        "scheduled backup written to {}",
        escaped(&path.display().to_string())
    );
    let all = scheduled_backups(&schedule.dir).map_err(|e| escaped(&e.to_string()))?;
    let excess = all.len().saturating_sub(schedule.keep);
    for old in &all[..excess] {
        if let Err(e) = std::fs::remove_file(old) {
            tracing::warn!(
                "could not remove the old backup {}: {}",
                escaped(&old.display().to_string()),
                escaped(&e.to_string())
            );
        }
    }
    Ok(path)
}

/// Runs a backup round every `schedule.every` until `stopped` says so
/// (it sleeps between rounds and returns true when the daemon stops).
pub fn run(service: &Service, schedule: &BackupSchedule, mut stopped: impl FnMut(Duration) -> bool) {
    loop {
        if stopped(schedule.every) {
            return;
        }
        if let Err(e) = backup_round(service, schedule, Utc::now()) {
            tracing::error!(
                "the scheduled backup into {} failed: {e}; the daemon carries on and tries again in {:?}",
                escaped(&schedule.dir.display().to_string()),
                schedule.every
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backup_names_sort_as_their_times_and_only_ours_are_recognised() {
        let early = DateTime::parse_from_rfc3339("2026-01-02T03:04:05Z").unwrap().to_utc();
        let late = DateTime::parse_from_rfc3339("2026-11-02T00:00:00Z").unwrap().to_utc();
        assert_eq!(backup_name(early), "caredesk-20260102T030405Z.backup");
        assert!(backup_name(early) < backup_name(late));
        assert!(is_backup_name(&backup_name(late)));
        assert!(!is_backup_name("caredesk-notes.backup"));
        assert!(!is_backup_name("caredesk-20260102T030405Z.backup.partial"));
        assert!(!is_backup_name("precious.txt"));
    }
}
