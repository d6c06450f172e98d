//! The console's one keymap: every key an operator can press names an
//! action, and the help screen and the hint line are both generated from
//! this table, so what they say is what the keys do.
//!
//! A user file (`CAREDESK_KEYS`, or `keys.conf` in the user's config
//! directory) can rebind actions, one per line: `claim = c, ctrl-k`.

use std::fmt;
use std::path::Path;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Where an action applies. Global actions work in every pane; a pane's
/// own actions only when it has the focus, so two panes may share a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    Global,
    Queue,
    Accounts,
    Mailboxes,
    /// Forms, dialogs and questions: while one is open it has every key,
    /// so its bindings stand apart from the global ones.
    Form,
}

impl Scope {
    pub const ALL: [Scope; 5] = [Scope::Global, Scope::Queue, Scope::Accounts, Scope::Mailboxes, Scope::Form];

    pub fn label(self) -> &'static str {
        match self {
            Scope::Global => "everywhere",
            Scope::Queue => "ticket queue",
            Scope::Accounts => "account lookup",
            Scope::Mailboxes => "shared mailbox",
            Scope::Form => "forms and questions",
        }
    }

    /// Whether a key bound in both scopes would be ambiguous: within one
    /// scope, or between a pane's and the global keys. A form's keys are
    /// read only while it is open, so they never clash with the others.
    pub fn overlaps(self, other: Scope) -> bool {
        self == other
            || (self != Scope::Form && other != Scope::Form && (self == Scope::Global || other == Scope::Global))
    }
}

macro_rules! actions {
    ($( $variant:ident, $name:literal, $scope:ident, $about:literal, [$($key:literal),*]; )*) => {
        /// A named action.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Act { $($variant),* }

        impl Act {
            pub const ALL: &'static [Act] = &[$(Act::$variant),*];

            /// The name used in the keymap file.
            pub fn name(self) -> &'static str {
                match self { $(Act::$variant => $name),* }
            }

            pub fn scope(self) -> Scope {
                match self { $(Act::$variant => Scope::$scope),* }
            }

            /// What the action does, for the help screen.
            pub fn about(self) -> &'static str {
                match self { $(Act::$variant => $about),* }
            }

            fn default_keys(self) -> &'static [&'static str] {
                match self { $(Act::$variant => &[$($key),*]),* }
            }
        }
    };
}

