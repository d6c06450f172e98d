//! A whole queue listing on the daemon's socket, packed.
//!
//! A tab switch sends every slot of the tab: 20,000 at a busy desk. As a
//! sequence of records that is about twelve bytes a slot, each converted
//! from and to a calendar date on its own, and larger than a socket's
//! buffer, so the daemon's write waits for the console to drain it. A list
//! is sorted by due time, so neighbours are close: each slot is written as
//! the change from the one before, its due time in milliseconds and its
//! reference, as zig-zag varints (about six bytes a slot), all in one byte
//! string. Human-readable forms (JSON) keep the plain list of slots.

use std::sync::Arc;

use serde::de::{Error, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{MAX_SLOTS, TicketSlot};
use crate::domain::ticket::TicketRef;
use crate::domain::time::FromMillis;

pub fn serialize<S: Serializer>(slots: &Arc<Vec<TicketSlot>>, s: S) -> Result<S::Ok, S::Error> {
    if s.is_human_readable() {
        return slots.serialize(s);
    }
    let mut out = Vec::with_capacity(10 + slots.len() * 7);
    put(&mut out, slots.len() as u64);
    let (mut due, mut reference) = (0i64, 0u64);
    for slot in slots.iter() {
        let millis = slot.due_at.timestamp_millis();
        put(&mut out, zigzag(millis.wrapping_sub(due)));
        put(&mut out, zigzag(slot.reference.0.wrapping_sub(reference) as i64));
        (due, reference) = (millis, slot.reference.0);
    }
    s.serialize_bytes(&out)
}

pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Arc<Vec<TicketSlot>>, D::Error> {
    if d.is_human_readable() {
        return Vec::deserialize(d).map(Arc::new);
    }
    d.deserialize_bytes(Packed).map(Arc::new)
}

struct Packed;

/// The most a packed list can take: [`MAX_SLOTS`] slots of two ten-byte
/// varints, and the count.
const MOST_BYTES: usize = 10 + MAX_SLOTS * 20;

impl<'de> Visitor<'de> for Packed {
    type Value = Vec<TicketSlot>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a packed list of queue slots")
    }

    fn visit_bytes<E: Error>(self, bytes: &[u8]) -> Result<Self::Value, E> {
        unpack(bytes).map_err(E::custom)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut bytes = Vec::new();
        while let Some(b) = seq.next_element::<u8>()? {
            if bytes.len() == MOST_BYTES {
                return Err(A::Error::custom(format!("a packed list is longer than {MOST_BYTES} bytes")));
            }
            bytes.push(b);
        }
        self.visit_bytes(&bytes)
    }
}

fn unpack(mut bytes: &[u8]) -> Result<Vec<TicketSlot>, String> {
    let count = take(&mut bytes)?;
    // Each slot takes at least two bytes, so a count the bytes cannot
    // hold is refused before anything is allocated for it.
    if count > MAX_SLOTS as u64 || count > bytes.len() as u64 / 2 {
        return Err(format!("a packed list says it holds {count} slots in {} bytes", bytes.len()));
    }
    let mut slots = Vec::with_capacity(count as usize);
    let (mut due, mut reference) = (0i64, 0u64);
    let mut from = FromMillis::default();
    for _ in 0..count {
        due = due.wrapping_add(unzigzag(take(&mut bytes)?));
        reference = reference.wrapping_add(unzigzag(take(&mut bytes)?) as u64);
        let due_at = from.at(due).ok_or_else(|| format!("a slot due at {due} ms from the epoch is out of range"))?;
        slots.push(TicketSlot { due_at, reference: TicketRef(reference) });
    }
    if !bytes.is_empty() {
        return Err(format!("a packed list runs on past its last slot, by {} bytes", bytes.len()));
    }
    Ok(slots)
}

fn zigzag(n: i64) -> u64 {
    ((n << 1) ^ (n >> 63)) as u64
}

fn unzigzag(n: u64) -> i64 {
    (n >> 1) as i64 ^ -((n & 1) as i64)
}

