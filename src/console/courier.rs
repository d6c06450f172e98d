//! The console's courier to the desk: one thread owns the desk and runs
//! its operations one at a time, so that whoever waits on an answer can be
//! told to stop waiting, and a daemon that does not answer is reported
//! after [`PATIENCE`] instead of freezing the console for the daemon
//! connection's own minute.
//!
//! [`Courier`] is itself a [`Desk`]: the panes call it as they call any
//! desk, and a call returns the answer, a refusal, or — when the operator
//! stopped waiting, or the daemon took longer than the courier's patience —
//! an `Unavailable` error that says so. An operation given up on still runs
//! to its end on the courier's thread; a change that lands afterwards is
//! reported as a [`DeskEvent::Late`], never lost, and the screen is read
//! again. While one is outstanding, further calls are refused at once
//! instead of queued behind it, so a stopped daemon costs the operator one
//! wait, not one per key.
//!
//! It must not decide anything about what the operations mean: it only
//! carries them and keeps the time.

use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::desk::{Desk, DeskEvent};
use crate::service::{Answer, Request, ServiceError};

/// How long a call waits for its answer before the operator gets the
/// console back and is told the daemon is not answering.
pub const PATIENCE: Duration = Duration::from_secs(5);

/// How often the courier's thread, when it has nothing to run, asks the
/// desk what other sessions changed.
const LISTEN: Duration = Duration::from_millis(100);

/// How many events from other sessions are kept for the console before
/// the rest are replaced by one "read everything again".
const EVENTS_KEPT: usize = 1_000;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

/// One call in flight, as the screen shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wait {
    id: u64,
    /// The operation's audit name, as `ticket.claim`.
    pub what: &'static str,
    pub since: Instant,
    /// Whether it changes data.
    pub changes: bool,
}

#[derive(Default)]
struct WaitState {
    current: Option<Wait>,
    /// When the oldest operation given up on, and not yet answered, was sent.
    stalled: Option<Instant>,
}

/// What the screen can see of the courier and do to it from its own
/// thread: the call in flight, whether the desk has gone quiet, and the
/// operator's "stop waiting".
pub struct Waiting {
    state: Mutex<WaitState>,
    wake: Mutex<Sender<Delivery>>,
}

impl Waiting {
    /// The call the session is waiting on now, if any.
    pub fn current(&self) -> Option<Wait> {
        lock(&self.state).current.clone()
    }

    /// Since when an operation given up on has gone unanswered: the desk is
    /// not answering, and calls are refused until it does.
    pub fn stalled_since(&self) -> Option<Instant> {
        lock(&self.state).stalled
    }

    /// Stops waiting for the call in flight; false if there was none.
    pub fn stop(&self) -> bool {
        let Some(wait) = self.current() else { return false };
        lock(&self.wake).send(Delivery::Stop(wait.id)).is_ok()
    }
}

struct Job {
    id: u64,
    request: Request,
    based_on: Option<u64>,
}

enum Delivery {
    Done { id: u64, result: Box<Result<Answer, ServiceError>> },
    Events(Vec<DeskEvent>),
    Stop(u64),
}

/// An operation the console stopped waiting for, still running.
struct Abandoned {
    id: u64,
    what: &'static str,
    changes: bool,
    since: Instant,
}

#[derive(Default)]
struct Book {
    next_id: u64,
    abandoned: Vec<Abandoned>,
    events: Vec<DeskEvent>,
}

/// A [`Desk`] that runs every operation on its own thread; see the module
/// documentation.
pub struct Courier {
    desk: Arc<dyn Desk + Sync>,
    jobs: Sender<Job>,
    inbox: Mutex<Receiver<Delivery>>,
    waiting: Arc<Waiting>,
    patience: Duration,
    book: Mutex<Book>,
}

impl Courier {
    /// Starts the courier's thread, which owns `desk` from now on.
    pub fn new(desk: Box<dyn Desk + Sync>) -> Courier {
        Courier::with_patience(desk, PATIENCE)
    }

    /// [`Courier::new`] with another patience, for tests.
    pub fn with_patience(desk: Box<dyn Desk + Sync>, patience: Duration) -> Courier {
        let desk: Arc<dyn Desk + Sync> = Arc::from(desk);
        let (jobs, queue) = channel::<Job>();
        let (out, inbox) = channel();
        let waiting = Arc::new(Waiting { state: Mutex::default(), wake: Mutex::new(out.clone()) });
        let worker = Arc::clone(&desk);
        let started =
            std::thread::Builder::new().name("console-courier".into()).spawn(move || work(&*worker, &queue, &out));
        if let Err(e) = started {
            // Without the thread every call says so; nothing runs unseen.
            tracing::error!("the console could not start its desk thread: {e}");
        }
        Courier { desk, jobs, inbox: Mutex::new(inbox), waiting, patience, book: Mutex::default() }
    }

    /// What the screen needs to show and stop waits.
    pub fn waiting(&self) -> Arc<Waiting> {
        Arc::clone(&self.waiting)
    }

