//! The one place that names bincode.
//!
//! Every stored value is one schema-version byte followed by the bincode body,
//! so a record written by an older release can be recognised and upgraded on
//! read. A decode that leaves bytes unread is an error, not a success: it means
//! the value was written by a different shape than the one reading it.
//!
//! The daemon's messages use the same encoding, with the protocol version as
//! the leading byte ([`encode_message`], [`decode_message`]).
//!
//! Audit entries have a compact body of their own ([`encode_audit`]): the
//! hashes as bytes, and the texts packed (`pack.rs`), the record after a
//! change as its difference from the record before. From schema 4 the
//! entry's state digest follows that body.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::domain::audit::{AuditDraft, AuditEntry};
use crate::domain::erasure::{Personal, Seal};

/// Larger values than this are corrupt, not records; it is also the largest
/// message the daemon takes or sends.
pub const LIMIT: usize = 16 << 20;

fn config() -> impl bincode::config::Config {
    bincode::config::standard().with_limit::<LIMIT>()
}

#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    #[error("an empty value was found where a {what} record was expected")]
    Empty { what: &'static str },
    #[error(
        "a {what} record was written by a newer caredesk (schema {found}, this build reads up to {known}): \
         upgrade caredesk before using this database"
    )]
    Newer { what: &'static str, found: u8, known: u8 },
    #[error("a {what} record has schema version {found}, which this build cannot read")]
    Unknown { what: &'static str, found: u8 },
    #[error("a {what} record could not be read ({detail}): the database may be damaged")]
    Corrupt { what: &'static str, detail: String },
    #[error("a {what} record could not be written: {detail}")]
    Encode { what: &'static str, detail: String },
}

/// `version` then the body.
pub fn encode<T: Serialize>(what: &'static str, version: u8, value: &T) -> Result<Vec<u8>, CodecError> {
    let mut out = Vec::with_capacity(128);
    out.push(version);
    bincode::serde::encode_into_std_write(value, &mut out, config())
        .map_err(|e| CodecError::Encode { what, detail: e.to_string() })?;
    Ok(out)
}

/// Splits a stored value into its schema version and body.
pub fn split<'a>(what: &'static str, bytes: &'a [u8]) -> Result<(u8, &'a [u8]), CodecError> {
    bytes.split_first().map(|(v, body)| (*v, body)).ok_or(CodecError::Empty { what })
}

/// Decodes a body that must be consumed exactly.
pub fn decode_body<T: DeserializeOwned>(what: &'static str, body: &[u8]) -> Result<T, CodecError> {
    let (value, read) = bincode::serde::decode_from_slice(body, config())
        .map_err(|e| CodecError::Corrupt { what, detail: e.to_string() })?;
    if read != body.len() {
        return Err(CodecError::Corrupt {
            what,
            detail: format!("{} trailing bytes after the record", body.len() - read),
        });
    }
    Ok(value)
}

/// Decodes the leading fields of a body as `T`, a struct whose fields are
/// the first fields of the record in their declared order, borrowing its
/// strings from `body`. The rest of the body is not read: what it holds is
/// the whole record's decoder's to check.
pub fn decode_leading<'de, T: Deserialize<'de>>(what: &'static str, body: &'de [u8]) -> Result<T, CodecError> {
    bincode::serde::borrow_decode_from_slice(body, config())
        .map(|(value, _)| value)
        .map_err(|e| CodecError::Corrupt { what, detail: e.to_string() })
}

/// Reads a body in bincode's standard layout one field at a time, for the
/// values a page decodes by the fifty (ticket rows): the same bytes serde
/// reads, without its visitors, and with each string checked and copied
/// once. The caller names the fields in their declared order, as serde
/// would; `TicketSummary`'s tests hold the two readers to each other on
/// every input, well-formed or not.
pub struct Fields<'a> {
    what: &'static str,
    rest: &'a [u8],
}

impl<'a> Fields<'a> {
    pub fn new(what: &'static str, body: &'a [u8]) -> Fields<'a> {
        Fields { what, rest: body }
    }

    fn corrupt(&self, detail: impl Into<String>) -> CodecError {
        CodecError::Corrupt { what: self.what, detail: detail.into() }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], CodecError> {
        if self.rest.len() < n {
            return Err(self.corrupt(format!("{n} bytes wanted, {} left", self.rest.len())));
        }
        let (taken, rest) = self.rest.split_at(n);
        self.rest = rest;
        Ok(taken)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], CodecError> {
        let bytes = self.take(N)?;
        Ok(std::array::from_fn(|i| bytes[i]))
    }

    pub fn u8(&mut self) -> Result<u8, CodecError> {
        Ok(self.take(1)?[0])
    }

    /// bincode's variable-length integer: one byte below 251, else a
    /// marker byte and the integer in 2, 4 or 8 little-endian bytes.
    pub fn u64(&mut self) -> Result<u64, CodecError> {
        match self.u8()? {
            small @ 0..=250 => Ok(u64::from(small)),
            251 => Ok(u64::from(u16::from_le_bytes(self.array()?))),
            252 => Ok(u64::from(u32::from_le_bytes(self.array()?))),
            253 => Ok(u64::from_le_bytes(self.array()?)),
            marker => Err(self.corrupt(format!("integer marker {marker} where a u64 was expected"))),
        }
    }

    /// Zigzag over the variable-length integer.
    pub fn i64(&mut self) -> Result<i64, CodecError> {
        let zigzag = self.u64()?;
        Ok(((zigzag >> 1) as i64) ^ -((zigzag & 1) as i64))
    }

    pub fn string(&mut self) -> Result<String, CodecError> {
        let len = self.u64()?;
        let len = usize::try_from(len).map_err(|_| self.corrupt(format!("a string of {len} bytes")))?;
        let bytes = self.take(len)?;
        std::str::from_utf8(bytes).map(str::to_owned).map_err(|e| self.corrupt(e.to_string()))
    }

    /// An `Option`'s tag: whether a value follows.
    pub fn some(&mut self) -> Result<bool, CodecError> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            tag => Err(self.corrupt(format!("option tag {tag}"))),
        }
    }

    /// A unit-only enum, by its variant's place in the declaration (what
    /// serde writes), from the declaration-ordered list of variants.
    pub fn variant<T: Copy>(&mut self, variants: &[T]) -> Result<T, CodecError> {
        let index = self.u64()?;
        if index > u64::from(u32::MAX) {
            return Err(self.corrupt(format!("variant index {index}")));
        }
        usize::try_from(index)
            .ok()
            .and_then(|i| variants.get(i).copied())
            .ok_or_else(|| self.corrupt(format!("variant index {index} of {}", variants.len())))
    }

    /// An instant as its milliseconds, as `domain::time::ts` writes it.
    pub fn instant(&mut self) -> Result<chrono::DateTime<chrono::Utc>, CodecError> {
        let millis = self.i64()?;
        instant_from_millis(millis).ok_or_else(|| self.corrupt(format!("timestamp {millis} ms is out of range")))
    }

    /// The end of the body: bytes left over mean another shape wrote it.
    pub fn finish(self) -> Result<(), CodecError> {
        match self.rest.len() {
            0 => Ok(()),
            n => Err(self.corrupt(format!("{n} trailing bytes after the record"))),
        }
    }
}

