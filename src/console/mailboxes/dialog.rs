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

use super::details::row;
use super::ticket::Attempt;
use super::{Focus, MailboxPane, type_into};
use crate::console::desk::DeskExt;
use crate::console::form::TextField;
use crate::console::keymap::{Act, KeyMap, Scope};
use crate::console::pane::{Cursor, Cx, centred};
use crate::console::text::clean;
use crate::console::theme::Theme;
use crate::domain::account::Account;
use crate::domain::mailbox::{Mailbox, check_member, check_owner};
use crate::domain::refusal::Refusal;
use crate::service::AccountMatch;
use crate::service::ops::{AddMember, ChangeOwner, FindAccounts, RemoveMember};
use crate::service::{MailboxView, Request, ServiceError};

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
    /// The mailbox the choice is for, whose own rules decide who may be chosen.
    mailbox: Option<Mailbox>,
    pub(super) query: TextField,
    found: Vec<Account>,
    cursor: Cursor,
    /// The last refusal, shown until the next edit.
    error: Option<String>,
    /// Esc was pressed once with text typed: a second Esc throws it away.
    discarding: bool,
    /// Rows the list showed when last drawn, for page up and down.
    page: usize,
}

/// A yes/no question before a change that is awkward to undo.
#[derive(Debug, Clone)]
pub(super) struct Confirm {
    question: String,
    change: Request,
    /// The mailbox as it was when the question was asked: the change is
    /// based on its revision, and after a conflict it says what changed.
    mailbox: Box<Mailbox>,
    /// The account the question is about: the member to remove, or the
    /// new owner.
    account: Box<Account>,
    /// What answering no reports.
    kept: String,
    /// The picker the question came from, reopened if the service refuses
    /// so the operator does not type the search again.
    from: Option<Box<Picker>>,
}

#[derive(Debug, Clone)]
pub(super) enum Dialog {
    Pick(Picker),
    Confirm(Confirm),
}

impl Dialog {
    /// What the operator calls it, for saying it was closed.
    pub(super) fn name(&self) -> &'static str {
        match self {
            Dialog::Pick(_) => "account picker",
            Dialog::Confirm(_) => "question",
        }
    }
}

impl Picker {
    /// Why the domain will not take `account` for this choice, in a few
    /// words for a picker row; `None` when it may be chosen.
    fn unsuitable(&self, account: &Account) -> Option<String> {
        let refused = match (self.purpose, &self.mailbox) {
            (Purpose::AddMember, _) => check_member(account),
            (Purpose::NewOwner, Some(mailbox)) => mailbox.check_new_owner(account),
            (Purpose::NewOwner, None) => check_owner(account),
        };
        refused.err().map(|refusal| match refusal {
            Refusal::UnsuitableMember { why, .. } | Refusal::UnsuitableOwner { why, .. } => why,
            other => other.to_string(),
        })
    }
}

