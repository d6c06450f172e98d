//! Keystroke to frame with many real consoles on one daemon.
//!
//! `cargo bench --bench consoles` (add `-- --help` for the knobs; as root,
//! since it makes an OS account per operator) builds the demo database
//! with the real binary (`caredesk demo`, or `--scale national` for the
//! brief's million accounts), makes N OS accounts in the
//! `caredesk` group and an operator for each (`caredesk operator add`),
//! starts `caredesk serve --group caredesk` on it, and opens N real
//! consoles (`caredesk` with no command, run as each account through
//! `setpriv`), each on its own pseudo-terminal of 200×50, as N operators'
//! SSH sessions would. The accounts are removed at the end. Each console's driver waits for its first screen,
//! then presses `j` or `k` about once a `--think-ms` (jittered, starting at
//! a random point of the first pause) and times from writing the key to
//! the last byte of the frame that answers it: the bytes stop for
//! `QUIET` once a frame is written whole. A key that gets no frame within
//! `TIMEOUT` counts as lost.
//!
//! It prints p50, p99 and the maximum over all keystrokes;
//! docs/performance.md records runs of it.

use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[path = "common/latency.rs"]
mod latency;
#[path = "common/rng.rs"]
mod rng;

use latency::{ms, percentile};
use rng::Rng;

const BIN: &str = env!("CARGO_BIN_EXE_caredesk");
/// A frame is whole when its bytes have stopped for this long.
const QUIET: Duration = Duration::from_millis(4);
const TIMEOUT: Duration = Duration::from_secs(2);

struct Knobs {
    consoles: usize,
    seconds: u64,
    think_ms: u64,
    /// The demo's scale: `demo`, or `national` (a million accounts, about
    /// ten minutes to build).
    scale: String,
}

impl Knobs {
    fn from_args() -> Knobs {
        let mut knobs = Knobs { consoles: 100, seconds: 20, think_ms: 1000, scale: "demo".into() };
        let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
        let mut it = args.iter();
        while let Some(flag) = it.next() {
            if flag == "--scale" {
                // `caredesk demo` itself refuses a scale it does not know.
                knobs.scale = it.next().cloned().unwrap_or_else(|| panic!("--scale needs demo or national"));
                continue;
            }
            let mut value = || -> u64 {
                it.next().and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("{flag} needs a whole number"))
            };
            match flag.as_str() {
                "--consoles" => knobs.consoles = value() as usize,
                "--seconds" => knobs.seconds = value(),
                "--think-ms" => knobs.think_ms = value().max(1),
                "--help" | "-h" => {
                    println!("consoles [--consoles 100] [--seconds 20] [--think-ms 1000] [--scale demo|national]");
                    std::process::exit(0);
                }
                // cargo bench passes filters and its own flags; they mean nothing here.
                _ => {}
            }
        }
        knobs
    }
}

/// What a console has written to its terminal: how many bytes, and when
/// the last of them came (nanoseconds from `epoch`).
struct Screen {
    bytes: AtomicU64,
    last_nanos: AtomicU64,
    /// The first bytes written, to check that the console shows the queue.
    start: Mutex<Vec<u8>>,
}

/// How much of the start of a console's output is kept.
const START: usize = 256 << 10;

struct Console {
    child: Child,
    master: Mutex<std::fs::File>,
    screen: Arc<Screen>,
}

