//! What keeps the daemon serving when a peer misbehaves: how many
//! connections it takes, how long and how much a handshake may take, how it
//! waits out a failing `accept()`, and how much it says about refusals.
//!
//! Anyone in the caredesk group can reach the socket, operator or not, so
//! nothing a peer does before the handshake may cost the daemon more than a
//! fixed amount of memory, time, file descriptors or log. Every limit is a
//! constant here and is stated in the README ("Deploying for a helpdesk").
//! This module decides and counts; it does not serve anyone.

use std::collections::HashMap;
use std::io::{self, Read};
use std::os::unix::net::UnixStream;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Connections from other processes served at once, handshakes included.
/// Each takes three file descriptors once it is served, well inside the
/// usual limit of 1,024 with the database's own.
pub const MAX_CONNECTIONS: usize = 128;

/// Connections one user (so one operator) may hold at once: a few consoles
/// and the commands they run, not hundreds of idle ones.
pub const MAX_PER_USER: usize = 16;

/// The whole handshake, from the connection to the daemon's answer: a
/// client says hello at once, so this is plenty, and a peer that trickles
/// bytes cannot hold a connection longer.
pub const HANDSHAKE_DEADLINE: Duration = Duration::from_secs(5);

/// Refusals logged one by one in each [`REFUSAL_WINDOW`]; the rest are
/// counted in one line when the window ends.
pub const REFUSALS_LOGGED: u32 = 20;
pub const REFUSAL_WINDOW: Duration = Duration::from_secs(60);

/// The first and the longest wait after `accept()` fails (out of file
/// descriptors, say): it doubles while the failures go on.
const BACKOFF_FIRST: Duration = Duration::from_millis(10);
const BACKOFF_MOST: Duration = Duration::from_secs(1);

/// The most a refused peer's pending bytes are read before closing, so
/// that its side reads our refusal rather than a reset.
const DRAIN: usize = 4096;

/// `text` from a peer, fit for one log line: control characters (CR and LF
/// among them) and the invisible ones that reorder text are written as
/// escapes, so nothing a peer sends can start a line or disguise one.
pub fn escaped(text: &str) -> String {
    let hidden = |c: char| {
        c.is_control()
            || matches!(c, '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
    };
    if !text.chars().any(hidden) {
        return text.to_owned();
    }
    text.chars().map(|c| if hidden(c) { c.escape_default().collect() } else { c.to_string() }).collect()
}

/// Counts connections so that no user, and no crowd, can take them all.
#[derive(Default)]
pub struct Admission {
    counts: Mutex<Counts>,
}

#[derive(Default)]
struct Counts {
    total: usize,
    by_user: HashMap<u32, usize>,
}

/// A connection's place, given back when it is dropped.
pub struct Slot {
    admission: Arc<Admission>,
    uid: u32,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut counts = self.admission.counts.lock().unwrap_or_else(|p| p.into_inner());
        counts.total = counts.total.saturating_sub(1);
        if let Some(n) = counts.by_user.get_mut(&self.uid) {
            *n -= 1;
            if *n == 0 {
                counts.by_user.remove(&self.uid);
            }
        }
    }
}

impl Admission {
    /// A place for a connection from user `uid`, or why there is none, in
    /// words for the person connecting.
    pub fn admit(self: &Arc<Self>, uid: u32) -> Result<Slot, String> {
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        let theirs = counts.by_user.get(&uid).copied().unwrap_or(0);
        if theirs >= MAX_PER_USER {
            return Err(format!(
                "you already have {theirs} connections to the caredesk daemon, the most one user may have: close a \
                 console or command you left open and try again"
            ));
        }
        if counts.total >= MAX_CONNECTIONS {
            return Err(format!(
                "the caredesk daemon is serving as many connections as it takes ({MAX_CONNECTIONS}): try again in a \
                 minute, and tell an administrator if it goes on"
            ));
        }
        counts.total += 1;
        *counts.by_user.entry(uid).or_default() += 1;
        Ok(Slot { admission: Arc::clone(self), uid })
    }
}

/// Logs refusals one by one up to [`REFUSALS_LOGGED`] a window, then counts
/// them, so a peer that connects in a loop cannot fill the disk.
pub struct RefusalLog {
    window: Mutex<Window>,
}

struct Window {
    started: Instant,
    logged: u32,
    held_back: u64,
}

impl Default for RefusalLog {
    fn default() -> RefusalLog {
        RefusalLog { window: Mutex::new(Window { started: Instant::now(), logged: 0, held_back: 0 }) }
    }
}

impl RefusalLog {
    /// Logs that a connection from `uid` was refused for `reason`, unless
    /// this window has had its share. The reason is escaped here: it may
    /// quote the peer.
    pub fn refused(&self, uid: Option<u32>, reason: &str) {
        let mut w = self.window.lock().unwrap_or_else(|p| p.into_inner());
        Self::roll(&mut w);
        if w.logged < REFUSALS_LOGGED {
            w.logged += 1;
            tracing::warn!(uid, "connection refused: {}", escaped(reason));
        } else {
            w.held_back += 1;
        }
    }

