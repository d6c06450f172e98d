//! `caredesk mail`: taking in mail from a Maildir or a message file.

use std::path::Path;

use anyhow::{Result, bail};

use super::args::MailCmd;
use crate::domain::routing::Channel;
use crate::mail::Addresses;
use crate::mail::intake::{self, IntakeReport};
use crate::service::{Ctx, Service};

pub fn run(service: &Service, ctx: &Ctx, command: MailCmd, json: bool) -> Result<()> {
    match command {
        MailCmd::Import { path, channel } => import(service, ctx, &path, channel, json),
    }
}

/// Refused when a daemon owns the database: it takes in mail itself.
pub fn through_daemon() -> Result<()> {
    bail!(
        "a caredesk daemon owns this database: deliver the mail to the Maildir it watches, or stop it and run \
         `caredesk mail import` again"
    )
}

fn import(service: &Service, ctx: &Ctx, path: &Path, channel: Option<Channel>, json: bool) -> Result<()> {
    if let Some(c) = channel.filter(|c| !matches!(c, Channel::EmailNas | Channel::EmailHelpdesk)) {
        bail!("mail arrives by email-nas or email-helpdesk, not {c}: give --channel email-nas or email-helpdesk");
    }
    let addresses = Addresses::DEFAULT;
    let report =
        intake::import(service, ctx, path, &|mail| channel.unwrap_or_else(|| addresses.channel_for(&mail.to)))?;
    print(&report, path, json)
}

fn print(report: &IntakeReport, path: &Path, json: bool) -> Result<()> {
    if json {
        let refs = |v: &[crate::domain::ticket::TicketRef]| v.iter().map(|r| r.to_string()).collect::<Vec<_>>();
        let unreadable: Vec<_> = report
            .unreadable
            .iter()
            .map(|(p, why)| serde_json::json!({"file": p.display().to_string(), "why": why}))
            .collect();
        let value = serde_json::json!({
            "created": refs(&report.created),
            "threaded": refs(&report.threaded),
            "duplicates": report.duplicates,
            "unreadable": unreadable,
        });
        println!("{value}");
        return Ok(());
    }
    println!(
        "{}: {} messages taken in: {} new tickets, {} added to their tickets, {} already taken in before",
        path.display(),
        report.total(),
        report.created.len(),
        report.threaded.len(),
        report.duplicates
    );
    for (file, why) in &report.unreadable {
        println!("not read (left unseen, try again): {}: {why}", file.display());
    }
    Ok(())
}
