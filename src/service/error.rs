//! Everything a command or query can answer instead of a result.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::domain::hours::CalendarError;
use crate::domain::permission::Denied;
use crate::domain::refusal::Refusal;
use crate::domain::routing::UnknownName;
use crate::domain::ticket::BadTicketRef;
use crate::domain::validate::ValidationError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(
        "the operating-system user {user:?} is not a caredesk operator: ask a supervisor to run \
         `caredesk operator add {user} --role nas|helpdesk|resolver|supervisor`"
    )]
    NotOperator { user: String },
    #[error("operator {user:?} is disabled: ask a supervisor to enable the account")]
    OperatorDisabled { user: String },
    #[error(transparent)]
    Denied(#[from] Denied),
    #[error(
        "acting at another time is for a supervisor's rehearsals, because what an operator may do depends on \
         the hour: act at the real time"
    )]
    RehearsalNotAllowed,
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error("no {what} {key}: {hint}")]
    NotFound { what: Cow<'static, str>, key: String, hint: Cow<'static, str> },
    #[error("{0}")]
    BadInput(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Calendar(#[from] CalendarError),
    /// The database could not be used, as told by the daemon that holds it,
    /// or the daemon itself could not be reached.
    #[error("{0}")]
    Unavailable(String),
}

impl From<UnknownName> for ServiceError {
    fn from(e: UnknownName) -> Self {
        ServiceError::BadInput(e.to_string())
    }
}

impl From<BadTicketRef> for ServiceError {
    fn from(e: BadTicketRef) -> Self {
        ServiceError::BadInput(e.to_string())
    }
}

impl From<crate::store::CodecError> for ServiceError {
    fn from(e: crate::store::CodecError) -> Self {
        ServiceError::Store(StoreError::Codec(e))
    }
}

impl ServiceError {
    /// A conflict with another operator's write: worth reloading and retrying.
    pub fn is_conflict(&self) -> bool {
        matches!(self, ServiceError::Store(StoreError::Conflict { .. }))
    }

    /// For a conflict: what was changed (kind and name) and by whom.
    pub fn conflict(&self) -> Option<(&str, &str, &str)> {
        match self {
            ServiceError::Store(StoreError::Conflict { what, label, changed_by }) => Some((what, label, changed_by)),
            _ => None,
        }
    }

    /// The database could not be used at all (exit status 3 on the command
    /// line), rather than this one request being refused.
    pub fn is_unavailable(&self) -> bool {
        match self {
            ServiceError::Unavailable(_) => true,
            ServiceError::Store(e) => e.is_unavailable(),
            _ => false,
        }
    }
}

/// A [`ServiceError`] as it crosses the daemon's socket.
///
/// What a client acts on keeps its shape: a refusal whole (the console reads
/// the likely duplicates out of it), a conflict with who changed the record,
/// a permission refusal. Validation and database errors travel as the words
/// the service used, which is all a client does with them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum WireError {
    NotOperator { user: String },
    OperatorDisabled { user: String },
    Denied(String),
    RehearsalNotAllowed,
    Invalid(String),
    Refused(Refusal),
    NotFound { what: String, key: String, hint: String },
    BadInput(String),
    Conflict { what: String, label: String, changed_by: String },
    Exists { what: String, label: String },
    Taken { what: String, value: String },
    Unavailable(String),
}

impl From<&ServiceError> for WireError {
    fn from(e: &ServiceError) -> WireError {
        match e {
            ServiceError::NotOperator { user } => WireError::NotOperator { user: user.clone() },
            ServiceError::OperatorDisabled { user } => WireError::OperatorDisabled { user: user.clone() },
            ServiceError::Denied(d) => WireError::Denied(d.0.clone()),
            ServiceError::RehearsalNotAllowed => WireError::RehearsalNotAllowed,
            ServiceError::Invalid(v) => WireError::Invalid(v.to_string()),
            ServiceError::Refused(r) => WireError::Refused(r.clone()),
            ServiceError::NotFound { what, key, hint } => {
                WireError::NotFound { what: what.to_string(), key: key.clone(), hint: hint.to_string() }
            }
            ServiceError::BadInput(text) => WireError::BadInput(text.clone()),
            ServiceError::Store(StoreError::Conflict { what, label, changed_by }) => {
                WireError::Conflict { what: what.to_string(), label: label.clone(), changed_by: changed_by.clone() }
            }
            ServiceError::Store(StoreError::Exists { what, label }) => {
                WireError::Exists { what: what.to_string(), label: label.clone() }
            }
            ServiceError::Store(StoreError::Taken { what, value }) => {
                WireError::Taken { what: what.to_string(), value: value.clone() }
            }
            ServiceError::Calendar(c) => WireError::BadInput(c.to_string()),
            other => WireError::Unavailable(other.to_string()),
        }
    }
}

impl From<WireError> for ServiceError {
    fn from(e: WireError) -> ServiceError {
        match e {
            WireError::NotOperator { user } => ServiceError::NotOperator { user },
            WireError::OperatorDisabled { user } => ServiceError::OperatorDisabled { user },
            WireError::Denied(text) => ServiceError::Denied(Denied(text)),
            WireError::RehearsalNotAllowed => ServiceError::RehearsalNotAllowed,
            WireError::Invalid(text) | WireError::BadInput(text) => ServiceError::BadInput(text),
            WireError::Refused(r) => ServiceError::Refused(r),
            WireError::NotFound { what, key, hint } => {
                ServiceError::NotFound { what: what.into(), key, hint: hint.into() }
            }
            WireError::Conflict { what, label, changed_by } => {
                ServiceError::Store(StoreError::Conflict { what: what.into(), label, changed_by })
            }
            WireError::Exists { what, label } => ServiceError::Store(StoreError::Exists { what: what.into(), label }),
            WireError::Taken { what, value } => ServiceError::Store(StoreError::Taken { what: what.into(), value }),
            WireError::Unavailable(text) => ServiceError::Unavailable(text),
        }
    }
}
