//! Routing, claims, queue pages.

use super::*;

#[test]
fn a_ticket_is_routed_by_when_it_arrived_and_what_it_is_about() {
    let desk = Desk::new();
    sunrise(&desk);
    let log = |form: CreateTicket, now: &str| logged(&desk.ok(SUPERVISOR, utc(now), &form));

    // In hours: the NAS works everything.
    let t = log(ticket_form(Category::Leaver, "Jo Smith", Some("V1234")), "2026-01-07T10:00:00Z");
    assert_eq!((t.routing.queue, t.routing.work_from), (Queue::Nas, utc("2026-01-07T10:00:00Z")));

    // Out of hours, simple: the helpdesk, now.
    let form = received(ticket_form(Category::Unlock, "Jo Smith", None), "2026-12-24T18:00:00Z");
    let t = log(form, "2026-12-24T18:10:00Z");
    assert_eq!((t.routing.queue, t.routing.work_from), (Queue::Helpdesk, utc("2026-12-24T18:00:00Z")));
    assert_eq!(t.routing.due_at, utc("2026-12-24T22:00:00Z"));

    // Out of hours, complex: the resolver group from the next opening (after
    // Christmas, Boxing Day and its substitute on Monday 28th).
    let form = received(ticket_form(Category::Leaver, "Jo Smith", Some("V1234")), "2026-12-24T18:00:00Z");
    let t = log(form, "2026-12-24T18:10:00Z");
    assert_eq!(t.received_at, utc("2026-12-24T18:00:00Z"));
    assert_eq!((t.routing.queue, t.routing.work_from), (Queue::Resolver, utc("2026-12-29T09:00:00Z")));
    assert_eq!(t.status, TicketStatus::New);
    assert!(t.timeline[0].text.contains("resolver group queue, work from 2026-12-29T09:00:00Z"), "{:?}", t.timeline);
}

#[test]
fn a_missing_account_request_lists_what_is_missing_or_waits_on_the_requester() {
    let desk = Desk::new();
    sunrise(&desk);
    let form = ticket_form(Category::MissingPersonalAccount, "Jo", None);
    let before = desk.audit_head();
    let message = desk.refused(SUPERVISOR, in_hours(), &form.clone());
    for missing in ["first and last name", "ODS code", "shared mailbox name"] {
        assert!(message.contains(missing), "{missing}: {message}");
    }
    assert_eq!(desk.audit_head(), before);

    let mut complete = ticket_form(Category::MissingPersonalAccount, "Jo Smith", Some("V1234"));
    complete.mailbox_name = Some("Sunrise Care shared".into());
    assert_eq!(logged(&desk.sup(&complete)).status, TicketStatus::New);

    let incomplete = CreateTicket { incomplete: true, ..form };
    let t = logged(&desk.sup(&incomplete));
    assert_eq!(t.status, TicketStatus::WaitingOnRequester);
    let asked = &t.timeline.last().unwrap().text;
    assert!(asked.starts_with("waiting on the requester for") && asked.contains("ODS code"), "{asked}");
    assert_eq!(ticket(&desk, t.reference).status, TicketStatus::WaitingOnRequester);
}

#[test]
fn a_ticket_received_in_the_future_is_refused() {
    let desk = Desk::new();
    let form = received(ticket_form(Category::Unlock, "Jo Smith", None), "2026-01-07T11:00:00Z");
    let before = desk.audit_head();
    let message = desk.refused(SUPERVISOR, in_hours(), &form);
    assert!(message.contains("is in the future"), "{message}");
    assert_eq!(desk.audit_head(), before);
}

