//! The agent log (`L` on the Replication tab): follows new lines (tail mode, read again every
//! 2 s while on), pages with PgUp/PgDn/Home/End, searches with `/` (then `n`/`N`), and wraps
//! long lines on `w`. Only the visible window is built, so a long log costs no more than a
//! short one.

use super::action::Action;
use super::effect::{Effect, UiResult};
use super::nav::DialogOut;
use super::theme::Theme;
use super::widgets::{centered, spinner};
use crate::setup::LogLine;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};
use std::time::Duration;

/// How often a followed log is read again.
pub const FOLLOW_EVERY: Duration = Duration::from_secs(2);
/// Lines moved by PgUp / PgDn.
const PAGE: usize = 20;

#[derive(Debug)]
pub struct LogPane {
    pub agent: String,
    pub lines: Option<UiResult<Vec<LogLine>>>,
    /// The last line shown (the window ends here).
    pub scroll: usize,
    /// Tail mode: new lines are read every 2 s and the window stays at the end.
    pub follow: bool,
    pub wrap: bool,
    /// The search being typed after `/`.
    pub typing: Option<String>,
    /// The confirmed search, for `n` / `N` and highlighting.
    pub query: Option<String>,
    /// Said under the log: no match, wrapped around.
    pub note: Option<String>,
}

impl LogPane {
    pub fn new(agent: String) -> Self {
        LogPane {
            agent,
            lines: None,
            scroll: 0,
            follow: true,
            wrap: false,
            typing: None,
            query: None,
            note: None,
        }
    }

