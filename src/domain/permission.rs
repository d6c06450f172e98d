//! Who may do what, and when.
//!
//! The NAS works in hours; the national helpdesk is the only staff out of
//! hours and does simple tasks only, logging everything else for the
//! resolver group, which works its queue in hours. Supervisors may do
//! anything at any time. A NAS administrator working past closing has the
//! helpdesk's powers, because out of hours the helpdesk's rules are the
//! service's rules.

use serde::{Deserialize, Serialize};

use super::names::named;
use super::routing::Queue;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, strum::VariantArray, strum::IntoStaticStr,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum Role {
    /// NAS administrator.
    Nas,
    /// National helpdesk agent.
    Helpdesk,
    /// Social care provider resolver group member.
    Resolver,
    Supervisor,
}

impl Role {
    pub fn label(self) -> &'static str {
        match self {
            Role::Nas => "NAS administrator",
            Role::Helpdesk => "helpdesk agent",
            Role::Resolver => "resolver group",
            Role::Supervisor => "supervisor",
        }
    }

    /// The queue this role works by default.
    pub fn home_queue(self) -> Option<Queue> {
        match self {
            Role::Nas => Some(Queue::Nas),
            Role::Helpdesk => Some(Queue::Helpdesk),
            Role::Resolver => Some(Queue::Resolver),
            Role::Supervisor => None,
        }
    }
}

named!(Role, "role");

/// The kinds of thing an operator can do, as far as permission goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Look anything up.
    View,
    /// Record a new request as a ticket.
    LogTicket,
    /// Claim, note, reply, change status, link: work on a ticket in a queue.
    WorkTicket(Queue),
    /// Give a ticket to someone else, or move it to another queue.
    AssignTicket,
    /// Password reset, activation help, directory visibility, unlock.
    SimpleAccountTask,
    /// New account, leaver, joiner, move, transfer of administration.
    ComplexAccountTask,
    /// Create a shared mailbox, change its members or owner.
    MailboxChange,
    /// Add an organisation, record its IG status, close it.
    OrganisationChange,
    /// Logins, password changes and locks reported by the directory.
    DirectoryFeed,
    /// Bulk import from CSV.
    Import,
    /// Apply due lifecycle transitions.
    RunSweep,
    ManageOperators,
    SetPolicy,
    ReadAudit,
}

/// Why an action was refused, phrased for the operator who tried it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Denied(pub String);

/// Decides whether `role` may take `action` now.
pub fn authorise(role: Role, in_hours: bool, action: Action) -> Result<(), Denied> {
    use Action::*;
    let allowed = match (role, in_hours) {
        (Role::Supervisor, _) => true,
        (Role::Nas, true) => !matches!(action, ManageOperators | SetPolicy | ReadAudit),
        (Role::Nas, false) | (Role::Helpdesk, _) => match action {
            View | LogTicket | SimpleAccountTask => true,
            WorkTicket(queue) => queue == Queue::Helpdesk,
            DirectoryFeed => role == Role::Nas,
            _ => false,
        },
        (Role::Resolver, true) => match action {
            View | LogTicket | SimpleAccountTask | ComplexAccountTask | MailboxChange => true,
            WorkTicket(queue) => queue == Queue::Resolver,
            _ => false,
        },
        (Role::Resolver, false) => matches!(action, View | LogTicket),
    };
    if allowed { Ok(()) } else { Err(Denied(reason(role, in_hours, action))) }
}

fn reason(role: Role, in_hours: bool, action: Action) -> String {
    use Action::*;
    match (role, action) {
        (_, ManageOperators | SetPolicy | ReadAudit) => "only a supervisor may do this".to_owned(),
        (Role::Helpdesk | Role::Nas, ComplexAccountTask | MailboxChange | OrganisationChange | Import) if !in_hours => {
            "out of hours only simple tasks can be done now (password reset, activation help, directory \
             visibility, unlock): log this as a ticket and it goes to the resolver group for the next NAS opening"
                .to_owned()
        }
        (Role::Helpdesk, ComplexAccountTask | MailboxChange | OrganisationChange | Import) => {
            "helpdesk agents do the simple tasks (password reset, activation help, directory visibility, unlock): \
             log this as a ticket and it goes to the NAS queue"
                .to_owned()
        }
        (Role::Helpdesk, _) => "helpdesk agents do simple tasks and work the helpdesk queue; \
                                 ask a NAS administrator or a supervisor"
            .to_owned(),
        (Role::Resolver, _) if !in_hours => {
            "the resolver group works its queue from the next NAS opening; until then you can look things up \
             and log tickets"
                .to_owned()
        }
        (Role::Resolver, WorkTicket(_)) => "the resolver group works the resolver queue only".to_owned(),
        (_, WorkTicket(_)) => "out of hours only the helpdesk queue is worked".to_owned(),
        _ => format!("a {} cannot do this{}", role.label(), if in_hours { "" } else { " out of hours" }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Action::*;

    const EVERY_ACTION: [Action; 16] = [
        View,
        LogTicket,
        WorkTicket(Queue::Nas),
        WorkTicket(Queue::Helpdesk),
        WorkTicket(Queue::Resolver),
        AssignTicket,
        SimpleAccountTask,
        ComplexAccountTask,
        MailboxChange,
        OrganisationChange,
        DirectoryFeed,
        Import,
        RunSweep,
        ManageOperators,
        SetPolicy,
        ReadAudit,
    ];

    /// The permission table, one row per (role, in hours), one letter per
    /// action in the order of EVERY_ACTION: Y allowed, - refused.
    #[test]
    fn permission_table() {
        let table = [
            //                     V L N H R A S C M O D I W U P R
            (Role::Supervisor, true, "Y Y Y Y Y Y Y Y Y Y Y Y Y Y Y Y"),
            (Role::Supervisor, false, "Y Y Y Y Y Y Y Y Y Y Y Y Y Y Y Y"),
            (Role::Nas, true, "Y Y Y Y Y Y Y Y Y Y Y Y Y - - -"),
            (Role::Nas, false, "Y Y - Y - - Y - - - Y - - - - -"),
            (Role::Helpdesk, true, "Y Y - Y - - Y - - - - - - - - -"),
            (Role::Helpdesk, false, "Y Y - Y - - Y - - - - - - - - -"),
            (Role::Resolver, true, "Y Y - - Y - Y Y Y - - - - - - -"),
            (Role::Resolver, false, "Y Y - - - - - - - - - - - - - -"),
        ];
        for (role, in_hours, row) in table {
            let want: Vec<bool> = row.split(' ').map(|c| c == "Y").collect();
            assert_eq!(want.len(), EVERY_ACTION.len());
            for (action, allowed) in EVERY_ACTION.iter().zip(want) {
                let got = authorise(role, in_hours, *action);
                assert_eq!(got.is_ok(), allowed, "{role:?} in_hours={in_hours} {action:?}: {got:?}");
            }
        }
    }

    #[test]
    fn an_out_of_hours_refusal_says_to_log_a_ticket() {
        let msg = authorise(Role::Helpdesk, false, ComplexAccountTask).unwrap_err().to_string();
        assert!(msg.contains("log this as a ticket") && msg.contains("resolver group"), "{msg}");
        let msg = authorise(Role::Resolver, false, ComplexAccountTask).unwrap_err().to_string();
        assert!(msg.contains("next NAS opening"), "{msg}");
    }
}
