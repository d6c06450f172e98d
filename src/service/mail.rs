//! Email intake: a message taken in either joins the ticket it answers or
//! opens a routed ticket, and is recorded under its Message-ID in the same
//! transaction as the ticket and its audit entry. A crash before that
//! commit leaves nothing, so the message is taken in on the next fetch; a
//! crash after it leaves the record, so the next fetch finds it and does
//! not make a second ticket.

use chrono::{DateTime, Utc};

use serde::{Deserialize, Serialize};

use super::tickets::ticket_summary;
use super::{Ctx, Done, Operation, Prepared, Service, ServiceError};
use crate::domain::account::Account;
use crate::domain::mail::{MailChunk, MailRecord, RAW_CHUNK_BYTES, StoredAttachment, human_size};
use crate::domain::mail_request::{Proposal, ThreadBy, propose, thread_of};
use crate::domain::permission::Action;
use crate::domain::record::RecordMeta;
use crate::domain::routing::{Channel, route_ticket};
use crate::domain::ticket::{EntryKind, Requester, Ticket, TicketRef, TicketStatus, missing_details};
use crate::domain::time::rfc3339;
use crate::domain::validate::{Email, OdsCode, display_name, fold_for_search};
use crate::mail::InboundMail;
use crate::store::{Change, StoreError};

/// What became of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum IntakeKind {
    /// It opened this ticket.
    Created,
    /// It joined this existing ticket.
    Threaded,
    /// It had been taken in before, into this ticket; nothing was written.
    Duplicate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Intake {
    pub ticket: TicketRef,
    pub kind: IntakeKind,
    /// The audit entry written; `None` for a duplicate.
    pub audit_seq: Option<u64>,
    pub summary: String,
}

pub(super) fn not_by_command() -> ServiceError {
    ServiceError::BadInput(
        "mail is taken in from a mailbox, not typed: use `caredesk mail import DIR|FILE.eml`, or let \
         `caredesk serve` fetch it"
            .into(),
    )
}

/// How far a message's arrival time may be ahead of our clock before it is
/// taken as now: a server whose clock runs fast must not put a ticket in
/// the future.
const ARRIVAL_SKEW: chrono::Duration = chrono::Duration::minutes(5);

fn requester_of(proposal: &Proposal) -> Requester {
    let name = display_name(&proposal.requester_name, "requester name").unwrap_or_else(|_| "unknown sender".into());
    Requester { name, email: proposal.requester_email.as_deref().and_then(|e| Email::parse(e).ok()), phone: None }
}

/// The timeline text of a message: what the sender wrote (unless the
/// ticket's body already shows it), then what it carried.
fn entry_text(mail: &InboundMail, with_body: bool) -> String {
    let mut text = format!("email: {}", mail.subject);
    if with_body {
        text.push_str("\n\n");
        text.push_str(&mail.body);
    }
    if !mail.attachments.is_empty() {
        text.push_str("\n\nattachments:");
        for a in &mail.attachments {
            text.push_str("\n  ");
            text.push_str(&a.info.describe());
        }
    }
    if let Some(why) = &mail.unparsed {
        text.push_str(&format!("\n\n(unparsed: {why}; the raw message is kept, {})", human_size(mail.raw_len as u64)));
    }
    text
}

/// Takes in one email: how its audit entry names it. The message itself
/// reaches the service through [`Service::take_in_mail`], never as this
/// operation, which is refused if sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TakeInMail {
    pub channel: Channel,
    /// The Message-ID, or the digest of a message without one.
    pub message: String,
}

impl Operation for TakeInMail {
    type Answer = Done<()>;
    const NAME: &'static str = "mail.take-in";
    fn handle(&self, _: &Service, _: &Ctx) -> Result<Done<()>, ServiceError> {
        Err(not_by_command())
    }
}

/// Hands one message, as it arrived, to the service: how `caredesk mail
/// import` takes mail in through a daemon that owns the database. It goes
/// the same way as mail the daemon fetches itself, and is audited as
/// [`TakeInMail`]; the raw bytes are kept with the ticket, never in the
/// audit entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliverMail {
    /// The mailbox it reached; `None` reads it from the recipients and the
    /// mail settings' addresses.
    pub channel: Option<Channel>,
    /// When it reached the mailbox, if the message's own headers do not say.
    pub delivered_at: DateTime<Utc>,
    pub raw: RawMail,
}

/// A message's bytes as they cross the socket. Text forms of a request (the
/// audit entry's, the log's) name only its size: the message itself is kept
/// with its ticket, and its content must not be copied anywhere else.
#[derive(Clone, PartialEq, Eq)]
pub struct RawMail(pub Vec<u8>);

