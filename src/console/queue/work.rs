//! Working a ticket from the queue: which actions the operator may take
//! now (the hints), the forms each opens, and the keys that drive them.

use ratatui::crossterm::event::KeyEvent;

use super::forms::{self, FormKind, build_change, preview};
use super::retry;
use super::{QueuePane, TABS};
use crate::console::desk::DeskExt;
use crate::console::form::{Form, FormEvent, TextField};
use crate::console::keymap::{Act, Scope};
use crate::console::pane::Pane;
use crate::console::pane::{Cx, Hint, Jump};
use crate::domain::permission::Action;
use crate::domain::routing::Queue;
use crate::domain::ticket::{TicketRef, TicketStatus};
use crate::service::ops::{Claim, CreateTicket, ListOperators, ReadTicketRows};
use crate::service::{Answer, Done, QueueView, TicketFilter, TicketRow};

impl QueuePane {
    /// The selected ticket's status read now, for a form that starts at it.
    fn selected_status(&self, cx: &Cx<'_>) -> Result<TicketStatus, crate::service::ServiceError> {
        let Some(reference) = self.selected() else { return Ok(TicketStatus::New) };
        let rows = cx.desk.call(crate::service::ops::ReadTicketRows { refs: vec![reference] })?;
        Ok(rows.first().map_or(TicketStatus::New, |r| r.status))
    }

    /// The permission a ticket action needs, as the service will check it.
    pub(super) fn needs(&self, act: Act) -> Option<Action> {
        match act {
            Act::Assign => Some(Action::AssignTicket),
            Act::NewTicket => Some(Action::LogTicket),
            Act::Claim | Act::SetStatus | Act::Note | Act::Reply | Act::Link | Act::CloseTicket => {
                Some(Action::WorkTicket(self.selected_queue().unwrap_or(Queue::Nas)))
            }
            _ => None,
        }
    }

    pub(super) fn ticket_hint(&self, cx: &Cx<'_>, act: Act, label: &'static str) -> Hint {
        let hint = Hint::new(act, label);
        if self.selected().is_none() {
            return hint.disabled_because("no ticket is selected");
        }
        let status = match &self.detail {
            Some(d) => Some(d.ticket.status),
            None => self.selected_row().map(|r| r.status),
        };
        if !matches!(act, Act::SetStatus | Act::CloseTicket) && status.is_some_and(|s| !s.is_open()) {
            return hint.disabled_because("the ticket is resolved or closed: change its status to reopen it");
        }
        if act == Act::Claim {
            let assignee = match &self.detail {
                Some(d) => d.ticket.assignee.as_deref(),
                None => self.selected_row().and_then(|r| r.assignee.as_deref()),
            };
            if assignee == Some(cx.desk.operator()) {
                return hint.disabled_because("the ticket is already yours");
            }
        }
        match self.needs(act) {
            Some(action) => hint.needs(cx, action),
            None => hint,
        }
    }

    pub(super) fn start_form(&mut self, cx: &mut Cx<'_>, act: Act) {
        let Some(reference) = self.selected() else {
            cx.warn("select a ticket first");
            return;
        };
        let form = match act {
            Act::Assign => {
                let operators = match cx.desk.call(ListOperators {}) {
                    Ok(ops) => ops,
                    Err(e) => return cx.fail(&e),
                };
                let mut names = vec!["nobody".to_owned()];
                names.extend(operators.into_iter().filter(|o| o.enabled).map(|o| o.username));
                let current = self
                    .selected_row()
                    .and_then(|r| r.assignee.clone())
                    .or_else(|| self.detail.as_ref().and_then(|d| d.ticket.assignee.clone()));
                let chosen = current.and_then(|c| names.iter().position(|n| *n == c)).unwrap_or(0);
                (
                    FormKind::Assign(reference),
                    Form::new(format!("Assign {reference}")).choice("Operator", names, chosen),
                )
            }
            Act::SetStatus => {
                let options: Vec<String> = TicketStatus::ALL.iter().map(|s| s.slug().to_owned()).collect();
                // The ticket view holds the status as read last; a row is
                // only in memory once the list has drawn it.
                let current = match &self.detail {
                    Some(d) => Some(d.ticket.status),
                    None => self.selected_row().map(|r| r.status),
                };
                let current = match current {
                    Some(status) => status,
                    None => match self.selected_status(cx) {
                        Ok(status) => status,
                        Err(e) => return cx.fail(&e),
                    },
                };
                // Right after a note on an open ticket, resolving is the usual next step.
                let proposed = if self.resolve_after_note.take() == Some(reference) && current.is_open() {
                    TicketStatus::Resolved
                } else {
                    current
                };
                let chosen = TicketStatus::ALL.iter().position(|s| *s == proposed).unwrap_or(0);
                (
                    FormKind::Status(reference),
                    Form::new(format!("Status of {reference}")).choice("Status", options, chosen),
                )
            }
            Act::Note => (
                FormKind::Note(reference),
                Form::new(format!("Internal note on {reference}")).lines("Note", "seen by operators only", ""),
            ),
            Act::Reply => (
                FormKind::Reply(reference),
                Form::new(format!("Reply on {reference}")).lines("Reply", "sent to the requester", ""),
            ),
            Act::Link => (
                FormKind::Link(reference),
                Form::new(format!("Link {reference}")).text("Account", "name@nhs.net (optional)", "").text(
                    "Mailbox",
                    "shared mailbox address (optional)",
                    "",
                ),
            ),
            _ => return,
        };
        self.form_seen = self.seen_row(cx);
        self.form_based_on = self.form_seen.as_ref().map(|r| r.rev).or_else(|| self.selected_rev(cx.desk));
        self.form_stale = false;
        self.form = Some(form);
    }

