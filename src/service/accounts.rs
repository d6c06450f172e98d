//! Personal accounts: creation with the duplicate and IG checks, the
//! directory feed, password resets with their verification, leavers and
//! joiners, directory visibility and administration.

use serde::{Deserialize, Serialize};

use super::gateway::{SmsGateway, kept_reason, temporary_password};
use super::membership::MailboxEdits;
use super::{Ctx, Done, Operation, Prepared, Request, Service, ServiceError, audit_json, not_found};
use crate::domain::account::{Account, AccountStatus, NewAccount, PersonalData};
use crate::domain::address::{NhsMailAddress, address_stem, first_free_from};
use crate::domain::mailbox::check_owner;
use crate::domain::permission::Action;
use crate::domain::refusal::Refusal;
use crate::domain::sms::{Delivery, PASSWORD_MASK, SmsMessage, temporary_password_text};
use crate::domain::task_ticket::check_task_ticket;
use crate::domain::ticket::{EntryKind, Ticket, TicketRef};
use crate::domain::validate::{Email, Mobile, OdsCode, fold_for_search, person_name};
use crate::store::Change;

/// How a caller asking for a password reset proved who they are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verification {
    SecurityQuestions,
    RegisteredMobile,
    /// The caller read out a number and it is their registered mobile. The
    /// number is checked here, and kept out of the audit entry, which says
    /// only that it matched.
    MobileReadOut {
        number: String,
    },
    /// The owner of the organisation's shared mailbox contacted the helpdesk,
    /// confirmed they checked the person locally, and confirmed the mobile
    /// the temporary password goes to.
    Owner {
        owner: String,
        mobile: String,
    },
}

/// A password reset as the operator sees it: where it went, never what it was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResetReceipt {
    pub address: String,
    pub sent_to: String,
    pub outbox: u64,
    pub delivery: Delivery,
}

/// Creates an account and texts its temporary password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateAccount {
    pub first: String,
    pub last: String,
    pub mobile: String,
    pub ods: String,
    pub email: String,
    /// The operator checked the likely duplicates and this is someone else.
    pub not_duplicate: bool,
}

impl Operation for CreateAccount {
    type Answer = Done<Account>;
    const NAME: &'static str = "account.new";
    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<Done<Account>, ServiceError> {
        service.create_account(ctx, self)
    }
}

/// A directory-feed fact applied to an account.
type FeedRule = fn(&Account, &str, chrono::DateTime<chrono::Utc>) -> Result<Account, Refusal>;

/// Declares an operation the directory feed sends about one account.
macro_rules! feed_operation {
    ($(#[$doc:meta])* $name:ident, $audit:literal, $rule:path, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        pub struct $name {
            pub address: String,
        }

        impl Operation for $name {
            type Answer = Done<Account>;
            const NAME: &'static str = $audit;
            fn handle(&self, service: &Service, ctx: &Ctx) -> Result<Done<Account>, ServiceError> {
                service.authorise(ctx, Action::DirectoryFeed)?;
                let rule: FeedRule = $rule;
                service.edit_account(ctx, &self.address, None, |a| rule(a, &ctx.operator, ctx.now), $what)
            }
        }
    };
}

feed_operation!(
    /// The directory saw the account log in.
    RecordLogin,
    "account.login",
    Account::record_login,
    "login recorded"
);
feed_operation!(
    /// The directory saw the password changed.
    RecordPasswordChange,
    "account.password-changed",
    Account::record_password_change,
    "password change recorded"
);
feed_operation!(
    /// The directory locked the account.
    RecordLock,
    "account.locked",
    Account::record_lock,
    "lock recorded"
);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unlock {
    pub address: String,
    pub ticket: Option<TicketRef>,
}

impl Operation for Unlock {
    type Answer = Done<Account>;
    const NAME: &'static str = "account.unlock";
    const ACTS_ON: Option<&'static str> = Some("account");
    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<Done<Account>, ServiceError> {
        service.authorise(ctx, Action::SimpleAccountTask)?;
        service.edit_account(
            ctx,
            &self.address,
            self.ticket,
            |a| {
                a.administered_by.require_nas(a.address.as_str())?;
                a.unlock(&ctx.operator, ctx.now)
            },
            "unlocked",
        )
    }
}

