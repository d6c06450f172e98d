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
    let rewritten = caredesk::domain::audit::AuditEntry::chain(3, forged, &entries[1].hash);
    store.raw_put(TreeId::Audit, &key, &Store::encode_record(&rewritten)).unwrap();
    let message = desk.service.verify_audit().unwrap_err().to_string();
    assert!(message.contains("audit entry 4 does not link"), "{message}");
}

/// Cutting entries from the end and rewriting the head to match leaves a
/// chain that proves itself; only an anchor kept outside the database
/// catches it.
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
    assert_eq!(desk.service.verify_audit().unwrap(), head - 2, "without the anchor the cut goes unseen");
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
    let old = desk.audit();
    assert!(old.len() >= 4, "{} entries", old.len());
    for e in &old {
        let key = e.seq.to_be_bytes();
        assert_eq!(store.raw_get(TreeId::Audit, &key).unwrap().unwrap()[0], 3, "written compact");
        store.raw_put(TreeId::Audit, &key, &Store::encode_versioned("audit entry", 2, e)).unwrap();
        assert_eq!(store.raw_get(TreeId::Audit, &key).unwrap().unwrap()[0], 2);
    }
    assert_eq!(desk.audit(), old, "old entries read back as they were written");

    desk.sup(&SetMobileHidden { address: jo.address.to_string(), hidden: true, ticket: None });
    desk.new_account("Sam", "Okafor", "07700900102", "V1111");
    let head = desk.audit_head();
    assert_eq!(head, old.len() as u64 + 2);
    let newest = store.raw_get(TreeId::Audit, &head.to_be_bytes()).unwrap().unwrap();
    assert_eq!(newest[0], 3, "new entries are compact");
    assert_eq!(desk.audit()[old.len()].prev_hash, old.last().unwrap().hash, "the chain runs on");
    assert_eq!(desk.service.verify_audit().unwrap(), head);

    let mut altered = old[1].clone();
    altered.draft.operator = "someone-else".into();
    store
        .raw_put(TreeId::Audit, &altered.seq.to_be_bytes(), &Store::encode_versioned("audit entry", 2, &altered))
        .unwrap();
    let message = desk.service.verify_audit().unwrap_err().to_string();
    assert!(message.contains(&format!("audit entry {} has been altered", altered.seq)), "{message}");
}
