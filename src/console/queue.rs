//! The ticket queue: tabs for the three queues, the operator's own tickets
//! and everything open; a filter line; the ticket view with its timeline;
//! and the forms that work a ticket or log a new one.
//!
//! The list holds the whole view as slots (due time and reference, read
//! from the queue index) so it can count, scroll and jump to the end, but
//! reads full rows only for what is on screen: 20,000 open tickets cost
//! one index scan and a screenful of reads.

mod forms;
mod rows;
mod ticket_view;

use std::collections::HashMap;

use ratatui::Frame;
use ratatui::crossterm::event::{KeyEvent, KeyModifiers};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Row, Table};

use super::desk::{Desk, DeskExt};
use super::form::{Form, FormEvent, TextField};
use super::keymap::{Act, Scope};
use super::marks::Marks;
use super::pane::{Cursor, Cx, Hint, Jump, Pane, PaneId, View, told};
use super::theme::Theme;
use crate::domain::permission::{Action, Role};
use crate::domain::routing::Queue;
use crate::domain::ticket::{TicketRef, TicketStatus};
use crate::service::ops::{Claim, CreateTicket, ListOperators, ListTicketSlots, ReadTicketRows, ShowTicketDetail};
use crate::service::{
    Answer, BulkAction, ChangeEvent, Done, QueueView, ServiceError, TicketDetail, TicketFilter, TicketRow, TicketSlot,
};
use forms::{FormKind, build_change, preview};
use ratatui::widgets::Cell;
use rows::{Col, cell, columns};

/// Rows kept in memory beyond the screen before the cache is dropped.
const ROW_CACHE: usize = 4096;

/// The queue tabs, in order.
const TABS: [(&str, QueueView); 5] = [
    ("NAS", QueueView::Queue(Queue::Nas)),
    ("helpdesk", QueueView::Queue(Queue::Helpdesk)),
    ("resolver", QueueView::Queue(Queue::Resolver)),
    ("mine", QueueView::Mine),
    ("all open", QueueView::All),
];

pub struct QueuePane {
    tab: usize,
    filter: TicketFilter,
    /// The filter line being edited.
    filter_field: Option<TextField>,
    slots: Vec<TicketSlot>,
    rows: HashMap<TicketRef, TicketRow>,
    cursor: Cursor,
    /// Rows the list showed last time it was drawn: a page.
    page: usize,
    /// Screen row of the first ticket row, for clicks.
    list_top: u16,
    /// Where each tab was drawn, for clicks.
    tab_areas: Vec<Rect>,
    /// The ticket view, when open.
    detail: Option<TicketDetail>,
    detail_scroll: u16,
    form: Option<(FormKind, Form)>,
    /// The revision of the ticket the open form works on.
    form_based_on: Option<u64>,
    /// Select this ticket when the list next loads (a ticket just logged).
    select_after_load: Option<TicketRef>,
    marks: Marks,
}

impl QueuePane {
    /// Opens on the operator's own queue, or on everything for a supervisor.
    pub fn new(role: Role) -> QueuePane {
        let tab = match role.home_queue() {
            Some(q) => TABS.iter().position(|(_, v)| *v == QueueView::Queue(q)).unwrap_or(4),
            None => 4,
        };
        QueuePane {
            tab,
            filter: TicketFilter::default(),
            filter_field: None,
            slots: Vec::new(),
            rows: HashMap::new(),
            cursor: Cursor::default(),
            page: 10,
            list_top: 0,
            tab_areas: Vec::new(),
            detail: None,
            detail_scroll: 0,
            form: None,
            form_based_on: None,
            select_after_load: None,
            marks: Marks::default(),
        }
    }

    /// Switches to a tab by name: nas, helpdesk, resolver, mine or all.
    pub fn show_tab(&mut self, name: &str) -> Result<(), String> {
        let wanted = name.trim().to_ascii_lowercase();
        let index =
            TABS.iter().position(|(label, _)| label.to_ascii_lowercase().starts_with(&wanted) && !wanted.is_empty());
        match index {
            Some(i) => {
                self.tab = i;
                self.detail = None;
                Ok(())
            }
            None => Err(format!("no queue tab {name:?}: use nas, helpdesk, resolver, mine or all")),
        }
    }

