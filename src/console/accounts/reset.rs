//! Password reset: verify the caller, confirm, issue, show where it went.
//!
//! The temporary password itself never reaches the console: the result
//! shows where the text message went and the outbox's masked copy of it.

use ratatui::text::Line;

use super::details::when;
use super::task::{Next, TICKET_HINT, Task, TaskKind, chosen, fit, person, recorded_on, ticket_field};
use crate::console::desk::DeskExt;
use crate::console::form::{Field, Form};
use crate::console::pane::Cx;
use crate::console::text::clean;
use crate::domain::account::Account;
use crate::domain::sms::Delivery;
use crate::domain::validate::Mobile;
use crate::service::ops::{ListOutbox, MailboxOwners, ResetPassword};
use crate::service::{AccountView, ResetReceipt, Verification};

/// How far back in the outbox a reset's message is looked for.
const OUTBOX_LOOKBACK: usize = 50;
const VERIFY: [&str; 3] = ["security questions", "registered mobile", "shared mailbox owner"];

pub(super) struct ResetTask {
    account: Account,
    organisation: String,
    /// Owners of the organisation's shared mailboxes other than the caller.
    owners: Vec<Account>,
    /// The owner and mobile fields while another way of verifying is
    /// chosen, so what was typed in them comes back.
    owner_fields: Vec<Field>,
}

impl ResetTask {
    pub(super) fn open(view: &AccountView, cx: &mut Cx<'_>) -> Task {
        let account = view.account.clone();
        let owners = match cx.desk.call(MailboxOwners { ods: account.ods.as_str().to_owned() }) {
            Ok(owners) => owners.into_iter().filter(|o| o.id != account.id).collect(),
            Err(e) => {
                cx.fail(&e);
                Vec::new()
            }
        };
        let options = if owners.is_empty() {
            vec!["(nobody else owns one of its shared mailboxes)".to_owned()]
        } else {
            owners.iter().map(person).collect()
        };
        let owner_fields = Form::new("")
            .choice("Owner", options, 0)
            .text("Mobile", "the mobile the owner confirmed for the password", "")
            .fields;
        let organisation = view.organisation.as_ref().map_or_else(|| account.ods.to_string(), |o| o.name.clone());
        let mut task = ResetTask { account, organisation, owners, owner_fields };
        let mut form = Form::new(format!("Reset password: {}", task.account.address))
            .choice("Verified by", VERIFY.map(str::to_owned).to_vec(), 0)
            .text("Ticket", TICKET_HINT, "");
        task.edited(&mut form, 0);
        Task::new(TaskKind::Reset(task), form)
    }

    fn by_owner(form: &Form) -> bool {
        form.value("Verified by") == VERIFY[2]
    }

    /// Shows the owner's fields only when the owner vouches for the caller.
    pub(super) fn edited(&mut self, form: &mut Form, field: usize) {
        if field == 0 {
            let shown = form.fields.iter().any(|f| f.label == "Owner");
            if Self::by_owner(form) && !shown {
                form.fields.splice(1..1, std::mem::take(&mut self.owner_fields));
            } else if !Self::by_owner(form) && shown {
                self.owner_fields = form.fields.drain(1..3).collect();
            }
        }
        form.notes = fit(self.notes(form));
    }

    fn registered(&self) -> String {
        self.account.mobile().map_or_else(|| "(none)".to_owned(), Mobile::masked)
    }

