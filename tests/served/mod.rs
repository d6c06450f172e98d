//! The real `caredesk serve`, started as a child process under a chosen
//! umask, for the tests that kill it, attack it or inspect its files.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command as Process, Stdio};
use std::time::{Duration, Instant};

use caredesk::daemon::{Client, Connection};

pub const BIN: &str = env!("CARGO_BIN_EXE_caredesk");

/// Runs `caredesk ARGS` on `db` under `umask`, and returns what it printed;
/// panics if it fails.
pub fn caredesk(db: &Path, umask: u32, args: &[&str]) -> String {
    let out = shell(db, umask, args).output().expect("caredesk runs");
    assert!(out.status.success(), "caredesk {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `caredesk --db DB ARGS` under `umask`, through the shell, which is the
/// one portable way to set a child's umask without unsafe code.
pub fn shell(db: &Path, umask: u32, args: &[&str]) -> Process {
    shell_with(db, &format!("umask {umask:04o}"), args)
}

/// `caredesk --db DB ARGS` after the shell commands `setup` (a umask, a
/// `ulimit`).
pub fn shell_with(db: &Path, setup: &str, args: &[&str]) -> Process {
    let mut p = Process::new("sh");
    p.arg("-c").arg(format!("{setup} && exec \"$0\" \"$@\"")).arg(BIN).arg("--db").arg(db).args(args);
    p
}

pub struct Served {
    pub child: Child,
    pub socket: PathBuf,
}

impl Served {
    /// Starts the daemon on `db` (already made with `init`) and waits until
    /// it serves this test's user.
    pub fn start(db: &Path, umask: u32) -> Served {
        Served::launch(db, &format!("umask {umask:04o}"), &[])
    }

    /// As [`Served::start`], after the shell commands `setup`, with `extra`
    /// arguments to `serve`.
    pub fn launch(db: &Path, setup: &str, extra: &[&str]) -> Served {
        let socket = caredesk::daemon::default_socket(db);
        let mut args = vec!["serve", "--sweep-every", "0"];
        args.extend_from_slice(extra);
        let child = shell_with(db, setup, &args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("caredesk serve starts");
        let served = Served { child, socket };
        let deadline = Instant::now() + Duration::from_secs(10);
        while !matches!(Client::connect(&served.socket), Ok(Connection::Served(_))) {
            assert!(Instant::now() < deadline, "the daemon did not answer within 10 s");
            std::thread::sleep(Duration::from_millis(20));
        }
        served
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The daemon's resident memory, from /proc.
    pub fn rss_bytes(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).expect("the daemon's status");
        let kb = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .expect("VmRSS in /proc/PID/status");
        kb * 1024
    }

    /// CPU time the daemon has used so far (user and system), from /proc.
    pub fn cpu_time(&self) -> Duration {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid())).expect("the daemon's stat");
        // Fields after the command name, which is in parentheses.
        let fields: Vec<&str> = stat[stat.rfind(')').expect("a stat line") + 2..].split(' ').collect();
        let ticks: u64 = fields[11].parse::<u64>().unwrap_or(0) + fields[12].parse::<u64>().unwrap_or(0);
        // Linux reports in USER_HZ, which is 100 on every platform it runs on.
        Duration::from_millis(ticks * 10)
    }

    /// File descriptors the daemon has open.
    pub fn open_files(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.pid())).map_or(0, |d| d.count())
    }

    /// SIGKILL, and wait for the process to be gone.
    pub fn kill(&mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("the daemon ends");
    }

    /// SIGTERM, and the exit status.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let term = Process::new("kill").args(["-TERM", &self.pid().to_string()]).status().expect("kill");
        assert!(term.success(), "SIGTERM could not be sent");
        self.child.wait().expect("the daemon ends")
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A connected client as this test's user (the database's first supervisor).
pub fn client(socket: &Path) -> Client {
    match Client::connect(socket) {
        Ok(Connection::Served(client)) => client,
        Ok(Connection::NoDaemon) => panic!("no daemon answers at {}", socket.display()),
        Err(e) => panic!("the daemon refused this test's user: {e}"),
    }
}