actions! {
    Quit, "quit", Global, "leave caredesk (asks first if a form has unsaved input)", ["q", "ctrl-c"];
    Help, "help", Global, "show this list of keys", ["?", "f1"];
    NextPane, "next-pane", Global, "move to the next pane", ["tab"];
    PrevPane, "prev-pane", Global, "move to the previous pane", ["backtab"];
    QueuePane, "queue-pane", Global, "go to the ticket queue", ["1"];
    AccountsPane, "accounts-pane", Global, "go to account lookup", ["2"];
    MailboxesPane, "mailboxes-pane", Global, "go to shared mailboxes", ["3"];
    DashboardPane, "dashboard-pane", Global, "go to the dashboard: queue depth, breaches, work today", ["4"];
    CommandLine, "command", Global, "type a command (:help lists them)", [":"];
    Filter, "filter", Global, "search or filter the focused list", ["/"];
    Open, "open", Global, "open the selected item", ["enter"];
    Back, "back", Global, "go back, or close what is open", ["esc"];
    Up, "up", Global, "move up", ["up", "k"];
    Down, "down", Global, "move down", ["down", "j"];
    Top, "top", Global, "go to the first row", ["g", "home"];
    Bottom, "bottom", Global, "go to the last row", ["G", "end"];
    PageUp, "page-up", Global, "move up a page", ["pageup", "ctrl-b"];
    PageDown, "page-down", Global, "move down a page", ["pagedown", "ctrl-f"];
    Refresh, "refresh", Global, "read everything on screen again", ["ctrl-r", "f5"];

    PrevQueue, "prev-queue", Queue, "show the previous queue tab", ["left", "["];
    NextQueue, "next-queue", Queue, "show the next queue tab", ["right", "]"];
    NewTicket, "new-ticket", Queue, "log a new ticket", ["n"];
    Claim, "claim", Queue, "claim the ticket for yourself", ["c"];
    Assign, "assign", Queue, "assign the ticket to an operator (or nobody)", ["a"];
    SetStatus, "status", Queue, "change the ticket's status (just after a note it starts at resolved)", ["s"];
    Note, "note", Queue, "add an internal note", ["i"];
    Reply, "reply", Queue, "reply to the requester", ["r"];
    Link, "link", Queue, "link the ticket to an account or mailbox", ["l"];
    Mark, "mark", Queue, "mark or unmark the ticket (* before it, » when selected); claim, assign, status, note, link and close then act on every marked one", ["space"];
    MarkAll, "mark-all", Queue, "mark every ticket the tab and filter list (again: unmark them)", ["*"];
    UndoBulk, "undo", Queue, "undo the bulk action just done, ticket by ticket", ["u"];
    FollowLink, "follow", Queue, "show the linked account or mailbox", ["o"];
    CloseTicket, "close", Queue, "close the ticket, or every marked one (u straight after undoes it)", ["X"];
    ReadMail, "read-mail", Queue, "read the ticket's mail as it arrived, headers and attachments too", ["m"];

    ResetPassword, "reset-password", Accounts, "reset the password (guided)", ["p"];
    Leaver, "leaver", Accounts, "mark the account as a leaver", ["x"];
    Joiner, "joiner", Accounts, "take the account into an organisation (joiner or move)", ["m"];
    Directory, "directory", Accounts, "hide or show the mobile in the directory", ["d"];
    Unlock, "unlock", Accounts, "unlock a locked account", ["u"];
    NewAccount, "new-account", Accounts, "create an account", ["n"];
    LogTicket, "log-ticket", Accounts, "log the request as a ticket (out of hours: for the resolver group)", ["t"];
    Reveal, "reveal", Accounts, "show or mask mobile numbers on screen", ["v"];

    AddMember, "add-member", Mailboxes, "add a member to the mailbox", ["+", "a"];
    RemoveMember, "remove-member", Mailboxes, "remove the selected member", ["-", "delete"];
    ChangeOwner, "change-owner", Mailboxes, "give the mailbox a new owner", ["o"];
    RevealOwner, "reveal-owner", Mailboxes, "show or mask the owner's mobile", ["v"];
    LogMailboxTicket, "log-mailbox-ticket", Mailboxes, "log the request as a ticket: access for the account selected in the account pane, unless a change was asked here (out of hours: for the resolver group)", ["t"];

    Save, "save", Form, "save the form, or run the command typed", ["enter", "ctrl-s"];
    Cancel, "cancel", Form, "close without saving (twice when something was typed); stop waiting for the daemon", ["esc"];
    NextField, "next-field", Form, "move to the next field", ["tab", "down"];
    PrevField, "prev-field", Form, "move to the previous field", ["backtab", "up"];
    NextChoice, "next-choice", Form, "pick the next option of a choice (typing narrows the options)", ["right", "space"];
    PrevChoice, "prev-choice", Form, "pick the previous option of a choice", ["left"];
    EarlierSearch, "earlier-search", Form, "in a search line: bring back the search before (up too)", ["ctrl-p"];
    LaterSearch, "later-search", Form, "in a search line: go forward to a later search", ["ctrl-n"];
    Yes, "yes", Form, "answer yes to a question", ["y", "Y"];
    No, "no", Form, "answer no to a question", ["n", "N"];
}

/// What a word of the `:` command line does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Ticket,
    Account,
    Mailbox,
    Queue,
    Filter,
    Refresh,
    Help,
    Quit,
    Messages,
    SaveView,
    ShareView,
    RemoveView,
    RemoveSharedView,
}

