//! Saved views: a queue tab and a filter line kept under a name, for one
//! operator or shared by a supervisor with everyone.
//!
//! The filter is kept as the words the operator wrote (the service checks
//! them when saving and reads them with each count), so a view saved by an
//! older release still reads as it did.

use serde::{Deserialize, Serialize};

use super::record::RecordMeta;

/// Longest view name, in characters.
pub const MAX_VIEW_NAME: usize = 40;
/// Longest filter line, in characters.
pub const MAX_FILTER: usize = 400;
/// Most views one operator keeps, and most shared ones.
pub const MAX_VIEWS: usize = 50;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedView {
    pub name: String,
    /// `None`: shared with everyone (made by a supervisor).
    pub owner: Option<String>,
    /// The queue tab: `nas`, `helpdesk`, `resolver`, `mine` or `all`.
    pub queue: String,
    /// The filter line, as in `org:V1234 due:<2h -cat:leaver`.
    pub filter: String,
    pub meta: RecordMeta,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadView {
    #[error("a view's name is 1 to {MAX_VIEW_NAME} letters, digits, hyphens or spaces: not {0:?}")]
    Name(String),
    #[error("the filter is {0} characters long; a view keeps at most {MAX_FILTER}")]
    FilterTooLong(usize),
}

pub fn check_view_name(name: &str) -> Result<String, BadView> {
    let name = name.trim();
    let ok = !name.is_empty()
        && name.chars().count() <= MAX_VIEW_NAME
        && name.chars().all(|c| c.is_alphanumeric() || c == '-' || c == ' ' || c == '_');
    if ok { Ok(name.to_owned()) } else { Err(BadView::Name(name.to_owned())) }
}

pub fn check_filter_length(filter: &str) -> Result<(), BadView> {
    let n = filter.chars().count();
    if n > MAX_FILTER { Err(BadView::FilterTooLong(n)) } else { Ok(()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn view_names_are_short_plain_words() {
        assert_eq!(check_view_name(" bank holiday backlog ").unwrap(), "bank holiday backlog");
        for bad in ["", "a\u{1b}[31m", &"x".repeat(MAX_VIEW_NAME + 1), "semi;colon"] {
            assert!(check_view_name(bad).is_err(), "{bad:?}");
        }
        assert!(check_filter_length(&"x".repeat(MAX_FILTER + 1)).is_err());
    }
}
