//! The command line: turns arguments into service commands and queries and
//! prints what comes back. No rule of the domain lives here.

mod anchor;
pub mod args;
mod backup;
mod bulk;
mod check;
mod compaction;
mod doctor;
mod identity;
mod logfile;
mod mail;
mod mail_read;
mod manual;
mod print;
mod read_out;

use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, anyhow, bail};
use chrono::{DateTime, Utc};

pub use args::Cli;
use args::{
    AccountCmd, BulkCmd, BulkTargetArgs, Cmd, MailboxCmd, OperatorCmd, OrgCmd, PolicyCmd, ReportCmd, TextCmd,
    TicketCmd, ViewCmd,
};
pub use identity::{default_db, default_demo_db, log_file, os_user, todays_log_file};
pub use logfile::DailyLog;
pub use manual::generated;

use crate::config::Config;
use crate::daemon::{Client, Connection, RemoteDesk};
use crate::desk::{Clock, Desk, DeskExt, LocalDesk};
use crate::service::ops::*;
use crate::service::{Ctx, Registered, Service, ServiceError, Verification};
use crate::store::OpenMode;
use print::Printed;

/// A change that was made and audited, but whose text message (a temporary
/// password) did not go: the operator has to issue it again.
#[derive(Debug, thiserror::Error)]
#[error("the text message was NOT sent (outbox #{outbox}): {reason}")]
pub struct NotSent {
    outbox: u64,
    reason: String,
}

fn not_sent(outbox: u64, delivery: &crate::domain::sms::Delivery) -> Result<()> {
    match delivery {
        crate::domain::sms::Delivery::Failed { reason } => Err(NotSent { outbox, reason: reason.clone() }.into()),
        _ => Ok(()),
    }
}

/// How the process ends, for scripts: 0 done, 1 refused or invalid input,
/// 2 usage (clap), 3 the database could not be used, 4 done but the text
/// message with the temporary password was not sent, 5 checked but the
/// number a caller read out is not their registered mobile.
pub fn exit_code(error: &anyhow::Error) -> i32 {
    if error.downcast_ref::<NotSent>().is_some() {
        return 4;
    }
    if error.downcast_ref::<read_out::NoMatch>().is_some() {
        return 5;
    }
    let unavailable = match error.downcast_ref::<ServiceError>() {
        Some(e) => e.is_unavailable(),
        None => error.downcast_ref::<crate::store::StoreError>().is_some_and(crate::store::StoreError::is_unavailable),
    };
    if unavailable { 3 } else { 1 }
}

/// The command-line way to do what a refusal asks for, when there is one:
/// the service's words are the same for the console and the command line,
/// so the flags are added here.
pub fn hint(error: &anyhow::Error) -> Option<String> {
    use crate::domain::refusal::Refusal;
    let refusal = match error.downcast_ref::<ServiceError>()? {
        ServiceError::Refused(refusal) => refusal,
        ServiceError::RehearsalNotAllowed => return Some("run the command without --now".to_owned()),
        ServiceError::NotFound { what, .. } => {
            return Some(
                match what.as_ref() {
                    "account" => "`caredesk account find TEXT`",
                    "shared mailbox" => "`caredesk mailbox find TEXT`",
                    "ticket" => "`caredesk ticket list`",
                    "organisation" => "`caredesk org add ODS …`",
                    "operator" => "`caredesk operator list`",
                    _ => return None,
                }
                .to_owned(),
            );
        }
        _ => return None,
    };
    Some(match refusal {
        Refusal::CrossOrganisationMember { .. } => "give the reason with --reason TEXT".to_owned(),
        Refusal::PossibleDuplicates { .. } => "repeat with --not-duplicate if so".to_owned(),
        Refusal::ImplausibleCalendar { .. } => "repeat with --force if the file is right".to_owned(),
        Refusal::OwnerHandoverNeeded { .. } => "give it with --new-owner ADDRESS".to_owned(),
        Refusal::TicketClosed { reference, .. } => format!("`caredesk ticket status {reference} in-progress`"),
        Refusal::MissingDetails { .. } => "--ods, --mailbox-name, or --incomplete to log it anyway".to_owned(),
        _ => return None,
    })
}

