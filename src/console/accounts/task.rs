//! Tasks: a form, perhaps a confirmation, perhaps a result to read. The
//! machinery each account task (reset, leaver, joiner, new account) runs
//! in, and the pieces of a task's form they share.
//!
//! A task changes nothing itself: its command goes to the desk, and a
//! refusal brings the form back with the input kept.

use ratatui::Frame;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::details::{status_word, wrap_words};
use super::joiner::JoinerTask;
use super::leaver::LeaverTask;
use super::new_account::NewAccountTask;
use super::reset::ResetTask;
use crate::console::form::{Form, FormEvent, UNAVAILABLE};
use crate::console::keymap::{Act, KeyMap, Scope};
use crate::console::pane::{Cx, Hint, centred};
use crate::console::text::clean;
use crate::console::theme::Theme;
use crate::desk::DeskExt;
use crate::domain::account::Account;
use crate::domain::ticket::TicketRef;
use crate::domain::validate::OdsCode;
use crate::service::ops::{ShowAccount, ShowOrganisation};
use crate::service::{Answer, Request};

/// The widest a form's note line is made, so it fits an 80-column screen.
const NOTE_WIDTH: usize = 72;

pub(super) const TICKET_HINT: &str = "CD-000123 to record the steps on it (optional)";

/// An account task open over the screen.
pub(super) struct Task {
    kind: TaskKind,
    form: Form,
    stage: Stage,
    /// The revision of the account the task was opened on.
    based_on: Option<u64>,
    /// The account as the task last saw it, to say what a colleague
    /// changed when saving is refused because they changed it first.
    account: Option<Account>,
}

enum Stage {
    Filling,
    /// The command spelled out; Enter runs it, Esc goes back to the form.
    Confirming {
        command: Box<Request>,
        lines: Vec<Line<'static>>,
    },
    /// What the command did, to read before closing.
    Done {
        lines: Vec<Line<'static>>,
    },
}

pub(super) enum TaskKind {
    Reset(ResetTask),
    Leaver(LeaverTask),
    Joiner(JoinerTask),
    NewAccount(NewAccountTask),
}

/// What a key in a task leads to, for the pane.
pub(super) enum Flow {
    /// The task did not use the key.
    Unused,
    Stay,
    Close,
    /// Close and show this account.
    Show(String),
}

/// What submitting a form leads to.
pub(super) enum Next {
    /// Not ready: the form's error or notes say why.
    Stay,
    Confirm(Request, Vec<Line<'static>>),
    Run(Request),
}

impl Task {
    /// The address of the account the task changes; `None` for a new one.
    pub(super) fn on_account(&self) -> Option<String> {
        self.account.as_ref().map(|a| a.address.to_string())
    }

    pub(super) fn new(kind: TaskKind, form: Form) -> Task {
        Task { kind, form, stage: Stage::Filling, based_on: None, account: None }
    }

    /// Saving is refused if `account` changed after the task was opened.
    pub(super) fn based_on(mut self, account: &Account) -> Task {
        self.based_on = Some(account.meta.rev);
        self.account = Some(account.clone());
        self
    }

    pub(super) fn key(&mut self, key: KeyEvent, cx: &mut Cx<'_>) -> Flow {
        match (std::mem::replace(&mut self.stage, Stage::Filling), cx.keymap.action(&key, Scope::Form)) {
            (Stage::Filling, _) => self.fill(key, cx),
            (Stage::Confirming { command, .. }, Some(Act::Save)) => self.run(*command, cx),
            (Stage::Confirming { .. }, Some(Act::Cancel)) => Flow::Stay,
            (Stage::Done { .. }, Some(Act::Save | Act::Cancel)) => Flow::Close,
            (stage, _) => {
                self.stage = stage;
                Flow::Unused
            }
        }
    }

    fn fill(&mut self, key: KeyEvent, cx: &mut Cx<'_>) -> Flow {
        match self.form.key(key, cx.keymap) {
            FormEvent::Idle => {}
            FormEvent::Cancel => return Flow::Close,
            FormEvent::Edited(field) => self.kind.edited(&mut self.form, field, cx),
            FormEvent::Submit => match self.kind.submit(&mut self.form, cx) {
                Next::Stay => {}
                Next::Confirm(command, lines) => self.stage = Stage::Confirming { command: Box::new(command), lines },
                Next::Run(command) => return self.run(command, cx),
            },
        }
        Flow::Stay
    }

    /// Runs the task's command. A refusal goes back to the form with the
    /// service's reason and the input kept.
    fn run(&mut self, change: Request, cx: &mut Cx<'_>) -> Flow {
        match cx.try_submit(change, self.based_on) {
            Ok(answer) => self.finished(answer, cx),
            Err(e) => {
                self.stage = Stage::Filling;
                // Refusals quote names and organisations as they were typed.
                self.form.error = cx.message.as_ref().map(|m| clean(&m.text).into_owned());
                if let TaskKind::NewAccount(task) = &mut self.kind {
                    task.refused(&mut self.form, &e);
                }
                // A refusal may come of a colleague's change: a conflict,
                // or a rule their change now breaks.
                if !e.is_unavailable() {
                    self.rebase(cx);
                }
                Flow::Stay
            }
        }
    }

