//! Turning the text a message carries into text an operator may see.
//!
//! Every string taken from a message passes through [`sanitise_body`] or
//! [`sanitise_line`], here and nowhere else, so that when the crate's
//! sanitisers are unified this is a one-line change. No escape sequence,
//! control character or direction override from a mail reaches a terminal.

/// Characters that print nothing but reorder or disguise the text around
/// them (bidi overrides, zero-width spaces); control characters are caught
/// by `char::is_control`. The same set the validators refuse in names.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}' | '\u{2060}' | '\u{FEFF}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Text of many lines: keeps line breaks and tabs, drops every other
/// control and invisible character, and cuts at `max_chars`.
pub fn sanitise_body(text: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max_chars));
    let mut count = 0;
    for c in text.replace("\r\n", "\n").chars() {
        let c = if c == '\r' { '\n' } else { c };
        if (c.is_control() && !matches!(c, '\n' | '\t')) || is_invisible(c) {
            continue;
        }
        if count == max_chars {
            out.push_str(
                "\n[… cut: the text is longer than caredesk keeps on a ticket; the original message has it all]",
            );
            break;
        }
        out.push(c);
        count += 1;
    }
    out
}

/// Text of one line (a subject, a name): whitespace collapsed, control and
/// invisible characters dropped, cut at `max_chars` with an ellipsis.
pub fn sanitise_line(text: &str, max_chars: usize) -> String {
    let kept: String = text
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .filter(|c| !c.is_control() && !is_invisible(*c))
        .collect();
    let joined = kept.split_whitespace().collect::<Vec<_>>().join(" ");
    if joined.chars().count() <= max_chars {
        return joined;
    }
    let mut cut: String = joined.chars().take(max_chars.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// Readable text from an HTML body: paragraphs and lists as lines, links
/// and no markup.
pub fn html_to_text(html: &str) -> String {
    // Wide enough that ordinary paragraphs are not wrapped: the console
    // wraps to its own width.
    match html2text::config::plain_no_decorate().string_from_read(html.as_bytes(), 10_000) {
        Ok(text) => text,
        // html2text refuses only input it cannot read at all; the markup is
        // still better shown stripped than lost.
        Err(_) => strip_tags(html),
    }
}

fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// A line that starts the quoted history a mail client puts under a reply.
fn starts_history(line: &str, next: Option<&str>) -> bool {
    let t = line.trim();
    let lower = t.to_lowercase();
    // "On Tue, 3 Mar 2026 at 10:02, Jo Bloggs <jo@x> wrote:" (may wrap onto
    // the next line before "wrote:").
    let wrote = |s: &str| s.ends_with("wrote:") || s.ends_with("writes:") || s.ends_with("a écrit :");
    if lower.starts_with("on ") && (wrote(&lower) || next.is_some_and(|n| wrote(&n.trim().to_lowercase()))) {
        return true;
    }
    if lower.starts_with("-----original message-----") || lower.starts_with("----- original message -----") {
        return true;
    }
    // Outlook's reply header: a rule of underscores, or "From: …" followed
    // by "Sent: …".
    if t.len() >= 20 && t.chars().all(|c| c == '_') {
        return true;
    }
    lower.starts_with("from:") && next.is_some_and(|n| n.trim().to_lowercase().starts_with("sent:"))
}

/// The new text of a reply, without the history quoted under it. A message
/// that is all quotation keeps its text, so nothing the sender wrote is
/// lost; a forward keeps everything, because what it forwards is the
/// request.
pub fn strip_quoted_history(text: &str, is_forward: bool) -> String {
    if is_forward {
        return text.trim().to_owned();
    }
    let lines: Vec<&str> = text.lines().collect();
    let mut kept = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        if starts_history(line, lines.get(i + 1).copied()) {
            break;
        }
        if line.trim_start().starts_with('>') {
            continue;
        }
        kept.push(*line);
    }
    let stripped = kept.join("\n").trim().to_owned();
    if stripped.is_empty() { text.trim().to_owned() } else { stripped }
}

/// Whether a subject says the message is a forward.
pub fn is_forward(subject: &str) -> bool {
    let lower = subject.trim_start().to_lowercase();
    ["fwd:", "fw:", "fwd :", "tr:", "wg:"].iter().any(|p| lower.starts_with(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_never_survive() {
        let evil = "Reset\u{1b}[2J\u{1b}]0;owned\u{7}please\u{202E}gnp.exe\r\nline two\u{9b}31m";
        let body = sanitise_body(evil, 1000);
        assert!(!body.chars().any(|c| c.is_control() && c != '\n' && c != '\t'), "{body:?}");
        assert!(!body.contains('\u{202E}'));
        assert!(body.contains("line two"));
        let line = sanitise_line(evil, 1000);
        assert!(!line.contains('\n') && !line.contains('\u{1b}'), "{line:?}");
    }

    #[test]
    fn long_text_is_cut_with_a_note() {
        assert_eq!(sanitise_line("abcdef", 4), "abc…");
        let body = sanitise_body(&"x".repeat(50), 10);
        assert!(body.starts_with("xxxxxxxxxx\n[… cut"), "{body}");
    }

    #[test]
    fn html_becomes_lines_of_text() {
        let text = html_to_text(
            "<html><head><style>p{color:red}</style></head><body><p>Hello NAS,</p><p>Please reset \
             <b>my</b> password.</p><ul><li>ODS: V1234</li><li>Jo Bloggs</li></ul></body></html>",
        );
        assert!(text.contains("Hello NAS,"), "{text}");
        assert!(text.contains("Please reset my password."), "{text}");
        assert!(text.contains("ODS: V1234"), "{text}");
        assert!(!text.contains("color:red") && !text.contains('<'), "{text}");
    }

    #[test]
    fn reply_history_is_stripped_in_each_clients_style() {
        let cases = [
            "Thanks, that worked.\n\nOn Tue, 3 Mar 2026 at 10:02, NAS <nas@nhs.net> wrote:\n> Your ticket CD-000001\n> was logged.",
            "Thanks, that worked.\n\nOn Tue, 3 Mar 2026 at 10:02, NAS\n<nas@nhs.net> wrote:\n> old",
            "Thanks, that worked.\n-----Original Message-----\nFrom: NAS\nSent: today\nold text",
            "Thanks, that worked.\n\n________________________________\nFrom: NAS <nas@nhs.net>\nSent: 03 March 2026 10:02\nold",
            "Thanks, that worked.\nFrom: NAS <nas@nhs.net>\nSent: 03 March 2026 10:02\nold",
            "> quoted first\nThanks, that worked.",
        ];
        for text in cases {
            assert_eq!(strip_quoted_history(text, false), "Thanks, that worked.", "{text}");
        }
    }

    #[test]
    fn forwards_and_all_quoted_messages_keep_their_text() {
        let fwd = "FYI\n\n---------- Forwarded message ---------\nFrom: Jo <jo@x.org>\n> and a quote";
        assert_eq!(strip_quoted_history(fwd, true), fwd);
        assert_eq!(strip_quoted_history("> only a quote", false), "> only a quote");
        assert!(is_forward("Fwd: new starter") && is_forward("FW: leaver") && !is_forward("Re: leaver"));
    }
}
