//! The audit log: every change, who made it, when, and what it was before
//! and after, chained by hash so that any edit or removal is detectable.
//!
//! The temporary password never reaches this module: commands do not carry
//! it and outcomes mask it, so there is nothing here to leak.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::erasure::{Personal, Seal, erase_texts, texts_are_erased};

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
    /// The bulk action (or its undo) this entry is one ticket of: every
    /// entry of one batch carries the same number. Entries written before
    /// batches existed have none, and hash as they always did.
    #[serde(default)]
    pub batch: Option<u64>,
}

/// What the hash covers: the draft as JSON in field order, with `batch`
/// only when there is one, so an entry written before batches existed
/// still matches the hash it was given then.
#[derive(Serialize)]
struct Hashed<'a> {
    #[serde(with = "super::time::ts")]
    at: DateTime<Utc>,
    #[serde(with = "super::time::ts")]
    recorded_at: DateTime<Utc>,
    operator: &'a str,
    action: &'a str,
    subject: &'a str,
    command: &'a str,
    before: Option<&'a str>,
    after: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    batch: Option<u64>,
    /// The state digest, as hex, only when the entry has one (entries
    /// written before they existed hash as they always did).
    #[serde(skip_serializing_if = "Option::is_none")]
    state: Option<String>,
    /// The accounts the entry concerns, when it concerns any.
    #[serde(skip_serializing_if = "<[u64]>::is_empty")]
    persons: &'a [u64],
    #[serde(skip_serializing_if = "<[u64]>::is_empty")]
    tickets: &'a [u64],
    /// A sealed entry's texts are covered through this digest (hex) and
    /// hash as empty, so erasing them leaves the hash as it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    sealed: Option<String>,
    /// The entries a deletion erased.
    #[serde(skip_serializing_if = "<[u64]>::is_empty")]
    erases: &'a [u64],
}

impl<'a> Hashed<'a> {
    fn of(d: &'a AuditDraft, state: Option<&StateDigest>, personal: &'a Personal) -> Hashed<'a> {
        let sealed = personal.seal.map(|seal| hex(&seal.digest(d)));
        let texts = sealed.is_none();
        Hashed {
            at: d.at,
            recorded_at: d.recorded_at,
            operator: &d.operator,
            action: &d.action,
            subject: &d.subject,
            command: if texts { &d.command } else { "" },
            before: d.before.as_deref().filter(|_| texts),
            after: d.after.as_deref().filter(|_| texts),
            batch: d.batch,
            state: state.map(StateDigest::to_hex),
            persons: &personal.persons,
            tickets: &personal.tickets,
            sealed,
            erases: &personal.erases,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub seq: u64,
    pub draft: AuditDraft,
    pub prev_hash: String,
    pub hash: String,
    /// What the change left in the store, so that a record edited behind
    /// the service's back is caught; `None` on entries written before
    /// entries carried it.
    #[serde(default)]
    pub state: Option<StateDigest>,
    /// Who the entry concerns, and whether its texts are sealed or erased
    /// (see [`crate::domain::erasure`]).
    #[serde(default)]
    pub personal: Personal,
}

impl AuditEntry {
    /// An entry that concerns nobody: its hash covers its texts.
    pub fn chain(seq: u64, draft: AuditDraft, prev_hash: &str, state: Option<StateDigest>) -> AuditEntry {
        AuditEntry::chain_with(seq, draft, prev_hash, state, Personal::default())
    }

    pub fn chain_with(
        seq: u64,
        draft: AuditDraft,
        prev_hash: &str,
        state: Option<StateDigest>,
        personal: Personal,
    ) -> AuditEntry {
        let hash = entry_hash(seq, &draft, prev_hash, state.as_ref(), &personal);
        AuditEntry { seq, draft, prev_hash: prev_hash.to_owned(), hash, state, personal }
    }

    /// Whether the stored hash still matches the content. An erased entry's
    /// hash does not cover texts, so one that has any again is not intact.
    pub fn is_intact(&self) -> bool {
        (!self.personal.is_erased() || texts_are_erased(&self.draft))
            && entry_hash(self.seq, &self.draft, &self.prev_hash, self.state.as_ref(), &self.personal) == self.hash
    }

