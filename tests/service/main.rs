//! The service, the only way to change data, tested the way the FAQ reads:
//! every change writes one audit entry and a refusal writes none; who may
//! do what and when; the rules for accounts, passwords, leavers, joiners
//! and tickets; and what happens when operators act at the same moment.

#[path = "../common/mod.rs"]
mod common;

use std::sync::Barrier;

use caredesk::domain::account::{Account, AccountStatus};
use caredesk::domain::lifecycle::Transition;
use caredesk::domain::organisation::IgStatus;
use caredesk::domain::permission::Role;
use caredesk::domain::routing::{Category, Channel, Queue};
use caredesk::domain::sms::{Delivery, PASSWORD_MASK};
use caredesk::domain::ticket::{Ticket, TicketRef, TicketStatus};
use caredesk::service::ops::*;
use caredesk::service::{
    Ctx, Done, QueueView, Request, ResetReceipt, SlotListing, SlotsAt, StatusFilter, SweepReport, TicketFilter,
    TicketSlot, Verification,
};
use caredesk::store::{Store, TreeId};
use chrono::{DateTime, Utc};
use common::*;

fn ticket_form(category: Category, requester: &str, ods: Option<&str>) -> CreateTicket {
    CreateTicket {
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

fn received(mut form: CreateTicket, at: &str) -> CreateTicket {
    form.received_at = Some(at.into());
    form
}

fn ticket(desk: &Desk, reference: TicketRef) -> Ticket {
    desk.service.execute(&Ctx::new(SUPERVISOR, in_hours()), &ShowTicket { reference }).unwrap()
}

fn logged(done: &Done<Ticket>) -> Ticket {
    done.record.clone()
}

fn receipt(done: &Done<ResetReceipt>) -> ResetReceipt {
    done.record.clone()
}

fn sweep_report(done: &Done<SweepReport>) -> SweepReport {
    done.record.clone()
}

fn rows(desk: &Desk, operator: &str, view: QueueView, status: StatusFilter, limit: usize) -> Vec<TicketRef> {
    let query = ListTickets { view, status, limit };
    let rows = desk.service.execute(&Ctx::new(operator, in_hours()), &query).unwrap();
    let dues: Vec<_> = rows.iter().map(|r| r.due_at).collect();
    assert!(dues.windows(2).all(|w| w[0] <= w[1]), "rows out of due order: {dues:?}");
    rows.into_iter().map(|r| r.reference).collect()
}

fn refs(numbers: &[u64]) -> Vec<TicketRef> {
    numbers.iter().copied().map(TicketRef).collect()
}

fn sunrise(desk: &Desk) {
    desk.add_good_org("V1234", "Sunrise Care");
}

mod accounts;
mod audit;
mod bulk;
mod erasure;
mod passwords;
mod permissions;
mod rules;
mod shift;
mod sweep;
mod tickets;