/// Hides the mobile from the NHS Directory, or shows it again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetMobileHidden {
    pub address: String,
    pub hidden: bool,
    pub ticket: Option<TicketRef>,
}

impl Operation for SetMobileHidden {
    type Answer = Done<Account>;
    const NAME: &'static str = "account.directory";
    const ACTS_ON: Option<&'static str> = Some("account");
    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<Done<Account>, ServiceError> {
        service.authorise(ctx, Action::SimpleAccountTask)?;
        let hidden = self.hidden;
        let what = if hidden { "mobile hidden from the NHS Directory" } else { "mobile shown in the NHS Directory" };
        service.edit_account(
            ctx,
            &self.address,
            self.ticket,
            |a| a.set_mobile_hidden(hidden, &ctx.operator, ctx.now),
            what,
        )
    }
}

/// Hands the account's administration to the NAS (`to: None`) or to a
/// sponsoring organisation's local administrator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferAdministration {
    pub address: String,
    pub to: Option<String>,
}

impl Operation for TransferAdministration {
    type Answer = Done<Account>;
    const NAME: &'static str = "account.transfer";
    const ACTS_ON: Option<&'static str> = Some("account");
    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<Done<Account>, ServiceError> {
        service.authorise(ctx, Action::ComplexAccountTask)?;
        let to = service.administration(self.to.as_deref())?;
        let what = format!("now administered by {}", to.describe());
        service.edit_account(
            ctx,
            &self.address,
            None,
            |a| a.transfer_administration(to.clone(), &ctx.operator, ctx.now),
            &what,
        )
    }
}

/// Issues a temporary password once the caller is verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResetPassword {
    pub address: String,
    pub verified_by: Verification,
    pub ticket: Option<TicketRef>,
}

impl Operation for ResetPassword {
    type Answer = Done<ResetReceipt>;
    const NAME: &'static str = "account.reset-password";
    const ACTS_ON: Option<&'static str> = Some("account");
    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<Done<ResetReceipt>, ServiceError> {
        service.authorise(ctx, Action::SimpleAccountTask)?;
        if let Verification::MobileReadOut { .. } = self.verified_by {
            // The audit entry records that a number was read out and
            // matched, never the number itself.
            let unread = Verification::MobileReadOut { number: String::new() };
            let shown: Request = ResetPassword { verified_by: unread, ..self.clone() }.into();
            let ctx = ctx.audited_as(serde_json::to_string(&shown).unwrap_or_default());
            return service.reset_password(&ctx, &self.address, &self.verified_by, self.ticket);
        }
        service.reset_password(ctx, &self.address, &self.verified_by, self.ticket)
    }
}

/// Whether the number a caller reads out is the account's registered
/// mobile: match or no match, never the registered number.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckMobileReadOut {
    pub address: String,
    pub number: String,
}

impl std::fmt::Debug for CheckMobileReadOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckMobileReadOut").field("address", &self.address).finish_non_exhaustive()
    }
}

impl Operation for CheckMobileReadOut {
    type Answer = bool;
    const NAME: &'static str = "account.check-mobile";
    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<bool, ServiceError> {
        service.authorise(ctx, Action::SimpleAccountTask)?;
        let account = service.load_account(&self.address)?;
        Ok(account.mobile_read_out_matches(&self.number)?)
    }
}

/// Marks the account as a leaver, handing owned mailboxes to `new_owner`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarkLeaver {
    pub address: String,
    pub new_owner: Option<String>,
    pub ticket: Option<TicketRef>,
}

impl Operation for MarkLeaver {
    type Answer = Done<Account>;
    const NAME: &'static str = "account.leaver";
    const ACTS_ON: Option<&'static str> = Some("account");
    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<Done<Account>, ServiceError> {
        service.authorise(ctx, Action::ComplexAccountTask)?;
        service.mark_leaver(ctx, &self.address, self.new_owner.as_deref(), self.ticket)
    }
}

/// Takes the account into an organisation (a joiner, or a move).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Joiner {
    pub address: String,
    pub ods: String,
    pub mailboxes: Vec<String>,
    pub ticket: Option<TicketRef>,
}

impl Operation for Joiner {
    type Answer = Done<Account>;
    const NAME: &'static str = "account.joiner";
    const ACTS_ON: Option<&'static str> = Some("account");
    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<Done<Account>, ServiceError> {
        service.authorise(ctx, Action::ComplexAccountTask)?;
        service.joiner(ctx, &self.address, &self.ods, &self.mailboxes, self.ticket)
    }
}

