//! Everything a command or query can answer instead of a result.

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
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error("no {what} {key}: {hint}")]
    NotFound { what: &'static str, key: String, hint: &'static str },
    #[error("{0}")]
    BadInput(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Calendar(#[from] CalendarError),
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
    pub fn conflict(&self) -> Option<(&'static str, &str, &str)> {
        match self {
            ServiceError::Store(StoreError::Conflict { what, label, changed_by }) => Some((what, label, changed_by)),
            _ => None,
        }
    }
}
