//! Semantic styles. Colour is a help, never the only signal: selection is reversed, states carry
//! symbols, so the screen reads the same under NO_COLOR.

use ratatui::style::{Color, Modifier, Style};

#[derive(Clone, Copy, Debug)]
pub struct Theme {
    pub text: Style,
    pub dim: Style,
    pub title: Style,
    pub selected: Style,
    pub editing: Style,
    pub ok: Style,
    pub warn: Style,
    pub error: Style,
    pub key: Style,
    pub border: Style,
    pub active_tab: Style,
}

impl Theme {
    pub fn new(color: bool) -> Self {
        let c = |s: Style, col: Color| if color { s.fg(col) } else { s };
        Theme {
            text: Style::default(),
            dim: if color {
                Style::default().fg(Color::DarkGray)
            } else {
                Style::default().add_modifier(Modifier::DIM)
            },
            title: Style::default().add_modifier(Modifier::BOLD),
            selected: Style::default().add_modifier(Modifier::REVERSED),
            editing: c(
                Style::default().add_modifier(Modifier::UNDERLINED | Modifier::BOLD),
                Color::Yellow,
            ),
            ok: c(Style::default(), Color::Green),
            warn: c(Style::default().add_modifier(Modifier::BOLD), Color::Yellow),
            error: c(Style::default().add_modifier(Modifier::BOLD), Color::Red),
            key: c(Style::default().add_modifier(Modifier::BOLD), Color::Cyan),
            border: c(Style::default(), Color::Gray),
            active_tab: Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD),
        }
    }

    /// Colour unless NO_COLOR is set (to anything non-empty).
    pub fn from_env() -> Self {
        Theme::new(std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()))
    }
}
