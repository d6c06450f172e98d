//! Drawing the app: the top bar, the panes side by side or as tabs, the
//! status and hint lines, and the overlays over them.

use chrono::{DateTime, Utc};
use chrono_tz::Europe::London;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::help::help_lines;
use super::{App, Overlay, WIDE};
use crate::console::keymap::Act;
use crate::console::pane::{Cx, Hint, PaneId, View, centred};

impl App {
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
            Some(Overlay::Messages { scroll }) => self.draw_messages(frame, full, *scroll),
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
            // The date stays: "10:30" alone does not say which day a
            // refusal or a due time is about. The weekday goes first.
            let operator = format!(" {} │ ", self.shift.operator);
            let room = usize::from(area.width).saturating_sub(operator.chars().count() + shift.chars().count() + 3);
            let date = ["%a %-d %b %H:%M", "%-d %b %H:%M"]
                .into_iter()
                .map(|f| local.format(f).to_string())
                .find(|d| d.chars().count() <= room)
                .unwrap_or_else(|| local.format("%H:%M").to_string());
            vec![Span::raw(operator), Span::raw(date), Span::raw(" │ "), Span::styled(shift, self.theme.title())]
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
        if let Some(m) = self.messages.current() {
            let style = if m.error { self.theme.error() } else { Style::new() };
            frame.render_widget(Paragraph::new(crate::console::text::clean(&m.text).into_owned()).style(style), area);
        }
    }

    /// The focused pane's hints, those that may be used now first, each
    /// group most important first, cut to fit the line; the help and quit
    /// keys are always shown.
    fn draw_hints(&self, frame: &mut Frame<'_>, area: Rect) {
        let cx = Cx::new(self.desk.as_ref(), &self.shift, &self.keymap);
        // What the operator may do now comes first; what the shift or role
        // rules out goes last, so at 80 columns it is what is left off.
        let (enabled, disabled): (Vec<Hint>, Vec<Hint>) =
            self.pane(self.focus).hints(&cx).into_iter().partition(|h| h.disabled.is_none());
        let hints = enabled.into_iter().chain(disabled);
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

impl App {
    /// Every message kept, newest first, each wrapped in full under the
    /// London time it was said.
    fn draw_messages(&self, frame: &mut Frame<'_>, full: Rect, scroll: u16) {
        let area = centred(full, 96, full.height.saturating_sub(2));
        frame.render_widget(Clear, area);
        let mut lines = Vec::new();
        for (at, m, times) in self.messages.newest_first() {
            let when = at.with_timezone(&London).format("%a %H:%M:%S").to_string();
            let again = if times > 1 { format!(" (×{times})") } else { String::new() };
            let style = if m.error { self.theme.error() } else { Style::new() };
            lines.push(Line::from(vec![
                Span::styled(format!("{when}{again} "), self.theme.dim()),
                Span::styled(crate::console::text::clean(&m.text).into_owned(), style),
            ]));
        }
        if lines.is_empty() {
            lines.push(Line::styled("nothing has been said yet", self.theme.dim()));
        }
        let block = Block::bordered()
            .title(Span::styled(" Messages, newest first (esc closes, ↑/↓ scroll) ", self.theme.title()))
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
