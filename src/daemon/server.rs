//! The daemon: accepts connections, recognises each operator, answers their
//! requests through the service and relays every change to everyone.
//!
//! One thread per connection reads requests and answers them in order,
//! through the connection's outbox (`outbox`): its sender thread writes the
//! answers, and the relay writes each event to every socket itself when it
//! can do so without waiting. Frames never interleave. A slow client cannot
//! hold up the others: events to it are dropped once its queue is full, and
//! it is told to reload everything instead. What a peer may cost before and
//! after its handshake is bounded by `guard`.

use std::collections::HashMap;
use std::io::{BufReader, ErrorKind, Read};
use std::os::fd::AsFd;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use super::guard::{self, Admission, Backoff, HANDSHAKE_DEADLINE, RefusalLog, Slot, escaped};
use super::notify::DaemonEvent;
use super::outbox::{self, Offered, Outbox, Wire};
use super::protocol::{self, Body, Envelope, Hello, PROTOCOL, RELEASE, Reply, ServerMessage, Welcome};
use super::socket;
use crate::desk::Clock;
use crate::import::{ImportError, ImportKind, import_csv};
use crate::service::ops::Sweep;
use crate::service::{ChangeEvent, Ctx, Service, ServiceError, WireError};

/// How a connection's operator is known.
enum Identity {
    /// From the socket's peer credentials, read when it was accepted: the
    /// normal way.
    Peer { uid: u32 },
    /// Already known: a connection the daemon made itself, in-process.
    Given(String),
}

/// How `caredesk serve` was asked to run.
#[derive(Debug, Clone)]
pub struct Options {
    pub socket: PathBuf,
    /// The group that may reach the socket (default: `caredesk`, if it exists).
    pub group: Option<String>,
    /// The scheduled lifecycle sweep, if any.
    pub sweep: Option<Schedule>,
}

/// How often the lifecycle sweep runs, and as whom: an operator who may run
/// it (a supervisor), normally the daemon's own user.
#[derive(Debug, Clone)]
pub struct Schedule {
    pub every: Duration,
    pub operator: String,
}

/// How long the daemon's answer to a hello may take to write: it is small,
/// so only a peer that stopped reading takes this long.
const WELCOME_TIMEOUT: Duration = Duration::from_secs(1);

/// How long a stop waits for requests in progress to finish.
const STOP_GRACE: Duration = Duration::from_secs(5);

struct Conn {
    id: u64,
    operator: String,
    outbox: Outbox,
    stream: UnixStream,
}

/// Shared by every thread of the daemon.
struct Shared {
    service: Arc<Service>,
    clock: Clock,
    conns: Mutex<HashMap<u64, Arc<Conn>>>,
    next_conn: AtomicU64,
    /// Connections being served, from the handshake until the last frame is
    /// written: a stop waits for them.
    live: AtomicUsize,
    stop: Stopper,
    /// Places for connections from other processes.
    admission: Arc<Admission>,
    refusals: RefusalLog,
    /// Told of operators coming and going and of sweeps (systemd's status line).
    on_event: Option<EventHook>,
    /// What each console has open.
    presence: super::presence::Board,
}

type EventHook = Box<dyn Fn(DaemonEvent) + Send + Sync>;

fn report(shared: &Shared, event: impl FnOnce(&Shared) -> DaemonEvent) {
    if let Some(hook) = &shared.on_event {
        hook(event(shared));
    }
}

fn operators_now(shared: &Shared) -> DaemonEvent {
    let conns = shared.conns.lock().unwrap_or_else(|p| p.into_inner());
    let names: std::collections::HashSet<&str> = conns.values().map(|c| c.operator.as_str()).collect();
    DaemonEvent::Operators(names.len())
}

/// A flag with a wake-up, so sleeping threads notice a stop at once.
#[derive(Default)]
struct Stopper {
    stopped: Mutex<bool>,
    wake: Condvar,
}

