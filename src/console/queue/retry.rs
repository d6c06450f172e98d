//! A ticket form refused because a colleague changed the ticket first:
//! what they changed, and whether the operator's input still makes sense
//! on the ticket as it is now.
//!
//! The form keeps the operator's input and is based again on the new
//! revision, so the next confirm saves on top of the colleague's change,
//! unless that change makes the action wrong (the ticket was resolved, the
//! status is already what was chosen). The rules are the domain's: the
//! service still decides when the change arrives.

use super::forms::FormKind;
use crate::console::form::Form;
use crate::console::pane::Cx;
use crate::domain::permission::Action;
use crate::domain::ticket::TicketStatus;
use crate::domain::ticket_flow::status_step;
use crate::service::TicketRow;

/// What differs between the ticket the form was opened on and the ticket
/// now, one phrase each: "status new → in-progress".
pub(super) fn changes(before: &TicketRow, after: &TicketRow) -> Vec<String> {
    let who = |a: &Option<String>| a.clone().unwrap_or_else(|| "nobody".to_owned());
    let mut out = Vec::new();
    if before.status != after.status {
        out.push(format!("status {} → {}", before.status.slug(), after.status.slug()));
    }
    if before.assignee != after.assignee {
        out.push(format!("assignee {} → {}", who(&before.assignee), who(&after.assignee)));
    }
    if before.queue != after.queue {
        out.push(format!("queue {} → {}", before.queue.label(), after.queue.label()));
    }
    if before.category != after.category {
        out.push(format!("category {} → {}", before.category.slug(), after.category.slug()));
    }
    if before.ods != after.ods {
        let ods =
            |o: &Option<_>| o.as_ref().map_or("none".to_owned(), |o: &crate::domain::validate::OdsCode| o.to_string());
        out.push(format!("organisation {} → {}", ods(&before.ods), ods(&after.ods)));
    }
    if before.due_at != after.due_at {
        out.push(format!("due {}", super::rows::local(after.due_at, "%a %-d %b %H:%M")));
    }
    if out.is_empty() {
        // Only the timeline moved: a note, a reply or a link.
        out.push("added to the timeline".to_owned());
    }
    out
}

/// Whether the form's action still applies to the ticket as it is now;
/// the reason, in the operator's terms, when it does not.
pub(super) fn still_valid(kind: FormKind, form: &Form, now: &TicketRow, cx: &Cx<'_>) -> Result<(), String> {
    let reference = now.reference;
    match kind {
        FormKind::New | FormKind::Marked(_) => return Ok(()),
        FormKind::Status(_) => {
            let chosen: TicketStatus = form.value("Status").parse().map_err(|e| format!("{e}"))?;
            if let Err(no) = status_step(now.status, chosen) {
                return Err(format!(
                    "{}: pick another status, or esc",
                    no.refusal(reference.to_string(), now.status, chosen)
                ));
            }
        }
        FormKind::Assign(_) => {
            let chosen = form.value("Operator");
            let chosen = (chosen != "nobody").then_some(chosen);
            if now.assignee.as_deref() == chosen {
                let who = chosen.unwrap_or("nobody");
                return Err(format!("{reference} is already assigned to {who}: pick someone else, or esc"));
            }
            if !now.status.is_open() {
                return Err(closed(now));
            }
        }
        FormKind::Note(_) | FormKind::Reply(_) | FormKind::Link(_) => {
            if !now.status.is_open() {
                return Err(closed(now));
            }
        }
    }
    if !matches!(kind, FormKind::Assign(_)) {
        cx.allowed(Action::WorkTicket(now.queue))
            .map_err(|why| format!("{reference} is now in the {} queue: {why}", now.queue.label()))?;
    }
    Ok(())
}

fn closed(now: &TicketRow) -> String {
    format!(
        "{} is now {}: nothing more can be added; reopen it with its status first, or esc",
        now.reference,
        now.status.slug()
    )
}
