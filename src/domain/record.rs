//! What every stored entity carries so that concurrent edits are caught.
//!
//! A revision counts the writes to one record. A command built on a record an
//! operator saw names that revision; if someone else wrote in between, the
//! command is refused as a conflict and the message says who changed it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordMeta {
    pub rev: u64,
    pub changed_by: String,
    #[serde(with = "super::time::ts")]
    pub changed_at: DateTime<Utc>,
}

impl RecordMeta {
    pub fn created(by: &str, at: DateTime<Utc>) -> Self {
        RecordMeta { rev: 1, changed_by: by.to_owned(), changed_at: at }
    }

    /// The meta of the next revision, written by `by` at `at`.
    pub fn next(&self, by: &str, at: DateTime<Utc>) -> Self {
        RecordMeta { rev: self.rev + 1, changed_by: by.to_owned(), changed_at: at }
    }
}
