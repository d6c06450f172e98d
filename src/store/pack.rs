//! The compact form of the text an audit entry carries: the command, and the
//! record before and after, each written by serde_json.
//!
//! Those texts are most of the audit log, and most of each text is the same
//! few dozen field names, `null`s and timestamps. [`pack`] writes each of
//! those as one to six bytes; [`unpack`] gives back exactly the text that
//! was packed, byte for byte, because the hash chain covers that text. The
//! record after a change is kept as what differs from the record before it
//! ([`Delta`]), which for most changes is a timestamp and a revision.
//!
//! Any text packs, JSON or not: the bytes used as codes cannot appear in
//! UTF-8 text (0xF5 to 0xFF) or are escaped when they do (the control
//! bytes). The word list and the codes are on disk: never change or reorder
//! them; a new list needs a new audit schema version (`codec.rs`).

/// The words one byte stands for: control bytes 0x01 to 0x1F and 0xF5 to
/// 0xFC, in this order.
const SHORT: [&str; 39] = [
    "null",
    "\"address\":",
    "\"ods\":",
    "\"meta\":{\"rev\":",
    "\"changed_by\":",
    "\"changed_at\":",
    "\"email\":",
    "\"created_at\":",
    "\"status\":",
    "{\"id\":",
    "\"mobile\":",
    "\"administered_by\":",
    "\"personal\":{\"first_name\":",
    "\"last_name\":",
    "\"mobile_hidden\":",
    "\"must_change_password\":",
    "\"activated_at\":",
    "\"last_login_at\":",
    "\"password_changed_at\":",
    "\"temp_password_issued_at\":",
    "\"locked_at\":",
    "\"inactive_since\":",
    "\"leaver_since\":",
    "\"deleted_at\":",
    "false",
    "true",
    "@nhs.net\"",
    "\"nas\"",
    "\"active\"",
    "\"mailbox\":",
    "\"account\":",
    "\"reference\":",
    "\"name\":",
    "\"owner\":",
    "\"text\":",
    "\"pending-activation\"",
    "\"record-login\":",
    "\"record-password-change\":",
    "\"root\"",
];

/// The words that 0xFD and one byte stand for.
const LONG: [&str; 62] = [
    "\"display_name\":",
    "\"sponsorship\":",
    "\"member_count\":",
    "\"last_accessed_at\":",
    "\"channel\":",
    "\"received_at\":",
    "\"category\":",
    "\"subject\":",
    "\"body\":",
    "\"mailbox_name\":",
    "\"requester\":",
    "\"phone\":",
    "\"routing\":{\"queue\":",
    "\"work_from\":",
    "\"due_at\":",
    "\"assignee\":",
    "\"timeline\":",
    "\"at\":",
    "\"by\":",
    "\"kind\":",
    "\"create-account\":",
    "\"first\":",
    "\"last\":",
    "\"not_duplicate\":",
    "\"add-member\":",
    "\"reason\":",
    "\"sweep\":",
    "\"dry_run\":",
    "\"set-status\":",
    "\"ig\":",
    "\"ticket\":",
    "\"reply\":",
    "\"create-ticket\":",
    "\"requester_name\":",
    "\"requester_email\":",
    "\"requester_phone\":",
    "\"incomplete\":",
    "\"claim\":",
    "\"closed_at\":",
    "\"note\":",
    "\"add-organisation\":",
    "\"mark-leaver\":",
    "\"new_owner\":",
    "\"create-mailbox\":",
    "\"sponsored_by\":",
    "\"record-mailbox-access\":",
    "\"sponsor\":",
    "\"link\":",
    "\"reset-password\":",
    "\"verified_by\":",
    "\"record-lock\":",
    "\"local\":",
    "\"set-mobile-hidden\":",
    "\"hidden\":",
    "\"take-in-mail\":",
    "\"message\":",
    "\"helpdesk\"",
    "\"resolver\"",
    "\"inactive\"",
    "\"leaver\"",
    "\"deleted\"",
    "\"email-nas\"",
];

/// A word from [`LONG`] follows.
const LONG_WORD: u8 = 0xFD;
/// A timestamp follows: five bytes of seconds since 0000-01-01T00:00:00Z.
const TIMESTAMP: u8 = 0xFE;
/// The next byte is itself (a control byte of the text).
const LITERAL: u8 = 0xFF;

