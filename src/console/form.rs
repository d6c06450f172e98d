//! Text fields and forms.
//!
//! A [`Form`] is a list of labelled fields drawn in a box over the screen:
//! Tab and the arrow keys move between fields, left and right pick a
//! choice, typing in a choice narrows it to the options that match, Enter
//! saves and Esc cancels (twice, when something was typed).
//! The pane that opened the form decides what the values mean, and can
//! show a preview (routing, duplicates) under the fields as they change.

use std::cell::RefCell;

use ratatui::Frame;
use ratatui::crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::{Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};
use tui_input::Input;
use tui_input::backend::crossterm::to_input_request;

use super::keymap::{Act, KeyMap, Scope};
use super::pane::centred;
use super::text::clean;
use super::theme::Theme;

mod choice;

use self::choice::filter_key;
pub use self::choice::{FILTER_LIMIT, UNAVAILABLE, choice_matches};

/// The most text one paste brings in; a longer one is refused whole, so
/// nothing is cut off without the operator seeing where.
pub const PASTE_LIMIT: usize = 64 * 1024;

/// A paste travels the key path as one press of this key, its text waiting
/// in [`PASTED`]: whatever text field has the keys takes it with the code
/// that takes keys, as one edit, and a screen with no field lets it fall
/// through untaken. No key the terminal sends is `Null`.
pub const PASTE_KEY: KeyEvent = KeyEvent::new(KeyCode::Null, KeyModifiers::NONE);

