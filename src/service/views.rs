//! What the panes and the CLI show of one record, and the state of the
//! service: the shift, policy, operators, the outbox and the audit log.
//!
//! A read never writes.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Ctx, Operation, Service, ServiceError};
use crate::domain::account::Account;
use crate::domain::audit::{AuditEntry, ChainCheck};
use crate::domain::hours::Shift;
use crate::domain::lifecycle::LifecycleDue;
use crate::domain::mailbox::Mailbox;
use crate::domain::operator::Operator;
use crate::domain::organisation::Organisation;
use crate::domain::permission::{Action, Role};
use crate::domain::policy::Policy;
use crate::domain::routing::{Category, Routing, route_ticket};
use crate::domain::sms::SmsMessage;
use crate::domain::ticket::{Ticket, TicketRef};
use crate::domain::validate::OdsCode;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShiftView {
    #[serde(with = "crate::domain::time::ts")]
    pub now: DateTime<Utc>,
    pub open: bool,
    /// Closing time when open, next opening when closed.
    #[serde(with = "crate::domain::time::ts")]
    pub changes_at: DateTime<Utc>,
    pub operator: String,
    pub role: Role,
    /// The calendar's last bank holiday: beyond it only weekends count.
    pub calendar_ends: Option<chrono::NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountView {
    pub account: Account,
    pub organisation: Option<Organisation>,
    pub next: Option<LifecycleDue>,
    pub member_of: Vec<String>,
    pub owns: Vec<String>,
    pub tickets: Vec<TicketRef>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MailboxView {
    pub mailbox: Mailbox,
    pub owner: Option<Account>,
    /// Up to the first 500 members, in account order.
    pub members: Vec<Account>,
    pub not_accessed_recently: bool,
}

/// A ticket as the ticket view shows it: the linked records by address,
/// the organisation by name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketDetail {
    pub ticket: Ticket,
    pub account: Option<String>,
    pub mailbox: Option<String>,
    pub organisation: Option<String>,
}

const MEMBERS_SHOWN: usize = 500;

/// Declares a read that names one record and answers with its view.
macro_rules! read {
    ($(#[$doc:meta])* $name:ident { $($field:ident: $ty:ty),* } -> $answer:ty, $audit:literal,
     |$op:ident, $service:ident, $ctx:ident| $body:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        pub struct $name {
            $(pub $field: $ty,)*
        }

        impl Operation for $name {
            type Answer = $answer;
            const NAME: &'static str = $audit;
            #[allow(unused_variables)]
            fn handle(&self, $service: &Service, $ctx: &Ctx) -> Result<$answer, ServiceError> {
                let $op = self;
                $body
            }
        }
    };
}

read!(
    /// Whether the NAS is open, when that changes, and who is asking.
    ShowShift {} -> ShiftView, "shift.show", |op, service, ctx| {
        let me = service.authorise(ctx, Action::View)?;
        let hours = service.hours();
        let (open, changes_at) = match hours.shift(ctx.now) {
            Shift::Open { closes_at } => (true, closes_at),
            Shift::Closed { opens_at } => (false, opens_at),
        };
        Ok(ShiftView {
            now: ctx.now,
            open,
            changes_at,
            operator: me.username,
            role: me.role,
            calendar_ends: hours.holidays().last_date(),
        })
    }
);

read!(ShowOrganisation { ods: String } -> Organisation, "org.show", |op, service, ctx| {
    service.authorise(ctx, Action::View)?;
    service.load_org(&OdsCode::parse(&op.ods)?)
});

read!(ShowAccount { address: String } -> AccountView, "account.show", |op, service, ctx| {
    service.authorise(ctx, Action::View)?;
    service.account_view(&op.address)
});

read!(ShowMailbox { address: String } -> MailboxView, "mailbox.show", |op, service, ctx| {
    service.authorise(ctx, Action::View)?;
    service.mailbox_view(&op.address, ctx.now)
});

read!(ShowTicket { reference: TicketRef } -> Ticket, "ticket.show", |op, service, ctx| {
    service.authorise(ctx, Action::View)?;
    service.load_ticket(op.reference)
});

read!(
    /// A ticket with the addresses and organisation name it refers to.
    ShowTicketDetail { reference: TicketRef } -> TicketDetail, "ticket.detail", |op, service, ctx| {
        service.authorise(ctx, Action::View)?;
        let ticket = service.load_ticket(op.reference)?;
        let account = ticket.account.map(|id| service.store.account(id)).transpose()?.flatten();
        let mailbox = ticket.mailbox.map(|id| service.store.mailbox(id)).transpose()?.flatten();
        let organisation = ticket.ods.as_ref().map(|o| service.store.organisation(o)).transpose()?.flatten();
        Ok(TicketDetail {
            account: account.map(|a| a.address.to_string()),
            mailbox: mailbox.map(|m| m.address.to_string()),
            organisation: organisation.map(|o| o.name),
            ticket,
        })
    }
);

read!(
    /// Where a request of this category received then (default now) would go.
    PreviewRoute { category: Category, received_at: Option<DateTime<Utc>> } -> Routing, "ticket.route",
    |op, service, ctx| {
        service.authorise(ctx, Action::View)?;
        let at = op.received_at.unwrap_or(ctx.now);
        Ok(route_ticket(&service.hours(), &service.policy().targets, at, op.category))
    }
);

read!(ListOperators {} -> Vec<Operator>, "operator.list", |op, service, ctx| {
    service.authorise(ctx, Action::View)?;
    Ok(service.store.operators()?)
});

read!(
    /// The newest audit entries, before entry `before` when given.
    ListAudit { before: Option<u64>, limit: usize } -> Vec<AuditEntry>, "audit.list", |op, service, ctx| {
        service.authorise(ctx, Action::ReadAudit)?;
        Ok(service.store.audit_newest(op.before, op.limit)?)
    }
);

/// What a walk of the whole audit chain proved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditVerified {
    pub entries: u64,
    /// Records and index entries found holding what the chain says.
    pub keys: u64,
    /// Keys last written by entries from before entries carried a state
    /// digest (a database made by an earlier release): not held to it.
    pub keys_unchecked: u64,
    /// The newest entry's hash (the genesis hash for an empty log): what
    /// an operator keeps elsewhere as the anchor for the next verify.
    pub head_hash: String,
}

/// An audit entry an operator recorded earlier, outside the database: the
/// log must still hold it, with this hash, or it was cut back and rewritten.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditAnchor {
    pub seq: u64,
    pub hash: String,
}