/// The code byte of [`SHORT`]`[i]`.
fn short_code(i: usize) -> u8 {
    if i < 31 { i as u8 + 1 } else { 0xF5 + (i - 31) as u8 }
}

fn short_index(code: u8) -> Option<usize> {
    match code {
        0x01..=0x1F => Some(usize::from(code) - 1),
        0xF5..=0xFC => Some(usize::from(code - 0xF5) + 31),
        _ => None,
    }
}

/// Where a packed text does not decode: the store's value is damaged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PackError {
    #[error("the packed text ends inside a code")]
    Truncated,
    #[error("the packed text has an unknown code {0:#04x}")]
    UnknownCode(u8),
    #[error("the packed text is not UTF-8 once unpacked")]
    NotText,
    #[error("the packed change does not fit the record before it")]
    Misfit,
}

/// A word, the code that stands for it, and how many bytes of the code.
type Coded = (&'static [u8], [u8; 2], usize);

/// The words of both lists by their first two bytes, longest first, so the
/// packer tries only the one or two that can start where it stands (most
/// words start with a quote, so the first byte alone left dozens).
struct Words {
    /// Indexed by the first byte times 256 plus the second.
    by_start: Vec<Vec<Coded>>,
}

fn start(word: &[u8]) -> usize {
    usize::from(word[0]) << 8 | usize::from(word[1])
}

fn words() -> &'static Words {
    static WORDS: std::sync::OnceLock<Words> = std::sync::OnceLock::new();
    WORDS.get_or_init(|| {
        let mut by_start: Vec<Vec<Coded>> = vec![Vec::new(); 1 << 16];
        for (i, w) in SHORT.iter().enumerate() {
            by_start[start(w.as_bytes())].push((w.as_bytes(), [short_code(i), 0], 1));
        }
        for (i, w) in LONG.iter().enumerate() {
            by_start[start(w.as_bytes())].push((w.as_bytes(), [LONG_WORD, i as u8], 2));
        }
        for list in &mut by_start {
            // Stable, so words of one length keep the lists' order.
            list.sort_by_key(|(w, _, _)| std::cmp::Reverse(w.len()));
        }
        Words { by_start }
    })
}

/// Packs `text` so that [`unpack`] gives it back exactly.
pub fn pack(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let words = words();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    'next: while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii_digit() {
            if let Some(seconds) = bytes.get(i..i + STAMP_LEN).and_then(read_stamp) {
                out.push(TIMESTAMP);
                out.extend_from_slice(&seconds.to_be_bytes()[3..]);
                i += STAMP_LEN;
                continue;
            }
        }
        let rest = &bytes[i..];
        // Every word is at least two bytes.
        if rest.len() >= 2 {
            for (word, code, n) in &words.by_start[start(rest)] {
                if rest.starts_with(word) {
                    out.extend_from_slice(&code[..*n]);
                    i += word.len();
                    continue 'next;
                }
            }
        }
        if b < 0x20 {
            out.push(LITERAL);
        }
        out.push(b);
        i += 1;
    }
    out
}

/// The text [`pack`] was given.
pub fn unpack(packed: &[u8]) -> Result<String, PackError> {
    let mut out = Vec::with_capacity(packed.len() * 3);
    let mut i = 0;
    while i < packed.len() {
        let b = packed[i];
        i += 1;
        match b {
            LITERAL => {
                out.push(*packed.get(i).ok_or(PackError::Truncated)?);
                i += 1;
            }
            LONG_WORD => {
                let n = *packed.get(i).ok_or(PackError::Truncated)?;
                let word = LONG.get(usize::from(n)).ok_or(PackError::UnknownCode(n))?;
                out.extend_from_slice(word.as_bytes());
                i += 1;
            }
            TIMESTAMP => {
                let five = packed.get(i..i + 5).ok_or(PackError::Truncated)?;
                let mut eight = [0u8; 8];
                eight[3..].copy_from_slice(five);
                write_stamp(u64::from_be_bytes(eight), &mut out).ok_or(PackError::UnknownCode(TIMESTAMP))?;
                i += 5;
            }
            _ => match short_index(b) {
                Some(n) => out.extend_from_slice(SHORT[n].as_bytes()),
                None if b == 0 || b > 0xF4 => return Err(PackError::UnknownCode(b)),
                None => out.push(b),
            },
        }
    }
    String::from_utf8(out).map_err(|_| PackError::NotText)
}