/// One `:` command: its words (the first is its name), what follows it,
/// and what it does. The command line, its error and the help screen all
/// read this table.
#[derive(Debug, Clone, Copy)]
pub struct CommandWord {
    pub command: Command,
    pub words: &'static [&'static str],
    /// What must follow the word, as the operator should type it; "" for nothing.
    pub argument: &'static str,
    pub about: &'static str,
}

pub const COMMANDS: &[CommandWord] = &[
    CommandWord { command: Command::Ticket, words: &["ticket", "t"], argument: "REF", about: "open a ticket" },
    CommandWord { command: Command::Account, words: &["account", "a"], argument: "ADDRESS", about: "show an account" },
    CommandWord {
        command: Command::Mailbox,
        words: &["mailbox", "m"],
        argument: "ADDRESS",
        about: "show a shared mailbox",
    },
    CommandWord {
        command: Command::Queue,
        words: &["queue"],
        argument: "nas|helpdesk|resolver|mine|all",
        about: "show a queue tab",
    },
    CommandWord { command: Command::Filter, words: &["filter"], argument: "WORDS", about: "filter the queue" },
    CommandWord { command: Command::Refresh, words: &["refresh"], argument: "", about: "read everything again" },
    CommandWord {
        command: Command::Messages,
        words: &["messages", "msg"],
        argument: "",
        about: "read what the status line said, in full",
    },
    CommandWord {
        command: Command::SaveView,
        words: &["view"],
        argument: "NAME",
        about: "save the queue's tab and filter as a view of your own, shown as a tab",
    },
    CommandWord {
        command: Command::ShareView,
        words: &["share"],
        argument: "NAME",
        about: "save the queue's tab and filter as a view for everyone (supervisors)",
    },
    CommandWord {
        command: Command::RemoveView,
        words: &["unview"],
        argument: "NAME",
        about: "remove a view of your own",
    },
    CommandWord {
        command: Command::RemoveSharedView,
        words: &["unshare"],
        argument: "NAME",
        about: "remove a view shared with everyone (supervisors)",
    },
    CommandWord { command: Command::Help, words: &["help", "h"], argument: "", about: "list the keys and commands" },
    CommandWord { command: Command::Quit, words: &["quit", "q"], argument: "", about: "leave caredesk" },
];

impl CommandWord {
    /// The command a word names.
    pub fn find(word: &str) -> Option<&'static CommandWord> {
        COMMANDS.iter().find(|c| c.words.contains(&word))
    }

    /// As the operator types it: "ticket REF".
    pub fn usage(&self) -> String {
        if self.argument.is_empty() { self.words[0].to_owned() } else { format!("{} {}", self.words[0], self.argument) }
    }

    /// Every command's usage, for an error: "ticket REF, …, help or quit".
    pub fn all_usages() -> String {
        let usages: Vec<String> = COMMANDS.iter().map(CommandWord::usage).collect();
        match usages.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
            _ => usages.join(""),
        }
    }
}

/// A key with its modifiers, comparable and printable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Chord {
    pub code: KeyCode,
    pub ctrl: bool,
    pub alt: bool,
}

impl Chord {
    pub fn of(key: &KeyEvent) -> Chord {
        // Shift is part of the character itself ('G', '?'), except for BackTab.
        let code = match key.code {
            KeyCode::Char(c) if key.modifiers.contains(KeyModifiers::CONTROL) => KeyCode::Char(c.to_ascii_lowercase()),
            other => other,
        };
        Chord {
            code,
            ctrl: key.modifiers.contains(KeyModifiers::CONTROL),
            alt: key.modifiers.contains(KeyModifiers::ALT),
        }
    }

    pub fn event(self) -> KeyEvent {
        let mut modifiers = KeyModifiers::NONE;
        if self.ctrl {
            modifiers |= KeyModifiers::CONTROL;
        }
        if self.alt {
            modifiers |= KeyModifiers::ALT;
        }
        if matches!(self.code, KeyCode::BackTab) || matches!(self.code, KeyCode::Char(c) if c.is_ascii_uppercase()) {
            modifiers |= KeyModifiers::SHIFT;
        }
        KeyEvent::new(self.code, modifiers)
    }

