//! Drawing the queue list: its tabs, the filter line and a screenful of
//! rows, read as they come into view.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use super::rows::{Against, Col, cell, columns};
use super::{QueuePane, TABS};
use crate::console::pane::View;
use crate::console::theme::Theme;

impl QueuePane {
    pub(super) fn draw_list(&mut self, frame: &mut Frame<'_>, area: Rect, view: &View<'_>) {
        let theme = view.theme;
        let [tabs, filter, list] =
            Layout::vertical([Constraint::Length(1), Constraint::Length(1), Constraint::Min(1)]).areas(area);
        self.draw_tabs(frame, tabs, theme);
        match &self.filter_field {
            Some(field) => {
                frame.render_widget(Paragraph::new("filter: ").style(theme.key()), filter);
                let rest = Rect { x: filter.x + 8, width: filter.width.saturating_sub(8), ..filter };
                field.draw(frame, rest, Style::new(), true);
            }
            None => {
                let overdue = self.past_due;
                let overdue = if overdue > 0 { format!(" · {overdue} past due") } else { String::new() };
                let mut text = if self.filter.is_default() {
                    format!("{} open{overdue} · / to filter", self.slots.len())
                } else {
                    format!("{} match {}{overdue} · esc clears", self.slots.len(), self.filter)
                };
                if !self.marks.is_empty() {
                    text = format!("{} marked · {text}", self.marks.len());
                }
                frame.render_widget(Paragraph::new(text).style(theme.dim()), filter);
            }
        }
        let height = usize::from(list.height.saturating_sub(1));
        self.page = height.max(1);
        self.list_top = list.y + 1;
        let range = self.cursor.window(self.slots.len(), height);
        self.fetch(view.desk, range.clone());
        let memo = self.column_memo.take();
        let here = |row: &crate::service::TicketRow| self.others_on(row.reference);
        let at = Against { now: view.now, sla: self.sla.as_ref(), here: Some(&here) };
        // Widths are measured again only when what is on screen changed:
        // a redraw with nothing new costs no more than before.
        let key = (list.width, range.clone(), self.rows_epoch, view.now.timestamp() / 60);
        let columns = match memo {
            Some((k, cols)) if k == key => cols,
            _ => {
                let shown: Vec<&crate::service::TicketRow> =
                    range.clone().filter_map(|i| self.rows.get(&self.slots[i].reference)).collect();
                columns(list.width, &shown, at)
            }
        };
        let header = Row::new(columns.iter().map(|c| c.title)).style(theme.title());
        let rows: Vec<Row<'_>> = range
            .clone()
            .map(|i| {
                let slot = self.slots[i];
                let style = if i == self.cursor.selected && view.focused { theme.selected() } else { Style::new() };
                match self.rows.get(&slot.reference) {
                    Some(row) => {
                        let selected = i == self.cursor.selected;
                        Row::new(columns.iter().map(|c| match c.id {
                            // A mark shows without colour too: a star, or a
                            // double arrow on the selected row.
                            Col::Reference if self.marks.contains(row.reference) => {
                                Cell::from(format!("{}{}", if selected { '»' } else { '*' }, row.reference))
                            }
                            id => cell(id, row, selected, at, theme),
                        }))
                        .style(style)
                    }
                    None => Row::new(vec![slot.reference.to_string()]).style(style),
                }
            })
            .collect();
        if self.slots.is_empty() {
            let text = if self.filter.is_default() { "no open tickets here" } else { "no tickets match the filter" };
            frame.render_widget(Paragraph::new(text).style(theme.dim()), Rect { y: list.y + 1, height: 1, ..list });
        }
        let widths: Vec<Constraint> = columns.iter().map(|c| Constraint::Length(c.width)).collect();
        frame.render_widget(Table::new(rows, widths).header(header).column_spacing(1), list);
        self.column_memo = Some((key, columns));
    }

