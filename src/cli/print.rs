//! How records look on a terminal, and as JSON for scripts.
//!
//! Text from outside (names, subjects, bodies) passes through [`safe`] so a
//! crafted value cannot send escape sequences to the operator's terminal.

use anyhow::Result;
use serde_json::{Value, json};

use crate::domain::account::Account;
use crate::domain::mailbox::{Mailbox, Sponsorship};
use crate::domain::sms::Delivery;
use crate::domain::ticket::Ticket;
use crate::domain::time::rfc3339;
use crate::service::{Outcome, Reply, Subject, TicketRow};

/// Drops control characters (keeping line breaks and tabs).
pub fn safe(text: &str) -> String {
    text.chars().filter(|c| !c.is_control() || matches!(c, '\n' | '\t')).collect()
}

fn print_json(value: &Value) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// The fields a script needs first, beside the whole ticket.
pub fn ticket_json(t: &Ticket) -> Value {
    json!({
        "ref": t.reference.to_string(),
        "queue": t.routing.queue,
        "work_from": rfc3339(t.routing.work_from),
        "due_at": rfc3339(t.routing.due_at),
        "status": t.status,
        "category": t.category,
        "channel": t.channel,
        "received_at": rfc3339(t.received_at),
        "assignee": t.assignee,
        "subject": t.subject,
        "ticket": t,
    })
}

fn row_json(r: &TicketRow) -> Value {
    let mut v = serde_json::to_value(r).unwrap_or(Value::Null);
    if let Some(obj) = v.as_object_mut() {
        obj.insert("ref".into(), json!(r.reference.to_string()));
    }
    v
}

pub fn outcome(outcome: &Outcome, as_json: bool) -> Result<()> {
    if as_json {
        let subject = match &outcome.subject {
            Subject::Ticket(t) => ticket_json(t),
            Subject::Account(a) => json!({ "address": a.address, "account": a }),
            other => serde_json::to_value(other)?,
        };
        let mut v = json!({ "summary": outcome.summary, "audit_seq": outcome.audit_seq });
        if let (Some(obj), Some(extra)) = (v.as_object_mut(), subject.as_object()) {
            for (k, val) in extra {
                obj.insert(k.clone(), val.clone());
            }
        }
        return print_json(&v);
    }
    println!("{}", safe(&outcome.summary));
    if let Subject::Sweep(report) = &outcome.subject {
        for item in &report.applied {
            println!(
                "  {:<40} {:?} (due {}; {})",
                item.address.as_str(),
                item.transition,
                rfc3339(item.due_at),
                item.reason
            );
        }
    }
    Ok(())
}

fn account_line(a: &Account) -> String {
    let mobile = a.mobile().map_or_else(|| "-".to_owned(), |m| m.masked());
    format!(
        "{:<36} {:<28} {:<8} {:<18} {}",
        a.address.as_str(),
        safe(&a.display_name()),
        a.ods.as_str(),
        a.status.label(),
        mobile
    )
}

fn mailbox_line(m: &Mailbox) -> String {
    format!("{:<36} {:<32} {:<8} {} members", m.address.as_str(), safe(&m.display_name), m.ods.as_str(), m.member_count)
}

/// A search result as JSON: the record's own fields, as before, and the
/// organisation's name beside them.
fn with_org_name(record: &impl serde::Serialize, name: &Option<String>) -> Result<Value> {
    let mut value = serde_json::to_value(record)?;
    if let Value::Object(fields) = &mut value {
        fields.insert("organisation_name".to_owned(), serde_json::to_value(name)?);
    }
    Ok(value)
}

fn date(at: Option<chrono::DateTime<chrono::Utc>>) -> String {
    at.map_or_else(|| "-".to_owned(), rfc3339)
}