#[test]
fn of_eight_simultaneous_claims_one_wins_and_the_rest_are_told_who() {
    let desk = Desk::new();
    sunrise(&desk);
    let operators: Vec<String> = (1..=8).map(|n| format!("nas{n}")).collect();
    for op in &operators {
        desk.add_operator(op, Role::Nas);
    }
    let t = ticket_of(&desk.sup(&ticket_form(Category::General, "Jo Smith", Some("V1234"))));
    assert_eq!(ticket(&desk, t).routing.queue, Queue::Nas);

    let start = Barrier::new(operators.len());
    let results: Vec<(String, Result<Done<Ticket>, String>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = operators
            .iter()
            .map(|op| {
                let (desk, start) = (&desk, &start);
                scope.spawn(move || {
                    start.wait();
                    let r = desk.run(op, in_hours(), &Claim { reference: t });
                    (op.clone(), r.map_err(|e| e.to_string()))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });

    let winners: Vec<&String> = results.iter().filter(|(_, r)| r.is_ok()).map(|(op, _)| op).collect();
    assert_eq!(winners.len(), 1, "{results:#?}");
    let winner = winners[0];
    for (op, result) in &results {
        if let Err(message) = result {
            assert!(message.contains(&format!("{t} is already claimed by {winner}")), "{op}: {message}");
        }
    }
    assert_eq!(ticket(&desk, t).assignee.as_deref(), Some(winner.as_str()));
    let claims = desk.audit().into_iter().filter(|e| e.draft.action == "ticket.claim").count();
    assert_eq!(claims, 1);
}

#[test]
fn concurrent_member_additions_lose_no_update() {
    const EACH: u32 = 20;
    let desk = Desk::new();
    sunrise(&desk);
    desk.new_account("Al", "Owner", &mobile(0), "V1234");
    let mailbox = desk.new_mailbox("sunrise.care@nhs.net", "Sunrise Care shared", "V1234", "al.owner@nhs.net");
    let mut sides: Vec<Vec<String>> = vec![Vec::new(), Vec::new()];
    for (side, names) in sides.iter_mut().enumerate() {
        for i in 0..EACH {
            let n = 1 + side as u32 * 100 + i;
            let first = format!("Member{}", char::from(b'a' + (i as u8)));
            let last = if side == 0 { "Left" } else { "Right" };
            names.push(desk.new_account(&first, last, &mobile(n), "V1234").address.to_string());
        }
    }

    let start = Barrier::new(2);
    let results: Vec<Result<Done<caredesk::domain::mailbox::Mailbox>, caredesk::service::ServiceError>> =
        std::thread::scope(|scope| {
            let handles: Vec<_> = sides
                .iter()
                .map(|names| {
                    let (desk, start) = (&desk, &start);
                    scope.spawn(move || {
                        start.wait();
                        names
                            .iter()
                            .map(|a| {
                                desk.run(
                                    SUPERVISOR,
                                    in_hours(),
                                    &AddMember {
                                        mailbox: "sunrise.care@nhs.net".into(),
                                        account: a.clone(),
                                        reason: None,
                                    },
                                )
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
        });

    // A write that kept losing the race may be refused as a conflict; none
    // may be lost.
    let added = results.iter().filter(|r| r.is_ok()).count() as u32;
    for r in &results {
        if let Err(e) = r {
            assert!(e.is_conflict(), "only conflicts may refuse an addition: {e}");
        }
    }
    assert!(added > EACH, "most additions succeed: {added} of {}", 2 * EACH);
    let now = desk.mailbox("sunrise.care@nhs.net");
    let pairs = desk.member_ids(&mailbox).len() as u32;
    assert_eq!(pairs, 1 + added);
    assert_eq!(now.member_count, pairs, "member_count drifted from the membership pairs");
}

#[test]
fn queue_pages_come_in_due_order_and_show_only_what_is_asked() {
    let desk = Desk::new();
    sunrise(&desk);
    desk.add_operator("nas1", Role::Nas);
    desk.add_operator("nas2", Role::Nas);
    let now = utc("2026-01-07T12:00:00Z");
    // Created out of due order: CD-1 10:00, CD-2 09:30, CD-3 11:00, CD-4 09:15.
    for at in ["10:00", "09:30", "11:00", "09:15"] {
        let form = received(ticket_form(Category::General, "Jo Smith", Some("V1234")), &format!("2026-01-07T{at}:00Z"));
        desk.ok(SUPERVISOR, now, &form);
    }
    // A complex request from last night waits in the resolver group's queue.
    let night = received(ticket_form(Category::Leaver, "Jo Smith", Some("V1234")), "2026-01-06T20:00:00Z");
    let resolver = logged(&desk.ok(SUPERVISOR, now, &night));
    assert_eq!(resolver.routing.queue, Queue::Resolver);

    let nas = |limit| rows(&desk, "nas1", QueueView::Queue(Queue::Nas), StatusFilter::Open, limit);
    assert_eq!(nas(10), refs(&[4, 2, 1, 3]));
    assert_eq!(nas(3), refs(&[4, 2, 1]));
    assert_eq!(nas(1), refs(&[4]));
    assert_eq!(rows(&desk, "nas1", QueueView::Queue(Queue::Resolver), StatusFilter::Open, 10), refs(&[5]));

    for (op, t) in [("nas1", 1), ("nas1", 3), ("nas2", 2)] {
        desk.ok(op, now, &Claim { reference: TicketRef(t) });
    }
    assert_eq!(rows(&desk, "nas1", QueueView::Mine, StatusFilter::Open, 10), refs(&[1, 3]));
    assert_eq!(rows(&desk, "nas2", QueueView::Mine, StatusFilter::Open, 10), refs(&[2]));
    assert_eq!(rows(&desk, "nas1", QueueView::Mine, StatusFilter::Open, 1), refs(&[1]));
    let in_progress = StatusFilter::Only(TicketStatus::InProgress);
    assert_eq!(rows(&desk, "nas1", QueueView::Queue(Queue::Nas), in_progress, 10), refs(&[2, 1, 3]));

    desk.ok("nas1", now, &SetStatus { reference: TicketRef(1), status: TicketStatus::Resolved });
    assert_eq!(nas(10), refs(&[4, 2, 3]), "a resolved ticket leaves the open page");
    assert_eq!(rows(&desk, "nas1", QueueView::Queue(Queue::Nas), StatusFilter::Done, 10), refs(&[1]));
    assert_eq!(rows(&desk, "nas1", QueueView::Mine, StatusFilter::Open, 10), refs(&[3]));
    assert_eq!(rows(&desk, "nas1", QueueView::All, StatusFilter::Open, 10), refs(&[4, 2, 3, 5]));
}

#[test]
fn a_closed_ticket_can_be_reopened_as_its_refusal_advises() {
    let desk = Desk::new();
    let t = ticket_of(&desk.sup(&ticket_form(Category::General, "Jo Smith", None)));
    desk.sup(&SetStatus { reference: t, status: TicketStatus::Closed });
    let note = desk.refused(SUPERVISOR, in_hours(), &Note { reference: t, text: "more".into() });
    assert!(note.contains("reopen it"), "{note}");
    desk.run(SUPERVISOR, in_hours(), &SetStatus { reference: t, status: TicketStatus::InProgress })
        .expect("the advice is followable: a closed ticket can be reopened");
    desk.run(SUPERVISOR, in_hours(), &Note { reference: t, text: "more".into() })
        .expect("a reopened ticket takes notes again");
    // Closed again, it can be reopened but not moved to another final state.
    desk.sup(&SetStatus { reference: t, status: TicketStatus::Closed });
    let refused = desk.refused(SUPERVISOR, in_hours(), &SetStatus { reference: t, status: TicketStatus::Resolved });
    assert!(refused.contains("is closed"), "{refused}");
}

/// Queue lists are kept between changes (a daemon's consoles read the same
/// tabs over and over); a list read while tickets are being written must
/// never be served after those writes as if it were current.
#[test]
fn a_kept_queue_list_always_shows_every_ticket_written_before_it_was_asked_for() {
    const WRITERS: usize = 4;
    const EACH: usize = 30;
    let desk = Desk::new();
    sunrise(&desk);
    let slots = |desk: &Desk| -> Vec<TicketRef> {
        match desk.service.execute(
            &Ctx::new(SUPERVISOR, in_hours()),
            &ListTicketSlots { view: QueueView::All, filter: Default::default() },
        ) {
            Ok(s) => s.into_iter().map(|s| s.reference).collect(),
            other => panic!("slots answered {other:?}"),
        }
    };
    let done = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        let readers: Vec<_> = (0..2)
            .map(|_| {
                scope.spawn(|| {
                    let mut reads = 0;
                    while !done.load(std::sync::atomic::Ordering::SeqCst) {
                        slots(&desk);
                        reads += 1;
                    }
                    reads
                })
            })
            .collect();
        let writers: Vec<_> = (0..WRITERS)
            .map(|_| {
                scope.spawn(|| {
                    for _ in 0..EACH {
                        let form = ticket_form(Category::General, "Jo Smith", Some("V1234"));
                        let made = ticket_of(&desk.sup(&form));
                        // What this writer has just written is listed at once.
                        assert!(slots(&desk).contains(&made), "{made} missing from a list asked for after it");
                    }
                })
            })
            .collect();
        // Stop the readers even when a writer failed, so the failure is
        // reported rather than the test hanging.
        let written: Vec<_> = writers.into_iter().map(|w| w.join()).collect();
        done.store(true, std::sync::atomic::Ordering::SeqCst);
        for w in written {
            if let Err(panic) = w {
                std::panic::resume_unwind(panic);
            }
        }
        for r in readers {
            assert!(r.join().unwrap() > 0);
        }
    });
    assert_eq!(slots(&desk).len(), WRITERS * EACH);
    // A claim puts the ticket in the claimer's own list at once.
    let first = slots(&desk)[0];
    desk.sup(&Claim { reference: first });
    let mine = match desk.service.execute(
        &Ctx::new(SUPERVISOR, in_hours()),
        &ListTicketSlots { view: QueueView::Mine, filter: Default::default() },
    ) {
        Ok(s) => s,
        other => panic!("slots answered {other:?}"),
    };
    assert_eq!(mine.iter().map(|s| s.reference).collect::<Vec<_>>(), vec![first]);
}

fn follow(desk: &Desk, view: &QueueView, filter: &TicketFilter, since: Option<SlotsAt>) -> SlotListing {
    let query = FollowTicketSlots { view: view.clone(), filter: filter.clone(), since };
    desk.service.execute(&Ctx::new(SUPERVISOR, in_hours()), &query).expect("a listing")
}

/// A console holds its tab's list and, on each refresh, asks only for what
/// changed since. Whatever the writes in between (new tickets, claims,
/// hand-overs, closing, reopening), the list it ends with must be the one a
/// fresh read of the indexes gives.
#[test]
fn a_followed_queue_list_brought_up_to_date_by_its_changes_is_the_list_read_afresh() {
    let desk = Desk::new();
    sunrise(&desk);
    desk.add_operator("nas9", Role::Nas);
    let categories = [Category::PasswordReset, Category::General, Category::NewAccount, Category::Unlock];
    let mut made: Vec<TicketRef> =
        (0..8).map(|i| ticket_of(&desk.sup(&ticket_form(categories[i % 4], "Jo Smith", Some("V1234"))))).collect();
    let views = [QueueView::All, QueueView::Queue(Queue::Nas), QueueView::Queue(Queue::Helpdesk), QueueView::Mine];
    let filter = TicketFilter::default();
    let mut followers: Vec<(Vec<TicketSlot>, Option<SlotsAt>)> = views
        .iter()
        .map(|view| {
            let mut slots = Vec::new();
            let at = follow(&desk, view, &filter, None).apply(&mut slots);
            assert!(at.is_some(), "a whole list can be followed");
            (slots, at)
        })
        .collect();
    for step in 0..40usize {
        let pick = made[(step * 7) % made.len()];
        match step % 6 {
            0 => made.push(ticket_of(&desk.sup(&ticket_form(categories[step % 4], "Ann Lee", Some("V1234"))))),
            1 => {
                desk.run(SUPERVISOR, in_hours(), &Claim { reference: pick }).ok();
            }
            2 => {
                desk.run(SUPERVISOR, in_hours(), &Assign { reference: pick, to: Some("nas9".into()) }).ok();
            }
            3 => {
                desk.run(SUPERVISOR, in_hours(), &SetStatus { reference: pick, status: TicketStatus::Resolved }).ok();
            }
            4 => {
                desk.run(SUPERVISOR, in_hours(), &SetStatus { reference: pick, status: TicketStatus::InProgress }).ok();
            }
            _ => {
                // Two writes between refreshes.
                desk.run(SUPERVISOR, in_hours(), &Assign { reference: pick, to: None }).ok();
                made.push(ticket_of(&desk.sup(&ticket_form(Category::PasswordReset, "Bo Diaz", None))));
            }
        }
        for (view, (slots, at)) in views.iter().zip(followers.iter_mut()) {
            let answer = follow(&desk, view, &filter, *at);
            assert!(matches!(answer, SlotListing::Changes { .. }), "step {step}: {view:?} was sent whole");
            *at = answer.apply(slots);
            let fresh = rows(&desk, SUPERVISOR, view.clone(), StatusFilter::Open, 1000);
            assert_eq!(slots.iter().map(|s| s.reference).collect::<Vec<_>>(), fresh, "step {step}, {view:?}");
        }
    }
}

/// When the changes since a listing cannot be told, the whole list is sent.
#[test]
fn a_followed_queue_list_is_sent_whole_when_its_changes_cannot_be_told() {
    let desk = Desk::new();
    sunrise(&desk);
    desk.sup(&ticket_form(Category::General, "Jo Smith", None));
    let all = TicketFilter::default();
    let at = follow(&desk, &QueueView::All, &all, None).apply(&mut Vec::new());
    // From another run of the service: its generations mean nothing here.
    let other = Desk::new();
    assert!(matches!(follow(&other, &QueueView::All, &all, at), SlotListing::All { .. }));
    // The kept lists and the log were dropped.
    desk.service.forget_kept_lists();
    let whole = follow(&desk, &QueueView::All, &all, at);
    assert!(matches!(&whole, SlotListing::All { slots, at: Some(_) } if slots.len() == 1), "{whole:?}");
    // A filter by the clock moves without any write: never followed.
    let timed = TicketFilter::parse("breached").expect("a filter");
    assert!(matches!(follow(&desk, &QueueView::All, &timed, None), SlotListing::All { at: None, .. }));
}