fn clock(cli: &Cli) -> Result<Option<DateTime<Utc>>> {
    match &cli.now {
        None => Ok(None),
        Some(text) => DateTime::parse_from_rfc3339(text)
            .map(|t| Some(t.to_utc()))
            .map_err(|_| anyhow!("--now {text:?} is not an RFC 3339 time: give it like 2026-12-24T17:30:00Z")),
    }
}

/// Opens the database with the configured page cache, and the SMS command
/// the config file names, if it names one, in place of the policy's.
fn open_service(db: &Path, mode: OpenMode, config: &Config) -> Result<Service> {
    let store =
        crate::store::Store::open_with_cache(db, mode, config.cache_mb.value << 20).map_err(ServiceError::from)?;
    let mut service = Service::with_store(store)?;
    if let Some(command) = &config.sms_command {
        service.set_gateway(Box::new(crate::service::CommandGateway {
            program: command.value.clone(),
            limit: std::time::Duration::from_secs(config.sms_timeout_secs.value),
            credentials: config.sms_credentials.as_ref().map(|c| c.value.clone()),
        }));
    }
    Ok(service)
}

/// The error is the operating system refusing this user the database.
fn is_permission(error: &anyhow::Error) -> bool {
    match error.downcast_ref::<ServiceError>() {
        Some(ServiceError::Store(e)) => e.is_permission_denied(),
        _ => false,
    }
}

/// Where this invocation's commands go.
enum Backend {
    /// This process owns the database.
    Local(Arc<Service>),
    /// `caredesk serve` owns it, and answers on its socket.
    Daemon(Arc<Client>, PathBuf),
}

impl Backend {
    /// The daemon when one answers at `socket`, else the database at `db`
    /// opened here.
    fn reach(db: &Path, socket: &Path, mode: OpenMode, config: &Config) -> Result<Backend> {
        match Client::connect(socket)? {
            Connection::Served(client) => {
                tracing::info!(socket = %socket.display(), operator = client.operator(), "using the daemon");
                Ok(Backend::Daemon(Arc::new(client), socket.to_owned()))
            }
            Connection::NoDaemon => match open_service(db, mode, config) {
                Ok(service) => Ok(Backend::Local(Arc::new(service))),
                // Where a daemon has served (its socket directory is there)
                // or operators may not open the database themselves, the
                // daemon not running is the news.
                Err(e) if is_permission(&e) || socket.parent().is_some_and(Path::exists) => Err(e.context(format!(
                    "no caredesk daemon answers at {}, and the database could not be opened here instead; where \
                     operators work through the daemon, ask an administrator to start it (`systemctl start caredesk`)",
                    socket.display()
                ))),
                Err(e) => Err(e),
            },
        }
    }

    fn desk(&self, clock: Clock) -> Result<Box<dyn Desk + Sync>> {
        Ok(match self {
            Backend::Local(service) => Box::new(LocalDesk::new(Arc::clone(service), os_user()?, clock)),
            Backend::Daemon(client, socket) => {
                Box::new(RemoteDesk::new(Arc::clone(client), clock).reconnecting(socket.clone()))
            }
        })
    }
}

