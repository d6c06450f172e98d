//! Fixtures shared by the service and store suites: a desk on a temporary
//! sled database with a supervisor, organisations, accounts and mailboxes
//! made through the service (the only way to change data), and an SMS
//! gateway that records what it was handed.
//!
//! Each suite uses part of this file, so unused items are expected.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use caredesk::domain::account::Account;
use caredesk::domain::audit::AuditEntry;
use caredesk::domain::mailbox::Mailbox;
use caredesk::domain::organisation::IgStatus;
use caredesk::domain::permission::Role;
use caredesk::domain::ticket::Ticket;
use caredesk::domain::ticket::TicketRef;
use caredesk::domain::validate::Mobile;
use caredesk::service::ops::*;
use caredesk::service::{Answer, Ctx, Done, Registered, Request, Service, ServiceError, SmsGateway};
use caredesk::store::OpenMode;
use chrono::{DateTime, Duration, Utc};
use tempfile::TempDir;

/// The first supervisor, registered by `Init`.
pub const SUPERVISOR: &str = "sup";

pub fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap_or_else(|e| panic!("bad instant {text:?}: {e}")).to_utc()
}

/// Wednesday 7 January 2026, 10:00 GMT: the NAS is open.
pub fn in_hours() -> DateTime<Utc> {
    utc("2026-01-07T10:00:00Z")
}

/// Wednesday 7 January 2026, 20:00 GMT: only the helpdesk is working.
pub fn out_of_hours() -> DateTime<Utc> {
    utc("2026-01-07T20:00:00Z")
}

pub fn days(n: i64) -> Duration {
    Duration::days(n)
}

/// One message as the gateway received it: the real text.
#[derive(Debug, Clone)]
pub struct Sent {
    pub to: Mobile,
    pub text: String,
}

/// A gateway that "sends" by remembering; it is not an outbox-only one, so
/// the service hands it the real text with the password in it.
#[derive(Clone, Default)]
pub struct RecordingGateway {
    pub sent: Arc<Mutex<Vec<Sent>>>,
}

impl SmsGateway for RecordingGateway {
    fn keeps_only(&self) -> bool {
        false
    }
    fn send(&self, to: &Mobile, text: &str, _secrets: &[&str]) -> Result<(), String> {
        self.sent.lock().unwrap().push(Sent { to: to.clone(), text: text.to_owned() });
        Ok(())
    }
}

impl RecordingGateway {
    pub fn messages(&self) -> Vec<Sent> {
        self.sent.lock().unwrap().clone()
    }
}

/// The password in a temporary-password text: "… for ADDRESS is PASSWORD . Log in …".
pub fn password_in(text: &str) -> String {
    let after = text.split(" is ").nth(1).unwrap_or_else(|| panic!("no password in {text:?}"));
    after.split(' ').next().unwrap_or_default().to_owned()
}

/// A service on a fresh temporary database with `SUPERVISOR` registered.
pub struct Desk {
    pub dir: TempDir,
    pub service: Service,
}

impl Desk {
    pub fn new() -> Desk {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let service = Service::open(&dir.path().join("db"), OpenMode::CreateIfMissing).expect("a new database");
        let desk = Desk { dir, service };
        desk.ok(SUPERVISOR, in_hours(), &Init);
        desk
    }

    /// A desk whose gateway records the real messages.
    pub fn recording() -> (Desk, RecordingGateway) {
        let mut desk = Desk::new();
        let gateway = RecordingGateway::default();
        desk.service.set_gateway(Box::new(gateway.clone()));
        (desk, gateway)
    }

    pub fn db_path(&self) -> std::path::PathBuf {
        self.dir.path().join("db")
    }

    pub fn run<O: Registered>(&self, operator: &str, now: DateTime<Utc>, op: &O) -> Result<O::Answer, ServiceError> {
        self.service.execute(&Ctx::new(operator, now), op)
    }

    /// Runs an operation carried without its type.
    pub fn run_any(&self, operator: &str, now: DateTime<Utc>, request: &Request) -> Result<Answer, ServiceError> {
        self.service.dispatch(&Ctx::new(operator, now), request, None)
    }

    /// Runs an operation that must succeed.
    pub fn ok<O: Registered>(&self, operator: &str, now: DateTime<Utc>, op: &O) -> O::Answer {
        self.run(operator, now, op).unwrap_or_else(|e| panic!("{} refused: {e}", O::NAME))
    }

    /// Runs an operation that must be refused; returns the message.
    pub fn refused<O: Registered>(&self, operator: &str, now: DateTime<Utc>, op: &O) -> String {
        match self.run(operator, now, op) {
            Ok(o) => panic!("{} should have been refused but answered {o:?}", O::NAME),
            Err(e) => e.to_string(),
        }
    }

