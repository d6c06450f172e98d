//! The account pane's list of matches: one line a result where there is
//! room, two where the pane is narrow, each naming the organisation.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Text};
use ratatui::widgets::{Cell, Paragraph, Row, Table, Wrap};

use super::AccountPane;
use super::details::status_word;
use crate::console::text::clean;
use crate::console::theme::Theme;
use crate::domain::account::Account;

/// The most a result row gives the organisation: its code and the start of
/// its name.
const ORGANISATION_WIDTH: usize = 24;

impl AccountPane {
    pub(super) fn draw_results(&mut self, frame: &mut Frame<'_>, area: Rect, theme: Theme) {
        if self.found.is_empty() {
            self.rows_area = Rect::default();
            let text = if self.search.value().trim().is_empty() {
                "type / and a name, address, mobile or ODS code".to_owned()
            } else {
                format!("no account matches {:?}", clean(self.search.value().trim()))
            };
            frame.render_widget(Paragraph::new(text).style(theme.dim()).wrap(Wrap { trim: true }), area);
            return;
        }
        self.rows_area = Rect { y: area.y + 1, height: area.height.saturating_sub(1), ..area };
        let two_lines = self.row_height > 1;
        let shown = usize::from(self.rows_area.height / self.row_height.max(1));
        let range = self.cursor.window(self.found.len(), shown);
        let status_width = self.found.iter().map(|a| status_word(a).len()).max().unwrap_or(0);
        // The code, and the organisation's name as far as it fits.
        let organisation = |i: usize, a: &Account| match self.found_orgs.get(i).cloned().flatten() {
            Some(name) => format!("{} {}", a.ods, clean(&name)),
            None => a.ods.to_string(),
        };
        let ods_width = (0..self.found.len())
            .map(|i| organisation(i, &self.found[i]).chars().count())
            .max()
            .unwrap_or(0)
            .clamp(3, ORGANISATION_WIDTH);
        let rows = self.found[range.clone()].iter().zip(range).map(|(a, i)| {
            let style = if i == self.cursor.selected { theme.selected() } else { Style::new() };
            let name = clean(&a.display_name()).into_owned();
            let org = organisation(i, a);
            let cells = if two_lines {
                vec![
                    Cell::from(Text::from(vec![Line::from(name), Line::from(a.address.to_string())])),
                    Cell::from(Text::from(vec![Line::from(status_word(a)), Line::from(org)])),
                ]
            } else {
                vec![Cell::from(name), Cell::from(a.address.to_string()), Cell::from(status_word(a)), Cell::from(org)]
            };
            Row::new(cells).height(self.row_height).style(style)
        });
        let table = if two_lines {
            let widths = [Constraint::Fill(1), Constraint::Length(status_width.max(ods_width) as u16)];
            Table::new(rows, widths).header(Row::new(["Name, address", "Status"]).style(theme.title()))
        } else {
            let widths = [
                Constraint::Fill(2),
                Constraint::Fill(3),
                Constraint::Length(status_width as u16),
                Constraint::Length(ods_width as u16),
            ];
            Table::new(rows, widths)
                .header(Row::new(["Name", "Address", "Status", "Organisation"]).style(theme.title()))
        };
        frame.render_widget(table.column_spacing(1), area);
    }
}
