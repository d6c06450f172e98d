//! Text messages to users, as kept in the outbox.
//!
//! The outbox is the record of what was sent. A temporary password is
//! replaced by a mask before the message is kept; only the gateway ever sees
//! the real text, and only for as long as it takes to hand it over.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::account::AccountId;
use super::address::NhsMailAddress;
use super::ticket::TicketRef;
use super::validate::Mobile;

pub const PASSWORD_MASK: &str = "********";

/// The reason shown for a failure recorded before reasons were sanitised:
/// what the SMS command printed then could hold the password.
pub const UNKEPT_REASON: &str = "the SMS command failed (what it printed was not kept, as it could hold the password)";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Delivery {
    /// Handed to the configured gateway; its answer is not in yet.
    Queued,
    /// No gateway is configured: nothing left the machine.
    KeptInOutbox,
    /// The configured gateway accepted it.
    Sent,
    Failed {
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmsMessage {
    pub seq: u64,
    #[serde(with = "super::time::ts")]
    pub at: DateTime<Utc>,
    pub to: Mobile,
    pub account: AccountId,
    pub address: NhsMailAddress,
    pub ticket: Option<TicketRef>,
    /// The text with any password masked.
    pub text: String,
    pub delivery: Delivery,
}

/// The text of a temporary-password message with `password` in it; call with
/// [`PASSWORD_MASK`] for the copy that is kept.
pub fn temporary_password_text(address: &NhsMailAddress, password: &str) -> String {
    format!(
        "NHSmail: the temporary password for {address} is {password} . Log in at www.nhs.net and change it \
         straight away. If you did not ask for this, call the national helpdesk on 0333 200 1133."
    )
}
