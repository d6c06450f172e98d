//! The mail behind a ticket, read in the console: the ticket's messages
//! (when each arrived, in London time, who sent it, its subject, size and
//! attachments), and the selected message's original as it arrived,
//! headers and quoted history included, or one of its attachments.
//!
//! Everything is read through the desk, piece by piece, so a slow daemon
//! costs the operator the courier's patience and no more, and at most
//! [`SHOWN_BYTES`] of any part is read or drawn; what is cut says so and
//! names the command that saves it whole. Every byte of a mail reaches the
//! screen through the crate's one sanitiser, so no escape sequence or bidi
//! control in a mail reaches the terminal.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use super::rows::local;
use crate::console::desk::DeskExt;
use crate::console::keymap::Act;
use crate::console::pane::{Cx, Hint, View, centred};
use crate::console::text::{clean, clean_lines};
use crate::domain::mail::{AttachmentInfo, MailRecord, human_size};
use crate::domain::ticket::TicketRef;
use crate::service::MailPiece;
use crate::service::ops::{ListTicketMail, ReadMailPiece};

/// The most bytes of an original or an attachment read and shown.
pub const SHOWN_BYTES: usize = 256 * 1024;

/// An attachment of another type this small is shown when it is text.
pub const SMALL_ATTACHMENT: u64 = 16 * 1024;

/// How many messages the list shows at once, around the selected one.
const LISTED: usize = 5;

/// The open mail view of one ticket.
pub struct MailView {
    ticket: TicketRef,
    mails: Vec<MailRecord>,
    selected: usize,
    /// 0: the original; n: attachment n of the selected message.
    part: usize,
    /// What is shown of the part, each line sanitised.
    lines: Vec<String>,
    scroll: u16,
}

impl MailView {
    /// Opens on the ticket's first message, or says there is none.
    pub(super) fn open(cx: &mut Cx<'_>, ticket: TicketRef) -> Option<MailView> {
        let mails = match cx.desk.call(ListTicketMail { ticket }) {
            Ok(mails) => mails,
            Err(e) => {
                cx.fail(&e);
                return None;
            }
        };
        if mails.is_empty() {
            cx.info(format!("{ticket} did not come by mail: it has no message to show"));
            return None;
        }
        let mut view = MailView { ticket, mails, selected: 0, part: 0, lines: Vec::new(), scroll: 0 };
        view.load(cx);
        Some(view)
    }

    /// The ticket whose mail is open.
    pub(super) fn ticket(&self) -> TicketRef {
        self.ticket
    }

    /// Reads the ticket's messages again after a change to it (a reply
    /// threaded on while the operator reads), keeping the message and part
    /// the operator is on. Returns what to tell them, if anything is new.
    pub(super) fn reload(&mut self, cx: &mut Cx<'_>) -> Option<String> {
        let mails = match cx.desk.call(ListTicketMail { ticket: self.ticket }) {
            Ok(mails) if !mails.is_empty() => mails,
            Ok(_) => return None,
            Err(e) => {
                cx.fail(&e);
                return None;
            }
        };
        let on = self.mail().id;
        let arrived = mails.len().saturating_sub(self.mails.len());
        let kept = mails.iter().position(|m| m.id == on);
        self.mails = mails;
        match kept {
            Some(i) => self.selected = i,
            None => {
                // The message is gone from the ticket: show the first.
                (self.selected, self.part) = (0, 0);
                self.load(cx);
            }
        }
        let next = cx.keymap.key_label(Act::NextQueue);
        match arrived {
            0 => None,
            1 => Some(format!("a new message arrived on {}: {next} shows it", self.ticket)),
            n => Some(format!("{n} new messages arrived on {}: {next} shows them", self.ticket)),
        }
    }

    /// Which message is selected (1 = the first), for tests.
    pub fn message(&self) -> usize {
        self.selected + 1
    }

    /// What is shown: 0 the original, n attachment n.
    pub fn part(&self) -> usize {
        self.part
    }

    pub fn scroll(&self) -> u16 {
        self.scroll
    }

    fn mail(&self) -> &MailRecord {
        &self.mails[self.selected]
    }

    /// Reads the selected part again.
    fn load(&mut self, cx: &mut Cx<'_>) {
        self.scroll = 0;
        self.lines = match self.part {
            0 => self.original(cx),
            n => self.attachment(cx, n),
        };
    }

