//! The ticket queue: tabs, filter, the ticket view, and every way of
//! working a ticket, each checked against what the service then holds.

use caredesk::console::App;
use caredesk::console::pane::PaneId;
use caredesk::domain::routing::{Category, Queue};
use caredesk::domain::ticket::{Ticket, TicketRef, TicketStatus};
use caredesk::service::Ctx;
use caredesk::service::ops::*;

use crate::world::*;

fn ticket(world: &World, reference: TicketRef) -> Ticket {
    world.service.execute(&Ctx::new(SUP, in_hours()), &ShowTicket { reference }).unwrap()
}

fn selected(app: &App) -> TicketRef {
    app.queue().selected().expect("a selected ticket")
}

#[test]
fn tabs_show_each_queue_in_due_order() {
    let world = World::new();
    let mut app = world.app(NAS, in_hours());
    assert_eq!(app.queue().tab_label(), "NAS");
    assert_eq!(app.queue().len(), 2);
    let counts: Vec<(String, usize)> = (0..5)
        .map(|_| {
            app.press("]");
            (app.queue().tab_label().to_owned(), app.queue().len())
        })
        .collect();
    let want = [("helpdesk", 1), ("resolver", 1), ("mine", 0), ("all open", 4), ("NAS", 2)];
    assert_eq!(counts, want.map(|(l, n)| (l.to_owned(), n)));
    // Due order: the older new-starter request comes first.
    let first = ticket(&world, selected(&app));
    assert_eq!(first.category, Category::NewAccount);
    app.press("j");
    assert_eq!(ticket(&world, selected(&app)).category, Category::Leaver);
}

#[test]
fn claim_puts_the_ticket_in_mine_and_cannot_be_repeated() {
    let world = World::new();
    let mut app = world.app(NAS, in_hours());
    let reference = selected(&app);
    app.press("c");
    assert_eq!(ticket(&world, reference).assignee.as_deref(), Some(NAS));
    assert!(message(&app).contains("claimed"), "{}", message(&app));
    app.press("c");
    assert!(message(&app).contains("already yours"), "{}", message(&app));
    app.press(":queue mine<enter>");
    assert_eq!(app.queue().tab_label(), "mine");
    assert_eq!(app.queue().selected(), Some(reference));
}

#[test]
fn a_claim_lost_to_another_operator_says_who_won() {
    let world = World::new();
    let mut mine = world.app(NAS, in_hours());
    let reference = selected(&mine);
    world.run(SUP, in_hours(), &Claim { reference });
    mine.press("c");
    assert!(message(&mine).contains(SUP), "{}", message(&mine));
    assert_eq!(ticket(&world, reference).assignee.as_deref(), Some(SUP));
    // The screen now shows the winner.
    assert!(screen(&mut mine, 160, 48).contains(&format!("{SUP} ")), "the row should name {SUP}");
}

#[test]
fn assign_status_note_and_reply_go_through_forms() {
    let world = World::new();
    let mut app = world.app(NAS, in_hours());
    let reference = selected(&app);
    // Operators in name order after "nobody": harry, nina, rita, sup.
    app.press("a<right><right><enter>");
    assert_eq!(ticket(&world, reference).assignee.as_deref(), Some(NAS));
    app.press("s<right><enter>");
    assert_eq!(ticket(&world, reference).status, TicketStatus::InProgress);
    app.press("iChecked the DSPT status<enter>");
    app.press("rWe have set this up<enter>");
    let t = ticket(&world, reference);
    let texts: Vec<&str> = t.timeline.iter().map(|e| e.text.as_str()).collect();
    assert!(texts.contains(&"Checked the DSPT status"), "{texts:?}");
    assert!(texts.contains(&"We have set this up"), "{texts:?}");
    // The ticket view shows the timeline.
    app.press("<enter>");
    let text = screen(&mut app, 120, 40);
    assert!(text.contains("[note] Checked the DSPT status"), "{text}");
    assert!(text.contains("[reply] We have set this up"), "{text}");
    app.press("<esc>");
    assert!(app.queue().detail().is_none());
}

#[test]
fn an_empty_note_is_refused_in_the_form_and_esc_asks_before_discarding() {
    let world = World::new();
    let mut app = world.app(NAS, in_hours());
    app.press("i<enter>");
    assert!(app.queue().has_form(), "an empty note must not be saved");
    app.press("half a thought<esc>");
    assert!(app.queue().has_form(), "the first esc only warns");
    app.press("<esc>");
    assert!(!app.queue().has_form());
}

