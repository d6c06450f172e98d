//! Queue pages: which tickets a tab and its filter line show, in due
//! order, read from the queue indexes; and the rows the list draws.
//!
//! Nothing here reads a ticket's body or timeline to list it; kept lists
//! (see `slots.rs`) spare the index reads while no ticket has changed.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Ctx, Operation, Service, ServiceError};
use crate::domain::permission::Action;
use crate::domain::routing::{Category, Queue};
use crate::domain::ticket::{Ticket, TicketRef, TicketStatus};
use crate::domain::validate::{OdsCode, fold_for_search};
use crate::store::{QueueSlot, TicketSummary};

/// Which tickets a queue page shows.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum QueueView {
    Queue(Queue),
    /// Tickets assigned to the caller.
    Mine,
    /// Every queue together.
    All,
}

impl QueueView {
    /// Whether the ticket of `row` belongs in this view for `operator`, as
    /// [`Query::TicketSlots`] would list it: for updating a list in place
    /// when one ticket changes.
    pub fn admits(&self, row: &TicketRow, operator: &str) -> bool {
        match self {
            QueueView::Queue(q) => row.queue == *q,
            QueueView::Mine => row.assignee.as_deref() == Some(operator),
            QueueView::All => true,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StatusFilter {
    Open,
    /// Resolved and closed.
    Done,
    All,
    Only(TicketStatus),
}

impl StatusFilter {
    /// Which halves of the queue index (open, done) to read.
    fn sides(self) -> &'static [bool] {
        match self {
            StatusFilter::Open => &[true],
            StatusFilter::Done => &[false],
            StatusFilter::All => &[true, false],
            StatusFilter::Only(s) if s.is_open() => &[true],
            StatusFilter::Only(_) => &[false],
        }
    }
    fn admits(self, status: TicketStatus) -> bool {
        match self {
            StatusFilter::Only(s) => s == status,
            _ => true,
        }
    }
}

impl std::str::FromStr for StatusFilter {
    type Err = ServiceError;
    /// `open`, `done`, `all` (or `any`), or one status.
    fn from_str(text: &str) -> Result<StatusFilter, ServiceError> {
        Ok(match text.trim().to_ascii_lowercase().as_str() {
            "open" => StatusFilter::Open,
            "done" => StatusFilter::Done,
            "all" | "any" => StatusFilter::All,
            other => StatusFilter::Only(
                other.parse().map_err(|e| ServiceError::BadInput(format!("{e}, or open, done, all")))?,
            ),
        })
    }
}

impl std::str::FromStr for QueueView {
    type Err = ServiceError;
    /// A queue, `mine` or `all`.
    fn from_str(text: &str) -> Result<QueueView, ServiceError> {
        Ok(match text.trim().to_ascii_lowercase().as_str() {
            "mine" => QueueView::Mine,
            "all" => QueueView::All,
            other => QueueView::Queue(other.parse().map_err(|e| ServiceError::BadInput(format!("{e}, mine, all")))?),
        })
    }
}

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
    fn is_timed(&self) -> bool {
        self.due.is_some() || self.age.is_some() || self.breached || self.not.contains(&Term::Breached)
    }

    /// The filter without its time words: what a kept list is read for.
    fn untimed(&self) -> TicketFilter {
        let mut f = self.clone();
        f.due = None;
        f.age = None;
        f.breached = false;
        f.not.retain(|t| *t != Term::Breached);
        f
    }

    /// Whether a listing needs the tickets themselves (beyond the indexes).
    fn reads_tickets(&self) -> bool {
        !self.words.is_empty()
            || self.not.iter().any(|t| matches!(t, Term::Word(_)))
            || self.sort.is_some_and(|s| s.key != SortKey::Due)
    }

    /// The free words against a ticket's subject and body.
    fn words_match(&self, ticket: &Ticket) -> bool {
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

fn due_passes(d: Within, due_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    let edge = now + d.duration();
    if d.over { due_at > edge } else { due_at < edge }
}

fn age_passes(a: Within, received_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
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

/// What a listing sorts by.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum SortValue {
    At(DateTime<Utc>),
    Code(u8),
    Text(String),
}

/// Whether a ticket breached by `now`: open past its due time, or resolved
/// or closed after it (when, the last status change on its timeline says).
pub(super) fn breached_at(t: &Ticket, now: DateTime<Utc>) -> bool {
    let done_at = match t.is_open() {
        true => None,
        false => Some(resolved_at(t).unwrap_or(t.meta.changed_at)),
    };
    crate::domain::sla::breached(t.routing.due_at, done_at, now)
}

/// When a done ticket was resolved or closed: the first move to a final
/// state since it was last reopened, as its timeline's status events say.
pub(super) fn resolved_at(t: &Ticket) -> Option<DateTime<Utc>> {
    let mut done_at = None;
    for e in &t.timeline {
        let Some(change) = e.text.strip_prefix("status ") else { continue };
        if e.kind != crate::domain::ticket::EntryKind::Event {
            continue;
        }
        let final_state = change.ends_with("→ resolved") || change.ends_with("→ closed");
        match (final_state, done_at) {
            (true, None) => done_at = Some(e.at),
            (false, _) => done_at = None,
            (true, Some(_)) => {}
        }
    }
    done_at
}

/// A ticket's place in a queue: enough to count, scroll and page the list
/// without reading the ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TicketSlot {
    #[serde(with = "crate::domain::time::ts")]
    pub due_at: DateTime<Utc>,
    pub reference: TicketRef,
}

/// The most slots one listing returns; a queue longer than this shows its
/// most urgent part and says so.
pub const MAX_SLOTS: usize = 100_000;

/// A queue row: what the list shows without the body or the timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketRow {
    pub reference: TicketRef,
    #[serde(with = "crate::domain::time::ts")]
    pub received_at: DateTime<Utc>,
    #[serde(with = "crate::domain::time::ts")]
    pub due_at: DateTime<Utc>,
    pub queue: Queue,
    pub category: Category,
    pub ods: Option<OdsCode>,
    pub requester: String,
    pub subject: String,
    pub status: TicketStatus,
    pub assignee: Option<String>,
    /// The ticket's revision, for a write based on this row.
    pub rev: u64,
}

impl From<&Ticket> for TicketRow {
    fn from(t: &Ticket) -> Self {
        TicketRow {
            reference: t.reference,
            received_at: t.received_at,
            due_at: t.routing.due_at,
            queue: t.routing.queue,
            category: t.category,
            ods: t.ods.clone(),
            requester: t.requester.name.clone(),
            subject: t.subject.clone(),
            status: t.status,
            assignee: t.assignee.clone(),
            rev: t.meta.rev,
        }
    }
}

impl From<TicketSummary> for TicketRow {
    fn from(t: TicketSummary) -> Self {
        TicketRow {
            reference: t.reference,
            received_at: t.received_at,
            due_at: t.due_at,
            queue: t.queue,
            category: t.category,
            ods: t.ods,
            requester: t.requester,
            subject: t.subject,
            status: t.status,
            assignee: t.assignee,
            rev: t.rev,
        }
    }
}

/// Ticket rows of a view in due order, up to `limit`: the CLI's listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListTickets {
    pub view: QueueView,
    pub status: StatusFilter,
    pub limit: usize,
}

