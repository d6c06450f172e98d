//! The terminal console: ticket queue, account lookup and shared mailbox
//! side by side.
//!
//! Everything the console reads or changes goes through a [`Desk`]; the
//! console itself holds only what one operator's session needs (what is
//! selected, what is typed). [`run`] owns the terminal and puts it back as
//! it found it on quit, on error and on panic.

pub mod accounts;
pub mod app;
pub mod courier;
pub mod dashboard;
pub mod form;
pub mod keymap;
pub mod mailboxes;
pub mod marks;
pub mod pane;
pub mod queue;
pub mod session;
pub mod text;
pub mod theme;

use std::io::{self, Stdout};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{
    self, DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
};
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode};

pub use crate::desk::{self, Clock, Desk, DeskEvent, DeskExt, LocalDesk};
pub use app::{App, ERROR_STALE, NOTICE_STALE};
pub use courier::{Courier, Waiting};
pub use keymap::KeyMap;
pub use session::Console;
pub use theme::Theme;

/// Puts the terminal back: mouse reporting and bracketed paste off, the
/// normal screen, cooked mode. Safe to call more than once.
fn restore() {
    let _ = execute!(io::stdout(), DisableBracketedPaste, DisableMouseCapture, LeaveAlternateScreen);
    let _ = disable_raw_mode();
    let _ = execute!(io::stdout(), ratatui::crossterm::cursor::Show);
}

/// Restores the terminal when dropped, so an early return or an unwinding
/// panic leaves the operator's shell usable.
struct TerminalGuard;

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

fn start() -> io::Result<(TerminalGuard, Terminal<CrosstermBackend<Stdout>>)> {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        // Restore first, so the panic message lands on a normal screen.
        restore();
        tracing::error!("console panic: {info}");
        previous(info);
    }));
    enable_raw_mode()?;
    let guard = TerminalGuard;
    execute!(io::stdout(), EnterAlternateScreen, EnableMouseCapture, EnableBracketedPaste)?;
    let terminal = Terminal::new(CrosstermBackend::new(io::stdout()))?;
    Ok((guard, terminal))
}

/// How long a stop signal waits for the loop to finish on its own.
const STOP_GRACE: Duration = Duration::from_secs(2);

/// Sets `stop` on SIGTERM, or on SIGHUP when the SSH connection drops. The
/// loop sees the flag within a tick and quits, handing the terminal back.
/// When the terminal itself has gone, reading it can spin without ever
/// returning, so if the loop has not finished after [`STOP_GRACE`] the
/// process ends here; every change was flushed when it was made, so only
/// unsaved form input is lost, as it would be anyway.
fn watch_signals(stop: Arc<AtomicBool>) -> io::Result<()> {
    use signal_hook::consts::{SIGHUP, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGTERM, SIGHUP])?;
    std::thread::Builder::new().name("console-signals".into()).spawn(move || {
        if let Some(signal) = signals.forever().next() {
            tracing::warn!(signal, "console told to stop; any unsaved form input is discarded");
            stop.store(true, Ordering::SeqCst);
            std::thread::sleep(STOP_GRACE);
            restore();
            tracing::warn!("the terminal did not answer; stopping without it");
            std::process::exit(1);
        }
    })?;
    Ok(())
}

/// How long the screen side waits for a key when none is being answered.
const IDLE_POLL: Duration = Duration::from_millis(20);
/// How often it looks for the session's picture after passing on a key,
/// and for how long before it goes back to waiting idly (a slow answer
/// shows a spinner anyway).
const ANSWER_POLL: Duration = Duration::from_millis(1);
const ANSWER_WATCH: Duration = Duration::from_millis(100);

/// Runs the console until the operator quits, or until the process is
/// told to stop (see [`watch_signals`]). `app` runs on its own thread (see
/// [`session`]); this one only reads the terminal and draws, so it never
/// waits on the desk. `waiting` is that of the [`Courier`] the app's desk is.
pub fn run(app: App, waiting: Arc<Waiting>) -> anyhow::Result<()> {
    let stop = Arc::new(AtomicBool::new(false));
    watch_signals(Arc::clone(&stop))?;
    let (_guard, mut terminal) = start()?;
    let mut front = session::Front::new(app.keymap().clone(), app.theme(), waiting);
    let mut session = session::Session::start(app, terminal.size()?)?;
    let mut dirty = true;
    let mut drawn_at = Instant::now();
    // When input was last passed on and its picture not yet taken.
    let mut answer_due: Option<Instant> = None;
    while !session.ended() && !stop.load(Ordering::SeqCst) {
        // The session draws on its own thread and nothing here wakes on its
        // picture, so after a key look for it often, for a while, instead
        // of waiting out a whole idle poll: that alone was 20 ms a key.
        let wait = match answer_due {
            Some(since) if since.elapsed() < ANSWER_WATCH => ANSWER_POLL,
            _ => session::FRAME.min(IDLE_POLL),
        };
        if event::poll(wait)? {
            // Pass on everything already waiting before drawing again, so a
            // held-down key does not lag.
            loop {
                front.input(event::read()?, &session);
                if !event::poll(Duration::ZERO)? {
                    break;
                }
            }
            answer_due = Some(Instant::now());
        }
        if front.take_shot(&session) {
            dirty = true;
            answer_due = None;
        }
        dirty |= front.status_changed();
        if dirty && drawn_at.elapsed() >= session::FRAME {
            terminal.draw(|frame| front.draw(frame))?;
            drawn_at = Instant::now();
            dirty = false;
        }
    }
    if session.ended() {
        session.join();
    }
    terminal.show_cursor()?;
    Ok(())
}
