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

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Europe::London;
use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Borders, Cell, Clear, Paragraph, Row, Table, Wrap};

use super::desk::DeskExt;
use super::form::{Field, Form, FormEvent, TextField};
use super::keymap::Act;
use super::pane::{Cursor, Cx, Hint, Jump, Pane, PaneId, View, centred};
use super::text::clean;
use super::theme::Theme;
use crate::domain::account::{Account, AccountStatus};
use crate::domain::lifecycle::{DueReason, LEAVER_DELETED_AFTER_DAYS, LifecycleDue, Transition};
use crate::domain::mailbox::check_owner;
use crate::domain::permission::Action;
use crate::domain::refusal::Refusal;
use crate::domain::routing::{Category, Channel};
use crate::domain::sms::Delivery;
use crate::domain::ticket::TicketRef;
use crate::domain::validate::{Mobile, OdsCode};
use crate::service::{
    AccountView, Command, NewTicket, Outcome, Query, Reply, ResetReceipt, ServiceError, Subject, Verification,
};

/// The most matches a search shows: the list narrows as the operator types,
/// so a longer one is a sign to type more, not to scroll.
const SEARCH_LIMIT: usize = 200;
/// Accounts of an organisation offered as a leaver's successor.
const CANDIDATES: usize = 50;
/// Likely duplicates shown while a new account is typed.
const DUPLICATES: usize = 5;
/// How far back in the outbox a reset's message is looked for.
const OUTBOX_LOOKBACK: usize = 50;
/// At this inner width and wider the results and the details stand side by side.
const SIDE_BY_SIDE: u16 = 100;
/// Narrower than this, each result takes two lines: name and status over
/// address and ODS code, so none of them is cut short.
const TWO_LINE_ROWS: u16 = 60;
/// The widest a form's note line is made, so it fits an 80-column screen.
const NOTE_WIDTH: usize = 72;
/// The width of the labels in the details.
const LABEL: usize = 11;

const TICKET_HINT: &str = "CD-000123 to record the steps on it (optional)";
const VERIFY: [&str; 3] = ["security questions", "registered mobile", "shared mailbox owner"];

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
    focus: Focus,
    found: Vec<Account>,
    cursor: Cursor,
    /// The selected account as the service sees it now.
    view: Option<AccountView>,
    mailbox: usize,
    /// Mobile numbers are masked unless the operator asks to see them.
    reveal: bool,
    task: Option<Task>,
    /// The request behind the last account action tried, so `t` logs that.
    attempted: Option<Category>,
    /// Where the search line and the result rows were last drawn, for clicks.
    search_area: Rect,
    rows_area: Rect,
    /// Screen lines per result, as last drawn.
    row_height: u16,
}

impl AccountPane {
    /// The address of the selected account, if one is selected.
    pub fn selected_address(&self) -> Option<&str> {
        self.found.get(self.cursor.selected).map(|a| a.address.as_str())
    }

    /// A task (form, confirmation or result) is open over the screen.
    pub fn has_task(&self) -> bool {
        self.task.is_some()
    }

    /// Runs the search again, keeping `prefer` selected if it is still found.
    fn search(&mut self, prefer: Option<String>, cx: &mut Cx<'_>) {
        let prefer = prefer.or_else(|| self.selected_address().map(str::to_owned));
        self.found = match cx.desk.find_accounts(self.search.value(), SEARCH_LIMIT) {
            Ok(found) => found,
            Err(e) => {
                cx.fail(&e);
                Vec::new()
            }
        };
        self.cursor.selected = prefer
            .and_then(|p| self.found.iter().position(|a| a.address.as_str().eq_ignore_ascii_case(&p)))
            .unwrap_or(0);
        self.load(cx);
    }

    /// Reads the selected account's details.
    fn load(&mut self, cx: &mut Cx<'_>) {
        let Some(address) = self.selected_address().map(str::to_owned) else {
            self.view = None;
            return;
        };
        if self.view.as_ref().is_none_or(|v| v.account.address.as_str() != address) {
            self.mailbox = 0;
            if self.focus == Focus::Mailboxes {
                self.focus = Focus::Results;
            }
        }
        self.view = match cx.desk.account(&address) {
            Ok(view) => Some(view),
            Err(e) => {
                cx.fail(&e);
                None
            }
        };
    }

    /// Shows one account, as if its address had been searched for.
    fn show(&mut self, address: &str, cx: &mut Cx<'_>) {
        let address = address.trim();
        self.search.set(address);
        self.focus = Focus::Results;
        self.search(Some(address.to_owned()), cx);
        if self.found.is_empty() {
            cx.warn(format!("no account {address}: check the address, or search by name"));
        }
    }

    fn search_key(&mut self, key: KeyEvent, cx: &mut Cx<'_>) -> bool {
        match key.code {
            KeyCode::Enter | KeyCode::Down | KeyCode::Esc => {
                self.focus = Focus::Results;
                true
            }
            _ => {
                let before = self.search.value().to_owned();
                if !self.search.key(key) {
                    return false;
                }
                if self.search.value() != before {
                    self.cursor = Cursor::default();
                    self.search(None, cx);
                }
                true
            }
        }
    }

