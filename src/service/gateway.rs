//! Sending text messages, and the temporary passwords they carry.
//!
//! By default nothing leaves the machine: the outbox (with the password
//! masked) is the record. A supervisor can configure a program that sends
//! for real; it receives the mobile as its argument and the real text on
//! standard input, and nothing else ever sees that text. It runs as an
//! external program with a deadline ([`super::external`]); when it fails,
//! what is kept is how it ended and a short excerpt of what it printed,
//! with the text and the password removed.

use std::path::PathBuf;
use std::time::Duration;

use super::external::{self, Ending, Program};
use crate::domain::policy::Policy;
use crate::domain::validate::Mobile;

/// The longest failure reason kept on an outbox entry.
pub const REASON_LIMIT: usize = 300;

/// The most of the SMS command's own output quoted in a failure reason.
const EXCERPT_LIMIT: usize = 160;

pub trait SmsGateway: Send + Sync {
    /// Whether messages are only kept in the outbox.
    fn keeps_only(&self) -> bool;
    /// Hands one message to the network. The text holds the real password,
    /// and `secrets` names it again: a failure's reason must contain
    /// neither the text nor a secret, because the outbox keeps it and
    /// every operator can read the outbox.
    fn send(&self, to: &Mobile, text: &str, secrets: &[&str]) -> Result<(), String>;
}

/// The default: the outbox is the record, nothing is sent.
pub struct OutboxOnly;

impl SmsGateway for OutboxOnly {
    fn keeps_only(&self) -> bool {
        true
    }
    fn send(&self, _to: &Mobile, _text: &str, _secrets: &[&str]) -> Result<(), String> {
        Ok(())
    }
}

/// Runs a configured shell command per message, for at most `limit`.
pub struct CommandGateway {
    pub program: String,
    /// A command still running after this is stopped, and the message
    /// counts as not sent.
    pub limit: Duration,
    /// A file of credentials for the command, named to it as
    /// `$CAREDESK_SMS_CREDENTIALS`; caredesk never reads it.
    pub credentials: Option<PathBuf>,
}

impl SmsGateway for CommandGateway {
    fn keeps_only(&self) -> bool {
        false
    }

    fn send(&self, to: &Mobile, text: &str, secrets: &[&str]) -> Result<(), String> {
        let args = [to.international()];
        let env: Vec<(&str, std::ffi::OsString)> =
            self.credentials.iter().map(|file| ("CAREDESK_SMS_CREDENTIALS", file.clone().into_os_string())).collect();
        let program = Program { line: &self.program, name: "caredesk-sms", args: &args, limit: self.limit, env: &env };
        let finished = external::run(&program, text.as_bytes())
            .map_err(|e| format!("the SMS command could not be started ({e})"))?;
        let mut hidden = vec![text];
        hidden.extend_from_slice(secrets);
        let said = match finished.excerpt(&hidden, EXCERPT_LIMIT) {
            excerpt if excerpt.is_empty() => String::new(),
            excerpt => format!("; it printed: {excerpt}"),
        };
        match &finished.ending {
            Ending::Exited(0) => Ok(()),
            Ending::Exited(code) => Err(format!("the SMS command failed with exit status {code}{said}")),
            Ending::Signalled(signal) => Err(format!("the SMS command was killed by {signal}{said}")),
            Ending::TimedOut(limit) => {
                Err(format!("the SMS command did not finish within {} s and was stopped{said}", limit.as_secs_f64()))
            }
        }
    }
}

/// What may be kept of a gateway's failure reason: every secret (and the
/// text that carried them) removed again, whoever wrote the gateway, then
/// one sanitised line of at most [`REASON_LIMIT`] characters.
pub fn kept_reason(reason: &str, secrets: &[&str]) -> String {
    crate::text::excerpt(&external::redact(reason, secrets, false), REASON_LIMIT)
}

pub fn from_policy(policy: &Policy) -> std::sync::Arc<dyn SmsGateway> {
    match &policy.sms_command {
        Some(program) => std::sync::Arc::new(CommandGateway {
            program: program.clone(),
            limit: Duration::from_secs(u64::from(policy.sms_time_limit_seconds.max(1))),
            credentials: None,
        }),
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
        let gw = CommandGateway {
            program: format!("printf '%s\\n' \"$1\" > {0}; cat >> {0}", out.display()),
            limit: Duration::from_secs(10),
            credentials: None,
        };
        gw.send(&Mobile::parse("07700 900123").unwrap(), "hello", &[]).unwrap();
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "+447700900123\nhello");
        let failing = CommandGateway {
            program: "echo no signal >&2; exit 3".into(),
            limit: Duration::from_secs(10),
            credentials: None,
        };
        let err = failing.send(&Mobile::parse("07700900123").unwrap(), "x", &[]).unwrap_err();
        assert_eq!(err, "the SMS command failed with exit status 3; it printed: no signal");
    }

    #[test]
    fn a_gateway_that_prints_the_message_back_has_it_removed() {
        let to = Mobile::parse("07700900123").unwrap();
        let text = "NHSmail: your password is Pw9xKq2mTt7A . Change it.";
        let gateway = |program: &str| CommandGateway {
            program: program.into(),
            limit: Duration::from_secs(10),
            credentials: None,
        };
        let err = gateway("cat >&2; exit 1").send(&to, text, &["Pw9xKq2mTt7A"]).unwrap_err();
        assert_eq!(err, "the SMS command failed with exit status 1; it printed: [removed]");
        let picked = gateway("sed 's/.* is \\([^ ]*\\) .*/token=\\1/' >&2; exit 1");
        let err = picked.send(&to, text, &["Pw9xKq2mTt7A"]).unwrap_err();
        assert_eq!(err, "the SMS command failed with exit status 1; it printed: token=[removed]");
        let err = gateway("tr a-z A-Z >&2; exit 1").send(&to, text, &["Pw9xKq2mTt7A"]).unwrap_err();
        assert!(!err.to_ascii_lowercase().contains("pw9xkq2mtt7a"), "{err}");
    }

    #[test]
    fn a_gateway_that_never_finishes_is_stopped_and_says_so() {
        let stuck =
            CommandGateway { program: "sleep 600".into(), limit: Duration::from_millis(300), credentials: None };
        let err = stuck.send(&Mobile::parse("07700900123").unwrap(), "x", &[]).unwrap_err();
        assert_eq!(err, "the SMS command did not finish within 0.3 s and was stopped");
    }

    #[test]
    fn a_kept_reason_has_no_secret_whoever_wrote_the_gateway() {
        let reason = kept_reason("modem said Pw9xKq2mTt7A\x1b[2J", &["Pw9xKq2mTt7A"]);
        assert_eq!(reason, "modem said [removed]\u{FFFD}[2J");
        assert_eq!(kept_reason(&"x".repeat(1000), &[]).chars().count(), REASON_LIMIT);
    }

    #[test]
    fn the_command_is_told_where_its_credentials_are_and_not_what_they_say() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("seen");
        let secret = dir.path().join("sms.secret");
        std::fs::write(&secret, "api-key-123").unwrap();
        let gw = CommandGateway {
            program: format!("cat >/dev/null; printf '%s' \"$CAREDESK_SMS_CREDENTIALS\" > {}", out.display()),
            limit: Duration::from_secs(10),
            credentials: Some(secret.clone()),
        };
        gw.send(&Mobile::parse("07700900123").unwrap(), "hello", &[]).unwrap();
        assert_eq!(std::fs::read_to_string(&out).unwrap(), secret.display().to_string());
    }
}
