//! Mail caredesk sends: the acknowledgement of a ticket opened by email,
//! operators' replies, and the outbox that hands them to the submission
//! server with retries.
//!
//! A mail is queued in the same transaction as the ticket change that
//! caused it, so a reply is never recorded without its mail nor its mail
//! kept without the reply. Sending happens afterwards, outside any
//! transaction; each attempt's outcome is written back to the outbox.
//! A demo database, or one with no submission server set, sends nothing:
//! its mail is kept in the outbox as the record.

use chrono::{DateTime, Duration, Utc};

use super::tickets::ticket_summary;
use serde::{Deserialize, Serialize};

use super::{Ctx, Done, Operation, Prepared, Service, ServiceError, audit_json, not_found};
use crate::domain::mail::Automatic;
use crate::domain::mail_reply::{
    Attempt, MailSettings, MailStatus, OutgoingKind, OutgoingMail, SmtpSecurity, acknowledgement, may_auto_reply,
    subject_for,
};
use crate::domain::permission::Action;
use crate::domain::record::RecordMeta;
use crate::domain::ticket::{Detail, EntryKind, Ticket, TicketRef};
use crate::domain::validate::Email;
use crate::store::Change;

/// Hands one mail to the network.
pub trait MailTransport: Send + Sync {
    fn send(&self, mail: &OutgoingMail) -> Result<(), Attempt>;
}

/// How many due mails one pass of the sender takes.
pub const SEND_BATCH: usize = 50;

/// How many Message-IDs a reply's References carries.
const MAX_REFERENCES: usize = 20;

/// Replaces the mail settings (they hold no secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetMailSettings {
    pub settings: MailSettings,
}

impl Operation for SetMailSettings {
    type Answer = Done<()>;
    const NAME: &'static str = "mail.settings";
    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<Done<()>, ServiceError> {
        service.set_mail_settings(ctx, &self.settings)
    }
}

/// Queues a failed outgoing mail again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetryMail {
    pub outbox: u64,
}

impl Operation for RetryMail {
    type Answer = Done<()>;
    const NAME: &'static str = "mail.retry";
    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<Done<()>, ServiceError> {
        service.retry_mail(ctx, self.outbox)
    }
}

/// The outcome of sending a mail, written on its ticket by the sender:
/// how its audit entry names it; refused if sent as an operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailDelivery {
    pub outbox: u64,
}

impl Operation for MailDelivery {
    type Answer = Done<()>;
    const NAME: &'static str = "mail.delivery";
    fn handle(&self, _: &Service, _: &Ctx) -> Result<Done<()>, ServiceError> {
        Err(super::mail::not_by_command())
    }
}

impl Service {
    fn set_mail_settings(&self, ctx: &Ctx, settings: &MailSettings) -> Result<Done<()>, ServiceError> {
        self.authorise(ctx, Action::SetPolicy)?;
        for address in [&settings.addresses.nas, &settings.addresses.helpdesk] {
            Email::parse(address)?;
        }
        if let Some(smtp) = &settings.smtp {
            if self.store.is_demo()? {
                return Err(ServiceError::BadInput(
                    "this is a demo database: its people are invented, so it never sends mail".into(),
                ));
            }
            let local = matches!(smtp.host.as_str(), "127.0.0.1" | "::1" | "localhost");
            if smtp.security == SmtpSecurity::LocalPlain && !local {
                return Err(ServiceError::BadInput(format!(
                    "mail to {} would cross the network unencrypted: use starttls or tls",
                    smtp.host
                )));
            }
            if smtp.password_file.is_some() && smtp.username.is_none() {
                return Err(ServiceError::BadInput("a password file needs a user name to log in with".into()));
            }
        }
        if settings.auto_replies_per_hour == 0 || settings.attempt_timeout_secs == 0 {
            return Err(ServiceError::BadInput(
                "give at least 1 automatic reply an hour and an attempt limit of at least 1 second".into(),
            ));
        }
        let before = audit_json(&self.store.mail_settings()?);
        let (_, entry) = self.run(ctx, || {
            let mut change = Change::new();
            change.set(settings)?;
            Ok(Prepared {
                change,
                subject: "mail settings".into(),
                before: before.clone(),
                after: audit_json(settings),
                result: (),
            })
        })?;
        Ok(Done::new("mail settings changed", (), &entry))
    }