    /// Sets the filter line (see [`TicketFilter::SYNTAX`]).
    pub fn set_filter(&mut self, text: &str) -> Result<(), String> {
        self.filter = TicketFilter::parse(text).map_err(|e| e.to_string())?;
        self.cursor = Cursor::default();
        Ok(())
    }

    pub fn tab_label(&self) -> &'static str {
        TABS[self.tab].0
    }

    pub fn filter(&self) -> &TicketFilter {
        &self.filter
    }

    /// How many tickets the current tab and filter hold.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    pub fn selected(&self) -> Option<TicketRef> {
        match &self.detail {
            Some(d) => Some(d.ticket.reference),
            None => self.slots.get(self.cursor.selected).map(|s| s.reference),
        }
    }

    pub fn has_form(&self) -> bool {
        self.form.is_some()
    }

    /// The open form's field value, for tests.
    pub fn form_value(&self, label: &str) -> Option<String> {
        self.form.as_ref().map(|(_, f)| f.value(label).to_owned())
    }

    pub fn detail(&self) -> Option<&TicketDetail> {
        self.detail.as_ref()
    }

    /// Rows read from the service so far (bounded by what has been on screen).
    pub fn rows_read(&self) -> usize {
        self.rows.len()
    }

    fn selected_row(&self) -> Option<&TicketRow> {
        self.selected().and_then(|r| self.rows.get(&r))
    }

    /// The revision of the selected ticket as shown, for a change based on
    /// it; read now if its row has not been drawn yet.
    fn selected_rev(&self, desk: &dyn Desk) -> Option<u64> {
        match (&self.detail, self.selected_row(), self.selected()) {
            (Some(d), _, _) => Some(d.ticket.meta.rev),
            (None, Some(row), _) => Some(row.rev),
            (None, None, Some(reference)) => {
                desk.call(ReadTicketRows { refs: vec![reference] }).ok()?.first().map(|r| r.rev)
            }
            (None, None, None) => None,
        }
    }

    fn selected_queue(&self) -> Option<Queue> {
        match &self.detail {
            Some(d) => Some(d.ticket.routing.queue),
            None => self.selected_row().map(|r| r.queue),
        }
    }

    fn reload(&mut self, cx: &mut Cx<'_>) {
        let keep = self.select_after_load.take().or_else(|| self.slots.get(self.cursor.selected).map(|s| s.reference));
        match cx.desk.call(ListTicketSlots { view: TABS[self.tab].1.clone(), filter: self.filter.clone() }) {
            Ok(slots) => self.slots = slots,
            Err(e) => cx.fail(&e),
        }
        self.rows.clear();
        if let Some(keep) = keep {
            if let Some(i) = self.slots.iter().position(|s| s.reference == keep) {
                self.cursor.selected = i;
            }
        }
        if let Some(reference) = self.detail.as_ref().map(|d| d.ticket.reference) {
            match cx.desk.call(ShowTicketDetail { reference }) {
                Ok(d) => self.detail = Some(d),
                Err(e) => {
                    self.detail = None;
                    cx.fail(&e);
                }
            }
        }
    }

    /// Other sessions changed `touched`: each leaves the list, and comes
    /// back in its due place if it still belongs in this tab and filter.
    /// Only those tickets are read, not the whole queue again. The selected
    /// ticket stays selected wherever it moves.
    fn absorb(&mut self, touched: &[TicketRef], cx: &mut Cx<'_>) -> Result<(), ServiceError> {
        let rows = cx.desk.call(ReadTicketRows { refs: touched.to_vec() })?;
        let keep = self.selected();
        let view = &TABS[self.tab].1;
        let operator = cx.desk.operator().to_owned();
        self.slots.retain(|s| !touched.contains(&s.reference));
        for reference in touched {
            self.rows.remove(reference);
        }
        for row in rows {
            if view.admits(&row, &operator) && self.filter.admits(&row) {
                let slot = TicketSlot { due_at: row.due_at, reference: row.reference };
                let at = self.slots.binary_search(&slot).unwrap_or_else(|at| at);
                self.slots.insert(at, slot);
                self.rows.insert(row.reference, row);
            }
        }
        if let Some(i) = keep.and_then(|k| self.slots.iter().position(|s| s.reference == k)) {
            self.cursor.selected = i;
        }
        if let Some(open) = self.detail.as_ref().map(|d| d.ticket.reference).filter(|r| touched.contains(r)) {
            self.detail = Some(cx.desk.call(ShowTicketDetail { reference: open })?);
        }
        Ok(())
    }

    /// Reads the rows of `range` that are not already in memory.
    fn fetch(&mut self, desk: &dyn Desk, range: std::ops::Range<usize>) {
        let missing: Vec<TicketRef> =
            self.slots[range].iter().map(|s| s.reference).filter(|r| !self.rows.contains_key(r)).collect();
        if missing.is_empty() {
            return;
        }
        if self.rows.len() + missing.len() > ROW_CACHE {
            self.rows.clear();
        }
        // A failed read leaves the rows blank; the next refresh reports it.
        if let Ok(rows) = desk.call(ReadTicketRows { refs: missing.to_vec() }) {
            self.rows.extend(rows.into_iter().map(|r| (r.reference, r)));
        }
    }

    fn open_detail(&mut self, cx: &mut Cx<'_>, reference: TicketRef) {
        match cx.desk.call(ShowTicketDetail { reference }) {
            Ok(d) => {
                self.detail = Some(d);
                self.detail_scroll = 0;
            }
            Err(e) => cx.fail(&e),
        }
    }

    /// The permission a ticket action needs, as the service will check it.
    fn needs(&self, act: Act) -> Option<Action> {
        match act {
            Act::Assign => Some(Action::AssignTicket),
            Act::NewTicket => Some(Action::LogTicket),
            Act::Claim | Act::SetStatus | Act::Note | Act::Reply | Act::Link => {
                Some(Action::WorkTicket(self.selected_queue().unwrap_or(Queue::Nas)))
            }
            _ => None,
        }
    }

    fn ticket_hint(&self, cx: &Cx<'_>, act: Act, label: &'static str) -> Hint {
        let hint = Hint::new(act, label);
        if self.selected().is_none() {
            return hint.disabled_because("no ticket is selected");
        }
        let status = match &self.detail {
            Some(d) => Some(d.ticket.status),
            None => self.selected_row().map(|r| r.status),
        };
        if act != Act::SetStatus && status.is_some_and(|s| !s.is_open()) {
            return hint.disabled_because("the ticket is resolved or closed: change its status to reopen it");
        }
        if act == Act::Claim {
            let assignee = match &self.detail {
                Some(d) => d.ticket.assignee.as_deref(),
                None => self.selected_row().and_then(|r| r.assignee.as_deref()),
            };
            if assignee == Some(cx.desk.operator()) {
                return hint.disabled_because("the ticket is already yours");
            }
        }
        match self.needs(act) {
            Some(action) => hint.needs(cx, action),
            None => hint,
        }
    }

    fn start_form(&mut self, cx: &mut Cx<'_>, act: Act) {
        let Some(reference) = self.selected() else {
            cx.warn("select a ticket first");
            return;
        };
        let form = match act {
            Act::Assign => {
                let operators = match cx.desk.call(ListOperators {}) {
                    Ok(ops) => ops,
                    Err(e) => return cx.fail(&e),
                };
                let mut names = vec!["nobody".to_owned()];
                names.extend(operators.into_iter().filter(|o| o.enabled).map(|o| o.username));
                let current = self
                    .selected_row()
                    .and_then(|r| r.assignee.clone())
                    .or_else(|| self.detail.as_ref().and_then(|d| d.ticket.assignee.clone()));
                let chosen = current.and_then(|c| names.iter().position(|n| *n == c)).unwrap_or(0);
                (
                    FormKind::Assign(reference),
                    Form::new(format!("Assign {reference}")).choice("Operator", names, chosen),
                )
            }
            Act::SetStatus => {
                let options: Vec<String> = TicketStatus::ALL.iter().map(|s| s.slug().to_owned()).collect();
                let current = self.selected_row().map(|r| r.status).unwrap_or(TicketStatus::New);
                let chosen = TicketStatus::ALL.iter().position(|s| *s == current).unwrap_or(0);
                (
                    FormKind::Status(reference),
                    Form::new(format!("Status of {reference}")).choice("Status", options, chosen),
                )
            }
            Act::Note => (
                FormKind::Note(reference),
                Form::new(format!("Internal note on {reference}")).lines("Note", "seen by operators only", ""),
            ),
            Act::Reply => (
                FormKind::Reply(reference),
                Form::new(format!("Reply on {reference}")).lines("Reply", "sent to the requester", ""),
            ),
            Act::Link => (
                FormKind::Link(reference),
                Form::new(format!("Link {reference}")).text("Account", "name@nhs.net (optional)", "").text(
                    "Mailbox",
                    "shared mailbox address (optional)",
                    "",
                ),
            ),
            _ => return,
        };
        self.form_based_on = self.selected_rev(cx.desk);
        self.form = Some(form);
    }

    fn new_ticket_form(&mut self, cx: &mut Cx<'_>, prefill: Option<&CreateTicket>) {
        self.form = Some((FormKind::New, forms::new_ticket(cx, prefill)));
        self.form_based_on = None;
    }

    fn form_key(&mut self, key: KeyEvent, cx: &mut Cx<'_>) -> bool {
        let Some((kind, form)) = self.form.as_mut() else { return false };
        match form.key(key, cx.keymap) {
            FormEvent::Idle => {}
            FormEvent::Edited(_) => {
                if *kind == FormKind::New {
                    preview(form, cx);
                }
            }
            FormEvent::Cancel => {
                self.form = None;
                cx.info("nothing was saved");
            }
            FormEvent::Submit => {
                let kind = *kind;
                let change = match build_change(kind, form) {
                    Ok(c) => c,
                    Err(e) => {
                        form.error = Some(e);
                        return true;
                    }
                };
                match cx.submit(change, self.form_based_on) {
                    Some(answer) => {
                        self.form = None;
                        if let Answer::CreateTicket(Done { record: t, .. }) = answer {
                            if kind == FormKind::New {
                                // Show the new ticket where it went.
                                if let Some(i) = TABS.iter().position(|(_, v)| *v == QueueView::Queue(t.routing.queue))
                                {
                                    self.tab = i;
                                }
                                self.detail = None;
                                self.select_after_load = Some(t.reference);
                            }
                        }
                    }
                    None => {
                        form.error = cx.message.as_ref().map(|m| m.text.clone());
                    }
                }
            }
        }
        true
    }

    fn filter_key(&mut self, key: KeyEvent, cx: &mut Cx<'_>) -> bool {
        let Some(field) = self.filter_field.as_mut() else { return false };
        match cx.keymap.action(&key, Scope::Form) {
            Some(Act::Cancel) => self.filter_field = None,
            Some(Act::Save) => {
                let text = field.value().to_owned();
                match self.set_filter(&text) {
                    Ok(()) => {
                        self.filter_field = None;
                        self.reload(cx);
                        cx.info(if self.filter.is_default() {
                            "filter cleared".to_owned()
                        } else {
                            format!("{} tickets match {}", self.slots.len(), self.filter)
                        });
                    }
                    Err(e) => cx.warn(e),
                }
            }
            _ => return field.key(key),
        }
        true
    }

    fn act(&mut self, act: Act, cx: &mut Cx<'_>) -> bool {
        let hints = self.hints(cx);
        if !matches!(act, Act::UndoBulk | Act::Up | Act::Down | Act::PageUp | Act::PageDown | Act::Top | Act::Bottom) {
            self.marks.moved_on();
        }
        match act {
            Act::Mark if self.detail.is_none() => match self.selected() {
                Some(reference) => self.marks.toggle(reference),
                None => return false,
            },
            Act::MarkAll if self.detail.is_none() => self.marks.mark_all(self.slots.iter().map(|s| s.reference)),
            Act::UndoBulk => self.marks.undo(cx),
            // The service authorises each marked ticket on its own; the
            // selected row's hint says nothing about the others.
            Act::Claim if self.detail.is_none() && !self.marks.is_empty() => self.marks.apply(BulkAction::Claim, cx),
            Act::Filter => {
                // The current filter, ready for another word.
                let current = self.filter.to_string();
                let text = if current.is_empty() { current } else { format!("{current} ") };
                self.filter_field = Some(TextField::new(&text));
            }
            Act::PrevQueue | Act::NextQueue => {
                let n = TABS.len();
                self.tab = if act == Act::NextQueue { (self.tab + 1) % n } else { (self.tab + n - 1) % n };
                self.detail = None;
                self.cursor = Cursor::default();
                self.reload(cx);
            }
            Act::Open if self.detail.is_none() => match self.selected() {
                Some(r) => self.open_detail(cx, r),
                None => return false,
            },
            Act::Back if self.detail.is_some() => self.detail = None,
            Act::Back if !self.filter.is_default() => {
                self.filter = TicketFilter::default();
                self.reload(cx);
                cx.info("filter cleared");
            }
            Act::Up | Act::Down | Act::PageUp | Act::PageDown | Act::Top | Act::Bottom if self.detail.is_some() => {
                self.detail_scroll = match act {
                    Act::Up => self.detail_scroll.saturating_sub(1),
                    Act::Down => self.detail_scroll.saturating_add(1),
                    Act::PageUp => self.detail_scroll.saturating_sub(10),
                    Act::PageDown => self.detail_scroll.saturating_add(10),
                    Act::Top => 0,
                    _ => u16::MAX / 2,
                };
            }
            Act::Up | Act::Down | Act::PageUp | Act::PageDown | Act::Top | Act::Bottom => {
                self.cursor.navigate(act, self.slots.len(), self.page);
            }
            Act::NewTicket => {
                if !cx.refuse_if_disabled(&hints, act) {
                    self.new_ticket_form(cx, None);
                }
            }
            Act::Claim => {
                if !cx.refuse_if_disabled(&hints, act) {
                    if let Some(reference) = self.selected() {
                        cx.submit(Claim { reference }, self.selected_rev(cx.desk));
                    }
                }
            }
            Act::Assign | Act::SetStatus | Act::Note | Act::Reply | Act::Link => {
                if !cx.refuse_if_disabled(&hints, act) {
                    self.start_form(cx, act);
                }
            }
            Act::FollowLink => match &self.detail {
                Some(d) => match (&d.account, &d.mailbox) {
                    (Some(a), _) => cx.jump = Some(Jump::Account(a.clone())),
                    (None, Some(m)) => cx.jump = Some(Jump::Mailbox(m.clone())),
                    (None, None) => cx.warn("the ticket is not linked to an account or mailbox: l links it"),
                },
                None => cx.warn("open a ticket first (enter)"),
            },
            _ => return false,
        }
        true
    }

    fn draw_list(&mut self, frame: &mut Frame<'_>, area: Rect, view: &View<'_>) {
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
                let mut text = if self.filter.is_default() {
                    format!("{} open · / to filter", self.slots.len())
                } else {
                    format!("{} match {} · esc clears", self.slots.len(), self.filter)
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
        let columns = columns(list.width);
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
                            id => cell(id, row, selected, view.now, theme),
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
    }

    fn draw_tabs(&mut self, frame: &mut Frame<'_>, area: Rect, theme: Theme) {
        self.tab_areas.clear();
        let mut spans = Vec::new();
        let mut x = area.x;
        for (i, (label, _)) in TABS.iter().enumerate() {
            let text = format!(" {label} ");
            let width = text.chars().count() as u16;
            self.tab_areas.push(Rect { x, y: area.y, width, height: 1 });
            x += width;
            spans.push(Span::styled(text, if i == self.tab { theme.selected() } else { theme.dim() }));
        }
        frame.render_widget(Paragraph::new(Line::from(spans)), area);
    }
}

