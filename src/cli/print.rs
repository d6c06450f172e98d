//! How each answer looks on a terminal, and as JSON for scripts.
//!
//! Every answer type says how it prints ([`Printed`]); a change's record
//! says which fields it adds to the change's own ([`Record`]). Text from
//! outside (names, subjects, bodies) passes through [`safe`] so a crafted
//! value cannot send escape sequences to the operator's terminal.

use std::fmt::Write as _;

use serde::Serialize;
use serde_json::{Value, json};

use crate::domain::account::Account;
use crate::domain::audit::AuditEntry;
use crate::domain::mailbox::{Mailbox, Sponsorship};
use crate::domain::operator::Operator;
use crate::domain::organisation::Organisation;
use crate::domain::policy::Policy;
use crate::domain::routing::Routing;
use crate::domain::sms::{Delivery, SmsMessage};
use crate::domain::ticket::Ticket;
use crate::domain::time::rfc3339;
use crate::service::{
    AccountMatch, AccountView, AuditVerified, Done, MailboxMatch, MailboxView, ResetReceipt, ShiftView, SweepReport,
    TicketDetail, TicketRow, TicketSlot,
};

/// Outside text through the crate's one sanitiser (line breaks and tabs
/// kept).
pub fn safe(text: &str) -> String {
    crate::text::body(text).into_owned()
}

/// An answer as the command line prints it.
pub trait Printed {
    /// For people: the lines to print.
    fn text(&self) -> String;
    /// For scripts (`--json`).
    fn json(&self) -> Value;
}

/// Prints an answer on standard output.
pub fn print(answer: &impl Printed, as_json: bool) -> anyhow::Result<()> {
    if as_json {
        println!("{}", serde_json::to_string_pretty(&answer.json())?);
    } else {
        let text = answer.text();
        if !text.is_empty() {
            println!("{}", text.trim_end_matches('\n'));
        }
    }
    Ok(())
}

/// The record a change produced, as it joins the change's summary.
pub trait Record {
    /// The fields it adds to the change's JSON.
    fn fields(&self) -> Value;
    /// Lines it adds below the summary.
    fn detail(&self) -> String {
        String::new()
    }
}

impl<T: Record> Printed for Done<T> {
    fn text(&self) -> String {
        format!("{}\n{}", safe(&self.summary), self.record.detail())
    }
    fn json(&self) -> Value {
        let mut v = json!({ "summary": self.summary, "audit_seq": self.audit_seq });
        if let (Some(obj), Value::Object(extra)) = (v.as_object_mut(), self.record.fields()) {
            obj.extend(extra);
        }
        v
    }
}

/// A value under one key, as the JSON of most records and lists has it.
fn keyed(key: &str, value: &impl Serialize) -> Value {
    json!({ key: value })
}

impl Record for Ticket {
    fn fields(&self) -> Value {
        ticket_json(self)
    }
}

impl Record for Account {
    fn fields(&self) -> Value {
        json!({ "address": self.address, "account": self })
    }
}

impl Record for Operator {
    fn fields(&self) -> Value {
        keyed("operator", self)
    }
}

impl Record for Policy {
    fn fields(&self) -> Value {
        keyed("policy", self)
    }
}

impl Record for Organisation {
    fn fields(&self) -> Value {
        keyed("organisation", self)
    }
}

impl Record for Mailbox {
    fn fields(&self) -> Value {
        keyed("mailbox", self)
    }
}

impl Record for ResetReceipt {
    fn fields(&self) -> Value {
        keyed("password-reset", self)
    }
}

impl Record for () {
    fn fields(&self) -> Value {
        Value::Null
    }
}

