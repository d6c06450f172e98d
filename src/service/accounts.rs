//! Personal accounts: creation with the duplicate and IG checks, the
//! directory feed, password resets with their verification, leavers and
//! joiners, directory visibility and administration.

use super::gateway::{SmsGateway, temporary_password};
use super::membership::MailboxEdits;
use super::{
    Ctx, Outcome, Prepared, ResetReceipt, Service, ServiceError, Subject, Verification, audit_json, not_found, outcome,
};
use crate::domain::account::{Account, AccountStatus, NewAccount, PersonalData};
use crate::domain::address::{NhsMailAddress, address_stem, first_free_address};
use crate::domain::mailbox::check_owner;
use crate::domain::permission::Action;
use crate::domain::refusal::Refusal;
use crate::domain::sms::{Delivery, PASSWORD_MASK, SmsMessage, temporary_password_text};
use crate::domain::task_ticket::check_task_ticket;
use crate::domain::ticket::{EntryKind, Ticket, TicketRef};
use crate::domain::validate::{Email, Mobile, OdsCode, fold_for_search, person_name};
use crate::service::command::Command;
use crate::store::Change;

/// A directory-feed fact applied to an account.
type FeedRule = fn(&Account, &str, chrono::DateTime<chrono::Utc>) -> Result<Account, Refusal>;

impl Service {
    pub(super) fn account_command(&self, ctx: &Ctx, command: &Command) -> Result<Outcome, ServiceError> {
        match command {
            Command::CreateAccount { .. } => self.create_account(ctx, command),
            Command::RecordLogin { address }
            | Command::RecordPasswordChange { address }
            | Command::RecordLock { address } => {
                self.authorise(ctx, Action::DirectoryFeed)?;
                let (rule, what): (FeedRule, _) = match command {
                    Command::RecordLogin { .. } => (Account::record_login, "login recorded"),
                    Command::RecordPasswordChange { .. } => {
                        (Account::record_password_change, "password change recorded")
                    }
                    _ => (Account::record_lock, "lock recorded"),
                };
                self.edit_account(ctx, command, address, None, |a| rule(a, &ctx.operator, ctx.now), what)
            }
            Command::Unlock { address, ticket } => {
                self.authorise(ctx, Action::SimpleAccountTask)?;
                self.edit_account(
                    ctx,
                    command,
                    address,
                    *ticket,
                    |a| {
                        a.administered_by.require_nas(a.address.as_str())?;
                        a.unlock(&ctx.operator, ctx.now)
                    },
                    "unlocked",
                )
            }
            Command::SetMobileHidden { address, hidden, ticket } => {
                self.authorise(ctx, Action::SimpleAccountTask)?;
                let what =
                    if *hidden { "mobile hidden from the NHS Directory" } else { "mobile shown in the NHS Directory" };
                self.edit_account(
                    ctx,
                    command,
                    address,
                    *ticket,
                    |a| a.set_mobile_hidden(*hidden, &ctx.operator, ctx.now),
                    what,
                )
            }
            Command::TransferAdministration { address, to } => {
                self.authorise(ctx, Action::ComplexAccountTask)?;
                let to = self.administration(to.as_deref())?;
                let what = format!("now administered by {}", to.describe());
                self.edit_account(
                    ctx,
                    command,
                    address,
                    None,
                    |a| a.transfer_administration(to.clone(), &ctx.operator, ctx.now),
                    &what,
                )
            }
            Command::ResetPassword { address, verified_by, ticket } => {
                self.authorise(ctx, Action::SimpleAccountTask)?;
                self.reset_password(ctx, command, address, verified_by, *ticket)
            }
            Command::MarkLeaver { address, new_owner, ticket } => {
                self.authorise(ctx, Action::ComplexAccountTask)?;
                self.mark_leaver(ctx, command, address, new_owner.as_deref(), *ticket)
            }
            Command::Joiner { address, ods, mailboxes, ticket } => {
                self.authorise(ctx, Action::ComplexAccountTask)?;
                self.joiner(ctx, command, address, ods, mailboxes, *ticket)
            }
            _ => unreachable!("not an account command"),
        }
    }

    pub(super) fn load_account(&self, address: &str) -> Result<Account, ServiceError> {
        let address = NhsMailAddress::parse(address)?;
        self.store.account_by_address(address.as_str())?.ok_or_else(|| {
            not_found("account", address.to_string(), "check the address, or search with `caredesk account find`")
        })
    }

