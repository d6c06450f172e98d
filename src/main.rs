//! The `caredesk` binary: parses the command line, logs to a file, and turns
//! any error into one line on standard error and an exit code.

use std::sync::Mutex;

use clap::Parser;

use caredesk::cli::{self, Cli};

/// Opens `path` for appending, making its directory first.
fn open_log(path: &std::path::Path) -> Option<std::fs::File> {
    std::fs::create_dir_all(path.parent()?).ok()?;
    std::fs::OpenOptions::new().create(true).append(true).open(path).ok()
}

/// Logs beside the database; an operator working through the daemon may
/// not write there, so their own state directory takes it instead.
fn start_log(cli: &Cli) {
    let beside = cli::log_file(&cli::db_path(cli));
    let own = || dirs::state_dir().map(|d| d.join("caredesk").join("caredesk.log"));
    let Some(file) = open_log(&beside).or_else(|| own().and_then(|p| open_log(&p))) else { return };
    let filter = tracing_subscriber::EnvFilter::try_from_env("CAREDESK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sled=warn"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_ansi(false).with_writer(Mutex::new(file)).try_init();
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
    quiet_on_broken_pipe();
    let cli = Cli::parse();
    if matches!(cli.command, Some(cli::args::Cmd::Serve { .. })) && cli.now.is_some() {
        eprintln!(
            "caredesk: `caredesk serve` always runs on the real clock, so --now cannot be given to it: \
             rehearse with `caredesk --now RFC3339` on a console or command against a database no daemon serves"
        );
        std::process::exit(2);
    }
    start_log(&cli);
    if let Err(e) = cli::run(cli) {
        if is_broken_pipe(&e) {
            std::process::exit(BROKEN_PIPE_STATUS);
        }
        let hint = cli::hint(&e).map(|h| format!(" ({h})")).unwrap_or_default();
        eprintln!("caredesk: {e:#}{hint}");
        std::process::exit(cli::exit_code(&e));
    }
}
