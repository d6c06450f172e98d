//! What an operator's search words match, and how well: the rules behind
//! finding a person or a shared mailbox from any fragment of a name, in any
//! order, with accents and case folded both ways.
//!
//! The store indexes every word of a name (see [`index_words`]); the
//! service reads candidates from those indexes and asks [`rank_person`] or
//! [`rank_mailbox`] whether each one matches every term, and how well. This
//! module reads no index and knows nothing of how candidates are found.

use super::validate::fold_for_search;

/// Terms after this many are ignored: no name needs more, and each one
/// costs an index read.
pub const MAX_TERMS: usize = 6;

/// Which part of a person's name a word came from. The code is stored in
/// index keys: never renumber.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum NameField {
    Surname,
    Forename,
}

impl NameField {
    pub fn code(self) -> u8 {
        match self {
            NameField::Surname => 0,
            NameField::Forename => 1,
        }
    }
}

/// The words a name is indexed under: each folded word, and each part of a
/// hyphenated one ("Mary-Jane" under `mary-jane`, `mary` and `jane`), so
/// that "ap Dafydd" is found from `dafydd` and "Zoë" from `zoe`.
pub fn index_words(name: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for word in fold_for_search(name).split(' ').filter(|w| !w.is_empty()) {
        let mut push = |w: &str| {
            if !w.is_empty() && !out.iter().any(|o| o == w) {
                out.push(w.to_owned());
            }
        };
        push(word);
        if word.contains('-') {
            word.split('-').for_each(&mut push);
        }
    }
    out
}

/// The terms of what an operator typed: folded words, split at spaces and
/// commas, so "mensah, nicola", "mensah nicola" and "Nicola Mensah" are the
/// same two terms. At most [`MAX_TERMS`].
pub fn terms(query: &str) -> Vec<String> {
    fold_for_search(&query.replace(',', " "))
        .split(' ')
        .filter(|w| !w.is_empty() && *w != "-")
        .take(MAX_TERMS)
        .map(str::to_owned)
        .collect()
}

/// How well one term fits, best first. The order is the ranking: an exact
/// ODS code, then whole words before the start of a word, surnames before
/// forenames, the person's own name before their organisation's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fit {
    OdsCode,
    Surname,
    Forename,
    SurnameStart,
    ForenameStart,
    Organisation,
    OrganisationStart,
}

impl Fit {
    fn is_start(self) -> bool {
        matches!(self, Fit::SurnameStart | Fit::ForenameStart | Fit::OrganisationStart)
    }
}

/// How well a record matches a whole search; the better match sorts first.
/// Fewer terms that only start a word come first ("jo smith" puts Joanne
/// Smith and Jo Smithson after Jo Smith), then the fits best first (so of
/// those two, the whole surname wins).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Rank {
    starts: usize,
    pub fits: Vec<Fit>,
}

fn word_fit(term: &str, words: &[String], exact: Fit, start: Fit) -> Option<Fit> {
    if words.iter().any(|w| w == term) {
        Some(exact)
    } else if words.iter().any(|w| w.starts_with(term)) {
        Some(start)
    } else {
        None
    }
}

fn rank(terms: &[String], fit: impl Fn(&str) -> Option<Fit>) -> Option<Rank> {
    if terms.is_empty() {
        return None;
    }
    let mut fits = terms.iter().map(|t| fit(t)).collect::<Option<Vec<Fit>>>()?;
    // In order of fit, not of typing, so "mensah nicola" and "nicola
    // mensah" rank a person alike.
    fits.sort();
    Some(Rank { starts: fits.iter().filter(|f| f.is_start()).count(), fits })
}

/// Whether a person matches every term, and how well.
pub fn rank_person(terms: &[String], first: &str, last: &str, ods: &str, organisation: Option<&str>) -> Option<Rank> {
    let surname = index_words(last);
    let forename = index_words(first);
    let org = organisation.map(index_words).unwrap_or_default();
    rank(terms, |term| {
        if term.eq_ignore_ascii_case(ods) {
            return Some(Fit::OdsCode);
        }
        let own = [
            word_fit(term, &surname, Fit::Surname, Fit::SurnameStart),
            word_fit(term, &forename, Fit::Forename, Fit::ForenameStart),
        ];
        own.into_iter().flatten().min().or_else(|| word_fit(term, &org, Fit::Organisation, Fit::OrganisationStart))
    })
}