    pub(super) fn load_ticket(&self, reference: TicketRef) -> Result<Ticket, ServiceError> {
        self.store.ticket(reference)?.ok_or_else(|| {
            not_found(
                "ticket",
                reference.to_string(),
                "check the reference, or list tickets with `caredesk ticket list`",
            )
        })
    }

    /// Adds the steps of an account task to the ticket it was done for, and
    /// links the account to it; refused when the ticket is about someone
    /// else. `before` is the account as the task found it.
    fn note_on_ticket(
        &self,
        ctx: &Ctx,
        change: &mut Change,
        reference: Option<TicketRef>,
        (before, account): (&Account, &Account),
        steps: &[String],
    ) -> Result<(), ServiceError> {
        let Some(reference) = reference else { return Ok(()) };
        let old = self.load_ticket(reference)?;
        old.require_open()?;
        check_task_ticket(&old, before, account)?;
        let mut new = old.next(&ctx.operator, ctx.now);
        new.account.get_or_insert(account.id);
        for step in steps {
            new.push(EntryKind::Event, &ctx.operator, ctx.now, step.clone());
        }
        change.put(Some(&old), &new)?;
        Ok(())
    }

    fn edit_account(
        &self,
        ctx: &Ctx,
        command: &Command,
        address: &str,
        ticket: Option<TicketRef>,
        edit: impl Fn(&Account) -> Result<Account, Refusal>,
        what: &str,
    ) -> Result<Outcome, ServiceError> {
        let (account, entry) = self.run(ctx, command, || {
            let old = self.load_account(address)?;
            let new = edit(&old)?;
            let mut change = Change::new();
            change.put(Some(&old), &new)?;
            self.note_on_ticket(ctx, &mut change, ticket, (&old, &new), &[format!("{}: {what}", new.address)])?;
            Ok(Prepared {
                change,
                subject: new.address.to_string(),
                before: audit_json(&old),
                after: audit_json(&new),
                result: new,
            })
        })?;
        Ok(outcome(format!("{}: {what}", account.address), Subject::Account(Box::new(account)), &entry))
    }

    /// Accounts that may belong to the same person: same registration
    /// email, or same name in the same organisation.
    pub fn likely_duplicates(
        &self,
        first: &str,
        last: &str,
        ods: &OdsCode,
        email: Option<&Email>,
    ) -> Result<Vec<Account>, ServiceError> {
        let mut found: Vec<Account> = Vec::new();
        if let Some(email) = email {
            found.extend(self.store.accounts_with_email(email, 20)?);
        }
        let (first, last) = (fold_for_search(first), fold_for_search(last));
        for a in self.store.accounts_named_in_org(ods, &last, &first, 20)? {
            if !found.iter().any(|f| f.id == a.id) {
                found.push(a);
            }
        }
        found.retain(|a| a.status != AccountStatus::Deleted);
        Ok(found)
    }