pub fn reply(reply: &Reply, as_json: bool) -> Result<()> {
    if as_json {
        let v = match reply {
            Reply::Ticket(t) => ticket_json(t),
            Reply::Tickets(rows) => Value::Array(rows.iter().map(row_json).collect()),
            Reply::Accounts(list) => serde_json::to_value(list)?,
            Reply::Mailboxes(list) => serde_json::to_value(list)?,
            Reply::AccountMatches(list) => {
                Value::Array(list.iter().map(|m| with_org_name(&m.account, &m.organisation)).collect::<Result<_>>()?)
            }
            Reply::MailboxMatches(list) => {
                Value::Array(list.iter().map(|m| with_org_name(&m.mailbox, &m.organisation)).collect::<Result<_>>()?)
            }
            Reply::Account(view) => serde_json::to_value(view)?,
            Reply::Mailbox(view) => serde_json::to_value(view)?,
            other => serde_json::to_value(other)?,
        };
        return print_json(&v);
    }
    match reply {
        Reply::Shift(s) => {
            let when = s.changes_at.with_timezone(&chrono_tz::Europe::London).format("%a %-d %b %H:%M");
            if s.open {
                println!("NAS open until {when}");
            } else {
                println!("out of hours — NAS opens {when}");
            }
            println!("operator {} ({})", s.operator, s.role.label());
            if let Some(end) = s.calendar_ends {
                if end < s.now.date_naive() {
                    println!(
                        "warning: the bank holiday calendar ended on {end}: import a newer one with `caredesk policy calendar FILE`"
                    );
                }
            }
        }
        Reply::Organisation(o) => {
            println!("{} {}", o.ods, safe(&o.name));
            println!(
                "  IG status:        {} ({})",
                o.ig.slug(),
                if o.ig.meets_requirement() { "meets the requirement" } else { "does NOT meet the requirement" }
            );
            println!("  administered by:  {}", o.administered_by.describe());
            println!(
                "  state:            {}",
                if o.is_open() { "open".to_owned() } else { format!("closed {}", date(o.closed_at)) }
            );
        }
        Reply::Account(v) => {
            let a = &v.account;
            println!("{}  ({})", a.address, a.status.label());
            println!("  name:             {}", safe(&a.display_name()));
            if let Some(p) = &a.personal {
                let hidden = if a.mobile_hidden { "hidden from the directory" } else { "shown in the directory" };
                println!("  mobile:           {} ({hidden})", p.mobile.masked());
                println!("  registered email: {}", p.email);
            }
            let org = v.organisation.as_ref().map_or_else(String::new, |o| safe(&o.name));
            println!("  organisation:     {} {org}", a.ods);
            println!("  administered by:  {}", a.administered_by.describe());
            if let Some(next) = &v.next {
                println!(
                    "  next:             {:?} on {} ({})",
                    next.transition,
                    rfc3339(next.at),
                    next.reason.describe()
                );
            }
            println!("  created:          {}", rfc3339(a.created_at));
            println!("  last login:       {}", date(a.last_login_at));
            println!("  password changed: {}", date(a.password_changed_at));
            println!(
                "  temp password:    {}{}",
                date(a.temp_password_issued_at),
                if a.must_change_password { " (must change at login)" } else { "" }
            );
            if a.locked_at.is_some() {
                println!("  LOCKED since      {}", date(a.locked_at));
            }
            println!("  owns:             {}", if v.owns.is_empty() { "-".to_owned() } else { v.owns.join(", ") });
            println!(
                "  member of:        {}",
                if v.member_of.is_empty() { "-".to_owned() } else { v.member_of.join(", ") }
            );
            if !v.tickets.is_empty() {
                println!(
                    "  tickets:          {}",
                    v.tickets.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(", ")
                );
            }
        }
        Reply::Accounts(list) => {
            if list.is_empty() {
                println!("no accounts match");
            }
            for a in list {
                println!("{}", account_line(a));
            }
        }
        Reply::Mailbox(v) => {
            let m = &v.mailbox;
            println!("{}  {}", m.address, safe(&m.display_name));
            println!("  organisation:  {}", m.ods);
            match &v.owner {
                Some(o) => println!(
                    "  owner:         {} ({}, mobile {})",
                    o.address,
                    safe(&o.display_name()),
                    o.mobile().map_or_else(|| "-".into(), |m| m.masked())
                ),
                None => println!("  owner:         none — name a new owner with `caredesk mailbox owner`"),
            }
            if let Sponsorship::SponsoredBy { sponsor } = &m.sponsorship {
                println!(
                    "  LEGACY: sponsored by {sponsor}; it cannot be converted — apply for a new one through the national process"
                );
            }
            if v.not_accessed_recently {
                println!("  not accessed recently (last {})", date(m.last_accessed_at));
            }
            println!("  members ({}):", m.member_count);
            for a in &v.members {
                println!("    {}", account_line(a));
            }
        }
        Reply::AccountMatches(list) => {
            if list.is_empty() {
                println!("no accounts match");
            }
            for m in list {
                println!("{}  {}", account_line(&m.account), safe(m.organisation.as_deref().unwrap_or("-")));
            }
        }
        Reply::MailboxMatches(list) => {
            if list.is_empty() {
                println!("no shared mailboxes match");
            }
            for m in list {
                println!("{}  {}", mailbox_line(&m.mailbox), safe(m.organisation.as_deref().unwrap_or("-")));
            }
        }
        Reply::Mailboxes(list) => {
            if list.is_empty() {
                println!("no shared mailboxes match");
            }
            for m in list {
                println!("{}", mailbox_line(m));
            }
        }
        Reply::Ticket(t) => {
            println!("{}  {}  [{}]", t.reference, safe(&t.subject), t.status);
            println!(
                "  category:  {} ({})",
                t.category.label(),
                if t.category.is_simple() { "simple" } else { "complex" }
            );
            println!(
                "  queue:     {}  work from {}  due {}",
                t.routing.queue.label(),
                rfc3339(t.routing.work_from),
                rfc3339(t.routing.due_at)
            );
            println!("  received:  {} by {}", rfc3339(t.received_at), t.channel);
            println!(
                "  requester: {}{}",
                safe(&t.requester.name),
                t.requester.email.as_ref().map_or_else(String::new, |e| format!(" <{e}>"))
            );
            if let Some(ods) = &t.ods {
                println!("  org:       {ods}");
            }
            println!("  assignee:  {}", t.assignee.as_deref().unwrap_or("-"));
            if !t.body.is_empty() {
                println!("\n{}\n", safe(&t.body));
            }
            for e in &t.timeline {
                println!("  {} {:<12} {:?}: {}", rfc3339(e.at), e.by, e.kind, safe(&e.text));
            }
        }
        Reply::Tickets(rows) => {
            if rows.is_empty() {
                println!("no tickets");
            }
            for r in rows {
                println!(
                    "{}  {:<9} due {}  {:<24} {:<8} {:<22} {:<12} {}",
                    r.reference,
                    r.queue.slug(),
                    rfc3339(r.due_at),
                    r.category.slug(),
                    r.ods.as_ref().map_or("-", |o| o.as_str()),
                    r.status.slug(),
                    r.assignee.as_deref().unwrap_or("-"),
                    safe(&r.subject)
                );
            }
        }
        Reply::TicketDetail(d) => return self::reply(&Reply::Ticket(Box::new(d.ticket.clone())), false),
        Reply::TicketSlots(slots) => {
            for s in slots {
                println!("{}  due {}", s.reference, rfc3339(s.due_at));
            }
        }
        Reply::Route(r) => {
            println!("{} queue, work from {}, due {}", r.queue.label(), rfc3339(r.work_from), rfc3339(r.due_at));
        }
        Reply::Operators(ops) => {
            for o in ops {
                println!(
                    "{:<20} {:<18} {}",
                    o.username,
                    o.role.label(),
                    if o.enabled { "enabled" } else { "disabled" }
                );
            }
        }
        Reply::Audit(entries) => {
            for e in entries {
                let d = &e.draft;
                println!("#{:<6} {} {:<12} {:<24} {}", e.seq, rfc3339(d.at), d.operator, d.action, safe(&d.subject));
            }
        }
        Reply::AuditVerified { entries } => println!("audit log intact: {entries} entries verified"),
        Reply::Outbox(messages) => {
            for m in messages {
                let state = match &m.delivery {
                    Delivery::KeptInOutbox => "kept".to_owned(),
                    Delivery::Queued => "queued".to_owned(),
                    Delivery::Sent => "sent".to_owned(),
                    Delivery::Failed { reason } => format!("FAILED: {reason}"),
                };
                println!(
                    "#{:<5} {} to {} ({}) [{state}]\n       {}",
                    m.seq,
                    rfc3339(m.at),
                    m.to.masked(),
                    m.address,
                    m.text
                );
            }
        }
        Reply::Policy(p) => {
            let t = &p.targets;
            println!(
                "service targets: NAS {} working minutes, helpdesk {} minutes, resolver group {} working minutes",
                t.nas_business_minutes, t.helpdesk_minutes, t.resolver_business_minutes
            );
            println!("SMS gateway: {}", p.sms_command.as_deref().unwrap_or("none (messages are kept in the outbox)"));
        }
    }
    Ok(())
}
