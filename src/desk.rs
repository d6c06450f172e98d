//! What the console and the command line talk to: the service, for one
//! operator, on a clock.
//!
//! Nothing at the edges holds the database or the service; operations go
//! through a [`Desk`], and [`DeskExt::call`] gives each its own answer. [`LocalDesk`] is the service in this
//! process, when this process owns the database; the daemon's client
//! ([`crate::daemon::RemoteDesk`]) is the other, when `caredesk serve` owns it.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use crate::service::{Answer, ChangeEvent, Ctx, Registered, Request, Service, ServiceError};

/// What happened elsewhere since the desk was last asked.
#[derive(Debug, Clone, PartialEq)]
pub enum DeskEvent {
    /// Another session changed these records.
    Changed(ChangeEvent),
    /// Some changes were missed: reload everything.
    Lagged,
    /// The daemon went away; what it said, for the operator.
    Lost(String),
    /// The daemon is back after going away; everything should be read again.
    Restored(String),
    /// An operation the console stopped waiting for has been answered since
    /// (what became of it, for the operator); everything should be read again.
    Late { news: String, error: bool },
    /// Another console opened, is typing on, or left something.
    Presence(Seen),
}

pub trait Desk: Send {
    /// The operator this desk acts as.
    fn operator(&self) -> &str;
    /// The instant the desk acts at.
    fn now(&self) -> DateTime<Utc>;
    /// Runs an operation carried without its type. With `based_on`, the
    /// revision of the operation's record the operator was looking at: if it
    /// has changed since, the answer is a conflict and nothing is written.
    fn dispatch(&self, request: Request, based_on: Option<u64>) -> Result<Answer, ServiceError>;
    /// Changes made by other sessions since the last call; a desk that is
    /// the only user of its database has none.
    fn events(&self) -> Vec<DeskEvent> {
        Vec::new()
    }
    /// Says what this console has open (a desk through the daemon tells the other consoles and answers with what they have open now; say it again within [`PRESENCE_EXPIRES`] or it lapses); the default has
    /// nobody to tell.
    fn present(&self, _what: Presence) -> Result<Vec<Seen>, ServiceError> {
        Ok(Vec::new())
    }
}

/// Typed calls: an operation in, its own answer out.
pub trait DeskExt: Desk {
    /// Runs an operation on the record as it is now.
    fn call<O: Registered>(&self, op: O) -> Result<O::Answer, ServiceError> {
        self.call_based_on(op, None)
    }

    /// Runs an operation built from revision `based_on` of its record.
    fn call_based_on<O: Registered>(&self, op: O, based_on: Option<u64>) -> Result<O::Answer, ServiceError> {
        let answer = self.dispatch(op.into(), based_on)?;
        O::take(answer).ok_or_else(|| {
            ServiceError::Unavailable(format!(
                "the caredesk daemon answered {} with another operation's answer: it is not this release; \
                 ask an administrator to restart it with the caredesk installed here",
                O::NAME
            ))
        })
    }
}

impl<D: Desk + ?Sized> DeskExt for D {}

/// Where "now" comes from.
#[derive(Debug, Clone, Copy)]
pub enum Clock {
    System,
    /// A supervisor's rehearsal: the real clock moved by an offset, so time
    /// still passes on screen.
    Rehearsal {
        offset: Duration,
    },
    /// A clock that never moves, for tests and benchmarks.
    Fixed(DateTime<Utc>),
    /// A supervisor's rehearsal at one instant: a command run with `--now`.
    RehearsalAt(DateTime<Utc>),
}

impl Clock {
    /// A rehearsal that starts at `at` now.
    pub fn rehearsal_from(at: DateTime<Utc>) -> Clock {
        Clock::Rehearsal { offset: at - Utc::now() }
    }

    pub fn now(self) -> DateTime<Utc> {
        match self {
            Clock::System => Utc::now(),
            Clock::Rehearsal { offset } => Utc::now() + offset,
            Clock::Fixed(at) | Clock::RehearsalAt(at) => at,
        }
    }

    /// The instant to send the daemon: a rehearsal's, or `None` for the
    /// daemon's own clock. A fixed clock is the daemon's too; it is only
    /// for tests of this process.
    pub fn rehearsal_instant(self) -> Option<DateTime<Utc>> {
        match self {
            Clock::Rehearsal { .. } | Clock::RehearsalAt(_) => Some(self.now()),
            Clock::System | Clock::Fixed(_) => None,
        }
    }
}

/// The service in this process.
pub struct LocalDesk {
    service: Arc<Service>,
    operator: String,
    clock: Clock,
}

impl LocalDesk {
    pub fn new(service: Arc<Service>, operator: impl Into<String>, clock: Clock) -> LocalDesk {
        LocalDesk { service, operator: operator.into(), clock }
    }

    fn ctx(&self) -> Ctx {
        let now = self.clock.now();
        match self.clock {
            Clock::Rehearsal { .. } | Clock::RehearsalAt(_) => Ctx::rehearsal(self.operator.clone(), now),
            Clock::System | Clock::Fixed(_) => Ctx::new(self.operator.clone(), now),
        }
    }
}

impl Desk for LocalDesk {
    fn operator(&self) -> &str {
        &self.operator
    }
    fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
    fn dispatch(&self, request: Request, based_on: Option<u64>) -> Result<Answer, ServiceError> {
        self.service.dispatch(&self.ctx(), &request, based_on)
    }
}

/// What a console has open, for the other consoles to show ("nas2
/// viewing", "helpdesk1 replying").
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Subject {
    Ticket(crate::domain::ticket::TicketRef),
    /// By address.
    Account(String),
    /// By address.
    Mailbox(String),
}

/// What the operator is doing with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Activity {
    Viewing,
    /// Typing an internal note.
    Noting,
    /// Typing a reply to the requester.
    Replying,
    /// Filling in a form or answering a question about an account or a
    /// mailbox: a change is on its way.
    Editing,
}

impl Activity {
    pub fn label(self) -> &'static str {
        match self {
            Activity::Viewing => "viewing",
            Activity::Noting => "writing a note",
            Activity::Replying => "replying",
            Activity::Editing => "making a change",
        }
    }
}

/// What one console says it has open; `subject: None` says it has nothing
/// open (or is going).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Presence {
    pub subject: Option<Subject>,
    pub activity: Activity,
}

impl Presence {
    pub fn viewing(subject: Subject) -> Presence {
        Presence { subject: Some(subject), activity: Activity::Viewing }
    }
    pub fn nothing() -> Presence {
        Presence { subject: None, activity: Activity::Viewing }
    }
}

/// Another console's presence, as the daemon tells it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Seen {
    pub operator: String,
    /// Which of that operator's consoles (they may have several open).
    pub console: u64,
    /// `None`: it has closed what it had open, gone, or fallen silent.
    pub presence: Option<Presence>,
}

/// How long a console's word on what it has open lasts unless repeated.
pub const PRESENCE_EXPIRES: std::time::Duration = std::time::Duration::from_secs(5);