    fn act(&mut self, act: Act, cx: &mut Cx<'_>) -> bool {
        match act {
            Act::Filter => self.focus = Focus::Search,
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
            self.attempted = Some(category);
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
        match act {
            Act::ResetPassword => self.task = Some(ResetTask::open(view, cx)),
            Act::Leaver => self.task = Some(LeaverTask::open(view, cx)),
            Act::Joiner => self.task = Some(JoinerTask::open(view)),
            Act::Directory => {
                let hidden = !view.account.mobile_hidden;
                cx.execute(&Command::SetMobileHidden { address, hidden, ticket: None });
            }
            Act::Unlock => {
                cx.execute(&Command::Unlock { address, ticket: None });
            }
            _ => {}
        }
    }

    /// Opens the queue pane's new-ticket form with the request the operator
    /// last tried on this account, so what they may not do now reaches
    /// someone who may.
    fn log_ticket(&mut self, cx: &mut Cx<'_>) {
        let category = self.attempted.unwrap_or(Category::Leaver);
        let account = self.view.as_ref().map(|v| &v.account);
        if account.is_none() && category != Category::NewAccount {
            cx.warn("select the account the request is about first, or log it from the ticket queue");
            return;
        }
        let ticket = request_ticket(category, account, cx.shift.open);
        cx.jump = Some(Jump::NewTicket(Box::new(ticket)));
    }

    /// Why an action cannot be taken on the selected account, whoever asks.
    fn unfit(&self, act: Act) -> Option<String> {
        let Some(view) = &self.view else { return Some("select an account first".to_owned()) };
        let account = &view.account;
        let local = || account.administered_by.require_nas(account.address.as_str()).err().map(|r| r.to_string());
        match (act, account.status) {
            (_, AccountStatus::Deleted) => Some("the account was deleted: only its tombstone remains".to_owned()),
            (Act::ResetPassword, AccountStatus::Leaver) => {
                Some("a leaver's password cannot be reset: a new organisation takes it as a joiner first".to_owned())
            }
            (Act::Leaver, AccountStatus::Leaver) => Some("the account is already marked as a leaver".to_owned()),
            (Act::Unlock, _) if account.locked_at.is_none() => Some("the account is not locked".to_owned()),
            (Act::ResetPassword | Act::Leaver | Act::Unlock, _) => local(),
            _ => None,
        }
    }

    /// A hint for an action on the selected account: disabled when the
    /// operator may not take it now, or the account does not allow it.
    fn account_hint(&self, cx: &Cx<'_>, act: Act, label: &'static str, action: Action) -> Hint {
        let hint = Hint::new(act, label).needs(cx, action);
        match (&hint.disabled, self.unfit(act)) {
            (None, Some(reason)) => hint.disabled_because(reason),
            _ => hint,
        }
    }

    fn draw_search(&mut self, frame: &mut Frame<'_>, area: Rect, view: &View<'_>) {
        self.search_area = area;
        let label = "Search ";
        let [label_area, field] =
            Layout::horizontal([Constraint::Length(label.len() as u16), Constraint::Min(1)]).areas(area);
        let focused = self.focus == Focus::Search;
        frame.render_widget(
            Paragraph::new(label).style(if focused { view.theme.key() } else { Style::new() }),
            label_area,
        );
        if self.search.value().is_empty() && !focused {
            let hint = "/ name, address, mobile or ODS code";
            frame.render_widget(Paragraph::new(hint).style(view.theme.dim()), field);
        } else {
            self.search.draw(frame, field, Style::new(), focused && view.focused && self.task.is_none());
        }
    }

    fn draw_results(&mut self, frame: &mut Frame<'_>, area: Rect, theme: Theme) {
        if self.found.is_empty() {
            self.rows_area = Rect::default();
            let text = if self.search.value().trim().is_empty() {
                "type / and a name, address, mobile or ODS code".to_owned()
            } else {
                format!("no account matches {:?}", clean(self.search.value().trim()))
            };
            frame.render_widget(Paragraph::new(text).style(theme.dim()).wrap(Wrap { trim: true }), area);
            return;
        }
        self.rows_area = Rect { y: area.y + 1, height: area.height.saturating_sub(1), ..area };
        let two_lines = self.row_height > 1;
        let shown = usize::from(self.rows_area.height / self.row_height.max(1));
        let range = self.cursor.window(self.found.len(), shown);
        let status_width = self.found.iter().map(|a| status_word(a).len()).max().unwrap_or(0);
        let ods_width = self.found.iter().map(|a| a.ods.as_str().len()).max().unwrap_or(0).max(3);
        let rows = self.found[range.clone()].iter().zip(range).map(|(a, i)| {
            let style = if i == self.cursor.selected { theme.selected() } else { Style::new() };
            let name = clean(&a.display_name()).into_owned();
            let cells = if two_lines {
                vec![
                    Cell::from(Text::from(vec![Line::from(name), Line::from(a.address.to_string())])),
                    Cell::from(Text::from(vec![Line::from(status_word(a)), Line::from(a.ods.to_string())])),
                ]
            } else {
                vec![
                    Cell::from(name),
                    Cell::from(a.address.to_string()),
                    Cell::from(status_word(a)),
                    Cell::from(a.ods.to_string()),
                ]
            };
            Row::new(cells).height(self.row_height).style(style)
        });
        let table = if two_lines {
            let widths = [Constraint::Fill(1), Constraint::Length(status_width.max(ods_width) as u16)];
            Table::new(rows, widths).header(Row::new(["Name, address", "Status"]).style(theme.title()))
        } else {
            let widths = [
                Constraint::Fill(2),
                Constraint::Fill(3),
                Constraint::Length(status_width as u16),
                Constraint::Length(ods_width as u16),
            ];
            Table::new(rows, widths).header(Row::new(["Name", "Address", "Status", "ODS"]).style(theme.title()))
        };
        frame.render_widget(table.column_spacing(1), area);
    }

    fn draw_details(&self, frame: &mut Frame<'_>, area: Rect, view: &View<'_>) {
        let Some(account) = &self.view else { return };
        let mailboxes = self.mailboxes();
        let selected = (self.focus == Focus::Mailboxes).then_some(self.mailbox);
        let how = DetailStyle { theme: view.theme, now: view.now, reveal: self.reveal, width: usize::from(area.width) };
        let lines = details(account, &mailboxes, selected, &how);
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
    }
}

/// The ticket category of the request behind an account action.
fn requested(act: Act) -> Option<Category> {
    Some(match act {
        Act::ResetPassword => Category::PasswordReset,
        Act::Leaver => Category::Leaver,
        Act::Joiner => Category::Move,
        Act::NewAccount => Category::NewAccount,
        Act::Directory => Category::DirectoryVisibility,
        Act::Unlock => Category::Unlock,
        _ => return None,
    })
}

/// A ticket for a request about `account` (a new account is about someone
/// who has none yet, so it names only the organisation).
fn request_ticket(category: Category, account: Option<&Account>, in_hours: bool) -> NewTicket {
    let what = match category {
        Category::PasswordReset => "Password reset",
        Category::Leaver => "Leaver",
        Category::Move => "Move",
        Category::NewAccount => "New account",
        Category::DirectoryVisibility => "Directory visibility",
        Category::Unlock => "Unlock",
        _ => "Enquiry",
    };
    let when = if in_hours { "" } else { " out of hours" };
    let person = account.filter(|_| category != Category::NewAccount);
    let (subject, about) = match (person, account) {
        (Some(a), _) => (
            format!("{what}: {}", a.address),
            format!("{} for {} ({}, {})", category.label(), a.address, a.display_name(), a.ods),
        ),
        (None, Some(a)) => (format!("{what} at {}", a.ods), format!("{} at {}", category.label(), a.ods)),
        (None, None) => (what.to_owned(), category.label().to_owned()),
    };
    NewTicket {
        category,
        channel: Channel::Phone,
        received_at: None,
        requester_name: person.map(Account::display_name).unwrap_or_default(),
        requester_email: None,
        requester_phone: None,
        ods: account.map(|a| a.ods.to_string()),
        account: person.map(|a| a.address.to_string()),
        mailbox: None,
        mailbox_name: None,
        subject,
        body: format!("Logged{when} from the account pane: {about}."),
        incomplete: false,
    }
}

impl Pane for AccountPane {
    fn refresh(&mut self, cx: &mut Cx<'_>) {
        if !self.search.value().trim().is_empty() {
            self.search(None, cx);
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
            Focus::Mailboxes => hints.insert(0, Hint::new(Act::Open, "open mailbox")),
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
            task.draw(frame, full, view.theme);
        }
    }

