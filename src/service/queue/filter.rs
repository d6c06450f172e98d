//! The queue's filter line: the words an operator types to narrow a list
//! (`org:V1234 status:new cat:leaver who:alice due:<2h -cat:leaver smith`),
//! parsed into a [`TicketFilter`], printed back the same way, and checked
//! against a row.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{StatusFilter, TicketRow};
use crate::domain::routing::Category;
use crate::domain::ticket::{Ticket, TicketStatus};
use crate::domain::validate::{OdsCode, fold_for_search};
use crate::service::ServiceError;

/// What the queue's filter line narrows the list to, as in
/// `org:V1234 status:new cat:leaver who:alice due:<2h -cat:leaver smith`.
///
/// Cost, for 20,000 open tickets: status and category come from the queue
/// index's values, organisation and assignee from their own indexes, and
/// `due:` and `breached` from the due time every slot carries, so none of
/// them reads a ticket. `age:`, free words and the sort keys other than
/// `due` read the tickets the other words leave (once per change, as the
/// list is kept; `age:` on each listing), so `org:V1234 leaver form`
/// reads only V1234's tickets. Words are matched in subject and body,
/// folded to plain lower-case letters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TicketFilter {
    pub status: StatusFilter,
    pub ods: Option<OdsCode>,
    pub category: Option<Category>,
    pub assignee: Option<String>,
    /// Due within (`<`) or beyond (`>`) this much time from now.
    pub due: Option<Within>,
    /// Received more (`>`) or less (`<`) than this long ago.
    pub age: Option<Within>,
    /// Open past its due time, or resolved after it.
    pub breached: bool,
    /// Free words, each to be found in the subject or body.
    pub words: Vec<String>,
    /// Words that must not hold, as `-cat:leaver` or `!status:new`.
    pub not: Vec<Term>,
    /// `None`: due order, soonest first.
    pub sort: Option<Sort>,
}

/// A time bound relative to now: `<2h` (under) or `>1d` (over).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Within {
    pub over: bool,
    pub minutes: u32,
}

impl Within {
    /// The largest bound: a year.
    const MAX_MINUTES: u32 = 366 * 24 * 60;

    fn parse(key: &str, text: &str) -> Result<Within, ServiceError> {
        let bad = || {
            ServiceError::BadInput(format!(
                "{key}:{text} is not a time bound: write {key}:<2h or {key}:>3d (units m, h, d, w)"
            ))
        };
        let (over, rest) = match text.as_bytes().first() {
            Some(b'<') => (false, &text[1..]),
            Some(b'>') => (true, &text[1..]),
            _ => return Err(bad()),
        };
        let split = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        let (number, unit) = rest.split_at(split);
        let n: u32 = number.parse().map_err(|_| bad())?;
        let per = match unit {
            "m" => 1,
            "h" => 60,
            "d" => 24 * 60,
            "w" => 7 * 24 * 60,
            _ => return Err(bad()),
        };
        let minutes = n
            .checked_mul(per)
            .filter(|m| *m <= Within::MAX_MINUTES)
            .ok_or_else(|| ServiceError::BadInput(format!("{key}:{text} is more than a year: give a shorter time")))?;
        Ok(Within { over, minutes })
    }

    fn duration(self) -> chrono::Duration {
        chrono::Duration::minutes(i64::from(self.minutes))
    }
}

impl std::fmt::Display for Within {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = if self.over { '>' } else { '<' };
        let m = self.minutes;
        let (n, unit) = match m {
            0 => (0, 'm'),
            _ if m % (7 * 24 * 60) == 0 => (m / (7 * 24 * 60), 'w'),
            _ if m % (24 * 60) == 0 => (m / (24 * 60), 'd'),
            _ if m % 60 == 0 => (m / 60, 'h'),
            _ => (m, 'm'),
        };
        write!(f, "{sign}{n}{unit}")
    }
}

/// One negated word of the filter line.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Term {
    Org(OdsCode),
    Status(TicketStatus),
    Category(Category),
    Assignee(String),
    Breached,
    Word(String),
}

