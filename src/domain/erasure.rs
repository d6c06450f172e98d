//! Erasure: what the audit log and the records keep of a person once their
//! account is deleted.
//!
//! An audit entry that concerns an account is *sealed* when it is written:
//! its hash covers a digest of its texts (command, before, after) taken with
//! a random salt, not the texts themselves. Deleting the account *erases*
//! every such entry: the texts and the salt go, the digest stays, so the
//! entry's hash and every link of the chain still verify. Without the salt
//! the digest cannot be checked against a guess (a mobile number has few
//! enough digits to try them all), so nothing of the texts can be recovered
//! from what is left. The deletion's own entry lists the entries it erased,
//! and the chain check holds every erased entry to such a list, so texts
//! cannot be removed behind the service's back and passed off as an
//! erasure.
//!
//! The entry's subject (an NHSmail address, a ticket reference) stays: the
//! address is the tombstone that deletion keeps by rule.
//!
//! Pure: no store, no clock. The salt comes in from the caller.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use chrono::{DateTime, Utc};

use super::audit::{AuditDraft, hex};
use super::mail::MailRecord;
use super::ticket::Ticket;

/// What an audit entry says of the people (accounts) it concerns. (Every
/// field is always written: the daemon's frames are bincode, which cannot
/// tell a skipped field.)
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Personal {
    /// The accounts whose records the entry wrote or whose data its texts
    /// may hold, by id: what `audit.by_person` is built from.
    #[serde(default)]
    pub persons: Vec<u64>,
    /// The tickets whose records the entry wrote (by number), so that the
    /// entries written before a ticket was linked to an account are found
    /// when the account is deleted: `audit.by_ticket`.
    #[serde(default)]
    pub tickets: Vec<u64>,
    /// `None` on an entry that concerns nobody, and on entries written
    /// before entries were sealed: their hash covers the texts.
    #[serde(default)]
    pub seal: Option<Seal>,
    /// The entries this one erased (a deletion's entry).
    #[serde(default)]
    pub erases: Vec<u64>,
}

impl Personal {
    pub fn is_erased(&self) -> bool {
        matches!(self.seal, Some(Seal::Erased { .. }))
    }
}

/// How a sealed entry's texts are held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Seal {
    /// The texts are there; the hash covers [`seal_digest`] of them.
    Sealed {
        #[serde(with = "hex_bytes")]
        salt: [u8; SALT_LEN],
    },
    /// The texts were erased with the person; this is the digest the hash
    /// covered.
    Erased {
        #[serde(with = "hex_bytes")]
        digest: [u8; 32],
    },
}

pub const SALT_LEN: usize = 16;

impl Seal {
    /// The digest the entry's hash covers in place of its texts.
    pub fn digest(&self, draft: &AuditDraft) -> [u8; 32] {
        match self {
            Seal::Sealed { salt } => seal_digest(salt, draft),
            Seal::Erased { digest } => *digest,
        }
    }
}

/// SHA-256 over the salt and the draft's texts, each length-prefixed so no
/// two sets of texts run together into the same bytes.
pub fn seal_digest(salt: &[u8; SALT_LEN], draft: &AuditDraft) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"caredesk audit seal\0");
    h.update(salt);
    let mut text = |t: Option<&str>| match t {
        None => h.update([0]),
        Some(t) => {
            h.update([1]);
            h.update((t.len() as u64).to_be_bytes());
            h.update(t.as_bytes());
        }
    };
    text(Some(&draft.command));
    text(draft.before.as_deref());
    text(draft.after.as_deref());
    h.finalize().into()
}

/// What is left of a draft's texts once erased: nothing.
pub fn erase_texts(draft: &mut AuditDraft) {
    draft.command = String::new();
    draft.before = None;
    draft.after = None;
}

/// Whether an erased entry's texts are as erasure leaves them; an erased
/// entry's hash does not cover texts, so any text on one was put there
/// afterwards.
pub fn texts_are_erased(draft: &AuditDraft) -> bool {
    draft.command.is_empty() && draft.before.is_none() && draft.after.is_none()
}

/// What a deleted person's free text is searched for: the ways it names
/// them. Built from the record before deletion.
#[derive(Debug, Clone, Default)]
pub struct Marks {
    /// Names and addresses, matched case-insensitively on word bounds.
    words: Vec<String>,
    /// The mobile's national digits ("07700900123").
    mobile: Option<String>,
}