    fn create_account(&self, ctx: &Ctx, command: &Command) -> Result<Outcome, ServiceError> {
        let Command::CreateAccount { first, last, mobile, ods, email, not_duplicate } = command else { unreachable!() };
        self.authorise(ctx, Action::ComplexAccountTask)?;
        let first = person_name(first, "first name")?;
        let last = person_name(last, "last name")?;
        let mobile = Mobile::parse(mobile)?;
        let email = Email::parse(email)?;
        let ods = OdsCode::parse(ods)?;
        let stem = address_stem(&first, &last)?;
        let password = temporary_password();
        let gateway = self.gateway();
        let (result, entry) = self.run(ctx, command, || {
            let org = self.load_org(&ods)?;
            org.may_hold_accounts()?;
            org.administered_by.require_nas(&format!("{} ({})", org.name, org.ods))?;
            if let Some(holder) = self.store.account_by_mobile(&mobile)? {
                return Err(Refusal::MobileInUse { masked: mobile.masked(), holder: holder.address }.into());
            }
            if !not_duplicate {
                let matches = self.likely_duplicates(&first, &last, &ods, Some(&email))?;
                if !matches.is_empty() {
                    let matches =
                        matches.iter().map(|a| format!("{} ({}, {})", a.address, a.display_name(), a.ods)).collect();
                    return Err(Refusal::PossibleDuplicates { matches }.into());
                }
            }
            let taken = self.store.addresses_starting(&stem)?;
            let address = first_free_address(&stem, taken.iter().map(String::as_str));
            let id = self.store.next_number("account")?;
            let account = Account::register(
                NewAccount {
                    id,
                    address,
                    personal: PersonalData {
                        first_name: first.clone(),
                        last_name: last.clone(),
                        email: email.clone(),
                        mobile: mobile.clone(),
                    },
                    ods: ods.clone(),
                    administered_by: org.administered_by.clone(),
                },
                &ctx.operator,
                ctx.now,
            );
            let mut change = Change::new();
            change.put(None, &account)?;
            let message = self.outbox_message(&mut change, &account, &mobile, None, ctx, gateway.as_ref())?;
            Ok(Prepared {
                change,
                subject: account.address.to_string(),
                before: None,
                after: audit_json(&account),
                result: (account, message),
            })
        })?;
        let (account, message) = result;
        let message = self.deliver(gateway.as_ref(), message, &account.address, &password);
        let summary = format!(
            "created {} for {}: temporary password {} (outbox #{}); the username goes to {}",
            account.address,
            account.display_name(),
            delivery_phrase(&message.delivery, &mobile.masked()),
            message.seq,
            email
        );
        Ok(outcome(summary, Subject::Account(Box::new(account)), &entry))
    }

    /// Queues the temporary-password message in the outbox, masked.
    fn outbox_message(
        &self,
        change: &mut Change,
        account: &Account,
        to: &Mobile,
        ticket: Option<TicketRef>,
        ctx: &Ctx,
        gateway: &dyn SmsGateway,
    ) -> Result<SmsMessage, ServiceError> {
        let message = SmsMessage {
            seq: self.store.next_number("outbox")?,
            at: ctx.now,
            to: to.clone(),
            account: account.id,
            address: account.address.clone(),
            ticket,
            text: temporary_password_text(&account.address, PASSWORD_MASK),
            delivery: if gateway.keeps_only() { Delivery::KeptInOutbox } else { Delivery::Queued },
        };
        change.set(&message)?;
        Ok(message)
    }

    /// Hands a committed message to the gateway with the real password, and
    /// records the answer. The password goes no further than this call.
    fn deliver(
        &self,
        gateway: &dyn SmsGateway,
        mut message: SmsMessage,
        address: &NhsMailAddress,
        password: &str,
    ) -> SmsMessage {
        if gateway.keeps_only() {
            return message;
        }
        let text = temporary_password_text(address, password);
        message.delivery = match gateway.send(&message.to, &text) {
            Ok(()) => Delivery::Sent,
            Err(reason) => Delivery::Failed { reason },
        };
        if let Err(e) = self.store.record_delivery(&message) {
            tracing::warn!(outbox = message.seq, "could not record delivery: {e}");
        }
        message
    }