impl Drop for Console {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn open_console(user: &str, socket: &Path, epoch: Instant) -> Console {
    let size = nix::pty::Winsize { ws_row: 50, ws_col: 200, ws_xpixel: 0, ws_ypixel: 0 };
    let pty = nix::pty::openpty(&size, None).expect("a pseudo-terminal");
    let slave = |fd: &OwnedFd| Stdio::from(fd.try_clone().expect("the terminal's other end"));
    let child = Command::new("setpriv")
        .args(["--reuid", user, "--regid", GROUP, "--init-groups", "--"])
        .arg(BIN)
        .arg("--socket")
        .arg(socket)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", format!("/home/{user}"))
        .env("USER", user)
        .env("TERM", "xterm-256color")
        .env("NO_COLOR", "1")
        .stdin(slave(&pty.slave))
        .stdout(slave(&pty.slave))
        .stderr(slave(&pty.slave))
        .spawn()
        .expect("the console starts");
    drop(pty.slave);
    let master = std::fs::File::from(pty.master);
    let mut reading = master.try_clone().expect("the terminal, to read");
    let screen = Arc::new(Screen { bytes: AtomicU64::new(0), last_nanos: AtomicU64::new(0), start: Mutex::default() });
    let seen = Arc::clone(&screen);
    std::thread::spawn(move || {
        let mut buf = [0u8; 65536];
        while let Ok(n) = reading.read(&mut buf) {
            if n == 0 {
                break;
            }
            seen.last_nanos.store(epoch.elapsed().as_nanos() as u64, Ordering::SeqCst);
            let mut start = seen.start.lock().unwrap_or_else(|p| p.into_inner());
            let room = START.saturating_sub(start.len()).min(n);
            start.extend_from_slice(&buf[..room]);
            drop(start);
            seen.bytes.fetch_add(n as u64, Ordering::SeqCst);
        }
    });
    Console { child, master: Mutex::new(master), screen }
}

impl Console {
    /// Waits until the screen has been quiet for `quiet` after some output,
    /// and gives the nanosecond of its last byte, or `None` by `deadline`.
    fn settled(&self, after_bytes: u64, quiet: Duration, deadline: Instant, epoch: Instant) -> Option<u64> {
        loop {
            let now = epoch.elapsed().as_nanos() as u64;
            let last = self.screen.last_nanos.load(Ordering::SeqCst);
            if self.screen.bytes.load(Ordering::SeqCst) > after_bytes && now - last >= quiet.as_nanos() as u64 {
                return Some(last);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_micros(500));
        }
    }

