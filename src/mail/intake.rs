//! Taking in what waits in a Maildir (or one `.eml` file): read, parse,
//! hand to the service, and mark seen only once the tickets are on disk.
//!
//! Messages go in batches: each batch is committed with the store's
//! per-commit flush deferred, flushed once, and only then marked seen. A
//! crash anywhere leaves every message either unseen (and taken in again,
//! harmlessly, next time) or committed.

use std::path::{Path, PathBuf};

use super::InboundMail;
use super::maildir::{self, MaildirError};
use crate::domain::routing::Channel;
use crate::domain::ticket::TicketRef;
use crate::service::{Ctx, IntakeKind, Service, ServiceError};

/// Messages committed between two flushes.
pub const BATCH: usize = 200;

#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    #[error(transparent)]
    Maildir(#[from] MaildirError),
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<crate::store::StoreError> for IntakeError {
    fn from(e: crate::store::StoreError) -> Self {
        IntakeError::Service(e.into())
    }
}

/// What one pass took in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IntakeReport {
    pub created: Vec<TicketRef>,
    pub threaded: Vec<TicketRef>,
    pub duplicates: usize,
    /// Files that could not be read, with why; they stay unseen.
    pub unreadable: Vec<(PathBuf, String)>,
}

impl IntakeReport {
    pub fn total(&self) -> usize {
        self.created.len() + self.threaded.len() + self.duplicates
    }
}

/// Takes in every pending message at `path` as mail that reached the
/// mailbox `channel_of` says it reached. It defers the store's per-commit flush within a
/// batch, so it is for a process that holds the database alone (`caredesk
/// mail import`, the demo builder), never for the daemon, whose other
/// commands must each be flushed before they are answered.
pub fn import(
    service: &Service,
    ctx: &Ctx,
    path: &Path,
    channel_of: &dyn Fn(&InboundMail) -> Channel,
) -> Result<IntakeReport, IntakeError> {
    let files = maildir::pending(path)?;
    let mut report = IntakeReport::default();
    for batch in files.chunks(BATCH) {
        let mut done = Vec::with_capacity(batch.len());
        service.store().bulk(|| -> Result<(), IntakeError> {
            for file in batch {
                let raw = match file.read() {
                    Ok(raw) => raw,
                    Err(e) => {
                        report.unreadable.push((file.path.clone(), e.to_string()));
                        continue;
                    }
                };
                let mail = super::parse(&raw, file.delivered_at);
                let intake = service.take_in_mail(ctx, channel_of(&mail), &mail)?;
                match intake.kind {
                    IntakeKind::Created => report.created.push(intake.ticket),
                    IntakeKind::Threaded => report.threaded.push(intake.ticket),
                    IntakeKind::Duplicate => report.duplicates += 1,
                }
                done.push(file);
            }
            Ok(())
        })?;
        // Flushed: only now may the server forget them.
        for file in done {
            if let Err(e) = file.mark_seen() {
                tracing::warn!("{e}: it will be read again and recognised as already taken in");
            }
        }
    }
    Ok(report)
}
