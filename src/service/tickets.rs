//! Tickets: logging a request with its routing, and working it.

use chrono::{DateTime, Duration, Utc};

use serde::{Deserialize, Serialize};

use super::{Ctx, Done, Operation, Prepared, Service, ServiceError, audit_json, not_found};
use crate::domain::permission::Action;
use crate::domain::record::RecordMeta;
use crate::domain::refusal::Refusal;
use crate::domain::routing::{Category, Channel, route_ticket};
use crate::domain::ticket::{EntryKind, Requester, Ticket, TicketRef, TicketStatus, missing_details};
use crate::domain::ticket_flow::assignment_action;
use crate::domain::time::rfc3339;
use crate::domain::validate::{Email, OdsCode, display_name};
use crate::store::Change;

/// A ticket as the audit log shows it: without the timeline, which the
/// ticket itself keeps.
pub(super) fn ticket_summary(t: &Ticket) -> Option<String> {
    let mut slim = t.clone();
    slim.timeline = t.timeline.last().cloned().into_iter().collect();
    audit_json(&slim)
}

/// Text from outside (mail bodies): keeps line breaks and tabs and marks
/// every other unsafe character, so nothing can reach an operator's terminal.
pub fn clean_body(text: &str) -> String {
    crate::text::body(text).into_owned()
}

fn parse_received(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, ServiceError> {
    let at = DateTime::parse_from_rfc3339(text.trim()).map(|t| t.to_utc()).map_err(|_| {
        ServiceError::BadInput(format!("received time {text:?} is not RFC 3339: give it like 2026-12-24T17:30:00Z"))
    })?;
    if at > now + Duration::minutes(5) {
        return Err(ServiceError::BadInput(format!(
            "received time {} is in the future (now is {}): check the time and its zone",
            rfc3339(at),
            rfc3339(now)
        )));
    }
    Ok(at)
}

/// Logs a request; it is routed by when it arrived and its category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateTicket {
    pub category: Category,
    pub channel: Channel,
    /// RFC 3339; defaults to now.
    pub received_at: Option<String>,
    pub requester_name: String,
    pub requester_email: Option<String>,
    pub requester_phone: Option<String>,
    pub ods: Option<String>,
    pub account: Option<String>,
    pub mailbox: Option<String>,
    pub mailbox_name: Option<String>,
    pub subject: String,
    pub body: String,
    /// Log it even though details are missing; it waits on the requester.
    pub incomplete: bool,
}

impl Operation for CreateTicket {
    type Answer = Done<Ticket>;
    const NAME: &'static str = "ticket.new";
    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<Done<Ticket>, ServiceError> {
        service.create_ticket(ctx, self)
    }
}

/// Takes the ticket for the caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    pub reference: TicketRef,
}

impl Operation for Claim {
    type Answer = Done<Ticket>;
    const NAME: &'static str = "ticket.claim";
    const ACTS_ON: Option<&'static str> = Some("ticket");
    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<Done<Ticket>, ServiceError> {
        service.work(ctx, self.reference, |t| t.claim(&ctx.operator, ctx.now), "claimed")
    }
}

/// Gives the ticket to an operator, or to nobody.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assign {
    pub reference: TicketRef,
    pub to: Option<String>,
}

