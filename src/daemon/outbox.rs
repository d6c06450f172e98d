//! What the daemon sends one connection, and in what order.
//!
//! A console's answers and the events relayed to it share one socket, and
//! every frame goes out whole, in the order it was handed over. Answers go
//! through the connection's queue to its sender thread, which writes with
//! the socket blocking. An event is written at once by the thread relaying
//! it, without waiting, when nothing is queued before it and the socket has
//! room, which is nearly always: one change then reaches a hundred consoles
//! without waking a hundred sender threads, whose turns on a small server's
//! cores were most of a paced request's tail (docs/performance.md, "The
//! daemon under load"). An event that cannot go at once is queued behind
//! what is there; one that finds the queue full is dropped, and the client
//! is told to reload once it reads again, so a console that stops reading
//! holds up no one.

use std::io::{self, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex, TryLockError};

/// Frames waiting to go to one client. Answers wait for room; events do not.
pub(super) const QUEUE: usize = 512;

/// Bytes ready for the socket: a frame's length and then its body, or the
/// rest of a frame that was only partly written. Shared, not copied, by
/// every connection an event goes to.
pub(super) type Wire = Arc<Vec<u8>>;

/// The sending side of one connection, shared by its sender thread and by
/// whoever hands it a frame.
struct Line {
    socket: Mutex<UnixStream>,
    /// Items handed to the queue and not yet written: raised before an item
    /// goes in, lowered once it is written (under `socket`'s lock) or if it
    /// never went in. So a relay holding the lock and finding it 0 knows
    /// that nothing is waiting to go first.
    queued: AtomicUsize,
    /// Events were dropped; the sender says so after the next thing it writes.
    lagged: AtomicBool,
}

/// A connection's outgoing frames; dropping it lets the sender finish what
/// is queued and stop.
pub(super) struct Outbox {
    queue: SyncSender<Wire>,
    line: Arc<Line>,
}

/// Runs on the connection's sender thread until its [`Outbox`] is dropped
/// and the queue is written, or the client goes.
pub(super) struct Sender {
    items: Receiver<Wire>,
    line: Arc<Line>,
}

/// What became of an event offered to a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Offered {
    /// Written, or queued behind what was there.
    Taken,
    /// Dropped: the queue is full. `first` if it is the first since the
    /// client last caught up.
    Dropped { first: bool },
}

/// `body` framed for the wire, as [`super::protocol::write_frame`] frames it.
pub(super) fn wire(body: &[u8]) -> io::Result<Wire> {
    let mut out = Vec::with_capacity(body.len() + 4);
    super::protocol::write_frame(&mut out, body)?;
    Ok(Arc::new(out))
}

/// An outbox for `socket` and the sender that drains it.
pub(super) fn outbox(socket: UnixStream) -> (Outbox, Sender) {
    let (queue, items) = sync_channel(QUEUE);
    let line =
        Arc::new(Line { socket: Mutex::new(socket), queued: AtomicUsize::new(0), lagged: AtomicBool::new(false) });
    (Outbox { queue, line: Arc::clone(&line) }, Sender { items, line })
}

impl Outbox {
    /// Queues `bytes` behind everything before them, waiting for room: for
    /// answers, which must not be lost. Fails once the sender has stopped.
    pub(super) fn send(&self, bytes: Wire) -> Result<(), Wire> {
        self.line.queued.fetch_add(1, Ordering::SeqCst);
        self.queue.send(bytes).map_err(|e| {
            self.line.queued.fetch_sub(1, Ordering::SeqCst);
            e.0
        })
    }

    /// Hands over an event, without ever waiting: written now if nothing is
    /// queued and the socket has room, else queued, else dropped (and, with
    /// `lag_if_dropped`, the client later told to reload).
    pub(super) fn offer(&self, bytes: &Wire, lag_if_dropped: bool) -> Offered {
        let socket = match self.line.socket.try_lock() {
            Ok(socket) => Some(socket),
            Err(TryLockError::Poisoned(p)) => Some(p.into_inner()),
            // The sender is writing: queue behind it.
            Err(TryLockError::WouldBlock) => None,
        };
        if let Some(socket) = socket {
            let idle = self.line.queued.load(Ordering::SeqCst) == 0 && !self.line.lagged.load(Ordering::SeqCst);
            if idle {
                match send_now(&socket, bytes) {
                    Now::All | Now::Gone => return Offered::Taken,
                    // The rest goes next, before anything else: the queue is
                    // empty and the lock is held, so nothing can come between.
                    Now::Part(written) => {
                        self.line.queued.fetch_add(1, Ordering::SeqCst);
                        if self.queue.try_send(Arc::new(bytes[written..].to_vec())).is_err() {
                            self.line.queued.fetch_sub(1, Ordering::SeqCst);
                        }
                        return Offered::Taken;
                    }
                    Now::Nothing => {}
                }
            }
        }
        self.line.queued.fetch_add(1, Ordering::SeqCst);
        match self.queue.try_send(Arc::clone(bytes)) {
            Ok(()) => Offered::Taken,
            Err(e) => {
                self.line.queued.fetch_sub(1, Ordering::SeqCst);
                match e {
                    TrySendError::Full(_) if lag_if_dropped => {
                        Offered::Dropped { first: !self.line.lagged.swap(true, Ordering::SeqCst) }
                    }
                    TrySendError::Full(_) => Offered::Dropped { first: false },
                    TrySendError::Disconnected(_) => Offered::Taken,
                }
            }
        }
    }
}

