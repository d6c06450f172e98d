//! Bulk actions with a batch number, and undo through the same rules.

use super::*;
use caredesk::domain::batch::BulkKind;
use caredesk::service::{BulkAction, BulkReport, BulkTargets};

fn log_many(desk: &Desk, n: usize) -> Vec<TicketRef> {
    (0..n)
        .map(|i| {
            let mut form = ticket_form(Category::Leaver, &format!("Jo Smith{i}"), Some("V1234"));
            form.subject = format!("leaver form {i}");
            desk.sup(&form).record.reference
        })
        .collect()
}

fn bulk(desk: &Desk, who: &str, action: BulkAction, refs: &[TicketRef]) -> Done<BulkReport> {
    desk.ok(who, in_hours(), &BulkTickets { action, targets: BulkTargets::Refs(refs.to_vec()) })
}

fn entries_of(desk: &Desk, batch: u64) -> Vec<caredesk::domain::audit::AuditEntry> {
    desk.audit().into_iter().filter(|e| e.draft.batch == Some(batch)).collect()
}

#[test]
fn a_bulk_claim_reports_the_three_a_colleague_took_and_undo_restores_the_rest() {
    let desk = Desk::new();
    sunrise(&desk);
    desk.add_operator("nas1", Role::Nas);
    desk.add_operator("nas2", Role::Nas);
    let refs = log_many(&desk, 200);
    let taken = [refs[7], refs[99], refs[180]];
    for r in taken {
        desk.ok("nas2", in_hours(), &Claim { reference: r });
    }
    let head = desk.audit_head();

    let done = bulk(&desk, "nas1", BulkAction::Claim, &refs);
    let report = &done.record;
    assert_eq!(report.done.len(), 197, "{}", done.summary);
    let refused: Vec<TicketRef> = report.refused.iter().map(|(r, _)| *r).collect();
    assert_eq!(refused, taken);
    for (_, why) in &report.refused {
        assert!(why.contains("nas2"), "the refusal names who has it: {why}");
    }
    assert_eq!(report.cannot_undo, None);
    assert_eq!(desk.audit_head(), head + 197, "one entry per claimed ticket, none for the refusals or the batch");
    assert!(done.summary.contains("197 of 200") && done.summary.contains("3 refused"), "{}", done.summary);

    let undone = desk.ok("nas1", in_hours(), &Undo { batch: report.batch });
    assert_eq!(undone.record.done.len(), 197, "{}", undone.summary);
    assert!(undone.record.refused.is_empty(), "{:?}", undone.record.refused);
    assert_ne!(undone.record.batch, report.batch);
    for r in &refs {
        let t = ticket(&desk, *r);
        if taken.contains(r) {
            assert_eq!(t.assignee.as_deref(), Some("nas2"), "{r}: the colleague keeps theirs");
            assert_eq!(t.status, TicketStatus::InProgress);
        } else {
            assert_eq!((t.assignee, t.status), (None, TicketStatus::New), "{r}: back as it was");
        }
    }

    // 200 tickets asked for: 197 entries under the first batch (the three
    // refused wrote none), 197 under the undo's, every one intact.
    let first = entries_of(&desk, report.batch);
    let second = entries_of(&desk, undone.record.batch);
    assert_eq!((first.len(), second.len()), (197, 197));
    assert!(first.iter().all(|e| e.draft.action == "ticket.claim" && e.draft.operator == "nas1"));
    assert!(second.iter().all(|e| e.draft.action == "ticket.unclaim"));
    assert_eq!(desk.service.store().batch_entries(report.batch).unwrap(), first, "the batch index finds the same");
    assert_eq!(desk.sup(&VerifyAudit { anchor: None }).entries, desk.audit_head());
}

#[test]
fn undo_leaves_a_ticket_someone_changed_since_and_says_who() {
    let desk = Desk::new();
    sunrise(&desk);
    desk.add_operator("nas1", Role::Nas);
    let refs = log_many(&desk, 3);
    let done = bulk(&desk, "nas1", BulkAction::Status { status: TicketStatus::WaitingOnRequester }, &refs);
    assert_eq!(done.record.done.len(), 3);
    desk.ok(SUPERVISOR, in_hours(), &Note { reference: refs[0], text: "a note moves nothing undo puts back".into() });
    desk.ok(SUPERVISOR, in_hours(), &SetStatus { reference: refs[1], status: TicketStatus::InProgress });
    let undone = desk.ok("nas1", in_hours(), &Undo { batch: done.record.batch });
    assert_eq!(undone.record.done, vec![refs[0], refs[2]]);
    let (r, why) = &undone.record.refused[0];
    assert_eq!(*r, refs[1]);
    assert!(why.contains("changed by sup since the batch"), "{why}");
    assert_eq!(ticket(&desk, refs[0]).status, TicketStatus::New);
    assert_eq!(ticket(&desk, refs[1]).status, TicketStatus::InProgress);
}

