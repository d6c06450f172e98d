//! The account pane's search line: searching as the operator types, a
//! fresh search on `/`, earlier searches brought back with up or ctrl-p,
//! and showing one account as if its address had been searched for.

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::widgets::Paragraph;

use super::{AccountPane, Focus};
use crate::console::desk::DeskExt;
use crate::console::keymap::{Act, Scope};
use crate::console::pane::{Cursor, Cx, View};
use crate::service::AccountMatch;
use crate::service::ops::FindAccounts;

/// The most matches a search shows: the list narrows as the operator types,
/// so a longer one is a sign to type more, not to scroll.
pub(super) const SEARCH_LIMIT: usize = 200;

/// Earlier searches kept for recalling with up or ctrl-p.
pub(super) const SEARCH_HISTORY: usize = 20;

impl AccountPane {
    /// Runs the search again, selecting `keep` if it is still found and the
    /// first match otherwise.
    pub(super) fn search(&mut self, keep: Option<String>, cx: &mut Cx<'_>) {
        let found = match cx.desk.call(FindAccounts { text: self.search.value().to_owned(), limit: SEARCH_LIMIT }) {
            Ok(found) => found,
            Err(e) => {
                cx.fail(&e);
                Vec::new()
            }
        };
        self.found_orgs = found.iter().map(|m| m.organisation.clone()).collect();
        self.found = AccountMatch::accounts(found);
        self.cursor.selected =
            keep.and_then(|k| self.found.iter().position(|a| a.address.as_str().eq_ignore_ascii_case(&k))).unwrap_or(0);
        self.load(cx);
    }

    /// Shows one account, as if its address had been searched for.
    pub(super) fn show(&mut self, address: &str, cx: &mut Cx<'_>) {
        let address = address.trim();
        self.search.set(address);
        self.focus = Focus::Results;
        self.search(Some(address.to_owned()), cx);
        if self.found.is_empty() {
            cx.warn(format!("no account {address}: check the address, or search by name"));
        }
    }

    /// `/` starts a new search: the last one goes into the history, where
    /// up or ctrl-p brings it back, and the line starts empty. The results
    /// stay until the first letter is typed.
    pub(super) fn fresh_search(&mut self) {
        let last = self.search.value().trim().to_owned();
        if !last.is_empty() {
            self.history.retain(|h| *h != last);
            self.history.push(last);
            if self.history.len() > SEARCH_HISTORY {
                self.history.remove(0);
            }
        }
        self.search.clear();
        self.recalled = None;
        self.focus = Focus::Search;
    }

    /// Shows the next older search (`older`) or the next newer one, and
    /// searches for it.
    pub(super) fn recall(&mut self, older: bool, cx: &mut Cx<'_>) {
        if self.history.is_empty() {
            return;
        }
        let last = self.history.len() - 1;
        let at = match (self.recalled, older) {
            (None, true) => 0,
            (None, false) => return,
            (Some(n), true) => (n + 1).min(last),
            (Some(0), false) => {
                self.recalled = None;
                self.search.clear();
                return;
            }
            (Some(n), false) => n - 1,
        };
        self.recalled = Some(at);
        let text = self.history[last - at].clone();
        self.search.set(&text);
        self.cursor = Cursor::default();
        self.search(None, cx);
    }

    pub(super) fn search_key(&mut self, key: KeyEvent, cx: &mut Cx<'_>) -> bool {
        // The search line reads the form keys: up (previous field) and
        // earlier-search step back through earlier searches.
        // Tab and backtab still move between panes.
        let pane_key = matches!(key.code, KeyCode::Tab | KeyCode::BackTab);
        match cx.keymap.action(&key, Scope::Form).filter(|_| !pane_key) {
            Some(Act::PrevField | Act::EarlierSearch) => {
                self.recall(true, cx);
                true
            }
            Some(Act::LaterSearch) => {
                self.recall(false, cx);
                true
            }
            Some(Act::Save | Act::NextField | Act::Cancel) => {
                self.focus = Focus::Results;
                true
            }
            _ => {
                let before = self.search.value().to_owned();
                if !self.search.key(key) {
                    return false;
                }
                if self.search.value() != before {
                    // New words mean a new list: start from its best match.
                    self.cursor = Cursor::default();
                    self.search(None, cx);
                }
                true
            }
        }
    }

    pub(super) fn draw_search(&mut self, frame: &mut Frame<'_>, area: Rect, view: &View<'_>) {
        self.search_area = area;
        let label = "Search ";
        let [label_area, field] =
            Layout::horizontal([Constraint::Length(label.len() as u16), Constraint::Min(1)]).areas(area);
        let focused = self.focus == Focus::Search;
        frame.render_widget(
            Paragraph::new(label).style(if focused { view.theme.key() } else { Style::new() }),
            label_area,
        );
        if self.search.value().is_empty() && !focused {
            let hint = "/ name, address, mobile or ODS code";
            frame.render_widget(Paragraph::new(hint).style(view.theme.dim()), field);
        } else {
            self.search.draw(frame, field, Style::new(), focused && view.focused && self.task.is_none());
        }
    }
}