    /// Ends the window once its time is up, saying how many refusals it did
    /// not log; called now and then by the accept loop.
    pub fn tick(&self) {
        Self::roll(&mut self.window.lock().unwrap_or_else(|p| p.into_inner()));
    }

    fn roll(w: &mut Window) {
        if w.started.elapsed() < REFUSAL_WINDOW {
            return;
        }
        if w.held_back > 0 {
            tracing::warn!(
                "{} more connections were refused in the last {} s and not logged one by one",
                w.held_back,
                REFUSAL_WINDOW.as_secs()
            );
        }
        *w = Window { started: Instant::now(), logged: 0, held_back: 0 };
    }
}

/// Waits out a run of `accept()` failures: longer each time up to a
/// second, with one log line when the run starts and one when it ends.
#[derive(Default)]
pub struct Backoff {
    failures: u64,
    wait: Duration,
}

impl Backoff {
    /// How long to wait after this failure.
    pub fn failed(&mut self, error: &io::Error) -> Duration {
        if self.failures == 0 {
            tracing::error!(
                "accepting a connection failed: {error}; waiting and retrying (at most every {} s) without logging \
                 each failure",
                BACKOFF_MOST.as_secs()
            );
            self.wait = BACKOFF_FIRST;
        } else {
            self.wait = (self.wait * 2).min(BACKOFF_MOST);
        }
        self.failures += 1;
        self.wait
    }

    pub fn succeeded(&mut self) {
        if self.failures > 0 {
            tracing::warn!(failures = self.failures, "accepting connections again");
        }
        *self = Backoff::default();
    }
}

/// Fills `buf` from `stream` by `deadline`, however the peer spaces its
/// bytes. `Ok(false)`: the peer closed before the first byte.
pub fn read_by(stream: &mut UnixStream, buf: &mut [u8], deadline: Instant) -> io::Result<bool> {
    let mut filled = 0;
    while filled < buf.len() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::Error::new(io::ErrorKind::TimedOut, "the handshake took too long"));
        }
        stream.set_read_timeout(Some(left))?;
        match stream.read(&mut buf[filled..]) {
            Ok(0) if filled == 0 => return Ok(false),
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => filled += n,
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}

/// Turns a connection away at once, from the accept loop, without a
/// thread: what it already sent is read and dropped, the refusal written
/// if there is room, and the connection closed.
pub fn turn_away(stream: UnixStream, refusal: &[u8]) {
    use std::io::Write;
    if stream.set_nonblocking(true).is_err() {
        return;
    }
    let mut pending = [0u8; DRAIN];
    let _ = (&stream).read(&mut pending);
    let _ = (&stream).write_all(refusal);
    let _ = stream.shutdown(std::net::Shutdown::Write);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_forged_log_line_is_escaped_onto_one_line() {
        let forged = "x\r\n2026-01-01T00:00:00Z INFO operator connected operator=root\u{1b}[2J\u{202e}";
        let line = escaped(forged);
        assert!(!line.chars().any(|c| c.is_control() || c == '\u{202e}'), "{line:?}");
        assert!(line.starts_with(r"x\r\n2026"), "{line}");
        assert!(line.contains(r"\u{1b}[2J\u{202e}"), "{line}");
        assert_eq!(escaped("Jo Bloggs (release 0.1.0)"), "Jo Bloggs (release 0.1.0)");
    }

    #[test]
    fn one_user_cannot_take_every_connection_and_a_closed_one_frees_its_place() {
        let admission = Arc::new(Admission::default());
        let held: Vec<Slot> = (0..MAX_PER_USER).map(|_| admission.admit(1000).expect("within the cap")).collect();
        let refusal = admission.admit(1000).err().expect("one more than the cap");
        assert!(refusal.contains(&format!("already have {MAX_PER_USER} connections")), "{refusal}");
        assert!(admission.admit(1001).is_ok(), "another user is still served");
        drop(held);
        assert!(admission.admit(1000).is_ok(), "closed connections give their places back");
    }

    #[test]
    fn many_users_together_stop_at_the_total() {
        let admission = Arc::new(Admission::default());
        let held: Vec<Slot> =
            (0..MAX_CONNECTIONS as u32).map(|i| admission.admit(i / 2).expect("within the total")).collect();
        let refusal = admission.admit(99_999).err().expect("past the total");
        assert!(refusal.contains(&format!("as many connections as it takes ({MAX_CONNECTIONS})")), "{refusal}");
        drop(held);
        assert!(admission.admit(99_999).is_ok());
    }

    #[test]
    fn a_backoff_doubles_to_a_second_and_starts_again_after_a_success() {
        let mut backoff = Backoff::default();
        let e = io::Error::from_raw_os_error(24);
        let waits: Vec<Duration> = (0..10).map(|_| backoff.failed(&e)).collect();
        assert_eq!(waits[0], BACKOFF_FIRST);
        assert_eq!(waits[1], BACKOFF_FIRST * 2);
        assert_eq!(*waits.last().unwrap(), BACKOFF_MOST);
        backoff.succeeded();
        assert_eq!(backoff.failed(&e), BACKOFF_FIRST);
    }
}