#[test]
fn link_then_follow_to_the_account() {
    let world = World::new();
    let mut app = world.app(NAS, in_hours());
    let reference = selected(&app);
    app.press("lsam.smith@nhs.net<enter>");
    assert!(ticket(&world, reference).account.is_some(), "{}", message(&app));
    app.press("<enter>o");
    assert_eq!(app.focus(), PaneId::Accounts);
}

#[test]
fn a_new_ticket_previews_its_route_and_lands_in_that_queue() {
    let world = World::new();
    let mut app = world.app(HELPDESK, out_of_hours());
    app.press("n");
    assert_eq!(app.queue().form_value("Category").as_deref(), Some("password-reset"));
    let text = screen(&mut app, 120, 40);
    assert!(text.contains("→ national helpdesk queue"), "{text}");
    // Five steps right: leaver, a complex request.
    app.press("<right><right><right><right><right>");
    assert_eq!(app.queue().form_value("Category").as_deref(), Some("leaver"));
    let text = screen(&mut app, 120, 40);
    assert!(text.contains("→ resolver group queue · work from Tue 24 Nov 09:00"), "{text}");
    assert!(text.contains("still needs: the organisation's ODS code"), "{text}");
    // The fields the category needs say so while they are empty.
    assert!(text.contains("ODS code needed for leaver"), "{text}");
    assert!(!text.contains("Requester needed for"), "a leaver request needs no full name: {text}");
    app.press("<tab><tab>Jo Bloggs<tab><tab><tab>V1A2B<tab><tab><tab><tab>Ann Jones leaves Friday<enter>");
    assert!(!app.queue().has_form(), "{}", message(&app));
    assert_eq!(app.queue().tab_label(), "resolver");
    let t = ticket(&world, selected(&app));
    assert_eq!((t.category, t.routing.queue), (Category::Leaver, Queue::Resolver));
    assert_eq!(t.subject, "Ann Jones leaves Friday");
}

#[test]
fn a_refused_new_ticket_keeps_the_form_and_says_why() {
    let world = World::new();
    let mut app = world.app(NAS, in_hours());
    // Leaver without an ODS code.
    app.press("n<right><right><right><right><right><tab><tab>Jo Bloggs<enter>");
    assert!(app.queue().has_form());
    let text = screen(&mut app, 120, 40);
    assert!(text.contains("ODS"), "{text}");
    assert_eq!(app.queue().form_value("Requester").as_deref(), Some("Jo Bloggs"));
}

#[test]
fn the_filter_line_narrows_the_list() {
    let world = World::new();
    let mut app = world.app(SUP, in_hours());
    assert_eq!(app.queue().tab_label(), "all open");
    assert_eq!(app.queue().len(), 4);
    app.press("/cat:leaver<enter>");
    assert_eq!(app.queue().len(), 1);
    app.press("/org:X9Y8Z<enter>");
    assert_eq!(app.queue().len(), 0);
    assert!(screen(&mut app, 120, 30).contains("no tickets match the filter"));
    app.press("/<ctrl-u>status:new org:V1A2B<enter>");
    assert_eq!(app.queue().len(), 4);
    app.press("/colour:red<enter>");
    assert!(message(&app).contains("unknown filter"), "{}", message(&app));
    app.press("<esc><esc>");
    assert!(app.queue().filter().is_default());
}

#[test]
fn work_outside_the_operators_queue_is_shown_disabled_with_the_reason() {
    let world = World::new();
    let mut app = world.app(HELPDESK, in_hours());
    app.press(":queue nas<enter>");
    app.press("c");
    assert!(message(&app).contains("helpdesk agents do simple tasks"), "{}", message(&app));
    assert_eq!(ticket(&world, selected(&app)).assignee, None);
}