    fn original(&self, cx: &mut Cx<'_>) -> Vec<String> {
        let mail = self.mail();
        if mail.original_erased() {
            return vec!["(the original and its attachments were erased with the person this ticket was about)".into()];
        }
        let mut bytes = Vec::new();
        let mut chunk = 0;
        while bytes.len() < SHOWN_BYTES && chunk < mail.raw_chunks.max(1) {
            let piece = ReadMailPiece { ticket: self.ticket, mail: mail.id, piece: MailPiece::Original { chunk } };
            match cx.desk.call(piece) {
                Ok(piece) => bytes.extend_from_slice(&piece.bytes),
                Err(e) => {
                    cx.fail(&e);
                    return vec![format!("the original could not be read: {}", clean(&e.to_string()))];
                }
            }
            chunk += 1;
        }
        let cut = bytes.len() > SHOWN_BYTES || (bytes.len() as u64) < mail.raw_len;
        bytes.truncate(SHOWN_BYTES);
        let mut lines = clean_lines(&String::from_utf8_lossy(&bytes));
        if cut {
            lines.push(String::new());
            lines.push(format!(
                "(cut: the first {} of {} are shown; `caredesk ticket original {} --mail {} --out FILE` saves it whole)",
                human_size(bytes.len() as u64),
                human_size(mail.raw_len),
                self.ticket,
                self.message()
            ));
        }
        lines
    }

    fn attachment(&self, cx: &mut Cx<'_>, n: usize) -> Vec<String> {
        let mail = self.mail();
        let Some(info) = mail.attachments.get(n - 1) else { return Vec::new() };
        let save = format!("`caredesk ticket attachment {} {n} --mail {} --out FILE`", self.ticket, self.message());
        let described = format!("{}, {}", clean(&info.content_type), human_size(info.size));
        if !info.kept {
            return vec![format!("{} ({described}) was larger than the limit and was not kept", clean(&info.name))];
        }
        let text_type = info.content_type.to_ascii_lowercase().starts_with("text/");
        if !text_type && info.size > SMALL_ATTACHMENT {
            return binary(info, &described, &save);
        }
        // One byte past what is shown, to know whether it was cut.
        let at_most = Some(SHOWN_BYTES as u32 + 1);
        let piece = ReadMailPiece {
            ticket: self.ticket,
            mail: mail.id,
            piece: MailPiece::Attachment { index: n as u32 - 1, at_most },
        };
        let mut bytes = match cx.desk.call(piece) {
            Ok(piece) => piece.bytes,
            Err(e) => {
                cx.fail(&e);
                return vec![format!("the attachment could not be read: {}", clean(&e.to_string()))];
            }
        };
        let cut = bytes.len() > SHOWN_BYTES;
        bytes.truncate(SHOWN_BYTES);
        let text = match (text_type, std::str::from_utf8(&bytes)) {
            (_, Ok(text)) => text.to_owned(),
            // A cut may split a character; what comes before it is text.
            (_, Err(e)) if cut && e.valid_up_to() + 4 > bytes.len() => {
                String::from_utf8_lossy(&bytes[..e.valid_up_to()]).into_owned()
            }
            (true, Err(_)) => String::from_utf8_lossy(&bytes).into_owned(),
            (false, Err(_)) => return binary(info, &described, &save),
        };
        let mut lines = vec![format!("{} ({described})", clean(&info.name)), String::new()];
        lines.extend(clean_lines(&text));
        if cut {
            lines.push(String::new());
            lines.push(format!("(cut: the first {} are shown; {save} saves it whole)", human_size(SHOWN_BYTES as u64)));
        }
        lines
    }

    /// Acts on a key while open; false when the view is to close.
    pub(super) fn act(&mut self, act: Act, cx: &mut Cx<'_>) -> bool {
        match act {
            Act::Back => return false,
            Act::Up => self.scroll = self.scroll.saturating_sub(1),
            Act::Down => self.scroll = self.scroll.saturating_add(1),
            Act::PageUp => self.scroll = self.scroll.saturating_sub(10),
            Act::PageDown => self.scroll = self.scroll.saturating_add(10),
            Act::Top => self.scroll = 0,
            Act::Bottom => self.scroll = super::FOLLOW_SCROLL,
            Act::NextQueue | Act::PrevQueue => {
                let n = self.mails.len();
                self.selected =
                    if act == Act::NextQueue { (self.selected + 1) % n } else { (self.selected + n - 1) % n };
                self.part = 0;
                self.load(cx);
            }
            Act::Open => {
                self.part = (self.part + 1) % (self.mail().attachments.len() + 1);
                self.load(cx);
            }
            _ => {}
        }
        true
    }

