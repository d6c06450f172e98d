//! The console's state and how keys, clicks and time change it.
//!
//! [`App`] owns the three panes and what sits over them (help, the command
//! line, the quit question). It has no terminal: [`App::handle`] takes an
//! event and [`App::draw`] draws into any ratatui frame, so tests drive it
//! with key strings and a `TestBackend`. How input reaches it is in
//! [`input`], how it is drawn in [`screen`], the help it shows in [`help`].

mod help;
mod input;
mod messages;
mod presence;
mod screen;

use chrono::{DateTime, Utc};
use ratatui::crossterm::event::Event;
use ratatui::layout::Rect;

use super::accounts::AccountPane;
use super::dashboard::DashboardPane;
use super::desk::{Desk, DeskEvent, DeskExt};
use super::form::TextField;
use super::keymap::{Act, KeyMap, Scope, keys};
use super::mailboxes::MailboxPane;
use super::pane::{Cx, Jump, Message, Pane, PaneId};
use super::queue::QueuePane;
use super::theme::Theme;
use crate::service::ops::ShowShift;
use crate::service::{ServiceError, ShiftView, Touched};
pub use help::{help_lines, key_table};
pub use messages::{ERROR_STALE, HISTORY, Messages, NOTICE_STALE};
pub use presence::{Here, PRESENCE_REPEAT, PresenceBoard, in_words};
pub use screen::status_line;

/// At this width and wider the three panes stand side by side.
pub const WIDE: u16 = 140;

/// How often lists are read again when nothing else made them change.
const REFRESH_EVERY: chrono::TimeDelta = chrono::TimeDelta::seconds(15);

/// The three panes, apart from the rest of the app so one can be borrowed
/// beside the desk.
struct Panes {
    queue: QueuePane,
    accounts: AccountPane,
    mailboxes: MailboxPane,
    dashboard: DashboardPane,
}

impl Panes {
    fn get(&self, id: PaneId) -> &dyn Pane {
        match id {
            PaneId::Queue => &self.queue,
            PaneId::Accounts => &self.accounts,
            PaneId::Mailboxes => &self.mailboxes,
            PaneId::Dashboard => &self.dashboard,
        }
    }

    fn get_mut(&mut self, id: PaneId) -> &mut dyn Pane {
        match id {
            PaneId::Queue => &mut self.queue,
            PaneId::Accounts => &mut self.accounts,
            PaneId::Mailboxes => &mut self.mailboxes,
            PaneId::Dashboard => &mut self.dashboard,
        }
    }
}

enum Overlay {
    Help {
        scroll: u16,
    },
    Command(TextField),
    ConfirmQuit,
    /// `:messages`: what the status line said, in full, newest first.
    Messages {
        scroll: u16,
    },
}

pub struct App {
    desk: Box<dyn Desk>,
    keymap: KeyMap,
    theme: Theme,
    shift: ShiftView,
    focus: PaneId,
    panes: Panes,
    overlay: Option<Overlay>,
    messages: Messages,
    /// Who else has what open, and what this console last said.
    presence: PresenceBoard,
    /// Where each pane was last drawn, for mouse clicks.
    areas: Vec<(PaneId, Rect)>,
    /// The pane tabs of a narrow screen, for mouse clicks.
    tabs: Vec<(PaneId, Rect)>,
    refreshed_at: DateTime<Utc>,
    quit: bool,
}

impl App {
    /// Opens the console for the desk's operator; fails before anything is
    /// drawn if the service will not serve them.
    pub fn new(desk: Box<dyn Desk>, keymap: KeyMap, theme: Theme) -> Result<App, ServiceError> {
        let shift = desk.call(ShowShift {})?;
        let mut app = App {
            panes: Panes {
                queue: QueuePane::new(shift.role),
                accounts: AccountPane::default(),
                mailboxes: MailboxPane::default(),
                dashboard: DashboardPane::default(),
            },
            refreshed_at: desk.now(),
            desk,
            keymap,
            theme,
            shift,
            focus: PaneId::Queue,
            overlay: None,
            messages: Messages::default(),
            presence: PresenceBoard::default(),
            areas: Vec::new(),
            tabs: Vec::new(),
            quit: false,
        };
        let _ = app.refresh_all();
        // A first read that failed says so; otherwise, where the keys are.
        if app.messages.current().is_none() {
            let text = format!("press {} for the keys", app.keymap.key_label(Act::Help));
            app.say(Message { text, error: false });
        }
        Ok(app)
    }