impl Sender {
    /// Writes the queue until it ends. `reload` is the frame that tells a
    /// client events were dropped: sent after the next item written once
    /// they were, so that its reload sees what it missed, and however busy
    /// the queue stays.
    pub(super) fn run(self, reload: &Wire) {
        while let Ok(bytes) = self.items.recv() {
            let mut socket = self.line.socket.lock().unwrap_or_else(|p| p.into_inner());
            let wrote = socket.write_all(&bytes);
            self.line.queued.fetch_sub(1, Ordering::SeqCst);
            if wrote.is_err() {
                return;
            }
            if self.line.lagged.swap(false, Ordering::SeqCst) && socket.write_all(reload).is_err() {
                return;
            }
        }
    }
}

/// How far a write that does not wait got.
enum Now {
    All,
    /// This many bytes went; the socket has no room for the rest yet.
    Part(usize),
    /// The socket had no room at all.
    Nothing,
    /// The client has gone; its reader finds out and ends the connection.
    Gone,
}

fn send_now(socket: &UnixStream, bytes: &[u8]) -> Now {
    use nix::errno::Errno;
    use nix::sys::socket::{MsgFlags, send};
    let mut written = 0;
    while written < bytes.len() {
        match send(socket.as_raw_fd(), &bytes[written..], MsgFlags::MSG_DONTWAIT | MsgFlags::MSG_NOSIGNAL) {
            Ok(n) => written += n,
            Err(Errno::EINTR) => {}
            Err(Errno::EAGAIN) if written == 0 => return Now::Nothing,
            Err(Errno::EAGAIN) => return Now::Part(written),
            Err(_) => return Now::Gone,
        }
    }
    Now::All
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn frames(mut r: impl Read) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        while let Ok(Some(frame)) = super::super::protocol::read_frame(&mut r) {
            out.push(frame);
        }
        out
    }

    /// A body that names its number, `len` bytes long.
    fn body(n: usize, len: usize) -> Vec<u8> {
        let mut b = format!("{n:08}").into_bytes();
        b.resize(len, b'.');
        b
    }

    /// An outbox on one end of a socket pair, its sender running (its
    /// reload frame is `reload`), and the other end.
    fn started() -> (Outbox, UnixStream, std::thread::JoinHandle<()>) {
        let (ours, theirs) = UnixStream::pair().expect("a socket pair");
        let (outbox, sender) = outbox(ours);
        let reload = wire(b"reload").expect("framed");
        (outbox, theirs, std::thread::spawn(move || sender.run(&reload)))
    }

    #[test]
    fn answers_and_events_arrive_whole_and_in_order_even_when_the_socket_fills() {
        let (outbox, theirs, sending) = started();
        // Large enough that the socket's buffer fills and events are split,
        // few enough that the queue never overflows.
        let mut sent = Vec::new();
        let reading = std::thread::spawn(move || frames(theirs));
        for n in 0..300 {
            let b = body(n, 3_000 + n * 97);
            let bytes = wire(&b).expect("framed");
            if n % 3 == 0 {
                outbox.send(bytes).expect("queued");
            } else {
                assert_eq!(outbox.offer(&bytes, true), Offered::Taken);
            }
            sent.push(b);
        }
        drop(outbox);
        sending.join().expect("the sender");
        assert_eq!(reading.join().expect("the reader"), sent);
    }

    #[test]
    fn a_client_that_stops_reading_loses_events_not_answers_and_is_told_once_it_reads() {
        let (outbox, theirs, sending) = started();
        // Nobody reads: the socket fills, then the queue, then events drop.
        let mut dropped = Vec::new();
        for n in 0..(QUEUE * 4) {
            dropped.push(outbox.offer(&wire(&body(n, 4_000)).expect("framed"), true));
        }
        let firsts = dropped.iter().filter(|d| **d == Offered::Dropped { first: true }).count();
        assert_eq!(firsts, 1, "the first drop is reported once");
        assert!(dropped.iter().filter(|d| matches!(d, Offered::Dropped { .. })).count() > QUEUE);
        // The reader starts; an answer still goes.
        let reading = std::thread::spawn(move || frames(theirs));
        assert!(outbox.send(wire(b"the answer").expect("framed")).is_ok());
        drop(outbox);
        sending.join().expect("the sender");
        let got = reading.join().expect("the reader");
        let at = |what: &[u8]| got.iter().position(|f| f.as_slice() == what);
        let (Some(answer), Some(reload)) = (at(b"the answer"), at(b"reload")) else { panic!("missing: {got:?}") };
        assert_eq!(got.iter().filter(|f| f.as_slice() == b"reload").count(), 1, "told once");
        // Told once writing moved again: after an event, not before any.
        assert!(reload > 0, "{got:?}");
        // Every event that arrived came whole and in order.
        let events: Vec<(usize, &Vec<u8>)> =
            got.iter().enumerate().filter(|(i, _)| *i != answer && *i != reload).collect();
        assert!(events.iter().all(|(_, f)| f.len() == 4_000));
        let numbers: Vec<usize> =
            events.iter().map(|(_, f)| String::from_utf8_lossy(&f[..8]).parse().expect("a numbered body")).collect();
        assert!(numbers.windows(2).all(|w| w[0] < w[1]), "{numbers:?}");
    }
}
