//! The hand-made awkward messages in tests/mail/corpus: each is read or kept
//! as unparsed, none panics, none lets a control character through, and
//! loop protection marks exactly the automatic ones.

use std::path::Path;

use caredesk::mail::{Automatic, MessageKey, parse};
use chrono::{DateTime, TimeZone, Utc};

fn fallback() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
}

fn corpus(name: &str) -> caredesk::mail::InboundMail {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mail/corpus").join(name);
    parse(&std::fs::read(&path).unwrap(), fallback())
}

fn assert_clean(text: &str, what: &str) {
    let bad: Vec<char> =
        text.chars().filter(|c| (c.is_control() && *c != '\n' && *c != '\t') || *c == '\u{202E}').collect();
    assert!(bad.is_empty(), "{what} kept {bad:?}: {text:?}");
}

#[test]
fn every_message_in_the_corpus_is_read_or_kept_and_none_panics() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mail/corpus");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let raw = std::fs::read(&path).unwrap();
        let mail = parse(&raw, fallback());
        assert_eq!(mail.raw, raw, "{} keeps its raw bytes", path.display());
        assert_clean(&mail.subject, "subject");
        assert_clean(&mail.body, "body");
        assert_clean(&mail.full_text, "full text");
        assert!(!mail.subject.contains('\n'));
        if let Some(from) = &mail.from {
            assert_clean(from.name.as_deref().unwrap_or(""), "sender name");
        }
        seen += 1;
    }
    assert!(seen >= 12, "the corpus has {seen} messages");
}

#[test]
fn loop_protection_flags_the_automatic_messages_and_only_those() {
    let cases: &[(&str, Option<Automatic>)] = &[
        ("bounce.eml", Some(Automatic::Bounce)),
        ("out-of-office.eml", Some(Automatic::AutoSubmitted)),
        ("list-mail.eml", Some(Automatic::Bulk)),
        ("html-only.eml", None),
        ("iso-8859-1-subject.eml", None),
        ("shift-jis-subject.eml", None),
        ("no-message-id.eml", None),
        ("escape-subject.eml", None),
        ("malformed-boundary.eml", None),
        ("reply-with-history.eml", None),
        ("forward.eml", None),
    ];
    for (name, want) in cases {
        assert_eq!(corpus(name).automatic, *want, "{name}");
    }
}

#[test]
fn html_only_mail_becomes_readable_text() {
    let mail = corpus("html-only.eml");
    assert!(mail.body.contains("Amelia Jones") && mail.body.contains("VN3K7"), "{}", mail.body);
    assert!(!mail.body.contains('<') && !mail.body.contains("font-family"), "{}", mail.body);
    assert_eq!(mail.from.as_ref().unwrap().name.as_deref(), Some("Priya Shah"));
    assert_eq!(mail.key, MessageKey::MessageId("html-only-1@sunrise-care.co.uk".into()));
}

#[test]
fn encoded_subjects_in_latin1_and_shift_jis_are_decoded() {
    let latin = corpus("iso-8859-1-subject.eml");
    assert_eq!(latin.subject, "Réinitialisation du mot de passe – très urgent");
    assert_eq!(latin.from.as_ref().unwrap().name.as_deref(), Some("Renée François"));
    assert!(latin.body.contains("Café au lait"), "{}", latin.body);
    let sjis = corpus("shift-jis-subject.eml");
    assert_eq!(sjis.subject, "パスワードのリセット");
    assert!(sjis.body.contains("山田太郎") && sjis.body.contains("V1A2B"), "{}", sjis.body);
}

#[test]
fn arrival_is_the_top_received_time_not_the_senders_date() {
    let sjis = corpus("shift-jis-subject.eml");
    // Date: says 11:00 +0900 (02:00Z); Received: says 02:00 +0000 too, so
    // use one where they differ.
    assert_eq!(sjis.arrived_at, Utc.with_ymd_and_hms(2026, 3, 7, 2, 0, 0).unwrap());
    let html = corpus("html-only.eml");
    assert_eq!(html.arrived_at, Utc.with_ymd_and_hms(2026, 3, 3, 19, 45, 10).unwrap());
    let no_received =
        parse(b"From: a@example.net\r\nSubject: x\r\nDate: Mon, 2 Mar 2026 10:00:00 +0000\r\n\r\nhi", fallback());
    assert_eq!(no_received.arrived_at, fallback());
}

