//! Telling systemd how the daemon is: `READY=1` once the socket is bound, so
//! `systemctl start` returns when operators can connect, and a `STATUS=`
//! line for `systemctl status`, such as "serving 12 operators, last sweep
//! 10:00", sent again whenever it changes.
//!
//! Outside systemd (no `$NOTIFY_SOCKET`) every call does nothing. Nothing
//! here may stop the daemon: a message systemd does not take is logged and
//! dropped.

use std::sync::Mutex;

use chrono::{DateTime, Utc};

/// What the daemon reports as it happens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DaemonEvent {
    /// The distinct operators connected now.
    Operators(usize),
    /// A scheduled sweep finished (or was refused) at this instant.
    Swept { at: DateTime<Utc>, ok: bool },
}

/// The status line as it stands, rebuilt from each event.
#[derive(Debug, Default)]
pub struct StatusLine {
    state: Mutex<(usize, Option<LastSweep>)>,
}

/// When the last sweep ran, and whether it was allowed to.
type LastSweep = (DateTime<Utc>, bool);

impl StatusLine {
    /// Applies `event` and returns the new line.
    pub fn apply(&self, event: &DaemonEvent) -> String {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        match event {
            DaemonEvent::Operators(n) => state.0 = *n,
            DaemonEvent::Swept { at, ok } => state.1 = Some((*at, *ok)),
        }
        describe(state.0, state.1)
    }
}

/// "serving 12 operators, last sweep 10:00" (London time, the helpdesk's).
pub fn describe(operators: usize, sweep: Option<LastSweep>) -> String {
    let who = match operators {
        1 => "serving 1 operator".to_owned(),
        n => format!("serving {n} operators"),
    };
    match sweep {
        None => format!("{who}, no sweep yet"),
        Some((at, ok)) => {
            let when = at.with_timezone(&chrono_tz::Europe::London).format("%H:%M");
            if ok {
                format!("{who}, last sweep {when}")
            } else {
                format!("{who}, last sweep {when} REFUSED (see the log)")
            }
        }
    }
}

fn send(states: &[sd_notify::NotifyState]) {
    if std::env::var_os("NOTIFY_SOCKET").is_none() {
        return;
    }
    if let Err(e) = sd_notify::notify(states) {
        tracing::warn!("could not tell systemd the daemon's state: {e}");
    }
}

/// The socket is bound: connections will be taken.
pub fn ready(status: &str) {
    send(&[sd_notify::NotifyState::Ready, sd_notify::NotifyState::Status(status)]);
}

/// The status line changed.
pub fn status(line: &str) {
    send(&[sd_notify::NotifyState::Status(line)]);
}

/// The daemon was told to stop and is finishing.
pub fn stopping() {
    send(&[sd_notify::NotifyState::Stopping, sd_notify::NotifyState::Status("stopping: finishing requests")]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    #[test]
    fn the_status_line_counts_operators_and_gives_the_last_sweep_in_london_time() {
        let line = StatusLine::default();
        assert_eq!(line.apply(&DaemonEvent::Operators(1)), "serving 1 operator, no sweep yet");
        // 09:00 UTC in June is 10:00 in London (BST).
        assert_eq!(
            line.apply(&DaemonEvent::Swept { at: at("2026-06-01T09:00:00Z"), ok: true }),
            "serving 1 operator, last sweep 10:00"
        );
        assert_eq!(line.apply(&DaemonEvent::Operators(12)), "serving 12 operators, last sweep 10:00");
        assert!(
            line.apply(&DaemonEvent::Swept { at: at("2026-12-01T09:00:00Z"), ok: false })
                .ends_with("09:00 REFUSED (see the log)")
        );
    }
}