    pub(super) fn draw(&self, frame: &mut Frame<'_>, full: Rect, view: &View<'_>) {
        let theme = view.theme;
        // Clear of the header and of the message line, where news of the
        // ticket (a reply threaded on while reading) is told.
        let area = centred(full, full.width.saturating_sub(4).max(20), full.height.saturating_sub(4).max(6));
        frame.render_widget(Clear, area);
        let keys = |act| view.keymap.key_label(act);
        let block = Block::bordered()
            .title(Span::styled(
                format!(" Mail on {} · message {} of {} ", self.ticket, self.message(), self.mails.len()),
                theme.title(),
            ))
            .title_bottom(Line::styled(
                format!(
                    " {}/{} message · {} next part · {}/{} scroll · {} close ",
                    keys(Act::PrevQueue),
                    keys(Act::NextQueue),
                    keys(Act::Open),
                    keys(Act::Up),
                    keys(Act::Down),
                    keys(Act::Back)
                ),
                theme.dim(),
            ))
            .border_style(theme.focused_border());
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let first = self.selected.saturating_sub(LISTED - 1).min(self.mails.len().saturating_sub(LISTED));
        let mut head: Vec<Line> = Vec::new();
        for (i, m) in self.mails.iter().enumerate().skip(first).take(LISTED) {
            let style = if i == self.selected { theme.key() } else { ratatui::style::Style::default() };
            let mut spans = vec![
                Span::styled(format!("{} {:>2} ", if i == self.selected { "»" } else { " " }, i + 1), style),
                Span::styled(local(m.arrived_at, "%a %-d %b %H:%M  "), theme.dim()),
                Span::styled(clean(m.from.as_deref().unwrap_or("(no sender)")).into_owned(), style),
                Span::raw("  "),
                Span::styled(clean(&m.subject).into_owned(), style),
                Span::styled(format!("  {}", human_size(m.raw_len)), theme.dim()),
            ];
            if m.unparsed.is_some() {
                spans.push(Span::styled("  UNPARSED", theme.amber()));
            }
            head.push(Line::from(spans));
        }
        let mail = self.mail();
        if let Some(why) = &mail.unparsed {
            head.push(Line::styled(
                format!("   unparsed: {}; the original is shown as it came", clean(why)),
                theme.amber(),
            ));
        }
        let marker = |n: usize| if self.part == n { "»" } else { " " };
        head.push(Line::from(vec![
            Span::styled(format!("   {} original", marker(0)), theme.dim()),
            Span::raw(format!(" ({})", human_size(mail.raw_len))),
        ]));
        for (i, a) in mail.attachments.iter().enumerate() {
            head.push(Line::from(vec![
                Span::styled(format!("   {} attachment {} ", marker(i + 1), i + 1), theme.dim()),
                Span::raw(attachment_line(a)),
            ]));
        }
        head.push(Line::styled("─".repeat(usize::from(inner.width)), theme.dim()));
        let head_height = (head.len() as u16).min(inner.height);
        let body = Rect { y: inner.y + head_height, height: inner.height - head_height, ..inner };
        frame.render_widget(Paragraph::new(head), Rect { height: head_height, ..inner });
        let scroll = self.scroll.min(self.lines.len().saturating_sub(1) as u16);
        let lines: Vec<Line> = self.lines.iter().map(|l| Line::from(l.as_str())).collect();
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).scroll((scroll, 0)), body);
    }
}

/// The keys the mail view answers while open.
pub(super) fn handles(act: Act) -> bool {
    matches!(
        act,
        Act::Back
            | Act::Up
            | Act::Down
            | Act::PageUp
            | Act::PageDown
            | Act::Top
            | Act::Bottom
            | Act::NextQueue
            | Act::PrevQueue
            | Act::Open
    )
}

/// The hints while the mail view is open.
pub(super) fn hints() -> Vec<Hint> {
    vec![
        Hint::new(Act::Back, "close mail"),
        Hint::new(Act::NextQueue, "next message"),
        Hint::new(Act::PrevQueue, "previous message"),
        Hint::new(Act::Open, "next part"),
    ]
}

fn attachment_line(a: &AttachmentInfo) -> String {
    let kept = if a.kept { "" } else { ", not kept" };
    format!("{} · {} · {}{kept}", clean(&a.name), clean(&a.content_type), human_size(a.size))
}

fn binary(info: &AttachmentInfo, described: &str, save: &str) -> Vec<String> {
    vec![
        format!("{} ({described}) is not text, so it is not shown here.", clean(&info.name)),
        String::new(),
        format!("{save} saves it to FILE."),
    ]
}
