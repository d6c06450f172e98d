//! Checks and normalises what operators and callers type in: mobile numbers, ODS codes,
//! email addresses and names. Everything else in the console trusts these types, so each
//! `parse` is the only way in, including through serde (`try_from`, same plain-string form).
//!
//! Pure functions only: no I/O, no look-ups against ODS or the NHSmail directory. An error
//! quotes the bad input and tells the operator what to enter instead, since it is shown to
//! them as it stands.

use std::fmt;

use serde::{Deserialize, Serialize};

/// What was wrong with a value and what to enter instead. `field` names the box on screen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    #[error("{field} is empty: enter the {field}")]
    Empty { field: &'static str },
    #[error("{field} {} is {len} characters long: shorten it to {max} characters or fewer", quoted(.input))]
    TooLong { field: &'static str, input: String, len: usize, max: usize },
    #[error("{field} {} contains {}: retype it by hand, as pasted text can carry hidden characters", quoted(.input), describe(*.found))]
    HiddenCharacter { field: &'static str, input: String, found: char },
    #[error("{field} {} contains {}: use only letters, spaces, hyphens, apostrophes and full stops", quoted(.input), describe(*.found))]
    NameCharacter { field: &'static str, input: String, found: char },
    #[error("{field} {} contains '@' so looks like an email address: enter the person's {field} instead", quoted(.input))]
    NameIsEmail { field: &'static str, input: String },
    #[error("{field} {} has no letters: enter the person's {field}", quoted(.input))]
    NameNoLetters { field: &'static str, input: String },
    #[error("mobile number {} contains {}: give digits only, e.g. 07700 900123", quoted(.input), describe(*.found))]
    MobileCharacter { input: String, found: char },
    #[error("mobile number {} is not a UK number: give a UK mobile number starting 07 or +44 7", quoted(.input))]
    MobileNotUk { input: String },
    #[error("mobile number {} is too short: a UK mobile number has 11 digits starting 07, e.g. 07700 900123", quoted(.input))]
    MobileTooShort { input: String },
    #[error("mobile number {} is too long: a UK mobile number has 11 digits starting 07, e.g. 07700 900123", quoted(.input))]
    MobileTooLong { input: String },
    #[error("mobile number {} is a landline: give a UK mobile number starting 07 or +44 7", quoted(.input))]
    MobileLandline { input: String },
    #[error("mobile number {} is a freephone number: give a UK mobile number starting 07 or +44 7", quoted(.input))]
    MobileFreephone { input: String },
    #[error("mobile number {} is a 070 personal number, which forwards calls and cannot be relied on for texts: give the person's own mobile number", quoted(.input))]
    MobilePersonal { input: String },
    #[error("mobile number {} is a 076 pager number: give a UK mobile number starting 07 or +44 7", quoted(.input))]
    MobilePager { input: String },
    #[error("mobile number {} is not a mobile number: give a UK mobile number starting 07 or +44 7", quoted(.input))]
    MobileNotMobile { input: String },
    #[error("ODS code {} contains {}: an ODS code is letters and digits only, e.g. A81001", quoted(.input), describe(*.found))]
    OdsCharacter { input: String, found: char },
    #[error("ODS code {} is {len} characters long: ODS codes have 3 to 10 letters and digits, so check it in the ODS look-up", quoted(.input))]
    OdsLength { input: String, len: usize },
    #[error("email address {} has no @: give the whole address, e.g. name@example.org", quoted(.input))]
    EmailNoAt { input: String },
    #[error("email address {} has more than one @: give a single address, e.g. name@example.org", quoted(.input))]
    EmailManyAt { input: String },
    #[error("email address {} has nothing before the @: give the whole address, e.g. name@example.org", quoted(.input))]
    EmailNoLocalPart { input: String },
    #[error("email address {} contains {} before the @: give just the address, e.g. name@example.org", quoted(.input), describe(*.found))]
    EmailLocalCharacter { input: String, found: char },
    #[error("email address {} {problem}: check the part after the @ for typos, e.g. name@example.org", quoted(.input))]
    EmailDomain { input: String, problem: &'static str },
    #[error("{} is not a whole NHSmail address: add @nhs.net, e.g. jane.smith@nhs.net", quoted(.input))]
    NhsMailNoDomain { input: String },
    #[error("{} is not an NHSmail address (…@nhs.net): give the person's nhs.net address", quoted(.input))]
    NotNhsMail { input: String },
    #[error("NHSmail address {} contains {} before the @: NHSmail addresses use only a-z, 0-9, dots and hyphens", quoted(.input), describe(*.found))]
    NhsMailCharacter { input: String, found: char },
    #[error("NHSmail address {} {problem}: check it for typos, e.g. jane.smith@nhs.net", quoted(.input))]
    NhsMailLocalPart { input: String, problem: &'static str },
    #[error("{field} {} has no letters a to z to build an NHSmail address from: enter the {field} as it should appear in the address", quoted(.input))]
    NameNotAddressable { field: &'static str, input: String },
    #[error("the NHSmail address for {} {} would have {len} characters before the @, more than the {max} allowed: enter a shorter form of the name as it should appear in the address", quoted(.first), quoted(.last))]
    AddressTooLong { first: String, last: String, len: usize, max: usize },
}

/// Quotes input for a message. Debug formatting escapes control and invisible characters, so
/// a pasted escape sequence shows as `\u{1b}` instead of being replayed into the operator's
/// terminal; long input is cut so the message still fits on screen.
fn quoted(input: &str) -> String {
    match input.char_indices().nth(40) {
        None => format!("{input:?}"),
        Some((cut, _)) => format!("{:?}…", &input[..cut]),
    }
}

/// Names a character so an operator can find it: a bare space or U+2013 is easy to miss.
fn describe(c: char) -> String {
    let code = c as u32;
    match c {
        ' ' => "a space".to_owned(),
        '\t' => "a tab".to_owned(),
        '\'' => "an apostrophe".to_owned(),
        c if c.is_control() => format!("a control character (U+{code:04X})"),
        c if is_invisible(c) => format!("an invisible character (U+{code:04X})"),
        c if c.is_whitespace() => format!("an unusual space (U+{code:04X})"),
        '0'..='9' => format!("the digit {c}"),
        c if c.is_ascii() => format!("'{c}'"),
        c => format!("{c:?} (U+{code:04X})"),
    }
}

/// Format characters that print nothing but can reorder or disguise the text around them,
/// as the crate's one sanitiser defines them. Control characters are caught separately by
/// `char::is_control`.
fn is_invisible(c: char) -> bool {
    crate::text::is_invisible(c)
}

fn is_hidden(c: char) -> bool {
    c.is_control() || is_invisible(c)
}

/// Combining marks that `char::is_alphabetic` leaves out but real names contain: accents kept
/// as separate marks (decomposed text, as some Mac and database exports produce), the nukta and
/// virama of the Indic scripts, Thai and Lao tone marks, Japanese voicing marks and ZWNJ/ZWJ.
/// std has no general-category lookup and the crate keeps its dependencies few, hence this list.
fn is_combining_mark(c: char) -> bool {
    let cp = c as u32;
    // Devanagari to Malayalam share one layout: nukta at +0x3C and virama at +0x4D in each block.
    let indic = (0x0900..=0x0D7F).contains(&cp) && matches!(cp & 0x7F, 0x3C | 0x4D);
    indic
        || matches!(c, '\u{0300}'..='\u{036F}' | '\u{0DCA}' | '\u{0E47}'..='\u{0E4E}' | '\u{0EC8}'..='\u{0ECC}')
        || matches!(c, '\u{1AB0}'..='\u{1AFF}' | '\u{1DC0}'..='\u{1DFF}' | '\u{200C}' | '\u{200D}')
        || matches!(c, '\u{20D0}'..='\u{20FF}' | '\u{3099}' | '\u{309A}' | '\u{FE20}'..='\u{FE2F}')
}

/// Trims `input`, refusing it when nothing is left; `field` names it in the message.
pub(crate) fn required<'a>(input: &'a str, field: &'static str) -> Result<&'a str, ValidationError> {
    match input.trim() {
        "" => Err(ValidationError::Empty { field }),
        trimmed => Ok(trimmed),
    }
}

fn collapse_whitespace(input: &str) -> String {
    input.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn check_length(value: &str, field: &'static str, max: usize) -> Result<(), ValidationError> {
    match value.chars().count() {
        len if len > max => Err(ValidationError::TooLong { field, input: value.to_owned(), len, max }),
        _ => Ok(()),
    }
}

/// The plumbing every validated string type shares. Deserialising goes through `parse` so
/// stored or imported data cannot smuggle in a value the console would refuse at the keyboard.
// Serde reads these types without re-validating (`transparent`): input is
// validated once, where it enters the service, and a stored record must stay
// readable even if a later release tightens a rule.
macro_rules! string_newtype {
    ($name:ident) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl ::std::str::FromStr for $name {
            type Err = ValidationError;
            fn from_str(input: &str) -> Result<Self, Self::Err> {
                Self::parse(input)
            }
        }
        impl TryFrom<String> for $name {
            type Error = ValidationError;
            fn try_from(input: String) -> Result<Self, Self::Error> {
                Self::parse(&input)
            }
        }
        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }
    };
}
pub(crate) use string_newtype;

/// A UK mobile number in national form, 11 digits starting 07, e.g. "07700900123".
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Mobile(String);
string_newtype!(Mobile);

impl Mobile {
    /// Accepts the ways people write a UK mobile (07…, +44 7…, +44 (0)7…, 0044 7…, 447…) and
    /// refuses numbers that cannot receive the texts NHSmail sends, such as landlines and pagers.
    pub fn parse(input: &str) -> Result<Mobile, ValidationError> {
        let trimmed = required(input, "mobile number")?;
        let input = || trimmed.to_owned();
        let mut digits = String::with_capacity(trimmed.len());
        let mut plus = false;
        for c in trimmed.chars() {
            match c {
                '0'..='9' => digits.push(c),
                '+' if !plus && digits.is_empty() => plus = true,
                '-' | '.' | '(' | ')' | '\u{2010}'..='\u{2013}' => {}
                c if c.is_whitespace() => {}
                found => {
                    return Err(ValidationError::MobileCharacter { input: input(), found });
                }
            }
        }
        let international = if plus { Some(digits.as_str()) } else { digits.strip_prefix("00") };
        let after_country_code = match international {
            Some(rest) => Some(rest.strip_prefix("44").ok_or_else(|| ValidationError::MobileNotUk { input: input() })?),
            // No UK national number starts 44, so a bare 447… can only be international.
            None => digits.strip_prefix("44"),
        };
        let national = match after_country_code {
            // The trunk 0 is often kept after the country code ("+44 (0)7…", "+44 07…").
            Some(rest) => format!("0{}", rest.strip_prefix('0').unwrap_or(rest)),
            None => digits,
        };
        let err = match national.as_bytes() {
            [b'0', b'1' | b'2' | b'3', ..] => ValidationError::MobileLandline { input: input() },
            [b'0', b'8', b'0', ..] => ValidationError::MobileFreephone { input: input() },
            [b'0', b'7', ..] if national.len() < 11 => ValidationError::MobileTooShort { input: input() },
            [b'0', b'7', ..] if national.len() > 11 => ValidationError::MobileTooLong { input: input() },
            [b'0', b'7', b'0', ..] => ValidationError::MobilePersonal { input: input() },
            // 07624 is the Isle of Man's mobile range, carved out of the old 076 pager block.
            [b'0', b'7', b'6', ..] if !national.starts_with("07624") => ValidationError::MobilePager { input: input() },
            [b'0', b'7', ..] => return Ok(Mobile(national)),
            // Too few digits to say what it is, e.g. a spreadsheet that dropped the leading 0.
            _ if national.len() < 11 => ValidationError::MobileTooShort { input: input() },
            _ => ValidationError::MobileNotMobile { input: input() },
        };
        Err(err)
    }

    /// "+447700900123": E.164, the form SMS gateways take.
    pub fn international(&self) -> String {
        format!("+44{}", &self.0[1..])
    }

    /// "07*** ***123": enough for a caller to recognise their number without reading it out.
    pub fn masked(&self) -> String {
        format!("07*** ***{}", &self.0[8..])
    }
}

impl fmt::Display for Mobile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", &self.0[..5], &self.0[5..])
    }
}

/// An Organisation Data Service code: upper-case letters and digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OdsCode(String);
string_newtype!(OdsCode);

impl OdsCode {
    /// Upper-cases what it is given, since codes are often read out and typed in lower case.
    pub fn parse(input: &str) -> Result<OdsCode, ValidationError> {
        let code = required(input, "ODS code")?;
        if let Some(found) = code.chars().find(|c| !c.is_ascii_alphanumeric()) {
            return Err(ValidationError::OdsCharacter { input: code.to_owned(), found });
        }
        if !(3..=10).contains(&code.len()) {
            return Err(ValidationError::OdsLength { input: code.to_owned(), len: code.len() });
        }
        Ok(OdsCode(code.to_ascii_uppercase()))
    }

    /// A code read back from the store, taken as it was written (as its
    /// serde form is: it was checked on the way in).
    pub(crate) fn stored(code: String) -> OdsCode {
        OdsCode(code)
    }
}

impl fmt::Display for OdsCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An email address given by a person (e.g. at registration), stored lower-cased.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Email(String);
string_newtype!(Email);

impl Email {
    /// Deliberately loose: only the mail server can say whether an address exists, so this
    /// catches typing and pasting mistakes, not every RFC 5322 corner.
    pub fn parse(input: &str) -> Result<Email, ValidationError> {
        let trimmed = required(input, "email address")?;
        let input = || trimmed.to_owned();
        let (local, domain) = trimmed.split_once('@').ok_or_else(|| ValidationError::EmailNoAt { input: input() })?;
        if domain.contains('@') {
            return Err(ValidationError::EmailManyAt { input: input() });
        }
        if local.is_empty() {
            return Err(ValidationError::EmailNoLocalPart { input: input() });
        }
        if let Some(found) = local.chars().find(|&c| c.is_whitespace() || is_hidden(c)) {
            return Err(ValidationError::EmailLocalCharacter { input: input(), found });
        }
        if let Some(problem) = domain_problem(domain) {
            return Err(ValidationError::EmailDomain { input: input(), problem });
        }
        // Lower-cased because helpdesk matching is case-insensitive; the domain is ASCII by now,
        // and ASCII-only lower-casing cannot turn a look-alike such as the Kelvin sign into 'k'.
        let address = format!("{}@{}", local.to_lowercase(), domain.to_ascii_lowercase());
        check_length(&address, "email address", 254)?;
        Ok(Email(address))
    }
}

/// What is wrong with the part of an email address after the @, if anything. ASCII only:
/// a Cyrillic "е" in "nhs.nеt" looks right and is a different domain, and international
/// domains can still be entered in their xn-- form.
fn domain_problem(domain: &str) -> Option<&'static str> {
    let labels: Vec<&str> = domain.split('.').collect();
    let bad = |c: char| !(c.is_ascii_alphanumeric() || c == '-');
    Some(if domain.is_empty() {
        "has nothing after the @"
    } else if labels.len() < 2 {
        "has no dot after the @"
    } else if labels.iter().any(|label| label.is_empty()) {
        "has an empty part between dots after the @"
    } else if labels.iter().any(|label| label.contains(bad)) {
        "has a character after the @ other than letters a-z, digits, hyphens and dots"
    } else if labels.iter().any(|label| label.starts_with('-') || label.ends_with('-')) {
        "has a part after the @ that starts or ends with a hyphen"
    } else {
        return None;
    })
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A person's first or last name as it should be stored and shown; `field` (e.g. "first name")
/// is named in any error. Letters of any script are fine; digits and symbols are not.
pub fn person_name(input: &str, field: &'static str) -> Result<String, ValidationError> {
    // Word processors turn ' into ’ and - into ‐; store one form so names compare equal.
    let name: String = collapse_whitespace(input)
        .chars()
        .map(|c| match c {
            '\u{2018}' | '\u{2019}' => '\'',
            '\u{2010}' | '\u{2011}' => '-',
            c => c,
        })
        .collect();
    if name.is_empty() {
        return Err(ValidationError::Empty { field });
    }
    let mut prev: Option<char> = None;
    for c in name.chars() {
        let follows_letter = prev.is_some_and(|p| p.is_alphabetic() || is_combining_mark(p));
        let allowed =
            c.is_alphabetic() || matches!(c, ' ' | '-' | '\'' | '.') || (is_combining_mark(c) && follows_letter);
        if !allowed {
            let input = name.clone();
            return Err(match c {
                '@' => ValidationError::NameIsEmail { field, input },
                found if is_hidden(found) => ValidationError::HiddenCharacter { field, input, found },
                found => ValidationError::NameCharacter { field, input, found },
            });
        }
        prev = Some(c);
    }
    check_length(&name, field, 64)?;
    if !name.chars().any(char::is_alphabetic) {
        return Err(ValidationError::NameNoLetters { field, input: name });
    }
    Ok(name)
}

/// Free text shown on one line of the console: mailbox display names, organisation names,
/// ticket subjects. Anything printable goes. Control characters would let pasted text drive
/// the operator's terminal and bidi overrides would disguise it, so both are refused; quietly
/// stripping them would hide that the text was not what it seemed.
pub fn display_name(input: &str, field: &'static str) -> Result<String, ValidationError> {
    let text = collapse_whitespace(input);
    if text.is_empty() {
        return Err(ValidationError::Empty { field });
    }
    if let Some(found) = text.chars().find(|&c| is_hidden(c)) {
        return Err(ValidationError::HiddenCharacter { field, input: text, found });
    }
    check_length(&text, field, 120)?;
    Ok(text)
}

/// The key search indexes use, so "Sian OBrien" finds "Siân O’Brien": ASCII-folded,
/// lower-cased, apostrophes dropped, whitespace collapsed.
pub fn fold_for_search(input: &str) -> String {
    // Most names are one plain word or a hyphenated one: each byte folds to
    // itself lower-cased, with nothing to drop or collapse. A search folds
    // the names of every candidate it ranks, so this path matters.
    if input.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return input.to_ascii_lowercase();
    }
    fold_in_full(input)
}

fn fold_in_full(input: &str) -> String {
    let mut folded = String::with_capacity(input.len());
    for c in input.chars() {
        match deunicode::deunicode_char(c) {
            // deunicode maps a tab or newline to nothing, which would glue two words together.
            _ if c.is_whitespace() => folded.push(' '),
            Some(ascii) => folded.push_str(ascii),
            // Kept rather than dropped, so a name deunicode cannot map still finds itself
            // instead of folding to the same empty key as every other such name.
            None => folded.push(c),
        }
    }
    folded.retain(|c| c != '\'');
    collapse_whitespace(&folded.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The plain-word path folds as the full one does, on plain words
        /// and on anything else.
        #[test]
        fn a_plain_name_folds_as_the_full_fold_does(
            plain in "[A-Za-z0-9-]{0,16}",
            any in "\\PC{0,16}",
        ) {
            proptest::prop_assert_eq!(fold_for_search(&plain), fold_in_full(&plain));
            proptest::prop_assert_eq!(fold_for_search(&any), fold_in_full(&any));
        }
    }

    /// Asserts each input is refused with a message containing the expected words.
    fn assert_refused<T: fmt::Debug>(parse: impl Fn(&str) -> Result<T, ValidationError>, cases: &[(&str, &str)]) {
        for (input, expected) in cases {
            let message = parse(input).expect_err(input).to_string();
            assert!(message.contains(expected), "{input:?} gave {message:?}, wanted {expected:?}");
        }
    }

    #[test]
    fn mobile_accepts_every_uk_format() {
        #[rustfmt::skip]
        let formats = [
            "07700900123", "07700 900123", "07700-900-123", "07700.900.123", "(07700) 900123",
            "+447700900123", "+44 7700 900123", "+44 (0)7700 900123", "+44(0)7700-900123",
            "+44 07700 900123", "(+44) 7700 900123", "0044 7700 900123", "447700900123",
            " 07700\u{a0}900\u{2013}123\t",
        ];
        for input in formats {
            assert_eq!(Mobile::parse(input).map(|m| m.0), Ok("07700900123".to_owned()), "{input:?}");
        }
        // Isle of Man mobiles sit inside the otherwise-refused 076 pager range.
        assert_eq!(Mobile::parse("+44 7624 123456").unwrap().as_str(), "07624123456");
    }

    #[test]
    fn mobile_refuses_each_kind_of_bad_number() {
        #[rustfmt::skip]
        let cases = [
            ("", "mobile number is empty"),          ("  ", "mobile number is empty"),
            ("07700 9001ab", "contains 'a'"),        ("07700+900123", "contains '+'"),
            ("\u{1b}[31m07700900123", "control character (U+001B)"),
            ("0161 496 0000", "is a landline"),      ("020 7946 0000", "is a landline"),
            ("03069 990000", "is a landline"),       ("+44 161 496 0000", "is a landline"),
            ("0808 157 0000", "is a freephone"),     ("07000 123456", "is a 070 personal number"),
            ("07600 123456", "is a 076 pager"),      ("07700 90012", "is too short"),
            ("7700 900123", "is too short"),         ("+44", "is too short"),
            ("07700 9001234", "is too long"),        ("+33 6 12 34 56 78", "is not a UK number"),
            ("0033 612345678", "is not a UK number"), ("09098 790000", "is not a mobile number"),
            ("12345678901", "is not a mobile number"),
        ];
        assert_refused(Mobile::parse, &cases);
        assert_eq!(
            Mobile::parse("0161 496 0000").unwrap_err().to_string(),
            "mobile number \"0161 496 0000\" is a landline: give a UK mobile number starting 07 or +44 7"
        );
    }

    #[test]
    fn mobile_is_shown_three_ways() {
        let mobile = Mobile::parse("+44 7700 900123").unwrap();
        assert_eq!(mobile.to_string(), "07700 900123");
        assert_eq!(mobile.international(), "+447700900123");
        assert_eq!(mobile.masked(), "07*** ***123");
    }

    #[test]
    fn ods_codes() {
        #[rustfmt::skip]
        let accepted = [("a81001", "A81001"), (" rxx ", "RXX"), ("V1234", "V1234"), ("8jk72", "8JK72"),
                        ("ABCDE12345", "ABCDE12345")];
        for (input, expected) in accepted {
            assert_eq!(OdsCode::parse(input).unwrap().to_string(), expected);
        }
        #[rustfmt::skip]
        let cases = [
            ("", "ODS code is empty"),   ("RX", "is 2 characters long"), ("ABCDE123456", "is 11 characters long"),
            ("RX X", "contains a space"), ("RX-1", "contains '-'"),       ("RXÉ", "contains 'É' (U+00C9)"),
        ];
        assert_refused(OdsCode::parse, &cases);
    }

    #[test]
    fn emails() {
        #[rustfmt::skip]
        let accepted = [
            ("Jane.Smith@Example.ORG", "jane.smith@example.org"),
            ("  jo+care@mail.example.co.uk ", "jo+care@mail.example.co.uk"),
            ("o'brien@example.ie", "o'brien@example.ie"),
            ("Zoë@xn--bcher-kva.example", "zoë@xn--bcher-kva.example"),
        ];
        for (input, expected) in accepted {
            assert_eq!(Email::parse(input).unwrap().as_str(), expected);
        }
        let long = format!("{}@example.org", "a".repeat(250));
        #[rustfmt::skip]
        let cases = [
            ("", "email address is empty"),            ("jane.example.org", "has no @"),
            ("jane@@example.org", "more than one @"),  ("@example.org", "nothing before the @"),
            ("Jane Smith <jane@example.org>", "contains a space before the @"),
            ("jane@", "nothing after the @"),          ("jane@localhost", "no dot after the @"),
            ("jane@example..org", "empty part between dots"),
            ("jane@exa mple.org", "other than letters a-z"), ("jane@nhs.n\u{435}t", "other than letters a-z"),
            ("jane@\u{212a}ent.example", "other than letters a-z"),
            ("jane@-example.org", "starts or ends with a hyphen"),
            (&long, "262 characters long: shorten it to 254"),
        ];
        assert_refused(Email::parse, &cases);
    }

    #[test]
    fn person_names() {
        #[rustfmt::skip]
        let accepted = [
            ("  Siân  ", "Siân"), ("O’Brien", "O'Brien"), ("Smith\u{2010}Jones", "Smith-Jones"),
            ("Mary \t Ann", "Mary Ann"), ("J. R.", "J. R."), ("Gwenllïan ap Dafydd", "Gwenllïan ap Dafydd"),
            ("Łukasz", "Łukasz"), ("Sia\u{302}n", "Sia\u{302}n"), ("प्रियंका", "प्रियंका"), ("محمد", "محمد"),
            ("李", "李"), ("สมศักดิ์", "สมศักดิ์"), ("A", "A"),
        ];
        for (input, expected) in accepted {
            assert_eq!(person_name(input, "first name").as_deref(), Ok(expected), "{input:?}");
        }
        let long = "a".repeat(65);
        #[rustfmt::skip]
        let cases = [
            ("", "first name is empty"), (" \n ", "first name is empty"),
            ("J0hn", "contains the digit 0: use only letters"),
            ("\u{1b}[31mJo", "contains a control character (U+001B)"),
            ("jo@nhs.net", "looks like an email address"), ("Jo!", "contains '!'"),
            ("Jo\u{202e}nhoJ", "invisible character (U+202E)"), ("\u{302}Sian", "(U+0302)"),
            ("-'.", "has no letters"), (&long, "65 characters long: shorten it to 64"),
        ];
        assert_refused(|name| person_name(name, "first name"), &cases);
    }

    #[test]
    fn display_names() {
        #[rustfmt::skip]
        let accepted = [
            ("  Care  Home\tTeam ", "Care Home Team"),
            ("Ward 7 — out-of-hours (24/7) <rota> #1", "Ward 7 — out-of-hours (24/7) <rota> #1"),
            ("Żłobek & Co\u{85}Ltd", "Żłobek & Co Ltd"),
        ];
        for (input, expected) in accepted {
            assert_eq!(display_name(input, "subject").as_deref(), Ok(expected));
        }
        let long = "x".repeat(121);
        #[rustfmt::skip]
        let cases = [
            ("", "subject is empty"),
            ("\u{1b}]0;evil\u{7}", "contains a control character (U+001B)"),
            ("\u{9b}31m", "contains a control character (U+009B)"),
            ("Inbox\u{7f}", "contains a control character (U+007F)"),
            ("abc\u{202e}fdp.exe", "invisible character (U+202E)"),
            (&long, "121 characters long: shorten it to 120"),
        ];
        assert_refused(|text| display_name(text, "subject"), &cases);
    }

    #[test]
    fn messages_never_replay_control_characters_and_stay_short() {
        let message = display_name("\u{1b}]0;evil\u{7}", "subject").unwrap_err().to_string();
        assert!(!message.chars().any(char::is_control), "{message:?}");
        assert!(message.contains(r"\u{1b}]0;evil\u{7}"), "{message:?}");
        let message = display_name(&"x".repeat(500), "subject").unwrap_err().to_string();
        assert!(message.len() < 150 && message.contains("x\"…"), "{message:?}");
    }

    #[test]
    fn search_keys() {
        #[rustfmt::skip]
        let cases = [
            ("Siân O’Brien", "sian obrien"), ("  ZOË   Smith-Jones ", "zoe smith-jones"),
            ("Łukasz Wójcik", "lukasz wojcik"), ("Weiß", "weiss"), ("D'Arcy", "darcy"),
            ("Sia\u{302}n", "sian"), ("\u{13000}", "\u{13000}"),
            ("Mary\tAnn\u{a0}Smith\n", "mary ann smith"), ("Jo\u{1b}[31m", "jo[31m"),
        ];
        for (input, expected) in cases {
            assert_eq!(fold_for_search(input), expected, "{input:?}");
        }
    }

    #[test]
    fn serde_uses_plain_strings_and_reads_stored_values_as_they_are() {
        let mobile = Mobile::parse("07700 900123").unwrap();
        assert_eq!(serde_json::to_string(&mobile).unwrap(), r#""07700900123""#);
        assert_eq!(serde_json::from_str::<Mobile>(r#""07700900123""#).unwrap(), mobile);
        let ods = OdsCode::parse("a81001").unwrap();
        assert_eq!(serde_json::to_string(&ods).unwrap(), r#""A81001""#);
        assert_eq!(serde_json::from_str::<OdsCode>(r#""A81001""#).unwrap(), ods);
        let email = Email::parse("Jo@Example.org").unwrap();
        assert_eq!(serde_json::to_string(&email).unwrap(), r#""jo@example.org""#);
        assert_eq!(serde_json::from_str::<Email>(r#""jo@example.org""#).unwrap(), email);
        // A record written before a rule was tightened must still load.
        let old = serde_json::from_str::<Mobile>(r#""01614960000""#).unwrap();
        assert_eq!(old.as_str(), "01614960000");
        assert!(Mobile::parse("0161 496 0000").unwrap_err().to_string().contains("is a landline"));
    }
}
