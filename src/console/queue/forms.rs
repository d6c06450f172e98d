//! The forms that work a ticket or log a new one, and what saving them
//! sends to the service.

use ratatui::text::Line;

use super::rows::local;
use crate::console::accounts::redraft;
use crate::console::desk::DeskExt;
use crate::console::form::Form;
use crate::console::pane::Cx;
use crate::domain::batch::BulkKind;
use crate::domain::routing::{Category, Channel};
use crate::domain::ticket::{Detail, TicketRef, missing_details, required_details};
use crate::domain::validate::OdsCode;
use crate::service::Request;
use crate::service::ops::{Assign, CreateTicket, Link, Note, PreviewRoute, Reply, SetStatus};

/// What a form on this pane will do when saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FormKind {
    New,
    Assign(TicketRef),
    Status(TicketRef),
    Note(TicketRef),
    Reply(TicketRef),
    Link(TicketRef),
    /// Every marked ticket, as one batch.
    Marked(BulkKind),
}

impl FormKind {
    /// The ticket the form works on; none for a new one.
    pub(super) fn reference(self) -> Option<TicketRef> {
        match self {
            FormKind::New | FormKind::Marked(_) => None,
            FormKind::Assign(r) | FormKind::Status(r) | FormKind::Note(r) | FormKind::Reply(r) | FormKind::Link(r) => {
                Some(r)
            }
        }
    }
}

/// The new-ticket form's text fields and what an empty one says.
const TEXT_FIELDS: [(&str, &str); 9] = [
    ("Requester", "first and last name"),
    ("Email", "requester's email (optional)"),
    ("Phone", "requester's phone (optional)"),
    ("ODS code", "five characters, from the request"),
    ("Account", "the person's NHSmail address, if known"),
    ("Mailbox", "the shared mailbox address, if known"),
    ("Mailbox name", "shared mailbox named by the requester"),
    ("Subject", "one line"),
    ("Details", "what was asked"),
];

/// The field that holds a detail a category needs.
fn field_of(detail: Detail) -> &'static str {
    match detail {
        Detail::FirstAndLastName => "Requester",
        Detail::OdsCode => "ODS code",
        Detail::SharedMailboxName => "Mailbox name",
    }
}

/// The new-ticket form, empty or filled in from another pane's request.
pub(super) fn new_ticket(cx: &Cx<'_>, prefill: Option<&CreateTicket>) -> Form {
    let categories: Vec<String> = Category::ALL.iter().map(|c| c.slug().to_owned()).collect();
    let channels: Vec<String> = Channel::ALL.iter().map(|c| c.slug().to_owned()).collect();
    let phone = Channel::ALL.iter().position(|c| *c == Channel::Phone).unwrap_or(0);
    let mut form = Form::new("New ticket").choice("Category", categories, 0).choice("Channel", channels, phone);
    for (label, hint) in TEXT_FIELDS {
        form = if label == "Details" { form.lines(label, hint, "") } else { form.text(label, hint, "") };
    }
    let incomplete = vec!["refuse".to_owned(), "log and wait on the requester".to_owned()];
    let mut form = form.choice("If incomplete", incomplete, 0);
    if let Some(t) = prefill {
        form.set("Category", t.category.slug());
        form.set("Channel", t.channel.slug());
        form.set("Requester", &t.requester_name);
        form.set("Email", t.requester_email.as_deref().unwrap_or(""));
        form.set("Phone", t.requester_phone.as_deref().unwrap_or(""));
        form.set("ODS code", t.ods.as_deref().unwrap_or(""));
        form.set("Account", t.account.as_deref().unwrap_or(""));
        form.set("Mailbox", t.mailbox.as_deref().unwrap_or(""));
        form.set("Mailbox name", t.mailbox_name.as_deref().unwrap_or(""));
        form.set("Subject", &t.subject);
        form.set("Details", &t.body);
        // The rest was filled in from where the request came; the category
        // is the guess the operator most often corrects, by typing.
        form.focus = 0;
        // The subject and details say what the category is, until edited.
        let drafts: Vec<(String, String)> = Category::ALL.iter().map(|c| redraft(t, *c)).collect();
        form.follow("Category", "Subject", drafts.iter().map(|d| d.0.clone()).collect());
        form.follow("Category", "Details", drafts.into_iter().map(|d| d.1).collect());
        form.settle();
    }
    preview(&mut form, cx);
    form
}