#[test]
fn a_message_without_message_id_is_known_by_its_digest() {
    let mail = corpus("no-message-id.eml");
    let MessageKey::Digest(hex) = &mail.key else { panic!("{:?}", mail.key) };
    assert_eq!(hex.len(), 64);
    assert_eq!(corpus("no-message-id.eml").key, mail.key, "the same bytes give the same key");
    let mut other = mail.raw.clone();
    other.extend_from_slice(b"\r\nP.S.");
    assert_ne!(parse(&other, fallback()).key, mail.key);
}

#[test]
fn escape_sequences_in_subject_sender_and_body_are_dropped() {
    let mail = corpus("escape-subject.eml");
    assert!(mail.subject.ends_with("Reset password"), "{:?}", mail.subject);
    assert!(!mail.subject.contains('\u{1b}') && !mail.subject.contains('\u{7}'));
    assert_eq!(mail.from.as_ref().unwrap().name.as_deref(), Some("[31mEvil[0m"));
    assert!(mail.body.contains("there"), "{:?}", mail.body);
}

#[test]
fn a_malformed_boundary_still_gives_the_text() {
    let mail = corpus("malformed-boundary.eml");
    assert!(mail.unparsed.is_none());
    // The first boundary is misspelt, so the text part is only preamble:
    // it is shown as it stands rather than lost.
    assert!(mail.body.contains("Please give Lisa Chen access"), "{:?}", mail.body);
    assert_eq!(mail.attachments.len(), 1);
    assert_eq!(mail.attachments[0].info.name, "form.pdf");
}

#[test]
fn a_reply_loses_its_quoted_history_but_keeps_it_in_the_full_text() {
    let mail = corpus("reply-with-history.eml");
    assert_eq!(mail.body, "Her mobile is 07700 900123 and she starts at 9.");
    assert!(mail.full_text.contains("We have logged your request as CD-000007"));
    assert_eq!(
        mail.in_reply_to,
        vec!["cd-000007.ack@caredesk.invalid".to_owned(), "html-only-1@sunrise-care.co.uk".to_owned()]
    );
}

#[test]
fn a_forward_keeps_what_it_forwards() {
    let mail = corpus("forward.eml");
    assert!(mail.body.contains("VXTLF") && mail.body.contains("Mark Kowalski"), "{}", mail.body);
}

#[test]
fn bytes_that_are_not_mail_are_kept_as_unparsed() {
    let mail = corpus("not-mail.eml");
    assert!(mail.unparsed.is_some());
    assert!(matches!(mail.key, MessageKey::Digest(_)));
    assert_eq!(mail.raw.len(), 1024);
    assert_eq!(mail.arrived_at, fallback());
    let empty = parse(b"", fallback());
    assert!(empty.unparsed.is_some());
}

#[test]
fn a_20_mb_attachment_is_listed_but_not_kept() {
    use base64_like::encode;
    let blob = vec![0x5Au8; 20 << 20];
    let mut raw =
        b"Received: from mx by imap; Thu, 12 Mar 2026 10:00:00 +0000\r\nFrom: Big Sender <big@example.net>\r\n\
Subject: scans\r\nMessage-ID: <big-1@example.net>\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"B\"\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nScans attached.\r\n\
--B\r\nContent-Type: application/pdf; name=\"scans.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            .to_vec();
    raw.extend_from_slice(encode(&blob).as_bytes());
    raw.extend_from_slice(b"\r\n--B\r\nContent-Type: text/csv; name=\"small.csv\"\r\n\r\na,b\r\n1,2\r\n--B--\r\n");
    let mail = parse(&raw, fallback());
    assert!(mail.unparsed.is_none());
    assert_eq!(mail.body, "Scans attached.");
    let big = &mail.attachments[0];
    assert_eq!((big.info.name.as_str(), big.info.size, big.info.kept), ("scans.pdf", 20 << 20, false));
    assert!(big.content.is_none());
    let small = &mail.attachments[1];
    assert!(small.info.kept && small.content.as_deref().is_some_and(|c| c.starts_with(b"a,b")), "{small:?}");
    assert!(big.info.describe().contains("not kept"));
}

/// Enough base64 for the test to build a big attachment without a crate.
mod base64_like {
    const ABC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    pub fn encode(bytes: &[u8]) -> String {
        let mut out = String::with_capacity(bytes.len() * 4 / 3 + bytes.len() / 57 * 2 + 4);
        for (i, chunk) in bytes.chunks(3).enumerate() {
            if i > 0 && i % 19 == 0 {
                out.push_str("\r\n");
            }
            let n = chunk.iter().fold(0u32, |n, b| (n << 8) | u32::from(*b)) << (8 * (3 - chunk.len()));
            for k in 0..4 {
                if k <= chunk.len() {
                    out.push(ABC[((n >> (18 - 6 * k)) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }
}