impl std::fmt::Display for Term {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Term::Org(o) => write!(f, "org:{o}"),
            Term::Status(s) => write!(f, "status:{}", s.slug()),
            Term::Category(c) => write!(f, "cat:{}", c.slug()),
            Term::Assignee(a) => write!(f, "who:{a}"),
            Term::Breached => f.write_str("breached"),
            Term::Word(w) => f.write_str(w),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SortKey {
    Due,
    Age,
    Status,
    Org,
    /// When the ticket last changed.
    Updated,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Sort {
    pub key: SortKey,
    pub descending: bool,
}

impl Default for TicketFilter {
    fn default() -> Self {
        TicketFilter {
            status: StatusFilter::Open,
            ods: None,
            category: None,
            assignee: None,
            due: None,
            age: None,
            breached: false,
            words: Vec::new(),
            not: Vec::new(),
            sort: None,
        }
    }
}

/// The longest filter line, in words.
pub const MAX_FILTER_WORDS: usize = 24;

impl TicketFilter {
    /// Words the filter line understands, for help and error messages.
    pub const SYNTAX: &'static str = "org:ODS status:new|open|done|all|<status> cat:<category> who:<operator> \
         due:<2h|>1d age:>3d breached words sort:due|age|status|org|updated (sort:-… descending); -word or !word negates";

    /// Each word of the filter line and what it does, for the help screen.
    pub const HELP: [(&'static str, &'static str); 11] = [
        ("org:V1234", "tickets of one organisation (ODS code)"),
        ("status:new", "one status, or open (the default), done, all"),
        ("cat:leaver", "one category"),
        ("who:nas1", "assigned to one operator"),
        ("due:<2h", "due within two hours (overdue included); due:>1d due more than a day from now"),
        ("age:>3d", "received more than three days ago; age:<1h within the last hour"),
        ("breached", "past its due time, or resolved after it (overdue says the same)"),
        ("smith form", "words without a colon: found in the subject or body"),
        ("sort:age", "order by age, status, org or updated instead of due time; sort:-updated reverses"),
        ("-cat:leaver", "a leading - or ! negates a word: !status:new, -who:nas1, -breached, -smith"),
        ("units", "m minutes, h hours, d days, w weeks (wall-clock time)"),
    ];

    /// Whether the ticket of `row` passes the filter, apart from free words
    /// (which may be in the body the row lacks) and the time words (see
    /// [`TicketFilter::admits_at`]).
    pub fn admits(&self, row: &TicketRow) -> bool {
        let side = match self.status {
            StatusFilter::Open => row.status.is_open(),
            StatusFilter::Done => !row.status.is_open(),
            StatusFilter::All => true,
            StatusFilter::Only(s) => row.status == s,
        };
        let negated = self.not.iter().any(|t| match t {
            Term::Org(o) => row.ods.as_ref() == Some(o),
            Term::Status(s) => row.status == *s,
            Term::Category(c) => row.category == *c,
            Term::Assignee(a) => row.assignee.as_ref() == Some(a),
            Term::Breached | Term::Word(_) => false,
        });
        side && !negated
            && self.ods.as_ref().is_none_or(|o| row.ods.as_ref() == Some(o))
            && self.category.is_none_or(|c| row.category == c)
            && self.assignee.as_ref().is_none_or(|a| row.assignee.as_ref() == Some(a))
    }

    /// [`TicketFilter::admits`] and the time words at `now`.
    pub fn admits_at(&self, row: &TicketRow, now: DateTime<Utc>) -> bool {
        let past_due = row.status.is_open() && row.due_at < now;
        self.admits(row)
            && self.due.is_none_or(|d| due_passes(d, row.due_at, now))
            && self.age.is_none_or(|a| age_passes(a, row.received_at, now))
            && (!self.breached || past_due)
            && !(past_due && self.not.contains(&Term::Breached))
    }

    /// Parses a filter line; an empty line is the default (open tickets).
    pub fn parse(text: &str) -> Result<TicketFilter, ServiceError> {
        let mut filter = TicketFilter::default();
        let words: Vec<&str> = text.split_whitespace().collect();
        if words.len() > MAX_FILTER_WORDS {
            return Err(ServiceError::BadInput(format!(
                "a filter line takes at most {MAX_FILTER_WORDS} words: drop some"
            )));
        }
        for word in words {
            let (negated, bare) = match word.strip_prefix(['-', '!']) {
                Some(rest) if !rest.is_empty() => (true, rest),
                _ => (false, word),
            };
            let Some((key, value)) = bare.split_once(':') else {
                // An open ticket past its due time is overdue: the operator's word for breached.
                if bare.eq_ignore_ascii_case("breached") || bare.eq_ignore_ascii_case("overdue") {
                    if negated { filter.not.push(Term::Breached) } else { filter.breached = true }
                } else {
                    let folded = fold_for_search(bare).to_lowercase();
                    if negated { filter.not.push(Term::Word(folded)) } else { filter.words.push(folded) }
                }
                continue;
            };
            let unknown = || ServiceError::BadInput(format!("unknown filter {key:?}: use {}", TicketFilter::SYNTAX));
            let category = |v: &str| v.parse::<Category>().map_err(|e| ServiceError::BadInput(format!("{e}")));
            match (key.to_ascii_lowercase().as_str(), negated) {
                ("org" | "ods", false) => filter.ods = Some(OdsCode::parse(value)?),
                ("org" | "ods", true) => filter.not.push(Term::Org(OdsCode::parse(value)?)),
                ("status" | "is", false) => filter.status = value.parse()?,
                ("status" | "is", true) => filter.not.push(Term::Status(
                    value
                        .parse()
                        .map_err(|e| ServiceError::BadInput(format!("{e}: a negated status is one status")))?,
                )),
                ("cat" | "category", false) => filter.category = Some(category(value)?),
                ("cat" | "category", true) => filter.not.push(Term::Category(category(value)?)),
                ("who" | "assignee", false) => filter.assignee = Some(value.to_owned()),
                ("who" | "assignee", true) => filter.not.push(Term::Assignee(value.to_owned())),
                ("due", false) => filter.due = Some(Within::parse("due", value)?),
                ("age", false) => filter.age = Some(Within::parse("age", value)?),
                ("sort", negated) => {
                    // `-sort:age` and `sort:-age` both reverse.
                    let (descending, value) = match value.strip_prefix(['-', '!']) {
                        Some(rest) => (!negated, rest),
                        None => (negated, value),
                    };
                    let key = match value.to_ascii_lowercase().as_str() {
                        "due" => SortKey::Due,
                        "age" => SortKey::Age,
                        "status" => SortKey::Status,
                        "org" | "ods" => SortKey::Org,
                        "updated" | "changed" => SortKey::Updated,
                        _ => {
                            return Err(ServiceError::BadInput(format!(
                                "sort:{value} is not a sort key: use sort:due, sort:age, sort:status, sort:org \
                                 or sort:updated"
                            )));
                        }
                    };
                    filter.sort = Some(Sort { key, descending });
                }
                ("due" | "age", true) => {
                    return Err(ServiceError::BadInput(format!(
                        "{word} cannot be negated: turn the bound round instead ({key}:< or {key}:>)"
                    )));
                }
                _ => return Err(unknown()),
            }
        }
        if filter.sort == Some(Sort { key: SortKey::Due, descending: false }) {
            filter.sort = None;
        }
        Ok(filter)
    }

    pub fn is_default(&self) -> bool {
        *self == TicketFilter::default()
    }

    /// Whether the list depends on the time it is read at.
    pub(super) fn is_timed(&self) -> bool {
        self.due.is_some() || self.age.is_some() || self.breached || self.not.contains(&Term::Breached)
    }

    /// The filter without its time words: what a kept list is read for.
    pub(super) fn untimed(&self) -> TicketFilter {
        let mut f = self.clone();
        f.due = None;
        f.age = None;
        f.breached = false;
        f.not.retain(|t| *t != Term::Breached);
        f
    }

    /// Whether a listing needs the tickets themselves (beyond the indexes).
    pub(super) fn reads_tickets(&self) -> bool {
        !self.words.is_empty()
            || self.not.iter().any(|t| matches!(t, Term::Word(_)))
            || self.sort.is_some_and(|s| s.key != SortKey::Due)
    }

    /// The free words against a ticket's subject and body.
    pub(super) fn words_match(&self, ticket: &Ticket) -> bool {
        let wanted: Vec<&str> = self.words.iter().map(String::as_str).collect();
        let unwanted: Vec<&str> =
            self.not.iter().filter_map(|t| if let Term::Word(w) = t { Some(w.as_str()) } else { None }).collect();
        if wanted.is_empty() && unwanted.is_empty() {
            return true;
        }
        let text = fold_for_search(&format!("{} {}", ticket.subject, ticket.body)).to_lowercase();
        wanted.iter().all(|w| text.contains(w)) && !unwanted.iter().any(|w| text.contains(w))
    }
}

pub(super) fn due_passes(d: Within, due_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    let edge = now + d.duration();
    if d.over { due_at > edge } else { due_at < edge }
}

pub(super) fn age_passes(a: Within, received_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    let edge = now - a.duration();
    if a.over { received_at < edge } else { received_at > edge }
}

impl std::fmt::Display for TicketFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut words: Vec<String> = Vec::new();
        if let Some(ods) = &self.ods {
            words.push(format!("org:{ods}"));
        }
        match self.status {
            StatusFilter::Open => {}
            StatusFilter::Done => words.push("status:done".into()),
            StatusFilter::All => words.push("status:all".into()),
            StatusFilter::Only(s) => words.push(format!("status:{}", s.slug())),
        }
        if let Some(c) = self.category {
            words.push(format!("cat:{}", c.slug()));
        }
        if let Some(a) = &self.assignee {
            words.push(format!("who:{a}"));
        }
        if let Some(d) = self.due {
            words.push(format!("due:{d}"));
        }
        if let Some(a) = self.age {
            words.push(format!("age:{a}"));
        }
        if self.breached {
            words.push("breached".into());
        }
        words.extend(self.words.iter().cloned());
        words.extend(self.not.iter().map(|t| format!("-{t}")));
        if let Some(s) = self.sort {
            let key = match s.key {
                SortKey::Due => "due",
                SortKey::Age => "age",
                SortKey::Status => "status",
                SortKey::Org => "org",
                SortKey::Updated => "updated",
            };
            words.push(format!("{}sort:{key}", if s.descending { "-" } else { "" }));
        }
        f.write_str(&words.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::routing::Queue;
    use crate::domain::ticket::TicketRef;

    #[test]
    fn filter_words_parse_and_print_back() {
        let cases = [
            ("", TicketFilter::default(), ""),
            (
                "org:v1a2b status:new cat:leaver who:nina",
                TicketFilter {
                    status: StatusFilter::Only(TicketStatus::New),
                    ods: Some(OdsCode::parse("V1A2B").unwrap()),
                    category: Some(Category::Leaver),
                    assignee: Some("nina".to_owned()),
                    ..TicketFilter::default()
                },
                "org:V1A2B status:new cat:leaver who:nina",
            ),
            ("  status:done  ", TicketFilter { status: StatusFilter::Done, ..TicketFilter::default() }, "status:done"),
            ("is:all", TicketFilter { status: StatusFilter::All, ..TicketFilter::default() }, "status:all"),
            ("status:open", TicketFilter::default(), ""),
            (
                "due:<2h age:>3d breached Leaver FORM",
                TicketFilter {
                    due: Some(Within { over: false, minutes: 120 }),
                    age: Some(Within { over: true, minutes: 3 * 24 * 60 }),
                    breached: true,
                    words: vec!["leaver".into(), "form".into()],
                    ..TicketFilter::default()
                },
                "due:<2h age:>3d breached leaver form",
            ),
            (
                "-cat:leaver !status:new -who:nas1 -org:V1A2B -breached -spam due:>90m",
                TicketFilter {
                    due: Some(Within { over: true, minutes: 90 }),
                    not: vec![
                        Term::Category(Category::Leaver),
                        Term::Status(TicketStatus::New),
                        Term::Assignee("nas1".into()),
                        Term::Org(OdsCode::parse("V1A2B").unwrap()),
                        Term::Breached,
                        Term::Word("spam".into()),
                    ],
                    ..TicketFilter::default()
                },
                "due:>90m -cat:leaver -status:new -who:nas1 -org:V1A2B -breached -spam",
            ),
            (
                "-sort:age",
                TicketFilter { sort: Some(Sort { key: SortKey::Age, descending: true }), ..TicketFilter::default() },
                "-sort:age",
            ),
            ("sort:due", TicketFilter::default(), ""),
            (
                "sort:-updated",
                TicketFilter {
                    sort: Some(Sort { key: SortKey::Updated, descending: true }),
                    ..TicketFilter::default()
                },
                "-sort:updated",
            ),
            ("office", TicketFilter { words: vec!["office".into()], ..TicketFilter::default() }, "office"),
            ("overdue", TicketFilter { breached: true, ..TicketFilter::default() }, "breached"),
            (
                "sort:org due:<1w",
                TicketFilter {
                    sort: Some(Sort { key: SortKey::Org, descending: false }),
                    due: Some(Within { over: false, minutes: 7 * 24 * 60 }),
                    ..TicketFilter::default()
                },
                "due:<1w sort:org",
            ),
        ];
        for (text, want, printed) in cases {
            let got = TicketFilter::parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
            assert_eq!(got, want, "{text:?}");
            assert_eq!(got.to_string(), printed, "{text:?}");
            assert_eq!(TicketFilter::parse(printed).unwrap(), want, "{printed:?} reads back");
        }
    }

    fn row(status: TicketStatus, due_in_minutes: i64, age_minutes: i64, now: DateTime<Utc>) -> TicketRow {
        TicketRow {
            reference: TicketRef(1),
            received_at: now - chrono::Duration::minutes(age_minutes),
            due_at: now + chrono::Duration::minutes(due_in_minutes),
            queue: Queue::Nas,
            category: Category::Leaver,
            ods: None,
            requester: "Jo".into(),
            subject: "leaver".into(),
            status,
            assignee: None,
            rev: 1,
        }
    }

    #[test]
    fn time_words_read_against_now() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let f = |text: &str| TicketFilter::parse(text).unwrap();
        let cases = [
            ("due:<2h", row(TicketStatus::New, 119, 0, now), true),
            ("due:<2h", row(TicketStatus::New, 121, 0, now), false),
            ("due:<2h", row(TicketStatus::New, -600, 0, now), true),
            ("due:>1d", row(TicketStatus::New, 24 * 60 + 1, 0, now), true),
            ("age:>3d", row(TicketStatus::New, 10, 3 * 24 * 60 + 1, now), true),
            ("age:>3d", row(TicketStatus::New, 10, 3 * 24 * 60 - 1, now), false),
            ("breached", row(TicketStatus::New, -1, 0, now), true),
            ("breached", row(TicketStatus::New, 0, 0, now), false),
            ("-breached", row(TicketStatus::New, -1, 0, now), false),
            ("!status:new", row(TicketStatus::New, 1, 0, now), false),
            ("!status:new", row(TicketStatus::InProgress, 1, 0, now), true),
            ("-cat:leaver", row(TicketStatus::New, 1, 0, now), false),
        ];
        for (text, r, want) in cases {
            assert_eq!(f(text).admits_at(&r, now), want, "{text}: due {} age {}", r.due_at, r.received_at);
        }
    }

    #[test]
    fn bad_filter_words_say_what_the_words_are() {
        for (text, wanted) in [
            ("due:2h", "not a time bound"),
            ("due:<2y", "not a time bound"),
            ("age:>400d", "more than a year"),
            ("-due:<2h", "cannot be negated"),
            ("sort:colour", "not a sort key"),
            ("!status:open", "a negated status is one status"),
            (&"w ".repeat(MAX_FILTER_WORDS + 1), "at most 24 words"),
            ("colour:red", "unknown filter \"colour\""),
            ("cat:leavers", "unknown category"),
            ("status:pending", "status"),
            ("org:!!", "ODS"),
        ] {
            let error = TicketFilter::parse(text).unwrap_err().to_string();
            assert!(error.contains(wanted), "{text:?}: {error}");
        }
    }
}