/// What `DateTime::from_timestamp_millis` gives, with the calendar dates
/// of the last two days it was asked for kept on the thread. A page of
/// queue rows is in due order, and its rows mostly share their day of
/// receipt and their due day with the row before, while working out a
/// date from a day number was half of what reading a row's two instants
/// cost.
fn instant_from_millis(millis: i64) -> Option<chrono::DateTime<chrono::Utc>> {
    use std::cell::Cell;

    use chrono::{NaiveDate, NaiveTime};
    const DAY: i64 = 86_400_000;
    type Kept = [Option<(i64, NaiveDate)>; 2];
    thread_local! {
        /// The newest first.
        static KEPT: Cell<Kept> = const { Cell::new([None, None]) };
    }
    let (day, into_day) = (millis.div_euclid(DAY), millis.rem_euclid(DAY));
    let kept = KEPT.get();
    let date = match kept {
        [Some((d, date)), _] if d == day => date,
        [newer, Some((d, date))] if d == day => {
            KEPT.set([Some((d, date)), newer]);
            date
        }
        [newer, _] => {
            let date = chrono::DateTime::from_timestamp_millis(day.checked_mul(DAY)?)?.date_naive();
            KEPT.set([Some((day, date)), newer]);
            date
        }
    };
    // Both below their bounds: `into_day` is under a day.
    let time =
        NaiveTime::from_num_seconds_from_midnight_opt((into_day / 1000) as u32, (into_day % 1000) as u32 * 1_000_000)?;
    Some(date.and_time(time).and_utc())
}

