//! Account creation, leavers and joiners.

use super::*;

#[test]
fn an_organisation_failing_information_governance_gets_no_accounts_and_is_told_what_to_do() {
    let desk = Desk::new();
    desk.add_org("V9999", "Hilltop Care", IgStatus::DsptApproachingStandards, None);
    let before = desk.audit_head();
    let message = desk.refused(
        SUPERVISOR,
        in_hours(),
        &create_account("Jo", "Smith", &mobile(1), "V9999", "jo@example.org", false),
    );
    assert!(message.contains("Hilltop Care (V9999)"), "{message}");
    assert!(message.contains("information-governance requirement"), "{message}");
    assert!(message.contains("provider must reach DSPT \"Standards Met\""), "{message}");
    assert_eq!(desk.audit_head(), before);
}

#[test]
fn a_closed_organisation_gets_no_accounts() {
    let desk = Desk::new();
    sunrise(&desk);
    desk.sup(&CloseOrganisation { ods: "V1234".into() });
    let message = desk.refused(
        SUPERVISOR,
        in_hours(),
        &create_account("Jo", "Smith", &mobile(1), "V1234", "jo@example.org", false),
    );
    assert!(message.contains("V1234 is closed"), "{message}");
}

#[test]
fn a_locally_administered_organisation_is_left_to_its_local_administrator() {
    let desk = Desk::new();
    sunrise(&desk);
    desk.add_org("V7777", "Sponsored Care", IgStatus::DsptStandardsMet, Some("V1234"));
    let before = desk.audit_head();
    let message = desk.refused(
        SUPERVISOR,
        in_hours(),
        &create_account("Jo", "Smith", &mobile(1), "V7777", "jo@example.org", false),
    );
    assert!(message.contains("local administrator of V1234"), "{message}");
    assert!(message.contains("ask that administrator"), "{message}");
    assert_eq!(desk.audit_head(), before);
}

#[test]
fn a_mobile_already_registered_is_refused_naming_its_holder() {
    let desk = Desk::new();
    sunrise(&desk);
    desk.add_good_org("V9999", "Hilltop Care");
    desk.new_account("Jo", "Smith", &mobile(1), "V1234");
    let before = desk.audit_head();
    // Written differently, and in another organisation: still the same phone.
    let message = desk.refused(
        SUPERVISOR,
        in_hours(),
        &create_account("Al", "Jones", "+44 7700 900001", "V9999", "al@example.org", true),
    );
    assert!(message.contains("already registered to jo.smith@nhs.net"), "{message}");
    assert!(message.contains("07*** ***001"), "{message}");
    assert!(!message.contains("07700900001"), "the refusal shows the number masked: {message}");
    assert_eq!(desk.audit_head(), before);
}

#[test]
fn a_likely_duplicate_is_shown_before_a_second_account_is_created() {
    let desk = Desk::new();
    sunrise(&desk);
    desk.add_good_org("V9999", "Hilltop Care");
    desk.sup(&create_account("Jo", "Smith", &mobile(1), "V1234", "jo@example.org", false));

    // Same registration email, different name and organisation.
    let same_email = create_account("Joanne", "Smythe", &mobile(2), "V9999", "JO@example.org", false);
    let message = desk.refused(SUPERVISOR, in_hours(), &same_email);
    assert!(message.contains("may already have an account: jo.smith@nhs.net (Jo Smith, V1234)"), "{message}");
    assert!(message.contains("if this is someone else, confirm they are not a duplicate"), "{message}");

    // Same name in the same organisation, different email.
    let same_name = create_account("Jo", "Smith", &mobile(3), "V1234", "jo.other@example.org", false);
    let message = desk.refused(SUPERVISOR, in_hours(), &same_name);
    assert!(message.contains("jo.smith@nhs.net"), "{message}");

    // The same name in another organisation is somebody else.
    let elsewhere = desk.sup(&create_account("Jo", "Smith", &mobile(4), "V9999", "jo4@example.org", false));
    assert!(elsewhere.summary.contains("created jo.smith1@nhs.net"), "{}", elsewhere.summary);

    // The operator has checked: it is a different person.
    let confirmed = desk.sup(&create_account("Jo", "Smith", &mobile(3), "V1234", "jo.other@example.org", true));
    assert!(confirmed.summary.contains("created jo.smith2@nhs.net"), "{}", confirmed.summary);
    assert_eq!(desk.account("jo.smith2@nhs.net").mobile().unwrap().as_str(), mobile(3));
}

