//! The searches operators make, as operations: accounts and mailboxes from
//! what was typed (matched and ranked in `find.rs`), likely duplicates of a
//! new account, and the owners who may vouch for a caller.

use serde::{Deserialize, Serialize};

use super::find::{AccountMatch, MailboxMatch};
use super::{Ctx, Operation, Service, ServiceError};
use crate::domain::account::Account;
use crate::domain::permission::Action;
use crate::domain::validate::{Email, OdsCode};

/// Accounts by address, mobile, ODS code or name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindAccounts {
    pub text: String,
    pub limit: usize,
}

impl Operation for FindAccounts {
    type Answer = Vec<AccountMatch>;
    const NAME: &'static str = "account.find";
    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<Vec<AccountMatch>, ServiceError> {
        service.authorise(ctx, Action::View)?;
        service.find_account_matches(&self.text, self.limit)
    }
}

/// Shared mailboxes by address, ODS code or display name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindMailboxes {
    pub text: String,
    pub limit: usize,
}

impl Operation for FindMailboxes {
    type Answer = Vec<MailboxMatch>;
    const NAME: &'static str = "mailbox.find";
    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<Vec<MailboxMatch>, ServiceError> {
        service.authorise(ctx, Action::View)?;
        service.find_mailbox_matches(&self.text, self.limit)
    }
}

/// Accounts the service would take for the same person when creating this
/// one: the same registration email, or the same name in the organisation.
/// The new-account form shows them as they are typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LikelyDuplicates {
    pub first: String,
    pub last: String,
    pub ods: String,
    pub email: Option<String>,
}

impl Operation for LikelyDuplicates {
    type Answer = Vec<Account>;
    const NAME: &'static str = "account.likely-duplicates";
    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<Vec<Account>, ServiceError> {
        service.authorise(ctx, Action::View)?;
        let email = self.email.as_deref().map(Email::parse).transpose()?;
        service.likely_duplicates(&self.first, &self.last, &OdsCode::parse(&self.ods)?, email.as_ref())
    }
}

/// The owners of the organisation's shared mailboxes: who may vouch for a
/// person in an owner-verified password reset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailboxOwners {
    pub ods: String,
}

impl Operation for MailboxOwners {
    type Answer = Vec<Account>;
    const NAME: &'static str = "mailbox.owners";
    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<Vec<Account>, ServiceError> {
        service.authorise(ctx, Action::View)?;
        service.mailbox_owners(&OdsCode::parse(&self.ods)?)
    }
}

impl Service {
    /// Accounts owning a shared mailbox of the organisation, each once.
    fn mailbox_owners(&self, ods: &OdsCode) -> Result<Vec<Account>, ServiceError> {
        let mut owners: Vec<Account> = Vec::new();
        for mailbox in self.store.mailboxes_in_org(ods, usize::MAX)? {
            let Some(id) = mailbox.owner else { continue };
            if owners.iter().any(|o| o.id == id) {
                continue;
            }
            if let Some(account) = self.store.account(id)? {
                owners.push(account);
            }
        }
        Ok(owners)
    }
}
