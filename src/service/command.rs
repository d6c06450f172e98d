//! The commands that change data, and what they answer.
//!
//! Commands carry raw text as the operator typed it; the service validates
//! it, so a command that arrives over the daemon's socket is checked exactly
//! like one from the CLI. Commands never carry a password.

use serde::{Deserialize, Serialize};

use crate::domain::account::Account;
use crate::domain::lifecycle::Transition;
use crate::domain::mailbox::Mailbox;
use crate::domain::operator::Operator;
use crate::domain::organisation::{IgStatus, Organisation};
use crate::domain::permission::Role;
use crate::domain::policy::Policy;
use crate::domain::routing::{Category, Channel};
use crate::domain::sms::Delivery;
use crate::domain::ticket::{Ticket, TicketRef, TicketStatus};

/// How a caller asking for a password reset proved who they are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verification {
    SecurityQuestions,
    RegisteredMobile,
    /// The owner of the organisation's shared mailbox contacted the helpdesk,
    /// confirmed they checked the person locally, and confirmed the mobile
    /// the temporary password goes to.
    Owner {
        owner: String,
        mobile: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewTicket {
    pub category: Category,
    pub channel: Channel,
    /// Defaults to now.
    pub received_at: Option<String>,
    pub requester_name: String,
    pub requester_email: Option<String>,
    pub requester_phone: Option<String>,
    pub ods: Option<String>,
    pub account: Option<String>,
    pub mailbox: Option<String>,
    pub mailbox_name: Option<String>,
    pub subject: String,
    pub body: String,
    /// Log it even though details are missing; it waits on the requester.
    pub incomplete: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Command {
    /// Registers the caller as the first supervisor of an empty database.
    Init,
    AddOperator {
        username: String,
        role: Role,
    },
    SetOperatorRole {
        username: String,
        role: Role,
    },
    SetOperatorEnabled {
        username: String,
        enabled: bool,
    },
    /// Minutes per queue; a queue left out keeps its target.
    SetTargets {
        nas: Option<u32>,
        helpdesk: Option<u32>,
        resolver: Option<u32>,
    },
    SetSmsCommand {
        command: Option<String>,
    },
    ImportCalendar {
        json: String,
    },

    AddOrganisation {
        ods: String,
        name: String,
        ig: IgStatus,
        administered_by: Option<String>,
    },
    SetIgStatus {
        ods: String,
        ig: IgStatus,
    },
    CloseOrganisation {
        ods: String,
    },

    CreateAccount {
        first: String,
        last: String,
        mobile: String,
        ods: String,
        email: String,
        not_duplicate: bool,
    },
    RecordLogin {
        address: String,
    },
    RecordPasswordChange {
        address: String,
    },
    RecordLock {
        address: String,
    },
    Unlock {
        address: String,
        ticket: Option<TicketRef>,
    },
    ResetPassword {
        address: String,
        verified_by: Verification,
        ticket: Option<TicketRef>,
    },
    MarkLeaver {
        address: String,
        new_owner: Option<String>,
        ticket: Option<TicketRef>,
    },
    Joiner {
        address: String,
        ods: String,
        mailboxes: Vec<String>,
        ticket: Option<TicketRef>,
    },
    SetMobileHidden {
        address: String,
        hidden: bool,
        ticket: Option<TicketRef>,
    },
    TransferAdministration {
        address: String,
        to: Option<String>,
    },

    CreateMailbox {
        address: String,
        name: String,
        ods: String,
        owner: String,
        sponsored_by: Option<String>,
    },
    AddMember {
        mailbox: String,
        account: String,
    },
    RemoveMember {
        mailbox: String,
        account: String,
    },
    ChangeOwner {
        mailbox: String,
        owner: String,
    },
    RecordMailboxAccess {
        mailbox: String,
    },

    CreateTicket(NewTicket),
    Claim {
        reference: TicketRef,
    },
    Assign {
        reference: TicketRef,
        to: Option<String>,
    },
    SetStatus {
        reference: TicketRef,
        status: TicketStatus,
    },
    Note {
        reference: TicketRef,
        text: String,
    },
    Reply {
        reference: TicketRef,
        text: String,
    },
    Link {
        reference: TicketRef,
        account: Option<String>,
        mailbox: Option<String>,
    },

    /// Applies every lifecycle transition due now, one audit entry each.
    Sweep {
        dry_run: bool,
    },

    /// Takes in one email: the audit log's record of it. The message itself
    /// reaches the service through [`crate::service::Service::take_in_mail`].
    TakeInMail {
        channel: Channel,
        message: String,
    },
    /// Replaces the mail settings (they hold no secret).
    SetMailSettings {
        settings: crate::domain::mail_reply::MailSettings,
    },
    /// Queues a failed outgoing mail again.
    RetryMail {
        outbox: u64,
    },
    /// The outcome of sending a mail, written on its ticket (by the sender,
    /// not typed).
    MailDelivery {
        outbox: u64,
    },
}

impl Command {
    /// The kind of existing record the command acts on, as the store names
    /// it, when it acts on one: what a revision sent with it refers to.
    pub fn subject_kind(&self) -> Option<&'static str> {
        match self {
            Command::Claim { .. }
            | Command::Assign { .. }
            | Command::SetStatus { .. }
            | Command::Note { .. }
            | Command::Reply { .. }
            | Command::Link { .. } => Some("ticket"),
            Command::Unlock { .. }
            | Command::ResetPassword { .. }
            | Command::MarkLeaver { .. }
            | Command::Joiner { .. }
            | Command::SetMobileHidden { .. }
            | Command::TransferAdministration { .. } => Some("account"),
            Command::AddMember { .. } | Command::RemoveMember { .. } | Command::ChangeOwner { .. } => {
                Some("shared mailbox")
            }
            _ => None,
        }
    }

    /// The audit log's name for the command.
    pub fn action(&self) -> &'static str {
        match self {
            Command::Init => "operator.init",
            Command::AddOperator { .. } => "operator.add",
            Command::SetOperatorRole { .. } => "operator.role",
            Command::SetOperatorEnabled { .. } => "operator.enabled",
            Command::SetTargets { .. } => "policy.targets",
            Command::SetSmsCommand { .. } => "policy.sms-command",
            Command::ImportCalendar { .. } => "policy.calendar",
            Command::AddOrganisation { .. } => "org.add",
            Command::SetIgStatus { .. } => "org.ig-status",
            Command::CloseOrganisation { .. } => "org.close",
            Command::CreateAccount { .. } => "account.new",
            Command::RecordLogin { .. } => "account.login",
            Command::RecordPasswordChange { .. } => "account.password-changed",
            Command::RecordLock { .. } => "account.locked",
            Command::Unlock { .. } => "account.unlock",
            Command::ResetPassword { .. } => "account.reset-password",
            Command::MarkLeaver { .. } => "account.leaver",
            Command::Joiner { .. } => "account.joiner",
            Command::SetMobileHidden { .. } => "account.directory",
            Command::TransferAdministration { .. } => "account.transfer",
            Command::CreateMailbox { .. } => "mailbox.new",
            Command::AddMember { .. } => "mailbox.add-member",
            Command::RemoveMember { .. } => "mailbox.remove-member",
            Command::ChangeOwner { .. } => "mailbox.owner",
            Command::RecordMailboxAccess { .. } => "mailbox.accessed",
            Command::CreateTicket(_) => "ticket.new",
            Command::Claim { .. } => "ticket.claim",
            Command::Assign { .. } => "ticket.assign",
            Command::SetStatus { .. } => "ticket.status",
            Command::Note { .. } => "ticket.note",
            Command::Reply { .. } => "ticket.reply",
            Command::Link { .. } => "ticket.link",
            Command::Sweep { .. } => "lifecycle.sweep",
            Command::TakeInMail { .. } => "mail.take-in",
            Command::SetMailSettings { .. } => "mail.settings",
            Command::RetryMail { .. } => "mail.retry",
            Command::MailDelivery { .. } => "mail.delivery",
        }
    }
}

/// A password reset as the operator sees it: where it went, never what it was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResetReceipt {
    pub address: String,
    pub sent_to: String,
    pub outbox: u64,
    pub delivery: Delivery,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SweepItem {
    pub address: String,
    pub transition: Transition,
    #[serde(with = "crate::domain::time::ts")]
    pub due_at: chrono::DateTime<chrono::Utc>,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct SweepReport {
    pub dry_run: bool,
    pub applied: Vec<SweepItem>,
}

/// The record a command produced, for display.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Subject {
    Nothing,
    Operator(Operator),
    Policy(Policy),
    Organisation(Organisation),
    Account(Box<Account>),
    PasswordReset(ResetReceipt),
    Mailbox(Mailbox),
    Ticket(Box<Ticket>),
    Sweep(SweepReport),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// One line for the operator.
    pub summary: String,
    pub subject: Subject,
    /// The audit entry the command wrote (the last one, for a sweep).
    pub audit_seq: Option<u64>,
}
