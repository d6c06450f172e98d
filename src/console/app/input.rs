//! How keys, pastes, clicks and `:` command lines reach the app: an
//! overlay first, then the focused pane, then the keys every pane shares.

use ratatui::crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, MouseButton, MouseEventKind};

use super::{App, Overlay};
use crate::console::form::{PASTE_KEY, PASTE_LIMIT, TextField, offer_paste, withdraw_paste};
use crate::console::keymap::{Act, Command, CommandWord, Scope};
use crate::console::pane::{Cx, Hint, Jump, Message, PaneId};

impl App {
    /// Pastes `text` as the terminal's bracketed paste delivers it; for
    /// tests and demos.
    pub fn paste(&mut self, text: &str) {
        self.handle(Event::Paste(text.to_owned()));
    }

    pub fn handle(&mut self, event: Event) {
        self.handle_event(event);
        self.publish();
    }

    fn handle_event(&mut self, event: Event) {
        match event {
            Event::Key(key) if key.kind != KeyEventKind::Release => self.key(key),
            Event::Paste(text) => self.take_paste(text),
            Event::Mouse(mouse) if matches!(mouse.kind, MouseEventKind::Down(MouseButton::Left)) => {
                self.click(mouse.column, mouse.row)
            }
            Event::Mouse(mouse)
                if self.overlay.is_none()
                    && matches!(mouse.kind, MouseEventKind::ScrollDown | MouseEventKind::ScrollUp) =>
            {
                if let Some(id) = self.pane_at(mouse.column, mouse.row) {
                    self.focus = id;
                    let down = matches!(mouse.kind, MouseEventKind::ScrollDown);
                    self.with_pane(id, |pane, cx| pane.wheel(down, cx));
                }
            }
            _ => {}
        }
    }

    /// Gives a paste to the text field that has the keys, whole and as one
    /// edit, so a line break in it never saves a form and no letter in it
    /// acts as a key. Where no field has the keys it does nothing, and says so.
    fn take_paste(&mut self, text: String) {
        if text.len() > PASTE_LIMIT {
            return self.fail(format!(
                "that paste is {} KiB; at most {} KiB goes in at once, so nothing was pasted: paste it in parts",
                text.len().div_ceil(1024),
                PASTE_LIMIT / 1024
            ));
        }
        let field = match &self.overlay {
            Some(Overlay::Command(_)) => true,
            Some(_) => false,
            None => self.pane(self.focus).typing(),
        };
        if field {
            offer_paste(text);
            self.key(PASTE_KEY);
        }
        if !field || withdraw_paste().is_some() {
            self.say(Message {
                text: "nothing was pasted: a paste goes into a text field, and none has the keys here".to_owned(),
                error: true,
            });
        }
    }

    fn pane_at(&self, column: u16, row: u16) -> Option<PaneId> {
        self.areas.iter().find(|(_, r)| r.contains((column, row).into())).map(|(id, _)| *id)
    }

    fn click(&mut self, column: u16, row: u16) {
        if self.overlay.is_some() {
            return;
        }
        if let Some((id, _)) = self.tabs.iter().find(|(_, r)| r.contains((column, row).into())) {
            self.focus = *id;
            return;
        }
        if let Some(id) = self.pane_at(column, row) {
            self.focus = id;
            self.with_pane(id, |pane, cx| pane.click(column, row, cx));
        }
    }

    fn key(&mut self, key: KeyEvent) {
        if let Some(overlay) = self.overlay.take() {
            self.overlay_key(overlay, key);
            return;
        }
        let id = self.focus;
        let typing = self.pane(id).typing();
        let act = if typing { None } else { self.keymap.action(&key, Self::scope(id)) };
        if self.with_pane(id, |pane, cx| pane.key(key, act, cx)) {
            return;
        }
        let act = act.or_else(|| self.keymap.action(&key, Scope::Global));
        match act {
            Some(act) => self.global(act),
            None => {
                if let KeyCode::Char(c) = key.code {
                    self.say(Message {
                        text: format!("{c} does nothing here: press {} for the keys", self.keymap.key_label(Act::Help)),
                        error: false,
                    });
                }
            }
        }
    }

    fn global(&mut self, act: Act) {
        let order = PaneId::ALL;
        let at = order.iter().position(|p| *p == self.focus).unwrap_or(0);
        match act {
            Act::Quit => self.ask_quit(),
            Act::Help => self.overlay = Some(Overlay::Help { scroll: 0 }),
            Act::NextPane => self.focus = order[(at + 1) % order.len()],
            Act::PrevPane => self.focus = order[(at + order.len() - 1) % order.len()],
            Act::QueuePane => self.focus = PaneId::Queue,
            Act::AccountsPane => self.focus = PaneId::Accounts,
            Act::MailboxesPane => self.focus = PaneId::Mailboxes,
            Act::DashboardPane => self.focus = PaneId::Dashboard,
            Act::CommandLine => self.overlay = Some(Overlay::Command(TextField::default())),
            Act::Refresh => {
                if self.refresh_all() {
                    self.say(Message { text: "reloaded".to_owned(), error: false });
                }
            }
            other => {
                // A pane action the pane did not take: say why, if the hint line knows.
                let hints = self.with_pane_quiet_hints();
                if let Some(Hint { disabled: Some(reason), .. }) = hints.into_iter().find(|h| h.act == other) {
                    self.say(Message { text: format!("{}: {reason}", other.name()), error: true });
                }
            }
        }
    }

