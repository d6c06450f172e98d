//! Figures for a shift: SLA warnings, breaches in a period, and the
//! dashboard (each queue's depth now and over the last day and week,
//! breaches, tickets per operator today, the next NAS opening).
//!
//! Designed for 20,000 open tickets among 2,000,000: nothing here reads
//! every ticket.
//! - Depth now is a count of one queue index's open keys (no ticket read).
//! - Depth over time comes from kept counters: every ticket write moves its
//!   queue's counter for the hour it is made, in the same transaction
//!   (`store/shift.rs`), so the depth at the end of an earlier hour is the
//!   depth now less the moves since: at most 7 × 24 buckets per queue.
//! - Breaches and due-soon tickets are the front of each queue's open index,
//!   which is in due order, so the scan stops at the first ticket not yet
//!   due (or not due soon).
//! - Tickets per operator today walks the audit log back from its newest
//!   entry to London midnight: one day's changes, at most
//!   [`MAX_DAY_ENTRIES`].
//! - Breaches in a period read the queue indexes over that period's due
//!   times, and only the done tickets among them (to see when they were
//!   resolved).

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::queue::{breached_at, resolved_at};
use super::{Ctx, Done, Operation, Prepared, Service, ServiceError, TicketRow};
use crate::domain::permission::Action;
use crate::domain::routing::{Category, Queue};
use crate::domain::sla::{MAX_DUE_SOON_MINUTES, SlaPolicy, SlaState, due_soon_until, sla_state};
use crate::domain::ticket::TicketRef;
use crate::store::{Change, QueueSlot, hour_of};

/// The most audit entries the per-operator figure reads: a very busy day.
pub const MAX_DAY_ENTRIES: usize = 200_000;
/// The most rows a breach report or a warning list holds.
pub const MAX_REPORT_ROWS: usize = 100_000;
/// Index entries read per page.
const PAGE: usize = 1024;

/// Sets the "due soon" threshold (supervisors).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetDueSoon {
    pub minutes: u32,
}

impl Operation for SetDueSoon {
    type Answer = Done<SlaPolicy>;
    const NAME: &'static str = "policy.due-soon";
    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<Done<SlaPolicy>, ServiceError> {
        service.authorise(ctx, Action::SetPolicy)?;
        if self.minutes == 0 || self.minutes > MAX_DUE_SOON_MINUTES {
            return Err(ServiceError::BadInput(format!(
                "give the due-soon threshold as 1 to {MAX_DUE_SOON_MINUTES} minutes (of working time for the NAS and \
                 resolver queues)"
            )));
        }
        let old = service.store.sla_policy()?;
        let new = SlaPolicy { due_soon_minutes: self.minutes };
        let (_, entry) = service.run(ctx, || {
            let mut change = Change::new();
            change.set(&new)?;
            Ok(Prepared {
                change,
                subject: "SLA policy".into(),
                before: super::audit_json(&old),
                after: super::audit_json(&new),
                result: (),
            })
        })?;
        Ok(Done::new(
            format!("tickets now count as due soon {} minutes before their due time", self.minutes),
            new,
            &entry,
        ))
    }
}

/// Open tickets due soon or past due, most urgent first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListSlaWarnings {}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaWarning {
    pub row: TicketRow,
    pub state: SlaState,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaWarnings {
    pub due_soon_minutes: u32,
    pub warnings: Vec<SlaWarning>,
}

impl Operation for ListSlaWarnings {
    type Answer = SlaWarnings;
    const NAME: &'static str = "report.warnings";
    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<SlaWarnings, ServiceError> {
        service.authorise(ctx, Action::View)?;
        let policy = service.store.sla_policy()?;
        let hours = service.hours();
        let mut warnings = Vec::new();
        for &queue in Queue::ALL {
            let until = due_soon_until(&hours, queue, ctx.now, policy);
            for slot in service.open_due_by(queue, until)? {
                let Some(t) = service.store.ticket(slot.reference)? else { continue };
                let state = sla_state(&hours, queue, t.routing.due_at, ctx.now, policy);
                warnings.push(SlaWarning { row: TicketRow::from(&t), state });
            }
        }
        warnings.sort_by_key(|w| (w.row.due_at, w.row.reference));
        warnings.truncate(MAX_REPORT_ROWS);
        Ok(SlaWarnings { due_soon_minutes: policy.due_soon_minutes, warnings })
    }
}

