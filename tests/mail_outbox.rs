//! Mail we send: acknowledgements say when work starts and what is missing,
//! loop protection keeps machines and ourselves unanswered, replies carry
//! the thread's Message-IDs, and the outbox retries with backoff and shows
//! why a mail failed.

mod common;

use std::sync::Mutex;

use caredesk::domain::mail_reply::{
    Attempt, MailSettings, MailStatus, OutgoingKind, OutgoingMail, SmtpSecurity, SmtpSettings,
};
use caredesk::domain::routing::Channel;
use caredesk::mail::{InboundMail, parse};
use caredesk::service::ops::*;
use caredesk::service::{Ctx, IntakeKind, MailTransport};
use common::{Desk, SUPERVISOR, in_hours, utc};

fn mail(text: &str) -> InboundMail {
    parse(text.replace('\n', "\r\n").as_bytes(), in_hours())
}

fn request(id: &str, from: &str, received: &str, subject: &str, body: &str, extra: &str) -> InboundMail {
    mail(&format!(
        "Received: from mx by imap; {received}\nFrom: Priya Shah <{from}>\nTo: careadmin@nhs.net\n\
         Subject: {subject}\nMessage-ID: <{id}>\n{extra}Date: {received}\n\n{body}\n"
    ))
}

fn desk(smtp: bool) -> Desk {
    let desk = Desk::new();
    desk.add_good_org("VN3K7", "Sunrise Care");
    if smtp {
        let settings = MailSettings {
            smtp: Some(SmtpSettings {
                host: "127.0.0.1".into(),
                port: 2525,
                security: SmtpSecurity::LocalPlain,
                username: None,
                password_file: None,
            }),
            ..MailSettings::default()
        };
        desk.sup(&SetMailSettings { settings });
    }
    desk
}

fn take_in(desk: &Desk, m: &InboundMail) -> caredesk::service::Intake {
    desk.service.take_in_mail(&Ctx::new(SUPERVISOR, in_hours()), Channel::EmailNas, m).unwrap()
}

fn outbox(desk: &Desk, t: caredesk::domain::ticket::TicketRef) -> Vec<OutgoingMail> {
    desk.service.store().mail_outbox_for_ticket(t).unwrap()
}

#[test]
fn an_out_of_hours_complex_request_is_told_when_the_resolver_group_starts() {
    let desk = desk(true);
    let m = request("a1@x", "priya@x.org", "Tue, 6 Jan 2026 20:00:00 +0000", "New starter", "ODS VN3K7", "");
    let got = take_in(&desk, &m);
    let sent = outbox(&desk, got.ticket);
    assert_eq!(sent.len(), 1);
    let ack = &sent[0];
    assert_eq!(
        (ack.kind, ack.to.as_str(), ack.from.as_str()),
        (OutgoingKind::Acknowledgement, "priya@x.org", "careadmin@nhs.net")
    );
    assert!(ack.subject.starts_with(&format!("[{}]", got.ticket)), "{}", ack.subject);
    assert!(
        ack.body.contains("resolver group will handle your request from Wednesday 7 January 2026 at 09:00"),
        "{}",
        ack.body
    );
    assert_eq!(ack.in_reply_to.as_deref(), Some("a1@x"));
    assert_eq!(ack.status, MailStatus::Queued);
    // A reply to the acknowledgement threads onto the ticket by its Message-ID.
    let answer = request(
        "a1-b@x",
        "priya@x.org",
        "Thu, 8 Jan 2026 08:00:00 +0000",
        "Re: something else",
        "ok",
        &format!("In-Reply-To: <{}>\n", ack.message_id),
    );
    let again = desk
        .service
        .take_in_mail(&Ctx::new(SUPERVISOR, utc("2026-01-08T08:00:00Z")), Channel::EmailNas, &answer)
        .unwrap();
    assert_eq!((again.kind, again.ticket), (IntakeKind::Threaded, got.ticket));
}

#[test]
fn acknowledgements_say_now_in_hours_and_now_for_a_simple_task_out_of_hours() {
    let desk = desk(true);
    let in_hours_ticket =
        take_in(&desk, &request("b1@x", "jo@x.org", "Wed, 7 Jan 2026 10:00:00 +0000", "Leaver", "ODS VN3K7", ""))
            .ticket;
    assert!(outbox(&desk, in_hours_ticket)[0].body.contains("NAS) team is working now"));
    let simple =
        take_in(&desk, &request("b2@x", "al@x.org", "Tue, 6 Jan 2026 21:00:00 +0000", "Password reset", "please", ""))
            .ticket;
    assert!(
        outbox(&desk, simple)[0].body.contains("the helpdesk will handle it now"),
        "{}",
        outbox(&desk, simple)[0].body
    );
}

