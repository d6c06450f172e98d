//! Email intake through the service: a new message opens a routed ticket
//! with its fields proposed, a reply joins its ticket, the same message
//! taken in twice makes one ticket, and each intake writes one audit entry.

mod common;

use caredesk::domain::mail::Automatic;
use caredesk::domain::routing::{Category, Channel, Queue};
use caredesk::domain::ticket::{EntryKind, TicketStatus};
use caredesk::mail::{InboundMail, parse};
use caredesk::service::{Ctx, IntakeKind};
use common::{Desk, SUPERVISOR, in_hours, out_of_hours, utc};

fn mail(text: &str) -> InboundMail {
    parse(text.replace('\n', "\r\n").as_bytes(), in_hours())
}

fn request(id: &str, received: &str, subject: &str, body: &str) -> InboundMail {
    mail(&format!(
        "Received: from mx by imap; {received}\nFrom: Priya Shah <priya.shah@sunrise-care.co.uk>\n\
         To: careadmin@nhs.net\nSubject: {subject}\nMessage-ID: <{id}>\nDate: {received}\n\n{body}\n"
    ))
}

fn desk_with_org() -> Desk {
    let desk = Desk::new();
    desk.add_good_org("VN3K7", "Sunrise Care");
    desk
}

fn take_in(desk: &Desk, at: chrono::DateTime<chrono::Utc>, mail: &InboundMail) -> caredesk::service::Intake {
    desk.service.take_in_mail(&Ctx::new(SUPERVISOR, at), Channel::EmailNas, mail).expect("taken in")
}

#[test]
fn a_new_request_becomes_a_ticket_routed_by_its_arrival_time() {
    let desk = desk_with_org();
    // Arrived at 20:00 on a Wednesday, taken in the next morning: routed as
    // out of hours, because that is when the requester wrote.
    let m = request(
        "r1@sunrise",
        "Wed, 7 Jan 2026 20:00:00 +0000",
        "New starter needs an account",
        "ODS VN3K7, Amelia Jones starts Monday.",
    );
    let before = desk.audit_head();
    let got = take_in(&desk, utc("2026-01-08T09:30:00Z"), &m);
    assert_eq!(got.kind, IntakeKind::Created);
    assert_eq!(desk.audit_head(), before + 1);
    let t = desk.service.store().ticket(got.ticket).unwrap().unwrap();
    assert_eq!(t.received_at, out_of_hours());
    assert_eq!((t.routing.queue, t.category, t.channel), (Queue::Resolver, Category::NewAccount, Channel::EmailNas));
    assert_eq!(t.ods.as_ref().map(|o| o.to_string()).as_deref(), Some("VN3K7"));
    assert_eq!(t.requester.name, "Priya Shah");
    assert_eq!(t.requester.email.as_ref().map(|e| e.as_str()), Some("priya.shah@sunrise-care.co.uk"));
    assert_eq!(t.status, TicketStatus::New);
    assert!(t.body.contains("Amelia Jones"), "{}", t.body);
    let first = &t.timeline[0];
    assert_eq!(
        (first.kind, first.at, first.by.as_str()),
        (EntryKind::Requester, out_of_hours(), "priya.shah@sunrise-care.co.uk")
    );
    let kept = desk.service.store().mail(&m.key).unwrap().unwrap();
    assert_eq!(desk.service.store().mail_raw(&kept).unwrap(), m.raw, "the original is kept whole");
}

#[test]
fn a_request_missing_what_the_faq_asks_for_waits_on_the_requester() {
    let desk = desk_with_org();
    let m =
        request("r2@sunrise", "Wed, 7 Jan 2026 10:00:00 +0000", "Missing account", "My account is missing. ODS VN3K7.");
    let got = take_in(&desk, in_hours(), &m);
    let t = desk.service.store().ticket(got.ticket).unwrap().unwrap();
    assert_eq!(t.category, Category::MissingPersonalAccount);
    assert_eq!(t.status, TicketStatus::WaitingOnRequester);
    assert!(t.timeline.iter().any(|e| e.text.contains("the shared mailbox name")), "{:?}", t.timeline);
}

