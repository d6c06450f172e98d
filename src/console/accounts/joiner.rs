//! Joiner or move: the organisation taking the account, and its mailboxes.
//!
//! The notes say which organisation the typed code is and which shared
//! mailboxes it has; whether the move is allowed is the service's to say.

use ratatui::text::Line;

use super::task::{Next, TICKET_HINT, Task, TaskKind, fit, organisation_note, ticket_field};
use crate::console::desk::DeskExt;
use crate::console::form::Form;
use crate::console::pane::Cx;
use crate::console::text::clean;
use crate::service::AccountView;
use crate::service::MailboxMatch;
use crate::service::ops::{FindMailboxes, Joiner};

/// The organisation's shared mailboxes named in the notes.
const MAILBOXES_SHOWN: usize = 8;

pub(super) struct JoinerTask {
    address: String,
    /// What the form says before any organisation is typed.
    intro: Vec<Line<'static>>,
}

impl JoinerTask {
    pub(super) fn open(view: &AccountView) -> Task {
        let account = &view.account;
        let mut intro = vec![Line::from(format!(
            "{} keeps the address {} and leaves the shared mailboxes of {}.",
            clean(&account.display_name()),
            account.address,
            account.ods
        ))];
        if !view.owns.is_empty() {
            intro.push(Line::from(format!(
                "It owns {}: give those a new owner in the shared mailbox pane first.",
                view.owns.join(", ")
            )));
        }
        let mut form = Form::new(format!("Joiner or move: {}", account.address))
            .text("ODS code", "of the organisation taking the account", "")
            .text("Mailboxes", "its shared mailboxes to join, separated by commas (optional)", "")
            .text("Ticket", TICKET_HINT, "");
        form.notes = fit(intro.clone());
        Task::new(TaskKind::Joiner(JoinerTask { address: account.address.to_string(), intro }), form)
    }

    /// Says which organisation the typed code is, and which shared
    /// mailboxes it has to join.
    pub(super) fn edited(&self, form: &mut Form, field: usize, cx: &mut Cx<'_>) {
        if form.fields.get(field).is_none_or(|f| f.label != "ODS code") {
            return;
        }
        form.notes = fit(self.intro.clone());
        let ods = form.value("ODS code").trim().to_owned();
        let Some(line) = organisation_note(cx, &ods) else { return };
        form.notes.extend(fit(vec![line]));
        // The search also matches names and addresses, so keep only this
        // organisation's mailboxes, and only those a joiner can be added to.
        let names: Vec<String> = cx
            .desk
            .call(FindMailboxes { text: ods.to_owned(), limit: MAILBOXES_SHOWN })
            .map(MailboxMatch::mailboxes)
            .unwrap_or_default()
            .iter()
            .filter(|m| m.ods.as_str().eq_ignore_ascii_case(&ods) && m.require_national().is_ok())
            .map(|m| m.address.to_string())
            .collect();
        if !names.is_empty() {
            form.notes.extend(fit(vec![Line::from(format!("Its shared mailboxes: {}", names.join(", ")))]));
        }
    }

    pub(super) fn submit(&self, form: &Form) -> Result<Next, String> {
        let ticket = ticket_field(form)?;
        let ods = form.optional("ODS code").ok_or("type the ODS code of the organisation taking the account")?;
        let mailboxes =
            form.value("Mailboxes").split(',').map(str::trim).filter(|m| !m.is_empty()).map(str::to_owned).collect();
        Ok(Next::Run(Joiner { address: self.address.clone(), ods, mailboxes, ticket }.into()))
    }
}