thread_local! {
    /// The text of the paste being delivered, until a field takes it.
    static PASTED: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Makes `text` the paste that the next [`PASTE_KEY`] delivers.
pub fn offer_paste(text: String) {
    PASTED.with(|p| *p.borrow_mut() = Some(text));
}

/// Takes back a paste no field took; `None` when one did.
pub fn withdraw_paste() -> Option<String> {
    PASTED.with(|p| p.borrow_mut().take())
}

/// Pasted text as a field keeps it: line breaks kept as `\n` in a
/// multi-line field and made spaces in a one-line one, tabs made spaces,
/// and every other control character (an escape sequence in what was
/// copied) dropped, as no key could type it.
fn pasted_text(text: &str, multiline: bool) -> String {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    text.chars()
        .filter_map(|c| match c {
            '\n' if multiline => Some('\n'),
            '\n' | '\t' => Some(' '),
            c if c.is_control() => None,
            c => Some(c),
        })
        .collect()
}

/// One line of editable text, or, when multi-line, text whose line breaks
/// are kept (they come in by paste; Enter still saves the form).
#[derive(Debug, Clone, Default)]
pub struct TextField {
    input: Input,
    multiline: bool,
}

impl TextField {
    pub fn new(value: &str) -> TextField {
        TextField { input: Input::new(value.to_owned()), multiline: false }
    }

    /// A field whose line breaks are kept, for notes, replies and details.
    pub fn multiline(value: &str) -> TextField {
        TextField { multiline: true, ..TextField::new(value) }
    }

    /// Puts `text` in at the cursor as one edit.
    pub fn insert(&mut self, text: &str) {
        let text = pasted_text(text, self.multiline);
        let at = self.input.cursor();
        let value = self.input.value();
        let split = value.char_indices().nth(at).map_or(value.len(), |(i, _)| i);
        let joined = format!("{}{text}{}", &value[..split], &value[split..]);
        self.input = Input::new(joined).with_cursor(at + text.chars().count());
    }

    pub fn value(&self) -> &str {
        self.input.value()
    }

    pub fn set(&mut self, value: &str) {
        self.input = Input::new(value.to_owned());
    }

    pub fn is_multiline(&self) -> bool {
        self.multiline
    }

    pub fn clear(&mut self) {
        self.input.reset();
    }

    /// Edits the text for a key; true if the key was an editing key.
    /// Enter, Esc, Tab and up/down are left to the caller.
    pub fn key(&mut self, key: KeyEvent) -> bool {
        if key == PASTE_KEY {
            return match withdraw_paste() {
                Some(text) => {
                    self.insert(&text);
                    true
                }
                None => false,
            };
        }
        if matches!(
            key.code,
            KeyCode::Enter | KeyCode::Esc | KeyCode::Tab | KeyCode::BackTab | KeyCode::Up | KeyCode::Down
        ) {
            return false;
        }
        match to_input_request(&Event::Key(key)) {
            Some(request) => {
                self.input.handle(request);
                true
            }
            None => false,
        }
    }

    /// Draws the field in `area` (one line) and, when `cursor`, places the
    /// terminal cursor in it.
    pub fn draw(&self, frame: &mut Frame<'_>, area: Rect, style: Style, cursor: bool) {
        let width = usize::from(area.width.max(1));
        // Scrolled to keep the cursor in view while the operator is in the
        // field; from its start otherwise, so a long prefilled value (a
        // subject naming a mailbox) reads from its first word.
        let scroll = if cursor { self.input.visual_scroll(width.saturating_sub(1)) } else { 0 };
        // A kept line break shows as one mark, so the cursor stays in step.
        let value =
            if self.multiline { self.input.value().replace('\n', "↵") } else { self.input.value().to_owned() };
        let shown: String = clean(&value).chars().skip(scroll).collect();
        frame.render_widget(Paragraph::new(shown).style(style), area);
        if cursor {
            let x = self.input.visual_cursor().saturating_sub(scroll) as u16;
            frame.set_cursor_position(Position::new(area.x + x.min(area.width.saturating_sub(1)), area.y));
        }
    }
}

#[derive(Debug, Clone)]
pub enum FieldKind {
    Text(TextField),
    /// One of several options, chosen with left and right among those that
    /// match what was typed.
    Choice {
        options: Vec<String>,
        chosen: usize,
        /// What was typed to narrow the options; empty shows them all.
        filter: String,
    },
}

#[derive(Debug, Clone)]
pub struct Field {
    pub label: String,
    pub kind: FieldKind,
    /// Shown dimmed after an empty text field.
    pub hint: String,
    initial: String,
}

impl Field {
    pub fn value(&self) -> &str {
        match &self.kind {
            FieldKind::Text(t) => t.value(),
            FieldKind::Choice { options, chosen, .. } => options.get(*chosen).map_or("", String::as_str),
        }
    }

    /// The options of a choice that match what was typed in it, best first
    /// (all of them, in order, when nothing was typed).
    pub fn matches(&self) -> Vec<usize> {
        match &self.kind {
            FieldKind::Text(_) => Vec::new(),
            FieldKind::Choice { options, filter, .. } => choice_matches(options, filter),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormEvent {
    /// Nothing the owner needs to act on.
    Idle,
    /// The value of this field changed.
    Edited(usize),
    Submit,
    Cancel,
}

#[derive(Debug, Clone)]
pub struct Form {
    pub title: String,
    pub fields: Vec<Field>,
    pub focus: usize,
    /// Lines the owner shows under the fields: a preview, duplicates, what
    /// Enter will do.
    pub notes: Vec<Line<'static>>,
    /// Why the last save was refused; cleared by the next edit.
    pub error: Option<String>,
    /// Esc was pressed once on a form with input.
    discarding: bool,
    /// Text fields whose value follows a choice until the operator edits them.
    follows: Vec<Follow>,
}

/// A text field that says what a choice's option implies (a ticket's
/// subject follows its category), until the operator types in it.
#[derive(Debug, Clone)]
struct Follow {
    choice: usize,
    field: usize,
    /// The field's text for each of the choice's options, in their order.
    texts: Vec<String>,
}

impl Form {
    pub fn new(title: impl Into<String>) -> Form {
        Form {
            title: title.into(),
            fields: Vec::new(),
            focus: 0,
            notes: Vec::new(),
            error: None,
            discarding: false,
            follows: Vec::new(),
        }
    }

    pub fn text(mut self, label: &str, hint: &str, initial: &str) -> Form {
        self.fields.push(Field {
            label: label.to_owned(),
            kind: FieldKind::Text(TextField::new(initial)),
            hint: hint.to_owned(),
            initial: initial.to_owned(),
        });
        self
    }

    /// A text field whose line breaks are kept (see [`TextField::multiline`]).
    pub fn lines(mut self, label: &str, hint: &str, initial: &str) -> Form {
        self = self.text(label, hint, initial);
        if let Some(Field { kind: FieldKind::Text(field), .. }) = self.fields.last_mut() {
            *field = TextField::multiline(initial);
        }
        self
    }

    pub fn choice(mut self, label: &str, options: Vec<String>, chosen: usize) -> Form {
        let initial = options.get(chosen).cloned().unwrap_or_default();
        self.fields.push(Field {
            label: label.to_owned(),
            kind: FieldKind::Choice { options, chosen, filter: String::new() },
            hint: "←/→ to choose, or type to narrow".to_owned(),
            initial,
        });
        self
    }

    /// The value of the field labelled `label` ("" if there is none).
    pub fn value(&self, label: &str) -> &str {
        self.fields.iter().find(|f| f.label == label).map_or("", Field::value)
    }

    /// The value of a text field, trimmed, or `None` when empty.
    pub fn optional(&self, label: &str) -> Option<String> {
        let v = self.value(label).trim();
        (!v.is_empty()).then(|| v.to_owned())
    }

    pub fn set(&mut self, label: &str, value: &str) {
        if let Some(field) = self.fields.iter_mut().find(|f| f.label == label) {
            match &mut field.kind {
                FieldKind::Text(t) => t.set(value),
                FieldKind::Choice { options, chosen, filter } => {
                    if let Some(i) = options.iter().position(|o| o == value) {
                        *chosen = i;
                        filter.clear();
                    }
                }
            }
        }
    }

    /// Makes the text field `field` follow the choice `choice`: `texts` is
    /// its text for each option. While the field holds the text of the
    /// option chosen, choosing another one changes it to match; once the
    /// operator edits it, it is theirs.
    pub fn follow(&mut self, choice: &str, field: &str, texts: Vec<String>) {
        let at = |label: &str| self.fields.iter().position(|f| f.label == label);
        if let (Some(choice), Some(field)) = (at(choice), at(field)) {
            self.follows.push(Follow { choice, field, texts });
        }
    }

    /// Takes the values now in the form as its starting point: a form
    /// filled in for the operator is untouched until they change it, so
    /// one Esc closes it.
    pub fn settle(&mut self) {
        for field in &mut self.fields {
            field.initial = field.value().to_owned();
        }
    }

    /// After the choice `choice` moved from option `from`: the fields that
    /// still say what `from` implied now say what the new option implies.
    fn follow_choice(&mut self, choice: usize, from: usize) {
        let Some(FieldKind::Choice { chosen, .. }) = self.fields.get(choice).map(|f| &f.kind) else { return };
        let to = *chosen;
        for follow in self.follows.iter().filter(|f| f.choice == choice) {
            let (Some(old), Some(new)) = (follow.texts.get(from), follow.texts.get(to)) else { continue };
            if let Some(Field { kind: FieldKind::Text(text), initial, .. }) = self.fields.get_mut(follow.field)
                && text.value() == old
            {
                text.set(new);
                // What follows the choice is not the operator's edit.
                if initial == old {
                    initial.clone_from(new);
                }
            }
        }
    }

    /// Something was typed or chosen that has not been saved.
    pub fn dirty(&self) -> bool {
        self.fields.iter().any(|f| f.value() != f.initial)
    }

    /// Forgets what was typed to narrow the focused choice, which keeps
    /// the option it narrowed to.
    fn leave_field(&mut self) {
        if let Some(Field { kind: FieldKind::Choice { filter, .. }, .. }) = self.fields.get_mut(self.focus) {
            filter.clear();
        }
    }

    /// Handles a key, read through `keymap`'s form keys: save, cancel and
    /// moving between fields anywhere; picking an option in a choice; and
    /// everything else typed into a text field.
    pub fn key(&mut self, key: KeyEvent, keymap: &KeyMap) -> FormEvent {
        let discarding = std::mem::take(&mut self.discarding);
        let fields = self.fields.len().max(1);
        match keymap.action(&key, Scope::Form) {
            Some(Act::Cancel) => {
                if self.dirty() && !discarding {
                    self.discarding = true;
                    self.error =
                        Some(format!("press {} again to discard what you typed", keymap.key_label(Act::Cancel)));
                    return FormEvent::Idle;
                }
                return FormEvent::Cancel;
            }
            Some(Act::Save) => {
                // A choice narrowed to nothing has no option to save.
                if let Some(field @ Field { kind: FieldKind::Choice { filter, .. }, .. }) = self.fields.get(self.focus)
                    && field.matches().is_empty()
                {
                    self.error = Some(format!(
                        "no {} matches \"{}\": backspace widens the choice",
                        field.label.to_lowercase(),
                        clean(filter)
                    ));
                    return FormEvent::Idle;
                }
                return FormEvent::Submit;
            }
            Some(Act::NextField) => {
                self.leave_field();
                self.focus = (self.focus + 1) % fields;
                return FormEvent::Idle;
            }
            Some(Act::PrevField) => {
                self.leave_field();
                self.focus = (self.focus + fields - 1) % fields;
                return FormEvent::Idle;
            }
            _ => {}
        }
        if discarding {
            self.error = None;
        }
        let focus = self.focus;
        let Some(field) = self.fields.get_mut(focus) else { return FormEvent::Idle };
        let from = match &field.kind {
            FieldKind::Choice { chosen, .. } => Some(*chosen),
            FieldKind::Text(_) => None,
        };
        let changed = match &mut field.kind {
            FieldKind::Text(t) => {
                let before = t.value().to_owned();
                t.key(key) && t.value() != before
            }
            FieldKind::Choice { options, chosen, filter } => {
                let before = *chosen;
                if filter_key(filter, &key).is_some() {
                    // The best match is chosen, so Enter takes it; with
                    // no match the choice stays where it was.
                    if let Some(first) = choice_matches(options, filter).first() {
                        *chosen = *first;
                    }
                } else {
                    let matches = choice_matches(options, filter);
                    let at = matches.iter().position(|i| i == chosen);
                    let step = |forward: bool| -> Option<usize> {
                        let n = matches.len();
                        if n == 0 {
                            return None;
                        }
                        let next = match (at, forward) {
                            (None, _) => 0,
                            (Some(a), true) => (a + 1) % n,
                            (Some(a), false) => (a + n - 1) % n,
                        };
                        matches.get(next).copied()
                    };
                    match keymap.action(&key, Scope::Form) {
                        Some(Act::PrevChoice) => *chosen = step(false).unwrap_or(*chosen),
                        Some(Act::NextChoice) => *chosen = step(true).unwrap_or(*chosen),
                        _ => return FormEvent::Idle,
                    }
                }
                if *chosen != before {
                    true
                } else {
                    // A narrowed filter is news to draw, not a new value.
                    self.error = None;
                    return FormEvent::Idle;
                }
            }
        };
        if changed {
            self.error = None;
            if let Some(from) = from {
                self.follow_choice(focus, from);
            }
            FormEvent::Edited(focus)
        } else {
            FormEvent::Idle
        }
    }

    /// Draws the form in a box centred on `full`, its keys named as
    /// `keymap` binds them.
    pub fn draw(&self, frame: &mut Frame<'_>, full: Rect, theme: Theme, keymap: &KeyMap) {
        let label_width = self.fields.iter().map(|f| f.label.chars().count()).max().unwrap_or(0) as u16 + 2;
        let width = full.width.saturating_sub(4).min(100).max(40.min(full.width));
        // Notes and the error wrap, so the box is as tall as they will be.
        let inner_width = usize::from(width.saturating_sub(2)).max(1);
        let rows = |w: usize| w.div_ceil(inner_width).max(1) as u16;
        let notes: u16 = self.notes.iter().map(|l| rows(l.width())).sum();
        let error = self.error.as_ref().map_or(0, |e| rows(e.chars().count()));
        // Borders, the blank line above the notes, and a row of slack for
        // word wrapping; the keys sit in the bottom border.
        let height = self.fields.len() as u16 + notes + error + 4;
        let area = centred(full, width, height);
        frame.render_widget(Clear, area);
        let block = Block::bordered()
            .title(Span::styled(format!(" {} ", clean(&self.title)), theme.title()))
            .title_bottom(Line::styled(
                format!(
                    " {} save · {} cancel · {} next field ",
                    keymap.key_label(Act::Save),
                    keymap.key_label(Act::Cancel),
                    keymap.key_label(Act::NextField)
                ),
                theme.dim(),
            ))
            .border_style(theme.focused_border());
        let inner = block.inner(area);
        frame.render_widget(block, area);
        for (i, field) in self.fields.iter().enumerate() {
            let y = inner.y + i as u16;
            if y >= inner.bottom() {
                break;
            }
            let focused = i == self.focus;
            let label_style = if focused { theme.key() } else { Style::new() };
            frame.render_widget(
                Paragraph::new(format!("{:>w$} ", field.label, w = usize::from(label_width) - 1)).style(label_style),
                Rect { x: inner.x, y, width: label_width.min(inner.width), height: 1 },
            );
            let value_area =
                Rect { x: inner.x + label_width, y, width: inner.width.saturating_sub(label_width), height: 1 };
            match &field.kind {
                FieldKind::Text(t) if t.value().is_empty() && !focused => {
                    frame.render_widget(Paragraph::new(field.hint.clone()).style(theme.dim()), value_area);
                }
                FieldKind::Text(t) => t.draw(frame, value_area, Style::new(), focused),
                FieldKind::Choice { options, chosen, filter } => {
                    let text = options.get(*chosen).map_or("", String::as_str);
                    // An option marked ✗ is one the rules refuse: dimmed.
                    let style = match (focused, text.starts_with(UNAVAILABLE)) {
                        (_, true) => theme.dim(),
                        (true, false) => theme.selected(),
                        (false, false) => Style::new(),
                    };
                    let mut spans = vec![Span::styled(format!("‹ {} ›", clean(text)), style)];
                    if !filter.is_empty() {
                        // What was typed, then the other options it matches.
                        let matches = field.matches();
                        let others: Vec<String> = matches
                            .iter()
                            .filter(|i| *i != chosen)
                            .filter_map(|i| options.get(*i))
                            .map(|o| clean(o).into_owned())
                            .collect();
                        let count = match matches.len() {
                            0 => "no match".to_owned(),
                            1 => "1 match".to_owned(),
                            n => format!("{n} matches"),
                        };
                        spans.push(Span::styled(format!(" «{}» {count}", clean(filter)), theme.key()));
                        if !others.is_empty() {
                            spans.push(Span::styled(format!(": {}", others.join(" · ")), theme.dim()));
                        }
                    }
                    frame.render_widget(Paragraph::new(Line::from(spans)), value_area);
                }
            }
        }
        let mut lines: Vec<Line<'static>> = vec![Line::default()];
        lines.extend(self.notes.iter().cloned());
        if let Some(e) = &self.error {
            lines.push(Line::styled(clean(e).into_owned(), theme.error()));
        }
        let y = inner.y + self.fields.len() as u16;
        let notes = Rect { x: inner.x, y, width: inner.width, height: inner.bottom().saturating_sub(y) };
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), notes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::keymap::keys;

    fn press(form: &mut Form, text: &str) -> Vec<FormEvent> {
        let keymap = KeyMap::default();
        keys(text).unwrap().into_iter().map(|k| form.key(k, &keymap)).collect()
    }

    #[test]
    fn typing_moving_and_choosing() {
        let mut form =
            Form::new("t").text("Name", "full name", "").choice("Channel", vec!["phone".into(), "email".into()], 0);
        assert!(!form.dirty());
        press(&mut form, "Jo Bloggs<tab><right>");
        assert_eq!(form.value("Name"), "Jo Bloggs");
        assert_eq!(form.value("Channel"), "email");
        assert!(form.dirty());
        assert_eq!(press(&mut form, "<enter>"), [FormEvent::Submit]);
    }

    #[test]
    fn esc_asks_before_throwing_input_away() {
        let mut form = Form::new("t").text("Name", "", "");
        assert_eq!(press(&mut form, "<esc>"), [FormEvent::Cancel]);
        press(&mut form, "x");
        assert_eq!(press(&mut form, "<esc>"), [FormEvent::Idle]);
        assert!(form.error.is_some());
        assert_eq!(press(&mut form, "<esc>"), [FormEvent::Cancel]);
        // Typing after the first Esc takes the warning back.
        press(&mut form, "<esc>y");
        assert_eq!(press(&mut form, "<esc>"), [FormEvent::Idle]);
    }

    /// What one text field shows in a line `width` wide.
    fn shown(field: &TextField, width: u16, focused: bool) -> String {
        let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(width, 1)).unwrap();
        terminal.draw(|frame| field.draw(frame, frame.area(), Style::new(), focused)).unwrap();
        let buffer = terminal.backend().buffer().clone();
        buffer.content().iter().map(|c| c.symbol()).collect::<String>().trim_end().to_owned()
    }

    #[test]
    fn a_long_value_reads_from_its_start_until_the_operator_is_in_it() {
        let subject = "Mailbox access: abbeyfield-nursing-home-vx1rl.nursing@nhs.net";
        // Prefilled with the cursor at its end, as the forms prefill.
        let field = TextField::new(subject);
        assert_eq!(shown(&field, 20, false), "Mailbox access: abbe");
        // In the field, the end where the cursor is stays in view.
        let focused = shown(&field, 20, true);
        assert!(focused.ends_with("nhs.net"), "{focused:?}");
    }

    fn categories() -> Form {
        let options = ["general", "password-reset", "mailbox-access", "unlock", "leaver"];
        Form::new("t").choice("Category", options.map(str::to_owned).to_vec(), 0).text("Subject", "", "")
    }

    #[test]
    fn typing_in_a_choice_narrows_it_and_enter_takes_the_match() {
        let mut form = categories();
        assert_eq!(press(&mut form, "mail"), [FormEvent::Edited(0), FormEvent::Idle, FormEvent::Idle, FormEvent::Idle]);
        assert_eq!(form.value("Category"), "mailbox-access");
        assert_eq!(form.fields[0].matches(), [2]);
        assert_eq!(press(&mut form, "<enter>"), [FormEvent::Submit]);
    }

    #[test]
    fn backspace_widens_a_narrowed_choice_and_arrows_move_among_the_matches() {
        let mut form = categories();
        press(&mut form, "acc");
        assert_eq!(form.value("Category"), "mailbox-access");
        assert_eq!(form.fields[0].matches(), [2]);
        press(&mut form, "<backspace><backspace>");
        // "a" starts a word of mailbox-access and is inside three others;
        // the arrows stay among them, best first.
        assert_eq!(form.fields[0].matches(), [2, 0, 1, 4]);
        press(&mut form, "<right>");
        assert_eq!(form.value("Category"), "general");
        press(&mut form, "<left><left>");
        assert_eq!(form.value("Category"), "leaver");
        press(&mut form, "<backspace>");
        assert_eq!(form.fields[0].matches().len(), 5);
    }

    #[test]
    fn a_choice_narrowed_to_nothing_is_not_saved() {
        let mut form = categories();
        press(&mut form, "zzz");
        assert_eq!(press(&mut form, "<enter>"), [FormEvent::Idle]);
        assert!(form.error.as_deref().unwrap_or("").contains("backspace"), "{:?}", form.error);
        press(&mut form, "<backspace><backspace><backspace>");
        assert_eq!(press(&mut form, "<enter>"), [FormEvent::Submit]);
    }

    #[test]
    fn leaving_a_narrowed_choice_keeps_its_option_and_forgets_the_filter() {
        let mut form = categories();
        press(&mut form, "leav<tab>");
        assert_eq!(form.value("Category"), "leaver");
        assert_eq!(form.fields[0].matches().len(), 5);
        // Space still picks the next option when nothing was typed.
        press(&mut form, "<backtab><space>");
        assert_eq!(form.value("Category"), "general");
    }

    #[test]
    fn typing_chooses_the_best_match_even_when_the_current_option_also_matches() {
        // "in-progress" has an r in it, but "r" means resolved.
        let statuses = ["new", "in-progress", "waiting-on-requester", "resolved"].map(str::to_owned).to_vec();
        let mut form = Form::new("t").choice("Status", statuses, 1);
        assert_eq!(press(&mut form, "r"), [FormEvent::Edited(0)]);
        assert_eq!(form.value("Status"), "resolved");
    }
}