    /// Who else is typing a reply on `reference`, if anyone.
    fn replying_on(&self, reference: TicketRef) -> Option<String> {
        let who: Vec<String> = self
            .here
            .get(&reference)?
            .iter()
            .filter(|(_, a)| *a == crate::desk::Activity::Replying)
            .map(|(o, _)| crate::console::text::clean(o).into_owned())
            .collect();
        (!who.is_empty()).then(|| who.join(" and "))
    }

    /// The selected ticket as the operator sees it, for a form based on it.
    fn seen_row(&self, cx: &Cx<'_>) -> Option<TicketRow> {
        match (&self.detail, self.selected_row()) {
            (Some(d), _) => Some(TicketRow::from(&d.ticket)),
            (None, Some(row)) => Some(row.clone()),
            (None, None) => {
                let reference = self.selected()?;
                cx.desk.call(ReadTicketRows { refs: vec![reference] }).ok()?.into_iter().next()
            }
        }
    }

    /// A change from the form was refused: if the ticket has moved on
    /// since the form opened (a colleague's change, refused as a conflict
    /// or by a rule it broke), read it again, base the form on it, and say
    /// in the form what changed and whether the input still applies. The
    /// input stays as typed.
    fn rebase_form(&mut self, reference: TicketRef, changed_by: Option<String>, refusal: &str, cx: &Cx<'_>) {
        let now = cx.desk.call(ReadTicketRows { refs: vec![reference] }).ok().and_then(|r| r.into_iter().next());
        let Some((kind, form)) = self.form.as_mut() else { return };
        let Some(now) = now else {
            if changed_by.is_some() {
                form.error = Some(format!("{refusal}; the ticket cannot be read now: esc, and try again"));
            }
            return;
        };
        if changed_by.is_none() && Some(now.rev) == self.form_based_on {
            // Refused for the input itself: the form's own error says why.
            return;
        }
        let what = match &self.form_seen {
            Some(before) => retry::changes(before, &now).join("; "),
            None => "the ticket".to_owned(),
        };
        let said = match &changed_by {
            Some(who) => format!("{who} changed {reference} first ({what}), so nothing was saved."),
            None => format!("{refusal} ({reference} changed since the form opened: {what})."),
        };
        form.error = Some(match retry::still_valid(*kind, form, &now, cx) {
            Ok(()) => format!("{said} Your input is kept: enter saves it on the ticket as it is now"),
            Err(why) => format!("{said} {why}"),
        });
        self.form_based_on = Some(now.rev);
        self.form_seen = Some(now);
        self.form_stale = true;
    }

    pub(super) fn new_ticket_form(&mut self, cx: &mut Cx<'_>, prefill: Option<&CreateTicket>) {
        self.form = Some((FormKind::New, forms::new_ticket(cx, prefill)));
        self.form_based_on = None;
    }

