//! The ticket queue: tabs for the three queues, the operator's own tickets
//! and everything open; a filter line; the ticket view with its timeline;
//! and the forms that work a ticket or log a new one.
//!
//! The list holds the whole view as slots (due time and reference, read
//! from the queue index) so it can count, scroll and jump to the end, but
//! reads full rows only for what is on screen: 20,000 open tickets cost
//! one index scan and a screenful of reads. Working a ticket is in
//! [`work`], drawing the list in [`list`].

mod forms;
mod list;
mod mail_view;
mod marked;
mod retry;
mod rows;
mod sla;
mod ticket_view;
mod work;

use std::collections::HashMap;

use ratatui::Frame;
use ratatui::crossterm::event::{KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::Block;

use super::desk::{Desk, DeskExt};
use super::form::{Form, TextField};
use super::keymap::Act;
use super::marks::Marks;
use super::pane::{Cursor, Cx, Hint, Jump, Pane, PaneId, View, told};
use crate::desk::{Activity, Presence, Subject};
use crate::domain::permission::{Action, Role};
use crate::domain::routing::Queue;
use crate::domain::ticket::TicketRef;
use crate::service::ops::{FollowTicketSlots, ReadTicketRows, ShowTicketDetail};
use crate::service::{
    ChangeEvent, QueueView, ServiceError, SlaEdges, SlotsAt, TicketDetail, TicketFilter, TicketRow, TicketSlot,
    ViewCount,
};
use forms::FormKind;

/// What the column widths were measured for: the list's width, the rows
/// on screen, their epoch and the minute.
type ColumnKey = (u16, std::ops::Range<usize>, u64, i64);

/// Rows kept in memory beyond the screen before the cache is dropped.
const ROW_CACHE: usize = 4096;

/// A scroll past the end of any ticket view; the view stops at its last
/// line, as for the bottom key.
pub(crate) const FOLLOW_SCROLL: u16 = u16::MAX / 2;

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
    /// The tab and filter `slots` was listed for, and where in the ticket
    /// changes it is current: a reload asks for what changed since.
    following: Option<(QueueView, TicketFilter, SlotsAt)>,
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
    /// Scroll the ticket view to the end when it is next read: the operator
    /// just added to its timeline and should see what they added.
    follow_timeline: bool,
    /// The ticket a note was just added to: its status form then starts at
    /// "resolved", the usual next step.
    resolve_after_note: Option<TicketRef>,
    form: Option<(FormKind, Form)>,
    /// The revision of the ticket the open form works on.
    form_based_on: Option<u64>,
    /// The ticket as the open form is based on it: as the operator saw it
    /// when the form opened, or as read after a colleague's change.
    form_seen: Option<TicketRow>,
    /// A colleague's change refused the form once: the next confirm first
    /// checks the action still applies.
    form_stale: bool,
    /// The tickets a bulk form acts on, taken when it opened.
    bulk_targets: Vec<TicketRef>,
    /// Select this ticket when the list next loads (a ticket just logged).
    select_after_load: Option<TicketRef>,
    marks: Marks,
    /// Each queue's due-soon edge, read with the list, for the SLA flags.
    sla: Option<SlaEdges>,
    /// Bumped whenever the rows in memory or what is drawn beside them
    /// change, so the column widths are measured again.
    rows_epoch: u64,
    /// The column widths last measured, and for what.
    column_memo: Option<(ColumnKey, Vec<rows::Column>)>,
    /// How many of the listed tickets were past due when last listed.
    past_due: usize,
    /// Who else has each ticket open, and what they are doing there.
    here: HashMap<TicketRef, Vec<(String, Activity)>>,
    /// The ticket the operator was warned a colleague is replying to: `r`
    /// again on it replies anyway.
    reply_warned: Option<TicketRef>,
    /// The saved views (the operator's own and the shared ones), each a
    /// tab after the built-in ones, with its count as last read.
    views: Vec<ViewCount>,
    /// The SLA state of each ticket the operator is told about, as last
    /// seen, so a notice comes once, when a ticket crosses a threshold.
    sla_watch: sla::Watch,
    /// The ticket's mail, when open over the ticket view.
    mail_view: Option<mail_view::MailView>,
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
            following: None,
            rows: HashMap::new(),
            cursor: Cursor::default(),
            page: 10,
            list_top: 0,
            tab_areas: Vec::new(),
            detail: None,
            detail_scroll: 0,
            follow_timeline: false,
            resolve_after_note: None,
            form: None,
            form_based_on: None,
            form_seen: None,
            form_stale: false,
            bulk_targets: Vec::new(),
            select_after_load: None,
            marks: Marks::default(),
            sla: None,
            rows_epoch: 0,
            column_memo: None,
            past_due: 0,
            here: HashMap::new(),
            reply_warned: None,
            views: Vec::new(),
            sla_watch: sla::Watch::default(),
            mail_view: None,
        }
    }

    /// Switches to a tab by name: nas, helpdesk, resolver, mine, all, or
    /// a saved view's name.
    pub fn show_tab(&mut self, name: &str) -> Result<(), String> {
        let wanted = name.trim().to_ascii_lowercase();
        let builtin =
            TABS.iter().position(|(label, _)| label.to_ascii_lowercase().starts_with(&wanted) && !wanted.is_empty());
        let saved = || self.views.iter().position(|v| v.view.name.to_lowercase() == wanted).map(|i| TABS.len() + i);
        match builtin.or_else(saved) {
            Some(i) => {
                self.detail = None;
                self.select_tab(i)
            }
            None => {
                Err(format!("no queue tab {name:?}: use nas, helpdesk, resolver, mine, all or a saved view's name"))
            }
        }
    }

    /// Moves to tab `i`. A saved view's tab puts its words on the filter
    /// line, where the operator can see and change them; a built-in tab
    /// after a view starts unfiltered again.
    fn select_tab(&mut self, i: usize) -> Result<(), String> {
        let from_view = self.tab >= TABS.len();
        self.tab = i.min(self.tab_count() - 1);
        self.cursor = Cursor::default();
        match self.views.get(self.tab.wrapping_sub(TABS.len())) {
            Some(v) => {
                let filter = TicketFilter::parse(&v.view.filter)
                    .map_err(|e| format!("the view {:?} no longer reads: {e}", v.view.name))?;
                self.filter = filter;
            }
            None if from_view => self.filter = TicketFilter::default(),
            None => {}
        }
        Ok(())
    }

    /// Built-in tabs and saved views together.
    fn tab_count(&self) -> usize {
        TABS.len() + self.views.len()
    }

    /// Which tickets the current tab lists, before the filter line.
    fn tab_view(&self) -> QueueView {
        match self.views.get(self.tab.wrapping_sub(TABS.len())) {
            Some(v) => v.view.queue.parse().unwrap_or(QueueView::All),
            None => TABS[self.tab.min(TABS.len() - 1)].1.clone(),
        }
    }

    /// Who else has each ticket open, as the daemon last told it.
    pub fn set_here(&mut self, here: HashMap<TicketRef, Vec<(String, Activity)>>) {
        self.here = here;
        self.rows_epoch += 1;
    }

    /// The slots changed: count again how many are past due.
    fn slots_changed(&mut self, now: chrono::DateTime<chrono::Utc>) {
        self.past_due = self.slots.iter().filter(|s| s.due_at < now).count();
        self.rows_epoch += 1;
    }

    /// "nas2 viewing, helpdesk1 replying" for a ticket others have open.
    pub fn others_on(&self, reference: TicketRef) -> Option<String> {
        crate::console::app::in_words(self.here.get(&reference))
    }

    /// The tab's tickets and the filter line's words, for saving as a view.
    pub fn current_view(&self) -> (QueueView, String) {
        (self.tab_view(), self.filter.to_string())
    }

    /// The saved views shown as tabs, with their counts.
    pub fn views(&self) -> &[ViewCount] {
        &self.views
    }

    /// Sets the filter line (see [`TicketFilter::SYNTAX`]).
    pub fn set_filter(&mut self, text: &str) -> Result<(), String> {
        self.filter = TicketFilter::parse(text).map_err(|e| e.to_string())?;
        self.cursor = Cursor::default();
        Ok(())
    }

    pub fn tab_label(&self) -> String {
        match self.views.get(self.tab.wrapping_sub(TABS.len())) {
            Some(v) => crate::console::text::clean(&v.view.name).into_owned(),
            None => TABS[self.tab.min(TABS.len() - 1)].0.to_owned(),
        }
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

    /// How far the ticket view is scrolled, for tests.
    pub fn detail_scroll(&self) -> u16 {
        self.detail_scroll
    }

    /// The ticket's mail, when open, for tests.
    pub fn mail_view(&self) -> Option<&mail_view::MailView> {
        self.mail_view.as_ref()
    }

    pub fn detail(&self) -> Option<&TicketDetail> {
        self.detail.as_ref()
    }

    /// Rows read from the service so far (bounded by what has been on screen).
    pub fn rows_read(&self) -> usize {
        self.rows.len()
    }

    /// Whether the status form would start at "resolved": a note was just
    /// added to the selected ticket and it is still open.
    fn resolve_proposed(&self) -> bool {
        let open = match &self.detail {
            Some(d) => d.ticket.status.is_open(),
            None => self.selected_row().is_some_and(|r| r.status.is_open()),
        };
        open && self.resolve_after_note.is_some() && self.resolve_after_note == self.selected()
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
        let follow = std::mem::take(&mut self.follow_timeline);
        let keep = self.select_after_load.take().or_else(|| self.slots.get(self.cursor.selected).map(|s| s.reference));
        match cx.desk.call(crate::service::ops::ListViews {}) {
            Ok(mut views) => {
                // By name, so a tab keeps its place as views come and go.
                views.sort_by_key(|v| v.view.name.to_lowercase());
                self.views = views;
            }
            Err(e) => cx.fail(&e),
        }
        if self.tab >= self.tab_count() {
            // The view was removed meanwhile.
            self.tab = TABS.len() - 1;
        }
        let view = self.tab_view();
        let since = self.following.take().filter(|(v, f, _)| *v == view && *f == self.filter).map(|(.., at)| at);
        match cx.desk.call(FollowTicketSlots { view: view.clone(), filter: self.filter.clone(), since }) {
            Ok(listing) => {
                self.following = listing.apply(&mut self.slots).map(|at| (view, self.filter.clone(), at));
            }
            Err(e) => cx.fail(&e),
        }
        // Flags go unknown rather than wrong when the edges cannot be read.
        self.sla = cx.desk.call(crate::service::ops::ShowSlaEdges {}).ok();
        if let Some(edges) = &self.sla {
            self.sla_watch.check(edges, cx);
        }
        self.rows.clear();
        self.slots_changed(cx.now());
        if let Some(keep) = keep {
            if let Some(i) = self.slots.iter().position(|s| s.reference == keep) {
                self.cursor.selected = i;
            }
        }
        if let Some(reference) = self.detail.as_ref().map(|d| d.ticket.reference) {
            match cx.desk.call(ShowTicketDetail { reference }) {
                Ok(d) => {
                    self.detail = Some(d);
                    if follow {
                        self.detail_scroll = FOLLOW_SCROLL;
                    }
                }
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
        let view = &self.tab_view();
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
        self.slots_changed(cx.now());
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
        self.rows_epoch += 1;
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
        if let (Some(mail), Some(act)) = (self.mail_view.as_mut(), act) {
            // Global keys (quit, help, panes, the command line) still work;
            // the queue's own do nothing behind the mail.
            if mail_view::handles(act) || act.scope() == super::keymap::Scope::Queue {
                if !mail.act(act, cx) {
                    self.mail_view = None;
                }
                return true;
            }
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
        if self.mail_view.is_some() {
            return mail_view::hints();
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
            (Act::SetStatus, if self.resolve_proposed() { "resolve" } else { "status" }),
            (Act::Note, "note"),
            (Act::Reply, "reply"),
            (Act::Link, "link"),
            (Act::CloseTicket, "close"),
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
        hints.push(self.mail_hint());
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
                let here = self.others_on(d.ticket.reference);
                ticket_view::draw(frame, inner, view, &d, self.detail_scroll, self.sla.as_ref(), here.as_deref());
                self.detail = Some(d);
            }
            None => self.draw_list(frame, inner, view),
        }
    }

    fn draw_popup(&mut self, frame: &mut Frame<'_>, full: Rect, view: &View<'_>) {
        if let Some(mail) = &self.mail_view {
            mail.draw(frame, full, view);
        }
        if let Some((_, form)) = &self.form {
            form.draw(frame, full, view.theme, view.keymap);
        }
    }

    fn unsaved(&self) -> bool {
        self.form.as_ref().is_some_and(|(_, f)| f.dirty())
    }

    /// The ticket in view, or the one a note or reply is being typed on.
    fn presence(&self) -> Option<Presence> {
        let (reference, activity) = match &self.form {
            Some((forms::FormKind::Note(r), _)) => (*r, Activity::Noting),
            Some((forms::FormKind::Reply(r), _)) => (*r, Activity::Replying),
            _ => (self.detail.as_ref()?.ticket.reference, Activity::Viewing),
        };
        Some(Presence { subject: Some(Subject::Ticket(reference)), activity })
    }

    fn click(&mut self, column: u16, row: u16, cx: &mut Cx<'_>) -> bool {
        if self.form.is_some() || self.detail.is_some() || self.mail_view.is_some() {
            return false;
        }
        if let Some(i) = self.tab_areas.iter().position(|r| r.contains((column, row).into())) {
            if let Err(e) = self.select_tab(i) {
                cx.warn(e);
            }
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
        // The open mail lists the ticket's messages again.
        if let Some(mail) = self.mail_view.as_mut().filter(|m| touched.contains(&m.ticket())) {
            if let Some(news) = mail.reload(cx) {
                cx.info(news);
                return;
            }
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
            None => format!("{} · {}", PaneId::Queue.label(), self.tab_label()),
        }
    }
}
