//! Text that came from outside (names, subjects, ticket bodies, what an
//! external program printed) on its way to a terminal, a log or the store.
//!
//! A terminal obeys what is written to it: `ESC ] 52` in a ticket subject
//! could write to the operator's clipboard, `ESC [ 2 J` could wipe the
//! screen, a C1 `CSI` (U+009B) does the same in one character, and a
//! right-to-left override (U+202E) makes `gpj.exe` read as `exe.jpg`. This
//! is the one place that decides which characters are drawn as they are:
//! the console, the command line, the service and the log all go through
//! it, so the rules cannot differ between them. A neutralised character
//! becomes [`REPLACEMENT`], so the operator sees that something was there.
//!
//! It must not change anything else: accents, other scripts and the
//! joiners that shape them (ZWNJ, ZWJ) pass through untouched, and text
//! without an unsafe character is returned as it came, without copying.

use std::borrow::Cow;

/// What a neutralised character is drawn as.
pub const REPLACEMENT: char = '\u{FFFD}';

/// Characters that print nothing but reorder, hide or split the text
/// around them: the bidirectional embeddings, overrides, isolates and
/// marks (the "Trojan Source" characters), the zero-width space and word
/// joiner, the invisible operators, the byte-order mark, the line and
/// paragraph separators, and the interlinear annotation marks.
///
/// ZWNJ and ZWJ (U+200C, U+200D) are left out on purpose: Persian, the
/// Indic scripts and emoji need them to spell names correctly, and they
/// cannot reorder anything.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'
            | '\u{200E}'
            | '\u{200F}'
            | '\u{2028}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
    )
}

/// Whether `c` must not reach a terminal as it is: a control character
/// (C0, DEL, C1, so every escape sequence starts with one) or an invisible
/// format character ([`is_invisible`]).
pub fn is_unsafe(c: char) -> bool {
    c.is_control() || is_invisible(c)
}

/// One line of outside text, safe to draw: every unsafe character (line
/// breaks included) becomes [`REPLACEMENT`], except that a tab becomes a
/// space.
pub fn one_line(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| match c {
                '\t' => ' ',
                c if is_unsafe(c) => REPLACEMENT,
                c => c,
            })
            .collect(),
    )
}

/// Multi-line outside text (a ticket body, a note), safe to print: line
/// breaks (`\r\n`, `\r` or `\n`) become `\n`, tabs stay, and every other
/// unsafe character becomes [`REPLACEMENT`].
pub fn body(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| is_unsafe(c) && !matches!(c, '\n' | '\t')) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.replace("\r\n", "\n")
            .chars()
            .map(|c| match c {
                '\r' => '\n',
                '\n' | '\t' => c,
                c if is_unsafe(c) => REPLACEMENT,
                c => c,
            })
            .collect(),
    )
}

/// Multi-line outside text, split into lines that are each safe to draw.
pub fn lines(text: &str) -> Vec<String> {
    body(text).split('\n').map(|l| one_line(l).into_owned()).collect()
}

