//! Password reset: verify the caller, confirm, issue, show where it went.
//!
//! The temporary password itself never reaches the console: the result
//! shows where the text message went and the outbox's masked copy of it.

use ratatui::text::Line;

use super::details::when;
use super::task::{
    Next, TICKET_HINT, Task, TaskKind, chosen, fit, person, person_with_state, recorded_on, ticket_field,
};
use crate::console::desk::DeskExt;
use crate::console::form::{Field, Form};
use crate::console::pane::Cx;
use crate::console::text::clean;
use crate::domain::account::Account;
use crate::domain::sms::Delivery;
use crate::domain::validate::Mobile;
use crate::service::ops::{CheckMobileReadOut, ListOutbox, MailboxOwners, ResetPassword};
use crate::service::{AccountView, ResetReceipt, Verification};

/// How far back in the outbox a reset's message is looked for.
const OUTBOX_LOOKBACK: usize = 50;
/// The ways of verifying a caller, the commonest first.
const VERIFY: [&str; 3] = ["registered mobile", "security questions", "shared mailbox owner"];
/// Where the operator types the number the caller reads out.
const READ_OUT: &str = "Caller reads";

pub(super) struct ResetTask {
    account: Account,
    organisation: String,
    /// Owners of the organisation's shared mailboxes other than the caller.
    owners: Vec<Account>,
    /// The owner and mobile fields while another way of verifying is
    /// chosen, so what was typed in them comes back.
    owner_fields: Vec<Field>,
    /// The read-out field, likewise.
    read_out_field: Vec<Field>,
    /// Whether the number read out is the registered mobile, as the
    /// service last said; `None` until a whole number is typed.
    read_out: Option<Result<bool, String>>,
}

impl ResetTask {
    /// The account as it now is, after a colleague changed it.
    pub(super) fn rebase(&mut self, account: &Account) {
        self.account = account.clone();
    }

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
            owners.iter().map(|o| person_with_state(o, Some("owner"), None)).collect()
        };
        let owner_fields = Form::new("")
            .choice("Owner", options, 0)
            .text("Mobile", "the mobile the owner confirmed for the password", "")
            .fields;
        let organisation = view.organisation.as_ref().map_or_else(|| account.ods.to_string(), |o| o.name.clone());
        let read_out_field = Form::new("").text(READ_OUT, "the number the caller reads out", "").fields;
        let mut task =
            ResetTask { account, organisation, owners, owner_fields, read_out_field: Vec::new(), read_out: None };
        let mut form = Form::new(format!("Reset password: {}", task.account.address))
            .choice("Verified by", VERIFY.map(str::to_owned).to_vec(), 0)
            .text("Ticket", TICKET_HINT, "");
        // The commonest way first, its field next, a Tab away.
        form.fields.splice(1..1, read_out_field);
        task.edited(&mut form, 0, cx);
        Task::new(TaskKind::Reset(task), form)
    }

    fn by_owner(form: &Form) -> bool {
        form.value("Verified by") == VERIFY[2]
    }

    fn by_mobile(form: &Form) -> bool {
        form.value("Verified by") == VERIFY[0]
    }

    /// Shows the read-out field only when the caller reads out their
    /// mobile, and the owner's fields only when the owner vouches for them;
    /// says whether a number read out matches as it is typed.
    pub(super) fn edited(&mut self, form: &mut Form, field: usize, cx: &mut Cx<'_>) {
        if field == 0 {
            let has = |form: &Form, label: &str| form.fields.iter().position(|f| f.label == label);
            if let Some(at) = has(form, READ_OUT).filter(|_| !Self::by_mobile(form)) {
                self.read_out_field = form.fields.drain(at..=at).collect();
            }
            if let Some(at) = has(form, "Owner").filter(|_| !Self::by_owner(form)) {
                self.owner_fields = form.fields.drain(at..at + 2).collect();
            }
            if Self::by_mobile(form) && has(form, READ_OUT).is_none() {
                form.fields.splice(1..1, std::mem::take(&mut self.read_out_field));
            }
            if Self::by_owner(form) && has(form, "Owner").is_none() {
                form.fields.splice(1..1, std::mem::take(&mut self.owner_fields));
            }
        }
        self.read_out = match Mobile::parse(form.value(READ_OUT)) {
            Ok(number) if Self::by_mobile(form) => {
                let check = CheckMobileReadOut {
                    address: self.account.address.to_string(),
                    number: number.as_str().to_owned(),
                };
                Some(cx.desk.call(check).map_err(|e| e.to_string()))
            }
            _ => None,
        };
        form.notes = fit(self.notes(form));
    }

    fn registered(&self) -> String {
        self.account.mobile().map_or_else(|| "(none)".to_owned(), Mobile::masked)
    }

    fn notes(&self, form: &Form) -> Vec<Line<'static>> {
        let how = match form.value("Verified by") {
            v if v == VERIFY[1] => "The caller answered the security questions on record.".to_owned(),
            v if v == VERIFY[0] => match &self.read_out {
                None => "Ask the caller to read out their mobile number, and type it: it is checked against \
                         the registered mobile, which is not shown."
                    .to_owned(),
                Some(Ok(true)) => "✓ Match: the number read out is the registered mobile.".to_owned(),
                Some(Ok(false)) => "✗ No match: the number read out is not the registered mobile. Check it \
                                    with the caller, or verify them another way."
                    .to_owned(),
                Some(Err(e)) => format!("The number could not be checked: {e}"),
            },
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
        let to = match form.value("Verified by") {
            v if v == VERIFY[2] => "the mobile the owner confirms".to_owned(),
            v if v == VERIFY[0] => "the registered mobile".to_owned(),
            _ => self.registered(),
        };
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
            v if v == VERIFY[1] => {
                lines.push(Line::from("Verified by the security questions."));
                (Verification::SecurityQuestions, self.registered())
            }
            v if v == VERIFY[0] => {
                let typed = form.value(READ_OUT);
                if typed.trim().is_empty() {
                    return Err("type the number the caller reads out, or choose another way to verify them".into());
                }
                let number = Mobile::parse(typed).map_err(|e| format!("{e}: type it as the caller reads it"))?;
                match &self.read_out {
                    Some(Ok(true)) => {}
                    Some(Ok(false)) => {
                        return Err("the number read out is not the registered mobile: check it with the caller, \
                                    or verify them another way"
                            .into());
                    }
                    Some(Err(e)) => return Err(format!("the number could not be checked: {e}")),
                    None => return Err("the number has not been checked yet: type it again".into()),
                }
                lines.push(Line::from("Verified by the caller reading out their registered mobile: it matched."));
                (Verification::MobileReadOut { number: number.as_str().to_owned() }, "the registered mobile".to_owned())
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
