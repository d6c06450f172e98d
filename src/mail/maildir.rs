//! Messages waiting in a Maildir, or a single `.eml` file.
//!
//! A message is marked seen (moved from `new/` to `cur/` with the `S`
//! flag) only after its ticket is committed and flushed; if caredesk stops
//! in between, the next run reads it again and the Message-ID index makes
//! that harmless.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::MAX_MESSAGE_BYTES;

/// How many messages one pass over a Maildir takes, so a backlog is worked
/// in bounded steps.
pub const MAX_PER_PASS: usize = 10_000;

#[derive(Debug, thiserror::Error)]
pub enum MaildirError {
    #[error(
        "{path} is neither a Maildir (with new/ and cur/) nor a message file: give a Maildir directory or a .eml file"
    )]
    NotMail { path: PathBuf },
    #[error("could not read {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
}

/// One message file and the time the server delivered it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageFile {
    pub path: PathBuf,
    /// The file's modification time: when it was delivered.
    pub delivered_at: DateTime<Utc>,
    /// Whether it sits in a Maildir and can be marked seen.
    in_maildir: bool,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> MaildirError + '_ {
    move |source| MaildirError::Io { path: path.to_owned(), source }
}

fn delivered_at(path: &Path) -> Result<DateTime<Utc>, MaildirError> {
    let modified = fs::metadata(path).and_then(|m| m.modified()).map_err(io(path))?;
    Ok(DateTime::<Utc>::from(modified))
}

/// Whether a name in `cur/` already carries the seen flag.
fn is_seen(name: &str) -> bool {
    name.rsplit_once(":2,").is_some_and(|(_, flags)| flags.contains('S'))
}

/// The messages at `path` still to be taken in: every file of a Maildir's
/// `new/`, the unseen ones of its `cur/`, oldest first; or the one file
/// given.
pub fn pending(path: &Path) -> Result<Vec<MessageFile>, MaildirError> {
    if path.is_file() {
        return Ok(vec![MessageFile { path: path.to_owned(), delivered_at: delivered_at(path)?, in_maildir: false }]);
    }
    if !path.join("new").is_dir() || !path.join("cur").is_dir() {
        return Err(MaildirError::NotMail { path: path.to_owned() });
    }
    let mut out = Vec::new();
    for sub in ["new", "cur"] {
        let dir = path.join(sub);
        for entry in fs::read_dir(&dir).map_err(io(&dir))? {
            let entry = entry.map_err(io(&dir))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            // Maildir readers skip dot files (clients keep state in them).
            if name.starts_with('.') || (sub == "cur" && is_seen(&name)) {
                continue;
            }
            let p = entry.path();
            if p.is_file() {
                out.push(MessageFile { delivered_at: delivered_at(&p)?, path: p, in_maildir: true });
            }
        }
    }
    // Maildir names start with the delivery time in seconds; the file time
    // breaks ties and covers names that do not.
    out.sort_by(|a, b| a.delivered_at.cmp(&b.delivered_at).then_with(|| a.path.cmp(&b.path)));
    out.truncate(MAX_PER_PASS);
    Ok(out)
}

impl MessageFile {
    /// The raw message, at most [`MAX_MESSAGE_BYTES`] and one byte more, so
    /// the parser can tell a message that was too large.
    pub fn read(&self) -> Result<Vec<u8>, MaildirError> {
        let file = fs::File::open(&self.path).map_err(io(&self.path))?;
        let mut raw = Vec::new();
        file.take(MAX_MESSAGE_BYTES as u64 + 1).read_to_end(&mut raw).map_err(io(&self.path))?;
        Ok(raw)
    }

    /// Moves the message to `cur/` with the seen flag. A file given on its
    /// own is left where it is.
    pub fn mark_seen(&self) -> Result<(), MaildirError> {
        if !self.in_maildir {
            return Ok(());
        }
        let Some(name) = self.path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
            return Ok(());
        };
        let Some(root) = self.path.parent().and_then(Path::parent) else { return Ok(()) };
        let seen = match name.rsplit_once(":2,") {
            Some((base, flags)) => {
                let mut flags: Vec<char> = flags.chars().chain(['S']).collect();
                flags.sort_unstable();
                flags.dedup();
                format!("{base}:2,{}", flags.into_iter().collect::<String>())
            }
            None => format!("{name}:2,S"),
        };
        let target = root.join("cur").join(seen);
        fs::rename(&self.path, &target).map_err(io(&self.path))
    }
}

/// Delivers `raw` into the Maildir at `root` the way a mail server does
/// (write in `tmp/`, then rename into `new/`), creating it if needed. For
/// the demo and tests.
pub fn deliver(root: &Path, unique: &str, raw: &[u8]) -> Result<PathBuf, MaildirError> {
    for sub in ["tmp", "new", "cur"] {
        let dir = root.join(sub);
        fs::create_dir_all(&dir).map_err(io(&dir))?;
    }
    let tmp = root.join("tmp").join(unique);
    fs::write(&tmp, raw).map_err(io(&tmp))?;
    let target = root.join("new").join(unique);
    fs::rename(&tmp, &target).map_err(io(&tmp))?;
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_marked_seen_is_not_pending_again() {
        let dir = tempfile::tempdir().unwrap();
        deliver(dir.path(), "1700000000.a.host", b"From: a@b.c\r\n\r\nhi").unwrap();
        deliver(dir.path(), "1700000001.b.host", b"From: a@b.c\r\n\r\nhi again").unwrap();
        let first = pending(dir.path()).unwrap();
        assert_eq!(first.len(), 2);
        first[0].mark_seen().unwrap();
        let rest = pending(dir.path()).unwrap();
        assert_eq!(rest.len(), 1);
        assert!(rest[0].path.ends_with("new/1700000001.b.host"));
        assert!(dir.path().join("cur/1700000000.a.host:2,S").is_file());
    }

    #[test]
    fn a_directory_that_is_not_a_maildir_is_refused_with_what_to_give() {
        let dir = tempfile::tempdir().unwrap();
        let err = pending(dir.path()).unwrap_err().to_string();
        assert!(err.contains("Maildir") && err.contains(".eml"), "{err}");
    }
}
