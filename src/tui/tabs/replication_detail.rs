//! The Replication tab's lower part: the selected agent's test result, error and queue items.

use super::replication::{ReplicationTab, TestState};
use super::replication_rows::LastTest;
use crate::tui::state::Shared;
use crate::tui::theme::Theme;
use crate::tui::widgets::{para, span, wrapped_height};
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Cell, Row, Table};

impl ReplicationTab {
    /// The selected agent: test result, error, and its queue items (only the visible window is
    /// built, so a long queue costs no more than a short one).
    pub(super) fn draw_detail(&self, f: &mut Frame, area: Rect, cx: &Shared, theme: &Theme) {
        let Some(a) = cx
            .snapshot
            .as_ref()
            .and_then(|s| s.agents.get(self.agent_sel))
        else {
            return;
        };
        let mut out = vec![Line::styled(
            format!("{} — {}", a.info.title, a.info.transport_uri),
            theme.dim,
        )];
        if let Some(h) = self.monitor.agents.get(&a.info.id) {
            if let Some(v) = &h.latest {
                let now = self.frozen.unwrap_or_else(|| cx.now_ms());
                out.push(Line::raw(figures(h, v, now).join(" · ")));
            }
            if let Some(e) = &h.error {
                let since = h
                    .stale_since
                    .map(|t| format!(" (stale for {} s)", ((cx.now_ms() - t) / 1000).max(0)))
                    .unwrap_or_default();
                out.push(Line::styled(
                    format!("poll failed{since}: {e}"),
                    theme.error,
                ));
            }
        }
        match self.last_test(a) {
            LastTest::Session(TestState::Done(t, _)) if !t.success => {
                out.push(Line::styled(format!("✗ {}", t.summary), theme.error));
                for l in t.explanation.iter().take(4) {
                    out.push(Line::styled(format!("  {l}"), theme.dim));
                }
            }
            LastTest::Session(TestState::Done(t, _)) => {
                out.push(Line::styled(format!("✓ {}", t.summary), theme.ok))
            }
            LastTest::Session(TestState::Failed(e, _)) => {
                out.push(Line::styled(e.message.clone(), theme.error))
            }
            // The same time the step line names.
            LastTest::Log(o) => out.push(Line::styled(
                format!(
                    "{} last Test Connection {} ({}, the agent's log)",
                    if o.ok { "✓" } else { "✗" },
                    if o.ok { "succeeded" } else { "failed" },
                    o.time.as_deref().unwrap_or("time not in the log")
                ),
                if o.ok { theme.ok } else { theme.error },
            )),
            _ => {}
        }
        let items = self
            .monitor
            .agents
            .get(&a.info.id)
            .and_then(|h| h.latest.as_ref())
            .map(|v| v.items.clone());
        // Rows, not lines: the agent's title and URL wrap on a narrow terminal.
        let header_h = wrapped_height(&out, area.width);
        f.render_widget(
            para(out),
            Rect {
                height: header_h.min(area.height),
                ..area
            },
        );
        let Some(items) = items.filter(|i| !i.is_empty()) else {
            return;
        };
        let list_area = Rect {
            y: area.y + header_h,
            height: area.height.saturating_sub(header_h),
            ..area
        };
        if list_area.height < 2 {
            return;
        }
        let visible = (list_area.height - 1) as usize;
        let now = self.frozen.unwrap_or_else(|| cx.now_ms());
        let first = self.item_scroll.min(items.len().saturating_sub(visible));
        let rows: Vec<Row> = items
            .iter()
            .skip(first)
            .take(visible)
            .map(|i| {
                Row::new(vec![
                    Cell::from(i.action.clone()),
                    Cell::from(i.path.clone()),
                    Cell::from(i.attempts.to_string()),
                    Cell::from(format!("{}s", (now.saturating_sub(i.time) / 1000).max(0))),
                ])
            })
            .collect();
        let title = if items.len() > visible {
            format!(
                "Queue (items {}–{} of {} listed; PgUp/PgDn)",
                first + 1,
                (first + visible).min(items.len()),
                items.len()
            )
        } else {
            format!("Queue ({})", items.len())
        };
        let table = Table::new(
            rows,
            [
                Constraint::Length(10),
                Constraint::Min(30),
                Constraint::Length(6),
                Constraint::Length(8),
            ],
        )
        .header(Row::new(vec!["Action", title.as_str(), "Tries", "Age"]).style(theme.title));
        f.render_widget(table, list_area);
    }
}

/// The selected queue's figures in words: last delivery, next retry, oldest item, drain time,
/// head item.
fn figures(
    h: &crate::monitor::model::AgentHistory,
    v: &crate::monitor::QueueView,
    now: i64,
) -> Vec<String> {
    let mut parts = Vec::new();
    match v.last_process_time {
        Some(t) => parts.push(format!(
            "last delivery {} s ago",
            (now.saturating_sub(t) / 1000).max(0)
        )),
        None => parts.push("no delivery seen yet".to_string()),
    }
    if let Some(r) = v.next_retry {
        parts.push(format!(
            "next retry in {} s",
            (r.saturating_sub(now) / 1000).max(0)
        ));
    }
    if let Some(oldest) = v.items.iter().map(|i| i.time).filter(|t| *t > 0).min() {
        parts.push(format!(
            "oldest item waiting {}",
            span(now.saturating_sub(oldest))
        ));
    }
    if v.depth.count > 0 {
        let rate = h.throughput_per_min(now);
        parts.push(if rate >= 1.0 {
            let secs = (v.depth.count as f64 / rate * 60.0).round() as i64;
            format!("drains in ~{} at {rate:.0}/min", span(secs * 1000))
        } else {
            "not draining".to_string()
        });
    }
    if let Some(head) = v.head() {
        parts.push(format!(
            "head {} {} ({}, {} s old)",
            head.action,
            head.path,
            crate::words::count(head.attempts, "attempt", "attempts"),
            (now.saturating_sub(head.time) / 1000).max(0)
        ));
    }
    parts
}
