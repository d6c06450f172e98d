//! The lifecycle sweep.

use super::*;

#[test]
fn the_lifecycle_sweep_makes_accounts_inactive_then_deletes_them_once() {
    let desk = Desk::new();
    sunrise(&desk);
    let t0 = in_hours();
    let owner = desk.new_account("Al", "Owner", &mobile(1), "V1234");
    let idle = desk.new_account("Ida", "Idle", &mobile(2), "V1234");
    let mailbox = desk.new_mailbox("sunrise.care@nhs.net", "Sunrise Care shared", "V1234", "al.owner@nhs.net");
    desk.add_member("sunrise.care@nhs.net", "ida.idle@nhs.net");
    // The owner logs in and changes the password on day 60; Ida never does.
    desk.ok(SUPERVISOR, t0 + days(60), &RecordLogin { address: "al.owner@nhs.net".into() });
    desk.ok(SUPERVISOR, t0 + days(60), &RecordPasswordChange { address: "al.owner@nhs.net".into() });
    let sweep = |at, dry_run| desk.ok(SUPERVISOR, at, &Sweep { dry_run });

    // Day 95: Ida has not logged in for 90 days.
    let before = desk.audit_head();
    let first = sweep(t0 + days(95), false);
    let report = sweep_report(&first);
    assert_eq!(report.applied.len(), 1, "{report:?}");
    assert_eq!(
        (report.applied[0].address.as_str(), report.applied[0].transition, report.applied[0].due_at),
        ("ida.idle@nhs.net", Transition::BecomeInactive, t0 + days(90))
    );
    assert_eq!(desk.audit_head(), before + 1);
    assert_eq!(first.audit_seq, Some(before + 1));
    assert_eq!(desk.account("ida.idle@nhs.net").status, AccountStatus::Inactive);
    assert_eq!(desk.account("al.owner@nhs.net").status, AccountStatus::Active);

    let again = sweep(t0 + days(95), false);
    assert!(sweep_report(&again).applied.is_empty());
    assert_eq!((desk.audit_head(), again.audit_seq), (before + 1, None), "a second run changes nothing");

    // Day 185: Ida has been inactive for 90 days, the owner's 90 days ran out on day 150.
    let preview = sweep(t0 + days(185), true);
    assert_eq!(sweep_report(&preview).applied.len(), 2);
    assert_eq!(desk.audit_head(), before + 1, "a dry run writes nothing");
    let second = sweep(t0 + days(185), false);
    let applied: Vec<_> =
        sweep_report(&second).applied.iter().map(|i| (i.address.clone(), i.transition)).collect::<Vec<_>>();
    assert_eq!(
        applied,
        [
            ("al.owner@nhs.net".to_owned(), Transition::BecomeInactive),
            ("ida.idle@nhs.net".to_owned(), Transition::Delete)
        ]
    );
    assert_eq!(desk.audit_head(), before + 3, "one entry per transition");
    let actions: Vec<String> = desk.audit().iter().rev().take(2).map(|e| e.draft.action.clone()).collect();
    assert_eq!(actions, ["lifecycle.delete", "lifecycle.inactive"]);

    // The tombstone: found by its address, personal data gone, memberships gone.
    let ctx = Ctx::new(SUPERVISOR, t0 + days(185));
    let view = desk.service.execute(&ctx, &ShowAccount { address: "ida.idle@nhs.net".into() }).unwrap();
    assert_eq!(view.account.id, idle.id);
    assert_eq!(view.account.status, AccountStatus::Deleted);
    assert_eq!(view.account.personal, None);
    assert_eq!(view.account.deleted_at, Some(t0 + days(180)));
    assert!(view.member_of.is_empty(), "{:?}", view.member_of);
    let store = desk.service.store();
    assert!(store.account_by_mobile(idle.mobile().unwrap()).unwrap().is_none(), "the mobile is freed");
    let now = desk.mailbox("sunrise.care@nhs.net");
    assert_eq!((desk.member_ids(&mailbox), now.member_count), (vec![owner.id], 1));
    assert_eq!(desk.account("al.owner@nhs.net").status, AccountStatus::Inactive);

    let last = sweep(t0 + days(185), false);
    assert!(sweep_report(&last).applied.is_empty());
    assert_eq!(desk.audit_head(), before + 3);
}

#[test]
fn a_deleted_owner_leaves_the_mailbox_without_an_owner() {
    let desk = Desk::new();
    sunrise(&desk);
    let t0 = in_hours();
    let owner = desk.new_account("Al", "Owner", &mobile(1), "V1234");
    let mailbox = desk.new_mailbox("sunrise.care@nhs.net", "Sunrise Care shared", "V1234", "al.owner@nhs.net");
    // Never logged in: inactive on day 90, deleted on day 180.
    desk.ok(SUPERVISOR, t0 + days(200), &Sweep { dry_run: false });
    assert_eq!(desk.account("al.owner@nhs.net").status, AccountStatus::Deleted);
    let now = desk.mailbox("sunrise.care@nhs.net");
    assert_eq!((now.owner, now.member_count), (None, 0));
    assert!(desk.service.store().mailboxes_owned_by(owner.id).unwrap().is_empty(), "the owner index follows");
    assert!(desk.member_ids(&mailbox).is_empty());
    let ctx = Ctx::new(SUPERVISOR, t0 + days(200));
    let view = desk.service.execute(&ctx, &ShowMailbox { address: "sunrise.care@nhs.net".into() }).unwrap();
    assert!(view.owner.is_none());
}