    fn retry_mail(&self, ctx: &Ctx, seq: u64) -> Result<Done<()>, ServiceError> {
        let old = self
            .store
            .outgoing_mail(seq)?
            .ok_or_else(|| not_found("outgoing mail", format!("#{seq}"), "see `caredesk mail outbox`"))?;
        let queue = self.load_ticket(old.ticket)?.routing.queue;
        self.authorise(ctx, Action::WorkTicket(queue))?;
        if !matches!(old.status, MailStatus::Failed { .. }) {
            return Err(ServiceError::BadInput(format!(
                "mail #{seq} is {}: only a failed mail is sent again",
                old.status.label()
            )));
        }
        if self.store.mail_settings()?.smtp.is_none() {
            return Err(ServiceError::BadInput(
                "no mail server is set, so nothing would be sent: set one with `caredesk mail settings`".into(),
            ));
        }
        let new = old.retried(&ctx.operator, ctx.now);
        let (_, entry) = self.run(ctx, || {
            let mut change = Change::new();
            change.put(Some(&old), &new)?;
            Ok(Prepared {
                change,
                subject: format!("mail #{seq}"),
                before: audit_json(&old.status),
                after: audit_json(&new.status),
                result: (),
            })
        })?;
        Ok(Done::new(format!("mail #{seq} to {} queued again", old.to), (), &entry))
    }

    /// A mail about `ticket`, ready to queue: kept at once when nothing may
    /// be sent, else due now. `answering` is a message of the thread not
    /// yet committed (the one being acknowledged).
    #[allow(clippy::too_many_arguments)]
    fn outgoing(
        &self,
        ticket: &Ticket,
        answering: Option<&str>,
        kind: OutgoingKind,
        to: &str,
        subject: String,
        body: String,
        now: DateTime<Utc>,
        by: &str,
    ) -> Result<OutgoingMail, ServiceError> {
        let settings = self.store.mail_settings()?;
        let from = settings.addresses.for_channel(ticket.channel).to_owned();
        let seq = self.store.next_number("mail.outbox")?;
        let domain = from.split('@').nth(1).unwrap_or("caredesk.invalid");
        let message_id =
            format!("{}.{seq}.{}@{domain}", ticket.reference.to_string().to_lowercase(), now.timestamp_millis());
        let mut references = self.thread_ids(ticket.reference)?;
        references.extend(answering.map(str::to_owned));
        let in_reply_to = references.last().cloned();
        // The first message and the latest ones are what clients thread by.
        if references.len() > MAX_REFERENCES {
            references.drain(1..references.len() - (MAX_REFERENCES - 1));
        }
        let sends = settings.smtp.is_some() && !self.store.is_demo()?;
        Ok(OutgoingMail {
            seq,
            ticket: ticket.reference,
            kind,
            from,
            to: to.to_owned(),
            subject,
            body,
            message_id,
            in_reply_to,
            references,
            queued_at: now,
            status: if sends { MailStatus::Queued } else { MailStatus::KeptInOutbox },
            attempts: 0,
            next_attempt_at: sends.then_some(now),
            meta: RecordMeta::created(by, now),
        })
    }

    /// The Message-IDs of a ticket's thread, oldest first: the requester's
    /// messages and ours.
    fn thread_ids(&self, reference: TicketRef) -> Result<Vec<String>, ServiceError> {
        // At the same instant, the message we answered comes before our answer.
        let mut ids: Vec<(DateTime<Utc>, u8, u64, String)> = self
            .store
            .mails_for_ticket(reference)?
            .into_iter()
            .filter_map(|m| m.key.message_id().map(|id| (m.arrived_at, 0, m.id, id.to_owned())))
            .collect();
        ids.extend(
            self.store.mail_outbox_for_ticket(reference)?.into_iter().map(|m| (m.queued_at, 1, m.seq, m.message_id)),
        );
        ids.sort();
        Ok(ids.into_iter().map(|(_, _, _, id)| id).collect())
    }

    /// The acknowledgement of a ticket just opened by an email, unless loop
    /// protection forbids one; the timeline says which. `mail` is `None`
    /// when the message has no sender to answer.
    pub(super) fn acknowledge(
        &self,
        ticket: &mut Ticket,
        sender: Option<&str>,
        answering: Option<&str>,
        automatic: Option<Automatic>,
        missing: &[Detail],
        ctx: &Ctx,
    ) -> Result<Option<OutgoingMail>, ServiceError> {
        let settings = self.store.mail_settings()?;
        if !settings.acknowledge {
            return Ok(None);
        }
        let sent = match sender {
            Some(s) => self.store.mail_sent_to_since(s, ctx.now - Duration::hours(1))?,
            None => 0,
        };
        let limit = settings.auto_replies_per_hour as usize;
        if let Err(why) = may_auto_reply(automatic, sender, |a| settings.addresses.is_ours(a), sent, limit) {
            ticket.push(EntryKind::Event, &ctx.operator, ctx.now, format!("no acknowledgement sent: {}", why.label()));
            return Ok(None);
        }
        let Some(to) = sender else { return Ok(None) };
        let (subject, body) = acknowledgement(ticket, missing);
        let mail =
            self.outgoing(ticket, answering, OutgoingKind::Acknowledgement, to, subject, body, ctx.now, &ctx.operator)?;
        ticket.push(EntryKind::Event, &ctx.operator, ctx.now, queued_text("acknowledgement", &mail));
        Ok(Some(mail))
    }