    /// Parses "q", "G", "ctrl-r", "alt-x", "enter", "f5", "pagedown".
    pub fn parse(text: &str) -> Result<Chord, String> {
        let mut ctrl = false;
        let mut alt = false;
        let mut rest = text.trim();
        loop {
            let lower = rest.to_ascii_lowercase();
            if rest.len() > 1 && (lower.starts_with("ctrl-") || lower.starts_with("c-")) {
                ctrl = true;
                rest = &rest[rest.find('-').map_or(0, |i| i + 1)..];
            } else if rest.len() > 1 && (lower.starts_with("alt-") || lower.starts_with("m-")) {
                alt = true;
                rest = &rest[rest.find('-').map_or(0, |i| i + 1)..];
            } else {
                break;
            }
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => KeyCode::Char(if ctrl { c.to_ascii_lowercase() } else { c }),
            _ => match rest.to_ascii_lowercase().as_str() {
                "enter" | "return" | "cr" => KeyCode::Enter,
                "esc" | "escape" => KeyCode::Esc,
                "tab" => KeyCode::Tab,
                "backtab" | "s-tab" | "shift-tab" => KeyCode::BackTab,
                "space" => KeyCode::Char(' '),
                "up" => KeyCode::Up,
                "down" => KeyCode::Down,
                "left" => KeyCode::Left,
                "right" => KeyCode::Right,
                "home" => KeyCode::Home,
                "end" => KeyCode::End,
                "pageup" | "pgup" => KeyCode::PageUp,
                "pagedown" | "pgdn" => KeyCode::PageDown,
                "backspace" | "bs" => KeyCode::Backspace,
                "delete" | "del" => KeyCode::Delete,
                "insert" | "ins" => KeyCode::Insert,
                f if f.starts_with('f') && f[1..].parse::<u8>().is_ok_and(|n| (1..=12).contains(&n)) => {
                    KeyCode::F(f[1..].parse().unwrap_or(1))
                }
                _ => {
                    return Err(format!(
                        "{text:?} is not a key: use a character, ctrl-x, alt-x, enter, esc, tab, backtab, space, \
                         up, down, left, right, home, end, pageup, pagedown, backspace, delete, insert or f1-f12"
                    ));
                }
            },
        };
        Ok(Chord { code, ctrl, alt })
    }
}