impl Operation for Assign {
    type Answer = Done<Ticket>;
    const NAME: &'static str = "ticket.assign";
    const ACTS_ON: Option<&'static str> = Some("ticket");
    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<Done<Ticket>, ServiceError> {
        let held = service.load_ticket(self.reference)?;
        let to = self.to.as_deref();
        let action = assignment_action(held.routing.queue, held.assignee.as_deref(), &ctx.operator, to);
        service.authorise(ctx, action)?;
        if let Some(to) = to {
            service.operator(to).map_err(|_| not_found("operator", to, "assign to an existing operator"))?;
        }
        service.edit_ticket(
            ctx,
            self.reference,
            |t| {
                // Allowed as a hand-back: still only if it is still theirs.
                if action != Action::AssignTicket && t.assignee.as_deref() != Some(ctx.operator.as_str()) {
                    return Err(Refusal::AlreadyClaimed {
                        reference: t.reference.to_string(),
                        by: t.assignee.clone().unwrap_or_else(|| "nobody".into()),
                    });
                }
                t.assign(to, &ctx.operator, ctx.now)
            },
            if to.is_some() { "assigned" } else { "unassigned" },
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetStatus {
    pub reference: TicketRef,
    pub status: TicketStatus,
}

impl Operation for SetStatus {
    type Answer = Done<Ticket>;
    const NAME: &'static str = "ticket.status";
    const ACTS_ON: Option<&'static str> = Some("ticket");
    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<Done<Ticket>, ServiceError> {
        let status = self.status;
        service.work(ctx, self.reference, |t| t.set_status(status, &ctx.operator, ctx.now), status.slug())
    }
}

/// Declares an operation that adds one entry of `kind` to a ticket's timeline.
macro_rules! timeline_operation {
    ($(#[$doc:meta])* $name:ident, $audit:literal, $kind:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        pub struct $name {
            pub reference: TicketRef,
            pub text: String,
        }

        impl Operation for $name {
            type Answer = Done<Ticket>;
            const NAME: &'static str = $audit;
            const ACTS_ON: Option<&'static str> = Some("ticket");
            fn handle(&self, service: &Service, ctx: &Ctx) -> Result<Done<Ticket>, ServiceError> {
                service.add_entry(ctx, self.reference, $kind, &self.text)
            }
        }
    };
}

timeline_operation!(
    /// An internal note on the timeline.
    Note,
    "ticket.note",
    EntryKind::Note
);
/// A reply to the requester: on the timeline, and sent by email when the
/// requester gave an address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reply {
    pub reference: TicketRef,
    pub text: String,
}

impl Operation for Reply {
    type Answer = Done<Ticket>;
    const NAME: &'static str = "ticket.reply";
    const ACTS_ON: Option<&'static str> = Some("ticket");
    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<Done<Ticket>, ServiceError> {
        service.reply_by_mail(ctx, self.reference, &non_empty(&self.text, "reply")?)
    }
}

/// Links the ticket to an account, a mailbox or both.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub reference: TicketRef,
    pub account: Option<String>,
    pub mailbox: Option<String>,
}

impl Operation for Link {
    type Answer = Done<Ticket>;
    const NAME: &'static str = "ticket.link";
    const ACTS_ON: Option<&'static str> = Some("ticket");
    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<Done<Ticket>, ServiceError> {
        if self.account.is_none() && self.mailbox.is_none() {
            return Err(ServiceError::BadInput("give an account or a shared mailbox to link".into()));
        }
        let account = self.account.as_deref().map(|a| service.load_account(a)).transpose()?;
        let mailbox = self.mailbox.as_deref().map(|m| service.load_mailbox(m)).transpose()?;
        service.work(
            ctx,
            self.reference,
            |t| {
                t.require_open()?;
                let mut next = t.next(&ctx.operator, ctx.now);
                let mut linked = Vec::new();
                if let Some(a) = &account {
                    next.account = Some(a.id);
                    next.ods.get_or_insert_with(|| a.ods.clone());
                    linked.push(a.address.to_string());
                }
                if let Some(m) = &mailbox {
                    next.mailbox = Some(m.id);
                    next.ods.get_or_insert_with(|| m.ods.clone());
                    linked.push(m.address.to_string());
                }
                next.push(EntryKind::Event, &ctx.operator, ctx.now, format!("linked to {}", linked.join(" and ")));
                Ok(next)
            },
            "linked",
        )
    }
}

impl Service {
    fn add_entry(
        &self,
        ctx: &Ctx,
        reference: TicketRef,
        kind: EntryKind,
        text: &str,
    ) -> Result<Done<Ticket>, ServiceError> {
        let what = match kind {
            EntryKind::Note => "note",
            _ => "reply",
        };
        let text = non_empty(text, what)?;
        let done = format!("{what} recorded");
        self.work(ctx, reference, |t| t.add_entry(kind, &text, &ctx.operator, ctx.now), &done)
    }

    /// Work on a ticket is authorised against the queue it sits in.
    pub(super) fn work(
        &self,
        ctx: &Ctx,
        reference: TicketRef,
        edit: impl Fn(&Ticket) -> Result<Ticket, Refusal>,
        what: &str,
    ) -> Result<Done<Ticket>, ServiceError> {
        let queue = self.load_ticket(reference)?.routing.queue;
        self.authorise(ctx, Action::WorkTicket(queue))?;
        self.edit_ticket(ctx, reference, edit, what)
    }

