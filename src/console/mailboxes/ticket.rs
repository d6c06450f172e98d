//! What a ticket logged from the pane says: the mailbox on screen and the
//! change last asked for there, so a change the operator may not make now
//! (out of hours, say) still reaches the group that can.
//!
//! The ticket is only filled in here; the queue's form shows it to the
//! operator before anything is logged.

use super::MailboxPane;
use crate::console::accounts::topic;
use crate::console::keymap::Act;
use crate::console::pane::{Cx, Jump, Pane};
use crate::domain::account::Account;
use crate::domain::routing::{Category, Channel};
use crate::service::MailboxView;
use crate::service::ops::CreateTicket;

/// The change last asked for here, so a ticket logged from the pane says
/// what it is about even when the change itself was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Attempt {
    Add(Option<String>),
    Remove(Option<String>),
    Owner(Option<String>),
}

impl Attempt {
    fn category(&self) -> Category {
        match self {
            Attempt::Add(_) | Attempt::Remove(_) => Category::MailboxAccess,
            Attempt::Owner(_) => Category::OwnerChange,
        }
    }

    fn account(&self) -> Option<&str> {
        match self {
            Attempt::Add(a) | Attempt::Remove(a) | Attempt::Owner(a) => a.as_deref(),
        }
    }

    fn describe(&self) -> String {
        match (self, self.account()) {
            (Attempt::Add(_), Some(a)) => format!("add {a} as a member"),
            (Attempt::Add(_), None) => "add a member".to_owned(),
            (Attempt::Remove(_), Some(a)) => format!("remove {a}"),
            (Attempt::Remove(_), None) => "remove a member".to_owned(),
            (Attempt::Owner(_), Some(a)) => format!("make {a} the owner"),
            (Attempt::Owner(_), None) => "name a new owner".to_owned(),
        }
    }
}

impl MailboxPane {
    /// `t`: opens the queue's new-ticket form about this mailbox, for the
    /// change last asked for here (a helpdesk agent out of hours logs what
    /// they may not do, and the resolver group picks it up).
    pub(super) fn log_ticket(&mut self, cx: &mut Cx<'_>) {
        let hints = self.hints(cx);
        if cx.refuse_if_disabled(&hints, Act::LogMailboxTicket) {
            return;
        }
        // With nothing asked for here, the request is the caller's: the
        // account selected in the account pane wants access to this mailbox.
        let ticket = match (&self.shown, &self.attempt, &cx.caller) {
            (Some(view), None, Some(caller)) => Some(access_for(view, caller)),
            _ => self.ticket(),
        };
        match ticket {
            Some(ticket) => cx.jump = Some(Jump::NewTicket(Box::new(ticket))),
            None => cx.warn("open a mailbox first: the ticket is about the mailbox on screen"),
        }
    }
}

/// A ticket about the mailbox, for the change last asked for (access by
/// default), requested by phone on the owner's behalf.
pub(super) fn ticket_about(view: &MailboxView, attempt: Option<&Attempt>) -> CreateTicket {
    let mailbox = &view.mailbox;
    let address = mailbox.address.to_string();
    let category = attempt.map_or(Category::MailboxAccess, Attempt::category);
    let topic = topic(category);
    let mut body = format!(
        "Logged from the shared mailbox pane: {} for {address} ({}, {}).",
        category.label(),
        mailbox.display_name,
        mailbox.ods
    );
    if let Some(attempt) = attempt {
        body.push_str(&format!("\nAsked to {}.", attempt.describe()));
    }
    CreateTicket {
        category,
        channel: Channel::Phone,
        received_at: None,
        requester_name: view.owner.as_ref().map(Account::display_name).unwrap_or_default(),
        requester_email: None,
        requester_phone: None,
        ods: Some(mailbox.ods.to_string()),
        account: attempt.and_then(Attempt::account).map(str::to_owned),
        mailbox: Some(address.clone()),
        mailbox_name: Some(mailbox.display_name.clone()),
        subject: format!("{topic}: {address}"),
        body,
        incomplete: false,
    }
}

/// A mailbox-access ticket for `caller`, who asked by phone for access to
/// the mailbox on screen.
fn access_for(view: &MailboxView, caller: &Account) -> CreateTicket {
    let mut ticket = ticket_about(view, Some(&Attempt::Add(Some(caller.address.to_string()))));
    ticket.requester_name = caller.display_name();
    ticket.body = format!(
        "Logged from the shared mailbox pane: {} asks for access to {} ({}, {}).",
        caller.address, view.mailbox.address, view.mailbox.display_name, view.mailbox.ods
    );
    ticket
}
