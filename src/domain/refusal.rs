//! Every way a domain rule can say no, in words an operator can act on.
//!
//! Each message names the record and says what to do next. The service
//! passes these through unchanged, so the console, the CLI and the daemon all
//! say the same thing.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::address::NhsMailAddress;
use super::organisation::IgStatus;
use super::routing::Category;
use super::validate::OdsCode;

fn date(at: &Option<DateTime<Utc>>) -> String {
    at.map_or_else(|| "an unknown date".to_owned(), |t| t.format("%-d %b %Y").to_string())
}

/// Refusals cross the daemon's socket whole, so that the console can act on
/// their details (the likely duplicates, the mailbox that needs an owner).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum Refusal {
    #[error(
        "{subject} is administered by the local administrator of {sponsor}: ask that administrator to make this change"
    )]
    AdministeredLocally { subject: String, sponsor: OdsCode },

    #[error("organisation {ods} is closed: accounts and mailboxes cannot be added to it")]
    OrganisationClosed { ods: OdsCode },

    #[error(
        "{name} ({ods}) does not meet the information-governance requirement (recorded as {}): \
         the provider must reach DSPT \"Standards Met\" and tell the NAS before accounts can be created",
        status.slug()
    )]
    IgRequirementNotMet { ods: OdsCode, name: String, status: IgStatus },

    #[error("{address} was deleted on {}: only its tombstone remains, so nothing can be changed", date(deleted_at))]
    AccountDeleted { address: NhsMailAddress, deleted_at: Option<DateTime<Utc>> },

    #[error(
        "{address} was marked as a leaver on {}: it must be taken by a new organisation as a joiner first",
        date(since)
    )]
    AccountIsLeaver { address: NhsMailAddress, since: Option<DateTime<Utc>> },

    #[error("{address} is not locked")]
    NotLocked { address: NhsMailAddress },

    #[error("nothing to change: {what}")]
    NothingToChange { what: String },

    #[error(
        "mobile {masked} is already registered to {holder}: a person has one account; \
         look that account up instead of creating another"
    )]
    MobileInUse { masked: String, holder: NhsMailAddress },

    #[error(
        "this person may already have an account: {}; if this is someone else, confirm they are not a duplicate",
        matches.join(", ")
    )]
    PossibleDuplicates { matches: Vec<String> },

    #[error(
        "{address} owns {}: name a new owner before marking it as a leaver",
        mailboxes.join(", ")
    )]
    OwnerHandoverNeeded { address: NhsMailAddress, mailboxes: Vec<String> },

    #[error("{address} cannot own a shared mailbox: {why}")]
    UnsuitableOwner { address: NhsMailAddress, why: String },

    #[error("{address} cannot be a member: {why}")]
    UnsuitableMember { address: NhsMailAddress, why: String },

    #[error(
        "{mailbox} is a legacy mailbox sponsored by {sponsor}: its format cannot change; the provider applies \
         for a new shared mailbox through the national process, then {sponsor}'s local administrator deletes this one"
    )]
    SponsoredMailbox { mailbox: NhsMailAddress, sponsor: OdsCode },

    #[error("{account} is already a member of {mailbox}")]
    AlreadyMember { mailbox: NhsMailAddress, account: NhsMailAddress },

    #[error("{account} is not a member of {mailbox}")]
    NotAMember { mailbox: NhsMailAddress, account: NhsMailAddress },

    #[error("{account} owns {mailbox}: change the owner before removing them")]
    OwnerStaysMember { mailbox: NhsMailAddress, account: NhsMailAddress },

    #[error("{reference} is already claimed by {by}")]
    AlreadyClaimed { reference: String, by: String },

    #[error("{reference} is {status}: reopen it first by setting its status back to in-progress")]
    TicketClosed { reference: String, status: String },

    #[error("a {} request needs {}: ask the requester, or log it as incomplete to wait for them",
        category.label(), missing.join(", "))]
    MissingDetails { category: Category, missing: Vec<String> },

    #[error("{why}")]
    VerificationFailed { why: String },

    #[error(
        "the bank holiday file looks wrong: {concerns}; {change}: check that it is GOV.UK's current \
         bank-holidays.json, or confirm it is meant"
    )]
    ImplausibleCalendar { concerns: String, change: String },

    #[error(
        "{reference} is not about {address}: {why}; record the task on that person's ticket, or link this \
         ticket to {address} first if it really is about them"
    )]
    TicketForSomeoneElse { reference: String, address: NhsMailAddress, why: String },

    #[error(
        "{account} belongs to {member_ods}, not {mailbox_ods} like {mailbox}: adding a member from another \
         organisation needs a reason, recorded with the change"
    )]
    CrossOrganisationMember {
        mailbox: NhsMailAddress,
        account: NhsMailAddress,
        member_ods: OdsCode,
        mailbox_ods: OdsCode,
    },
}