/// Tickets due in [from, to) that breached: resolved after their due time,
/// or still open past it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListBreaches {
    #[serde(with = "crate::domain::time::ts")]
    pub from: DateTime<Utc>,
    #[serde(with = "crate::domain::time::ts")]
    pub to: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Breach {
    pub reference: TicketRef,
    pub queue: Queue,
    pub category: Category,
    pub ods: Option<String>,
    pub assignee: Option<String>,
    #[serde(with = "crate::domain::time::ts")]
    pub due_at: DateTime<Utc>,
    /// `None`: still open.
    #[serde(with = "crate::domain::time::ts_opt")]
    pub resolved_at: Option<DateTime<Utc>>,
    /// Minutes past due: to resolution, or to now for an open ticket.
    pub late_minutes: i64,
}

impl Operation for ListBreaches {
    type Answer = Vec<Breach>;
    const NAME: &'static str = "report.breaches";
    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<Vec<Breach>, ServiceError> {
        service.authorise(ctx, Action::View)?;
        if self.to <= self.from {
            return Err(ServiceError::BadInput("--to must be after --from".into()));
        }
        let mut out = Vec::new();
        for &queue in Queue::ALL {
            for open in [true, false] {
                for slot in service.due_between(queue, open, self.from, self.to.min(ctx.now))? {
                    let Some(t) = service.store.ticket(slot.reference)? else { continue };
                    if !breached_at(&t, ctx.now) {
                        continue;
                    }
                    let resolved = if t.is_open() { None } else { Some(resolved_at(&t).unwrap_or(t.meta.changed_at)) };
                    let late = (resolved.unwrap_or(ctx.now) - t.routing.due_at).num_minutes();
                    out.push(Breach {
                        reference: t.reference,
                        queue,
                        category: t.category,
                        ods: t.ods.as_ref().map(ToString::to_string),
                        assignee: t.assignee.clone(),
                        due_at: t.routing.due_at,
                        resolved_at: resolved,
                        late_minutes: late,
                    });
                    if out.len() >= MAX_REPORT_ROWS {
                        return Err(ServiceError::BadInput(format!(
                            "more than {MAX_REPORT_ROWS} breaches in that period: give a shorter one"
                        )));
                    }
                }
            }
        }
        out.sort_by_key(|b| (b.due_at, b.reference));
        Ok(out)
    }
}

/// The shift at a glance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShowDashboard {}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueFigures {
    pub queue: Queue,
    pub depth: u64,
    pub breached: u64,
    pub due_soon: u64,
    /// Depth at the end of each of the last 24 hours, oldest first (the
    /// last is now).
    pub hourly: Vec<u64>,
    /// Depth at the end of each of the last 7 days, oldest first.
    pub daily: Vec<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dashboard {
    #[serde(with = "crate::domain::time::ts")]
    pub at: DateTime<Utc>,
    pub open_now: bool,
    #[serde(with = "crate::domain::time::ts")]
    pub next_opening: DateTime<Utc>,
    pub queues: Vec<QueueFigures>,
    /// Tickets each operator changed today (London time), most first.
    pub per_operator: Vec<(String, u64)>,
    pub due_soon_minutes: u32,
}