impl Operation for ListTickets {
    type Answer = Vec<TicketRow>;
    const NAME: &'static str = "ticket.list";
    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<Vec<TicketRow>, ServiceError> {
        service.authorise(ctx, Action::View)?;
        service.ticket_rows(&ctx.operator, &self.view, self.status, self.limit)
    }
}

/// Every ticket of a view that passes the filter, in due order, as slots.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListTicketSlots {
    pub view: QueueView,
    pub filter: TicketFilter,
}

impl Operation for ListTicketSlots {
    type Answer = Vec<TicketSlot>;
    const NAME: &'static str = "ticket.slots";
    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<Vec<TicketSlot>, ServiceError> {
        service.authorise(ctx, Action::View)?;
        service.ticket_slots_at(&ctx.operator, &self.view, &self.filter, ctx.now)
    }
}

/// The rows for these tickets (the visible part of a list), in the order asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadTicketRows {
    pub refs: Vec<TicketRef>,
}

impl Operation for ReadTicketRows {
    type Answer = Vec<TicketRow>;
    const NAME: &'static str = "ticket.rows";
    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<Vec<TicketRow>, ServiceError> {
        service.authorise(ctx, Action::View)?;
        let mut rows = Vec::with_capacity(self.refs.len());
        for r in &self.refs {
            if let Some(t) = service.store.ticket_row(*r)? {
                rows.push(TicketRow::from(t));
            }
        }
        Ok(rows)
    }
}

