//! Erasing a person as their account is deleted: what the store keeps of
//! them beyond the account record, which the deletion itself empties.
//!
//! In the deletion's own change, so it is all or nothing and audited once:
//! - every audit entry that concerns the account (`audit.by_person`), or
//!   wrote a ticket linked to it at any time (`audit.by_ticket`, so the
//!   entries from before the link too), loses its texts, keeping the hash
//!   the chain needs (see [`crate::domain::erasure`]);
//! - the tickets linked to the account lose every mark of the person in
//!   their free text and requester details, their mail its originals and
//!   attachments (the record of each message stays, redacted), and their
//!   outgoing mail goes;
//! - the text messages sent to their mobile leave the outbox;
//! - the database is marked for compaction, which removes the old bytes
//!   from its files.
//!
//! Left as they are: the NHSmail address (the tombstone the rule keeps),
//! and tickets not linked to the account (nothing ties them to the
//! person, and a search of all free text for a name would erase others who
//! share it).

use std::collections::{BTreeSet, HashMap, HashSet};

use super::{Ctx, Service, ServiceError};
use crate::domain::account::Account;
use crate::domain::erasure::{Marks, redact_mail, redact_ticket};
use crate::domain::sms::SmsMessage;
use crate::store::Change;

/// The most tickets one deletion redacts; more are left for the operator.
const MAX_TICKETS: usize = 10_000;

/// Text messages by account, for the deletions of a sweep: the outbox has
/// no index by account, so it is read once for all the accounts a sweep
/// expects to delete.
pub(super) struct OutboxByAccount {
    accounts: HashSet<u64>,
    messages: HashMap<u64, Vec<SmsMessage>>,
}

impl Service {
    pub(super) fn outbox_by_account(&self, accounts: HashSet<u64>) -> Result<OutboxByAccount, ServiceError> {
        let messages = self.store.outbox_for(&accounts)?;
        Ok(OutboxByAccount { accounts, messages })
    }

    /// Adds to `change`, the deletion of `old`, the erasure of everything
    /// else the store keeps of the person.
    pub(super) fn erase_person(
        &self,
        change: &mut Change,
        old: &Account,
        ctx: &Ctx,
        outbox: &OutboxByAccount,
    ) -> Result<(), ServiceError> {
        let tickets = self.store.tickets_for_account(old.id, MAX_TICKETS)?;
        let mut entries: BTreeSet<u64> = self.store.person_entries(old.id)?.into_iter().collect();
        for reference in &tickets {
            entries.extend(self.store.ticket_entries(reference.0)?);
        }
        for seq in entries {
            change.erase_entry(seq);
        }
        if let Some(personal) = &old.personal {
            let marks = Marks::of(personal);
            for &reference in &tickets {
                let Some(ticket) = self.store.ticket(reference)? else { continue };
                if let Some(clean) = redact_ticket(&ticket, &marks, &ctx.operator, ctx.now) {
                    change.put(Some(&ticket), &clean)?;
                }
                for mail in self.store.mails_for_ticket(reference)? {
                    if !mail.original_erased() {
                        change.erase_mail(&mail, &redact_mail(&mail, &marks))?;
                    }
                }
                for outgoing in self.store.mail_outbox_for_ticket(reference)? {
                    change.delete(&outgoing);
                }
            }
        }
        // An account the sweep did not expect to delete (changed by someone
        // meanwhile) has its own pass.
        let own;
        let messages = if outbox.accounts.contains(&old.id) {
            outbox.messages.get(&old.id)
        } else {
            own = self.store.outbox_for(&HashSet::from([old.id]))?;
            own.get(&old.id)
        };
        for message in messages.into_iter().flatten() {
            change.remove(message);
        }
        change.erases_personal_data();
        Ok(())
    }
}
