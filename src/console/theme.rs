//! Colours and emphasis. With `NO_COLOR` set, nothing is coloured and
//! emphasis uses bold, underline and reverse video instead.

use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    /// Colour unless `NO_COLOR` is set to anything non-empty.
    pub fn from_env() -> Theme {
        Theme::for_no_color(std::env::var_os("NO_COLOR").as_deref())
    }

    /// The theme for a value of `NO_COLOR` (no-color.org: present and not
    /// empty means no colour).
    pub fn for_no_color(value: Option<&std::ffi::OsStr>) -> Theme {
        Theme { color: value.is_none_or(|v| v.is_empty()) }
    }

    pub fn plain() -> Theme {
        Theme { color: false }
    }

    fn pick(self, colored: Style, plain: Style) -> Style {
        if self.color { colored } else { plain }
    }

    pub fn bar(self) -> Style {
        self.pick(Style::new().fg(Color::Black).bg(Color::Cyan), Style::new().add_modifier(Modifier::REVERSED))
    }
    pub fn title(self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }
    pub fn focused_border(self) -> Style {
        self.pick(Style::new().fg(Color::Cyan), Style::new().add_modifier(Modifier::BOLD))
    }
    pub fn border(self) -> Style {
        self.pick(Style::new().fg(Color::DarkGray), Style::new())
    }
    pub fn selected(self) -> Style {
        self.pick(Style::new().bg(Color::Blue).fg(Color::White), Style::new().add_modifier(Modifier::REVERSED))
    }
    pub fn dim(self) -> Style {
        self.pick(Style::new().fg(Color::DarkGray), Style::new().add_modifier(Modifier::DIM))
    }
    pub fn key(self) -> Style {
        self.pick(
            Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
            Style::new().add_modifier(Modifier::BOLD),
        )
    }
    /// Due soon.
    pub fn amber(self) -> Style {
        self.pick(Style::new().fg(Color::Yellow), Style::new().add_modifier(Modifier::UNDERLINED))
    }
    /// Overdue, refused, failed.
    pub fn red(self) -> Style {
        self.pick(
            Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
            Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
        )
    }
    pub fn good(self) -> Style {
        self.pick(Style::new().fg(Color::Green), Style::new())
    }
    pub fn error(self) -> Style {
        self.red()
    }
    pub fn disabled(self) -> Style {
        self.pick(
            Style::new().fg(Color::DarkGray).add_modifier(Modifier::CROSSED_OUT),
            Style::new().add_modifier(Modifier::DIM),
        )
    }
}