/// Rows reserved up front for a page: a page is 50 rows on a screen, and
/// a larger limit (the CLI's "all") grows the list as it goes.
const MAX_PAGE_CAPACITY: usize = 256;

impl Service {
    /// Ticket rows in due order: a queue's rows come from its index, whose
    /// values carry them, so a page reads no ticket.
    pub fn ticket_rows(
        &self,
        operator: &str,
        view: &QueueView,
        status: StatusFilter,
        limit: usize,
    ) -> Result<Vec<TicketRow>, ServiceError> {
        let mut rows: Vec<TicketRow> = Vec::with_capacity(limit.min(MAX_PAGE_CAPACITY));
        let mut sources = 0;
        for &open in status.sides() {
            match view {
                QueueView::Queue(q) => {
                    sources += 1;
                    rows.extend(self.queue_rows(*q, open, status, limit)?);
                }
                QueueView::All => {
                    for &q in Queue::ALL {
                        sources += 1;
                        rows.extend(self.queue_rows(q, open, status, limit)?);
                    }
                }
                QueueView::Mine => {
                    sources += 1;
                    let mut taken = 0;
                    for r in self.store.assigned_page(operator, open, None, usize::MAX)? {
                        if taken >= limit {
                            break;
                        }
                        if let Some(t) = self.store.ticket_row(r)? {
                            if status.admits(t.status) {
                                rows.push(TicketRow::from(t));
                                taken += 1;
                            }
                        }
                    }
                }
            }
        }
        // Each source is in due order already; only more than one needs
        // merging before the first page is kept.
        if sources > 1 {
            rows.sort_by_key(|r| (r.due_at, r.reference));
        }
        rows.truncate(limit);
        Ok(rows)
    }

    /// Every slot of a view passing `filter`, in due order, up to
    /// [`MAX_SLOTS`]: read from the indexes, or the same list kept since no
    /// ticket has changed (see `slots.rs`).
    pub fn ticket_slots(
        &self,
        operator: &str,
        view: &QueueView,
        filter: &TicketFilter,
    ) -> Result<Vec<TicketSlot>, ServiceError> {
        let key = (view.clone(), filter.clone(), (*view == QueueView::Mine).then(|| operator.to_owned()));
        let arrived = self.slot_cache.generation();
        if let Some(kept) = self.slot_cache.get(&key, arrived) {
            return Ok(kept.as_ref().clone());
        }
        let turn = self.slot_cache.refill_turn(&key);
        let _turn = turn.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(kept) = self.slot_cache.get(&key, arrived) {
            return Ok(kept.as_ref().clone());
        }
        let generation = self.slot_cache.generation();
        let list = self.read_ticket_slots(operator, view, filter)?;
        self.slot_cache.put(key, generation, std::sync::Arc::new(list.clone()));
        Ok(list)
    }