    /// Erases a sealed entry's texts and salt, keeping the digest its hash
    /// covers; `false` (and nothing changed) when it is not sealed.
    pub fn erase(&mut self) -> bool {
        let Some(seal @ Seal::Sealed { .. }) = self.personal.seal else { return false };
        self.personal.seal = Some(Seal::Erased { digest: seal.digest(&self.draft) });
        erase_texts(&mut self.draft);
        true
    }
}

fn entry_hash(
    seq: u64,
    draft: &AuditDraft,
    prev_hash: &str,
    state: Option<&StateDigest>,
    personal: &Personal,
) -> String {
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(seq.to_be_bytes());
    // JSON of a struct is written in field order, so it is a stable encoding.
    h.update(serde_json::to_vec(&Hashed::of(draft, state, personal)).unwrap_or_default());
    hex(&h.finalize())
}

/// What one change wrote, key by key: for each key, eight bytes of the
/// SHA-256 of its tree and key, then eight of the SHA-256 of the value it
/// was left holding (all zero when the change removed it). The chain's
/// hash covers it, so `audit --verify` can hold every record and index
/// entry in the store to the last entry that wrote it, and say which were
/// changed, removed or added behind the service's back.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StateDigest(Vec<[u8; 16]>);

/// The value half of a removal in a [`StateDigest`].
pub const REMOVED: [u8; 8] = [0; 8];

impl StateDigest {
    /// Eight bytes that stand for `key` of the tree named `tree`.
    pub fn key_hash(tree: &str, key: &[u8]) -> [u8; 8] {
        let mut h = Sha256::new();
        h.update(tree.as_bytes());
        h.update([0]);
        h.update(key);
        first8(&h.finalize())
    }

    /// Eight bytes that stand for a stored value; never [`REMOVED`].
    pub fn value_hash(value: &[u8]) -> [u8; 8] {
        let hash = first8(&Sha256::digest(value));
        if hash == REMOVED { [0, 0, 0, 0, 0, 0, 0, 1] } else { hash }
    }

    /// Notes that `key` of `tree` now holds `value` (`None`: removed). A
    /// later write of the same key in one change replaces the earlier.
    pub fn wrote(&mut self, tree: &str, key: &[u8], value: Option<&[u8]>) {
        self.wrote_hashes(Self::key_hash(tree, key), value.map_or(REMOVED, Self::value_hash));
    }

    /// [`StateDigest::wrote`], from the hashes.
    pub fn wrote_hashes(&mut self, key: [u8; 8], value: [u8; 8]) {
        let mut pair = [0u8; 16];
        pair[..8].copy_from_slice(&key);
        pair[8..].copy_from_slice(&value);
        match self.0.iter_mut().find(|p| p[..8] == key) {
            Some(p) => *p = pair,
            None => self.0.push(pair),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Each key written, as (key hash, value hash).
    pub fn writes(&self) -> impl Iterator<Item = ([u8; 8], [u8; 8])> + '_ {
        self.0.iter().map(|p| (first8(&p[..8]), first8(&p[8..])))
    }

    /// The digest as kept on disk: sixteen bytes a key.
    pub fn as_bytes(&self) -> Vec<u8> {
        self.0.concat()
    }

    /// Reads [`StateDigest::as_bytes`]; `None` unless it is whole pairs.
    pub fn from_bytes(bytes: &[u8]) -> Option<StateDigest> {
        if bytes.len() % 16 != 0 {
            return None;
        }
        Some(StateDigest(bytes.chunks_exact(16).map(|c| c.try_into().unwrap_or([0; 16])).collect()))
    }

    fn to_hex(&self) -> String {
        hex(&self.as_bytes())
    }
}

fn first8(bytes: &[u8]) -> [u8; 8] {
    let mut out = [0u8; 8];
    out.copy_from_slice(&bytes[..8]);
    out
}

/// In JSON (`audit --json`, the daemon's answers) the digest is hex, as it
/// is hashed.
impl Serialize for StateDigest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for StateDigest {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<StateDigest, D::Error> {
        let text = String::deserialize(d)?;
        unhex(&text)
            .as_deref()
            .and_then(StateDigest::from_bytes)
            .ok_or_else(|| serde::de::Error::custom("a state digest is hex, 32 digits a key"))
    }
}

/// The bytes [`hex`] wrote (either case); `None` unless every pair is two
/// hex digits.
pub fn unhex(text: &str) -> Option<Vec<u8>> {
    let digit = |c: u8| char::from(c).to_digit(16).map(|v| v as u8);
    text.as_bytes()
        .chunks(2)
        .map(|pair| match pair {
            [hi, lo] => Some(digit(*hi)? << 4 | digit(*lo)?),
            _ => None,
        })
        .collect()
}

/// Lowercase hex, two digits a byte, as every hash of the chain is written.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xF)]));
    }
    out
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
    #[error("audit entry {seq} cannot be read ({why}): the entries around it are still checked")]
    Unreadable { seq: u64, why: String },
    #[error("the audit log should end at entry {head} but ends at entry {last}: entries are missing at the end")]
    Short { head: u64, last: u64 },
    #[error(
        "audit entry {seq} has had its texts erased, but no deletion says it erased them: they were removed behind the service's back"
    )]
    Unclaimed { seq: u64 },
    #[error("audit entry {by} erased entry {seq}, but entry {seq} is not erased: its texts were put back")]
    Unerased { seq: u64, by: u64 },
}

