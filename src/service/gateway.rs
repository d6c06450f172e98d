//! Sending text messages, and the temporary passwords they carry.
//!
//! By default nothing leaves the machine: the outbox (with the password
//! masked) is the record. A supervisor can configure a program that sends
//! for real; it receives the mobile as its argument and the real text on
//! standard input, and nothing else ever sees that text.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::domain::policy::Policy;
use crate::domain::validate::Mobile;

pub trait SmsGateway: Send + Sync {
    /// Whether messages are only kept in the outbox.
    fn keeps_only(&self) -> bool;
    /// Hands one message to the network. The text holds the real password.
    fn send(&self, to: &Mobile, text: &str) -> Result<(), String>;
}

/// The default: the outbox is the record, nothing is sent.
pub struct OutboxOnly;

impl SmsGateway for OutboxOnly {
    fn keeps_only(&self) -> bool {
        true
    }
    fn send(&self, _to: &Mobile, _text: &str) -> Result<(), String> {
        Ok(())
    }
}

/// Runs a configured shell command per message, for at most `timeout`.
pub struct CommandGateway {
    pub program: String,
    /// A command still running after this is stopped, and the message
    /// counts as not sent.
    pub timeout: Duration,
    /// A file of credentials for the command, named to it as
    /// `$CAREDESK_SMS_CREDENTIALS`; caredesk never reads it.
    pub credentials: Option<PathBuf>,
}

/// How long a command named by the database's policy may take.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// How much of the command's complaint is kept for the outbox.
const STDERR_KEPT: u64 = 4096;

impl CommandGateway {
    pub fn new(program: impl Into<String>) -> CommandGateway {
        CommandGateway { program: program.into(), timeout: DEFAULT_TIMEOUT, credentials: None }
    }
}

impl SmsGateway for CommandGateway {
    fn keeps_only(&self) -> bool {
        false
    }

    fn send(&self, to: &Mobile, text: &str) -> Result<(), String> {
        let mut command = Command::new("sh");
        command.arg("-c").arg(&self.program).arg("caredesk-sms").arg(to.international());
        if let Some(file) = &self.credentials {
            command.env("CAREDESK_SMS_CREDENTIALS", file);
        }
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("could not start the SMS command: {e}"))?;
        // Read the complaint as it comes, so a chatty command cannot fill
        // the pipe and hang until the timeout.
        let complaint = child.stderr.take().map(|err| {
            std::thread::spawn(move || {
                let mut kept = String::new();
                let _ = err.take(STDERR_KEPT).read_to_string(&mut kept);
                kept
            })
        });
        if let Some(mut stdin) = child.stdin.take() {
            stdin.write_all(text.as_bytes()).map_err(|e| format!("could not hand the message over: {e}"))?;
        }
        let deadline = Instant::now() + self.timeout;
        let status = loop {
            match child.try_wait().map_err(|e| format!("the SMS command failed: {e}"))? {
                Some(status) => break status,
                None if Instant::now() >= deadline => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(format!(
                        "the SMS command took longer than {} seconds and was stopped",
                        self.timeout.as_secs()
                    ));
                }
                None => std::thread::sleep(Duration::from_millis(20)),
            }
        };
        if status.success() {
            Ok(())
        } else {
            let err = complaint.and_then(|t| t.join().ok()).unwrap_or_default();
            Err(format!("the SMS command exited with {status}: {}", err.trim()))
        }
    }
}

pub fn from_policy(policy: &Policy) -> std::sync::Arc<dyn SmsGateway> {
    match &policy.sms_command {
        Some(program) => std::sync::Arc::new(CommandGateway::new(program.clone())),
        None => std::sync::Arc::new(OutboxOnly),
    }
}

/// Characters a person can read off a phone and type without confusion.
const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

/// A fresh temporary password: 12 characters, at least one upper-case
/// letter, lower-case letter and digit, from the operating system's
/// random source.
pub fn temporary_password() -> String {
    loop {
        let mut bytes = [0u8; 12];
        if getrandom::fill(&mut bytes).is_err() {
            continue;
        }
        // 256 is not a multiple of the alphabet size; reject the tail so
        // every character is equally likely.
        let limit = (256 / ALPHABET.len() * ALPHABET.len()) as u8;
        if bytes.iter().any(|b| *b >= limit) {
            continue;
        }
        let password: String = bytes.iter().map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char).collect();
        let has = |f: fn(&char) -> bool| password.chars().any(|c| f(&c));
        if has(char::is_ascii_uppercase) && has(char::is_ascii_lowercase) && has(char::is_ascii_digit) {
            return password;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_passwords_are_strong_and_different() {
        let a = temporary_password();
        let b = temporary_password();
        assert_ne!(a, b);
        assert_eq!(a.len(), 12);
        assert!(a.bytes().all(|c| ALPHABET.contains(&c)));
    }

    #[test]
    fn a_command_gateway_gets_the_number_and_the_text() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("sent");
        let gw = CommandGateway::new(format!("printf '%s\\n' \"$1\" > {0}; cat >> {0}", out.display()));
        gw.send(&Mobile::parse("07700 900123").unwrap(), "hello").unwrap();
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "+447700900123\nhello");
        let failing = CommandGateway::new("echo no signal >&2; exit 3");
        let err = failing.send(&Mobile::parse("07700900123").unwrap(), "x").unwrap_err();
        assert!(err.contains("no signal"), "{err}");
    }

    #[test]
    fn a_command_that_hangs_is_stopped_at_its_timeout() {
        let hanging = CommandGateway { timeout: Duration::from_millis(300), ..CommandGateway::new("sleep 30") };
        let started = Instant::now();
        let err = hanging.send(&Mobile::parse("07700900123").unwrap(), "x").unwrap_err();
        assert!(err.contains("took longer than"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(20), "the command was not stopped");
    }

    #[test]
    fn the_command_is_told_where_its_credentials_are_and_not_what_they_say() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("seen");
        let secret = dir.path().join("sms.secret");
        std::fs::write(&secret, "api-key-123").unwrap();
        let gw = CommandGateway {
            credentials: Some(secret.clone()),
            ..CommandGateway::new(format!(
                "cat >/dev/null; printf '%s' \"$CAREDESK_SMS_CREDENTIALS\" > {}",
                out.display()
            ))
        };
        gw.send(&Mobile::parse("07700900123").unwrap(), "hello").unwrap();
        assert_eq!(std::fs::read_to_string(&out).unwrap(), secret.display().to_string());
    }
}
