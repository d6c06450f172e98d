//! What a command changed, told to whoever is listening.
//!
//! After every write the service publishes one [`ChangeEvent`] naming the
//! records it touched. The daemon relays them to every connected console,
//! which reloads only what it shows of them. Events come from the service,
//! not from sled's subscriptions: a subscriber that stops reading there
//! blocks every writer, and here it only loses its own events.

use std::sync::Mutex;
use std::sync::mpsc::{Receiver, Sender, channel};

use serde::{Deserialize, Serialize};

use crate::domain::ticket::TicketRef;

/// The kind of a record, as events name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Touched {
    Ticket(TicketRef),
    /// By address.
    Account(String),
    /// By address.
    Mailbox(String),
    /// By ODS code.
    Organisation(String),
    Operator(String),
    /// A mail or text message, an attachment or a queued reply: kept beside
    /// the ticket or account that the same change names, so no console
    /// needs to read anything again for it alone.
    Message,
    /// Policy, calendar or anything else that is not one of the above.
    Setting,
}

impl Touched {
    /// From the store's name for a record kind and its label.
    pub(super) fn from_record(what: &str, label: &str) -> Touched {
        match what {
            "ticket" => label.parse().map_or(Touched::Setting, Touched::Ticket),
            "account" => Touched::Account(label.to_owned()),
            "shared mailbox" => Touched::Mailbox(label.to_owned()),
            "organisation" => Touched::Organisation(label.to_owned()),
            "operator" => Touched::Operator(label.to_owned()),
            "mail" | "raw mail" | "attachment" | "outgoing mail" | "outbox message" => Touched::Message,
            _ => Touched::Setting,
        }
    }
}

/// One committed command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeEvent {
    /// The audit entry that recorded it.
    pub seq: u64,
    pub operator: String,
    /// The audit log's name for the command, e.g. `ticket.claim`.
    pub action: String,
    pub touched: Vec<Touched>,
}

impl ChangeEvent {
    pub fn touches_ticket(&self, reference: TicketRef) -> bool {
        self.touched.contains(&Touched::Ticket(reference))
    }
    pub fn tickets(&self) -> impl Iterator<Item = TicketRef> + '_ {
        self.touched.iter().filter_map(|t| match t {
            Touched::Ticket(r) => Some(*r),
            _ => None,
        })
    }
}

/// The listeners of one service.
#[derive(Default)]
pub(super) struct Listeners {
    senders: Mutex<Vec<Sender<ChangeEvent>>>,
}

impl Listeners {
    pub(super) fn subscribe(&self) -> Receiver<ChangeEvent> {
        let (tx, rx) = channel();
        self.senders.lock().unwrap_or_else(|p| p.into_inner()).push(tx);
        rx
    }

    /// Sends to every listener still there; one that has gone is dropped.
    pub(super) fn publish(&self, event: &ChangeEvent) {
        let mut senders = self.senders.lock().unwrap_or_else(|p| p.into_inner());
        senders.retain(|s| s.send(event.clone()).is_ok());
    }
}
