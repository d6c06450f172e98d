//! The shared mailbox pane: find a mailbox, see who owns it and who is in
//! it, and change its members and its owner.
//!
//! The pane decides what to ask the service and shows the answer; it holds
//! no rules of its own. The permission table and the mailbox rules (no
//! leavers as members, the owner stays a member, legacy sponsored mailboxes
//! are left alone) are the service's: the pane greys out what the operator
//! may not do now, and when the service still refuses it shows the reason
//! and reloads, so the screen never shows a change that did not happen.

mod details;
mod dialog;
mod ticket;

use std::collections::HashMap;

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Span;
use ratatui::widgets::Block;

use self::dialog::{Dialog, Purpose, draw_confirm, draw_picker, remove_question};
use self::ticket::{Attempt, ticket_about};
use super::app::Here;
use super::desk::DeskExt;
use super::form::TextField;
use super::keymap::{Act, Scope};
use super::pane::{Cursor, Cx, Hint, Jump, Pane, PaneId, View, news};
use crate::desk::{Activity, Presence, Subject};
use crate::domain::account::Account;
use crate::domain::mailbox::Mailbox;
use crate::domain::permission::Action;
use crate::service::MailboxMatch;
use crate::service::ops::{CreateTicket, FindMailboxes, ShowMailbox};
use crate::service::{ChangeEvent, MailboxView, Touched};

/// How many mailboxes a search lists; typing more narrows it.
const SEARCH_LIMIT: usize = 50;

/// Which part of the pane has the keys.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Focus {
    /// The search box: printable keys are typed into it.
    Search,
    #[default]
    Results,
    Members,
}

#[derive(Default)]
pub struct MailboxPane {
    search: TextField,
    focus: Focus,
    results: Vec<Mailbox>,
    /// The organisation name of each result, where the desk knows it.
    result_orgs: Vec<Option<String>>,
    result: Cursor,
    shown: Option<MailboxView>,
    member: Cursor,
    /// The owner's mobile is shown in full; reset when another mailbox opens.
    reveal: bool,
    dialog: Option<Dialog>,
    attempt: Option<Attempt>,
    /// Where the parts were last drawn, for clicks and page sizes.
    search_area: Rect,
    results_area: Rect,
    members_area: Rect,
    /// Who else has which mailbox open, by address.
    here: HashMap<String, Here>,
}

impl MailboxPane {
    /// Who else has which mailbox open, as the daemon last said.
    pub fn set_here(&mut self, here: HashMap<String, Here>) {
        self.here = here;
    }

    /// The mailbox on screen.
    pub fn shown(&self) -> Option<&MailboxView> {
        self.shown.as_ref()
    }

    /// The mailboxes the search found.
    pub fn results(&self) -> &[Mailbox] {
        &self.results
    }

    /// A picker or a confirmation is open.
    pub fn dialog_open(&self) -> bool {
        self.dialog.is_some()
    }

    /// The ticket `t` would log now: about the mailbox on screen and the
    /// change last asked for.
    pub fn ticket(&self) -> Option<CreateTicket> {
        self.shown.as_ref().map(|view| ticket_about(view, self.attempt.as_ref()))
    }

    /// The typed text of the open picker, if one is open.
    pub fn picker_query(&self) -> Option<&str> {
        match &self.dialog {
            Some(Dialog::Pick(picker)) => Some(picker.query.value()),
            _ => None,
        }
    }

    /// The member whose row is selected in the member list.
    pub fn selected_member(&self) -> Option<&Account> {
        self.shown.as_ref().and_then(|v| v.members.get(self.member.selected))
    }

    /// The member a removal acts on: the selected row, but only while the
    /// member list has the keys, since the selection is not drawn otherwise.
    fn member_in_hand(&self) -> Option<&Account> {
        self.selected_member().filter(|_| self.focus == Focus::Members)
    }

    fn members_listed(&self) -> usize {
        self.shown.as_ref().map_or(0, |v| v.members.len())
    }

