//! The root's part for the mouse (with `--mouse`): a click on a tab or a list row, the wheel to
//! move. Pure state, as the rest of the root.

use super::action::Action;
use super::app::App;
use super::effect::Effect;
use crossterm::event::MouseEvent;
use ratatui::layout::Rect;

impl App {
    /// Mouse (when enabled): click a tab or a list row, scroll to move.
    pub fn on_mouse(&mut self, ev: MouseEvent) -> Vec<Effect> {
        use crossterm::event::{MouseButton, MouseEventKind};
        match ev.kind {
            MouseEventKind::ScrollDown => self.on_action(Action::Down),
            MouseEventKind::ScrollUp => self.on_action(Action::Up),
            MouseEventKind::Down(MouseButton::Left) if self.modal.is_none() => {
                let hit = |r: &Rect| {
                    (r.x..r.x + r.width).contains(&ev.column)
                        && (r.y..r.y + r.height).contains(&ev.row)
                };
                if let Some((_, t)) = self.clicks.tabs.iter().find(|(r, _)| hit(r)) {
                    let t = *t;
                    self.goto(t);
                } else if let Some((top, n)) = self.clicks.body.rows
                    && ev.row >= top
                    && usize::from(ev.row - top) < n
                {
                    let tab = self.tab;
                    self.tabs
                        .get_mut(tab)
                        .on_click_row(usize::from(ev.row - top));
                }
                vec![]
            }
            _ => vec![],
        }
    }
}
