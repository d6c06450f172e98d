//! Two operators at two terminals, logged in over SSH the way a helpdesk
//! server is set up (README, "Deploying for a helpdesk"): a real sshd runs
//! the shipped `assets/sshd_config.d/caredesk.conf`, `caredesk serve` owns
//! the database, and two operating-system accounts in the `caredesk` group
//! each land in the console, with no shell in between. The daemon knows
//! each operator by the account that connects, not by anything the client
//! says.
//!
//! The walk-through: A claims a ticket in the helpdesk queue and B's
//! console shows A as its assignee without a keypress; B claims the next
//! ticket and A's console shows that. Both quit and their connections
//! close. C, in the group but not an operator, is refused. The audit log
//! names A and B for their claims; the daemon stops on SIGTERM with
//! everything written.
//!
//! It needs root (it adds three users, and the `caredesk` group if there is
//! none, all removed afterwards, and starts sshd on a free port of
//! 127.0.0.1), `/usr/sbin/sshd` and tmux. Without root or sshd it says why
//! and passes, unless `CAREDESK_SSHD_E2E=required` (`.ci/run` sets it when
//! it runs as root), when it fails instead.

use std::fs::{self, File};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, Datelike, Duration as Span, TimeZone, Utc, Weekday};
use nix::unistd::{Group, User};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_caredesk");
const SSHD: &str = "/usr/sbin/sshd";
/// The snippet an administrator installs in /etc/ssh/sshd_config.d/.
const SNIPPET: &str = include_str!("../assets/sshd_config.d/caredesk.conf");
const GROUP: &str = "caredesk";
const WIDTH: u16 = 160;
const HEIGHT: u16 = 48;
/// How long a claim may take to reach the other console: the contract is
/// within a second; the rest is slack for a busy machine.
const PUSHED_WITHIN: Duration = Duration::from_secs(5);

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("could not run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}): {}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `caredesk --db DB`, deaf to the environment of whoever runs the tests.
fn caredesk(bin: &Path, db: &Path) -> Command {
    let mut cmd = Command::new(bin);
    cmd.env_remove("CAREDESK_DB").env_remove("CAREDESK_SOCKET").arg("--db").arg(db);
    cmd
}

fn caredesk_json(bin: &Path, db: &Path, args: &[&str]) -> Value {
    let out = run(caredesk(bin, db).arg("--json").args(args));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("caredesk {args:?} did not print JSON: {e}"))
}

/// Why this machine cannot run the test, if it cannot.
fn missing_prerequisite() -> Option<String> {
    if !nix::unistd::geteuid().is_root() {
        return Some("it must run as root, to add users and start sshd".to_owned());
    }
    if !Path::new(SSHD).exists() {
        return Some(format!("{SSHD} is missing (install openssh-server)"));
    }
    None
}

fn succeeds(cmd: &mut Command) -> bool {
    cmd.stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
}

/// The `caredesk` group (when this test made it) and the operators' OS
/// accounts, removed again however the test ends.
struct Accounts {
    users: Vec<String>,
    made_group: bool,
}

impl Accounts {
    /// One account per letter, named after this process so that runs at the
    /// same time, or one left over from a run that was killed, do not clash.
    /// Eight characters, the queue's narrowest assignee column.
    fn create(letters: &[char]) -> Accounts {
        let made_group = !succeeds(Command::new("getent").args(["group", GROUP]));
        if made_group {
            run(Command::new("groupadd").arg(GROUP));
        }
        let mut accounts = Accounts { users: Vec::new(), made_group };
        let base = format!("cdt{:04x}", std::process::id() & 0xffff);
        for letter in letters {
            let name = (0..100)
                .map(|n| if n == 0 { format!("{base}{letter}") } else { format!("{base}{letter}{n}") })
                .find(|name| !succeeds(Command::new("getent").args(["passwd", name])))
                .expect("a free user name");
            // A password of `*` rather than useradd's locked `!`: without
            // PAM, sshd refuses even a key to a locked account.
            run(Command::new("useradd").args(["-m", "-G", GROUP, "-s", "/bin/sh", "-p", "*", &name]));
            accounts.users.push(name);
        }
        accounts
    }
}