    fn reset_password(
        &self,
        ctx: &Ctx,
        command: &Command,
        address: &str,
        verified_by: &Verification,
        ticket: Option<TicketRef>,
    ) -> Result<Outcome, ServiceError> {
        let password = temporary_password();
        let gateway = self.gateway();
        let (result, entry) = self.run(ctx, command, || {
            let old = self.load_account(address)?;
            old.administered_by.require_nas(old.address.as_str())?;
            let registered = old
                .mobile()
                .cloned()
                .ok_or_else(|| Refusal::AccountDeleted { address: old.address.clone(), deleted_at: old.deleted_at })?;
            let mut steps = Vec::new();
            let (mut new, to) = match verified_by {
                Verification::SecurityQuestions => {
                    steps.push("caller verified by security questions".to_owned());
                    (old.issue_temporary_password(&ctx.operator, ctx.now)?, registered)
                }
                Verification::RegisteredMobile => {
                    steps.push(format!("caller verified by their registered mobile {}", registered.masked()));
                    (old.issue_temporary_password(&ctx.operator, ctx.now)?, registered)
                }
                Verification::Owner { owner, mobile } => {
                    let owner = self.load_account(owner)?;
                    if owner.id == old.id {
                        return Err(Refusal::VerificationFailed {
                            why: format!(
                                "{} is the account being reset: an owner cannot vouch for themselves; verify the \
                                 caller by security questions or the registered mobile instead",
                                owner.address
                            ),
                        }
                        .into());
                    }
                    let owned = self.store.mailboxes_owned_by(owner.id)?;
                    let Some(mailbox) = owned.iter().find(|m| m.ods == old.ods) else {
                        return Err(Refusal::VerificationFailed {
                            why: format!(
                                "{} does not own a shared mailbox of {}: only that organisation's shared mailbox owner \
                                 can confirm who the caller is",
                                owner.address, old.ods
                            ),
                        }
                        .into());
                    };
                    let confirmed = Mobile::parse(mobile)?;
                    steps.push(format!(
                        "{} ({}), owner of {}, contacted the helpdesk and confirmed they checked the caller locally",
                        owner.address,
                        owner.display_name(),
                        mailbox.address
                    ));
                    steps
                        .push(format!("owner confirmed the mobile for the temporary password: {}", confirmed.masked()));
                    let mut next = old.issue_temporary_password(&ctx.operator, ctx.now)?;
                    if confirmed != registered {
                        if let Some(holder) = self.store.account_by_mobile(&confirmed)? {
                            return Err(
                                Refusal::MobileInUse { masked: confirmed.masked(), holder: holder.address }.into()
                            );
                        }
                        next = next.change_mobile(confirmed.clone(), &ctx.operator, ctx.now)?;
                        next.meta = old.meta.next(&ctx.operator, ctx.now);
                        steps.push(format!(
                            "registered mobile changed from {} to {}",
                            registered.masked(),
                            confirmed.masked()
                        ));
                    }
                    (next, confirmed)
                }
            };
            new.meta = old.meta.next(&ctx.operator, ctx.now);
            let mut change = Change::new();
            change.put(Some(&old), &new)?;
            let message = self.outbox_message(&mut change, &new, &to, ticket, ctx, gateway.as_ref())?;
            steps.push(format!("temporary password issued to {} (outbox #{})", to.masked(), message.seq));
            self.note_on_ticket(ctx, &mut change, ticket, (&old, &new), &steps)?;
            Ok(Prepared {
                change,
                subject: new.address.to_string(),
                before: audit_json(&old),
                after: audit_json(&new),
                result: (new, message),
            })
        })?;
        let (account, message) = result;
        let message = self.deliver(gateway.as_ref(), message, &account.address, &password);
        let receipt = ResetReceipt {
            address: account.address.to_string(),
            sent_to: message.to.masked(),
            outbox: message.seq,
            delivery: message.delivery.clone(),
        };
        let summary = format!(
            "password reset for {}: temporary password {} (outbox #{})",
            account.address,
            delivery_phrase(&message.delivery, &receipt.sent_to),
            message.seq
        );
        Ok(outcome(summary, Subject::PasswordReset(receipt), &entry))
    }

    fn mark_leaver(
        &self,
        ctx: &Ctx,
        command: &Command,
        address: &str,
        new_owner: Option<&str>,
        ticket: Option<TicketRef>,
    ) -> Result<Outcome, ServiceError> {
        let (account, entry) = self.run(ctx, command, || {
            let old = self.load_account(address)?;
            old.administered_by.require_nas(old.address.as_str())?;
            let new = old.mark_leaver(&ctx.operator, ctx.now)?;
            let mut edits = MailboxEdits::default();
            let mut steps = vec![format!("{} marked as a leaver", old.address)];
            let owned = self.store.mailboxes_owned_by(old.id)?;
            if !owned.is_empty() {
                let Some(successor) = new_owner else {
                    return Err(Refusal::OwnerHandoverNeeded {
                        address: old.address.clone(),
                        mailboxes: owned.iter().map(|m| m.address.to_string()).collect(),
                    }
                    .into());
                };
                let successor = self.load_account(successor)?;
                if successor.id == old.id {
                    return Err(ServiceError::BadInput("the new owner must be someone other than the leaver".into()));
                }
                check_owner(&successor)?;
                for mailbox in &owned {
                    if successor.ods != mailbox.ods {
                        return Err(Refusal::UnsuitableOwner {
                            address: successor.address.clone(),
                            why: format!("they belong to {}, not {}", successor.ods, mailbox.ods),
                        }
                        .into());
                    }
                    edits.edit(mailbox, ctx).owner = Some(successor.id);
                    if !self.store.is_member(mailbox.id, successor.id)? {
                        edits.add_member(mailbox, successor.id, ctx);
                    }
                    steps.push(format!("{} now owns {}", successor.address, mailbox.address));
                }
            }
            for mailbox in self.store.memberships(old.id)? {
                edits.remove_member(&mailbox, old.id, ctx);
                steps.push(format!("removed from {}", mailbox.address));
            }
            self.account_and_mailboxes(ctx, old, new, edits, ticket, &steps)
        })?;
        let deleted_on = account.lifecycle_due().map(|d| d.at.format("%-d %b %Y").to_string()).unwrap_or_default();
        Ok(outcome(
            format!("{} marked as a leaver: deleted on {deleted_on} unless taken as a joiner", account.address),
            Subject::Account(Box::new(account)),
            &entry,
        ))
    }

