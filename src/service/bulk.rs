//! Bulk actions and undo: one action applied to many tickets, each ticket
//! authorised, applied and audited on its own, all its audit entries
//! carrying one batch number; and undo, which takes a batch back by new,
//! compensating changes through the same rules.
//!
//! Nothing here writes a record itself: every ticket goes through its own
//! operation (`Claim`, `SetStatus`, …), so a bulk action cannot do what
//! the single one may not. The batch itself writes no entry of its own.

use serde::{Deserialize, Serialize};

use super::{Ctx, Done, Operation, QueueView, Registered, Service, ServiceError, TicketFilter};
use crate::domain::batch::{BulkKind, Compensation, MAX_BATCH, TicketState, compensation, still_as_left};
use crate::domain::permission::{Action, Role};
use crate::domain::ticket::{TicketRef, TicketStatus};
use crate::service::ops::{Assign, Claim, Link, Note, SetStatus};

/// What a bulk action does to each ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BulkAction {
    Claim,
    Assign { to: Option<String> },
    Status { status: TicketStatus },
    Note { text: String },
    Link { account: Option<String>, mailbox: Option<String> },
    Close,
}

impl BulkAction {
    pub fn kind(&self) -> BulkKind {
        match self {
            BulkAction::Claim => BulkKind::Claim,
            BulkAction::Assign { .. } => BulkKind::Assign,
            BulkAction::Status { .. } => BulkKind::Status,
            BulkAction::Note { .. } => BulkKind::Note,
            BulkAction::Link { .. } => BulkKind::Link,
            BulkAction::Close => BulkKind::Close,
        }
    }
}

/// Which tickets: named ones, or every ticket a view and filter list now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BulkTargets {
    Refs(Vec<TicketRef>),
    Filter { view: QueueView, filter: String },
}

/// Applies one action to many tickets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkTickets {
    pub action: BulkAction,
    pub targets: BulkTargets,
}

/// How a batch went: every ticket either done or refused with its reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkReport {
    /// The number every audit entry of this batch carries; `caredesk undo`
    /// takes it.
    pub batch: u64,
    pub action: BulkKind,
    pub done: Vec<TicketRef>,
    pub refused: Vec<(TicketRef, String)>,
    /// Why this batch cannot be undone, when it cannot.
    pub cannot_undo: Option<String>,
}

impl BulkReport {
    fn summary(&self, what: &str) -> String {
        let mut s = format!(
            "batch {}: {what} {} of {} tickets",
            self.batch,
            self.done.len(),
            self.done.len() + self.refused.len()
        );
        if !self.refused.is_empty() {
            s.push_str(&format!(", {} refused", self.refused.len()));
        }
        s
    }
}

impl Operation for BulkTickets {
    type Answer = Done<BulkReport>;
    const NAME: &'static str = "ticket.bulk";
    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<Done<BulkReport>, ServiceError> {
        service.authorise(ctx, Action::View)?;
        let refs = service.bulk_targets(ctx, &self.targets)?;
        if let BulkAction::Note { text } = &self.action {
            if text.trim().is_empty() {
                return Err(ServiceError::BadInput("the note is empty: write something".into()));
            }
        }
        let kind = self.action.kind();
        let batch = service.store.next_number("batch")?;
        let in_batch = Ctx { batch: Some(batch), ..ctx.clone() };
        let mut report = BulkReport {
            batch,
            action: kind,
            done: Vec::new(),
            refused: Vec::new(),
            cannot_undo: kind.cannot_undo().map(str::to_owned),
        };
        let mut last = None;
        for reference in refs {
            let outcome = match &self.action {
                BulkAction::Claim => one(service, &in_batch, Claim { reference }, None),
                BulkAction::Assign { to } => one(service, &in_batch, Assign { reference, to: to.clone() }, None),
                BulkAction::Status { status } => {
                    one(service, &in_batch, SetStatus { reference, status: *status }, None)
                }
                BulkAction::Close => {
                    one(service, &in_batch, SetStatus { reference, status: TicketStatus::Closed }, None)
                }
                BulkAction::Note { text } => one(service, &in_batch, Note { reference, text: text.clone() }, None),
                BulkAction::Link { account, mailbox } => one(
                    service,
                    &in_batch,
                    Link { reference, account: account.clone(), mailbox: mailbox.clone() },
                    None,
                ),
            };
            if !report.record(reference, outcome, &mut last) {
                break;
            }
        }
        let summary = report.summary(&format!("{kind}"));
        Ok(Done { summary, record: report, audit_seq: last })
    }
}

