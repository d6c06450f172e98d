//! The `caredesk` binary: parses the command line, logs to a file, and turns
//! any error into one line on standard error and an exit code.

use std::sync::Mutex;

use clap::Parser;

use caredesk::cli::{self, Cli};

/// Opens `path` for appending, making its directory first. The log names
/// operators and what they changed, so it is for its owner only, as the
/// database is, whatever the umask or the mode an earlier release gave it.
fn open_log(path: &std::path::Path) -> Option<std::fs::File> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    std::fs::create_dir_all(path.parent()?).ok()?;
    let file = std::fs::OpenOptions::new().create(true).append(true).mode(0o600).open(path).ok()?;
    // Not ours to change (another user's log we may append to): leave it.
    let _ = file.set_permissions(std::fs::Permissions::from_mode(0o600));
    Some(file)
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

fn main() {
    let cli = Cli::parse();
    start_log(&cli);
    if let Err(e) = cli::run(cli) {
        let hint = cli::hint(&e).map(|h| format!(" ({h})")).unwrap_or_default();
        eprintln!("caredesk: {e:#}{hint}");
        std::process::exit(cli::exit_code(&e));
    }
}