    /// [`Service::ticket_slots`] with the filter's time words (`due:`,
    /// `age:`, `breached`) applied at `now`: the list without them is the
    /// kept one, and they are applied to it on each call, so a kept list
    /// never goes stale by the clock.
    pub fn ticket_slots_at(
        &self,
        operator: &str,
        view: &QueueView,
        filter: &TicketFilter,
        now: DateTime<Utc>,
    ) -> Result<Vec<TicketSlot>, ServiceError> {
        if !filter.is_timed() {
            return self.ticket_slots(operator, view, filter);
        }
        let untimed = filter.untimed();
        let mut out = Vec::new();
        for slot in self.ticket_slots(operator, view, &untimed)? {
            if filter.due.is_some_and(|d| !due_passes(d, slot.due_at, now)) {
                continue;
            }
            let needs_ticket = filter.age.is_some() || slot.due_at < now;
            let past_due = if needs_ticket {
                let Some(t) = self.store.ticket(slot.reference)? else { continue };
                if filter.age.is_some_and(|a| !age_passes(a, t.received_at, now)) {
                    continue;
                }
                breached_at(&t, now)
            } else {
                false
            };
            if (filter.breached && !past_due) || (past_due && filter.not.contains(&Term::Breached)) {
                continue;
            }
            out.push(slot);
        }
        Ok(out)
    }

    /// Drops the kept queue lists, so the next listing reads the indexes:
    /// for benchmarks, which measure the read the kept lists save.
    #[doc(hidden)]
    pub fn forget_kept_lists(&self) {
        self.slot_cache.forget();
    }

    /// [`Service::ticket_slots`] from the indexes. Status and category come
    /// from the queue index; the organisation and assignee narrow by their
    /// own indexes; only the "mine" view with a status or category filter
    /// reads tickets.
    fn read_ticket_slots(
        &self,
        operator: &str,
        view: &QueueView,
        filter: &TicketFilter,
    ) -> Result<Vec<TicketSlot>, ServiceError> {
        use std::collections::HashSet;
        let of_org: Option<HashSet<TicketRef>> = match &filter.ods {
            Some(ods) => Some(self.store.tickets_for_org(ods, usize::MAX)?.into_iter().collect()),
            None => None,
        };
        let of_assignee: Option<HashSet<TicketRef>> = match &filter.assignee {
            Some(who) => {
                let mut set = HashSet::new();
                for &open in filter.status.sides() {
                    set.extend(self.store.assigned_slots(who, open)?.into_iter().map(|(_, r)| r));
                }
                Some(set)
            }
            None => None,
        };
        let mut not_of: HashSet<TicketRef> = HashSet::new();
        for term in &filter.not {
            match term {
                Term::Org(ods) => not_of.extend(self.store.tickets_for_org(ods, usize::MAX)?),
                Term::Assignee(who) => {
                    for &open in filter.status.sides() {
                        not_of.extend(self.store.assigned_slots(who, open)?.into_iter().map(|(_, r)| r));
                    }
                }
                _ => {}
            }
        }
        let not_status: Vec<TicketStatus> =
            filter.not.iter().filter_map(|t| if let Term::Status(s) = t { Some(*s) } else { None }).collect();
        let not_category: Vec<Category> =
            filter.not.iter().filter_map(|t| if let Term::Category(c) = t { Some(*c) } else { None }).collect();
        let wanted = |r: TicketRef| {
            of_org.as_ref().is_none_or(|s| s.contains(&r))
                && of_assignee.as_ref().is_none_or(|s| s.contains(&r))
                && !not_of.contains(&r)
        };
        let needs_category = filter.category.is_some() || !not_category.is_empty();
        let mut out = Vec::new();
        for &open in filter.status.sides() {
            let queues: &[Queue] = match view {
                QueueView::Queue(q) => std::slice::from_ref(q),
                QueueView::All => Queue::ALL,
                QueueView::Mine => &[],
            };
            for &queue in queues {
                let mut after: Option<QueueSlot> = None;
                loop {
                    let page = self.store.queue_page(queue, open, after.as_ref(), 4096)?;
                    let Some(last) = page.last().copied() else { break };
                    for slot in &page {
                        if !filter.status.admits(slot.status)
                            || not_status.contains(&slot.status)
                            || !wanted(slot.reference)
                        {
                            continue;
                        }
                        let category = match slot.category {
                            Some(c) => Some(c),
                            None if needs_category => self.store.ticket(slot.reference)?.map(|t| t.category),
                            None => None,
                        };
                        if filter.category.is_some() && category != filter.category {
                            continue;
                        }
                        if category.is_some_and(|c| not_category.contains(&c)) {
                            continue;
                        }
                        out.push(TicketSlot { due_at: slot.due_at, reference: slot.reference });
                    }
                    after = Some(last);
                }
            }
            if *view == QueueView::Mine {
                for (due_at, reference) in self.store.assigned_slots(operator, open)? {
                    if !wanted(reference) {
                        continue;
                    }
                    if needs_category || !not_status.is_empty() || matches!(filter.status, StatusFilter::Only(_)) {
                        let Some(t) = self.store.ticket(reference)? else { continue };
                        if !filter.status.admits(t.status)
                            || filter.category.is_some_and(|c| c != t.category)
                            || not_status.contains(&t.status)
                            || not_category.contains(&t.category)
                        {
                            continue;
                        }
                    }
                    out.push(TicketSlot { due_at, reference });
                }
            }
        }
        out.sort_unstable();
        if filter.reads_tickets() {
            out = self.by_words_and_sort(out, filter)?;
        }
        out.truncate(MAX_SLOTS);
        Ok(out)
    }