/// Whether a shared mailbox matches every term, and how well: its display
/// name counts as the surname does for a person.
pub fn rank_mailbox(terms: &[String], display_name: &str, ods: &str, organisation: Option<&str>) -> Option<Rank> {
    let name = index_words(display_name);
    let org = organisation.map(index_words).unwrap_or_default();
    rank(terms, |term| {
        if term.eq_ignore_ascii_case(ods) {
            return Some(Fit::OdsCode);
        }
        word_fit(term, &name, Fit::Surname, Fit::SurnameStart)
            .or_else(|| word_fit(term, &org, Fit::Organisation, Fit::OrganisationStart))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| (*w).to_owned()).collect()
    }

    #[test]
    fn names_are_indexed_under_every_folded_word() {
        let cases: &[(&str, &[&str])] = &[
            ("Zoë", &["zoe"]),
            ("Sinéad", &["sinead"]),
            ("ap Dafydd", &["ap", "dafydd"]),
            ("Mary-Jane", &["mary-jane", "mary", "jane"]),
            ("O'Neil", &["oneil"]),
            ("  Żak  ", &["zak"]),
            ("Abbeyfield Care Services Care Team", &["abbeyfield", "care", "services", "team"]),
            ("", &[]),
        ];
        for (name, want) in cases {
            assert_eq!(index_words(name), strings(want), "{name:?}");
        }
    }

    #[test]
    fn search_terms_ignore_order_marks_and_accents() {
        let cases: &[(&str, &[&str])] = &[
            ("mensah, nicola", &["mensah", "nicola"]),
            ("Nicola  Mensah", &["nicola", "mensah"]),
            ("ZOË", &["zoe"]),
            ("Olivia ap Dafydd", &["olivia", "ap", "dafydd"]),
            (" , ", &[]),
            ("a b c d e f g h", &["a", "b", "c", "d", "e", "f"]),
        ];
        for (query, want) in cases {
            assert_eq!(terms(query), strings(want), "{query:?}");
        }
    }

    /// (query, first, last) → whether it matches.
    #[test]
    fn a_person_is_found_from_any_fragment_of_their_name() {
        let cases = [
            ("Zoë", "Zoë", "Adeyemi", true),
            ("zoe", "Zoë", "Adeyemi", true),
            ("Sinéad", "Sinead", "Brown", true),
            ("Olivia ap Dafydd", "Olivia", "ap Dafydd", true),
            ("ap Dafydd, Olivia", "Olivia", "ap Dafydd", true),
            ("dafydd", "Olivia", "ap Dafydd", true),
            ("mensah nicola", "Nicola", "Mensah", true),
            ("nicola mensah", "Nicola", "Mensah", true),
            ("mensah, nicola", "Nicola", "Mensah", true),
            ("nic mens", "Nicola", "Mensah", true),
            ("jane", "Mary-Jane", "Clarke", true),
            ("nicola smith", "Nicola", "Mensah", false),
            ("mensahs", "Nicola", "Mensah", false),
            ("", "Nicola", "Mensah", false),
        ];
        for (query, first, last, want) in cases {
            let got = rank_person(&terms(query), first, last, "V1234", None);
            assert_eq!(got.is_some(), want, "{query:?} against {first} {last}: {got:?}");
        }
    }

    #[test]
    fn the_organisation_and_its_code_match_too() {
        let org = Some("Abbeyfield Care Services");
        let rank = |q: &str| rank_person(&terms(q), "Hannah", "Lee", "VNURL", org).map(|r| r.fits);
        assert_eq!(rank("vnurl"), Some(vec![Fit::OdsCode]));
        assert_eq!(rank("abbeyfield care"), Some(vec![Fit::Organisation, Fit::Organisation]));
        assert_eq!(rank("hannah abbey"), Some(vec![Fit::Forename, Fit::OrganisationStart]));
        assert_eq!(rank("hannah oak"), None);
        let mailbox = |q: &str, org| rank_mailbox(&terms(q), "Abbeyfield Care Team", "VNURL", org).map(|r| r.fits);
        assert_eq!(mailbox("team abbeyfield", None), Some(vec![Fit::Surname, Fit::Surname]));
        assert_eq!(mailbox("vnurl", None), Some(vec![Fit::OdsCode]));
        assert_eq!(mailbox("services", org), Some(vec![Fit::Organisation]));
        assert_eq!(mailbox("oak", org), None);
    }

    /// Each row's person ranks before the next row's for the same query.
    #[test]
    fn exact_words_rank_before_prefixes_and_surnames_before_forenames() {
        let cases: &[(&str, &[(&str, &str)])] = &[
            ("smith", &[("Jo", "Smith"), ("Smith", "Jones"), ("Al", "Smithson"), ("Smithy", "Lee")]),
            ("jo smith", &[("Jo", "Smith"), ("Joanne", "Smith"), ("Jo", "Smithson")]),
            ("lee hannah", &[("Hannah", "Lee"), ("Hannah", "Leeson")]),
        ];
        for (query, people) in cases {
            let ranks: Vec<Rank> = people
                .iter()
                .map(|(first, last)| rank_person(&terms(query), first, last, "V1", None).expect("a match"))
                .collect();
            for pair in ranks.windows(2) {
                assert!(pair[0] < pair[1], "{query:?}: {:?} should rank before {:?}", pair[0], pair[1]);
            }
        }
    }
}