    fn with_pane_quiet_hints(&self) -> Vec<Hint> {
        let cx = Cx::new(self.desk.as_ref(), &self.shift, &self.keymap);
        self.pane(self.focus).hints(&cx)
    }

    fn ask_quit(&mut self) {
        if PaneId::ALL.iter().any(|id| self.pane(*id).unsaved()) {
            self.overlay = Some(Overlay::ConfirmQuit);
        } else {
            self.quit = true;
        }
    }

    fn overlay_key(&mut self, overlay: Overlay, key: KeyEvent) {
        match overlay {
            Overlay::ConfirmQuit => match self.keymap.action(&key, Scope::Form) {
                Some(Act::Yes) => self.quit = true,
                _ => self.say(Message { text: "not quitting: your input is still there".into(), error: false }),
            },
            Overlay::Help { scroll } => {
                if let Some(scroll) = self.scrolled(scroll, &key) {
                    self.overlay = Some(Overlay::Help { scroll });
                }
            }
            Overlay::Messages { scroll } => {
                if let Some(scroll) = self.scrolled(scroll, &key) {
                    self.overlay = Some(Overlay::Messages { scroll });
                }
            }
            Overlay::Command(mut field) => match self.keymap.action(&key, Scope::Form) {
                Some(Act::Cancel) => {}
                Some(Act::Save) => self.command(field.value().trim().to_owned()),
                _ => {
                    field.key(key);
                    self.overlay = Some(Overlay::Command(field));
                }
            },
        }
    }

    /// Where a scroll key moves a scrolled overlay; `None` for any other
    /// key, which closes it.
    fn scrolled(&self, scroll: u16, key: &KeyEvent) -> Option<u16> {
        match self.keymap.action(key, Scope::Global) {
            Some(Act::Down) => Some(scroll.saturating_add(1)),
            Some(Act::Up) => Some(scroll.saturating_sub(1)),
            Some(Act::PageDown) => Some(scroll.saturating_add(10)),
            Some(Act::PageUp) => Some(scroll.saturating_sub(10)),
            _ => None,
        }
    }

    /// Runs a `:` command line; its words are [`COMMANDS`].
    fn command(&mut self, line: String) {
        let (word, rest) = line.split_once(' ').map_or((line.as_str(), ""), |(w, r)| (w, r.trim()));
        if word.is_empty() {
            return;
        }
        let unknown = || format!("unknown command {line:?}: use {}", CommandWord::all_usages());
        let Some(found) = CommandWord::find(word) else { return self.fail(unknown()) };
        if !found.argument.is_empty() && rest.is_empty() {
            return self.fail(format!("{word} needs {}: type {}", found.argument, found.usage()));
        }
        let jump = match found.command {
            Command::Quit => return self.ask_quit(),
            Command::Help => {
                self.overlay = Some(Overlay::Help { scroll: 0 });
                return;
            }
            Command::Refresh => return self.global(Act::Refresh),
            Command::SaveView | Command::ShareView => {
                let (queue, filter) = self.panes.queue.current_view();
                let shared = found.command == Command::ShareView;
                let view = crate::service::ops::SaveView { name: rest.to_owned(), queue, filter, shared };
                self.focus = PaneId::Queue;
                self.with_pane(PaneId::Queue, |_, cx| {
                    cx.submit(view, None);
                });
                return;
            }
            Command::RemoveView | Command::RemoveSharedView => {
                let shared = found.command == Command::RemoveSharedView;
                let view = crate::service::ops::RemoveView { name: rest.to_owned(), shared };
                self.focus = PaneId::Queue;
                self.with_pane(PaneId::Queue, |_, cx| {
                    cx.submit(view, None);
                });
                return;
            }
            Command::Messages => {
                self.overlay = Some(Overlay::Messages { scroll: 0 });
                return;
            }
            Command::Ticket => match rest.parse() {
                Ok(r) => Jump::Ticket(r),
                Err(e) => return self.fail(format!("{e}")),
            },
            Command::Account => Jump::Account(rest.to_owned()),
            Command::Mailbox => Jump::Mailbox(rest.to_owned()),
            Command::Queue | Command::Filter => {
                let result = if found.command == Command::Queue {
                    self.panes.queue.show_tab(rest)
                } else {
                    self.panes.queue.set_filter(rest)
                };
                match result {
                    Ok(()) => {
                        self.focus = PaneId::Queue;
                        self.with_pane(PaneId::Queue, |pane, cx| pane.refresh(cx));
                    }
                    Err(e) => self.fail(e),
                }
                return;
            }
        };
        self.jump(jump);
    }

    fn fail(&mut self, text: String) {
        self.say(Message { text, error: true });
    }
}