#[test]
fn an_acknowledgement_asks_for_what_is_missing() {
    let desk = desk(true);
    let t = take_in(
        &desk,
        &request("c1@x", "jo@x.org", "Wed, 7 Jan 2026 10:00:00 +0000", "Missing account", "my account is missing", ""),
    )
    .ticket;
    let body = &outbox(&desk, t)[0].body;
    assert!(body.contains("the organisation's ODS code") && body.contains("the shared mailbox name"), "{body}");
}

#[test]
fn loop_protection_sends_no_acknowledgement_to_machines_ourselves_or_a_flood() {
    let desk = desk(true);
    let cases = [
        ("d1@x", "jo@x.org", "Auto-Submitted: auto-replied\n"),
        ("d2@x", "jo@x.org", "Precedence: bulk\n"),
        ("d3@x", "mailer-daemon@x.org", ""),
        ("d4@x", "careadmin@nhs.net", ""),
    ];
    for (id, from, extra) in cases {
        let t = take_in(&desk, &request(id, from, "Wed, 7 Jan 2026 10:00:00 +0000", "hello", "x", extra)).ticket;
        assert!(outbox(&desk, t).is_empty(), "{id} got an acknowledgement");
        let ticket = desk.service.store().ticket(t).unwrap().unwrap();
        assert!(ticket.timeline.iter().any(|e| e.text.starts_with("no acknowledgement sent")), "{id}");
    }
    // Five an hour to one sender, then silence.
    let mut acknowledged = 0;
    for n in 0..8 {
        let t = take_in(
            &desk,
            &request(&format!("flood{n}@x"), "loop@x.org", "Wed, 7 Jan 2026 10:00:00 +0000", "hello", "x", ""),
        )
        .ticket;
        acknowledged += outbox(&desk, t).len();
    }
    assert_eq!(acknowledged, 5);
}

#[test]
fn without_a_mail_server_nothing_is_sent_and_the_outbox_is_the_record() {
    let desk = desk(false);
    let t = take_in(&desk, &request("e1@x", "jo@x.org", "Wed, 7 Jan 2026 10:00:00 +0000", "Leaver", "ODS VN3K7", ""))
        .ticket;
    assert_eq!(outbox(&desk, t)[0].status, MailStatus::KeptInOutbox);
    assert!(desk.service.store().mail_due(utc("2030-01-01T00:00:00Z"), 10).unwrap().is_empty());
}

#[test]
fn a_reply_is_queued_as_mail_threaded_on_the_requesters_messages() {
    let desk = desk(true);
    let t = take_in(&desk, &request("f1@x", "jo@x.org", "Wed, 7 Jan 2026 10:00:00 +0000", "Leaver", "ODS VN3K7", ""))
        .ticket;
    let head = desk.audit_head();
    desk.sup(&Reply { reference: t, text: "Done: the account is closed.".into() });
    assert_eq!(desk.audit_head(), head + 1, "one audit entry for the reply and its mail");
    let mails = outbox(&desk, t);
    let reply = mails.iter().find(|m| m.kind == OutgoingKind::Reply).unwrap();
    assert_eq!(reply.body, "Done: the account is closed.");
    assert_eq!(reply.subject, format!("Re: [{t}] Leaver"));
    assert_eq!(reply.references.first().map(String::as_str), Some("f1@x"));
    assert_eq!(reply.in_reply_to.as_ref(), reply.references.last(), "it answers the latest message of the thread");
    assert_eq!(reply.references.len(), 2, "the request and our acknowledgement");
}

struct Flaky {
    fail_first: Mutex<usize>,
    permanent: bool,
    sent: Mutex<Vec<u64>>,
}

impl MailTransport for Flaky {
    fn send(&self, mail: &OutgoingMail) -> Result<(), Attempt> {
        let mut left = self.fail_first.lock().unwrap();
        if *left > 0 {
            *left -= 1;
            return Err(if self.permanent {
                Attempt::Permanent("550 no such user".into())
            } else {
                Attempt::Transient("connection refused".into())
            });
        }
        self.sent.lock().unwrap().push(mail.seq);
        Ok(())
    }
}