#[test]
fn addresses_take_a_number_on_collision_and_fold_accents() {
    let desk = Desk::new();
    sunrise(&desk);
    let addresses: Vec<String> =
        (1..=3).map(|n| desk.new_account("Jo", "Smith", &mobile(n), "V1234").address.to_string()).collect();
    assert_eq!(addresses, ["jo.smith@nhs.net", "jo.smith1@nhs.net", "jo.smith2@nhs.net"]);

    let zoe = desk.new_account("Zoë", "Brontë", &mobile(10), "V1234");
    assert_eq!(zoe.address.as_str(), "zoe.bronte@nhs.net");
    assert_eq!(zoe.display_name(), "Zoë Brontë", "the name itself keeps its accents");
    let sian = desk.new_account("Siân", "O’Brien", &mobile(11), "V1234");
    assert_eq!(sian.address.as_str(), "sian.obrien@nhs.net");

    // Folding also finds the duplicate typed without accents.
    let message = desk.refused(
        SUPERVISOR,
        in_hours(),
        &create_account("Zoe", "Bronte", &mobile(12), "V1234", "zoe@example.org", false),
    );
    assert!(message.contains("zoe.bronte@nhs.net"), "{message}");
}

#[test]
fn a_leaver_who_owns_a_mailbox_hands_it_over_in_one_change() {
    let desk = Desk::new();
    sunrise(&desk);
    let ann = desk.new_account("Ann", "Leaver", &mobile(1), "V1234");
    let ben = desk.new_account("Ben", "Member", &mobile(2), "V1234");
    let cat = desk.new_account("Cat", "Owner", &mobile(3), "V1234");
    let dan = desk.new_account("Dan", "Successor", &mobile(4), "V1234");
    desk.new_mailbox("sunrise.care@nhs.net", "Sunrise Care shared", "V1234", "ann.leaver@nhs.net");
    desk.add_member("sunrise.care@nhs.net", "ben.member@nhs.net");
    desk.new_mailbox("sunrise.office@nhs.net", "Sunrise office", "V1234", "cat.owner@nhs.net");
    desk.add_member("sunrise.office@nhs.net", "ann.leaver@nhs.net");

    let before = desk.audit_head();
    let leave = |new_owner: Option<&str>| MarkLeaver {
        address: "ann.leaver@nhs.net".into(),
        new_owner: new_owner.map(str::to_owned),
        ticket: None,
    };
    let message = desk.refused(SUPERVISOR, in_hours(), &leave(None));
    assert!(message.contains("ann.leaver@nhs.net owns sunrise.care@nhs.net"), "{message}");
    assert!(message.contains("name a new owner before marking it as a leaver"), "{message}");
    assert_eq!(desk.audit_head(), before);
    assert_eq!(desk.account("ann.leaver@nhs.net").status, AccountStatus::Active);

    // A successor who has not activated their account cannot take it over.
    let message = desk.refused(SUPERVISOR, in_hours(), &leave(Some("dan.successor@nhs.net")));
    assert!(message.contains("dan.successor@nhs.net cannot own a shared mailbox"), "{message}");
    assert!(message.contains("not been activated yet"), "{message}");
    assert_eq!(desk.audit_head(), before);
    desk.sup(&RecordPasswordChange { address: "dan.successor@nhs.net".into() });
    let before = desk.audit_head();

    desk.sup(&leave(Some("dan.successor@nhs.net")));
    assert_eq!(desk.audit_head(), before + 1, "ownership, memberships and status in one audit entry");
    let entry = desk.audit().pop().unwrap();
    assert_eq!((entry.draft.action.as_str(), entry.draft.subject.as_str()), ("account.leaver", "ann.leaver@nhs.net"));
    let after = entry.draft.after.unwrap_or_default();
    assert!(after.contains("dan.successor@nhs.net now owns sunrise.care@nhs.net"), "{after}");
    assert!(after.contains("removed from sunrise.office@nhs.net"), "{after}");

    let care = desk.mailbox("sunrise.care@nhs.net");
    assert_eq!(care.owner, Some(dan.id));
    let mut members = desk.member_ids(&care);
    members.sort();
    assert_eq!(members, [ben.id, dan.id]);
    assert_eq!(care.member_count, 2);
    let office = desk.mailbox("sunrise.office@nhs.net");
    assert_eq!((desk.member_ids(&office), office.member_count), (vec![cat.id], 1));

    let store = desk.service.store();
    assert!(store.memberships(ann.id).unwrap().is_empty());
    assert!(store.mailboxes_owned_by(ann.id).unwrap().is_empty());
    let ann = desk.account("ann.leaver@nhs.net");
    assert_eq!((ann.status, ann.leaver_since), (AccountStatus::Leaver, Some(in_hours())));
}

