//! An account as its record or a covering index entry holds it, decoded
//! only as far as it is asked.
//!
//! A search ranks up to 2,000 candidates to show twenty
//! (`service::find`): decoding each whole (every timestamp, the
//! administration and the record's meta) was most of its cost at national
//! scale. [`EncodedAccount::with_head`] reads the leading fields a rank
//! needs, borrowed from the stored bytes, and only the accounts shown are
//! decoded whole.

use serde::Deserialize;
use sled::IVec;

use super::codec::{self, CodecError};
use super::records::{self, Record};
use crate::domain::account::{Account, AccountId};

/// An encoded account and its id.
#[derive(Debug, Clone)]
pub struct EncodedAccount {
    id: AccountId,
    bytes: IVec,
}

/// The leading fields of [`Account`], in its declared order, as stored:
/// enough to rank a search candidate. Its fields must stay the first ones
/// of `Account` (this module's tests hold the two together).
#[derive(Debug, PartialEq, Eq, Deserialize)]
pub struct AccountHead<'a> {
    pub id: AccountId,
    pub address: &'a str,
    #[serde(borrow)]
    pub personal: Option<PersonalHead<'a>>,
    pub mobile_hidden: bool,
    pub ods: &'a str,
}

/// [`crate::domain::account::PersonalData`] as [`AccountHead`] reads it.
#[derive(Debug, PartialEq, Eq, Deserialize)]
pub struct PersonalHead<'a> {
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub email: &'a str,
    pub mobile: &'a str,
}

impl AccountHead<'_> {
    /// The head of a decoded account.
    pub fn of(account: &Account) -> AccountHead<'_> {
        AccountHead {
            id: account.id,
            address: account.address.as_str(),
            personal: account.personal.as_ref().map(|p| PersonalHead {
                first_name: &p.first_name,
                last_name: &p.last_name,
                email: p.email.as_str(),
                mobile: p.mobile.as_str(),
            }),
            mobile_hidden: account.mobile_hidden,
            ods: account.ods.as_str(),
        }
    }
}

impl EncodedAccount {
    /// `bytes` as [`records::encode`] wrote an account (a record, or the
    /// value of a covering index entry).
    pub(super) fn new(id: AccountId, bytes: IVec) -> EncodedAccount {
        EncodedAccount { id, bytes }
    }

    pub fn id(&self) -> AccountId {
        self.id
    }

    /// Runs `rank` on the account's head: borrowed from the bytes when they
    /// are of the current schema, else from the account decoded (and
    /// upgraded) whole.
    pub fn with_head<T>(&self, rank: impl FnOnce(&AccountHead<'_>) -> T) -> Result<T, CodecError> {
        let (version, body) = codec::split(Account::WHAT, &self.bytes)?;
        if version == Account::VERSION {
            return Ok(rank(&codec::decode_leading(Account::WHAT, body)?));
        }
        let account = self.account()?;
        Ok(rank(&AccountHead::of(&account)))
    }

    /// The whole account.
    pub fn account(&self) -> Result<Account, CodecError> {
        records::decode(&self.bytes)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::domain::account::{NewAccount, PersonalData};
    use crate::domain::address::NhsMailAddress;
    use crate::domain::organisation::Administration;
    use crate::domain::validate::{Email, Mobile, OdsCode};

    fn account(first: &str, last: &str, deleted: bool, hidden: bool, minutes: i64) -> Account {
        let at = chrono::DateTime::from_timestamp(1_700_000_000 + minutes * 60, 0).expect("in range");
        let new = NewAccount {
            id: 7 + minutes.unsigned_abs(),
            address: NhsMailAddress::parse("jo.smith@nhs.net").expect("address"),
            personal: PersonalData {
                first_name: first.to_owned(),
                last_name: last.to_owned(),
                email: Email::parse("jo@example.org").expect("email"),
                mobile: Mobile::parse("07700900123").expect("mobile"),
            },
            ods: OdsCode::parse("V1234").expect("ods"),
            administered_by: Administration::Nas,
        };
        let mut account = Account::register(new, "nas1", at);
        account.mobile_hidden = hidden;
        account.last_login_at = Some(at);
        if deleted {
            account.personal = None;
        }
        account
    }

    proptest! {
        /// The head read from the bytes is the head of the account they
        /// decode to, whatever the names and the fields after them hold.
        #[test]
        fn the_head_read_from_the_bytes_is_the_decoded_accounts(
            first in "\\PC{0,12}",
            last in "\\PC{0,12}",
            deleted in any::<bool>(),
            hidden in any::<bool>(),
            minutes in -1_000_000i64..1_000_000,
        ) {
            let account = account(&first, &last, deleted, hidden, minutes);
            let encoded = EncodedAccount::new(account.id, IVec::from(records::encode(&account).expect("encodes")));
            let read = encoded.with_head(|h| format!("{h:?}")).expect("reads");
            prop_assert_eq!(read, format!("{:?}", AccountHead::of(&account)));
            prop_assert_eq!(encoded.account().expect("decodes"), account);
        }
    }

    #[test]
    fn a_newer_schema_is_refused_not_misread() {
        let account = account("Jo", "Smith", false, false, 0);
        let mut bytes = records::encode(&account).expect("encodes");
        bytes[0] = Account::VERSION + 1;
        let encoded = EncodedAccount::new(account.id, IVec::from(bytes));
        assert!(matches!(encoded.with_head(|_| ()), Err(CodecError::Newer { .. })));
    }
}