#[test]
fn only_the_rows_on_screen_are_read() {
    let world = World::new();
    for i in 0..300 {
        let new = crate::world::ticket(Category::Unlock, "Pat Lee", Some(OAK), &format!("Locked out {i}"));
        world.run(SUP, out_of_hours(), &new);
    }
    let mut app = world.app(HELPDESK, out_of_hours());
    screen(&mut app, 80, 24);
    assert_eq!(app.queue().len(), 301);
    assert!(app.queue().rows_read() <= 20, "read {} rows for one screen", app.queue().rows_read());
    app.press("G");
    screen(&mut app, 80, 24);
    assert!(app.queue().rows_read() <= 40, "read {} rows for two screens", app.queue().rows_read());
    assert!(screen(&mut app, 80, 24).contains("CD-000304"), "the last row is on screen");
}

#[test]
fn snapshots_of_the_queue() {
    let world = World::new();
    let mut app = world.app(NAS, in_hours());
    insta::assert_snapshot!("queue_80x24", screen(&mut app, 80, 24));
    insta::assert_snapshot!("queue_160x48", screen(&mut app, 160, 48));
    app.press("iCalled back, no answer<enter><enter>");
    insta::assert_snapshot!("ticket_view_80x24", screen(&mut app, 80, 24));
    app.press("<esc>n");
    insta::assert_snapshot!("new_ticket_160x48", screen(&mut app, 160, 48));
}

#[test]
fn status_form_opened_from_the_ticket_view_starts_at_the_current_status_not_new() {
    let world = World::new();
    let mut app = world.app(NAS, in_hours());
    let reference = selected(&app);
    app.press("s<right><enter>");
    assert_eq!(ticket(&world, reference).status, TicketStatus::InProgress);
    // Open the ticket view and ask for the status form before the list is
    // drawn again: it must start at in-progress.
    app.press("<enter>s");
    assert_eq!(app.queue().form_value("Status").as_deref(), Some("in-progress"));
    app.press("<esc>");
    app.press("<esc>s");
    assert_eq!(app.queue().form_value("Status").as_deref(), Some("in-progress"));
}

#[test]
fn a_note_added_from_the_ticket_view_scrolls_it_to_show_the_note() {
    let world = World::new();
    let mut app = world.app(NAS, in_hours());
    app.press("<enter>");
    assert_eq!(app.queue().detail_scroll(), 0);
    app.press("iCalled the manager back<enter>");
    assert!(app.queue().detail_scroll() > 0, "the view should follow the new note");
    // At 80x24 the new note is on screen without any scrolling key.
    let text = screen(&mut app, 80, 24);
    assert!(text.contains("Called the manager back"), "{text}");
    // Leaving the view and opening another ticket starts at the top again.
    app.press("<esc>j<enter>");
    assert_eq!(app.queue().detail_scroll(), 0);
}

#[test]
fn timeline_shows_london_time_not_raw_utc_instants() {
    let world = World::new();
    let mut app = world.app(NAS, in_hours());
    app.press("<enter>");
    let text = screen(&mut app, 200, 50);
    assert!(text.contains("routed to the"), "the routing event should be on screen: {text}");
    let raw = text
        .split_whitespace()
        .any(|w| w.len() >= 20 && w.contains('T') && w.trim_end_matches([',', ';']).ends_with('Z'));
    assert!(!raw, "a raw UTC instant is on screen: {text}");
}

#[test]
fn the_queue_shows_a_subject_at_every_width() {
    let world = World::new();
    let mut app = world.app(SUP, in_hours());
    for (width, height) in [(80, 24), (120, 40), (200, 50)] {
        let text = screen(&mut app, width, height);
        assert!(text.contains("subject"), "{width} columns:\n{text}");
        assert!(text.contains("Sam is leav"), "{width} columns:\n{text}");
    }
}

#[test]
fn wide_screens_show_whole_assignee_names_so_resolver1_and_resolver2_differ() {
    let world = World::new();
    for name in ["resolver1", "resolver2"] {
        world.run(
            SUP,
            in_hours(),
            &AddOperator { username: name.into(), role: caredesk::domain::permission::Role::Resolver },
        );
    }
    let slots = world.run(
        SUP,
        in_hours(),
        &ListTicketSlots { view: caredesk::service::QueueView::All, filter: Default::default() },
    );
    for (slot, name) in slots.iter().zip(["resolver1", "resolver2"]) {
        world.run(SUP, in_hours(), &Assign { reference: slot.reference, to: Some(name.into()) });
    }
    let mut app = world.app(SUP, in_hours());
    let text = screen(&mut app, 200, 50);
    assert!(text.contains("resolver1") && text.contains("resolver2"), "{text}");
}