#[test]
fn a_leaver_taken_by_another_organisation_is_active_again_there() {
    let desk = Desk::new();
    sunrise(&desk);
    desk.add_good_org("V2222", "Meadow Care");
    let ann = desk.new_account("Ann", "Mover", &mobile(1), "V1234");
    desk.sup(&RecordPasswordChange { address: "ann.mover@nhs.net".into() });
    desk.new_account("Eve", "Owner", &mobile(2), "V2222");
    desk.new_mailbox("meadow.care@nhs.net", "Meadow Care shared", "V2222", "eve.owner@nhs.net");
    desk.sup(&MarkLeaver { address: "ann.mover@nhs.net".into(), new_owner: None, ticket: None });
    assert_eq!(desk.account("ann.mover@nhs.net").status, AccountStatus::Leaver);

    let before = desk.audit_head();
    desk.sup(&Joiner {
        address: "ann.mover@nhs.net".into(),
        ods: "v2222".into(),
        mailboxes: vec!["meadow.care@nhs.net".into()],
        ticket: None,
    });
    assert_eq!(desk.audit_head(), before + 1);
    let moved = desk.account("ann.mover@nhs.net");
    assert_eq!(moved.id, ann.id, "the account is kept, not recreated");
    assert_eq!((moved.status, moved.ods.as_str(), moved.leaver_since), (AccountStatus::Active, "V2222", None));
    assert!(moved.lifecycle_due().is_some_and(|d| d.transition == Transition::BecomeInactive));
    let meadow = desk.mailbox("meadow.care@nhs.net");
    assert!(desk.member_ids(&meadow).contains(&ann.id));
    assert_eq!(meadow.member_count, 2);
    let found = desk.service.store().accounts_in_org(&moved.ods, 10).unwrap();
    assert!(found.iter().any(|a| a.id == ann.id));
}

