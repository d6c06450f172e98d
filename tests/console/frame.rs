//! The frame around the panes: top bar, layout, help, command line, quit.

use crate::world::*;
use caredesk::console::pane::PaneId;

#[test]
fn the_top_bar_names_the_operator_and_the_shift() {
    let world = World::new();
    let mut app = world.app(NAS, in_hours());
    let text = screen(&mut app, 120, 30);
    let top = text.lines().next().unwrap();
    assert!(top.contains("nina (NAS administrator)"), "{top}");
    assert!(top.contains("Mon 23 Nov 10:30"), "{top}");
    assert!(top.contains("NAS open until 17:00"), "{top}");

    let mut app = world.app(HELPDESK, out_of_hours());
    let text = screen(&mut app, 120, 30);
    assert!(text.lines().next().unwrap().contains("out of hours — NAS opens Tue 24 Nov 09:00"), "{text}");
}

#[test]
fn tab_and_numbers_move_between_panes_and_q_quits() {
    let world = World::new();
    let mut app = world.app(NAS, in_hours());
    assert_eq!(app.focus(), PaneId::Queue);
    app.press("<tab>");
    assert_eq!(app.focus(), PaneId::Accounts);
    app.press("3");
    assert_eq!(app.focus(), PaneId::Mailboxes);
    app.press("<backtab><backtab>");
    assert_eq!(app.focus(), PaneId::Queue);
    app.press("q");
    assert!(app.should_quit());
}

#[test]
fn help_is_generated_from_the_keymap() {
    let world = World::new();
    let mut app = world.app(NAS, in_hours());
    app.press("?");
    let text = screen(&mut app, 120, 60);
    for act in caredesk::console::keymap::Act::ALL.iter().take(20) {
        assert!(text.contains(act.name()), "help lacks {}:\n{text}", act.name());
    }
    app.press("<esc>");
    assert!(!screen_contains(&mut app, "Keys (esc closes"));
}

fn screen_contains(app: &mut caredesk::console::App, text: &str) -> bool {
    screen(app, 120, 40).contains(text)
}

#[test]
fn an_unknown_command_says_what_the_commands_are() {
    let world = World::new();
    let mut app = world.app(NAS, in_hours());
    app.press(":frobnicate<enter>");
    assert!(message(&app).contains("unknown command"), "{}", message(&app));
    assert!(message(&app).contains("ticket REF"), "{}", message(&app));
}