#[test]
fn a_word_without_a_colon_is_searched_for_in_subject_and_body_not_refused() {
    let world = World::new();
    let mut app = world.app(SUP, in_hours());
    app.press("/office<enter>");
    assert!(!message(&app).contains("unknown filter"), "{}", message(&app));
    assert_eq!(app.queue().len(), 4, "every body says the office line");
    app.press("/<ctrl-u>leaving<enter>");
    assert_eq!(app.queue().len(), 1, "one subject says leaving");
    app.press("/<ctrl-u>-leaving !status:in-progress<enter>");
    assert_eq!(app.queue().len(), 3);
    app.press("/<ctrl-u>overdue<enter>");
    let overdue = app.queue().len();
    app.press("/<ctrl-u>breached<enter>");
    assert_eq!(app.queue().len(), overdue, "overdue is another word for breached");
    assert!(overdue > 0 && overdue < 4, "some of the tickets are past due: {overdue}");
}

#[test]
fn sort_words_order_the_list_and_a_minus_reverses_it() {
    let world = World::new();
    let mut app = world.app(SUP, in_hours());
    app.press("/sort:age<enter>");
    let oldest_first = selected(&app);
    app.press("/<ctrl-u>sort:-age<enter>");
    app.press("G");
    assert_eq!(selected(&app), oldest_first, "reversed, the oldest is last");
    app.press("/<ctrl-u>sort:-updated<enter>");
    assert!(!message(&app).contains("not a sort key"), "{}", message(&app));
    assert_eq!(app.queue().len(), 4);
}

#[test]
fn the_help_screen_documents_the_filter_language() {
    let world = World::new();
    let mut app = world.app(NAS, in_hours());
    app.press("?");
    let text = screen(&mut app, 160, 120);
    for word in ["due:<2h", "age:>3d", "breached", "sort:age", "-cat:leaver", "subject or body"] {
        assert!(text.contains(word), "help lacks {word}:\n{text}");
    }
}

/// What a colleague does to the ticket meanwhile.
type Colleague = dyn Fn(&caredesk::service::Service, TicketRef) + Send;

/// A desk on which a colleague's change lands once, just before the
/// operator's first note or status change arrives.
struct ColleagueFirst {
    inner: caredesk::console::LocalDesk,
    service: std::sync::Arc<caredesk::service::Service>,
    colleague: Box<Colleague>,
    raced: std::cell::Cell<bool>,
}

impl caredesk::console::Desk for ColleagueFirst {
    fn operator(&self) -> &str {
        self.inner.operator()
    }
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.inner.now()
    }
    fn dispatch(
        &self,
        request: caredesk::service::Request,
        based_on: Option<u64>,
    ) -> Result<caredesk::service::Answer, caredesk::service::ServiceError> {
        use caredesk::service::Request;
        let reference = match &request {
            Request::Note(Note { reference, .. }) | Request::SetStatus(SetStatus { reference, .. }) => Some(*reference),
            _ => None,
        };
        if let Some(reference) = reference.filter(|_| !self.raced.replace(true)) {
            (self.colleague)(&self.service, reference);
        }
        self.inner.dispatch(request, based_on)
    }
}

fn racing_app(world: &World, colleague: impl Fn(&caredesk::service::Service, TicketRef) + Send + 'static) -> App {
    use caredesk::console::{Clock, LocalDesk};
    let desk = ColleagueFirst {
        inner: LocalDesk::new(world.service.clone(), NAS, Clock::Fixed(in_hours())),
        service: world.service.clone(),
        colleague: Box::new(colleague),
        raced: std::cell::Cell::new(false),
    };
    App::new(Box::new(desk), caredesk::console::KeyMap::default(), caredesk::console::Theme::plain())
        .expect("a console")
}

