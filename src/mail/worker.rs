//! The daemon's mail work: every few seconds, take in what waits in the
//! watched Maildir and hand due outgoing mail to the submission server.
//!
//! Each message is committed (and flushed, as every daemon command is)
//! before it is marked seen; the store's bulk mode is never used here,
//! because other operators' commands run at the same time.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;

use super::{maildir, parse};
use crate::service::{Ctx, Service};

/// What the daemon does with mail, and how often.
#[derive(Debug, Clone)]
pub struct MailWork {
    /// The operator the intake acts as (the daemon's user).
    pub operator: String,
    /// A Maildir to take mail in from, if any.
    pub maildir: Option<PathBuf>,
    pub every: Duration,
}

/// Starts the mail thread, and one per IMAP mailbox in the settings; they
/// run until the process ends.
pub fn spawn(service: Arc<Service>, work: MailWork) -> std::io::Result<()> {
    let boxes = service.store().mail_settings().map(|s| s.imap).unwrap_or_default();
    for box_ in boxes {
        super::imap::spawn(service.clone(), work.operator.clone(), box_, work.every)?;
    }
    std::thread::Builder::new().name("caredesk-mail".into()).spawn(move || {
        loop {
            if let Err(e) = pass(&service, &work) {
                tracing::warn!("mail: {e}");
            }
            std::thread::sleep(work.every);
        }
    })?;
    Ok(())
}

/// One round: intake, then sending. Returns (taken in, attempted).
pub fn pass(service: &Service, work: &MailWork) -> Result<(usize, usize), String> {
    let mut taken = 0;
    if let Some(dir) = &work.maildir {
        let addresses = service.store().mail_settings().map_err(|e| e.to_string())?.addresses;
        for file in maildir::pending(dir).map_err(|e| e.to_string())? {
            let raw = match file.read() {
                Ok(raw) => raw,
                Err(e) => {
                    tracing::warn!("mail: {e}");
                    continue;
                }
            };
            let mail = parse(&raw, file.delivered_at);
            let ctx = Ctx::new(work.operator.clone(), Utc::now());
            let intake =
                service.take_in_mail(&ctx, addresses.channel_for(&mail.to), &mail).map_err(|e| e.to_string())?;
            tracing::info!(ticket = %intake.ticket, "mail: {}", intake.summary);
            // Committed and flushed: the message may now be marked seen.
            file.mark_seen().map_err(|e| e.to_string())?;
            taken += 1;
        }
    }
    let settings = service.store().mail_settings().map_err(|e| e.to_string())?;
    let attempted = match super::smtp::Submission::from_settings(&settings).map_err(|e| e.to_string())? {
        Some(submission) if !service.store().is_demo().unwrap_or(true) => service
            .send_due_mail(&Ctx::new(work.operator.clone(), Utc::now()), &submission)
            .map_err(|e| e.to_string())?,
        _ => 0,
    };
    Ok((taken, attempted))
}