#[test]
fn a_failed_attempt_is_retried_after_a_backoff_and_then_sent() {
    let desk = desk(true);
    let t = take_in(&desk, &request("g1@x", "jo@x.org", "Wed, 7 Jan 2026 10:00:00 +0000", "Leaver", "ODS VN3K7", ""))
        .ticket;
    let transport = Flaky { fail_first: Mutex::new(1), permanent: false, sent: Mutex::default() };
    assert_eq!(desk.service.send_due_mail(&Ctx::new(SUPERVISOR, in_hours()), &transport).unwrap(), 1);
    let m = &outbox(&desk, t)[0];
    assert_eq!(m.status, MailStatus::Retrying { reason: "connection refused".into() });
    assert!(m.status.label().contains("connection refused"));
    // Not due again until the backoff has passed.
    assert_eq!(
        desk.service
            .send_due_mail(&Ctx::new(SUPERVISOR, in_hours() + chrono::Duration::seconds(30)), &transport)
            .unwrap(),
        0
    );
    assert_eq!(
        desk.service
            .send_due_mail(&Ctx::new(SUPERVISOR, in_hours() + chrono::Duration::minutes(3)), &transport)
            .unwrap(),
        1
    );
    assert!(matches!(outbox(&desk, t)[0].status, MailStatus::Sent { .. }));
    assert_eq!(transport.sent.lock().unwrap().len(), 1);
    let ticket = desk.service.store().ticket(t).unwrap().unwrap();
    let told: Vec<_> =
        ticket.timeline.iter().filter(|e| e.text.starts_with("mail #")).map(|e| e.text.clone()).collect();
    assert_eq!(told.len(), 2, "the first failure and the final outcome: {told:?}");
    assert!(told[0].contains("retrying after: connection refused") && told[1].contains(": sent "), "{told:?}");
}

#[test]
fn a_refused_mail_fails_with_why_and_can_be_queued_again() {
    let desk = desk(true);
    let t = take_in(&desk, &request("h1@x", "jo@x.org", "Wed, 7 Jan 2026 10:00:00 +0000", "Leaver", "ODS VN3K7", ""))
        .ticket;
    let transport = Flaky { fail_first: Mutex::new(1), permanent: true, sent: Mutex::default() };
    desk.service.send_due_mail(&Ctx::new(SUPERVISOR, in_hours()), &transport).unwrap();
    let failed = outbox(&desk, t)[0].clone();
    assert_eq!(failed.status, MailStatus::Failed { reason: "550 no such user".into() });
    let ticket = desk.service.store().ticket(t).unwrap().unwrap();
    assert!(ticket.timeline.iter().any(|e| e.text.ends_with("failed: 550 no such user")), "the ticket says why");
    assert_eq!(
        desk.service.send_due_mail(&Ctx::new(SUPERVISOR, utc("2030-01-01T00:00:00Z")), &transport).unwrap(),
        0,
        "never again by itself"
    );
    desk.sup(&RetryMail { outbox: failed.seq });
    assert_eq!(desk.service.send_due_mail(&Ctx::new(SUPERVISOR, in_hours()), &transport).unwrap(), 1);
    assert!(matches!(outbox(&desk, t)[0].status, MailStatus::Sent { .. }));
    let refused = desk.refused(SUPERVISOR, in_hours(), &RetryMail { outbox: failed.seq });
    assert!(refused.contains("only a failed mail"), "{refused}");
}

#[test]
fn mail_settings_refuse_plain_text_across_the_network_and_keep_no_password() {
    let desk = desk(false);
    let mut settings = MailSettings {
        smtp: Some(SmtpSettings {
            host: "smtp.example.net".into(),
            port: 25,
            security: SmtpSecurity::LocalPlain,
            username: None,
            password_file: None,
        }),
        ..MailSettings::default()
    };
    let refused = desk.refused(SUPERVISOR, in_hours(), &SetMailSettings { settings: settings.clone() });
    assert!(refused.contains("unencrypted"), "{refused}");
    settings.smtp = Some(SmtpSettings {
        host: "smtp.example.net".into(),
        port: 587,
        security: SmtpSecurity::StartTls,
        username: Some("caredesk".into()),
        password_file: Some("smtp-password".into()),
    });
    desk.sup(&SetMailSettings { settings: settings.clone() });
    let shown = desk.service.store().mail_settings().unwrap().describe();
    assert!(shown.contains("password from smtp-password"), "{shown}");
}
