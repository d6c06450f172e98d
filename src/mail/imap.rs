//! Taking mail in from an IMAP mailbox, with the `imap` crate (3.0, the
//! synchronous client; async-imap would need an async runtime the rest of
//! caredesk does not have). TLS or STARTTLS through rustls; plain text only
//! to a server on this machine.
//!
//! Each unseen message is fetched with BODY.PEEK (so fetching does not mark
//! it), taken in (committed and flushed), and only then marked \Seen or
//! moved. A crash in between leaves it unseen, and the Message-ID index
//! turns the next fetch into a duplicate, not a second ticket. Between
//! rounds the client waits in IDLE when the server offers it, else sleeps.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use imap::{ClientBuilder, ConnectionMode};

use super::parse;
use super::smtp::read_password;
use crate::domain::mail_reply::{ImapSettings, SmtpSecurity};
use crate::service::{Ctx, Service};

/// How many messages one round fetches, so a backlog goes in steps.
pub const MAX_PER_ROUND: usize = 500;

/// How long a broken connection waits before it is tried again.
const RECONNECT_AFTER: Duration = Duration::from_secs(30);

type Session = imap::Session<imap::Connection>;

fn connect(box_: &ImapSettings) -> Result<Session, String> {
    let mode = match box_.security {
        SmtpSecurity::Tls => ConnectionMode::Tls,
        SmtpSecurity::StartTls => ConnectionMode::StartTls,
        SmtpSecurity::LocalPlain => ConnectionMode::Plaintext,
    };
    let client = ClientBuilder::new(box_.host.as_str(), box_.port)
        .mode(mode)
        .connect()
        .map_err(|e| format!("could not reach {}:{}: {e}", box_.host, box_.port))?;
    let password = read_password(&box_.password_file).map_err(|e| e.to_string())?;
    let mut session =
        client.login(&box_.username, password).map_err(|(e, _)| format!("{} refused the login: {e}", box_.host))?;
    session.select(&box_.folder).map_err(|e| format!("could not open the folder {}: {e}", box_.folder))?;
    Ok(session)
}

/// One round: every unseen message, oldest first. Returns how many were
/// taken in.
pub fn round(session: &mut Session, service: &Service, operator: &str, box_: &ImapSettings) -> Result<usize, String> {
    let mut uids: Vec<u32> = session.uid_search("UNSEEN").map_err(|e| e.to_string())?.into_iter().collect();
    uids.sort_unstable();
    uids.truncate(MAX_PER_ROUND);
    let mut taken = 0;
    for uid in uids {
        let fetched = session.uid_fetch(uid.to_string(), "(BODY.PEEK[] INTERNALDATE)").map_err(|e| e.to_string())?;
        let Some(message) = fetched.iter().next() else { continue };
        let Some(raw) = message.body() else { continue };
        let arrived = message.internal_date().map(|d| d.to_utc()).unwrap_or_else(Utc::now);
        let mail = parse(raw, arrived);
        let ctx = Ctx::new(operator.to_owned(), Utc::now());
        let intake = service.take_in_mail(&ctx, box_.channel, &mail).map_err(|e| e.to_string())?;
        tracing::info!(ticket = %intake.ticket, uid, "imap: {}", intake.summary);
        // Committed and flushed: only now may the server forget it.
        match &box_.move_to {
            Some(folder) => session.uid_mv(uid.to_string(), folder).map_err(|e| e.to_string())?,
            None => {
                session.uid_store(uid.to_string(), "+FLAGS (\\Seen)").map_err(|e| e.to_string())?;
            }
        }
        taken += 1;
    }
    Ok(taken)
}

/// Watches one mailbox until the process ends.
pub fn spawn(service: Arc<Service>, operator: String, box_: ImapSettings, every: Duration) -> std::io::Result<()> {
    std::thread::Builder::new().name(format!("caredesk-imap-{}", box_.channel)).spawn(move || {
        loop {
            let mut session = match connect(&box_) {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!("imap {}: {e}", box_.channel);
                    std::thread::sleep(RECONNECT_AFTER);
                    continue;
                }
            };
            let idle = session.capabilities().map(|c| c.has_str("IDLE")).unwrap_or(false);
            loop {
                if let Err(e) = round(&mut session, &service, &operator, &box_) {
                    tracing::warn!("imap {}: {e}", box_.channel);
                    break;
                }
                let waited = if idle {
                    // Returns at the first thing the server says (new mail)
                    // or after `every`.
                    session.idle().timeout(every).wait_while(|_| false).map(drop).map_err(|e| e.to_string())
                } else {
                    std::thread::sleep(every);
                    Ok(())
                };
                if let Err(e) = waited {
                    tracing::warn!("imap {}: {e}", box_.channel);
                    break;
                }
            }
            let _ = session.logout();
            std::thread::sleep(Duration::from_secs(1));
        }
    })?;
    Ok(())
}
