//! The client side: a connection to the daemon, and the [`Desk`] the
//! console and the command line use through it.

use std::collections::VecDeque;
use std::io::{BufReader, BufWriter, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::protocol::{self, Body, Envelope, Hello, PROTOCOL, Reply, ServerMessage, Welcome};
use crate::desk::{Clock, Desk, DeskEvent};
use crate::service::{Answer, Request, ServiceError};

/// What became of an attempt to reach a daemon.
pub enum Connection {
    /// A daemon answered and took us.
    Served(Client),
    /// Nothing answers at that socket: no daemon is running.
    NoDaemon,
}

/// How long a request waits for its answer before the operator is told.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// How long the handshake may take before the daemon is taken for hung.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// How many of our own audit entries to remember, to tell our own changes
/// from other sessions' when their events arrive.
const OWN_REMEMBERED: usize = 64;

struct Line {
    writer: BufWriter<UnixStream>,
    answers: Receiver<(u64, Result<Reply, crate::service::WireError>)>,
    next_id: u64,
}

/// One connection to the daemon, for one operator.
pub struct Client {
    operator: String,
    /// Cleared when the connection ends.
    connected: Arc<AtomicBool>,
    line: Mutex<Line>,
    events: Mutex<Receiver<DeskEvent>>,
    own: Mutex<VecDeque<u64>>,
    /// Names the daemon in messages.
    place: String,
}

fn lost(place: &str) -> ServiceError {
    ServiceError::Unavailable(format!(
        "the caredesk daemon at {place} stopped answering, so it is not known whether the last change was saved: \
         check it once the daemon is back (the console reconnects by itself)"
    ))
}

impl Client {
    /// Connects to the daemon at `socket`. A socket that is missing or that
    /// nobody answers on means no daemon; one that answers and refuses (the
    /// user is not an operator, the versions differ) is an error that says
    /// why.
    pub fn connect(socket: &Path) -> Result<Connection, ServiceError> {
        use std::io::ErrorKind;
        let stream = match UnixStream::connect(socket) {
            Ok(s) => s,
            Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::ConnectionRefused) => {
                return Ok(Connection::NoDaemon);
            }
            Err(e) if e.kind() == ErrorKind::PermissionDenied => {
                return Err(ServiceError::Unavailable(format!(
                    "you may not reach the caredesk daemon at {}: your account must be in the caredesk group; \
                     ask an administrator to add it (`usermod -aG caredesk USER`), then log in again",
                    socket.display()
                )));
            }
            Err(e) => {
                return Err(ServiceError::Unavailable(format!(
                    "could not reach the caredesk daemon at {}: {e}",
                    socket.display()
                )));
            }
        };
        Client::over(stream, &socket.display().to_string()).map(Connection::Served)
    }

    /// Says hello on `stream` with `protocol` (ours, but a test can claim
    /// another) and returns what the daemon answered.
    pub fn handshake(stream: &mut UnixStream, protocol: u16) -> Result<Welcome, ServiceError> {
        let hello = Hello { protocol, ..Hello::ours() };
        let broken = |e: std::io::Error| ServiceError::Unavailable(format!("the daemon's handshake failed: {e}"));
        stream.set_read_timeout(Some(HANDSHAKE_TIMEOUT)).map_err(broken)?;
        // A daemon at its limits answers before the hello and closes, so a
        // hello that cannot be written may still have a refusal to read.
        let said = protocol::write_frame(stream, &hello.to_bytes());
        let reply = match (protocol::read_frame(stream), said) {
            (Ok(Some(reply)), _) => reply,
            (_, Err(e)) => return Err(broken(e)),
            (Err(e), Ok(())) => return Err(broken(e)),
            (Ok(None), Ok(())) => {
                return Err(ServiceError::Unavailable(
                    "the caredesk daemon closed the connection during the handshake".into(),
                ));
            }
        };
        stream.set_read_timeout(None).map_err(broken)?;
        Welcome::parse(&reply)
            .ok_or_else(|| ServiceError::Unavailable("what answered on the socket is not a caredesk daemon".to_owned()))
    }

    /// A client on a connected stream: the handshake, then a reader thread.
    pub(super) fn over(mut stream: UnixStream, place: &str) -> Result<Client, ServiceError> {
        let welcome = Client::handshake(&mut stream, PROTOCOL)?;
        // A refusal of this user is a refusal, not an outage.
        let operator = welcome.verdict.map_err(|why| ServiceError::Denied(crate::domain::permission::Denied(why)))?;
        if welcome.protocol != PROTOCOL {
            return Err(ServiceError::Unavailable(protocol::mismatch(
                &Hello::ours(),
                welcome.protocol,
                &welcome.release,
            )));
        }
        let reader = stream.try_clone().map_err(|e| ServiceError::Unavailable(e.to_string()))?;
        let (answers_tx, answers) = channel();
        let (events_tx, events) = channel();
        let connected = Arc::new(AtomicBool::new(true));
        let flag = Arc::clone(&connected);
        std::thread::Builder::new()
            .name("caredesk-client".into())
            .spawn(move || read_messages(reader, &answers_tx, &events_tx, &flag))
            .map_err(|e| ServiceError::Unavailable(e.to_string()))?;
        Ok(Client {
            operator,
            connected,
            line: Mutex::new(Line { writer: BufWriter::new(stream), answers, next_id: 1 }),
            events: Mutex::new(events),
            own: Mutex::new(VecDeque::new()),
            place: place.to_owned(),
        })
    }

    /// The operator the daemon recognised.
    pub fn operator(&self) -> &str {
        &self.operator
    }

    /// The connection is still open.
    pub fn is_connected(&self) -> bool {
        self.connected.load(Ordering::SeqCst)
    }

    /// Sends a request and waits for its answer, up to [`PATIENCE`].
    pub fn request(&self, body: Body, at: Option<DateTime<Utc>>) -> Result<Reply, ServiceError> {
        self.request_within(body, at, Some(PATIENCE))
    }

    /// Sends a request and waits for its answer as long as `patience`
    /// allows (`None`: as long as it takes, for a bulk import).
    pub fn request_within(
        &self,
        body: Body,
        at: Option<DateTime<Utc>>,
        patience: Option<Duration>,
    ) -> Result<Reply, ServiceError> {
        let mut line = self.line.lock().unwrap_or_else(|p| p.into_inner());
        let id = line.next_id;
        line.next_id += 1;
        let frame = protocol::encode(&Envelope { id, at, body }).map_err(|e| ServiceError::BadInput(e.to_string()))?;
        if let Err(e) = protocol::write_frame(&mut line.writer, &frame) {
            return Err(match e.kind() {
                std::io::ErrorKind::InvalidInput => ServiceError::BadInput(e.to_string()),
                _ => lost(&self.place),
            });
        }
        let deadline = patience.map(|p| Instant::now() + p);
        loop {
            let next = match deadline {
                Some(deadline) => line.answers.recv_timeout(deadline.saturating_duration_since(Instant::now())),
                None => line.answers.recv().map_err(|_| RecvTimeoutError::Disconnected),
            };
            match next {
                Ok((answer_id, result)) if answer_id == id => {
                    let answer = result.map_err(ServiceError::from)?;
                    if let Some(seq) = answer.audit_seq() {
                        let mut own = self.own.lock().unwrap_or_else(|p| p.into_inner());
                        own.push_back(seq);
                        if own.len() > OWN_REMEMBERED {
                            own.pop_front();
                        }
                    }
                    return Ok(answer);
                }
                // An answer to a request given up on earlier.
                Ok(_) => continue,
                Err(RecvTimeoutError::Timeout) => {
                    return Err(ServiceError::Unavailable(format!(
                        "the caredesk daemon at {} has not answered for {} s, so it is not known whether the \
                         change was saved: check again in a moment; if it stays silent, its log beside the \
                         database says why",
                        self.place,
                        patience.unwrap_or_default().as_secs()
                    )));
                }
                Err(RecvTimeoutError::Disconnected) => return Err(lost(&self.place)),
            }
        }
    }

    /// Waits up to `wait` for the next event from another session.
    pub fn next_event(&self, wait: Duration) -> Option<DeskEvent> {
        let events = self.events.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            let event = match events.recv_timeout(wait) {
                Ok(e) => e,
                Err(RecvTimeoutError::Timeout) => return None,
                Err(RecvTimeoutError::Disconnected) => return None,
            };
            if !self.is_own(&event) {
                return Some(event);
            }
        }
    }

    /// Every event that has arrived, without waiting.
    pub fn pending_events(&self) -> Vec<DeskEvent> {
        let events = self.events.lock().unwrap_or_else(|p| p.into_inner());
        events.try_iter().filter(|e| !self.is_own(e)).collect()
    }

    fn is_own(&self, event: &DeskEvent) -> bool {
        match event {
            DeskEvent::Changed(change) => self.own.lock().unwrap_or_else(|p| p.into_inner()).contains(&change.seq),
            _ => false,
        }
    }

    /// Ends the connection now.
    pub fn close(&self) {
        let mut line = self.line.lock().unwrap_or_else(|p| p.into_inner());
        let _ = line.writer.flush();
        let _ = line.writer.get_ref().shutdown(std::net::Shutdown::Both);
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        self.close();
    }
}

