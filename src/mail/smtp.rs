//! Handing outgoing mail to a submission server with lettre: STARTTLS on
//! 587 (or TLS on 465), logging in with a password read from a file or from
//! systemd's `$CREDENTIALS_DIRECTORY` when the sender starts, never from the
//! command line or the database.
//!
//! Plain text is allowed only to a server on this machine (the settings
//! refuse anything else), for a local relay and for tests.

use std::path::PathBuf;
use std::time::Duration;

use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{Message, SmtpTransport, Transport};

use crate::domain::mail_reply::{Attempt, MailSettings, OutgoingMail, SmtpSecurity, SmtpSettings};
use crate::service::MailTransport;

/// The largest password file read.
const MAX_PASSWORD_BYTES: u64 = 4096;

#[derive(Debug, thiserror::Error)]
pub enum SubmissionError {
    #[error(
        "the mail password {name:?} names no file here and $CREDENTIALS_DIRECTORY is not set: give a path, or \
         run under systemd with LoadCredential={name}"
    )]
    NoCredentials { name: String },
    #[error("could not read the mail password from {path}: {source}")]
    Unreadable { path: PathBuf, source: std::io::Error },
    #[error("the mail password file {path} is empty or larger than {MAX_PASSWORD_BYTES} bytes")]
    BadPassword { path: PathBuf },
    #[error("the mail server {host} cannot be used: {detail}")]
    Server { host: String, detail: String },
}

/// Where the password is: a path, or a credential's name.
pub fn password_path(spec: &str) -> Result<PathBuf, SubmissionError> {
    if spec.contains('/') {
        return Ok(PathBuf::from(spec));
    }
    match std::env::var_os("CREDENTIALS_DIRECTORY") {
        Some(dir) => Ok(PathBuf::from(dir).join(spec)),
        None => Err(SubmissionError::NoCredentials { name: spec.to_owned() }),
    }
}

/// Reads the password; the error names the file, never its content.
pub(super) fn read_password(spec: &str) -> Result<String, SubmissionError> {
    use std::io::Read;
    let path = password_path(spec)?;
    let unreadable = |source| SubmissionError::Unreadable { path: path.clone(), source };
    let mut text = String::new();
    std::fs::File::open(&path)
        .map_err(unreadable)?
        .take(MAX_PASSWORD_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(unreadable)?;
    let password = text.trim_end_matches(['\n', '\r']).to_owned();
    if password.is_empty() || text.len() as u64 > MAX_PASSWORD_BYTES {
        return Err(SubmissionError::BadPassword { path });
    }
    Ok(password)
}

/// A submission server, ready to send.
pub struct Submission {
    transport: SmtpTransport,
}

impl Submission {
    /// The server the settings name, or `None` when they name none.
    pub fn from_settings(settings: &MailSettings) -> Result<Option<Submission>, SubmissionError> {
        let Some(smtp) = &settings.smtp else { return Ok(None) };
        Ok(Some(Submission::connect(smtp, Duration::from_secs(u64::from(settings.attempt_timeout_secs)))?))
    }

    fn connect(smtp: &SmtpSettings, timeout: Duration) -> Result<Submission, SubmissionError> {
        let server = |e: lettre::transport::smtp::Error| SubmissionError::Server {
            host: smtp.host.clone(),
            detail: e.to_string(),
        };
        let builder = match smtp.security {
            SmtpSecurity::StartTls => SmtpTransport::starttls_relay(&smtp.host).map_err(server)?,
            SmtpSecurity::Tls => SmtpTransport::relay(&smtp.host).map_err(server)?,
            SmtpSecurity::LocalPlain => SmtpTransport::builder_dangerous(&smtp.host),
        };
        let mut builder = builder.port(smtp.port).timeout(Some(timeout));
        if let (Some(user), Some(spec)) = (&smtp.username, &smtp.password_file) {
            builder = builder.credentials(Credentials::new(user.clone(), read_password(spec)?));
        }
        Ok(Submission { transport: builder.build() })
    }
}

/// The mail as it goes on the wire.
pub fn message(mail: &OutgoingMail) -> Result<Message, Attempt> {
    let mailbox =
        |a: &str| a.parse::<Mailbox>().map_err(|e| Attempt::Permanent(format!("the address {a:?} is not usable: {e}")));
    let mut builder = Message::builder()
        .from(mailbox(&mail.from)?)
        .to(mailbox(&mail.to)?)
        .subject(mail.subject.clone())
        .message_id(Some(format!("<{}>", mail.message_id)))
        .header(ContentType::TEXT_PLAIN);
    if let Some(parent) = &mail.in_reply_to {
        builder = builder.in_reply_to(format!("<{parent}>"));
    }
    if !mail.references.is_empty() {
        let refs: Vec<String> = mail.references.iter().map(|r| format!("<{r}>")).collect();
        builder = builder.references(refs.join(" "));
    }
    if mail.kind == crate::domain::mail_reply::OutgoingKind::Acknowledgement {
        // RFC 3834: other auto-responders must not answer it.
        builder = builder.header(AutoSubmitted);
    }
    builder.body(mail.body.clone()).map_err(|e| Attempt::Permanent(format!("the mail could not be built: {e}")))
}

#[derive(Clone)]
struct AutoSubmitted;

impl lettre::message::header::Header for AutoSubmitted {
    fn name() -> lettre::message::header::HeaderName {
        lettre::message::header::HeaderName::new_from_ascii_str("Auto-Submitted")
    }
    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AutoSubmitted)
    }
    fn display(&self) -> lettre::message::header::HeaderValue {
        lettre::message::header::HeaderValue::new(Self::name(), "auto-replied".to_owned())
    }
}

