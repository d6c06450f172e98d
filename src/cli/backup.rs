//! `caredesk backup FILE` and `caredesk restore FILE --db DIR`, and the
//! durations `serve --backup-every` takes.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use serde_json::{Value, json};

use super::Entry;
use super::print::Printed;
use crate::service::ops::Backup;
use crate::store::{BackupMade, Store};

/// The longest schedule `--backup-every` takes: a year.
const MAX_EVERY: Duration = Duration::from_secs(366 * 24 * 3600);
/// The shortest: a backup more often than this would do little but churn.
const MIN_EVERY: Duration = Duration::from_secs(1);

/// A duration as `90s`, `30m`, `6h` or `1d`.
pub fn duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let n: u64 =
        digits.parse().map_err(|_| format!("{text:?} is not a duration: give a number and a unit, as 30m or 6h"))?;
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("{text:?} has no known unit: use s, m, h or d, as 30m or 6h")),
    };
    let d = Duration::from_secs(n.saturating_mul(seconds));
    if d < MIN_EVERY || d > MAX_EVERY {
        return Err(format!("{text:?} is out of range: give between 1s and 366d"));
    }
    Ok(d)
}

/// `caredesk backup FILE`: the path is made absolute here, since the
/// process that writes it (the daemon) does not share this directory.
pub(super) fn backup(file: &Path) -> Result<Entry> {
    let path = std::path::absolute(file).with_context(|| format!("{} is not a usable path", file.display()))?;
    Ok(Entry::of(Backup { path }))
}

/// `caredesk restore FILE --db DIR`.
pub(super) fn restore(file: &Path, db: &Path, json: bool) -> Result<()> {
    let restored = Store::restore(file, db)?;
    let report = RestoreReport { path: restored.path, entries: restored.entries, audit_head: restored.audit_head };
    super::print::print(&report, json)
}

struct RestoreReport {
    path: PathBuf,
    entries: u64,
    audit_head: u64,
}

impl Printed for RestoreReport {
    fn text(&self) -> String {
        format!(
            "restored {} entries (audit log to entry {}) into {}; run `caredesk audit --verify --db {}` to prove it",
            self.entries,
            self.audit_head,
            crate::text::one_line(&self.path.display().to_string()),
            crate::text::one_line(&self.path.display().to_string()),
        )
    }
    fn json(&self) -> Value {
        json!({"restored": {"path": self.path, "entries": self.entries, "audit_head": self.audit_head}})
    }
}

impl Printed for BackupMade {
    fn text(&self) -> String {
        format!(
            "backup written to {}: {} entries, {} bytes, audit log to entry {}; writes were paused for {:.1} ms",
            crate::text::one_line(&self.path.display().to_string()),
            self.entries,
            self.bytes,
            self.audit_head,
            self.paused_micros as f64 / 1000.0
        )
    }
    fn json(&self) -> Value {
        json!({"backup": self})
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_a_number_and_a_unit_within_range() {
        assert_eq!(duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(duration("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(duration("6h"), Ok(Duration::from_secs(6 * 3600)));
        assert_eq!(duration("1d"), Ok(Duration::from_secs(86_400)));
        for bad in ["", "6", "h", "6x", "0s", "400d", "-1h", "99999999999999999999d"] {
            assert!(duration(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
