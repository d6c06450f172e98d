//! Raw RFC 5322 bytes to an [`InboundMail`], with mail-parser.
//!
//! mail-parser decodes quoted-printable and base64, encoded words in any
//! charset it knows, and tolerates broken MIME; what it cannot read at all
//! becomes an unparsed mail with the bytes kept. Nothing here panics on
//! input, and nothing here decides what to do with the mail.

use chrono::{DateTime, TimeZone, Utc};
use mail_parser::{Address, HeaderValue, MessageParser, MimeHeaders, PartType};
use sha2::{Digest, Sha256};

use super::text::{html_to_text, is_forward, sanitise_body, sanitise_line, strip_quoted_history};
use super::{
    Attachment, AttachmentInfo, Automatic, InboundMail, MAX_ATTACHMENT_BYTES, MAX_BODY_CHARS, MAX_MESSAGE_BYTES,
    MessageKey, Sender,
};

/// The longest subject or name kept, in characters (what the ticket form
/// takes).
const MAX_LINE_CHARS: usize = 120;
/// How many Message-IDs of In-Reply-To and References are looked at: a
/// long thread's first and last few are the ones that matter.
const MAX_THREAD_IDS: usize = 50;
/// How many attachments are listed; the rest are counted.
const MAX_ATTACHMENTS: usize = 100;

/// Reads `raw`. `fallback_arrival` is the server's own time for the message
/// (IMAP INTERNALDATE, the Maildir file's time), used when the message has
/// no readable `Received:` header.
pub fn parse(raw: &[u8], fallback_arrival: DateTime<Utc>) -> InboundMail {
    let raw_len = raw.len();
    if raw_len > MAX_MESSAGE_BYTES {
        let kept = raw[..MAX_MESSAGE_BYTES].to_vec();
        let why = format!(
            "the message is {raw_len} bytes, more than caredesk keeps ({MAX_MESSAGE_BYTES}); its first \
             {MAX_MESSAGE_BYTES} bytes are kept"
        );
        return unparsed(kept, raw_len, fallback_arrival, why);
    }
    let parsed = if raw.iter().all(u8::is_ascii_whitespace) { None } else { MessageParser::new().parse(raw) };
    match parsed {
        Some(message) if has_headers(&message) => read(&message, raw, fallback_arrival),
        _ => unparsed(raw.to_vec(), raw_len, fallback_arrival, "no mail headers could be read".into()),
    }
}

/// mail-parser reads anything as a message; one with none of the headers
/// every mail has is not one.
fn has_headers(message: &mail_parser::Message<'_>) -> bool {
    message.from().is_some() || message.message_id().is_some() || message.date().is_some()
}

fn digest(raw: &[u8]) -> MessageKey {
    let hash = Sha256::digest(raw);
    MessageKey::Digest(hash.iter().map(|b| format!("{b:02x}")).collect())
}

fn unparsed(raw: Vec<u8>, raw_len: usize, arrived_at: DateTime<Utc>, why: String) -> InboundMail {
    let preview = String::from_utf8_lossy(&raw[..raw.len().min(64 << 10)]).into_owned();
    let text = sanitise_body(&preview, MAX_BODY_CHARS);
    InboundMail {
        key: digest(&raw),
        in_reply_to: Vec::new(),
        from: None,
        to: Vec::new(),
        subject: "(a message caredesk could not read)".into(),
        arrived_at,
        body: text.clone(),
        full_text: text,
        attachments: Vec::new(),
        automatic: None,
        unparsed: Some(why),
        raw,
        raw_len,
    }
}

fn read(message: &mail_parser::Message<'_>, raw: &[u8], fallback_arrival: DateTime<Utc>) -> InboundMail {
    let key = message
        .message_id()
        .map(clean_id)
        .filter(|id| !id.is_empty())
        .map(MessageKey::MessageId)
        .unwrap_or_else(|| digest(raw));
    let mut in_reply_to = ids(message.in_reply_to());
    for id in ids(message.references()).into_iter().rev() {
        if !in_reply_to.contains(&id) {
            in_reply_to.push(id);
        }
    }
    in_reply_to.truncate(MAX_THREAD_IDS);
    let from = message.from().and_then(first_sender);
    let to = message.to().into_iter().chain(message.cc()).flat_map(addresses).collect();
    let subject = sanitise_line(message.subject().unwrap_or(""), MAX_LINE_CHARS);
    let subject = if subject.is_empty() { "(no subject)".to_owned() } else { subject };
    let full = body_text(message);
    let full_text = sanitise_body(&full, MAX_BODY_CHARS);
    let body = strip_quoted_history(&full_text, is_forward(&subject));
    InboundMail {
        automatic: automatic(message, from.as_ref()),
        key,
        in_reply_to,
        from,
        to,
        subject,
        arrived_at: arrival(message).unwrap_or(fallback_arrival),
        body,
        full_text,
        attachments: attachments(message),
        unparsed: None,
        raw: raw.to_vec(),
        raw_len: raw.len(),
    }
}

fn clean_id(id: &str) -> String {
    let id = sanitise_line(id, 250);
    id.trim_start_matches('<').trim_end_matches('>').trim().to_owned()
}

fn ids(value: &HeaderValue<'_>) -> Vec<String> {
    let list: Vec<String> = match value {
        HeaderValue::Text(t) => vec![clean_id(t)],
        HeaderValue::TextList(list) => list.iter().map(|t| clean_id(t)).collect(),
        _ => Vec::new(),
    };
    list.into_iter().filter(|id| !id.is_empty()).collect()
}

