//! The help screen and the README key table, both generated from the
//! keymap and the `:` commands so neither can drift from the keys.

use ratatui::text::{Line, Span};

use crate::console::keymap::{Act, COMMANDS, KeyMap, Scope};
use crate::console::theme::Theme;

/// The key table for the README, generated from the keymap so a test can
/// tell when the two disagree.
pub fn key_table(keymap: &KeyMap) -> String {
    let mut out = String::from("| where | keys | action | what it does |\n|---|---|---|---|\n");
    for act in Act::ALL {
        let keys: Vec<String> = keymap.keys(*act).iter().map(|k| format!("`{k}`")).collect();
        let keys = keys.join(" ").replace('|', "\\|");
        out.push_str(&format!("| {} | {keys} | {} | {} |\n", act.scope().label(), act.name(), act.about()));
    }
    out
}

/// The help screen, generated from the keymap and the `:` commands.
pub fn help_lines(keymap: &KeyMap, theme: Theme) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for scope in Scope::ALL {
        if !lines.is_empty() {
            lines.push(Line::default());
        }
        lines.push(Line::styled(scope.label().to_owned(), theme.title()));
        for act in Act::ALL.iter().filter(|a| a.scope() == scope) {
            let keys: Vec<String> = keymap.keys(*act).iter().map(ToString::to_string).collect();
            let keys = if keys.is_empty() { "(unbound)".to_owned() } else { keys.join(", ") };
            lines.push(Line::from(vec![
                Span::styled(format!("  {keys:<16}"), theme.key()),
                Span::raw(format!("{:<16}", act.name())),
                Span::raw(act.about()),
            ]));
        }
        if scope == Scope::Global {
            lines.push(Line::default());
            let title = format!("command line ({}, then a command and enter)", keymap.key_label(Act::CommandLine));
            lines.push(Line::styled(title, theme.title()));
            for command in COMMANDS {
                let also = command.words[1..].join(", ");
                let also = if also.is_empty() { String::new() } else { format!(" (or {also})") };
                lines.push(Line::from(vec![
                    Span::styled(format!("  {:<40}", command.usage()), theme.key()),
                    Span::raw(format!("{}{also}", command.about)),
                ]));
            }
        }
    }
    lines.push(Line::default());
    let title = format!("queue filter ({}, then words and enter; words combine)", keymap.key_label(Act::Filter));
    lines.push(Line::styled(title, theme.title()));
    for (word, about) in crate::service::TicketFilter::HELP {
        lines.push(Line::from(vec![Span::styled(format!("  {word:<16}"), theme.key()), Span::raw(about)]));
    }
    lines
}
