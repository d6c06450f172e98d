//! Every change writes one audit entry and a refusal none; the chain proves it untouched.

use super::*;

/// Runs one row of the audit table and describes what went wrong, if anything.
fn audit_row(desk: &Desk, who: &str, now: DateTime<Utc>, command: &Request, want_ok: bool) -> Option<String> {
    let before = desk.audit_head();
    let result = desk.run_any(who, now, command);
    let after = desk.audit_head();
    let action = command.name();
    match (want_ok, result) {
        (true, Ok(outcome)) => {
            if after != before + 1 {
                return Some(format!("{action} by {who} wrote {} audit entries, not 1", after - before));
            }
            if outcome.audit_seq() != Some(after) {
                return Some(format!("{action}: outcome names entry {:?}, head is {after}", outcome.audit_seq()));
            }
            let entry = desk.service.store().audit_newest(None, 1).unwrap().remove(0);
            if entry.draft.action != action || entry.draft.operator != who || entry.draft.at != now {
                return Some(format!(
                    "{action}: newest entry is {} by {} at {}",
                    entry.draft.action, entry.draft.operator, entry.draft.at
                ));
            }
            None
        }
        (false, Err(e)) => {
            (after != before).then(|| format!("refused {action} by {who} ({e}) still wrote {} entries", after - before))
        }
        (true, Err(e)) => Some(format!("{action} by {who} should succeed but was refused: {e}")),
        (false, Ok(o)) => Some(format!("{action} by {who} should be refused but did: {o:?}")),
    }
}