    fn unsaved(&self) -> bool {
        self.task.as_ref().is_some_and(Task::unsaved)
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

    fn jump(&mut self, jump: &Jump, cx: &mut Cx<'_>) -> bool {
        match jump {
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

// ---------------------------------------------------------------------------
// What the details say.

/// What the details of an account are drawn with.
struct DetailStyle {
    theme: Theme,
    now: DateTime<Utc>,
    reveal: bool,
    /// The inner width, for wrapping each value under its own column.
    width: usize,
}

/// The selected account in words: who, where it stands, how to reach them.
/// `selected` is the highlighted entry of `mailboxes`.
fn details(
    view: &AccountView,
    mailboxes: &[(String, bool)],
    selected: Option<usize>,
    how: &DetailStyle,
) -> Vec<Line<'static>> {
    let (account, theme, now) = (&view.account, how.theme, how.now);
    let mut sheet = Sheet { lines: Vec::new(), width: how.width };
    sheet.lines.push(Line::styled(clean(&account.display_name()).into_owned(), theme.title()));
    sheet.lines.push(Line::from(account.address.to_string()));
    let status = match &view.next {
        Some(next) => format!("{}: {}", account.status.label(), next_in_words(next, now)),
        None => account.status.label().to_owned(),
    };
    let calm = matches!(account.status, AccountStatus::Active | AccountStatus::PendingActivation);
    sheet.row("Status", status, if calm { Style::new() } else { theme.amber() });
    if let Some(at) = account.locked_at {
        sheet.row("Locked", format!("since {}", when(at, now)), theme.red());
    }
    match &view.organisation {
        Some(org) => {
            sheet.row("Org", format!("{} ({})", clean(&org.name), org.ods), Style::new());
            sheet.row("", format!("administered by {}", org.administered_by.describe()), Style::new());
            if let Err(refusal) = org.may_hold_accounts() {
                sheet.row("", refusal.to_string(), theme.amber());
            }
            if org.administered_by != account.administered_by {
                sheet.row("", format!("this account: {}", account.administered_by.describe()), theme.amber());
            }
        }
        None => sheet.row("Org", format!("{} (not on record)", account.ods), theme.amber()),
    }
    if let Some(mobile) = account.mobile() {
        let shown = if how.reveal { mobile.to_string() } else { mobile.masked() };
        let directory =
            if account.mobile_hidden { "hidden from the NHS Directory" } else { "shown in the NHS Directory" };
        sheet.row("Mobile", format!("{shown} · {directory}"), Style::new());
    }
    let login = account.last_login_at.map_or_else(|| "never".to_owned(), |at| when(at, now));
    sheet.row("Last login", login, Style::new());
    sheet.row("Password", password_words(account, now), Style::new());
    if mailboxes.is_empty() {
        sheet.row("Mailboxes", "none".to_owned(), theme.dim());
    }
    for (i, (address, owner)) in mailboxes.iter().enumerate() {
        let style = if selected == Some(i) { theme.selected() } else { Style::new() };
        let role = if *owner { "owner" } else { "member" };
        sheet.row(if i == 0 { "Mailboxes" } else { "" }, format!("{address} ({role})"), style);
    }
    if !view.tickets.is_empty() {
        let refs: Vec<String> = view.tickets.iter().map(ToString::to_string).collect();
        sheet.row("Tickets", refs.join(", "), Style::new());
    }
    sheet.lines
}

/// Labelled lines whose values wrap under their own column, so the labels
/// stay readable in a narrow pane.
struct Sheet {
    lines: Vec<Line<'static>>,
    width: usize,
}

impl Sheet {
    fn row(&mut self, label: &str, value: String, style: Style) {
        let width = self.width.saturating_sub(LABEL).max(10);
        for (i, part) in wrap_words(&value, width).into_iter().enumerate() {
            let label = if i == 0 { label } else { "" };
            self.lines.push(Line::from(vec![Span::raw(format!("{label:<LABEL$}")), Span::styled(part, style)]));
        }
    }
}

/// Form notes broken into lines that fit a form on an 80-column screen:
/// a form makes room for as many lines as it has notes, however they wrap.
fn fit(notes: Vec<Line<'static>>) -> Vec<Line<'static>> {
    notes
        .into_iter()
        .flat_map(|line| {
            let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
            wrap_words(&text, NOTE_WIDTH).into_iter().map(Line::from)
        })
        .collect()
}

/// Splits `text` at spaces into lines of at most `width` characters (a
/// longer word gets a line of its own).
fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split(' ') {
        let line = lines.last_mut().expect("there is always a line");
        let used = line.chars().count();
        if used > 0 && used + 1 + word.chars().count() > width {
            lines.push(word.to_owned());
        } else {
            if used > 0 {
                line.push(' ');
            }
            line.push_str(word);
        }
    }
    lines
}

fn password_words(account: &Account, now: DateTime<Utc>) -> String {
    match (account.must_change_password, account.temp_password_issued_at, account.password_changed_at) {
        (true, Some(issued), _) => format!("temporary, issued {}; to be changed at next login", when(issued, now)),
        (_, _, Some(changed)) => format!("changed {}", when(changed, now)),
        _ => "never changed".to_owned(),
    }
}

/// The next lifecycle step in words, e.g. "inactive in 12 days (no login
/// for 90 days)" or "deleted on 3 Feb unless taken as a joiner".
fn next_in_words(due: &LifecycleDue, now: DateTime<Utc>) -> String {
    let on = day(due.at, now);
    let overdue = due.at <= now;
    match (due.transition, due.reason) {
        (Transition::BecomeInactive, reason) if overdue => {
            format!("inactive since {on} ({}), at the next lifecycle sweep", reason.describe())
        }
        (Transition::BecomeInactive, reason) => {
            let days = (local_date(due.at) - local_date(now)).num_days();
            let at = match days {
                0 => "later today".to_owned(),
                1 => "tomorrow".to_owned(),
                n => format!("in {n} days"),
            };
            format!("inactive {at} ({})", reason.describe())
        }
        (Transition::Delete, _) if overdue => format!("deleted since {on}, at the next lifecycle sweep"),
        (Transition::Delete, DueReason::LeaverNotTaken) => format!("deleted on {on} unless taken as a joiner"),
        (Transition::Delete, _) => format!("deleted on {on} unless the user logs in or has a password reset"),
    }
}

fn local_date(at: DateTime<Utc>) -> chrono::NaiveDate {
    at.with_timezone(&London).date_naive()
}

/// "3 Feb", with the year when it is not this year's.
fn day(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let local = at.with_timezone(&London);
    if local.format("%Y").to_string() == now.with_timezone(&London).format("%Y").to_string() {
        local.format("%-d %b").to_string()
    } else {
        local.format("%-d %b %Y").to_string()
    }
}

/// "3 Feb 14:05" (with the year when it is not this year's), London time.
fn when(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    format!("{} {}", day(at, now), at.with_timezone(&London).format("%H:%M"))
}

/// A short status for the results list.
fn status_word(account: &Account) -> &'static str {
    match account.status {
        AccountStatus::Deleted => "deleted",
        _ if account.locked_at.is_some() => "locked",
        AccountStatus::PendingActivation => "pending",
        status => status.label(),
    }
}

/// How an account is offered in a choice: name and address.
fn person(account: &Account) -> String {
    format!("{} <{}>", account.display_name(), account.address)
}

/// The account whose [`person`] label is chosen in the field `label`.
fn chosen<'a>(form: &Form, label: &str, accounts: &'a [Account]) -> Option<&'a Account> {
    let value = form.value(label);
    accounts.iter().find(|a| person(a) == value)
}

/// The ticket typed in a form's Ticket field, if any.
fn ticket_field(form: &Form) -> Result<Option<TicketRef>, String> {
    form.optional("Ticket")
        .map(|t| t.parse::<TicketRef>().map_err(|e| format!("{e}: give a reference like CD-000123, or leave it empty")))
        .transpose()
}

fn delivery_words(delivery: &Delivery) -> String {
    match delivery {
        Delivery::KeptInOutbox => "kept in the outbox (no SMS gateway is configured)".to_owned(),
        Delivery::Queued => "queued for the SMS gateway".to_owned(),
        Delivery::Sent => "sent".to_owned(),
        Delivery::Failed { reason } => format!("NOT sent ({reason}): reset again once the gateway works"),
    }
}

/// What the desk knows of the organisation with this code, in one line for
/// a form's notes; nothing while the code is still being typed.
fn organisation_note(cx: &Cx<'_>, ods: &str) -> Option<Line<'static>> {
    let ods = OdsCode::parse(ods).ok()?;
    let line = match cx.desk.query(&Query::Organisation { ods: ods.to_string() }) {
        Ok(Reply::Organisation(org)) => match org.may_hold_accounts() {
            Ok(()) => Line::from(format!(
                "{} ({}), administered by {}",
                clean(&org.name),
                org.ods,
                org.administered_by.describe()
            )),
            Err(refusal) => Line::from(refusal.to_string()),
        },
        Ok(_) => return None,
        Err(e) => Line::from(e.to_string()),
    };
    Some(line)
}

// ---------------------------------------------------------------------------
// Tasks: a form, perhaps a confirmation, perhaps a result to read.

/// An account task open over the screen.
struct Task {
    kind: TaskKind,
    form: Form,
    stage: Stage,
}

enum Stage {
    Filling,
    /// The command spelled out; Enter runs it, Esc goes back to the form.
    Confirming {
        command: Box<Command>,
        lines: Vec<Line<'static>>,
    },
    /// What the command did, to read before closing.
    Done {
        lines: Vec<Line<'static>>,
    },
}

enum TaskKind {
    Reset(ResetTask),
    Leaver(LeaverTask),
    Joiner(JoinerTask),
    NewAccount(NewAccountTask),
}

/// What a key in a task leads to, for the pane.
enum Flow {
    /// The task did not use the key.
    Unused,
    Stay,
    Close,
    /// Close and show this account.
    Show(String),
}

/// What submitting a form leads to.
enum Next {
    /// Not ready: the form's error or notes say why.
    Stay,
    Confirm(Command, Vec<Line<'static>>),
    Run(Command),
}

impl Task {
    fn new(kind: TaskKind, form: Form) -> Task {
        Task { kind, form, stage: Stage::Filling }
    }

    fn key(&mut self, key: KeyEvent, cx: &mut Cx<'_>) -> Flow {
        match (std::mem::replace(&mut self.stage, Stage::Filling), key.code) {
            (Stage::Filling, _) => self.fill(key, cx),
            (Stage::Confirming { command, .. }, KeyCode::Enter) => self.run(&command, cx),
            (Stage::Confirming { .. }, KeyCode::Esc) => Flow::Stay,
            (Stage::Done { .. }, KeyCode::Enter | KeyCode::Esc) => Flow::Close,
            (stage, _) => {
                self.stage = stage;
                Flow::Unused
            }
        }
    }

    fn fill(&mut self, key: KeyEvent, cx: &mut Cx<'_>) -> Flow {
        match self.form.key(key) {
            FormEvent::Idle => {}
            FormEvent::Cancel => return Flow::Close,
            FormEvent::Edited(field) => self.kind.edited(&mut self.form, field, cx),
            FormEvent::Submit => match self.kind.submit(&mut self.form, cx) {
                Next::Stay => {}
                Next::Confirm(command, lines) => self.stage = Stage::Confirming { command: Box::new(command), lines },
                Next::Run(command) => return self.run(&command, cx),
            },
        }
        Flow::Stay
    }

    /// Runs the task's command. A refusal goes back to the form with the
    /// service's reason and the input kept.
    fn run(&mut self, command: &Command, cx: &mut Cx<'_>) -> Flow {
        match cx.desk.execute(command) {
            Ok(outcome) => {
                cx.info(outcome.summary.clone());
                cx.changed = true;
                self.finished(outcome, cx)
            }
            Err(e) => {
                cx.changed |= e.is_conflict();
                cx.fail(&e);
                self.stage = Stage::Filling;
                self.form.error = cx.message.as_ref().map(|m| m.text.clone());
                if let TaskKind::NewAccount(task) = &mut self.kind {
                    task.refused(&mut self.form, &e);
                }
                Flow::Stay
            }
        }
    }

    fn finished(&mut self, outcome: Outcome, cx: &mut Cx<'_>) -> Flow {
        match (&self.kind, &outcome.subject) {
            (TaskKind::Reset(_), Subject::PasswordReset(receipt)) => {
                self.stage = Stage::Done { lines: ResetTask::receipt(receipt, cx) };
                Flow::Stay
            }
            (TaskKind::NewAccount(_), Subject::Account(account)) => Flow::Show(account.address.to_string()),
            _ => Flow::Close,
        }
    }

    fn unsaved(&self) -> bool {
        match self.stage {
            Stage::Filling => self.form.dirty(),
            Stage::Confirming { .. } => true,
            Stage::Done { .. } => false,
        }
    }

    fn hints(&self) -> Vec<Hint> {
        match self.stage {
            Stage::Filling => vec![Hint::new(Act::Open, "save"), Hint::new(Act::Back, "cancel")],
            Stage::Confirming { .. } => vec![Hint::new(Act::Open, "confirm"), Hint::new(Act::Back, "back")],
            Stage::Done { .. } => vec![Hint::new(Act::Open, "close")],
        }
    }

    fn draw(&self, frame: &mut Frame<'_>, full: Rect, theme: Theme) {
        match &self.stage {
            Stage::Filling => self.form.draw(frame, full, theme),
            Stage::Confirming { lines, .. } => {
                dialog(frame, full, theme, &self.form.title, lines, "enter confirm · esc back to the form")
            }
            Stage::Done { lines } => dialog(frame, full, theme, &self.form.title, lines, "enter or esc close"),
        }
    }
}

impl TaskKind {
    fn edited(&mut self, form: &mut Form, field: usize, cx: &mut Cx<'_>) {
        match self {
            TaskKind::Reset(task) => task.edited(form, field),
            TaskKind::Joiner(task) => task.edited(form, field, cx),
            TaskKind::NewAccount(task) => task.edited(form, field, cx),
            TaskKind::Leaver(_) => {}
        }
    }

    fn submit(&mut self, form: &mut Form, cx: &mut Cx<'_>) -> Next {
        let next = match self {
            TaskKind::Reset(task) => task.submit(form),
            TaskKind::Leaver(task) => task.submit(form, cx.now()),
            TaskKind::Joiner(task) => task.submit(form),
            TaskKind::NewAccount(task) => Ok(task.submit(form)),
        };
        next.unwrap_or_else(|error| {
            form.error = Some(error);
            Next::Stay
        })
    }
}

/// A box over the screen with lines to read and the keys that leave it.
fn dialog(frame: &mut Frame<'_>, full: Rect, theme: Theme, title: &str, lines: &[Line<'static>], keys: &str) {
    let width = full.width.saturating_sub(4).min(90);
    let inner = usize::from(width.saturating_sub(2)).max(1);
    // Word wrapping can take a few more rows than the characters need.
    let rows: usize = lines.iter().map(|l| l.width().div_ceil(inner.saturating_sub(8).max(1)).max(1)).sum();
    let area = centred(full, width, rows as u16 + 4);
    let mut text = lines.to_vec();
    text.push(Line::default());
    text.push(Line::styled(keys.to_owned(), theme.dim()));
    let block = Block::bordered()
        .title(Span::styled(format!(" {} ", clean(title)), theme.title()))
        .border_style(theme.focused_border());
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(text).block(block).wrap(Wrap { trim: false }), area);
}

// ---------------------------------------------------------------------------
// Password reset: verify the caller, confirm, issue, show where it went.

struct ResetTask {
    account: Account,
    organisation: String,
    /// Owners of the organisation's shared mailboxes other than the caller.
    owners: Vec<Account>,
    /// The owner and mobile fields while another way of verifying is
    /// chosen, so what was typed in them comes back.
    owner_fields: Vec<Field>,
}

impl ResetTask {
    fn open(view: &AccountView, cx: &mut Cx<'_>) -> Task {
        let account = view.account.clone();
        let owners = match cx.desk.mailbox_owners(account.ods.as_str()) {
            Ok(owners) => owners.into_iter().filter(|o| o.id != account.id).collect(),
            Err(e) => {
                cx.fail(&e);
                Vec::new()
            }
        };
        let options = if owners.is_empty() {
            vec!["(nobody else owns one of its shared mailboxes)".to_owned()]
        } else {
            owners.iter().map(person).collect()
        };
        let owner_fields = Form::new("")
            .choice("Owner", options, 0)
            .text("Mobile", "the mobile the owner confirmed for the password", "")
            .fields;
        let organisation = view.organisation.as_ref().map_or_else(|| account.ods.to_string(), |o| o.name.clone());
        let mut task = ResetTask { account, organisation, owners, owner_fields };
        let mut form = Form::new(format!("Reset password: {}", task.account.address))
            .choice("Verified by", VERIFY.map(str::to_owned).to_vec(), 0)
            .text("Ticket", TICKET_HINT, "");
        task.edited(&mut form, 0);
        Task::new(TaskKind::Reset(task), form)
    }