    pub(super) fn form_key(&mut self, key: KeyEvent, cx: &mut Cx<'_>) -> bool {
        let Some((kind, form)) = self.form.as_mut() else { return false };
        match form.key(key, cx.keymap) {
            FormEvent::Idle => {}
            FormEvent::Edited(_) => {
                if *kind == FormKind::New {
                    preview(form, cx);
                }
            }
            FormEvent::Cancel => {
                self.form = None;
                cx.info("nothing was saved");
            }
            FormEvent::Submit => {
                let kind = *kind;
                if let FormKind::Marked(bulk) = kind {
                    match super::marked::bulk_action(bulk, form) {
                        Ok(action) => {
                            self.form = None;
                            let targets = std::mem::take(&mut self.bulk_targets);
                            self.marks.apply_to(targets, action, cx);
                        }
                        Err(e) => form.error = Some(e),
                    }
                    return true;
                }
                let change = match build_change(kind, form) {
                    Ok(c) => c,
                    Err(e) => {
                        form.error = Some(e);
                        return true;
                    }
                };
                // After a colleague's change, the action must still apply
                // to the ticket as it is now before it is sent again.
                if let (true, Some(seen)) = (self.form_stale, &self.form_seen) {
                    if let Err(why) = retry::still_valid(kind, form, seen, cx) {
                        form.error = Some(why);
                        return true;
                    }
                }
                match cx.try_submit(change, self.form_based_on) {
                    Ok(answer) => {
                        self.form_seen = None;
                        self.form_stale = false;
                        self.form = None;
                        if matches!(kind, FormKind::Note(_) | FormKind::Reply(_) | FormKind::Status(_)) {
                            // Follow what was just added: the timeline ends with it.
                            self.follow_timeline = true;
                        }
                        self.resolve_after_note = match kind {
                            FormKind::Note(reference) => Some(reference),
                            _ => None,
                        };
                        if let Answer::CreateTicket(Done { record: t, .. }) = answer {
                            if kind == FormKind::New {
                                // Show the new ticket where it went.
                                if let Some(i) = TABS.iter().position(|(_, v)| *v == QueueView::Queue(t.routing.queue))
                                {
                                    self.tab = i;
                                }
                                self.detail = None;
                                self.select_after_load = Some(t.reference);
                            }
                        }
                    }
                    Err(e) => {
                        form.error = cx.message.as_ref().map(|m| m.text.clone());
                        if let Some(reference) = kind.reference() {
                            let changed_by = e.conflict().map(|(_, _, by)| by.to_owned());
                            self.rebase_form(reference, changed_by, &e.to_string(), cx);
                        }
                    }
                }
            }
        }
        true
    }

    pub(super) fn filter_key(&mut self, key: KeyEvent, cx: &mut Cx<'_>) -> bool {
        let Some(field) = self.filter_field.as_mut() else { return false };
        match cx.keymap.action(&key, Scope::Form) {
            Some(Act::Cancel) => self.filter_field = None,
            Some(Act::Save) => {
                let text = field.value().to_owned();
                match self.set_filter(&text) {
                    Ok(()) => {
                        self.filter_field = None;
                        self.reload(cx);
                        cx.info(if self.filter.is_default() {
                            "filter cleared".to_owned()
                        } else {
                            format!("{} tickets match {}", self.slots.len(), self.filter)
                        });
                    }
                    Err(e) => cx.warn(e),
                }
            }
            _ => return field.key(key),
        }
        true
    }