    pub fn should_quit(&self) -> bool {
        self.quit
    }

    pub fn focus(&self) -> PaneId {
        self.focus
    }

    /// What the status line shows now.
    pub fn message(&self) -> Option<&Message> {
        self.messages.current()
    }

    /// Everything the status line has said, newest first.
    pub fn messages(&self) -> &Messages {
        &self.messages
    }

    fn say(&mut self, message: Message) {
        self.messages.say(message, self.desk.now());
    }

    pub fn shift(&self) -> &ShiftView {
        &self.shift
    }

    pub fn queue(&self) -> &QueuePane {
        &self.panes.queue
    }

    pub fn accounts(&self) -> &AccountPane {
        &self.panes.accounts
    }

    pub fn dashboard(&self) -> &DashboardPane {
        &self.panes.dashboard
    }

    pub fn mailboxes(&self) -> &MailboxPane {
        &self.panes.mailboxes
    }

    pub fn desk(&self) -> &dyn Desk {
        self.desk.as_ref()
    }

    pub fn keymap(&self) -> &KeyMap {
        &self.keymap
    }

    pub fn theme(&self) -> Theme {
        self.theme
    }

    /// Presses the keys of a key string (see [`keys`]); for tests and demos.
    pub fn press(&mut self, text: &str) {
        for key in keys(text).unwrap_or_else(|e| panic!("bad key string {text:?}: {e}")) {
            self.handle(Event::Key(key));
        }
    }

    fn pane(&self, id: PaneId) -> &dyn Pane {
        self.panes.get(id)
    }

    fn scope(id: PaneId) -> Scope {
        match id {
            PaneId::Queue => Scope::Queue,
            PaneId::Accounts => Scope::Accounts,
            PaneId::Mailboxes => Scope::Mailboxes,
            // The dashboard has no keys of its own.
            PaneId::Dashboard => Scope::Global,
        }
    }

