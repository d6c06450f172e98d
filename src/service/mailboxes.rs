//! Shared mailboxes: create, members, owner, last access.

use serde::{Deserialize, Serialize};

use super::membership::MailboxEdits;
use super::{Ctx, Done, Operation, Prepared, Service, ServiceError, audit_json, not_found};
use crate::domain::address::NhsMailAddress;
use crate::domain::mailbox::{Mailbox, Sponsorship, check_new_member, check_owner_in};
use crate::domain::permission::Action;
use crate::domain::record::RecordMeta;
use crate::domain::refusal::Refusal;
use crate::domain::validate::{OdsCode, display_name};
use crate::store::Change;

/// Creates a shared mailbox, or records a legacy one a sponsor holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateMailbox {
    pub address: String,
    pub name: String,
    pub ods: String,
    pub owner: String,
    pub sponsored_by: Option<String>,
}

impl Operation for CreateMailbox {
    type Answer = Done<Mailbox>;
    const NAME: &'static str = "mailbox.new";
    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<Done<Mailbox>, ServiceError> {
        service.authorise(ctx, Action::MailboxChange)?;
        service.create_mailbox(ctx, self)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddMember {
    pub mailbox: String,
    pub account: String,
    /// Why a member from another organisation is added; required then.
    #[serde(default)]
    pub reason: Option<String>,
}

impl Operation for AddMember {
    type Answer = Done<Mailbox>;
    const NAME: &'static str = "mailbox.add-member";
    const ACTS_ON: Option<&'static str> = Some("shared mailbox");
    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<Done<Mailbox>, ServiceError> {
        service.authorise(ctx, Action::MailboxChange)?;
        service.edit_mailbox(ctx, &self.mailbox, |old, edits| {
            old.require_national()?;
            let member = service.load_account(&self.account)?;
            let reason = check_new_member(old, &member, self.reason.as_deref())?;
            if service.store.is_member(old.id, member.id)? {
                return Err(
                    Refusal::AlreadyMember { mailbox: old.address.clone(), account: member.address.clone() }.into()
                );
            }
            edits.add_member(old, member.id, ctx);
            edits.concerns(&member.address);
            Ok(match reason {
                Some(why) => format!("added {} from {} to {}: {why}", member.address, member.ods, old.address),
                None => format!("added {} to {}", member.address, old.address),
            })
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoveMember {
    pub mailbox: String,
    pub account: String,
}

impl Operation for RemoveMember {
    type Answer = Done<Mailbox>;
    const NAME: &'static str = "mailbox.remove-member";
    const ACTS_ON: Option<&'static str> = Some("shared mailbox");
    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<Done<Mailbox>, ServiceError> {
        service.authorise(ctx, Action::MailboxChange)?;
        service.edit_mailbox(ctx, &self.mailbox, |old, edits| {
            old.require_national()?;
            let member = service.load_account(&self.account)?;
            old.check_removal(&member)?;
            if !service.store.is_member(old.id, member.id)? {
                return Err(
                    Refusal::NotAMember { mailbox: old.address.clone(), account: member.address.clone() }.into()
                );
            }
            edits.remove_member(old, member.id, ctx);
            edits.concerns(&member.address);
            Ok(format!("removed {} from {}", member.address, old.address))
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeOwner {
    pub mailbox: String,
    pub owner: String,
}

impl Operation for ChangeOwner {
    type Answer = Done<Mailbox>;
    const NAME: &'static str = "mailbox.owner";
    const ACTS_ON: Option<&'static str> = Some("shared mailbox");
    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<Done<Mailbox>, ServiceError> {
        service.authorise(ctx, Action::MailboxChange)?;
        service.edit_mailbox(ctx, &self.mailbox, |old, edits| {
            old.require_national()?;
            let owner = service.load_account(&self.owner)?;
            old.check_new_owner(&owner)?;
            if let Some(previous) = old.owner.map(|id| service.store.account(id)).transpose()?.flatten() {
                edits.concerns(&previous.address);
            }
            edits.concerns(&owner.address);
            edits.edit(old, ctx).owner = Some(owner.id);
            if !service.store.is_member(old.id, owner.id)? {
                edits.add_member(old, owner.id, ctx);
            }
            Ok(format!("{} now owns {}", owner.address, old.address))
        })
    }
}

/// The directory saw the mailbox used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordMailboxAccess {
    pub mailbox: String,
}

impl Operation for RecordMailboxAccess {
    type Answer = Done<Mailbox>;
    const NAME: &'static str = "mailbox.accessed";
    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<Done<Mailbox>, ServiceError> {
        service.authorise(ctx, Action::DirectoryFeed)?;
        service.edit_mailbox(ctx, &self.mailbox, |old, edits| {
            edits.edit(old, ctx).last_accessed_at = Some(ctx.now);
            Ok(format!("{} accessed", old.address))
        })
    }
}

impl Service {
    pub(super) fn load_mailbox(&self, address: &str) -> Result<Mailbox, ServiceError> {
        let address = NhsMailAddress::parse(address)?;
        self.store.mailbox_by_address(address.as_str())?.ok_or_else(|| {
            not_found("shared mailbox", address.to_string(), "check the address, or search for the mailbox")
        })
    }

    fn create_mailbox(&self, ctx: &Ctx, new: &CreateMailbox) -> Result<Done<Mailbox>, ServiceError> {
        let CreateMailbox { address, name, ods, owner, sponsored_by } = new;
        let address = NhsMailAddress::parse(address)?;
        let name = display_name(name, "mailbox name")?;
        let ods = OdsCode::parse(ods)?;
        let sponsorship = match sponsored_by.as_deref() {
            None => Sponsorship::National,
            Some(s) => {
                let sponsor = OdsCode::parse(s)?;
                self.load_org(&sponsor)?;
                Sponsorship::SponsoredBy { sponsor }
            }
        };
        let (mailbox, entry) = self.run(ctx, || {
            let org = self.load_org(&ods)?;
            org.may_hold_accounts()?;
            if sponsorship == Sponsorship::National {
                org.administered_by.require_nas(&format!("{} ({})", org.name, org.ods))?;
            }
            if self.store.mailbox_by_address(address.as_str())?.is_some()
                || self.store.account_by_address(address.as_str())?.is_some()
            {
                return Err(ServiceError::BadInput(format!("{address} is already in use: choose another address")));
            }
            let owner = self.load_account(owner)?;
            check_owner_in(&owner, &ods)?;
            let mailbox = Mailbox {
                id: self.store.next_number("mailbox")?,
                address: address.clone(),
                display_name: name.clone(),
                ods: ods.clone(),
                owner: Some(owner.id),
                sponsorship: sponsorship.clone(),
                member_count: 1,
                created_at: ctx.now,
                last_accessed_at: None,
                meta: RecordMeta::created(&ctx.operator, ctx.now),
            };
            let mut change = Change::new();
            change.put(None, &mailbox)?;
            change.add_member(mailbox.id, owner.id);
            Ok(Prepared {
                change,
                subject: address.to_string(),
                before: None,
                after: audit_json(&mailbox),
                result: mailbox,
            })
        })?;
        Ok(Done::new(format!("created shared mailbox {} ({})", mailbox.address, mailbox.display_name), mailbox, &entry))
    }

    fn edit_mailbox(
        &self,
        ctx: &Ctx,
        address: &str,
        edit: impl Fn(&Mailbox, &mut MailboxEdits) -> Result<String, ServiceError>,
    ) -> Result<Done<Mailbox>, ServiceError> {
        let ((mailbox, summary), entry) = self.run(ctx, || {
            let old = self.load_mailbox(address)?;
            let mut edits = MailboxEdits::default();
            let summary = edit(&old, &mut edits)?;
            let new = edits.edit(&old, ctx).clone();
            let mut change = Change::new();
            edits.write(&mut change)?;
            Ok(Prepared {
                change,
                subject: old.address.to_string(),
                before: audit_json(&old),
                after: Some(format!("{}; {summary}", audit_json(&new).unwrap_or_default())),
                result: (new, summary),
            })
        })?;
        Ok(Done::new(summary, mailbox, &entry))
    }
}
