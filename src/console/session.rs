//! The console's two sides: the session, which owns the [`App`] on its own
//! thread and may wait on the desk, and the screen, which never waits on
//! anything but the terminal.
//!
//! The session takes in input in the order it was pressed, draws the app
//! into a picture of the screen at most every [`FRAME`], and sends it over.
//! The screen shows the newest picture and writes over its status line
//! what the session cannot while it waits: a spinner for a call in flight
//! (after [`SPIN_AFTER`]) and a daemon that has stopped answering. `esc`
//! while a call is in flight stops waiting for it; the quit keys stop the
//! wait and are then passed on, so quitting works whatever the desk does.
//! No key is dropped: what is pressed during a wait is taken in when it
//! ends.
//!
//! [`Console`] is both sides in one process on a test backend, for tests
//! that drive the waiting states with key strings.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chrono::Timelike;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{Event, KeyEvent, KeyEventKind};
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::{Frame, layout::Size};

use super::app::{App, status_line};
use super::courier::Waiting;
use super::keymap::{Act, Chord, KeyMap, keys};
use super::theme::Theme;

/// Redraws are at most this close together; input that arrives faster is
/// taken in a batch and drawn once.
pub const FRAME: Duration = Duration::from_millis(33);

/// How long the session waits for input before letting time pass (the
/// clock in the top bar, the shift changing) and taking in other
/// operators' changes, which therefore show within this much of arriving.
pub const TICK: Duration = Duration::from_millis(250);

/// A call answered sooner than this shows no spinner, so quick answers do
/// not make the status line flicker.
pub const SPIN_AFTER: Duration = Duration::from_millis(150);

/// How often the spinner turns.
const SPIN_EVERY: Duration = Duration::from_millis(100);

const SPINNER: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/// A picture of the screen as the session last drew it.
#[derive(Clone)]
pub struct Shot {
    pub buffer: Buffer,
    pub cursor: Option<Position>,
}

/// What the screen side holds of a running session.
pub struct Session {
    input: Sender<Event>,
    shots: Receiver<Shot>,
    thread: Option<JoinHandle<()>>,
}

impl Session {
    /// Starts the session's thread on `app`, drawing at `size`.
    pub fn start(app: App, size: Size) -> std::io::Result<Session> {
        let (input, events) = channel();
        let (shots_tx, shots) = channel();
        let thread = std::thread::Builder::new()
            .name("console-session".into())
            .spawn(move || run_session(app, &events, &shots_tx, size))?;
        Ok(Session { input, shots, thread: Some(thread) })
    }

    /// Passes input on; false once the session has ended.
    pub fn send(&self, event: Event) -> bool {
        self.input.send(event).is_ok()
    }

    /// The newest picture the session has sent since the last call.
    pub fn newest(&self) -> Option<Shot> {
        self.shots.try_iter().last()
    }

    /// The session has ended: the operator quit.
    pub fn ended(&self) -> bool {
        self.thread.as_ref().is_none_or(JoinHandle::is_finished)
    }

    /// Waits for the session's thread; its panic, if it had one, goes on here.
    pub fn join(&mut self) {
        if let Some(thread) = self.thread.take()
            && let Err(panic) = thread.join()
        {
            std::panic::resume_unwind(panic);
        }
    }
}

