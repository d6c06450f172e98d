//! Text that came from outside (names, subjects, ticket bodies) on its way
//! to the terminal.
//!
//! A terminal obeys escape sequences written to it, so a ticket subject
//! holding `ESC ] 52` could write to the operator's clipboard, and one
//! holding `ESC [ 2 J` could wipe the screen. Every control character is
//! replaced with a visible mark, and so are the invisible characters that
//! reorder text, so what is drawn is what was sent.

use std::borrow::Cow;

/// What a neutralised character is drawn as.
pub const REPLACEMENT: char = '\u{FFFD}';

fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

/// One line of outside text, safe to draw: control characters (line breaks
/// and tabs included) become [`REPLACEMENT`], except that a tab becomes a
/// space.
pub fn clean(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| {
                if c == '\t' {
                    ' '
                } else if is_unsafe(c) {
                    REPLACEMENT
                } else {
                    c
                }
            })
            .collect(),
    )
}

/// Multi-line outside text, split into lines that are each safe to draw.
pub fn clean_lines(text: &str) -> Vec<String> {
    text.replace("\r\n", "\n").split('\n').map(|l| clean(l).into_owned()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_and_invisible_reordering_are_neutralised() {
        let cases = [
            ("plain name", "plain name"),
            ("\x1b]52;c;aGk=\x07", "\u{FFFD}]52;c;aGk=\u{FFFD}"),
            ("\x1b[2Jwiped", "\u{FFFD}[2Jwiped"),
            ("a\tb", "a b"),
            ("C1 \u{9b}31m", "C1 \u{FFFD}31m"),
            ("evil\u{202E}gpj.exe", "evil\u{FFFD}gpj.exe"),
            ("Zoë Ørsted", "Zoë Ørsted"),
        ];
        for (input, want) in cases {
            assert_eq!(clean(input), want, "{input:?}");
        }
        assert_eq!(clean_lines("one\r\ntwo\x1b"), ["one", "two\u{FFFD}"]);
    }
}
