//! Holding the store to the audit log: every key of the trees whose state
//! is audited must hold what the last entry that wrote it says it left
//! there, and every key an entry wrote must still be there unless a later
//! one removed it. A record or index entry changed, removed or added with
//! sled alone (someone with the files) breaks that, even where the change
//! leaves the record readable and consistent with its indexes.

use std::collections::HashMap;

use super::records::TreeId;
use super::{Store, StoreError};
use crate::domain::audit::{AuditEntry, REMOVED, StateDigest};

/// The most faults one check keeps to tell; the rest are counted. One
/// record changed behind the service's back is often five keys (the record
/// and its index entries), so this is more than the chain's own cap.
pub const REPORTED_FAULTS: usize = 200;

/// What the chain says the store holds, gathered entry by entry in order.
#[derive(Debug, Default)]
pub struct ChainState {
    /// Key hash → the value hash the last entry to write it left, and that
    /// entry's number.
    last: HashMap<[u8; 8], ([u8; 8], u64)>,
    /// The newest entry without a digest (one an earlier release wrote):
    /// keys it wrote are not known, so keys no entry accounts for are only
    /// reported when there is none.
    newest_without: u64,
}

impl ChainState {
    /// Takes in the next entry of the chain.
    pub fn record(&mut self, entry: &AuditEntry) {
        match &entry.state {
            Some(state) => {
                for (key, value) in state.writes() {
                    self.last.insert(key, (value, entry.seq));
                }
            }
            None => self.newest_without = entry.seq,
        }
    }

    /// An entry that cannot be read: what it wrote is not known.
    pub fn unreadable(&mut self, seq: u64) {
        self.newest_without = seq;
    }
}

/// One way the store differs from what the chain says it holds;
/// [`StateReport::findings`] tells them in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateFault {
    /// The key holds a value the last entry to write it did not leave.
    Changed { tree: TreeId, key: String, by: u64 },
    /// An entry removed the key, and it is there again.
    Restored { tree: TreeId, key: String, by: u64 },
    /// No entry wrote the key.
    Unaccounted { tree: TreeId, key: String },
    /// A key the entry wrote is gone, and no later entry removed it.
    Missing { by: u64, what: String },
}

/// What holding the store to the chain found.
#[derive(Debug, Default)]
pub struct StateReport {
    /// Keys held to an entry.
    pub checked: u64,
    /// Keys last written by entries without a digest, which cannot be held.
    pub unchecked: u64,
    pub faults: Vec<StateFault>,
    /// Faults past [`REPORTED_FAULTS`], counted only.
    pub unreported: u64,
}

impl StateReport {
    fn keep(&mut self, fault: StateFault) {
        if self.faults.len() < REPORTED_FAULTS {
            self.faults.push(fault);
        } else {
            self.unreported += 1;
        }
    }
}

/// One key that differs from the chain: how, its key hash, and the hash of
/// what it holds now (`None`: it is gone).
struct Differs {
    fault: StateFault,
    key: [u8; 8],
    now: Option<[u8; 8]>,
}

impl Store {
    /// Holds every key of the audited trees to `chain`. Reads the whole
    /// database once; the memory it takes is about 40 bytes a key the
    /// chain wrote.
    pub fn check_state(&self, chain: ChainState) -> Result<StateReport, StoreError> {
        let mut report = StateReport::default();
        let mut faults = Vec::new();
        (report.checked, report.unchecked) = self.compare_state(chain, |d| faults.push(d.fault))?;
        for fault in faults {
            report.keep(fault);
        }
        Ok(report)
    }

    /// What an entry must say the store holds for `chain` to account for
    /// every key as it is now: each key that differs, with its value, or
    /// removed. A salvage writes it, so that a database that lost records
    /// to damage says so in its log and verifies from then on.
    pub fn state_as_found(&self, chain: ChainState) -> Result<StateDigest, StoreError> {
        let mut found = StateDigest::default();
        self.compare_state(chain, |d| found.wrote_hashes(d.key, d.now.unwrap_or(REMOVED)))?;
        Ok(found)
    }

    /// Tells `differs` of each key that does not hold what `chain` says;
    /// returns how many keys were held to it, and how many could not be.
    fn compare_state(&self, mut chain: ChainState, mut differs: impl FnMut(Differs)) -> Result<(u64, u64), StoreError> {
        let (mut checked, mut unchecked) = (0, 0);
        for tree in TreeId::ALL.iter().copied().filter(|t| t.state_is_audited()) {
            for item in self.tree(tree).iter() {
                let (key, value) = item.map_err(|e| self.io_error(e))?;
                let hash = StateDigest::key_hash(tree.name(), &key);
                let now = StateDigest::value_hash(&value);
                let fault = match chain.last.remove(&hash) {
                    Some((left, _)) if left == now => {
                        checked += 1;
                        continue;
                    }
                    Some((left, by)) if left == REMOVED => StateFault::Restored { tree, key: shown_key(&key), by },
                    Some((_, by)) => StateFault::Changed { tree, key: shown_key(&key), by },
                    None if chain.newest_without == 0 => StateFault::Unaccounted { tree, key: shown_key(&key) },
                    None => {
                        unchecked += 1;
                        continue;
                    }
                };
                differs(Differs { fault, key: hash, now: Some(now) });
            }
        }
        // What is left was written and not found: fine for a removal.
        let mut missing: Vec<([u8; 8], u64)> =
            chain.last.into_iter().filter(|(_, (value, _))| *value != REMOVED).map(|(k, (_, by))| (k, by)).collect();
        missing.sort_unstable_by_key(|(_, by)| *by);
        let mut named: Option<(u64, String)> = None;
        for (key, by) in missing {
            if named.as_ref().is_none_or(|(seq, _)| *seq != by) {
                let what = match self.audit_newest(Some(by + 1), 1)?.into_iter().next() {
                    Some(e) if e.seq == by => format!("{} {}", e.draft.action, e.draft.subject),
                    _ => "an entry that cannot be read".to_owned(),
                };
                named = Some((by, what));
            }
            let what = named.as_ref().map(|(_, w)| w.clone()).unwrap_or_default();
            differs(Differs { fault: StateFault::Missing { by, what }, key, now: None });
        }
        Ok((checked, unchecked))
    }
}

