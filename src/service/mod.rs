//! The only way to change data.
//!
//! Every operation is its own type (see `operation.rs`) and runs the same
//! path: authorise the operator for the action at this hour, load what it
//! needs, apply the domain rule, and write the change together with exactly
//! one audit entry in one transaction. The CLI, the console and the daemon
//! all call [`Service::execute`] (or [`Service::dispatch`] for an operation
//! carried without its type), so there is one behaviour to test.

mod accounts;
mod backup;
mod batch;
mod bulk;
mod erasure;
mod error;
mod events;
mod external;
mod find;
mod gateway;
mod mail;
mod mail_out;
mod mail_read;
mod mailboxes;
mod membership;
mod operation;
mod operators;
mod orgs;
mod queue;
mod queue_sla;
mod registry;
mod report;
mod search;
mod slots;
mod sweep;
mod texts;
mod tickets;
mod views;
mod views_saved;

use std::path::Path;
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};
use serde::Serialize;

pub use accounts::{ResetReceipt, Verification};
pub use batch::interrupted as batch_interrupted;
pub use bulk::{BulkAction, BulkPreview, BulkReport, BulkTargets};
pub use error::{ServiceError, WireError};
pub use events::{ChangeEvent, Touched};
pub use find::{AccountMatch, MailboxMatch};
pub use gateway::{CommandGateway, OutboxOnly, SmsGateway};
pub use mail::{Intake, IntakeKind, RawMail};
pub use mail_out::MailTransport;
pub use mail_read::{MailBytes, MailPiece};
pub use operation::{Done, Operation, Registered};
pub use queue::{
    MAX_SLOTS, QueueView, SlotListing, Sort, SortKey, StatusFilter, Term, TicketFilter, TicketRow, TicketSlot, Within,
};
pub use queue_sla::SlaEdges;
pub use registry::{Answer, Request, ops};
pub use report::{Breach, Dashboard, QueueFigures, SlaWarning, SlaWarnings};
pub use slots::SlotsAt;
pub use sweep::{SweepItem, SweepReport};
pub use texts::RenderedText;
pub use views::{AccountView, AuditAnchor, AuditVerified, MailboxView, ShiftView, TicketDetail};
pub use views_saved::ViewCount;

use crate::domain::audit::{AuditDraft, AuditEntry};
use crate::domain::hours::{BankHolidays, NasHours};
use crate::domain::operator::Operator;
use crate::domain::permission::{Action, authorise};
use crate::domain::policy::Policy;
use crate::store::{Change, OpenMode, Store, StoreError};

/// Who is acting and when.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The operating-system user name of the operator.
    pub operator: String,
    /// The instant the service acts at: the real time, or a fixed clock
    /// for rehearsals and tests.
    pub now: DateTime<Utc>,
    /// The revision of the operation's record the caller saw (see
    /// [`Service::execute_based_on`]).
    based_on: Option<u64>,
    /// The operation being run, as its audit entry names it; set by
    /// [`Service::execute_based_on`].
    audited: Option<Arc<Audited>>,
    /// The real time, recorded in the audit log beside `now`.
    pub real_now: DateTime<Utc>,
    /// The clock was set by the caller (`--now`). Permissions depend on the
    /// hour, so only a supervisor may act at another time.
    pub rehearsal: bool,
    /// The bulk action (or undo) this change is one ticket of; its audit
    /// entry carries the number (see `bulk.rs`).
    batch: Option<u64>,
}

impl Ctx {
    /// A caller trusted to say what time it is: the console, the daemon,
    /// tests.
    pub fn new(operator: impl Into<String>, now: DateTime<Utc>) -> Ctx {
        Ctx {
            operator: operator.into(),
            now,
            real_now: Utc::now(),
            rehearsal: false,
            based_on: None,
            audited: None,
            batch: None,
        }
    }

    /// A clock given by the person running the command.
    pub fn rehearsal(operator: impl Into<String>, now: DateTime<Utc>) -> Ctx {
        Ctx { rehearsal: true, ..Ctx::new(operator, now) }
    }

    /// The same context with the operation's audit text replaced, for an
    /// operation whose own fields are too large to copy into the log.
    fn audited_as(&self, text: String) -> Ctx {
        let audited = self.audited.as_ref().map(|a| Arc::new(Audited { text, ..(**a).clone() }));
        Ctx { audited, ..self.clone() }
    }
}

/// What the audit entry of the operation being run says it was.
#[derive(Debug, Clone)]
struct Audited {
    name: &'static str,
    acts_on: Option<&'static str>,
    /// The operation as JSON.
    text: String,
}

/// Calendar, policy and the gateway the policy names, read once and
/// replaced together when a supervisor changes them.
struct Settings {
    hours: Arc<NasHours>,
    policy: Policy,
    gateway: Arc<dyn SmsGateway>,
    /// Set when the gateway was given in code (tests) rather than by policy.
    gateway_pinned: bool,
}