impl Pane for QueuePane {
    fn refresh(&mut self, cx: &mut Cx<'_>) {
        self.reload(cx);
    }

    fn typing(&self) -> bool {
        self.form.is_some() || self.filter_field.is_some()
    }

    fn key(&mut self, key: KeyEvent, act: Option<Act>, cx: &mut Cx<'_>) -> bool {
        // A quit key that cannot be typed as text still quits from a form.
        let quit = cx.keymap.is(&key, Act::Quit) && key.modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
        if self.form.is_some() {
            return !quit && self.form_key(key, cx);
        }
        if self.filter_field.is_some() {
            return !quit && self.filter_key(key, cx);
        }
        match act {
            Some(act) => self.act(act, cx),
            None => false,
        }
    }

    fn hints(&self, cx: &Cx<'_>) -> Vec<Hint> {
        if self.form.is_some() || self.filter_field.is_some() {
            return Vec::new();
        }
        let mut hints = Vec::new();
        if self.detail.is_some() {
            hints.push(Hint::new(Act::Back, "back"));
        } else {
            hints.push(Hint::new(Act::Open, "open"));
            hints.push(Hint::new(Act::NextQueue, "queue"));
            hints.push(Hint::new(Act::Filter, "filter"));
        }
        hints.push(Hint::new(Act::NewTicket, "new").needs(cx, Action::LogTicket));
        for (act, label) in [
            (Act::Claim, "claim"),
            (Act::Assign, "assign"),
            (Act::SetStatus, "status"),
            (Act::Note, "note"),
            (Act::Reply, "reply"),
            (Act::Link, "link"),
        ] {
            hints.push(self.ticket_hint(cx, act, label));
        }
        if let Some(d) = &self.detail {
            let hint = Hint::new(Act::FollowLink, "follow link");
            hints.push(if d.account.is_none() && d.mailbox.is_none() {
                hint.disabled_because("the ticket is not linked to an account or mailbox")
            } else {
                hint
            });
        }
        hints
    }