/// Runs one invocation.
pub fn run(cli: Cli, config: &Config) -> Result<()> {
    let (db, socket) = (config.db.value.clone(), config.socket.value.clone());
    let rehearsal = clock(&cli)?;
    // A command acts at one instant: the real one, or the rehearsal's.
    let clock = rehearsal.map_or(Clock::System, Clock::RehearsalAt);
    let json = cli.json;
    let on_terminal = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    let Some(command) = cli.command else {
        if on_terminal && !json {
            return console(&db, &socket, rehearsal, config);
        }
        let desk = Backend::reach(&db, &socket, OpenMode::Existing, config)?.desk(clock)?;
        return show(desk.as_ref(), ShowShift {}, json);
    };
    match command {
        Cmd::Init => {
            let desk = Backend::reach(&db, &socket, OpenMode::CreateIfMissing, config)?.desk(clock)?;
            show(desk.as_ref(), Init, json)?;
            // The texts the service ships with; --json prints only the operator.
            let seeded = desk.call(SeedTexts {})?;
            if !json {
                println!("{}", seeded.summary);
                println!("database ready at {}", db.display());
            }
            Ok(())
        }
        Cmd::Demo { scale } => {
            if let Connection::Served(_) = Client::connect(&socket)? {
                bail!(
                    "a caredesk daemon serves {}: stop it before rebuilding the demo, or give another --db",
                    db.display()
                );
            }
            bulk::demo(&db, &ctx(clock)?, &scale, &config.cache_mb, json)?;
            if on_terminal && !json { console(&db, &socket, rehearsal, config) } else { Ok(()) }
        }
        Cmd::Import { kind, file, skip_bad } => match Backend::reach(&db, &socket, OpenMode::Existing, config)? {
            Backend::Local(service) => bulk::import(&service, &ctx(clock)?, &kind, &file, skip_bad, json),
            Backend::Daemon(client, _) => {
                bulk::import_through(&client, clock.rehearsal_instant(), &kind, &file, skip_bad, json)
            }
        },
        Cmd::Serve {
            group,
            sweep_every,
            journal,
            maildir,
            mail_every,
            backup_every,
            backup_dir,
            backup_keep,
            compact_at,
        } => {
            let backups = match (backup_every, backup_dir) {
                (Some(every), Some(dir)) => Some(crate::daemon::backups::BackupSchedule {
                    every,
                    dir,
                    keep: usize::try_from(backup_keep).unwrap_or(usize::MAX),
                }),
                _ => None,
            };
            serve(&db, socket, group, sweep_every, journal, (maildir, mail_every, backups, compact_at.0), config)
        }
        Cmd::Restore { file } => backup::restore(&file, &db, json),
        Cmd::Check { anchor } => check::check(&db, anchor.as_deref()),
        Cmd::Compact => {
            if let Connection::Served(_) = Client::connect(&socket)? {
                bail!(
                    "a caredesk daemon serves {}: it compacts the database itself at `serve --compact-at` (03:30 \
                     unless set) when a deletion has erased data, and as it starts; to compact now, restart it \
                     (`systemctl restart caredesk`)",
                    db.display()
                );
            }
            check::compact(&db, json)
        }
        Cmd::Salvage { from, to } => check::salvage(&from, &to),
        Cmd::Mail(m) => mail::run(m, &db, &socket, clock, json, config),
        Cmd::Config(args::ConfigCmd::Show) => {
            print!("{}", config.describe());
            Ok(())
        }
        Cmd::Doctor => doctor::run(config, clock),
        Cmd::Migrate => {
            if let Connection::Served(_) = Client::connect(&socket)? {
                bail!("a caredesk daemon serves {}, and brought it up to date as it opened it", db.display());
            }
            bulk::migrate(&db, json)
        }
        Cmd::Completions { .. } | Cmd::Man => generated(&command),
        other => {
            // Arguments are checked before the daemon or the database is reached.
            let entry = Entry::from_args(other)?;
            let desk = Backend::reach(&db, &socket, OpenMode::Existing, config)?.desk(clock)?;
            entry.run(desk.as_ref(), json)
        }
    }
}

/// Who acts, and when, for the commands that only run in this process.
fn ctx(clock: Clock) -> Result<Ctx> {
    let operator = os_user()?;
    Ok(match clock.rehearsal_instant() {
        Some(now) => Ctx::rehearsal(operator, now),
        None => Ctx::new(operator, clock.now()),
    })
}

