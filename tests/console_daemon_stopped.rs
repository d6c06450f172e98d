//! A daemon that stops answering used to freeze every console on it: after
//! SIGSTOP on `caredesk serve`, idle consoles stopped their clock and took
//! no key (`?`, `j`, `q`) for more than a minute. Here the real binary runs
//! in tmux on a real daemon, the daemon is stopped, and the console must
//! keep drawing, take keys, let the operator stop waiting and quit, and
//! show the data again once the daemon continues.
//!
//! It needs tmux, which `.ci/run` installs when it is missing.

mod tmux;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use caredesk::daemon::{Client, Connection};
use tmux::Tmux;

const BIN: &str = env!("CARGO_BIN_EXE_caredesk");

/// `caredesk serve` on a database, killed (and first continued) when dropped.
struct Daemon {
    child: Child,
}

impl Daemon {
    fn start(db: &Path) -> Daemon {
        let socket = caredesk::daemon::default_socket(db);
        let child = Command::new(BIN)
            .arg("--db")
            .arg(db)
            .args(["serve", "--sweep-every", "0"])
            .stderr(Stdio::null())
            .spawn()
            .expect("caredesk serve starts");
        let deadline = Instant::now() + Duration::from_secs(20);
        while !matches!(Client::connect(&socket), Ok(Connection::Served(_))) {
            assert!(Instant::now() < deadline, "the daemon did not answer within 20 s");
            std::thread::sleep(Duration::from_millis(50));
        }
        Daemon { child }
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill").arg(format!("-{name}")).arg(self.child.id().to_string()).status();
        assert!(status.is_ok_and(|s| s.success()), "kill -{name} failed");
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.signal("CONT");
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The status line's seconds counter of the call in flight, if one shows.
fn waited(screen: &str) -> Option<u64> {
    let line = screen.lines().find(|l| l.contains("waiting for the caredesk daemon"))?;
    let (_, after) = line.split_once(", ")?;
    after.split(" s)").next()?.trim().parse().ok()
}

/// The first line of the help screen under its title.
fn first_help_line(screen: &str) -> String {
    let mut lines = screen.lines().skip_while(|l| !l.contains("Keys (esc closes"));
    lines.nth(1).unwrap_or_default().trim().to_owned()
}

#[test]
fn a_stopped_daemon_no_longer_freezes_the_console() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let db: PathBuf = dir.path().join("demo");
    let built = Command::new(BIN).arg("--db").arg(&db).arg("demo").output().expect("caredesk demo runs");
    assert!(built.status.success(), "demo failed: {}", String::from_utf8_lossy(&built.stderr));
    let daemon = Daemon::start(&db);

    let console = format!(
        "env TERM=xterm-256color NO_COLOR=1 {BIN} --db {}; echo \"caredesk exited with $?\"; sleep 600",
        db.display()
    );
    let tmux = Tmux::start("stopped", &console);
    tmux.wait_for("caredesk │");
    let before = tmux.wait_for("CD-");

    // The daemon stops; a reload is asked for and waits, visibly.
    daemon.signal("STOP");
    tmux.keys("<C-r>");
    let first = tmux.wait_until("a spinner and a seconds counter", |s| waited(s).is_some());
    let second = tmux.wait_until("the counter moving on", |s| waited(s) > waited(&first));
    assert!(second.contains("esc stops waiting"), "the way out is not shown:\n{second}");

    // Esc stops waiting: the console is the operator's again, with what it showed.
    tmux.keys("<Escape>");
    let stopped = tmux.wait_for("you stopped waiting");
    assert!(waited(&stopped).is_none(), "still waiting after esc:\n{stopped}");
    assert!(stopped.contains("daemon silent for"), "the silence is not shown:\n{stopped}");
    let rows = |s: &str| s.lines().filter(|l| l.contains("CD-")).count();
    assert_eq!(rows(&stopped), rows(&before), "the queue was emptied while the daemon was silent:\n{stopped}");

    // Keys work while the daemon stays stopped: help opens and scrolls.
    tmux.keys("?");
    let help = tmux.wait_for("Keys (esc closes");
    tmux.keys("j");
    tmux.wait_until("the help scrolled by one line", |s| {
        !first_help_line(s).is_empty() && first_help_line(s) != first_help_line(&help)
    });
    tmux.keys("<Escape>");
    tmux.wait_until("the help closed", |s| !s.contains("Keys (esc closes"));
    // And the silence keeps being counted on screen: the screen is redrawn.
    let silent = |s: &str| -> Option<u64> {
        let (_, after) = s.split_once("daemon silent for ")?;
        after.split(' ').next()?.parse().ok()
    };
    let now = tmux.screen();
    tmux.wait_until("the silence counted on", |s| silent(s) > silent(&now));

    // The daemon continues: the console says so and shows the data again.
    daemon.signal("CONT");
    let back = tmux.wait_for("answers again");
    assert!(!back.contains("daemon silent for"), "the silence is still shown:\n{back}");
    tmux.wait_until("the queue's rows", |s| rows(s) == rows(&before));

    // Stopped again, q quits even while a call waits.
    daemon.signal("STOP");
    tmux.keys("<C-r>");
    tmux.wait_until("a call waiting", |s| waited(s).is_some());
    tmux.keys("q");
    let after = tmux.wait_for("caredesk exited with 0");
    assert!(!after.contains("Ticket queue"), "the console's screen was left behind:\n{after}");
    drop(daemon);
}
