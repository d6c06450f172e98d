//! The ticket lifecycle as a state machine: which status may follow which,
//! what each move clears, and who may let go of a ticket.
//!
//! A ticket set back to `new` is back in its queue for anyone to claim, so
//! it keeps no assignee; a resolved or closed ticket set back to an open
//! status is reopened, and says so on its timeline. A closed ticket may
//! only be reopened. These rules are pure: the service applies them.

use super::permission::Action;
use super::refusal::Refusal;
use super::routing::Queue;
use super::ticket::TicketStatus;

/// What a status change does besides setting the status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    /// The ticket goes back to its queue unclaimed.
    pub clears_assignee: bool,
    /// A finished ticket is being worked again.
    pub reopens: bool,
}

/// Why a status change is not allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotAllowed {
    /// The ticket already has that status.
    Unchanged,
    /// A closed ticket can only be reopened, to `new` or `in-progress`.
    Closed,
}

/// Whether a ticket may move from `from` to `to`, and what the move clears.
pub fn status_step(from: TicketStatus, to: TicketStatus) -> Result<Step, NotAllowed> {
    use TicketStatus::*;
    if from == to {
        return Err(NotAllowed::Unchanged);
    }
    if from == Closed && !matches!(to, New | InProgress) {
        return Err(NotAllowed::Closed);
    }
    Ok(Step { clears_assignee: to == New, reopens: !from.is_open() && to.is_open() })
}

/// The status a ticket takes when its assignee lets go of it: work that
/// had started goes back to `new` in the queue; a ticket waiting on someone
/// keeps waiting.
pub fn released_status(status: TicketStatus) -> TicketStatus {
    match status {
        TicketStatus::InProgress => TicketStatus::New,
        other => other,
    }
}

/// What an operator needs to (re)assign a ticket in `queue` held by
/// `holder` to `to`: handing back a ticket you hold is working it, so a
/// resolver-group member may hand back what they claimed; giving a ticket
/// to someone else, or taking it from them, is assigning.
pub fn assignment_action(queue: Queue, holder: Option<&str>, operator: &str, to: Option<&str>) -> Action {
    match (holder, to) {
        (Some(holder), None) if holder == operator => Action::WorkTicket(queue),
        _ => Action::AssignTicket,
    }
}

impl NotAllowed {
    pub fn refusal(self, reference: String, from: TicketStatus, to: TicketStatus) -> Refusal {
        match self {
            NotAllowed::Unchanged => Refusal::NothingToChange { what: format!("{reference} is already {to}") },
            NotAllowed::Closed => Refusal::TicketClosed { reference, status: from.slug().to_owned() },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use TicketStatus::*;

    /// The whole state machine: one row per current status, one letter per
    /// new status in the order of `TicketStatus::ALL` (new, in-progress,
    /// waiting-on-requester, waiting-on-owner, resolved, closed):
    /// `=` unchanged, `x` refused, `c` allowed and clears the assignee, `r`
    /// allowed and reopens, `R` both, `y` allowed.
    #[test]
    fn ticket_lifecycle_table() {
        let table = [
            (New, "= y y y y y"),
            (InProgress, "c = y y y y"),
            (WaitingOnRequester, "c y = y y y"),
            (WaitingOnOwner, "c y y = y y"),
            (Resolved, "R r r r = y"),
            (Closed, "R r x x x ="),
        ];
        for (from, row) in table {
            let cells: Vec<&str> = row.split(' ').collect();
            assert_eq!(cells.len(), TicketStatus::ALL.len());
            for (to, cell) in TicketStatus::ALL.iter().copied().zip(cells) {
                let want = match cell {
                    "=" => Err(NotAllowed::Unchanged),
                    "x" => Err(NotAllowed::Closed),
                    "c" => Ok(Step { clears_assignee: true, reopens: false }),
                    "r" => Ok(Step { clears_assignee: false, reopens: true }),
                    "R" => Ok(Step { clears_assignee: true, reopens: true }),
                    _ => Ok(Step { clears_assignee: false, reopens: false }),
                };
                assert_eq!(status_step(from, to), want, "{from} → {to}");
            }
        }
    }

    #[test]
    fn letting_go_puts_started_work_back_in_the_queue() {
        let cases =
            [(New, New), (InProgress, New), (WaitingOnRequester, WaitingOnRequester), (WaitingOnOwner, WaitingOnOwner)];
        for (held, after) in cases {
            assert_eq!(released_status(held), after, "{held}");
        }
    }

    #[test]
    fn handing_back_is_working_the_ticket_and_anything_else_is_assigning() {
        let q = Queue::Resolver;
        let cases = [
            (Some("res1"), "res1", None, Action::WorkTicket(q)),
            (Some("res1"), "res2", None, Action::AssignTicket),
            (Some("res1"), "res1", Some("res2"), Action::AssignTicket),
            (None, "res1", Some("res1"), Action::AssignTicket),
            (None, "res1", None, Action::AssignTicket),
        ];
        for (holder, operator, to, want) in cases {
            assert_eq!(assignment_action(q, holder, operator, to), want, "{holder:?} {operator} → {to:?}");
        }
    }
}