/// Shows under the new-ticket form where the ticket will go and what it
/// still lacks, as the operator fills it in.
pub(super) fn preview(form: &mut Form, cx: &Cx<'_>) {
    let mut notes = Vec::new();
    match form.value("Category").parse::<Category>() {
        Ok(category) => {
            match cx.desk.call(PreviewRoute { category, received_at: None }) {
                Ok(r) => notes.push(Line::from(format!(
                    "→ {} queue · work from {} · due {}",
                    r.queue.label(),
                    local(r.work_from, "%a %-d %b %H:%M"),
                    local(r.due_at, "%a %-d %b %H:%M")
                ))),
                Err(e) => notes.push(Line::from(format!("routing unknown: {e}"))),
            }
            // The fields this category needs say so while they are empty.
            let needed: Vec<&str> = required_details(category).iter().map(|d| field_of(*d)).collect();
            for field in &mut form.fields {
                if let Some((label, hint)) = TEXT_FIELDS.iter().find(|(label, _)| *label == field.label) {
                    field.hint = if needed.contains(label) {
                        format!("needed for {}", category.label())
                    } else {
                        (*hint).to_owned()
                    };
                }
            }
            let ods = OdsCode::parse(form.value("ODS code")).ok();
            let name = form.optional("Mailbox name");
            let missing = missing_details(category, form.value("Requester"), ods.as_ref(), name.as_deref());
            if !missing.is_empty() {
                let list: Vec<&str> = missing.iter().map(|d| d.label()).collect();
                notes.push(Line::from(format!("{} still needs: {}", category.label(), list.join(", "))));
            }
        }
        Err(e) => notes.push(Line::from(e.to_string())),
    }
    form.notes = notes;
}

pub(super) fn build_change(kind: FormKind, form: &Form) -> Result<Request, String> {
    Ok(match kind {
        FormKind::New => CreateTicket {
            category: form.value("Category").parse().map_err(|e| format!("{e}"))?,
            channel: form.value("Channel").parse().map_err(|e| format!("{e}"))?,
            received_at: None,
            requester_name: form.value("Requester").trim().to_owned(),
            requester_email: form.optional("Email"),
            requester_phone: form.optional("Phone"),
            ods: form.optional("ODS code"),
            account: form.optional("Account"),
            mailbox: form.optional("Mailbox"),
            mailbox_name: form.optional("Mailbox name"),
            subject: form.value("Subject").trim().to_owned(),
            body: form.value("Details").trim().to_owned(),
            incomplete: form.value("If incomplete") != "refuse",
        }
        .into(),
        FormKind::Assign(reference) => {
            let to = form.value("Operator");
            Assign { reference, to: (to != "nobody").then(|| to.to_owned()) }.into()
        }
        FormKind::Status(reference) => {
            SetStatus { reference, status: form.value("Status").parse().map_err(|e| format!("{e}"))? }.into()
        }
        FormKind::Note(reference) | FormKind::Reply(reference) => {
            let text = form.value(if matches!(kind, FormKind::Note(_)) { "Note" } else { "Reply" }).trim().to_owned();
            if text.is_empty() {
                return Err("type the text first, or esc to cancel".to_owned());
            }
            if matches!(kind, FormKind::Note(_)) {
                Note { reference, text }.into()
            } else {
                Reply { reference, text }.into()
            }
        }
        FormKind::Link(reference) => {
            let (account, mailbox) = (form.optional("Account"), form.optional("Mailbox"));
            if account.is_none() && mailbox.is_none() {
                return Err("give an account or a mailbox address".to_owned());
            }
            Link { reference, account, mailbox }.into()
        }
        FormKind::Marked(_) => return Err("a form on marked tickets is sent as one batch".to_owned()),
    })
}
