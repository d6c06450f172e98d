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
