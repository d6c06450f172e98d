//! The dashboard frame drawn from kept figures: snapshots at 80x24 and
//! 200x50, no colour under NO_COLOR, and operator names from outside drawn
//! harmlessly.

use crate::world::*;
use caredesk::console::Theme;
use caredesk::console::dashboard::{draw_dashboard, sparkline};
use caredesk::console::pane::PaneId;
use caredesk::domain::routing::Category;
use caredesk::domain::routing::Queue;
use caredesk::service::{Dashboard, QueueFigures};
use chrono::{TimeZone, Utc};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Color;

fn figures(operators: Vec<(String, u64)>) -> Dashboard {
    let hourly = |base: u64| (0..24).map(|h| base + (h * 7 % 11)).collect::<Vec<_>>();
    let daily = |base: u64| (0..7).map(|d| base * 2 + d * 3).collect::<Vec<_>>();
    Dashboard {
        at: Utc.with_ymd_and_hms(2025, 11, 12, 10, 30, 0).single().expect("an instant"),
        open_now: true,
        next_opening: Utc.with_ymd_and_hms(2025, 11, 13, 9, 0, 0).single().expect("an instant"),
        queues: vec![
            QueueFigures {
                queue: Queue::Nas,
                depth: 42,
                breached: 3,
                due_soon: 5,
                hourly: hourly(30),
                daily: daily(30),
            },
            QueueFigures {
                queue: Queue::Helpdesk,
                depth: 7,
                breached: 0,
                due_soon: 1,
                hourly: vec![0; 24],
                daily: vec![0; 7],
            },
            QueueFigures {
                queue: Queue::Resolver,
                depth: 1_234,
                breached: 120,
                due_soon: 0,
                hourly: hourly(1_200),
                daily: daily(1_000),
            },
        ],
        per_operator: operators,
        due_soon_minutes: 60,
    }
}

fn operators() -> Vec<(String, u64)> {
    vec![("nas1".to_owned(), 31), ("helpdesk1".to_owned(), 12), ("resolver2".to_owned(), 4)]
}

fn draw(figures: &Dashboard, theme: Theme, width: u16, height: u16) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("a test terminal");
    terminal.draw(|frame| draw_dashboard(frame, frame.area(), figures, theme)).expect("a frame");
    terminal.backend().buffer().clone()
}

fn text(buffer: &Buffer) -> String {
    let area = buffer.area;
    let mut out = String::new();
    for y in 0..area.height {
        let line: String = (0..area.width).map(|x| buffer[(x, y)].symbol()).collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[test]
fn sparklines_scale_to_the_highest_value() {
    assert_eq!(sparkline(&[0, 0, 0]), "▁▁▁");
    assert_eq!(sparkline(&[0, 7, 14]), "▁▅█");
    assert_eq!(sparkline(&[30, 37, 44]), "▁▅█");
    assert_eq!(sparkline(&[5]), "▁");
    assert_eq!(sparkline(&[]), "");
}

#[test]
fn the_dashboard_reads_at_80x24() {
    let screen = text(&draw(&figures(operators()), Theme::plain(), 80, 24));
    for want in ["NAS", "helpdesk", "resolver", "1234", "120", "next opening Thu 13 Nov 09:00", "nas1", "123 breached"]
    {
        assert!(screen.contains(want), "{want:?} missing from\n{screen}");
    }
    assert!(screen.lines().all(|l| l.chars().count() <= 80));
    insta::assert_snapshot!("dashboard_80x24", screen);
}

#[test]
fn the_dashboard_reads_at_200x50() {
    let screen = text(&draw(&figures(operators()), Theme::plain(), 200, 50));
    assert!(screen.contains("national helpdesk"), "{screen}");
    insta::assert_snapshot!("dashboard_200x50", screen);
}

#[test]
fn no_color_means_no_colour_on_the_dashboard() {
    let coloured = |theme: Theme| {
        draw(&figures(operators()), theme, 80, 24)
            .content()
            .iter()
            .filter(|c| c.fg != Color::Reset || c.bg != Color::Reset)
            .count()
    };
    assert_eq!(coloured(Theme::plain()), 0);
    assert!(coloured(Theme { color: true }) > 0, "breaches should be coloured without NO_COLOR");
}

#[test]
fn operator_names_with_escape_sequences_render_harmlessly() {
    let nasty = "eve\x1b]52;c;cm0=\x07\x1b[2J\u{9b}31m\u{202e}".to_owned();
    let screen = text(&draw(&figures(vec![(nasty, 9)]), Theme::plain(), 80, 24));
    for bad in ["\x1b", "\x07", "\u{9b}", "\u{202e}"] {
        assert!(!screen.contains(bad), "{bad:?} reached the screen:\n{screen}");
    }
    assert!(screen.contains("eve"), "{screen}");
}

fn open_tickets(app: &caredesk::console::App) -> u64 {
    app.dashboard().figures().map(|f| f.queues.iter().map(|q| q.depth).sum()).expect("figures read")
}

#[test]
fn four_opens_the_dashboard_and_reload_reads_new_figures() {
    let world = World::new();
    let mut app = world.app(SUP, in_hours());
    assert!(app.dashboard().figures().is_none(), "nothing is read before the pane is shown");
    app.press("4");
    assert_eq!(app.focus(), PaneId::Dashboard);
    let screen = screen(&mut app, 80, 24);
    let before = open_tickets(&app);
    assert_eq!(before, 4, "the world has four open tickets");
    assert!(screen.contains("4 Dashboard"), "the narrow tabs name pane 4:\n{screen}");
    assert!(screen.contains("next opening"), "{screen}");
    assert!(screen.contains("tickets changed today"), "{screen}");

    world.run(SUP, in_hours(), &ticket(Category::Leaver, "Jo Bloggs", Some(OAK), "Another leaver"));
    app.press("<ctrl-r>");
    assert_eq!(open_tickets(&app), before, "kept figures stay until the pane is drawn");
    let _ = crate::world::screen(&mut app, 80, 24);
    assert_eq!(open_tickets(&app), before + 1, "the reload reads the new ticket");
    app.press("1");
    assert_eq!(app.focus(), PaneId::Queue);
}

#[test]
fn on_a_wide_screen_the_dashboard_takes_the_middle_while_focused() {
    let world = World::new();
    let mut app = world.app(SUP, in_hours());
    let three = screen(&mut app, 200, 50);
    assert!(!three.contains("Dashboard ·"), "{three}");
    app.press("4");
    let dash = screen(&mut app, 200, 50);
    assert!(dash.contains("Dashboard ·"), "{dash}");
    assert!(!dash.contains("Account lookup"), "{dash}");
    app.press("<tab>");
    assert_eq!(app.focus(), PaneId::Queue, "tab goes round from the last pane to the first");
}