/// What replaces each mark.
pub const ERASED: &str = "[erased]";

impl Marks {
    pub fn new(names: &[&str], emails: &[&str], mobile: Option<&str>) -> Marks {
        let mut words: Vec<String> = Vec::new();
        for w in names.iter().chain(emails).map(|w| w.trim().to_lowercase()) {
            // A single letter would erase every word it is a part of.
            if w.chars().count() >= 2 && !words.contains(&w) {
                words.push(w);
            }
        }
        // Longest first, so a full name goes before the words in it.
        words.sort_by_key(|w| std::cmp::Reverse(w.len()));
        Marks { words, mobile: mobile.map(str::to_owned) }
    }

    /// `text` with every mark replaced by [`ERASED`]; `None` when nothing
    /// in it names the person.
    pub fn redact(&self, text: &str) -> Option<String> {
        let mut out = text.to_owned();
        let mut changed = false;
        for word in &self.words {
            if let Some(next) = replace_word(&out, word) {
                out = next;
                changed = true;
            }
        }
        if let Some(mobile) = &self.mobile {
            if let Some(next) = replace_number(&out, mobile) {
                out = next;
                changed = true;
            }
        }
        changed.then_some(out)
    }
}

impl Marks {
    /// The marks of a person from their record's personal data.
    pub fn of(personal: &super::account::PersonalData) -> Marks {
        Marks::new(
            &[&personal.full_name(), &personal.first_name, &personal.last_name],
            &[personal.email.as_str()],
            Some(personal.mobile.as_str()),
        )
    }
}

/// `ticket` with every mark of the person removed from its free text and
/// its requester's details, as the next revision by `by` at `at`; `None`
/// when nothing in it names them.
pub fn redact_ticket(ticket: &Ticket, marks: &Marks, by: &str, at: DateTime<Utc>) -> Option<Ticket> {
    let mut out = ticket.clone();
    let mut changed = false;
    let mut redact = |text: &mut String| {
        if let Some(clean) = marks.redact(text) {
            *text = clean;
            changed = true;
        }
    };
    redact(&mut out.subject);
    redact(&mut out.body);
    redact(&mut out.requester.name);
    if let Some(phone) = &mut out.requester.phone {
        redact(phone);
    }
    for entry in &mut out.timeline {
        redact(&mut entry.text);
    }
    if out.requester.email.as_ref().is_some_and(|e| marks.redact(e.as_str()).is_some()) {
        out.requester.email = None;
        changed = true;
    }
    changed.then(|| {
        out.meta = ticket.meta.next(by, at);
        out
    })
}

/// `mail` as it is kept once the person its ticket is about is deleted:
/// sender, subject, attachment names and any note on why it was not
/// parsed lose every mark of them, and the original and the attachments
/// are no longer held (`raw_chunks` 0, every attachment not kept).
pub fn redact_mail(mail: &MailRecord, marks: &Marks) -> MailRecord {
    let mut out = mail.clone();
    let clean = |text: &str| marks.redact(text).unwrap_or_else(|| text.to_owned());
    out.from = out.from.as_deref().map(clean);
    out.subject = clean(&out.subject);
    out.unparsed = out.unparsed.as_deref().map(clean);
    for a in &mut out.attachments {
        a.name = clean(&a.name);
        a.kept = false;
    }
    out.raw_len = out.raw_len.max(1);
    out.raw_chunks = 0;
    out
}

/// Replaces `word` (lower-case) wherever it stands on its own in `text`,
/// ignoring case.
fn replace_word(text: &str, word: &str) -> Option<String> {
    let lower = text.to_lowercase();
    // Lower-casing can change byte lengths outside ASCII; match on the
    // lower-cased text only when it lines up with the original.
    if lower.len() != text.len() {
        return replace_word_by_chars(text, word);
    }
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    let mut from = 0;
    while let Some(found) = lower[from..].find(word) {
        let start = from + found;
        let end = start + word.len();
        let bounded = !lower[..start].chars().next_back().is_some_and(is_word_char)
            && !lower[end..].chars().next().is_some_and(is_word_char);
        if bounded {
            out.push_str(&text[last..start]);
            out.push_str(ERASED);
            last = end;
        }
        from = end;
    }
    (last > 0).then(|| {
        out.push_str(&text[last..]);
        out
    })
}

