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
    /// Email: take in mail as tickets, the mail settings, and the mail outbox.
    #[command(subcommand)]
    Mail(MailCmd),
    /// Apply the lifecycle transitions that are due (inactive, deleted).
    Sweep {
        /// Show what would change without changing it.
        #[arg(long)]
        dry_run: bool,
    },
    /// Take back a bulk action (or an undo) by its batch number.
    Undo { batch: u64 },
    /// Named reply and note texts with placeholders (supervisors manage them).
    #[command(subcommand)]
    Text(TextCmd),
    /// Saved views: a queue and a filter line under a name.
    #[command(subcommand)]
    View(ViewCmd),
    /// The shift's figures (queue depth, breaches, work per operator), or a report.
    Report {
        #[command(subcommand)]
        what: Option<ReportCmd>,
        /// Comma-separated values, for a spreadsheet.
        #[arg(long, global = true)]
        csv: bool,
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
        /// With --verify: a file (kept away from the database) holding the
        /// head entry of the last verify. The log must still hold that
        /// entry, so entries cut from the end are caught even when the head
        /// was rewritten to match; on success the file gets the new head.
        #[arg(long, requires = "verify")]
        anchor: Option<PathBuf>,
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
        /// A Maildir whose new mail the daemon takes in as tickets.
        #[arg(long, value_name = "DIR")]
        maildir: Option<PathBuf>,
        /// Seconds between the daemon's mail rounds (intake and sending); 0 turns them off.
        #[arg(long, default_value_t = 15, value_name = "SECONDS")]
        mail_every: u64,
        /// Write a backup this often (as 90s, 30m, 6h or 1d) into --backup-dir.
        #[arg(long, value_name = "DURATION", requires = "backup_dir", value_parser = super::backup::duration)]
        backup_every: Option<std::time::Duration>,
        /// The folder for scheduled backups, named caredesk-YYYYMMDDTHHMMSSZ.backup (UTC).
        #[arg(long, value_name = "DIR", env = "CAREDESK_BACKUP_DIR")]
        backup_dir: Option<PathBuf>,
        /// How many scheduled backups to keep; older ones are removed.
        #[arg(long, default_value_t = 7, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
        backup_keep: u64,
        /// The UK time of day (HH:MM) at which, when a deletion has erased data since, the daemon
        /// restarts itself to compact the database so the erased bytes leave its files (consoles
        /// reconnect by themselves); "never" leaves it to the next start.
        #[arg(long, default_value = "03:30", value_name = "HH:MM", value_parser = super::compaction::time_of_day)]
        compact_at: super::compaction::CompactAt,
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
    /// Write a consistent backup of the whole database to FILE while operators keep working
    /// (through the daemon when one serves, else on the database directly; supervisors only).
    Backup {
        /// The new backup file; an existing file is never replaced.
        file: PathBuf,
    },
    /// Make a new database at --db DIR from a backup file (DIR must not exist, or be empty).
    Restore { file: PathBuf },
    /// Report damage in a database (undecodable records, index entries that disagree with
    /// their records, audit chain breaks), working on a copy so the database is not touched.
    Check {
        /// A file holding the audit head an earlier `audit --verify --anchor` kept: the log must
        /// still hold that entry, with that hash (catches entries cut from the end).
        #[arg(long, value_name = "FILE")]
        anchor: Option<PathBuf>,
    },
    /// Rebuild the database from what it holds now, so that data erased by a deletion is gone
    /// from its files too (stop the daemon first; `serve` also compacts as it starts whenever a
    /// deletion has erased data since the last compaction).
    Compact,
    /// Copy every readable record of a damaged database into a new one, rebuilding the
    /// indexes, and say exactly what was lost.
    Salvage {
        /// The damaged database directory (read only).
        #[arg(long, value_name = "DIR")]
        from: PathBuf,
        /// The new database directory (must not exist, or be empty).
        #[arg(long, value_name = "DIR")]
        to: PathBuf,
    },
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
        /// security-questions, mobile, read-out (the caller reads out their registered mobile: typed
        /// without echo, never on the command line), or owner:ADDRESS (the organisation's shared
        /// mailbox owner).
        #[arg(long)]
        verified_by: String,
        /// With owner verification: the mobile number the owner confirmed.
        #[arg(long)]
        mobile: Option<String>,
        #[arg(long)]
        ticket: Option<TicketRef>,
    },
    /// Check the number a caller reads out against the registered mobile, without showing it.
    ///
    /// The number is typed at the prompt with echo off (or given on standard input). Exit
    /// status 0 when it matches, 5 when it does not.
    VerifyMobile { address: String },
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
    /// The messages taken in by mail on the ticket, with their attachments.
    Mail { reference: TicketRef },
    /// A message as it arrived: shown safely, or the exact bytes to --out.
    Original {
        reference: TicketRef,
        /// Which message (1 = the first; see `ticket mail`).
        #[arg(long, default_value_t = 1)]
        mail: usize,
        /// Write the exact bytes to this new file (mode 0600), or `-` for a pipe.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Save an attachment kept with a message.
    Attachment {
        reference: TicketRef,
        /// Which attachment (1 = the first; see `ticket mail`).
        number: usize,
        /// Which message (1 = the first).
        #[arg(long, default_value_t = 1)]
        mail: usize,
        /// A new file to write it to (mode 0600), or `-` for a pipe.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
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
    /// One action on many tickets, as one batch that `caredesk undo` takes back.
    #[command(subcommand)]
    Bulk(BulkCmd),
    /// Open tickets due soon (the policy's threshold) or past due.
    Warnings,
}

/// Which tickets a bulk action takes: references, or a filter line.
#[derive(Debug, Args)]
pub struct BulkTargetArgs {
    /// Ticket references (CD-000123 or 123).
    pub references: Vec<TicketRef>,
    /// Every ticket this filter lists now, as in 'org:V1234 status:new cat:leaver'.
    #[arg(long, conflicts_with = "references")]
    pub filter: Option<String>,
    /// The queue the filter reads: nas, helpdesk, resolver, mine or all.
    #[arg(long, default_value = "all", requires = "filter")]
    pub queue: QueueView,
    /// Say which tickets it would take, and whether it could be undone, without doing it.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Subcommand)]
pub enum BulkCmd {
    /// Claim them all for yourself.
    Claim(BulkTargetArgs),
    /// Assign them all to an operator, or to nobody.
    Assign {
        #[arg(long, conflicts_with = "unassign")]
        to: Option<String>,
        #[arg(long)]
        unassign: bool,
        #[command(flatten)]
        targets: BulkTargetArgs,
    },
    /// Set them all to one status.
    Status {
        #[arg(long)]
        status: TicketStatus,
        #[command(flatten)]
        targets: BulkTargetArgs,
    },
    /// Add one internal note to each (a note cannot be undone).
    Note {
        #[arg(long)]
        text: String,
        #[command(flatten)]
        targets: BulkTargetArgs,
    },
    /// Link each to an account or a shared mailbox.
    Link {
        #[arg(long)]
        account: Option<String>,
        #[arg(long)]
        mailbox: Option<String>,
        #[command(flatten)]
        targets: BulkTargetArgs,
    },
    /// Close them all.
    Close(BulkTargetArgs),
}

#[derive(Debug, Subcommand)]
pub enum TextCmd {
    /// Add a text module (supervisors). Placeholders: {requester} {reference} {nas_hours} {next_opening} {operator} {missing}.
    Add {
        name: String,
        /// reply or note.
        #[arg(long, default_value = "reply")]
        kind: crate::domain::text_module::TextKind,
        /// The text; or --file.
        #[arg(long, conflicts_with = "file", required_unless_present = "file")]
        body: Option<String>,
        /// Read the text from this file ("-" for standard input).
        #[arg(long)]
        file: Option<PathBuf>,
    },
    /// Change a text module's kind or text (supervisors).
    Edit {
        name: String,
        #[arg(long)]
        kind: Option<crate::domain::text_module::TextKind>,
        #[arg(long, conflicts_with = "file")]
        body: Option<String>,
        #[arg(long)]
        file: Option<PathBuf>,
    },
    /// Remove a text module (supervisors).
    Remove { name: String },
    /// Every text module.
    List,
    /// One text module as written, or --ticket filled in for a ticket.
    Show {
        name: String,
        #[arg(long)]
        ticket: Option<TicketRef>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ViewCmd {
    /// Save a queue and filter line under a name (--shared: for everyone; supervisors).
    Save {
        name: String,
        /// The filter line, as in 'org:V1234 due:<2h -cat:leaver'.
        #[arg(long, default_value = "")]
        filter: String,
        #[arg(long, default_value = "all")]
        queue: QueueView,
        #[arg(long)]
        shared: bool,
    },
    /// Remove a saved view.
    Remove {
        name: String,
        #[arg(long)]
        shared: bool,
    },
    /// Your views and the shared ones, each with its count now.
    List,
}

#[derive(Debug, Subcommand)]
pub enum ReportCmd {
    /// Tickets due in a period that breached: resolved after their due time, or still open past it.
    Breaches {
        #[arg(long, value_name = "RFC3339")]
        from: String,
        #[arg(long, value_name = "RFC3339")]
        to: String,
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
    /// Show one operator: role, whether enabled, and since when.
    Show { user: String },
    /// Change an operator's role.
    Role { user: String, role: Role },
    /// Stop an operator from using caredesk.
    Disable { user: String },
    /// Let a disabled operator use caredesk again.
    Enable { user: String },
}

#[derive(Debug, Subcommand)]
pub enum PolicyCmd {
    /// Show the service targets, the SMS gateway and the mail settings.
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
    /// When a ticket counts as due soon: minutes before its due time (working minutes for the NAS and resolver group).
    DueSoon { minutes: u32 },
    /// Import a newer bank-holidays.json (GOV.UK format).
    Calendar {
        file: PathBuf,
        /// Import it even if it drops coming holidays, covers under five years or has implausibly many.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum MailCmd {
    /// Take in the messages waiting in a Maildir (its new/ and unseen cur/),
    /// or one message file, as tickets; each is marked seen once it is on disk.
    Import {
        /// A Maildir directory or an .eml file.
        path: PathBuf,
        /// The mailbox the mail reached: email-nas or email-helpdesk (default:
        /// by the address each message was sent to).
        #[arg(long)]
        channel: Option<Channel>,
    },
    /// Show the mail settings, or change the ones given. No password is
    /// ever stored: name the file it is read from.
    Settings(MailSettingsArgs),
    /// Outgoing mail, newest first, with where each stands.
    Outbox {
        /// Only this ticket's mail.
        #[arg(long)]
        ticket: Option<String>,
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// Queue a failed mail again.
    Retry { outbox: u64 },
    /// Hand the mail that is due to the submission server now (the daemon
    /// does this by itself every --mail-every seconds).
    Send,
}

#[derive(Debug, Args)]
pub struct MailSettingsArgs {
    /// The NAS address mail arrives at and is answered from.
    #[arg(long)]
    pub nas_address: Option<String>,
    #[arg(long)]
    pub helpdesk_address: Option<String>,
    /// The submission server's host name.
    #[arg(long)]
    pub smtp_host: Option<String>,
    #[arg(long)]
    pub smtp_port: Option<u16>,
    /// starttls (port 587), tls (port 465), or local-plain (127.0.0.1 only).
    #[arg(long, value_parser = ["starttls", "tls", "local-plain"])]
    pub smtp_security: Option<String>,
    #[arg(long)]
    pub smtp_user: Option<String>,
    /// A file holding the password, or a credential name under $CREDENTIALS_DIRECTORY.
    #[arg(long, value_name = "FILE")]
    pub smtp_password_file: Option<String>,
    /// Send nothing: keep outgoing mail in the outbox.
    #[arg(long, conflicts_with_all = ["smtp_host", "smtp_port", "smtp_security", "smtp_user", "smtp_password_file"])]
    pub no_smtp: bool,
    /// Whether new tickets from email are acknowledged: yes or no.
    #[arg(long, value_parser = ["yes", "no"])]
    pub acknowledge: Option<String>,
    /// The most automatic replies to one sender in an hour.
    #[arg(long)]
    pub auto_replies_per_hour: Option<u32>,
    /// Seconds one attempt to hand over a mail may take.
    #[arg(long)]
    pub attempt_timeout: Option<u32>,
    /// An IMAP mailbox the daemon takes mail in from, as
    /// CHANNEL,HOST,PORT,SECURITY,USER,PASSWORD_FILE[,FOLDER[,MOVE_TO]]
    /// (SECURITY: tls, starttls or local-plain); repeat for each mailbox.
    /// Replaces the mailboxes set before.
    #[arg(long, value_name = "SPEC")]
    pub imap: Vec<String>,
    /// Take in no mail over IMAP.
    #[arg(long, conflicts_with = "imap")]
    pub no_imap: bool,
}