impl Stopper {
    fn stop(&self) {
        *self.stopped.lock().unwrap_or_else(|p| p.into_inner()) = true;
        self.wake.notify_all();
    }
    fn is_stopped(&self) -> bool {
        *self.stopped.lock().unwrap_or_else(|p| p.into_inner())
    }
    /// Sleeps for `d` or until stopped; true when stopped.
    fn sleep(&self, d: Duration) -> bool {
        let guard = self.stopped.lock().unwrap_or_else(|p| p.into_inner());
        let (guard, _) = self.wake.wait_timeout_while(guard, d, |s| !*s).unwrap_or_else(|p| p.into_inner());
        *guard
    }
}

/// Stops a running daemon from another thread (the signal handler, a test).
#[derive(Clone)]
pub struct StopHandle(Arc<Shared>);

impl StopHandle {
    pub fn stop(&self) {
        self.0.stop.stop();
    }
}

pub struct Daemon {
    shared: Arc<Shared>,
    listener: Option<UnixListener>,
    socket: Option<PathBuf>,
    sweep: Option<Schedule>,
    backups: Option<super::backups::BackupSchedule>,
}

impl Daemon {
    /// A daemon on `service`, listening at `options.socket`.
    pub fn bind(service: Arc<Service>, options: &Options) -> Result<Daemon> {
        socket::prepare(&options.socket, options.group.as_deref())?;
        let listener = UnixListener::bind(&options.socket)
            .with_context(|| format!("could not listen on {}", options.socket.display()))?;
        socket::finish(&options.socket, options.group.as_deref())?;
        listener.set_nonblocking(true)?;
        let mut daemon = Daemon::without_socket(service);
        daemon.listener = Some(listener);
        daemon.socket = Some(options.socket.clone());
        daemon.sweep = options.sweep.clone();
        Ok(daemon)
    }

    /// A daemon with no socket: connections come only from [`Daemon::connect`].
    pub fn without_socket(service: Arc<Service>) -> Daemon {
        let shared = Arc::new(Shared {
            service,
            clock: Clock::System,
            conns: Mutex::new(HashMap::new()),
            next_conn: AtomicU64::new(1),
            live: AtomicUsize::new(0),
            stop: Stopper::default(),
            admission: Arc::default(),
            refusals: RefusalLog::default(),
            on_event: None,
            presence: super::presence::Board::default(),
        });
        Daemon { shared, listener: None, socket: None, sweep: None, backups: None }
    }

    /// Acts at `clock` instead of the system time (tests).
    pub fn with_clock(mut self, clock: Clock) -> Daemon {
        Arc::get_mut(&mut self.shared).expect("set the clock before running").clock = clock;
        self
    }

    /// Writes a backup on `schedule` while it runs.
    pub fn with_backups(mut self, schedule: super::backups::BackupSchedule) -> Daemon {
        self.backups = Some(schedule);
        self
    }

    /// Calls `hook` when operators connect or leave and after each sweep.
    pub fn on_event(mut self, hook: impl Fn(DaemonEvent) + Send + Sync + 'static) -> Daemon {
        Arc::get_mut(&mut self.shared).expect("set the hook before running").on_event = Some(Box::new(hook));
        self
    }

    pub fn stop_handle(&self) -> StopHandle {
        StopHandle(Arc::clone(&self.shared))
    }

    /// A connection for `operator` that skips the peer-credential check: for
    /// a process that already knows who its user is (tests, the load tool).
    /// It is reachable only in this process, which holds the service and so
    /// could call it directly anyway; the service still authorises every
    /// request.
    pub fn connect(&self, operator: &str) -> Result<super::Client, ServiceError> {
        let (ours, theirs) = UnixStream::pair().map_err(|e| ServiceError::Unavailable(e.to_string()))?;
        let shared = Arc::clone(&self.shared);
        let identity = Identity::Given(operator.to_owned());
        std::thread::Builder::new()
            .name("caredesk-conn".into())
            .spawn(move || serve_connection(&shared, theirs, identity, None))
            .map_err(|e| ServiceError::Unavailable(e.to_string()))?;
        super::Client::over(ours, "an in-process daemon")
    }