#[test]
fn namesakes_created_at_the_same_moment_both_get_an_address() {
    const N: u32 = 4;
    let desk = Desk::new();
    sunrise(&desk);
    desk.add_good_org("V9999", "Hilltop Care");
    // Three rounds of four namesakes at once: the race shows in most runs.
    for (round, last) in ["Smith", "Jones", "Brown"].into_iter().enumerate() {
        let start = Barrier::new(N as usize);
        let results: Vec<Result<Done<Account>, String>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..N)
                .map(|i| {
                    let (desk, start) = (&desk, &start);
                    scope.spawn(move || {
                        let n = round as u32 * 10 + i;
                        let ods = if i % 2 == 0 { "V1234" } else { "V9999" };
                        let email = format!("jo{n}@example.org");
                        let command = create_account("Jo", last, &mobile(n), ods, &email, true);
                        start.wait();
                        desk.run(SUPERVISOR, in_hours(), &command).map_err(|e| e.to_string())
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let refused: Vec<&String> = results.iter().filter_map(|r| r.as_ref().err()).collect();
        assert!(refused.is_empty(), "{last}: {refused:#?}");
        let stem = format!("jo.{}", last.to_lowercase());
        let mut want: Vec<String> =
            (0..N).map(|n| if n == 0 { format!("{stem}@nhs.net") } else { format!("{stem}{n}@nhs.net") }).collect();
        want.sort();
        let found = desk.service.store().accounts_by_address_prefix(&stem, 10).unwrap();
        let mut got: Vec<String> = found.iter().map(|a| a.address.to_string()).collect();
        got.sort();
        assert_eq!(got, want);
    }
}

/// A search reads an organisation's name only where it decides (a term
/// the person's own names leave unmatched) and for what it returns, so
/// both kinds of term must still find, rank and name alike.
#[test]
fn a_search_term_only_the_organisation_name_matches_still_narrows_and_names_it() {
    let desk = Desk::new();
    sunrise(&desk);
    desk.add_good_org("V9999", "Hilltop Care");
    desk.new_account("Jo", "Smith", &mobile(1), "V1234");
    desk.new_account("Jo", "Smith", &mobile(2), "V9999");
    desk.new_account("Al", "Hilton", &mobile(3), "V1234");
    let find = |text: &str| -> Vec<(String, Option<String>)> {
        desk.sup(&FindAccounts { text: text.into(), limit: 10 })
            .into_iter()
            .map(|m| (format!("{} {}", m.account.address, m.account.ods), m.organisation))
            .collect()
    };
    let hilltop = Some("Hilltop Care".to_owned());
    let sunrise_care = Some("Sunrise Care".to_owned());
    assert_eq!(find("smith hilltop"), [("jo.smith1@nhs.net V9999".to_owned(), hilltop.clone())]);
    assert_eq!(find("hilltop smith"), find("smith hilltop"), "terms in any order");
    assert_eq!(find("jo sunrise"), [("jo.smith@nhs.net V1234".to_owned(), sunrise_care.clone())]);
    // A surname beats an organisation's word: Al Hilton by name before the
    // Hilltop Care staff by their organisation.
    assert_eq!(
        find("hil"),
        [("al.hilton@nhs.net V1234".to_owned(), sunrise_care), ("jo.smith1@nhs.net V9999".to_owned(), hilltop)]
    );
}

/// The same for shared mailboxes: a term only the organisation's name
/// matches still finds, and names, the organisation's mailbox.
#[test]
fn a_mailbox_search_term_only_the_organisation_name_matches_still_narrows_and_names_it() {
    let desk = Desk::new();
    sunrise(&desk);
    desk.add_good_org("V9999", "Hilltop Care");
    let jo = desk.new_account("Jo", "Smith", &mobile(1), "V1234");
    let al = desk.new_account("Al", "Jones", &mobile(2), "V9999");
    desk.new_mailbox("rota.sunrise@nhs.net", "Night Rota", "V1234", jo.address.as_str());
    desk.new_mailbox("rota.hilltop@nhs.net", "Night Rota", "V9999", al.address.as_str());
    let find = |text: &str| -> Vec<(String, Option<String>)> {
        desk.sup(&FindMailboxes { text: text.into(), limit: 10 })
            .into_iter()
            .map(|m| (m.mailbox.address.to_string(), m.organisation))
            .collect()
    };
    let hilltop = [("rota.hilltop@nhs.net".to_owned(), Some("Hilltop Care".to_owned()))];
    assert_eq!(find("rota hilltop"), hilltop);
    assert_eq!(find("hilltop rota"), hilltop, "terms in any order");
    assert_eq!(find("night rota").len(), 2, "both by their own name, each with its organisation");
    assert!(find("night rota").iter().all(|(_, org)| org.is_some()));
}
