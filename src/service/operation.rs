//! One type per operation, each naming its answer.
//!
//! An operation is a plain struct (`Claim { reference }`, `FindAccounts {
//! text, limit }`) that implements [`Operation`]: its audit name, the kind of
//! record a revision sent with it refers to, and its handler. The
//! [`operations!`] list below turns the set of them into the two enums that
//! cross a boundary without their types, [`Request`] and [`Answer`] (the
//! daemon's socket, the demo's replay, the console's forms), and gives each
//! operation [`Registered::take`] so a caller that sent a `Claim` gets a
//! `Done<Ticket>` back and nothing else. Nothing here decides a rule.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::registry::{Answer, Request};
use super::{Ctx, Service, ServiceError};

/// An operation the service answers.
pub trait Operation: Serialize + DeserializeOwned + Clone + Send + 'static {
    /// What the operation answers.
    type Answer: Serialize + DeserializeOwned + Clone + PartialEq + std::fmt::Debug + Send + 'static;

    /// The name the audit log and the service's log give it, as
    /// `ticket.claim`.
    const NAME: &'static str;

    /// The kind of existing record the operation acts on, as the store names
    /// it, when it acts on one: what a revision sent with it refers to.
    const ACTS_ON: Option<&'static str> = None;

    /// Authorises, applies and writes the operation. Called through
    /// [`Service::execute`], which sets up the context it runs in.
    fn handle(&self, service: &Service, ctx: &Ctx) -> Result<Self::Answer, ServiceError>;
}

/// An operation that is one of [`Request`]'s: what lets a desk send it and
/// get its own answer back.
pub trait Registered: Operation + Into<Request> {
    /// Whether it changes data, and so writes an audit entry.
    const CHANGES: bool;
    /// This operation's answer out of the enum, if it is this operation's.
    fn take(answer: Answer) -> Option<Self::Answer>;
}

/// What a change answers: one line for the operator, the record as it now
/// is, and the audit entry written (the last one, for a sweep).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Done<T> {
    pub summary: String,
    pub record: T,
    pub audit_seq: Option<u64>,
}

impl<T> Done<T> {
    pub fn new(summary: impl Into<String>, record: T, entry: &crate::domain::audit::AuditEntry) -> Done<T> {
        Done { summary: summary.into(), record, audit_seq: Some(entry.seq) }
    }
}

/// Declares every operation once: the changes, then the reads.
macro_rules! operations {
    (changes { $($c:ident in $cm:ident),* $(,)? } reads { $($q:ident in $qm:ident),* $(,)? }) => {
        /// The operations, re-exported from the files that handle them.
        pub mod ops {
            $(pub use super::super::$cm::$c;)*
            $(pub use super::super::$qm::$q;)*
        }
        use ops::*;

        /// Any operation, for the places that carry one without its type.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(rename_all = "kebab-case")]
        pub enum Request {
            $($c($c),)*
            $($q($q),)*
        }

        /// Any operation's answer.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(rename_all = "kebab-case")]
        pub enum Answer {
            $($c(<$c as Operation>::Answer),)*
            $($q(<$q as Operation>::Answer),)*
        }

        impl Request {
            /// The audit log's name for it.
            pub fn name(&self) -> &'static str {
                match self {
                    $(Request::$c(_) => <$c as Operation>::NAME,)*
                    $(Request::$q(_) => <$q as Operation>::NAME,)*
                }
            }

            /// Whether it changes data (and so is audited).
            pub fn changes(&self) -> bool {
                match self {
                    $(Request::$c(_) => true,)*
                    $(Request::$q(_) => false,)*
                }
            }

            /// Runs it, as [`Service::execute`] runs its operation.
            pub fn run(&self, service: &Service, ctx: &Ctx, based_on: Option<u64>) -> Result<Answer, ServiceError> {
                match self {
                    $(Request::$c(op) => service.execute_based_on(ctx, op, based_on).map(Answer::$c),)*
                    $(Request::$q(op) => service.execute_based_on(ctx, op, based_on).map(Answer::$q),)*
                }
            }
        }

        impl Answer {
            /// The operator's line for a change; reads have none.
            pub fn summary(&self) -> Option<&str> {
                match self {
                    $(Answer::$c(done) => Some(&done.summary),)*
                    $(Answer::$q(_) => None,)*
                }
            }

            /// The audit entry a change wrote.
            pub fn audit_seq(&self) -> Option<u64> {
                match self {
                    $(Answer::$c(done) => done.audit_seq,)*
                    $(Answer::$q(_) => None,)*
                }
            }
        }

        $(
            impl From<$c> for Request {
                fn from(op: $c) -> Request {
                    Request::$c(op)
                }
            }
            impl Registered for $c {
                const CHANGES: bool = true;
                fn take(answer: Answer) -> Option<Self::Answer> {
                    match answer {
                        Answer::$c(a) => Some(a),
                        _ => None,
                    }
                }
            }
        )*
        $(
            impl From<$q> for Request {
                fn from(op: $q) -> Request {
                    Request::$q(op)
                }
            }
            impl Registered for $q {
                const CHANGES: bool = false;
                fn take(answer: Answer) -> Option<Self::Answer> {
                    match answer {
                        Answer::$q(a) => Some(a),
                        _ => None,
                    }
                }
            }
        )*
    };
}

pub(super) use operations;
