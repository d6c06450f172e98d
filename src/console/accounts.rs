//! Account lookup: find a personal account by name, address, mobile or ODS
//! code, see where it stands in its lifecycle, and do the account tasks on
//! it (a guided password reset, leaver, joiner, directory visibility,
//! unlock, a new account), or log the request as a ticket when the operator
//! may not do it now.
//!
//! The pane holds only what this operator is looking at and typing; every
//! read and change goes through the desk. A temporary password never reaches
//! it: a reset's result shows where the text went and the outbox's masked
//! copy, nothing more.

mod details;
mod joiner;
mod leaver;
mod new_account;
mod request;
mod reset;
mod results;
mod search;
mod task;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders};

use self::joiner::JoinerTask;
use self::leaver::LeaverTask;
use self::new_account::NewAccountTask;
pub(crate) use self::request::{redraft, topic};
use self::request::{request_ticket, requested};
use self::reset::ResetTask;
use self::search::SEARCH_LIMIT;
use self::task::{Flow, Task};
use super::app::Here;
use super::desk::DeskExt;
use super::form::TextField;
use super::keymap::Act;
use super::pane::{Cursor, Cx, Hint, Jump, Pane, PaneId, View, news};
use crate::desk::{Activity, Presence, Subject};
use crate::domain::account::Account;
use crate::domain::permission::Action;
use crate::domain::routing::Category;
use crate::service::ops::{SetMobileHidden, ShowAccount, Unlock};
use crate::service::{AccountView, ChangeEvent, Touched};

/// At this inner width and wider the results and the details stand side by side.
const SIDE_BY_SIDE: u16 = 100;
/// Narrower than this, each result takes two lines: name and status over
/// address and ODS code, so none of them is cut short.
const TWO_LINE_ROWS: u16 = 60;

/// Which part of the pane the keys go to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Focus {
    #[default]
    Results,
    Search,
    /// The selected account's shared mailboxes, for opening one.
    Mailboxes,
}

#[derive(Default)]
pub struct AccountPane {
    search: TextField,
    /// Earlier searches, newest last, at most [`search::SEARCH_HISTORY`].
    history: Vec<String>,
    /// Which earlier search the search line shows, counted back from the newest.
    recalled: Option<usize>,
    focus: Focus,
    found: Vec<Account>,
    /// The organisation name of each account found, where the desk knows it.
    found_orgs: Vec<Option<String>>,
    cursor: Cursor,
    /// The selected account as the service sees it now.
    view: Option<AccountView>,
    mailbox: usize,
    /// Mobile numbers are masked unless the operator asks to see them.
    reveal: bool,
    task: Option<Task>,
    /// The request behind the last account action tried, and the account it
    /// was tried on (none for a new account), so `t` logs that request.
    attempted: Option<(Category, Option<String>)>,
    /// Where the search line and the result rows were last drawn, for clicks.
    search_area: Rect,
    rows_area: Rect,
    /// Screen lines per result, as last drawn.
    row_height: u16,
    /// Who else has which account open, by address.
    here: HashMap<String, Here>,
}

impl AccountPane {
    /// The selected account, if one is selected.
    pub fn selected_account(&self) -> Option<&Account> {
        self.found.get(self.cursor.selected)
    }

    /// The address of the selected account, if one is selected.
    pub fn selected_address(&self) -> Option<&str> {
        self.found.get(self.cursor.selected).map(|a| a.address.as_str())
    }

    /// A task (form, confirmation or result) is open over the screen.
    /// What the search line holds, for tests.
    pub fn search_text(&self) -> &str {
        self.search.value()
    }

    pub fn has_task(&self) -> bool {
        self.task.is_some()
    }

    /// Who else has which account open, as the daemon last said.
    pub fn set_here(&mut self, here: HashMap<String, Here>) {
        self.here = here;
    }

    /// Reads the selected account's details. The mailbox selection stays
    /// only on the same account, and only while it still points at one.
    fn load(&mut self, cx: &mut Cx<'_>) {
        let address = self.selected_address().map(str::to_owned);
        let same = address.is_some() && self.view.as_ref().map(|v| v.account.address.to_string()) == address;
        self.view = match address {
            None => None,
            Some(address) => match cx.desk.call(ShowAccount { address: address.to_owned() }) {
                Ok(view) => Some(view),
                Err(e) => {
                    cx.fail(&e);
                    None
                }
            },
        };
        let mailboxes = self.mailboxes().len();
        if !same {
            self.mailbox = 0;
        }
        self.mailbox = self.mailbox.min(mailboxes.saturating_sub(1));
        if self.focus == Focus::Mailboxes && (!same || mailboxes == 0) {
            self.focus = Focus::Results;
        }
    }

