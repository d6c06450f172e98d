//! Shared mailboxes: create, members, owner, last access.

use super::membership::MailboxEdits;
use super::{Ctx, Outcome, Prepared, Service, ServiceError, Subject, audit_json, not_found, outcome};
use crate::domain::address::NhsMailAddress;
use crate::domain::mailbox::{Mailbox, Sponsorship, check_new_member, check_owner_in};
use crate::domain::permission::Action;
use crate::domain::record::RecordMeta;
use crate::domain::refusal::Refusal;
use crate::domain::validate::{OdsCode, display_name};
use crate::service::command::Command;
use crate::store::Change;

impl Service {
    pub(super) fn load_mailbox(&self, address: &str) -> Result<Mailbox, ServiceError> {
        let address = NhsMailAddress::parse(address)?;
        self.store.mailbox_by_address(address.as_str())?.ok_or_else(|| {
            not_found(
                "shared mailbox",
                address.to_string(),
                "check the address, or search with `caredesk mailbox find`",
            )
        })
    }

    pub(super) fn mailbox_command(&self, ctx: &Ctx, command: &Command) -> Result<Outcome, ServiceError> {
        match command {
            Command::RecordMailboxAccess { .. } => self.authorise(ctx, Action::DirectoryFeed)?,
            _ => self.authorise(ctx, Action::MailboxChange)?,
        };
        match command {
            Command::CreateMailbox { address, name, ods, owner, sponsored_by } => {
                self.create_mailbox(ctx, command, address, name, ods, owner, sponsored_by.as_deref())
            }
            Command::AddMember { mailbox, account, reason } => {
                self.edit_mailbox(ctx, command, mailbox, |old, edits| {
                    old.require_national()?;
                    let member = self.load_account(account)?;
                    let reason = check_new_member(old, &member, reason.as_deref())?;
                    if self.store.is_member(old.id, member.id)? {
                        return Err(Refusal::AlreadyMember {
                            mailbox: old.address.clone(),
                            account: member.address.clone(),
                        }
                        .into());
                    }
                    edits.add_member(old, member.id, ctx);
                    edits.concerns(&member.address);
                    Ok(match reason {
                        Some(why) => format!("added {} from {} to {}: {why}", member.address, member.ods, old.address),
                        None => format!("added {} to {}", member.address, old.address),
                    })
                })
            }
            Command::RemoveMember { mailbox, account } => self.edit_mailbox(ctx, command, mailbox, |old, edits| {
                old.require_national()?;
                let member = self.load_account(account)?;
                old.check_removal(&member)?;
                if !self.store.is_member(old.id, member.id)? {
                    return Err(
                        Refusal::NotAMember { mailbox: old.address.clone(), account: member.address.clone() }.into()
                    );
                }
                edits.remove_member(old, member.id, ctx);
                edits.concerns(&member.address);
                Ok(format!("removed {} from {}", member.address, old.address))
            }),
            Command::ChangeOwner { mailbox, owner } => self.edit_mailbox(ctx, command, mailbox, |old, edits| {
                old.require_national()?;
                let owner = self.load_account(owner)?;
                old.check_new_owner(&owner)?;
                if let Some(previous) = old.owner.map(|id| self.store.account(id)).transpose()?.flatten() {
                    edits.concerns(&previous.address);
                }
                edits.concerns(&owner.address);
                edits.edit(old, ctx).owner = Some(owner.id);
                if !self.store.is_member(old.id, owner.id)? {
                    edits.add_member(old, owner.id, ctx);
                }
                Ok(format!("{} now owns {}", owner.address, old.address))
            }),
            Command::RecordMailboxAccess { mailbox } => self.edit_mailbox(ctx, command, mailbox, |old, edits| {
                edits.edit(old, ctx).last_accessed_at = Some(ctx.now);
                Ok(format!("{} accessed", old.address))
            }),
            _ => unreachable!("not a mailbox command"),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn create_mailbox(
        &self,
        ctx: &Ctx,
        command: &Command,
        address: &str,
        name: &str,
        ods: &str,
        owner: &str,
        sponsored_by: Option<&str>,
    ) -> Result<Outcome, ServiceError> {
        let address = NhsMailAddress::parse(address)?;
        let name = display_name(name, "mailbox name")?;
        let ods = OdsCode::parse(ods)?;
        let sponsorship = match sponsored_by {
            None => Sponsorship::National,
            Some(s) => {
                let sponsor = OdsCode::parse(s)?;
                self.load_org(&sponsor)?;
                Sponsorship::SponsoredBy { sponsor }
            }
        };
        let (mailbox, entry) = self.run(ctx, command, || {
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
        Ok(outcome(
            format!("created shared mailbox {} ({})", mailbox.address, mailbox.display_name),
            Subject::Mailbox(mailbox),
            &entry,
        ))
    }

    fn edit_mailbox(
        &self,
        ctx: &Ctx,
        command: &Command,
        address: &str,
        edit: impl Fn(&Mailbox, &mut MailboxEdits) -> Result<String, ServiceError>,
    ) -> Result<Outcome, ServiceError> {
        let ((mailbox, summary), entry) = self.run(ctx, command, || {
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
        Ok(outcome(summary, Subject::Mailbox(mailbox), &entry))
    }
}
