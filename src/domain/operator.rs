//! The people who work in caredesk, known by their operating-system account.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::permission::Role;
use super::record::RecordMeta;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operator {
    /// The operating-system user name; never a name the client claims.
    pub username: String,
    pub role: Role,
    pub enabled: bool,
    #[serde(with = "super::time::ts")]
    pub added_at: DateTime<Utc>,
    pub meta: RecordMeta,
}

/// Operating-system user names: what `useradd` accepts.
pub fn valid_username(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 32
        && name.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-' | '.'))
}
