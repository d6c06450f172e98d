//! Programs the service starts on an operator's behalf (the SMS gateway
//! now, mail delivery later), each under a deadline and with its output
//! bounded.
//!
//! A configured program is outside our control: it may never exit, print
//! without end, leave children behind, or print back the secret it was
//! handed. So each one runs in its own process group, and the whole group
//! is killed when its time is up, and again once it has ended, so that
//! nothing it started outlives it or holds its output open. At most
//! [`OUTPUT_LIMIT`] bytes of each stream are kept. What it printed leaves
//! this module only through [`Finished::excerpt`], which removes the
//! secrets it was given and sanitises the rest; the raw bytes must never be
//! stored, logged or shown.
//!
//! A program is a shell line chosen by a supervisor; outside text must only
//! ever reach it as an argument or on standard input, never inside the
//! line.

use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::signal::{Signal, killpg};
use nix::sys::wait::{Id, WaitPidFlag, WaitStatus, waitid};
use nix::unistd::Pid;

/// The most of each output stream that is kept; the rest is read and
/// dropped, so a chatty program never blocks on a full pipe.
pub const OUTPUT_LIMIT: usize = 16 * 1024;

/// How long, after the program's group is gone, its output pipes may stay
/// open (held by a descendant that left the group) before we stop reading.
const DRAIN_GRACE: Duration = Duration::from_secs(1);

/// The longest nap between two looks at a running program.
const POLL_CEILING: Duration = Duration::from_millis(25);

/// What is shown in place of a secret the program printed back.
pub const REMOVED: &str = "[removed]";

/// One run of a shell line: `sh -c LINE NAME ARGS…`, so the line sees the
/// arguments as `$1`, `$2`….
#[derive(Debug, Clone)]
pub struct Program<'a> {
    /// The shell line, as configured.
    pub line: &'a str,
    /// What `$0` is inside the line (it names the program in `ps`).
    pub name: &'a str,
    pub args: &'a [String],
    /// How long it may run before its whole process group is killed.
    pub limit: Duration,
    /// Variables set for it beside the inherited environment.
    pub env: &'a [(&'a str, std::ffi::OsString)],
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// It exited by itself with this status (0: success).
    Exited(i32),
    /// It was killed by a signal it did not get from us.
    Signalled(String),
    /// Its time ran out and it was killed.
    TimedOut(Duration),
}

/// A run that ended, one way or another.
#[derive(Debug)]
pub struct Finished {
    pub ending: Ending,
    stdout: Output,
    stderr: Output,
}

#[derive(Debug, Default)]
struct Output {
    kept: Vec<u8>,
    /// More was printed than was kept.
    cut: bool,
}

impl Finished {
    /// What the program printed (its standard error, else its standard
    /// output) as one sanitised line of at most `max` characters, with
    /// every secret in `secrets` replaced by [`REMOVED`], whatever its case.
    /// A secret cut in two where the kept output ends is removed too.
    /// Empty when it printed nothing.
    pub fn excerpt(&self, secrets: &[&str], max: usize) -> String {
        let stream =
            if self.stderr.kept.iter().any(|b| !b.is_ascii_whitespace()) { &self.stderr } else { &self.stdout };
        let text = redact(&String::from_utf8_lossy(&stream.kept), secrets, stream.cut);
        crate::text::excerpt(&text, max)
    }
}

/// Replaces every secret in `text`, longest first and ignoring ASCII case;
/// when the text was `cut`, a tail that could be the start of a secret
/// goes too.
pub(super) fn redact(text: &str, secrets: &[&str], cut: bool) -> String {
    let mut secrets: Vec<&str> = secrets.iter().copied().filter(|s| !s.trim().is_empty()).collect();
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    let mut text = text.to_owned();
    for secret in &secrets {
        let needle = secret.to_ascii_lowercase();
        let mut out = String::with_capacity(text.len());
        let mut rest = text.as_str();
        // ASCII lower-casing keeps every byte where it was, so a position
        // found in the lowered copy is a char boundary in the original.
        while let Some(at) = rest.to_ascii_lowercase().find(&needle) {
            out.push_str(&rest[..at]);
            out.push_str(REMOVED);
            rest = &rest[at + needle.len()..];
        }
        out.push_str(rest);
        text = out;
    }
    if cut {
        let lowered = text.to_ascii_lowercase();
        let tail = secrets
            .iter()
            .filter_map(|s| {
                let s = s.to_ascii_lowercase();
                (1..s.len()).rev().find(|&n| s.is_char_boundary(n) && lowered.ends_with(&s[..n]))
            })
            .max();
        if let Some(len) = tail {
            text.truncate(text.len() - len);
            text.push_str(REMOVED);
        }
    }
    text
}