/// An audit entry as it is kept from schema 3 on: what [`AuditEntry`]
/// holds, with the hashes as bytes and the texts packed.
#[derive(Serialize, serde::Deserialize)]
struct StoredAudit {
    seq: u64,
    at: i64,
    recorded_at: i64,
    operator: String,
    action: String,
    subject: String,
    command: Vec<u8>,
    before: Option<Vec<u8>>,
    after: StoredAfter,
    batch: Option<u64>,
    prev_hash: StoredHash,
    hash: StoredHash,
}

#[derive(Serialize, serde::Deserialize)]
enum StoredAfter {
    None,
    /// Packed, when there was no record before.
    Whole(Vec<u8>),
    /// What differs from the record before.
    Change {
        same_start: u32,
        same_end: u32,
        middle: Vec<u8>,
    },
}

/// A hash as the chain writes it (64 lowercase hex digits) kept as its 32
/// bytes; any other text (a damaged or forged entry) is kept as it is, so
/// that verifying reports it.
#[derive(Serialize, serde::Deserialize)]
enum StoredHash {
    Bytes([u8; 32]),
    Text(String),
}

impl StoredHash {
    fn of(hex: &str) -> StoredHash {
        let digits = hex.as_bytes();
        let nibble = |c: u8| match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        };
        let mut bytes = [0u8; 32];
        if digits.len() == 64 {
            let read =
                bytes.iter_mut().enumerate().all(|(i, b)| match (nibble(digits[2 * i]), nibble(digits[2 * i + 1])) {
                    (Some(hi), Some(lo)) => {
                        *b = hi << 4 | lo;
                        true
                    }
                    _ => false,
                });
            if read {
                return StoredHash::Bytes(bytes);
            }
        }
        StoredHash::Text(hex.to_owned())
    }

    fn into_text(self) -> String {
        match self {
            StoredHash::Bytes(bytes) => crate::domain::audit::hex(&bytes),
            StoredHash::Text(text) => text,
        }
    }
}

const AUDIT: &str = "audit entry";

/// Who an entry concerns and how its texts are sealed (schema 5 on).
#[derive(Serialize, Deserialize)]
struct StoredPersonal {
    persons: Vec<u64>,
    tickets: Vec<u64>,
    seal: Option<StoredSeal>,
    erases: Vec<u64>,
}

#[derive(Serialize, Deserialize)]
enum StoredSeal {
    Sealed([u8; crate::domain::erasure::SALT_LEN]),
    Erased([u8; 32]),
}

/// An audit entry's compact body, after the schema `version` byte: the
/// entry without its state digest, then the digest (schema 4 on).
pub fn encode_audit(version: u8, entry: &AuditEntry) -> Result<Vec<u8>, CodecError> {
    use super::pack::{Delta, pack};
    let d = &entry.draft;
    let after = match (&d.before, &d.after) {
        (_, None) => StoredAfter::None,
        (None, Some(after)) => StoredAfter::Whole(pack(after)),
        (Some(before), Some(after)) => {
            let delta = Delta::between(before, after);
            StoredAfter::Change { same_start: delta.same_start, same_end: delta.same_end, middle: delta.middle }
        }
    };
    let stored = StoredAudit {
        seq: entry.seq,
        at: crate::domain::time::canonical(d.at).timestamp_millis(),
        recorded_at: crate::domain::time::canonical(d.recorded_at).timestamp_millis(),
        operator: d.operator.clone(),
        action: d.action.clone(),
        subject: d.subject.clone(),
        command: pack(&d.command),
        before: d.before.as_deref().map(pack),
        after,
        batch: d.batch,
        prev_hash: StoredHash::of(&entry.prev_hash),
        hash: StoredHash::of(&entry.hash),
    };
    let mut out = encode(AUDIT, version, &stored)?;
    if version < 4 {
        return Ok(out);
    }
    let state = entry.state.as_ref().map(crate::domain::audit::StateDigest::as_bytes);
    let encode_error = |e: bincode::error::EncodeError| CodecError::Encode { what: AUDIT, detail: e.to_string() };
    bincode::serde::encode_into_std_write(&state, &mut out, config()).map_err(encode_error)?;
    if version < 5 {
        return Ok(out);
    }
    let p = &entry.personal;
    let personal = StoredPersonal {
        persons: p.persons.clone(),
        tickets: p.tickets.clone(),
        seal: p.seal.map(|seal| match seal {
            Seal::Sealed { salt } => StoredSeal::Sealed(salt),
            Seal::Erased { digest } => StoredSeal::Erased(digest),
        }),
        erases: p.erases.clone(),
    };
    bincode::serde::encode_into_std_write(&personal, &mut out, config()).map_err(encode_error)?;
    Ok(out)
}

