//! How the answers of a shift's tools print: bulk reports, text modules,
//! views, SLA warnings, breaches and the dashboard (also as CSV).

use std::fmt::Write as _;

use serde_json::{Value, json};

use super::{Printed, Record, keyed, row_json, safe};
use crate::domain::saved_view::SavedView;
use crate::domain::sla::SlaPolicy;
use crate::domain::text_module::TextModule;
use crate::domain::time::rfc3339;
use crate::service::{Breach, BulkPreview, BulkReport, Dashboard, RenderedText, SlaWarnings, ViewCount};

macro_rules! out {
    ($out:ident, $($arg:tt)*) => {{
        let _ = writeln!($out, $($arg)*);
    }};
}

impl Record for BulkReport {
    fn fields(&self) -> Value {
        json!({
            "batch": self.batch,
            "action": self.action,
            "done": self.done.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "refused": self.refused.iter().map(|(r, why)| json!({ "ref": r.to_string(), "reason": why })).collect::<Vec<_>>(),
            "cannot_undo": self.cannot_undo,
        })
    }
    fn detail(&self) -> String {
        let mut out = String::new();
        for (r, why) in &self.refused {
            out!(out, "  {r} refused: {}", safe(why));
        }
        match &self.cannot_undo {
            Some(why) => out!(out, "{}", safe(why)),
            None => out!(out, "undo with `caredesk undo {}`", self.batch),
        }
        out
    }
}

impl Printed for BulkPreview {
    fn text(&self) -> String {
        let mut out = String::new();
        out!(out, "{} would act on {} tickets (nothing done: --dry-run)", self.action, self.tickets.len());
        let refs: Vec<String> = self.tickets.iter().map(ToString::to_string).collect();
        out!(out, "  {}", refs.join(" "));
        match &self.cannot_undo {
            Some(why) => out!(out, "{}", safe(why)),
            None => out!(out, "it could be undone with `caredesk undo BATCH`"),
        }
        out
    }
    fn json(&self) -> Value {
        json!({
            "action": self.action,
            "tickets": self.tickets.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "cannot_undo": self.cannot_undo,
        })
    }
}

impl Record for TextModule {
    fn fields(&self) -> Value {
        keyed("text", self)
    }
}

impl Record for Vec<TextModule> {
    fn fields(&self) -> Value {
        keyed("texts", self)
    }
}

impl Printed for TextModule {
    fn text(&self) -> String {
        format!("{} ({})\n{}\n", self.name, self.kind, safe(&self.body))
    }
    fn json(&self) -> Value {
        keyed("text", self)
    }
}

impl Printed for Vec<TextModule> {
    fn text(&self) -> String {
        let mut out = String::new();
        if self.is_empty() {
            out!(out, "no text modules: a supervisor adds them with `caredesk text add`");
        }
        for t in self {
            let first = t.body.lines().next().unwrap_or_default();
            out!(out, "{:<28} {:<5} {}", t.name, t.kind.slug(), safe(&crate::text::excerpt(first, 60)));
        }
        out
    }
    fn json(&self) -> Value {
        keyed("texts", self)
    }
}

impl Printed for RenderedText {
    fn text(&self) -> String {
        format!("{}\n", safe(&self.text))
    }
    fn json(&self) -> Value {
        json!({ "name": self.name, "kind": self.kind, "ref": self.reference.to_string(), "text": self.text })
    }
}

impl Record for SavedView {
    fn fields(&self) -> Value {
        keyed("view", self)
    }
}

impl Printed for Vec<ViewCount> {
    fn text(&self) -> String {
        let mut out = String::new();
        if self.is_empty() {
            out!(out, "no saved views: save one with `caredesk view save NAME --filter 'WORDS'`");
        }
        for v in self {
            let whose = if v.view.owner.is_some() { "mine" } else { "shared" };
            let count = v.count.map_or_else(|| "?".to_owned(), |n| n.to_string());
            out!(
                out,
                "{:<24} {:<6} {:>6}  {} {}",
                safe(&v.view.name),
                whose,
                count,
                v.view.queue,
                safe(&v.view.filter)
            );
            if let Some(p) = &v.problem {
                out!(out, "  {}", safe(p));
            }
        }
        out
    }
    fn json(&self) -> Value {
        keyed("views", self)
    }
}

impl Record for SlaPolicy {
    fn fields(&self) -> Value {
        keyed("sla", self)
    }
}

