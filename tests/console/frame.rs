//! The frame around the panes: top bar, layout, help, command line, quit.

use crate::world::*;
use caredesk::console::pane::PaneId;
use caredesk::service::{Answer, Request, ServiceError};

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
    // At 80 columns the product name and role give way; the date and the
    // shift stay whole.
    let text = screen(&mut app, 80, 24);
    let top = text.lines().next().unwrap();
    assert!(top.contains("harry │ Mon 23 Nov 19:30 │ out of hours — NAS opens Tue 24 Nov 09:00"), "{top}");
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

#[test]
fn quitting_with_a_half_filled_form_asks_first() {
    let world = World::new();
    let mut app = world.app(NAS, in_hours());
    app.press("n<tab><tab>Jo Blo<ctrl-c>");
    assert!(!app.should_quit(), "a form with input must not vanish on one key");
    assert!(screen(&mut app, 80, 24).contains("A form has input that was not saved."));
    app.press("n");
    assert!(!app.should_quit());
    assert!(app.queue().has_form(), "staying keeps the form and its input");
    assert_eq!(app.queue().form_value("Requester").as_deref(), Some("Jo Blo"));
    app.press("<ctrl-c>y");
    assert!(app.should_quit());
}

#[test]
fn narrow_screens_show_one_pane_under_tabs_and_wide_ones_all_three() {
    let world = World::new();
    let mut app = world.app(NAS, in_hours());
    let narrow = screen(&mut app, 80, 24);
    assert!(narrow.contains("1 Ticket queue   2 Account lookup   3 Shared mailbox"), "{narrow}");
    let wide = screen(&mut app, 160, 48);
    let panes = wide.lines().nth(1).unwrap();
    assert!(panes.contains("Ticket queue") && panes.contains("Account lookup") && panes.contains("Shared mailbox"));
    // A resize is just the next frame at the new size.
    assert!(screen(&mut app, 80, 24).contains("1 Ticket queue"));
}

#[test]
fn mouse_clicks_focus_a_pane_and_select_a_row() {
    use ratatui::crossterm::event::{Event, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
    let world = World::new();
    let mut app = world.app(NAS, in_hours());
    let click = |column, row| {
        Event::Mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column,
            row,
            modifiers: KeyModifiers::NONE,
        })
    };
    screen(&mut app, 160, 48);
    app.handle(click(100, 10));
    assert_eq!(app.focus(), PaneId::Accounts);
    screen(&mut app, 160, 48);
    // Row 6 is the second ticket: top bar, border, tabs, filter line, header, first row.
    app.handle(click(10, 6));
    assert_eq!(app.focus(), PaneId::Queue);
    let second = app.queue().selected();
    app.press("k");
    assert_ne!(app.queue().selected(), second, "the click selected the second row");
    // The narrow tab row.
    screen(&mut app, 80, 24);
    app.handle(click(40, 1));
    assert_eq!(app.focus(), PaneId::Mailboxes);
}

/// Text that did not come through today's checks (an old record, another
/// system): the service refuses control characters in new subjects, but
/// the console must not rely on that. This desk hands the console tickets
/// whose subject, requester and body are full of escape sequences.
struct HostileDesk(caredesk::console::LocalDesk);

const NASTY: &str = "Help\x1b]52;c;cm0gLXJmIH4=\x07\x1b[2J\x1b]0;pwned\x07\u{9b}31m\u{202e}";

impl caredesk::console::Desk for HostileDesk {
    fn operator(&self) -> &str {
        self.0.operator()
    }
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.now()
    }
    fn dispatch(&self, request: Request, based_on: Option<u64>) -> Result<Answer, ServiceError> {
        Ok(match self.0.dispatch(request, based_on)? {
            Answer::ReadTicketRows(mut rows) => {
                for row in &mut rows {
                    row.subject = NASTY.to_owned();
                    row.requester = format!("Eve\x1b[5m {NASTY}");
                }
                Answer::ReadTicketRows(rows)
            }
            Answer::ShowTicketDetail(mut d) => {
                d.ticket.subject = NASTY.to_owned();
                d.ticket.body = format!("{NASTY}\nsecond line\x1b[1A");
                d.ticket.requester.name = format!("Eve\x1b[5m {NASTY}");
                d.organisation = Some(NASTY.to_owned());
                for entry in &mut d.ticket.timeline {
                    entry.text = format!("{NASTY}\r\n\x1b[1A");
                }
                Answer::ShowTicketDetail(d)
            }
            other => other,
        })
    }
}