    /// Tells the other consoles of presence that lapsed; runs until stopped.
    fn start_presence_sweep(&self) -> Result<()> {
        let shared = Arc::clone(&self.shared);
        std::thread::Builder::new().name("caredesk-presence".into()).spawn(move || {
            while !shared.stop.sleep(PRESENCE_SWEEP) {
                for news in shared.presence.expire(Instant::now()) {
                    tell_others(&shared, news.console, &news);
                }
            }
        })?;
        Ok(())
    }

    /// Relays the service's changes to every connection; runs until stopped.
    /// Started by [`Daemon::run`], or by a caller that serves only
    /// in-process connections.
    pub fn start_relay(&self) -> Result<()> {
        let events = self.shared.service.subscribe();
        let shared = Arc::clone(&self.shared);
        std::thread::Builder::new().name("caredesk-relay".into()).spawn(move || relay(&shared, &events))?;
        self.start_keeping_the_opening_lists()?;
        self.start_presence_sweep()
    }

    /// Reads the lists consoles open on in the background, so that the
    /// first operators in are served kept lists; a console that asks
    /// before the read is done waits for that same read.
    fn start_keeping_the_opening_lists(&self) -> Result<()> {
        let shared = Arc::clone(&self.shared);
        std::thread::Builder::new().name("caredesk-lists".into()).spawn(move || {
            if let Err(e) = shared.service.keep_the_opening_lists() {
                // Not fatal: each list is read when first asked for instead.
                tracing::warn!("could not read the queue lists ahead of the consoles: {e}");
            }
        })?;
        Ok(())
    }

    /// Serves until stopped, then closes every connection, waits for the
    /// requests in progress, flushes and removes the socket.
    pub fn run(self) -> Result<()> {
        self.start_relay()?;
        if let Some(schedule) = self.sweep.clone() {
            let shared = Arc::clone(&self.shared);
            std::thread::Builder::new().name("caredesk-sweep".into()).spawn(move || sweeps(&shared, &schedule))?;
        }
        if let Some(schedule) = self.backups.clone() {
            let shared = Arc::clone(&self.shared);
            std::thread::Builder::new().name("caredesk-backup".into()).spawn(move || {
                super::backups::run(&shared.service, &schedule, |d| shared.stop.sleep(d));
            })?;
        }
        if let Some(listener) = &self.listener {
            tracing::info!(socket = %self.socket.as_deref().unwrap_or(Path::new("")).display(), "daemon serving");
            self.accept(listener);
        } else {
            while !self.shared.stop.sleep(Duration::from_secs(3600)) {}
        }
        self.shut_down()
    }