    /// Files one delivery that is not the answer being waited for.
    fn file(&self, book: &mut Book, delivery: Delivery) {
        match delivery {
            Delivery::Events(events) => {
                book.events.extend(events);
                if book.events.len() > EVENTS_KEPT {
                    book.events = vec![DeskEvent::Lagged];
                }
            }
            // A stop for a call that has already been answered.
            Delivery::Stop(_) => {}
            Delivery::Done { id, result } => {
                let Some(at) = book.abandoned.iter().position(|a| a.id == id) else { return };
                let gone = book.abandoned.remove(at);
                let late = gone.changes.then(|| match result.as_ref() {
                    Ok(answer) => DeskEvent::Late {
                        news: format!(
                            "the change you stopped waiting for was saved: {}",
                            answer.summary().unwrap_or(gone.what)
                        ),
                        error: false,
                    },
                    Err(e) => DeskEvent::Late {
                        news: format!("the change you stopped waiting for was not saved: {e}"),
                        error: true,
                    },
                });
                match late {
                    Some(late) => book.events.push(late),
                    None if book.abandoned.is_empty() => book.events.push(DeskEvent::Restored(
                        "the caredesk daemon answers again; the screen is read again".to_owned(),
                    )),
                    None => {}
                }
                self.mark_stalled(book);
            }
        }
    }

    fn mark_stalled(&self, book: &Book) {
        lock(&self.waiting.state).stalled = book.abandoned.iter().map(|a| a.since).min();
    }

    /// Files whatever has arrived without waiting for more.
    fn take_in(&self, inbox: &Receiver<Delivery>, book: &mut Book) {
        while let Ok(delivery) = inbox.try_recv() {
            self.file(book, delivery);
        }
    }

    fn give_up(&self, book: &mut Book, wait: Wait) {
        book.abandoned.push(Abandoned { id: wait.id, what: wait.what, changes: wait.changes, since: wait.since });
        lock(&self.waiting.state).current = None;
        self.mark_stalled(book);
    }
}

/// The courier's thread: runs each job, and between jobs passes on what
/// other sessions changed. Ends when the courier is dropped.
fn work(desk: &(dyn Desk + Sync), jobs: &Receiver<Job>, out: &Sender<Delivery>) {
    loop {
        match jobs.recv_timeout(LISTEN) {
            Ok(job) => {
                let result = desk.dispatch(job.request, job.based_on);
                if out.send(Delivery::Done { id: job.id, result: Box::new(result) }).is_err() {
                    return;
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
        let events = desk.events();
        if !events.is_empty() && out.send(Delivery::Events(events)).is_err() {
            return;
        }
    }
}

impl Desk for Courier {
    fn operator(&self) -> &str {
        self.desk.operator()
    }

    fn now(&self) -> DateTime<Utc> {
        self.desk.now()
    }

    fn dispatch(&self, request: Request, based_on: Option<u64>) -> Result<Answer, ServiceError> {
        let inbox = lock(&self.inbox);
        let mut book = lock(&self.book);
        self.take_in(&inbox, &mut book);
        if let Some(since) = book.abandoned.iter().map(|a| a.since).min() {
            return Err(ServiceError::Unavailable(format!(
                "the caredesk daemon has not answered for {} s, so nothing more was sent: the console reads \
                 everything again when it answers; if it stays silent, ask an administrator to check it",
                since.elapsed().as_secs()
            )));
        }
        book.next_id += 1;
        let wait = Wait { id: book.next_id, what: request.name(), since: Instant::now(), changes: request.changes() };
        if self.jobs.send(Job { id: wait.id, request, based_on }).is_err() {
            return Err(ServiceError::Unavailable(
                "the console's link to the desk has stopped: quit and start caredesk again".to_owned(),
            ));
        }
        lock(&self.waiting.state).current = Some(wait.clone());
        let deadline = wait.since + self.patience;
        loop {
            let delivery = match inbox.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(delivery) => delivery,
                Err(RecvTimeoutError::Timeout) => {
                    let changes = wait.changes;
                    self.give_up(&mut book, wait);
                    return Err(ServiceError::Unavailable(format!(
                        "the caredesk daemon has not answered in {} s{}; the console reads everything again \
                         when it answers",
                        self.patience.as_secs(),
                        if changes {
                            ", so it is not known yet whether the change was saved: it says when it knows"
                        } else {
                            ""
                        },
                    )));
                }
                Err(RecvTimeoutError::Disconnected) => {
                    lock(&self.waiting.state).current = None;
                    return Err(ServiceError::Unavailable(
                        "the console's link to the desk has stopped: quit and start caredesk again".to_owned(),
                    ));
                }
            };
            match delivery {
                Delivery::Done { id, result } if id == wait.id => {
                    lock(&self.waiting.state).current = None;
                    return *result;
                }
                Delivery::Stop(id) if id == wait.id => {
                    let changes = wait.changes;
                    self.give_up(&mut book, wait);
                    return Err(ServiceError::Unavailable(if changes {
                        "you stopped waiting, so it is not known yet whether the change was saved: the console \
                         says when the daemon answers"
                            .to_owned()
                    } else {
                        "you stopped waiting; the screen shows what it had".to_owned()
                    }));
                }
                other => self.file(&mut book, other),
            }
        }
    }

    fn events(&self) -> Vec<DeskEvent> {
        let inbox = lock(&self.inbox);
        let mut book = lock(&self.book);
        self.take_in(&inbox, &mut book);
        std::mem::take(&mut book.events)
    }
}
