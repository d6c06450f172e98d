//! Index and record keys, encoded by hand so that they sort.
//!
//! Integers are big-endian; signed instants are offset so negative values
//! sort first; text parts end in a 0 byte so "smith" sorts before
//! "smithson" and a prefix scan for "smith\0" finds only Smiths.

use chrono::{DateTime, Utc};

pub const SEP: u8 = 0;

/// Builds a key from parts.
#[derive(Default)]
pub struct Key(Vec<u8>);

impl Key {
    pub fn new() -> Key {
        Key(Vec::with_capacity(32))
    }
    pub fn text(mut self, s: &str) -> Key {
        self.0.extend(s.bytes().filter(|b| *b != SEP));
        self.0.push(SEP);
        self
    }
    /// Text without a terminator: for prefix scans that match partial words.
    pub fn text_prefix(mut self, s: &str) -> Key {
        self.0.extend(s.bytes().filter(|b| *b != SEP));
        self
    }
    pub fn u8(mut self, n: u8) -> Key {
        self.0.push(n);
        self
    }
    pub fn u64(mut self, n: u64) -> Key {
        self.0.extend_from_slice(&n.to_be_bytes());
        self
    }
    pub fn instant(self, at: DateTime<Utc>) -> Key {
        self.u64(instant_bits(at))
    }
    pub fn build(self) -> Vec<u8> {
        self.0
    }
}

pub fn u64_key(n: u64) -> Vec<u8> {
    n.to_be_bytes().to_vec()
}

fn instant_bits(at: DateTime<Utc>) -> u64 {
    (at.timestamp_millis() as u64) ^ (1 << 63)
}

pub fn instant_from_bits(bits: u64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_millis((bits ^ (1 << 63)) as i64)
}

/// Reads a big-endian u64 at `offset`, or `None` if the key is too short.
pub fn read_u64(key: &[u8], offset: usize) -> Option<u64> {
    key.get(offset..offset + 8).map(|b| u64::from_be_bytes(b.try_into().unwrap_or([0; 8])))
}

/// The trailing big-endian u64 of a key: the id most indexes end with.
pub fn trailing_u64(key: &[u8]) -> Option<u64> {
    key.len().checked_sub(8).and_then(|at| read_u64(key, at))
}

/// The smallest key greater than every key starting with `prefix`.
pub fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_parts_sort_by_whole_words_then_numbers() {
        let smith1 = Key::new().text("smith").text("jo").u64(2).build();
        let smith2 = Key::new().text("smith").text("jo").u64(10).build();
        let smithson = Key::new().text("smithson").text("al").u64(1).build();
        assert!(smith1 < smith2 && smith2 < smithson);
        assert!(smithson.starts_with(&Key::new().text_prefix("smith").build()));
        assert!(!smithson.starts_with(&Key::new().text("smith").build()));
    }

    #[test]
    fn instants_sort_across_the_epoch() {
        let before = DateTime::from_timestamp(-10, 0).unwrap();
        let after = DateTime::from_timestamp(10, 0).unwrap();
        assert!(Key::new().instant(before).build() < Key::new().instant(after).build());
        assert_eq!(instant_from_bits(read_u64(&Key::new().instant(after).build(), 0).unwrap()), Some(after));
    }

    #[test]
    fn prefix_end_bounds_a_scan() {
        assert_eq!(prefix_end(b"ab"), Some(b"ac".to_vec()));
        assert_eq!(prefix_end(&[1, 255]), Some(vec![2]));
        assert_eq!(prefix_end(&[255, 255]), None);
        assert_eq!(trailing_u64(&Key::new().text("x").u64(42).build()), Some(42));
    }
}