#[test]
fn a_note_refused_for_a_colleagues_change_is_saved_on_the_next_enter_not_refused_for_ever() {
    let world = World::new();
    let mut app = racing_app(&world, |service, reference| {
        service.execute(&Ctx::new(SUP, in_hours()), &Claim { reference }).expect("the colleague's claim");
    });
    let reference = selected(&app);
    app.press("iCalled the requester<enter>");
    assert!(app.queue().has_form(), "the form stays open after the conflict");
    assert_eq!(app.queue().form_value("Note").as_deref(), Some("Called the requester"), "the input is kept");
    let text = screen(&mut app, 120, 40);
    assert!(text.contains("assignee nobody → sup"), "the form says what changed:\n{text}");
    assert!(!format!("{:?}", ticket(&world, reference).timeline).contains("Called the requester"));
    app.press("<enter>");
    assert!(!app.queue().has_form(), "{}", message(&app));
    let saved = ticket(&world, reference);
    assert!(format!("{:?}", saved.timeline).contains("Called the requester"), "the retried note was saved");
    assert_eq!(saved.assignee.as_deref(), Some(SUP), "on top of the colleague's change");
}

#[test]
fn a_note_on_a_ticket_a_colleague_resolved_meanwhile_is_not_sent_again_and_the_form_says_why() {
    let world = World::new();
    let mut app = racing_app(&world, |service, reference| {
        let resolve = SetStatus { reference, status: TicketStatus::Resolved };
        service.execute(&Ctx::new(SUP, in_hours()), &resolve).expect("the colleague resolves it");
    });
    let reference = selected(&app);
    app.press("iCalled the requester<enter>");
    let text = screen(&mut app, 120, 40);
    assert!(text.contains("status new → resolved"), "{text}");
    assert!(text.contains("nothing more can be added"), "{text}");
    app.press("<enter>");
    assert!(app.queue().has_form(), "the next enter does not send it");
    assert!(screen(&mut app, 120, 40).contains("nothing more can be added"));
    assert!(!format!("{:?}", ticket(&world, reference).timeline).contains("Called the requester"));
}

#[test]
fn a_status_a_colleague_already_set_is_not_sent_again() {
    let world = World::new();
    let mut app = racing_app(&world, |service, reference| {
        let set = SetStatus { reference, status: TicketStatus::InProgress };
        service.execute(&Ctx::new(SUP, in_hours()), &set).expect("the colleague's status");
    });
    // The status form opens at new; one step right is in-progress.
    app.press("s<right><enter>");
    assert_eq!(app.queue().form_value("Status").as_deref(), Some("in-progress"));
    let text = screen(&mut app, 120, 40);
    assert!(text.contains("already in-progress") || text.contains("already in progress"), "{text}");
    app.press("<right><enter>");
    assert!(!app.queue().has_form(), "another status goes through: {}", screen(&mut app, 120, 40));
}

/// A console whose clock the test moves; the service sees the same time.
struct MovingClock {
    service: std::sync::Arc<caredesk::service::Service>,
    operator: String,
    now: std::sync::Arc<std::sync::Mutex<chrono::DateTime<chrono::Utc>>>,
}

impl caredesk::console::Desk for MovingClock {
    fn operator(&self) -> &str {
        &self.operator
    }
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        *self.now.lock().unwrap()
    }
    fn dispatch(
        &self,
        request: caredesk::service::Request,
        based_on: Option<u64>,
    ) -> Result<caredesk::service::Answer, caredesk::service::ServiceError> {
        use caredesk::console::{Clock, LocalDesk};
        LocalDesk::new(self.service.clone(), &self.operator, Clock::Fixed(self.now())).dispatch(request, based_on)
    }
}

#[test]
fn a_ticket_near_its_due_time_is_flagged_and_its_assignee_told_when_it_crosses() {
    let world = World::new();
    let new = crate::world::ticket(Category::Leaver, "Sam Smith", Some(OAK), "Leaver form");
    let t = world.run(SUP, in_hours(), &new).record;
    world.run(SUP, in_hours(), &Assign { reference: t.reference, to: Some(NAS.into()) });
    let due = t.routing.due_at;
    let now = std::sync::Arc::new(std::sync::Mutex::new(due - chrono::TimeDelta::hours(3)));
    let desk = MovingClock { service: world.service.clone(), operator: NAS.into(), now: now.clone() };
    let mut app =
        App::new(Box::new(desk), caredesk::console::KeyMap::default(), caredesk::console::Theme::plain()).unwrap();
    app.press(":queue mine<enter>");
    let row = |app: &mut App| {
        screen(app, 120, 30).lines().find(|l| l.contains(&t.reference.to_string())).unwrap_or_default().to_owned()
    };
    assert!(!row(&mut app).contains("soon"), "{}", row(&mut app));
    assert!(!message(&app).contains("due soon"));

    *now.lock().unwrap() = due - chrono::TimeDelta::minutes(30);
    assert!(app.tick());
    assert!(row(&mut app).contains("soon"), "flagged in the list: {}", row(&mut app));
    assert_eq!(
        message(&app),
        format!("{} is due soon ({})", t.reference, due.with_timezone(&chrono_tz::Europe::London).format("%H:%M"))
    );
    app.press("<enter>");
    assert!(screen(&mut app, 120, 30).contains("DUE SOON"), "flagged in the ticket view");
    app.press("<esc>");

    *now.lock().unwrap() = due + chrono::TimeDelta::minutes(1);
    assert!(app.tick());
    assert!(message(&app).contains(&format!("{} is past its due time", t.reference)), "{}", message(&app));
    assert!(row(&mut app).contains('!'), "{}", row(&mut app));
    app.press("<enter>");
    assert!(screen(&mut app, 120, 30).contains("BREACHED"));
}