    fn accept(&self, listener: &UnixListener) {
        use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
        let mut backoff = Backoff::default();
        while !self.shared.stop.is_stopped() {
            self.shared.refusals.tick();
            let mut fds = [PollFd::new(listener.as_fd(), PollFlags::POLLIN)];
            match poll(&mut fds, PollTimeout::from(200u16)) {
                Ok(0) => continue,
                Ok(_) => {}
                Err(nix::errno::Errno::EINTR) => continue,
                Err(e) => {
                    tracing::error!("waiting for connections failed: {e}");
                    std::thread::sleep(Duration::from_millis(200));
                    continue;
                }
            }
            match listener.accept() {
                Ok((stream, _)) => {
                    backoff.succeeded();
                    self.admit(stream);
                }
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::Interrupted) => {}
                // The peer gave up before it was accepted: nothing to do.
                Err(e) if e.kind() == ErrorKind::ConnectionAborted => {}
                // Out of file descriptors or memory: the connection waits in
                // the backlog, and retrying at once would spin.
                Err(e) => {
                    if self.shared.stop.sleep(backoff.failed(&e)) {
                        return;
                    }
                }
            }
        }
    }

    /// Serves a new connection in a thread of its own if its user has a
    /// place left, and turns it away at once otherwise.
    fn admit(&self, stream: UnixStream) {
        let shared = &self.shared;
        let uid = match peer_uid(&stream) {
            Ok(uid) => uid,
            Err(reason) => return shared.refusals.refused(None, &reason),
        };
        let slot = match shared.admission.admit(uid) {
            Ok(slot) => slot,
            Err(reason) => {
                shared.refusals.refused(Some(uid), &reason);
                let welcome = Welcome { protocol: PROTOCOL, release: RELEASE.to_owned(), verdict: Err(reason) };
                let mut frame = Vec::new();
                if protocol::write_frame(&mut frame, &welcome.to_bytes()).is_ok() {
                    guard::turn_away(stream, &frame);
                }
                return;
            }
        };
        let shared = Arc::clone(shared);
        let spawned = std::thread::Builder::new()
            .name("caredesk-conn".into())
            .spawn(move || serve_connection(&shared, stream, Identity::Peer { uid }, Some(slot)));
        if let Err(e) = spawned {
            self.shared.refusals.refused(Some(uid), &format!("could not start a connection thread: {e}"));
        }
    }

    fn shut_down(self) -> Result<()> {
        let conns: Vec<Arc<Conn>> =
            self.shared.conns.lock().unwrap_or_else(|p| p.into_inner()).values().cloned().collect();
        tracing::info!(connections = conns.len(), "daemon stopping");
        let mut closers = Vec::new();
        for conn in &conns {
            // No more requests are read; one in progress finishes and
            // answers, and its thread then queues the farewell.
            let _ = conn.stream.shutdown(std::net::Shutdown::Read);
            closers.extend(conn.stream.try_clone());
        }
        // Each connection closes itself once its queue is written.
        drop(conns);
        let deadline = Instant::now() + STOP_GRACE;
        while self.shared.live.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        // A client that stopped reading does not hold the stop up longer.
        for closer in closers {
            let _ = closer.shutdown(std::net::Shutdown::Both);
        }
        self.shared.service.store().flush().context("could not flush the database while stopping")?;
        if let Some(socket) = &self.socket {
            let _ = std::fs::remove_file(socket);
        }
        tracing::info!("daemon stopped; the database is flushed");
        Ok(())
    }
}

fn encode(message: &ServerMessage) -> Option<Vec<u8>> {
    match protocol::encode(message) {
        Ok(bytes) => Some(bytes),
        Err(e) => {
            tracing::error!("could not encode a message for a client: {e}");
            None
        }
    }
}

/// `message` encoded and framed for a socket.
fn framed(message: &ServerMessage) -> Option<Wire> {
    wire(&encode(message)?)
}

/// `body` framed for a socket; `None` (logged) for a body too large to
/// send, which [`read_requests`] refuses before it gets here.
fn wire(body: &[u8]) -> Option<Wire> {
    match outbox::wire(body) {
        Ok(wire) => Some(wire),
        Err(e) => {
            tracing::error!("could not frame a message for a client: {e}");
            None
        }
    }
}

/// The user id of the process at the other end of `stream`.
fn peer_uid(stream: &UnixStream) -> Result<u32, String> {
    use nix::sys::socket::{getsockopt, sockopt::PeerCredentials};
    let cred =
        getsockopt(stream, PeerCredentials).map_err(|e| format!("could not read the peer's credentials: {e}"))?;
    Ok(cred.uid())
}

/// The user name of user id `uid`.
fn user_name(uid: u32) -> Result<String, String> {
    match nix::unistd::User::from_uid(uid.into()) {
        Ok(Some(user)) => Ok(user.name),
        _ => Err(format!("user id {uid} has no name on this server, so it cannot be a caredesk operator")),
    }
}

