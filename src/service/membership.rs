//! Changes to shared mailboxes made by any command: the records and their
//! membership pairs, kept in step.
//!
//! A member added or removed always moves the mailbox's member count with
//! it, and a mailbox touched by several rules in one command (a leaver who
//! owns it and belongs to it) is written once, based on the revision first
//! read.

use std::collections::BTreeMap;

use super::{Ctx, ServiceError};
use crate::domain::account::AccountId;
use crate::domain::mailbox::{Mailbox, MailboxId};
use crate::store::Change;

#[derive(Default)]
pub(super) struct MailboxEdits {
    records: BTreeMap<MailboxId, (Mailbox, Mailbox)>,
    /// (mailbox, account, joining) in the order the rules decided them.
    pairs: Vec<(MailboxId, AccountId, bool)>,
    /// Accounts whose mailboxes change though their records do not.
    concerned: Vec<String>,
}

impl MailboxEdits {
    /// The next revision of `mailbox`, to change in place.
    pub(super) fn edit(&mut self, mailbox: &Mailbox, ctx: &Ctx) -> &mut Mailbox {
        &mut self.records.entry(mailbox.id).or_insert_with(|| (mailbox.clone(), mailbox.next(&ctx.operator, ctx.now))).1
    }

    pub(super) fn add_member(&mut self, mailbox: &Mailbox, account: AccountId, ctx: &Ctx) {
        self.edit(mailbox, ctx).member_count += 1;
        self.pairs.push((mailbox.id, account, true));
    }

    pub(super) fn remove_member(&mut self, mailbox: &Mailbox, account: AccountId, ctx: &Ctx) {
        let m = self.edit(mailbox, ctx);
        m.member_count = m.member_count.saturating_sub(1);
        self.pairs.push((mailbox.id, account, false));
    }

    /// `address`'s view changes (a mailbox joined, left, owned or given up)
    /// though their record is not rewritten: other sessions hear of it.
    pub(super) fn concerns(&mut self, address: &impl ToString) {
        self.concerned.push(address.to_string());
    }

    pub(super) fn write(self, change: &mut Change) -> Result<(), ServiceError> {
        for address in self.concerned {
            change.mention("account", address);
        }
        for (old, new) in self.records.values() {
            change.put(Some(old), new)?;
        }
        for (mailbox, account, joining) in self.pairs {
            if joining {
                change.add_member(mailbox, account);
            } else {
                change.remove_member(mailbox, account);
            }
        }
        Ok(())
    }
}