    fn by_owner(form: &Form) -> bool {
        form.value("Verified by") == VERIFY[2]
    }

    /// Shows the owner's fields only when the owner vouches for the caller.
    fn edited(&mut self, form: &mut Form, field: usize) {
        if field == 0 {
            let shown = form.fields.iter().any(|f| f.label == "Owner");
            if Self::by_owner(form) && !shown {
                form.fields.splice(1..1, std::mem::take(&mut self.owner_fields));
            } else if !Self::by_owner(form) && shown {
                self.owner_fields = form.fields.drain(1..3).collect();
            }
        }
        form.notes = fit(self.notes(form));
    }

    fn registered(&self) -> String {
        self.account.mobile().map_or_else(|| "(none)".to_owned(), Mobile::masked)
    }

    fn notes(&self, form: &Form) -> Vec<Line<'static>> {
        let how = match form.value("Verified by") {
            v if v == VERIFY[0] => "The caller answered the security questions on record.".to_owned(),
            v if v == VERIFY[1] => format!("The caller proved they hold the registered mobile {}.", self.registered()),
            _ if self.owners.is_empty() => format!(
                "Nobody else owns a shared mailbox of {}: verify the caller another way, or log a ticket (t).",
                clean(&self.organisation)
            ),
            _ => format!(
                "The owner of a shared mailbox of {} calls the helpdesk, confirms they checked the caller \
                 locally, and confirms the mobile the password goes to.",
                clean(&self.organisation)
            ),
        };
        let to = if Self::by_owner(form) { "the mobile the owner confirms" } else { &self.registered() };
        vec![
            Line::from(how),
            Line::from(format!(
                "A temporary password goes by text to {to}; it is never shown here, and must be changed at \
                 the next login."
            )),
        ]
    }