    fn draw(&mut self, frame: &mut Frame<'_>, area: Rect, view: &View<'_>) {
        let border = if view.focused { view.theme.focused_border() } else { view.theme.border() };
        let block = Block::bordered()
            .title(Span::styled(format!(" {} ", self.title()), view.theme.title()))
            .border_style(border);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        match self.detail.take() {
            Some(d) => {
                ticket_view::draw(frame, inner, view, &d, self.detail_scroll);
                self.detail = Some(d);
            }
            None => self.draw_list(frame, inner, view),
        }
    }

    fn draw_popup(&mut self, frame: &mut Frame<'_>, full: Rect, view: &View<'_>) {
        if let Some((_, form)) = &self.form {
            form.draw(frame, full, view.theme, view.keymap);
        }
    }

    fn unsaved(&self) -> bool {
        self.form.as_ref().is_some_and(|(_, f)| f.dirty())
    }

    fn click(&mut self, column: u16, row: u16, cx: &mut Cx<'_>) -> bool {
        if self.form.is_some() || self.detail.is_some() {
            return false;
        }
        if let Some(i) = self.tab_areas.iter().position(|r| r.contains((column, row).into())) {
            self.tab = i;
            self.cursor = Cursor::default();
            self.reload(cx);
            return true;
        }
        self.cursor.click(self.list_top, row, self.slots.len())
    }