/// Reads the body [`encode_audit`] wrote as schema `version`: 3 has no
/// state digest, 4 does. (Schema 3 is still written by tests, to plant
/// entries as an earlier release left them.)
pub fn decode_audit(version: u8, body: &[u8]) -> Result<AuditEntry, CodecError> {
    use super::pack::{Delta, unpack};
    let bad = |detail: String| CodecError::Corrupt { what: AUDIT, detail };
    let (s, read): (StoredAudit, usize) =
        bincode::serde::decode_from_slice(body, config()).map_err(|e| bad(e.to_string()))?;
    let (state, personal) = match version {
        ..=3 if read != body.len() => {
            return Err(bad(format!("{} trailing bytes after the record", body.len() - read)));
        }
        ..=3 => (None, Personal::default()),
        4 => (decode_body::<Option<Vec<u8>>>(AUDIT, &body[read..])?, Personal::default()),
        _ => {
            let (digest, more): (Option<Vec<u8>>, usize) =
                bincode::serde::decode_from_slice(&body[read..], config()).map_err(|e| bad(e.to_string()))?;
            let p: StoredPersonal = decode_body(AUDIT, &body[read + more..])?;
            let seal = p.seal.map(|seal| match seal {
                StoredSeal::Sealed(salt) => Seal::Sealed { salt },
                StoredSeal::Erased(digest) => Seal::Erased { digest },
            });
            (digest, Personal { persons: p.persons, tickets: p.tickets, seal, erases: p.erases })
        }
    };
    let state = state
        .map(|bytes| {
            crate::domain::audit::StateDigest::from_bytes(&bytes)
                .ok_or_else(|| bad(format!("a state digest of {} bytes is not whole pairs", bytes.len())))
        })
        .transpose()?;
    let corrupt = |e: super::pack::PackError| CodecError::Corrupt { what: AUDIT, detail: e.to_string() };
    let instant = |millis: i64| {
        chrono::DateTime::from_timestamp_millis(millis).ok_or_else(|| CodecError::Corrupt {
            what: AUDIT,
            detail: format!("timestamp {millis} ms is out of range"),
        })
    };
    let before = s.before.as_deref().map(unpack).transpose().map_err(corrupt)?;
    let after = match s.after {
        StoredAfter::None => None,
        StoredAfter::Whole(packed) => Some(unpack(&packed).map_err(corrupt)?),
        StoredAfter::Change { same_start, same_end, middle } => {
            let base = before.as_deref().ok_or_else(|| corrupt(super::pack::PackError::Misfit))?;
            Some(Delta { same_start, same_end, middle }.apply(base).map_err(corrupt)?)
        }
    };
    Ok(AuditEntry {
        seq: s.seq,
        draft: AuditDraft {
            at: instant(s.at)?,
            recorded_at: instant(s.recorded_at)?,
            operator: s.operator,
            action: s.action,
            subject: s.subject,
            command: unpack(&s.command).map_err(corrupt)?,
            before,
            after,
            batch: s.batch,
        },
        prev_hash: s.prev_hash.into_text(),
        hash: s.hash.into_text(),
        state,
        personal,
    })
}

/// A message on the daemon's socket: the protocol version, then the body.
pub fn encode_message<T: Serialize>(protocol: u8, value: &T) -> Result<Vec<u8>, CodecError> {
    encode("daemon message", protocol, value)
}

