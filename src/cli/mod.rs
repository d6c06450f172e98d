//! The command line: turns arguments into service commands and queries and
//! prints what comes back. No rule of the domain lives here.

pub mod args;
mod bulk;
mod identity;
mod mail;
mod print;

use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, anyhow, bail};
use chrono::{DateTime, Utc};

pub use args::Cli;
use args::{AccountCmd, Cmd, MailboxCmd, OperatorCmd, OrgCmd, PolicyCmd, TicketCmd};
pub use identity::{default_db, default_demo_db, log_file, os_user};

use crate::daemon::{Client, Connection, RemoteDesk, default_socket};
use crate::desk::{Clock, Desk, LocalDesk};
use crate::domain::organisation::IgStatus;
use crate::domain::routing::Queue;
use crate::domain::ticket::{TicketRef, TicketStatus};
use crate::service::{
    Command, Ctx, NewTicket, Query, QueueView, Service, ServiceError, StatusFilter, Subject, Verification,
};
use crate::store::OpenMode;

/// How the process ends, for scripts: 0 done, 1 refused or invalid input,
/// 2 usage (clap), 3 the database could not be used.
pub fn exit_code(error: &anyhow::Error) -> i32 {
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
    let Some(ServiceError::Refused(refusal)) = error.downcast_ref::<ServiceError>() else { return None };
    Some(match refusal {
        Refusal::PossibleDuplicates { .. } => "repeat with --not-duplicate if so".to_owned(),
        Refusal::OwnerHandoverNeeded { .. } => "give it with --new-owner ADDRESS".to_owned(),
        Refusal::TicketClosed { reference, .. } => format!("`caredesk ticket status {reference} in-progress`"),
        Refusal::MissingDetails { .. } => "--ods, --mailbox-name, or --incomplete to log it anyway".to_owned(),
        _ => return None,
    })
}

pub fn db_path(cli: &Cli) -> PathBuf {
    match (&cli.db, &cli.command) {
        (Some(db), _) => db.clone(),
        (None, Some(Cmd::Demo { .. })) => default_demo_db(),
        (None, _) => default_db(),
    }
}

fn clock(cli: &Cli) -> Result<Option<DateTime<Utc>>> {
    match &cli.now {
        None => Ok(None),
        Some(text) => DateTime::parse_from_rfc3339(text)
            .map(|t| Some(t.to_utc()))
            .map_err(|_| anyhow!("--now {text:?} is not an RFC 3339 time: give it like 2026-12-24T17:30:00Z")),
    }
}

