//! The ticket queue: tabs for the three queues, the operator's own tickets
//! and everything open; a filter line; the ticket view with its timeline;
//! and the forms that work a ticket or log a new one.
//!
//! The list holds the whole view as slots (due time and reference, read
//! from the queue index) so it can count, scroll and jump to the end, but
//! reads full rows only for what is on screen: 20,000 open tickets cost
//! one index scan and a screenful of reads.

use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Europe::London;
use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Row, Table, Wrap};

use super::desk::{Desk, DeskExt};
use super::form::{Form, FormEvent, TextField};
use super::keymap::Act;
use super::pane::{Cursor, Cx, Hint, Jump, Pane, PaneId, View};
use super::text::{clean, clean_lines};
use super::theme::Theme;
use crate::domain::permission::{Action, Role};
use crate::domain::routing::{Category, Channel, Queue};
use crate::domain::ticket::{EntryKind, TicketRef, TicketStatus, missing_details};
use crate::domain::validate::OdsCode;
use crate::service::{Command, NewTicket, QueueView, Subject, TicketDetail, TicketFilter, TicketRow, TicketSlot};

/// A due time this close is drawn amber.
const DUE_SOON: TimeDelta = TimeDelta::hours(2);

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

/// What a form on this pane will do when saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FormKind {
    New,
    Assign(TicketRef),
    Status(TicketRef),
    Note(TicketRef),
    Reply(TicketRef),
    Link(TicketRef),
}

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
    /// Select this ticket when the list next loads (a ticket just logged).
    select_after_load: Option<TicketRef>,
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
            select_after_load: None,
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

    fn selected_queue(&self) -> Option<Queue> {
        match &self.detail {
            Some(d) => Some(d.ticket.routing.queue),
            None => self.selected_row().map(|r| r.queue),
        }
    }

    fn reload(&mut self, cx: &mut Cx<'_>) {
        let keep = self.select_after_load.take().or_else(|| self.slots.get(self.cursor.selected).map(|s| s.reference));
        match cx.desk.ticket_slots(&TABS[self.tab].1, &self.filter) {
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
            match cx.desk.ticket_detail(reference) {
                Ok(d) => self.detail = Some(d),
                Err(e) => {
                    self.detail = None;
                    cx.fail(&e);
                }
            }
        }
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
        if let Ok(rows) = desk.ticket_rows(&missing) {
            self.rows.extend(rows.into_iter().map(|r| (r.reference, r)));
        }
    }

    fn open_detail(&mut self, cx: &mut Cx<'_>, reference: TicketRef) {
        match cx.desk.ticket_detail(reference) {
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
                let operators = match cx.desk.operators() {
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
                Form::new(format!("Internal note on {reference}")).text("Note", "seen by operators only", ""),
            ),
            Act::Reply => (
                FormKind::Reply(reference),
                Form::new(format!("Reply on {reference}")).text("Reply", "sent to the requester", ""),
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
        self.form = Some(form);
    }

    fn new_ticket_form(&mut self, cx: &mut Cx<'_>, prefill: Option<&NewTicket>) {
        let categories: Vec<String> = Category::ALL.iter().map(|c| c.slug().to_owned()).collect();
        let channels: Vec<String> = Channel::ALL.iter().map(|c| c.slug().to_owned()).collect();
        let phone = Channel::ALL.iter().position(|c| *c == Channel::Phone).unwrap_or(0);
        let mut form = Form::new("New ticket")
            .choice("Category", categories, 0)
            .choice("Channel", channels, phone)
            .text("Requester", "first and last name", "")
            .text("Email", "requester's email (optional)", "")
            .text("Phone", "requester's phone (optional)", "")
            .text("ODS code", "e.g. V1A2B", "")
            .text("Account", "the person's NHSmail address, if known", "")
            .text("Mailbox", "the shared mailbox address, if known", "")
            .text("Mailbox name", "shared mailbox named by the requester", "")
            .text("Subject", "one line", "")
            .text("Details", "what was asked", "")
            .choice("If incomplete", vec!["refuse".to_owned(), "log and wait on the requester".to_owned()], 0);
        if let Some(t) = prefill {
            form.set("Category", t.category.slug());
            form.set("Channel", t.channel.slug());
            form.set("Requester", &t.requester_name);
            form.set("Email", t.requester_email.as_deref().unwrap_or(""));
            form.set("Phone", t.requester_phone.as_deref().unwrap_or(""));
            form.set("ODS code", t.ods.as_deref().unwrap_or(""));
            form.set("Account", t.account.as_deref().unwrap_or(""));
            form.set("Mailbox", t.mailbox.as_deref().unwrap_or(""));
            form.set("Mailbox name", t.mailbox_name.as_deref().unwrap_or(""));
            form.set("Subject", &t.subject);
            form.set("Details", &t.body);
            form.focus = 2;
        }
        preview(&mut form, cx);
        self.form = Some((FormKind::New, form));
    }

    fn form_key(&mut self, key: KeyEvent, cx: &mut Cx<'_>) -> bool {
        let Some((kind, form)) = self.form.as_mut() else { return false };
        match form.key(key) {
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
                let command = match build_command(kind, form) {
                    Ok(c) => c,
                    Err(e) => {
                        form.error = Some(e);
                        return true;
                    }
                };
                match cx.execute(&command) {
                    Some(outcome) => {
                        self.form = None;
                        if let Subject::Ticket(t) = outcome.subject {
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
        match key.code {
            KeyCode::Esc => self.filter_field = None,
            KeyCode::Enter => {
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
        match act {
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
                        cx.execute(&Command::Claim { reference });
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
                let text = if self.filter.is_default() {
                    format!("{} open · / to filter", self.slots.len())
                } else {
                    format!("{} match {} · esc clears", self.slots.len(), self.filter)
                };
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
                    Some(row) => Row::new(columns.iter().map(|c| cell(c.id, row, view.now, theme))).style(style),
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

    fn draw_detail(&self, frame: &mut Frame<'_>, area: Rect, view: &View<'_>, d: &TicketDetail) {
        let theme = view.theme;
        let t = &d.ticket;
        let label = |text: &str| Span::styled(format!("{text:<13}"), theme.dim());
        let mut lines = vec![
            Line::from(vec![
                Span::styled(t.reference.to_string(), theme.title()),
                Span::raw("  "),
                Span::styled(clean(&t.subject).into_owned(), theme.title()),
            ]),
            Line::from(vec![
                label("status"),
                Span::raw(format!("{} · {} queue", t.status.slug(), t.routing.queue.label())),
            ]),
            Line::from(vec![
                label("due"),
                Span::styled(local(t.routing.due_at, "%a %-d %b %H:%M"), due_style(t.routing.due_at, view.now, theme)),
                Span::raw(format!("  (work from {})", local(t.routing.work_from, "%a %-d %b %H:%M"))),
            ]),
            Line::from(vec![
                label("received"),
                Span::raw(format!("{} by {}", local(t.received_at, "%a %-d %b %H:%M"), t.channel.slug())),
            ]),
            Line::from(vec![label("category"), Span::raw(t.category.label())]),
            Line::from(vec![label("requester"), Span::raw(requester(d))]),
            Line::from(vec![label("organisation"), Span::raw(organisation(d))]),
            Line::from(vec![label("assignee"), Span::raw(t.assignee.clone().unwrap_or_else(|| "nobody".to_owned()))]),
        ];
        if d.account.is_some() || d.mailbox.is_some() {
            let linked = [d.account.as_deref(), d.mailbox.as_deref()].into_iter().flatten().collect::<Vec<_>>();
            lines.push(Line::from(vec![label("linked"), Span::raw(clean(&linked.join(", ")).into_owned())]));
        }
        if let Some(name) = &t.mailbox_name {
            lines.push(Line::from(vec![label("mailbox"), Span::raw(format!("named \"{}\"", clean(name)))]));
        }
        lines.push(Line::default());
        lines.extend(clean_lines(&t.body).into_iter().map(Line::from));
        lines.push(Line::default());
        lines.push(Line::styled("Timeline", theme.title()));
        for entry in &t.timeline {
            let kind = match entry.kind {
                EntryKind::Note => "note",
                EntryKind::Reply => "reply",
                EntryKind::Event => "event",
            };
            let mut text = clean_lines(&entry.text).into_iter();
            lines.push(Line::from(vec![
                Span::styled(local(entry.at, "%-d %b %H:%M "), theme.dim()),
                Span::styled(format!("{} ", clean(&entry.by)), theme.key()),
                Span::styled(format!("[{kind}] "), theme.dim()),
                Span::raw(text.next().unwrap_or_default()),
            ]));
            lines.extend(text.map(|l| Line::from(format!("    {l}"))));
        }
        let scroll = self.detail_scroll.min(lines.len().saturating_sub(1) as u16);
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).scroll((scroll, 0)), area);
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
        let quit = key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL);
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
                self.draw_detail(frame, inner, view, &d);
                self.detail = Some(d);
            }
            None => self.draw_list(frame, inner, view),
        }
    }

    fn draw_popup(&mut self, frame: &mut Frame<'_>, full: Rect, view: &View<'_>) {
        if let Some((_, form)) = &self.form {
            form.draw(frame, full, view.theme);
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

/// Shows under the new-ticket form where the ticket will go and what it
/// still lacks, as the operator fills it in.
fn preview(form: &mut Form, cx: &Cx<'_>) {
    let mut notes = Vec::new();
    match form.value("Category").parse::<Category>() {
        Ok(category) => {
            match cx.desk.route(category) {
                Ok(r) => notes.push(Line::from(format!(
                    "→ {} queue · work from {} · due {}",
                    r.queue.label(),
                    local(r.work_from, "%a %-d %b %H:%M"),
                    local(r.due_at, "%a %-d %b %H:%M")
                ))),
                Err(e) => notes.push(Line::from(format!("routing unknown: {e}"))),
            }
            let ods = OdsCode::parse(form.value("ODS code")).ok();
            let name = form.optional("Mailbox name");
            let missing = missing_details(category, form.value("Requester"), ods.as_ref(), name.as_deref());
            if !missing.is_empty() {
                let list: Vec<&str> = missing.iter().map(|d| d.label()).collect();
                notes.push(Line::from(format!("{} still needs: {}", category.label(), list.join(", "))));
            }
        }
        Err(e) => notes.push(Line::from(e.to_string())),
    }
    form.notes = notes;
}

fn build_command(kind: FormKind, form: &Form) -> Result<Command, String> {
    Ok(match kind {
        FormKind::New => Command::CreateTicket(NewTicket {
            category: form.value("Category").parse().map_err(|e| format!("{e}"))?,
            channel: form.value("Channel").parse().map_err(|e| format!("{e}"))?,
            received_at: None,
            requester_name: form.value("Requester").trim().to_owned(),
            requester_email: form.optional("Email"),
            requester_phone: form.optional("Phone"),
            ods: form.optional("ODS code"),
            account: form.optional("Account"),
            mailbox: form.optional("Mailbox"),
            mailbox_name: form.optional("Mailbox name"),
            subject: form.value("Subject").trim().to_owned(),
            body: form.value("Details").trim().to_owned(),
            incomplete: form.value("If incomplete") != "refuse",
        }),
        FormKind::Assign(reference) => {
            let to = form.value("Operator");
            Command::Assign { reference, to: (to != "nobody").then(|| to.to_owned()) }
        }
        FormKind::Status(reference) => {
            Command::SetStatus { reference, status: form.value("Status").parse().map_err(|e| format!("{e}"))? }
        }
        FormKind::Note(reference) | FormKind::Reply(reference) => {
            let text = form.value(if matches!(kind, FormKind::Note(_)) { "Note" } else { "Reply" }).trim().to_owned();
            if text.is_empty() {
                return Err("type the text first, or esc to cancel".to_owned());
            }
            if matches!(kind, FormKind::Note(_)) {
                Command::Note { reference, text }
            } else {
                Command::Reply { reference, text }
            }
        }
        FormKind::Link(reference) => {
            let (account, mailbox) = (form.optional("Account"), form.optional("Mailbox"));
            if account.is_none() && mailbox.is_none() {
                return Err("give an account or a mailbox address".to_owned());
            }
            Command::Link { reference, account, mailbox }
        }
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Reference,
    Age,
    Due,
    Category,
    Organisation,
    Requester,
    Status,
    Assignee,
}

struct Column {
    id: Col,
    title: &'static str,
    width: u16,
}

/// The columns that fit in `width`, most useful first, drawn in their
/// natural order.
fn columns(width: u16) -> Vec<Column> {
    let all = [
        (Col::Reference, "ref", 9, 0),
        (Col::Age, "age", 4, 6),
        (Col::Due, "due", 9, 1),
        (Col::Category, "category", 14, 3),
        (Col::Organisation, "org", 5, 7),
        (Col::Requester, "requester", 14, 5),
        (Col::Status, "status", 11, 2),
        (Col::Assignee, "assignee", 8, 4),
    ];
    let mut by_priority = all;
    by_priority.sort_by_key(|c| c.3);
    let mut used = 0u16;
    let mut chosen = Vec::new();
    for (id, _, w, _) in by_priority {
        if used + w < width {
            used += w + 1;
            chosen.push(id);
        }
    }
    all.into_iter().filter(|c| chosen.contains(&c.0)).map(|(id, title, width, _)| Column { id, title, width }).collect()
}

fn cell(col: Col, row: &TicketRow, now: DateTime<Utc>, theme: Theme) -> ratatui::widgets::Cell<'static> {
    use ratatui::widgets::Cell;
    match col {
        Col::Reference => Cell::from(row.reference.to_string()),
        Col::Age => Cell::from(age(now - row.received_at)),
        Col::Due => Cell::from(Span::styled(due(row.due_at, now), due_style(row.due_at, now, theme))),
        Col::Category => Cell::from(row.category.slug()),
        Col::Organisation => Cell::from(row.ods.as_ref().map(|o| o.to_string()).unwrap_or_default()),
        Col::Requester => Cell::from(clean(&row.requester).into_owned()),
        Col::Status => Cell::from(row.status.slug()),
        Col::Assignee => Cell::from(clean(row.assignee.as_deref().unwrap_or("-")).into_owned()),
    }
}

fn age(elapsed: TimeDelta) -> String {
    let minutes = elapsed.num_minutes().max(0);
    match minutes {
        0..60 => format!("{minutes}m"),
        60..1440 => format!("{}h", minutes / 60),
        _ => format!("{}d", minutes / 1440),
    }
}

/// A due time as short as it can be and still be read: the time today,
/// the weekday and time in the coming week, the date otherwise. Overdue
/// times start with `!`, so they stand out without colour too.
fn due(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let (at_l, now_l) = (at.with_timezone(&London), now.with_timezone(&London));
    let text = if at_l.date_naive() == now_l.date_naive() {
        at_l.format("%H:%M").to_string()
    } else if at > now && (at - now).num_days() < 6 {
        at_l.format("%a %H:%M").to_string()
    } else {
        at_l.format("%-d %b").to_string()
    };
    if at < now { format!("!{text}") } else { text }
}

fn due_style(at: DateTime<Utc>, now: DateTime<Utc>, theme: Theme) -> Style {
    if at < now {
        theme.red()
    } else if at - now <= DUE_SOON {
        theme.amber()
    } else {
        Style::new()
    }
}

fn local(at: DateTime<Utc>, format: &str) -> String {
    at.with_timezone(&London).format(format).to_string()
}

fn requester(d: &TicketDetail) -> String {
    let r = &d.ticket.requester;
    let mut parts = vec![clean(&r.name).into_owned()];
    if let Some(e) = &r.email {
        parts.push(clean(&e.to_string()).into_owned());
    }
    if let Some(p) = &r.phone {
        parts.push(clean(p).into_owned());
    }
    parts.join(" · ")
}

fn organisation(d: &TicketDetail) -> String {
    match (&d.ticket.ods, &d.organisation) {
        (Some(ods), Some(name)) => format!("{ods} {}", clean(name)),
        (Some(ods), None) => ods.to_string(),
        (None, _) => "not given".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time::rfc3339;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    #[test]
    fn due_times_are_short_and_in_london_time() {
        let now = at("2026-07-06T09:00:00Z"); // Monday, BST
        assert_eq!(due(at("2026-07-06T15:00:00Z"), now), "16:00");
        assert_eq!(due(at("2026-07-08T15:00:00Z"), now), "Wed 16:00");
        assert_eq!(due(at("2026-07-20T15:00:00Z"), now), "20 Jul");
        assert_eq!(due(at("2026-07-06T08:00:00Z"), now), "!09:00");
        assert_eq!(due(at("2026-07-03T15:00:00Z"), now), "!3 Jul");
        assert_eq!(rfc3339(now), "2026-07-06T09:00:00Z");
    }

    #[test]
    fn ages_round_down_to_the_largest_unit() {
        assert_eq!(age(TimeDelta::minutes(59)), "59m");
        assert_eq!(age(TimeDelta::minutes(61)), "1h");
        assert_eq!(age(TimeDelta::hours(49)), "2d");
        assert_eq!(age(TimeDelta::minutes(-5)), "0m");
    }

    #[test]
    fn narrow_lists_keep_the_most_useful_columns() {
        let names = |w| columns(w).into_iter().map(|c| c.title).collect::<Vec<_>>();
        assert_eq!(names(40), ["ref", "age", "due", "status"]);
        assert_eq!(names(60), ["ref", "due", "category", "status", "assignee"]);
        assert_eq!(names(78), ["ref", "age", "due", "category", "requester", "status", "assignee"]);
        assert_eq!(names(200).len(), 8);
    }
}