impl Operation for ShowDashboard {
    type Answer = Dashboard;
    const NAME: &'static str = "report.dashboard";
    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<Dashboard, ServiceError> {
        service.authorise(ctx, Action::View)?;
        let now = ctx.now;
        let hours = service.hours();
        let policy = service.store.sla_policy()?;
        let this_hour = hour_of(now);
        let mut queues = Vec::new();
        for &queue in Queue::ALL {
            let depth = service.store.open_in_queue(queue)?;
            let moves = service.store.depth_moves(queue, this_hour.saturating_sub(7 * 24))?;
            let at_end_of = |hour: u64| -> u64 {
                let later: i64 = moves.iter().filter(|(h, _)| *h > hour).map(|(_, d)| d).sum();
                (depth as i64 - later).max(0) as u64
            };
            let hourly = (0..24).rev().map(|k| at_end_of(this_hour.saturating_sub(k))).collect();
            let daily = (0..7).rev().map(|k| at_end_of(this_hour.saturating_sub(24 * k))).collect();
            let until = due_soon_until(&hours, queue, now, policy);
            let front = service.open_due_by(queue, until)?;
            let breached = front.iter().filter(|s| s.due_at < now).count() as u64;
            queues.push(QueueFigures {
                queue,
                depth,
                breached,
                due_soon: front.len() as u64 - breached,
                hourly,
                daily,
            });
        }
        Ok(Dashboard {
            at: now,
            open_now: hours.is_open(now),
            next_opening: hours.next_opening(now),
            queues,
            per_operator: service.tickets_per_operator_since(london_midnight(now))?,
            due_soon_minutes: policy.due_soon_minutes,
        })
    }
}

fn london_midnight(at: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::TimeZone;
    let day = crate::domain::hours::london_date(at);
    let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    chrono_tz::Europe::London.from_local_datetime(&midnight).earliest().map_or(at - Duration::days(1), |t| t.to_utc())
}

impl Service {
    /// Open slots of `queue` due at or before `until`, from the front of its
    /// index (which is in due order).
    fn open_due_by(&self, queue: Queue, until: DateTime<Utc>) -> Result<Vec<QueueSlot>, ServiceError> {
        let mut out = Vec::new();
        let mut after: Option<QueueSlot> = None;
        loop {
            let page = self.store.queue_page(queue, true, after.as_ref(), PAGE)?;
            let Some(last) = page.last().copied() else { break };
            for slot in page {
                if slot.due_at > until || out.len() >= MAX_REPORT_ROWS {
                    return Ok(out);
                }
                out.push(slot);
            }
            after = Some(last);
        }
        Ok(out)
    }

    /// Slots of one side of `queue` due in [from, to).
    fn due_between(
        &self,
        queue: Queue,
        open: bool,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<QueueSlot>, ServiceError> {
        let mut out = Vec::new();
        let start = QueueSlot {
            reference: TicketRef(u64::MAX),
            due_at: from - Duration::milliseconds(1),
            status: crate::domain::ticket::TicketStatus::New,
            category: None,
        };
        let mut after = Some(start);
        loop {
            let page = self.store.queue_page(queue, open, after.as_ref(), PAGE)?;
            let Some(last) = page.last().copied() else { break };
            for slot in page {
                if slot.due_at >= to {
                    return Ok(out);
                }
                out.push(slot);
            }
            after = Some(last);
        }
        Ok(out)
    }

    /// How many tickets each operator changed since `since`, from the audit
    /// log's newest entries back.
    fn tickets_per_operator_since(&self, since: DateTime<Utc>) -> Result<Vec<(String, u64)>, ServiceError> {
        let mut seen: HashSet<(String, String)> = HashSet::new();
        let mut before = None;
        let mut read = 0;
        'pages: loop {
            let page = self.store.audit_newest(before, PAGE)?;
            let Some(oldest) = page.last().map(|e| e.seq) else { break };
            for e in page {
                read += 1;
                if e.draft.at < since || read > MAX_DAY_ENTRIES {
                    break 'pages;
                }
                if e.draft.action.starts_with("ticket.") && e.draft.subject.starts_with("CD-") {
                    seen.insert((e.draft.operator, e.draft.subject));
                }
            }
            before = Some(oldest);
        }
        let mut counts: BTreeMap<String, u64> = BTreeMap::new();
        for (operator, _) in seen {
            *counts.entry(operator).or_default() += 1;
        }
        let mut out: Vec<(String, u64)> = counts.into_iter().collect();
        out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        Ok(out)
    }
}
