//! NHSmail addresses: recognising a valid one, and proposing a new one from a person's name
//! the way NHSmail does ("first.last@nhs.net", then "first.last1@nhs.net" on a clash).
//!
//! Pure: this proposes addresses but never decides one is free. The caller supplies the
//! addresses already taken (from the directory or the store) and still has to claim the
//! result; nothing here looks anything up.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::validate::{ValidationError, fold_for_search, required, string_newtype};

pub const NHSMAIL_DOMAIN: &str = "nhs.net";

/// The most characters allowed before the @ (RFC 5321).
const MAX_LOCAL_PART: usize = 64;

/// The longest stem `address_stem` hands out: room is left for the largest collision number
/// (`u32::MAX`, ten digits) so every candidate built from it is still a valid address.
const MAX_STEM: usize = MAX_LOCAL_PART - 10;

/// A validated NHSmail address (personal or shared), lower-case, e.g. "jane.smith@nhs.net".
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct NhsMailAddress(String);
string_newtype!(NhsMailAddress);

impl NhsMailAddress {
    /// Accepts any case and surrounding spaces; refuses other domains with a message saying so,
    /// since operators are often handed a personal or trust address instead.
    pub fn parse(input: &str) -> Result<NhsMailAddress, ValidationError> {
        let trimmed = required(input, "NHSmail address")?;
        let input = || trimmed.to_owned();
        // ASCII-only lower-casing, so look-alikes such as the Kelvin sign are refused below
        // rather than quietly becoming 'k'.
        let address = trimmed.to_ascii_lowercase();
        // Split at the last @ so a stray extra @ is reported as a bad character in the name
        // part, not as a wrong domain.
        let Some((local, domain)) = address.rsplit_once('@') else {
            return Err(ValidationError::NhsMailNoDomain { input: input() });
        };
        if domain != NHSMAIL_DOMAIN {
            return Err(ValidationError::NotNhsMail { input: input() });
        }
        if let Some(found) = local.chars().find(|c| !matches!(c, 'a'..='z' | '0'..='9' | '.' | '-')) {
            return Err(ValidationError::NhsMailCharacter { input: input(), found });
        }
        let problem = if local.is_empty() {
            Some("has nothing before the @")
        } else if local.starts_with('.') || local.ends_with('.') {
            Some("starts or ends with a dot before the @")
        } else if local.contains("..") {
            Some("has two dots together")
        } else if local.len() > MAX_LOCAL_PART {
            Some("has more than 64 characters before the @")
        } else {
            None
        };
        match problem {
            Some(problem) => Err(ValidationError::NhsMailLocalPart { input: input(), problem }),
            None => Ok(NhsMailAddress(address)),
        }
    }

    /// The part before "@nhs.net", e.g. "jane.smith".
    pub fn local_part(&self) -> &str {
        &self.0[..self.0.len() - NHSMAIL_DOMAIN.len() - 1]
    }
}

impl fmt::Display for NhsMailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The local part an NHSmail address is built from: "first.last", in plain a-z so it can be
/// typed on any keyboard ("Siân O’Brien" -> "sian.obrien", "Van der Berg" -> "van-der-berg").
///
/// Fails when a name has nothing that folds to a-z (a script deunicode cannot map) or the
/// result is too long: the operator then enters the name as it should appear in the address.
pub fn address_stem(first: &str, last: &str) -> Result<String, ValidationError> {
    let stem = format!("{}.{}", stem_part(first, "first name")?, stem_part(last, "last name")?);
    if stem.len() > MAX_STEM {
        return Err(ValidationError::AddressTooLong {
            first: first.trim().to_owned(),
            last: last.trim().to_owned(),
            len: stem.len(),
            max: MAX_STEM,
        });
    }
    Ok(stem)
}