    pub(super) fn edit_ticket(
        &self,
        ctx: &Ctx,
        reference: TicketRef,
        edit: impl Fn(&Ticket) -> Result<Ticket, Refusal>,
        what: &str,
    ) -> Result<Done<Ticket>, ServiceError> {
        let (ticket, entry) = self.run(ctx, || {
            let old = self.load_ticket(reference)?;
            let new = edit(&old)?;
            let mut change = Change::new();
            change.put(Some(&old), &new)?;
            Ok(Prepared {
                change,
                subject: reference.to_string(),
                before: ticket_summary(&old),
                after: ticket_summary(&new),
                result: new,
            })
        })?;
        Ok(Done::new(format!("{}: {what}", ticket.reference), ticket, &entry))
    }

    fn create_ticket(&self, ctx: &Ctx, new: &CreateTicket) -> Result<Done<Ticket>, ServiceError> {
        self.authorise(ctx, Action::LogTicket)?;
        let received_at = match &new.received_at {
            Some(text) => parse_received(text, ctx.now)?,
            None => ctx.now,
        };
        let requester = Requester {
            name: display_name(&new.requester_name, "requester name")?,
            email: new.requester_email.as_deref().map(Email::parse).transpose()?,
            phone: new.requester_phone.as_deref().map(|p| display_name(p, "requester phone")).transpose()?,
        };
        let subject = display_name(&new.subject, "subject")?;
        let ods = new.ods.as_deref().map(OdsCode::parse).transpose()?;
        if let Some(ods) = &ods {
            self.load_org(ods)?;
        }
        let account = new.account.as_deref().map(|a| self.load_account(a)).transpose()?;
        let mailbox = new.mailbox.as_deref().map(|m| self.load_mailbox(m)).transpose()?;
        let ods =
            ods.or_else(|| account.as_ref().map(|a| a.ods.clone())).or_else(|| mailbox.as_ref().map(|m| m.ods.clone()));
        let mailbox_name = new.mailbox_name.as_deref().map(|m| display_name(m, "shared mailbox name")).transpose()?;
        let missing = missing_details(new.category, &requester.name, ods.as_ref(), mailbox_name.as_deref());
        if !missing.is_empty() && !new.incomplete {
            return Err(Refusal::MissingDetails {
                category: new.category,
                missing: missing.iter().map(|d| d.label().to_owned()).collect(),
            }
            .into());
        }
        let policy = self.policy();
        let routing = route_ticket(&self.hours(), &policy.targets, received_at, new.category);
        let reference = TicketRef(self.store.next_number("ticket")?);
        let mut ticket = Ticket {
            reference,
            received_at,
            channel: new.channel,
            category: new.category,
            subject,
            body: clean_body(&new.body),
            requester,
            ods,
            mailbox_name,
            account: account.map(|a| a.id),
            mailbox: mailbox.map(|m| m.id),
            routing,
            status: TicketStatus::New,
            assignee: None,
            timeline: Vec::new(),
            meta: RecordMeta::created(&ctx.operator, ctx.now),
        };
        ticket.push(
            EntryKind::Event,
            &ctx.operator,
            ctx.now,
            format!(
                "received by {} at {}; routed to the {} queue, work from {}, due {}",
                new.channel,
                rfc3339(received_at),
                routing.queue.label(),
                rfc3339(routing.work_from),
                rfc3339(routing.due_at)
            ),
        );
        if !missing.is_empty() {
            ticket.status = TicketStatus::WaitingOnRequester;
            let asked: Vec<_> = missing.iter().map(|d| d.label()).collect();
            ticket.push(
                EntryKind::Event,
                &ctx.operator,
                ctx.now,
                format!("waiting on the requester for {}", asked.join(", ")),
            );
        }
        let (_, entry) = self.run(ctx, || {
            let mut change = Change::new();
            change.put(None, &ticket)?;
            Ok(Prepared {
                change,
                subject: reference.to_string(),
                before: None,
                after: ticket_summary(&ticket),
                result: (),
            })
        })?;
        let summary = format!(
            "{} logged for the {} queue, due {}",
            reference,
            ticket.routing.queue.label(),
            rfc3339(ticket.routing.due_at)
        );
        Ok(Done::new(summary, ticket, &entry))
    }
}

fn non_empty(text: &str, what: &str) -> Result<String, ServiceError> {
    let text = clean_body(text).trim().to_owned();
    if text.is_empty() {
        return Err(ServiceError::BadInput(format!("the {what} is empty: write something")));
    }
    Ok(text)
}
