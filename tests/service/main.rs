//! The service, the only way to change data, tested the way the FAQ reads:
//! every change writes one audit entry and a refusal writes none; who may
//! do what and when; the rules for accounts, passwords, leavers, joiners
//! and tickets; and what happens when operators act at the same moment.

#[path = "../common/mod.rs"]
mod common;

use std::sync::Barrier;

use caredesk::domain::account::AccountStatus;
use caredesk::domain::lifecycle::Transition;
use caredesk::domain::organisation::IgStatus;
use caredesk::domain::permission::Role;
use caredesk::domain::routing::{Category, Channel, Queue};
use caredesk::domain::sms::{Delivery, PASSWORD_MASK};
use caredesk::domain::ticket::{Ticket, TicketRef, TicketStatus};
use caredesk::service::{
    Command, Ctx, NewTicket, Outcome, Query, QueueView, Reply, ResetReceipt, StatusFilter, Subject, SweepReport,
    Verification,
};
use caredesk::store::{Store, TreeId};
use chrono::{DateTime, Utc};
use common::*;

fn ticket_form(category: Category, requester: &str, ods: Option<&str>) -> NewTicket {
    NewTicket {
        category,
        channel: Channel::Phone,
        received_at: None,
        requester_name: requester.into(),
        requester_email: None,
        requester_phone: None,
        ods: ods.map(str::to_owned),
        account: None,
        mailbox: None,
        mailbox_name: None,
        subject: format!("{} for {requester}", category.label()),
        body: "as told on the phone".into(),
        incomplete: false,
    }
}

fn received(mut form: NewTicket, at: &str) -> NewTicket {
    form.received_at = Some(at.into());
    form
}

fn ticket(desk: &Desk, reference: TicketRef) -> Ticket {
    match desk.service.query(&Ctx::new(SUPERVISOR, in_hours()), &Query::Ticket { reference }).unwrap() {
        Reply::Ticket(t) => *t,
        other => panic!("ticket query answered {other:?}"),
    }
}

fn logged(outcome: &Outcome) -> Ticket {
    match &outcome.subject {
        Subject::Ticket(t) => (**t).clone(),
        other => panic!("expected a ticket, got {other:?}"),
    }
}

fn receipt(outcome: &Outcome) -> ResetReceipt {
    match &outcome.subject {
        Subject::PasswordReset(r) => r.clone(),
        other => panic!("expected a reset receipt, got {other:?}"),
    }
}

fn sweep_report(outcome: &Outcome) -> SweepReport {
    match &outcome.subject {
        Subject::Sweep(r) => r.clone(),
        other => panic!("expected a sweep report, got {other:?}"),
    }
}

fn rows(desk: &Desk, operator: &str, view: QueueView, status: StatusFilter, limit: usize) -> Vec<TicketRef> {
    let query = Query::Tickets { view, status, limit };
    match desk.service.query(&Ctx::new(operator, in_hours()), &query).unwrap() {
        Reply::Tickets(rows) => {
            let dues: Vec<_> = rows.iter().map(|r| r.due_at).collect();
            assert!(dues.windows(2).all(|w| w[0] <= w[1]), "rows out of due order: {dues:?}");
            rows.into_iter().map(|r| r.reference).collect()
        }
        other => panic!("tickets query answered {other:?}"),
    }
}

fn refs(numbers: &[u64]) -> Vec<TicketRef> {
    numbers.iter().copied().map(TicketRef).collect()
}

fn sunrise(desk: &Desk) {
    desk.add_good_org("V1234", "Sunrise Care");
}

mod accounts;
mod audit;
mod passwords;
mod permissions;
mod rules;
mod sweep;
mod tickets;