    fn submit(&self, form: &Form) -> Result<Next, String> {
        let ticket = ticket_field(form)?;
        let name = clean(&self.account.display_name()).into_owned();
        let mut lines = vec![Line::from(format!("Reset the password of {name} <{}>.", self.account.address))];
        let (verified_by, to) = match form.value("Verified by") {
            v if v == VERIFY[0] => {
                lines.push(Line::from("Verified by the security questions."));
                (Verification::SecurityQuestions, self.registered())
            }
            v if v == VERIFY[1] => {
                lines.push(Line::from(format!("Verified by the registered mobile {}.", self.registered())));
                (Verification::RegisteredMobile, self.registered())
            }
            _ => {
                let owner = chosen(form, "Owner", &self.owners).ok_or_else(|| {
                    "there is no other shared mailbox owner to vouch for the caller: choose another way".to_owned()
                })?;
                let mobile = Mobile::parse(form.value("Mobile")).map_err(|e| e.to_string())?;
                lines.push(Line::from(format!(
                    "Verified by {}, owner of a shared mailbox of {}, who checked the caller locally.",
                    clean(&person(owner)),
                    clean(&self.organisation)
                )));
                if self.account.mobile() != Some(&mobile) {
                    lines.push(Line::from(format!(
                        "The registered mobile changes from {} to {}.",
                        self.registered(),
                        mobile.masked()
                    )));
                }
                let verification =
                    Verification::Owner { owner: owner.address.to_string(), mobile: mobile.as_str().to_owned() };
                (verification, mobile.masked())
            }
        };
        lines.push(Line::from(format!("The temporary password goes by text to {to}.")));
        if let Some(t) = ticket {
            lines.push(Line::from(format!("Each step is recorded on {t}.")));
        }
        let command = Command::ResetPassword { address: self.account.address.to_string(), verified_by, ticket };
        Ok(Next::Confirm(command, lines))
    }