    fn notes(&self, form: &Form) -> Vec<Line<'static>> {
        let how = match form.value("Verified by") {
            v if v == VERIFY[0] => "The caller answered the security questions on record.".to_owned(),
            v if v == VERIFY[1] => format!("The caller proved they hold the registered mobile {}.", self.registered()),
            _ if self.owners.is_empty() => format!(
                "Nobody else owns a shared mailbox of {}: verify the caller another way, or log a ticket (t).",
                clean(&self.organisation)
            ),
            _ => format!(
                "The owner of a shared mailbox of {} calls the helpdesk, confirms they checked the caller \
                 locally, and confirms the mobile the password goes to.",
                clean(&self.organisation)
            ),
        };
        let to = if Self::by_owner(form) { "the mobile the owner confirms" } else { &self.registered() };
        vec![
            Line::from(how),
            Line::from(format!(
                "A temporary password goes by text to {to}; it is never shown here, and must be changed at \
                 the next login."
            )),
        ]
    }

    pub(super) fn submit(&self, form: &Form) -> Result<Next, String> {
        let ticket = ticket_field(form)?;
        let name = clean(&self.account.display_name()).into_owned();
        let mut lines = vec![Line::from(format!("Reset the password of {name} <{}>.", self.account.address))];
        let (verified_by, to) = match form.value("Verified by") {
            v if v == VERIFY[0] => {
                lines.push(Line::from("Verified by the security questions."));
                (Verification::SecurityQuestions, self.registered())
            }
            v if v == VERIFY[1] => {
                lines.push(Line::from(format!("Verified by the registered mobile {}.", self.registered())));
                (Verification::RegisteredMobile, self.registered())
            }
            _ => {
                let owner = chosen(form, "Owner", &self.owners).ok_or_else(|| {
                    "there is no other shared mailbox owner to vouch for the caller: choose another way".to_owned()
                })?;
                let mobile = Mobile::parse(form.value("Mobile")).map_err(|e| e.to_string())?;
                lines.push(Line::from(format!(
                    "Verified by {}, owner of a shared mailbox of {}, who checked the caller locally.",
                    clean(&person(owner)),
                    clean(&self.organisation)
                )));
                if self.account.mobile() != Some(&mobile) {
                    lines.push(Line::from(format!(
                        "The registered mobile changes from {} to {}.",
                        self.registered(),
                        mobile.masked()
                    )));
                }
                let verification =
                    Verification::Owner { owner: owner.address.to_string(), mobile: mobile.as_str().to_owned() };
                (verification, mobile.masked())
            }
        };
        lines.push(Line::from(format!("The temporary password goes by text to {to}.")));
        lines.extend(recorded_on(ticket.as_ref()));
        let command = ResetPassword { address: self.account.address.to_string(), verified_by, ticket };
        Ok(Next::Confirm(command.into(), lines))
    }

    /// Where the temporary password went, and the outbox's masked copy.
    pub(super) fn receipt(receipt: &ResetReceipt, cx: &mut Cx<'_>) -> Vec<Line<'static>> {
        let mut lines = vec![
            Line::from(format!(
                "Temporary password for {} to {}: {}.",
                receipt.address,
                receipt.sent_to,
                delivery_words(&receipt.delivery)
            )),
            Line::default(),
        ];
        let entry = cx
            .desk
            .call(ListOutbox { limit: OUTBOX_LOOKBACK })
            .map(|o| o.into_iter().find(|m| m.seq == receipt.outbox));
        match entry {
            Ok(Some(message)) => {
                let now = cx.now();
                lines.push(Line::from(format!(
                    "Outbox #{} · {} · to {} · {}",
                    message.seq,
                    when(message.at, now),
                    message.to.masked(),
                    delivery_words(&message.delivery)
                )));
                lines.push(Line::from(format!("“{}”", clean(&message.text))));
            }
            Ok(None) => lines.push(Line::from(format!("Outbox #{} is not among the newest messages.", receipt.outbox))),
            Err(e) => lines.push(Line::from(format!("The outbox could not be read: {e}"))),
        }
        lines.push(Line::default());
        lines.push(Line::from("The password itself is kept nowhere: only the text message carried it."));
        lines
    }
}

fn delivery_words(delivery: &Delivery) -> String {
    match delivery {
        Delivery::KeptInOutbox => "kept in the outbox (no SMS gateway is configured)".to_owned(),
        Delivery::Queued => "queued for the SMS gateway".to_owned(),
        Delivery::Sent => "sent".to_owned(),
        // The reason is the gateway command's own output.
        Delivery::Failed { reason } => format!("NOT sent ({}): reset again once the gateway works", clean(reason)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::text::REPLACEMENT;

    #[test]
    fn a_gateway_failure_is_drawn_cleaned() {
        let words = delivery_words(&Delivery::Failed { reason: "modem said \x1b[2J".to_owned() });
        assert!(words.contains(&format!("modem said {REPLACEMENT}[2J")), "{words}");
    }
}
