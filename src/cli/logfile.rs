//! The log file: one file a day, `NAME.YYYY-MM-DD`, made mode 0600, and the
//! oldest removed once more than the kept number of days are there.
//!
//! caredesk rotates its own files rather than leaving it to logrotate,
//! because every user who runs it has a log (the daemon's user beside the
//! database, each operator in their own state directory) and logrotate
//! sees only the files it is told about; and because each process opens
//! the day's file by name, several processes writing one log never need to
//! be told to reopen it. tracing-appender rotates the same way but cannot
//! make its files 0600, and what an operator does is for that operator and
//! the administrators only. Days are UTC days, like the log's timestamps.
//!
//! This file knows nothing of what is logged.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::{NaiveDate, Utc};

/// Writes to the day's file, opening the next one when the day changes.
pub struct DailyLog {
    base: PathBuf,
    keep: usize,
    open: Mutex<Option<(NaiveDate, File)>>,
}

impl DailyLog {
    /// A log named `base` (each day's file is `base.YYYY-MM-DD`) keeping
    /// `keep` days. Fails when today's file cannot be opened, so the caller
    /// can try another place.
    pub fn open(base: &Path, keep: u32) -> io::Result<DailyLog> {
        let log = DailyLog { base: base.to_owned(), keep: keep.max(1) as usize, open: Mutex::new(None) };
        let today = Utc::now().date_naive();
        let file = log.open_day(today)?;
        *log.open.lock().unwrap_or_else(|p| p.into_inner()) = Some((today, file));
        Ok(log)
    }

    /// The file for `day`.
    pub fn file_for(base: &Path, day: NaiveDate) -> PathBuf {
        let mut name = base.as_os_str().to_owned();
        name.push(format!(".{}", day.format("%Y-%m-%d")));
        PathBuf::from(name)
    }

    fn open_day(&self, day: NaiveDate) -> io::Result<File> {
        if let Some(dir) = self.base.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let path = DailyLog::file_for(&self.base, day);
        let file = OpenOptions::new().create(true).append(true).mode(0o600).open(&path)?;
        // A file made before logs were 0600 is closed now.
        let mode = file.metadata()?.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            let _ = file.set_permissions(std::fs::Permissions::from_mode(0o600));
        }
        self.prune();
        Ok(file)
    }

    /// Removes the oldest days beyond the kept number. Only names of the
    /// form `BASE.YYYY-MM-DD` are touched.
    fn prune(&self) {
        let (Some(dir), Some(stem)) = (self.base.parent(), self.base.file_name()) else { return };
        let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
        let prefix = format!("{}.", stem.to_string_lossy());
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        let mut days: Vec<(NaiveDate, PathBuf)> = entries
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                let day = NaiveDate::parse_from_str(name.strip_prefix(&prefix)?, "%Y-%m-%d").ok()?;
                Some((day, e.path()))
            })
            .collect();
        days.sort();
        let extra = days.len().saturating_sub(self.keep);
        for (_, path) in days.into_iter().take(extra) {
            let _ = std::fs::remove_file(path);
        }
    }

    fn write_on(&self, day: NaiveDate, buf: &[u8]) -> io::Result<usize> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if open.as_ref().is_none_or(|(d, _)| *d != day) {
            *open = Some((day, self.open_day(day)?));
        }
        let (_, file) = open.as_mut().expect("opened above");
        file.write_all(buf)?;
        Ok(buf.len())
    }
}

impl Write for &DailyLog {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_on(Utc::now().date_naive(), buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for DailyLog {
    type Writer = &'a DailyLog;
    fn make_writer(&'a self) -> Self::Writer {
        self
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::MetadataExt;

    use super::*;

    fn day(d: &str) -> NaiveDate {
        NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn each_day_gets_its_own_file_made_for_its_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("db.log");
        let log = DailyLog::open(&base, 14).unwrap();
        log.write_on(day("2026-03-01"), b"first\n").unwrap();
        log.write_on(day("2026-03-02"), b"second\n").unwrap();
        let first = DailyLog::file_for(&base, day("2026-03-01"));
        assert_eq!(std::fs::read_to_string(&first).unwrap(), "first\n");
        assert_eq!(std::fs::read_to_string(DailyLog::file_for(&base, day("2026-03-02"))).unwrap(), "second\n");
        assert_eq!(std::fs::metadata(&first).unwrap().mode() & 0o777, 0o600);
    }

    #[test]
    fn only_the_kept_number_of_days_stay_and_other_files_are_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("db.log");
        std::fs::write(dir.path().join("db.log.notes"), "mine").unwrap();
        std::fs::write(dir.path().join("other.log.2020-01-01"), "not ours").unwrap();
        // Days after today, so that today's file is among the oldest.
        let log = DailyLog::open(&base, 3).unwrap();
        for d in ["2099-03-01", "2099-03-02", "2099-03-03", "2099-03-04", "2099-03-05"] {
            log.write_on(day(d), d.as_bytes()).unwrap();
        }
        let mut names: Vec<String> =
            std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into()).collect();
        names.sort();
        assert_eq!(
            names,
            ["db.log.2099-03-03", "db.log.2099-03-04", "db.log.2099-03-05", "db.log.notes", "other.log.2020-01-01"]
        );
    }

    #[test]
    fn a_log_file_left_readable_by_others_is_closed_when_opened() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("db.log");
        let today = DailyLog::file_for(&base, Utc::now().date_naive());
        std::fs::write(&today, "old\n").unwrap();
        std::fs::set_permissions(&today, std::fs::Permissions::from_mode(0o644)).unwrap();
        DailyLog::open(&base, 14).unwrap();
        assert_eq!(std::fs::metadata(&today).unwrap().mode() & 0o777, 0o600);
    }
}
