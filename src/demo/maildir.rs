//! The demo's mailbox: a few dozen requests, as providers write them, in a
//! Maildir beside the database, taken in through the same intake as real
//! mail so a new user sees email tickets and their threads in the queue.
//!
//! Made from the demo's own providers and people, so ODS codes and senders
//! match, and from `ctx.now` alone, so the same build gives the same mail.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};

use crate::domain::account::{Account, AccountStatus};
use crate::domain::organisation::Organisation;
use crate::mail::intake::{self, IntakeError, IntakeReport};
use crate::mail::{Addresses, maildir};
use crate::service::{Ctx, Service, ServiceError};

/// The addresses the demo's mail is written to.
const DEMO_ADDRESSES: Addresses = Addresses::DEFAULT;

/// How many requests the demo mailbox holds (replies come on top).
pub const REQUESTS: usize = 36;

/// Where the demo's Maildir lives: inside the demo database's directory,
/// so rebuilding the demo replaces it too.
pub fn maildir_of(db: &Path) -> PathBuf {
    db.join("maildir")
}

struct Person {
    name: String,
    email: String,
}

/// One request's wording: (subject, body), given the person, the provider
/// and a shared mailbox name.
fn wording(kind: usize, who: &Person, org: &Organisation, mailbox: &str) -> (String, String) {
    let first = who.name.split(' ').next().unwrap_or("").to_owned();
    let ods = org.ods.as_str();
    let (subject, body) = match kind % 12 {
        0 => (
            "Password reset".to_owned(),
            format!(
                "Hello,\n\nI have forgotten my NHSmail password and cannot log in. Could you reset it please?\n\nThanks,\n{}\n{}",
                who.name, org.name
            ),
        ),
        1 => (
            "New starter needs an NHSmail account".to_owned(),
            format!(
                "Hi NAS team,\n\nWe have a new carer starting on Monday and she will need an NHSmail account. Our ODS code is {ods}.\n\nKind regards,\n{}\nRegistered Manager, {}",
                who.name, org.name
            ),
        ),
        2 => (
            format!("Leaver - {}", org.name),
            format!(
                "Good afternoon,\n\nOne of our team has left us as of Friday. Please close their account.\nODS: {ods}\n\n{}",
                who.name
            ),
        ),
        3 => (
            "Cannot find my account".to_owned(),
            format!(
                "Hello,\n\nMy account is missing from the directory since last week.\nI work at {} (ODS {ods}).\nShared mailbox name: {mailbox}\n\n{}",
                org.name, who.name
            ),
        ),
        4 => (
            "Account locked".to_owned(),
            format!("Hi,\n\nI am locked out after too many tries this morning. Can you unlock it?\n\n{first}"),
        ),
        5 => (
            "Please hide my mobile number".to_owned(),
            format!("Dear helpdesk,\n\nPlease hide my mobile number from the NHS Directory.\n\n{}", who.name),
        ),
        6 => (
            "Shared mailbox access".to_owned(),
            format!(
                "Hello,\n\nCould you give our deputy manager access to the shared mailbox {mailbox}? ODS {ods}.\n\nMany thanks,\n{}",
                who.name
            ),
        ),
        7 => (
            "Missing shared mailbox".to_owned(),
            format!("Hi,\n\nWe cannot see the shared mailbox for our home any more.\n\n{}\n{}", who.name, org.name),
        ),
        8 => (
            "Our DSPT status".to_owned(),
            format!(
                "Hello,\n\nOur application was turned down because of the DSPT. We published our assessment last month, ODS {ods}. What do we need to do?\n\n{}",
                who.name
            ),
        ),
        9 => (
            "Activation email".to_owned(),
            format!("Hello,\n\nI never received the temporary password to activate my account.\n\n{}", who.name),
        ),
        10 => (
            "Question about opening hours".to_owned(),
            format!(
                "Hi,\n\nWhat hours is the NAS team open? We have a few requests to send over.\n\n{}, {}",
                who.name, org.name
            ),
        ),
        _ => (
            "Owner change for our shared mailbox".to_owned(),
            format!(
                "Hello,\n\nOur manager is leaving, please make me the new owner of {mailbox}. ODS {ods}.\n\n{}",
                who.name
            ),
        ),
    };
    (subject, body)
}