    /// Keeps the slots whose tickets hold the filter's free words, in the
    /// filter's sort order: the one part of a listing that reads tickets.
    fn by_words_and_sort(
        &self,
        slots: Vec<TicketSlot>,
        filter: &TicketFilter,
    ) -> Result<Vec<TicketSlot>, ServiceError> {
        let mut kept: Vec<(TicketSlot, SortValue)> = Vec::with_capacity(slots.len());
        for slot in slots {
            let Some(t) = self.store.ticket(slot.reference)? else { continue };
            if !filter.words_match(&t) {
                continue;
            }
            let value = match filter.sort.map(|s| s.key) {
                Some(SortKey::Age) => SortValue::At(t.received_at),
                Some(SortKey::Status) => SortValue::Code(t.status.code()),
                Some(SortKey::Org) => SortValue::Text(t.ods.map(|o| o.to_string()).unwrap_or_default()),
                Some(SortKey::Updated) => SortValue::At(t.meta.changed_at),
                Some(SortKey::Due) | None => SortValue::At(slot.due_at),
            };
            kept.push((slot, value));
        }
        // Ties keep due order (the sort is stable).
        kept.sort_by(|a, b| a.1.cmp(&b.1));
        if filter.sort.is_some_and(|s| s.descending) {
            kept.reverse();
        }
        Ok(kept.into_iter().map(|(s, _)| s).collect())
    }

    /// Up to `limit` rows of one queue that pass the status filter, read
    /// from the queue index alone.
    fn queue_rows(
        &self,
        queue: Queue,
        open: bool,
        status: StatusFilter,
        limit: usize,
    ) -> Result<Vec<TicketRow>, ServiceError> {
        let mut out = Vec::new();
        let mut after: Option<QueueSlot> = None;
        while out.len() < limit {
            // A status of its own may skip rows; otherwise every row read is shown.
            let want = if matches!(status, StatusFilter::Only(_)) { limit.max(64) } else { limit - out.len() };
            let page = self.store.queue_rows(queue, open, after.as_ref(), want)?;
            let Some(last) = page.last() else { break };
            after = Some(QueueSlot {
                reference: last.reference,
                due_at: last.due_at,
                status: last.status,
                category: Some(last.category),
            });
            out.extend(page.into_iter().filter(|r| status.admits(r.status)).map(TicketRow::from));
        }
        out.truncate(limit);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