    /// An operator's reply: recorded on the timeline and, when the
    /// requester has an email address, queued as mail in the same commit.
    pub(super) fn reply_by_mail(
        &self,
        ctx: &Ctx,
        reference: TicketRef,
        text: &str,
    ) -> Result<Done<Ticket>, ServiceError> {
        let queue = self.load_ticket(reference)?.routing.queue;
        self.authorise(ctx, Action::WorkTicket(queue))?;
        let (ticket, entry) = self.run(ctx, || {
            let old = self.load_ticket(reference)?;
            let mut new = old.add_entry(EntryKind::Reply, text, &ctx.operator, ctx.now)?;
            let mut change = Change::new();
            if let Some(to) = old.requester.email.as_ref().map(|e| e.as_str().to_owned()) {
                let subject = format!("Re: {}", subject_for(&old));
                let mail = self.outgoing(
                    &old,
                    None,
                    OutgoingKind::Reply,
                    &to,
                    subject,
                    text.to_owned(),
                    ctx.now,
                    &ctx.operator,
                )?;
                new.push(EntryKind::Event, &ctx.operator, ctx.now, queued_text("reply", &mail));
                change.put(Some(&old), &new)?;
                change.put(None, &mail)?;
            } else {
                change.put(Some(&old), &new)?;
            }
            Ok(Prepared {
                change,
                subject: reference.to_string(),
                before: ticket_summary(&old),
                after: ticket_summary(&new),
                result: new,
            })
        })?;
        let by_mail = if ticket.requester.email.is_some() { " and queued by email" } else { "" };
        Ok(Done::new(format!("{}: reply recorded{by_mail}", ticket.reference), ticket, &entry))
    }

    /// Tries every outgoing mail that is due, through `transport`, and
    /// records each outcome. A final outcome (sent, or failed with why) and
    /// the first failure are also written on the ticket's timeline, in one
    /// commit with the outbox record and an audit entry; later retries are
    /// the outbox's own bookkeeping. Returns how many were attempted.
    pub fn send_due_mail(&self, ctx: &Ctx, transport: &dyn MailTransport) -> Result<usize, ServiceError> {
        let due = self.store.mail_due(ctx.now, SEND_BATCH)?;
        for mail in &due {
            let result = transport.send(mail);
            if let Err(e) = &result {
                tracing::warn!(mail = mail.seq, ticket = %mail.ticket, "mail not sent: {e:?}");
            }
            let next = mail.attempted(result, ctx.now);
            let tell = !matches!(next.status, MailStatus::Retrying { .. }) || next.attempts == 1;
            if !tell {
                let _turn = self.store.writes_open();
                self.store.record_mail_attempt(mail, &next)?;
                continue;
            }
            let text = format!("mail #{} to {}: {}", next.seq, next.to, next.status.label());
            let ctx = &self.acting_as(ctx, &MailDelivery { outbox: next.seq });
            let written = self.run(ctx, || {
                let old = self.load_ticket(next.ticket)?;
                let mut ticket = old.next(&ctx.operator, ctx.now);
                ticket.push(EntryKind::Event, &ctx.operator, ctx.now, text.clone());
                let mut change = Change::new();
                change.put(Some(mail), &next)?;
                change.put(Some(&old), &ticket)?;
                Ok(Prepared {
                    change,
                    subject: format!("mail #{}", next.seq),
                    before: audit_json(&mail.status),
                    after: audit_json(&next.status),
                    result: (),
                })
            });
            if let Err(e) = written {
                // The ticket could not be written (it was removed, or is
                // busy): the outbox still records the outcome.
                tracing::warn!(mail = next.seq, "the outcome could not be put on {}: {e}", next.ticket);
                let _turn = self.store.writes_open();
                self.store.record_mail_attempt(mail, &next)?;
            }
        }
        Ok(due.len())
    }
}

fn queued_text(what: &str, mail: &OutgoingMail) -> String {
    match mail.status {
        MailStatus::KeptInOutbox => {
            format!("{what} to {} kept in the mail outbox as mail #{} (no mail server is set)", mail.to, mail.seq)
        }
        _ => format!("{what} to {} queued as mail #{}", mail.to, mail.seq),
    }
}