#[test]
fn every_change_writes_exactly_one_audit_entry_and_a_refusal_writes_none() {
    let desk = Desk::new();
    let s = SUPERVISOR;
    let day = in_hours();
    let night = out_of_hours();
    let org = |ods: &str, name: &str, ig| {
        Request::from(AddOrganisation { ods: ods.into(), name: name.into(), ig, administered_by: None })
    };
    let acct = |first: &str, last: &str, n: u32, ods: &str| {
        Request::from(create_account(
            first,
            last,
            &mobile(n),
            ods,
            &format!("{}@example.org", first.to_lowercase()),
            false,
        ))
    };
    let jo = || "jo.smith@nhs.net".to_owned();
    let reset = |verified_by| Request::from(ResetPassword { address: jo(), verified_by, ticket: None });
    let t1 = TicketRef(1);
    let mut missing = ticket_form(Category::MissingPersonalAccount, "Jo", None);
    missing.subject = "cannot find my account".into();

    #[rustfmt::skip]
    let table: Vec<(&str, DateTime<Utc>, Request, bool)> = vec![
        (s, day, Request::from(Init), false),
        // Organisations.
        (s, day, org("V1234", "Sunrise Care", IgStatus::DsptStandardsMet), true),
        (s, day, org("V1234", "Sunrise Care again", IgStatus::DsptStandardsMet), false),
        (s, day, org("V12 34", "Bad Code Care", IgStatus::DsptStandardsMet), false),
        (s, day, org("V9999", "Hilltop Care", IgStatus::DsptStandardsMet), true),
        (s, day, org("V5555", "Closing Care", IgStatus::DsptStandardsMet), true),
        (s, day, Request::from(SetIgStatus { ods: "V5555".into(), ig: IgStatus::NotMet }), true),
        (s, day, Request::from(SetIgStatus { ods: "V5555".into(), ig: IgStatus::NotMet }), false),
        (s, day, Request::from(CloseOrganisation { ods: "V5555".into() }), true),
        (s, day, Request::from(CloseOrganisation { ods: "V5555".into() }), false),
        (s, day, Request::from(CloseOrganisation { ods: "V0000".into() }), false),
        // Operators and policy.
        (s, day, Request::from(AddOperator { username: "nas1".into(), role: Role::Nas }), true),
        (s, day, Request::from(AddOperator { username: "nas1".into(), role: Role::Nas }), false),
        (s, day, Request::from(AddOperator { username: "Not A Login".into(), role: Role::Nas }), false),
        (s, day, Request::from(AddOperator { username: "help1".into(), role: Role::Helpdesk }), true),
        ("nas1", day, Request::from(AddOperator { username: "sneaky".into(), role: Role::Supervisor }), false),
        (s, day, Request::from(SetOperatorRole { username: "nas1".into(), role: Role::Resolver }), true),
        (s, day, Request::from(SetOperatorRole { username: "nas1".into(), role: Role::Resolver }), false),
        (s, day, Request::from(SetOperatorRole { username: "nas1".into(), role: Role::Nas }), true),
        (s, day, Request::from(SetOperatorEnabled { username: "help1".into(), enabled: false }), true),
        (s, day, Request::from(SetOperatorEnabled { username: "help1".into(), enabled: false }), false),
        (s, day, Request::from(SetOperatorEnabled { username: s.into(), enabled: false }), false),
        (s, day, Request::from(SetOperatorEnabled { username: "help1".into(), enabled: true }), true),
        (s, day, Request::from(SetTargets { nas: Some(420), helpdesk: None, resolver: None }), true),
        (s, day, Request::from(SetTargets { nas: None, helpdesk: Some(0), resolver: None }), false),
        ("nas1", day, Request::from(SetTargets { nas: Some(480), helpdesk: None, resolver: None }), false),
        // Accounts.
        (s, day, acct("Jo", "Smith", 1, "V1234"), true),
        (s, day, acct("Al", "Jones", 2, "V1234"), true),
        (s, day, acct("Bo", "Brown", 3, "V9999"), true),
        (s, day, acct("Cy", "Other", 1, "V1234"), false),
        (s, day, acct("Di", "Closed", 4, "V5555"), false),
        ("help1", night, acct("Ed", "Night", 5, "V1234"), false),
        (s, day, Request::from(RecordLogin { address: jo() }), true),
        (s, day, Request::from(RecordLogin { address: "nobody@nhs.net".into() }), false),
        (s, day, Request::from(RecordPasswordChange { address: jo() }), true),
        (s, day, Request::from(RecordLock { address: jo() }), true),
        (s, day, Request::from(Unlock { address: jo(), ticket: None }), true),
        (s, day, Request::from(Unlock { address: jo(), ticket: None }), false),
        (s, day, reset(Verification::SecurityQuestions), true),
        ("help1", night, reset(Verification::RegisteredMobile), true),
        ("help1", night, Request::from(SetMobileHidden { address: jo(), hidden: true, ticket: None }), true),
        (s, day, Request::from(SetMobileHidden { address: jo(), hidden: true, ticket: None }), false),
        (s, day, Request::from(SetMobileHidden { address: jo(), hidden: false, ticket: None }), true),
        // Shared mailboxes: an owner must be active.
        (s, day, Request::from(CreateMailbox { address: "sunrise.care@nhs.net".into(), name: "Sunrise Care shared".into(),
            ods: "V1234".into(), owner: "al.jones@nhs.net".into(), sponsored_by: None }), false),
        (s, day, Request::from(RecordPasswordChange { address: "al.jones@nhs.net".into() }), true),
        (s, day, Request::from(CreateMailbox { address: "sunrise.care@nhs.net".into(), name: "Sunrise Care shared".into(),
            ods: "V1234".into(), owner: "al.jones@nhs.net".into(), sponsored_by: None }), true),
        (s, day, Request::from(CreateMailbox { address: "sunrise.care@nhs.net".into(), name: "Duplicate".into(),
            ods: "V1234".into(), owner: "al.jones@nhs.net".into(), sponsored_by: None }), false),
        (s, day, Request::from(CreateMailbox { address: "sunrise.office@nhs.net".into(), name: "Wrong owner".into(),
            ods: "V1234".into(), owner: "bo.brown@nhs.net".into(), sponsored_by: None }), false),
        (s, day, reset(Verification::Owner { owner: "al.jones@nhs.net".into(), mobile: mobile(1) }), true),
        (s, day, reset(Verification::Owner { owner: "bo.brown@nhs.net".into(), mobile: mobile(1) }), false),
        (s, day, Request::from(AddMember { mailbox: "sunrise.care@nhs.net".into(), account: jo(), reason: None }), true),
        (s, day, Request::from(AddMember { mailbox: "sunrise.care@nhs.net".into(), account: jo(), reason: None }), false),
        (s, day, Request::from(AddMember { mailbox: "sunrise.care@nhs.net".into(), account: "bo.brown@nhs.net".into(), reason: None }), false),
        (s, day, Request::from(AddMember { mailbox: "sunrise.care@nhs.net".into(), account: "bo.brown@nhs.net".into(),
            reason: Some("covers Sunrise's night shifts".into()) }), true),
        (s, day, Request::from(RemoveMember { mailbox: "sunrise.care@nhs.net".into(), account: jo() }), true),
        (s, day, Request::from(RemoveMember { mailbox: "sunrise.care@nhs.net".into(), account: "al.jones@nhs.net".into() }), false),
        (s, day, Request::from(ChangeOwner { mailbox: "sunrise.care@nhs.net".into(), owner: jo() }), true),
        (s, day, Request::from(ChangeOwner { mailbox: "sunrise.care@nhs.net".into(), owner: jo() }), false),
        (s, day, Request::from(RecordMailboxAccess { mailbox: "sunrise.care@nhs.net".into() }), true),
        (s, day, Request::from(RecordMailboxAccess { mailbox: "nosuch.box@nhs.net".into() }), false),
        // Tickets.
        (s, day, Request::from(ticket_form(Category::PasswordReset, "Jo Smith", Some("V1234"))), true),
        (s, day, Request::from(missing), false),
        (s, day, Request::from(Claim { reference: t1 }), true),
        (s, day, Request::from(Claim { reference: t1 }), false),
        (s, day, Request::from(Claim { reference: TicketRef(999) }), false),
        (s, day, Request::from(Assign { reference: t1, to: Some("nas1".into()) }), true),
        (s, day, Request::from(Assign { reference: t1, to: Some("ghost".into()) }), false),
        (s, day, Request::from(SetStatus { reference: t1, status: TicketStatus::WaitingOnRequester }), true),
        (s, day, Request::from(SetStatus { reference: t1, status: TicketStatus::WaitingOnRequester }), false),
        (s, day, Request::from(Note { reference: t1, text: "called back, no answer".into() }), true),
        (s, day, Request::from(Note { reference: t1, text: "   ".into() }), false),
        (s, day, Request::from(Reply { reference: t1, text: "please call the helpdesk".into() }), true),
        (s, day, Request::from(Link { reference: t1, account: Some(jo()), mailbox: None }), true),
        (s, day, Request::from(Link { reference: t1, account: None, mailbox: None }), false),
        // Leavers, joiners, administration.
        (s, day, Request::from(MarkLeaver { address: jo(), new_owner: None, ticket: None }), false),
        (s, day, Request::from(MarkLeaver { address: jo(), new_owner: Some("al.jones@nhs.net".into()), ticket: None }), true),
        (s, day, Request::from(MarkLeaver { address: jo(), new_owner: None, ticket: None }), false),
        (s, day, Request::from(Joiner { address: jo(), ods: "V5555".into(), mailboxes: vec![], ticket: None }), false),
        (s, day, Request::from(Joiner { address: jo(), ods: "V9999".into(), mailboxes: vec![], ticket: None }), true),
        (s, day, Request::from(TransferAdministration { address: "bo.brown@nhs.net".into(), to: Some("V1234".into()) }), true),
        (s, day, Request::from(TransferAdministration { address: "bo.brown@nhs.net".into(), to: Some("V1234".into()) }), false),
        (s, day, Request::from(TransferAdministration { address: "bo.brown@nhs.net".into(), to: None }), true),
        // Whoever is not an enabled operator writes nothing.
        ("mallory", day, Request::from(RecordLogin { address: jo() }), false),
    ];

    let failures: Vec<String> =
        table.iter().filter_map(|(who, now, command, ok)| audit_row(&desk, who, *now, command, *ok)).collect();
    assert!(failures.is_empty(), "audit table:\n{}", failures.join("\n"));

    // The table did what it says: spot-check the state it left behind.
    let oks = table.iter().filter(|row| row.3).count() as u64;
    assert_eq!(desk.audit_head(), 1 + oks, "Init plus one entry per successful row");
    let t = ticket(&desk, t1);
    assert_eq!((t.assignee.as_deref(), t.status), (Some("nas1"), TicketStatus::WaitingOnRequester));
    assert_eq!(desk.account("jo.smith@nhs.net").ods.as_str(), "V9999");
    assert_eq!(desk.mailbox("sunrise.care@nhs.net").owner, Some(desk.account("al.jones@nhs.net").id));
}

