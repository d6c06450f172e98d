//! The lifecycle sweep: applies every transition that has fallen due.
//!
//! It reads the accounts-by-due index up to now, so its cost follows the
//! number of accounts due, not the number of accounts. Each transition is
//! its own write with its own audit entry; a second run finds nothing due
//! and writes nothing.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::erasure::OutboxByAccount;
use super::membership::MailboxEdits;
use super::{Ctx, Done, Operation, Request, Service, ServiceError, audit_json};
use crate::domain::account::Account;
use crate::domain::audit::AuditDraft;
use crate::domain::lifecycle::Transition;
use crate::domain::permission::Action;
use crate::store::{Change, StoreError};

const BATCH: usize = 500;

/// Applies every lifecycle transition due now, one audit entry each.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sweep {
    /// Report what is due without changing anything.
    pub dry_run: bool,
}

impl Operation for Sweep {
    type Answer = Done<SweepReport>;
    const NAME: &'static str = "lifecycle.sweep";
    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<Done<SweepReport>, ServiceError> {
        service.sweep(ctx, self.dry_run, &mut |_, _| {})
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SweepItem {
    pub address: String,
    pub transition: Transition,
    #[serde(with = "crate::domain::time::ts")]
    pub due_at: chrono::DateTime<chrono::Utc>,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct SweepReport {
    pub dry_run: bool,
    pub applied: Vec<SweepItem>,
}

impl Service {
    /// Runs the sweep as [`Sweep`] does, telling `progress` after each
    /// pass how many transitions it has made, of the number due when it
    /// started: a sweep over a national database takes minutes.
    pub fn sweep_showing_progress(
        &self,
        ctx: &Ctx,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<Done<SweepReport>, ServiceError> {
        let op = Sweep { dry_run: false };
        let answer = self.sweep(&self.acting_as(ctx, &op), false, progress);
        match &answer {
            Ok(done) => tracing::info!(operator = %ctx.operator, action = Sweep::NAME, "{}", done.summary),
            Err(e) => tracing::info!(operator = %ctx.operator, action = Sweep::NAME, "refused: {e}"),
        }
        answer
    }

    fn sweep(
        &self,
        ctx: &Ctx,
        dry_run: bool,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<Done<SweepReport>, ServiceError> {
        self.authorise(ctx, Action::RunSweep)?;
        let mut report = SweepReport { dry_run, applied: Vec::new() };
        let mut last_seq = None;
        if dry_run {
            for id in self.store.accounts_due(ctx.now, usize::MAX)? {
                let Some(mut account) = self.store.account(id)? else { continue };
                while let Some((next, due)) = account.apply_due(&ctx.operator, ctx.now) {
                    report.applied.push(item(&account, due));
                    account = next;
                }
            }
        } else {
            // One pass over the outbox for every deletion of the sweep, not
            // one per batch: at national scale the outbox has a million
            // messages and a sweep thousands of batches.
            let (deleting, total) = self.deleting(ctx, &self.store.accounts_due(ctx.now, usize::MAX)?)?;
            let outbox = self.outbox_by_account(deleting)?;
            progress(0, total);
            let mut applied = 0;
            let mut pass = |due: Vec<u64>| -> Result<u64, ServiceError> {
                let mut made = 0;
                for id in due {
                    match self.apply_one(ctx, id, &outbox) {
                        Ok(Some((item, seq))) => {
                            report.applied.push(item);
                            last_seq = Some(seq);
                            made += 1;
                        }
                        Ok(None) => {}
                        // Someone changed the account meanwhile; the next
                        // pass reads it afresh.
                        Err(ServiceError::Store(StoreError::Conflict { .. })) => {}
                        Err(e) => return Err(e),
                    }
                }
                Ok(made)
            };
            loop {
                let due = self.store.accounts_due(ctx.now, BATCH)?;
                if due.is_empty() {
                    break;
                }
                // A database being built has no other writer, so a pass is one
                // batch there, like the rest of the build, written while the
                // next pass runs: its reads see the pass before beneath
                // their own, as the replay's do.
                applied += if self.store.is_building() { self.batch(|| pass(due))?? } else { pass(due)? };
                // Someone else's change may have moved an account's dates
                // since the count was made.
                progress(applied.min(total), total);
            }
        }
        let (inactive, deleted) = report.applied.iter().fold((0, 0), |(i, d), it| match it.transition {
            Transition::BecomeInactive => (i + 1, d),
            Transition::Delete => (i, d + 1),
        });
        let verb = if dry_run { "would make" } else { "made" };
        Ok(Done {
            summary: format!("lifecycle sweep {verb} {inactive} accounts inactive and deleted {deleted}"),
            record: report,
            audit_seq: last_seq,
        })
    }

    /// Which of `due` the sweep will delete, now or after it has made them
    /// inactive, and how many transitions it will make in all.
    fn deleting(&self, ctx: &Ctx, due: &[u64]) -> Result<(HashSet<u64>, u64), ServiceError> {
        let mut out = HashSet::new();
        let mut transitions = 0;
        for &id in due {
            let Some(mut account) = self.store.account(id)? else { continue };
            while let Some((next, due)) = account.apply_due(&ctx.operator, ctx.now) {
                transitions += 1;
                if due.transition == Transition::Delete {
                    out.insert(id);
                    break;
                }
                account = next;
            }
        }
        Ok((out, transitions))
    }

    fn apply_one(
        &self,
        ctx: &Ctx,
        id: u64,
        outbox: &OutboxByAccount,
    ) -> Result<Option<(SweepItem, u64)>, ServiceError> {
        let Some(old) = self.store.account(id)? else { return Ok(None) };
        let Some((new, due)) = old.apply_due(&ctx.operator, ctx.now) else { return Ok(None) };
        let mut change = Change::new();
        change.put(Some(&old), &new)?;
        if due.transition == Transition::Delete {
            let mut edits = MailboxEdits::default();
            for mailbox in self.store.memberships(id)? {
                edits.remove_member(&mailbox, id, ctx);
            }
            for mailbox in self.store.mailboxes_owned_by(id)? {
                edits.edit(&mailbox, ctx).owner = None;
            }
            edits.write(&mut change)?;
            self.erase_person(&mut change, &old, ctx, outbox)?;
        }
        let action = match due.transition {
            Transition::BecomeInactive => "lifecycle.inactive",
            Transition::Delete => "lifecycle.delete",
        };
        let draft = AuditDraft {
            at: ctx.now,
            recorded_at: ctx.real_now,
            operator: ctx.operator.clone(),
            action: action.to_owned(),
            subject: old.address.to_string(),
            command: serde_json::to_string(&Request::from(Sweep { dry_run: false })).unwrap_or_default(),
            // A deletion erases personal data: its own entry must not copy
            // that data into the permanent log once more.
            before: match due.transition {
                Transition::BecomeInactive => audit_json(&old),
                Transition::Delete => Some(format!("{} ({})", old.address, old.status.label())),
            },
            after: Some(format!("{}; {}", new.status.label(), due.reason.describe())),
            batch: None,
        };
        let entry = self.commit(&change, &draft)?;
        Ok(Some((item(&old, due), entry.seq)))
    }
}

fn item(account: &Account, due: crate::domain::lifecycle::LifecycleDue) -> SweepItem {
    SweepItem {
        address: account.address.to_string(),
        transition: due.transition,
        due_at: due.at,
        reason: due.reason.describe().to_owned(),
    }
}
