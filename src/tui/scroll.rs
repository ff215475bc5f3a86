//! Text that may not fit where it is drawn: it scrolls, and the row it gives up says how many
//! more lines there are and which key shows them (`↓ 6 more lines (PgDn)`).

use super::theme::Theme;
use super::widgets::para;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;
use std::cell::Cell;

/// How far a text that does not fit is scrolled. The last frame's limits (kept in cells, as
/// drawing only reads) keep the keys in range.
#[derive(Debug, Default)]
pub struct Scroll {
    offset: u16,
    max: Cell<u16>,
    page: Cell<u16>,
}

impl Scroll {
    /// A page on (`pages` > 0) or back, never past either end.
    pub fn by(&mut self, pages: i32) {
        let step = i32::from(self.page.get().max(1)) * pages;
        let to = (i32::from(self.offset) + step).clamp(0, i32::from(self.max.get()));
        self.offset = u16::try_from(to).unwrap_or(0);
    }
    pub fn reset(&mut self) {
        self.offset = 0;
    }
    pub fn offset(&self) -> u16 {
        self.offset
    }
}

/// Draws `lines` wrapped into `area` from the scroll offset. When rows are hidden, the first
/// or last row says how many instead, and which key shows them (`keys`: up, down).
pub fn draw_scrolled(
    f: &mut Frame,
    area: Rect,
    lines: Vec<Line<'_>>,
    scroll: &Scroll,
    keys: (&str, &str),
    theme: &Theme,
) {
    let p = para(lines);
    let total = u16::try_from(p.line_count(area.width.max(1))).unwrap_or(u16::MAX);
    if total <= area.height || area.height < 2 {
        scroll.max.set(0);
        f.render_widget(p, area);
        return;
    }
    // At the end, what is left fits under the "↑" row.
    let max = total - (area.height - 1);
    let offset = scroll.offset.min(max);
    let above = u16::from(offset > 0);
    let room = area.height - above;
    let left = total - offset;
    let (rows, hidden) = if left > room {
        (room - 1, left - (room - 1))
    } else {
        (left, 0)
    };
    scroll.max.set(max);
    scroll.page.set(rows.max(1));
    let row = |y: u16, height: u16| Rect { y, height, ..area };
    let more = |n: u16, arrow: &str, key: &str| {
        let n = crate::words::count(u64::from(n), "more line", "more lines");
        Paragraph::new(Line::styled(format!("{arrow} {n} ({key})"), theme.key))
    };
    if offset > 0 {
        f.render_widget(more(offset, "↑", keys.0), row(area.y, 1));
    }
    f.render_widget(p.scroll((offset, 0)), row(area.y + above, rows));
    if hidden > 0 {
        f.render_widget(more(hidden, "↓", keys.1), row(area.y + above + rows, 1));
    }
}

/// A form tab's context: the `info` part of [`form_areas`], whose last row keeps it apart from
/// the form, scrolled with PgUp / PgDn when it does not fit.
pub fn draw_context(
    f: &mut Frame,
    info: Rect,
    lines: Vec<Line<'_>>,
    scroll: &Scroll,
    theme: &Theme,
) {
    let area = Rect {
        height: info.height.saturating_sub(1),
        ..info
    };
    draw_scrolled(f, area, lines, scroll, ("PgUp", "PgDn"), theme);
}