/// Opens the console for the operating-system user, through the daemon
/// when one serves `db`, on the real clock or, for a supervisor's
/// rehearsal, from the `--now` instant.
fn console(db: &Path, socket: &Path, rehearsal: Option<DateTime<Utc>>, config: &Config) -> Result<()> {
    use crate::console::{App, Courier, KeyMap, Theme};
    let keymap = match keymap_file() {
        Some(path) => KeyMap::load(&path).context("the keymap file has a mistake: fix the line or remove the file")?,
        None => KeyMap::default(),
    };
    let backend = Backend::reach(db, socket, OpenMode::Existing, config)?;
    let courier = Courier::new(backend.desk(rehearsal.map_or(Clock::System, Clock::rehearsal_from))?);
    let waiting = courier.waiting();
    let app = App::new(Box::new(courier), keymap, Theme::from_env())?;
    match backend {
        Backend::Local(_) => tracing::info!(db = %db.display(), "console opened on the database"),
        Backend::Daemon(..) => tracing::info!(socket = %socket.display(), "console opened through the daemon"),
    }
    crate::console::run(app, waiting)
}

/// `caredesk serve`: owns the database until SIGTERM (or SIGINT), then
/// finishes the requests in progress, flushes and removes its socket.
fn serve(
    db: &Path,
    socket: PathBuf,
    group: Option<String>,
    sweep_every: u64,
    journal: bool,
    (maildir, mail_every, backups, compact_at): (
        Option<PathBuf>,
        u64,
        Option<crate::daemon::backups::BackupSchedule>,
        Option<chrono::NaiveTime>,
    ),
    config: &Config,
) -> Result<()> {
    use crate::daemon::{Daemon, Options, Schedule, notify};
    use signal_hook::consts::{SIGINT, SIGTERM};
    check::compact_if_erased(db)?;
    let service = match open_service(db, OpenMode::Existing, config) {
        Err(e) if exit_code(&e) == 3 && matches!(Client::connect(&socket), Ok(Connection::Served(_))) => {
            bail!("a caredesk daemon already serves {} on {}", db.display(), socket.display())
        }
        other => other?,
    };
    let user = os_user()?;
    if let Err(e) = service.operator(&user) {
        tracing::warn!("the daemon runs as {user}: {e}; scheduled sweeps will be refused until it is a supervisor");
    }
    let sweep = (sweep_every > 0)
        .then(|| Schedule { every: std::time::Duration::from_secs(sweep_every * 60), operator: user.clone() });
    let options = Options { socket: socket.clone(), group, sweep };
    let service = Arc::new(service);
    if mail_every > 0 {
        let every = std::time::Duration::from_secs(mail_every);
        crate::mail::worker::spawn(
            service.clone(),
            crate::mail::worker::MailWork { operator: user.clone(), maildir, every },
        )?;
    }
    let status = Arc::new(notify::StatusLine::default());
    let service_for_compaction = Arc::clone(&service);
    let mut daemon = Daemon::bind(service, &options)?.on_event(move |e| notify::status(&status.apply(&e)));
    if let Some(schedule) = backups {
        std::fs::create_dir_all(&schedule.dir)
            .with_context(|| format!("could not make the backup folder {}", schedule.dir.display()))?;
        daemon = daemon.with_backups(schedule);
    }
    let stop = daemon.stop_handle();
    let restart = compact_at.map(|at| compaction::watch(Arc::clone(&service_for_compaction), at, daemon.stop_handle()));
    let mut signals = signal_hook::iterator::Signals::new([SIGTERM, SIGINT])?;
    std::thread::Builder::new().name("caredesk-signals".into()).spawn(move || {
        if let Some(signal) = signals.forever().next() {
            tracing::info!(signal, "told to stop");
            notify::stopping();
            stop.stop();
        }
    })?;
    let log =
        if journal { "the journal".to_owned() } else { format!("{}.YYYY-MM-DD", config.log_file.value.display()) };
    eprintln!("caredesk: serving {} on {} as {user} (log: {log}); stop with SIGTERM", db.display(), socket.display());
    notify::ready(&notify::describe(0, None));
    daemon.run()?;
    if restart.is_some_and(|r| r.is_due()) {
        return compaction::restart(&service_for_compaction);
    }
    eprintln!("caredesk: stopped; every change is on disk");
    Ok(())
}