fn rfc2822(at: DateTime<Utc>) -> String {
    at.format("%a, %d %b %Y %H:%M:%S +0000").to_string()
}

fn message(id: &str, at: DateTime<Utc>, who: &Person, to: &str, subject: &str, body: &str, extra: &str) -> Vec<u8> {
    let text = format!(
        "Received: from mx.provider.example by mail.caredesk.invalid; {date}\nFrom: {name} <{email}>\nTo: {to}\n\
         Subject: {subject}\nMessage-ID: <{id}>\nDate: {date}\n{extra}MIME-Version: 1.0\n\
         Content-Type: text/plain; charset=utf-8\n\n{body}\n",
        date = rfc2822(at),
        name = who.name,
        email = who.email,
    );
    text.replace('\n', "\r\n").into_bytes()
}

/// People of the demo who write in: active accounts, one per provider.
fn senders(service: &Service) -> Result<Vec<(Person, Organisation)>, ServiceError> {
    let store = service.store();
    let mut out = Vec::new();
    let orgs = store.organisations_named("", 400)?;
    for org in orgs.iter().step_by(7) {
        let active: Option<Account> =
            store.accounts_in_org(&org.ods, 20)?.into_iter().find(|a| a.status == AccountStatus::Active);
        if let Some(p) = active.as_ref().and_then(|a| a.personal.as_ref()) {
            out.push((Person { name: p.full_name(), email: p.email.to_string() }, org.clone()));
        }
        if out.len() == REQUESTS {
            break;
        }
    }
    Ok(out)
}

/// Writes the demo mailbox into `dir` and takes it in.
pub fn build(service: &Service, ctx: &Ctx, dir: &Path) -> Result<IntakeReport, IntakeError> {
    let people = senders(service)?;
    let mut written = 0usize;
    let mut deliver = |name: String, raw: Vec<u8>| -> Result<(), IntakeError> {
        written += 1;
        maildir::deliver(dir, &format!("{:04}.{name}", written), &raw)?;
        Ok(())
    };
    // Oldest first, so the tickets are numbered in the order mail arrived.
    for (i, (who, org)) in people.iter().enumerate().rev() {
        // Spread over the last four days, in and out of hours.
        let at = ctx.now - Duration::minutes(37 + (i as i64) * 157);
        let mailbox = format!("{} Office", org.name);
        let (subject, body) = wording(i, who, org, &mailbox);
        let id = format!("demo-{i}@{}", who.email.split('@').nth(1).unwrap_or("provider.example"));
        // Out-of-hours mail goes to the helpdesk address as the FAQ says.
        let to = if i % 3 == 2 { "helpdesk@nhs.net" } else { "careadmin@nhs.net" };
        let extra = if i == 20 { "Auto-Submitted: auto-replied\n" } else { "" };
        let subject = if i == 20 { format!("Automatic reply: {subject}") } else { subject };
        deliver(format!("req{i}"), message(&id, at, who, to, &subject, &body, extra))?;
        // Every fifth requester writes again, answering their first message.
        let again = at + Duration::minutes(95);
        if i % 5 == 1 && again < ctx.now {
            let reply = format!(
                "Thanks. To add to my last email: my mobile ends 123 and I am on shift until 6.\n\nOn {}, {} wrote:\n> {}",
                rfc2822(at),
                who.name,
                body.lines().next().unwrap_or("")
            );
            let extra = format!("In-Reply-To: <{id}>\nReferences: <{id}>\n");
            let reply_id = format!("demo-{i}-again@{}", who.email.split('@').nth(1).unwrap_or("provider.example"));
            deliver(
                format!("reply{i}"),
                message(&reply_id, again, who, to, &format!("Re: {subject}"), &reply, &extra),
            )?;
        }
    }
    intake::import(service, ctx, dir, &|mail| DEMO_ADDRESSES.channel_for(&mail.to))
}
