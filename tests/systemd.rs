//! `caredesk serve` under systemd: it says READY=1 only once its socket is
//! there, and keeps a status line of who is connected.

use std::os::unix::net::UnixDatagram;
use std::process::{Command, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_caredesk");

fn caredesk(home: &std::path::Path) -> Command {
    let mut cmd = Command::new(BIN);
    for var in ["CAREDESK_DB", "CAREDESK_SOCKET", "CAREDESK_CACHE_MB", "CAREDESK_LOG", "CAREDESK_LOG_FILE"] {
        cmd.env_remove(var);
    }
    cmd.env("CAREDESK_CONFIG", home.join("none.toml")).env("HOME", home).env_remove("NOTIFY_SOCKET");
    std::fs::write(home.join("none.toml"), "").unwrap();
    cmd
}

fn next(listener: &UnixDatagram) -> String {
    let mut buf = [0u8; 4096];
    let n = listener.recv(&mut buf).expect("systemd was told nothing within the time allowed");
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

#[test]
fn the_daemon_is_ready_once_its_socket_is_up_and_its_status_counts_operators() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let socket = dir.path().join("db.run").join("caredesk.sock");
    let init = caredesk(dir.path()).arg("--db").arg(&db).arg("init").output().unwrap();
    assert!(init.status.success(), "{}", String::from_utf8_lossy(&init.stderr));

    let notify = dir.path().join("notify.sock");
    let listener = UnixDatagram::bind(&notify).unwrap();
    listener.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut daemon = caredesk(dir.path())
        .env("NOTIFY_SOCKET", &notify)
        .arg("--db")
        .arg(&db)
        .args(["serve", "--sweep-every", "0"])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();

    let ready = next(&listener);
    let lines: Vec<&str> = ready.lines().collect();
    assert!(lines.contains(&"READY=1"), "{ready:?}");
    assert!(lines.contains(&"STATUS=serving 0 operators, no sweep yet"), "{ready:?}");
    assert!(socket.exists(), "READY=1 came before the socket was there");

    // An operator connects (this test's user, who made the database).
    let status = caredesk(dir.path()).arg("--db").arg(&db).arg("status").output().unwrap();
    assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
    let mut seen = Vec::new();
    while !seen.iter().any(|m: &String| m.contains("STATUS=serving 1 operator")) {
        seen.push(next(&listener));
    }

    let term = Command::new("kill").arg("-TERM").arg(daemon.id().to_string()).status().unwrap();
    assert!(term.success());
    while !seen.iter().any(|m| m.contains("STOPPING=1")) {
        seen.push(next(&listener));
    }
    assert!(daemon.wait().unwrap().success());
}