/// `YYYY-MM-DDTHH:MM:SSZ`, the form `domain::time::rfc3339` writes.
const STAMP_LEN: usize = 20;

/// Seconds since 0000-01-01T00:00:00Z of a timestamp in exactly the form
/// [`write_stamp`] writes it back, so only a stamp that round-trips packs.
fn read_stamp(s: &[u8]) -> Option<u64> {
    let shape = b"dddd-dd-ddTdd:dd:ddZ";
    if s.len() != STAMP_LEN || !s.iter().zip(shape).all(|(c, p)| if *p == b'd' { c.is_ascii_digit() } else { c == p }) {
        return None;
    }
    let num = |a: usize, b: usize| s[a..b].iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
    let (year, month, day) = (num(0, 4), num(5, 7), num(8, 10));
    let (hour, minute, second) = (num(11, 13), num(14, 16), num(17, 19));
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) || hour > 23 || minute > 59 {
        return None;
    }
    if second > 59 {
        return None;
    }
    Some((days_from_year_zero(year, month, day) * 24 + hour) * 3600 + minute * 60 + second)
}

fn write_stamp(seconds: u64, out: &mut Vec<u8>) -> Option<()> {
    let (days, rest) = (seconds / 86_400, seconds % 86_400);
    let (year, month, day) = date_from_days(days);
    if year > 9999 {
        return None;
    }
    let text = format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rest / 3600, rest % 3600 / 60, rest % 60);
    out.extend_from_slice(text.as_bytes());
    Some(())
}

fn is_leap(year: u64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: u64, month: u64) -> u64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 0000-01-01 (proleptic Gregorian) to the date.
fn days_from_year_zero(year: u64, month: u64, day: u64) -> u64 {
    let before_year = if year == 0 { 0 } else { 365 * year + (year - 1) / 4 - (year - 1) / 100 + (year - 1) / 400 + 1 };
    let before_month: u64 = (1..month).map(|m| days_in_month(year, m)).sum();
    before_year + before_month + day - 1
}

fn date_from_days(mut days: u64) -> (u64, u64, u64) {
    // 146,097 days in every 400 years.
    let mut year = days / 146_097 * 400;
    days %= 146_097;
    loop {
        let length = if is_leap(year) { 366 } else { 365 };
        if days < length {
            break;
        }
        days -= length;
        year += 1;
    }
    let mut month = 1;
    while days >= days_in_month(year, month) {
        days -= days_in_month(year, month);
        month += 1;
    }
    (year, month, days + 1)
}

/// The record after a change, as what differs from the record before it:
/// the bytes both share at the start and at the end are kept once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delta {
    pub same_start: u32,
    pub same_end: u32,
    /// The packed text between them.
    pub middle: Vec<u8>,
}

impl Delta {
    pub fn between(before: &str, after: &str) -> Delta {
        let (b, a) = (before.as_bytes(), after.as_bytes());
        let mut start = b.iter().zip(a).take_while(|(x, y)| x == y).count();
        while !after.is_char_boundary(start) {
            start -= 1;
        }
        let room = b.len().min(a.len()) - start;
        let mut end = b.iter().rev().zip(a.iter().rev()).take(room).take_while(|(x, y)| x == y).count();
        while !after.is_char_boundary(a.len() - end) {
            end -= 1;
        }
        Delta { same_start: start as u32, same_end: end as u32, middle: pack(&after[start..a.len() - end]) }
    }

