//! Replication: the tenant's agents with their live queues (the monitor), alerts, totals and
//! balance, the selected agent's queue items, and Test Connection.

use super::step_lines;
use crate::aem::queue::QueueState;
use crate::monitor::model::AgentHistory;
use crate::tui::app::{App, Tab, TestState};
use crate::tui::theme::Theme;
use crate::tui::ui::para;
use crate::tui::widgets::spinner;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row, Table, TableState};

const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// A sparkline of the last `width` samples, scaled to their maximum.
pub fn sparkline(samples: &[u64], width: usize) -> String {
    let tail = &samples[samples.len().saturating_sub(width)..];
    let max = tail.iter().copied().max().unwrap_or(0);
    tail.iter()
        .map(|&v| match (v * 7).checked_div(max) {
            Some(level) => BARS[level as usize],
            None => BARS[0],
        })
        .collect()
}

fn age(h: Option<&AgentHistory>, now: i64) -> String {
    match h.and_then(|h| h.last_ok) {
        Some(t) => format!("{}s", (now.saturating_sub(t) / 1000).max(0)),
        None => "–".into(),
    }
}

pub fn draw(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let Some(s) = app.snapshot.as_ref() else {
        return;
    };
    let now = app.now_ms();
    let mut lines = step_lines(app, Tab::Replication, theme);
    let enabled = s.enabled_agents();
    if !s.agents.is_empty() && enabled < s.agents.len() {
        lines.push(Line::styled(
            format!("! {enabled} of {} agents enabled: work is spread over all of them, so some assets will fail", s.agents.len()),
            theme.warn,
        ));
    }
    let m = &app.monitor;
    if !m.agents.is_empty() {
        let mut spans = vec![Span::raw(format!("total pending {}", m.total_pending()))];
        match m.laggard() {
            Some(a) => spans.push(Span::styled(
                format!("  · balance: {a} is far behind the others"),
                theme.warn,
            )),
            None => spans.push(Span::styled("  · balance ok", theme.dim)),
        }
        spans.push(Span::styled(
            format!("  · polling every {} s", app.poll_secs),
            theme.dim,
        ));
        if app.frozen {
            spans.push(Span::styled("  · FROZEN (F)", theme.warn));
        }
        if app.read_only {
            spans.push(Span::styled("  · read-only", theme.dim));
        }
        lines.push(Line::from(spans));
    }
    let alerts = m.alerts(now);
    for a in alerts.iter().take(3) {
        lines.push(Line::from(vec![
            Span::styled("⚠ ", theme.error),
            Span::styled(a.message.clone(), theme.error),
        ]));
    }
    if alerts.len() > 3 {
        lines.push(Line::styled(
            format!("  … and {} more alerts", alerts.len() - 3),
            theme.error,
        ));
    }
    let top = lines.len() as u16 + 1;
    let [info, table_area, detail] = Layout::vertical([
        Constraint::Length(top),
        Constraint::Length(s.agents.len() as u16 + 2),
        Constraint::Min(0),
    ])
    .areas(area);
    f.render_widget(para(lines), info);
    if s.agents.is_empty() {
        f.render_widget(
            para(vec![Line::styled(
                "No agents yet: create the cloud configuration on the Cloud Service tab.",
                theme.dim,
            )]),
            table_area,
        );
        return;
    }
    let rows: Vec<Row> = s
        .agents
        .iter()
        .map(|a| {
            let h = m.agents.get(&a.info.id);
            let (state, style) = match app.queue_state(&a.info.id) {
                Some(QueueState::Idle) => ("idle", theme.ok),
                Some(QueueState::Active) => ("active", theme.text),
                Some(QueueState::Blocked) => ("BLOCKED", theme.error),
                Some(QueueState::Paused) => ("paused", theme.warn),
                Some(QueueState::Disabled) => ("disabled", theme.error),
                None => ("unknown", theme.dim),
            };
            let stale = h.is_some_and(|h| h.stale_since.is_some());
            let at_least = h
                .and_then(|h| h.latest.as_ref())
                .map(|v| v.depth.at_least)
                .or(a.depth.map(|d| d.at_least))
                .unwrap_or(false);
            let pending = app
                .pending(&a.info.id)
                .map(|n| format!("{}{}", if at_least { "≥" } else { "" }, n))
                .unwrap_or_else(|| "?".into());
            let trend = h.and_then(|h| h.trend).map(|t| t.marker()).unwrap_or(" ");
            let head = h
                .and_then(|h| h.latest.as_ref())
                .and_then(|v| v.head().map(|i| i.attempts));
            let tries = match (head, h.and_then(|h| h.attempts_trend)) {
                (Some(n), Some(t)) => format!("{n}{}", t.marker()),
                (Some(n), None) => n.to_string(),
                (None, _) => "–".into(),
            };
            let test = match app.tests.get(&a.info.id) {
                None => Span::styled("–", theme.dim),
                Some(TestState::Running) => {
                    Span::styled(format!("{} testing", spinner(app.tick)), theme.key)
                }
                Some(TestState::Done(t)) if t.success => Span::styled("✓ ok", theme.ok),
                Some(TestState::Done(_)) => Span::styled("✗ failed", theme.error),
                Some(TestState::Failed(_)) => Span::styled("✗ error", theme.error),
            };
            Row::new(vec![
                Cell::from(a.info.id.clone()),
                Cell::from(Span::styled(
                    if a.info.enabled { "✓ yes" } else { "✗ NO" },
                    if a.info.enabled {
                        theme.ok
                    } else {
                        theme.error
                    },
                )),
                Cell::from(Span::styled(state, style)),
                Cell::from(format!("{pending}{trend}")),
                Cell::from(tries),
                Cell::from(
                    h.map(|h| format!("{:.0}", h.throughput_per_min(now)))
                        .unwrap_or_else(|| "–".into()),
                ),
                Cell::from(h.map(|h| sparkline(&h.sparkline(), 16)).unwrap_or_default()),
                Cell::from(Span::styled(
                    if stale {
                        format!("stale {}", age(h, now))
                    } else {
                        age(h, now)
                    },
                    if stale { theme.error } else { theme.dim },
                )),
                Cell::from(test),
            ])
        })
        .collect();
    let table = Table::new(
        rows,
        [
            Constraint::Length(22),
            Constraint::Length(6),
            Constraint::Length(9),
            Constraint::Length(8),
            Constraint::Length(6),
            Constraint::Length(5),
            Constraint::Length(17),
            Constraint::Length(10),
            Constraint::Min(9),
        ],
    )
    .header(
        Row::new(vec![
            "Agent", "On", "Queue", "Pending", "Tries", "/min", "History", "Age", "Test",
        ])
        .style(theme.title),
    )
    .row_highlight_style(theme.selected)
    .highlight_symbol("› ");
    app.agent_rows_y.set(Some(table_area.y + 1));
    let mut state = TableState::default().with_selected(Some(app.agent_sel));
    f.render_stateful_widget(table, table_area, &mut state);
    draw_detail(f, detail, app, theme);
}

