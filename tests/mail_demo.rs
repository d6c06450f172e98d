//! The demo's mailbox: `caredesk demo` takes in a Maildir of realistic
//! requests, so a new user sees email tickets with their threads.

use caredesk::demo::{Plan, build_demo_plan};
use caredesk::domain::routing::Channel;
use caredesk::domain::ticket::EntryKind;
use caredesk::service::ops::*;
use caredesk::service::{Ctx, Service};
use caredesk::store::OpenMode;
use chrono::{DateTime, Utc};

#[test]
fn the_demo_takes_in_its_mailbox_with_threads_and_marks_it_seen() {
    let dir = tempfile::tempdir().unwrap();
    let service = Service::open(dir.path(), OpenMode::CreateIfMissing).unwrap();
    let now: DateTime<Utc> = DateTime::parse_from_rfc3339("2026-01-07T10:00:00Z").unwrap().to_utc();
    let ctx = Ctx::new("tester", now);
    service.execute(&ctx, &Init).unwrap();
    let plan = Plan { organisations: 120, accounts: 800, mailboxes: 40, memberships: 200, tickets: 30, ticket_days: 7 };
    build_demo_plan(&service, &ctx, &plan, &mut |_, _, _| {}).unwrap();
    let store = service.store();
    let emailed: Vec<_> = (1..=store.last_number("ticket").unwrap())
        .filter_map(|n| store.ticket(caredesk::domain::ticket::TicketRef(n)).unwrap())
        .filter(|t| !store.mails_for_ticket(t.reference).unwrap().is_empty())
        .collect();
    assert!(emailed.len() >= 12, "only {} tickets came by email", emailed.len());
    assert!(emailed.iter().any(|t| t.channel == Channel::EmailHelpdesk));
    assert!(emailed.iter().any(|t| t.channel == Channel::EmailNas));
    let threaded =
        emailed.iter().filter(|t| t.timeline.iter().filter(|e| e.kind == EntryKind::Requester).count() >= 2).count();
    assert!(threaded >= 2, "{threaded} tickets have a reply threaded onto them");
    let maildir = dir.path().join("maildir");
    assert_eq!(std::fs::read_dir(maildir.join("new")).unwrap().count(), 0, "every message was marked seen");
    assert!(std::fs::read_dir(maildir.join("cur")).unwrap().count() >= emailed.len());
}
