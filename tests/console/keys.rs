//! Forms, questions and the `:` commands read the keymap like every other
//! key: they used to hard-code enter, esc and y, so a rebinding did not
//! reach them and the help screen could not say what they were. `:help`
//! said it listed the commands and showed only keys.

use caredesk::console::keymap::COMMANDS;
use caredesk::console::{App, Clock, KeyMap, LocalDesk, Theme};
use caredesk::domain::ticket::EntryKind;
use caredesk::service::Ctx;
use caredesk::service::ops::ShowTicket;

use crate::world::*;

fn app_with(world: &World, keys: &str) -> App {
    let mut keymap = KeyMap::default();
    keymap.apply(keys).expect("a good keymap");
    let desk = LocalDesk::new(world.service.clone(), NAS, Clock::Fixed(in_hours()));
    App::new(Box::new(desk), keymap, Theme::plain()).expect("a console")
}

#[test]
fn a_rebound_save_key_saves_forms_and_the_form_names_it() {
    let world = World::new();
    let mut app = app_with(&world, "save = ctrl-o\ncancel = ctrl-g\n");
    let reference = app.queue().selected().expect("a selected ticket");
    app.press("iChecked<enter>");
    let form = screen(&mut app, 120, 40);
    assert!(form.contains("ctrl-o save · ctrl-g cancel"), "{form}");
    app.press("<ctrl-o>");
    let ticket = world.service.execute(&Ctx::new(SUP, in_hours()), &ShowTicket { reference }).unwrap();
    let notes: Vec<&str> =
        ticket.timeline.iter().filter(|e| e.kind == EntryKind::Note).map(|e| e.text.as_str()).collect();
    assert_eq!(notes, ["Checked"]);
}

#[test]
fn a_rebound_yes_key_answers_the_quit_question() {
    let world = World::new();
    let mut app = app_with(&world, "yes = ctrl-y\n");
    app.press("ihalf a thought<ctrl-c>");
    assert!(screen(&mut app, 120, 40).contains("ctrl-y quit and lose it"));
    app.press("y");
    assert!(!app.should_quit(), "the old yes key still quits");
    app.press("<ctrl-c><ctrl-y>");
    assert!(app.should_quit());
}

#[test]
fn help_lists_the_commands_as_well_as_the_keys() {
    let world = World::new();
    let mut app = world.app(NAS, in_hours());
    app.press(":help<enter>");
    let text = screen(&mut app, 120, 60);
    assert!(text.contains("command line (:"), "{text}");
    for command in COMMANDS {
        assert!(text.contains(&command.usage()), "help lacks {}:\n{text}", command.usage());
    }
    app.press("<esc>:a<enter>");
    assert!(message(&app).contains("a needs ADDRESS: type account ADDRESS"), "{}", message(&app));
}