/// The most breaks one walk keeps to report; the rest are only counted, so
/// a log broken everywhere cannot fill the memory of the one checking it.
pub const REPORTED_BREAKS: usize = 20;

/// Checks entries in order, carrying what the previous one said.
///
/// A break does not end the walk: the next entry is checked against the
/// one that broke, so tampering further on is not hidden behind the first
/// break.
#[derive(Debug, Default)]
pub struct ChainCheck {
    last: Option<(u64, String)>,
    /// The entry before could not be read, so the next one's link to it
    /// cannot be checked.
    after_unreadable: bool,
    pub checked: u64,
    /// The first entry the walk saw.
    first: Option<u64>,
    /// Erased entries that no later entry has yet said it erased.
    erased: std::collections::HashSet<u64>,
    /// Entries that could not be read, whose erasure cannot be seen.
    unread: std::collections::HashSet<u64>,
    breaks: Vec<ChainBreak>,
    unreported: u64,
}

impl ChainCheck {
    /// Checks the next entry, and carries on from it whatever it held.
    ///
    /// The first break found in the entry is returned; a break in what it
    /// says of erasures is kept for [`ChainCheck::findings`].
    pub fn next(&mut self, entry: &AuditEntry) -> Result<(), ChainBreak> {
        let (prev_seq, prev_hash) = self.last.clone().unwrap_or((0, GENESIS_HASH.to_owned()));
        self.last = Some((entry.seq, entry.hash.clone()));
        self.first.get_or_insert(entry.seq);
        self.checked += 1;
        let unlinked = std::mem::take(&mut self.after_unreadable);
        self.follow_erasures(entry);
        if entry.seq != prev_seq + 1 {
            return Err(ChainBreak::Gap { seq: entry.seq, prev: prev_seq });
        }
        if !unlinked && entry.prev_hash != prev_hash {
            return Err(ChainBreak::Unlinked { seq: entry.seq });
        }
        if !entry.is_intact() {
            return Err(ChainBreak::Altered { seq: entry.seq });
        }
        Ok(())
    }

    /// Holds erased entries to the deletions that say they erased them:
    /// an erased entry waits until a later entry claims it.
    fn follow_erasures(&mut self, entry: &AuditEntry) {
        if entry.personal.is_erased() {
            self.erased.insert(entry.seq);
        }
        let first = self.first.unwrap_or(1);
        for &seq in &entry.personal.erases {
            // An entry before where the walk began was not seen.
            if seq >= first && !self.erased.remove(&seq) && !self.unread.contains(&seq) {
                self.keep(ChainBreak::Unerased { seq, by: entry.seq });
            }
        }
    }

    /// Checks the next entry and keeps any break for [`ChainCheck::findings`].
    pub fn record(&mut self, entry: &AuditEntry) {
        if let Err(e) = self.next(entry) {
            self.keep(e);
        }
    }

