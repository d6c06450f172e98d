//! Pasted text used to run as keys: a two-line note was saved at its first
//! line break and the rest was taken as commands (`r` opened a reply form),
//! and a long paste crawled in a key at a time. A paste now goes whole into
//! the text field that has the keys, or nowhere, and says so.

use caredesk::console::form::PASTE_LIMIT;
use caredesk::console::pane::PaneId;
use caredesk::domain::ticket::{EntryKind, Ticket, TicketRef};
use caredesk::service::Ctx;
use caredesk::service::ops::ShowTicket;

use crate::world::*;

fn ticket(world: &World, reference: TicketRef) -> Ticket {
    world.service.execute(&Ctx::new(SUP, in_hours()), &ShowTicket { reference }).unwrap()
}

fn notes(world: &World, reference: TicketRef) -> Vec<String> {
    let t = ticket(world, reference);
    t.timeline.into_iter().filter(|e| e.kind == EntryKind::Note).map(|e| e.text).collect()
}

#[test]
fn a_pasted_multi_line_note_is_stored_whole_and_no_key_in_it_fires() {
    let world = World::new();
    let mut app = world.app(NAS, in_hours());
    let reference = app.queue().selected().expect("a selected ticket");
    app.press("i");
    // Line breaks as a terminal sends them (CR), then letters that are keys.
    app.paste("Caller rang back.\r\nreply by email\rs c q r\n");
    assert!(!app.should_quit(), "a q in the paste quit the console");
    let screen_now = screen(&mut app, 120, 40);
    assert!(screen_now.contains("Internal note on"), "the note form closed:\n{screen_now}");
    assert!(!screen_now.contains("Reply on"), "an r in the paste opened the reply form:\n{screen_now}");
    assert!(notes(&world, reference).is_empty(), "the paste saved the form");
    app.press("<enter>");
    assert_eq!(notes(&world, reference), ["Caller rang back.\nreply by email\ns c q r"]);
    assert_eq!(ticket(&world, reference).assignee, None, "a c in the paste claimed the ticket");
}

#[test]
fn a_paste_into_a_one_line_field_makes_line_breaks_spaces() {
    let world = World::new();
    let mut app = world.app(NAS, in_hours());
    app.press("2/");
    app.paste("sam\nsmith\u{1b}[31m");
    let text = screen(&mut app, 120, 40);
    assert!(text.contains("sam smith[31m"), "{text}");
    assert!(!text.contains('\u{1b}'), "{text}");
    assert_eq!(app.focus(), PaneId::Accounts);
}

#[test]
fn a_paste_where_no_field_has_the_keys_does_nothing_and_says_so() {
    let world = World::new();
    let mut app = world.app(NAS, in_hours());
    let reference = app.queue().selected().expect("a selected ticket");
    app.paste("cq2");
    assert!(message(&app).contains("nothing was pasted"), "{}", message(&app));
    assert!(!app.should_quit());
    assert_eq!(app.focus(), PaneId::Queue);
    assert_eq!(ticket(&world, reference).assignee, None);
}

#[test]
fn a_paste_up_to_the_limit_goes_in_at_once_and_a_longer_one_is_refused_whole() {
    let world = World::new();
    let mut app = world.app(NAS, in_hours());
    let reference = app.queue().selected().expect("a selected ticket");
    app.press("i");
    app.paste(&"x".repeat(PASTE_LIMIT + 1));
    assert!(message(&app).contains("at most 64 KiB"), "{}", message(&app));
    assert_eq!(app.queue().form_value("Note").as_deref(), Some(""), "part of a refused paste went in");
    app.paste(&"y".repeat(PASTE_LIMIT));
    assert_eq!(app.queue().form_value("Note").map(|v| v.len()), Some(PASTE_LIMIT), "the paste did not go in whole");
    app.press("<esc><esc>");
    assert!(notes(&world, reference).is_empty());
}
