//! Erasure: a deleted person's data leaves the record, the indexes, their
//! tickets, the outbox and the audit log, and the log still verifies.

use super::*;
use caredesk::domain::audit::AuditEntry;

const FIRST: &str = "Philippa";
const LAST: &str = "Quennell";

/// Everything the store says, as text: every audit entry, ticket and
/// outbox message the API gives.
fn everything(desk: &Desk, tickets: &[TicketRef]) -> String {
    let mut out = serde_json::to_string(&desk.audit()).unwrap();
    for t in tickets {
        out.push_str(&serde_json::to_string(&ticket(desk, *t)).unwrap());
    }
    out.push_str(&serde_json::to_string(&desk.service.store().outbox_newest(usize::MAX).unwrap()).unwrap());
    out
}

/// A request by mail from the leaver, taken in before anyone linked it to
/// her account.
fn mailed_in(desk: &Desk) -> TicketRef {
    let raw = format!(
        "From: Philippa Quennell <pq@example.org>\r\nTo: careadmin@nhs.net\r\nSubject: Locked out\r\n\
         Message-ID: <pq1@example.org>\r\nDate: Wed, 25 Nov 2026 10:14:00 +0000\r\n\r\n\
         This is {FIRST} {LAST} at Sunrise, my mobile is {}.\r\n",
        mobile(7)
    );
    let mail = DeliverMail {
        channel: Some(Channel::EmailNas),
        delivered_at: in_hours(),
        raw: caredesk::service::RawMail(raw.into_bytes()),
    };
    let reference = desk.sup(&mail).ticket;
    desk.sup(&Link { reference, account: Some("philippa.quennell@nhs.net".into()), mailbox: None });
    reference
}

/// A leaver with a reset, a ticket about them with notes naming them, and
/// a colleague who stays.
fn leaver(desk: &Desk) -> (TicketRef, TicketRef) {
    sunrise(desk);
    desk.new_account(FIRST, LAST, &mobile(7), "V1234");
    desk.new_account("Al", "Stays", &mobile(8), "V1234");
    let mut form = ticket_form(Category::PasswordReset, "Philippa Quennell", Some("V1234"));
    form.account = Some("philippa.quennell@nhs.net".into());
    form.requester_phone = Some("07700 900007".into());
    form.body = format!("{FIRST} rang from {}, locked out", mobile(7));
    let hers = ticket_of(&desk.sup(&form));
    desk.sup(&Note { reference: hers, text: "Called Ms Quennell back on +44 7700 900007".into() });
    desk.sup(&ResetPassword {
        address: "philippa.quennell@nhs.net".into(),
        verified_by: Verification::RegisteredMobile,
        ticket: Some(hers),
    });
    let mut other = ticket_form(Category::PasswordReset, "Al Stays", Some("V1234"));
    other.account = Some("al.stays@nhs.net".into());
    let his = ticket_of(&desk.sup(&other));
    desk.sup(&MarkLeaver { address: "philippa.quennell@nhs.net".into(), new_owner: None, ticket: None });
    (hers, his)
}

#[test]
fn a_deleted_leaver_is_erased_from_audit_tickets_and_outbox_and_the_log_still_verifies() {
    let desk = Desk::new();
    let (hers, his) = leaver(&desk);
    let mailed = mailed_in(&desk);
    let store = desk.service.store();
    let mail = store.mails_for_ticket(mailed).unwrap().remove(0);
    assert!(String::from_utf8_lossy(&store.mail_raw(&mail).unwrap()).contains(LAST));
    let mut seen = everything(&desk, &[hers, his, mailed]);
    seen.push_str(&serde_json::to_string(&mail).unwrap());
    for mark in [FIRST, LAST, "900007"] {
        assert!(seen.contains(mark), "{mark} is there before the deletion, or this test proves nothing");
    }

    let done = desk.ok(SUPERVISOR, in_hours() + days(31), &Sweep { dry_run: false });
    assert_eq!(sweep_report(&done).applied.len(), 1);
    let mut left = everything(&desk, &[hers, his, mailed]);
    let mail = store.mails_for_ticket(mailed).unwrap().remove(0);
    assert!(mail.original_erased() && store.mail_raw(&mail).unwrap().is_empty(), "{mail:?}");
    left.push_str(&serde_json::to_string(&mail).unwrap());
    // (The address, philippa.quennell@nhs.net, is the tombstone the rule keeps.)
    for mark in [FIRST, LAST, "900007"] {
        assert!(!left.contains(mark), "{mark} is still stored:\n{left}");
    }
    assert!(left.contains("Al Stays"), "a colleague's data stays");
    assert_eq!(desk.service.verify_audit().unwrap(), desk.audit_head(), "the chain verifies after erasure");

    // What is left of her ticket says what it was about, without her.
    let t = ticket(&desk, hers);
    assert_eq!(t.body, "[erased] rang from [erased], locked out");
    assert_eq!((t.requester.name.as_str(), t.requester.phone.as_deref()), ("[erased]", Some("[erased]")));
    assert!(t.timeline.iter().any(|e| e.text == "Called Ms [erased] back on [erased]"), "{:?}", t.timeline);

    // Her entries keep who acted, when and on what; the deletion lists them.
    let audit = desk.audit();
    let erased: Vec<&AuditEntry> = audit.iter().filter(|e| e.personal.is_erased()).collect();
    assert!(erased.len() >= 4, "creation, ticket, note, reset, leaver: {}", erased.len());
    assert!(erased.iter().all(|e| e.draft.before.is_none() && e.draft.after.is_none() && e.draft.command.is_empty()));
    let deletion = audit.last().unwrap();
    assert_eq!(deletion.draft.action, "lifecycle.delete");
    let mut listed = deletion.personal.erases.clone();
    listed.sort_unstable();
    assert_eq!(listed, erased.iter().map(|e| e.seq).collect::<Vec<_>>());
    // His entries are untouched.
    assert!(audit.iter().any(|e| e.draft.subject == "al.stays@nhs.net" && e.draft.after.is_some()));
}