    pub(super) fn act(&mut self, act: Act, cx: &mut Cx<'_>) -> bool {
        let hints = self.hints(cx);
        if !matches!(act, Act::UndoBulk | Act::Up | Act::Down | Act::PageUp | Act::PageDown | Act::Top | Act::Bottom) {
            self.marks.moved_on();
        }
        match act {
            Act::Mark if self.detail.is_none() => match self.selected() {
                Some(reference) => self.marks.toggle(reference),
                None => return false,
            },
            Act::MarkAll if self.detail.is_none() => self.marks.mark_all(self.slots.iter().map(|s| s.reference)),
            Act::UndoBulk => self.marks.undo(cx),
            // The service authorises each marked ticket on its own; the
            // selected row's hint says nothing about the others.
            Act::Claim if self.detail.is_none() && !self.marks.is_empty() => {
                self.marks.apply(crate::service::BulkAction::Claim, cx)
            }
            Act::Assign | Act::SetStatus | Act::Note | Act::Link | Act::CloseTicket
                if self.detail.is_none() && !self.marks.is_empty() =>
            {
                self.start_bulk_form(cx, act, self.marks.refs())
            }
            Act::Reply if self.detail.is_none() && !self.marks.is_empty() => cx.warn(
                "a reply goes to one requester and cannot be taken back once sent, so it is not sent to marked \
                 tickets: open one (enter) to reply",
            ),
            Act::CloseTicket => match self.selected() {
                // One ticket is a batch of one: the same rules, and u undoes it.
                Some(reference) if !cx.refuse_if_disabled(&hints, act) => {
                    self.start_bulk_form(cx, act, vec![reference]);
                }
                Some(_) => {}
                None => cx.warn("select a ticket first"),
            },
            Act::Filter => {
                // The current filter, ready for another word.
                let current = self.filter.to_string();
                let text = if current.is_empty() { current } else { format!("{current} ") };
                self.filter_field = Some(TextField::new(&text));
            }
            Act::PrevQueue | Act::NextQueue => {
                let n = self.tab_count();
                let next = if act == Act::NextQueue { (self.tab + 1) % n } else { (self.tab + n - 1) % n };
                self.detail = None;
                if let Err(e) = self.select_tab(next) {
                    cx.warn(e);
                }
                self.reload(cx);
            }
            Act::Open if self.detail.is_none() => match self.selected() {
                Some(r) => self.open_detail(cx, r),
                None => return false,
            },
            Act::Back if self.detail.is_some() => self.detail = None,
            Act::Back if !self.filter.is_default() => {
                self.filter = TicketFilter::default();
                self.reload(cx);
                cx.info("filter cleared");
            }
            Act::Up | Act::Down | Act::PageUp | Act::PageDown | Act::Top | Act::Bottom if self.detail.is_some() => {
                self.detail_scroll = match act {
                    Act::Up => self.detail_scroll.saturating_sub(1),
                    Act::Down => self.detail_scroll.saturating_add(1),
                    Act::PageUp => self.detail_scroll.saturating_sub(10),
                    Act::PageDown => self.detail_scroll.saturating_add(10),
                    Act::Top => 0,
                    _ => super::FOLLOW_SCROLL,
                };
            }
            Act::Up | Act::Down | Act::PageUp | Act::PageDown | Act::Top | Act::Bottom => {
                self.cursor.navigate(act, self.slots.len(), self.page);
            }
            Act::NewTicket => {
                if !cx.refuse_if_disabled(&hints, act) {
                    self.new_ticket_form(cx, None);
                }
            }
            Act::Claim => {
                if !cx.refuse_if_disabled(&hints, act) {
                    if let Some(reference) = self.selected() {
                        cx.submit(Claim { reference }, self.selected_rev(cx.desk));
                    }
                }
            }
            Act::Reply if !cx.refuse_if_disabled(&hints, act) => {
                // Two replies crossing confuse the requester: ask first.
                let replying = self.selected().and_then(|r| self.replying_on(r).map(|who| (r, who)));
                match replying {
                    Some((reference, who)) if self.reply_warned != Some(reference) => {
                        self.reply_warned = Some(reference);
                        cx.warn(format!(
                            "{who} is replying to {reference} already: press {} again to reply anyway, or wait \
                             and read theirs first",
                            cx.keymap.key_label(Act::Reply)
                        ));
                    }
                    _ => {
                        self.reply_warned = None;
                        self.start_form(cx, act);
                    }
                }
            }
            Act::Reply => {}
            Act::Assign | Act::SetStatus | Act::Note | Act::Link => {
                if !cx.refuse_if_disabled(&hints, act) {
                    self.start_form(cx, act);
                }
            }
            Act::FollowLink => match &self.detail {
                Some(d) => match (&d.account, &d.mailbox) {
                    (Some(a), _) => cx.jump = Some(Jump::Account(a.clone())),
                    (None, Some(m)) => cx.jump = Some(Jump::Mailbox(m.clone())),
                    (None, None) => cx.warn("the ticket is not linked to an account or mailbox: l links it"),
                },
                None => cx.warn("open a ticket first (enter)"),
            },
            Act::ReadMail => match self.selected() {
                Some(reference) => self.mail_view = super::mail_view::MailView::open(cx, reference),
                None => cx.warn("select a ticket first"),
            },
            _ => return false,
        }
        true
    }

    pub(super) fn mail_hint(&self) -> Hint {
        let hint = Hint::new(Act::ReadMail, "mail");
        if self.selected().is_none() {
            return hint.disabled_because("no ticket is selected");
        }
        hint
    }
}