read!(
    /// Walks the whole audit chain and says how many entries it proved;
    /// with an anchor, also that the log still holds the entry it names.
    VerifyAudit { anchor: Option<AuditAnchor> } -> AuditVerified, "audit.verify", |op, service, ctx| {
        service.authorise(ctx, Action::ReadAudit)?;
        service.verify_audit_from(op.anchor.as_ref())
    }
);

read!(ListOutbox { limit: usize } -> Vec<SmsMessage>, "outbox.list", |op, service, ctx| {
    service.authorise(ctx, Action::View)?;
    Ok(service.store.outbox_newest(op.limit)?)
});

read!(ShowPolicy {} -> Policy, "policy.show", |op, service, ctx| {
    service.authorise(ctx, Action::View)?;
    Ok(service.policy())
});

impl Service {
    fn account_view(&self, address: &str) -> Result<AccountView, ServiceError> {
        let account = self.load_account(address)?;
        Ok(AccountView {
            organisation: self.store.organisation(&account.ods)?,
            next: account.lifecycle_due(),
            member_of: self.store.memberships(account.id)?.into_iter().map(|m| m.address.to_string()).collect(),
            owns: self.store.mailboxes_owned_by(account.id)?.into_iter().map(|m| m.address.to_string()).collect(),
            tickets: self.store.tickets_for_account(account.id, 50)?,
            account,
        })
    }

    fn mailbox_view(&self, address: &str, now: DateTime<Utc>) -> Result<MailboxView, ServiceError> {
        let mailbox = self.load_mailbox(address)?;
        let owner = mailbox.owner.map(|id| self.store.account(id)).transpose()?.flatten();
        let mut members = Vec::new();
        for id in self.store.member_ids(mailbox.id, None, MEMBERS_SHOWN)? {
            if let Some(a) = self.store.account(id)? {
                members.push(a);
            }
        }
        Ok(MailboxView { not_accessed_recently: mailbox.not_accessed_recently(now), mailbox, owner, members })
    }

    /// Walks the whole audit chain; returns how many entries it proved.
    pub fn verify_audit(&self) -> Result<u64, ServiceError> {
        Ok(self.verify_audit_from(None)?.entries)
    }

    /// Walks the whole audit chain and checks it against `anchor`, an
    /// entry recorded earlier outside the database. Without one, a log cut
    /// back with its head rewritten to match still verifies: the anchor is
    /// what catches that. Then holds every record and index entry to the
    /// last entry that wrote it.
    pub fn verify_audit_from(&self, anchor: Option<&AuditAnchor>) -> Result<AuditVerified, ServiceError> {
        let mut check = ChainCheck::default();
        let mut last_hash = crate::domain::audit::GENESIS_HASH.to_owned();
        let mut anchored = None;
        let mut chain = crate::store::ChainState::default();
        self.store.audit_walk_all(|read| {
            let entry = match read {
                Ok(entry) => entry,
                Err((seq, why)) => {
                    check.unreadable(seq, why.to_string());
                    chain.unreadable(seq);
                    return true;
                }
            };
            check.record(&entry);
            chain.record(&entry);
            if anchor.is_some_and(|a| a.seq == entry.seq) {
                anchored = Some(entry.hash.clone());
            }
            last_hash.clone_from(&entry.hash);
            true
        })?;
        check.expect_head(self.store.audit_head()?);
        let mut findings: Vec<String> = check.findings().into_iter().collect();
        if let Some(a) = anchor.filter(|a| a.seq > 0) {
            match anchored {
                None => findings.push(format!(
                    "the anchor names entry {} but the log has no such entry: entries were removed from the end",
                    a.seq
                )),
                Some(hash) if hash != a.hash => findings
                    .push(format!("entry {} no longer has the hash the anchor recorded: the log was rewritten", a.seq)),
                Some(_) => {}
            }
        }
        let state = self.store.check_state(chain)?;
        findings.extend(state.findings());
        if findings.is_empty() {
            Ok(AuditVerified {
                entries: check.checked,
                keys: state.checked,
                keys_unchecked: state.unchecked,
                head_hash: last_hash,
            })
        } else {
            Err(ServiceError::BadInput(format!("the audit log is NOT intact: {}", findings.join("; "))))
        }
    }
}