    /// After a refusal: if a colleague changed the account since the task
    /// last read it, says what they changed and bases the next save on
    /// their revision with the operator's input kept; unless their change
    /// means the task can no longer be done, which is said instead.
    fn rebase(&mut self, cx: &mut Cx<'_>) {
        let Some(old) = self.account.take() else { return };
        let fresh = match cx.desk.call(ShowAccount { address: old.address.to_string() }) {
            Ok(view) if view.account.meta.rev != old.meta.rev => view.account,
            // Unchanged, or unreadable: the refusal already says why.
            _ => {
                self.account = Some(old);
                return;
            }
        };
        let changed_by = fresh.meta.changed_by.clone();
        let changes = account_changes(&old, &fresh);
        let changes = if changes.is_empty() { "nothing the form shows".to_owned() } else { changes.join("; ") };
        let who = clean(&changed_by).into_owned();
        self.form.error = Some(match self.kind.still_possible(&fresh, cx.now()) {
            Ok(()) => format!(
                "{who} changed {} first ({changes}). Your input is kept: {} saves it on top of their change.",
                fresh.address,
                cx.keymap.key_label(Act::Save)
            ),
            Err(why) => format!("{who} changed {} first ({changes}), so this cannot be done now: {why}", fresh.address),
        });
        self.based_on = Some(fresh.meta.rev);
        self.kind.rebase(&fresh);
        self.account = Some(fresh);
    }

    fn finished(&mut self, answer: Answer, cx: &mut Cx<'_>) -> Flow {
        match (&self.kind, &answer) {
            (TaskKind::Reset(_), Answer::ResetPassword(done)) => {
                self.stage = Stage::Done { lines: ResetTask::receipt(&done.record, cx) };
                Flow::Stay
            }
            (TaskKind::NewAccount(_), Answer::CreateAccount(done)) => Flow::Show(done.record.address.to_string()),
            _ => Flow::Close,
        }
    }

    pub(super) fn unsaved(&self) -> bool {
        match self.stage {
            Stage::Filling => self.form.dirty(),
            Stage::Confirming { .. } => true,
            Stage::Done { .. } => false,
        }
    }

    pub(super) fn hints(&self) -> Vec<Hint> {
        match self.stage {
            Stage::Filling => vec![Hint::new(Act::Open, "save"), Hint::new(Act::Back, "cancel")],
            Stage::Confirming { .. } => vec![Hint::new(Act::Open, "confirm"), Hint::new(Act::Back, "back")],
            Stage::Done { .. } => vec![Hint::new(Act::Open, "close")],
        }
    }

    pub(super) fn draw(&self, frame: &mut Frame<'_>, full: Rect, theme: Theme, keymap: &KeyMap) {
        match &self.stage {
            Stage::Filling => self.form.draw(frame, full, theme, keymap),
            Stage::Confirming { lines, .. } => {
                let keys = format!(
                    "{} confirm · {} back to the form",
                    keymap.key_label(Act::Save),
                    keymap.key_label(Act::Cancel)
                );
                dialog(frame, full, theme, &self.form.title, lines, &keys)
            }
            Stage::Done { lines } => dialog(frame, full, theme, &self.form.title, lines, "enter or esc close"),
        }
    }
}

/// What changed between two revisions of an account, in the operator's
/// words; a changed mobile is said to have changed, never shown.
pub(super) fn account_changes(old: &Account, new: &Account) -> Vec<String> {
    let mut out = Vec::new();
    if old.status != new.status {
        out.push(format!("status {} → {}", old.status.label(), new.status.label()));
    }
    match (old.locked_at.is_some(), new.locked_at.is_some()) {
        (false, true) => out.push("now locked".to_owned()),
        (true, false) => out.push("unlocked".to_owned()),
        _ => {}
    }
    if old.mobile_hidden != new.mobile_hidden {
        let now = if new.mobile_hidden { "hidden from" } else { "shown in" };
        out.push(format!("mobile now {now} the directory"));
    }
    if old.mobile() != new.mobile() {
        out.push("registered mobile changed".to_owned());
    }
    if old.ods != new.ods {
        out.push(format!("organisation {} → {}", old.ods, new.ods));
    }
    if old.administered_by != new.administered_by {
        out.push(format!("now administered by {}", new.administered_by.describe()));
    }
    if old.temp_password_issued_at != new.temp_password_issued_at {
        out.push("a temporary password was issued".to_owned());
    }
    if old.display_name() != new.display_name() {
        out.push(format!("name now {}", clean(&new.display_name())));
    }
    out
}

impl TaskKind {
    /// Whether the account as it now is still allows the task.
    fn still_possible(&self, account: &Account, now: chrono::DateTime<chrono::Utc>) -> Result<(), String> {
        let nas = || account.administered_by.require_nas(account.address.as_str());
        let check = match self {
            TaskKind::Reset(_) => nas().and_then(|()| account.issue_temporary_password("", now).map(drop)),
            TaskKind::Leaver(_) => nas().and_then(|()| account.mark_leaver("", now).map(drop)),
            TaskKind::Joiner(_) => account.refuse_if_gone(),
            TaskKind::NewAccount(_) => Ok(()),
        };
        check.map_err(|refusal| clean(&refusal.to_string()).into_owned())
    }