    fn is_owner(view: &MailboxView, account: &Account) -> bool {
        view.owner.as_ref().is_some_and(|o| o.id == account.id)
    }

    /// Runs the search again for what is typed, keeping the selection.
    fn search_again(&mut self, cx: &mut Cx<'_>) {
        match cx.desk.call(FindMailboxes { text: self.search.value().to_owned(), limit: SEARCH_LIMIT }) {
            Ok(found) => {
                self.result_orgs = found.iter().map(|m| m.organisation.clone()).collect();
                self.results = MailboxMatch::mailboxes(found);
            }
            Err(e) => {
                self.results.clear();
                self.result_orgs.clear();
                cx.fail(&e);
            }
        }
    }

    /// Shows a mailbox; false (and says why) if it cannot be read.
    fn open(&mut self, address: &str, cx: &mut Cx<'_>) -> bool {
        match cx.desk.call(ShowMailbox { address: address.to_owned() }) {
            Ok(view) => {
                if self.shown.as_ref().is_none_or(|v| v.mailbox.id != view.mailbox.id) {
                    self.reveal = false;
                    self.member = Cursor::default();
                    // A change asked for on another mailbox is not this one's ticket.
                    self.attempt = None;
                }
                self.shown = Some(view);
                self.focus = Focus::Members;
                true
            }
            Err(e) => {
                cx.fail(&e);
                false
            }
        }
    }

    /// Reads the shown mailbox again and selects `select`, or else the
    /// member that was selected, or else the row where it was (the next
    /// member, after a removal). A member past the listed first 500 cannot
    /// be selected, so the old selection stays.
    fn reload(&mut self, cx: &mut Cx<'_>, select: Option<&str>) {
        let Some(old) = self.shown.take() else { return };
        let was = old.members.get(self.member.selected).map(|a| a.address.to_string());
        match cx.desk.call(ShowMailbox { address: old.mailbox.address.to_string().to_owned() }) {
            Ok(view) => {
                let at = |address: &str| view.members.iter().position(|a| a.address.as_str() == address);
                if let Some(i) = select.and_then(at).or_else(|| was.as_deref().and_then(at)) {
                    self.member.selected = i;
                }
                self.member.selected = self.member.selected.min(view.members.len().saturating_sub(1));
                // The reveal was for the person who owned it then.
                if view.owner.as_ref().map(|o| o.id) != old.owner.as_ref().map(|o| o.id) {
                    self.reveal = false;
                }
                self.shown = Some(view);
            }
            Err(e) => {
                // A dialog about a mailbox that cannot be read would act on nothing.
                self.dialog = None;
                self.focus = Focus::Results;
                cx.fail(&e);
            }
        }
    }

    fn search_key(&mut self, key: KeyEvent, cx: &mut Cx<'_>) -> bool {
        // The search line reads the form keys, as the accounts pane's does;
        // Tab and backtab still move between panes.
        let pane_key = matches!(key.code, KeyCode::Tab | KeyCode::BackTab);
        match cx.keymap.action(&key, Scope::Form).filter(|_| !pane_key) {
            Some(act @ (Act::Save | Act::NextField)) => {
                self.focus = Focus::Results;
                self.result = Cursor::default();
                // A search that found one mailbox has found the one wanted.
                if act == Act::Save
                    && let [only] = self.results.as_slice()
                {
                    let address = only.address.to_string();
                    self.open(&address, cx);
                }
                true
            }
            Some(Act::Cancel) => {
                self.focus = if self.shown.is_some() { Focus::Members } else { Focus::Results };
                true
            }
            Some(Act::PrevField) => true,
            _ => {
                let (used, edited) = type_into(&mut self.search, key);
                if edited {
                    self.result = Cursor::default();
                    self.search_again(cx);
                }
                used
            }
        }
    }

    fn page(area: Rect) -> usize {
        usize::from(area.height)
    }