/// The user's keymap file: `CAREDESK_KEYS`, else `keys.conf` in the user's
/// caredesk config directory.
fn keymap_file() -> Option<PathBuf> {
    match std::env::var_os("CAREDESK_KEYS") {
        Some(path) if !path.is_empty() => Some(PathBuf::from(path)),
        _ => dirs::config_dir().map(|d| d.join("caredesk").join("keys.conf")),
    }
}

/// Runs one operation and prints its answer.
fn show<O: Registered>(desk: &dyn Desk, op: O, json: bool) -> Result<()>
where
    O::Answer: Printed,
{
    print::print(&desk.call(op)?, json)
}

/// Sends an operation through a desk and prints its answer, as JSON or not.
type Send = Box<dyn FnOnce(&dyn Desk, bool) -> Result<()>>;

/// One command line's operation, checked and ready to send.
struct Entry(Send);

impl Entry {
    fn of<O: Registered>(op: O) -> Entry
    where
        O::Answer: Printed,
    {
        Entry(Box::new(move |desk, json| show(desk, op, json)))
    }

    fn run(self, desk: &dyn Desk, json: bool) -> Result<()> {
        (self.0)(desk, json)
    }

    /// The operation each subcommand stands for.
    fn from_args(cmd: Cmd) -> Result<Entry> {
        Ok(match cmd {
            Cmd::Status => Entry::of(ShowShift {}),
            Cmd::Sweep { dry_run } => Entry::of(Sweep { dry_run }),
            Cmd::Audit { verify: true, anchor, .. } => anchor::verify(anchor)?,
            Cmd::Audit { limit, before, .. } => Entry::of(ListAudit { before, limit }),
            Cmd::Outbox { limit } => Entry::of(ListOutbox { limit }),
            Cmd::Backup { file } => backup::backup(&file)?,
            Cmd::Undo { batch } => Entry::of(Undo { batch }),
            Cmd::Text(t) => Entry::text(t)?,
            Cmd::View(v) => match v {
                ViewCmd::Save { name, filter, queue, shared } => Entry::of(SaveView { name, queue, filter, shared }),
                ViewCmd::Remove { name, shared } => Entry::of(RemoveView { name, shared }),
                ViewCmd::List => Entry::of(ListViews {}),
            },
            Cmd::Report { what: None, csv } => Entry(Box::new(move |desk, json| {
                let figures = desk.call(ShowDashboard {})?;
                if csv {
                    print!("{}", print::dashboard_csv(&figures))
                } else {
                    print::print(&figures, json)?
                }
                Ok(())
            })),
            Cmd::Report { what: Some(ReportCmd::Breaches { from, to }), csv } => {
                let (from, to) = (instant(&from, "--from")?, instant(&to, "--to")?);
                Entry(Box::new(move |desk, json| {
                    let breaches = desk.call(ListBreaches { from, to })?;
                    if csv {
                        print!("{}", print::breaches_csv(&breaches))
                    } else {
                        print::print(&breaches, json)?
                    }
                    Ok(())
                }))
            }
            Cmd::Org(org) => match org {
                OrgCmd::Add { ods, name, ig, administered_by } => {
                    Entry::of(AddOrganisation { ods, name, ig, administered_by })
                }
                OrgCmd::Show { ods } => Entry::of(ShowOrganisation { ods }),
                OrgCmd::Ig { ods, status } => Entry::of(SetIgStatus { ods, ig: status }),
                OrgCmd::Close { ods } => Entry::of(CloseOrganisation { ods }),
            },
            Cmd::Account(a) => Entry::account(a)?,
            Cmd::Mailbox(m) => match m {
                MailboxCmd::New { address, name, ods, owner, sponsored_by } => {
                    Entry::of(CreateMailbox { address, name, ods, owner, sponsored_by })
                }
                MailboxCmd::AddMember { mailbox, account, reason } => Entry::of(AddMember { mailbox, account, reason }),
                MailboxCmd::RemoveMember { mailbox, account } => Entry::of(RemoveMember { mailbox, account }),
                MailboxCmd::Owner { mailbox, account } => Entry::of(ChangeOwner { mailbox, owner: account }),
                MailboxCmd::Show { mailbox } => Entry::of(ShowMailbox { address: mailbox }),
                MailboxCmd::Find { query, limit } => Entry::of(FindMailboxes { text: query, limit }),
                MailboxCmd::Accessed { mailbox } => Entry::of(RecordMailboxAccess { mailbox }),
            },
            Cmd::Ticket(t) => Entry::ticket(t)?,
            Cmd::Operator(o) => match o {
                OperatorCmd::Add { user, role } => Entry::of(AddOperator { username: user, role }),
                OperatorCmd::List => Entry::of(ListOperators {}),
                OperatorCmd::Show { user } => Entry::of(ShowOperator { username: user }),
                OperatorCmd::Role { user, role } => Entry::of(SetOperatorRole { username: user, role }),
                OperatorCmd::Disable { user } => Entry::of(SetOperatorEnabled { username: user, enabled: false }),
                OperatorCmd::Enable { user } => Entry::of(SetOperatorEnabled { username: user, enabled: true }),
            },
            Cmd::Policy(p) => match p {
                PolicyCmd::Show => Entry(Box::new(|desk, json| {
                    // The mail settings are part of the service's policy
                    // as operators see it; they hold no secret.
                    let (policy, mail) = (desk.call(ShowPolicy {})?, desk.call(ShowMailSettings {})?);
                    if json {
                        let mut shown = print::Printed::json(&policy);
                        shown["mail"] = serde_json::to_value(&mail)?;
                        println!("{}", serde_json::to_string_pretty(&shown)?);
                    } else {
                        print::print(&policy, false)?;
                        println!("mail:\n{}", mail.describe());
                    }
                    Ok(())
                })),
                PolicyCmd::Targets { nas, helpdesk, resolver } => {
                    if nas.is_none() && helpdesk.is_none() && resolver.is_none() {
                        bail!("give at least one of --nas, --helpdesk, --resolver (minutes)");
                    }
                    Entry::of(SetTargets { nas, helpdesk, resolver })
                }
                PolicyCmd::SmsCommand { command, none, time_limit } => {
                    if command.is_none() && !none {
                        bail!("give the command, or --none to keep messages in the outbox only");
                    }
                    Entry::of(SetSmsCommand { command, time_limit })
                }
                PolicyCmd::DueSoon { minutes } => Entry::of(SetDueSoon { minutes }),
                PolicyCmd::Calendar { file, force } => Entry::of(ImportCalendar {
                    force,
                    json: std::fs::read_to_string(&file)
                        .with_context(|| format!("could not read the calendar file {}", file.display()))?,
                }),
            },
            Cmd::Init
            | Cmd::Demo { .. }
            | Cmd::Import { .. }
            | Cmd::Serve { .. }
            | Cmd::Config(_)
            | Cmd::Mail(_)
            | Cmd::Doctor
            | Cmd::Migrate
            | Cmd::Completions { .. }
            | Cmd::Man
            | Cmd::Restore { .. }
            | Cmd::Check { .. }
            | Cmd::Compact
            | Cmd::Salvage { .. } => {
                bail!("this command does not name one operation")
            }
        })
    }