impl fmt::Display for Chord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("ctrl-")?;
        }
        if self.alt {
            f.write_str("alt-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Enter => f.write_str("enter"),
            KeyCode::Esc => f.write_str("esc"),
            KeyCode::Tab => f.write_str("tab"),
            KeyCode::BackTab => f.write_str("shift-tab"),
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::Left => f.write_str("←"),
            KeyCode::Right => f.write_str("→"),
            KeyCode::Home => f.write_str("home"),
            KeyCode::End => f.write_str("end"),
            KeyCode::PageUp => f.write_str("pgup"),
            KeyCode::PageDown => f.write_str("pgdn"),
            KeyCode::Backspace => f.write_str("backspace"),
            KeyCode::Delete => f.write_str("del"),
            KeyCode::Insert => f.write_str("ins"),
            KeyCode::F(n) => write!(f, "f{n}"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// A bad line in the user's keymap file.
#[derive(Debug, thiserror::Error)]
#[error("{file}, line {line}: {problem}")]
pub struct KeymapError {
    pub file: String,
    pub line: usize,
    pub problem: String,
}

#[derive(Debug, Clone)]
pub struct KeyMap {
    bindings: Vec<(Chord, Act)>,
}

impl Default for KeyMap {
    fn default() -> Self {
        let mut bindings = Vec::new();
        for &act in Act::ALL {
            for key in act.default_keys() {
                match Chord::parse(key) {
                    Ok(chord) => bindings.push((chord, act)),
                    Err(e) => panic!("default keymap: {e}"),
                }
            }
        }
        KeyMap { bindings }
    }
}

impl KeyMap {
    /// The action a key does in a pane: the pane's own binding first, then
    /// the global one.
    /// A form's keys are its own: they do not fall back to the global ones.
    pub fn action(&self, key: &KeyEvent, scope: Scope) -> Option<Act> {
        let chord = Chord::of(key);
        let find = |s: Scope| self.bindings.iter().find(|(c, a)| *c == chord && a.scope() == s).map(|(_, a)| *a);
        if scope == Scope::Form {
            return find(scope);
        }
        find(scope).or_else(|| find(Scope::Global))
    }

    /// Whether `key` is bound to `act`.
    pub fn is(&self, key: &KeyEvent, act: Act) -> bool {
        let chord = Chord::of(key);
        self.bindings.iter().any(|(c, a)| *c == chord && *a == act)
    }

    /// The keys of an action joined for a hint, as "enter/ctrl-s".
    pub fn keys_label(&self, act: Act) -> String {
        let keys: Vec<String> = self.keys(act).iter().map(ToString::to_string).collect();
        if keys.is_empty() { "(unbound)".to_owned() } else { keys.join("/") }
    }

    /// The keys bound to an action, in the order they were given.
    pub fn keys(&self, act: Act) -> Vec<Chord> {
        self.bindings.iter().filter(|(_, a)| *a == act).map(|(c, _)| *c).collect()
    }

    /// The first key of an action, as the hint line shows it.
    pub fn key_label(&self, act: Act) -> String {
        self.keys(act).first().map_or_else(|| "(unbound)".to_owned(), ToString::to_string)
    }

    /// The default keymap with the user's file applied, if it exists.
    pub fn load(path: &Path) -> Result<KeyMap, KeymapError> {
        let mut map = KeyMap::default();
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(map),
            Err(e) => {
                return Err(KeymapError {
                    file: path.display().to_string(),
                    line: 0,
                    problem: format!("could not read it ({e}): fix its permissions or remove it"),
                });
            }
        };
        map.apply(&text).map_err(|(line, problem)| KeymapError { file: path.display().to_string(), line, problem })?;
        Ok(map)
    }

    /// Applies `action = key, key` lines over the current bindings.
    pub fn apply(&mut self, text: &str) -> Result<(), (usize, String)> {
        for (i, raw) in text.lines().enumerate() {
            let line = raw.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let n = i + 1;
            let Some((name, keys)) = line.split_once('=') else {
                return Err((n, format!("{line:?} should be `action = key, key`")));
            };
            let name = name.trim();
            let Some(act) = Act::ALL.iter().copied().find(|a| a.name() == name) else {
                let names: Vec<&str> = Act::ALL.iter().map(|a| a.name()).collect();
                return Err((n, format!("no action called {name:?}; the actions are {}", names.join(", "))));
            };
            let chords = keys
                .split(',')
                .filter(|k| !k.trim().is_empty())
                .map(Chord::parse)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| (n, e))?;
            if chords.is_empty() {
                return Err((n, format!("give at least one key for {name}")));
            }
            self.bindings.retain(|(_, a)| *a != act);
            for chord in chords {
                // The new binding wins; the action it displaces loses that key.
                self.bindings.retain(|(c, a)| !(*c == chord && a.scope().overlaps(act.scope())));
                self.bindings.push((chord, act));
            }
        }
        if let Some(act) = [Act::Quit, Act::Back, Act::Help, Act::Save, Act::Cancel, Act::Yes]
            .into_iter()
            .find(|a| self.keys(*a).is_empty())
        {
            return Err((0, format!("the file leaves {} without a key: every file must keep one", act.name())));
        }
        Ok(())
    }
}

/// Turns a key string into key presses, for tests and scripted demos:
/// characters stand for themselves, and `<enter>`, `<esc>`, `<ctrl-r>`,
/// `<down>` and the like name the others (`<lt>` is a literal `<`).
pub fn keys(text: &str) -> Result<Vec<KeyEvent>, String> {
    let mut out = Vec::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '<' {
            let name: String = chars.by_ref().take_while(|c| *c != '>').collect();
            if name == "lt" {
                out.push(Chord { code: KeyCode::Char('<'), ctrl: false, alt: false }.event());
            } else {
                out.push(Chord::parse(&name)?.event());
            }
        } else {
            out.push(Chord { code: KeyCode::Char(c), ctrl: false, alt: false }.event());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(text: &str) -> KeyEvent {
        Chord::parse(text).map(Chord::event).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn defaults_have_no_clashes_within_a_scope_or_with_global_keys() {
        let map = KeyMap::default();
        for (i, (c1, a1)) in map.bindings.iter().enumerate() {
            for (c2, a2) in &map.bindings[i + 1..] {
                let overlap = a1.scope().overlaps(a2.scope());
                assert!(!(c1 == c2 && overlap), "{c1} is bound to both {} and {}", a1.name(), a2.name());
            }
        }
    }

    #[test]
    fn pane_bindings_come_before_global_ones() {
        let map = KeyMap::default();
        assert_eq!(map.action(&key("n"), Scope::Queue), Some(Act::NewTicket));
        assert_eq!(map.action(&key("n"), Scope::Accounts), Some(Act::NewAccount));
        assert_eq!(map.action(&key("j"), Scope::Mailboxes), Some(Act::Down));
        assert_eq!(map.action(&key("G"), Scope::Queue), Some(Act::Bottom));
        assert_eq!(map.action(&key("ctrl-r"), Scope::Queue), Some(Act::Refresh));
        assert_eq!(map.action(&key("p"), Scope::Queue), None);
    }

    #[test]
    fn a_user_file_rebinds_and_the_old_key_is_freed() {
        let mut map = KeyMap::default();
        map.apply("# mine\nclaim = ctrl-k, F2\nnote = c\n").unwrap();
        assert_eq!(map.action(&key("ctrl-k"), Scope::Queue), Some(Act::Claim));
        assert_eq!(map.action(&key("f2"), Scope::Queue), Some(Act::Claim));
        assert_eq!(map.action(&key("c"), Scope::Queue), Some(Act::Note));
        assert_eq!(map.action(&key("i"), Scope::Queue), None);
        assert_eq!(map.key_label(Act::Claim), "ctrl-k");
    }

    #[test]
    fn bad_keymap_lines_say_which_line_and_what_to_do() {
        let cases = [
            ("clam = c", 1, "no action called \"clam\""),
            ("\nclaim c", 2, "should be `action = key, key`"),
            ("claim = hyper-x", 1, "is not a key"),
            ("quit = ", 1, "give at least one key"),
        ];
        for (text, line, wanted) in cases {
            let (n, problem) = KeyMap::default().apply(text).unwrap_err();
            assert_eq!(n, line, "{text:?}");
            assert!(problem.contains(wanted), "{text:?}: {problem}");
        }
    }

    #[test]
    fn forms_read_their_own_keys_and_never_the_global_ones() {
        let map = KeyMap::default();
        assert_eq!(map.action(&key("enter"), Scope::Form), Some(Act::Save));
        assert_eq!(map.action(&key("enter"), Scope::Queue), Some(Act::Open));
        assert_eq!(map.action(&key("q"), Scope::Form), None);
        assert_eq!(map.action(&key("Y"), Scope::Form), Some(Act::Yes));
        let mut map = KeyMap::default();
        map.apply("save = ctrl-o\nyes = j").unwrap();
        assert_eq!(map.action(&key("enter"), Scope::Form), None);
        assert_eq!(map.action(&key("ctrl-o"), Scope::Form), Some(Act::Save));
        // A form's key takes nothing from the panes.
        assert_eq!(map.action(&key("j"), Scope::Queue), Some(Act::Down));
    }

    #[test]
    fn key_strings_name_special_keys() {
        let got = keys("/jo<enter><ctrl-r><lt>G").unwrap();
        let want = [key("/"), key("j"), key("o"), key("enter"), key("ctrl-r"), key("<"), key("G")];
        assert_eq!(got, want);
        assert!(keys("<nope>").is_err());
    }
}
