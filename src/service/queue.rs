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
use crate::domain::validate::OdsCode;
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
/// `org:V1234 status:new cat:leaver who:alice`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TicketFilter {
    pub status: StatusFilter,
    pub ods: Option<OdsCode>,
    pub category: Option<Category>,
    pub assignee: Option<String>,
}

impl Default for TicketFilter {
    fn default() -> Self {
        TicketFilter { status: StatusFilter::Open, ods: None, category: None, assignee: None }
    }
}

impl TicketFilter {
    /// Words the filter line understands, for help and error messages.
    pub const SYNTAX: &'static str = "org:ODS status:new|open|done|all|<status> cat:<category> who:<operator>";

    /// Whether the ticket of `row` passes the filter.
    pub fn admits(&self, row: &TicketRow) -> bool {
        let side = match self.status {
            StatusFilter::Open => row.status.is_open(),
            StatusFilter::Done => !row.status.is_open(),
            StatusFilter::All => true,
            StatusFilter::Only(s) => row.status == s,
        };
        side && self.ods.as_ref().is_none_or(|o| row.ods.as_ref() == Some(o))
            && self.category.is_none_or(|c| row.category == c)
            && self.assignee.as_ref().is_none_or(|a| row.assignee.as_ref() == Some(a))
    }

    /// Parses a filter line; an empty line is the default (open tickets).
    pub fn parse(text: &str) -> Result<TicketFilter, ServiceError> {
        let mut filter = TicketFilter::default();
        for word in text.split_whitespace() {
            let Some((key, value)) = word.split_once(':') else {
                return Err(ServiceError::BadInput(format!(
                    "{word:?} is not a filter word: use {}",
                    TicketFilter::SYNTAX
                )));
            };
            match key.to_ascii_lowercase().as_str() {
                "org" | "ods" => filter.ods = Some(OdsCode::parse(value)?),
                "status" | "is" => filter.status = value.parse()?,
                "cat" | "category" => {
                    filter.category = Some(value.parse().map_err(|e| ServiceError::BadInput(format!("{e}")))?)
                }
                "who" | "assignee" => filter.assignee = Some(value.to_owned()),
                _ => {
                    return Err(ServiceError::BadInput(format!(
                        "unknown filter {key:?}: use {}",
                        TicketFilter::SYNTAX
                    )));
                }
            }
        }
        Ok(filter)
    }

    pub fn is_default(&self) -> bool {
        *self == TicketFilter::default()
    }
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
        f.write_str(&words.join(" "))
    }
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
        service.ticket_slots(&ctx.operator, &self.view, &self.filter)
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
        let mut rows: Vec<TicketRow> = Vec::new();
        for &open in status.sides() {
            match view {
                QueueView::Queue(q) => rows.extend(self.queue_rows(*q, open, status, limit)?),
                QueueView::All => {
                    for q in Queue::ALL {
                        rows.extend(self.queue_rows(q, open, status, limit)?);
                    }
                }
                QueueView::Mine => {
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
        // Each source is in due order; merge them and keep the first page.
        rows.sort_by_key(|r| (r.due_at, r.reference));
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
        let wanted = |r: TicketRef| {
            of_org.as_ref().is_none_or(|s| s.contains(&r)) && of_assignee.as_ref().is_none_or(|s| s.contains(&r))
        };
        let mut out = Vec::new();
        for &open in filter.status.sides() {
            let queues: &[Queue] = match view {
                QueueView::Queue(q) => std::slice::from_ref(q),
                QueueView::All => &Queue::ALL,
                QueueView::Mine => &[],
            };
            for &queue in queues {
                let mut after: Option<QueueSlot> = None;
                loop {
                    let page = self.store.queue_page(queue, open, after.as_ref(), 4096)?;
                    let Some(last) = page.last().copied() else { break };
                    for slot in &page {
                        if !filter.status.admits(slot.status) || !wanted(slot.reference) {
                            continue;
                        }
                        let category = match slot.category {
                            Some(c) => Some(c),
                            None if filter.category.is_some() => self.store.ticket(slot.reference)?.map(|t| t.category),
                            None => None,
                        };
                        if filter.category.is_some() && category != filter.category {
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
                    if filter.category.is_some() || matches!(filter.status, StatusFilter::Only(_)) {
                        let Some(t) = self.store.ticket(reference)? else { continue };
                        if !filter.status.admits(t.status) || filter.category.is_some_and(|c| c != t.category) {
                            continue;
                        }
                    }
                    out.push(TicketSlot { due_at, reference });
                }
            }
        }
        out.sort_unstable();
        out.truncate(MAX_SLOTS);
        Ok(out)
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
                },
                "org:V1A2B status:new cat:leaver who:nina",
            ),
            ("  status:done  ", TicketFilter { status: StatusFilter::Done, ..TicketFilter::default() }, "status:done"),
            ("is:all", TicketFilter { status: StatusFilter::All, ..TicketFilter::default() }, "status:all"),
            ("status:open", TicketFilter::default(), ""),
        ];
        for (text, want, printed) in cases {
            let got = TicketFilter::parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
            assert_eq!(got, want, "{text:?}");
            assert_eq!(got.to_string(), printed, "{text:?}");
            assert_eq!(TicketFilter::parse(printed).unwrap(), want, "{printed:?} reads back");
        }
    }

    #[test]
    fn bad_filter_words_say_what_the_words_are() {
        for (text, wanted) in [
            ("leaver", "is not a filter word"),
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