/// The selected agent: test result, error, and its queue items (only the visible window is
/// built, so a long queue costs no more than a short one).
fn draw_detail(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let Some(a) = app
        .snapshot
        .as_ref()
        .and_then(|s| s.agents.get(app.agent_sel))
    else {
        return;
    };
    let mut out = vec![Line::styled(
        format!("{} — {}", a.info.title, a.info.transport_uri),
        theme.dim,
    )];
    if let Some(h) = app.monitor.agents.get(&a.info.id) {
        if let Some(v) = &h.latest {
            let now = app.now_ms();
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
            if let Some(head) = v.head() {
                parts.push(format!(
                    "head {} {} ({} attempts, {} s old)",
                    head.action,
                    head.path,
                    head.attempts,
                    (now.saturating_sub(head.time) / 1000).max(0)
                ));
            }
            out.push(Line::raw(parts.join(" · ")));
        }
        if let Some(e) = &h.error {
            let since = h
                .stale_since
                .map(|t| format!(" (stale for {} s)", ((app.now_ms() - t) / 1000).max(0)))
                .unwrap_or_default();
            out.push(Line::styled(
                format!("poll failed{since}: {e}"),
                theme.error,
            ));
        }
    }
    match app.tests.get(&a.info.id) {
        Some(TestState::Done(t)) if !t.success => {
            out.push(Line::styled(format!("✗ {}", t.summary), theme.error));
            for l in t.explanation.iter().take(4) {
                out.push(Line::styled(format!("  {l}"), theme.dim));
            }
        }
        Some(TestState::Done(t)) => out.push(Line::styled(format!("✓ {}", t.summary), theme.ok)),
        Some(TestState::Failed(e)) => out.push(Line::styled(e.clone(), theme.error)),
        _ => {}
    }
    let items = app
        .monitor
        .agents
        .get(&a.info.id)
        .and_then(|h| h.latest.as_ref())
        .map(|v| v.items.clone());
    let header_h = out.len() as u16;
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
    let now = app.now_ms();
    let rows: Vec<Row> = items
        .iter()
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
        format!("Queue ({} shown of {})", visible, items.len())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparkline_scales() {
        assert_eq!(sparkline(&[0, 7, 14], 10), "▁▄█");
        assert_eq!(sparkline(&[0, 0], 10), "▁▁");
        assert_eq!(sparkline(&[1, 2, 3, 4], 2).chars().count(), 2);
        assert_eq!(sparkline(&[], 5), "");
    }
}
