//! Text modules: named reply and note texts with placeholders that are
//! filled in for one ticket, and the ones the service ships with.
//!
//! A placeholder is a word in braces (`{requester}`); a body naming one
//! this module does not know is refused when it is saved, not when it is
//! rendered, so an operator never sends a reply with a hole in it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::record::RecordMeta;
use super::routing::UnknownName;

/// Longest name, in characters.
pub const MAX_NAME: usize = 40;
/// Longest body, in characters: a long reply is two screens.
pub const MAX_BODY: usize = 4_000;
/// Most text modules a database keeps: they are chosen from a list.
pub const MAX_MODULES: usize = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TextKind {
    /// For the requester.
    Reply,
    /// For colleagues, on the timeline.
    Note,
}

impl TextKind {
    pub fn slug(self) -> &'static str {
        match self {
            TextKind::Reply => "reply",
            TextKind::Note => "note",
        }
    }
}

impl fmt::Display for TextKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.slug())
    }
}

impl FromStr for TextKind {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, UnknownName> {
        match s.trim().to_ascii_lowercase().as_str() {
            "reply" => Ok(TextKind::Reply),
            "note" => Ok(TextKind::Note),
            _ => Err(UnknownName { what: "text kind", given: s.to_owned(), choices: "reply, note".to_owned() }),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextModule {
    pub name: String,
    pub kind: TextKind,
    pub body: String,
    pub meta: RecordMeta,
}

/// The placeholders a body may use, with what each becomes.
pub const PLACEHOLDERS: [(&str, &str); 6] = [
    ("requester", "the requester's name"),
    ("reference", "the ticket reference, as CD-000123"),
    ("nas_hours", "the NAS hours, 09:00 to 17:00 Monday to Friday except bank holidays"),
    ("next_opening", "when the NAS next opens, in London time"),
    ("operator", "your name, as the operator"),
    ("missing", "what the request still lacks, such as the ODS code"),
];

/// What the placeholders become for one ticket.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fill {
    pub requester: String,
    pub reference: String,
    pub next_opening: String,
    pub operator: String,
    /// Each missing detail in words; empty when nothing is missing.
    pub missing: Vec<String>,
}

pub const NAS_HOURS: &str = "09:00 to 17:00, Monday to Friday, except bank holidays in England and Wales";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadText {
    #[error(
        "a text module's name is 1 to {MAX_NAME} lower-case letters, digits and hyphens, as missing-account: not {0:?}"
    )]
    Name(String),
    #[error("the text is empty: write what the reply or note says")]
    Empty,
    #[error("the text is {0} characters long; a text module holds at most {MAX_BODY}")]
    TooLong(usize),
    #[error("{{{given}}} is not a placeholder: use {list}", given = .0, list = placeholder_list())]
    Unknown(String),
    #[error("a brace is not closed: placeholders are written as {{requester}}; for a brace itself write {{{{ or }}}}")]
    Unclosed,
}

fn placeholder_list() -> String {
    PLACEHOLDERS.iter().map(|(p, _)| format!("{{{p}}}")).collect::<Vec<_>>().join(" ")
}

pub fn check_name(name: &str) -> Result<String, BadText> {
    let name = name.trim();
    let ok = !name.is_empty()
        && name.chars().count() <= MAX_NAME
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok { Ok(name.to_owned()) } else { Err(BadText::Name(name.to_owned())) }
}

/// Checks a body: not empty, not too long, every placeholder known.
pub fn check_body(body: &str) -> Result<String, BadText> {
    let body = body.trim();
    if body.is_empty() {
        return Err(BadText::Empty);
    }
    let length = body.chars().count();
    if length > MAX_BODY {
        return Err(BadText::TooLong(length));
    }
    render(body, &Fill::default())?;
    Ok(body.to_owned())
}

/// The body with each placeholder filled in; `{{` and `}}` are braces.
pub fn render(body: &str, fill: &Fill) -> Result<String, BadText> {
    let mut out = String::with_capacity(body.len() + 64);
    let mut rest = body;
    while let Some(at) = rest.find(['{', '}']) {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        if let Some(after) = tail.strip_prefix("{{") {
            out.push('{');
            rest = after;
        } else if let Some(after) = tail.strip_prefix("}}") {
            out.push('}');
            rest = after;
        } else if let Some(inner) = tail.strip_prefix('{') {
            let end = inner.find('}').ok_or(BadText::Unclosed)?;
            let word = &inner[..end];
            out.push_str(&value(word, fill)?);
            rest = &inner[end + 1..];
        } else {
            return Err(BadText::Unclosed);
        }
    }
    out.push_str(rest);
    Ok(out)
}

fn value(word: &str, fill: &Fill) -> Result<String, BadText> {
    Ok(match word {
        "requester" => fill.requester.clone(),
        "reference" => fill.reference.clone(),
        "nas_hours" => NAS_HOURS.to_owned(),
        "next_opening" => fill.next_opening.clone(),
        "operator" => fill.operator.clone(),
        "missing" => match fill.missing.as_slice() {
            [] => "nothing further".to_owned(),
            [one] => one.clone(),
            [init @ .., last] => format!("{} and {last}", init.join(", ")),
        },
        other => return Err(BadText::Unknown(other.to_owned())),
    })
}