/// Runs `program` with `input` on its standard input, and waits at most
/// its limit. Fails only when it could not be started at all.
pub fn run(program: &Program<'_>, input: &[u8]) -> std::io::Result<Finished> {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(program.line)
        .arg(program.name)
        .args(program.args)
        .envs(program.env.iter().map(|(k, v)| (*k, v)))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()?;
    let started = Instant::now();
    let pid = Pid::from_raw(i32::try_from(child.id()).unwrap_or(i32::MAX));

    // Handing over the input, and reading the output, happen beside the
    // wait: a program that reads nothing, or prints more than a pipe holds,
    // must not stall us. A write to a program that exited fails; that is
    // its answer, not ours.
    if let Some(mut stdin) = child.stdin.take() {
        let input = input.to_vec();
        thread::spawn(move || {
            let _ = stdin.write_all(&input);
        });
    }
    let stdout = child.stdout.take().map(drain);
    let stderr = child.stderr.take().map(drain);

    let timed_out = wait_until_done(pid, started, program.limit);
    // The leader has not been reaped yet (a zombie at worst), so the group
    // id is still ours to signal: nothing the program started survives it.
    let _ = killpg(pid, Signal::SIGKILL);
    let status = child.wait()?;

    let deadline = Instant::now() + DRAIN_GRACE;
    let collect = |rx: Option<mpsc::Receiver<Output>>| {
        rx.and_then(|rx| rx.recv_timeout(deadline.saturating_duration_since(Instant::now())).ok()).unwrap_or_default()
    };
    let (stdout, stderr) = (collect(stdout), collect(stderr));

    use std::os::unix::process::ExitStatusExt;
    let ending = if timed_out {
        Ending::TimedOut(program.limit)
    } else if let Some(code) = status.code() {
        Ending::Exited(code)
    } else {
        let signal = status.signal().unwrap_or_default();
        Ending::Signalled(Signal::try_from(signal).map_or_else(|_| format!("signal {signal}"), |s| s.to_string()))
    };
    Ok(Finished { ending, stdout, stderr })
}

/// Waits for the program to end without reaping it; true when its time ran
/// out first.
fn wait_until_done(pid: Pid, started: Instant, limit: Duration) -> bool {
    let flags = WaitPidFlag::WEXITED | WaitPidFlag::WNOHANG | WaitPidFlag::WNOWAIT;
    let mut nap = Duration::from_millis(1);
    loop {
        match waitid(Id::Pid(pid), flags) {
            Ok(WaitStatus::StillAlive) | Err(Errno::EINTR) => {}
            // Ended (or, impossibly, not our child any more): nothing to
            // wait for.
            Ok(_) | Err(_) => return false,
        }
        let spent = started.elapsed();
        if spent >= limit {
            return true;
        }
        thread::sleep(nap.min(limit - spent));
        nap = (nap * 2).min(POLL_CEILING);
    }
}