/// A key as a finding names it: its text parts, with any other byte
/// escaped, and the record number most keys end with.
fn shown_key(key: &[u8]) -> String {
    let printable = |b: &u8| b.is_ascii_graphic() || *b == b' ';
    let (head, number) = match key.len().checked_sub(8) {
        // A number after a text's terminating zero, or alone.
        Some(cut) if (cut == 0 || key[cut - 1] == 0) && !key[cut..].iter().all(printable) => {
            let mut n = [0u8; 8];
            n.copy_from_slice(&key[cut..]);
            (&key[..cut], Some(u64::from_be_bytes(n)))
        }
        _ => (key, None),
    };
    let mut out = String::new();
    for part in head.split(|b| *b == 0).filter(|p| !p.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        for b in part {
            if printable(b) { out.push(char::from(*b)) } else { out.push_str(&format!("\\x{b:02x}")) }
        }
    }
    if let Some(n) = number {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&format!("#{n}"));
    }
    out.chars().take(120).collect()
}

/// How faults are told together: one line per kind and entry.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Told {
    Changed(u64),
    Restored(u64),
    Unaccounted,
    Missing(u64, String),
}

impl Told {
    fn line(&self, keys: &[String]) -> String {
        let (one, many) = match self {
            &Told::Changed(by) => (
                format!("does not hold what audit entry {by} left there: it was changed outside caredesk"),
                format!("do not hold what audit entry {by} left there: they were changed outside caredesk"),
            ),
            &Told::Restored(by) => (
                format!("was removed by audit entry {by} and is there again: it was put back outside caredesk"),
                format!("were removed by audit entry {by} and are there again: they were put back outside caredesk"),
            ),
            Told::Unaccounted => (
                "was written by no audit entry: it was added outside caredesk".to_owned(),
                "were written by no audit entry: they were added outside caredesk".to_owned(),
            ),
            // The chain names a gone key by its hash only: it is counted.
            Told::Missing(by, what) => {
                let gone = if keys.len() == 1 { "a key".to_owned() } else { format!("{} keys", keys.len()) };
                return format!(
                    "{gone} audit entry {by} ({what}) wrote {} gone, and no later entry removed {}: \
                     removed outside caredesk",
                    if keys.len() == 1 { "is" } else { "are" },
                    if keys.len() == 1 { "it" } else { "them" },
                );
            }
        };
        match keys {
            [key] => format!("{key} {one}"),
            _ => format!("{} keys ({}) {many}", keys.len(), keys.join(", ")),
        }
    }
}

impl StateReport {
    /// The faults in words, the keys of one entry told together.
    pub fn findings(&self) -> Vec<String> {
        let mut told: Vec<(Told, Vec<String>)> = Vec::new();
        for fault in &self.faults {
            let (how, key) = match fault {
                StateFault::Changed { tree, key, by } => (Told::Changed(*by), format!("{} {key}", tree.name())),
                StateFault::Restored { tree, key, by } => (Told::Restored(*by), format!("{} {key}", tree.name())),
                StateFault::Unaccounted { tree, key } => (Told::Unaccounted, format!("{} {key}", tree.name())),
                StateFault::Missing { by, what } => (Told::Missing(*by, what.clone()), String::new()),
            };
            match told.iter_mut().find(|(t, _)| *t == how) {
                Some((_, keys)) => keys.push(key),
                None => told.push((how, vec![key])),
            }
        }
        let mut lines: Vec<String> = told.iter().map(|(how, keys)| how.line(keys)).collect();
        if self.unreported > 0 {
            lines.push(format!("and {} more keys that differ from the log", self.unreported));
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::shown_key;

    #[test]
    fn keys_are_named_by_number_or_escaped_text() {
        assert_eq!(shown_key(&7u64.to_be_bytes()), "#7");
        assert_eq!(shown_key(b"jo.smith@nhs.net"), "jo.smith@nhs.net");
        let mut by_name = b"smith\x00jo\x00".to_vec();
        by_name.extend(1u64.to_be_bytes());
        assert_eq!(shown_key(&by_name), "smith jo #1");
        assert_eq!(shown_key(b"smith\x00jo\x1b[2J"), "smith jo\\x1b[2J");
    }
}