impl std::fmt::Debug for RawMail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<{} bytes>", self.0.len())
    }
}

impl Serialize for RawMail {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.collect_str(&format_args!("<{} bytes>", self.0.len()))
        } else {
            s.serialize_bytes(&self.0)
        }
    }
}

impl<'de> Deserialize<'de> for RawMail {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<RawMail, D::Error> {
        struct Bytes;
        impl<'de> serde::de::Visitor<'de> for Bytes {
            type Value = RawMail;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("the bytes of a message")
            }
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<RawMail, E> {
                Ok(RawMail(v.to_vec()))
            }
            fn visit_byte_buf<E: serde::de::Error>(self, v: Vec<u8>) -> Result<RawMail, E> {
                Ok(RawMail(v))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<RawMail, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1 << 20));
                while let Some(b) = seq.next_element()? {
                    out.push(b);
                }
                Ok(RawMail(out))
            }
        }
        d.deserialize_byte_buf(Bytes)
    }
}

impl Operation for DeliverMail {
    type Answer = Intake;
    const NAME: &'static str = "mail.deliver";
    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<Intake, ServiceError> {
        if let Some(c) = self.channel.filter(|c| !matches!(c, Channel::EmailNas | Channel::EmailHelpdesk)) {
            return Err(ServiceError::BadInput(format!(
                "mail arrives by email-nas or email-helpdesk, not {c}: give --channel email-nas or email-helpdesk"
            )));
        }
        let mail = crate::mail::parse(&self.raw.0, self.delivered_at);
        let channel = match self.channel {
            Some(c) => c,
            None => service.store.mail_settings()?.addresses.channel_for(&mail.to),
        };
        service.take_in_mail(ctx, channel, &mail)
    }
}

impl Service {
    /// Takes in one message that arrived at the mailbox of `channel`.
    pub fn take_in_mail(&self, ctx: &Ctx, channel: Channel, mail: &InboundMail) -> Result<Intake, ServiceError> {
        self.authorise(ctx, Action::LogTicket)?;
        if let Some(done) = self.already_taken_in(mail)? {
            return Ok(done);
        }
        let ctx = &self.acting_as(ctx, &TakeInMail { channel, message: mail.key.to_string() });
        let id = self.store.next_number("mail")?;
        let known = |message_id: &str| self.store.mail_thread(message_id).ok().flatten();
        let target = thread_of(&mail.subject, &mail.in_reply_to, known)
            .and_then(|(r, by)| self.store.ticket(r).ok().flatten().map(|t| (t, by)))
            // A closed ticket is not reopened by mail: the message opens a
            // new one that names it.
            .filter(|(t, _)| t.status != TicketStatus::Closed);
        let result = match &target {
            Some((ticket, by)) => self.thread_mail(ctx, channel, mail, id, ticket.reference, *by),
            None => self.open_from_mail(ctx, channel, mail, id),
        };
        match result {
            // Another fetch of the same message committed first.
            Err(ServiceError::Store(StoreError::Exists { what, .. })) if what == "mail" => {
                self.already_taken_in(mail)?.ok_or_else(|| ServiceError::BadInput("mail vanished".into()))
            }
            other => other,
        }
    }

    fn already_taken_in(&self, mail: &InboundMail) -> Result<Option<Intake>, ServiceError> {
        Ok(self.store.mail(&mail.key)?.map(|r| Intake {
            ticket: r.ticket,
            kind: IntakeKind::Duplicate,
            audit_seq: None,
            summary: format!("{} was already taken in as {}", mail.key, r.ticket),
        }))
    }

    fn mail_record(
        &self,
        ctx: &Ctx,
        channel: Channel,
        mail: &InboundMail,
        id: u64,
        ticket: TicketRef,
        threaded: bool,
    ) -> MailRecord {
        MailRecord {
            key: mail.key.clone(),
            id,
            ticket,
            threaded,
            channel,
            from: mail.sender_address().map(str::to_owned),
            subject: mail.subject.clone(),
            arrived_at: mail.arrived_at,
            taken_in_at: ctx.now,
            attachments: mail.attachments.iter().map(|a| a.info.clone()).collect(),
            automatic: mail.automatic,
            unparsed: mail.unparsed.clone(),
            raw_len: mail.raw_len as u64,
            raw_chunks: mail.raw.chunks(RAW_CHUNK_BYTES).count() as u32,
        }
    }

