//! The pane's two dialogs: the picker that finds an account to add as a
//! member or name as owner, and the yes/no question before a change that is
//! awkward to undo.
//!
//! A dialog only gathers the operator's choice and hands the command to the
//! service; whether the change is allowed is still the service's to say, and
//! a refusal is shown with the service's reason rather than guessed at here.

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::MailboxPane;
use super::details::{member_text, row};
use super::ticket::Attempt;
use crate::console::desk::DeskExt;
use crate::console::form::TextField;
use crate::console::keymap::Act;
use crate::console::pane::{Cursor, Cx, centred};
use crate::console::text::clean;
use crate::console::theme::Theme;
use crate::domain::account::Account;
use crate::service::{Command, MailboxView};

/// How many accounts the picker lists.
const PICK_LIMIT: usize = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Purpose {
    AddMember,
    NewOwner,
}

/// A popup that finds an account by typing and picks one with the arrows.
#[derive(Debug, Clone)]
pub(super) struct Picker {
    pub(super) purpose: Purpose,
    pub(super) query: TextField,
    found: Vec<Account>,
    cursor: Cursor,
    /// The service's last refusal, shown until the next edit.
    error: Option<String>,
}

/// A yes/no question before a change that is awkward to undo.
#[derive(Debug, Clone)]
pub(super) struct Confirm {
    question: String,
    command: Command,
    /// What answering no reports.
    kept: String,
}

#[derive(Debug, Clone)]
pub(super) enum Dialog {
    Pick(Picker),
    Confirm(Confirm),
}

impl MailboxPane {
    pub(super) fn picker(&self, purpose: Purpose) -> Picker {
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

    pub(super) fn picker_key(&mut self, mut picker: Picker, key: KeyEvent, cx: &mut Cx<'_>) -> bool {
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

    pub(super) fn confirm_key(&mut self, confirm: Confirm, key: KeyEvent, cx: &mut Cx<'_>) {
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
}

pub(super) fn remove_question(view: &MailboxView, member: &Account) -> Confirm {
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

fn popup(frame: &mut Frame<'_>, area: Rect, title: String, theme: Theme) -> Rect {
    frame.render_widget(Clear, area);
    let block = Block::bordered().title(Span::styled(title, theme.title())).border_style(theme.focused_border());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    inner
}

pub(super) fn draw_picker(frame: &mut Frame<'_>, full: Rect, picker: &mut Picker, mailbox: &str, theme: Theme) {
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

pub(super) fn draw_confirm(frame: &mut Frame<'_>, full: Rect, confirm: &Confirm, theme: Theme) {
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