    fn account(cmd: AccountCmd) -> Result<Entry> {
        Ok(match cmd {
            AccountCmd::New { first, last, mobile, ods, email, not_duplicate } => {
                let op = CreateAccount { first, last, mobile, ods, email, not_duplicate };
                Entry(Box::new(move |desk, json| {
                    let done = desk.call(op)?;
                    // The new address comes alone on the first line, for
                    // scripts that go on to use it.
                    if !json {
                        println!("{}", done.record.address);
                    }
                    print::print(&done, json)
                }))
            }
            AccountCmd::Show { address } => Entry::of(ShowAccount { address }),
            AccountCmd::Find { query, limit } => Entry::of(FindAccounts { text: query, limit }),
            AccountCmd::Login { address } => Entry::of(RecordLogin { address }),
            AccountCmd::PasswordChanged { address } => Entry::of(RecordPasswordChange { address }),
            AccountCmd::Locked { address } => Entry::of(RecordLock { address }),
            AccountCmd::Unlock { address, ticket } => Entry::of(Unlock { address, ticket }),
            AccountCmd::VerifyMobile { address } => read_out::verify(address),
            AccountCmd::ResetPassword { address, verified_by, mobile, ticket } => {
                let verified_by = verification(&verified_by, mobile)?;
                Entry(Box::new(move |desk, json| {
                    let verified_by = match verified_by {
                        Verification::MobileReadOut { .. } => {
                            Verification::MobileReadOut { number: read_out::read_number(&address)? }
                        }
                        other => other,
                    };
                    let done = desk.call(ResetPassword { address, verified_by, ticket })?;
                    print::print(&done, json)?;
                    not_sent(done.record.outbox, &done.record.delivery)
                }))
            }
            AccountCmd::Leaver { address, new_owner, ticket } => Entry::of(MarkLeaver { address, new_owner, ticket }),
            AccountCmd::Joiner { address, ods, mailboxes, ticket } => {
                Entry::of(Joiner { address, ods, mailboxes, ticket })
            }
            AccountCmd::HideMobile { address, ticket } => Entry::of(SetMobileHidden { address, hidden: true, ticket }),
            AccountCmd::ShowMobile { address, ticket } => Entry::of(SetMobileHidden { address, hidden: false, ticket }),
            AccountCmd::Transfer { address, to } => Entry::of(TransferAdministration { address, to: Some(to) }),
        })
    }

