//! What the operator sees and can do while the desk is slow or silent: the
//! console's two sides on a test backend, over a desk that holds every
//! call until the test lets it through, as a stopped daemon would.

use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use caredesk::console::{App, Clock, Console, Courier, Desk, KeyMap, LocalDesk, Theme};
use caredesk::domain::ticket::TicketRef;
use caredesk::service::ops::ShowTicket;
use caredesk::service::{Answer, Ctx, Request, ServiceError};

use crate::world::*;

/// Long enough for anything the console does with a desk that answers.
const SETTLE: Duration = Duration::from_secs(20);

/// Closed, every call waits at it until it is opened.
#[derive(Default)]
struct Gate {
    closed: Mutex<bool>,
    opened: Condvar,
}

impl Gate {
    fn close(&self) {
        *self.closed.lock().unwrap() = true;
    }

    fn open(&self) {
        *self.closed.lock().unwrap() = false;
        self.opened.notify_all();
    }

    fn pass(&self) {
        let mut closed = self.closed.lock().unwrap();
        while *closed {
            closed = self.opened.wait(closed).unwrap();
        }
    }
}

struct GatedDesk {
    desk: LocalDesk,
    gate: Arc<Gate>,
}

impl Desk for GatedDesk {
    fn operator(&self) -> &str {
        self.desk.operator()
    }
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.desk.now()
    }
    fn dispatch(&self, request: Request, based_on: Option<u64>) -> Result<Answer, ServiceError> {
        self.gate.pass();
        self.desk.dispatch(request, based_on)
    }
}

/// A console for `operator` in hours whose desk waits at the returned
/// gate, and gives up on a call after `patience`.
fn console(world: &World, operator: &str, patience: Duration) -> (Console, Arc<Gate>) {
    let gate = Arc::new(Gate::default());
    let desk = GatedDesk {
        desk: LocalDesk::new(world.service.clone(), operator, Clock::Fixed(in_hours())),
        gate: Arc::clone(&gate),
    };
    let courier = Courier::with_patience(Box::new(desk), patience);
    let waiting = courier.waiting();
    let app = App::new(Box::new(courier), KeyMap::default(), Theme::plain()).expect("a console");
    (Console::start(app, waiting, 160, 40), gate)
}

fn shows(console: &mut Console, text: &str) -> String {
    console.wait_for(SETTLE, |s| s.contains(text)).unwrap_or_else(|s| panic!("never showed {text:?}:\n{s}"))
}

fn rows(screen: &str) -> usize {
    screen.lines().filter(|l| l.contains("CD-")).count()
}

/// The first ticket the screen shows, which is the one selected.
fn first_ticket(screen: &str) -> TicketRef {
    screen
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .find(|w| w.starts_with("CD-"))
        .and_then(|w| w.parse().ok())
        .unwrap_or_else(|| panic!("no ticket on screen:\n{screen}"))
}

#[test]
fn a_call_in_flight_shows_a_spinner_and_esc_gives_the_console_back() {
    let world = World::new();
    let (mut console, gate) = console(&world, NAS, SETTLE * 3);
    let before = shows(&mut console, "CD-");
    gate.close();
    console.press("<ctrl-r>");
    let waiting = shows(&mut console, "waiting for the caredesk daemon (shift.show");
    assert!(waiting.contains("esc stops waiting"), "{waiting}");
    assert_eq!(rows(&waiting), rows(&before), "the queue went while waiting:\n{waiting}");
    console.press("<esc>");
    let stopped = shows(&mut console, "you stopped waiting; the screen shows what it had");
    assert!(!stopped.contains("waiting for the caredesk daemon"), "{stopped}");
    assert!(stopped.contains("daemon silent for"), "{stopped}");
    // Keys work while the desk stays silent.
    console.press("?");
    shows(&mut console, "Keys (esc closes");
    console.press("<esc>");
    console.wait_for(SETTLE, |s| !s.contains("Keys (esc closes")).expect("the help closes");
    gate.open();
    let back = shows(&mut console, "the caredesk daemon answers again");
    assert!(!back.contains("daemon silent for"), "{back}");
    assert_eq!(rows(&back), rows(&before));
}

#[test]
fn keys_pressed_while_waiting_are_taken_in_order_when_the_answer_comes() {
    let world = World::new();
    let (mut console, gate) = console(&world, NAS, SETTLE * 3);
    shows(&mut console, "CD-");
    gate.close();
    console.press("<ctrl-r>");
    shows(&mut console, "waiting for the caredesk daemon");
    console.press("2/smith");
    gate.open();
    let screen = shows(&mut console, "reloaded");
    let search = screen.lines().find(|l| l.contains("smith")).unwrap_or_else(|| panic!("no search:\n{screen}"));
    assert!(search.contains("smith"), "{screen}");
    assert!(screen.contains("Account lookup"), "{screen}");
}

#[test]
fn a_change_the_operator_stopped_waiting_for_is_reported_when_it_lands() {
    let world = World::new();
    let (mut console, gate) = console(&world, NAS, SETTLE * 3);
    shows(&mut console, "CD-");
    gate.close();
    console.press("c");
    shows(&mut console, "waiting for the caredesk daemon (ticket.claim");
    console.press("<esc>");
    shows(&mut console, "it is not known yet whether the change was saved");
    gate.open();
    let saved = shows(&mut console, "the change you stopped waiting for was saved");
    let told = saved.lines().find(|l| l.contains("was saved")).unwrap_or_default();
    let reference = first_ticket(told.split("was saved").nth(1).unwrap_or_default());
    let ticket = world.service.execute(&Ctx::new(SUP, in_hours()), &ShowTicket { reference }).unwrap();
    assert_eq!(ticket.assignee.as_deref(), Some(NAS), "the claim was not made");
}

#[test]
fn a_desk_that_does_not_answer_is_reported_and_further_calls_are_not_queued() {
    let world = World::new();
    let (mut console, gate) = console(&world, NAS, Duration::from_secs(1));
    let reference = first_ticket(&shows(&mut console, "CD-"));
    gate.close();
    console.press("<ctrl-r>");
    shows(&mut console, "has not answered in 1 s");
    // The next call is refused at once, not queued behind the silent one.
    console.press("c");
    shows(&mut console, "so nothing more was sent");
    gate.open();
    shows(&mut console, "the caredesk daemon answers again");
    let ticket = world.service.execute(&Ctx::new(SUP, in_hours()), &ShowTicket { reference }).unwrap();
    assert_eq!(ticket.assignee, None, "a claim refused at once was made after all");
}

#[test]
fn quit_works_while_a_call_waits() {
    let world = World::new();
    let (mut console, gate) = console(&world, NAS, SETTLE * 3);
    shows(&mut console, "CD-");
    gate.close();
    console.press("<ctrl-r>");
    shows(&mut console, "waiting for the caredesk daemon");
    console.press("q");
    let deadline = std::time::Instant::now() + SETTLE;
    while !console.ended() {
        assert!(std::time::Instant::now() < deadline, "q did not quit while a call waited");
        std::thread::sleep(Duration::from_millis(20));
    }
    gate.open();
}
