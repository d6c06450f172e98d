//! What the demo's requesters write and what its operators note and reply.
//!
//! Plain text only; the service cleans and checks it like any other input.
//! Kept apart from the planning so the words can be improved without
//! touching a single date.

use super::tickets::Words;
use crate::domain::routing::Category;

/// The subject line of a request from `who` at `org`.
pub fn subject(category: Category, who: &str, org: &str) -> String {
    use Category::*;
    match category {
        PasswordReset => format!("Password reset needed – {who}"),
        ActivationHelp => format!("Can't activate my new NHSmail account ({who})"),
        DirectoryVisibility => "Please hide my mobile number from the NHS Directory".to_owned(),
        Unlock => format!("Account locked out – {who}"),
        NewAccount => format!("New starter at {org}: NHSmail account please"),
        Leaver => format!("Leaver at {org}"),
        Move => format!("{who} has moved to a new provider"),
        MissingPersonalAccount => format!("Cannot find my NHSmail account ({who})"),
        MissingSharedMailbox => format!("Shared mailbox for {org} not received"),
        MailboxAccess => format!("Access to the {org} shared mailbox for {who}"),
        OwnerChange => format!("New owner for the {org} shared mailbox"),
        IgRejection => format!("Why were our NHSmail accounts refused? ({org})"),
        SponsoredMailbox => format!("Moving our old sponsored mailbox to the national process ({org})"),
        DuplicateAccount => format!("Two NHSmail accounts for {who}?"),
        AccountTransfer => format!("Transfer of {who}'s account administration"),
        General => "Question about NHSmail for our care home".to_owned(),
    }
}

/// The first message of a request.
pub fn body(category: Category, who: &str, org: &str) -> String {
    use Category::*;
    let ask = match category {
        PasswordReset => "I have forgotten my password and cannot get into my email. Please can you reset it?",
        ActivationHelp => "I was sent a text with a temporary password but it has expired before I could log in.",
        DirectoryVisibility => "My personal mobile shows in the NHS Directory. Can it be hidden please?",
        Unlock => "I tried my password too many times and now the account is locked.",
        NewAccount => "We have a new carer starting on Monday who will need an NHSmail account.",
        Leaver => "One of our staff has left us. Please close their access to our mailbox.",
        Move => "I have started work at another care provider and need my account moved across.",
        MissingPersonalAccount => "I applied for an account weeks ago but never received the details.",
        MissingSharedMailbox => "We registered for a shared mailbox but have heard nothing back.",
        MailboxAccess => "Please add our deputy manager to the shared mailbox so referrals are not missed.",
        OwnerChange => "The current owner of our shared mailbox is leaving; the deputy will take over.",
        IgRejection => "Our application for NHSmail accounts was turned down and we do not know why.",
        SponsoredMailbox => "Our mailbox was set up by the local trust years ago. How do we move to the new one?",
        DuplicateAccount => "I think I have been given two accounts, one under my maiden name.",
        AccountTransfer => "Our sponsor's local administrator will look after this account from now on.",
        General => "Can residents' GP letters be sent to our shared mailbox securely?",
    };
    format!("{ask}\n\n{who}\n{org}")
}

pub fn note(category: Category, words: Words) -> &'static str {
    use Category::*;
    match words {
        Words::AskOwner => {
            "Caller could not pass security questions or use the registered mobile. Asked the \
                            owner of the organisation's shared mailbox to confirm who they are."
        }
        Words::DetailsReceived => "Requester has sent the missing details.",
        _ => match category {
            PasswordReset | ActivationHelp | Unlock => {
                "Checked the account in the directory: one account, \
                                                         registered mobile on file."
            }
            DirectoryVisibility => "Confirmed with the caller that the request is theirs.",
            NewAccount => "Searched for the person first: no existing account, no matching mobile.",
            Leaver | Move => "Confirmed the leaving date with the registered manager.",
            MissingPersonalAccount | MissingSharedMailbox => "Searched by name, ODS code and mailbox name.",
            MailboxAccess | OwnerChange => "Request confirmed by the current mailbox owner.",
            IgRejection => "DSPT status checked: not yet \"Standards Met\".",
            SponsoredMailbox => "Legacy mailbox: its format cannot change; national process explained.",
            DuplicateAccount => "Both addresses checked; the older one holds the mail.",
            AccountTransfer => "Sponsor's local administrator confirmed by email.",
            General => "Answered from the provider FAQ.",
        },
    }
}

pub fn reply(category: Category, words: Words) -> &'static str {
    use Category::*;
    match words {
        Words::AskDetails => {
            "Thank you for getting in touch. So that we can find the right record, please send \
                              your first and last name, your organisation's ODS code and the shared mailbox name."
        }
        _ => match category {
            PasswordReset | ActivationHelp => {
                "A temporary password has been sent by text to the registered \
                                               mobile. You will be asked to change it when you log in."
            }
            Unlock => "Your account is unlocked. Please log in again with your current password.",
            DirectoryVisibility => "Your mobile number is now hidden from the NHS Directory.",
            NewAccount | MissingPersonalAccount => {
                "The account is ready; the username has gone to the email \
                                                    address given at registration."
            }
            Leaver => {
                "The leaver has been removed from the shared mailbox; their account will be deleted after \
                       30 days unless a new employer takes it on."
            }
            Move => "The account has been moved to the new organisation and keeps all its mail.",
            MissingSharedMailbox => "The shared mailbox is set up; the owner has been sent the details.",
            MailboxAccess => "Access to the shared mailbox has been added; it can take an hour to appear.",
            OwnerChange => "The new owner is recorded and is now the helpdesk's contact for your organisation.",
            IgRejection => {
                "Accounts can be created once your DSPT shows \"Standards Met\". Please let us know \
                            when it has been published."
            }
            SponsoredMailbox => {
                "Please apply for a new shared mailbox through the national process; your \
                                 sponsor's local administrator will then remove the old one."
            }
            DuplicateAccount => "The spare account has been reported for removal; please keep using the other.",
            AccountTransfer => "This account is now administered by your sponsor's local administrator.",
            General => "Yes: mail between NHSmail addresses is secure. We have sent you the guidance.",
        },
    }
}