    /// A supervisor's operation in hours.
    pub fn sup<O: Registered>(&self, op: &O) -> O::Answer {
        self.ok(SUPERVISOR, in_hours(), op)
    }

    pub fn audit_head(&self) -> u64 {
        self.service.store().audit_head().expect("audit head")
    }

    /// Rewrites the whole log as a release from before entries carried a
    /// state digest would have written it (the same entries, chained
    /// without one) and points the head at its end. Returns the entries,
    /// for a test to rewrite again in an older schema.
    pub fn audit_as_earlier_release(&self) -> Vec<AuditEntry> {
        use caredesk::store::{Store, TreeId};
        let store = self.service.store();
        let mut prev = caredesk::domain::audit::GENESIS_HASH.to_owned();
        let mut entries = self.audit();
        for e in &mut entries {
            *e = AuditEntry::chain(e.seq, e.draft.clone(), &prev, None);
            prev.clone_from(&e.hash);
            store.raw_put(TreeId::Audit, &e.seq.to_be_bytes(), &Store::encode_record(e)).expect("entry rewritten");
        }
        if let Some(last) = entries.last() {
            let head = Store::encode_versioned("audit head", 1, &(last.seq, &last.hash));
            store.raw_put(TreeId::Meta, b"audit.head", &head).expect("head rewritten");
        }
        entries
    }

    /// Every audit entry, oldest first.
    pub fn audit(&self) -> Vec<AuditEntry> {
        let mut entries = self.service.store().audit_newest(None, usize::MAX).expect("audit entries");
        entries.reverse();
        entries
    }

    pub fn add_operator(&self, username: &str, role: Role) {
        self.sup(&AddOperator { username: username.into(), role });
    }

    pub fn add_org(&self, ods: &str, name: &str, ig: IgStatus, administered_by: Option<&str>) {
        self.sup(&AddOrganisation {
            ods: ods.into(),
            name: name.into(),
            ig,
            administered_by: administered_by.map(str::to_owned),
        });
    }

    /// A NAS-administered organisation that meets the IG requirement.
    pub fn add_good_org(&self, ods: &str, name: &str) {
        self.add_org(ods, name, IgStatus::DsptStandardsMet, None);
    }

    pub fn account(&self, address: &str) -> Account {
        self.service
            .store()
            .account_by_address(address)
            .expect("account lookup")
            .unwrap_or_else(|| panic!("no account {address}"))
    }

    pub fn mailbox(&self, address: &str) -> Mailbox {
        self.service
            .store()
            .mailbox_by_address(address)
            .expect("mailbox lookup")
            .unwrap_or_else(|| panic!("no mailbox {address}"))
    }

    /// Creates an account as the supervisor in hours and returns it.
    pub fn new_account(&self, first: &str, last: &str, mobile: &str, ods: &str) -> Account {
        let email = format!("{}.{}.{}@example.org", first.to_lowercase(), last.to_lowercase(), &mobile[7..]);
        self.sup(&create_account(first, last, mobile, ods, &email, true)).record
    }

    pub fn new_mailbox(&self, address: &str, name: &str, ods: &str, owner: &str) -> Mailbox {
        // An owner must be active: the directory reports their first password change.
        self.sup(&RecordPasswordChange { address: owner.into() });
        self.sup(&CreateMailbox {
            address: address.into(),
            name: name.into(),
            ods: ods.into(),
            owner: owner.into(),
            sponsored_by: None,
        })
        .record
    }

    pub fn add_member(&self, mailbox: &str, account: &str) {
        self.sup(&AddMember { mailbox: mailbox.into(), account: account.into(), reason: None });
    }

    /// The member account ids of a mailbox, read from the membership pairs.
    pub fn member_ids(&self, mailbox: &Mailbox) -> Vec<u64> {
        self.service.store().member_ids(mailbox.id, None, usize::MAX).expect("members")
    }
}

/// A mobile in Ofcom's drama range: 07700 900000 to 07700 900999.
pub fn mobile(n: u32) -> String {
    format!("07700{:06}", 900_000 + n)
}

pub fn create_account(
    first: &str,
    last: &str,
    mobile: &str,
    ods: &str,
    email: &str,
    not_duplicate: bool,
) -> CreateAccount {
    CreateAccount {
        first: first.into(),
        last: last.into(),
        mobile: mobile.into(),
        ods: ods.into(),
        email: email.into(),
        not_duplicate,
    }
}

pub fn ticket_of(done: &Done<Ticket>) -> TicketRef {
    done.record.reference
}