pub struct Service {
    store: Store,
    settings: RwLock<Settings>,
    listeners: events::Listeners,
    slot_cache: slots::SlotCache,
}

/// What a command prepared, ready to be written.
struct Prepared<T> {
    change: Change,
    subject: String,
    before: Option<String>,
    after: Option<String>,
    result: T,
}

/// How an operation's audit entry names it.
fn audited_as<O: Registered>(op: &O) -> Arc<Audited> {
    let request: Request = op.clone().into();
    let text = serde_json::to_string(&request).unwrap_or_default();
    Arc::new(Audited { name: O::NAME, acts_on: O::ACTS_ON, text })
}

/// A record as the audit log shows it.
fn audit_json<T: Serialize>(value: &T) -> Option<String> {
    serde_json::to_string(value).ok()
}

/// How many times a command is rebuilt when another write got in first.
const CONFLICT_RETRIES: usize = 4;

impl Service {
    /// Opens the database at `path`. `mode` says whether it may be created.
    pub fn open(path: &Path, mode: OpenMode) -> Result<Service, ServiceError> {
        let store = Store::open(path, mode)?;
        Service::with_store(store)
    }

    pub fn with_store(store: Store) -> Result<Service, ServiceError> {
        let holidays = store.calendar()?.unwrap_or_else(BankHolidays::bundled);
        let policy = store.policy()?.unwrap_or_default();
        let gateway = gateway::from_policy(&policy);
        let settings = Settings { hours: Arc::new(NasHours::new(holidays)), policy, gateway, gateway_pinned: false };
        Ok(Service {
            store,
            settings: RwLock::new(settings),
            listeners: events::Listeners::default(),
            slot_cache: slots::SlotCache::default(),
        })
    }

    /// Replaces the SMS gateway, whatever the policy says (tests use one
    /// that records messages).
    pub fn set_gateway(&mut self, gateway: Box<dyn SmsGateway>) {
        let mut s = self.settings.write().unwrap_or_else(|p| p.into_inner());
        s.gateway = Arc::from(gateway);
        s.gateway_pinned = true;
    }

