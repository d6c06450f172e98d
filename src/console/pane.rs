//! What the three panes share: the context they act in, the hint line they
//! offer, cross-pane jumps, and a scrolling cursor for long lists.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Rect;

use super::desk::Desk;
use super::keymap::{Act, KeyMap};
use super::theme::Theme;
use crate::domain::account::Account;
use crate::domain::permission::{Action, authorise};
use crate::domain::ticket::TicketRef;
use crate::service::ops::CreateTicket;
use crate::service::{Answer, ChangeEvent, Request, ServiceError, ShiftView, Touched};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaneId {
    Queue,
    Accounts,
    Mailboxes,
    Dashboard,
}

impl PaneId {
    pub const ALL: [PaneId; 4] = [PaneId::Queue, PaneId::Accounts, PaneId::Mailboxes, PaneId::Dashboard];

    pub fn label(self) -> &'static str {
        match self {
            PaneId::Queue => "Ticket queue",
            PaneId::Accounts => "Account lookup",
            PaneId::Mailboxes => "Shared mailbox",
            PaneId::Dashboard => "Dashboard",
        }
    }
}

/// The last thing the console has to say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub text: String,
    pub error: bool,
}

/// A request from one pane to show something in another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Jump {
    Account(String),
    Mailbox(String),
    Ticket(TicketRef),
    /// Open the new-ticket form with these fields filled in.
    NewTicket(Box<CreateTicket>),
}

/// One entry of the hint line: an action, and why it cannot be taken now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hint {
    pub act: Act,
    pub label: &'static str,
    pub disabled: Option<String>,
}

impl Hint {
    pub fn new(act: Act, label: &'static str) -> Hint {
        Hint { act, label, disabled: None }
    }

    /// Disabled with the permission table's reason when the operator may not
    /// take `action` now.
    pub fn needs(mut self, cx: &Cx<'_>, action: Action) -> Hint {
        self.disabled = cx.allowed(action).err();
        self
    }

    pub fn disabled_because(mut self, reason: impl Into<String>) -> Hint {
        self.disabled = Some(reason.into());
        self
    }
}

/// What a pane can reach while it handles a key.
pub struct Cx<'a> {
    pub desk: &'a dyn Desk,
    pub shift: &'a ShiftView,
    pub keymap: &'a KeyMap,
    pub message: Option<Message>,
    pub jump: Option<Jump>,
    /// Set when a command changed something, so every pane reloads.
    pub changed: bool,
    /// The account selected in the account pane: the caller, for a ticket
    /// logged from another pane on their behalf.
    pub caller: Option<Account>,
}

