//! `caredesk mail`: taking in mail from a Maildir or a message file, the
//! mail settings, and the mail outbox.

use std::path::Path;

use anyhow::{Context, Result, bail};
use chrono::Utc;

use super::args::{MailCmd, MailSettingsArgs};
use super::{Backend, ctx};
use crate::config::Config;
use crate::daemon::protocol::MAX_FRAME;
use crate::desk::Clock;
use crate::desk::DeskExt;
use crate::domain::mail_reply::{ImapSettings, MailSettings, OutgoingMail, SmtpSecurity, SmtpSettings};
use crate::domain::routing::Channel;
use crate::domain::ticket::TicketRef;
use crate::mail::intake::{self, IntakeReport};
use crate::mail::maildir;
use crate::service::ops::{DeliverMail, ListMailOutbox, RetryMail, SetMailSettings, ShowMailSettings};
use crate::service::{IntakeKind, RawMail, Service};
use crate::store::OpenMode;

pub fn run(command: MailCmd, db: &Path, socket: &Path, clock: Clock, json: bool, config: &Config) -> Result<()> {
    let backend = Backend::reach(db, socket, OpenMode::Existing, config)?;
    match command {
        MailCmd::Import { path, channel } => {
            if let Some(c) = channel.filter(|c| !matches!(c, Channel::EmailNas | Channel::EmailHelpdesk)) {
                bail!(
                    "mail arrives by email-nas or email-helpdesk, not {c}: give --channel email-nas or email-helpdesk"
                );
            }
            match &backend {
                Backend::Local(service) => import(service, &ctx(clock)?, &path, channel, json),
                Backend::Daemon(..) => import_through(backend.desk(clock)?.as_ref(), &path, channel, json),
            }
        }
        MailCmd::Settings(args) => {
            let desk = backend.desk(clock)?;
            let current = desk.call(ShowMailSettings {})?;
            if args_empty(&args) {
                println!("{}", current.describe());
                return Ok(());
            }
            let settings = apply(current, args)?;
            let done = desk.call(SetMailSettings { settings: settings.clone() })?;
            super::print::print(&done, json)?;
            println!("{}", settings.describe());
            if matches!(backend, Backend::Daemon(..)) {
                println!("restart the daemon (`systemctl restart caredesk`) for it to use the new servers");
            }
            Ok(())
        }
        MailCmd::Retry { outbox } => super::print::print(&backend.desk(clock)?.call(RetryMail { outbox })?, json),
        MailCmd::Outbox { ticket, limit } => {
            let ticket = ticket.as_deref().map(str::parse::<TicketRef>).transpose()?;
            let mails = backend.desk(clock)?.call(ListMailOutbox { ticket, limit })?;
            outbox(&mails, json)
        }
        MailCmd::Send => {
            let Backend::Local(service) = &backend else { bail!("the daemon sends due mail by itself") };
            let settings = service.store().mail_settings()?;
            let Some(submission) = crate::mail::smtp::Submission::from_settings(&settings)? else {
                bail!("no mail server is set: set one with `caredesk mail settings --smtp-host HOST`")
            };
            let ctx = crate::service::Ctx::new(super::os_user()?, Utc::now());
            let tried = service.send_due_mail(&ctx, &submission)?;
            println!("{tried} mails handed to the server (see `caredesk mail outbox` for how each went)");
            Ok(())
        }
    }
}

fn args_empty(a: &MailSettingsArgs) -> bool {
    a.nas_address.is_none()
        && a.helpdesk_address.is_none()
        && a.smtp_host.is_none()
        && a.smtp_port.is_none()
        && a.smtp_security.is_none()
        && a.smtp_user.is_none()
        && a.smtp_password_file.is_none()
        && !a.no_smtp
        && a.acknowledge.is_none()
        && a.auto_replies_per_hour.is_none()
        && a.attempt_timeout.is_none()
        && a.imap.is_empty()
        && !a.no_imap
}

fn security(text: &str) -> Result<SmtpSecurity> {
    Ok(match text.trim() {
        "tls" => SmtpSecurity::Tls,
        "starttls" => SmtpSecurity::StartTls,
        "local-plain" => SmtpSecurity::LocalPlain,
        other => bail!("{other:?} is not a security: give tls, starttls or local-plain"),
    })
}

fn imap_box(spec: &str) -> Result<ImapSettings> {
    let parts: Vec<&str> = spec.split(',').map(str::trim).collect();
    let [channel, host, port, sec, user, password_file, rest @ ..] = parts.as_slice() else {
        bail!("--imap {spec:?}: give CHANNEL,HOST,PORT,SECURITY,USER,PASSWORD_FILE[,FOLDER[,MOVE_TO]]");
    };
    let channel: Channel = channel.parse()?;
    if !matches!(channel, Channel::EmailNas | Channel::EmailHelpdesk) {
        bail!("--imap {spec:?}: the channel is email-nas or email-helpdesk");
    }
    let security = security(sec)?;
    if security == SmtpSecurity::LocalPlain && !matches!(*host, "127.0.0.1" | "::1" | "localhost") {
        bail!("--imap {spec:?}: the password would cross the network unencrypted: use tls or starttls");
    }
    Ok(ImapSettings {
        channel,
        host: host.to_string(),
        port: port.parse().with_context(|| format!("--imap {spec:?}: {port:?} is not a port number"))?,
        security,
        username: user.to_string(),
        password_file: password_file.to_string(),
        folder: rest.first().map_or("INBOX", |f| f).to_owned(),
        move_to: rest.get(1).map(|f| f.to_string()).filter(|f| !f.is_empty()),
    })
}