#[test]
fn the_audit_chain_verifies_until_an_entry_is_altered() {
    let desk = Desk::new();
    sunrise(&desk);
    desk.new_account("Jo", "Smith", &mobile(1), "V1234");
    desk.sup(&RecordLogin { address: "jo.smith@nhs.net".into() });
    desk.sup(&ticket_form(Category::General, "Jo Smith", Some("V1234")));
    let head = desk.audit_head();
    assert_eq!(head, 5);
    assert_eq!(desk.service.verify_audit().unwrap(), head);
    let ctx = Ctx::new(SUPERVISOR, in_hours());
    assert_eq!(desk.service.execute(&ctx, &VerifyAudit { anchor: None }).unwrap().entries, head);

    let store = desk.service.store();
    let key = 3u64.to_be_bytes();
    let original = store.raw_get(TreeId::Audit, &key).unwrap().expect("entry 3");
    let mut entry = desk.audit().remove(2);
    assert_eq!(entry.seq, 3);
    entry.draft.operator = "someone-else".into();
    store.raw_put(TreeId::Audit, &key, &Store::encode_record(&entry)).unwrap();
    let message = desk.service.verify_audit().unwrap_err().to_string();
    assert!(message.contains("audit entry 3 has been altered"), "{message}");

    // Rewriting an entry with a fresh hash breaks the link from the next one.
    store.raw_put(TreeId::Audit, &key, &original).unwrap();
    assert_eq!(desk.service.verify_audit().unwrap(), head);
    let entries = desk.audit();
    let mut forged = entries[2].draft.clone();
    forged.after = Some("forged".into());
    let rewritten = caredesk::domain::audit::AuditEntry::chain(3, forged, &entries[1].hash, entries[2].state.clone());
    store.raw_put(TreeId::Audit, &key, &Store::encode_record(&rewritten)).unwrap();
    let message = desk.service.verify_audit().unwrap_err().to_string();
    assert!(message.contains("audit entry 4 does not link"), "{message}");
}