#[test]
fn texts_removed_behind_the_services_back_are_not_passed_off_as_an_erasure() {
    let desk = Desk::new();
    let (_, _) = leaver(&desk);
    let store = desk.service.store();
    let plant = |entry: &AuditEntry| {
        store.raw_put(TreeId::Audit, &entry.seq.to_be_bytes(), &Store::encode_record(entry)).unwrap();
    };
    // His creation entry, erased by hand: it still hashes, but no deletion
    // says it erased it.
    let his = desk.audit().into_iter().find(|e| e.draft.subject == "al.stays@nhs.net").unwrap();
    let mut forged = his.clone();
    assert!(forged.erase(), "a creation is sealed");
    plant(&forged);
    let message = desk.service.verify_audit().unwrap_err().to_string();
    assert!(message.contains(&format!("audit entry {} has had its texts erased", his.seq)), "{message}");
    plant(&his);
    assert!(desk.service.verify_audit().is_ok());

    // Once the deletion erased hers, texts put back into one break it.
    desk.ok(SUPERVISOR, in_hours() + days(31), &Sweep { dry_run: false });
    let mut restored = desk.audit().into_iter().find(|e| e.personal.is_erased()).unwrap();
    restored.draft.after = Some("Philippa Quennell, 07700900007".into());
    plant(&restored);
    let message = desk.service.verify_audit().unwrap_err().to_string();
    assert!(message.contains(&format!("audit entry {} has been altered", restored.seq)), "{message}");
}

#[test]
fn a_sealed_entry_still_proves_its_texts_until_it_is_erased() {
    let desk = Desk::new();
    leaver(&desk);
    let store = desk.service.store();
    let mut entry = desk.audit().into_iter().find(|e| e.draft.subject == "al.stays@nhs.net").unwrap();
    assert!(entry.personal.seal.is_some() && entry.is_intact());
    entry.draft.after = entry.draft.after.map(|a| a.replace("Stays", "Forged"));
    store.raw_put(TreeId::Audit, &entry.seq.to_be_bytes(), &Store::encode_record(&entry)).unwrap();
    let message = desk.service.verify_audit().unwrap_err().to_string();
    assert!(message.contains(&format!("audit entry {} has been altered", entry.seq)), "{message}");
}

/// An account that never logged in goes inactive and is deleted in the same
/// sweep: the sweep reads the outbox once, before either, and must still
/// take its text messages out.
#[test]
fn an_account_made_inactive_and_deleted_by_one_sweep_leaves_no_text_message() {
    let desk = Desk::new();
    sunrise(&desk);
    let idle = desk.new_account(FIRST, LAST, &mobile(7), "V1234");
    let other = desk.new_account("Al", "Idle", &mobile(8), "V1234");
    let to = |id: u64| {
        desk.service.store().outbox_newest(usize::MAX).unwrap().into_iter().filter(|m| m.account == id).count()
    };
    assert!(to(idle.id) > 0, "her temporary password was texted, or this test proves nothing");
    // Neither ever logged in: inactive on day 90, deleted on day 180.
    let done = desk.ok(SUPERVISOR, in_hours() + days(200), &Sweep { dry_run: false });
    let actions: Vec<_> = sweep_report(&done).applied.iter().map(|i| i.transition).collect();
    assert_eq!(actions.len(), 4, "two transitions each: {actions:?}");
    assert_eq!((to(idle.id), to(other.id)), (0, 0), "both deleted, both texts gone");
    assert_eq!(desk.service.verify_audit().unwrap(), desk.audit_head());
}

/// The demo's build runs the sweep as batches, each written while the next
/// pass runs. People who went inactive in one pass are deleted in a later
/// one, and the deletion must still erase the inactive entry, which holds
/// their details. (Whether the writer has landed the earlier pass by then
/// is up to the machine; the unit test in `store::batch` holds it back.)
#[test]
fn a_sweep_during_a_build_erases_what_its_earlier_passes_wrote() {
    let desk = Desk::new();
    sunrise(&desk);
    // More than one pass of the sweep (500 accounts), none ever logged in:
    // inactive from day 90, deleted from day 180.
    let surname = |n: u32| {
        let [a, b, c] = [n / 676, n / 26 % 26, n % 26].map(|d| char::from(b'a' + d as u8));
        format!("Idle{a}{b}{c}")
    };
    let people = 700;
    for n in 0..people {
        desk.new_account("Ivy", &surname(n), &mobile(n), "V1234");
    }
    let store = desk.service.store();
    let ctx = Ctx::new(SUPERVISOR, in_hours() + days(200));
    let mut heard = Vec::new();
    let done = store
        .building(|| desk.service.sweep_showing_progress(&ctx, &mut |done, total| heard.push((done, total))))
        .unwrap();

    let transitions = sweep_report(&done).applied.len();
    assert_eq!(transitions, 2 * people as usize, "each went inactive, then was deleted");
    let everything = serde_json::to_string(&desk.audit()).unwrap();
    let left: Vec<String> = (0..people).map(surname).filter(|s| everything.contains(s.as_str())).collect();
    assert!(left.is_empty(), "{} of {people} deleted people still named in the audit log: {left:?}", left.len());
    assert_eq!(desk.service.verify_audit().unwrap(), desk.audit_head());
    assert!(heard.windows(2).all(|w| w[0].0 <= w[1].0), "progress only goes forward: {heard:?}");
    assert!(heard.len() > 2 && heard.last().is_some_and(|(d, t)| d == t), "progress to the end: {heard:?}");
}