fn apply(mut s: MailSettings, a: MailSettingsArgs) -> Result<MailSettings> {
    if let Some(v) = a.nas_address {
        s.addresses.nas = v.trim().to_lowercase().into();
    }
    if let Some(v) = a.helpdesk_address {
        s.addresses.helpdesk = v.trim().to_lowercase().into();
    }
    if a.no_smtp {
        s.smtp = None;
    }
    let touches_smtp = a.smtp_host.is_some()
        || a.smtp_port.is_some()
        || a.smtp_security.is_some()
        || a.smtp_user.is_some()
        || a.smtp_password_file.is_some();
    if touches_smtp {
        let security = match a.smtp_security.as_deref() {
            Some("tls") => Some(SmtpSecurity::Tls),
            Some("local-plain") => Some(SmtpSecurity::LocalPlain),
            Some(_) => Some(SmtpSecurity::StartTls),
            None => None,
        };
        let mut smtp = match s.smtp.take() {
            Some(old) => old,
            None => SmtpSettings {
                host: a.smtp_host.clone().context("give the server with --smtp-host")?,
                port: 587,
                security: SmtpSecurity::StartTls,
                username: None,
                password_file: None,
            },
        };
        if let Some(h) = a.smtp_host {
            smtp.host = h;
        }
        if let Some(sec) = security {
            smtp.security = sec;
            smtp.port = match sec {
                SmtpSecurity::Tls => 465,
                SmtpSecurity::StartTls => 587,
                SmtpSecurity::LocalPlain => 25,
            };
        }
        if let Some(p) = a.smtp_port {
            smtp.port = p;
        }
        if let Some(u) = a.smtp_user {
            smtp.username = Some(u);
        }
        if let Some(f) = a.smtp_password_file {
            smtp.password_file = Some(f);
        }
        s.smtp = Some(smtp);
    }
    if let Some(v) = a.acknowledge {
        s.acknowledge = v == "yes";
    }
    if let Some(v) = a.auto_replies_per_hour {
        s.auto_replies_per_hour = v;
    }
    if let Some(v) = a.attempt_timeout {
        s.attempt_timeout_secs = v;
    }
    if a.no_imap {
        s.imap.clear();
    }
    if !a.imap.is_empty() {
        s.imap = a.imap.iter().map(|spec| imap_box(spec)).collect::<Result<_>>()?;
    }
    Ok(s)
}

fn outbox(mails: &[OutgoingMail], json: bool) -> Result<()> {
    use super::print::safe;
    for m in mails {
        if json {
            println!("{}", serde_json::to_string(m)?);
        } else {
            let (to, subject) = (safe(m.to.as_str()), safe(&m.subject));
            println!("#{:<5} {} {:?} to {to}: {subject} — {}", m.seq, m.ticket, m.kind, safe(&m.status.label()));
        }
    }
    Ok(())
}

fn import(
    service: &Service,
    ctx: &crate::service::Ctx,
    path: &Path,
    channel: Option<Channel>,
    json: bool,
) -> Result<()> {
    let addresses = service.store().mail_settings()?.addresses;
    let report =
        intake::import(service, ctx, path, &|mail| channel.unwrap_or_else(|| addresses.channel_for(&mail.to)))?;
    print(&report, path, json)
}

/// The most of one message that goes to a daemon in one request, leaving
/// room in the frame for the rest of the request.
const DELIVER_LIMIT: usize = MAX_FRAME - (64 << 10);

/// `mail import` when a daemon owns the database: each message goes to it
/// as it arrived, is committed and flushed there like the mail it fetches
/// itself, and is marked seen here only once the daemon has answered.
fn import_through(
    desk: &(dyn crate::desk::Desk + Sync),
    path: &Path,
    channel: Option<Channel>,
    json: bool,
) -> Result<()> {
    let mut report = IntakeReport::default();
    for file in maildir::pending(path)? {
        let raw = match file.read() {
            Ok(raw) if raw.len() > DELIVER_LIMIT => {
                let why = format!(
                    "{} MiB is more than a daemon takes by command ({} MiB): deliver it to the Maildir the \
                     daemon watches (serve --maildir), which keeps messages up to {} MiB",
                    raw.len() >> 20,
                    DELIVER_LIMIT >> 20,
                    crate::mail::MAX_MESSAGE_BYTES >> 20
                );
                report.unreadable.push((file.path.clone(), why));
                continue;
            }
            Ok(raw) => raw,
            Err(e) => {
                report.unreadable.push((file.path.clone(), e.to_string()));
                continue;
            }
        };
        let intake = desk
            .call(DeliverMail { channel, delivered_at: file.delivered_at, raw: RawMail(raw) })
            .with_context(|| format!("taking in {} (it and the messages after it stay unseen)", file.path.display()))?;
        match intake.kind {
            IntakeKind::Created => report.created.push(intake.ticket),
            IntakeKind::Threaded => report.threaded.push(intake.ticket),
            IntakeKind::Duplicate => report.duplicates += 1,
        }
        if let Err(e) = file.mark_seen() {
            tracing::warn!("{e}: it will be read again and recognised as already taken in");
        }
    }
    print(&report, path, json)
}

fn print(report: &IntakeReport, path: &Path, json: bool) -> Result<()> {
    if json {
        let refs = |v: &[TicketRef]| v.iter().map(|r| r.to_string()).collect::<Vec<_>>();
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