    fn navigate(&mut self, act: Act) -> bool {
        match self.focus {
            Focus::Results => self.result.navigate(act, self.results.len(), Self::page(self.results_area)),
            Focus::Members => self.member.navigate(act, self.members_listed(), Self::page(self.members_area)),
            Focus::Search => false,
        }
    }

    fn open_selected(&mut self, cx: &mut Cx<'_>) -> bool {
        match self.focus {
            Focus::Results => match self.results.get(self.result.selected) {
                Some(m) => {
                    let address = m.address.to_string();
                    self.open(&address, cx);
                    true
                }
                None => false,
            },
            Focus::Members => match self.selected_member() {
                Some(a) => {
                    cx.jump = Some(Jump::Account(a.address.to_string()));
                    true
                }
                None => false,
            },
            Focus::Search => false,
        }
    }

    fn back(&mut self) -> bool {
        let to = match self.focus {
            Focus::Members if !self.results.is_empty() => Focus::Results,
            Focus::Results if self.shown.is_some() => Focus::Members,
            _ => return false,
        };
        self.focus = to;
        true
    }

    /// Add, remove or change the owner: remembered for a ticket, refused
    /// with the hint line's reason, or the picker or question opened.
    fn change(&mut self, act: Act, cx: &mut Cx<'_>) -> bool {
        if self.shown.is_none() {
            cx.warn("open a mailbox first: press / and type an address, a name or an ODS code");
            return true;
        }
        let selected = self.member_in_hand().map(|a| a.address.to_string());
        self.attempt = Some(match act {
            Act::AddMember => Attempt::Add(None),
            Act::RemoveMember => Attempt::Remove(selected),
            _ => Attempt::Owner(None),
        });
        let hints = self.hints(cx);
        if cx.refuse_if_disabled(&hints, act) {
            return true;
        }
        self.dialog = match act {
            Act::AddMember => Some(Dialog::Pick(self.picker(Purpose::AddMember))),
            Act::RemoveMember => match (&self.shown, self.member_in_hand()) {
                (Some(view), Some(member)) => Some(Dialog::Confirm(remove_question(view, member))),
                _ => None,
            },
            _ => Some(Dialog::Pick(self.picker(Purpose::NewOwner))),
        };
        true
    }

    /// A change action, disabled when the operator may not change
    /// mailboxes now or the mailbox is a sponsored legacy one.
    fn change_hint(&self, cx: &Cx<'_>, act: Act, label: &'static str) -> Hint {
        let hint = Hint::new(act, label).needs(cx, Action::MailboxChange);
        if hint.disabled.is_some() {
            return hint;
        }
        // The domain's own rule, so the hint and the service agree.
        match self.shown.as_ref().map(|v| v.mailbox.require_national()) {
            Some(Err(refusal)) => hint.disabled_because(refusal.to_string()),
            _ => hint,
        }
    }

    fn remove_hint(&self, cx: &Cx<'_>) -> Hint {
        let hint = self.change_hint(cx, Act::RemoveMember, "remove");
        if hint.disabled.is_some() {
            return hint;
        }
        match (&self.shown, self.member_in_hand()) {
            (Some(view), Some(m)) => match view.mailbox.check_removal(m) {
                Err(refusal) => hint.disabled_because(refusal.to_string()),
                Ok(()) => hint,
            },
            (_, _) => hint.disabled_because("select a member first"),
        }
    }
}

impl Pane for MailboxPane {
    fn changed(&mut self, events: &[ChangeEvent], cx: &mut Cx<'_>) {
        let Some(view) = &self.shown else { return };
        let address = view.mailbox.address.to_string();
        let people = |a: &str| {
            view.owner.as_ref().is_some_and(|o| o.address.as_str() == a)
                || view.members.iter().any(|m| m.address.as_str() == a)
        };
        let concerns = |t: &Touched| match t {
            Touched::Mailbox(m) => *m == address || self.results.iter().any(|r| r.address.as_str() == m),
            Touched::Account(a) => people(a),
            _ => false,
        };
        let Some(said) = news(events, concerns, &Touched::Mailbox(address.clone()), &address) else { return };
        self.refresh(cx);
        if let Some(text) = said {
            cx.info(text);
        }
    }