/// Cutting entries from the end and rewriting the head to match leaves a
/// chain that proves itself: the records the cut entries wrote give it
/// away, and an anchor kept outside the database names the cut.
#[test]
fn a_log_cut_back_with_its_head_rewritten_is_caught_by_the_anchor() {
    use caredesk::service::AuditAnchor;
    let desk = Desk::new();
    sunrise(&desk);
    desk.new_account("Jo", "Smith", &mobile(1), "V1234");
    desk.sup(&RecordLogin { address: "jo.smith@nhs.net".into() });
    let ctx = Ctx::new(SUPERVISOR, in_hours());
    let kept = desk.service.execute(&ctx, &VerifyAudit { anchor: None }).unwrap();
    let anchor = AuditAnchor { seq: kept.entries, hash: kept.head_hash.clone() };
    assert_eq!(anchor.seq, desk.audit_head());
    // The anchor of an untouched log holds, and one more entry keeps it so.
    desk.sup(&ticket_form(Category::General, "Jo Smith", Some("V1234")));
    let later = desk.service.execute(&ctx, &VerifyAudit { anchor: Some(anchor.clone()) }).unwrap();
    assert_eq!(later.entries, anchor.seq + 1);

    // Cut the last two entries and point the head at the one left.
    let store = desk.service.store();
    let entries = desk.audit();
    let head = entries.len() as u64;
    for seq in [head, head - 1] {
        store.raw_remove(TreeId::Audit, &seq.to_be_bytes()).unwrap();
    }
    let last = &entries[(head - 3) as usize];
    assert_eq!(last.seq, head - 2);
    store
        .raw_put(TreeId::Meta, b"audit.head", &Store::encode_versioned("audit head", 1, &(last.seq, &last.hash)))
        .unwrap();
    // Without the anchor the chain itself holds together; what the cut
    // entries wrote is what gives it away: the ticket they logged is
    // accounted for by no entry left.
    let message = desk.service.verify_audit().unwrap_err().to_string();
    assert!(message.contains("tickets #1") && message.contains("written by no audit entry"), "{message}");
    assert!(!message.contains("does not link") && !message.contains("altered"), "{message}");
    let message = desk.service.execute(&ctx, &VerifyAudit { anchor: Some(anchor.clone()) }).unwrap_err().to_string();
    assert!(
        message.contains(&format!("the anchor names entry {} but the log has no such entry", anchor.seq)),
        "{message}"
    );

    // An anchor whose entry is there with another hash: the log was rewritten.
    let forged = AuditAnchor { seq: last.seq, hash: "0".repeat(64) };
    let message = desk.service.execute(&ctx, &VerifyAudit { anchor: Some(forged) }).unwrap_err().to_string();
    assert!(message.contains(&format!("entry {} no longer has the hash the anchor recorded", last.seq)), "{message}");
}

