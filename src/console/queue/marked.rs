//! The forms that act on every marked ticket at once: assign, status,
//! note, link and close, sent as one `BulkTickets` request (see
//! [`crate::console::marks`]). Each form says how many tickets it will
//! touch and, before anything runs, whether the action can be undone.

use ratatui::text::Line;

use super::QueuePane;
use super::forms::FormKind;
use crate::console::desk::DeskExt;
use crate::console::form::Form;
use crate::console::keymap::Act;
use crate::console::pane::Cx;
use crate::domain::batch::BulkKind;
use crate::domain::ticket::{TicketRef, TicketStatus};
use crate::service::BulkAction;
use crate::service::ops::ListOperators;

impl QueuePane {
    /// Opens the form for `act` on `targets`: the marked tickets, or the
    /// selected one for close.
    pub(super) fn start_bulk_form(&mut self, cx: &mut Cx<'_>, act: Act, targets: Vec<TicketRef>) {
        let n = targets.len();
        let what = match targets.as_slice() {
            [one] => one.to_string(),
            _ => format!("{n} marked tickets"),
        };
        let (kind, form) = match act {
            Act::Assign => {
                let operators = match cx.desk.call(ListOperators {}) {
                    Ok(ops) => ops,
                    Err(e) => return cx.fail(&e),
                };
                let mut names = vec!["nobody".to_owned()];
                names.extend(operators.into_iter().filter(|o| o.enabled).map(|o| o.username));
                (BulkKind::Assign, Form::new(format!("Assign {what}")).choice("Operator", names, 0))
            }
            Act::SetStatus => {
                let options: Vec<String> = TicketStatus::ALL.iter().map(|s| s.slug().to_owned()).collect();
                let start = TicketStatus::ALL.iter().position(|s| *s == TicketStatus::InProgress).unwrap_or(0);
                (BulkKind::Status, Form::new(format!("Status of {what}")).choice("Status", options, start))
            }
            Act::Note => (
                BulkKind::Note,
                Form::new(format!("Internal note on {what}")).lines("Note", "seen by operators only", ""),
            ),
            Act::Link => (
                BulkKind::Link,
                Form::new(format!("Link {what}")).text("Account", "name@nhs.net (optional)", "").text(
                    "Mailbox",
                    "shared mailbox address (optional)",
                    "",
                ),
            ),
            Act::CloseTicket => {
                (BulkKind::Close, Form::new(format!("Close {what}")).choice("Close", vec!["yes, close".into()], 0))
            }
            _ => return,
        };
        let mut form = form;
        form.notes = vec![Line::from(if n == 1 {
            "checked and audited as a batch of one".to_owned()
        } else {
            format!("applies to each of the {n} tickets; each is checked and audited on its own, under one batch")
        })];
        form.notes.push(Line::from(match kind.cannot_undo() {
            Some(why) => format!("this cannot be undone: {why}"),
            None => "u straight after undoes it".to_owned(),
        }));
        self.form = Some((FormKind::Marked(kind), form));
        self.form_based_on = None;
        self.form_seen = None;
        self.form_stale = false;
        self.bulk_targets = targets;
    }
}

/// What the marked-ticket form asks the service to do to each ticket.
pub(super) fn bulk_action(kind: BulkKind, form: &Form) -> Result<BulkAction, String> {
    Ok(match kind {
        BulkKind::Claim => BulkAction::Claim,
        BulkKind::Assign => {
            let to = form.value("Operator");
            BulkAction::Assign { to: (to != "nobody").then(|| to.to_owned()) }
        }
        BulkKind::Status => BulkAction::Status { status: form.value("Status").parse().map_err(|e| format!("{e}"))? },
        BulkKind::Note => {
            let text = form.value("Note").trim().to_owned();
            if text.is_empty() {
                return Err("type the note first, or esc to cancel".to_owned());
            }
            BulkAction::Note { text }
        }
        BulkKind::Link => {
            let (account, mailbox) = (form.optional("Account"), form.optional("Mailbox"));
            if account.is_none() && mailbox.is_none() {
                return Err("give an account or a mailbox address".to_owned());
            }
            BulkAction::Link { account, mailbox }
        }
        BulkKind::Close => BulkAction::Close,
    })
}