/// [`replace_word`] for text whose lower case is not the same length
/// (one letter can lower-case to two, as "İ" does).
fn replace_word_by_chars(text: &str, word: &str) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    let wanted: Vec<char> = word.chars().collect();
    // How many of `chars` from `i` lower-case to exactly `wanted`.
    let matches_at = |i: usize| {
        let mut folded = Vec::with_capacity(wanted.len());
        for (n, c) in chars[i..].iter().enumerate() {
            folded.extend(c.to_lowercase());
            if folded.len() >= wanted.len() {
                return (folded == wanted).then_some(n + 1);
            }
            if !wanted.starts_with(&folded) {
                return None;
            }
        }
        None
    };
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut changed = false;
    while i < chars.len() {
        let bounded_before = !(i > 0 && is_word_char(chars[i - 1]));
        match matches_at(i).filter(|n| bounded_before && !chars.get(i + n).copied().is_some_and(is_word_char)) {
            Some(n) => {
                out.push_str(ERASED);
                i += n;
                changed = true;
            }
            None => {
                out.push(chars[i]);
                i += 1;
            }
        }
    }
    changed.then_some(out)
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Replaces every run of digits (with the spaces, dashes, brackets and
/// plus signs people write numbers with) that reads as `mobile`.
fn replace_number(text: &str, mobile: &str) -> Option<String> {
    let national = mobile.strip_prefix('0').unwrap_or(mobile);
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    let mut i = 0;
    while i < bytes.len() {
        if !(bytes[i].is_ascii_digit() || bytes[i] == b'+') || (i > 0 && bytes[i - 1].is_ascii_digit()) {
            i += 1;
            continue;
        }
        // Gather the run from here: digits and the separators inside it.
        let mut digits = String::new();
        let mut end = i;
        let mut j = i;
        while j < bytes.len() && (bytes[j].is_ascii_digit() || b" -()+".contains(&bytes[j])) {
            if bytes[j].is_ascii_digit() {
                digits.push(char::from(bytes[j]));
                end = j + 1;
            }
            j += 1;
        }
        let rest = digits
            .strip_prefix("0044")
            .or_else(|| digits.strip_prefix("440"))
            .or_else(|| digits.strip_prefix("44"))
            .or_else(|| digits.strip_prefix('0'))
            .unwrap_or(&digits);
        if rest == national {
            out.push_str(&text[last..i]);
            out.push_str(ERASED);
            last = end;
        }
        i = end.max(i + 1);
    }
    (last > 0).then(|| {
        out.push_str(&text[last..]);
        out
    })
}

/// Arrays as lower-case hex in JSON.
mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer, const N: usize>(bytes: &[u8; N], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::hex(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>, const N: usize>(d: D) -> Result<[u8; N], D::Error> {
        let text = String::deserialize(d)?;
        super::super::audit::unhex(&text)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| serde::de::Error::custom(format!("expected {N} bytes as hex")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marks() -> Marks {
        Marks::new(&["Jane Smith", "Jane", "Smith"], &["jane.s@example.org"], Some("07700900123"))
    }

    #[test]
    fn free_text_loses_every_way_it_names_the_person_and_nothing_else() {
        let cases = [
            ("Jane Smith called about her account", Some("[erased] called about her account")),
            ("spoke to JANE, mobile 07700 900123.", Some("spoke to [erased], mobile [erased].")),
            ("texted +44 (0)7700 900123 and +447700900123", Some("texted [erased] and [erased]")),
            ("mail from jane.s@example.org", Some("mail from [erased]")),
            ("Smithson and Janet are other people", None),
            ("call 07700 900124 instead", None),
            ("reference 177009001234", None),
            ("nothing here", None),
        ];
        for (text, want) in cases {
            assert_eq!(marks().redact(text).as_deref(), want, "{text}");
        }
    }

    #[test]
    fn names_outside_ascii_are_matched_without_case() {
        let m = Marks::new(&["Zoë Øster"], &[], None);
        assert_eq!(m.redact("ZOË ØSTER rang").as_deref(), Some("[erased] rang"));
        let dotted = Marks::new(&["İlker"], &[], None);
        assert_eq!(dotted.redact("from İlker today").as_deref(), Some("from [erased] today"));
    }

    #[test]
    fn a_single_letter_is_not_a_mark() {
        let m = Marks::new(&["J", "Smith"], &[], None);
        assert_eq!(m.redact("J. Smith").as_deref(), Some("J. [erased]"));
    }
}
