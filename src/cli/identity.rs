//! Who is running caredesk and where its files live.
//!
//! The operator is the operating-system account of the process, looked up
//! by uid; a name from the environment (`$USER`) is not trusted, because a
//! client could set it to anything.

use std::path::PathBuf;

use anyhow::{Context, Result, anyhow};

/// The operating-system user name of this process.
pub fn os_user() -> Result<String> {
    let uid = nix::unistd::getuid();
    let user =
        nix::unistd::User::from_uid(uid).with_context(|| format!("could not look up user id {uid}"))?.ok_or_else(
            || anyhow!("user id {uid} has no entry in the password database: caredesk needs a named account"),
        )?;
    Ok(user.name)
}

fn data_home() -> PathBuf {
    dirs::data_dir().unwrap_or_else(|| PathBuf::from(".")).join("caredesk")
}

/// The default database.
pub fn default_db() -> PathBuf {
    data_home().join("db")
}

/// The default demo database, kept apart so a demo never touches real data.
pub fn default_demo_db() -> PathBuf {
    data_home().join("demo")
}

/// The log's name when no setting gives one: beside the database. Each
/// day's file is this name and the date (`db.log.2026-03-01`).
pub fn log_file(db: &std::path::Path) -> PathBuf {
    let name = db.file_name().map_or_else(|| "caredesk".into(), |n| n.to_string_lossy().into_owned());
    db.parent().unwrap_or(db).join(format!("{name}.log"))
}

/// Today's file of the log beside the database (the log is kept a file a
/// day, see `logfile.rs`).
pub fn todays_log_file(db: &std::path::Path) -> PathBuf {
    super::logfile::DailyLog::file_for(&log_file(db), chrono::Utc::now().date_naive())
}