    pub(super) fn draw_tabs(&mut self, frame: &mut Frame<'_>, area: Rect, theme: Theme) {
        self.tab_areas.clear();
        let saved = self.views.iter().map(|v| {
            let count = v.count.map_or("?".to_owned(), |n| n.to_string());
            // A shared view is marked, so the operator knows a supervisor keeps it.
            let shared = if v.view.owner.is_none() { "+" } else { "" };
            let name: String = crate::console::text::clean(&v.view.name).chars().take(TAB_NAME).collect();
            format!("{shared}{name} {count}")
        });
        let labels: Vec<String> =
            TABS.iter().map(|(label, _)| (*label).to_owned()).chain(saved).map(|l| format!(" {l} ")).collect();
        let widths: Vec<u16> = labels.iter().map(|l| l.chars().count() as u16).collect();
        let shown = visible_tabs(&widths, self.tab, area.width);
        let mut spans = Vec::new();
        let mut x = area.x;
        if shown.start > 0 {
            let marker = format!("‹{} ", shown.start);
            x += marker.chars().count() as u16;
            spans.push(Span::styled(marker, theme.dim()));
        }
        for (i, label) in labels.into_iter().enumerate() {
            if !shown.contains(&i) {
                // Off screen: a click finds nothing there.
                self.tab_areas.push(Rect::default());
                continue;
            }
            let width = widths[i];
            self.tab_areas.push(Rect { x, y: area.y, width, height: 1 });
            x += width;
            spans.push(Span::styled(label, if i == self.tab { theme.selected() } else { theme.dim() }));
        }
        if shown.end < widths.len() {
            spans.push(Span::styled(format!(" {}›", widths.len() - shown.end), theme.dim()));
        }
        frame.render_widget(Paragraph::new(Line::from(spans)), area);
    }
}

/// The most of a view's name a tab shows.
const TAB_NAME: usize = 20;

/// Which tabs fit in `room` columns: always the current one, then its
/// neighbours as they fit, the next one before the one before it, leaving
/// room for "‹3 " and " 4›" where tabs are left off on either side.
fn visible_tabs(widths: &[u16], current: usize, room: u16) -> std::ops::Range<usize> {
    let n = widths.len();
    if n == 0 {
        return 0..0;
    }
    let current = current.min(n - 1);
    // A marker's width with the longest count it could show.
    let marker = 2 + n.to_string().len() as u32;
    let cost = |r: &std::ops::Range<usize>| {
        let tabs: u32 = widths[r.clone()].iter().map(|w| u32::from(*w)).sum();
        tabs + if r.start > 0 { marker } else { 0 } + if r.end < n { marker } else { 0 }
    };
    let mut shown = current..current + 1;
    loop {
        let mut grew = false;
        let wider = [
            (shown.end < n).then(|| shown.start..shown.end + 1),
            (shown.start > 0).then(|| shown.start - 1..shown.end),
        ];
        for candidate in wider.into_iter().flatten() {
            if cost(&candidate) <= u32::from(room) {
                shown = candidate;
                grew = true;
                break;
            }
        }
        if !grew {
            return shown;
        }
    }
}

#[cfg(test)]
mod tab_tests {
    use super::visible_tabs;

    #[test]
    fn the_current_tab_is_always_shown_with_as_many_neighbours_as_fit() {
        let widths = [5, 10, 10, 6, 10, 8, 8, 8, 8];
        // Room for everything: everything.
        assert_eq!(visible_tabs(&widths, 0, 200), 0..9);
        // 80 columns hold the first six from the start.
        let first = visible_tabs(&widths, 0, 60);
        assert_eq!(first.start, 0);
        assert!(first.end < 9);
        // The last tab selected: it is shown, with the ones before it.
        let last = visible_tabs(&widths, 8, 40);
        assert_eq!(last.end, 9);
        assert!(last.start > 0);
        let used: u16 = widths[last.clone()].iter().sum::<u16>() + 3;
        assert!(used <= 40, "{last:?} takes {used}");
        // Too narrow for even the current tab: it is still the one shown.
        assert_eq!(visible_tabs(&widths, 4, 3), 4..5);
        assert_eq!(visible_tabs(&[], 0, 80), 0..0);
    }
}