/// The session's loop: input in order, then a drawing when something
/// changed, time passing when nothing did.
fn run_session(mut app: App, events: &Receiver<Event>, shots: &Sender<Shot>, size: Size) {
    let mut screen = match Terminal::new(TestBackend::new(size.width, size.height)) {
        Ok(screen) => screen,
        Err(e) => return tracing::error!("the console could not draw: {e}"),
    };
    let mut dirty = true;
    let mut drawn_at = Instant::now() - FRAME;
    let mut minute = app.desk().now().minute();
    while !app.should_quit() {
        if dirty && drawn_at.elapsed() >= FRAME {
            match screen.draw(|frame| app.draw(frame)) {
                Ok(done) => {
                    let buffer = done.buffer.clone();
                    let backend = screen.backend();
                    let cursor = backend.cursor_visible().then(|| backend.cursor_position());
                    if shots.send(Shot { buffer, cursor }).is_err() {
                        return;
                    }
                }
                Err(e) => return tracing::error!("the console could not draw: {e}"),
            }
            drawn_at = Instant::now();
            dirty = false;
        }
        let wait = if dirty { FRAME.saturating_sub(drawn_at.elapsed()) } else { TICK };
        match events.recv_timeout(wait) {
            Ok(first) => {
                // Take everything already waiting before drawing again, so
                // a held-down key does not lag.
                let mut next = Some(first);
                while let Some(event) = next {
                    if let Event::Resize(width, height) = event {
                        screen.backend_mut().resize(width, height);
                    }
                    app.handle(event);
                    next = if app.should_quit() { None } else { events.try_recv().ok() };
                }
                dirty = true;
            }
            Err(RecvTimeoutError::Timeout) if !dirty => {
                dirty = app.tick();
                let now = app.desk().now().minute();
                dirty |= now != minute;
                minute = now;
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
        dirty |= app.take_events();
    }
}

/// The screen side: what it last got from the session, and the words it
/// writes over the status line while the session waits.
pub struct Front {
    keymap: KeyMap,
    theme: Theme,
    waiting: Arc<Waiting>,
    shot: Option<Shot>,
    /// The words last written over the picture (status line, top bar),
    /// so a change in them asks for a redraw.
    shown: (Option<String>, Option<String>),
}

impl Front {
    pub fn new(keymap: KeyMap, theme: Theme, waiting: Arc<Waiting>) -> Front {
        Front { keymap, theme, waiting, shot: None, shown: (None, None) }
    }

    /// Takes a key, a click or a paste from the terminal: stops a wait when
    /// it is the operator's stop, and passes on everything else.
    pub fn input(&mut self, event: Event, session: &Session) {
        if let Event::Key(key) = &event
            && key.kind != KeyEventKind::Release
        {
            if self.is(key, Act::Back) && self.waiting.stop() {
                return;
            }
            if self.is(key, Act::Quit) {
                self.waiting.stop();
            }
        }
        session.send(event);
    }

    fn is(&self, key: &KeyEvent, act: Act) -> bool {
        self.keymap.keys(act).contains(&Chord::of(key))
    }

    /// Takes the session's newest picture; true if there was one.
    pub fn take_shot(&mut self, session: &Session) -> bool {
        match session.newest() {
            Some(shot) => {
                self.shot = Some(shot);
                true
            }
            None => false,
        }
    }

    /// What the status line should say about a call in flight, if anything.
    pub fn status(&self) -> Option<String> {
        let wait = self.waiting.current()?;
        let waited = wait.since.elapsed();
        if waited < SPIN_AFTER {
            return None;
        }
        let turn = (waited.as_millis() / SPIN_EVERY.as_millis()) as usize % SPINNER.len();
        Some(format!(
            "{} waiting for the caredesk daemon ({}, {} s) · {} stops waiting",
            SPINNER[turn],
            wait.what,
            waited.as_secs(),
            self.keymap.key_label(Act::Back)
        ))
    }

    /// What the top bar should say about a daemon that has stopped
    /// answering: at its end, so the status line keeps the app's messages.
    pub fn silence(&self) -> Option<String> {
        let since = self.waiting.stalled_since()?;
        Some(format!(" ⚠ daemon silent for {} s ", since.elapsed().as_secs()))
    }

    /// Whether the screen needs drawing again for what it writes over the
    /// session's picture alone.
    pub fn status_changed(&self) -> bool {
        (self.status(), self.silence()) != self.shown
    }

    pub fn draw(&mut self, frame: &mut Frame<'_>) {
        let area = frame.area();
        if let Some(shot) = &self.shot {
            let common = area.intersection(shot.buffer.area);
            let buffer = frame.buffer_mut();
            for y in common.top()..common.bottom() {
                for x in common.left()..common.right() {
                    buffer[(x, y)] = shot.buffer[(x, y)].clone();
                }
            }
            if let Some(cursor) = shot.cursor.filter(|c| area.contains(*c)) {
                frame.set_cursor_position(cursor);
            }
        }
        self.shown = (self.status(), self.silence());
        if let Some(text) = &self.shown.0 {
            let line = status_line(area);
            frame.render_widget(Clear, line);
            frame.render_widget(Paragraph::new(Line::from(Span::styled(text.clone(), self.theme.key()))), line);
        }
        if let Some(text) = &self.shown.1 {
            let width = (text.chars().count() as u16).min(area.width);
            let corner = Rect { x: area.right() - width, y: area.y, width, height: area.height.min(1) };
            frame.render_widget(Clear, corner);
            frame.render_widget(Paragraph::new(text.clone()).style(self.theme.error()), corner);
        }
    }
}

/// Both sides of a console in one process, drawn on a test backend: for
/// tests of what the operator sees while the desk is slow or silent.
pub struct Console {
    front: Front,
    session: Session,
    screen: Terminal<TestBackend>,
}

impl Console {
    /// Starts a session on `app` (whose desk is the courier `waiting`
    /// belongs to) at `width`×`height`.
    pub fn start(app: App, waiting: Arc<Waiting>, width: u16, height: u16) -> Console {
        let front = Front::new(app.keymap().clone(), app.theme(), waiting);
        let session = Session::start(app, Size { width, height }).expect("the session thread starts");
        let screen = Terminal::new(TestBackend::new(width, height)).expect("a test backend");
        Console { front, session, screen }
    }

    /// Presses the keys of a key string, as the terminal would pass them.
    pub fn press(&mut self, text: &str) {
        for key in keys(text).unwrap_or_else(|e| panic!("bad key string {text:?}: {e}")) {
            self.front.input(Event::Key(key), &self.session);
        }
    }

    /// Pastes text, as a terminal with bracketed paste passes it.
    pub fn paste(&mut self, text: &str) {
        self.front.input(Event::Paste(text.to_owned()), &self.session);
    }

    /// The screen as it is now, as text.
    pub fn screen(&mut self) -> String {
        self.front.take_shot(&self.session);
        let front = &mut self.front;
        self.screen.draw(|frame| front.draw(frame)).expect("drawing on a test backend");
        let buffer = self.screen.backend().buffer();
        let mut text = String::new();
        for y in 0..buffer.area.height {
            for x in 0..buffer.area.width {
                text.push_str(buffer[(x, y)].symbol());
            }
            text.push('\n');
        }
        text
    }

    /// Waits until the screen shows what `wanted` looks for, up to
    /// `within`; the screen it last saw either way.
    pub fn wait_for(&mut self, within: Duration, wanted: impl Fn(&str) -> bool) -> Result<String, String> {
        let deadline = Instant::now() + within;
        loop {
            let screen = self.screen();
            if wanted(&screen) {
                return Ok(screen);
            }
            if Instant::now() >= deadline {
                return Err(screen);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The operator quit and the session has ended.
    pub fn ended(&self) -> bool {
        self.session.ended()
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        // A session still running is left to end with the process.
        if self.session.ended() {
            self.session.join();
        }
    }
}
