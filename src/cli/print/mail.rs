//! How the messages behind a ticket print: when each arrived, from whom,
//! and what it kept.

use std::fmt::Write as _;

use serde_json::Value;

use super::{Printed, safe};

macro_rules! out {
    ($out:ident, $($arg:tt)*) => {{
        let _ = writeln!($out, $($arg)*);
    }};
}

impl Printed for Vec<crate::domain::mail::MailRecord> {
    fn text(&self) -> String {
        use crate::domain::mail::human_size;
        let mut out = String::new();
        if self.is_empty() {
            out!(out, "no messages were taken in by mail on this ticket");
        }
        for (n, mail) in self.iter().enumerate() {
            let when = mail.arrived_at.with_timezone(&chrono_tz::Europe::London).format("%a %-d %b %Y %H:%M");
            let from = mail.from.as_deref().map(safe).unwrap_or_else(|| "(no sender)".into());
            let how = if mail.threaded { "reply" } else { "opened the ticket" };
            out!(out, "{}. {when}  {from}  {}  ({how}, {})", n + 1, safe(&mail.subject), human_size(mail.raw_len));
            if let Some(why) = &mail.unparsed {
                out!(out, "   unparsed: {}; the original is kept", safe(why));
            }
            for (a, att) in mail.attachments.iter().enumerate() {
                let kept = if att.kept { "" } else { ", not kept: over the size limit" };
                out!(
                    out,
                    "   attachment {}: {} ({}, {}{kept})",
                    a + 1,
                    safe(&att.name),
                    safe(&att.content_type),
                    human_size(att.size)
                );
            }
        }
        if !self.is_empty() {
            out!(
                out,
                "`caredesk ticket original REF --mail N` shows one as it arrived; `ticket attachment REF N --mail N --out FILE` saves an attachment"
            );
        }
        out
    }
    fn json(&self) -> Value {
        serde_json::to_value(self).unwrap_or_default()
    }
}
