//! The command line as scripts see it. These names and flags are a contract:
//! mail intake, directory feeds and rehearsals are written against them.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::domain::organisation::IgStatus;
use crate::domain::permission::Role;
use crate::domain::routing::{Category, Channel};
use crate::domain::ticket::{TicketRef, TicketStatus};
use crate::service::{QueueView, StatusFilter};

#[derive(Debug, Parser)]
#[command(name = "caredesk", version, about = "The NHSmail social care helpdesk console", long_about = None)]
pub struct Cli {
    /// The database directory (default: database.path in the config file, else the user's data directory).
    #[arg(long, global = true, env = "CAREDESK_DB", value_name = "DIR")]
    pub db: Option<PathBuf>,
    /// The daemon's socket (default: DIR.run/caredesk.sock beside the database).
    /// When a daemon answers there, everything goes through it.
    #[arg(long, global = true, env = "CAREDESK_SOCKET", value_name = "PATH")]
    pub socket: Option<PathBuf>,
    /// Act as if it were this instant (RFC 3339), for rehearsals and tests.
    /// The audit log records the real time as well.
    #[arg(long, global = true, value_name = "RFC3339")]
    pub now: Option<String>,
    /// Print records as JSON.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Option<Cmd>,
}

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Create a database and register you as its first supervisor.
    Init,
    /// Build a realistic demo database (replacing an earlier demo).
    Demo {
        #[arg(long, default_value = "demo", value_parser = ["demo", "national"])]
        scale: String,
    },
    /// Whether the NAS is open now, and when that changes.
    Status,
    /// Social care providers: add one, look one up, record its IG standing, close it.
    #[command(subcommand)]
    Org(OrgCmd),
    /// Personal accounts: create, find, reset passwords, leavers and joiners, the directory feed.
    #[command(subcommand)]
    Account(AccountCmd),
    /// Shared mailboxes: create, find, members and owner.
    #[command(subcommand)]
    Mailbox(MailboxCmd),
    /// Requests: log, list, show and work them.
    #[command(subcommand)]
    Ticket(TicketCmd),
    /// Who may use caredesk, and in which role (supervisors only).
    #[command(subcommand)]
    Operator(OperatorCmd),
    /// Service targets, the SMS gateway and the bank holiday calendar.
    #[command(subcommand)]
    Policy(PolicyCmd),
    /// Apply the lifecycle transitions that are due (inactive, deleted).
    Sweep {
        /// Show what would change without changing it.
        #[arg(long)]
        dry_run: bool,
    },
    /// Show the audit log, newest first, or prove it untouched.
    Audit {
        #[arg(long, default_value_t = 20)]
        limit: usize,
        /// Show entries older than this number.
        #[arg(long)]
        before: Option<u64>,
        /// Walk the whole hash chain and report whether it is intact.
        #[arg(long)]
        verify: bool,
    },
    /// Text messages sent (or kept), newest first; passwords are masked.
    Outbox {
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// Import organisations, accounts or mailboxes from a CSV file with a header row.
    Import {
        #[arg(value_parser = ["orgs", "accounts", "mailboxes"])]
        kind: String,
        file: PathBuf,
        /// Import the good lines and report the bad ones, instead of importing nothing.
        #[arg(long)]
        skip_bad: bool,
    },
    /// Own the database and serve every operator's console and commands
    /// over the socket, until stopped with SIGTERM.
    Serve {
        /// The group whose members may reach the socket (default: caredesk, if it exists).
        #[arg(long, value_name = "NAME")]
        group: Option<String>,
        /// Minutes between scheduled lifecycle sweeps, run as the daemon's
        /// user (who must be a supervisor); 0 turns them off.
        #[arg(long, default_value_t = 60, value_name = "MINUTES")]
        sweep_every: u64,
        /// Log to the systemd journal instead of the log file (as the packaged unit does).
        #[arg(long)]
        journal: bool,
    },
    /// The settings in force and where each came from (flag, environment, file, default).
    #[command(subcommand)]
    Config(ConfigCmd),
    /// Check this deployment (files, group, socket, daemon, calendar, gateway, disk) and say what to fix.
    Doctor,
    /// Bring a database made by an earlier caredesk up to this one's layout now (opening it does the same).
    Migrate,
    /// Print shell completions (the Debian package installs them for bash, zsh and fish).
    Completions { shell: clap_complete::Shell },
    /// Print the manual page (roff), as the package installs it.
    #[command(hide = true)]
    Man,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCmd {
    /// Print every setting, its value and where it came from.
    Show,
}

#[derive(Debug, Subcommand)]
pub enum OrgCmd {
    /// Add a social care provider.
    Add {
        ods: String,
        #[arg(long)]
        name: String,
        /// yes, no, or a status: ig-toolkit-level-2, dspt-standards-met, dspt-standards-exceeded, dspt-approaching-standards, not-met
        #[arg(long = "ig-compliant", alias = "ig")]
        ig: IgStatus,
        /// nas, or the ODS code of the sponsoring organisation whose local administrator runs its accounts.
        #[arg(long)]
        administered_by: Option<String>,
    },
    /// Show a provider: IG standing, who administers it, open or closed.
    Show { ods: String },
    /// Record a new information-governance status.
    Ig { ods: String, status: IgStatus },
    /// Record that a provider has closed.
    Close { ods: String },
}

#[derive(Debug, Subcommand)]
pub enum AccountCmd {
    /// Create a personal account; prints its address.
    New {
        #[arg(long)]
        first: String,
        #[arg(long)]
        last: String,
        #[arg(long)]
        mobile: String,
        #[arg(long)]
        ods: String,
        /// The personal email given at registration.
        #[arg(long)]
        email: String,
        /// Create it even though a likely match exists (you have checked it is someone else).
        #[arg(long)]
        not_duplicate: bool,
    },
    /// Show an account: status, next lifecycle step, mailboxes and tickets.
    Show { address: String },
    /// Search by name ("smith", "jo smith", "smith, jo"), address, mobile or ODS code.
    Find {
        query: String,
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// The directory reports a login.
    Login { address: String },
    /// The directory reports a password change.
    PasswordChanged { address: String },
    /// The directory reports the account locked.
    Locked { address: String },
    /// Unlock a locked account.
    Unlock {
        address: String,
        #[arg(long)]
        ticket: Option<TicketRef>,
    },
    /// Issue a temporary password by text message, after verifying the caller.
    ResetPassword {
        address: String,
        /// security-questions, mobile, or owner:ADDRESS (the organisation's shared mailbox owner).
        #[arg(long)]
        verified_by: String,
        /// With owner verification: the mobile number the owner confirmed.
        #[arg(long)]
        mobile: Option<String>,
        #[arg(long)]
        ticket: Option<TicketRef>,
    },
    /// Mark as leaving: deleted in 30 days unless taken as a joiner.
    Leaver {
        address: String,
        /// Required when the account owns a shared mailbox.
        #[arg(long)]
        new_owner: Option<String>,
        #[arg(long)]
        ticket: Option<TicketRef>,
    },
    /// Move to a new organisation (also un-marks a leaver).
    Joiner {
        address: String,
        #[arg(long)]
        ods: String,
        /// Add to this shared mailbox of the new organisation (repeatable).
        #[arg(long = "mailbox")]
        mailboxes: Vec<String>,
        #[arg(long)]
        ticket: Option<TicketRef>,
    },
    /// Hide the mobile number from the NHS Directory.
    HideMobile {
        address: String,
        #[arg(long)]
        ticket: Option<TicketRef>,
    },
    /// Show the mobile number in the NHS Directory again.
    ShowMobile {
        address: String,
        #[arg(long)]
        ticket: Option<TicketRef>,
    },
    /// Change who administers the account: nas, or a sponsoring organisation's ODS code.
    Transfer {
        address: String,
        #[arg(long)]
        to: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum MailboxCmd {
    /// Create a shared mailbox with its owner (or record a legacy sponsored one).
    New {
        address: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        ods: String,
        #[arg(long)]
        owner: String,
        /// Record a legacy mailbox sponsored by this organisation.
        #[arg(long)]
        sponsored_by: Option<String>,
    },
    /// Give an account access to the mailbox.
    AddMember {
        mailbox: String,
        account: String,
        /// Why a member from another organisation is added (required then; recorded with the change).
        #[arg(long)]
        reason: Option<String>,
    },
    /// Take an account's access to the mailbox away.
    RemoveMember { mailbox: String, account: String },
    /// Name a new owner.
    Owner { mailbox: String, account: String },
    /// Show a mailbox: owner, flags and members.
    Show { mailbox: String },
    /// Search by address, name or ODS code.
    Find {
        query: String,
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// The directory reports the mailbox was opened.
    Accessed { mailbox: String },
}

#[derive(Debug, Args)]
pub struct NewTicketArgs {
    #[arg(long)]
    pub category: Category,
    #[arg(long)]
    pub channel: Channel,
    /// When the request arrived (default: now).
    #[arg(long, value_name = "RFC3339")]
    pub received: Option<String>,
    #[arg(long)]
    pub requester_name: String,
    #[arg(long)]
    pub requester_email: Option<String>,
    #[arg(long)]
    pub requester_phone: Option<String>,
    #[arg(long)]
    pub ods: Option<String>,
    #[arg(long)]
    pub account: Option<String>,
    #[arg(long)]
    pub mailbox: Option<String>,
    /// The shared mailbox named by the requester (for a missing personal account).
    #[arg(long)]
    pub mailbox_name: Option<String>,
    #[arg(long)]
    pub subject: String,
    /// Read the body from this file ("-" for standard input).
    #[arg(long)]
    pub body_file: Option<PathBuf>,
    /// Log it although details are missing: it waits on the requester.
    #[arg(long)]
    pub incomplete: bool,
}

#[derive(Debug, Subcommand)]
pub enum TicketCmd {
    /// Log a request; it is routed by the time it arrived and its category.
    New(Box<NewTicketArgs>),
    /// Tickets by due time.
    List {
        /// nas, helpdesk, resolver, mine or all.
        #[arg(long, default_value = "all")]
        queue: QueueView,
        /// A status, open (default), done or all.
        #[arg(long, default_value = "open")]
        status: StatusFilter,
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// Show a ticket with its timeline.
    Show { reference: TicketRef },
    /// Take the ticket for yourself.
    Claim { reference: TicketRef },
    /// Give the ticket to an operator, or to nobody.
    Assign {
        reference: TicketRef,
        /// The operator to assign to; omit with --unassign.
        operator: Option<String>,
        #[arg(long, conflicts_with = "operator")]
        unassign: bool,
    },
    /// Change the ticket's status.
    Status { reference: TicketRef, status: TicketStatus },
    /// An internal note, seen by operators only.
    Note { reference: TicketRef, text: String },
    /// Record a reply sent to the requester.
    Reply { reference: TicketRef, text: String },
    /// Link the ticket to an account or a shared mailbox.
    Link {
        reference: TicketRef,
        #[arg(long)]
        account: Option<String>,
        #[arg(long)]
        mailbox: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum OperatorCmd {
    /// Make an operating-system user an operator.
    Add {
        user: String,
        #[arg(long)]
        role: Role,
    },
    /// List the operators with their roles.
    List,
    /// Change an operator's role.
    Role { user: String, role: Role },
    /// Stop an operator from using caredesk.
    Disable { user: String },
    /// Let a disabled operator use caredesk again.
    Enable { user: String },
}

#[derive(Debug, Subcommand)]
pub enum PolicyCmd {
    /// Show the service targets and the SMS gateway.
    Show,
    /// Service targets: working minutes for the NAS and resolver group, wall-clock minutes for the helpdesk.
    Targets {
        #[arg(long)]
        nas: Option<u32>,
        #[arg(long)]
        helpdesk: Option<u32>,
        #[arg(long)]
        resolver: Option<u32>,
    },
    /// The program that sends text messages (mobile as $1, text on stdin); --none to keep them in the outbox only.
    SmsCommand {
        command: Option<String>,
        #[arg(long, conflicts_with = "command")]
        none: bool,
        /// Seconds the command may run before it is stopped (default 10, at most 30).
        #[arg(long, value_name = "SECONDS", requires = "command")]
        time_limit: Option<u32>,
    },
    /// Import a newer bank-holidays.json (GOV.UK format).
    Calendar {
        file: PathBuf,
        /// Import it even if it drops coming holidays, covers under five years or has implausibly many.
        #[arg(long)]
        force: bool,
    },
}
