//! Where each queue's "due soon" edge stands now, so a console can flag
//! every row it draws as breached, due soon or on time without reading a
//! ticket: one answer per reload, whatever the queue's length.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Ctx, Operation, Service, ServiceError};
use crate::domain::permission::Action;
use crate::domain::routing::Queue;
use crate::domain::sla::{SlaState, due_soon_until};

/// The due-soon edges of every queue at the caller's now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShowSlaEdges {}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaEdges {
    #[serde(with = "crate::domain::time::ts")]
    pub now: DateTime<Utc>,
    /// The policy's threshold, in the queue's own minutes.
    pub due_soon_minutes: u32,
    /// For each queue, the latest due time that counts as due soon now.
    pub edges: Vec<(Queue, DateTime<Utc>)>,
}

impl SlaEdges {
    /// Where an open ticket of `queue` due at `due_at` stands, by these
    /// edges: the same answer as the domain's `sla_state` at `now`.
    pub fn state(&self, queue: Queue, due_at: DateTime<Utc>) -> SlaState {
        if due_at < self.now {
            return SlaState::Breached;
        }
        match self.edges.iter().find(|(q, _)| *q == queue) {
            Some((_, edge)) if due_at <= *edge => SlaState::DueSoon,
            _ => SlaState::OnTime,
        }
    }
}

impl Operation for ShowSlaEdges {
    type Answer = SlaEdges;
    const NAME: &'static str = "sla.edges";
    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<SlaEdges, ServiceError> {
        service.authorise(ctx, Action::View)?;
        let policy = service.store.sla_policy()?;
        let hours = service.hours();
        let edges = Queue::ALL.iter().map(|&q| (q, due_soon_until(&hours, q, ctx.now, policy))).collect();
        Ok(SlaEdges { now: ctx.now, due_soon_minutes: policy.due_soon_minutes, edges })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::hours::{BankHolidays, NasHours};
    use crate::domain::sla::{SlaPolicy, sla_state};

    /// The edges give the domain's answer for every queue, either side of
    /// each threshold, so a console's flag agrees with the reports.
    #[test]
    fn the_edges_flag_a_ticket_as_the_domain_would() {
        let hours = NasHours::new(BankHolidays::bundled());
        let policy = SlaPolicy::default();
        // Mid-morning, and half an hour before the NAS closes (working
        // minutes then run on into the next morning).
        for at in ["2026-11-23T10:30:00Z", "2026-11-23T16:30:00Z"] {
            let now = DateTime::parse_from_rfc3339(at).unwrap().to_utc();
            let edges = SlaEdges {
                now,
                due_soon_minutes: policy.due_soon_minutes,
                edges: Queue::ALL.iter().map(|&q| (q, due_soon_until(&hours, q, now, policy))).collect(),
            };
            for &queue in Queue::ALL {
                for minutes in [-61, -1, 0, 1, 29, 31, 59, 60, 61, 120, 60 * 17, 60 * 24 * 3] {
                    let due_at = now + chrono::Duration::minutes(minutes);
                    assert_eq!(
                        edges.state(queue, due_at),
                        sla_state(&hours, queue, due_at, now, policy),
                        "{queue:?} due {minutes} minutes after {at}"
                    );
                }
            }
        }
    }
}