/// The client's hello, read by `deadline` and no larger than any caredesk
/// sends; or, for the log, what was wrong with it.
fn read_hello(stream: &mut UnixStream, deadline: Instant) -> Result<Hello, String> {
    let failed = |e: std::io::Error| match e.kind() {
        ErrorKind::TimedOut => format!("it did not finish its hello within {} s", HANDSHAKE_DEADLINE.as_secs()),
        _ => format!("its hello could not be read: {e}"),
    };
    let mut len = [0u8; 4];
    if !guard::read_by(stream, &mut len, deadline).map_err(failed)? {
        return Err("it closed without saying hello".to_owned());
    }
    let len = u32::from_be_bytes(len) as usize;
    if len > protocol::MAX_HELLO {
        return Err(format!(
            "its hello of {len} bytes is larger than any caredesk sends ({} bytes)",
            protocol::MAX_HELLO
        ));
    }
    let mut body = vec![0; len];
    if !guard::read_by(stream, &mut body, deadline).map_err(failed)? && len > 0 {
        return Err("it closed part way through its hello".to_owned());
    }
    Hello::parse(&body).ok_or_else(|| format!("the {len} bytes it sent are not a caredesk hello"))
}

/// The handshake: the client's protocol must be ours and its user an
/// enabled operator, all within [`HANDSHAKE_DEADLINE`]. Returns the
/// operator, having told the client.
fn handshake(shared: &Shared, stream: &mut UnixStream, identity: Identity) -> Option<String> {
    let hello = read_hello(stream, Instant::now() + HANDSHAKE_DEADLINE);
    let (operator, uid) = match identity {
        Identity::Given(name) => (Ok(name), None),
        Identity::Peer { uid } => (user_name(uid), Some(uid)),
    };
    let not_caredesk = || "this is the caredesk daemon's socket: connect with caredesk".to_owned();
    let verdict = match (&hello, operator) {
        (Err(why), _) => {
            shared.refusals.refused(uid, &format!("{}: {why}", not_caredesk()));
            Err(not_caredesk())
        }
        (Ok(h), _) if h.protocol != PROTOCOL => Err(protocol::mismatch(h, PROTOCOL, RELEASE)),
        (Ok(_), Err(reason)) => Err(reason),
        (Ok(_), Ok(name)) => match shared.service.operator(&name) {
            Ok(_) => Ok(name),
            Err(e) => Err(e.to_string()),
        },
    };
    match (&verdict, &hello) {
        (Ok(name), _) => tracing::info!(operator = %escaped(name), uid, "operator connected"),
        (Err(_), Err(_)) => {}
        (Err(reason), Ok(_)) => shared.refusals.refused(uid, reason),
    }
    let welcome = Welcome { protocol: PROTOCOL, release: RELEASE.to_owned(), verdict };
    let _ = stream.set_write_timeout(Some(WELCOME_TIMEOUT));
    let sent = protocol::write_frame(stream, &welcome.to_bytes());
    let _ = stream.set_read_timeout(None);
    let _ = stream.set_write_timeout(None);
    match (welcome.verdict, sent) {
        (Ok(name), Ok(())) => Some(name),
        _ => None,
    }
}