fn first_sender(address: &Address<'_>) -> Option<Sender> {
    let addr = address.first()?;
    let email = sanitise_line(addr.address()?, 254).to_lowercase();
    if email.is_empty() {
        return None;
    }
    let name = addr.name().map(|n| sanitise_line(n.trim_matches(|c| c == '"' || c == '\''), MAX_LINE_CHARS));
    Some(Sender { name: name.filter(|n| !n.is_empty() && !n.contains('@')), address: email })
}

fn addresses(address: &Address<'_>) -> Vec<String> {
    address.iter().filter_map(|a| a.address()).map(|a| sanitise_line(a, 254).to_lowercase()).collect()
}

/// The text a person wrote: the first text/plain body, or the first HTML
/// body turned into text.
fn body_text(message: &mail_parser::Message<'_>) -> String {
    let plain = message.text_bodies().find_map(|part| match &part.body {
        PartType::Text(text) if !text.trim().is_empty() => Some(text.to_string()),
        _ => None,
    });
    if let Some(text) = plain {
        return text;
    }
    message
        .html_bodies()
        .find_map(|part| match &part.body {
            PartType::Html(html) => Some(html_to_text(html)),
            PartType::Text(text) => Some(text.to_string()),
            _ => None,
        })
        .unwrap_or_else(|| preamble(message))
}

/// How much of a message's unreadable body is shown when no text part
/// could be found.
const MAX_PREAMBLE_BYTES: usize = 16 << 10;

/// When a broken boundary hides every text part, the text usually sits in
/// the multipart preamble: show the start of the body as it is, rather
/// than nothing.
fn preamble(message: &mail_parser::Message<'_>) -> String {
    let Some(root) = message.parts.first() else { return String::new() };
    let start = root.offset_body as usize;
    let end = message.parts.get(1).map_or(root.offset_end as usize, |p| p.offset_header as usize);
    let raw = message.raw_message();
    let end = end.min(raw.len()).min(start.saturating_add(MAX_PREAMBLE_BYTES));
    raw.get(start..end).map(|b| String::from_utf8_lossy(b).trim().to_owned()).unwrap_or_default()
}

fn to_utc(date: &mail_parser::DateTime) -> Option<DateTime<Utc>> {
    if !date.is_valid() {
        return None;
    }
    Utc.timestamp_opt(date.to_timestamp(), 0).single()
}

/// The time the top `Received:` header gives: when our own server took the
/// message, which a sender cannot set (unlike `Date:`).
fn arrival(message: &mail_parser::Message<'_>) -> Option<DateTime<Utc>> {
    message.received_all().next().and_then(|r| r.date.as_ref()).and_then(to_utc)
}

fn header_text(message: &mail_parser::Message<'_>, name: &str) -> Option<String> {
    message.header_raw(name).map(|v| v.trim().to_ascii_lowercase())
}

fn automatic(message: &mail_parser::Message<'_>, from: Option<&Sender>) -> Option<Automatic> {
    let local = from.map(|f| f.address.split('@').next().unwrap_or("").to_owned()).unwrap_or_default();
    let report = message.content_type().is_some_and(|ct| {
        ct.ctype().eq_ignore_ascii_case("multipart") && ct.subtype().is_some_and(|s| s.eq_ignore_ascii_case("report"))
    });
    let empty_return_path = header_text(message, "Return-Path").is_some_and(|p| p == "<>" || p.is_empty());
    if report || empty_return_path || matches!(local.as_str(), "mailer-daemon" | "postmaster" | "mail-daemon") {
        return Some(Automatic::Bounce);
    }
    if header_text(message, "Auto-Submitted").is_some_and(|v| !v.starts_with("no"))
        || ["X-Autoreply", "X-Autorespond", "X-Auto-Reply"].iter().any(|h| message.header_raw(*h).is_some())
        || header_text(message, "X-Auto-Response-Suppress")
            .is_some_and(|v| v.contains("all") || v.contains("oof") || v.contains("autoreply"))
    {
        return Some(Automatic::AutoSubmitted);
    }
    let precedence = header_text(message, "Precedence");
    if precedence.is_some_and(|p| matches!(p.as_str(), "bulk" | "junk" | "list"))
        || message.header_raw("List-Id").is_some()
        || message.header_raw("List-Unsubscribe").is_some()
    {
        return Some(Automatic::Bulk);
    }
    None
}

fn attachments(message: &mail_parser::Message<'_>) -> Vec<Attachment> {
    let mut out = Vec::new();
    for part in message.attachments() {
        if out.len() == MAX_ATTACHMENTS {
            break;
        }
        let content_type = part
            .content_type()
            .map(|ct| match ct.subtype() {
                Some(sub) => format!("{}/{}", ct.ctype(), sub),
                None => ct.ctype().to_owned(),
            })
            .map(|t| sanitise_line(&t.to_ascii_lowercase(), 100))
            .unwrap_or_else(|| "application/octet-stream".into());
        let bytes: &[u8] = match &part.body {
            PartType::Binary(b) | PartType::InlineBinary(b) => b,
            PartType::Text(t) | PartType::Html(t) => t.as_bytes(),
            PartType::Message(m) => m.raw_message(),
            PartType::Multipart(_) => &[],
        };
        let name = part.attachment_name().map(|n| sanitise_line(n, MAX_LINE_CHARS)).filter(|n| !n.is_empty());
        let kept = bytes.len() <= MAX_ATTACHMENT_BYTES;
        out.push(Attachment {
            info: AttachmentInfo {
                name: name.unwrap_or_else(|| "(unnamed)".into()),
                content_type,
                size: bytes.len() as u64,
                kept,
            },
            content: kept.then(|| bytes.to_vec()),
        });
    }
    out
}