/// Runs one ticket's operation: its audit entry, or why it was refused.
fn one<O: Registered<Answer = Done<crate::domain::ticket::Ticket>>>(
    service: &Service,
    ctx: &Ctx,
    op: O,
    based_on: Option<u64>,
) -> Result<Option<u64>, ServiceError> {
    service.execute_based_on(ctx, &op, based_on).map(|done| done.audit_seq)
}

impl BulkReport {
    /// Records one ticket's outcome; false when the batch must stop
    /// because the database itself failed.
    fn record(
        &mut self,
        reference: TicketRef,
        outcome: Result<Option<u64>, ServiceError>,
        last: &mut Option<u64>,
    ) -> bool {
        match outcome {
            Ok(seq) => {
                self.done.push(reference);
                *last = seq.or(*last);
                true
            }
            Err(e) if e.is_unavailable() => {
                self.refused.push((reference, format!("{e}; the batch stopped here")));
                false
            }
            Err(e) => {
                self.refused.push((reference, e.to_string()));
                true
            }
        }
    }
}

/// What a bulk action would touch, and whether it could be undone: asked
/// before it runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewBulk {
    pub action: BulkAction,
    pub targets: BulkTargets,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkPreview {
    pub action: BulkKind,
    pub tickets: Vec<TicketRef>,
    pub cannot_undo: Option<String>,
}

impl Operation for PreviewBulk {
    type Answer = BulkPreview;
    const NAME: &'static str = "ticket.bulk-preview";
    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<BulkPreview, ServiceError> {
        service.authorise(ctx, Action::View)?;
        let kind = self.action.kind();
        Ok(BulkPreview {
            action: kind,
            tickets: service.bulk_targets(ctx, &self.targets)?,
            cannot_undo: kind.cannot_undo().map(str::to_owned),
        })
    }
}

/// Takes a batch back, ticket by ticket, with compensating changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Undo {
    pub batch: u64,
}

impl Operation for Undo {
    type Answer = Done<BulkReport>;
    const NAME: &'static str = "ticket.undo";
    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<Done<BulkReport>, ServiceError> {
        let me = service.authorise(ctx, Action::View)?;
        let entries = service.store.batch_entries(self.batch)?;
        let Some(first) = entries.first() else {
            return Err(super::not_found("batch", self.batch.to_string(), "give the number a bulk action printed"));
        };
        if first.draft.operator != ctx.operator && me.role != Role::Supervisor {
            return Err(crate::domain::permission::Denied(format!(
                "batch {} is {}'s: only they or a supervisor may undo it",
                self.batch, first.draft.operator
            ))
            .into());
        }
        let batch = service.store.next_number("batch")?;
        let in_batch = Ctx { batch: Some(batch), ..ctx.clone() };
        let mut report =
            BulkReport { batch, action: BulkKind::Claim, done: Vec::new(), refused: Vec::new(), cannot_undo: None };
        let mut last = None;
        for entry in &entries {
            let Ok(reference) = entry.draft.subject.parse::<TicketRef>() else { continue };
            let states = (read_state(entry.draft.before.as_deref()), read_state(entry.draft.after.as_deref()));
            let (Some(before), Some(after)) = states else {
                let why = if entry.personal.is_erased() {
                    "its audit entry was erased with the person the ticket was about"
                } else {
                    "its audit entry does not say what it was before"
                };
                report.refused.push((reference, why.into()));
                continue;
            };
            let outcome = match compensation(&entry.draft.action, &before) {
                Err(why) => Err(ServiceError::BadInput(why.to_string())),
                Ok(undo) => {
                    let current = service.load_ticket(reference)?;
                    if !still_as_left(&entry.draft.action, &after, &current) {
                        report.refused.push((
                            reference,
                            format!(
                                "changed by {} since the batch, so it is left as it is: look at it and change it by hand",
                                current.meta.changed_by
                            ),
                        ));
                        continue;
                    }
                    // Built on the ticket as just read: a change that gets in
                    // between is a conflict, and the reason says whose.
                    let rev = Some(current.meta.rev);
                    match undo {
                        Compensation::Unclaim { assignee, status } => {
                            one(service, &in_batch, Unclaim { reference, assignee, status }, rev)
                        }
                        Compensation::Assign { to } => one(service, &in_batch, Assign { reference, to }, rev),
                        Compensation::Status { status, assignee } => {
                            one(service, &in_batch, SetStatus { reference, status }, rev).and_then(|seq| {
                                // The status rules may have cleared the assignee
                                // on the way back (to new): give it back too.
                                let now = service.load_ticket(reference)?;
                                if now.assignee == assignee {
                                    return Ok(seq);
                                }
                                one(service, &in_batch, Assign { reference, to: assignee }, Some(now.meta.rev))
                            })
                        }
                        Compensation::Relink { account, mailbox } => {
                            one(service, &in_batch, Relink { reference, account, mailbox }, rev)
                        }
                    }
                }
            };
            if !report.record(reference, outcome, &mut last) {
                break;
            }
        }
        report.action = entries.iter().find_map(|e| bulk_kind_of(&e.draft.action)).unwrap_or(BulkKind::Claim);
        let summary = format!("{} (undoing batch {})", report.summary("undid"), self.batch);
        Ok(Done { summary, record: report, audit_seq: last })
    }
}

