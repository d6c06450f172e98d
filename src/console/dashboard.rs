//! The dashboard frame: the shift at a glance, drawn from figures the
//! service computed (`ShowDashboard`) and the console keeps.
//!
//! Drawing reads only the kept [`Dashboard`], so a frame costs the same
//! however many tickets and how much history lie behind it; the figures
//! are read again when the desk says tickets changed. Everything fits 80x24:
//! one line per queue with its depth, breaches, due-soon count and 24-hour
//! and 7-day sparklines, then the next NAS opening and tickets per operator
//! today, as many as there is room for.

use chrono_tz::Europe::London;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use ratatui::crossterm::event::KeyEvent;

use super::desk::DeskExt;
use super::keymap::Act;
use super::pane::{Cx, Hint, Jump, Pane, View};
use super::theme::Theme;
use crate::service::ops::ShowDashboard;
use crate::service::{ChangeEvent, Dashboard, Touched};

/// Eight heights of a sparkline cell, lowest first.
const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// Longest operator name shown before it is cut.
const NAME_WIDTH: usize = 16;

/// One cell per value, scaled from the series' lowest value (the lowest
/// cell) to its highest (a full cell), so a queue that moves between 30 and
/// 40 shows its movement; a flat series is a row of the lowest cell. The
/// figures beside it give the scale.
pub fn sparkline(values: &[u64]) -> String {
    let low = values.iter().copied().min().unwrap_or(0);
    let span = values.iter().copied().max().unwrap_or(0) - low;
    let steps = BARS.len() as u64 - 1;
    values
        .iter()
        .map(|&v| if span == 0 { BARS[0] } else { BARS[((v - low) * steps).div_ceil(span) as usize] })
        .collect()
}

/// "30-40": the range a sparkline spans.
fn range(values: &[u64]) -> String {
    let low = values.iter().copied().min().unwrap_or(0);
    let high = values.iter().copied().max().unwrap_or(0);
    if low == high { low.to_string() } else { format!("{low}-{high}") }
}

/// The lines of the dashboard, for a frame `width` cells wide.
pub fn dashboard_lines(figures: &Dashboard, width: u16, theme: Theme) -> Vec<Line<'static>> {
    let wide = width >= 120;
    let mut out = Vec::new();
    let head = if wide {
        format!(
            "{:<18} {:>6} {:>8} {:>8}  {:<24}  {:<7}",
            "queue", "open", "breached", "due soon", "last 24 h", "7 days"
        )
    } else {
        format!("{:<10} {:>5} {:>4} {:>4}  {:<24}  {:<7}", "queue", "open", "late", "soon", "last 24 h", "7 days")
    };
    out.push(Line::styled(head, theme.title()));
    for q in &figures.queues {
        let name = if wide { q.queue.label().to_owned() } else { short_queue(q.queue.label()) };
        let counts =
            if wide { format!("{:<18} {:>6} ", name, q.depth) } else { format!("{:<10} {:>5} ", name, q.depth) };
        let breached = if wide { format!("{:>8}", q.breached) } else { format!("{:>4}", q.breached) };
        let soon = if wide { format!(" {:>8}  ", q.due_soon) } else { format!(" {:>4}  ", q.due_soon) };
        let late_style = if q.breached > 0 { theme.red() } else { Style::default() };
        let soon_style = if q.due_soon > 0 { theme.amber() } else { Style::default() };
        out.push(Line::from(vec![
            Span::raw(counts),
            Span::styled(breached, late_style),
            Span::styled(soon, soon_style),
            Span::raw(format!("{:<24}", sparkline(&q.hourly))),
            Span::raw("  "),
            Span::raw(format!("{:<7}", sparkline(&q.daily))),
            Span::styled(format!(" {}", range(&q.hourly)), theme.dim()),
        ]));
    }
    let total: u64 = figures.queues.iter().map(|q| q.breached).sum();
    out.push(Line::raw(""));
    let opening = figures.next_opening.with_timezone(&London).format("%a %-d %b %H:%M");
    let state = if figures.open_now { "NAS open now" } else { "NAS closed" };
    out.push(Line::from(vec![
        Span::raw(format!("{state}; next opening {opening}.  ")),
        Span::styled(format!("{total} breached"), if total > 0 { theme.red() } else { Style::default() }),
        Span::raw(" in all."),
    ]));
    out.push(Line::styled(
        format!("due soon: within {} min of working time; 24 h range shown right.", figures.due_soon_minutes),
        theme.dim(),
    ));
    out.push(Line::raw(""));
    out.push(Line::styled("tickets changed today, by operator", theme.title()));
    if figures.per_operator.is_empty() {
        out.push(Line::styled("none yet", theme.dim()));
    }
    let per_line = usize::from(width.saturating_sub(2) / (NAME_WIDTH as u16 + 8)).max(1);
    for chunk in figures.per_operator.chunks(per_line) {
        let cells: Vec<String> = chunk
            .iter()
            .map(|(who, n)| format!("{:<w$} {:>5}", crate::text::excerpt(who, NAME_WIDTH), n, w = NAME_WIDTH))
            .collect();
        out.push(Line::raw(cells.join("  ")));
    }
    out
}

