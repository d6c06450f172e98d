//! Service-level warnings: when a ticket counts as due soon, and whether it
//! breached its target.
//!
//! "Due soon" is policy: a number of minutes counted in the ticket's
//! queue's own time, working minutes for the NAS and the resolver group,
//! wall-clock minutes for the 24/7 helpdesk (as its target is counted).

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::hours::NasHours;
use super::routing::Queue;

/// The threshold when no supervisor has set one: an hour of working time.
pub const DEFAULT_DUE_SOON_MINUTES: u32 = 60;
/// The largest threshold: a working week.
pub const MAX_DUE_SOON_MINUTES: u32 = 5 * 8 * 60;

/// The SLA settings, kept apart from the rest of the policy so a database
/// made before them reads as the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaPolicy {
    pub due_soon_minutes: u32,
}

impl Default for SlaPolicy {
    fn default() -> Self {
        SlaPolicy { due_soon_minutes: DEFAULT_DUE_SOON_MINUTES }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SlaState {
    Breached,
    DueSoon,
    OnTime,
}

impl SlaState {
    pub fn slug(self) -> &'static str {
        match self {
            SlaState::Breached => "breached",
            SlaState::DueSoon => "due-soon",
            SlaState::OnTime => "on-time",
        }
    }
}

/// The latest due time that counts as due soon at `now` in `queue`:
/// tickets due at or before it are flagged.
pub fn due_soon_until(hours: &NasHours, queue: Queue, now: DateTime<Utc>, policy: SlaPolicy) -> DateTime<Utc> {
    match queue {
        Queue::Helpdesk => now + Duration::minutes(i64::from(policy.due_soon_minutes)),
        Queue::Nas | Queue::Resolver => hours.add_working_minutes(now, policy.due_soon_minutes),
    }
}

/// Where an open ticket due at `due_at` stands at `now`: breached once its
/// due time has passed (at the due time itself it is still due soon).
pub fn sla_state(
    hours: &NasHours,
    queue: Queue,
    due_at: DateTime<Utc>,
    now: DateTime<Utc>,
    policy: SlaPolicy,
) -> SlaState {
    if due_at < now {
        SlaState::Breached
    } else if due_at <= due_soon_until(hours, queue, now, policy) {
        SlaState::DueSoon
    } else {
        SlaState::OnTime
    }
}

/// Whether a ticket due at `due_at` breached: it was resolved after its due
/// time, or it is still open past it at `now`.
pub fn breached(due_at: DateTime<Utc>, resolved_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    match resolved_at {
        Some(done) => done > due_at,
        None => now > due_at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::hours::BankHolidays;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    #[test]
    fn due_soon_counts_in_each_queues_own_time() {
        let hours = NasHours::new(BankHolidays::bundled());
        let policy = SlaPolicy::default();
        // Wednesday 7 January 2026, 16:30 GMT: half an hour before closing.
        let now = at("2026-01-07T16:30:00Z");
        let cases = [
            // The NAS: 30 minutes today and 30 from 09:00 tomorrow.
            (Queue::Nas, "2026-01-08T09:30:00Z", SlaState::DueSoon),
            (Queue::Nas, "2026-01-08T09:31:00Z", SlaState::OnTime),
            (Queue::Resolver, "2026-01-08T09:00:00Z", SlaState::DueSoon),
            // The helpdesk counts the wall clock.
            (Queue::Helpdesk, "2026-01-07T17:30:00Z", SlaState::DueSoon),
            (Queue::Helpdesk, "2026-01-07T17:31:00Z", SlaState::OnTime),
            (Queue::Nas, "2026-01-07T16:30:00Z", SlaState::DueSoon),
            (Queue::Nas, "2026-01-07T16:29:59Z", SlaState::Breached),
            (Queue::Helpdesk, "2026-01-07T12:00:00Z", SlaState::Breached),
        ];
        for (queue, due, want) in cases {
            assert_eq!(sla_state(&hours, queue, at(due), now, policy), want, "{queue:?} due {due}");
        }
    }

    #[test]
    fn a_breach_is_resolving_late_or_staying_open_late() {
        let due = at("2026-01-07T12:00:00Z");
        let now = at("2026-01-09T12:00:00Z");
        assert!(breached(due, Some(at("2026-01-07T12:00:01Z")), now));
        assert!(!breached(due, Some(at("2026-01-07T11:59:00Z")), now));
        assert!(breached(due, None, now));
        assert!(!breached(due, None, at("2026-01-07T11:00:00Z")));
    }
}