    fn all(&self) -> &[LogLine] {
        self.lines
            .as_ref()
            .and_then(|r| r.as_ref().ok())
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    fn len(&self) -> usize {
        self.all().len()
    }

    fn scroll_by(&mut self, delta: isize) {
        let n = self.len();
        self.scroll =
            (self.scroll as isize + delta).clamp(0, n.saturating_sub(1) as isize) as usize;
        self.follow = self.follow && self.scroll + 1 >= n;
    }

    /// The log arrived (again). Following, the window goes to the end; otherwise it stays.
    /// Returns the next read when following.
    pub fn set(&mut self, r: UiResult<Vec<LogLine>>) -> Vec<Effect> {
        let n = r.as_ref().map(Vec::len).unwrap_or(0);
        if self.follow || self.lines.is_none() {
            self.scroll = n.saturating_sub(1);
        } else {
            self.scroll = self.scroll.min(n.saturating_sub(1));
        }
        self.lines = Some(r);
        if self.follow {
            vec![Effect::FetchLogLater(self.agent.clone(), FOLLOW_EVERY)]
        } else {
            vec![]
        }
    }

    /// The next line (after `from`, wrapping) that holds the query; `back` searches upwards.
    fn find(&self, from: usize, back: bool) -> Option<(usize, bool)> {
        let q = self.query.as_deref()?.to_lowercase();
        let lines = self.all();
        let n = lines.len();
        let hit = |i: usize| lines[i].message.to_lowercase().contains(&q);
        (1..=n).find_map(|k| {
            let i = if back {
                (from + n - k % n) % n
            } else {
                (from + k) % n
            };
            let wrapped = if back { i > from } else { i < from };
            hit(i).then_some((i, wrapped))
        })
    }

    fn jump(&mut self, back: bool) {
        if self.len() == 0 {
            return;
        }
        match self.find(self.scroll, back) {
            Some((i, wrapped)) => {
                self.note = if i == self.scroll {
                    Some("this is the only line that matches".to_string())
                } else {
                    wrapped.then(|| "search wrapped around".to_string())
                };
                self.scroll = i;
                self.follow = false;
            }
            None => {
                self.note = Some(format!(
                    "no line holds “{}”",
                    self.query.clone().unwrap_or_default()
                ));
            }
        }
    }

    pub fn on_key<D>(
        &mut self,
        ev: KeyEvent,
        action: Option<Action>,
    ) -> (DialogOut<D>, Vec<Effect>) {
        if let Some(typed) = &mut self.typing {
            match ev.code {
                KeyCode::Enter => {
                    self.query = Some(std::mem::take(typed)).filter(|q| !q.is_empty());
                    self.typing = None;
                    self.jump(false);
                }
                KeyCode::Esc => self.typing = None,
                KeyCode::Backspace => {
                    typed.pop();
                }
                KeyCode::Char(c) if !ev.modifiers.contains(KeyModifiers::CONTROL) => typed.push(c),
                _ => {}
            }
            return (DialogOut::Keep, vec![]);
        }
        self.note = None;
        match action {
            Some(Action::Up) => self.scroll_by(-1),
            Some(Action::Down) => self.scroll_by(1),
            Some(Action::PageUp) => self.scroll_by(-(PAGE as isize)),
            Some(Action::PageDown) => self.scroll_by(PAGE as isize),
            Some(Action::Top) => {
                self.scroll = 0;
                self.follow = false;
            }
            Some(Action::Bottom) => self.scroll = self.len().saturating_sub(1),
            Some(Action::Search) => self.typing = Some(String::new()),
            Some(Action::NextMatch) => self.jump(false),
            Some(Action::PrevMatch) => self.jump(true),
            Some(Action::Wrap) => self.wrap = !self.wrap,
            Some(Action::Follow) => {
                self.follow = !self.follow;
                if self.follow {
                    self.scroll = self.len().saturating_sub(1);
                    return (DialogOut::Keep, vec![Effect::FetchLog(self.agent.clone())]);
                }
            }
            Some(Action::Back) => return (DialogOut::Close, vec![]),
            _ => {}
        }
        (DialogOut::Keep, vec![])
    }

    pub fn draw(&self, f: &mut Frame, area: Rect, tick: u64, theme: &Theme) {
        let r = centered(
            area,
            area.width.saturating_sub(6),
            area.height.saturating_sub(4),
        );
        f.render_widget(Clear, r);
        let inner_h = r.height.saturating_sub(3) as usize;
        let q = self.query.as_deref().map(str::to_lowercase);
        let mut lines: Vec<Line> = match &self.lines {
            None => vec![Line::styled(
                format!("{} reading the log…", spinner(tick)),
                theme.dim,
            )],
            Some(Err(e)) => vec![Line::styled(e.message.clone(), theme.error)],
            Some(Ok(v)) if v.is_empty() => vec![Line::styled("the log is empty", theme.dim)],
            Some(Ok(v)) => {
                // Only the visible window, ending at the scroll position.
                let end = (self.scroll + 1).min(v.len());
                let start = end.saturating_sub(inner_h);
                v[start..end]
                    .iter()
                    .enumerate()
                    .map(|(k, l)| {
                        let matched = q
                            .as_deref()
                            .is_some_and(|q| l.message.to_lowercase().contains(q));
                        let mut style = if l.message.contains("failed")
                            || l.message.contains("Exception")
                            || l.message.contains("Error")
                        {
                            theme.error
                        } else {
                            theme.text
                        };
                        if matched {
                            style = style.patch(theme.editing);
                        }
                        if start + k == self.scroll && !self.follow {
                            style = style.patch(theme.selected);
                        }
                        Line::from(vec![
                            Span::styled(
                                format!("{} ", l.time.clone().unwrap_or_default()),
                                theme.dim,
                            ),
                            Span::styled(l.message.clone(), style),
                        ])
                    })
                    .collect()
            }
        };
        let status = match (&self.typing, &self.note) {
            (Some(t), _) => Line::from(vec![
                Span::styled("/", theme.key),
                Span::styled(t.clone(), theme.editing),
            ]),
            (None, Some(n)) => Line::styled(n.clone(), theme.warn),
            (None, None) => Line::styled(
                format!(
                    "{}{}  / search  n/N next/previous  w wrap  f follow  PgUp/PgDn Home/End",
                    if self.follow {
                        "following (new lines every 2 s)"
                    } else {
                        "paused at this line"
                    },
                    if self.wrap { " · wrapping" } else { "" }
                ),
                theme.dim,
            ),
        };
        // Wrapped lines can take more rows than the window: keep the end (the scroll line).
        if self.wrap {
            let width = r.width.saturating_sub(2).max(1) as usize;
            let mut rows = 0;
            let mut keep = 0;
            for l in lines.iter().rev() {
                let h = l.width().div_ceil(width).max(1);
                if rows + h > inner_h {
                    break;
                }
                rows += h;
                keep += 1;
            }
            lines.drain(..lines.len() - keep);
        }
        lines.push(status);
        let total = self.len();
        let mut p = Paragraph::new(lines).block(
            Block::bordered()
                .title(format!(
                    " Log of {} — line {}/{} — esc closes ",
                    self.agent,
                    (self.scroll + 1).min(total),
                    total
                ))
                .border_style(theme.border),
        );
        if self.wrap {
            p = p.wrap(Wrap { trim: false });
        }
        f.render_widget(p, r);
    }
}