/// Decodes a message that must be of `protocol` and consumed exactly.
pub fn decode_message<T: DeserializeOwned>(protocol: u8, bytes: &[u8]) -> Result<T, CodecError> {
    let what = "daemon message";
    match split(what, bytes)? {
        (v, body) if v == protocol => decode_body(what, body),
        (found, _) => Err(CodecError::Unknown { what, found }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde::Deserialize;

    proptest! {
        /// The kept day gives what chrono gives, for instants anywhere and
        /// for runs of them close together (the kept day reused, or not).
        #[test]
        fn an_instant_read_with_the_kept_day_is_chronos(
            start in any::<i64>(),
            steps in proptest::collection::vec(-200_000_000i64..200_000_000, 1..20),
            near in -300_000_000_000_000i64..300_000_000_000_000,
        ) {
            for base in [start, near] {
                let mut millis = base;
                for step in &steps {
                    prop_assert_eq!(instant_from_millis(millis), chrono::DateTime::from_timestamp_millis(millis));
                    millis = millis.saturating_add(*step);
                }
            }
        }
    }

    #[test]
    fn an_instant_at_the_edges_of_a_day_and_of_time_is_chronos() {
        let day = 86_400_000;
        let edges = [
            0,
            -1,
            day - 1,
            day,
            -day,
            -day - 1,
            1_800_000_000_000,
            chrono::DateTime::<chrono::Utc>::MAX_UTC.timestamp_millis(),
            chrono::DateTime::<chrono::Utc>::MAX_UTC.timestamp_millis() + 1,
            chrono::DateTime::<chrono::Utc>::MIN_UTC.timestamp_millis(),
            chrono::DateTime::<chrono::Utc>::MIN_UTC.timestamp_millis() - 1,
            i64::MAX,
            i64::MIN,
        ];
        for millis in edges.iter().chain(edges.iter().rev()) {
            assert_eq!(instant_from_millis(*millis), chrono::DateTime::from_timestamp_millis(*millis), "{millis}");
        }
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Thing {
        n: u32,
        s: String,
    }

    #[test]
    fn round_trip_keeps_the_version_byte_in_front() {
        let bytes = encode("thing", 7, &Thing { n: 5, s: "x".into() }).unwrap();
        let (v, body) = split("thing", &bytes).unwrap();
        assert_eq!(v, 7);
        assert_eq!(decode_body::<Thing>("thing", body).unwrap(), Thing { n: 5, s: "x".into() });
    }

    #[test]
    fn trailing_bytes_are_corruption() {
        let mut bytes = encode("thing", 1, &Thing { n: 5, s: "x".into() }).unwrap();
        bytes.push(0);
        let err = decode_body::<Thing>("thing", &bytes[1..]).unwrap_err();
        assert!(err.to_string().contains("1 trailing bytes"), "{err}");
    }

    fn login_entry() -> AuditEntry {
        let before = r#"{"id":2886,"address":"joao.ali@nhs.net","personal":{"first_name":"João","last_name":"Ali","email":"joao.ali939@example.org","mobile":"07700900939"},"mobile_hidden":false,"ods":"5JW66","administered_by":"nas","status":"pending-activation","must_change_password":true,"created_at":"2026-11-10T13:06:00Z","activated_at":null,"last_login_at":null,"password_changed_at":null,"temp_password_issued_at":"2026-11-10T13:06:00Z","locked_at":null,"inactive_since":null,"leaver_since":null,"deleted_at":null,"meta":{"rev":1,"changed_by":"nas2","changed_at":"2026-11-10T13:06:00Z"}}"#;
        let after = before.replace(r#""last_login_at":null"#, r#""last_login_at":"2026-11-11T08:57:00Z""#).replace(
            r#""rev":1,"changed_by":"nas2","changed_at":"2026-11-10T13:06:00Z""#,
            r#""rev":2,"changed_by":"root","changed_at":"2026-11-11T08:57:00Z""#,
        );
        let at = chrono::DateTime::parse_from_rfc3339("2026-11-11T08:57:00Z").unwrap().to_utc();
        let draft = AuditDraft {
            at,
            recorded_at: at + chrono::Duration::days(21),
            operator: "root".into(),
            action: "account.login".into(),
            subject: "joao.ali@nhs.net".into(),
            command: r#"{"record-login":{"address":"joao.ali@nhs.net"}}"#.into(),
            before: Some(before.into()),
            after: Some(after.clone()),
            batch: None,
        };
        // The record and its four covering index values, as a login writes them.
        let mut state = crate::domain::audit::StateDigest::default();
        for (tree, key) in [("accounts", "2886"), ("accounts.by_address", "joao.ali@nhs.net")] {
            state.wrote(tree, key.as_bytes(), Some(after.as_bytes()));
        }
        for tree in ["accounts.by_mobile", "accounts.by_name", "accounts.by_org"] {
            state.wrote(tree, b"key", Some(b"value"));
        }
        let prev = "b8bd00b56ffa209311ef2346ee1742f0a049daa378d6e35c78c582dd06726b1e";
        AuditEntry::chain(14_999, draft, prev, Some(state))
    }

    #[test]
    fn a_compact_audit_entry_is_at_most_half_the_bytes_of_schema_2_and_reads_back_whole() {
        let entry = login_entry();
        // Schema 2 was the entry's serde form, which had no state digest.
        let old = encode(AUDIT, 2, &AuditEntry { state: None, ..entry.clone() }).unwrap();
        let new = encode_audit(4, &entry).unwrap();
        assert!(new.len() * 2 <= old.len(), "{} bytes against {}", new.len(), old.len());
        let read = decode_audit(4, &new[1..]).unwrap();
        assert_eq!(read, entry);
        assert!(read.is_intact());
        // A creation (no record before) and an entry with no record after.
        let mut created = entry.clone();
        created.draft.before = None;
        assert_eq!(decode_audit(4, &encode_audit(4, &created).unwrap()[1..]).unwrap(), created);
        created.draft.after = None;
        created.draft.batch = Some(7);
        created.state = None;
        assert_eq!(decode_audit(4, &encode_audit(4, &created).unwrap()[1..]).unwrap(), created);
        // Schema 3, as an earlier release wrote it: no digest.
        assert_eq!(decode_audit(3, &encode_audit(3, &created).unwrap()[1..]).unwrap(), created);
    }

    #[test]
    fn a_sealed_entry_reads_back_with_who_it_concerns_and_still_verifies_once_erased() {
        use crate::domain::erasure::{Personal, Seal};
        let login = login_entry();
        let personal = Personal {
            persons: vec![2886],
            tickets: vec![41, 7],
            seal: Some(Seal::Sealed { salt: [9; 16] }),
            erases: Vec::new(),
        };
        let entry = AuditEntry::chain_with(login.seq, login.draft, &login.prev_hash, login.state, personal);
        let read = decode_audit(5, &encode_audit(5, &entry).unwrap()[1..]).unwrap();
        assert_eq!(read, entry);
        assert!(read.is_intact());
        let mut erased = read.clone();
        assert!(erased.erase());
        let bytes = encode_audit(5, &erased).unwrap();
        let shown = String::from_utf8_lossy(&bytes);
        assert!(!shown.contains("João") && !shown.contains("900939"), "the texts are gone from the bytes");
        assert!(bytes.len() < encode_audit(5, &entry).unwrap().len());
        let read = decode_audit(5, &bytes[1..]).unwrap();
        assert_eq!((read.hash.as_str(), read.is_intact()), (entry.hash.as_str(), true));
        for cut in 1..bytes.len() {
            assert!(decode_audit(5, &bytes[1..cut]).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn a_hash_that_is_not_hex_is_kept_as_written_so_verifying_reports_it() {
        let mut entry = login_entry();
        entry.hash = "not a hash".into();
        entry.prev_hash = "ABCDEF".repeat(10) + "0123";
        let read = decode_audit(4, &encode_audit(4, &entry).unwrap()[1..]).unwrap();
        assert_eq!((read.hash.as_str(), read.prev_hash.as_str()), (entry.hash.as_str(), entry.prev_hash.as_str()));
        assert!(!read.is_intact());
    }

    #[test]
    fn a_damaged_compact_entry_is_an_error_not_a_panic() {
        let bytes = encode_audit(4, &login_entry()).unwrap();
        for cut in 1..bytes.len() {
            assert!(decode_audit(4, &bytes[1..cut]).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn empty_and_truncated_values_are_errors() {
        assert!(matches!(split("thing", &[]), Err(CodecError::Empty { .. })));
        let bytes = encode("thing", 1, &Thing { n: 5, s: "hello".into() }).unwrap();
        assert!(decode_body::<Thing>("thing", &bytes[1..bytes.len() - 2]).is_err());
    }
}
