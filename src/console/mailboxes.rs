//! The shared mailbox pane: find a mailbox, see who owns it and who is in
//! it, and change its members and its owner.
//!
//! The pane decides what to ask the service and shows the answer; it holds
//! no rules of its own. The permission table and the mailbox rules (no
//! leavers as members, the owner stays a member, legacy sponsored mailboxes
//! are left alone) are the service's: the pane greys out what the operator
//! may not do now, and when the service still refuses it shows the reason
//! and reloads, so the screen never shows a change that did not happen.

use chrono_tz::Europe::London;
use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::desk::DeskExt;
use super::form::TextField;
use super::keymap::Act;
use super::pane::{Cursor, Cx, Hint, Jump, Pane, PaneId, View, centred};
use super::text::clean;
use super::theme::Theme;
use crate::domain::account::{Account, AccountStatus};
use crate::domain::mailbox::{Mailbox, NOT_ACCESSED_FLAG_DAYS, Sponsorship};
use crate::domain::permission::Action;
use crate::domain::routing::{Category, Channel};
use crate::service::{Command, MailboxView, NewTicket};

/// How many mailboxes a search lists; typing more narrows it.
const SEARCH_LIMIT: usize = 50;
/// How many accounts the picker lists.
const PICK_LIMIT: usize = 30;

/// Which part of the pane has the keys.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Focus {
    /// The search box: printable keys are typed into it.
    Search,
    #[default]
    Results,
    Members,
}

/// The change last asked for here, so a ticket logged from the pane says
/// what it is about even when the change itself was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Attempt {
    Add(Option<String>),
    Remove(Option<String>),
    Owner(Option<String>),
}

impl Attempt {
    fn category(&self) -> Category {
        match self {
            Attempt::Add(_) | Attempt::Remove(_) => Category::MailboxAccess,
            Attempt::Owner(_) => Category::OwnerChange,
        }
    }

    fn account(&self) -> Option<&str> {
        match self {
            Attempt::Add(a) | Attempt::Remove(a) | Attempt::Owner(a) => a.as_deref(),
        }
    }