impl<'a> Cx<'a> {
    pub fn new(desk: &'a dyn Desk, shift: &'a ShiftView, keymap: &'a KeyMap) -> Cx<'a> {
        Cx { desk, shift, keymap, message: None, jump: None, changed: false, caller: None }
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.desk.now()
    }

    pub fn info(&mut self, text: impl Into<String>) {
        self.message = Some(Message { text: text.into(), error: false });
    }

    pub fn warn(&mut self, text: impl Into<String>) {
        self.message = Some(Message { text: text.into(), error: true });
    }

    /// Reports a failed command or query in words the operator can act on.
    pub fn fail(&mut self, error: &ServiceError) {
        let text = match error.conflict() {
            Some((what, label, changed_by)) => format!(
                "{changed_by} changed {what} {label} first, so nothing was saved; the screen now shows their \
                 change: check it and try again if it is still needed"
            ),
            None => error.to_string(),
        };
        self.warn(text);
    }

    /// Runs a change built from what the operator saw: revision
    /// `based_on` of its record. On success reports its summary and marks
    /// the screen for reloading; on failure reports why and returns `None`.
    /// If someone changed the record since, nothing is saved, the operator
    /// is told who, and the screen reloads to show their change.
    pub fn submit(&mut self, change: impl Into<Request>, based_on: Option<u64>) -> Option<Answer> {
        self.try_submit(change, based_on).ok()
    }

    /// [`Cx::submit`], keeping the error for a caller that shows it in a
    /// form or reacts to which refusal it was.
    pub fn try_submit(&mut self, change: impl Into<Request>, based_on: Option<u64>) -> Result<Answer, ServiceError> {
        match self.desk.dispatch(change.into(), based_on) {
            Ok(answer) => {
                if let Some(summary) = answer.summary() {
                    self.info(summary.to_owned());
                }
                self.changed = true;
                Ok(answer)
            }
            Err(e) => {
                self.changed |= e.is_conflict();
                self.fail(&e);
                Err(e)
            }
        }
    }

    /// Whether the operator may take `action` now, for showing it enabled or
    /// disabled. The service still decides when the command arrives.
    pub fn allowed(&self, action: Action) -> Result<(), String> {
        authorise(self.shift.role, self.shift.open, action).map_err(|d| d.0)
    }

    /// When the hint for `act` is disabled, says why and returns true, so
    /// the pane does not go on to start the action.
    pub fn refuse_if_disabled(&mut self, hints: &[Hint], act: Act) -> bool {
        match hints.iter().find(|h| h.act == act).and_then(|h| h.disabled.clone()) {
            Some(reason) => {
                self.warn(format!("{} is not available: {reason}", act.name()));
                true
            }
            None => false,
        }
    }
}

/// What a pane needs to draw itself.
#[derive(Clone, Copy)]
pub struct View<'a> {
    /// For reading the rows that come into sight; drawing never writes.
    pub desk: &'a dyn Desk,
    pub theme: Theme,
    pub keymap: &'a KeyMap,
    pub shift: &'a ShiftView,
    pub now: DateTime<Utc>,
    pub focused: bool,
}