/// The tamper suite: the database is closed, changed through sled itself
/// (as someone with the files would), and opened again; `verify` and
/// `check` must each report what was done, every break of it.
mod tampered {
    use super::*;
    use caredesk::domain::audit::AuditEntry;
    use caredesk::service::Service;
    use caredesk::store::OpenMode;
    use std::path::{Path, PathBuf};

    /// A closed database with eight audited changes, among them two notes
    /// on ticket CD-000001 and an account with a mobile.
    fn closed() -> (tempfile::TempDir, PathBuf, Vec<AuditEntry>) {
        let desk = Desk::new();
        sunrise(&desk);
        desk.new_account("Jo", "Smith", &mobile(1), "V1234");
        desk.sup(&RecordLogin { address: "jo.smith@nhs.net".into() });
        desk.sup(&ticket_form(Category::General, "Jo Smith", Some("V1234")));
        let reference: TicketRef = "CD-000001".parse().unwrap();
        desk.sup(&Note { reference, text: "Called back, no answer".into() });
        desk.sup(&Note { reference, text: "Left a voicemail".into() });
        desk.sup(&RecordLogin { address: "jo.smith@nhs.net".into() });
        let entries = desk.audit();
        assert_eq!(entries.len(), 8);
        let path = desk.db_path();
        let Desk { dir, service } = desk;
        drop(service);
        (dir, path, entries)
    }