    /// An entry stored under `seq` that cannot be read: a break, and the
    /// walk carries on with the entry after it.
    pub fn unreadable(&mut self, seq: u64, why: String) {
        let prev = self.last.as_ref().map_or(0, |(s, _)| *s);
        if seq != prev + 1 {
            self.keep(ChainBreak::Gap { seq, prev });
        }
        self.keep(ChainBreak::Unreadable { seq, why });
        self.first.get_or_insert(seq);
        self.unread.insert(seq);
        self.last = Some((seq, String::new()));
        self.after_unreadable = true;
        self.checked += 1;
    }

    /// After the walk: the log must reach `head`, the last entry number
    /// the store says it wrote.
    pub fn expect_head(&mut self, head: u64) {
        let last = self.last.as_ref().map_or(0, |(seq, _)| *seq);
        if last < head {
            self.keep(ChainBreak::Short { head, last });
        }
        let mut unclaimed: Vec<u64> = self.erased.drain().collect();
        unclaimed.sort_unstable();
        for seq in unclaimed {
            self.keep(ChainBreak::Unclaimed { seq });
        }
    }

    fn keep(&mut self, e: ChainBreak) {
        if self.breaks.len() < REPORTED_BREAKS {
            self.breaks.push(e);
        } else {
            self.unreported += 1;
        }
    }

    pub fn breaks(&self) -> &[ChainBreak] {
        &self.breaks
    }

