//! The `caredesk` binary: parses the command line, reads the settings, sets
//! up the log, and turns any error into one line on standard error and an
//! exit code.

use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory, FromArgMatches};

use caredesk::cli::{self, Cli, DailyLog, args::Cmd};
use caredesk::config::{self, Config, Given, Origin, Setting, Sources};

/// sled keeps every key and value it holds as small heap blocks, freed and
/// made again at a great rate; glibc's malloc spent a third of a bulk
/// load's time on them (docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The database and socket as the command line gave them, and whether from
/// the flag or its environment variable: clap knows which.
fn given(cli: &Cli, matches: &ArgMatches) -> Given {
    let origin = |id: &str, flag: &'static str, env: &'static str| match matches.value_source(id) {
        Some(ValueSource::EnvVariable) => Origin::Env(env),
        _ => Origin::Flag(flag),
    };
    Given {
        db: cli.db.clone().map(|db| Setting::new(db, origin("db", "--db", "CAREDESK_DB"))),
        socket: cli.socket.clone().map(|s| Setting::new(s, origin("socket", "--socket", "CAREDESK_SOCKET"))),
        demo: matches!(cli.command, Some(Cmd::Demo { .. })),
    }
}

/// Logs to the configured file, one file a day; an operator working
/// through the daemon may not write beside the database, so their own
/// state directory takes it instead. `serve --journal` logs to the journal.
fn start_log(cli: &Cli, config: &Config) {
    let filter = tracing_subscriber::EnvFilter::new(&config.log_level.value);
    if matches!(cli.command, Some(Cmd::Serve { journal: true, .. })) {
        use tracing_subscriber::layer::SubscriberExt;
        match tracing_journald::layer() {
            Ok(journal) => {
                let subscriber =
                    tracing_subscriber::registry().with(filter).with(journal.with_syslog_identifier("caredesk".into()));
                let _ = tracing::subscriber::set_global_default(subscriber);
            }
            Err(e) => eprintln!("caredesk: --journal: the systemd journal is not reachable ({e}); logging nowhere"),
        }
        return;
    }
    let keep = config.log_keep_days.value;
    let own = || dirs::state_dir().map(|d| d.join("caredesk").join("caredesk.log"));
    let Some(log) =
        DailyLog::open(&config.log_file.value, keep).ok().or_else(|| own().and_then(|p| DailyLog::open(&p, keep).ok()))
    else {
        return;
    };
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_ansi(false).with_writer(log).try_init();
}

fn fail(e: &anyhow::Error) -> ! {
    if is_broken_pipe(e) {
        std::process::exit(BROKEN_PIPE_STATUS);
    }
    let hint = cli::hint(e).map(|h| format!(" ({h})")).unwrap_or_default();
    eprintln!("caredesk: {e:#}{hint}");
    std::process::exit(cli::exit_code(e));
}

/// The status a command ends with when its reader went away (`| head`):
/// what a shell reports for a process ended by SIGPIPE, as other tools do.
const BROKEN_PIPE_STATUS: i32 = 128 + nix::libc::SIGPIPE;

/// Whether standard output is a pipe whose reader has closed it.
fn stdout_is_broken() -> bool {
    use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
    use std::os::fd::AsFd;
    let stdout = std::io::stdout();
    let mut fds = [PollFd::new(stdout.as_fd(), PollFlags::POLLOUT)];
    poll(&mut fds, PollTimeout::ZERO).is_ok()
        && fds[0].revents().is_some_and(|r| r.intersects(PollFlags::POLLERR | PollFlags::POLLHUP))
}

/// Output cut off by its reader ends the command quietly, whichever way
/// the printing code meets it: `println!` panics on EPIPE, and a write that
/// returns its error brings it here in the chain.
fn quiet_on_broken_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if message.starts_with("failed printing to stdout") && stdout_is_broken() {
            std::process::exit(BROKEN_PIPE_STATUS);
        }
        default(info);
    }));
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe))
        && stdout_is_broken()
}

fn main() {
    caredesk::memory::small_pages_only();
    quiet_on_broken_pipe();
    // What caredesk makes (the database, its log) is for its user alone;
    // the socket's directory and the socket are opened to the group
    // explicitly.
    nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o077));
    let matches = Cli::command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    if matches!(cli.command, Some(Cmd::Serve { .. })) && cli.now.is_some() {
        eprintln!(
            "caredesk: `caredesk serve` always runs on the real clock, so --now cannot be given to it: \
             rehearse with `caredesk --now RFC3339` on a console or command against a database no daemon serves"
        );
        std::process::exit(2);
    }
    // These print what the command line is; no setting bears on them.
    if let Some(Cmd::Completions { .. } | Cmd::Man) = &cli.command {
        if let Err(e) = cli::generated(cli.command.as_ref().expect("matched")) {
            fail(&e);
        }
        return;
    }
    let config = match config::load(given(&cli, &matches), &Sources::standard()) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("caredesk: {e}");
            std::process::exit(1);
        }
    };
    start_log(&cli, &config);
    if let Err(e) = cli::run(cli, &config) {
        fail(&e);
    }
}