    /// Runs `f` on a pane with a fresh context, then applies what the pane
    /// asked for: a message, a jump to another pane, a reload.
    fn with_pane<R>(&mut self, id: PaneId, f: impl FnOnce(&mut dyn Pane, &mut Cx<'_>) -> R) -> R {
        let desk = self.desk.as_ref();
        let mut cx = Cx::new(desk, &self.shift, &self.keymap);
        cx.caller = self.panes.accounts.selected_account().cloned();
        let pane = self.panes.get_mut(id);
        let result = f(pane, &mut cx);
        let Cx { message, jump, changed, .. } = cx;
        match message {
            Some(m) => self.say(m),
            // A change that went through says nothing: what was said before no longer holds.
            None if changed => self.messages.clear(),
            None => {}
        }
        if changed {
            let _ = self.refresh_all();
        }
        if let Some(jump) = jump {
            self.jump(jump);
        }
        result
    }

    fn jump(&mut self, jump: Jump) {
        for id in PaneId::ALL {
            let desk = self.desk.as_ref();
            let mut cx = Cx::new(desk, &self.shift, &self.keymap);
            let pane = self.panes.get_mut(id);
            let taken = pane.jump(&jump, &mut cx);
            if let Some(m) = cx.message {
                self.say(m);
            }
            if taken {
                self.focus = id;
                return;
            }
        }
    }

    /// Reads the shift and every pane's data again. When not even the
    /// shift can be read (the daemon is not answering), the panes keep
    /// what they show rather than each failing in turn.
    /// Returns whether it could.
    pub fn refresh_all(&mut self) -> bool {
        match self.reload() {
            Ok(()) => true,
            Err(e) => {
                self.say(Message { text: e.to_string(), error: true });
                false
            }
        }
    }

    /// [`App::refresh_all`] without a word when the shift cannot be read,
    /// for the reloads time makes: the operator hears of a silent daemon
    /// when they act, not every few seconds over what they were told.
    fn reload(&mut self) -> Result<(), ServiceError> {
        self.refreshed_at = self.desk.now();
        self.shift = self.desk.call(ShowShift {})?;
        for id in PaneId::ALL {
            self.with_pane_quiet(id, |pane, cx| pane.refresh(cx));
        }
        Ok(())
    }

    /// Like [`App::with_pane`] but never reloads (used by the reload itself).
    fn with_pane_quiet(&mut self, id: PaneId, f: impl FnOnce(&mut dyn Pane, &mut Cx<'_>)) {
        let desk = self.desk.as_ref();
        let mut cx = Cx::new(desk, &self.shift, &self.keymap);
        let pane = self.panes.get_mut(id);
        f(pane, &mut cx);
        if let Some(m) = cx.message {
            self.say(m);
        }
    }

    /// Takes in what other sessions changed since the last call: each pane
    /// re-reads what it shows of the records they touched. Returns whether
    /// anything arrived, so the screen is drawn again.
    pub fn take_events(&mut self) -> bool {
        let events = self.desk.events();
        if events.is_empty() {
            return false;
        }
        let mut changes = Vec::new();
        let mut reload = false;
        for event in events {
            match event {
                DeskEvent::Changed(change) => changes.push(change),
                DeskEvent::Lagged => reload = true,
                DeskEvent::Lost(why) => self.say(Message { text: why, error: true }),
                DeskEvent::Restored(news) => {
                    reload = true;
                    self.say(Message { text: news, error: false });
                }
                DeskEvent::Late { news, error } => {
                    reload = true;
                    self.say(Message { text: news, error });
                }
                DeskEvent::Presence(seen) => {
                    self.presence.heard(seen, std::time::Instant::now());
                    self.show_presence();
                }
            }
        }
        let me = self.desk.operator().to_owned();
        let settings = changes.iter().flat_map(|c| &c.touched).any(|t| match t {
            Touched::Operator(name) => *name == me,
            Touched::Setting => true,
            _ => false,
        });
        if reload || settings {
            let _ = self.refresh_all();
        } else if !changes.is_empty() {
            for id in PaneId::ALL {
                self.with_pane_quiet(id, |pane, cx| pane.changed(&changes, cx));
            }
        }
        true
    }

    /// Tells the daemon what this console has open, when that changed or
    /// is due again, and takes in what the others have open. Returns
    /// whether what the panes show of the others changed.
    pub fn publish(&mut self) -> bool {
        let now = std::time::Instant::now();
        let mine = self.pane(self.focus).presence().unwrap_or_else(crate::desk::Presence::nothing);
        let mut changed = self.presence.expire(now);
        if self.presence.due(&mine, now) {
            // A daemon that cannot say leaves the board as it was: presence is a courtesy.
            if let Ok(others) = self.desk.present(mine.clone()) {
                self.presence.said(mine, others, now);
                changed = true;
            }
        }
        if changed {
            self.show_presence();
        }
        changed
    }

    /// Hands each pane who else has its records open.
    fn show_presence(&mut self) {
        self.panes.queue.set_here(self.presence.on_tickets());
        self.panes.accounts.set_here(self.presence.on_addresses(true));
        self.panes.mailboxes.set_here(self.presence.on_addresses(false));
    }

    /// Time passed without input: follow the shift changing and re-read
    /// lists now and then. Returns whether anything was re-read.
    pub fn tick(&mut self) -> bool {
        let now = self.desk.now();
        let stale = self.messages.expire(now) | self.publish();
        let due = now >= self.shift.changes_at || now - self.refreshed_at >= REFRESH_EVERY;
        (due && self.reload().is_ok()) || stale
    }
}