fn read_messages(
    stream: UnixStream,
    answers: &Sender<(u64, Result<Reply, crate::service::WireError>)>,
    events: &Sender<DeskEvent>,
    connected: &AtomicBool,
) {
    let mut r = BufReader::new(stream);
    let farewell = loop {
        let message = match protocol::read_frame(&mut r) {
            Ok(Some(bytes)) => protocol::decode::<ServerMessage>(&bytes),
            Ok(None) => {
                break "the caredesk daemon closed the connection; the console reconnects when it answers again"
                    .to_owned();
            }
            Err(e) => {
                break format!(
                    "the connection to the caredesk daemon broke ({e}); the console reconnects when it answers again"
                );
            }
        };
        match message {
            Ok(ServerMessage::Answer { id, result }) => {
                let _ = answers.send((id, result));
            }
            Ok(ServerMessage::Event(change)) => {
                let _ = events.send(DeskEvent::Changed(change));
            }
            Ok(ServerMessage::Lagged) => {
                let _ = events.send(DeskEvent::Lagged);
            }
            Ok(ServerMessage::Presence(seen)) => {
                let _ = events.send(DeskEvent::Presence(seen));
            }
            Ok(ServerMessage::Closing(why)) => break why,
            Err(e) => {
                break format!("the caredesk daemon sent something unreadable ({e}); the console reconnects to it");
            }
        }
    };
    connected.store(false, Ordering::SeqCst);
    let _ = events.send(DeskEvent::Lost(farewell));
}