impl MailTransport for Submission {
    fn send(&self, mail: &OutgoingMail) -> Result<(), Attempt> {
        let message = message(mail)?;
        match self.transport.send(&message) {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(Attempt::Permanent(e.to_string())),
            Err(e) => Err(Attempt::Transient(e.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::mail_reply::{MailStatus, OutgoingKind};
    use crate::domain::record::RecordMeta;
    use crate::domain::ticket::TicketRef;

    fn outgoing() -> OutgoingMail {
        let now = chrono::DateTime::from_timestamp(1_767_780_000, 0).unwrap();
        OutgoingMail {
            seq: 1,
            ticket: TicketRef(7),
            kind: OutgoingKind::Acknowledgement,
            from: "careadmin@nhs.net".into(),
            to: "jo@example.org".into(),
            subject: "[CD-000007] Leaver".into(),
            body: "Dear Jo".into(),
            message_id: "cd-000007.1.1@nhs.net".into(),
            in_reply_to: Some("req@example.org".into()),
            references: vec!["req@example.org".into()],
            queued_at: now,
            status: MailStatus::Queued,
            attempts: 0,
            next_attempt_at: Some(now),
            meta: RecordMeta::created("t", now),
        }
    }

    #[test]
    fn the_wire_message_threads_and_marks_itself_automatic() {
        let text = String::from_utf8(message(&outgoing()).unwrap().formatted()).unwrap();
        assert!(text.contains("Message-ID: <cd-000007.1.1@nhs.net>"), "{text}");
        assert!(text.contains("In-Reply-To: <req@example.org>"), "{text}");
        assert!(text.contains("References: <req@example.org>"), "{text}");
        assert!(text.contains("Auto-Submitted: auto-replied"), "{text}");
        assert!(text.contains("Subject: [CD-000007] Leaver"), "{text}");
    }

    #[test]
    fn a_bad_address_is_a_permanent_failure() {
        let mut m = outgoing();
        m.to = "not an address".into();
        assert!(matches!(message(&m), Err(Attempt::Permanent(_))));
    }

    #[test]
    fn a_password_is_read_from_a_file_and_never_shown_in_errors() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pw");
        std::fs::write(&file, "s3cret\n").unwrap();
        assert_eq!(read_password(file.to_str().unwrap()).unwrap(), "s3cret");
        std::fs::write(&file, "").unwrap();
        let err = read_password(file.to_str().unwrap()).unwrap_err().to_string();
        assert!(err.contains("empty"), "{err}");
        let missing = read_password("/nonexistent/pw").unwrap_err().to_string();
        assert!(missing.contains("/nonexistent/pw") && !missing.contains("s3cret"));
    }
}
