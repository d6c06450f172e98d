//! `caredesk ticket mail|original|attachment`: the messages behind a
//! ticket, the original of one as it arrived, and its kept attachments.
//!
//! On a terminal an original is shown through the one sanitiser; the exact
//! bytes go only to a file (`--out FILE`, made new with mode 0600, never
//! over an existing one) or to a pipe (`--out -`), so nothing a sender
//! wrote can drive the operator's terminal.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use super::print::safe;
use crate::desk::{Desk, DeskExt};
use crate::domain::mail::{MailRecord, human_size};
use crate::domain::ticket::TicketRef;
use crate::service::MailPiece;
use crate::service::ops::{ListTicketMail, ReadMailPiece};

/// The message at `position` (1 = the first taken in on the ticket).
fn message(desk: &dyn Desk, ticket: TicketRef, position: usize) -> Result<MailRecord> {
    let mails = desk.call(ListTicketMail { ticket })?;
    if mails.is_empty() {
        bail!("{ticket} has no messages taken in by mail");
    }
    let count = mails.len();
    mails.into_iter().nth(position.saturating_sub(1)).filter(|_| position >= 1).with_context(|| {
        format!(
            "{ticket} has {count} message(s): give --mail 1 to {count} (`caredesk ticket mail {ticket}` lists them)"
        )
    })
}

/// Where exact bytes go.
enum Sink {
    File(PathBuf),
    Stdout,
}

impl Sink {
    fn from_arg(out: Option<&Path>) -> Result<Option<Sink>> {
        Ok(match out {
            None => None,
            Some(p) if p == Path::new("-") => {
                if std::io::stdout().is_terminal() {
                    bail!(
                        "--out - writes the exact bytes, which are not for a terminal: pipe them, or give --out FILE"
                    );
                }
                Some(Sink::Stdout)
            }
            Some(p) => Some(Sink::File(p.to_owned())),
        })
    }

    fn write(self, bytes: &[u8], what: &str) -> Result<()> {
        match self {
            Sink::Stdout => {
                let mut stdout = std::io::stdout().lock();
                stdout.write_all(bytes)?;
                stdout.flush()?;
            }
            Sink::File(path) => {
                use std::os::unix::fs::OpenOptionsExt;
                let mut file =
                    std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&path).with_context(
                        || format!("could not make {}: choose a file name that does not exist yet", path.display()),
                    )?;
                file.write_all(bytes).and_then(|()| file.sync_all()).with_context(|| {
                    let _ = std::fs::remove_file(&path);
                    format!("could not write {}", path.display())
                })?;
                println!("wrote {what} ({}) to {}", human_size(bytes.len() as u64), path.display());
            }
        }
        Ok(())
    }
}

/// The original of a message, put back together from its stored pieces.
pub fn original(desk: &dyn Desk, ticket: TicketRef, position: usize, out: Option<&Path>) -> Result<()> {
    let sink = Sink::from_arg(out)?;
    let mail = message(desk, ticket, position)?;
    let mut raw = Vec::with_capacity(mail.raw_len as usize);
    let mut chunk = 0;
    loop {
        let piece = desk.call(ReadMailPiece { ticket, mail: mail.id, piece: MailPiece::Original { chunk } })?;
        raw.extend_from_slice(&piece.bytes);
        chunk += 1;
        if chunk >= piece.pieces {
            break;
        }
    }
    match sink {
        Some(sink) => sink.write(&raw, &format!("the original of message {position} on {ticket}")),
        None => {
            println!("{}", safe(&String::from_utf8_lossy(&raw)).trim_end());
            Ok(())
        }
    }
}

/// One kept attachment of a message, to a file or a pipe.
pub fn attachment(desk: &dyn Desk, ticket: TicketRef, position: usize, number: usize, out: &Path) -> Result<()> {
    let sink = Sink::from_arg(Some(out))?.expect("an --out was given");
    let mail = message(desk, ticket, position)?;
    let count = mail.attachments.len();
    if number == 0 || number > count {
        bail!("message {position} on {ticket} has {count} attachment(s): give 1 to {count}");
    }
    let index = u32::try_from(number - 1).context("no message has that many attachments")?;
    let piece =
        desk.call(ReadMailPiece { ticket, mail: mail.id, piece: MailPiece::Attachment { index, at_most: None } })?;
    let name = piece.attachment.map(|a| a.name).unwrap_or_default();
    sink.write(&piece.bytes, &format!("attachment {number} ({}) of message {position} on {ticket}", safe(&name)))
}