    /// The mail record, its raw pieces and its kept attachments, into `change`.
    fn keep_mail(change: &mut Change, record: &MailRecord, mail: &InboundMail) -> Result<(), ServiceError> {
        change.put(None, record)?;
        for (index, bytes) in mail.raw.chunks(RAW_CHUNK_BYTES).enumerate() {
            change.set(&MailChunk { mail: record.id, index: index as u32, bytes: bytes.to_vec() })?;
        }
        for (index, a) in mail.attachments.iter().enumerate() {
            if let Some(content) = &a.content {
                change.set(&StoredAttachment {
                    mail: record.id,
                    index: index as u32,
                    info: a.info.clone(),
                    content: content.clone(),
                })?;
            }
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn thread_mail(
        &self,
        ctx: &Ctx,
        channel: Channel,
        mail: &InboundMail,
        id: u64,
        reference: TicketRef,
        by: ThreadBy,
    ) -> Result<Intake, ServiceError> {
        let who = mail.sender_address().unwrap_or("the requester").to_owned();
        let record = self.mail_record(ctx, channel, mail, id, reference, true);
        let (ticket, entry) = self.run(ctx, || {
            let old = self.load_ticket(reference)?;
            let mut new = old.next(&ctx.operator, ctx.now);
            new.push(EntryKind::Requester, &who, ctx.now, entry_text(mail, true));
            let back_to = if new.assignee.is_some() { TicketStatus::InProgress } else { TicketStatus::New };
            if matches!(old.status, TicketStatus::WaitingOnRequester | TicketStatus::Resolved) {
                new.push(
                    EntryKind::Event,
                    &ctx.operator,
                    ctx.now,
                    format!("status {} → {back_to}: the requester wrote again", old.status),
                );
                new.status = back_to;
            }
            let mut change = Change::new();
            change.put(Some(&old), &new)?;
            Self::keep_mail(&mut change, &record, mail)?;
            Ok(Prepared {
                change,
                subject: reference.to_string(),
                before: ticket_summary(&old),
                after: ticket_summary(&new),
                result: new,
            })
        })?;
        let how = match by {
            ThreadBy::MessageId => "answers one of its messages",
            ThreadBy::SubjectReference => "names it in the subject",
        };
        Ok(Intake {
            ticket: ticket.reference,
            kind: IntakeKind::Threaded,
            audit_seq: Some(entry.seq),
            summary: format!("{}: email from {who} added ({how})", ticket.reference),
        })
    }

    /// The first ODS code the text names that is a known organisation.
    fn known_ods(&self, proposal: &Proposal) -> Result<Option<OdsCode>, ServiceError> {
        for code in &proposal.ods_candidates {
            if let Ok(ods) = OdsCode::parse(code) {
                if self.store.organisation(&ods)?.is_some() {
                    return Ok(Some(ods));
                }
            }
        }
        Ok(None)
    }

    /// An account the sender probably holds: their NHSmail address, their
    /// registration email, or their name in the organisation, when exactly
    /// one account fits.
    fn likely_account(
        &self,
        requester: &Requester,
        ods: Option<&OdsCode>,
    ) -> Result<Option<(Account, &'static str)>, ServiceError> {
        if let Some(email) = &requester.email {
            if email.as_str().ends_with("@nhs.net") {
                if let Some(a) = self.store.account_by_address(email.as_str())? {
                    return Ok(Some((a, "the sender's address")));
                }
            }
            let mut found = self.store.accounts_with_email(email, 2)?;
            if found.len() == 1 {
                return Ok(found.pop().map(|a| (a, "the sender's registration email")));
            }
        }
        let words: Vec<&str> = requester.name.split_whitespace().collect();
        if let (Some(ods), [first, .., last]) = (ods, words.as_slice()) {
            let mut found =
                self.store.accounts_named_in_org(ods, &fold_for_search(last), &fold_for_search(first), 2)?;
            if found.len() == 1 {
                return Ok(found.pop().map(|a| (a, "the sender's name in the organisation")));
            }
        }
        Ok(None)
    }

    fn open_from_mail(&self, ctx: &Ctx, channel: Channel, mail: &InboundMail, id: u64) -> Result<Intake, ServiceError> {
        let sender_name = mail.from.as_ref().and_then(|f| f.name.as_deref());
        let proposal = propose(sender_name, mail.sender_address(), &mail.subject, &mail.body);
        let requester = requester_of(&proposal);
        let ods = self.known_ods(&proposal)?;
        let account = self.likely_account(&requester, ods.as_ref())?;
        let received_at: DateTime<Utc> =
            if mail.arrived_at > ctx.now + ARRIVAL_SKEW { ctx.now } else { mail.arrived_at };
        let category = proposal.category;
        let mailbox_name = proposal.mailbox_name.as_deref().and_then(|m| display_name(m, "shared mailbox name").ok());
        let missing = missing_details(category, &requester.name, ods.as_ref(), mailbox_name.as_deref());
        let routing = route_ticket(&self.hours(), &self.policy().targets, received_at, category);
        let reference = TicketRef(self.store.next_number("ticket")?);
        let mut ticket = Ticket {
            reference,
            received_at,
            channel,
            category,
            subject: display_name(&mail.subject, "subject").unwrap_or_else(|_| "(no subject)".into()),
            body: mail.body.clone(),
            requester,
            ods,
            mailbox_name,
            account: None,
            mailbox: None,
            routing,
            status: TicketStatus::New,
            assignee: None,
            timeline: Vec::new(),
            meta: RecordMeta::created(&ctx.operator, ctx.now),
        };
        let who = mail.sender_address().unwrap_or("an unknown sender").to_owned();
        ticket.push(EntryKind::Requester, &who, received_at, entry_text(mail, false));
        ticket.push(
            EntryKind::Event,
            &ctx.operator,
            ctx.now,
            format!(
                "received by {} at {}; routed to the {} queue, work from {}, due {}",
                channel,
                rfc3339(received_at),
                routing.queue.label(),
                rfc3339(routing.work_from),
                rfc3339(routing.due_at)
            ),
        );
        let mut proposed = vec![format!("category {category} (from the wording: check it)")];
        if let Some(ods) = &ticket.ods {
            proposed.push(format!("organisation {ods}"));
        }
        if let Some((a, how)) = &account {
            proposed.push(format!("account {} (matched by {how}; link it with `l` if it is theirs)", a.address));
        }
        if let Some(m) = &ticket.mailbox_name {
            proposed.push(format!("shared mailbox {m:?}"));
        }
        ticket.push(
            EntryKind::Event,
            &ctx.operator,
            ctx.now,
            format!("proposed from the email: {}", proposed.join("; ")),
        );
        if let Some((_, follows)) = self.closed_ticket_named(mail) {
            ticket.push(EntryKind::Event, &ctx.operator, ctx.now, format!("follows up {follows}, which is closed"));
        }
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
        let ack =
            self.acknowledge(&mut ticket, mail.sender_address(), mail.key.message_id(), mail.automatic, &missing, ctx)?;
        let record = self.mail_record(ctx, channel, mail, id, reference, false);
        let (_, entry) = self.run(ctx, || {
            let mut change = Change::new();
            change.put(None, &ticket)?;
            Self::keep_mail(&mut change, &record, mail)?;
            if let Some(ack) = &ack {
                change.put(None, ack)?;
            }
            Ok(Prepared {
                change,
                subject: reference.to_string(),
                before: None,
                after: ticket_summary(&ticket),
                result: (),
            })
        })?;
        Ok(Intake {
            ticket: reference,
            kind: IntakeKind::Created,
            audit_seq: Some(entry.seq),
            summary: format!(
                "{reference} logged from {who}'s email for the {} queue, due {}",
                ticket.routing.queue.label(),
                rfc3339(ticket.routing.due_at)
            ),
        })
    }

    /// The closed ticket a message names, when it names one.
    fn closed_ticket_named(&self, mail: &InboundMail) -> Option<(Ticket, TicketRef)> {
        let known = |message_id: &str| self.store.mail_thread(message_id).ok().flatten();
        let (r, _) = thread_of(&mail.subject, &mail.in_reply_to, known)?;
        let t = self.store.ticket(r).ok().flatten()?;
        (t.status == TicketStatus::Closed).then_some((t, r))
    }
}

#[cfg(test)]
mod tests {
    use super::RawMail;

    #[test]
    fn a_messages_bytes_cross_the_socket_whole_and_show_only_their_size_as_text() {
        let raw = RawMail(b"Subject: hello\r\n\r\nsecret body".to_vec());
        assert_eq!(serde_json::to_string(&raw).unwrap(), "\"<29 bytes>\"");
        assert_eq!(format!("{raw:?}"), "<29 bytes>");
        let bytes = crate::store::encode_message(1, &raw).unwrap();
        assert!(bytes.len() < 40, "sent as bytes, not a list of numbers: {} bytes", bytes.len());
        let back: RawMail = crate::store::decode_message(1, &bytes).unwrap();
        assert_eq!(back, raw);
    }
}