    fn refresh(&mut self, cx: &mut Cx<'_>) {
        if !self.search.value().trim().is_empty() {
            self.search_again(cx);
        }
        self.reload(cx, None);
    }

    fn typing(&self) -> bool {
        match &self.dialog {
            Some(Dialog::Pick(_)) => true,
            Some(Dialog::Confirm(_)) => false,
            None => self.focus == Focus::Search,
        }
    }

    fn key(&mut self, key: KeyEvent, act: Option<Act>, cx: &mut Cx<'_>) -> bool {
        match self.dialog.take() {
            Some(Dialog::Pick(picker)) => return self.picker_key(picker, key, cx),
            // The question holds every key, so a stray one cannot quit or switch away.
            Some(Dialog::Confirm(confirm)) => {
                self.confirm_key(confirm, key, cx);
                return true;
            }
            None => {}
        }
        if self.focus == Focus::Search {
            return self.search_key(key, cx);
        }
        let Some(act) = act else { return false };
        match act {
            Act::Filter => {
                self.focus = Focus::Search;
                true
            }
            Act::Open => self.open_selected(cx),
            Act::Back => self.back(),
            Act::AddMember | Act::RemoveMember | Act::ChangeOwner => self.change(act, cx),
            Act::RevealOwner => {
                self.reveal = !self.reveal;
                true
            }
            Act::LogMailboxTicket => {
                self.log_ticket(cx);
                true
            }
            other => self.navigate(other),
        }
    }

    fn hints(&self, cx: &Cx<'_>) -> Vec<Hint> {
        match &self.dialog {
            Some(Dialog::Pick(picker)) => {
                let enter = if picker.purpose == Purpose::AddMember { "add" } else { "choose" };
                return vec![Hint::new(Act::Open, enter), Hint::new(Act::Back, "close")];
            }
            Some(Dialog::Confirm(_)) => return Vec::new(),
            None => {}
        }
        if self.focus == Focus::Search {
            return vec![Hint::new(Act::Open, "to results"), Hint::new(Act::Back, "stop typing")];
        }
        let mut hints = vec![Hint::new(Act::Filter, "find")];
        match self.focus {
            Focus::Results if !self.results.is_empty() => hints.push(Hint::new(Act::Open, "open")),
            Focus::Members if self.member_in_hand().is_some() => hints.push(Hint::new(Act::Open, "open")),
            _ => {}
        }
        if self.shown.is_some() {
            let changes = [
                self.change_hint(cx, Act::AddMember, "add"),
                self.remove_hint(cx),
                self.change_hint(cx, Act::ChangeOwner, "owner"),
            ];
            let ticket = Hint::new(Act::LogMailboxTicket, "ticket").needs(cx, Action::LogTicket);
            // A narrow hint line drops what does not fit from the end: when
            // changes are refused, logging a ticket is what is left to do.
            if changes[0].disabled.is_some() {
                hints.push(ticket);
                hints.extend(changes);
            } else {
                hints.extend(changes);
                hints.push(ticket);
            }
            hints.push(Hint::new(Act::RevealOwner, if self.reveal { "mask" } else { "reveal" }));
        }
        hints
    }

