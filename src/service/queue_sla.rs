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