    fn changed(&mut self, events: &[ChangeEvent], cx: &mut Cx<'_>) {
        let mut touched: Vec<TicketRef> = events.iter().flat_map(ChangeEvent::tickets).collect();
        touched.sort_unstable();
        touched.dedup();
        if touched.is_empty() {
            return;
        }
        let watched = self.selected();
        if let Err(e) = self.absorb(&touched, cx) {
            cx.fail(&e);
            return;
        }
        // Say so when it is the ticket the operator is on.
        if let Some(w) = watched {
            if let Some(event) = events.iter().rev().find(|e| e.touches_ticket(w)) {
                cx.info(told(event, &w.to_string()));
            }
        }
    }

    fn jump(&mut self, jump: &Jump, cx: &mut Cx<'_>) -> bool {
        match jump {
            Jump::Ticket(reference) => {
                self.open_detail(cx, *reference);
                self.detail.is_some()
            }
            Jump::NewTicket(prefill) => {
                self.detail = None;
                self.new_ticket_form(cx, Some(prefill));
                true
            }
            Jump::Account(_) | Jump::Mailbox(_) => false,
        }
    }

    fn title(&self) -> String {
        match &self.detail {
            Some(d) => format!("{} · {}", PaneId::Queue.label(), d.ticket.reference),
            None => format!("{} · {}", PaneId::Queue.label(), TABS[self.tab].0),
        }
    }
}