    /// Where the temporary password went, and the outbox's masked copy.
    fn receipt(receipt: &ResetReceipt, cx: &mut Cx<'_>) -> Vec<Line<'static>> {
        let mut lines = vec![
            Line::from(format!(
                "Temporary password for {} to {}: {}.",
                receipt.address,
                receipt.sent_to,
                delivery_words(&receipt.delivery)
            )),
            Line::default(),
        ];
        let entry = cx.desk.outbox(OUTBOX_LOOKBACK).map(|o| o.into_iter().find(|m| m.seq == receipt.outbox));
        match entry {
            Ok(Some(message)) => {
                let now = cx.now();
                lines.push(Line::from(format!(
                    "Outbox #{} · {} · to {} · {}",
                    message.seq,
                    when(message.at, now),
                    message.to.masked(),
                    delivery_words(&message.delivery)
                )));
                lines.push(Line::from(format!("“{}”", clean(&message.text))));
            }
            Ok(None) => lines.push(Line::from(format!("Outbox #{} is not among the newest messages.", receipt.outbox))),
            Err(e) => lines.push(Line::from(format!("The outbox could not be read: {e}"))),
        }
        lines.push(Line::default());
        lines.push(Line::from("The password itself is kept nowhere: only the text message carried it."));
        lines
    }
}

// ---------------------------------------------------------------------------
// Leaver: name a new owner for what the account owns, confirm, mark.

struct LeaverTask {
    account: Account,
    owns: Vec<String>,
    member_of: Vec<String>,
    /// Who may take over the account's mailboxes: their members first,
    /// then the rest of the organisation.
    candidates: Vec<Account>,
}

impl LeaverTask {
    fn open(view: &AccountView, cx: &mut Cx<'_>) -> Task {
        let account = view.account.clone();
        let candidates = if view.owns.is_empty() { Vec::new() } else { Self::candidates(view, cx) };
        let task = LeaverTask { account, owns: view.owns.clone(), member_of: view.member_of.clone(), candidates };
        let mut form = Form::new(format!("Mark leaver: {}", task.account.address));
        if !task.owns.is_empty() {
            let options = if task.candidates.is_empty() {
                vec!["(nobody suitable: type an address below)".to_owned()]
            } else {
                task.candidates.iter().map(person).collect()
            };
            form = form.choice("New owner", options, 0).text(
                "Or address",
                &format!("another account of {} to own the mailbox", task.account.ods),
                "",
            );
        }
        form = form.text("Ticket", TICKET_HINT, "");
        form.notes = fit(task.notes(cx.now()));
        Task::new(TaskKind::Leaver(task), form)
    }

