//! What typing does in a choice field: which options match what was typed
//! (fuzzily, with case and accents folded) and in what order, and which
//! keys narrow or widen the filter. The form decides what is chosen.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::domain::validate::fold_for_search;

/// How a choice's option that the rules refuse begins; it is drawn dimmed.
pub const UNAVAILABLE: &str = "✗ ";

/// The longest filter a choice takes: no option needs more to be told apart.
pub const FILTER_LIMIT: usize = 64;

/// How well `option` fits what was typed, best first, or `None` when it
/// does not: case and accents folded, the typed characters in order but
/// not necessarily together ("mbx acc" finds "mailbox-access").
fn choice_fit(filter: &str, option: &str) -> Option<u8> {
    let filter = fold_for_search(filter);
    let option = fold_for_search(option);
    if filter.is_empty() || option.starts_with(&filter) {
        return Some(0);
    }
    let word_start = option
        .char_indices()
        .filter(|(i, _)| *i == 0 || !option[..*i].ends_with(|c: char| c.is_alphanumeric()))
        .any(|(i, _)| option[i..].starts_with(&filter));
    if word_start {
        return Some(1);
    }
    if option.contains(&filter) {
        return Some(2);
    }
    let mut rest = option.chars();
    filter.chars().filter(|c| *c != ' ').all(|f| rest.any(|o| o == f)).then_some(3)
}

/// The indices of the options that match `filter`, best fit first and in
/// their own order within a fit.
pub fn choice_matches(options: &[String], filter: &str) -> Vec<usize> {
    let mut fits: Vec<(u8, usize)> =
        options.iter().enumerate().filter_map(|(i, o)| choice_fit(filter, o).map(|fit| (fit, i))).collect();
    fits.sort();
    fits.into_iter().map(|(_, i)| i).collect()
}

/// Narrows or widens a choice's filter for a key; `None` when the key is
/// not one a filter takes. Space narrows only once something was typed, so
/// on its own it still picks the next option.
pub(super) fn filter_key(filter: &mut String, key: &KeyEvent) -> Option<()> {
    if key.modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) {
        return None;
    }
    match key.code {
        KeyCode::Backspace if !filter.is_empty() => {
            filter.pop();
        }
        KeyCode::Char(' ') if filter.is_empty() => return None,
        KeyCode::Char(c) if !c.is_control() && filter.chars().count() < FILTER_LIMIT => filter.push(c),
        _ => return None,
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_choice_matches_fuzzily_with_case_and_accents_folded() {
        let options: Vec<String> =
            ["Zoë Adams <z@nhs.net>", "Sinéad Byrne <s@nhs.net>", "Sam Jones <j@nhs.net>"].map(str::to_owned).to_vec();
        assert_eq!(choice_matches(&options, "ZOE"), [0]);
        assert_eq!(choice_matches(&options, "sinead"), [1]);
        // Letters in order, not together: initials of the name.
        assert_eq!(choice_matches(&options, "sjones"), [2]);
        // A word's start ranks above a match inside a word.
        assert_eq!(choice_matches(&options, "s"), [1, 2, 0]);
        assert_eq!(choice_matches(&options, ""), [0, 1, 2]);
    }
}
