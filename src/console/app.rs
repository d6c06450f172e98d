//! The console's state and how keys, clicks and time change it.
//!
//! [`App`] owns the three panes and what sits over them (help, the command
//! line, the quit question). It has no terminal: [`App::handle`] takes an
//! event and [`App::draw`] draws into any ratatui frame, so tests drive it
//! with key strings and a `TestBackend`.

use chrono::{DateTime, Utc};
use chrono_tz::Europe::London;
use ratatui::Frame;
use ratatui::crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, MouseButton, MouseEventKind};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::accounts::AccountPane;
use super::dashboard::DashboardPane;
use super::desk::{Desk, DeskEvent, DeskExt};
use super::form::{PASTE_KEY, PASTE_LIMIT, TextField, offer_paste, withdraw_paste};
use super::keymap::{Act, COMMANDS, Command, CommandWord, KeyMap, Scope, keys};
use super::mailboxes::MailboxPane;
use super::pane::{Cx, Hint, Jump, Message, Pane, PaneId, View, centred};
use super::queue::QueuePane;
use super::theme::Theme;
use crate::service::ops::ShowShift;
use crate::service::{ServiceError, ShiftView, Touched};

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
    Help { scroll: u16 },
    Command(TextField),
    ConfirmQuit,
}

pub struct App {
    desk: Box<dyn Desk>,
    keymap: KeyMap,
    theme: Theme,
    shift: ShiftView,
    focus: PaneId,
    panes: Panes,
    overlay: Option<Overlay>,
    message: Option<Message>,
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
            message: None,
            areas: Vec::new(),
            tabs: Vec::new(),
            quit: false,
        };
        let _ = app.refresh_all();
        // A first read that failed says so; otherwise, where the keys are.
        if app.message.is_none() {
            let text = format!("press {} for the keys", app.keymap.key_label(Act::Help));
            app.message = Some(Message { text, error: false });
        }
        Ok(app)
    }

    pub fn should_quit(&self) -> bool {
        self.quit
    }

    pub fn focus(&self) -> PaneId {
        self.focus
    }

    pub fn message(&self) -> Option<&Message> {
        self.message.as_ref()
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
        let pane = self.panes.get_mut(id);
        let result = f(pane, &mut cx);
        let Cx { message, jump, changed, .. } = cx;
        if message.is_some() {
            self.message = message;
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
            if cx.message.is_some() {
                self.message = cx.message;
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
                self.message = Some(Message { text: e.to_string(), error: true });
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
        if cx.message.is_some() {
            self.message = cx.message;
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
                DeskEvent::Lost(why) => self.message = Some(Message { text: why, error: true }),
                DeskEvent::Restored(news) => {
                    reload = true;
                    self.message = Some(Message { text: news, error: false });
                }
                DeskEvent::Late { news, error } => {
                    reload = true;
                    self.message = Some(Message { text: news, error });
                }
                // Shown by the panes once they draw who else is there.
                DeskEvent::Presence(_) => {}
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

    /// Time passed without input: follow the shift changing and re-read
    /// lists now and then. Returns whether anything was re-read.
    pub fn tick(&mut self) -> bool {
        let now = self.desk.now();
        let due = now >= self.shift.changes_at || now - self.refreshed_at >= REFRESH_EVERY;
        due && self.reload().is_ok()
    }

    /// Pastes `text` as the terminal's bracketed paste delivers it; for
    /// tests and demos.
    pub fn paste(&mut self, text: &str) {
        self.handle(Event::Paste(text.to_owned()));
    }

    pub fn handle(&mut self, event: Event) {
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
            self.message = Some(Message {
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
                    self.message = Some(Message {
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
                    self.message = Some(Message { text: "reloaded".to_owned(), error: false });
                }
            }
            other => {
                // A pane action the pane did not take: say why, if the hint line knows.
                let hints = self.with_pane_quiet_hints();
                if let Some(Hint { disabled: Some(reason), .. }) = hints.into_iter().find(|h| h.act == other) {
                    self.message = Some(Message { text: format!("{}: {reason}", other.name()), error: true });
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
                _ => {
                    self.message =
                        Some(Message { text: "not quitting: your input is still there".into(), error: false })
                }
            },
            Overlay::Help { scroll } => match self.keymap.action(&key, Scope::Global) {
                Some(Act::Down) => self.overlay = Some(Overlay::Help { scroll: scroll.saturating_add(1) }),
                Some(Act::Up) => self.overlay = Some(Overlay::Help { scroll: scroll.saturating_sub(1) }),
                Some(Act::PageDown) => self.overlay = Some(Overlay::Help { scroll: scroll.saturating_add(10) }),
                Some(Act::PageUp) => self.overlay = Some(Overlay::Help { scroll: scroll.saturating_sub(10) }),
                _ => {}
            },
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
        self.message = Some(Message { text, error: true });
    }

    pub fn draw(&mut self, frame: &mut Frame<'_>) {
        let full = frame.area();
        let now = self.desk.now();
        let [top, middle, message, hints] = layout(full);
        self.draw_top(frame, top, now);
        self.tabs.clear();
        // The dashboard needs the width: on a wide screen it takes the
        // whole middle while it has the focus, and the three panes return
        // when another does.
        self.areas = if full.width >= WIDE && self.focus == PaneId::Dashboard {
            vec![(PaneId::Dashboard, middle)]
        } else if full.width >= WIDE {
            let areas: [Rect; 3] = Layout::horizontal([
                Constraint::Percentage(48),
                Constraint::Percentage(27),
                Constraint::Percentage(25),
            ])
            .areas(middle);
            PaneId::ALL.into_iter().zip(areas).collect()
        } else {
            let [tabs, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(middle);
            self.draw_tabs(frame, tabs);
            vec![(self.focus, body)]
        };
        self.draw_message(frame, message);
        self.draw_hints(frame, hints);
        let view = View {
            desk: self.desk.as_ref(),
            theme: self.theme,
            keymap: &self.keymap,
            shift: &self.shift,
            now,
            focused: false,
        };
        for &(id, area) in &self.areas {
            self.panes.get_mut(id).draw(frame, area, &View { focused: id == self.focus, ..view });
        }
        self.panes.get_mut(self.focus).draw_popup(frame, full, &View { focused: true, ..view });
        match &self.overlay {
            Some(Overlay::Help { scroll }) => self.draw_help(frame, full, *scroll),
            Some(Overlay::Command(field)) => {
                frame.render_widget(Clear, hints);
                frame.render_widget(Paragraph::new(":"), hints);
                field.draw(
                    frame,
                    Rect { x: hints.x + 1, width: hints.width.saturating_sub(1), ..hints },
                    Style::new(),
                    true,
                );
            }
            Some(Overlay::ConfirmQuit) => {
                let area = centred(full, 52, 5);
                frame.render_widget(Clear, area);
                let block = Block::bordered().title(" Quit? ").border_style(self.theme.red());
                frame.render_widget(
                    Paragraph::new(vec![
                        Line::from("A form has input that was not saved."),
                        Line::from(vec![
                            Span::styled(self.keymap.keys_label(Act::Yes), self.theme.key()),
                            Span::raw(" quit and lose it · any other key stays"),
                        ]),
                    ])
                    .block(block),
                    area,
                );
            }
            None => {}
        }
    }

    /// Who, when and the shift. On a narrow terminal the product name and
    /// the date give way, so the shift (what the operator may do) stays whole.
    fn draw_top(&self, frame: &mut Frame<'_>, area: Rect, now: DateTime<Utc>) {
        let local = now.with_timezone(&London);
        let changes = self.shift.changes_at.with_timezone(&London);
        let shift = if self.shift.open {
            format!("NAS open until {}", changes.format("%H:%M"))
        } else {
            format!("out of hours — NAS opens {}", changes.format("%a %-d %b %H:%M"))
        };
        let who = format!("{} ({})", self.shift.operator, self.shift.role.label());
        let stale = self.shift.calendar_ends.is_some_and(|end| end < local.date_naive());
        let wide = [
            " caredesk ".to_owned(),
            format!("│ {who} │ "),
            local.format("%a %-d %b %H:%M").to_string(),
            " │ ".to_owned(),
            shift.clone(),
        ];
        let fits = wide.iter().map(|s| s.chars().count()).sum::<usize>() <= usize::from(area.width);
        let mut spans = if fits {
            vec![
                Span::styled(" caredesk ", self.theme.title()),
                Span::raw(format!("│ {who} │ ")),
                Span::raw(local.format("%a %-d %b %H:%M").to_string()),
                Span::raw(" │ "),
                Span::styled(shift, self.theme.title()),
            ]
        } else {
            vec![
                Span::raw(format!(" {} │ ", self.shift.operator)),
                Span::raw(local.format("%H:%M").to_string()),
                Span::raw(" │ "),
                Span::styled(shift, self.theme.title()),
            ]
        };
        if stale {
            spans.push(Span::raw(" │ bank holiday calendar out of date"));
        }
        frame.render_widget(Paragraph::new(Line::from(spans)).style(self.theme.bar()), area);
    }

    fn draw_tabs(&mut self, frame: &mut Frame<'_>, area: Rect) {
        let mut x = area.x;
        let mut spans = Vec::new();
        for (i, id) in PaneId::ALL.into_iter().enumerate() {
            let text = format!(" {} {} ", i + 1, id.label());
            let width = text.chars().count() as u16;
            self.tabs.push((id, Rect { x, y: area.y, width, height: 1 }));
            x += width + 1;
            let style = if id == self.focus { self.theme.selected() } else { self.theme.dim() };
            spans.push(Span::styled(text, style));
            spans.push(Span::raw(" "));
        }
        frame.render_widget(Paragraph::new(Line::from(spans)), area);
    }

    fn draw_message(&self, frame: &mut Frame<'_>, area: Rect) {
        if let Some(m) = &self.message {
            let style = if m.error { self.theme.error() } else { Style::new() };
            frame.render_widget(Paragraph::new(super::text::clean(&m.text).into_owned()).style(style), area);
        }
    }

    /// The focused pane's hints, most important first, cut to fit the
    /// line; the help and quit keys are always shown.
    fn draw_hints(&self, frame: &mut Frame<'_>, area: Rect) {
        let cx = Cx::new(self.desk.as_ref(), &self.shift, &self.keymap);
        let hints = self.pane(self.focus).hints(&cx);
        let tail = [Hint::new(Act::Help, "keys"), Hint::new(Act::Quit, "quit")];
        let width = |h: &Hint| self.keymap.key_label(h.act).chars().count() + h.label.chars().count() + 3;
        let mut room = usize::from(area.width).saturating_sub(tail.iter().map(width).sum());
        let mut shown: Vec<Hint> = Vec::new();
        for hint in hints {
            if width(&hint) > room {
                break;
            }
            room -= width(&hint);
            shown.push(hint);
        }
        shown.extend(tail);
        let mut spans = Vec::new();
        for h in shown {
            let key = self.keymap.key_label(h.act);
            if h.disabled.is_some() {
                spans.push(Span::styled(format!("{key} {}", h.label), self.theme.disabled()));
            } else {
                spans.push(Span::styled(key, self.theme.key()));
                spans.push(Span::raw(format!(" {}", h.label)));
            }
            spans.push(Span::raw("  "));
        }
        frame.render_widget(Paragraph::new(Line::from(spans)), area);
    }

    fn draw_help(&self, frame: &mut Frame<'_>, full: Rect, scroll: u16) {
        let area = centred(full, 96, full.height.saturating_sub(2));
        frame.render_widget(Clear, area);
        let lines = help_lines(&self.keymap, self.theme);
        let block = Block::bordered()
            .title(Span::styled(" Keys (esc closes, ↑/↓ scroll) ", self.theme.title()))
            .border_style(self.theme.focused_border());
        frame.render_widget(Paragraph::new(lines).block(block).wrap(Wrap { trim: false }).scroll((scroll, 0)), area);
    }
}

/// The screen's rows: the top bar, the panes, the status line (messages)
/// and the hint line.
fn layout(full: Rect) -> [Rect; 4] {
    Layout::vertical([Constraint::Length(1), Constraint::Min(3), Constraint::Length(1), Constraint::Length(1)])
        .areas(full)
}

/// Where the status line is on a screen of `full`, for what is written
/// over it while the session waits.
pub fn status_line(full: Rect) -> Rect {
    layout(full)[2]
}

/// The key table for the README, generated from the keymap so a test can
/// tell when the two disagree.
pub fn key_table(keymap: &KeyMap) -> String {
    let mut out = String::from("| where | keys | action | what it does |\n|---|---|---|---|\n");
    for act in Act::ALL {
        let keys: Vec<String> = keymap.keys(*act).iter().map(|k| format!("`{k}`")).collect();
        let keys = keys.join(" ").replace('|', "\\|");
        out.push_str(&format!("| {} | {keys} | {} | {} |\n", act.scope().label(), act.name(), act.about()));
    }
    out
}

/// The help screen, generated from the keymap and the `:` commands.
pub fn help_lines(keymap: &KeyMap, theme: Theme) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for scope in Scope::ALL {
        if !lines.is_empty() {
            lines.push(Line::default());
        }
        lines.push(Line::styled(scope.label().to_owned(), theme.title()));
        for act in Act::ALL.iter().filter(|a| a.scope() == scope) {
            let keys: Vec<String> = keymap.keys(*act).iter().map(ToString::to_string).collect();
            let keys = if keys.is_empty() { "(unbound)".to_owned() } else { keys.join(", ") };
            lines.push(Line::from(vec![
                Span::styled(format!("  {keys:<16}"), theme.key()),
                Span::raw(format!("{:<16}", act.name())),
                Span::raw(act.about()),
            ]));
        }
        if scope == Scope::Global {
            lines.push(Line::default());
            let title = format!("command line ({}, then a command and enter)", keymap.key_label(Act::CommandLine));
            lines.push(Line::styled(title, theme.title()));
            for command in COMMANDS {
                let also = command.words[1..].join(", ");
                let also = if also.is_empty() { String::new() } else { format!(" (or {also})") };
                lines.push(Line::from(vec![
                    Span::styled(format!("  {:<40}", command.usage()), theme.key()),
                    Span::raw(format!("{}{also}", command.about)),
                ]));
            }
        }
    }
    lines.push(Line::default());
    lines.push(Line::styled("queue filter words", theme.title()));
    lines.push(Line::from(format!("  {}", crate::service::TicketFilter::SYNTAX)));
    lines
}