    /// Every break found, in one message; `None` when the chain is intact.
    pub fn findings(&self) -> Option<String> {
        if self.breaks.is_empty() {
            return None;
        }
        let listed: Vec<String> = self.breaks.iter().map(ToString::to_string).collect();
        let total = self.breaks.len() as u64 + self.unreported;
        let more = match self.unreported {
            0 => String::new(),
            n => format!("; and {n} more"),
        };
        let count = if total == 1 { "1 break".to_owned() } else { format!("{total} breaks") };
        Some(format!("{count}: {}{more}", listed.join("; ")))
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
            batch: None,
        }
    }

    fn chain(n: u32) -> Vec<AuditEntry> {
        let mut prev = GENESIS_HASH.to_owned();
        (1..=n)
            .map(|i| {
                let e = AuditEntry::chain(u64::from(i), draft(i), &prev, None);
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

    fn findings(entries: &[AuditEntry], head: u64) -> Vec<ChainBreak> {
        let mut c = ChainCheck::default();
        entries.iter().for_each(|e| c.record(e));
        c.expect_head(head);
        c.breaks().to_vec()
    }

    #[test]
    fn every_break_is_reported_not_only_the_first() {
        let mut log = chain(8);
        log[1].draft.operator = "someone-else".into();
        log.remove(4);
        let mut forged = log[5].draft.clone();
        forged.after = Some("forged".into());
        log[5] = AuditEntry::chain(7, forged, &log[4].hash, None);
        // Entry 2 altered, 5 removed, 7 rewritten with a fresh hash, and the
        // store's head says there was a 9.
        assert_eq!(
            findings(&log, 9),
            [
                ChainBreak::Altered { seq: 2 },
                ChainBreak::Gap { seq: 6, prev: 4 },
                ChainBreak::Unlinked { seq: 8 },
                ChainBreak::Short { head: 9, last: 8 },
            ]
        );
        assert_eq!(findings(&chain(8), 8), []);
        assert_eq!(findings(&[], 0), []);
        assert_eq!(findings(&[], 2), [ChainBreak::Short { head: 2, last: 0 }]);
    }

    #[test]
    fn a_log_broken_everywhere_is_reported_within_a_bound() {
        let mut log = chain(50);
        for e in &mut log {
            e.draft.operator = "someone-else".into();
        }
        let mut c = ChainCheck::default();
        log.iter().for_each(|e| c.record(e));
        assert_eq!(c.breaks().len(), REPORTED_BREAKS);
        let message = c.findings().unwrap();
        assert!(message.starts_with("50 breaks: audit entry 1 has been altered"), "{message}");
        assert!(message.ends_with("; and 30 more"), "{message}");
    }

    #[test]
    fn a_leap_second_hashes_as_the_instant_that_is_stored() {
        // 2026-06-30T23:59:60Z, as chrono parses it: 23:59:59 and a second
        // of nanoseconds. It is stored as milliseconds since the epoch,
        // which read back as 00:00:00 the next day.
        let leap = DateTime::parse_from_rfc3339("2026-06-30T23:59:60Z").unwrap().to_utc();
        let mut d = draft(1);
        d.at = leap;
        d.recorded_at = leap;
        let entry = AuditEntry::chain(1, d, GENESIS_HASH, None);
        let mut read_back = entry.clone();
        read_back.draft.at = DateTime::from_timestamp_millis(leap.timestamp_millis()).unwrap();
        read_back.draft.recorded_at = read_back.draft.at;
        assert!(read_back.is_intact(), "the hash must cover what the store keeps");
    }

    /// The hash of an entry written before batches existed: the draft's
    /// JSON then had no `batch` key.
    #[test]
    fn an_entry_from_before_batches_keeps_its_hash() {
        #[derive(Serialize)]
        struct Old<'a> {
            #[serde(with = "crate::domain::time::ts")]
            at: DateTime<Utc>,
            #[serde(with = "crate::domain::time::ts")]
            recorded_at: DateTime<Utc>,
            operator: &'a str,
            action: &'a str,
            subject: &'a str,
            command: &'a str,
            before: Option<&'a str>,
            after: Option<&'a str>,
        }
        let d = draft(3);
        let old = Old {
            at: d.at,
            recorded_at: d.recorded_at,
            operator: &d.operator,
            action: &d.action,
            subject: &d.subject,
            command: &d.command,
            before: d.before.as_deref(),
            after: d.after.as_deref(),
        };
        let mut h = Sha256::new();
        h.update(GENESIS_HASH.as_bytes());
        h.update(1u64.to_be_bytes());
        h.update(serde_json::to_vec(&old).unwrap());
        let old_hash: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(AuditEntry::chain(1, d.clone(), GENESIS_HASH, None).hash, old_hash);
        // A batch is covered by the hash: changing it breaks the entry.
        let mut batched = AuditEntry::chain(1, AuditDraft { batch: Some(7), ..d }, GENESIS_HASH, None);
        assert_ne!(batched.hash, old_hash);
        batched.draft.batch = Some(8);
        assert!(!batched.is_intact());
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
        rewritten[1] = AuditEntry::chain(2, d, &rewritten[0].hash, None);
        assert_eq!(check(&rewritten), Err(ChainBreak::Unlinked { seq: 3 }));
    }

    #[test]
    fn a_state_digest_keeps_the_last_write_of_each_key_and_reads_back_from_its_bytes_and_json() {
        let mut state = StateDigest::default();
        state.wrote("accounts", b"1", Some(b"old"));
        state.wrote("accounts.by_mobile", b"07700900001", Some(b"1"));
        state.wrote("accounts", b"1", Some(b"new"));
        state.wrote("members", b"2-1", None);
        let writes: Vec<_> = state.writes().collect();
        assert_eq!(writes.len(), 3, "one pair a key");
        assert_eq!(writes[0], (StateDigest::key_hash("accounts", b"1"), StateDigest::value_hash(b"new")));
        assert_eq!(writes[2].1, REMOVED);
        // The same key in another tree is another key.
        assert_ne!(StateDigest::key_hash("accounts", b"1"), StateDigest::key_hash("tickets", b"1"));
        assert_eq!(StateDigest::from_bytes(&state.as_bytes()), Some(state.clone()));
        assert_eq!(StateDigest::from_bytes(&[0; 15]), None);
        let json = serde_json::to_string(&state).unwrap();
        assert_eq!(serde_json::from_str::<StateDigest>(&json).unwrap(), state);
        assert!(serde_json::from_str::<StateDigest>("\"abc\"").is_err());
    }

    #[test]
    fn the_state_digest_is_part_of_what_the_hash_covers() {
        let mut state = StateDigest::default();
        state.wrote("tickets", b"1", Some(b"note"));
        let entry = AuditEntry::chain(1, draft(1), GENESIS_HASH, Some(state));
        assert!(entry.is_intact());
        let mut forged = entry.clone();
        forged.state.as_mut().unwrap().wrote("tickets", b"1", Some(b"forged note"));
        assert!(!forged.is_intact(), "a digest changed to match an edited record breaks the hash");
        let mut dropped = entry.clone();
        dropped.state = None;
        assert!(!dropped.is_intact(), "nor can the digest be dropped");
    }
}