impl Service {
    pub(super) fn load_account(&self, address: &str) -> Result<Account, ServiceError> {
        let address = NhsMailAddress::parse(address)?;
        self.store
            .account_by_address(address.as_str())?
            .ok_or_else(|| not_found("account", address.to_string(), "check the address, or search for the account"))
    }

    pub(super) fn load_ticket(&self, reference: TicketRef) -> Result<Ticket, ServiceError> {
        self.store.ticket(reference)?.ok_or_else(|| {
            not_found("ticket", reference.to_string(), "check the reference, or look for the ticket in the queue")
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
        address: &str,
        ticket: Option<TicketRef>,
        edit: impl Fn(&Account) -> Result<Account, Refusal>,
        what: &str,
    ) -> Result<Done<Account>, ServiceError> {
        let (account, entry) = self.run(ctx, || {
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
        Ok(Done::new(format!("{}: {what}", account.address), account, &entry))
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

    fn create_account(&self, ctx: &Ctx, new: &CreateAccount) -> Result<Done<Account>, ServiceError> {
        let CreateAccount { first, last, mobile, ods, email, not_duplicate } = new;
        self.authorise(ctx, Action::ComplexAccountTask)?;
        let first = person_name(first, "first name")?;
        let last = person_name(last, "last name")?;
        let mobile = Mobile::parse(mobile)?;
        let email = Email::parse(email)?;
        let ods = OdsCode::parse(ods)?;
        let stem = address_stem(&first, &last)?;
        let password = temporary_password();
        let gateway = self.gateway();
        let (result, entry) = self.run(ctx, || {
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
            // Addresses are never reissued, so every candidate below the
            // floor is taken: usually the first one asked about is free.
            let floor = self.store.address_floor(&stem)?;
            let (address, n) = first_free_from(&stem, floor, |_, a| self.store.address_taken(a.as_str()))?;
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
            change.address_given(&stem, n.saturating_add(1));
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
        Ok(Done::new(summary, account, &entry))
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
        message.delivery = match gateway.send(&message.to, &text, &[password]) {
            Ok(()) => Delivery::Sent,
            Err(reason) => {
                let reason = kept_reason(&reason, &[&text, password]);
                tracing::warn!(outbox = message.seq, "text message not sent: {reason}");
                Delivery::Failed { reason }
            }
        };
        let turn = self.store.writes_open();
        let recorded = self.store.record_delivery(&message);
        drop(turn);
        if let Err(e) = recorded {
            tracing::warn!(outbox = message.seq, "could not record delivery: {e}");
        }
        message
    }

    fn reset_password(
        &self,
        ctx: &Ctx,
        address: &str,
        verified_by: &Verification,
        ticket: Option<TicketRef>,
    ) -> Result<Done<ResetReceipt>, ServiceError> {
        let password = temporary_password();
        let gateway = self.gateway();
        let (result, entry) = self.run(ctx, || {
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
                Verification::MobileReadOut { number } => {
                    if !old.mobile_read_out_matches(number)? {
                        return Err(Refusal::VerificationFailed {
                            why: "the number the caller read out is not their registered mobile: verify them by \
                                  security questions or a shared mailbox owner instead"
                                .to_owned(),
                        }
                        .into());
                    }
                    steps.push("caller verified by reading out their registered mobile, which matched".to_owned());
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
        Ok(Done::new(summary, receipt, &entry))
    }

    fn mark_leaver(
        &self,
        ctx: &Ctx,
        address: &str,
        new_owner: Option<&str>,
        ticket: Option<TicketRef>,
    ) -> Result<Done<Account>, ServiceError> {
        let (account, entry) = self.run(ctx, || {
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
        Ok(Done::new(
            format!("{} marked as a leaver: deleted on {deleted_on} unless taken as a joiner", account.address),
            account,
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
        address: &str,
        ods: &str,
        mailboxes: &[String],
        ticket: Option<TicketRef>,
    ) -> Result<Done<Account>, ServiceError> {
        let ods = OdsCode::parse(ods)?;
        let (account, entry) = self.run(ctx, || {
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
        Ok(Done::new(format!("{} joined {}", account.address, account.ods), account, &entry))
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