#[test]
fn the_same_message_taken_in_twice_is_one_ticket_and_one_audit_entry() {
    let desk = desk_with_org();
    let m = request("dup@sunrise", "Wed, 7 Jan 2026 10:00:00 +0000", "Password reset", "please");
    let first = take_in(&desk, in_hours(), &m);
    let head = desk.audit_head();
    let again = take_in(&desk, in_hours(), &m);
    assert_eq!((again.kind, again.ticket), (IntakeKind::Duplicate, first.ticket));
    assert_eq!(desk.audit_head(), head, "a duplicate writes nothing");
    assert_eq!(desk.service.store().last_number("ticket").unwrap(), first.ticket.0);
}

#[test]
fn a_message_without_message_id_is_deduplicated_by_its_bytes() {
    let desk = desk_with_org();
    let m = mail("From: a@example.net\nSubject: help\nDate: Wed, 7 Jan 2026 10:00:00 +0000\n\nhelp me");
    let first = take_in(&desk, in_hours(), &m);
    assert_eq!(take_in(&desk, in_hours(), &m).kind, IntakeKind::Duplicate);
    assert_eq!(first.kind, IntakeKind::Created);
}

#[test]
fn a_reply_joins_its_ticket_and_brings_it_back_from_waiting() {
    let desk = desk_with_org();
    let m =
        request("r3@sunrise", "Wed, 7 Jan 2026 10:00:00 +0000", "Missing account", "My account is missing. ODS VN3K7.");
    let opened = take_in(&desk, in_hours(), &m);
    let reply = mail(
        "From: Priya Shah <priya.shah@sunrise-care.co.uk>\nSubject: Re: Missing account\nMessage-ID: <r3-reply@sunrise>\n\
         In-Reply-To: <r3@sunrise>\nDate: Wed, 7 Jan 2026 11:00:00 +0000\n\nShared mailbox name: Sunrise Office\n\n\
         On Wed, 7 Jan 2026 at 10:00, NAS wrote:\n> old text\n",
    );
    let got = take_in(&desk, utc("2026-01-07T11:00:00Z"), &reply);
    assert_eq!((got.kind, got.ticket), (IntakeKind::Threaded, opened.ticket));
    let t = desk.service.store().ticket(opened.ticket).unwrap().unwrap();
    assert_eq!(t.status, TicketStatus::New);
    let last = t.timeline.iter().rev().find(|e| e.kind == EntryKind::Requester).unwrap();
    assert!(last.text.contains("Sunrise Office") && !last.text.contains("old text"), "{}", last.text);
    assert_eq!(desk.service.store().mails_for_ticket(opened.ticket).unwrap().len(), 2);
    // The reply's own Message-ID now names the ticket too.
    assert_eq!(desk.service.store().mail_thread("r3-reply@sunrise").unwrap(), Some(opened.ticket));
}

#[test]
fn a_subject_reference_threads_when_no_message_id_matches() {
    let desk = desk_with_org();
    let opened =
        take_in(&desk, in_hours(), &request("r4@sunrise", "Wed, 7 Jan 2026 10:00:00 +0000", "Leaver", "ODS VN3K7"));
    let subject = format!("Re: [{}] Leaver", opened.ticket);
    let reply = request("r4-b@sunrise", "Wed, 7 Jan 2026 10:30:00 +0000", &subject, "She left on Friday.");
    assert_eq!(take_in(&desk, in_hours(), &reply).ticket, opened.ticket);
    // A reference to a ticket that does not exist opens a new one.
    let stray = request("r4-c@sunrise", "Wed, 7 Jan 2026 10:40:00 +0000", "Re: [CD-999999] hello", "hi");
    assert_eq!(take_in(&desk, in_hours(), &stray).kind, IntakeKind::Created);
}