/// Reads a stream to its end on its own thread, keeping the first
/// [`OUTPUT_LIMIT`] bytes.
fn drain(mut stream: impl Read + Send + 'static) -> mpsc::Receiver<Output> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut out = Output::default();
        let mut buf = [0u8; 8192];
        loop {
            match stream.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    let room = OUTPUT_LIMIT - out.kept.len();
                    out.kept.extend_from_slice(&buf[..n.min(room)]);
                    out.cut |= n > room;
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        let _ = tx.send(out);
    });
    rx
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shell(line: &str, limit: Duration, input: &str) -> Finished {
        let program = Program { line, name: "caredesk-test", args: &["one".to_owned()], limit, env: &[] };
        run(&program, input.as_bytes()).expect("sh starts")
    }

    const SECOND: Duration = Duration::from_secs(1);

    /// The process whose id is in `pidfile` has been killed: it is gone,
    /// or a zombie waiting for init, and never running or sleeping. A kill
    /// takes effect soon but not at once, hence the patience.
    fn assert_gone(pidfile: &std::path::Path) {
        let pid: i32 = std::fs::read_to_string(pidfile).unwrap().trim().parse().unwrap();
        let stat = format!("/proc/{pid}/stat");
        let patience = Instant::now() + 10 * SECOND;
        loop {
            let state = std::fs::read_to_string(&stat).unwrap_or_default();
            let alive = state.rsplit_once(')').is_some_and(|(_, rest)| !rest.trim_start().starts_with(['Z', 'X']));
            if !alive {
                return;
            }
            assert!(Instant::now() < patience, "process {pid} still runs: {state}");
            thread::sleep(Duration::from_millis(20));
        }
    }

    #[test]
    fn a_program_gets_its_arguments_and_input_and_its_status_is_kept() {
        let done = shell("read line; echo \"$0 $1 $line\" >&2; exit 3", 10 * SECOND, "hello\n");
        assert_eq!(done.ending, Ending::Exited(3));
        assert_eq!(done.excerpt(&[], 100), "caredesk-test one hello");
        assert_eq!(shell("true", 10 * SECOND, "").ending, Ending::Exited(0));
    }

    #[test]
    fn a_program_that_reads_nothing_and_exits_at_once_is_not_an_error() {
        let done = shell("exit 0", 10 * SECOND, &"x".repeat(1 << 20));
        assert_eq!(done.ending, Ending::Exited(0));
    }

    #[test]
    fn a_program_that_never_ends_is_killed_with_everything_it_started() {
        let dir = tempfile::tempdir().unwrap();
        let pidfile = dir.path().join("pid");
        let line = format!("sleep 600 & echo $! > {}; wait", pidfile.display());
        let done = shell(&line, SECOND / 2, "");
        assert_eq!(done.ending, Ending::TimedOut(SECOND / 2));
        assert_gone(&pidfile);
    }

    #[test]
    fn a_descendant_left_behind_does_not_keep_the_run_open() {
        let dir = tempfile::tempdir().unwrap();
        let pidfile = dir.path().join("pid");
        let line = format!("sleep 600 & echo $! > {}; echo done >&2", pidfile.display());
        let done = shell(&line, 10 * SECOND, "");
        assert_eq!(done.ending, Ending::Exited(0));
        assert_eq!(done.excerpt(&[], 100), "done");
        assert_gone(&pidfile);
    }

    #[test]
    fn endless_output_is_cut_and_does_not_block() {
        let done = shell("yes caredesk >&2", SECOND / 2, "");
        assert_eq!(done.ending, Ending::TimedOut(SECOND / 2));
        assert!(done.stderr.cut);
        assert_eq!(done.stderr.kept.len(), OUTPUT_LIMIT);
    }

    #[test]
    fn a_program_killed_by_a_signal_says_which() {
        let done = shell("kill -SEGV $$", 10 * SECOND, "");
        assert_eq!(done.ending, Ending::Signalled("SIGSEGV".into()));
    }

    #[test]
    fn secrets_are_removed_from_the_excerpt_in_any_case_and_when_cut() {
        let cases = [
            ("the secret is Pw9xKq2mTt7A .", false, "the secret is [removed] ."),
            ("PW9XKQ2MTT7A and pw9xkq2mtt7a", false, "[removed] and [removed]"),
            ("NHSmail: the password is Pw9xKq2mTt7A !", false, "[removed]"),
            ("ends with Pw9xK", true, "ends with [removed]"),
            ("ends with Pw9xK", false, "ends with Pw9xK"),
            ("line one\n\x1b[2Jline two", false, "line one\u{FFFD}\u{FFFD}[2Jline two"),
        ];
        let secrets = ["NHSmail: the password is Pw9xKq2mTt7A !", "Pw9xKq2mTt7A"];
        for (text, cut, want) in cases {
            assert_eq!(crate::text::excerpt(&redact(text, &secrets, cut), 200), want, "{text:?}");
        }
    }
}
