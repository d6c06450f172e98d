//! What the console and the command line talk to: the service, for one
//! operator, on a clock.
//!
//! Nothing at the edges holds the database or the service; commands and
//! queries go through a [`Desk`]. [`LocalDesk`] is the service in this
//! process, when this process owns the database; the daemon's client
//! ([`crate::daemon::RemoteDesk`]) is the other, when `caredesk serve` owns it.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use crate::domain::account::Account;
use crate::domain::mailbox::Mailbox;
use crate::domain::operator::Operator;
use crate::domain::routing::{Category, Routing};
use crate::domain::sms::SmsMessage;
use crate::domain::ticket::{Ticket, TicketRef};
use crate::service::{
    AccountView, ChangeEvent, Command, Ctx, MailboxView, Outcome, Query, QueueView, Reply, Service, ServiceError,
    ShiftView, TicketDetail, TicketFilter, TicketRow, TicketSlot,
};

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
}

pub trait Desk {
    /// The operator this desk acts as.
    fn operator(&self) -> &str;
    /// The instant the desk acts at.
    fn now(&self) -> DateTime<Utc>;
    /// Runs a command. With `based_on`, the revision of the command's
    /// record the operator was looking at: if it has changed since, the
    /// answer is a conflict and nothing is written.
    fn submit(&self, command: &Command, based_on: Option<u64>) -> Result<Outcome, ServiceError>;
    fn query(&self, query: &Query) -> Result<Reply, ServiceError>;
    /// Changes made by other sessions since the last call; a desk that is
    /// the only user of its database has none.
    fn events(&self) -> Vec<DeskEvent> {
        Vec::new()
    }
    /// Runs a command on the record as it is now.
    fn execute(&self, command: &Command) -> Result<Outcome, ServiceError> {
        self.submit(command, None)
    }
}

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
    fn submit(&self, command: &Command, based_on: Option<u64>) -> Result<Outcome, ServiceError> {
        self.service.execute_based_on(&self.ctx(), command, based_on)
    }
    fn query(&self, query: &Query) -> Result<Reply, ServiceError> {
        self.service.query(&self.ctx(), query)
    }
}

fn unexpected(what: &str) -> ServiceError {
    ServiceError::BadInput(format!("the service answered a {what} query with something else: restart caredesk"))
}

/// Typed queries, so panes do not match on [`Reply`] themselves.
pub trait DeskExt: Desk {
    fn shift(&self) -> Result<ShiftView, ServiceError> {
        match self.query(&Query::Shift)? {
            Reply::Shift(s) => Ok(s),
            _ => Err(unexpected("shift")),
        }
    }
    fn account(&self, address: &str) -> Result<AccountView, ServiceError> {
        match self.query(&Query::Account { address: address.to_owned() })? {
            Reply::Account(v) => Ok(*v),
            _ => Err(unexpected("account")),
        }
    }
    fn find_accounts(&self, text: &str, limit: usize) -> Result<Vec<Account>, ServiceError> {
        match self.query(&Query::FindAccounts { text: text.to_owned(), limit })? {
            Reply::AccountMatches(a) => Ok(a.into_iter().map(|m| m.account).collect()),
            _ => Err(unexpected("account search")),
        }
    }
    fn likely_duplicates(
        &self,
        first: &str,
        last: &str,
        ods: &str,
        email: Option<&str>,
    ) -> Result<Vec<Account>, ServiceError> {
        let query = Query::LikelyDuplicates {
            first: first.to_owned(),
            last: last.to_owned(),
            ods: ods.to_owned(),
            email: email.map(str::to_owned),
        };
        match self.query(&query)? {
            Reply::Accounts(a) => Ok(a),
            _ => Err(unexpected("duplicates")),
        }
    }
    fn mailbox_owners(&self, ods: &str) -> Result<Vec<Account>, ServiceError> {
        match self.query(&Query::MailboxOwners { ods: ods.to_owned() })? {
            Reply::Accounts(a) => Ok(a),
            _ => Err(unexpected("mailbox owners")),
        }
    }
    fn mailbox(&self, address: &str) -> Result<MailboxView, ServiceError> {
        match self.query(&Query::Mailbox { address: address.to_owned() })? {
            Reply::Mailbox(v) => Ok(*v),
            _ => Err(unexpected("mailbox")),
        }
    }
    fn find_mailboxes(&self, text: &str, limit: usize) -> Result<Vec<Mailbox>, ServiceError> {
        match self.query(&Query::FindMailboxes { text: text.to_owned(), limit })? {
            Reply::MailboxMatches(m) => Ok(m.into_iter().map(|m| m.mailbox).collect()),
            _ => Err(unexpected("mailbox search")),
        }
    }
    fn ticket(&self, reference: TicketRef) -> Result<Ticket, ServiceError> {
        match self.query(&Query::Ticket { reference })? {
            Reply::Ticket(t) => Ok(*t),
            _ => Err(unexpected("ticket")),
        }
    }
    fn ticket_detail(&self, reference: TicketRef) -> Result<TicketDetail, ServiceError> {
        match self.query(&Query::TicketDetail { reference })? {
            Reply::TicketDetail(d) => Ok(*d),
            _ => Err(unexpected("ticket")),
        }
    }
    fn ticket_slots(&self, view: &QueueView, filter: &TicketFilter) -> Result<Vec<TicketSlot>, ServiceError> {
        match self.query(&Query::TicketSlots { view: view.clone(), filter: filter.clone() })? {
            Reply::TicketSlots(s) => Ok(s),
            _ => Err(unexpected("queue")),
        }
    }
    fn ticket_rows(&self, refs: &[TicketRef]) -> Result<Vec<TicketRow>, ServiceError> {
        match self.query(&Query::TicketRows { refs: refs.to_vec() })? {
            Reply::Tickets(rows) => Ok(rows),
            _ => Err(unexpected("ticket rows")),
        }
    }
    fn route(&self, category: Category) -> Result<Routing, ServiceError> {
        match self.query(&Query::Route { category, received_at: None })? {
            Reply::Route(r) => Ok(r),
            _ => Err(unexpected("routing")),
        }
    }
    fn operators(&self) -> Result<Vec<Operator>, ServiceError> {
        match self.query(&Query::Operators)? {
            Reply::Operators(o) => Ok(o),
            _ => Err(unexpected("operators")),
        }
    }
    fn outbox(&self, limit: usize) -> Result<Vec<SmsMessage>, ServiceError> {
        match self.query(&Query::Outbox { limit })? {
            Reply::Outbox(o) => Ok(o),
            _ => Err(unexpected("outbox")),
        }
    }
}

impl<D: Desk + ?Sized> DeskExt for D {}
