//! Settings a supervisor changes without a new release.

use serde::{Deserialize, Serialize};

use super::routing::ServiceTargets;

/// How long the SMS command may run when no supervisor has said otherwise.
pub const DEFAULT_SMS_TIME_LIMIT_SECONDS: u32 = 10;

/// The longest time limit a supervisor may give the SMS command: the
/// operator who reset a password waits for it, and a console gives up on a
/// daemon that has not answered for a minute.
pub const MAX_SMS_TIME_LIMIT_SECONDS: u32 = 30;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    pub targets: ServiceTargets,
    /// A program that sends a text message: it is run with the mobile number
    /// in international form as its only argument and the message on
    /// standard input. `None`: nothing leaves the machine.
    pub sms_command: Option<String>,
    /// How long the SMS command may run before it is stopped (with every
    /// process it started) and the message recorded as not sent.
    pub sms_time_limit_seconds: u32,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            targets: ServiceTargets::default(),
            sms_command: None,
            sms_time_limit_seconds: DEFAULT_SMS_TIME_LIMIT_SECONDS,
        }
    }
}