pub trait Pane {
    /// Reload from the service what the pane shows.
    fn refresh(&mut self, cx: &mut Cx<'_>);
    /// A text field has the keys: printable characters go to it, and the
    /// keymap only sees what the pane does not take.
    fn typing(&self) -> bool;
    /// Handles a key. `act` is what the keymap makes of it in this pane.
    /// Returns false when the pane did not use it.
    fn key(&mut self, key: KeyEvent, act: Option<Act>, cx: &mut Cx<'_>) -> bool;
    /// The actions that make sense now, for the hint line.
    fn hints(&self, cx: &Cx<'_>) -> Vec<Hint>;
    fn draw(&mut self, frame: &mut Frame<'_>, area: Rect, view: &View<'_>);
    /// Forms and dialogs, drawn over the whole screen when the pane has the focus.
    fn draw_popup(&mut self, _frame: &mut Frame<'_>, _full: Rect, _view: &View<'_>) {}
    /// A form holds input that has not been saved.
    fn unsaved(&self) -> bool;
    /// What the pane has open, for the other consoles to see; `None` for
    /// nothing worth telling.
    fn presence(&self) -> Option<crate::desk::Presence> {
        None
    }
    /// A mouse click at a screen position inside the pane.
    fn click(&mut self, _column: u16, _row: u16, _cx: &mut Cx<'_>) -> bool {
        false
    }
    /// The mouse wheel over the pane: moves down or up the list that has
    /// the keys, like the arrow keys, but never into a text field.
    fn wheel(&mut self, down: bool, cx: &mut Cx<'_>) -> bool {
        let act = if down { Act::Down } else { Act::Up };
        match cx.keymap.keys(act).first() {
            Some(chord) => self.key(chord.event(), Some(act), cx),
            None => false,
        }
    }
    /// Shows what another pane asked for; false if it is not this pane's.
    fn jump(&mut self, jump: &Jump, cx: &mut Cx<'_>) -> bool;
    /// Other sessions changed these records: re-read what of them the pane
    /// shows, keeping the selection where it is.
    fn changed(&mut self, events: &[ChangeEvent], cx: &mut Cx<'_>);
    /// A short line about the pane's state for the title (e.g. "12 open").
    fn title(&self) -> String;
}

/// A selection in a list of `len` rows, and the first row on screen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cursor {
    pub selected: usize,
    pub offset: usize,
}

impl Cursor {
    /// Moves for a navigation action; false for any other action.
    pub fn navigate(&mut self, act: Act, len: usize, page: usize) -> bool {
        let page = page.max(1);
        match act {
            Act::Up => self.selected = self.selected.saturating_sub(1),
            Act::Down => self.selected = (self.selected + 1).min(len.saturating_sub(1)),
            Act::Top => self.selected = 0,
            Act::Bottom => self.selected = len.saturating_sub(1),
            Act::PageUp => self.selected = self.selected.saturating_sub(page),
            Act::PageDown => self.selected = (self.selected + page).min(len.saturating_sub(1)),
            _ => return false,
        }
        true
    }

    /// Keeps the selection inside the list and on screen for `height` rows;
    /// returns the range of rows to draw.
    pub fn window(&mut self, len: usize, height: usize) -> std::ops::Range<usize> {
        self.selected = self.selected.min(len.saturating_sub(1));
        if height == 0 {
            return 0..0;
        }
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + height {
            self.offset = self.selected + 1 - height;
        }
        self.offset = self.offset.min(len.saturating_sub(height));
        self.offset..(self.offset + height).min(len)
    }

    /// Selects the row drawn at screen line `line` of a list whose first row
    /// is at `top`; true if that is a row.
    pub fn click(&mut self, top: u16, line: u16, len: usize) -> bool {
        if line < top {
            return false;
        }
        let index = self.offset + usize::from(line - top);
        if index < len {
            self.selected = index;
            true
        } else {
            false
        }
    }
}

/// Whether any of `events` concerns what a pane shows (`concerns` says which
/// records do); if so, what to tell the operator: a line when the last such
/// event touched `shown` itself, nothing when it touched something around it.
pub fn news(
    events: &[ChangeEvent],
    concerns: impl Fn(&Touched) -> bool,
    shown: &Touched,
    label: &str,
) -> Option<Option<String>> {
    let event = events.iter().rev().find(|e| e.touched.iter().any(&concerns))?;
    Some(event.touched.contains(shown).then(|| told(event, label)))
}

/// One line on what another operator did to `label`, for the message line.
pub fn told(event: &ChangeEvent, label: &str) -> String {
    let did = match event.action.as_str() {
        "ticket.claim" => "claimed",
        "ticket.assign" => "assigned",
        "ticket.status" => "changed the status of",
        "ticket.note" => "added a note to",
        "ticket.reply" => "replied on",
        "ticket.link" => "linked",
        "mailbox.add-member" => "added a member to",
        "mailbox.remove-member" => "removed a member from",
        "mailbox.owner" => "changed the owner of",
        "account.reset-password" => "reset the password of",
        "account.leaver" => "marked as a leaver",
        "account.joiner" => "moved",
        _ => "changed",
    };
    format!("{} {did} {label} just now", event.operator)
}

/// A rectangle of `width`×`height` centred in `area`, clipped to it.
pub fn centred(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect { x: area.x + (area.width - width) / 2, y: area.y + (area.height - height) / 2, width, height }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cursor_stays_in_the_list_and_on_screen() {
        let mut c = Cursor::default();
        assert_eq!(c.window(100, 10), 0..10);
        c.navigate(Act::PageDown, 100, 10);
        c.navigate(Act::Down, 100, 10);
        assert_eq!(c.selected, 11);
        assert_eq!(c.window(100, 10), 2..12);
        c.navigate(Act::Bottom, 100, 10);
        assert_eq!(c.window(100, 10), 90..100);
        // The list shrank under the cursor.
        assert_eq!(c.window(5, 10), 0..5);
        assert_eq!(c.selected, 4);
        assert!(c.click(3, 5, 5));
        assert_eq!(c.selected, 2);
        assert!(!c.click(3, 9, 5));
        assert!(!c.navigate(Act::Claim, 5, 10));
    }
}
