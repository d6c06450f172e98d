//! A shift's figures: the filter language over real tickets, SLA
//! warnings, breaches in a period and the dashboard's depth history.

use super::*;
use caredesk::domain::sla::SlaState;

fn log_at(desk: &Desk, at: &str, category: Category, subject: &str) -> TicketRef {
    let mut form = ticket_form(category, "Jo Smith", Some("V1234"));
    form.subject = subject.into();
    form.body = "sent from the care home office".into();
    desk.ok(SUPERVISOR, utc(at), &form).record.reference
}

fn slots(desk: &Desk, at: &str, words: &str) -> Vec<TicketRef> {
    let filter = caredesk::service::TicketFilter::parse(words).unwrap();
    desk.ok(SUPERVISOR, utc(at), &ListTicketSlots { view: QueueView::All, filter })
        .into_iter()
        .map(|s| s.reference)
        .collect()
}

#[test]
fn the_filter_language_narrows_sorts_and_negates_over_real_tickets() {
    let desk = Desk::new();
    sunrise(&desk);
    let old = log_at(&desk, "2026-01-02T10:00:00Z", Category::Leaver, "Leaver: Zoë Brown");
    let mid = log_at(&desk, "2026-01-06T10:00:00Z", Category::Move, "Move to Hilltop");
    let new = log_at(&desk, "2026-01-07T09:30:00Z", Category::Leaver, "Leaver form for Al");
    desk.sup(&Claim { reference: mid });
    let now = "2026-01-07T10:01:00Z";
    assert_eq!(slots(&desk, now, "cat:leaver"), [old, new]);
    assert_eq!(slots(&desk, now, "-cat:leaver"), [mid]);
    assert_eq!(slots(&desk, now, "!status:new"), [mid]);
    assert_eq!(slots(&desk, now, "zoe"), [old], "accents fold");
    assert_eq!(slots(&desk, now, "care home -form"), [old, mid], "the body counts");
    assert_eq!(slots(&desk, now, "age:>3d"), [old]);
    assert_eq!(slots(&desk, now, "age:<1h"), [new]);
    assert_eq!(slots(&desk, now, "-sort:age"), [new, mid, old]);
    assert_eq!(slots(&desk, now, "-who:sup"), [old, new]);
    // The NAS target is 8 working hours (policy default): the oldest is past due.
    let breached = slots(&desk, now, "breached");
    assert_eq!(breached, [old, mid]);
    assert_eq!(slots(&desk, now, "-breached"), [new]);
    assert_eq!(slots(&desk, now, "due:<1d -breached"), [new]);
    // The same list later: time words read against the new now, not a kept list.
    assert_eq!(slots(&desk, "2026-01-09T10:00:00Z", "breached"), [old, mid, new]);
}

#[test]
fn warnings_breaches_and_the_dashboard_count_from_indexes_and_counters() {
    let desk = Desk::new();
    sunrise(&desk);
    desk.add_operator("nas1", Role::Nas);
    let a = log_at(&desk, "2026-01-07T09:10:00Z", Category::Leaver, "a");
    let b = log_at(&desk, "2026-01-07T09:20:00Z", Category::Leaver, "b");
    let c = log_at(&desk, "2026-01-07T09:30:00Z", Category::Leaver, "c");
    desk.ok("nas1", utc("2026-01-07T10:30:00Z"), &Claim { reference: a });
    desk.ok("nas1", utc("2026-01-07T10:35:00Z"), &SetStatus { reference: a, status: TicketStatus::Resolved });
    let at = utc("2026-01-07T10:45:00Z");
    let d = desk.ok(SUPERVISOR, at, &ShowDashboard {});
    let nas = &d.queues[0];
    assert_eq!((nas.depth, nas.breached, nas.due_soon), (2, 0, 0));
    // Hours ending 08:00, 09:00 and 10:00 (this hour, still running).
    assert_eq!(nas.hourly[21..], [0, 3, 2]);
    assert_eq!(*nas.daily.last().unwrap(), 2);
    assert_eq!(d.per_operator, [("sup".to_owned(), 3), ("nas1".to_owned(), 1)]);
    assert_eq!(d.next_opening, utc("2026-01-08T09:00:00Z"));

    // Due 8 working hours after receipt: b is due at 09:20 tomorrow.
    let soon = desk.ok(SUPERVISOR, utc("2026-01-08T08:50:00Z"), &ListSlaWarnings {});
    let listed: Vec<(TicketRef, SlaState)> = soon.warnings.iter().map(|w| (w.row.reference, w.state)).collect();
    assert_eq!(listed, [(b, SlaState::DueSoon), (c, SlaState::DueSoon)]);
    desk.sup(&SetDueSoon { minutes: 15 });
    let soon = desk.ok(SUPERVISOR, utc("2026-01-08T09:10:00Z"), &ListSlaWarnings {});
    assert_eq!(soon.warnings.iter().map(|w| w.row.reference).collect::<Vec<_>>(), [b]);

    desk.ok(SUPERVISOR, utc("2026-01-08T09:25:00Z"), &SetStatus { reference: b, status: TicketStatus::Resolved });
    let report = desk.ok(
        SUPERVISOR,
        utc("2026-01-08T12:00:00Z"),
        &ListBreaches { from: utc("2026-01-08T00:00:00Z"), to: utc("2026-01-09T00:00:00Z") },
    );
    let found: Vec<(TicketRef, bool, i64)> =
        report.iter().map(|x| (x.reference, x.resolved_at.is_some(), x.late_minutes)).collect();
    assert_eq!(found, [(b, true, 5), (c, false, 150)], "resolved five minutes late, and one still open");
}