    fn ticket(cmd: TicketCmd) -> Result<Entry> {
        Ok(match cmd {
            TicketCmd::New(a) => Entry::of(CreateTicket {
                category: a.category,
                channel: a.channel,
                received_at: a.received,
                requester_name: a.requester_name,
                requester_email: a.requester_email,
                requester_phone: a.requester_phone,
                ods: a.ods,
                account: a.account,
                mailbox: a.mailbox,
                mailbox_name: a.mailbox_name,
                subject: a.subject,
                body: read_body(a.body_file.as_deref())?,
                incomplete: a.incomplete,
            }),
            TicketCmd::List { queue, status, limit } => Entry::of(ListTickets { view: queue, status, limit }),
            TicketCmd::Show { reference } => Entry::of(ShowTicket { reference }),
            TicketCmd::Mail { reference } => Entry::of(ListTicketMail { ticket: reference }),
            TicketCmd::Original { reference, mail, out } => {
                Entry(Box::new(move |desk, _| mail_read::original(desk, reference, mail, out.as_deref())))
            }
            TicketCmd::Attachment { reference, number, mail, out } => {
                Entry(Box::new(move |desk, _| mail_read::attachment(desk, reference, mail, number, &out)))
            }
            TicketCmd::Claim { reference } => Entry::of(Claim { reference }),
            TicketCmd::Assign { reference, operator, unassign } => {
                if operator.is_none() && !unassign {
                    bail!("name the operator to assign to, or use --unassign");
                }
                Entry::of(Assign { reference, to: operator })
            }
            TicketCmd::Status { reference, status } => Entry::of(SetStatus { reference, status }),
            TicketCmd::Note { reference, text } => Entry::of(Note { reference, text }),
            TicketCmd::Reply { reference, text } => Entry::of(Reply { reference, text }),
            TicketCmd::Link { reference, account, mailbox } => {
                if account.is_none() && mailbox.is_none() {
                    bail!("give --account ADDRESS or --mailbox ADDRESS to link");
                }
                Entry::of(Link { reference, account, mailbox })
            }
            TicketCmd::Bulk(b) => Entry::bulk(b)?,
            TicketCmd::Warnings => Entry::of(ListSlaWarnings {}),
        })
    }