    fn act(&mut self, act: Act, cx: &mut Cx<'_>) -> bool {
        match act {
            Act::Filter => self.fresh_search(),
            Act::Reveal => self.reveal = !self.reveal,
            Act::Open => self.open(cx),
            Act::Back if self.focus == Focus::Mailboxes => self.focus = Focus::Results,
            Act::ResetPassword | Act::Leaver | Act::Joiner | Act::Directory | Act::Unlock | Act::NewAccount => {
                self.start(act, cx)
            }
            Act::LogTicket => self.log_ticket(cx),
            other => return self.navigate(other, cx),
        }
        true
    }

    fn navigate(&mut self, act: Act, cx: &mut Cx<'_>) -> bool {
        if self.focus == Focus::Mailboxes {
            let mut cursor = Cursor { selected: self.mailbox, offset: 0 };
            let moved = cursor.navigate(act, self.mailboxes().len(), 5);
            self.mailbox = cursor.selected;
            return moved;
        }
        if act == Act::Up && self.cursor.selected == 0 {
            self.focus = Focus::Search;
            return true;
        }
        let before = self.cursor.selected;
        let page = usize::from(self.rows_area.height / self.row_height.max(1));
        if !self.cursor.navigate(act, self.found.len(), page) {
            return false;
        }
        if self.cursor.selected != before {
            self.load(cx);
        }
        true
    }

    /// Enter on an account moves to its shared mailboxes; on a mailbox,
    /// shows it in the shared mailbox pane.
    fn open(&mut self, cx: &mut Cx<'_>) {
        let mailboxes = self.mailboxes();
        match self.focus {
            Focus::Mailboxes => {
                if let Some((address, _)) = mailboxes.get(self.mailbox) {
                    cx.jump = Some(Jump::Mailbox(address.clone()));
                }
            }
            _ if mailboxes.is_empty() => {
                if let Some(address) = self.selected_address() {
                    cx.info(format!("{address} is not in any shared mailbox"));
                }
            }
            _ => self.focus = Focus::Mailboxes,
        }
    }

    /// The selected account's shared mailboxes: those it owns first, each
    /// with whether it owns it.
    fn mailboxes(&self) -> Vec<(String, bool)> {
        let Some(view) = &self.view else { return Vec::new() };
        let owned = view.owns.iter().map(|m| (m.clone(), true));
        let member = view.member_of.iter().filter(|m| !view.owns.contains(m)).map(|m| (m.clone(), false));
        owned.chain(member).collect()
    }

    /// Starts an account action, unless the hint line says it cannot be
    /// taken now, in which case it says why.
    fn start(&mut self, act: Act, cx: &mut Cx<'_>) {
        if let Some(category) = requested(act) {
            let about = (act != Act::NewAccount).then(|| self.selected_address().map(str::to_owned)).flatten();
            self.attempted = Some((category, about));
        }
        let hints = self.hints(cx);
        if cx.refuse_if_disabled(&hints, act) {
            return;
        }
        if act == Act::NewAccount {
            self.task = Some(NewAccountTask::open());
            return;
        }
        let Some(view) = &self.view else { return };
        let address = view.account.address.to_string();
        // Every change here is based on the account as shown.
        let rev = Some(view.account.meta.rev);
        match act {
            Act::ResetPassword => self.task = Some(ResetTask::open(view, cx).based_on(&view.account)),
            Act::Leaver => self.task = Some(LeaverTask::open(view, cx).based_on(&view.account)),
            Act::Joiner => self.task = Some(JoinerTask::open(view).based_on(&view.account)),
            Act::Directory => {
                let hidden = !view.account.mobile_hidden;
                cx.submit(SetMobileHidden { address, hidden, ticket: None }, rev);
            }
            Act::Unlock => {
                cx.submit(Unlock { address, ticket: None }, rev);
            }
            _ => {}
        }
    }

    /// Opens the queue pane's new-ticket form with the request the operator
    /// last tried on this account, so what they may not do now reaches
    /// someone who may. With nothing tried on it, the ticket is for what
    /// the account's state makes likely (see [`Account::likely_request`]),
    /// for the operator to change in the form if the caller wants another.
    fn log_ticket(&mut self, cx: &mut Cx<'_>) {
        let account = self.view.as_ref().map(|v| &v.account);
        let category = match &self.attempted {
            Some((category, None)) => *category,
            Some((category, Some(tried_on))) if account.is_some_and(|a| a.address.as_str() == tried_on) => *category,
            _ => account.map_or(Category::General, Account::likely_request),
        };
        if account.is_none() && category != Category::NewAccount {
            cx.warn("select the account the request is about first, or log it from the ticket queue");
            return;
        }
        let ticket = request_ticket(category, account, cx.shift.open);
        cx.jump = Some(Jump::NewTicket(Box::new(ticket)));
    }