impl MailboxPane {
    pub(super) fn picker(&self, purpose: Purpose) -> Picker {
        let found = self.suggestions(purpose);
        Picker {
            purpose,
            mailbox: self.shown.as_ref().map(|v| v.mailbox.clone()),
            query: TextField::default(),
            found,
            cursor: Cursor::default(),
            error: None,
            discarding: false,
            page: 1,
        }
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

    /// A key in the picker. Every key but the global ones it does not use
    /// (help, quit, refresh) stays here, so Tab cannot leave it half done.
    pub(super) fn picker_key(&mut self, mut picker: Picker, key: KeyEvent, cx: &mut Cx<'_>) -> bool {
        let discarding = std::mem::take(&mut picker.discarding);
        let keymap = cx.keymap;
        // The list moves with the global moving keys that are not text.
        let nav = (!matches!(key.code, KeyCode::Char(_)))
            .then(|| keymap.action(&key, Scope::Global))
            .flatten()
            .filter(|act| matches!(act, Act::Up | Act::Down | Act::PageUp | Act::PageDown));
        let nav = match (keymap.action(&key, Scope::Form), nav) {
            (Some(Act::Cancel), _) if picker.query.value().is_empty() || discarding => {
                cx.info("nothing changed");
                return true;
            }
            (Some(Act::Cancel), _) => {
                picker.discarding = true;
                picker.error = Some(format!("press {} again to discard what you typed", keymap.key_label(Act::Cancel)));
                self.dialog = Some(Dialog::Pick(picker));
                return true;
            }
            (Some(Act::Save), _) => {
                self.pick(picker, cx);
                return true;
            }
            (_, Some(act)) => Some(act),
            (Some(Act::NextField | Act::PrevField), None) => {
                cx.info(format!(
                    "{} chooses, {} closes the picker",
                    keymap.key_label(Act::Save),
                    keymap.key_label(Act::Cancel)
                ));
                self.dialog = Some(Dialog::Pick(picker));
                return true;
            }
            _ => None,
        };
        let used = match nav {
            Some(act) => picker.cursor.navigate(act, picker.found.len(), picker.page),
            None => {
                let (used, edited) = type_into(&mut picker.query, key);
                if edited {
                    self.find_accounts(&mut picker, cx);
                }
                used
            }
        };
        if discarding {
            picker.error = None;
        }
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
        match cx.desk.call(FindAccounts { text: query.to_owned(), limit: PICK_LIMIT }).map(AccountMatch::accounts) {
            Ok(found) => {
                // Those the rules allow first, each group in the search's order.
                let (fit, unfit): (Vec<Account>, Vec<Account>) =
                    found.into_iter().partition(|a| picker.unsuitable(a).is_none());
                picker.found = fit.into_iter().chain(unfit).collect();
            }
            Err(e) => {
                picker.found.clear();
                picker.error = Some(e.to_string());
            }
        }
    }

    /// Enter in the picker: add the member now, or ask before changing the
    /// owner. An account the domain will not take, or a refusal from the
    /// service, keeps the picker open with the reason.
    fn pick(&mut self, mut picker: Picker, cx: &mut Cx<'_>) {
        let (Some(view), Some(chosen)) = (&self.shown, picker.found.get(picker.cursor.selected)) else {
            picker.error = Some("nothing chosen: type a name, an address or a mobile number".to_owned());
            self.dialog = Some(Dialog::Pick(picker));
            return;
        };
        let mailbox = view.mailbox.address.to_string();
        let account = chosen.address.to_string();
        self.attempt = Some(match picker.purpose {
            Purpose::AddMember => Attempt::Add(Some(account.clone())),
            Purpose::NewOwner => Attempt::Owner(Some(account.clone())),
        });
        if let Some(why) = picker.unsuitable(chosen) {
            picker.error = Some(format!("{account} cannot be chosen: {why}"));
            self.dialog = Some(Dialog::Pick(picker));
            return;
        }
        match picker.purpose {
            Purpose::AddMember => {
                // Based on the mailbox as it was when the picker opened.
                let based_on = picker.mailbox.as_ref().map(|m| m.meta.rev);
                let result = cx.try_submit(AddMember { mailbox, account: account.clone(), reason: None }, based_on);
                let (done, conflict) = (result.is_ok(), result.as_ref().is_err_and(ServiceError::is_conflict));
                let refusal = cx.message.as_ref().map(|m| m.text.clone());
                self.reload(cx, Some(&account));
                if done {
                    self.focus = Focus::Members;
                } else {
                    picker.error = refusal;
                    if conflict {
                        self.rebase_picker(&mut picker, cx);
                    }
                    self.dialog = Some(Dialog::Pick(picker));
                }
            }
            Purpose::NewOwner => {
                let mut question = owner_question(view, chosen);
                question.from = Some(Box::new(picker));
                self.dialog = Some(Dialog::Confirm(question));
            }
        }
    }

    /// After a conflict (a colleague changed the mailbox since the picker
    /// read it): the picker takes the mailbox as it now is, so the next
    /// Enter is based on their change, and says what they changed; the
    /// service still refuses what their change made wrong.
    fn rebase_picker(&self, picker: &mut Picker, cx: &Cx<'_>) {
        let (Some(old), Some(view)) = (&picker.mailbox, &self.shown) else { return };
        let fresh = &view.mailbox;
        if fresh.meta.rev == old.meta.rev {
            return;
        }
        // In place of the general conflict message, which does not fit.
        picker.error = Some(format!(
            "{}, so nothing was saved: {} adds on top of their change.",
            changed_first(old, fresh),
            cx.keymap.key_label(Act::Save)
        ));
        picker.mailbox = Some(fresh.clone());
    }

    /// After a conflict on a question: the same question about the mailbox
    /// as it now is, saying what the colleague changed, so that the next
    /// yes is based on their change and the operator's choice is kept. A
    /// change of theirs that leaves nothing to do (the member already gone,
    /// the owner already named) is refused by the service, not guessed here.
    fn rebase_confirm(&self, confirm: Confirm) -> Option<Confirm> {
        let view = self.shown.as_ref()?;
        let mut again = match &confirm.change {
            Request::RemoveMember(_) => remove_question(view, &confirm.account),
            Request::ChangeOwner(_) => owner_question(view, &confirm.account),
            _ => return None,
        };
        let first = changed_first(&confirm.mailbox, &view.mailbox);
        again.question = format!("{first}, so nothing was saved. Asked again: {}", again.question);
        again.from = confirm.from;
        Some(again)
    }

    pub(super) fn confirm_key(&mut self, confirm: Confirm, key: KeyEvent, cx: &mut Cx<'_>) {
        match cx.keymap.action(&key, Scope::Form) {
            Some(Act::Yes) => {
                let result = cx.try_submit(confirm.change.clone(), Some(confirm.mailbox.meta.rev));
                let (done, conflict) = (result.is_ok(), result.as_ref().is_err_and(ServiceError::is_conflict));
                let refusal = cx.message.as_ref().map(|m| m.text.clone());
                // A new owner is the member the operator wants to see next.
                let select = match &confirm.change {
                    Request::ChangeOwner(ChangeOwner { owner, .. }) if done => Some(owner.as_str()),
                    _ => None,
                };
                self.reload(cx, select);
                if conflict {
                    self.dialog = self.rebase_confirm(confirm).map(Dialog::Confirm);
                    return;
                }
                // A refusal that a colleague's change brought about (the
                // member already removed, the owner already named) says who.
                let moved = self.shown.as_ref().map(|v| &v.mailbox).filter(|m| m.meta.rev != confirm.mailbox.meta.rev);
                let refusal = match (refusal, moved) {
                    (Some(refusal), Some(fresh)) if !done => {
                        let said = format!("{}: {refusal}", changed_first(&confirm.mailbox, fresh));
                        if let Some(message) = cx.message.as_mut() {
                            message.text.clone_from(&said);
                        }
                        Some(said)
                    }
                    (refusal, _) => refusal,
                };
                if let (false, Some(mut picker)) = (done, confirm.from) {
                    picker.error = refusal;
                    self.dialog = Some(Dialog::Pick(*picker));
                }
            }
            Some(Act::No | Act::Cancel) => cx.info(confirm.kept),
            _ => {
                let (yes, no) = (cx.keymap.key_label(Act::Yes), cx.keymap.key_label(Act::No));
                cx.warn(format!("press {yes} to go ahead, or {no} to leave it as it is"));
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
        change: RemoveMember { mailbox, account: member.address.to_string() }.into(),
        mailbox: Box::new(view.mailbox.clone()),
        account: Box::new(member.clone()),
        kept: format!("{who} is still a member"),
        from: None,
    }
}

fn owner_question(view: &MailboxView, owner: &Account) -> Confirm {
    let mailbox = view.mailbox.address.to_string();
    let chosen = format!("{} ({})", clean(&owner.display_name()), owner.address);
    let (instead, kept) = match &view.owner {
        Some(current) => {
            let current = clean(&current.display_name()).into_owned();
            (format!(" instead of {current}"), format!("the owner of {mailbox} is still {current}"))
        }
        None => (String::new(), format!("{mailbox} still has no owner")),
    };
    Confirm {
        question: format!(
            "Make {chosen} the owner of {mailbox}{instead}? The owner is the helpdesk's contact for the organisation."
        ),
        change: ChangeOwner { mailbox, owner: owner.address.to_string() }.into(),
        mailbox: Box::new(view.mailbox.clone()),
        account: Box::new(owner.clone()),
        kept,
        from: None,
    }
}

/// "nina changed the mailbox first (the owner changed; members 4 → 5)":
/// who changed it since `old` was read, and what they changed.
fn changed_first(old: &Mailbox, fresh: &Mailbox) -> String {
    let mut changes = Vec::new();
    if fresh.owner != old.owner {
        changes.push("the owner changed".to_owned());
    }
    if fresh.member_count != old.member_count {
        changes.push(format!("members {} → {}", old.member_count, fresh.member_count));
    }
    if fresh.display_name != old.display_name {
        changes.push(format!("now named {}", clean(&fresh.display_name)));
    }
    let changes = if changes.is_empty() { String::new() } else { format!(" ({})", changes.join("; ")) };
    format!("{} changed the mailbox first{changes}", clean(&fresh.meta.changed_by))
}

fn popup(frame: &mut Frame<'_>, area: Rect, title: String, theme: Theme) -> Rect {
    frame.render_widget(Clear, area);
    let block = Block::bordered().title(Span::styled(title, theme.title())).border_style(theme.focused_border());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    inner
}

pub(super) fn draw_picker(
    frame: &mut Frame<'_>,
    full: Rect,
    picker: &mut Picker,
    mailbox: &str,
    theme: Theme,
    keymap: &KeyMap,
) {
    let (title, enter) = match picker.purpose {
        Purpose::AddMember => (format!(" Add a member to {mailbox} "), format!("{} add", keymap.key_label(Act::Save))),
        Purpose::NewOwner => (format!(" New owner for {mailbox} "), format!("{} choose", keymap.key_label(Act::Save))),
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
    picker.page = usize::from(list.height);
    let rows = picker.cursor.window(picker.found.len(), picker.page);
    let width = usize::from(list.width);
    let lines: Vec<Line<'static>> = rows
        .map(|i| {
            let a = &picker.found[i];
            row(candidate_text(a, picker, width), width, i == picker.cursor.selected, theme)
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), list);
    if let Some(e) = &picker.error {
        frame
            .render_widget(Paragraph::new(clean(e).into_owned()).style(theme.error()).wrap(Wrap { trim: true }), error);
    }
    let keys = format!(
        "{enter} · {}/{} pick · {} close",
        keymap.key_label(Act::Up),
        keymap.key_label(Act::Down),
        keymap.key_label(Act::Cancel)
    );
    frame.render_widget(Paragraph::new(keys).style(theme.dim()), footer);
}

/// The line under the search: why the highlighted account cannot be
/// chosen, if it cannot, so the operator is not surprised by the refusal;
/// otherwise what the list is.
fn picker_note(picker: &Picker) -> String {
    let highlighted = picker.found.get(picker.cursor.selected);
    if let Some((account, why)) = highlighted.and_then(|a| Some((a, picker.unsuitable(a)?))) {
        return format!("✗ {} cannot be chosen: {why}", account.address);
    }
    match (picker.query.value().trim().is_empty(), picker.found.len()) {
        (true, 0) => "type a name, an address, a mobile number or an ODS code".to_owned(),
        (true, _) => "members of the mailbox; type to search every account".to_owned(),
        (false, 0) => "no account matches".to_owned(),
        (false, n) => format!("{n} found: ✗ marks an account that cannot be chosen"),
    }
}

fn candidate_text(account: &Account, picker: &Picker, width: usize) -> String {
    let mark = if picker.unsuitable(account).is_some() { '✗' } else { ' ' };
    let name_width = (width / 3).clamp(8, 22);
    let name: String = clean(&account.display_name()).chars().take(name_width - 1).collect();
    let status = if account.locked_at.is_some() { "locked" } else { account.status.label() };
    format!("{mark} {name:<name_width$}{}  {}  {status}", account.address, account.ods)
}

/// The question wraps above a key line that is always on screen, however
/// narrow the terminal: the question is useless without the way to answer.
pub(super) fn draw_confirm(frame: &mut Frame<'_>, full: Rect, confirm: &Confirm, theme: Theme, keymap: &KeyMap) {
    let width = full.width.saturating_sub(4).min(64);
    let question = Paragraph::new(confirm.question.clone()).wrap(Wrap { trim: true });
    let rows = wrapped_rows(&confirm.question, usize::from(width.saturating_sub(2)));
    let area = centred(full, width, u16::try_from(rows).unwrap_or(u16::MAX).saturating_add(4));
    let inner = popup(frame, area, " Are you sure? ".to_owned(), theme);
    let [text, keys] = Layout::vertical([Constraint::Min(0), Constraint::Length(1)]).areas(inner);
    frame.render_widget(question, text);
    let keys_line = Line::from(vec![
        Span::styled(keymap.key_label(Act::Yes), theme.key()),
        Span::raw(" go ahead · "),
        Span::styled(keymap.key_label(Act::No), theme.key()),
        Span::raw(" leave it as it is"),
    ]);
    frame.render_widget(Paragraph::new(keys_line), keys);
}

/// How many rows `text` takes when wrapped at word boundaries to `width`.
fn wrapped_rows(text: &str, width: usize) -> usize {
    let width = width.max(1);
    let mut rows = 1;
    let mut used = 0;
    for word in text.split_whitespace() {
        let len = word.chars().count();
        let needed = if used == 0 { len } else { used + 1 + len };
        if needed <= width {
            used = needed;
        } else {
            rows += usize::from(used > 0) + (len.saturating_sub(1)) / width;
            used = (len - 1) % width + 1;
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::wrapped_rows;

    #[test]
    fn the_question_is_measured_as_it_wraps() {
        let cases = [
            ("", 10, 1),
            ("short", 10, 1),
            ("exactly ten", 11, 1),
            ("exactly ten", 10, 2),
            // A word never splits across lines unless it is wider than one.
            ("aaaa bbbb cccc", 9, 2),
            ("aaaaaaaaaaaaaaaaaaaaaaaaa", 10, 3),
            ("x aaaaaaaaaaaaaaaaaaaaaaaaa", 10, 4),
            ("anything", 0, 8),
        ];
        for (text, width, rows) in cases {
            assert_eq!(wrapped_rows(text, width), rows, "{text:?} at {width}");
        }
    }
}
