//! Logging what the operator may not do now: the ticket category behind
//! each account action, and the new ticket that hands the request on to
//! someone who may.
//!
//! Only the ticket is made here; the queue pane's form shows it for the
//! operator to finish and save.

use crate::console::keymap::Act;
use crate::domain::account::Account;
use crate::domain::routing::{Category, Channel};
use crate::service::ops::CreateTicket;

/// The ticket category of the request behind an account action.
pub(super) fn requested(act: Act) -> Option<Category> {
    Some(match act {
        Act::ResetPassword => Category::PasswordReset,
        Act::Leaver => Category::Leaver,
        Act::Joiner => Category::Move,
        Act::NewAccount => Category::NewAccount,
        Act::Directory => Category::DirectoryVisibility,
        Act::Unlock => Category::Unlock,
        _ => return None,
    })
}

/// The words a ticket's subject starts with for a category: short, as an
/// operator would write them.
pub(crate) fn topic(category: Category) -> String {
    match category {
        Category::PasswordReset => "Password reset".to_owned(),
        Category::Leaver => "Leaver".to_owned(),
        Category::Move => "Move".to_owned(),
        Category::NewAccount => "New account".to_owned(),
        Category::Unlock => "Unlock".to_owned(),
        Category::MailboxAccess => "Mailbox access".to_owned(),
        Category::OwnerChange => "Owner change".to_owned(),
        Category::General => "Enquiry".to_owned(),
        other => {
            let label = other.label();
            let mut chars = label.chars();
            chars.next().map_or_else(String::new, |first| first.to_uppercase().chain(chars).collect())
        }
    }
}

/// A ticket for a request about `account` (a new account is about someone
/// who has none yet, so it names only the organisation).
pub(super) fn request_ticket(category: Category, account: Option<&Account>, in_hours: bool) -> CreateTicket {
    let what = topic(category);
    let when = if in_hours { "" } else { " out of hours" };
    let person = account.filter(|_| category != Category::NewAccount);
    let (subject, about) = match (person, account) {
        (Some(a), _) => (
            format!("{what}: {}", a.address),
            format!("{} for {} ({}, {})", category.label(), a.address, a.display_name(), a.ods),
        ),
        (None, Some(a)) => (format!("{what} at {}", a.ods), format!("{} at {}", category.label(), a.ods)),
        (None, None) => (what, category.label().to_owned()),
    };
    CreateTicket {
        category,
        channel: Channel::Phone,
        received_at: None,
        requester_name: person.map(Account::display_name).unwrap_or_default(),
        requester_email: None,
        requester_phone: None,
        ods: account.map(|a| a.ods.to_string()),
        account: person.map(|a| a.address.to_string()),
        mailbox: None,
        mailbox_name: None,
        subject,
        body: format!("Logged{when} from the account pane: {about}."),
        incomplete: false,
    }
}

/// The subject and details `ticket`, drafted for its own category, would
/// have for `category` instead: the topic at the head of the subject and
/// the category named in the details follow it, the rest stays.
pub(crate) fn redraft(ticket: &CreateTicket, category: Category) -> (String, String) {
    let (old, new) = (topic(ticket.category), topic(category));
    let subject = match ticket.subject.strip_prefix(&old) {
        Some(rest) => format!("{new}{rest}"),
        None => ticket.subject.clone(),
    };
    let body = ticket.body.replacen(ticket.category.label(), category.label(), 1);
    (subject, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_logged_request_names_the_account_unless_it_is_for_a_new_one() {
        let ticket = request_ticket(Category::Move, None, false);
        assert_eq!(ticket.subject, "Move");
        assert_eq!(ticket.account, None);
        assert!(ticket.body.starts_with("Logged out of hours from the account pane"), "{}", ticket.body);
        assert_eq!(requested(Act::Joiner), Some(Category::Move));
        assert_eq!(requested(Act::Reveal), None);
    }

    #[test]
    fn a_redrafted_ticket_names_the_new_category_in_subject_and_details() {
        let ticket = request_ticket(Category::PasswordReset, None, true);
        assert_eq!(ticket.subject, "Password reset");
        let (subject, body) = redraft(&ticket, Category::MailboxAccess);
        assert_eq!(subject, "Mailbox access");
        assert_eq!(body, "Logged from the account pane: shared mailbox access.");
        // Its own category gives the ticket back as it was.
        assert_eq!(redraft(&ticket, Category::PasswordReset), (ticket.subject.clone(), ticket.body.clone()));
        assert_eq!(topic(Category::IgRejection), "Information-governance rejection");
    }
}