/// Serves one connection until it ends. `slot` is its place among the
/// daemon's connections, given back when this returns.
fn serve_connection(shared: &Arc<Shared>, mut stream: UnixStream, identity: Identity, slot: Option<Slot>) {
    let _slot = slot;
    let Some(operator) = handshake(shared, &mut stream, identity) else { return };
    let (Ok(writer), Ok(closer)) = (stream.try_clone(), stream.try_clone()) else { return };
    let Some(reload) = framed(&ServerMessage::Lagged) else { return };
    let (outbox, sender) = outbox::outbox(writer);
    let id = shared.next_conn.fetch_add(1, Ordering::SeqCst);
    let conn = Arc::new(Conn { id, operator, outbox, stream: closer });
    shared.conns.lock().unwrap_or_else(|p| p.into_inner()).insert(id, Arc::clone(&conn));
    shared.live.fetch_add(1, Ordering::SeqCst);
    report(shared, operators_now);
    let sender = std::thread::Builder::new().name("caredesk-send".into()).spawn(move || sender.run(&reload));
    if let Ok(sender) = sender {
        read_requests(shared, &conn, stream);
        if shared.stop.is_stopped() {
            // Queued after the last answer: a console stops reading at the
            // farewell, so an answer behind it would be lost.
            if let Some(farewell) = framed(&ServerMessage::Closing(
                "the caredesk daemon is stopping (for maintenance or a restart); everything you saved is kept, and \
                 the console reconnects when the daemon is back"
                    .to_owned(),
            )) {
                let _ = conn.outbox.send(farewell);
            }
        }
        shared.conns.lock().unwrap_or_else(|p| p.into_inner()).remove(&id);
        if let Some(news) = shared.presence.gone(id) {
            tell_others(shared, id, &news);
        }
        report(shared, operators_now);
        // What is queued (the last answer, a farewell) goes out before the
        // connection closes: the sender ends once the queue is dropped.
        let (operator, closer) = (conn.operator.clone(), conn.stream.try_clone());
        drop(conn);
        let _ = sender.join();
        if let Ok(closer) = closer {
            let _ = closer.shutdown(std::net::Shutdown::Both);
        }
        tracing::info!(operator = %escaped(&operator), "operator disconnected");
    } else {
        shared.conns.lock().unwrap_or_else(|p| p.into_inner()).remove(&id);
    }
    shared.live.fetch_sub(1, Ordering::SeqCst);
}

fn read_requests(shared: &Shared, conn: &Conn, stream: UnixStream) {
    let mut r = BufReader::new(stream);
    loop {
        let request = match read_request(&mut r) {
            Ok(Some(bytes)) => protocol::decode::<Envelope>(&bytes),
            Ok(None) => return,
            Err(e) => {
                if !shared.stop.is_stopped() {
                    tracing::debug!(operator = %conn.operator, "connection ended: {e}");
                }
                return;
            }
        };
        let request = match request {
            Ok(r) => r,
            Err(e) => {
                let e = escaped(&e.to_string());
                tracing::warn!(operator = %conn.operator, "unreadable request, closing the connection: {e}");
                return;
            }
        };
        let result = match request.body {
            Body::Presence(what) => {
                let now = Instant::now();
                if let Some(news) = shared.presence.say(conn.id, &conn.operator, what, now) {
                    tell_others(shared, conn.id, &news);
                }
                Ok(Reply::Present(shared.presence.others(conn.id, now)))
            }
            body => answer(shared, &conn.operator, body, request.at),
        };
        let Some(mut frame) = encode(&ServerMessage::Answer { id: request.id, result }) else { return };
        if frame.len() > protocol::MAX_FRAME {
            let too_big = WireError::BadInput(format!(
                "the answer would be {} MiB, more than the daemon sends at once ({} MiB): ask for less, such as a \
                 smaller --limit",
                frame.len() >> 20,
                protocol::MAX_FRAME >> 20
            ));
            let Some(refusal) = encode(&ServerMessage::Answer { id: request.id, result: Err(too_big) }) else { return };
            frame = refusal;
        }
        let Some(frame) = wire(&frame) else { return };
        if conn.outbox.send(frame).is_err() {
            return;
        }
    }
}

/// The next request frame, or `None` when the client closed between
/// frames. Unlike [`protocol::read_frame`], memory follows the bytes that
/// arrive, not the length the client claims, so a frame announced large and
/// sent slowly costs what was sent.
fn read_request(r: &mut impl Read) -> std::io::Result<Option<Vec<u8>>> {
    let mut len = [0u8; 4];
    match r.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let len = u32::from_be_bytes(len) as usize;
    if len > protocol::MAX_FRAME {
        return Err(std::io::Error::new(ErrorKind::InvalidData, format!("a frame of {len} bytes is too large")));
    }
    let mut body = Vec::new();
    r.take(len as u64).read_to_end(&mut body)?;
    if body.len() < len {
        return Err(ErrorKind::UnexpectedEof.into());
    }
    Ok(Some(body))
}

