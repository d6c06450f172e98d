//! Sending text messages, and the temporary passwords they carry.
//!
//! By default nothing leaves the machine: the outbox (with the password
//! masked) is the record. A supervisor can configure a program that sends
//! for real; it receives the mobile as its argument and the real text on
//! standard input, and nothing else ever sees that text.

use std::io::Write;
use std::process::{Command, Stdio};

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

/// Runs a configured shell command per message.
pub struct CommandGateway {
    pub program: String,
}

impl SmsGateway for CommandGateway {
    fn keeps_only(&self) -> bool {
        false
    }

    fn send(&self, to: &Mobile, text: &str) -> Result<(), String> {
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(&self.program)
            .arg("caredesk-sms")
            .arg(to.international())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("could not start the SMS command: {e}"))?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin.write_all(text.as_bytes()).map_err(|e| format!("could not hand the message over: {e}"))?;
        }
        let out = child.wait_with_output().map_err(|e| format!("the SMS command failed: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            let err = String::from_utf8_lossy(&out.stderr);
            Err(format!("the SMS command exited with {}: {}", out.status, err.trim()))
        }
    }
}

pub fn from_policy(policy: &Policy) -> std::sync::Arc<dyn SmsGateway> {
    match &policy.sms_command {
        Some(program) => std::sync::Arc::new(CommandGateway { program: program.clone() }),
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
        let gw = CommandGateway { program: format!("printf '%s\\n' \"$1\" > {0}; cat >> {0}", out.display()) };
        gw.send(&Mobile::parse("07700 900123").unwrap(), "hello").unwrap();
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "+447700900123\nhello");
        let failing = CommandGateway { program: "echo no signal >&2; exit 3".into() };
        let err = failing.send(&Mobile::parse("07700900123").unwrap(), "x").unwrap_err();
        assert!(err.contains("no signal"), "{err}");
    }
}