    /// Writes an account change together with the mailbox changes it
    /// brought, and records the steps on the ticket it was done for.
    fn account_and_mailboxes(
        &self,
        ctx: &Ctx,
        old: Account,
        new: Account,
        edits: MailboxEdits,
        ticket: Option<TicketRef>,
        steps: &[String],
    ) -> Result<Prepared<Account>, ServiceError> {
        let mut change = Change::new();
        edits.write(&mut change)?;
        change.put(Some(&old), &new)?;
        self.note_on_ticket(ctx, &mut change, ticket, (&old, &new), steps)?;
        Ok(Prepared {
            change,
            subject: new.address.to_string(),
            before: audit_json(&old),
            after: Some(format!("{}; {}", audit_json(&new).unwrap_or_default(), steps.join("; "))),
            result: new,
        })
    }

    fn joiner(
        &self,
        ctx: &Ctx,
        command: &Command,
        address: &str,
        ods: &str,
        mailboxes: &[String],
        ticket: Option<TicketRef>,
    ) -> Result<Outcome, ServiceError> {
        let ods = OdsCode::parse(ods)?;
        let (account, entry) = self.run(ctx, command, || {
            let old = self.load_account(address)?;
            let org = self.load_org(&ods)?;
            org.may_hold_accounts()?;
            org.administered_by.require_nas(&format!("a joiner to {} ({})", org.name, org.ods))?;
            let owned: Vec<_> = self.store.mailboxes_owned_by(old.id)?.into_iter().filter(|m| m.ods != ods).collect();
            if !owned.is_empty() {
                return Err(Refusal::OwnerHandoverNeeded {
                    address: old.address.clone(),
                    mailboxes: owned.iter().map(|m| m.address.to_string()).collect(),
                }
                .into());
            }
            let new = old.join(ods.clone(), org.administered_by.clone(), &ctx.operator, ctx.now)?;
            let mut edits = MailboxEdits::default();
            let mut steps = vec![format!("{} joined {} ({})", new.address, org.name, org.ods)];
            for mailbox in self.store.memberships(old.id)? {
                if mailbox.ods != ods {
                    edits.remove_member(&mailbox, old.id, ctx);
                    steps.push(format!("removed from {}", mailbox.address));
                }
            }
            for wanted in mailboxes {
                let mailbox = self.load_mailbox(wanted)?;
                if mailbox.ods != ods {
                    return Err(ServiceError::BadInput(format!(
                        "{} belongs to {}, not the new organisation {ods}",
                        mailbox.address, mailbox.ods
                    )));
                }
                mailbox.require_national()?;
                if !self.store.is_member(mailbox.id, old.id)? {
                    edits.add_member(&mailbox, old.id, ctx);
                    steps.push(format!("added to {}", mailbox.address));
                }
            }
            self.account_and_mailboxes(ctx, old, new, edits, ticket, &steps)
        })?;
        Ok(outcome(format!("{} joined {}", account.address, account.ods), Subject::Account(Box::new(account)), &entry))
    }
}

/// What happened to a temporary-password message, for the summary line.
pub(super) fn delivery_phrase(delivery: &Delivery, to: &str) -> String {
    match delivery {
        Delivery::KeptInOutbox => format!("for {to} kept in the outbox (no SMS gateway is configured)"),
        Delivery::Queued => format!("queued for {to}"),
        Delivery::Sent => format!("sent to {to}"),
        Delivery::Failed { reason } => format!("NOT sent to {to}: {reason}; issue it again once the gateway works"),
    }
}
