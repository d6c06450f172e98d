//! The benches' random numbers: SplitMix64, small, fast and the same on
//! every machine, so a fixture built from it is too.
//!
//! Each bench uses part of this file, so unused items are expected.
#![allow(dead_code)]

pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    pub fn weighted<'a>(&mut self, table: &[(&'a str, u64)]) -> &'a str {
        let total: u64 = table.iter().map(|(_, w)| w).sum();
        let mut roll = self.below(total);
        for (name, w) in table {
            if roll < *w {
                return name;
            }
            roll -= w;
        }
        table[0].0
    }
    pub fn pick<'a>(&mut self, list: &[&'a str]) -> &'a str {
        list[self.below(list.len() as u64) as usize]
    }
}