    /// Why the selected account does not allow `act`, whoever asks: asked
    /// of the domain's own rules (the change is worked out and thrown away),
    /// so the pane and the service cannot disagree.
    fn unfit(&self, act: Act, now: DateTime<Utc>) -> Option<String> {
        let Some(view) = &self.view else { return Some("select an account first".to_owned()) };
        let account = &view.account;
        let nas = || account.administered_by.require_nas(account.address.as_str());
        let check = match act {
            Act::ResetPassword => nas().and_then(|()| account.issue_temporary_password("", now).map(drop)),
            Act::Leaver => nas().and_then(|()| account.mark_leaver("", now).map(drop)),
            Act::Unlock => nas().and_then(|()| account.unlock("", now).map(drop)),
            Act::Directory => account.set_mobile_hidden(!account.mobile_hidden, "", now).map(drop),
            _ => account.refuse_if_gone(),
        };
        check.err().map(|refusal| refusal.to_string())
    }

    /// A hint for an action on the selected account: disabled when the
    /// operator may not take it now, or the account does not allow it.
    fn account_hint(&self, cx: &Cx<'_>, act: Act, label: &'static str, action: Action) -> Hint {
        let hint = Hint::new(act, label).needs(cx, action);
        match (&hint.disabled, self.unfit(act, cx.now())) {
            (None, Some(reason)) => hint.disabled_because(reason),
            _ => hint,
        }
    }
}

impl Pane for AccountPane {
    fn changed(&mut self, events: &[ChangeEvent], cx: &mut Cx<'_>) {
        let Some(view) = &self.view else { return };
        let address = view.account.address.to_string();
        let concerns = |t: &Touched| match t {
            Touched::Account(a) => *a == address || self.found.iter().any(|f| f.address.as_str() == a),
            Touched::Mailbox(m) => view.owns.contains(m) || view.member_of.contains(m),
            Touched::Organisation(o) => *o == view.account.ods.as_str(),
            _ => false,
        };
        let Some(said) = news(events, concerns, &Touched::Account(address.clone()), &address) else { return };
        self.refresh(cx);
        if let Some(text) = said {
            cx.info(text);
        }
    }

    fn refresh(&mut self, cx: &mut Cx<'_>) {
        if !self.search.value().trim().is_empty() {
            let selected = self.selected_address().map(str::to_owned);
            self.search(selected, cx);
        }
    }

    fn typing(&self) -> bool {
        self.task.is_some() || self.focus == Focus::Search
    }

    fn key(&mut self, key: KeyEvent, act: Option<Act>, cx: &mut Cx<'_>) -> bool {
        if let Some(task) = self.task.as_mut() {
            match task.key(key, cx) {
                Flow::Unused => return false,
                Flow::Stay => {}
                Flow::Close => self.task = None,
                Flow::Show(address) => {
                    self.task = None;
                    self.show(&address, cx);
                }
            }
            return true;
        }
        if self.focus == Focus::Search {
            return self.search_key(key, cx);
        }
        act.is_some_and(|act| self.act(act, cx))
    }

    fn hints(&self, cx: &Cx<'_>) -> Vec<Hint> {
        if let Some(task) = &self.task {
            return task.hints();
        }
        if self.focus == Focus::Search {
            return vec![Hint::new(Act::Open, "results"), Hint::new(Act::Back, "leave search")];
        }
        let hidden = self.view.as_ref().is_some_and(|v| v.account.mobile_hidden);
        let mut hints = vec![
            Hint::new(Act::Filter, "search"),
            self.account_hint(cx, Act::ResetPassword, "reset password", Action::SimpleAccountTask),
            self.account_hint(cx, Act::Leaver, "leaver", Action::ComplexAccountTask),
            self.account_hint(cx, Act::Joiner, "joiner", Action::ComplexAccountTask),
            self.account_hint(
                cx,
                Act::Directory,
                if hidden { "show mobile" } else { "hide mobile" },
                Action::SimpleAccountTask,
            ),
            self.account_hint(cx, Act::Unlock, "unlock", Action::SimpleAccountTask),
            Hint::new(Act::NewAccount, "new account").needs(cx, Action::ComplexAccountTask),
            Hint::new(Act::LogTicket, "log ticket").needs(cx, Action::LogTicket),
            Hint::new(Act::Reveal, if self.reveal { "mask" } else { "reveal" }),
        ];
        match self.focus {
            Focus::Mailboxes => {
                hints.insert(0, Hint::new(Act::Open, "open mailbox"));
                hints.insert(1, Hint::new(Act::Back, "results"));
            }
            _ if !self.mailboxes().is_empty() => hints.push(Hint::new(Act::Open, "mailboxes")),
            _ => {}
        }
        hints
    }