impl Drop for Accounts {
    fn drop(&mut self) {
        for user in &self.users {
            // A console may still be closing after its connection dropped,
            // and userdel refuses an account that is in use.
            let deadline = Instant::now() + Duration::from_secs(10);
            while !succeeds(Command::new("userdel").args(["-r", user])) {
                if Instant::now() > deadline {
                    let _ = succeeds(Command::new("userdel").args(["-r", "-f", user]));
                    break;
                }
                std::thread::sleep(Duration::from_millis(200));
            }
        }
        if self.made_group {
            let _ = succeeds(Command::new("groupdel").arg(GROUP));
        }
    }
}

/// A child process of the test's (sshd, the daemon), sent SIGTERM when the
/// test is done with it.
struct Running {
    child: Child,
}

impl Running {
    /// Stops it with SIGTERM and returns how it ended; None if it had to be
    /// killed after ten seconds.
    fn stop(&mut self) -> Option<ExitStatus> {
        if let Ok(Some(status)) = self.child.try_wait() {
            return Some(status);
        }
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        None
    }

    fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A tmux server of the test's own, one session per operator.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn new() -> Tmux {
        Tmux { socket: format!("caredesk-sshd-{}", std::process::id()) }
    }

    fn try_cmd(&self, args: &[&str]) -> Result<String, String> {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .map_err(|e| format!("tmux is needed for this test (`.ci/run` installs it): {e}"))?;
        if !out.status.success() {
            return Err(format!("tmux {args:?}: {}", String::from_utf8_lossy(&out.stderr)));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    fn cmd(&self, args: &[&str]) -> String {
        self.try_cmd(args).unwrap_or_else(|e| panic!("{e}"))
    }

    fn open(&self, session: &str, command: &str) {
        let size = (WIDTH.to_string(), HEIGHT.to_string());
        self.cmd(&["new-session", "-d", "-s", session, "-x", &size.0, "-y", &size.1, command]);
    }

    fn screen(&self, session: &str) -> String {
        self.try_cmd(&["capture-pane", "-p", "-t", session]).unwrap_or_else(|e| format!("(no screen: {e})"))
    }

    /// Types literal keys, one at a time, with a person's pause between.
    fn keys(&self, session: &str, keys: &str) {
        for key in keys.chars() {
            self.cmd(&["send-keys", "-t", session, "-l", &key.to_string()]);
            std::thread::sleep(Duration::from_millis(150));
        }
    }

    /// Waits until the screen satisfies `shows`; fails, naming `what`, if
    /// it does not within `within`.
    fn wait_until(&self, session: &str, what: &str, within: Duration, shows: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + within;
        loop {
            let screen = self.screen(session);
            if shows(&screen) {
                return screen;
            }
            assert!(Instant::now() < deadline, "session {session} never showed {what} within {within:?}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn wait_for(&self, session: &str, text: &str) -> String {
        self.wait_until(session, &format!("{text:?}"), Duration::from_secs(20), |s| s.contains(text))
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.try_cmd(&["kill-server"]);
    }
}

/// Last Saturday 03:00 UTC: out of hours in London whatever the season, so
/// simple requests go to the helpdesk queue, which helpdesk agents may work
/// at any hour.
fn last_saturday_night() -> DateTime<Utc> {
    let mut day = Utc::now() - Span::days(1);
    while day.weekday() != Weekday::Sat {
        day -= Span::days(1);
    }
    Utc.with_ymd_and_hms(day.year(), day.month(), day.day(), 3, 0, 0).single().expect("a valid instant")
}

/// The binary where the operators' accounts can run it: cargo's target
/// directory may sit where other users cannot enter, and then a copy in the
/// test's directory is used.
fn binary_for_everyone(work: &Path) -> PathBuf {
    let bin = Path::new(BIN);
    let others_may = |path: &Path| fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o001 != 0);
    if bin.ancestors().all(others_may) {
        return bin.to_path_buf();
    }
    let copy = work.join("caredesk");
    fs::copy(bin, &copy).expect("a copy of the binary");
    fs::set_permissions(&copy, fs::Permissions::from_mode(0o755)).expect("the copy made executable");
    copy
}

/// A database with root as its supervisor, the users as helpdesk agents,
/// and two out-of-hours requests in the helpdesk queue. Returns their
/// references.
fn seed_database(bin: &Path, db: &Path, users: &[String]) -> [String; 2] {
    run(caredesk(bin, db).arg("init"));
    for user in users {
        run(caredesk(bin, db).args(["operator", "add", user, "--role", "helpdesk"]));
    }
    let night = last_saturday_night();
    let requests = [("password-reset", night, "Forgot password"), ("unlock", night + Span::minutes(30), "Locked out")];
    requests.map(|(category, received, subject)| {
        let ticket = caredesk_json(
            bin,
            db,
            &[
                "ticket",
                "new",
                "--category",
                category,
                "--channel",
                "phone",
                "--received",
                &received.to_rfc3339(),
                "--requester-name",
                "Jo Smith",
                "--subject",
                subject,
            ],
        );
        assert_eq!(ticket["queue"], "helpdesk", "a {category} request on a Saturday night: {ticket}");
        ticket["ref"].as_str().expect("a ticket reference").to_owned()
    })
}

/// One key pair for every account (the ssh client runs as root; sshd reads
/// each account's own authorized_keys) and a host key for the test's sshd.
/// Returns the accounts' private key.
fn make_keys(work: &Path, users: &[String]) -> PathBuf {
    let key = work.join("operator_key");
    for file in [&key, &work.join("host_key")] {
        run(Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", "caredesk-sshd-e2e", "-f"])
            .arg(file));
    }
    let public = fs::read_to_string(key.with_extension("pub")).expect("the public key");
    for user in users {
        let account = User::from_name(user).expect("the password database").expect("the new account");
        let ssh = account.dir.join(".ssh");
        let authorized = ssh.join("authorized_keys");
        fs::create_dir_all(&ssh).expect("~/.ssh");
        fs::write(&authorized, &public).expect("authorized_keys");
        fs::set_permissions(&ssh, fs::Permissions::from_mode(0o700)).expect("~/.ssh is 0700");
        fs::set_permissions(&authorized, fs::Permissions::from_mode(0o600)).expect("authorized_keys is 0600");
        for path in [&ssh, &authorized] {
            std::os::unix::fs::chown(path, Some(account.uid.as_raw()), Some(account.gid.as_raw()))
                .expect("the operator owns ~/.ssh");
        }
    }
    key
}

/// The shipped snippet with only the console's path and the database
/// changed for this test. Fails if the snippet no longer has the lines an
/// administrator would have to change.
fn snippet_for(bin: &Path, db: &Path) -> String {
    let (mut commands, mut databases) = (0, 0);
    let lines: Vec<String> = SNIPPET
        .lines()
        .map(|line| match line.trim() {
            "ForceCommand caredesk" => {
                commands += 1;
                line.replace("caredesk", &bin.display().to_string())
            }
            "SetEnv CAREDESK_DB=/var/lib/caredesk/db" => {
                databases += 1;
                line.replace("/var/lib/caredesk/db", &db.display().to_string())
            }
            _ => line.to_owned(),
        })
        .collect();
    assert_eq!(commands, 1, "the snippet should have one line `ForceCommand caredesk`:\n{SNIPPET}");
    assert_eq!(databases, 1, "the snippet should have one line `SetEnv CAREDESK_DB=/var/lib/caredesk/db`:\n{SNIPPET}");
    lines.join("\n") + "\n"
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address").port()
}

/// The last `n` lines of a log file, or why there are none.
fn tail(path: &Path, n: usize) -> String {
    match fs::read_to_string(path) {
        Ok(text) => {
            let lines: Vec<&str> = text.lines().collect();
            lines[lines.len().saturating_sub(n)..].join("\n")
        }
        Err(e) => format!("(could not read {}: {e})", path.display()),
    }
}

/// sshd on a free port of 127.0.0.1 with the shipped snippet. Returns it
/// and its port once it accepts connections.
fn start_sshd(work: &Path, bin: &Path, db: &Path) -> (Running, u16) {
    let port = free_port();
    let config = work.join("sshd_config");
    let log = work.join("sshd.log");
    fs::write(
        &config,
        format!(
            "Port {port}\n\
             ListenAddress 127.0.0.1\n\
             HostKey {host_key}\n\
             PidFile {pid_file}\n\
             UsePAM no\n\
             PasswordAuthentication no\n\
             KbdInteractiveAuthentication no\n\
             PubkeyAuthentication yes\n\
             AuthorizedKeysFile .ssh/authorized_keys\n\
             PermitRootLogin no\n\
             LogLevel VERBOSE\n\
             {snippet}",
            host_key = work.join("host_key").display(),
            pid_file = work.join("sshd.pid").display(),
            snippet = snippet_for(bin, db),
        ),
    )
    .expect("the sshd config");
    // sshd's privilege separation directory, which a system without a
    // running sshd may lack.
    fs::create_dir_all("/run/sshd").expect("/run/sshd");
    run(Command::new(SSHD).arg("-t").arg("-f").arg(&config));
    let child = Command::new(SSHD)
        .arg("-D")
        .arg("-f")
        .arg(&config)
        .arg("-E")
        .arg(&log)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("sshd started");
    let mut sshd = Running { child };
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        let gone = sshd.exited();
        assert!(
            gone.is_none() && Instant::now() < deadline,
            "sshd never listened on port {port} (exit: {gone:?}); its log:\n{}",
            tail(&log, 40)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    (sshd, port)
}

/// Where the daemon puts its socket by default: `DB.run/caredesk.sock`.
fn default_socket(db: &Path) -> PathBuf {
    let name = db.file_name().expect("a database directory name").to_string_lossy();
    db.with_file_name(format!("{name}.run")).join("caredesk.sock")
}

/// `DB.log`, the daemon's log beside the database.
fn daemon_log(db: &Path) -> PathBuf {
    let name = db.file_name().expect("a database directory name").to_string_lossy();
    db.with_file_name(format!("{name}.log"))
}

/// The socket is for the `caredesk` group only: its directory 0750, the
/// socket 0660, both the group's.
fn assert_socket_for_group(db: &Path) {
    let group = Group::from_name(GROUP).expect("the group database").expect("the caredesk group");
    let socket = default_socket(db);
    for (path, mode) in [(socket.parent().expect("the socket's directory"), 0o750), (socket.as_path(), 0o660)] {
        let meta = fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(meta.permissions().mode() & 0o777, mode, "the mode of {}", path.display());
        assert_eq!(meta.gid(), group.gid.as_raw(), "{} should belong to the {GROUP} group", path.display());
    }
}

/// `caredesk serve` on the database, once its socket is there.
fn start_daemon(bin: &Path, db: &Path, output: &Path) -> Running {
    let out = File::create(output).expect("a file for the daemon's output");
    let child = caredesk(bin, db)
        .args(["serve", "--group", GROUP])
        .stdin(Stdio::null())
        .stdout(out.try_clone().expect("a second handle"))
        .stderr(out)
        .spawn()
        .expect("caredesk serve started");
    let mut daemon = Running { child };
    let socket = default_socket(db);
    let deadline = Instant::now() + Duration::from_secs(15);
    while !socket.exists() {
        let gone = daemon.exited();
        assert!(
            gone.is_none() && Instant::now() < deadline,
            "caredesk serve never made {} (exit: {gone:?}); it printed:\n{}\nits log:\n{}",
            socket.display(),
            tail(output, 40),
            tail(&daemon_log(db), 40)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    daemon
}

/// The queue pane's part of the row showing ticket `reference`, if shown.
fn queue_row<'s>(screen: &'s str, reference: &str) -> Option<&'s str> {
    let row = screen.lines().find(|line| line.contains(&format!("{reference} ")))?;
    row.split("││").next()
}

fn assigned_to(screen: &str, reference: &str, user: &str) -> bool {
    queue_row(screen, reference).is_some_and(|row| row.contains(user))
}

/// Moves a console to the helpdesk queue's tab and selects `reference`.
fn select_in_helpdesk_queue(tmux: &Tmux, session: &str, reference: &str) {
    for _ in 0..5 {
        if tmux.screen(session).contains("Ticket queue · helpdesk") {
            break;
        }
        tmux.keys(session, "]");
    }
    tmux.wait_for(session, "Ticket queue · helpdesk");
    tmux.keys(session, "g");
    for _ in 0..10 {
        if tmux.screen(session).contains(&format!("›{reference} ")) {
            break;
        }
        tmux.keys(session, "j");
    }
    tmux.wait_for(session, &format!("›{reference} "));
}

/// One operator claims; the other sees it, untouched.
fn claim_and_watch(tmux: &Tmux, (claimer, user): (&str, &str), watcher: &str, reference: &str) {
    select_in_helpdesk_queue(tmux, claimer, reference);
    let pressed = Instant::now();
    tmux.keys(claimer, "c");
    tmux.wait_until(claimer, &format!("{reference} assigned to {user}"), Duration::from_secs(10), |s| {
        assigned_to(s, reference, user)
    });
    tmux.wait_until(watcher, &format!("{reference} assigned to {user}, with no key pressed"), PUSHED_WITHIN, |s| {
        assigned_to(s, reference, user)
    });
    eprintln!("{user}'s claim of {reference} was on the other console {:?} after the key", pressed.elapsed());
}

/// (action, operator, subject) of each audit entry, newest first.
fn audit_trail(bin: &Path, db: &Path) -> Vec<(String, String, String)> {
    let log = caredesk_json(bin, db, &["audit", "--limit", "100"]);
    let field = |entry: &Value, name: &str| entry["draft"][name].as_str().unwrap_or_default().to_owned();
    log["audit"]
        .as_array()
        .unwrap_or_else(|| panic!("no list of audit entries: {log}"))
        .iter()
        .map(|entry| (field(entry, "action"), field(entry, "operator"), field(entry, "subject")))
        .collect()
}

/// A screen without its empty rows, for a failure message.
fn compact(screen: &str) -> String {
    let empty = |line: &str| line.chars().all(|c| c == '│' || c == ' ');
    screen.lines().filter(|line| !empty(line)).collect::<Vec<_>>().join("\n")
}

fn panic_text(cause: &(dyn std::any::Any + Send)) -> String {
    cause
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| cause.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "(a panic without a message)".to_owned())
}

#[test]
fn two_operators_over_ssh_see_each_others_claims() {
    if let Some(why) = missing_prerequisite() {
        if std::env::var("CAREDESK_SSHD_E2E").as_deref() == Ok("required") {
            panic!("CAREDESK_SSHD_E2E=required, but the SSH end-to-end test cannot run: {why}");
        }
        eprintln!("skipping the SSH end-to-end test: {why} (CAREDESK_SSHD_E2E=required makes this a failure)");
        return;
    }

    let work = tempfile::tempdir().expect("a temporary directory");
    // The operators' consoles only pass through here, to the daemon's socket.
    fs::set_permissions(work.path(), fs::Permissions::from_mode(0o711)).expect("the directory opened for passing");
    let bin = binary_for_everyone(work.path());
    let db = work.path().join("db");
    let daemon_output = work.path().join("serve.out");
    // A and B are helpdesk agents; C is in the group but no operator.
    let accounts = Accounts::create(&['a', 'b', 'c']);
    let [a, b, c] = [0, 1, 2].map(|i| accounts.users[i].as_str());
    let [first, second] = seed_database(&bin, &db, &accounts.users[..2]);
    let key = make_keys(work.path(), &accounts.users);
    let (_sshd, port) = start_sshd(work.path(), &bin, &db);
    let mut daemon = start_daemon(&bin, &db, &daemon_output);
    let tmux = Tmux::new();
    let ssh = |session: &str, user: &str| {
        tmux.open(
            session,
            &format!(
                "env TERM=xterm-256color ssh -tt -F /dev/null -i {key} -p {port} -o BatchMode=yes \
                 -o IdentitiesOnly=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
                 -o LogLevel=ERROR {user}@127.0.0.1; echo \"ssh exited with $?\"; sleep 600",
                key = key.display()
            ),
        );
    };

    let walk_through = || {
        assert_socket_for_group(&db);
        for (session, user) in [("a", a), ("b", b)] {
            ssh(session, user);
        }
        // Each lands in the console as themself.
        for (session, user) in [("a", a), ("b", b)] {
            tmux.wait_for(session, &format!("{user} (helpdesk agent)"));
        }

        claim_and_watch(&tmux, ("a", a), "b", &first);
        claim_and_watch(&tmux, ("b", b), "a", &second);

        // Quitting the console ends the login.
        for session in ["a", "b"] {
            tmux.keys(session, "q");
            let after = tmux.wait_for(session, "ssh exited with 0");
            assert!(!after.contains("Ticket queue"), "the console's screen was left behind:\n{after}");
        }

        // Being in the group lets C reach the socket, but the daemon does
        // not know C: a refusal that says why, and the login ends.
        ssh("c", c);
        let refused = tmux.wait_for("c", "ssh exited with");
        assert!(
            refused.contains("is not a caredesk operator") && refused.contains(c),
            "C was not told they are no operator:\n{refused}"
        );
        assert!(!refused.contains("ssh exited with 0") && !refused.contains("Ticket queue"), "{refused}");

        // As root, the supervisor, through the daemon: each claim is on the
        // ticket and in the audit log under the account that made it.
        let queue = caredesk_json(&bin, &db, &["ticket", "list", "--queue", "helpdesk"]);
        for (reference, user) in [(&first, a), (&second, b)] {
            let ticket = queue
                .as_array()
                .and_then(|tickets| tickets.iter().find(|t| t["ref"] == reference.as_str()))
                .unwrap_or_else(|| panic!("{reference} is not in the helpdesk queue: {queue}"));
            assert_eq!(ticket["assignee"], user, "{reference}: {ticket}");
        }
        let trail = audit_trail(&bin, &db);
        for (reference, user) in [(&first, a), (&second, b)] {
            let claim = ("ticket.claim".to_owned(), user.to_owned(), reference.clone());
            assert!(trail.contains(&claim), "no audit entry for {user} claiming {reference}: {trail:?}");
        }
        assert!(trail.iter().all(|(_, operator, _)| operator != c), "C is in the audit log: {trail:?}");

        // SIGTERM: the daemon writes everything and exits 0, and the
        // database opens without it, with both claims on it.
        let status = daemon.stop();
        assert!(status.is_some_and(|s| s.success()), "caredesk serve ended with {status:?} on SIGTERM");
        let queue = caredesk_json(&bin, &db, &["ticket", "list", "--queue", "helpdesk"]);
        let assignees: Vec<&Value> = queue.as_array().expect("a list").iter().map(|t| &t["assignee"]).collect();
        assert!(assignees.contains(&&Value::from(a)) && assignees.contains(&&Value::from(b)), "{queue}");
    };

    if let Err(cause) = panic::catch_unwind(AssertUnwindSafe(walk_through)) {
        let screens: String = [("a", a), ("b", b), ("c", c)]
            .map(|(session, user)| format!("--- {user}'s screen ---\n{}\n", compact(&tmux.screen(session))))
            .concat();
        panic!(
            "{}\n\n{screens}--- sshd log ---\n{}\n--- daemon log ({}) ---\n{}\n--- daemon output ---\n{}",
            panic_text(cause.as_ref()),
            tail(&work.path().join("sshd.log"), 40),
            daemon_log(&db).display(),
            tail(&daemon_log(&db), 60),
            tail(&daemon_output, 40),
        );
    }
}