/// Opens the database with the page cache `CAREDESK_CACHE_MB` asks for.
fn open_service(db: &Path, mode: OpenMode) -> Result<Service> {
    let cache = match std::env::var("CAREDESK_CACHE_MB") {
        Ok(mb) => mb.trim().parse::<u64>().ok().filter(|mb| *mb > 0).map(|mb| mb << 20).ok_or_else(|| {
            anyhow!("CAREDESK_CACHE_MB={mb:?} is not a size in megabytes: give a whole number such as 256")
        })?,
        Err(_) => crate::store::DEFAULT_CACHE_BYTES,
    };
    let store = crate::store::Store::open_with_cache(db, mode, cache).map_err(ServiceError::from)?;
    Ok(Service::with_store(store)?)
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
    fn reach(db: &Path, socket: &Path, mode: OpenMode) -> Result<Backend> {
        match Client::connect(socket)? {
            Connection::Served(client) => {
                tracing::info!(socket = %socket.display(), operator = client.operator(), "using the daemon");
                Ok(Backend::Daemon(Arc::new(client), socket.to_owned()))
            }
            Connection::NoDaemon => match open_service(db, mode) {
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

    fn desk(&self, clock: Clock) -> Result<Box<dyn Desk>> {
        Ok(match self {
            Backend::Local(service) => Box::new(LocalDesk::new(Arc::clone(service), os_user()?, clock)),
            Backend::Daemon(client, socket) => {
                Box::new(RemoteDesk::new(Arc::clone(client), clock).reconnecting(socket.clone()))
            }
        })
    }
}

/// Runs one invocation.
pub fn run(cli: Cli) -> Result<()> {
    let db = db_path(&cli);
    let socket = cli.socket.clone().unwrap_or_else(|| default_socket(&db));
    let rehearsal = clock(&cli)?;
    // A command acts at one instant: the real one, or the rehearsal's.
    let clock = rehearsal.map_or(Clock::System, Clock::RehearsalAt);
    let json = cli.json;
    let on_terminal = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    let Some(command) = cli.command else {
        if on_terminal && !json {
            return console(&db, &socket, rehearsal);
        }
        let desk = Backend::reach(&db, &socket, OpenMode::Existing)?.desk(clock)?;
        return print::reply(&desk.query(&Query::Shift)?, json);
    };
    match command {
        Cmd::Init => {
            let desk = Backend::reach(&db, &socket, OpenMode::CreateIfMissing)?.desk(clock)?;
            let outcome = desk.execute(&Command::Init)?;
            print::outcome(&outcome, json)?;
            if !json {
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
            bulk::demo(&db, &ctx(clock)?, &scale, json)?;
            if on_terminal && !json { console(&db, &socket, rehearsal) } else { Ok(()) }
        }
        Cmd::Import { kind, file, skip_bad } => match Backend::reach(&db, &socket, OpenMode::Existing)? {
            Backend::Local(service) => bulk::import(&service, &ctx(clock)?, &kind, &file, skip_bad, json),
            Backend::Daemon(client, _) => {
                bulk::import_through(&client, clock.rehearsal_instant(), &kind, &file, skip_bad, json)
            }
        },
        Cmd::Serve { group, sweep_every, maildir, mail_every } => {
            serve(&db, socket, group, sweep_every, (maildir, mail_every))
        }
        Cmd::Mail(m) => mail::run(m, &db, &socket, clock, json),
        other => {
            let request = to_request(other)?;
            let desk = Backend::reach(&db, &socket, OpenMode::Existing)?.desk(clock)?;
            match request {
                Request::Command(c) => {
                    let outcome = desk.execute(&c)?;
                    // `account new` prints the new address alone on its first
                    // line, for scripts that go on to use it.
                    if let (Command::CreateAccount { .. }, Subject::Account(a), false) = (&*c, &outcome.subject, json) {
                        println!("{}", a.address);
                    }
                    print::outcome(&outcome, json)
                }
                Request::Query(q) => print::reply(&desk.query(&q)?, json),
            }
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
fn console(db: &Path, socket: &Path, rehearsal: Option<DateTime<Utc>>) -> Result<()> {
    use crate::console::{App, KeyMap, Theme};
    let keymap = match keymap_file() {
        Some(path) => KeyMap::load(&path).context("the keymap file has a mistake: fix the line or remove the file")?,
        None => KeyMap::default(),
    };
    let backend = Backend::reach(db, socket, OpenMode::Existing)?;
    let desk = backend.desk(rehearsal.map_or(Clock::System, Clock::rehearsal_from))?;
    let app = App::new(desk, keymap, Theme::from_env())?;
    match backend {
        Backend::Local(_) => tracing::info!(db = %db.display(), "console opened on the database"),
        Backend::Daemon(..) => tracing::info!(socket = %socket.display(), "console opened through the daemon"),
    }
    crate::console::run(app)
}

/// `caredesk serve`: owns the database until SIGTERM (or SIGINT), then
/// finishes the requests in progress, flushes and removes its socket.
fn serve(
    db: &Path,
    socket: PathBuf,
    group: Option<String>,
    sweep_every: u64,
    (maildir, mail_every): (Option<PathBuf>, u64),
) -> Result<()> {
    use crate::daemon::{Daemon, Options, Schedule};
    use signal_hook::consts::{SIGINT, SIGTERM};
    let service = match open_service(db, OpenMode::Existing) {
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
    let daemon = Daemon::bind(service, &options)?;
    let stop = daemon.stop_handle();
    let mut signals = signal_hook::iterator::Signals::new([SIGTERM, SIGINT])?;
    std::thread::Builder::new().name("caredesk-signals".into()).spawn(move || {
        if let Some(signal) = signals.forever().next() {
            tracing::info!(signal, "told to stop");
            stop.stop();
        }
    })?;
    eprintln!(
        "caredesk: serving {} on {} as {user} (log: {}); stop with SIGTERM",
        db.display(),
        socket.display(),
        log_file(db).display()
    );
    daemon.run()?;
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

enum Request {
    Command(Box<Command>),
    Query(Query),
}

fn ticket_ref(text: &str) -> Result<TicketRef> {
    Ok(text.parse::<TicketRef>()?)
}

fn opt_ticket(text: Option<String>) -> Result<Option<TicketRef>> {
    text.as_deref().map(ticket_ref).transpose()
}

fn ig_status(text: &str) -> Result<IgStatus> {
    IgStatus::parse(text).ok_or_else(|| {
        let known = IgStatus::ALL.map(IgStatus::slug).join(", ");
        anyhow!("unknown IG status {text:?}: use yes, no, or one of {known}")
    })
}

fn verification(text: &str, mobile: Option<String>) -> Result<Verification> {
    match text.trim() {
        "security-questions" => Ok(Verification::SecurityQuestions),
        "mobile" => Ok(Verification::RegisteredMobile),
        other => match other.strip_prefix("owner:") {
            Some(owner) => {
                let mobile = mobile.ok_or_else(|| {
                    anyhow!("owner verification needs the mobile the owner confirmed: add --mobile 07…")
                })?;
                Ok(Verification::Owner { owner: owner.to_owned(), mobile })
            }
            None => bail!("--verified-by {other:?}: use security-questions, mobile, or owner:ADDRESS"),
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

fn to_request(cmd: Cmd) -> Result<Request> {
    use Request::Query as Q;
    let change = |command: Command| Request::Command(Box::new(command));
    Ok(match cmd {
        Cmd::Status => Q(Query::Shift),
        Cmd::Sweep { dry_run } => change(Command::Sweep { dry_run }),
        Cmd::Audit { verify: true, .. } => Q(Query::VerifyAudit),
        Cmd::Audit { limit, before, .. } => Q(Query::Audit { before, limit }),
        Cmd::Outbox { limit } => Q(Query::Outbox { limit }),
        Cmd::Org(org) => match org {
            OrgCmd::Add { ods, name, ig, administered_by } => {
                change(Command::AddOrganisation { ods, name, ig: ig_status(&ig)?, administered_by })
            }
            OrgCmd::Show { ods } => Q(Query::Organisation { ods }),
            OrgCmd::Ig { ods, status } => change(Command::SetIgStatus { ods, ig: ig_status(&status)? }),
            OrgCmd::Close { ods } => change(Command::CloseOrganisation { ods }),
        },
        Cmd::Account(a) => match a {
            AccountCmd::New { first, last, mobile, ods, email, not_duplicate } => {
                change(Command::CreateAccount { first, last, mobile, ods, email, not_duplicate })
            }
            AccountCmd::Show { address } => Q(Query::Account { address }),
            AccountCmd::Find { query, limit } => Q(Query::FindAccounts { text: query, limit }),
            AccountCmd::Login { address } => change(Command::RecordLogin { address }),
            AccountCmd::PasswordChanged { address } => change(Command::RecordPasswordChange { address }),
            AccountCmd::Locked { address } => change(Command::RecordLock { address }),
            AccountCmd::Unlock { address, ticket } => change(Command::Unlock { address, ticket: opt_ticket(ticket)? }),
            AccountCmd::ResetPassword { address, verified_by, mobile, ticket } => change(Command::ResetPassword {
                address,
                verified_by: verification(&verified_by, mobile)?,
                ticket: opt_ticket(ticket)?,
            }),
            AccountCmd::Leaver { address, new_owner, ticket } => {
                change(Command::MarkLeaver { address, new_owner, ticket: opt_ticket(ticket)? })
            }
            AccountCmd::Joiner { address, ods, mailboxes, ticket } => {
                change(Command::Joiner { address, ods, mailboxes, ticket: opt_ticket(ticket)? })
            }
            AccountCmd::HideMobile { address, ticket } => {
                change(Command::SetMobileHidden { address, hidden: true, ticket: opt_ticket(ticket)? })
            }
            AccountCmd::ShowMobile { address, ticket } => {
                change(Command::SetMobileHidden { address, hidden: false, ticket: opt_ticket(ticket)? })
            }
            AccountCmd::Transfer { address, to } => change(Command::TransferAdministration { address, to: Some(to) }),
        },
        Cmd::Mailbox(m) => match m {
            MailboxCmd::New { address, name, ods, owner, sponsored_by } => {
                change(Command::CreateMailbox { address, name, ods, owner, sponsored_by })
            }
            MailboxCmd::AddMember { mailbox, account } => change(Command::AddMember { mailbox, account }),
            MailboxCmd::RemoveMember { mailbox, account } => change(Command::RemoveMember { mailbox, account }),
            MailboxCmd::Owner { mailbox, account } => change(Command::ChangeOwner { mailbox, owner: account }),
            MailboxCmd::Show { mailbox } => Q(Query::Mailbox { address: mailbox }),
            MailboxCmd::Find { query, limit } => Q(Query::FindMailboxes { text: query, limit }),
            MailboxCmd::Accessed { mailbox } => change(Command::RecordMailboxAccess { mailbox }),
        },
        Cmd::Ticket(t) => match t {
            TicketCmd::New(a) => change(Command::CreateTicket(NewTicket {
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
            })),
            TicketCmd::List { queue, status, limit } => {
                let view = match queue.as_str() {
                    "mine" => QueueView::Mine,
                    "all" => QueueView::All,
                    q => QueueView::Queue(q.parse::<Queue>().map_err(|e| anyhow!("{e}, mine, all"))?),
                };
                let status = match status.as_str() {
                    "open" => StatusFilter::Open,
                    "done" => StatusFilter::Done,
                    "all" => StatusFilter::All,
                    s => StatusFilter::Only(s.parse::<TicketStatus>().map_err(|e| anyhow!("{e}, open, done, all"))?),
                };
                Q(Query::Tickets { view, status, limit })
            }
            TicketCmd::Show { reference } => Q(Query::Ticket { reference: ticket_ref(&reference)? }),
            TicketCmd::Claim { reference } => change(Command::Claim { reference: ticket_ref(&reference)? }),
            TicketCmd::Assign { reference, operator, unassign } => {
                if operator.is_none() && !unassign {
                    bail!("name the operator to assign to, or use --unassign");
                }
                change(Command::Assign { reference: ticket_ref(&reference)?, to: operator })
            }
            TicketCmd::Status { reference, status } => change(Command::SetStatus {
                reference: ticket_ref(&reference)?,
                status: status.parse::<TicketStatus>().map_err(|e| anyhow!("{e}"))?,
            }),
            TicketCmd::Note { reference, text } => change(Command::Note { reference: ticket_ref(&reference)?, text }),
            TicketCmd::Reply { reference, text } => change(Command::Reply { reference: ticket_ref(&reference)?, text }),
            TicketCmd::Link { reference, account, mailbox } => {
                change(Command::Link { reference: ticket_ref(&reference)?, account, mailbox })
            }
        },
        Cmd::Operator(o) => match o {
            OperatorCmd::Add { user, role } => change(Command::AddOperator { username: user, role }),
            OperatorCmd::List => Q(Query::Operators),
            OperatorCmd::Role { user, role } => change(Command::SetOperatorRole { username: user, role }),
            OperatorCmd::Disable { user } => change(Command::SetOperatorEnabled { username: user, enabled: false }),
            OperatorCmd::Enable { user } => change(Command::SetOperatorEnabled { username: user, enabled: true }),
        },
        Cmd::Policy(p) => match p {
            PolicyCmd::Show => Q(Query::Policy),
            PolicyCmd::Targets { nas, helpdesk, resolver } => {
                if nas.is_none() && helpdesk.is_none() && resolver.is_none() {
                    bail!("give at least one of --nas, --helpdesk, --resolver (minutes)");
                }
                change(Command::SetTargets { nas, helpdesk, resolver })
            }
            PolicyCmd::SmsCommand { command, none } => {
                if command.is_none() && !none {
                    bail!("give the command, or --none to keep messages in the outbox only");
                }
                change(Command::SetSmsCommand { command })
            }
            PolicyCmd::Calendar { file } => change(Command::ImportCalendar {
                json: std::fs::read_to_string(&file)
                    .with_context(|| format!("could not read the calendar file {}", file.display()))?,
            }),
        },
        Cmd::Init | Cmd::Demo { .. } | Cmd::Import { .. } | Cmd::Serve { .. } | Cmd::Mail(_) => {
            unreachable!("handled before")
        }
    })
}