fn bulk_kind_of(action: &str) -> Option<BulkKind> {
    Some(match action {
        "ticket.claim" | "ticket.unclaim" => BulkKind::Claim,
        "ticket.assign" => BulkKind::Assign,
        "ticket.status" => BulkKind::Status,
        "ticket.note" => BulkKind::Note,
        "ticket.link" | "ticket.relink" => BulkKind::Link,
        _ => return None,
    })
}

fn read_state(json: Option<&str>) -> Option<TicketState> {
    serde_json::from_str(json?).ok()
}

/// Gives back a ticket its claim took: the assignee and status before it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unclaim {
    pub reference: TicketRef,
    pub assignee: Option<String>,
    pub status: TicketStatus,
}

impl Operation for Unclaim {
    type Answer = Done<crate::domain::ticket::Ticket>;
    const NAME: &'static str = "ticket.unclaim";
    const ACTS_ON: Option<&'static str> = Some("ticket");
    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<Self::Answer, ServiceError> {
        if let Some(to) = &self.assignee {
            service.authorise(ctx, Action::AssignTicket)?;
            service.operator(to)?;
        }
        let (assignee, status) = (self.assignee.as_deref(), self.status);
        service.work(ctx, self.reference, |t| t.unclaim(assignee, status, &ctx.operator, ctx.now), "claim undone")
    }
}

/// Sets a ticket's links to exactly these (none: unlinked).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Relink {
    pub reference: TicketRef,
    pub account: Option<crate::domain::account::AccountId>,
    pub mailbox: Option<crate::domain::mailbox::MailboxId>,
}

impl Operation for Relink {
    type Answer = Done<crate::domain::ticket::Ticket>;
    const NAME: &'static str = "ticket.relink";
    const ACTS_ON: Option<&'static str> = Some("ticket");
    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<Self::Answer, ServiceError> {
        let account = match self.account {
            Some(id) => Some(service.store.account(id)?.ok_or_else(|| gone("account", id))?),
            None => None,
        };
        let mailbox = match self.mailbox {
            Some(id) => Some(service.store.mailbox(id)?.ok_or_else(|| gone("shared mailbox", id))?),
            None => None,
        };
        let a = account.as_ref().map(|a| (a.id, a.address.as_str()));
        let m = mailbox.as_ref().map(|m| (m.id, m.address.as_str()));
        service.work(ctx, self.reference, |t| t.relink(a, m, &ctx.operator, ctx.now), "links restored")
    }
}

fn gone(what: &'static str, id: u64) -> ServiceError {
    super::not_found(what, format!("#{id}"), "it was linked before; it may have been deleted since")
}

impl Service {
    /// The tickets a bulk action names, at most [`MAX_BATCH`], each once.
    fn bulk_targets(&self, ctx: &Ctx, targets: &BulkTargets) -> Result<Vec<TicketRef>, ServiceError> {
        let refs: Vec<TicketRef> = match targets {
            BulkTargets::Refs(refs) => {
                let mut seen = std::collections::HashSet::new();
                refs.iter().copied().filter(|r| seen.insert(*r)).collect()
            }
            BulkTargets::Filter { view, filter } => {
                let filter = TicketFilter::parse(filter)?;
                self.ticket_slots_at(&ctx.operator, view, &filter, ctx.now)?.into_iter().map(|s| s.reference).collect()
            }
        };
        if refs.is_empty() {
            return Err(ServiceError::BadInput(
                "no tickets to act on: name them, or give a filter that lists some".into(),
            ));
        }
        if refs.len() > MAX_BATCH {
            return Err(ServiceError::BadInput(format!(
                "{} tickets is more than one bulk action takes ({MAX_BATCH}): narrow the filter",
                refs.len()
            )));
        }
        Ok(refs)
    }
}
