//! Taking mail in from an IMAP mailbox, with the `imap` crate (3.0, the
//! synchronous client; async-imap would need an async runtime the rest of
//! caredesk does not have). TLS or STARTTLS through rustls (src/mail/tls.rs);
//! plain text only to a server on this machine.
//!
//! Each unseen message is fetched with BODY.PEEK (so fetching does not mark
//! it), taken in (committed and flushed), and only then marked \Seen or
//! moved. A crash in between leaves it unseen, and the Message-ID index
//! turns the next fetch into a duplicate, not a second ticket. Between
//! rounds the client waits in IDLE when the server offers it, else sleeps.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;

use super::parse;
use super::smtp::read_password;
use super::tls::MailStream;
use crate::domain::mail_reply::{ImapSettings, SmtpSecurity};
use crate::service::{Ctx, Service};

/// How many messages one round fetches, so a backlog goes in steps.
pub const MAX_PER_ROUND: usize = 500;

/// How long a broken connection waits before it is tried again.
const RECONNECT_AFTER: Duration = Duration::from_secs(30);

pub type Session = imap::Session<MailStream>;

/// Logs in to the mailbox and opens its folder.
pub fn connect(box_: &ImapSettings) -> Result<Session, String> {
    let (host, port) = (box_.host.as_str(), box_.port);
    let unreachable = |e: std::io::Error| format!("could not reach {host}:{port}: {e}");
    let tcp = MailStream::tcp(host, port).map_err(unreachable)?;
    let client = match box_.security {
        SmtpSecurity::Tls => {
            let tls = MailStream::tls(host, tcp).map_err(|e| format!("TLS with {host}:{port} failed: {e}"))?;
            greeted(imap::Client::new(tls), host)?
        }
        SmtpSecurity::LocalPlain => greeted(imap::Client::new(MailStream::Plain(tcp)), host)?,
        SmtpSecurity::StartTls => {
            let tcp = starttls(tcp, host).map_err(|e| format!("{host}:{port}: {e}"))?;
            let tls = MailStream::tls(host, tcp).map_err(|e| format!("TLS with {host}:{port} failed: {e}"))?;
            let mut client = imap::Client::new(tls);
            // The greeting was read before the upgrade.
            client.greeting_read = true;
            client
        }
    };
    let password = read_password(&box_.password_file).map_err(|e| e.to_string())?;
    let mut session =
        client.login(&box_.username, password).map_err(|(e, _)| format!("{host} refused the login: {e}"))?;
    session.select(&box_.folder).map_err(|e| format!("could not open the folder {}: {e}", box_.folder))?;
    Ok(session)
}

/// The longest line accepted from a server before TLS, and how many lines.
const PLAIN_LINE_LIMIT: usize = 8 * 1024;
const PLAIN_LINES_LIMIT: usize = 64;

/// Asks for STARTTLS before anything else is said (RFC 3501 6.2.1), on the
/// bare stream: the IMAP crate keeps that command to itself. A server that
/// does not offer it is refused, never used in clear.
fn starttls(mut tcp: std::net::TcpStream, host: &str) -> Result<std::net::TcpStream, String> {
    let greeting = plain_line(&mut tcp)?;
    if !greeting.starts_with("* OK") {
        return Err(format!("unexpected greeting: {}", crate::text::excerpt(&greeting, 200)));
    }
    let capability = plain_command(&mut tcp, "c1 CAPABILITY")?;
    let offered = capability.iter().any(|line| {
        line.starts_with("* CAPABILITY") && line.split_ascii_whitespace().any(|w| w.eq_ignore_ascii_case("STARTTLS"))
    });
    if !offered {
        return Err(format!("{host} does not offer STARTTLS; use tls on port 993, or fix the server"));
    }
    plain_command(&mut tcp, "c2 STARTTLS")?;
    Ok(tcp)
}

/// Sends one tagged command and reads up to its tagged answer, which must
/// be OK. Returns the lines before it.
fn plain_command(tcp: &mut std::net::TcpStream, command: &str) -> Result<Vec<String>, String> {
    use std::io::Write;
    let tag = command.split(' ').next().unwrap_or_default();
    tcp.write_all(format!("{command}\r\n").as_bytes()).map_err(|e| e.to_string())?;
    let mut lines = Vec::new();
    for _ in 0..PLAIN_LINES_LIMIT {
        let line = plain_line(tcp)?;
        if let Some(status) = line.strip_prefix(tag).map(str::trim_start) {
            return if status.starts_with("OK") {
                Ok(lines)
            } else {
                Err(format!("{command} was refused: {}", crate::text::excerpt(status, 200)))
            };
        }
        lines.push(line);
    }
    Err(format!("no answer to {command} within {PLAIN_LINES_LIMIT} lines"))
}

/// One CRLF-ended line, read a byte at a time so that nothing after it is
/// taken from the stream the TLS handshake needs.
fn plain_line(tcp: &mut std::net::TcpStream) -> Result<String, String> {
    use std::io::Read;
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while line.len() < PLAIN_LINE_LIMIT {
        match tcp.read(&mut byte) {
            Ok(0) => return Err("the server closed the connection".into()),
            Ok(_) if byte[0] == b'\n' => {
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(String::from_utf8_lossy(&line).into_owned());
            }
            Ok(_) => line.push(byte[0]),
            Err(e) => return Err(e.to_string()),
        }
    }
    Err(format!("a line longer than {PLAIN_LINE_LIMIT} bytes"))
}

/// A client whose server has said hello.
fn greeted<T: std::io::Read + std::io::Write>(
    mut client: imap::Client<T>,
    host: &str,
) -> Result<imap::Client<T>, String> {
    client.read_greeting().map_err(|e| format!("{host} did not greet: {e}"))?;
    Ok(client)
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