#[test]
fn a_colleague_is_not_told_of_a_ticket_that_is_not_theirs() {
    let world = World::new();
    let new = crate::world::ticket(Category::Leaver, "Sam Smith", Some(OAK), "Leaver form");
    let t = world.run(SUP, in_hours(), &new).record;
    world.run(SUP, in_hours(), &Assign { reference: t.reference, to: Some(NAS.into()) });
    let now = std::sync::Arc::new(std::sync::Mutex::new(t.routing.due_at - chrono::TimeDelta::hours(3)));
    let desk = MovingClock { service: world.service.clone(), operator: HELPDESK.into(), now: now.clone() };
    let mut app =
        App::new(Box::new(desk), caredesk::console::KeyMap::default(), caredesk::console::Theme::plain()).unwrap();
    *now.lock().unwrap() = t.routing.due_at - chrono::TimeDelta::minutes(30);
    app.tick();
    assert!(!message(&app).contains("due soon"), "{}", message(&app));
}

#[test]
fn saved_views_are_queue_tabs_with_a_count_on_each() {
    use caredesk::service::QueueView;
    let world = World::new();
    let shared = SaveView { name: "leavers".into(), queue: QueueView::All, filter: "cat:leaver".into(), shared: true };
    world.run(SUP, in_hours(), &shared);
    let own = SaveView { name: "oak".into(), queue: "nas".parse().unwrap(), filter: "org:V1A2B".into(), shared: false };
    world.run(NAS, in_hours(), &own);
    let mut app = world.app(NAS, in_hours());
    let text = screen(&mut app, 120, 30);
    let tabs = text.lines().find(|l| l.contains("all open")).unwrap_or_default();
    assert!(tabs.contains("+leavers 1") && tabs.contains("oak 2"), "each view is a tab with its count: {tabs}");
    app.press(":queue leavers<enter>");
    assert_eq!(app.queue().tab_label(), "leavers");
    assert_eq!(app.queue().len(), 1);
    assert_eq!(app.queue().filter().to_string(), "cat:leaver", "the view's words are on the filter line");
    insta::assert_snapshot!("view_tabs_80x24", screen(&mut app, 80, 24));
    insta::assert_snapshot!("view_tabs_200x50", screen(&mut app, 200, 50));
    app.press("<right>");
    assert_eq!(app.queue().tab_label(), "oak", "the next tab is the next view");
    assert_eq!(app.queue().len(), 2);
    app.press("<right>");
    assert_eq!(app.queue().tab_label(), "NAS", "round to the first tab");
    assert!(app.queue().filter().is_default(), "a built-in tab after a view is unfiltered");

    let mut other = world.app(HELPDESK, in_hours());
    let text = screen(&mut other, 120, 30);
    assert!(text.contains("+leavers 1"), "a shared view is everyone's");
    assert!(!text.contains("oak 2"), "a personal view is its owner's only");
}

