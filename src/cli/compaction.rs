//! The daemon's daily compaction: when a deletion has erased personal data,
//! sled still holds the old bytes in its files until the database is
//! rebuilt, and a daemon that runs for weeks would keep them that long. So
//! once a day, at `serve --compact-at` (UK time), a daemon whose database
//! has an erasure pending stops as it does for SIGTERM (every request in
//! progress answers, every console is told it will reconnect), holds back
//! the writers of the threads still running, and replaces itself with a
//! fresh `caredesk serve` with the same arguments, which compacts the
//! database as it starts (`check::compact_if_erased`) and serves again.
//! The process id stays the same, so systemd sees one service throughout.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context, Result};
use chrono::{NaiveDate, NaiveTime, Utc};

use crate::daemon::StopHandle;
use crate::service::Service;

/// How often the watcher looks at the clock and the database.
const CHECK_EVERY: Duration = Duration::from_secs(10);

/// `--compact-at`: a time of day, or never.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompactAt(pub Option<NaiveTime>);

/// Reads `--compact-at`: "HH:MM", or "never".
pub fn time_of_day(text: &str) -> Result<CompactAt, String> {
    if text.eq_ignore_ascii_case("never") {
        return Ok(CompactAt(None));
    }
    NaiveTime::parse_from_str(text, "%H:%M")
        .map(|t| CompactAt(Some(t)))
        .map_err(|_| format!("{text:?} is not a time of day: give it as HH:MM (UK time), e.g. 03:30, or never"))
}

/// Whether the watcher stopped the daemon to compact.
pub struct Restart(Arc<AtomicBool>);

impl Restart {
    pub fn is_due(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// Starts the watcher: once a day, at the first look at or after `at`, it
/// stops the daemon if the database has an erasure pending; if not, it
/// waits for the next day.
pub fn watch(service: Arc<Service>, at: NaiveTime, stop: StopHandle) -> Restart {
    let due = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&due);
    let spawned = std::thread::Builder::new().name("caredesk-compaction".into()).spawn(move || {
        let mut looked_on: Option<NaiveDate> = None;
        loop {
            std::thread::sleep(CHECK_EVERY);
            let now = Utc::now().with_timezone(&chrono_tz::Europe::London);
            let today = now.date_naive();
            if now.time() < at || looked_on == Some(today) {
                continue;
            }
            looked_on = Some(today);
            match service.store().erasure_pending() {
                Ok(false) => {}
                Ok(true) => {
                    tracing::info!("a deletion erased data since the last compaction: restarting to compact");
                    flag.store(true, Ordering::SeqCst);
                    stop.stop();
                    return;
                }
                Err(e) => tracing::error!("could not tell whether the database needs compacting: {e}"),
            }
        }
    });
    if let Err(e) = spawned {
        tracing::error!("the compaction watcher could not start: {e}; erased data leaves the files at the next start");
    }
    Restart(due)
}

/// Replaces this process with `caredesk serve` as it was started, once no
/// write is in progress and everything is on disk. Returns only if that
/// fails.
pub fn restart(service: &Service) -> Result<()> {
    use std::os::unix::process::CommandExt;
    let store = service.store();
    let _held = store.hold_writes();
    store.flush().context("could not flush the database before restarting to compact it")?;
    let mut args = std::env::args_os();
    let program = args.next().context("the daemon does not know how it was started")?;
    eprintln!("caredesk: restarting to compact the database (erased data leaves its files)");
    let err = std::process::Command::new(&program).args(args).exec();
    Err(err).with_context(|| {
        format!(
            "could not restart {} to compact the database: start it again (it compacts as it starts)",
            program.to_string_lossy()
        )
    })
}
