//! `caredesk check` and `caredesk salvage`: both work on a copy of the
//! database (sled writes to a database as it opens it, and refuses a second
//! process), so the database itself is never touched.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::store::{OpenMode, Store, copy_database};

/// A copy of `db` in a new folder beside it, removed when dropped.
struct Copy(PathBuf);

impl Drop for Copy {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn copy_of(db: &Path) -> Result<Copy> {
    if !db.join("conf").exists() {
        bail!("there is no caredesk database at {}: give the database directory with --db", db.display());
    }
    let name = db.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "db".into());
    let copy = db.with_file_name(format!(".{name}.check-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&copy);
    copy_database(db, &copy).with_context(|| format!("could not copy {} to check it", db.display()))?;
    Ok(Copy(copy))
}

fn open(copy: &Copy, db: &Path) -> Result<Store> {
    Store::open(&copy.0, OpenMode::Existing).with_context(|| {
        format!(
            "sled cannot open {} at all: restore the newest backup (`caredesk restore FILE --db NEWDIR`)",
            db.display()
        )
    })
}

/// `caredesk check`: every finding, one a line; exits 1 when any.
pub(super) fn check(db: &Path, anchor: Option<&Path>) -> Result<()> {
    let anchor = match anchor {
        Some(path) => Some(super::anchor::read(path)?.with_context(|| {
            format!("there is no audit anchor at {}: give the file `audit --verify --anchor` wrote", path.display())
        })?),
        None => None,
    };
    let copy = copy_of(db)?;
    let store = open(&copy, db)?;
    let mut report = store.check()?;
    if let Some(a) = anchor {
        report.findings.extend(store.check_anchor(a.seq, &a.hash)?);
    }
    for finding in &report.findings {
        println!("{}", crate::text::one_line(&finding.to_string()));
    }
    println!(
        "checked {} records, {} index entries and {} audit entries",
        report.records, report.index_entries, report.audit_entries
    );
    match report.findings.len() {
        0 => {
            println!("no damage found");
            Ok(())
        }
        n => bail!(
            "{n} problems found (listed above): run `caredesk salvage --from {} --to NEWDIR` to copy what can be read",
            db.display()
        ),
    }
}

/// `caredesk salvage --from DIR --to NEWDIR`.
pub(super) fn salvage(from: &Path, to: &Path) -> Result<()> {
    let copy = copy_of(from)?;
    let report = open(&copy, from)?.salvage(to, chrono::Utc::now())?;
    for (tree, n) in &report.copied {
        println!("copied {n} entries of {tree}");
    }
    if report.lost.is_empty() {
        println!("nothing was lost; the new database is at {}", to.display());
    } else {
        for finding in &report.lost {
            println!("LOST {}", crate::text::one_line(&finding.to_string()));
        }
        println!(
            "{} records could not be read and were not copied; the new database is at {}",
            report.lost.len(),
            to.display()
        );
    }
    if let Some(seq) = report.recorded {
        println!("audit entry {seq} records what the new database holds where it differs from its log");
    }
    println!(
        "prove it with `caredesk check --db {}` and `caredesk audit --verify --db {}`",
        to.display(),
        to.display()
    );
    Ok(())
}

/// `caredesk compact`.
pub(super) fn compact(db: &Path, json: bool) -> Result<()> {
    let done = crate::store::compact(db).with_context(|| format!("could not compact {}", db.display()))?;
    if json {
        println!(
            "{}",
            serde_json::json!({
                "compacted": done.path,
                "entries": done.entries,
                "bytes_before": done.bytes_before,
                "bytes_after": done.bytes_after,
            })
        );
    } else {
        println!(
            "compacted {}: {} entries copied, {} kB on disk before and {} kB after",
            db.display(),
            done.entries,
            done.bytes_before / 1000,
            done.bytes_after / 1000
        );
    }
    Ok(())
}

/// Compacts `db` when a deletion has erased data since the last compaction,
/// so the erased bytes leave its files; a database in use or missing is
/// left for opening to report.
pub(super) fn compact_if_erased(db: &Path) -> Result<()> {
    let pending = match Store::open(db, OpenMode::Existing) {
        Ok(store) => store.erasure_pending()?,
        Err(_) => false,
    };
    if pending {
        let done = crate::store::compact(db).with_context(|| {
            format!("could not compact {} to remove the bytes of erased data from its files", db.display())
        })?;
        tracing::info!(
            entries = done.entries,
            "compacted the database: data erased by deletions is gone from its files"
        );
    }
    Ok(())
}
