//! The change history pane (`H`): what brandlink changed on this author, newest first, from
//! the same records as `brandlink history`.

use super::theme::Theme;
use super::widgets::centered;
use crate::setup::history::{Record, State};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

/// The pane's content: `None` while the file is read.
#[derive(Debug, Default)]
pub struct HistoryPane {
    pub read: Option<Result<HistoryRead, String>>,
    pub scroll: u16,
}

/// The records of this author, and how many lines of the file could not be read.
#[derive(Debug)]
pub struct HistoryRead {
    pub records: Vec<Record>,
    pub unreadable: usize,
    pub path: String,
}

impl HistoryPane {
    pub fn draw(&self, f: &mut Frame, area: Rect, theme: &Theme) {
        let mut lines = Vec::new();
        let title = match &self.read {
            None => {
                lines.push(Line::styled("reading the change history…", theme.dim));
                " Change history ".to_string()
            }
            Some(Err(e)) => {
                lines.push(Line::styled(e.clone(), theme.error));
                " Change history ".to_string()
            }
            Some(Ok(h)) => {
                if h.records.is_empty() {
                    lines.push(Line::styled(
                        format!("no changes recorded for this author in {}", h.path),
                        theme.dim,
                    ));
                }
                if h.unreadable > 0 {
                    lines.push(Line::styled(
                        format!(
                            "{} of {} cannot be read and are left out",
                            crate::words::count(h.unreadable as u64, "line", "lines"),
                            h.path
                        ),
                        theme.error,
                    ));
                }
                for r in &h.records {
                    let style = match r.state {
                        State::Done => theme.ok,
                        State::Failed | State::Interrupted | State::Started => theme.error,
                    };
                    for (i, l) in r.lines(false).into_iter().enumerate() {
                        lines.push(if i == 0 {
                            Line::styled(l, style)
                        } else {
                            Line::raw(l)
                        });
                    }
                }
                format!(
                    " Change history — {} ",
                    crate::words::count(h.records.len() as u64, "change", "changes")
                )
            }
        };
        let r = centered(
            area,
            area.width.saturating_sub(6),
            area.height.saturating_sub(4),
        );
        f.render_widget(Clear, r);
        let p = Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(
                Block::bordered()
                    .title(format!("{title}— ↑/↓ scroll, esc closes "))
                    .border_style(theme.border),
            )
            .scroll((self.scroll, 0));
        f.render_widget(p, r);
    }
}