/// Escape sequences in outside text reach the terminal as harmless marks:
/// nothing in the bytes written could move the cursor, set the clipboard,
/// retitle the window or reorder the line.
#[test]
fn escape_sequences_from_outside_render_harmlessly() {
    use caredesk::console::{App, Clock, KeyMap, LocalDesk, Theme};
    use ratatui::Terminal;
    use ratatui::backend::CrosstermBackend;

    let world = World::new();
    let desk = HostileDesk(LocalDesk::new(world.service.clone(), SUP, Clock::Fixed(in_hours())));
    let mut app = App::new(Box::new(desk), KeyMap::default(), Theme::from_env()).expect("a console");
    let bytes = Captured::default();
    let mut terminal = Terminal::new(CrosstermBackend::new(bytes.clone())).expect("a terminal on a buffer");
    terminal.resize(ratatui::layout::Rect::new(0, 0, 200, 50)).expect("a size");
    terminal.draw(|frame| app.draw(frame)).expect("the list");
    app.press("<enter>");
    terminal.draw(|frame| app.draw(frame)).expect("the ticket view");
    assert!(app.queue().detail().is_some());
    app.press(":messages<enter>");
    terminal.draw(|frame| app.draw(frame)).expect("the messages");
    let written = String::from_utf8_lossy(&bytes.0.borrow()).into_owned();
    // The frame's own output clears the screen on resize (ESC [ 2 J), so the
    // injected clear is looked for with the text around it.
    for bad in ["\x1b]", "\x07", "=\x07\x1b[2J", "\x1b[5m", "\x1b[1A", "\u{9b}", "\u{202e}", "\r"] {
        assert!(!written.contains(bad), "{bad:?} reached the terminal");
    }
    assert!(written.contains("]52;c;cm0gLXJmIH4="), "the rest of the text is still shown");
    assert!(screen(&mut app, 200, 50).contains("Help\u{FFFD}]52;c;cm0gLXJmIH4=\u{FFFD}\u{FFFD}[2J"));
}

/// What a terminal backend wrote, kept where the test can read it.
#[derive(Clone, Default)]
struct Captured(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The README's key table is the default keymap; when this fails, paste the
/// table it prints into README.md.
#[test]
fn the_readme_key_table_matches_the_keymap() {
    let table = caredesk::console::app::key_table(&caredesk::console::KeyMap::default());
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README.md");
    assert!(readme.contains(&table), "README.md's key table is out of date; it should read:\n\n{table}");
}

/// With `NO_COLOR` set, not one cell of any screen is coloured; without
/// it, overdue times are red.
#[test]
fn no_color_means_no_colour_anywhere() {
    use caredesk::console::{App, Clock, KeyMap, LocalDesk, Theme};
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use ratatui::style::Color;

    assert!(!Theme::for_no_color(Some(std::ffi::OsStr::new("1"))).color);
    assert!(Theme::for_no_color(Some(std::ffi::OsStr::new(""))).color);
    assert!(Theme::for_no_color(None).color);

    let world = World::new();
    let coloured_cells = |theme: Theme, keys: &str| {
        let desk = LocalDesk::new(world.service.clone(), SUP, Clock::Fixed(in_hours()));
        let mut app = App::new(Box::new(desk), KeyMap::default(), theme).expect("a console");
        app.press(keys);
        let mut terminal = Terminal::new(TestBackend::new(160, 48)).expect("a test terminal");
        terminal.draw(|frame| app.draw(frame)).expect("a frame");
        let buffer = terminal.backend().buffer().clone();
        buffer.content().iter().filter(|c| c.fg != Color::Reset || c.bg != Color::Reset).count()
    };
    for keys in
        ["", "<enter>", "?", "n", "2/jo<enter>", "3/oak<enter><enter>", "4", ":frobnicate<enter>:messages<enter>"]
    {
        assert_eq!(coloured_cells(Theme::plain(), keys), 0, "colour after {keys:?} with NO_COLOR");
    }
    assert!(coloured_cells(Theme { color: true }, "") > 0, "no colour at all without NO_COLOR");
}

/// Another operator's write got in while the note was being typed: the
/// note was based on the ticket as it was, so nothing is saved, the screen
/// is read again and the operator is told who changed it.
#[test]
fn a_stale_write_is_refused_reloads_and_says_who() {
    use caredesk::console::{App, Clock, Desk, KeyMap, LocalDesk, Theme};
    use caredesk::service::ops::*;
    use caredesk::service::{Answer, Request, ServiceError};
    use std::cell::Cell;

    struct RacingDesk {
        inner: LocalDesk,
        world_service: std::sync::Arc<caredesk::service::Service>,
        raced: Cell<bool>,
    }
    impl Desk for RacingDesk {
        fn operator(&self) -> &str {
            self.inner.operator()
        }
        fn now(&self) -> chrono::DateTime<chrono::Utc> {
            self.inner.now()
        }
        fn dispatch(&self, request: Request, based_on: Option<u64>) -> Result<Answer, ServiceError> {
            if let Request::Note(Note { reference, .. }) = &request {
                if !self.raced.replace(true) {
                    // The other operator's claim lands while the note is typed.
                    let ctx = caredesk::service::Ctx::new(SUP, in_hours());
                    self.world_service.execute(&ctx, &Claim { reference: *reference })?;
                }
            }
            self.inner.dispatch(request, based_on)
        }
    }

    let world = World::new();
    let desk = RacingDesk {
        inner: LocalDesk::new(world.service.clone(), NAS, Clock::Fixed(in_hours())),
        world_service: world.service.clone(),
        raced: Cell::new(false),
    };
    let mut app = App::new(Box::new(desk), KeyMap::default(), Theme::plain()).expect("a console");
    app.press("iCalled the requester<enter>");
    let said = message(&app);
    assert!(said.starts_with("sup changed ticket CD-000001 first, so nothing was saved"), "{said}");
    let ctx = caredesk::service::Ctx::new(SUP, in_hours());
    let timeline = world.service.execute(&ctx, &ShowTicket { reference: "CD-000001".parse().unwrap() });
    assert!(!format!("{timeline:?}").contains("Called the requester"), "the stale note was saved");
    // The list was read again, so the row shows who has it now.
    let text = screen(&mut app, 160, 48);
    let row = text.lines().find(|l| l.contains("CD-000001")).unwrap_or_default();
    assert!(row.contains(SUP), "the row was not reloaded: {row}");
}

#[test]
fn the_top_bar_keeps_the_date_at_80_columns_out_of_hours() {
    let world = World::new();
    let mut app = world.app(HELPDESK, out_of_hours());
    let text = screen(&mut app, 80, 24);
    let top = text.lines().next().unwrap_or_default().to_owned();
    let date = out_of_hours().with_timezone(&chrono_tz::Europe::London).format("%-d %b").to_string();
    assert!(top.contains(&date), "the top bar should keep the date {date}: {top:?}");
    assert!(top.contains("out of hours"), "{top:?}");
}

/// A desk whose clock the test moves, to see what time does on screen.
struct SteppingDesk {
    inner: caredesk::console::LocalDesk,
    now: std::sync::Arc<std::sync::Mutex<chrono::DateTime<chrono::Utc>>>,
}

impl caredesk::console::Desk for SteppingDesk {
    fn operator(&self) -> &str {
        self.inner.operator()
    }
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        *self.now.lock().unwrap()
    }
    fn dispatch(&self, request: Request, based_on: Option<u64>) -> Result<Answer, ServiceError> {
        self.inner.dispatch(request, based_on)
    }
}

