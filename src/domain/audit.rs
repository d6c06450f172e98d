//! The audit log: every change, who made it, when, and what it was before
//! and after, chained by hash so that any edit or removal is detectable.
//!
//! The temporary password never reaches this module: commands do not carry
//! it and outcomes mask it, so there is nothing here to leak.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The `prev_hash` of the first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What a command records, before the store gives it its place in the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditDraft {
    /// The instant the service acted at (fixed under `--now`).
    #[serde(with = "super::time::ts")]
    pub at: DateTime<Utc>,
    /// The real instant it was written; differs from `at` only in rehearsals.
    #[serde(with = "super::time::ts")]
    pub recorded_at: DateTime<Utc>,
    pub operator: String,
    /// e.g. `account.reset-password`.
    pub action: String,
    /// The record acted on: an address, a ticket reference, an ODS code.
    pub subject: String,
    /// The command as given, in JSON.
    pub command: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub seq: u64,
    pub draft: AuditDraft,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditEntry {
    pub fn chain(seq: u64, draft: AuditDraft, prev_hash: &str) -> AuditEntry {
        let hash = entry_hash(seq, &draft, prev_hash);
        AuditEntry { seq, draft, prev_hash: prev_hash.to_owned(), hash }
    }

    /// Whether the stored hash still matches the content.
    pub fn is_intact(&self) -> bool {
        entry_hash(self.seq, &self.draft, &self.prev_hash) == self.hash
    }
}

fn entry_hash(seq: u64, draft: &AuditDraft, prev_hash: &str) -> String {
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(seq.to_be_bytes());
    // JSON of a struct is written in field order, so it is a stable encoding.
    h.update(serde_json::to_vec(draft).unwrap_or_default());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Where a walk of the chain found it broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    #[error("audit entry {seq} has been altered: its content no longer matches its hash")]
    Altered { seq: u64 },
    #[error("audit entry {seq} does not follow entry {prev}: entries are missing or were removed")]
    Gap { seq: u64, prev: u64 },
    #[error("audit entry {seq} does not link to the entry before it: the log was rewritten")]
    Unlinked { seq: u64 },
}

/// Checks entries in order, carrying what the previous one said.
#[derive(Debug, Default)]
pub struct ChainCheck {
    last: Option<(u64, String)>,
    pub checked: u64,
}

impl ChainCheck {
    pub fn next(&mut self, entry: &AuditEntry) -> Result<(), ChainBreak> {
        let (prev_seq, prev_hash) = self.last.clone().unwrap_or((0, GENESIS_HASH.to_owned()));
        if entry.seq != prev_seq + 1 {
            return Err(ChainBreak::Gap { seq: entry.seq, prev: prev_seq });
        }
        if entry.prev_hash != prev_hash {
            return Err(ChainBreak::Unlinked { seq: entry.seq });
        }
        if !entry.is_intact() {
            return Err(ChainBreak::Altered { seq: entry.seq });
        }
        self.last = Some((entry.seq, entry.hash.clone()));
        self.checked += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(n: u32) -> AuditDraft {
        let at = DateTime::from_timestamp(1_800_000_000 + i64::from(n), 0).unwrap();
        AuditDraft {
            at,
            recorded_at: at,
            operator: "nas1".into(),
            action: "ticket.note".into(),
            subject: format!("CD-{n:06}"),
            command: "{}".into(),
            before: None,
            after: Some(format!("note {n}")),
        }
    }

    fn chain(n: u32) -> Vec<AuditEntry> {
        let mut prev = GENESIS_HASH.to_owned();
        (1..=n)
            .map(|i| {
                let e = AuditEntry::chain(u64::from(i), draft(i), &prev);
                prev = e.hash.clone();
                e
            })
            .collect()
    }

    fn check(entries: &[AuditEntry]) -> Result<u64, ChainBreak> {
        let mut c = ChainCheck::default();
        entries.iter().try_for_each(|e| c.next(e))?;
        Ok(c.checked)
    }

    #[test]
    fn an_untouched_chain_verifies() {
        assert_eq!(check(&chain(5)), Ok(5));
    }

    #[test]
    fn tampering_is_found_where_it_happened() {
        let mut altered = chain(5);
        altered[2].draft.operator = "someone-else".into();
        assert_eq!(check(&altered), Err(ChainBreak::Altered { seq: 3 }));

        let mut removed = chain(5);
        removed.remove(3);
        assert_eq!(check(&removed), Err(ChainBreak::Gap { seq: 5, prev: 3 }));

        // Rewriting one entry with a fresh hash breaks the link to the next.
        let mut rewritten = chain(5);
        let mut d = rewritten[1].draft.clone();
        d.after = Some("forged".into());
        rewritten[1] = AuditEntry::chain(2, d, &rewritten[0].hash);
        assert_eq!(check(&rewritten), Err(ChainBreak::Unlinked { seq: 3 }));
    }
}