#[test]
fn a_bulk_note_says_before_it_runs_that_it_cannot_be_undone() {
    let desk = Desk::new();
    sunrise(&desk);
    let refs = log_many(&desk, 2);
    let action = BulkAction::Note { text: "chased by phone".into() };
    let preview = desk.sup(&PreviewBulk { action: action.clone(), targets: BulkTargets::Refs(refs.clone()) });
    assert_eq!(preview.tickets, refs);
    assert!(preview.cannot_undo.as_deref().is_some_and(|w| w.contains("cannot be undone")));
    let head = desk.audit_head();
    assert_eq!(desk.audit_head(), head, "a preview writes nothing");
    let done = bulk(&desk, SUPERVISOR, action, &refs);
    assert_eq!(done.record.action, BulkKind::Note);
    assert!(done.record.cannot_undo.is_some());
    let undone = desk.sup(&Undo { batch: done.record.batch });
    assert!(undone.record.done.is_empty());
    assert!(undone.record.refused.iter().all(|(_, why)| why.contains("cannot be undone")), "{:?}", undone.record);
}

#[test]
fn bulk_close_status_link_and_assign_undo_to_what_each_ticket_was() {
    let desk = Desk::new();
    sunrise(&desk);
    desk.add_operator("nas1", Role::Nas);
    let jo = desk.new_account("Jo", "Smith", &mobile(1), "V1234");
    let refs = log_many(&desk, 2);
    desk.sup(&Assign { reference: refs[0], to: Some("nas1".into()) });
    let assign = bulk(&desk, SUPERVISOR, BulkAction::Assign { to: Some(SUPERVISOR.into()) }, &refs);
    let link =
        bulk(&desk, SUPERVISOR, BulkAction::Link { account: Some(jo.address.to_string()), mailbox: None }, &refs);
    let close = bulk(&desk, SUPERVISOR, BulkAction::Close, &refs);
    assert!(refs.iter().all(|r| ticket(&desk, *r).status == TicketStatus::Closed));
    for batch in [close.record.batch, link.record.batch, assign.record.batch] {
        let undone = desk.sup(&Undo { batch });
        assert_eq!(undone.record.done.len(), 2, "batch {batch}: {:?}", undone.record.refused);
    }
    let (a, b) = (ticket(&desk, refs[0]), ticket(&desk, refs[1]));
    assert_eq!((a.status, a.assignee.as_deref(), a.account), (TicketStatus::New, Some("nas1"), None));
    assert_eq!((b.status, b.assignee.as_deref(), b.account), (TicketStatus::New, None, None));
}

#[test]
fn a_bulk_action_by_filter_takes_what_the_filter_lists_and_no_more_than_the_limit() {
    let desk = Desk::new();
    sunrise(&desk);
    let refs = log_many(&desk, 4);
    desk.sup(&ticket_form(Category::Unlock, "Al Jones", None));
    let targets = BulkTargets::Filter { view: QueueView::All, filter: "cat:leaver form".into() };
    let preview = desk.sup(&PreviewBulk { action: BulkAction::Claim, targets: targets.clone() });
    assert_eq!(preview.tickets, refs);
    let none = BulkTargets::Filter { view: QueueView::All, filter: "cat:move".into() };
    let message = desk.refused(SUPERVISOR, in_hours(), &BulkTickets { action: BulkAction::Claim, targets: none });
    assert!(message.contains("no tickets to act on"), "{message}");
    let too_many = BulkTargets::Refs((1..=5_001).map(TicketRef).collect());
    let message = desk.refused(SUPERVISOR, in_hours(), &BulkTickets { action: BulkAction::Claim, targets: too_many });
    assert!(message.contains("more than one bulk action takes (5000)"), "{message}");
}

#[test]
fn only_the_batchs_operator_or_a_supervisor_may_undo_it() {
    let desk = Desk::new();
    sunrise(&desk);
    desk.add_operator("nas1", Role::Nas);
    desk.add_operator("nas2", Role::Nas);
    let refs = log_many(&desk, 1);
    let done = bulk(&desk, "nas1", BulkAction::Claim, &refs);
    let message = desk.refused("nas2", in_hours(), &Undo { batch: done.record.batch });
    assert!(message.contains("nas1's"), "{message}");
    let message = desk.refused("nas2", in_hours(), &Undo { batch: 999 });
    assert!(message.contains("no batch 999"), "{message}");
}

#[test]
fn audit_entries_written_before_batches_still_read_and_verify() {
    use caredesk::store::v1;
    let desk = Desk::new();
    sunrise(&desk);
    let refs = log_many(&desk, 2);
    bulk(&desk, SUPERVISOR, BulkAction::Claim, &refs);
    // Rewrite every entry without a batch in the shape the release before
    // batches stored, as a database made by it holds them.
    for e in desk.audit_as_earlier_release().into_iter().filter(|e| e.draft.batch.is_none()) {
        let d = e.draft.clone();
        let old = v1::AuditEntry {
            seq: e.seq,
            draft: v1::AuditDraft {
                at: d.at,
                recorded_at: d.recorded_at,
                operator: d.operator,
                action: d.action,
                subject: d.subject,
                command: d.command,
                before: d.before,
                after: d.after,
            },
            prev_hash: e.prev_hash.clone(),
            hash: e.hash.clone(),
        };
        let bytes = Store::encode_versioned("audit entry", 1, &old);
        desk.service.store().raw_put(TreeId::Audit, &e.seq.to_be_bytes(), &bytes).unwrap();
        assert_eq!(desk.service.store().raw_get(TreeId::Audit, &e.seq.to_be_bytes()).unwrap().unwrap()[0], 1);
    }
    let verified = desk.sup(&VerifyAudit { anchor: None });
    assert_eq!(verified.entries, desk.audit_head());
    assert!(desk.audit().iter().filter(|e| e.draft.batch.is_some()).count() == 2);
}