    /// Opens the closed database with sled alone and runs `change` on it.
    fn through_sled(path: &Path, change: impl FnOnce(&sled::Db)) {
        let started = std::time::Instant::now();
        let db = loop {
            match sled::open(path) {
                Ok(db) => break db,
                Err(e) if started.elapsed() < std::time::Duration::from_secs(5) => {
                    let _ = e;
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                Err(e) => panic!("sled could not open the database: {e}"),
            }
        };
        change(&db);
        db.flush().expect("the change is on disk");
    }

    fn reopened(path: &Path) -> Service {
        let started = std::time::Instant::now();
        loop {
            match Service::open(path, OpenMode::Existing) {
                Ok(s) => return s,
                Err(_) if started.elapsed() < std::time::Duration::from_secs(5) => {
                    std::thread::sleep(std::time::Duration::from_millis(20))
                }
                Err(e) => panic!("the database does not open: {e}"),
            }
        }
    }

    fn verify_fails(service: &Service) -> String {
        service.verify_audit().expect_err("verify reports the tampering").to_string()
    }

    fn checked(service: &Service) -> Vec<String> {
        service.store().check().expect("the check runs").findings.iter().map(ToString::to_string).collect()
    }

    fn key(seq: u64) -> [u8; 8] {
        seq.to_be_bytes()
    }

    #[test]
    fn an_untouched_database_verifies_and_checks_clean() {
        let (_dir, path, entries) = closed();
        through_sled(&path, |_| {});
        let service = reopened(&path);
        assert_eq!(service.verify_audit().unwrap(), entries.len() as u64);
        assert_eq!(checked(&service), Vec::<String>::new());
    }

    #[test]
    fn a_changed_byte_in_an_entry_is_reported_by_verify_and_check() {
        let (_dir, path, _) = closed();
        through_sled(&path, |db| {
            let audit = db.open_tree("audit").unwrap();
            let mut value = audit.get(key(3)).unwrap().expect("entry 3").to_vec();
            let at = value.windows(SUPERVISOR.len()).position(|w| w == SUPERVISOR.as_bytes()).expect("the operator");
            value[at] ^= 0x01;
            audit.insert(key(3), value).unwrap();
        });
        let service = reopened(&path);
        let message = verify_fails(&service);
        assert!(message.contains("audit entry 3 has been altered"), "{message}");
        let found = checked(&service);
        assert!(found.iter().any(|f| f.contains("audit entry 3 has been altered")), "{found:#?}");
    }

    #[test]
    fn a_deleted_entry_in_the_middle_is_reported_by_verify_and_check() {
        let (_dir, path, _) = closed();
        through_sled(&path, |db| {
            db.open_tree("audit").unwrap().remove(key(4)).unwrap();
        });
        let service = reopened(&path);
        let message = verify_fails(&service);
        assert!(message.contains('5') && message.contains("1 break"), "{message}");
        let found = checked(&service);
        assert!(found.iter().any(|f| f.starts_with("audit:") && f.contains('5')), "{found:#?}");
    }

    #[test]
    fn two_entries_swapped_are_reported_by_verify_and_check() {
        let (_dir, path, _) = closed();
        through_sled(&path, |db| {
            let audit = db.open_tree("audit").unwrap();
            let (four, five) = (audit.get(key(4)).unwrap().unwrap(), audit.get(key(5)).unwrap().unwrap());
            audit.insert(key(4), five).unwrap();
            audit.insert(key(5), four).unwrap();
        });
        let service = reopened(&path);
        let message = verify_fails(&service);
        assert!(message.contains("breaks"), "more than one break is listed: {message}");
        let found = checked(&service);
        assert!(found.iter().any(|f| f.contains("stored as #4 says it is entry 5")), "{found:#?}");
        assert!(found.iter().any(|f| f.contains("stored as #5 says it is entry 4")), "{found:#?}");
    }

    #[test]
    fn every_break_is_listed_not_only_the_first() {
        let (_dir, path, _) = closed();
        through_sled(&path, |db| {
            let audit = db.open_tree("audit").unwrap();
            let mut value = audit.get(key(2)).unwrap().unwrap().to_vec();
            let at = value.windows(SUPERVISOR.len()).position(|w| w == SUPERVISOR.as_bytes()).unwrap();
            value[at] ^= 0x01;
            audit.insert(key(2), value).unwrap();
            audit.remove(key(6)).unwrap();
        });
        let service = reopened(&path);
        let message = verify_fails(&service);
        assert!(message.contains("audit entry 2 has been altered"), "{message}");
        assert!(message.contains('7'), "the gap at 6 is listed too: {message}");
        let found: Vec<String> = checked(&service).into_iter().filter(|f| f.starts_with("audit:")).collect();
        assert!(found.len() >= 2, "{found:#?}");
    }

    #[test]
    fn an_entry_damaged_past_reading_is_reported_and_verify_and_check_list_the_breaks_after_it() {
        let (_dir, path, _) = closed();
        through_sled(&path, |db| {
            let audit = db.open_tree("audit").unwrap();
            let mut value = audit.get(key(3)).unwrap().unwrap().to_vec();
            value[0] = 0xee;
            audit.insert(key(3), value).unwrap();
            audit.remove(key(6)).unwrap();
        });
        let service = reopened(&path);
        let message = verify_fails(&service);
        assert!(message.contains("audit entry 3 cannot be read"), "verify names what it could not read: {message}");
        assert!(message.contains("audit entry 7 does not follow entry 5"), "and carries on past it: {message}");
        assert!(!message.contains("audit entry 4 does not link"), "the entry after it is not blamed: {message}");
        let found = checked(&service);
        assert!(found.iter().any(|f| f.starts_with("audit #3: cannot be read")), "{found:#?}");
        assert!(
            found.iter().any(|f| f.starts_with("audit:") && f.contains('7')),
            "the later gap is listed: {found:#?}"
        );
    }

    #[test]
    fn truncation_with_the_head_rewritten_is_caught_against_a_kept_anchor() {
        use caredesk::service::AuditAnchor;
        let (_dir, path, entries) = closed();
        let last = entries.last().unwrap();
        let anchor = AuditAnchor { seq: last.seq, hash: last.hash.clone() };
        let kept = &entries[5];
        through_sled(&path, |db| {
            let audit = db.open_tree("audit").unwrap();
            audit.remove(key(8)).unwrap();
            audit.remove(key(7)).unwrap();
            let head = Store::encode_versioned("audit head", 1, &(kept.seq, &kept.hash));
            db.open_tree("meta").unwrap().insert(b"audit.head", head).unwrap();
        });
        let service = reopened(&path);
        // The chain alone holds together; the records the cut entries last
        // wrote do not hold what the entries left say.
        let message = verify_fails(&service);
        assert!(message.contains("do not hold what audit entry"), "{message}");
        let message = service.verify_audit_from(Some(&anchor)).unwrap_err().to_string();
        assert!(message.contains("the anchor names entry 8 but the log has no such entry"), "{message}");
        let found = service.store().check_anchor(anchor.seq, &anchor.hash).unwrap().expect("check sees the cut");
        assert!(found.to_string().contains("no such entry"), "{found}");
        let forged = service.store().check_anchor(kept.seq, &"0".repeat(64)).unwrap().expect("another hash");
        assert!(forged.to_string().contains("rewritten"), "{forged}");
        assert_eq!(service.store().check_anchor(kept.seq, &kept.hash).unwrap(), None);
    }

    #[test]
    fn a_note_changed_in_its_ticket_is_reported_by_verify_and_check() {
        let (_dir, path, _) = closed();
        through_sled(&path, |db| {
            let tickets = db.open_tree("tickets").unwrap();
            let mut value = tickets.get(key(1)).unwrap().expect("ticket 1").to_vec();
            let at = value.windows(9).position(|w| w == b"voicemail").expect("the note's text");
            value[at..at + 9].copy_from_slice(b"VOICEMAIL");
            tickets.insert(key(1), value).unwrap();
        });
        let service = reopened(&path);
        let message = verify_fails(&service);
        assert!(message.contains("tickets #1 does not hold what audit entry 7 left there"), "{message}");
        let found = checked(&service);
        assert!(
            found.iter().any(|f| f.contains("ticket CD-000001") && f.contains("note 2") && f.contains("changed")),
            "{found:#?}"
        );
    }

    #[test]
    fn a_mobile_changed_in_its_account_and_a_deleted_index_entry_are_reported_by_verify_and_check() {
        let (_dir, path, _) = closed();
        let old = mobile(1).replace(' ', "");
        through_sled(&path, |db| {
            let accounts = db.open_tree("accounts").unwrap();
            let (k, v) = accounts.iter().next().unwrap().unwrap();
            let mut value = v.to_vec();
            let at = value.windows(old.len()).position(|w| w == old.as_bytes()).expect("the mobile");
            value[at + old.len() - 1] = if value[at + old.len() - 1] == b'9' { b'8' } else { b'9' };
            accounts.insert(k, value).unwrap();
            let by_org = db.open_tree("accounts.by_org").unwrap();
            let (k, _) = by_org.iter().next().unwrap().unwrap();
            by_org.remove(k).unwrap();
        });
        let service = reopened(&path);
        let message = verify_fails(&service);
        assert!(message.contains("accounts #1 does not hold what audit entry 8 left there"), "{message}");
        assert!(
            message.contains("a key audit entry 8 (account.login jo.smith@nhs.net) wrote is gone"),
            "the removed index entry: {message}"
        );
        let found = checked(&service);
        assert!(
            found.iter().any(|f| f.starts_with("accounts.by_mobile") && f.contains(&old) && f.contains("no record")),
            "{found:#?}"
        );
        assert!(found.iter().any(|f| f.starts_with("accounts.by_org") && f.contains("missing")), "{found:#?}");
    }

    #[test]
    fn a_record_added_behind_the_services_back_is_reported_by_verify_and_check() {
        let (_dir, path, _) = closed();
        through_sled(&path, |db| {
            // A copy of the account under another number: readable, and
            // consistent enough for a quick look, but written by no entry.
            let accounts = db.open_tree("accounts").unwrap();
            let (_, v) = accounts.iter().next().unwrap().unwrap();
            accounts.insert(key(99), v).unwrap();
        });
        let service = reopened(&path);
        let message = verify_fails(&service);
        assert!(message.contains("accounts #99 was written by no audit entry"), "{message}");
        let found = checked(&service);
        assert!(
            found
                .iter()
                .any(|f| f == "audit state: accounts #99 was written by no audit entry: it was added outside caredesk"),
            "{found:#?}"
        );
    }
}

/// A database written before audit entries were compact holds them as
/// schema 2 (serde's own form, the hashes as hex text). The compact build
/// reads them as they were, chains new entries on from them, verifies
/// across the boundary, and still finds tampering with an old entry.
#[test]
fn audit_entries_written_before_the_compact_form_read_verify_and_chain_on() {
    let desk = Desk::new();
    desk.add_good_org("V1111", "Ashgrove Care");
    desk.add_operator("nas1", Role::Nas);
    let jo = desk.new_account("Jo", "Robinson", "07700900101", "V1111");
    let store = desk.service.store();
    // The log as an earlier release left it: entries without a state
    // digest, in serde's own form.
    for e in &desk.audit() {
        assert_eq!(store.raw_get(TreeId::Audit, &e.seq.to_be_bytes()).unwrap().unwrap()[0], 5, "written compact");
    }
    let old = desk.audit_as_earlier_release();
    assert!(old.len() >= 4, "{} entries", old.len());
    for e in &old {
        let key = e.seq.to_be_bytes();
        let v2 = caredesk::store::v1::AuditEntryV2 {
            seq: e.seq,
            draft: e.draft.clone(),
            prev_hash: e.prev_hash.clone(),
            hash: e.hash.clone(),
        };
        store.raw_put(TreeId::Audit, &key, &Store::encode_versioned("audit entry", 2, &v2)).unwrap();
        assert_eq!(store.raw_get(TreeId::Audit, &key).unwrap().unwrap()[0], 2);
    }
    assert_eq!(desk.audit(), old, "old entries read back as they were written");

    desk.sup(&SetMobileHidden { address: jo.address.to_string(), hidden: true, ticket: None });
    desk.new_account("Sam", "Okafor", "07700900102", "V1111");
    let head = desk.audit_head();
    assert_eq!(head, old.len() as u64 + 2);
    let newest = store.raw_get(TreeId::Audit, &head.to_be_bytes()).unwrap().unwrap();
    assert_eq!(newest[0], 5, "new entries are compact");
    assert_eq!(desk.audit()[old.len()].prev_hash, old.last().unwrap().hash, "the chain runs on");
    assert_eq!(desk.service.verify_audit().unwrap(), head);

    let mut altered = old[1].clone();
    altered.draft.operator = "someone-else".into();
    let v2 = caredesk::store::v1::AuditEntryV2 {
        seq: altered.seq,
        draft: altered.draft.clone(),
        prev_hash: altered.prev_hash.clone(),
        hash: altered.hash.clone(),
    };
    store.raw_put(TreeId::Audit, &altered.seq.to_be_bytes(), &Store::encode_versioned("audit entry", 2, &v2)).unwrap();
    let message = desk.service.verify_audit().unwrap_err().to_string();
    assert!(message.contains(&format!("audit entry {} has been altered", altered.seq)), "{message}");
}
