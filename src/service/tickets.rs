//! Tickets: logging a request with its routing, and working it.

use chrono::{DateTime, Duration, Utc};

use super::command::NewTicket;
use super::{Ctx, Outcome, Prepared, Service, ServiceError, Subject, audit_json, not_found, outcome};
use crate::domain::permission::Action;
use crate::domain::record::RecordMeta;
use crate::domain::refusal::Refusal;
use crate::domain::routing::route_ticket;
use crate::domain::ticket::{EntryKind, Requester, Ticket, TicketRef, TicketStatus, missing_details};
use crate::domain::time::rfc3339;
use crate::domain::validate::{Email, OdsCode, display_name};
use crate::service::command::Command;
use crate::store::Change;

/// A ticket as the audit log shows it: without the timeline, which the
/// ticket itself keeps.
pub(super) fn ticket_summary(t: &Ticket) -> Option<String> {
    let mut slim = t.clone();
    slim.timeline = t.timeline.last().cloned().into_iter().collect();
    audit_json(&slim)
}

/// Text from outside (mail bodies): keeps line breaks and tabs, drops every
/// other control character so nothing can reach an operator's terminal.
pub fn clean_body(text: &str) -> String {
    text.replace("\r\n", "\n").chars().filter(|c| !c.is_control() || matches!(c, '\n' | '\t')).collect()
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

impl Service {
    pub(super) fn ticket_command(&self, ctx: &Ctx, command: &Command) -> Result<Outcome, ServiceError> {
        match command {
            Command::CreateTicket(new) => self.create_ticket(ctx, command, new),
            Command::Claim { reference } => {
                self.work(ctx, command, *reference, |t| t.claim(&ctx.operator, ctx.now), "claimed")
            }
            Command::Assign { reference, to } => {
                self.authorise(ctx, Action::AssignTicket)?;
                if let Some(to) = to {
                    self.operator(to).map_err(|_| {
                        not_found(
                            "operator",
                            to.clone(),
                            "assign to an existing operator (see `caredesk operator list`)",
                        )
                    })?;
                }
                self.edit_ticket(
                    ctx,
                    command,
                    *reference,
                    |t| t.assign(to.as_deref(), &ctx.operator, ctx.now),
                    "assigned",
                )
            }
            Command::SetStatus { reference, status } => {
                self.work(ctx, command, *reference, |t| t.set_status(*status, &ctx.operator, ctx.now), status.slug())
            }
            Command::Reply { reference, text } => {
                self.reply_by_mail(ctx, command, *reference, &non_empty(text, "reply")?)
            }
            Command::Note { reference, text } => {
                let (kind, what) = match command {
                    Command::Note { .. } => (EntryKind::Note, "note"),
                    _ => (EntryKind::Reply, "reply"),
                };
                let text = non_empty(text, what)?;
                let done = format!("{what} recorded");
                self.work(ctx, command, *reference, |t| t.add_entry(kind, &text, &ctx.operator, ctx.now), &done)
            }
            Command::Link { reference, account, mailbox } => {
                if account.is_none() && mailbox.is_none() {
                    return Err(ServiceError::BadInput(
                        "give an account (--account) or a mailbox (--mailbox) to link".into(),
                    ));
                }
                let account = account.as_deref().map(|a| self.load_account(a)).transpose()?;
                let mailbox = mailbox.as_deref().map(|m| self.load_mailbox(m)).transpose()?;
                self.work(
                    ctx,
                    command,
                    *reference,
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
                        next.push(
                            EntryKind::Event,
                            &ctx.operator,
                            ctx.now,
                            format!("linked to {}", linked.join(" and ")),
                        );
                        Ok(next)
                    },
                    "linked",
                )
            }
            _ => unreachable!("not a ticket command"),
        }
    }

    /// Work on a ticket is authorised against the queue it sits in.
    fn work(
        &self,
        ctx: &Ctx,
        command: &Command,
        reference: TicketRef,
        edit: impl Fn(&Ticket) -> Result<Ticket, Refusal>,
        what: &str,
    ) -> Result<Outcome, ServiceError> {
        let queue = self.load_ticket(reference)?.routing.queue;
        self.authorise(ctx, Action::WorkTicket(queue))?;
        self.edit_ticket(ctx, command, reference, edit, what)
    }

    fn edit_ticket(
        &self,
        ctx: &Ctx,
        command: &Command,
        reference: TicketRef,
        edit: impl Fn(&Ticket) -> Result<Ticket, Refusal>,
        what: &str,
    ) -> Result<Outcome, ServiceError> {
        let (ticket, entry) = self.run(ctx, command, || {
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
        Ok(outcome(format!("{}: {what}", ticket.reference), Subject::Ticket(Box::new(ticket)), &entry))
    }

    fn create_ticket(&self, ctx: &Ctx, command: &Command, new: &NewTicket) -> Result<Outcome, ServiceError> {
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
        let (_, entry) = self.run(ctx, command, || {
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
        Ok(outcome(summary, Subject::Ticket(Box::new(ticket)), &entry))
    }
}

fn non_empty(text: &str, what: &str) -> Result<String, ServiceError> {
    let text = clean_body(text).trim().to_owned();
    if text.is_empty() {
        return Err(ServiceError::BadInput(format!("the {what} is empty: write something")));
    }
    Ok(text)
}
