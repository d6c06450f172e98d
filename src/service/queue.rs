//! Queue pages: which tickets a tab and its filter line show, in due
//! order, read from the queue indexes; and the rows the list draws.
//!
//! Nothing here reads a ticket's body or timeline to list it; kept lists
//! (see `slots.rs`) spare the index reads while no ticket has changed.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::slots::SlotsAt;
use super::{Ctx, Operation, Service, ServiceError};
use crate::domain::permission::Action;
use crate::domain::routing::{Category, Queue};
use crate::domain::ticket::{Ticket, TicketRef, TicketStatus};
use crate::domain::validate::OdsCode;
use crate::store::{QueueSlot, TicketSummary};

mod filter;
mod packed;
pub use filter::{Sort, SortKey, Term, TicketFilter, Within};
use filter::{age_passes, due_passes};

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

/// A tab's list as a console follows it: whole the first time, then what
/// changed since the listing it holds (`since`, from the last answer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowTicketSlots {
    pub view: QueueView,
    pub filter: TicketFilter,
    pub since: Option<SlotsAt>,
}

impl Operation for FollowTicketSlots {
    type Answer = SlotListing;
    const NAME: &'static str = "ticket.slots.follow";
    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<SlotListing, ServiceError> {
        service.authorise(ctx, Action::View)?;
        service.ticket_slots_since(&ctx.operator, &self.view, &self.filter, ctx.now, self.since)
    }
}

/// A list, or what changed in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SlotListing {
    /// The whole list; `at` is `None` when it cannot be followed (cut at
    /// [`MAX_SLOTS`], or filtered by the clock).
    All {
        /// Shared with the kept list it was served from, so a listing
        /// copies no slots until it is applied.
        #[serde(with = "packed")]
        slots: std::sync::Arc<Vec<TicketSlot>>,
        at: Option<SlotsAt>,
    },
    /// Each ticket written since the listing asked about, by reference,
    /// with its slot in the list now, or `None` if it is not in it.
    Changes { changed: Vec<(TicketRef, Option<TicketSlot>)>, at: SlotsAt },
}