    /// The gateway in force now; a command takes it once so that queuing
    /// and sending agree even if the policy changes meanwhile.
    fn gateway(&self) -> Arc<dyn SmsGateway> {
        self.settings.read().map(|s| s.gateway.clone()).unwrap_or_else(|p| p.into_inner().gateway.clone())
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn hours(&self) -> Arc<NasHours> {
        self.settings.read().map(|s| s.hours.clone()).unwrap_or_else(|p| p.into_inner().hours.clone())
    }

    pub fn policy(&self) -> Policy {
        self.settings.read().map(|s| s.policy.clone()).unwrap_or_else(|p| p.into_inner().policy.clone())
    }

    fn replace_settings(&self, hours: Option<NasHours>, policy: Option<Policy>) {
        let mut s = self.settings.write().unwrap_or_else(|p| p.into_inner());
        if let Some(h) = hours {
            s.hours = Arc::new(h);
        }
        if let Some(p) = policy {
            if !s.gateway_pinned {
                s.gateway = gateway::from_policy(&p);
            }
            s.policy = p;
        }
    }

    /// The operator record of the caller, if enabled.
    pub fn operator(&self, username: &str) -> Result<Operator, ServiceError> {
        match self.store.operator(username)? {
            Some(op) if op.enabled => Ok(op),
            Some(_) => Err(ServiceError::OperatorDisabled { user: username.to_owned() }),
            None => Err(ServiceError::NotOperator { user: username.to_owned() }),
        }
    }

    /// Checks that the caller may take `action` now.
    pub fn authorise(&self, ctx: &Ctx, action: Action) -> Result<Operator, ServiceError> {
        let op = self.operator(&ctx.operator)?;
        if ctx.rehearsal && op.role != crate::domain::permission::Role::Supervisor {
            return Err(ServiceError::RehearsalNotAllowed);
        }
        let in_hours = self.hours().is_open(ctx.now);
        authorise(op.role, in_hours, action)?;
        Ok(op)
    }

    /// Every change committed from now on, as an event; the receiver is
    /// dropped from the list when it goes away.
    pub fn subscribe(&self) -> std::sync::mpsc::Receiver<ChangeEvent> {
        self.listeners.subscribe()
    }

    /// Runs an operation and gives its own answer back.
    pub fn execute<O: Registered>(&self, ctx: &Ctx, op: &O) -> Result<O::Answer, ServiceError> {
        self.execute_based_on(ctx, op, None)
    }

    /// Runs an operation that the caller built from revision `based_on` of
    /// the record it acts on (the ticket, account or mailbox). If that
    /// record has changed since, nothing is written and the answer is a
    /// conflict naming who changed it, so the operator looks again before
    /// acting. Without a revision it acts on the record as it is now.
    pub fn execute_based_on<O: Registered>(
        &self,
        ctx: &Ctx,
        op: &O,
        based_on: Option<u64>,
    ) -> Result<O::Answer, ServiceError> {
        if based_on.is_some() && O::ACTS_ON.is_none() {
            return Err(ServiceError::BadInput(format!(
                "{} does not act on one existing record, so it cannot carry the revision it was based on",
                O::NAME
            )));
        }
        let audited = O::CHANGES.then(|| audited_as(op));
        let ctx = &Ctx { based_on, audited, ..ctx.clone() };
        let answer = op.handle(self, ctx);
        // A bulk load (an import, the demo) runs millions of commands, each
        // in the audit log: the daily log hears of them only when asked for
        // debug lines, and the load says how it went as a whole.
        if O::CHANGES && self.store.in_batch() {
            match &answer {
                Ok(_) => tracing::debug!(operator = %ctx.operator, action = O::NAME, "done in a batch"),
                Err(e) => tracing::debug!(operator = %ctx.operator, action = O::NAME, "refused in a batch: {e}"),
            }
        } else if O::CHANGES {
            match &answer {
                Ok(_) => tracing::info!(operator = %ctx.operator, action = O::NAME, "done"),
                Err(e) => tracing::info!(operator = %ctx.operator, action = O::NAME, "refused: {e}"),
            }
        }
        answer
    }

    /// The context of a change the service makes of its own accord (mail
    /// taken in, a mail's delivery written back), audited as `op`.
    fn acting_as<O: Registered>(&self, ctx: &Ctx, op: &O) -> Ctx {
        Ctx { based_on: None, audited: Some(audited_as(op)), ..ctx.clone() }
    }

    /// Runs an operation carried without its type.
    pub fn dispatch(&self, ctx: &Ctx, request: &Request, based_on: Option<u64>) -> Result<Answer, ServiceError> {
        request.run(self, ctx, based_on)
    }

    /// Prepares and writes a change, rebuilding it if another operator's
    /// write got in between (the rebuilt command sees their change and may
    /// now be refused, e.g. "already claimed by").
    fn run<T>(
        &self,
        ctx: &Ctx,
        mut prepare: impl FnMut() -> Result<Prepared<T>, ServiceError>,
    ) -> Result<(T, AuditEntry), ServiceError> {
        let Some(audited) = ctx.audited.clone() else {
            return Err(ServiceError::BadInput(
                "a change was run outside Service::execute, so it has no audit entry".into(),
            ));
        };
        let mut attempt = 0;
        loop {
            let p = prepare()?;
            if let (Some(expected), Some(kind)) = (ctx.based_on, audited.acts_on) {
                if let Some(read) = p.change.first_put(kind).filter(|read| read.rev != Some(expected)) {
                    return Err(StoreError::Conflict {
                        what: kind.into(),
                        label: read.label.to_owned(),
                        changed_by: read.changed_by.to_owned(),
                    }
                    .into());
                }
            }
            let draft = AuditDraft {
                at: ctx.now,
                recorded_at: ctx.real_now,
                operator: ctx.operator.clone(),
                action: audited.name.to_owned(),
                subject: p.subject,
                command: audited.text.clone(),
                before: p.before,
                after: p.after,
                batch: ctx.batch,
            };
            match self.commit(&p.change, &draft) {
                Ok(entry) => return Ok((p.result, entry)),
                // Another write got in first, or took the address or mobile
                // this command chose: rebuild it from fresh reads, which then
                // picks another address or refuses with the proper reason.
                Err(StoreError::Conflict { .. } | StoreError::Taken { .. }) if attempt < CONFLICT_RETRIES => {
                    attempt += 1
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
}

impl Service {
    /// Writes a change with its audit entry and tells the listeners.
    fn commit(&self, change: &Change, draft: &AuditDraft) -> Result<AuditEntry, StoreError> {
        let entry = {
            // A backup never sees half of this change (store/snapshot.rs).
            let _turn = self.store.writes_open();
            self.store.commit(change, draft)?
        };
        let touched: Vec<Touched> = change.touched().map(|(what, label)| Touched::from_record(what, label)).collect();
        let event = ChangeEvent {
            seq: entry.seq,
            operator: entry.draft.operator.clone(),
            action: entry.draft.action.clone(),
            touched,
        };
        // A batch's changes are told once the batch is written (batch.rs).
        self.changed(event);
        Ok(entry)
    }
}

fn not_found(what: &'static str, key: impl Into<String>, hint: &'static str) -> ServiceError {
    ServiceError::NotFound { what: what.into(), key: key.into(), hint: hint.into() }
}
