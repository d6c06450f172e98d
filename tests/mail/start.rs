//! Runs tests/mail/servers.sh for the tests and benches that need the real
//! mail servers, included by path from each.
//!
//! The script starts Postfix and Dovecot, which stay running after it
//! exits. Anything it starts could keep a pipe to us open, so its output
//! goes to a file rather than a pipe, and it is given a deadline: a
//! package install that hangs fails the run instead of holding it.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Long enough for `apt-get install postfix dovecot-imapd` on a slow
/// mirror; the servers themselves answer within seconds.
const DEADLINE: Duration = Duration::from_secs(15 * 60);

/// What came of starting the servers.
pub enum Started {
    Ready,
    /// The script declined (exit 77): not root, or no packages.
    Skipped(String),
    Failed(String),
}

pub fn start_servers() -> Started {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mail/servers.sh");
    let log = tempfile::NamedTempFile::new().expect("a temporary file for the script's output");
    let mut child = Command::new("bash")
        .arg(&script)
        .stdin(Stdio::null())
        .stdout(log.reopen().expect("the log reopens"))
        .stderr(log.reopen().expect("the log reopens"))
        .spawn()
        .expect("bash runs");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("the script can be waited on") {
            break Some(status);
        }
        if started.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let output = std::fs::read_to_string(log.path()).unwrap_or_default();
    let output = output.trim().to_owned();
    match status.and_then(|s| s.code()) {
        Some(0) => Started::Ready,
        Some(77) => Started::Skipped(output),
        Some(code) => Started::Failed(format!("{} exited {code}:\n{output}", script.display())),
        None if status.is_none() => {
            Started::Failed(format!("{} ran past {} s:\n{output}", script.display(), DEADLINE.as_secs()))
        }
        None => Started::Failed(format!("{} was killed by a signal:\n{output}", script.display())),
    }
}