/// The texts the service needs on its first day, in its own words.
pub const SHIPPED: [(&str, TextKind, &str); 7] = [
    (
        "missing-personal-account",
        TextKind::Reply,
        "Dear {requester},\n\nThank you for telling us your personal NHSmail account has not reached you ({reference}). \
         So that we can find it or set it up, please reply with your first and last name, your organisation's ODS \
         code and the name of your organisation's shared mailbox. Still needed: {missing}.\n\nThe national \
         administration service works {nas_hours}; we next open at {next_opening}.\n\n{operator}",
    ),
    (
        "missing-shared-mailbox",
        TextKind::Reply,
        "Dear {requester},\n\nWe are looking into the shared mailbox you have not received ({reference}). Please \
         reply with your first and last name and your care provider's ODS code so we can trace it. Still needed: \
         {missing}.\n\n{operator}",
    ),
    (
        "leaver-joiner",
        TextKind::Reply,
        "Dear {requester},\n\nWe have your request about someone leaving or joining ({reference}). A leaver's account \
         is removed from shared mailboxes they no longer need and is deleted 30 days after it is marked, unless a \
         new organisation takes them on as a joiner first, so anything the team needs should be saved before then. \
         If the person owns a shared mailbox, tell us who the new owner will be. A joiner keeps the same account and \
         can be added to the new organisation's shared mailbox.\n\n{operator}",
    ),
    (
        "password-self-service",
        TextKind::Reply,
        "Dear {requester},\n\nYou can reset your password yourself at any hour with your security questions or the \
         mobile number registered to your account; the national helpdesk can also help. If you can do neither, ask \
         your organisation's shared mailbox owner to contact the helpdesk: they confirm they have checked who you \
         are and which mobile the temporary password should go to.\n\n{operator} ({reference})",
    ),
    (
        "ig-rejection",
        TextKind::Reply,
        "Dear {requester},\n\nYour organisation cannot have NHSmail accounts yet because it does not meet the \
         information governance requirement (the Data Security and Protection Toolkit at Standards Met or \
         better). Once your organisation has reached that standard, apply again and we will pick it up \
         ({reference}).\n\n{operator}",
    ),
    (
        "sponsored-mailbox",
        TextKind::Reply,
        "Dear {requester},\n\nA shared mailbox sponsored by another organisation keeps the format it was made with \
         and cannot be converted. Please apply for a new shared mailbox through the national process, asked for by \
         someone who has no personal NHSmail account yet (nobody who has one should apply for another). When the new \
         mailbox arrives, let your sponsoring organisation's local administrator know, and they will remove the old \
         one ({reference}).\n\n{operator}",
    ),
    ("waiting-on-details", TextKind::Note, "Asked {requester} for {missing}; waiting on the requester. {operator}"),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn fill() -> Fill {
        Fill {
            requester: "Jo Bloggs".into(),
            reference: "CD-000042".into(),
            next_opening: "Mon 29 Dec 09:00".into(),
            operator: "nas1".into(),
            missing: vec!["the organisation's ODS code".into(), "the shared mailbox name".into()],
        }
    }

    #[test]
    fn placeholders_fill_and_braces_escape() {
        let cases = [
            ("Hello {requester}", "Hello Jo Bloggs"),
            ("{reference}: {missing}", "CD-000042: the organisation's ODS code and the shared mailbox name"),
            ("open {next_opening}, hours {nas_hours}", &*format!("open Mon 29 Dec 09:00, hours {NAS_HOURS}")),
            ("{{not}} a {{placeholder}}", "{not} a {placeholder}"),
            ("by {operator}", "by nas1"),
        ];
        for (body, want) in cases {
            assert_eq!(render(body, &fill()).unwrap(), want, "{body}");
        }
        let none = Fill { missing: vec![], ..fill() };
        assert_eq!(render("{missing}", &none).unwrap(), "nothing further");
    }

    #[test]
    fn a_bad_body_or_name_is_refused_with_what_to_write() {
        for (body, wanted) in [
            ("Hello {name}", "{name} is not a placeholder"),
            ("Hello {requester", "not closed"),
            ("a } alone", "not closed"),
            ("   ", "empty"),
        ] {
            let got = check_body(body).unwrap_err().to_string();
            assert!(got.contains(wanted), "{body:?}: {got}");
        }
        assert!(check_body(&"x".repeat(MAX_BODY + 1)).unwrap_err().to_string().contains("at most 4000"));
        for bad in ["", "Has Space", "UPPER", "x".repeat(MAX_NAME + 1).as_str(), "naïve"] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
        assert_eq!(check_name(" ig-rejection ").unwrap(), "ig-rejection");
    }

    #[test]
    fn every_shipped_text_is_valid_and_uses_only_known_placeholders() {
        for (name, _, body) in SHIPPED {
            check_name(name).unwrap();
            check_body(body).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        let personal = SHIPPED.iter().find(|s| s.0 == "missing-personal-account").unwrap().2;
        for asked in ["first and last name", "ODS code", "shared mailbox"] {
            assert!(personal.contains(asked), "{asked}");
        }
    }
}