fn answer(
    shared: &Shared,
    operator: &str,
    body: Body,
    at: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<Reply, WireError> {
    let ctx = match at {
        Some(at) => Ctx::rehearsal(operator, at),
        None => Ctx::new(operator, shared.clock.now()),
    };
    let service = &shared.service;
    let result = match body {
        Body::Run { request, based_on } => {
            service.dispatch(&ctx, &request, based_on).map(|a| Reply::Answer(Box::new(a)))
        }
        Body::Presence(_) => Ok(Reply::Present(Vec::new())),
        Body::Import { kind, csv, skip_bad } => match kind.parse::<ImportKind>() {
            Ok(kind) => match import_csv(service, &ctx, kind, csv.as_bytes(), skip_bad, &mut |_, _| {}) {
                Ok(report) => Ok(Reply::Imported(report)),
                Err(ImportError::BadLines(lines)) => Ok(Reply::BadLines(lines)),
                Err(ImportError::Service(e)) => Err(e),
                Err(other) => Err(ServiceError::BadInput(other.to_string())),
            },
            Err(e) => Err(e.into()),
        },
    };
    result.map_err(|e| WireError::from(&e))
}

/// How often lapsed presence is looked for: well within its expiry.
const PRESENCE_SWEEP: Duration = Duration::from_millis(500);

/// Tells every connection but `from` what one console has open; dropped
/// for a console that is not keeping up (presence is repeated anyway).
fn tell_others(shared: &Shared, from: u64, news: &crate::desk::Seen) {
    let Some(frame) = framed(&ServerMessage::Presence(news.clone())) else { return };
    let conns: Vec<Arc<Conn>> = shared.conns.lock().unwrap_or_else(|p| p.into_inner()).values().cloned().collect();
    for conn in conns.into_iter().filter(|c| c.id != from) {
        conn.outbox.offer(&frame, false);
    }
}

/// Sends each change to every connection.
fn relay(shared: &Shared, events: &Receiver<ChangeEvent>) {
    use std::sync::mpsc::RecvTimeoutError;
    loop {
        let event = match events.recv_timeout(Duration::from_millis(500)) {
            Ok(event) => event,
            Err(RecvTimeoutError::Timeout) if !shared.stop.is_stopped() => continue,
            Err(_) => return,
        };
        let Some(frame) = framed(&ServerMessage::Event(event)) else { continue };
        let conns: Vec<Arc<Conn>> = shared.conns.lock().unwrap_or_else(|p| p.into_inner()).values().cloned().collect();
        for conn in conns {
            if conn.outbox.offer(&frame, true) == (Offered::Dropped { first: true }) {
                tracing::warn!(operator = %conn.operator, "a console is not keeping up; it will reload instead");
            }
        }
    }
}

/// Runs the lifecycle sweep now and then on the schedule.
fn sweeps(shared: &Shared, schedule: &Schedule) {
    loop {
        let ctx = Ctx::new(schedule.operator.clone(), shared.clock.now());
        let swept = shared.service.execute(&ctx, &Sweep { dry_run: false });
        report(shared, |_| DaemonEvent::Swept { at: ctx.now, ok: swept.is_ok() });
        match swept {
            Ok(outcome) => tracing::info!("scheduled {}", outcome.summary),
            Err(e) => tracing::error!(
                "the scheduled lifecycle sweep was refused: {e}; it runs as {}, who must be a caredesk supervisor",
                schedule.operator
            ),
        }
        if shared.stop.sleep(schedule.every) {
            return;
        }
    }
}
