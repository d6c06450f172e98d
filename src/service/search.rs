//! Finding accounts and mailboxes from what an operator typed.
//!
//! The shape of the text decides the index: an address, a mobile number,
//! an ODS code or a name. Nothing here scans a whole tree.

use serde::{Deserialize, Serialize};

use super::{Ctx, Operation, Service, ServiceError};
use crate::domain::account::Account;
use crate::domain::mailbox::Mailbox;
use crate::domain::permission::Action;
use crate::domain::validate::{Email, Mobile, OdsCode, fold_for_search};

/// Accounts by address, mobile, ODS code or name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindAccounts {
    pub text: String,
    pub limit: usize,
}

impl Operation for FindAccounts {
    type Answer = Vec<Account>;
    const NAME: &'static str = "account.find";
    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<Vec<Account>, ServiceError> {
        service.authorise(ctx, Action::View)?;
        service.find_accounts(&self.text, self.limit)
    }
}

/// Shared mailboxes by address, ODS code or display name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindMailboxes {
    pub text: String,
    pub limit: usize,
}

impl Operation for FindMailboxes {
    type Answer = Vec<Mailbox>;
    const NAME: &'static str = "mailbox.find";
    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<Vec<Mailbox>, ServiceError> {
        service.authorise(ctx, Action::View)?;
        service.find_mailboxes(&self.text, self.limit)
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
    /// Accounts matching what an operator typed: an address (has `@`), a
    /// mobile (digits), an ODS code of a known organisation, or a name
    /// ("smith", "jo smith", "smith, jo").
    pub fn find_accounts(&self, text: &str, limit: usize) -> Result<Vec<Account>, ServiceError> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(Vec::new());
        }
        if text.contains('@') {
            return Ok(self.store.accounts_by_address_prefix(&text.to_lowercase(), limit)?);
        }
        if let Some(digits) = mobile_prefix(text) {
            return Ok(match Mobile::parse(text) {
                Ok(mobile) => self.store.account_by_mobile(&mobile)?.into_iter().collect(),
                Err(_) => self.store.accounts_by_mobile_prefix(&digits, limit)?,
            });
        }
        if let Ok(ods) = OdsCode::parse(text) {
            if text.chars().any(|c| c.is_ascii_digit()) && self.store.organisation(&ods)?.is_some() {
                return Ok(self.store.accounts_in_org(&ods, limit)?);
            }
        }
        let (last, first) = match text.split_once(',') {
            Some((last, first)) => (fold_for_search(last), Some(fold_for_search(first))),
            None => {
                let folded = fold_for_search(text);
                match folded.rsplit_once(' ') {
                    Some((first, last)) => (last.to_owned(), Some(first.to_owned())),
                    None => (folded, None),
                }
            }
        };
        let mut found = self.store.accounts_by_name(&last, first.as_deref().filter(|f| !f.is_empty()), limit)?;
        if found.is_empty() && !text.contains(' ') {
            // Maybe the operator typed a full address's local part.
            found = self.store.accounts_by_address_prefix(&text.to_lowercase(), limit)?;
        }
        Ok(found)
    }

    /// Mailboxes by address, ODS code or display name.
    pub fn find_mailboxes(&self, text: &str, limit: usize) -> Result<Vec<Mailbox>, ServiceError> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(Vec::new());
        }
        if text.contains('@') {
            return Ok(self.store.mailboxes_by_address_prefix(&text.to_lowercase(), limit)?);
        }
        if let Ok(ods) = OdsCode::parse(text) {
            if text.chars().any(|c| c.is_ascii_digit()) && self.store.organisation(&ods)?.is_some() {
                return Ok(self.store.mailboxes_in_org(&ods, limit)?);
            }
        }
        let mut found = self.store.mailboxes_named(&fold_for_search(text), limit)?;
        if found.len() < limit {
            for m in self.store.mailboxes_by_address_prefix(&text.to_lowercase(), limit - found.len())? {
                if !found.iter().any(|f| f.id == m.id) {
                    found.push(m);
                }
            }
        }
        Ok(found)
    }

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

/// The digits of a (partial) mobile number in national form, if the text
/// looks like one.
fn mobile_prefix(text: &str) -> Option<String> {
    let compact: String = text.chars().filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.')).collect();
    let digits = compact.strip_prefix("+44").map(|rest| format!("0{rest}")).unwrap_or(compact);
    (digits.len() >= 3 && digits.chars().all(|c| c.is_ascii_digit())).then_some(digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mobile_prefixes_are_digits_in_national_form() {
        assert_eq!(mobile_prefix("07700 900").as_deref(), Some("07700900"));
        assert_eq!(mobile_prefix("+44 7700").as_deref(), Some("07700"));
        assert_eq!(mobile_prefix("07"), None);
        assert_eq!(mobile_prefix("smith"), None);
    }
}