impl Record for SweepReport {
    fn fields(&self) -> Value {
        keyed("sweep", self)
    }
    fn detail(&self) -> String {
        let mut out = String::new();
        for item in &self.applied {
            let _ = writeln!(
                out,
                "  {:<40} {:?} (due {}; {})",
                item.address.as_str(),
                item.transition,
                rfc3339(item.due_at),
                item.reason
            );
        }
        out
    }
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

fn date(at: Option<chrono::DateTime<chrono::Utc>>) -> String {
    at.map_or_else(|| "-".to_owned(), rfc3339)
}

/// Lines pushed into a string: the text of one answer.
macro_rules! out {
    ($out:ident, $($arg:tt)*) => {{
        let _ = writeln!($out, $($arg)*);
    }};
}

impl Printed for ShiftView {
    fn text(&self) -> String {
        let s = self;
        let mut out = String::new();
        let when = s.changes_at.with_timezone(&chrono_tz::Europe::London).format("%a %-d %b %H:%M");
        if s.open {
            out!(out, "NAS open until {when}");
        } else {
            out!(out, "out of hours — NAS opens {when}");
        }
        out!(out, "operator {} ({})", s.operator, s.role.label());
        if let Some(end) = s.calendar_ends {
            if end < s.now.date_naive() {
                out!(
                    out,
                    "warning: the bank holiday calendar ended on {end}: import a newer one with `caredesk policy calendar FILE`"
                );
            }
        }
        out
    }
    fn json(&self) -> Value {
        keyed("shift", self)
    }
}

impl Printed for Organisation {
    fn text(&self) -> String {
        let o = self;
        let mut out = String::new();
        out!(out, "{} {}", o.ods, safe(&o.name));
        out!(
            out,
            "  IG status:        {} ({})",
            o.ig.slug(),
            if o.ig.meets_requirement() { "meets the requirement" } else { "does NOT meet the requirement" }
        );
        out!(out, "  administered by:  {}", o.administered_by.describe());
        out!(
            out,
            "  state:            {}",
            if o.is_open() { "open".to_owned() } else { format!("closed {}", date(o.closed_at)) }
        );
        out
    }
    fn json(&self) -> Value {
        keyed("organisation", self)
    }
}

impl Printed for AccountView {
    fn text(&self) -> String {
        let v = self;
        let mut out = String::new();
        let a = &v.account;
        out!(out, "{}  ({})", a.address, a.status.label());
        out!(out, "  name:             {}", safe(&a.display_name()));
        if let Some(p) = &a.personal {
            let hidden = if a.mobile_hidden { "hidden from the directory" } else { "shown in the directory" };
            out!(out, "  mobile:           {} ({hidden})", p.mobile.masked());
            out!(out, "  registered email: {}", p.email);
        }
        let org = v.organisation.as_ref().map_or_else(String::new, |o| safe(&o.name));
        out!(out, "  organisation:     {} {org}", a.ods);
        out!(out, "  administered by:  {}", a.administered_by.describe());
        if let Some(next) = &v.next {
            out!(out, "  next:             {:?} on {} ({})", next.transition, rfc3339(next.at), next.reason.describe());
        }
        out!(out, "  created:          {}", rfc3339(a.created_at));
        out!(out, "  last login:       {}", date(a.last_login_at));
        out!(out, "  password changed: {}", date(a.password_changed_at));
        out!(
            out,
            "  temp password:    {}{}",
            date(a.temp_password_issued_at),
            if a.must_change_password { " (must change at login)" } else { "" }
        );
        if a.locked_at.is_some() {
            out!(out, "  LOCKED since      {}", date(a.locked_at));
        }
        out!(out, "  owns:             {}", if v.owns.is_empty() { "-".to_owned() } else { v.owns.join(", ") });
        out!(
            out,
            "  member of:        {}",
            if v.member_of.is_empty() { "-".to_owned() } else { v.member_of.join(", ") }
        );
        if !v.tickets.is_empty() {
            out!(out, "  tickets:          {}", v.tickets.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(", "));
        }
        out
    }
    fn json(&self) -> Value {
        serde_json::to_value(self).unwrap_or_default()
    }
}

impl Printed for Vec<Account> {
    fn text(&self) -> String {
        let list = self;
        let mut out = String::new();
        if list.is_empty() {
            out!(out, "no accounts match");
        }
        for a in list {
            out!(out, "{}", account_line(a));
        }
        out
    }
    fn json(&self) -> Value {
        serde_json::to_value(self).unwrap_or_default()
    }
}

impl Printed for MailboxView {
    fn text(&self) -> String {
        let v = self;
        let mut out = String::new();
        let m = &v.mailbox;
        out!(out, "{}  {}", m.address, safe(&m.display_name));
        out!(out, "  organisation:  {}", m.ods);
        match &v.owner {
            Some(o) => out!(
                out,
                "  owner:         {} ({}, mobile {})",
                o.address,
                safe(&o.display_name()),
                o.mobile().map_or_else(|| "-".into(), |m| m.masked())
            ),
            None => out!(out, "  owner:         none — name a new owner with `caredesk mailbox owner`"),
        }
        if let Sponsorship::SponsoredBy { sponsor } = &m.sponsorship {
            out!(
                out,
                "  LEGACY: sponsored by {sponsor}; it cannot be converted — apply for a new one through the national process"
            );
        }
        if v.not_accessed_recently {
            out!(out, "  not accessed recently (last {})", date(m.last_accessed_at));
        }
        out!(out, "  members ({}):", m.member_count);
        for a in &v.members {
            out!(out, "    {}", account_line(a));
        }
        out
    }
    fn json(&self) -> Value {
        serde_json::to_value(self).unwrap_or_default()
    }
}

impl Printed for Vec<Mailbox> {
    fn text(&self) -> String {
        let list = self;
        let mut out = String::new();
        if list.is_empty() {
            out!(out, "no shared mailboxes match");
        }
        for m in list {
            out!(out, "{}", mailbox_line(m));
        }
        out
    }
    fn json(&self) -> Value {
        serde_json::to_value(self).unwrap_or_default()
    }
}

impl Printed for Ticket {
    fn text(&self) -> String {
        let t = self;
        let mut out = String::new();
        out!(out, "{}  {}  [{}]", t.reference, safe(&t.subject), t.status);
        out!(
            out,
            "  category:  {} ({})",
            t.category.label(),
            if t.category.is_simple() { "simple" } else { "complex" }
        );
        out!(
            out,
            "  queue:     {}  work from {}  due {}",
            t.routing.queue.label(),
            rfc3339(t.routing.work_from),
            rfc3339(t.routing.due_at)
        );
        out!(out, "  received:  {} by {}", rfc3339(t.received_at), t.channel);
        out!(
            out,
            "  requester: {}{}",
            safe(&t.requester.name),
            t.requester.email.as_ref().map_or_else(String::new, |e| format!(" <{e}>"))
        );
        if let Some(ods) = &t.ods {
            out!(out, "  org:       {ods}");
        }
        out!(out, "  assignee:  {}", t.assignee.as_deref().unwrap_or("-"));
        if !t.body.is_empty() {
            out!(out, "\n{}\n", safe(&t.body));
        }
        for e in &t.timeline {
            out!(out, "  {} {:<12} {:?}: {}", rfc3339(e.at), e.by, e.kind, safe(&e.text));
        }
        out
    }
    fn json(&self) -> Value {
        ticket_json(self)
    }
}

impl Printed for Vec<TicketRow> {
    fn text(&self) -> String {
        let rows = self;
        let mut out = String::new();
        if rows.is_empty() {
            out!(out, "no tickets");
        }
        for r in rows {
            out!(
                out,
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
        out
    }
    fn json(&self) -> Value {
        Value::Array(self.iter().map(row_json).collect())
    }
}

impl Printed for Vec<TicketSlot> {
    fn text(&self) -> String {
        let slots = self;
        let mut out = String::new();
        for s in slots {
            out!(out, "{}  due {}", s.reference, rfc3339(s.due_at));
        }
        out
    }
    fn json(&self) -> Value {
        keyed("ticket-slots", self)
    }
}

impl Printed for Routing {
    fn text(&self) -> String {
        let r = self;
        let mut out = String::new();
        out!(out, "{} queue, work from {}, due {}", r.queue.label(), rfc3339(r.work_from), rfc3339(r.due_at));
        out
    }
    fn json(&self) -> Value {
        keyed("route", self)
    }
}

impl Printed for Vec<Operator> {
    fn text(&self) -> String {
        let ops = self;
        let mut out = String::new();
        for o in ops {
            out!(out, "{:<20} {:<18} {}", o.username, o.role.label(), if o.enabled { "enabled" } else { "disabled" });
        }
        out
    }
    fn json(&self) -> Value {
        keyed("operators", self)
    }
}

impl Printed for Operator {
    fn text(&self) -> String {
        let state = if self.enabled { "enabled" } else { "disabled" };
        format!("{} ({}, {state}) since {}", self.username, self.role.label(), rfc3339(self.added_at))
    }
    fn json(&self) -> Value {
        keyed("operator", self)
    }
}

impl Printed for Vec<AuditEntry> {
    fn text(&self) -> String {
        let entries = self;
        let mut out = String::new();
        for e in entries {
            let d = &e.draft;
            let erased = if e.personal.is_erased() { "  (texts erased with the person)" } else { "" };
            out!(
                out,
                "#{:<6} {} {:<12} {:<24} {}{erased}",
                e.seq,
                rfc3339(d.at),
                d.operator,
                d.action,
                safe(&d.subject)
            );
        }
        out
    }
    fn json(&self) -> Value {
        keyed("audit", self)
    }
}

impl Printed for Vec<SmsMessage> {
    fn text(&self) -> String {
        let messages = self;
        let mut out = String::new();
        for m in messages {
            let state = match &m.delivery {
                Delivery::KeptInOutbox => "kept".to_owned(),
                Delivery::Queued => "queued".to_owned(),
                Delivery::Sent => "sent".to_owned(),
                Delivery::Failed { reason } => format!("FAILED: {reason}"),
            };
            out!(
                out,
                "#{:<5} {} to {} ({}) [{state}]\n       {}",
                m.seq,
                rfc3339(m.at),
                m.to.masked(),
                m.address,
                m.text
            );
        }
        out
    }
    fn json(&self) -> Value {
        keyed("outbox", self)
    }
}

impl Printed for Policy {
    fn text(&self) -> String {
        let p = self;
        let mut out = String::new();
        let t = &p.targets;
        out!(
            out,
            "service targets: NAS {} working minutes, helpdesk {} minutes, resolver group {} working minutes",
            t.nas_business_minutes,
            t.helpdesk_minutes,
            t.resolver_business_minutes
        );
        match &p.sms_command {
            Some(c) => out!(out, "SMS gateway: {} (stopped after {} s)", safe(c), p.sms_time_limit_seconds),
            None => out!(out, "SMS gateway: none (messages are kept in the outbox)"),
        }
        out
    }
    fn json(&self) -> Value {
        keyed("policy", self)
    }
}

impl Printed for TicketDetail {
    fn text(&self) -> String {
        self.ticket.text()
    }
    fn json(&self) -> Value {
        keyed("ticket-detail", self)
    }
}

impl Printed for AuditVerified {
    fn text(&self) -> String {
        let mut text = format!(
            "audit log intact: {} entries verified, and {} records and index entries hold what they left",
            self.entries, self.keys
        );
        if self.keys_unchecked > 0 {
            text.push_str(&format!(
                "\n{} keys were last written before entries recorded what they left, and are not checked",
                self.keys_unchecked
            ));
        }
        text
    }
    fn json(&self) -> Value {
        keyed("audit-verified", self)
    }
}

fn row_json(r: &TicketRow) -> Value {
    let mut v = serde_json::to_value(r).unwrap_or(Value::Null);
    if let Some(obj) = v.as_object_mut() {
        obj.insert("ref".into(), json!(r.reference.to_string()));
    }
    v
}

/// A search result as JSON: the record's own fields, as before, and the
/// organisation's name beside them.
fn with_org_name(record: &impl Serialize, name: &Option<String>) -> Value {
    let mut value = serde_json::to_value(record).unwrap_or_default();
    if let Value::Object(fields) = &mut value {
        fields.insert("organisation_name".to_owned(), json!(name));
    }
    value
}

impl Printed for Vec<AccountMatch> {
    fn text(&self) -> String {
        if self.is_empty() {
            return "no accounts match".to_owned();
        }
        let lines: Vec<String> = self
            .iter()
            .map(|m| format!("{}  {}", account_line(&m.account), safe(m.organisation.as_deref().unwrap_or("-"))))
            .collect();
        lines.join("\n")
    }
    fn json(&self) -> Value {
        Value::Array(self.iter().map(|m| with_org_name(&m.account, &m.organisation)).collect())
    }
}

impl Printed for Vec<MailboxMatch> {
    fn text(&self) -> String {
        if self.is_empty() {
            return "no shared mailboxes match".to_owned();
        }
        let lines: Vec<String> = self
            .iter()
            .map(|m| format!("{}  {}", mailbox_line(&m.mailbox), safe(m.organisation.as_deref().unwrap_or("-"))))
            .collect();
        lines.join("\n")
    }
    fn json(&self) -> Value {
        Value::Array(self.iter().map(|m| with_org_name(&m.mailbox, &m.organisation)).collect())
    }
}
mod mail;
mod shift;
pub use shift::{breaches_csv, dashboard_csv};