#[test]
fn a_closed_ticket_is_not_reopened_by_mail() {
    let desk = desk_with_org();
    let opened = take_in(&desk, in_hours(), &request("r5@sunrise", "Wed, 7 Jan 2026 10:00:00 +0000", "Password", "x"));
    desk.sup(&caredesk::service::ops::SetStatus { reference: opened.ticket, status: TicketStatus::Closed });
    let reply = request(
        "r5-b@sunrise",
        "Wed, 7 Jan 2026 11:00:00 +0000",
        &format!("Re: [{}] Password", opened.ticket),
        "again",
    );
    let got = take_in(&desk, in_hours(), &reply);
    assert_eq!(got.kind, IntakeKind::Created);
    let t = desk.service.store().ticket(got.ticket).unwrap().unwrap();
    assert!(t.timeline.iter().any(|e| e.text.contains(&format!("follows up {}", opened.ticket))));
}

#[test]
fn unparsed_and_automatic_mail_still_make_tickets() {
    let desk = desk_with_org();
    let junk = parse(&[0u8, 159, 146, 150, 1, 2, 3], in_hours());
    let got = take_in(&desk, in_hours(), &junk);
    let t = desk.service.store().ticket(got.ticket).unwrap().unwrap();
    assert_eq!(t.requester.name, "unknown sender");
    assert!(t.timeline.iter().any(|e| e.text.contains("unparsed")));
    let record = desk.service.store().mail(&junk.key).unwrap().unwrap();
    assert_eq!(desk.service.store().mail_raw(&record).unwrap(), vec![0u8, 159, 146, 150, 1, 2, 3]);
    let bounce = mail(
        "From: MAILER-DAEMON@mx.example.net\nSubject: Undelivered\nMessage-ID: <b1@mx>\nDate: Wed, 7 Jan 2026 10:00:00 +0000\n\nfailed",
    );
    let got = take_in(&desk, in_hours(), &bounce);
    assert_eq!(desk.service.store().mail(&bounce.key).unwrap().unwrap().automatic, Some(Automatic::Bounce));
    assert_eq!(got.kind, IntakeKind::Created);
}

#[test]
fn an_arrival_time_in_the_future_is_taken_as_now() {
    let desk = desk_with_org();
    let m = request("r6@sunrise", "Thu, 8 Jan 2026 10:00:00 +0000", "Password", "x");
    let got = take_in(&desk, in_hours(), &m);
    assert_eq!(desk.service.store().ticket(got.ticket).unwrap().unwrap().received_at, in_hours());
}

#[test]
fn a_message_is_read_only_through_the_ticket_it_belongs_to() {
    use caredesk::service::MailPiece;
    use caredesk::service::ops::{ListTicketMail, ReadMailPiece};
    let desk = desk_with_org();
    let at = utc("2026-01-07T10:00:00Z");
    let first = take_in(&desk, at, &request("one@sunrise", "Wed, 7 Jan 2026 09:00:00 +0000", "New starter", "VN3K7"));
    let second = take_in(&desk, at, &request("two@sunrise", "Wed, 7 Jan 2026 09:05:00 +0000", "Leaver", "VN3K7"));
    let mails = desk.sup(&ListTicketMail { ticket: first.ticket });
    assert_eq!(mails.len(), 1);
    let piece = MailPiece::Original { chunk: 0 };
    let read = desk.sup(&ReadMailPiece { ticket: first.ticket, mail: mails[0].id, piece });
    assert!(String::from_utf8_lossy(&read.bytes).contains("Message-ID: <one@sunrise>"));
    assert_eq!(read.pieces, 1);
    // The other ticket's reference does not open this one's message.
    let refused = desk.refused(SUPERVISOR, at, &ReadMailPiece { ticket: second.ticket, mail: mails[0].id, piece });
    assert!(refused.contains("message") && refused.contains("list the ticket's messages"), "{refused}");
    let no_attachment = MailPiece::Attachment { index: 0, at_most: None };
    let refused =
        desk.refused(SUPERVISOR, at, &ReadMailPiece { ticket: first.ticket, mail: mails[0].id, piece: no_attachment });
    assert!(refused.contains("attachment 1"), "{refused}");
}