    fn draw(&mut self, frame: &mut Frame<'_>, area: Rect, view: &View<'_>) {
        let theme = view.theme;
        let title = match self.title() {
            t if t.is_empty() => format!(" {} ", PaneId::Mailboxes.label()),
            t => format!(" {} · {t} ", PaneId::Mailboxes.label()),
        };
        let border = if view.focused { theme.focused_border() } else { theme.border() };
        let block = Block::bordered().title(Span::styled(title, theme.title())).border_style(border);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let [search, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(inner);
        self.search_area = search;
        self.draw_search(frame, search, view);
        self.results_area = Rect::default();
        self.members_area = Rect::default();
        let listing = self.focus != Focus::Members || self.shown.is_none();
        let details = match (&self.shown, listing) {
            (None, _) => {
                self.draw_results(frame, body, theme);
                return;
            }
            (Some(_), false) => body,
            (Some(_), true) => {
                let rows = (self.results.len().max(1) as u16 + 1).min(body.height / 3);
                let [results, rest] = Layout::vertical([Constraint::Length(rows), Constraint::Min(0)]).areas(body);
                self.draw_results(frame, results, theme);
                rest
            }
        };
        self.draw_details(frame, details, theme);
    }

    fn draw_popup(&mut self, frame: &mut Frame<'_>, full: Rect, view: &View<'_>) {
        let mailbox = self.shown.as_ref().map_or_else(String::new, |v| v.mailbox.address.to_string());
        match &mut self.dialog {
            Some(Dialog::Pick(picker)) => draw_picker(frame, full, picker, &mailbox, view.theme, view.keymap),
            Some(Dialog::Confirm(confirm)) => draw_confirm(frame, full, confirm, view.theme, view.keymap),
            None => {}
        }
    }

    /// The mailbox on screen; a dialog open on it is a change on its way.
    fn presence(&self) -> Option<Presence> {
        let address = self.shown.as_ref()?.mailbox.address.to_string();
        let activity = if self.dialog.is_some() { Activity::Editing } else { Activity::Viewing };
        Some(Presence { subject: Some(Subject::Mailbox(address)), activity })
    }

    fn unsaved(&self) -> bool {
        match &self.dialog {
            Some(Dialog::Pick(picker)) => !picker.query.value().is_empty(),
            Some(Dialog::Confirm(_)) => true,
            None => false,
        }
    }

    fn click(&mut self, column: u16, row: u16, cx: &mut Cx<'_>) -> bool {
        if self.dialog.is_some() {
            return false;
        }
        let at = (column, row).into();
        if self.search_area.contains(at) {
            self.focus = Focus::Search;
            true
        } else if self.results_area.contains(at) && self.result.click(self.results_area.y, row, self.results.len()) {
            self.focus = Focus::Results;
            self.open_selected(cx)
        } else if self.members_area.contains(at) {
            self.focus = Focus::Members;
            self.member.click(self.members_area.y, row, self.members_listed())
        } else {
            false
        }
    }

    fn jump(&mut self, jump: &Jump, cx: &mut Cx<'_>) -> bool {
        let Jump::Mailbox(address) = jump else { return false };
        let same = self.shown.as_ref().is_some_and(|v| v.mailbox.address.as_str().eq_ignore_ascii_case(address.trim()));
        // A dialog left open on this mailbox keeps what was typed in it; one
        // about another mailbox must not act on the one about to be shown.
        if !same && let (Some(dialog), Some(view)) = (self.dialog.take(), &self.shown) {
            cx.info(format!("closed the {} for {}: nothing changed", dialog.name(), view.mailbox.address));
        }
        self.search.set(address);
        self.result = Cursor::default();
        self.search_again(cx);
        if !self.open(address, cx) {
            self.dialog = None;
            self.focus = Focus::Results;
        }
        true
    }

    fn title(&self) -> String {
        match &self.shown {
            Some(view) => match view.mailbox.member_count {
                1 => "1 member".to_owned(),
                n => format!("{n} members"),
            },
            None if !self.results.is_empty() => format!("{} found", self.results.len()),
            None => String::new(),
        }
    }
}

/// Types `key` into `field`: whether the key was taken, and whether the
/// text changed (so a search runs only when there is something new).
fn type_into(field: &mut TextField, key: KeyEvent) -> (bool, bool) {
    let before = field.value().to_owned();
    let used = field.key(key);
    (used, field.value() != before)
}
