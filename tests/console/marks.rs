//! Mark mode: marking rows, a bulk claim of the marked tickets with each
//! refusal named, and undo straight after, checked against the service.

use caredesk::console::App;
use caredesk::domain::routing::Category;
use caredesk::domain::ticket::TicketRef;
use caredesk::service::ops::*;

use crate::world::*;

fn assignee(world: &World, reference: TicketRef) -> Option<String> {
    world.run(SUP, in_hours(), &ShowTicketDetail { reference }).ticket.assignee
}

#[test]
fn space_marks_rows_and_claim_takes_every_marked_ticket_then_u_undoes_it() {
    let world = World::new();
    let mut app = world.app(SUP, in_hours());
    app.press("<space>j<space>");
    let screen = screen(&mut app, 80, 24);
    assert!(screen.contains("2 marked"), "the count shows:\n{screen}");
    assert_eq!(
        screen.matches("*CD-").count() + screen.matches("»CD-").count(),
        2,
        "two rows carry the mark:\n{screen}"
    );
    insta::assert_snapshot!("marked_rows_80x24", screen);
    insta::assert_snapshot!("marked_rows_200x50", crate::world::screen(&mut app, 200, 50));

    app.press("k");
    let first = app.queue().selected().expect("a row");
    app.press("j");
    let second = app.queue().selected().expect("a row");
    app.press("c");
    let said = message(&app);
    assert!(said.contains("2 of 2"), "{said}");
    assert!(said.contains("u undoes it"), "{said}");
    assert_eq!(assignee(&world, first).as_deref(), Some(SUP));
    assert_eq!(assignee(&world, second).as_deref(), Some(SUP));
    assert!(!screen_text(&mut app).contains("marked ·"), "the marks are spent");

    app.press("u");
    let said = message(&app);
    assert!(said.starts_with("undid batch"), "{said}");
    assert_eq!(assignee(&world, first), None, "undo takes the claim back");
    assert_eq!(assignee(&world, second), None);
    app.press("u");
    assert!(message(&app).starts_with("nothing to undo"), "a second undo has nothing to take back");
}

fn screen_text(app: &mut App) -> String {
    screen(app, 80, 24)
}

#[test]
fn mark_all_claims_what_is_left_and_names_the_ticket_a_colleague_took() {
    let world = World::new();
    world.run(SUP, in_hours(), &ticket(Category::Leaver, "Jo Bloggs", Some(OAK), "Another leaver"));
    let mut app = world.app(SUP, in_hours());
    app.press("*");
    let total = app.queue().len();
    assert!(screen_text(&mut app).contains(&format!("{total} marked")));
    // Meanwhile a colleague claims the selected one.
    let taken = app.queue().selected().expect("a row");
    world.run(NAS, in_hours(), &Claim { reference: taken });
    app.press("c");
    let said = message(&app);
    assert!(said.contains(&format!("{} of {total}", total - 1)), "{said}");
    assert!(said.contains(&format!("{taken}:")), "the refusal is named with its reason: {said}");
    assert_eq!(assignee(&world, taken).as_deref(), Some(NAS), "the colleague keeps it");

    app.press("u");
    assert_eq!(assignee(&world, taken).as_deref(), Some(NAS), "undo leaves the colleague's claim alone");
    for r in world.run(
        SUP,
        in_hours(),
        &ListTicketSlots { view: caredesk::service::QueueView::All, filter: Default::default() },
    ) {
        if r.reference != taken {
            assert_eq!(assignee(&world, r.reference), None, "{} should be unclaimed again", r.reference);
        }
    }
}

#[test]
fn star_again_unmarks_and_undo_is_only_for_straight_after() {
    let world = World::new();
    let mut app = world.app(SUP, in_hours());
    app.press("**");
    assert!(!screen_text(&mut app).contains("marked"), "a second * clears the marks");
    app.press("<space>c");
    assert!(message(&app).contains("1 of 1"), "{}", message(&app));
    app.press("/cat:leaver<enter>u");
    assert!(message(&app).starts_with("nothing to undo"), "{}", message(&app));
}

fn status(world: &World, reference: TicketRef) -> caredesk::domain::ticket::TicketStatus {
    world.run(SUP, in_hours(), &ShowTicketDetail { reference }).ticket.status
}

fn timeline(world: &World, reference: TicketRef) -> String {
    format!("{:?}", world.run(SUP, in_hours(), &ShowTicketDetail { reference }).ticket.timeline)
}