impl SlotListing {
    /// Brings `slots` (the list as of the listing asked about) up to this
    /// answer, and gives what to ask with next time.
    pub fn apply(self, slots: &mut Vec<TicketSlot>) -> Option<SlotsAt> {
        match self {
            SlotListing::All { slots: all, at } => {
                // A listing read off the socket is the only holder: no copy.
                *slots = std::sync::Arc::unwrap_or_clone(all);
                at
            }
            SlotListing::Changes { changed, at } => {
                if !changed.is_empty() {
                    let gone: std::collections::HashSet<TicketRef> = changed.iter().map(|(r, _)| *r).collect();
                    slots.retain(|s| !gone.contains(&s.reference));
                    for slot in changed.into_iter().filter_map(|(_, slot)| slot) {
                        let at = slots.binary_search(&slot).unwrap_or_else(|at| at);
                        slots.insert(at, slot);
                    }
                }
                Some(at)
            }
        }
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
                    self.queue_rows(&mut rows, *q, open, status, limit)?;
                }
                QueueView::All => {
                    for &q in Queue::ALL {
                        sources += 1;
                        self.queue_rows(&mut rows, q, open, status, limit)?;
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

    /// Reads and keeps the lists every console starts on: each queue and
    /// all of them, unfiltered. Without it the first operators to open a
    /// tab after the daemon starts each wait for a scan of the queue index
    /// (tens of milliseconds at 20,000 open tickets); with it they are
    /// served the kept list, as everyone after them is.
    pub fn keep_the_opening_lists(&self) -> Result<(), ServiceError> {
        use strum::VariantArray;
        let views = Queue::VARIANTS.iter().map(|q| QueueView::Queue(*q)).chain([QueueView::All]);
        for view in views {
            self.kept_slots("", &view, &TicketFilter::default())?;
        }
        Ok(())
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
        Ok(self.kept_slots(operator, view, filter)?.1.as_ref().clone())
    }

    /// The kept list and the generation it is current at.
    fn kept_slots(
        &self,
        operator: &str,
        view: &QueueView,
        filter: &TicketFilter,
    ) -> Result<(u64, std::sync::Arc<Vec<TicketSlot>>), ServiceError> {
        let key = (view.clone(), filter.clone(), (*view == QueueView::Mine).then(|| operator.to_owned()));
        let arrived = self.slot_cache.generation();
        if let Some(kept) = self.slot_cache.get(&key, arrived) {
            return Ok(kept);
        }
        let turn = self.slot_cache.refill_turn(&key);
        let _turn = turn.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(kept) = self.slot_cache.get(&key, arrived) {
            return Ok(kept);
        }
        let generation = self.slot_cache.generation();
        let list = std::sync::Arc::new(self.read_ticket_slots(operator, view, filter)?);
        self.slot_cache.put(key, generation, std::sync::Arc::clone(&list));
        Ok((generation, list))
    }

    /// What changed in a list since the listing current at `since`, or
    /// the whole list when that cannot be told (see `slots.rs`). A filter
    /// with time words is always listed whole: the clock moves it.
    pub fn ticket_slots_since(
        &self,
        operator: &str,
        view: &QueueView,
        filter: &TicketFilter,
        now: DateTime<Utc>,
        since: Option<SlotsAt>,
    ) -> Result<SlotListing, ServiceError> {
        if filter.is_timed() {
            let slots = std::sync::Arc::new(self.ticket_slots_at(operator, view, filter, now)?);
            return Ok(SlotListing::All { slots, at: None });
        }
        if let Some(changes) = since.and_then(|at| self.slot_cache.changes_since(at)) {
            let mut changed: Vec<(TicketRef, Option<TicketSlot>)> = changes
                .rows
                .into_iter()
                .map(|(reference, row)| {
                    let slot = row
                        .filter(|row| view.admits(row, operator) && filter.admits(row))
                        .map(|row| TicketSlot { due_at: row.due_at, reference });
                    (reference, slot)
                })
                .collect();
            changed.sort_by_key(|(reference, _)| *reference);
            return Ok(SlotListing::Changes { changed, at: changes.at });
        }
        let (generation, list) = self.kept_slots(operator, view, filter)?;
        let at = self.slot_cache.at(generation, &list);
        Ok(SlotListing::All { slots: list, at })
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

    /// Whether the list of `view` under `filter` is kept (not for "mine"):
    /// for tests of when lists are read.
    #[doc(hidden)]
    pub fn keeps_list(&self, view: &QueueView, filter: &TicketFilter) -> bool {
        self.slot_cache.get(&(view.clone(), filter.clone(), None), 0).is_some()
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

    /// Adds to `rows` the first `limit` rows of one queue's side that
    /// `status` admits, in due order, read from the queue index alone:
    /// straight from the store's page into the caller's rows, which a page
    /// of one queue is all of.
    fn queue_rows(
        &self,
        rows: &mut Vec<TicketRow>,
        queue: Queue,
        open: bool,
        status: StatusFilter,
        limit: usize,
    ) -> Result<(), ServiceError> {
        let start = rows.len();
        let mut after: Option<QueueSlot> = None;
        while rows.len() - start < limit {
            // A status of its own may skip rows; otherwise every row read is shown.
            let taken = rows.len() - start;
            let want = if matches!(status, StatusFilter::Only(_)) { limit.max(64) } else { limit - taken };
            let page = self.store.queue_rows(queue, open, after.as_ref(), want)?;
            let Some(last) = page.last() else { break };
            after = Some(QueueSlot {
                reference: last.reference,
                due_at: last.due_at,
                status: last.status,
                category: Some(last.category),
            });
            rows.reserve(page.len().min(limit - taken));
            rows.extend(page.into_iter().filter(|r| status.admits(r.status)).take(limit - taken).map(TicketRow::from));
        }
        Ok(())
    }
}