fn stem_part(name: &str, field: &'static str) -> Result<String, ValidationError> {
    let mut part = String::with_capacity(name.len());
    // fold_for_search has already made it ASCII, lower-case, apostrophe-free and single-spaced;
    // here spaces become hyphens and anything else outside a-z0-9 goes.
    for c in fold_for_search(name).chars() {
        match c {
            'a'..='z' | '0'..='9' => part.push(c),
            ' ' | '-' if !part.is_empty() && !part.ends_with('-') => part.push('-'),
            _ => {}
        }
    }
    while part.ends_with('-') {
        part.pop();
    }
    if part.is_empty() {
        return Err(ValidationError::NameNotAddressable { field, input: name.trim().to_owned() });
    }
    Ok(part)
}

/// The nth candidate: n = 0 -> "stem@nhs.net", n >= 1 -> "stem{n}@nhs.net" (the NHSmail
/// convention of a number added on collision).
///
/// # Panics
/// If `stem` is not a valid local part. Stems from `address_stem` always are; a hand-made one
/// is a programming error, and a panic keeps an invalid address out of `NhsMailAddress`.
pub fn candidate_address(stem: &str, n: u32) -> NhsMailAddress {
    let local = if n == 0 { stem.to_owned() } else { format!("{stem}{n}") };
    NhsMailAddress::parse(&format!("{local}@{NHSMAIL_DOMAIN}"))
        .unwrap_or_else(|e| panic!("candidate_address needs a stem from address_stem: {e}"))
}

/// Given the addresses already taken that share this stem (local parts or whole addresses,
/// any case), the first free candidate: the lowest n not taken ("jo.smith", "jo.smith1" and
/// "jo.smith3" taken -> "jo.smith2"). Addresses that merely start with the stem ("jo.smithson"
/// for "jo.smith") and addresses on other domains are ignored.
///
/// Whether a deleted account's address counts as taken is the caller's decision: pass the
/// tombstones too if an address that old mail may still reach must never be reissued.
///
/// # Panics
/// As `candidate_address`, if `stem` is not a valid local part.
pub fn first_free_address<'a>(stem: &str, taken: impl IntoIterator<Item = &'a str>) -> NhsMailAddress {
    let stem = stem.to_ascii_lowercase();
    let used: std::collections::HashSet<u32> =
        taken.into_iter().filter_map(|address| collision_number(&stem, address)).collect();
    // One of the first used.len() + 1 numbers is always free, so this cannot run out.
    let found: Result<_, std::convert::Infallible> = first_free_from(&stem, 0, |n, _| Ok(used.contains(&n)));
    found.map_or_else(|never| match never {}, |(address, _)| address)
}

/// The first candidate from the `from`th on that `taken` (asked with the
/// candidate's number and address) says is free, and its number. A caller
/// that knows every candidate below `from` is taken (because addresses are
/// never reissued) asks about one or two candidates, not every namesake.
///
/// # Panics
/// As `candidate_address`, if `stem` is not a valid local part; or if all
/// 2^32 candidates are taken.
pub fn first_free_from<E>(
    stem: &str,
    from: u32,
    mut taken: impl FnMut(u32, &NhsMailAddress) -> Result<bool, E>,
) -> Result<(NhsMailAddress, u32), E> {
    for n in from..=u32::MAX {
        let candidate = candidate_address(stem, n);
        if !taken(n, &candidate)? {
            return Ok((candidate, n));
        }
    }
    panic!("every candidate address for {stem} is taken")
}