/// The two rows marked by `<space>j<space>`, in screen order.
fn mark_two(app: &mut App) -> (TicketRef, TicketRef) {
    let first = app.queue().selected().expect("a row");
    app.press("<space>j<space>");
    let second = app.queue().selected().expect("a row");
    (first, second)
}

#[test]
fn assign_applies_to_every_marked_ticket_as_one_batch_and_u_undoes_it() {
    let world = World::new();
    let mut app = world.app(SUP, in_hours());
    let (first, second) = mark_two(&mut app);
    app.press("a");
    let form = screen(&mut app, 120, 40);
    assert!(form.contains("Assign 2 marked tickets"), "{form}");
    assert!(form.contains("u straight after undoes it"), "{form}");
    while app.queue().form_value("Operator").as_deref() != Some(NAS) {
        app.press("<right>");
    }
    app.press("<enter>");
    let said = message(&app);
    assert!(said.contains("2 of 2") && said.contains("u undoes it"), "{said}");
    assert_eq!(assignee(&world, first).as_deref(), Some(NAS));
    assert_eq!(assignee(&world, second).as_deref(), Some(NAS));
    app.press("u");
    assert_eq!(assignee(&world, first), None, "undo takes both back");
    assert_eq!(assignee(&world, second), None);
}

#[test]
fn a_note_on_marked_tickets_says_it_cannot_be_undone_before_it_runs() {
    let world = World::new();
    let mut app = world.app(SUP, in_hours());
    let (first, second) = mark_two(&mut app);
    app.press("i");
    let form = screen(&mut app, 120, 40);
    assert!(form.contains("this cannot be undone"), "said before it runs:\n{form}");
    assert!(!timeline(&world, first).contains("Chased by phone"));
    app.press("Chased by phone<enter>");
    let said = message(&app);
    assert!(said.contains("2 of 2") && !said.contains("u undoes it"), "{said}");
    assert!(timeline(&world, first).contains("Chased by phone"));
    assert!(timeline(&world, second).contains("Chased by phone"));
    app.press("u");
    assert!(message(&app).starts_with("nothing to undo"), "{}", message(&app));
}

#[test]
fn status_link_and_close_act_on_every_marked_ticket_and_list_each_refusal() {
    use caredesk::domain::ticket::TicketStatus;
    let world = World::new();
    let mut app = world.app(SUP, in_hours());
    let (first, second) = mark_two(&mut app);
    app.press("s");
    while app.queue().form_value("Status").as_deref() != Some("waiting-on-requester") {
        app.press("<right>");
    }
    app.press("<enter>");
    assert!(message(&app).contains("2 of 2"), "{}", message(&app));
    assert_eq!(status(&world, first), TicketStatus::WaitingOnRequester);
    assert_eq!(status(&world, second), TicketStatus::WaitingOnRequester);

    app.press("gg");
    let (first, second) = mark_two(&mut app);
    app.press("l<tab>oaklodge.team@nhs.net<enter>");
    assert!(message(&app).contains("2 of 2"), "{}", message(&app));
    assert!(timeline(&world, first).contains("oaklodge.team@nhs.net"));

    // A colleague closes one meanwhile: the batch names it with its reason.
    app.press("gg");
    let (first, second) = (first, second);
    let _ = mark_two(&mut app);
    world.run(NAS, in_hours(), &SetStatus { reference: second, status: TicketStatus::Closed });
    app.press("X");
    assert!(screen(&mut app, 120, 40).contains("Close 2 marked tickets"));
    app.press("<enter>");
    let said = message(&app);
    assert!(said.contains("1 of 2") && said.contains(&format!("{second}:")), "{said}");
    assert_eq!(status(&world, first), TicketStatus::Closed);
}

#[test]
fn close_on_one_ticket_is_a_batch_of_one_that_u_undoes() {
    use caredesk::domain::ticket::TicketStatus;
    let world = World::new();
    let mut app = world.app(SUP, in_hours());
    let reference = app.queue().selected().expect("a row");
    app.press("X");
    assert!(screen(&mut app, 120, 40).contains(&format!("Close {reference}")));
    app.press("<enter>");
    assert_eq!(status(&world, reference), TicketStatus::Closed, "{}", message(&app));
    app.press("u");
    assert!(status(&world, reference).is_open(), "undo reopens it: {}", message(&app));
}

#[test]
fn a_reply_is_not_sent_to_marked_tickets() {
    let world = World::new();
    let mut app = world.app(SUP, in_hours());
    mark_two(&mut app);
    app.press("r");
    assert!(!app.queue().has_form());
    assert!(message(&app).contains("cannot be taken back"), "{}", message(&app));
}