type SharedClock = std::sync::Arc<std::sync::Mutex<chrono::DateTime<chrono::Utc>>>;

fn stepping_app(world: &World, operator: &str) -> (caredesk::console::App, SharedClock) {
    use caredesk::console::{App, Clock, KeyMap, LocalDesk, Theme};
    let now = std::sync::Arc::new(std::sync::Mutex::new(in_hours()));
    let desk = SteppingDesk {
        inner: LocalDesk::new(world.service.clone(), operator, Clock::Fixed(in_hours())),
        now: now.clone(),
    };
    (App::new(Box::new(desk), KeyMap::default(), Theme::plain()).expect("a console"), now)
}

#[test]
fn status_line_messages_clear_once_stale() {
    let world = World::new();
    let (mut app, clock) = stepping_app(&world, NAS);
    app.press("x");
    let said = message(&app);
    assert!(!said.is_empty(), "a key that does nothing here says so");
    *clock.lock().unwrap() += caredesk::console::NOTICE_STALE - chrono::TimeDelta::seconds(1);
    app.tick();
    assert_eq!(message(&app), said, "still fresh");
    *clock.lock().unwrap() += chrono::TimeDelta::seconds(1);
    assert!(app.tick(), "the screen is drawn again when a message goes");
    assert_eq!(message(&app), "", "a stale notice leaves the status line");
    assert!(!screen(&mut app, 80, 24).contains(&said));

    app.press(":ticket CD-999999<enter>");
    assert!(app.message().is_some_and(|m| m.error));
    *clock.lock().unwrap() += caredesk::console::NOTICE_STALE;
    app.tick();
    assert!(app.message().is_some_and(|m| m.error), "a refusal stays longer than a notice");
    *clock.lock().unwrap() += caredesk::console::ERROR_STALE;
    app.tick();
    assert_eq!(message(&app), "");
}

#[test]
fn a_message_longer_than_the_status_line_can_be_read_in_full_with_messages() {
    let world = World::new();
    let mut app = world.app(NAS, in_hours());
    app.press(":frobnicate<enter>");
    let said = message(&app);
    assert!(said.len() > 80, "the refusal is long: {said}");
    let tail: String =
        said.split_whitespace().rev().take(3).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join(" ");
    assert!(!screen(&mut app, 80, 24).contains(&tail), "it does not fit the status line");
    app.press(":messages<enter>");
    let text = screen(&mut app, 80, 24);
    assert!(text.contains("Messages, newest first"), "{text}");
    assert!(text.contains(&tail), "the whole refusal is there, wrapped:\n{text}");
    let lines: Vec<&str> = text.lines().collect();
    let first = lines.iter().position(|l| l.contains("unknown command")).expect("the refusal");
    let later = lines.iter().position(|l| l.contains("press ? for the keys")).expect("the first message");
    assert!(first < later, "newest first:\n{text}");
    insta::assert_snapshot!("messages_80x24", text);
    insta::assert_snapshot!("messages_200x50", screen(&mut app, 200, 50));
    app.press("<esc>");
    assert!(!screen(&mut app, 80, 24).contains("Messages, newest first"));
}