    fn candidates(view: &AccountView, cx: &mut Cx<'_>) -> Vec<Account> {
        let mut found: Vec<Account> = Vec::new();
        for mailbox in &view.owns {
            match cx.desk.mailbox(mailbox) {
                Ok(m) => found.extend(m.members),
                Err(e) => cx.fail(&e),
            }
        }
        match cx.desk.find_accounts(view.account.ods.as_str(), CANDIDATES) {
            Ok(more) => found.extend(more),
            Err(e) => cx.fail(&e),
        }
        let mut seen = std::collections::HashSet::new();
        found.retain(|a| {
            a.id != view.account.id && a.ods == view.account.ods && check_owner(a).is_ok() && seen.insert(a.id)
        });
        found
    }

    fn deleted_on(&self, now: DateTime<Utc>) -> String {
        day(now + Duration::days(LEAVER_DELETED_AFTER_DAYS), now)
    }

    fn notes(&self, now: DateTime<Utc>) -> Vec<Line<'static>> {
        let mut lines = Vec::new();
        if !self.owns.is_empty() {
            lines.push(Line::from(format!(
                "{} owns {}: name who takes over before the account is marked.",
                clean(&self.account.display_name()),
                self.owns.join(", ")
            )));
        }
        lines.extend(self.leaving_lines(now));
        lines
    }

    fn leaving_lines(&self, now: DateTime<Utc>) -> Vec<Line<'static>> {
        let mut lines = Vec::new();
        if !self.member_of.is_empty() {
            lines.push(Line::from(format!("Removed from {}.", self.member_of.join(", "))));
        }
        lines.push(Line::from(format!(
            "Deleted on {} unless a new organisation takes the account as a joiner first.",
            self.deleted_on(now)
        )));
        lines
    }

    fn submit(&self, form: &Form, now: DateTime<Utc>) -> Result<Next, String> {
        let ticket = ticket_field(form)?;
        let new_owner = if self.owns.is_empty() {
            None
        } else {
            let typed = form.optional("Or address");
            let picked = chosen(form, "New owner", &self.candidates).map(|a| a.address.to_string());
            Some(typed.or(picked).ok_or_else(|| {
                format!("type the address of the account of {} that will own the mailbox", self.account.ods)
            })?)
        };
        let mut lines = vec![Line::from(format!(
            "Mark {} <{}> as a leaver.",
            clean(&self.account.display_name()),
            self.account.address
        ))];
        if let Some(owner) = &new_owner {
            for mailbox in &self.owns {
                lines.push(Line::from(format!("{mailbox} passes to {}.", clean(owner))));
            }
        }
        lines.extend(self.leaving_lines(now));
        if let Some(t) = ticket {
            lines.push(Line::from(format!("Each step is recorded on {t}.")));
        }
        let command = Command::MarkLeaver { address: self.account.address.to_string(), new_owner, ticket };
        Ok(Next::Confirm(command, lines))
    }
}

// ---------------------------------------------------------------------------
// Joiner or move: the organisation taking the account, and its mailboxes.

struct JoinerTask {
    address: String,
    /// What the form says before any organisation is typed.
    intro: Vec<Line<'static>>,
}

impl JoinerTask {
    fn open(view: &AccountView) -> Task {
        let account = &view.account;
        let mut intro = vec![Line::from(format!(
            "{} keeps the address {} and leaves the shared mailboxes of {}.",
            clean(&account.display_name()),
            account.address,
            account.ods
        ))];
        if !view.owns.is_empty() {
            intro.push(Line::from(format!(
                "It owns {}: give those a new owner in the shared mailbox pane first.",
                view.owns.join(", ")
            )));
        }
        let mut form = Form::new(format!("Joiner or move: {}", account.address))
            .text("ODS code", "of the organisation taking the account", "")
            .text("Mailboxes", "its shared mailboxes to join, separated by commas (optional)", "")
            .text("Ticket", TICKET_HINT, "");
        form.notes = fit(intro.clone());
        Task::new(TaskKind::Joiner(JoinerTask { address: account.address.to_string(), intro }), form)
    }

    /// Says which organisation the typed code is, and which shared
    /// mailboxes it has to join.
    fn edited(&self, form: &mut Form, field: usize, cx: &mut Cx<'_>) {
        if form.fields.get(field).is_none_or(|f| f.label != "ODS code") {
            return;
        }
        form.notes = fit(self.intro.clone());
        let ods = form.value("ODS code").trim().to_owned();
        let Some(line) = organisation_note(cx, &ods) else { return };
        form.notes.extend(fit(vec![line]));
        let names: Vec<String> =
            cx.desk.find_mailboxes(&ods, 8).unwrap_or_default().iter().map(|m| m.address.to_string()).collect();
        if !names.is_empty() {
            form.notes.extend(fit(vec![Line::from(format!("Its shared mailboxes: {}", names.join(", ")))]));
        }
    }

    fn submit(&self, form: &Form) -> Result<Next, String> {
        let ticket = ticket_field(form)?;
        let ods = form.optional("ODS code").ok_or("type the ODS code of the organisation taking the account")?;
        let mailboxes =
            form.value("Mailboxes").split(',').map(str::trim).filter(|m| !m.is_empty()).map(str::to_owned).collect();
        Ok(Next::Run(Command::Joiner { address: self.address.clone(), ods, mailboxes, ticket }))
    }
}

