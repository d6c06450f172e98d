//! Placeholder while the pane is built.

use ratatui::Frame;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::widgets::Block;

use super::keymap::Act;
use super::pane::{Cx, Hint, Jump, Pane, PaneId, View};

#[derive(Default)]
pub struct AccountPane {}

impl Pane for AccountPane {
    fn refresh(&mut self, _cx: &mut Cx<'_>) {}
    fn typing(&self) -> bool {
        false
    }
    fn key(&mut self, _key: KeyEvent, _act: Option<Act>, _cx: &mut Cx<'_>) -> bool {
        false
    }
    fn hints(&self, _cx: &Cx<'_>) -> Vec<Hint> {
        Vec::new()
    }
    fn draw(&mut self, frame: &mut Frame<'_>, area: Rect, _view: &View<'_>) {
        frame.render_widget(Block::bordered().title(PaneId::Accounts.label()), area);
    }
    fn unsaved(&self) -> bool {
        false
    }
    fn jump(&mut self, _jump: &Jump, _cx: &mut Cx<'_>) -> bool {
        false
    }
    fn title(&self) -> String {
        String::new()
    }
}