fn short_queue(label: &str) -> String {
    match label {
        "national helpdesk" => "helpdesk".to_owned(),
        "resolver group" => "resolver".to_owned(),
        other => other.to_owned(),
    }
}

/// Draws the dashboard into `area` with a border and title.
pub fn draw_dashboard(frame: &mut Frame<'_>, area: Rect, figures: &Dashboard, theme: Theme) {
    let lines = dashboard_lines(figures, area.width, theme);
    frame.render_widget(Paragraph::new(lines).block(frame_block(Some(figures), theme.focused_border(), theme)), area);
}

fn frame_block(figures: Option<&Dashboard>, border: Style, theme: Theme) -> Block<'static> {
    let title = match figures {
        Some(f) => format!(" Dashboard · at {} ", f.at.with_timezone(&London).format("%H:%M")),
        None => " Dashboard ".to_owned(),
    };
    Block::default().borders(Borders::ALL).border_style(border).title(Span::styled(title, theme.title()))
}

/// Pane 4: the kept figures. A ticket change, the console's periodic
/// reload and the reload key only mark them stale; they are read again
/// when the pane is next drawn, so a console that is not showing the
/// dashboard does not ask the daemon for it on every change.
pub struct DashboardPane {
    figures: Option<Dashboard>,
    stale: bool,
    /// Why the last read failed; the figures before it stay shown.
    error: Option<String>,
}

impl Default for DashboardPane {
    fn default() -> DashboardPane {
        DashboardPane { figures: None, stale: true, error: None }
    }
}

impl DashboardPane {
    pub fn figures(&self) -> Option<&Dashboard> {
        self.figures.as_ref()
    }

    fn read(&mut self, desk: &dyn super::desk::Desk) {
        match desk.call(ShowDashboard {}) {
            Ok(figures) => {
                self.figures = Some(figures);
                self.error = None;
            }
            Err(e) => self.error = Some(e.to_string()),
        }
        self.stale = false;
    }
}

impl Pane for DashboardPane {
    fn refresh(&mut self, _cx: &mut Cx<'_>) {
        self.stale = true;
    }

    fn typing(&self) -> bool {
        false
    }

    fn key(&mut self, _key: KeyEvent, _act: Option<Act>, _cx: &mut Cx<'_>) -> bool {
        false
    }

    fn hints(&self, _cx: &Cx<'_>) -> Vec<Hint> {
        vec![Hint::new(Act::Refresh, "reload")]
    }

    fn draw(&mut self, frame: &mut Frame<'_>, area: Rect, view: &View<'_>) {
        if self.stale {
            self.read(view.desk);
        }
        let border = if view.focused { view.theme.focused_border() } else { view.theme.border() };
        let mut lines = match &self.figures {
            Some(figures) => dashboard_lines(figures, area.width, view.theme),
            None => Vec::new(),
        };
        if let Some(error) = &self.error {
            lines.insert(0, Line::styled(format!("could not read the figures: {error}"), view.theme.error()));
        }
        let block = frame_block(self.figures.as_ref(), border, view.theme);
        frame.render_widget(Paragraph::new(lines).block(block), area);
    }

    fn unsaved(&self) -> bool {
        false
    }

    fn jump(&mut self, _jump: &Jump, _cx: &mut Cx<'_>) -> bool {
        false
    }

    fn changed(&mut self, events: &[ChangeEvent], _cx: &mut Cx<'_>) {
        if events.iter().any(|e| e.touched.iter().any(|t| matches!(t, Touched::Ticket(_)))) {
            self.stale = true;
        }
    }

    fn title(&self) -> String {
        match &self.figures {
            Some(f) => format!("{} open", f.queues.iter().map(|q| q.depth).sum::<u64>()),
            None => String::new(),
        }
    }
}