    fn describe(&self) -> String {
        match (self, self.account()) {
            (Attempt::Add(_), Some(a)) => format!("add {a} as a member"),
            (Attempt::Add(_), None) => "add a member".to_owned(),
            (Attempt::Remove(_), Some(a)) => format!("remove {a}"),
            (Attempt::Remove(_), None) => "remove a member".to_owned(),
            (Attempt::Owner(_), Some(a)) => format!("make {a} the owner"),
            (Attempt::Owner(_), None) => "name a new owner".to_owned(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    AddMember,
    NewOwner,
}

/// A popup that finds an account by typing and picks one with the arrows.
#[derive(Debug, Clone)]
struct Picker {
    purpose: Purpose,
    query: TextField,
    found: Vec<Account>,
    cursor: Cursor,
    /// The service's last refusal, shown until the next edit.
    error: Option<String>,
}

/// A yes/no question before a change that is awkward to undo.
#[derive(Debug, Clone)]
struct Confirm {
    question: String,
    command: Command,
    /// What answering no reports.
    kept: String,
}

#[derive(Debug, Clone)]
enum Dialog {
    Pick(Picker),
    Confirm(Confirm),
}

#[derive(Default)]
pub struct MailboxPane {
    search: TextField,
    focus: Focus,
    results: Vec<Mailbox>,
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
}

impl MailboxPane {
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
    pub fn ticket(&self) -> Option<NewTicket> {
        self.shown.as_ref().map(|view| ticket_about(view, self.attempt.as_ref()))
    }

    fn selected_member(&self) -> Option<&Account> {
        self.shown.as_ref().and_then(|v| v.members.get(self.member.selected))
    }

    fn is_owner(view: &MailboxView, account: &Account) -> bool {
        view.owner.as_ref().is_some_and(|o| o.id == account.id)
    }

    /// Runs the search again for what is typed, keeping the selection.
    fn search_again(&mut self, cx: &mut Cx<'_>) {
        match cx.desk.find_mailboxes(self.search.value(), SEARCH_LIMIT) {
            Ok(found) => self.results = found,
            Err(e) => {
                self.results.clear();
                cx.fail(&e);
            }
        }
    }

    /// Shows a mailbox; false (and says why) if it cannot be read.
    fn open(&mut self, address: &str, cx: &mut Cx<'_>) -> bool {
        match cx.desk.mailbox(address) {
            Ok(view) => {
                if self.shown.as_ref().is_none_or(|v| v.mailbox.id != view.mailbox.id) {
                    self.reveal = false;
                    self.member = Cursor::default();
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

    /// Reads the shown mailbox again, keeping `select` (or the member that
    /// was selected) selected if it is still there.
    fn reload(&mut self, cx: &mut Cx<'_>, select: Option<&str>) {
        let Some(old) = self.shown.take() else { return };
        let keep =
            select.map(str::to_owned).or_else(|| old.members.get(self.member.selected).map(|a| a.address.to_string()));
        match cx.desk.mailbox(&old.mailbox.address.to_string()) {
            Ok(view) => {
                if let Some(i) = keep.and_then(|k| view.members.iter().position(|a| a.address.to_string() == k)) {
                    self.member.selected = i;
                }
                self.shown = Some(view);
            }
            Err(e) => {
                self.focus = Focus::Results;
                cx.fail(&e);
            }
        }
    }

    fn search_key(&mut self, key: KeyEvent, cx: &mut Cx<'_>) -> bool {
        match key.code {
            KeyCode::Enter | KeyCode::Down => {
                self.focus = Focus::Results;
                self.result = Cursor::default();
                true
            }
            KeyCode::Esc => {
                self.focus = if self.shown.is_some() { Focus::Members } else { Focus::Results };
                true
            }
            KeyCode::Up => true,
            _ => {
                let before = self.search.value().to_owned();
                let used = self.search.key(key);
                if self.search.value() != before {
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
            Focus::Members => {
                let len = self.shown.as_ref().map_or(0, |v| v.members.len());
                self.member.navigate(act, len, Self::page(self.members_area))
            }
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
        let selected = self.selected_member().map(|a| a.address.to_string());
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
            Act::RemoveMember => match (&self.shown, self.selected_member()) {
                (Some(view), Some(member)) => Some(Dialog::Confirm(remove_question(view, member))),
                _ => None,
            },
            _ => Some(Dialog::Pick(self.picker(Purpose::NewOwner))),
        };
        true
    }

    fn picker(&self, purpose: Purpose) -> Picker {
        let found = self.suggestions(purpose);
        Picker { purpose, query: TextField::default(), found, cursor: Cursor::default(), error: None }
    }

    /// What the picker lists before anything is typed: for a new owner the
    /// members, since the owner is usually someone already in the mailbox.
    fn suggestions(&self, purpose: Purpose) -> Vec<Account> {
        match (purpose, &self.shown) {
            (Purpose::NewOwner, Some(view)) => {
                view.members.iter().filter(|a| !Self::is_owner(view, a)).cloned().collect()
            }
            _ => Vec::new(),
        }
    }

    fn picker_key(&mut self, mut picker: Picker, key: KeyEvent, cx: &mut Cx<'_>) -> bool {
        let nav = match key.code {
            KeyCode::Esc => {
                cx.info("nothing changed");
                return true;
            }
            KeyCode::Enter => {
                self.pick(picker, cx);
                return true;
            }
            KeyCode::Up => Some(Act::Up),
            KeyCode::Down => Some(Act::Down),
            KeyCode::PageUp => Some(Act::PageUp),
            KeyCode::PageDown => Some(Act::PageDown),
            _ => None,
        };
        let used = match nav {
            Some(act) => picker.cursor.navigate(act, picker.found.len(), PICK_LIMIT),
            None => {
                let before = picker.query.value().to_owned();
                let used = picker.query.key(key);
                if picker.query.value() != before {
                    self.find_accounts(&mut picker, cx);
                }
                used
            }
        };
        self.dialog = Some(Dialog::Pick(picker));
        used
    }

    fn find_accounts(&self, picker: &mut Picker, cx: &mut Cx<'_>) {
        picker.cursor = Cursor::default();
        picker.error = None;
        let query = picker.query.value().trim();
        if query.is_empty() {
            picker.found = self.suggestions(picker.purpose);
            return;
        }
        match cx.desk.find_accounts(query, PICK_LIMIT) {
            Ok(found) => picker.found = found,
            Err(e) => {
                picker.found.clear();
                picker.error = Some(e.to_string());
            }
        }
    }

    /// Enter in the picker: add the member now, or ask before changing the
    /// owner. A refusal keeps the picker open with the service's reason.
    fn pick(&mut self, mut picker: Picker, cx: &mut Cx<'_>) {
        let (Some(view), Some(chosen)) = (&self.shown, picker.found.get(picker.cursor.selected)) else {
            picker.error = Some("nothing chosen: type a name, an address or a mobile number".to_owned());
            self.dialog = Some(Dialog::Pick(picker));
            return;
        };
        let mailbox = view.mailbox.address.to_string();
        let account = chosen.address.to_string();
        match picker.purpose {
            Purpose::AddMember => {
                self.attempt = Some(Attempt::Add(Some(account.clone())));
                let done = cx.execute(&Command::AddMember { mailbox, account: account.clone() }).is_some();
                self.reload(cx, Some(&account));
                if !done {
                    picker.error = cx.message.as_ref().map(|m| m.text.clone());
                    self.dialog = Some(Dialog::Pick(picker));
                }
            }
            Purpose::NewOwner => {
                let question = owner_question(view, chosen);
                self.attempt = Some(Attempt::Owner(Some(account)));
                self.dialog = Some(Dialog::Confirm(question));
            }
        }
    }

    fn confirm_key(&mut self, confirm: Confirm, key: KeyEvent, cx: &mut Cx<'_>) {
        match key.code {
            KeyCode::Char('y' | 'Y') => {
                if cx.execute(&confirm.command).is_none() {
                    self.reload(cx, None);
                }
            }
            KeyCode::Char('n' | 'N') | KeyCode::Esc => cx.info(confirm.kept),
            _ => {
                cx.warn("press y to go ahead, or n to leave it as it is");
                self.dialog = Some(Dialog::Confirm(confirm));
            }
        }
    }

    /// `t`: opens the queue's new-ticket form about this mailbox, for the
    /// change last asked for here (a helpdesk agent out of hours logs what
    /// they may not do, and the resolver group picks it up).
    fn log_ticket(&mut self, cx: &mut Cx<'_>) {
        let hints = self.hints(cx);
        if cx.refuse_if_disabled(&hints, Act::LogMailboxTicket) {
            return;
        }
        match self.ticket() {
            Some(ticket) => cx.jump = Some(Jump::NewTicket(Box::new(ticket))),
            None => cx.warn("open a mailbox first: the ticket is about the mailbox on screen"),
        }
    }

    /// A change action, disabled when the operator may not change
    /// mailboxes now or the mailbox is a sponsored legacy one.
    fn change_hint(&self, cx: &Cx<'_>, act: Act, label: &'static str) -> Hint {
        let hint = Hint::new(act, label).needs(cx, Action::MailboxChange);
        if hint.disabled.is_some() {
            return hint;
        }
        match self.shown.as_ref().map(|v| &v.mailbox.sponsorship) {
            Some(Sponsorship::SponsoredBy { sponsor }) => hint.disabled_because(format!(
                "this legacy mailbox is sponsored by {sponsor}, so only their local administrator changes it"
            )),
            _ => hint,
        }
    }

    fn remove_hint(&self, cx: &Cx<'_>) -> Hint {
        let hint = self.change_hint(cx, Act::RemoveMember, "remove");
        if hint.disabled.is_some() {
            return hint;
        }
        match (&self.shown, self.selected_member()) {
            (Some(view), Some(m)) if Self::is_owner(view, m) => {
                hint.disabled_because("the owner stays a member: give the mailbox a new owner first")
            }
            (_, None) => hint.disabled_because("select a member first"),
            _ => hint,
        }
    }
}

fn remove_question(view: &MailboxView, member: &Account) -> Confirm {
    let mailbox = view.mailbox.address.to_string();
    let who = format!("{} ({})", clean(&member.display_name()), member.address);
    Confirm {
        question: format!("Remove {who} from {mailbox}? They lose access to its mail."),
        command: Command::RemoveMember { mailbox, account: member.address.to_string() },
        kept: format!("{who} is still a member"),
    }
}

fn owner_question(view: &MailboxView, owner: &Account) -> Confirm {
    let mailbox = view.mailbox.address.to_string();
    let current = view.owner.as_ref().map_or_else(|| "nobody".to_owned(), |o| clean(&o.display_name()).into_owned());
    Confirm {
        question: format!(
            "Make {} ({}) the owner of {mailbox} instead of {current}? The owner is the helpdesk's contact for the \
             organisation.",
            clean(&owner.display_name()),
            owner.address
        ),
        command: Command::ChangeOwner { mailbox: mailbox.clone(), owner: owner.address.to_string() },
        kept: format!("the owner of {mailbox} is still {current}"),
    }
}

/// A ticket about the mailbox, for the change last asked for (access by
/// default), requested by phone on the owner's behalf.
fn ticket_about(view: &MailboxView, attempt: Option<&Attempt>) -> NewTicket {
    let mailbox = &view.mailbox;
    let address = mailbox.address.to_string();
    let category = attempt.map_or(Category::MailboxAccess, Attempt::category);
    let topic = if category == Category::OwnerChange { "Owner change" } else { "Mailbox access" };
    let mut body =
        format!("Logged from the shared mailbox pane for {address} ({}, {}).", mailbox.display_name, mailbox.ods);
    if let Some(attempt) = attempt {
        body.push_str(&format!("\nAsked to {}.", attempt.describe()));
    }
    NewTicket {
        category,
        channel: Channel::Phone,
        received_at: None,
        requester_name: view.owner.as_ref().map(Account::display_name).unwrap_or_default(),
        requester_email: None,
        requester_phone: None,
        ods: Some(mailbox.ods.to_string()),
        account: attempt.and_then(Attempt::account).map(str::to_owned),
        mailbox: Some(address.clone()),
        mailbox_name: Some(mailbox.display_name.clone()),
        subject: format!("{topic}: {address}"),
        body,
        incomplete: false,
    }
}

impl Pane for MailboxPane {
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
            Focus::Members if self.selected_member().is_some() => hints.push(Hint::new(Act::Open, "open")),
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
            Some(Dialog::Pick(picker)) => draw_picker(frame, full, picker, &mailbox, view.theme),
            Some(Dialog::Confirm(confirm)) => draw_confirm(frame, full, confirm, view.theme),
            None => {}
        }
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
            let len = self.shown.as_ref().map_or(0, |v| v.members.len());
            self.focus = Focus::Members;
            self.member.click(self.members_area.y, row, len)
        } else {
            false
        }
    }

    fn jump(&mut self, jump: &Jump, cx: &mut Cx<'_>) -> bool {
        let Jump::Mailbox(address) = jump else { return false };
        self.dialog = None;
        self.search.set(address);
        self.result = Cursor::default();
        self.search_again(cx);
        if !self.open(address, cx) {
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

impl MailboxPane {
    fn draw_search(&self, frame: &mut Frame<'_>, area: Rect, view: &View<'_>) {
        let theme = view.theme;
        let typing = self.focus == Focus::Search && self.dialog.is_none();
        let [key, field] = Layout::horizontal([Constraint::Length(2), Constraint::Min(1)]).areas(area);
        frame.render_widget(Paragraph::new(view.keymap.key_label(Act::Filter)).style(theme.key()), key);
        if self.search.value().is_empty() && !typing {
            frame.render_widget(Paragraph::new("find: address, name or ODS code").style(theme.dim()), field);
        } else {
            self.search.draw(frame, field, Style::new(), typing && view.focused);
        }
    }

    fn draw_results(&mut self, frame: &mut Frame<'_>, area: Rect, theme: Theme) {
        self.results_area = area;
        if self.results.is_empty() {
            let text = if self.search.value().trim().is_empty() {
                "Type an address (oaklodge.team@nhs.net), the start of a name or an ODS code.".to_owned()
            } else {
                format!("No shared mailbox matches \"{}\".", clean(self.search.value().trim()))
            };
            frame.render_widget(Paragraph::new(text).style(theme.dim()).wrap(Wrap { trim: true }), area);
            return;
        }
        let focused = self.focus == Focus::Results;
        let rows = self.result.window(self.results.len(), usize::from(area.height));
        let width = usize::from(area.width);
        let lines: Vec<Line<'static>> = rows
            .map(|i| {
                let m = &self.results[i];
                let text = format!("{}  {}  {}", clean(&m.display_name), m.address, m.ods);
                row(text, width, focused && i == self.result.selected, theme)
            })
            .collect();
        frame.render_widget(Paragraph::new(lines), area);
    }

    fn draw_details(&mut self, frame: &mut Frame<'_>, area: Rect, theme: Theme) {
        let Some(view) = &self.shown else { return };
        let header = detail_lines(view, self.reveal, theme);
        let height = (header.len() as u16).min(area.height);
        let [top, members] = Layout::vertical([Constraint::Length(height), Constraint::Min(0)]).areas(area);
        frame.render_widget(Paragraph::new(header), top);
        self.members_area = members;
        let focused = self.focus == Focus::Members;
        let rows = self.member.window(view.members.len(), usize::from(members.height));
        let width = usize::from(members.width);
        let name_width = (width / 3).clamp(8, 20);
        let lines: Vec<Line<'static>> = rows
            .map(|i| {
                let a = &view.members[i];
                let text = member_text(a, Self::is_owner(view, a), name_width);
                row(text, width, focused && i == self.member.selected, theme)
            })
            .collect();
        frame.render_widget(Paragraph::new(lines), members);
    }
}

/// A list row with a marker on the selected one, so the selection shows
/// without colour too.
fn row(text: String, width: usize, selected: bool, theme: Theme) -> Line<'static> {
    if selected {
        Line::styled(format!("› {text:<w$}", w = width.saturating_sub(2)), theme.selected())
    } else {
        Line::raw(format!("  {text}"))
    }
}

fn member_text(account: &Account, owner: bool, name_width: usize) -> String {
    let name: String = clean(&account.display_name()).chars().take(name_width - 1).collect();
    let mut text = format!("{name:<name_width$}{}", account.address);
    if owner {
        text.push_str("  owner");
    }
    // Pending activation is the usual state of a new account; only the
    // states that matter to a mailbox are called out.
    if matches!(account.status, AccountStatus::Inactive | AccountStatus::Leaver | AccountStatus::Deleted) {
        text.push_str(&format!("  {}", account.status.label()));
    }
    text
}

fn labelled(label: &str, value: impl Into<Span<'static>>) -> Line<'static> {
    Line::from(vec![Span::raw(format!("{label:<10}")), value.into()])
}

/// The mailbox's facts above its member list.
fn detail_lines(view: &MailboxView, reveal: bool, theme: Theme) -> Vec<Line<'static>> {
    let m = &view.mailbox;
    let mut lines = vec![
        Line::styled(clean(&m.display_name).into_owned(), theme.title()),
        Line::raw(m.address.to_string()),
        labelled("Org", m.ods.to_string()),
        labelled(
            "Last used",
            m.last_accessed_at
                .map_or_else(|| "never".to_owned(), |at| at.with_timezone(&London).format("%-d %b %Y").to_string()),
        ),
    ];
    lines.extend(owner_lines(view.owner.as_ref(), reveal, theme));
    lines.extend(flag_lines(view, theme));
    let members = match m.member_count as usize {
        n if n > view.members.len() => format!("{n} (first {} listed)", view.members.len()),
        n => n.to_string(),
    };
    lines.push(Line::from(vec![Span::styled(format!("{:<10}", "Members"), theme.title()), Span::raw(members)]));
    lines
}

fn owner_lines(owner: Option<&Account>, reveal: bool, theme: Theme) -> Vec<Line<'static>> {
    let Some(owner) = owner else {
        return vec![labelled("Owner", Span::styled("none: name a new owner", theme.red()))];
    };
    let mobile = match owner.mobile() {
        Some(mobile) if reveal => mobile.to_string(),
        Some(mobile) => mobile.masked(),
        None => "no mobile".to_owned(),
    };
    let hidden = if owner.mobile_hidden { " (hidden in directory)" } else { "" };
    vec![
        labelled("Owner", clean(&owner.display_name()).into_owned()),
        labelled("", owner.address.to_string()),
        labelled("", format!("{mobile}{hidden}")),
    ]
}

fn flag_lines(view: &MailboxView, theme: Theme) -> Vec<Line<'static>> {
    let mut flags = Vec::new();
    if let Sponsorship::SponsoredBy { sponsor } = &view.mailbox.sponsorship {
        flags.push(format!("sponsored legacy ({sponsor})"));
    }
    if view.not_accessed_recently {
        flags.push(format!("not used for {NOT_ACCESSED_FLAG_DAYS}+ days"));
    }
    if flags.is_empty() {
        return vec![labelled("Flags", Span::styled("none", theme.dim()))];
    }
    flags
        .into_iter()
        .enumerate()
        .map(|(i, flag)| labelled(if i == 0 { "Flags" } else { "" }, Span::styled(flag, theme.amber())))
        .collect()
}

fn popup(frame: &mut Frame<'_>, area: Rect, title: String, theme: Theme) -> Rect {
    frame.render_widget(Clear, area);
    let block = Block::bordered().title(Span::styled(title, theme.title())).border_style(theme.focused_border());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    inner
}

fn draw_picker(frame: &mut Frame<'_>, full: Rect, picker: &mut Picker, mailbox: &str, theme: Theme) {
    let (title, enter) = match picker.purpose {
        Purpose::AddMember => (format!(" Add a member to {mailbox} "), "enter add"),
        Purpose::NewOwner => (format!(" New owner for {mailbox} "), "enter choose"),
    };
    let list_rows = picker.found.len().clamp(3, 12) as u16;
    let height = list_rows + 5 + u16::from(picker.error.is_some()) * 2;
    let area = centred(full, full.width.saturating_sub(4).min(80), height);
    let inner = popup(frame, area, title, theme);
    let [find, note, list, error, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(u16::from(picker.error.is_some()) * 2),
        Constraint::Length(1),
    ])
    .areas(inner);
    let [label, field] = Layout::horizontal([Constraint::Length(6), Constraint::Min(1)]).areas(find);
    frame.render_widget(Paragraph::new("Find").style(theme.key()), label);
    picker.query.draw(frame, field, Style::new(), true);
    frame.render_widget(Paragraph::new(picker_note(picker)).style(theme.dim()), note);
    let rows = picker.cursor.window(picker.found.len(), usize::from(list.height));
    let width = usize::from(list.width);
    let lines: Vec<Line<'static>> = rows
        .map(|i| {
            let a = &picker.found[i];
            row(candidate_text(a, picker.purpose, width), width, i == picker.cursor.selected, theme)
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), list);
    if let Some(e) = &picker.error {
        frame
            .render_widget(Paragraph::new(clean(e).into_owned()).style(theme.error()).wrap(Wrap { trim: true }), error);
    }
    let keys = format!("{enter} · ↑/↓ pick · esc close");
    frame.render_widget(Paragraph::new(keys).style(theme.dim()), footer);
}

fn picker_note(picker: &Picker) -> String {
    match (picker.query.value().trim().is_empty(), picker.found.len(), picker.purpose) {
        (true, 0, _) => "type a name, an address, a mobile number or an ODS code".to_owned(),
        (true, _, _) => "members of the mailbox; type to search every account".to_owned(),
        (false, 0, _) => "no account matches".to_owned(),
        (false, n, Purpose::AddMember) => format!("{n} found: the service checks each one when you add it"),
        (false, n, Purpose::NewOwner) => format!("{n} found: an owner needs a live account with a mobile"),
    }
}

/// A picker row; says what will stop an account being chosen, so the
/// operator is not surprised by the refusal.
fn candidate_text(account: &Account, purpose: Purpose, width: usize) -> String {
    let mut text = member_text(account, false, (width / 3).clamp(8, 22));
    text.push_str(&format!("  {}", account.ods));
    if purpose == Purpose::NewOwner && account.mobile().is_none() {
        text.push_str("  no mobile");
    }
    text
}

fn draw_confirm(frame: &mut Frame<'_>, full: Rect, confirm: &Confirm, theme: Theme) {
    let width = full.width.saturating_sub(4).min(64);
    let text_width = usize::from(width.saturating_sub(2)).max(1);
    let question_rows = (confirm.question.chars().count().div_ceil(text_width) + 1) as u16;
    let area = centred(full, width, question_rows + 4);
    let inner = popup(frame, area, " Are you sure? ".to_owned(), theme);
    let lines = vec![
        Line::raw(confirm.question.clone()),
        Line::default(),
        Line::from(vec![
            Span::styled("y", theme.key()),
            Span::raw(" go ahead · "),
            Span::styled("n", theme.key()),
            Span::raw(" leave it as it is"),
        ]),
    ];
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), inner);
}