    fn bulk(cmd: BulkCmd) -> Result<Entry> {
        use crate::service::BulkAction;
        let (action, targets) = match cmd {
            BulkCmd::Claim(t) => (BulkAction::Claim, t),
            BulkCmd::Close(t) => (BulkAction::Close, t),
            BulkCmd::Assign { to, unassign, targets } => {
                if to.is_none() && !unassign {
                    bail!("give --to OPERATOR, or --unassign");
                }
                (BulkAction::Assign { to }, targets)
            }
            BulkCmd::Status { status, targets } => (BulkAction::Status { status }, targets),
            BulkCmd::Note { text, targets } => (BulkAction::Note { text }, targets),
            BulkCmd::Link { account, mailbox, targets } => {
                if account.is_none() && mailbox.is_none() {
                    bail!("give --account ADDRESS or --mailbox ADDRESS to link");
                }
                (BulkAction::Link { account, mailbox }, targets)
            }
        };
        let BulkTargetArgs { references, filter, queue, dry_run } = targets;
        let targets = match filter {
            Some(filter) => crate::service::BulkTargets::Filter { view: queue, filter },
            None if references.is_empty() => bail!("name the tickets (CD-000123 …), or give --filter 'WORDS'"),
            None => crate::service::BulkTargets::Refs(references),
        };
        Ok(if dry_run {
            Entry::of(PreviewBulk { action, targets })
        } else {
            Entry::of(BulkTickets { action, targets })
        })
    }

    fn text(cmd: TextCmd) -> Result<Entry> {
        let body_of = |body: Option<String>, file: Option<PathBuf>| -> Result<Option<String>> {
            match (body, file) {
                (Some(b), _) => Ok(Some(b)),
                (None, Some(f)) => read_body(Some(&f)).map(Some),
                (None, None) => Ok(None),
            }
        };
        Ok(match cmd {
            TextCmd::Add { name, kind, body, file } => {
                let body = body_of(body, file)?.unwrap_or_default();
                Entry::of(AddText { name, kind, body })
            }
            TextCmd::Edit { name, kind, body, file } => {
                let body = body_of(body, file)?;
                if kind.is_none() && body.is_none() {
                    bail!("give --kind, --body or --file: what should change");
                }
                Entry::of(EditText { name, kind, body })
            }
            TextCmd::Remove { name } => Entry::of(RemoveText { name }),
            TextCmd::List => Entry::of(ListTexts {}),
            TextCmd::Show { name, ticket: Some(reference) } => Entry::of(RenderText { name, reference }),
            TextCmd::Show { name, ticket: None } => Entry::of(ShowText { name }),
        })
    }
}

fn instant(text: &str, flag: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.to_utc())
        .map_err(|_| anyhow!("{flag} {text:?} is not an RFC 3339 time: give it like 2026-01-05T00:00:00Z"))
}

fn verification(text: &str, mobile: Option<String>) -> Result<Verification> {
    match text.trim() {
        "security-questions" => Ok(Verification::SecurityQuestions),
        "mobile" => Ok(Verification::RegisteredMobile),
        // The number is read at the prompt when the command runs.
        "read-out" => Ok(Verification::MobileReadOut { number: String::new() }),
        other => match other.strip_prefix("owner:") {
            Some(owner) => {
                let mobile = mobile.ok_or_else(|| {
                    anyhow!("owner verification needs the mobile the owner confirmed: add --mobile 07…")
                })?;
                Ok(Verification::Owner { owner: owner.to_owned(), mobile })
            }
            None => bail!("--verified-by {other:?}: use security-questions, mobile, read-out, or owner:ADDRESS"),
        },
    }
}

fn read_body(path: Option<&Path>) -> Result<String> {
    match path {
        None => Ok(String::new()),
        Some(p) if p == Path::new("-") => {
            let mut body = String::new();
            std::io::stdin().read_to_string(&mut body).context("could not read the body from standard input")?;
            Ok(body)
        }
        Some(p) => std::fs::read_to_string(p).with_context(|| format!("could not read the body file {}", p.display())),
    }
}