#[test]
fn a_supervisor_is_told_when_any_ticket_crosses_its_due_time() {
    let world = World::new();
    let new = crate::world::ticket(Category::Leaver, "Sam Smith", Some(OAK), "Leaver form");
    let t = world.run(SUP, in_hours(), &new).record;
    let now = std::sync::Arc::new(std::sync::Mutex::new(t.routing.due_at - chrono::TimeDelta::hours(3)));
    let desk = MovingClock { service: world.service.clone(), operator: SUP.into(), now: now.clone() };
    let mut app =
        App::new(Box::new(desk), caredesk::console::KeyMap::default(), caredesk::console::Theme::plain()).unwrap();
    *now.lock().unwrap() = t.routing.due_at + chrono::TimeDelta::minutes(1);
    app.tick();
    assert!(
        message(&app).contains(&format!("{} is past its due time", t.reference)),
        "unassigned, but a supervisor hears of it: {}",
        message(&app)
    );
}

#[test]
fn the_view_command_saves_the_tab_and_filter_as_a_new_tab() {
    let world = World::new();
    let mut app = world.app(NAS, in_hours());
    app.press("/cat:leaver<enter>:view my leavers<enter>");
    assert!(message(&app).contains("my leavers"), "{}", message(&app));
    let tabs = screen(&mut app, 120, 30);
    assert!(tabs.lines().any(|l| l.contains("all open") && l.contains("my leavers 1")), "{tabs}");
    app.press(":view<enter>");
    assert!(message(&app).contains("view needs NAME"), "{}", message(&app));
}

#[test]
fn a_supervisor_shares_a_view_from_the_console_and_everyone_gets_its_tab() {
    let world = World::new();
    let mut sup = world.app(SUP, in_hours());
    sup.press("/cat:leaver<enter>:share leavers today<enter>");
    assert!(message(&sup).contains("leavers today"), "{}", message(&sup));
    // Another operator's console has the shared tab, with its count.
    let mut nina = world.app(NAS, in_hours());
    let tabs = screen(&mut nina, 160, 40);
    assert!(tabs.lines().any(|l| l.contains("leavers today 1")), "{tabs}");
    // Only a supervisor shares or removes a shared view.
    nina.press(":share mine too<enter>");
    assert!(message(&nina).contains("only a supervisor shares views"), "{}", message(&nina));
    nina.press(":unshare leavers today<enter>");
    assert!(message(&nina).contains("only a supervisor removes a shared view"), "{}", message(&nina));
    sup.press(":unshare leavers today<enter>");
    assert_eq!(message(&sup), "view leavers today removed");
    let mut nina = world.app(NAS, in_hours());
    assert!(!screen(&mut nina, 160, 40).contains("leavers today"), "the shared tab is gone");
}

#[test]
fn an_operator_removes_their_own_view_from_the_console() {
    let world = World::new();
    let mut app = world.app(NAS, in_hours());
    app.press("/cat:leaver<enter>:view my leavers<enter>");
    assert!(screen(&mut app, 160, 40).contains("my leavers 1"));
    app.press(":unview my leavers<enter>");
    assert_eq!(message(&app), "view my leavers removed");
    let tabs = screen(&mut app, 160, 40);
    assert!(!tabs.contains("my leavers 1"), "the tab is gone:\n{tabs}");
    app.press(":unview my leavers<enter>");
    assert!(message(&app).contains("no view"), "{}", message(&app));
}

#[test]
fn at_80_columns_the_selected_tab_is_on_screen_however_many_views_there_are() {
    let world = World::new();
    let mut app = world.app(NAS, in_hours());
    let names = ["leavers", "passwords", "mailboxes", "joiners", "dormant", "sharers", "urgent work", "last view"];
    for name in names {
        app.press(&format!("/cat:leaver<enter>:view {name}<enter>"));
    }
    // Going back past the first tab lands on the last, the views being in
    // name order: "urgent work".
    app.press("<left>");
    let shown = screen(&mut app, 80, 24);
    let tabs = shown.lines().find(|l| l.contains("urgent work 1")).unwrap_or_else(|| panic!("no tab line:\n{shown}"));
    assert!(tabs.contains('‹'), "the tabs left off before it are counted: {tabs}");
    assert!(tabs.chars().count() <= 80, "{tabs}");
    // Back at the first tab, the ones left off are counted after it.
    app.press("<right>");
    let shown = screen(&mut app, 80, 24);
    let tabs = shown.lines().find(|l| l.contains("all open")).unwrap_or_else(|| panic!("no tab line:\n{shown}"));
    assert!(tabs.contains('›') && !tabs.contains("urgent work"), "{tabs}");
}
