//! A tmux server of a test's own, to drive the real binary in a real
//! terminal and read the screen back as an operator would see it.
//!
//! It needs tmux, which `.ci/run` installs when it is missing.
#![allow(dead_code)]

use std::process::Command;
use std::time::{Duration, Instant};

pub const WIDTH: u16 = 160;
pub const HEIGHT: u16 = 48;

/// A tmux server of the test's own, so nothing the operator runs is touched.
pub struct Tmux {
    socket: String,
}

impl Tmux {
    /// A server named after this process and `test`, so tests running at
    /// the same time each have their own.
    pub fn start(test: &str, command: &str) -> Tmux {
        let tmux = Tmux { socket: format!("caredesk-e2e-{}-{test}", std::process::id()) };
        let size = (WIDTH.to_string(), HEIGHT.to_string());
        tmux.cmd(&["new-session", "-d", "-s", "e2e", "-x", &size.0, "-y", &size.1, command]);
        tmux
    }

    pub fn cmd(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("tmux is needed for this test (`.ci/run` installs it): {e}"));
        assert!(out.status.success(), "tmux {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn screen(&self) -> String {
        self.cmd(&["capture-pane", "-p", "-t", "e2e"])
    }

    /// Types a key string: literal text, or tmux key names in `<…>`.
    pub fn keys(&self, text: &str) {
        let mut rest = text;
        while !rest.is_empty() {
            let named = rest.starts_with('<');
            if let Some(stripped) = rest.strip_prefix('<') {
                let end = stripped.find('>').expect("a closed <key>");
                self.cmd(&["send-keys", "-t", "e2e", &stripped[..end]]);
                rest = &stripped[end + 1..];
            } else {
                let end = rest.find('<').unwrap_or(rest.len());
                self.cmd(&["send-keys", "-t", "e2e", "-l", &rest[..end]]);
                rest = &rest[end..];
            }
            // Give the console a moment, as a person would; longer after a
            // named key, so an Esc is not read together with the next key
            // as Alt and that key.
            std::thread::sleep(Duration::from_millis(if named { 200 } else { 60 }));
        }
    }

    /// Waits until the screen shows `text`; fails with the screen if it never does.
    pub fn wait_for(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return screen;
            }
            assert!(Instant::now() < deadline, "the screen never showed {text:?}; it shows:\n{screen}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn flag(&self, name: &str) -> String {
        self.cmd(&["display-message", "-p", "-t", "e2e", &format!("#{{{name}}}")]).trim().to_owned()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux").arg("-L").arg(&self.socket).arg("kill-server").output();
    }
}

impl Tmux {
    /// Pastes `text` as a terminal does when text is dropped or pasted
    /// into it: bracketed, when the program asked for that, and with each
    /// line ending sent as the Enter key sends it (CR).
    pub fn paste(&self, text: &str) {
        self.cmd(&["set-buffer", "-b", "e2e-paste", "--", text]);
        self.cmd(&["paste-buffer", "-p", "-d", "-b", "e2e-paste", "-t", "e2e"]);
        std::thread::sleep(Duration::from_millis(200));
    }

    /// Waits until `wanted` holds for the screen; fails with the screen if
    /// it never does.
    pub fn wait_until(&self, what: &str, wanted: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let screen = self.screen();
            if wanted(&screen) {
                return screen;
            }
            assert!(Instant::now() < deadline, "the screen never showed {what}; it shows:\n{screen}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}