impl Printed for SlaWarnings {
    fn text(&self) -> String {
        let mut out = String::new();
        out!(out, "due soon: within {} minutes of the due time", self.due_soon_minutes);
        if self.warnings.is_empty() {
            out!(out, "no open ticket is due soon or past due");
        }
        for w in &self.warnings {
            let r = &w.row;
            out!(
                out,
                "{}  {:<9} {:<8} due {}  {:<12} {}",
                r.reference,
                w.state.slug(),
                r.queue.slug(),
                rfc3339(r.due_at),
                r.assignee.as_deref().unwrap_or("-"),
                safe(&r.subject)
            );
        }
        out
    }
    fn json(&self) -> Value {
        json!({
            "due_soon_minutes": self.due_soon_minutes,
            "warnings": self.warnings.iter().map(|w| {
                let mut v = row_json(&w.row);
                if let Some(o) = v.as_object_mut() { o.insert("sla".into(), json!(w.state)); }
                v
            }).collect::<Vec<_>>(),
        })
    }
}

impl Printed for Vec<Breach> {
    fn text(&self) -> String {
        let mut out = String::new();
        out!(out, "{} breaches", self.len());
        for b in self {
            let end = b.resolved_at.map_or_else(|| "still open".to_owned(), |t| format!("resolved {}", rfc3339(t)));
            out!(
                out,
                "{}  {:<9} {:<24} due {}  {end}, {} min late  {}",
                b.reference,
                b.queue.slug(),
                b.category.slug(),
                rfc3339(b.due_at),
                b.late_minutes,
                b.assignee.as_deref().unwrap_or("-")
            );
        }
        out
    }
    fn json(&self) -> Value {
        keyed("breaches", self)
    }
}

/// The breach report for a spreadsheet: one header row, one row a breach.
pub fn breaches_csv(breaches: &[Breach]) -> String {
    let mut out = String::from("ref,queue,category,ods,assignee,due_at,resolved_at,late_minutes\n");
    for b in breaches {
        out!(
            out,
            "{},{},{},{},{},{},{},{}",
            b.reference,
            b.queue.slug(),
            b.category.slug(),
            cell(b.ods.as_deref().unwrap_or("")),
            cell(b.assignee.as_deref().unwrap_or("")),
            rfc3339(b.due_at),
            b.resolved_at.map(rfc3339).unwrap_or_default(),
            b.late_minutes
        );
    }
    out
}

/// A CSV cell: quoted when it holds a comma, quote or line break, and
/// never starting with a character a spreadsheet would run as a formula.
fn cell(text: &str) -> String {
    let text = crate::text::one_line(text);
    let text = if text.starts_with(['=', '+', '-', '@']) { format!("'{text}") } else { text.into_owned() };
    if text.contains([',', '"', '\n']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text }
}

impl Printed for Dashboard {
    fn text(&self) -> String {
        let mut out = String::new();
        let state = if self.open_now { "open" } else { "closed" };
        out!(out, "at {}: the NAS is {state}; next opening {}", rfc3339(self.at), rfc3339(self.next_opening));
        out!(
            out,
            "{:<18} {:>6} {:>9} {:>9}  last 24 hours        last 7 days",
            "queue",
            "depth",
            "breached",
            "due soon"
        );
        for q in &self.queues {
            out!(
                out,
                "{:<18} {:>6} {:>9} {:>9}  {}  {}",
                q.queue.label(),
                q.depth,
                q.breached,
                q.due_soon,
                spark(&q.hourly),
                spark(&q.daily)
            );
        }
        out!(out, "tickets per operator today:");
        if self.per_operator.is_empty() {
            out!(out, "  none yet");
        }
        for (op, n) in &self.per_operator {
            out!(out, "  {op:<16} {n}");
        }
        out
    }
    fn json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// Depths as a row of bars, scaled to the largest.
fn spark(values: &[u64]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let top = values.iter().copied().max().unwrap_or(0).max(1);
    values.iter().map(|v| BARS[((v * 7) / top) as usize]).collect()
}

/// The dashboard for a spreadsheet: one row per queue and hour or day.
pub fn dashboard_csv(d: &Dashboard) -> String {
    let mut out = String::from("queue,figure,period,value\n");
    for q in &d.queues {
        let slug = q.queue.slug();
        out!(out, "{slug},depth,now,{}", q.depth);
        out!(out, "{slug},breached,now,{}", q.breached);
        out!(out, "{slug},due-soon,now,{}", q.due_soon);
        for (i, v) in q.hourly.iter().enumerate() {
            out!(out, "{slug},depth,hour-{},{v}", q.hourly.len() - 1 - i);
        }
        for (i, v) in q.daily.iter().enumerate() {
            out!(out, "{slug},depth,day-{},{v}", q.daily.len() - 1 - i);
        }
    }
    for (op, n) in &d.per_operator {
        out!(out, "all,tickets-today,{},{n}", cell(op));
    }
    out!(out, "all,next-opening,now,{}", rfc3339(d.next_opening));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_csv_cell_cannot_become_a_formula_or_break_the_row() {
        assert_eq!(cell("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("V1234"), "V1234");
    }

    #[test]
    fn sparklines_scale_to_the_largest() {
        assert_eq!(spark(&[0, 7, 14]), "▁▄█");
        assert_eq!(spark(&[0, 0]), "▁▁");
    }
}