    /// Carries the account as it now is into the task.
    fn rebase(&mut self, account: &Account) {
        match self {
            TaskKind::Reset(task) => task.rebase(account),
            TaskKind::Leaver(task) => task.rebase(account),
            TaskKind::Joiner(_) | TaskKind::NewAccount(_) => {}
        }
    }

    fn edited(&mut self, form: &mut Form, field: usize, cx: &mut Cx<'_>) {
        match self {
            TaskKind::Reset(task) => task.edited(form, field, cx),
            TaskKind::Joiner(task) => task.edited(form, field, cx),
            TaskKind::NewAccount(task) => task.edited(form, field, cx),
            TaskKind::Leaver(task) => task.edited(form, cx.now()),
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
            form.error = Some(clean(&error).into_owned());
            Next::Stay
        })
    }
}

/// A box over the screen with lines to read and, in its bottom border so a
/// short screen cannot cut them off, the keys that leave it.
fn dialog(frame: &mut Frame<'_>, full: Rect, theme: Theme, title: &str, lines: &[Line<'static>], keys: &str) {
    let width = full.width.saturating_sub(4).min(90);
    let inner = usize::from(width.saturating_sub(2)).max(1);
    // Word wrapping can take a few more rows than the characters need.
    let rows: usize = lines.iter().map(|l| l.width().div_ceil(inner.saturating_sub(8).max(1)).max(1)).sum();
    let area = centred(full, width, u16::try_from(rows).unwrap_or(u16::MAX).saturating_add(2));
    let text = lines.to_vec();
    let block = Block::bordered()
        .title(Span::styled(format!(" {} ", clean(title)), theme.title()))
        .title_bottom(Span::styled(format!(" {keys} "), theme.dim()))
        .border_style(theme.focused_border());
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(text).block(block).wrap(Wrap { trim: false }), area);
}

/// Form notes broken into lines that fit a form on an 80-column screen:
/// a form makes room for as many lines as it has notes, however they wrap.
pub(super) fn fit(notes: Vec<Line<'static>>) -> Vec<Line<'static>> {
    notes
        .into_iter()
        .flat_map(|line| {
            let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
            wrap_words(&text, NOTE_WIDTH).into_iter().map(Line::from)
        })
        .collect()
}

/// How an account is offered in a choice: name and address.
pub(super) fn person(account: &Account) -> String {
    format!("{} <{}>", account.display_name(), account.address)
}

/// How an account is offered in a list to choose a person from: name and
/// address, its status, and why the rules will not take it, if they will
/// not (marked ✗, so it reads as unavailable before it is chosen).
pub(super) fn person_with_state(account: &Account, role: Option<&str>, unfit: Option<&str>) -> String {
    let role = role.map(|r| format!(" · {r}")).unwrap_or_default();
    match unfit {
        Some(why) => format!("{UNAVAILABLE}{} · {}{role}: {why}", person(account), status_word(account)),
        None => format!("{} · {}{role}", person(account), status_word(account)),
    }
}

/// The account whose [`person`] label (or [`person_with_state`] label) is
/// chosen in the field `label`.
pub(super) fn chosen<'a>(form: &Form, label: &str, accounts: &'a [Account]) -> Option<&'a Account> {
    let value = form.value(label);
    let value = value.strip_prefix(UNAVAILABLE).unwrap_or(value);
    accounts.iter().find(|a| {
        let person = person(a);
        value == person || value.strip_prefix(person.as_str()).is_some_and(|rest| rest.starts_with(" · "))
    })
}

/// The ticket typed in a form's Ticket field, if any.
pub(super) fn ticket_field(form: &Form) -> Result<Option<TicketRef>, String> {
    form.optional("Ticket")
        .map(|t| t.parse::<TicketRef>().map_err(|e| format!("{e}: give a reference like CD-000123, or leave it empty")))
        .transpose()
}

/// The confirmation's line saying where the task's steps are recorded,
/// when a ticket was given.
pub(super) fn recorded_on(ticket: Option<&TicketRef>) -> Option<Line<'static>> {
    ticket.map(|t| Line::from(format!("Each step is recorded on {t}.")))
}

/// What the desk knows of the organisation with this code, in one line for
/// a form's notes; nothing while the code is still being typed.
pub(super) fn organisation_note(cx: &Cx<'_>, ods: &str) -> Option<Line<'static>> {
    let ods = OdsCode::parse(ods).ok()?;
    let text = match cx.desk.call(ShowOrganisation { ods: ods.to_string() }) {
        Ok(org) => match org.may_hold_accounts() {
            Ok(()) => format!("{} ({}), administered by {}", org.name, org.ods, org.administered_by.describe()),
            Err(refusal) => refusal.to_string(),
        },
        Err(e) => e.to_string(),
    };
    // Every branch can carry the organisation's name, which is outside text.
    Some(Line::from(clean(&text).into_owned()))
}