    fn press(&self, key: &[u8]) {
        let mut master = self.master.lock().unwrap_or_else(|p| p.into_inner());
        master.write_all(key).expect("a key to the console");
    }
}

/// Presses keys until `stop`, and gives each keystroke's time to its frame
/// (`None`: no frame within [`TIMEOUT`]).
fn drive(console: &Console, seed: u64, think: Duration, stop: &AtomicBool, epoch: Instant) -> Vec<Option<Duration>> {
    let mut rng = Rng(seed);
    let mut out = Vec::new();
    std::thread::sleep(think.mul_f64(rng.below(1000) as f64 / 1000.0));
    let mut down = true;
    while !stop.load(Ordering::Relaxed) {
        let before = console.screen.bytes.load(Ordering::SeqCst);
        let pressed = epoch.elapsed().as_nanos() as u64;
        console.press(if down { b"j" } else { b"k" });
        down = !down;
        let frame = console.settled(before, QUIET, Instant::now() + TIMEOUT, epoch);
        out.push(frame.map(|last| Duration::from_nanos(last.saturating_sub(pressed))));
        std::thread::sleep(think.mul_f64(0.5 + rng.below(1000) as f64 / 1000.0));
    }
    out
}

const GROUP: &str = caredesk::daemon::DEFAULT_GROUP;

fn succeeds(cmd: &mut Command) -> bool {
    cmd.stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
}

/// The operators' OS accounts (and the group, if this made it), removed
/// again however the bench ends.
struct Accounts {
    users: Vec<String>,
    made_group: bool,
}

impl Accounts {
    fn create(n: usize) -> Accounts {
        let made_group = !succeeds(Command::new("getent").args(["group", GROUP]));
        if made_group {
            assert!(succeeds(Command::new("groupadd").arg(GROUP)), "groupadd {GROUP} failed: run this as root");
        }
        let mut accounts = Accounts { users: Vec::new(), made_group };
        let base = format!("cdb{:04x}", std::process::id() & 0xffff);
        for i in 0..n {
            let name = format!("{base}{i:03}");
            let made = succeeds(Command::new("useradd").args(["-m", "-G", GROUP, "-s", "/bin/sh", &name]));
            assert!(made, "useradd {name} failed: run this as root");
            accounts.users.push(name);
        }
        accounts
    }
}

impl Drop for Accounts {
    fn drop(&mut self) {
        for user in &self.users {
            let _ = succeeds(Command::new("userdel").args(["-r", "-f", user]));
        }
        if self.made_group {
            let _ = succeeds(Command::new("groupdel").arg(GROUP));
        }
    }
}

fn caredesk(db: &Path, args: &[&str]) {
    let out = Command::new(BIN).arg("--db").arg(db).args(args).output().expect("caredesk runs");
    assert!(out.status.success(), "caredesk {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        println!("consoles: bench");
        return;
    }
    let knobs = Knobs::from_args();
    let dir = tempfile::tempdir().expect("a temporary directory");
    // The operators reach the socket's directory through this one.
    std::fs::set_permissions(dir.path(), std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("the temporary directory opened to the operators");
    let db = dir.path().join("demo");
    let started = Instant::now();
    caredesk(&db, &["demo", "--scale", &knobs.scale]);
    // The demo's deletions erased data, so `serve` would compact as it
    // starts; done here, it is not part of the wait for the daemon.
    let compacting = Instant::now();
    caredesk(&db, &["compact"]);
    eprintln!(
        "demo database built in {:.1} s, compacted in {:.1} s",
        (compacting - started).as_secs_f64(),
        compacting.elapsed().as_secs_f64()
    );
    let accounts = Accounts::create(knobs.consoles);
    for user in &accounts.users {
        caredesk(&db, &["operator", "add", user, "--role", "helpdesk"]);
    }
    eprintln!(
        "{} demo database and {} operators' accounts made in {:.1} s",
        knobs.scale,
        knobs.consoles,
        started.elapsed().as_secs_f64()
    );
    let mut daemon = Command::new(BIN)
        .arg("--db")
        .arg(&db)
        .args(["serve", "--sweep-every", "0", "--group", GROUP])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("caredesk serve starts");
    let socket = caredesk::daemon::default_socket(&db);
    let deadline = Instant::now() + Duration::from_secs(20);
    while !matches!(caredesk::daemon::Client::connect(&socket), Ok(caredesk::daemon::Connection::Served(_))) {
        assert!(Instant::now() < deadline, "the daemon did not answer within 20 s");
        std::thread::sleep(Duration::from_millis(20));
    }
    let epoch = Instant::now();
    let consoles: Vec<Console> = accounts.users.iter().map(|user| open_console(user, &socket, epoch)).collect();
    // Every console on its first screen before any key.
    for (i, console) in consoles.iter().enumerate() {
        let shown = console.settled(0, Duration::from_millis(300), Instant::now() + Duration::from_secs(60), epoch);
        assert!(shown.is_some(), "console {i} drew nothing within a minute");
        let start = console.screen.start.lock().unwrap_or_else(|p| p.into_inner());
        let queue = start.windows(3).any(|w| w == b"CD-");
        assert!(queue, "console {i} shows no ticket: {}", String::from_utf8_lossy(&start).escape_debug());
    }
    eprintln!("{} consoles on their first screen; pressing keys for {} s", knobs.consoles, knobs.seconds);
    let stop = AtomicBool::new(false);
    let think = Duration::from_millis(knobs.think_ms);
    let results: Vec<Vec<Option<Duration>>> = std::thread::scope(|s| {
        let handles: Vec<_> = consoles
            .iter()
            .enumerate()
            .map(|(i, console)| {
                let stop = &stop;
                s.spawn(move || drive(console, 500 + i as u64, think, stop, epoch))
            })
            .collect();
        std::thread::sleep(Duration::from_secs(knobs.seconds));
        stop.store(true, Ordering::Relaxed);
        handles.into_iter().map(|h| h.join().expect("a console's driver")).collect()
    });
    drop(consoles);
    let _ = daemon.kill();
    let _ = daemon.wait();
    drop(accounts);
    let mut frames: Vec<Duration> = results.iter().flatten().flatten().copied().collect();
    let lost = results.iter().flatten().filter(|r| r.is_none()).count();
    frames.sort_unstable();
    println!(
        "\n{} consoles at 200×50 on one daemon, a key each about every {} ms, {} s\n",
        knobs.consoles, knobs.think_ms, knobs.seconds
    );
    println!("| keystrokes | lost | p50 | p99 | max |");
    println!("|---:|---:|---:|---:|---:|");
    println!(
        "| {} | {lost} | {} | {} | {} |",
        frames.len() + lost,
        ms(percentile(&frames, 50.0)),
        ms(percentile(&frames, 99.0)),
        ms(frames.last().copied().unwrap_or_default())
    );
}
