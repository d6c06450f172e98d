//! What the console talks to: the service, for one operator, on a clock.
//!
//! Panes never hold the database or the service; they send commands and
//! queries through a [`Desk`]. Today that is the service in this process;
//! a client of a shared daemon is another implementation.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use crate::domain::account::Account;
use crate::domain::mailbox::Mailbox;
use crate::domain::operator::Operator;
use crate::domain::routing::{Category, Routing};
use crate::domain::sms::SmsMessage;
use crate::domain::ticket::{Ticket, TicketRef};
use crate::service::{
    AccountView, Command, Ctx, MailboxView, Outcome, Query, QueueView, Reply, Service, ServiceError, ShiftView,
    TicketDetail, TicketFilter, TicketRow, TicketSlot,
};

pub trait Desk {
    /// The operator this console acts as.
    fn operator(&self) -> &str;
    /// The instant the console acts at.
    fn now(&self) -> DateTime<Utc>;
    fn execute(&self, command: &Command) -> Result<Outcome, ServiceError>;
    fn query(&self, query: &Query) -> Result<Reply, ServiceError>;
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
            Clock::Fixed(at) => at,
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
            Clock::Rehearsal { .. } => Ctx::rehearsal(self.operator.clone(), now),
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
    fn execute(&self, command: &Command) -> Result<Outcome, ServiceError> {
        self.service.execute(&self.ctx(), command)
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
            Reply::Accounts(a) => Ok(a),
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
            Reply::Mailboxes(m) => Ok(m),
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
