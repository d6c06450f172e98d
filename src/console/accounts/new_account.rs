//! New account: likely duplicates shown while typing; saving anyway only
//! after they were seen.
//!
//! The duplicate search here is a courtesy to the operator; the service
//! makes the final check and may still refuse. Only the service's own list
//! of matches, once shown, lets the operator record the account as not a
//! duplicate: the name search here cannot see a shared registration email.

use ratatui::text::Line;

use super::task::{Next, Task, TaskKind, fit, organisation_note};
use crate::console::desk::DeskExt;
use crate::console::form::Form;
use crate::console::pane::Cx;
use crate::console::text::clean;
use crate::domain::account::{Account, AccountStatus};
use crate::domain::refusal::Refusal;
use crate::domain::validate::Mobile;
use crate::service::{Command, ServiceError};

/// Likely duplicates shown while a new account is typed.
const DUPLICATES: usize = 5;

#[derive(Default)]
pub(super) struct NewAccountTask {
    /// Accounts with the typed name.
    duplicates: Vec<Account>,
    /// The account that already has the typed mobile.
    holder: Option<Account>,
    organisation: Option<Line<'static>>,
    /// The name search's duplicates were shown and Enter pressed: the next
    /// Enter asks the service.
    armed: bool,
    /// The service's likely duplicates were shown: the next Enter creates
    /// the account as not a duplicate.
    confirmed: bool,
}

impl NewAccountTask {
    pub(super) fn open() -> Task {
        let form = Form::new("New account")
            .text("First name", "", "")
            .text("Last name", "", "")
            .text("Mobile", "UK mobile, e.g. 07700 900123", "")
            .text("ODS code", "of the organisation", "")
            .text("Email", "the personal email given at registration", "");
        Task::new(TaskKind::NewAccount(NewAccountTask::default()), form)
    }

    pub(super) fn edited(&mut self, form: &mut Form, field: usize, cx: &mut Cx<'_>) {
        self.armed = false;
        self.confirmed = false;
        match form.fields.get(field).map(|f| f.label.as_str()) {
            Some("First name" | "Last name") => {
                let (first, last) = (form.value("First name").trim(), form.value("Last name").trim());
                self.duplicates = if first.is_empty() || last.is_empty() {
                    Vec::new()
                } else {
                    let found = cx.desk.find_accounts(&format!("{last}, {first}"), DUPLICATES).unwrap_or_default();
                    found.into_iter().filter(|a| a.status != AccountStatus::Deleted).collect()
                };
            }
            Some("Mobile") => {
                self.holder = Mobile::parse(form.value("Mobile"))
                    .ok()
                    .and_then(|m| cx.desk.find_accounts(m.as_str(), 1).ok())
                    .and_then(|found| found.into_iter().next());
            }
            Some("ODS code") => self.organisation = organisation_note(cx, form.value("ODS code")),
            _ => {}
        }
        form.notes = fit(self.notes());
    }

    fn notes(&self) -> Vec<Line<'static>> {
        let mut lines = Vec::new();
        if !self.duplicates.is_empty() {
            lines.push(Line::from("This person may already have an account:"));
            for a in &self.duplicates {
                lines.push(Line::from(format!(
                    "· {} <{}> {} {}",
                    clean(&a.display_name()),
                    a.address,
                    a.ods,
                    a.status.label()
                )));
            }
        }
        if let Some(holder) = &self.holder {
            lines.push(Line::from(format!(
                "The mobile is already registered to {} <{}>: a person has one account.",
                clean(&holder.display_name()),
                holder.address
            )));
        }
        lines.extend(self.organisation.clone());
        if self.confirmed {
            lines.push(Line::from("Enter again creates the account anyway, recorded as not a duplicate."));
        } else if self.armed {
            lines.push(Line::from(
                "Enter again saves if the service finds no account with this registration email, or this name in \
                 this organisation.",
            ));
        }
        lines
    }

    pub(super) fn submit(&mut self, form: &mut Form) -> Next {
        if !self.armed && !self.duplicates.is_empty() {
            self.armed = true;
            form.notes = fit(self.notes());
            return Next::Stay;
        }
        Next::Run(Command::CreateAccount {
            first: form.value("First name").to_owned(),
            last: form.value("Last name").to_owned(),
            mobile: form.value("Mobile").to_owned(),
            ods: form.value("ODS code").to_owned(),
            email: form.value("Email").to_owned(),
            not_duplicate: self.confirmed,
        })
    }

    /// The service found likely duplicates (the same registration email, or
    /// the same name in the organisation): show them, and let Enter save
    /// anyway.
    pub(super) fn refused(&mut self, form: &mut Form, error: &ServiceError) {
        if let ServiceError::Refused(Refusal::PossibleDuplicates { matches }) = error {
            self.armed = true;
            self.confirmed = true;
            let matches = clean(&matches.join(", ")).into_owned();
            form.error = Some(format!(
                "this person may already have an account: {matches}; check with the caller, and press enter \
                 again if this is someone else"
            ));
            form.notes = fit(self.notes());
        }
    }
}
