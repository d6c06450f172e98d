//! The `caredesk` binary: parses the command line, logs to a file, and turns
//! any error into one line on standard error and an exit code.

use std::sync::Mutex;

use clap::Parser;

use caredesk::cli::{self, Cli};

fn start_log(cli: &Cli) {
    let path = cli::log_file(&cli::db_path(cli));
    let Some(dir) = path.parent() else { return };
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    let Ok(file) = std::fs::OpenOptions::new().create(true).append(true).open(&path) else { return };
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