fn put(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push(n as u8 | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// The next varint: at most ten bytes, the tenth holding the top bit.
fn take(bytes: &mut &[u8]) -> Result<u64, String> {
    let mut n = 0u64;
    for (i, &b) in bytes.iter().enumerate().take(10) {
        if i == 9 && b > 1 {
            return Err("a packed list holds a number too large for 64 bits".to_owned());
        }
        n |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            *bytes = &bytes[i + 1..];
            return Ok(n);
        }
    }
    Err("a packed list ends inside a number".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::SlotListing;
    use chrono::DateTime;
    use proptest::prelude::*;

    /// As the daemon encodes an answer's body, and a console decodes it.
    fn through_the_socket(listing: &SlotListing) -> Result<SlotListing, String> {
        let bytes = crate::daemon::protocol::encode(listing).map_err(|e| e.to_string())?;
        crate::daemon::protocol::decode(&bytes).map_err(|e| e.to_string())
    }

    fn slot() -> impl Strategy<Value = TicketSlot> {
        (-62_135_596_800_000i64..253_402_300_799_999, any::<u64>()).prop_map(|(millis, reference)| TicketSlot {
            due_at: DateTime::from_timestamp_millis(millis).unwrap(),
            reference: TicketRef(reference),
        })
    }

    proptest! {
        #[test]
        fn a_listing_reads_back_as_it_was_sent(mut slots in proptest::collection::vec(slot(), 0..200), sorted in any::<bool>()) {
            if sorted {
                slots.sort();
            }
            let listing = SlotListing::All { slots: Arc::new(slots), at: None };
            prop_assert_eq!(through_the_socket(&listing).unwrap(), listing);
        }

        #[test]
        fn any_bytes_are_read_or_refused_without_a_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = unpack(&bytes);
        }
    }

    #[test]
    fn a_queue_listing_packs_to_about_six_bytes_a_slot() {
        let start = DateTime::from_timestamp_millis(1_796_000_000_000).unwrap();
        let slots: Vec<TicketSlot> = (0..20_000u64)
            .map(|i| TicketSlot {
                due_at: start + chrono::TimeDelta::seconds(60 * i as i64),
                reference: TicketRef((i * 7919) % 20_000 + 1),
            })
            .collect();
        let listing = SlotListing::All { slots: Arc::new(slots), at: None };
        let bytes = crate::daemon::protocol::encode(&listing).unwrap();
        assert!(bytes.len() < 20_000 * 7, "{} bytes for 20,000 slots", bytes.len());
        assert_eq!(through_the_socket(&listing).unwrap(), listing);
    }

    #[test]
    fn a_packed_list_that_lies_about_itself_is_refused_with_what_is_wrong() {
        let mut more = Vec::new();
        put(&mut more, 3);
        put(&mut more, 0);
        put(&mut more, 2);
        assert!(unpack(&more).unwrap_err().contains("says it holds 3 slots"));
        let mut short = Vec::new();
        put(&mut short, 1);
        short.extend([0x80, 0x80]);
        assert!(unpack(&short).unwrap_err().contains("ends inside a number"));
        let mut trailing = Vec::new();
        put(&mut trailing, 1);
        put(&mut trailing, 2);
        put(&mut trailing, 4);
        trailing.push(0);
        assert!(unpack(&trailing).unwrap_err().contains("past its last slot, by 1 bytes"));
        let mut huge = vec![1];
        huge.extend([0xff; 9]);
        huge.push(0x7f);
        assert!(unpack(&huge).unwrap_err().contains("too large"));
        let mut far = Vec::new();
        put(&mut far, 1);
        put(&mut far, zigzag(i64::MAX));
        put(&mut far, 2);
        assert!(unpack(&far).unwrap_err().contains("out of range"));
    }

    #[test]
    fn a_packed_list_given_as_a_sequence_is_read_and_held_to_its_bound() {
        use serde::de::value::{Error as ValueError, SeqDeserializer};
        let mut bytes = Vec::new();
        put(&mut bytes, 1);
        put(&mut bytes, zigzag(86_400_000));
        put(&mut bytes, 6);
        let read = Packed.visit_seq(SeqDeserializer::<_, ValueError>::new(bytes.into_iter())).unwrap();
        assert_eq!(
            read,
            [TicketSlot { due_at: DateTime::from_timestamp_millis(86_400_000).unwrap(), reference: TicketRef(3) }]
        );
        let endless = SeqDeserializer::<_, ValueError>::new(std::iter::repeat_n(0u8, MOST_BYTES + 1));
        assert!(Packed.visit_seq(endless).unwrap_err().to_string().contains("longer than"));
    }

    #[test]
    fn json_keeps_the_plain_list() {
        let slot = TicketSlot { due_at: DateTime::from_timestamp_millis(0).unwrap(), reference: TicketRef(5) };
        let json = serde_json::to_string(&SlotListing::All { slots: Arc::new(vec![slot]), at: None }).unwrap();
        assert_eq!(json, r#"{"All":{"slots":[{"due_at":"1970-01-01T00:00:00Z","reference":"CD-000005"}],"at":null}}"#);
    }
}