    /// The record after, from the record before.
    pub fn apply(&self, before: &str) -> Result<String, PackError> {
        let b = before.as_bytes();
        let (start, end) = (self.same_start as usize, self.same_end as usize);
        if start + end > b.len() {
            return Err(PackError::Misfit);
        }
        let mut out = b[..start].to_vec();
        out.extend_from_slice(unpack(&self.middle)?.as_bytes());
        out.extend_from_slice(&b[b.len() - end..]);
        String::from_utf8(out).map_err(|_| PackError::Misfit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACCOUNT: &str = r#"{"id":2886,"address":"joao.ali@nhs.net","personal":{"first_name":"João","last_name":"Ali","email":"joao.ali939@example.org","mobile":"07700900939"},"mobile_hidden":false,"ods":"5JW66","administered_by":"nas","status":"pending-activation","must_change_password":true,"created_at":"2026-11-10T13:06:00Z","activated_at":null,"last_login_at":null,"password_changed_at":null,"temp_password_issued_at":"2026-11-10T13:06:00Z","locked_at":null,"inactive_since":null,"leaver_since":null,"deleted_at":null,"meta":{"rev":1,"changed_by":"nas2","changed_at":"2026-11-10T13:06:00Z"}}"#;

    #[test]
    fn a_record_packs_to_under_half_and_back_exactly() {
        let packed = pack(ACCOUNT);
        assert!(packed.len() * 2 < ACCOUNT.len(), "{} of {}", packed.len(), ACCOUNT.len());
        assert_eq!(unpack(&packed).unwrap(), ACCOUNT);
    }

    #[test]
    fn any_text_comes_back_exactly_even_with_the_code_bytes_in_it() {
        let awkward = [
            "",
            "\u{1}\u{1f}\u{0}\t\n\r",
            "null nullnull \"address\": 1999-12-31T23:59:59Z",
            "2026-02-29T10:00:00Z 2024-02-29T10:00:00Z 2026-13-01T00:00:00Z 2026-01-01T24:00:00Z",
            "2026-06-30T23:59:60Z 0000-01-01T00:00:00Z 9999-12-31T23:59:59Z 1900-02-29T00:00:00Z",
            "2026-01-01T00:00:00+01:00 2026-01-01T00:00:00.123Z 2026-1-01T00:00:00Z",
            "Zoë Ní Bhriain Núñez — ✓ 😀",
            "; lisa.white@nhs.net marked as a leaver",
        ];
        for text in awkward {
            assert_eq!(unpack(&pack(text)).unwrap(), text, "{text:?}");
        }
        // Every timestamp of one leap year, a second at a time would be
        // slow; every minute of it is not.
        let mut at = chrono::DateTime::parse_from_rfc3339("2024-01-01T00:00:00Z").unwrap().to_utc();
        for _ in 0..(366 * 24 * 60) {
            let text = crate::domain::time::rfc3339(at);
            assert_eq!(pack(&text).len(), 6, "{text}");
            assert_eq!(unpack(&pack(&text)).unwrap(), text);
            at += chrono::Duration::seconds(61);
        }
    }

    #[test]
    fn every_word_is_two_bytes_or_more_and_none_is_listed_twice() {
        let all: Vec<&str> = SHORT.iter().chain(LONG.iter()).copied().collect();
        assert!(all.iter().all(|w| w.len() >= 2), "the packer looks words up by their first two bytes");
        let mut unique = all.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), all.len());
    }

    #[test]
    fn damaged_packed_text_is_an_error_not_a_panic() {
        assert_eq!(unpack(&[LITERAL]), Err(PackError::Truncated));
        assert_eq!(unpack(&[LONG_WORD]), Err(PackError::Truncated));
        assert_eq!(unpack(&[LONG_WORD, 200]), Err(PackError::UnknownCode(200)));
        assert_eq!(unpack(&[TIMESTAMP, 1, 2]), Err(PackError::Truncated));
        assert_eq!(unpack(&[TIMESTAMP, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]), Err(PackError::UnknownCode(TIMESTAMP)));
        assert_eq!(unpack(&[0]), Err(PackError::UnknownCode(0)));
        assert_eq!(unpack(&[0xC3]), Err(PackError::NotText));
    }

    #[test]
    fn a_change_keeps_only_what_differs_from_the_record_before() {
        let after = ACCOUNT
            .replace("\"last_login_at\":null", "\"last_login_at\":\"2026-11-11T08:57:00Z\"")
            .replace("\"rev\":1,\"changed_by\":\"nas2\"", "\"rev\":2,\"changed_by\":\"root\"");
        let delta = Delta::between(ACCOUNT, &after);
        assert!(delta.middle.len() < 200, "{}", delta.middle.len());
        assert_eq!(delta.apply(ACCOUNT).unwrap(), after);
        // Shared bytes inside a character are not split.
        let delta = Delta::between("née", "nèe");
        assert_eq!(delta.apply("née").unwrap(), "nèe");
        for (before, after) in [("", "x"), ("x", ""), ("same", "same"), ("aXa", "aa"), ("aa", "aXa")] {
            assert_eq!(Delta::between(before, after).apply(before).unwrap(), after, "{before} -> {after}");
        }
        let short = Delta { same_start: 5, same_end: 5, middle: Vec::new() };
        assert_eq!(short.apply("abc"), Err(PackError::Misfit));
    }
}