    fn draw(&mut self, frame: &mut Frame<'_>, area: Rect, view: &View<'_>) {
        let border = if view.focused { view.theme.focused_border() } else { view.theme.border() };
        let title = match self.title() {
            t if t.is_empty() => format!(" {} ", PaneId::Accounts.label()),
            t => format!(" {} · {t} ", PaneId::Accounts.label()),
        };
        let block = Block::bordered().title(Span::styled(title, view.theme.title())).border_style(border);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let [search, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(inner);
        self.draw_search(frame, search, view);
        self.row_height = if body.width < TWO_LINE_ROWS { 2 } else { 1 };
        let (list, details) = if body.width >= SIDE_BY_SIDE {
            let [list, details] =
                Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).spacing(1).areas(body);
            (list, Block::new().borders(Borders::LEFT).border_style(view.theme.border()).inner(details))
        } else {
            let most = (body.height * 2 / 5).max(3);
            let rows = (self.found.len() as u16 * self.row_height + 1).clamp(2, most);
            let [list, details] = Layout::vertical([Constraint::Length(rows), Constraint::Min(0)]).areas(body);
            let rule = Block::new().borders(Borders::TOP).border_style(view.theme.border());
            frame.render_widget(rule.clone(), details);
            (list, rule.inner(details))
        };
        self.draw_results(frame, list, view.theme);
        self.draw_details(frame, details, view);
    }

    fn draw_popup(&mut self, frame: &mut Frame<'_>, full: Rect, view: &View<'_>) {
        if let Some(task) = &self.task {
            task.draw(frame, full, view.theme, view.keymap);
        }
    }

    fn unsaved(&self) -> bool {
        self.task.as_ref().is_some_and(Task::unsaved)
    }

    /// The account in view, or the one a task is changing.
    fn presence(&self) -> Option<Presence> {
        let (address, activity) = match &self.task {
            Some(task) => (task.on_account()?, Activity::Editing),
            None => (self.view.as_ref()?.account.address.to_string(), Activity::Viewing),
        };
        Some(Presence { subject: Some(Subject::Account(address)), activity })
    }

    fn click(&mut self, column: u16, row: u16, cx: &mut Cx<'_>) -> bool {
        if self.task.is_some() {
            return false;
        }
        let at = Position::new(column, row);
        if self.search_area.contains(at) {
            self.focus = Focus::Search;
            return true;
        }
        let before = self.cursor.selected;
        let line = self.rows_area.y + (row.saturating_sub(self.rows_area.y)) / self.row_height.max(1);
        if self.rows_area.contains(at) && self.cursor.click(self.rows_area.y, line, self.found.len()) {
            self.focus = Focus::Results;
            if self.cursor.selected != before {
                self.load(cx);
            }
            return true;
        }
        false
    }

    fn wheel(&mut self, down: bool, cx: &mut Cx<'_>) -> bool {
        // Up from the first result would put the keys in the search box,
        // where the next action key would be typed as text.
        let at_top = self.focus == Focus::Results && self.cursor.selected == 0;
        if self.task.is_some() || self.focus == Focus::Search || (!down && at_top) {
            return false;
        }
        self.navigate(if down { Act::Down } else { Act::Up }, cx)
    }

    fn jump(&mut self, jump: &Jump, cx: &mut Cx<'_>) -> bool {
        match jump {
            // An open form keeps the pane: showing another account beneath
            // it would leave the form looking as if it were about that one.
            Jump::Account(address) if self.task.is_some() => {
                cx.info(format!("a form is open here: finish or close it, then look up {address}"));
                true
            }
            Jump::Account(address) => {
                self.show(address, cx);
                true
            }
            _ => false,
        }
    }

    fn title(&self) -> String {
        match self.found.len() {
            0 => String::new(),
            n if n >= SEARCH_LIMIT => format!("{n}+ found"),
            n => format!("{n} found"),
        }
    }
}