// ---------------------------------------------------------------------------
// New account: likely duplicates shown while typing; saving anyway only
// after they were seen.

#[derive(Default)]
struct NewAccountTask {
    /// Accounts with the typed name.
    duplicates: Vec<Account>,
    /// The account that already has the typed mobile.
    holder: Option<Account>,
    organisation: Option<Line<'static>>,
    /// The duplicates were shown and Enter pressed: the next Enter creates
    /// the account as not a duplicate.
    armed: bool,
}

impl NewAccountTask {
    fn open() -> Task {
        let form = Form::new("New account")
            .text("First name", "", "")
            .text("Last name", "", "")
            .text("Mobile", "UK mobile, e.g. 07700 900123", "")
            .text("ODS code", "of the organisation", "")
            .text("Email", "the personal email given at registration", "");
        Task::new(TaskKind::NewAccount(NewAccountTask::default()), form)
    }

    fn edited(&mut self, form: &mut Form, field: usize, cx: &mut Cx<'_>) {
        self.armed = false;
        match form.fields.get(field).map(|f| f.label.as_str()) {
            Some("First name" | "Last name") => {
                let (first, last) = (form.value("First name").trim(), form.value("Last name").trim());
                self.duplicates = if first.is_empty() || last.is_empty() {
                    Vec::new()
                } else {
                    let found = cx.desk.find_accounts(&format!("{last}, {first}"), DUPLICATES).unwrap_or_default();
                    found.into_iter().filter(|a| a.status != AccountStatus::Deleted).collect()
                };
            }
            Some("Mobile") => {
                self.holder = Mobile::parse(form.value("Mobile"))
                    .ok()
                    .and_then(|m| cx.desk.find_accounts(m.as_str(), 1).ok())
                    .and_then(|found| found.into_iter().next());
            }
            Some("ODS code") => self.organisation = organisation_note(cx, form.value("ODS code")),
            _ => {}
        }
        form.notes = fit(self.notes());
    }

    fn notes(&self) -> Vec<Line<'static>> {
        let mut lines = Vec::new();
        if !self.duplicates.is_empty() {
            lines.push(Line::from("This person may already have an account:"));
            for a in &self.duplicates {
                lines.push(Line::from(format!(
                    "· {} <{}> {} {}",
                    clean(&a.display_name()),
                    a.address,
                    a.ods,
                    a.status.label()
                )));
            }
        }
        if let Some(holder) = &self.holder {
            lines.push(Line::from(format!(
                "The mobile is already registered to {} <{}>: a person has one account.",
                clean(&holder.display_name()),
                holder.address
            )));
        }
        lines.extend(self.organisation.clone());
        if self.armed {
            lines.push(Line::from("Enter again creates the account anyway, recorded as not a duplicate."));
        }
        lines
    }

    fn submit(&mut self, form: &mut Form) -> Next {
        if !self.armed && !self.duplicates.is_empty() {
            self.armed = true;
            form.notes = fit(self.notes());
            return Next::Stay;
        }
        Next::Run(Command::CreateAccount {
            first: form.value("First name").to_owned(),
            last: form.value("Last name").to_owned(),
            mobile: form.value("Mobile").to_owned(),
            ods: form.value("ODS code").to_owned(),
            email: form.value("Email").to_owned(),
            not_duplicate: self.armed,
        })
    }

    /// The service found likely duplicates the name search did not (the
    /// same registration email): show them, and let Enter save anyway.
    fn refused(&mut self, form: &mut Form, error: &ServiceError) {
        if let ServiceError::Refused(Refusal::PossibleDuplicates { matches }) = error {
            self.armed = true;
            form.error = Some(format!(
                "this person may already have an account: {}; check with the caller, and press enter again if \
                 this is someone else",
                matches.join(", ")
            ));
            form.notes = fit(self.notes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    #[test]
    fn the_next_lifecycle_step_reads_as_words() {
        let now = at("2026-11-23T10:30:00Z");
        let cases = [
            (
                Transition::BecomeInactive,
                DueReason::NoLogin,
                "2026-12-05T09:00:00Z",
                "inactive in 12 days (no login for 90 days)",
            ),
            (
                Transition::BecomeInactive,
                DueReason::NoPasswordChange,
                "2026-11-24T08:00:00Z",
                "inactive tomorrow (password not changed for 90 days)",
            ),
            (
                Transition::BecomeInactive,
                DueReason::NoLogin,
                "2026-11-23T18:00:00Z",
                "inactive later today (no login for 90 days)",
            ),
            (
                Transition::BecomeInactive,
                DueReason::NoLogin,
                "2026-11-20T18:00:00Z",
                "inactive since 20 Nov (no login for 90 days), at the next lifecycle sweep",
            ),
            (
                Transition::Delete,
                DueReason::LeaverNotTaken,
                "2027-02-03T10:00:00Z",
                "deleted on 3 Feb 2027 unless taken as a joiner",
            ),
            (
                Transition::Delete,
                DueReason::InactiveTooLong,
                "2026-12-01T10:00:00Z",
                "deleted on 1 Dec unless the user logs in or has a password reset",
            ),
            (
                Transition::Delete,
                DueReason::LeaverNotTaken,
                "2026-11-01T10:00:00Z",
                "deleted since 1 Nov, at the next lifecycle sweep",
            ),
        ];
        for (transition, reason, due, want) in cases {
            let due = LifecycleDue { transition, at: at(due), reason };
            assert_eq!(next_in_words(&due, now), want, "{due:?}");
        }
    }

    #[test]
    fn a_logged_request_names_the_account_unless_it_is_for_a_new_one() {
        let ticket = request_ticket(Category::Move, None, false);
        assert_eq!(ticket.subject, "Move");
        assert_eq!(ticket.account, None);
        assert!(ticket.body.starts_with("Logged out of hours from the account pane"), "{}", ticket.body);
        assert_eq!(requested(Act::Joiner), Some(Category::Move));
        assert_eq!(requested(Act::Reveal), None);
    }
}
