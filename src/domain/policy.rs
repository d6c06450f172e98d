//! Settings a supervisor changes without a new release.

use serde::{Deserialize, Serialize};

use super::routing::ServiceTargets;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Policy {
    pub targets: ServiceTargets,
    /// A program that sends a text message: it is run with the mobile number
    /// in international form as its only argument and the message on
    /// standard input. `None`: nothing leaves the machine.
    pub sms_command: Option<String>,
}