/// At most `max` characters of [`one_line`], ending in `…` when cut: for a
/// log line or a message that must stay short whatever it was given.
pub fn excerpt(text: &str, max: usize) -> String {
    let line = one_line(text.trim());
    match line.char_indices().nth(max.saturating_sub(1)) {
        Some((cut, _)) if line.chars().count() > max => format!("{}…", &line[..cut]),
        _ => line.into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const R: char = REPLACEMENT;

    /// Every class of character the module exists for, and the ones it
    /// must leave alone.
    #[test]
    fn one_line_neutralises_controls_escapes_and_invisible_characters() {
        let cases: &[(&str, &str, String)] = &[
            ("plain", "Sunrise Care", "Sunrise Care".into()),
            ("accents and other scripts", "Zoë Ørsted · Ιωάννης · محمد", "Zoë Ørsted · Ιωάννης · محمد".into()),
            ("ZWNJ and ZWJ shape names", "Mohammad\u{200C}reza 👩\u{200D}⚕", "Mohammad\u{200C}reza 👩\u{200D}⚕".into()),
            ("NUL", "a\0b", format!("a{R}b")),
            ("bell", "ding\x07", format!("ding{R}")),
            ("backspace", "abc\x08\x08", format!("abc{R}{R}")),
            ("DEL", "x\x7f", format!("x{R}")),
            ("tab becomes a space", "a\tb", "a b".into()),
            ("line feed", "one\ntwo", format!("one{R}two")),
            ("carriage return", "real\rfake", format!("real{R}fake")),
            ("CSI clear screen", "\x1b[2Jwiped", format!("{R}[2Jwiped")),
            ("OSC 52 clipboard", "\x1b]52;c;aGk=\x07", format!("{R}]52;c;aGk={R}")),
            ("OSC title", "\x1b]0;pwned\x1b\\", format!("{R}]0;pwned{R}\\")),
            ("C1 CSI", "C1 \u{9b}31m", format!("C1 {R}31m")),
            ("C1 NEL", "a\u{85}b", format!("a{R}b")),
            ("C1 OSC", "\u{9d}0;x\u{9c}", format!("{R}0;x{R}")),
            ("LRE", "a\u{202A}b", format!("a{R}b")),
            ("RLE", "a\u{202B}b", format!("a{R}b")),
            ("PDF", "a\u{202C}b", format!("a{R}b")),
            ("LRO", "a\u{202D}b", format!("a{R}b")),
            ("RLO", "evil\u{202E}gpj.exe", format!("evil{R}gpj.exe")),
            ("LRI", "a\u{2066}b", format!("a{R}b")),
            ("RLI", "a\u{2067}b", format!("a{R}b")),
            ("FSI", "a\u{2068}b", format!("a{R}b")),
            ("PDI", "a\u{2069}b", format!("a{R}b")),
            ("LRM and RLM", "\u{200E}a\u{200F}", format!("{R}a{R}")),
            ("Arabic letter mark", "a\u{061C}b", format!("a{R}b")),
            ("zero-width space", "jo\u{200B}hn", format!("jo{R}hn")),
            ("word joiner", "jo\u{2060}hn", format!("jo{R}hn")),
            ("invisible times", "2\u{2062}3", format!("2{R}3")),
            ("byte-order mark", "\u{FEFF}name", format!("{R}name")),
            ("line separator", "a\u{2028}b", format!("a{R}b")),
            ("paragraph separator", "a\u{2029}b", format!("a{R}b")),
            ("interlinear annotation", "\u{FFF9}a\u{FFFB}", format!("{R}a{R}")),
        ];
        for (what, input, want) in cases {
            assert_eq!(one_line(input), want.as_str(), "{what}: {input:?}");
        }
    }

    #[test]
    fn safe_text_is_not_copied() {
        assert!(matches!(one_line("Zoë O'Neil"), Cow::Borrowed(_)));
        assert!(matches!(body("two\nlines\twith a tab"), Cow::Borrowed(_)));
    }

    #[test]
    fn a_body_keeps_its_lines_and_tabs_and_nothing_else() {
        let cases: &[(&str, &str, String)] = &[
            ("lines and tabs", "one\n\ttwo", "one\n\ttwo".into()),
            ("CRLF", "one\r\ntwo", "one\ntwo".into()),
            ("lone CR", "one\rtwo", "one\ntwo".into()),
            ("escape", "hi\x1b[1A", format!("hi{R}[1A")),
            ("bidi override", "a\u{202E}b\u{2066}c", format!("a{R}b{R}c")),
            ("C1", "\u{9b}2J", format!("{R}2J")),
            ("zero-width", "a\u{200B}b", format!("a{R}b")),
        ];
        for (what, input, want) in cases {
            assert_eq!(body(input), want.as_str(), "{what}: {input:?}");
        }
    }

    #[test]
    fn lines_are_each_one_safe_line() {
        assert_eq!(lines("one\r\ntwo\x1b\rthree\t4"), ["one", &format!("two{R}"), "three 4"]);
    }

    #[test]
    fn an_excerpt_is_one_line_and_never_longer_than_asked() {
        assert_eq!(excerpt("  short  ", 10), "short");
        assert_eq!(excerpt("exactly10!", 10), "exactly10!");
        assert_eq!(excerpt("eleven char", 10), "eleven ch…");
        assert_eq!(excerpt("a\nb\x1b", 10), format!("a{R}b{R}"));
        assert_eq!(excerpt("ééééééééééé", 5).chars().count(), 5);
    }
}
