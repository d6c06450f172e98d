//! The terminal console: ticket queue, account lookup and shared mailbox
//! side by side.
//!
//! Everything the console reads or changes goes through a [`Desk`]; the
//! console itself holds only what one operator's session needs (what is
//! selected, what is typed). [`run`] owns the terminal and puts it back as
//! it found it on quit, on error and on panic.

pub mod accounts;
pub mod app;
pub mod form;
pub mod keymap;
pub mod mailboxes;
pub mod pane;
pub mod queue;
pub mod text;
pub mod theme;

use std::io::{self, Stdout};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::Timelike;

use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{self, DisableMouseCapture, EnableMouseCapture};
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode};

pub use crate::desk::{self, Clock, Desk, DeskEvent, DeskExt, LocalDesk};
pub use app::App;
pub use keymap::KeyMap;
pub use theme::Theme;

/// How long the loop waits for input before letting time pass (the clock
/// in the top bar, the shift changing) and taking in other operators'
/// changes, which therefore show within this much of arriving.
const TICK: Duration = Duration::from_millis(250);

/// Puts the terminal back: mouse reporting off, the normal screen, cooked
/// mode. Safe to call more than once.
fn restore() {
    let _ = execute!(io::stdout(), DisableMouseCapture, LeaveAlternateScreen);
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
    execute!(io::stdout(), EnterAlternateScreen, EnableMouseCapture)?;
    let terminal = Terminal::new(CrosstermBackend::new(io::stdout()))?;
    Ok((guard, terminal))
}

/// Redraws are at most this close together; input that arrives faster is
/// taken in a batch and drawn once.
const FRAME: Duration = Duration::from_millis(33);

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

/// Runs the console until the operator quits, or until the process is
/// told to stop (see [`watch_signals`]).
pub fn run(mut app: App) -> anyhow::Result<()> {
    let stop = Arc::new(AtomicBool::new(false));
    watch_signals(Arc::clone(&stop))?;
    let (_guard, mut terminal) = start()?;
    let mut dirty = true;
    let mut drawn_at = Instant::now();
    let mut minute = app.desk().now().minute();
    while !app.should_quit() {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        if dirty && drawn_at.elapsed() >= FRAME {
            terminal.draw(|frame| app.draw(frame))?;
            drawn_at = Instant::now();
            dirty = false;
        }
        let wait = if dirty { FRAME.saturating_sub(drawn_at.elapsed()) } else { TICK };
        if event::poll(wait)? {
            // Take everything already waiting before drawing again, so a
            // held-down key or a pasted string does not lag.
            loop {
                app.handle(event::read()?);
                if app.should_quit() || !event::poll(Duration::ZERO)? {
                    break;
                }
            }
            dirty = true;
        } else if !dirty {
            dirty = app.tick();
            let now = app.desk().now().minute();
            dirty |= now != minute;
            minute = now;
        }
        dirty |= app.take_events();
    }
    terminal.show_cursor()?;
    Ok(())
}