/// Which candidate `address` is for `stem`, if it is one: "jo.smith" -> 0, "jo.smith12" -> 12.
/// "jo.smith01" is not a candidate (no candidate has a leading zero), nor is "jo.smithson".
fn collision_number(stem: &str, address: &str) -> Option<u32> {
    let address = address.trim().to_ascii_lowercase();
    let local = match address.rsplit_once('@') {
        Some((local, domain)) if domain == NHSMAIL_DOMAIN => local,
        Some(_) => return None,
        None => &address,
    };
    match local.strip_prefix(stem)? {
        "" => Some(0),
        digits if digits.starts_with('0') || !digits.bytes().all(|b| b.is_ascii_digit()) => None,
        digits => digits.parse().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_accepts_nhsmail_addresses() {
        #[rustfmt::skip]
        let cases = [
            ("jane.smith@nhs.net", "jane.smith", "jane.smith@nhs.net"),
            ("  Jane.Smith2@NHS.NET ", "jane.smith2", "jane.smith2@nhs.net"),
            ("mary-ann.van-der-berg@nhs.net", "mary-ann.van-der-berg", "mary-ann.van-der-berg@nhs.net"),
            ("careadmin@nhs.net", "careadmin", "careadmin@nhs.net"),
        ];
        for (input, local, expected) in cases {
            let address = NhsMailAddress::parse(input).unwrap();
            assert_eq!((address.local_part(), address.as_str()), (local, expected));
            assert_eq!(address.to_string(), expected);
        }
    }

    #[test]
    fn parse_refuses_with_a_message_naming_the_problem() {
        let long = format!("{}@nhs.net", "a".repeat(65));
        #[rustfmt::skip]
        let cases = [
            ("", "NHSmail address is empty"),
            ("jane.smith", "is not a whole NHSmail address: add @nhs.net"),
            ("jane.smith@gmail.com", "\"jane.smith@gmail.com\" is not an NHSmail address (…@nhs.net)"),
            ("jane.smith@nhs.uk", "is not an NHSmail address"),
            ("jane.smith@nhs.net.evil.example", "is not an NHSmail address"),
            ("jane smith@nhs.net", "contains a space before the @"),
            ("o'brien@nhs.net", "contains an apostrophe before the @"),
            ("\u{212a}elvin@nhs.net", "(U+212A) before the @"),
            ("jane_smith@nhs.net", "contains '_'"),
            ("jane@smith@nhs.net", "contains '@'"),
            ("zoë@nhs.net", "contains 'ë' (U+00EB)"),
            ("@nhs.net", "has nothing before the @"),
            (".jane@nhs.net", "starts or ends with a dot"),
            ("jane.@nhs.net", "starts or ends with a dot"),
            ("jane..smith@nhs.net", "has two dots together"),
            (&long, "more than 64 characters"),
        ];
        for (input, expected) in cases {
            let message = NhsMailAddress::parse(input).unwrap_err().to_string();
            assert!(message.contains(expected), "{input:?} gave {message:?}");
        }
    }

    #[test]
    fn stems_fold_names_to_plain_letters() {
        #[rustfmt::skip]
        let cases = [
            ("Jane", "Smith", "jane.smith"),              ("  JANE ", " SMITH  ", "jane.smith"),
            ("Zoë", "Brontë", "zoe.bronte"),              ("Siân", "O’Brien", "sian.obrien"),
            ("Seán", "Ó Briain", "sean.o-briain"),        ("Jan", "Van der Berg", "jan.van-der-berg"),
            ("Mary-Ann", "Smith-Jones", "mary-ann.smith-jones"), ("Mary - Ann", "Smith--Jones", "mary-ann.smith-jones"),
            ("Llŷr", "ap Gruffudd", "llyr.ap-gruffudd"),  ("Dafydd", "ab Ieuan", "dafydd.ab-ieuan"),
            ("Łukasz", "Wójcik", "lukasz.wojcik"),        ("Żaneta", "Grzegorzewska", "zaneta.grzegorzewska"),
            ("Jürgen", "Weiß", "jurgen.weiss"),           ("Ng", "Li", "ng.li"),
            ("A", "B", "a.b"),                            ("J. R.", "St. John", "j-r.st-john"),
            ("-Anne-", "'t Hooft", "anne.t-hooft"),       ("Sia\u{302}n", "Jones", "sian.jones"),
            ("Δημήτρης", "Παπαδόπουλος", "demetres.papadopoulos"), ("Mary\tAnn", "Smith", "mary-ann.smith"),
        ];
        for (first, last, expected) in cases {
            assert_eq!(address_stem(first, last).as_deref(), Ok(expected), "{first:?} {last:?}");
        }
    }

    #[test]
    fn stems_refuse_names_with_nothing_usable() {
        #[rustfmt::skip]
        let cases = [
            ("", "Smith", "first name \"\" has no letters a to z"),
            ("Jane", "\u{13000}\u{13001}", "last name \"\u{13000}\u{13001}\" has no letters a to z"),
            ("Jane", " -'- ", "enter the last name as it should appear in the address"),
        ];
        for (first, last, expected) in cases {
            let message = address_stem(first, last).unwrap_err().to_string();
            assert!(message.contains(expected), "{first:?} {last:?} gave {message:?}");
        }
        let message = address_stem(&"a".repeat(30), &"b".repeat(30)).unwrap_err().to_string();
        assert!(message.contains("61 characters before the @, more than the 54 allowed"), "{message}");
    }

    #[test]
    fn candidates_number_from_one_after_the_bare_stem() {
        #[rustfmt::skip]
        let cases = [(0, "jo.smith@nhs.net"), (1, "jo.smith1@nhs.net"), (12, "jo.smith12@nhs.net"),
                     (u32::MAX, "jo.smith4294967295@nhs.net")];
        for (n, expected) in cases {
            assert_eq!(candidate_address("jo.smith", n).as_str(), expected);
        }
    }

    #[test]
    #[should_panic(expected = "needs a stem from address_stem")]
    fn candidates_refuse_a_hand_made_stem() {
        candidate_address("o'brien", 0);
    }

    #[test]
    fn first_free_address_takes_the_lowest_gap() {
        #[rustfmt::skip]
        let cases: [(&[&str], &str); 9] = [
            (&[], "jo.smith@nhs.net"),
            (&["jo.smith@nhs.net"], "jo.smith1@nhs.net"),
            (&["jo.smith", "jo.smith1", "jo.smith3"], "jo.smith2@nhs.net"),
            (&["jo.smith1@nhs.net", "jo.smith2@nhs.net"], "jo.smith@nhs.net"),
            (&["JO.SMITH@NHS.NET", " jo.smith1@nhs.net "], "jo.smith2@nhs.net"),
            // Unrelated addresses that merely share the prefix, or live on another domain.
            (&["jo.smithson@nhs.net", "jo.smith-jones@nhs.net", "jo.smith.2@nhs.net"], "jo.smith@nhs.net"),
            (&["jo.smith@nhs.net", "jo.smith01@nhs.net", "jo.smith1a@nhs.net"], "jo.smith1@nhs.net"),
            (&["jo.smith@gmail.com", "jo.smith@nhs.net.example"], "jo.smith@nhs.net"),
            (&["jo.smith", "jo.smith99999999999"], "jo.smith1@nhs.net"),
        ];
        for (taken, expected) in cases {
            assert_eq!(first_free_address("jo.smith", taken.iter().copied()).as_str(), expected, "{taken:?}");
        }
        let owned = ["jo.smith@nhs.net".to_owned()];
        assert_eq!(first_free_address("jo.smith", owned.iter().map(String::as_str)).local_part(), "jo.smith1");
    }

    #[test]
    fn serde_uses_plain_strings_and_reads_stored_values_as_they_are() {
        let address = NhsMailAddress::parse("Jane.Smith@nhs.net").unwrap();
        assert_eq!(serde_json::to_string(&address).unwrap(), r#""jane.smith@nhs.net""#);
        assert_eq!(serde_json::from_str::<NhsMailAddress>(r#""jane.smith@nhs.net""#).unwrap(), address);
        let stored = serde_json::from_str::<NhsMailAddress>(r#""jane@gmail.com""#).unwrap();
        assert_eq!(stored.as_str(), "jane@gmail.com");
        let refused = NhsMailAddress::parse("jane@gmail.com").unwrap_err();
        assert!(refused.to_string().contains("is not an NHSmail address"), "{refused}");
    }
}