/// How often a desk whose daemon went away tries to reach it again.
const RECONNECT_EVERY: Duration = Duration::from_secs(2);

/// A [`Desk`] through the daemon. Given the socket, it reconnects by itself
/// when the daemon comes back after a restart.
pub struct RemoteDesk {
    operator: String,
    client: Mutex<Arc<Client>>,
    clock: Clock,
    /// Where to reconnect; `None` for a connection made in-process.
    socket: Option<PathBuf>,
    tried_at: Mutex<Option<Instant>>,
}

impl RemoteDesk {
    /// `clock` is the operator's: a rehearsal sends its instant with each
    /// request, and the daemon refuses it unless they are a supervisor.
    pub fn new(client: Arc<Client>, clock: Clock) -> RemoteDesk {
        RemoteDesk {
            operator: client.operator().to_owned(),
            client: Mutex::new(client),
            clock,
            socket: None,
            tried_at: Mutex::new(None),
        }
    }

    /// Reconnects to `socket` when the connection is lost.
    pub fn reconnecting(mut self, socket: PathBuf) -> RemoteDesk {
        self.socket = Some(socket);
        self
    }

    /// The connection to use now, and whether it is a new one: when the old
    /// one has ended, a new one is tried now and then.
    fn line(&self) -> (Arc<Client>, bool) {
        let mut client = self.client.lock().unwrap_or_else(|p| p.into_inner());
        let Some(socket) = self.socket.as_ref().filter(|_| !client.is_connected()) else {
            return (Arc::clone(&client), false);
        };
        let mut tried_at = self.tried_at.lock().unwrap_or_else(|p| p.into_inner());
        if tried_at.is_some_and(|t| t.elapsed() < RECONNECT_EVERY) {
            return (Arc::clone(&client), false);
        }
        *tried_at = Some(Instant::now());
        match Client::connect(socket) {
            Ok(Connection::Served(fresh)) => {
                tracing::info!(socket = %socket.display(), "reconnected to the daemon");
                *client = Arc::new(fresh);
                (Arc::clone(&client), true)
            }
            _ => (Arc::clone(&client), false),
        }
    }

    fn request(&self, body: Body) -> Result<Reply, ServiceError> {
        self.line().0.request(body, self.clock.rehearsal_instant())
    }
}

impl Desk for RemoteDesk {
    fn operator(&self) -> &str {
        &self.operator
    }
    fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
    fn dispatch(&self, request: Request, based_on: Option<u64>) -> Result<Answer, ServiceError> {
        match self.request(Body::Run { request: Box::new(request), based_on })? {
            Reply::Answer(answer) => Ok(*answer),
            _ => Err(ServiceError::Unavailable(
                "the caredesk daemon answered an operation as if it were an import: it is not this release".into(),
            )),
        }
    }
    fn present(&self, what: crate::desk::Presence) -> Result<Vec<crate::desk::Seen>, ServiceError> {
        match self.request(Body::Presence(what))? {
            Reply::Present(others) => Ok(others),
            _ => Err(ServiceError::Unavailable(
                "the caredesk daemon answered presence with something else: it is not this release".into(),
            )),
        }
    }
    fn events(&self) -> Vec<DeskEvent> {
        let (client, fresh) = self.line();
        let mut events = client.pending_events();
        if fresh {
            // What changed while it was away is unknown: read it all again.
            events.push(DeskEvent::Restored("the caredesk daemon is back; the screen is read again".to_owned()));
        }
        events
    }
}
