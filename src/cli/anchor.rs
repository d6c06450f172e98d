//! The audit anchor: the head of the log as the last verify saw it, kept in
//! a file away from the database, so a log cut back with its head rewritten
//! to match is still caught (the chain alone cannot see that).
//!
//! The file is one line, `SEQ HASH`. It is read before the walk and
//! replaced, whole and owner-only, after a walk that found the log intact.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use super::Entry;
use crate::desk::DeskExt;
use crate::service::AuditAnchor;
use crate::service::ops::VerifyAudit;

/// The most an anchor file may hold; a longer one is not an anchor.
const MAX_ANCHOR_BYTES: u64 = 256;

/// `audit --verify`, against the anchor in `path` when given.
pub(super) fn verify(path: Option<PathBuf>) -> Result<Entry> {
    let Some(path) = path else {
        return Ok(Entry::of(VerifyAudit { anchor: None }));
    };
    let anchor = read(&path)?;
    Ok(Entry(Box::new(move |desk, json| {
        let verified = desk.call(VerifyAudit { anchor: anchor.clone() })?;
        write(&path, &AuditAnchor { seq: verified.entries, hash: verified.head_hash.clone() })?;
        super::print::print(&verified, json)?;
        if anchor.is_none() && !json {
            println!("anchor written to {} for the next verify", path.display());
        }
        Ok(())
    })))
}

/// The anchor in `path`, or `None` when there is no file yet (the first
/// verify starts one).
pub(super) fn read(path: &Path) -> Result<Option<AuditAnchor>> {
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("cannot read the audit anchor {}", path.display())),
    };
    if !meta.is_file() || meta.len() > MAX_ANCHOR_BYTES {
        bail!(
            "{} is not an audit anchor (one line, `SEQ HASH`, as `audit --verify --anchor` writes it): give the file \
             an earlier verify wrote",
            path.display()
        );
    }
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read the audit anchor {}", path.display()))?;
    parse(&text).map(Some).with_context(|| {
        format!(
            "{} is not an audit anchor (one line, `SEQ HASH`): give the file an earlier verify wrote",
            path.display()
        )
    })
}

fn parse(text: &str) -> Result<AuditAnchor> {
    let mut parts = text.split_whitespace();
    let (Some(seq), Some(hash), None) = (parts.next(), parts.next(), parts.next()) else {
        bail!("expected two fields");
    };
    let seq: u64 = seq.parse().context("the entry number is not a number")?;
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        bail!("the hash is not 64 hex digits");
    }
    Ok(AuditAnchor { seq, hash: hash.to_ascii_lowercase() })
}

/// Replaces the anchor whole: a crash leaves the old one or the new one.
fn write(path: &Path, anchor: &AuditAnchor) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".new");
    let tmp = PathBuf::from(tmp);
    let written = (|| {
        let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&tmp)?;
        writeln!(f, "{} {}", anchor.seq, anchor.hash)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    written.with_context(|| format!("cannot write the audit anchor {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_anchor_is_one_entry_number_and_its_hash() {
        let hash = "ab".repeat(32);
        assert_eq!(parse(&format!("12 {hash}\n")).unwrap(), AuditAnchor { seq: 12, hash: hash.clone() });
        assert!(parse("12").is_err());
        assert!(parse(&format!("x {hash}")).is_err());
        assert!(parse("12 abc").is_err());
        assert!(parse(&format!("12 {hash} extra")).is_err());
    }
}
