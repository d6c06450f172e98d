//! New account: likely duplicates shown while typing; saving anyway only
//! after they were seen.
//!
//! The list is the service's own (`LikelyDuplicates`: the same
//! registration email, or the same name in the organisation), so what the
//! form shows is what creating the account would be refused for. Saving
//! with matches on screen takes a second Enter, which records the account
//! as not a duplicate; the service still checks, and if its matches have
//! changed since, its refusal lists them and asks again.

use ratatui::text::Line;

use super::task::{Next, Task, TaskKind, fit, organisation_note};
use crate::console::desk::DeskExt;
use crate::console::form::Form;
use crate::console::pane::Cx;
use crate::console::text::clean;
use crate::domain::account::Account;
use crate::domain::refusal::Refusal;
use crate::domain::validate::{Email, Mobile, OdsCode};
use crate::service::AccountMatch;
use crate::service::ServiceError;
use crate::service::ops::{CreateAccount, FindAccounts, LikelyDuplicates};

/// Likely duplicates shown while a new account is typed.
const DUPLICATES: usize = 5;

#[derive(Default)]
pub(super) struct NewAccountTask {
    /// What the service would take for the same person.
    duplicates: Vec<Account>,
    /// The account that already has the typed mobile.
    holder: Option<Account>,
    organisation: Option<Line<'static>>,
    /// Likely duplicates were on screen when Enter was pressed: the next
    /// Enter creates the account as not a duplicate.
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
        self.confirmed = false;
        match form.fields.get(field).map(|f| f.label.as_str()) {
            Some("First name" | "Last name" | "ODS code" | "Email") => self.duplicates = likely_duplicates(form, cx),
            Some("Mobile") => {
                self.holder = Mobile::parse(form.value("Mobile"))
                    .ok()
                    .and_then(|m| {
                        cx.desk
                            .call(FindAccounts { text: m.as_str().to_owned(), limit: 1 })
                            .map(AccountMatch::accounts)
                            .ok()
                    })
                    .and_then(|found| found.into_iter().next());
            }
            _ => {}
        }
        if form.fields.get(field).is_some_and(|f| f.label == "ODS code") {
            self.organisation = organisation_note(cx, form.value("ODS code"));
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
        if self.holder.is_some() {
            // Saving anyway would only be refused: say what will work.
            lines.push(Line::from("Change the mobile first: the account cannot be created with it."));
        } else if self.confirmed {
            lines.push(Line::from("Enter again creates the account anyway, recorded as not a duplicate."));
        } else if !self.duplicates.is_empty() {
            lines.push(Line::from("Check with the caller: if this is someone else, Enter twice creates the account."));
        }
        lines
    }

    pub(super) fn submit(&mut self, form: &mut Form) -> Next {
        // With the mobile in use the service refuses whatever is confirmed,
        // so there is nothing to confirm: let it say why.
        if !self.confirmed && !self.duplicates.is_empty() && self.holder.is_none() {
            self.confirmed = true;
            form.notes = fit(self.notes());
            return Next::Stay;
        }
        Next::Run(
            CreateAccount {
                first: form.value("First name").to_owned(),
                last: form.value("Last name").to_owned(),
                mobile: form.value("Mobile").to_owned(),
                ods: form.value("ODS code").to_owned(),
                email: form.value("Email").to_owned(),
                not_duplicate: self.confirmed,
            }
            .into(),
        )
    }

    /// The service found likely duplicates the form had not shown (they
    /// changed since it asked): show them, and let Enter save anyway.
    pub(super) fn refused(&mut self, form: &mut Form, error: &ServiceError) {
        if let ServiceError::Refused(Refusal::PossibleDuplicates { matches }) = error {
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

/// The service's likely duplicates for what is typed so far; none until
/// the names and a well-formed ODS code are there.
fn likely_duplicates(form: &Form, cx: &Cx<'_>) -> Vec<Account> {
    let (first, last, ods) = (form.value("First name").trim(), form.value("Last name").trim(), form.value("ODS code"));
    if first.is_empty() || last.is_empty() || OdsCode::parse(ods).is_err() {
        return Vec::new();
    }
    let email = Email::parse(form.value("Email")).ok();
    let found = cx.desk.call(LikelyDuplicates {
        first: first.to_owned(),
        last: last.to_owned(),
        ods: ods.to_owned(),
        email: email.as_ref().map(Email::as_str).map(str::to_owned),
    });
    found.unwrap_or_default().into_iter().take(DUPLICATES).collect()
}
