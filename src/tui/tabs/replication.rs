//! Replication: the tenant's four agents, their queues, and Test Connection.

use super::step_lines;
use crate::aem::queue::QueueState;
use crate::tui::app::{App, Tab, TestState};
use crate::tui::theme::Theme;
use crate::tui::ui::para;
use crate::tui::widgets::spinner;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row, Table, TableState};

pub fn draw(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let Some(s) = app.snapshot.as_ref() else {
        return;
    };
    let mut lines = step_lines(app, Tab::Replication, theme);
    let enabled = s.enabled_agents();
    if !s.agents.is_empty() && enabled < 4 {
        lines.push(Line::styled(
            format!("! {enabled} of {} agents enabled: work is spread over all of them, so some assets will fail", s.agents.len()),
            theme.warn,
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
            let (state, style) = match a.queue.as_ref().map(|q| q.state()) {
                Some(QueueState::Idle) => ("idle", theme.ok),
                Some(QueueState::Active) => ("active", theme.text),
                Some(QueueState::Blocked) => ("BLOCKED", theme.error),
                Some(QueueState::Paused) => ("paused", theme.warn),
                Some(QueueState::Disabled) => ("disabled", theme.error),
                None => ("unknown", theme.dim),
            };
            let pending = a
                .depth
                .map(|d| format!("{}{}", if d.at_least { "≥" } else { "" }, d.count))
                .unwrap_or_else(|| "?".into());
            let test = match app.tests.get(&a.info.id) {
                None => Span::styled("not run", theme.dim),
                Some(TestState::Running) => {
                    Span::styled(format!("{} testing", spinner(app.tick)), theme.key)
                }
                Some(TestState::Done(t)) if t.success => Span::styled("✓ succeeded", theme.ok),
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
                Cell::from(pending),
                Cell::from(test),
            ])
        })
        .collect();
    let table = Table::new(
        rows,
        [
            Constraint::Length(26),
            Constraint::Length(9),
            Constraint::Length(10),
            Constraint::Length(9),
            Constraint::Min(14),
        ],
    )
    .header(
        Row::new(vec![
            "Agent",
            "Enabled",
            "Queue",
            "Pending",
            "Test Connection",
        ])
        .style(theme.title),
    )
    .row_highlight_style(theme.selected)
    .highlight_symbol("› ");
    app.agent_rows_y.set(Some(table_area.y + 1));
    let mut state = TableState::default().with_selected(Some(app.agent_sel));
    f.render_stateful_widget(table, table_area, &mut state);
    let mut out = Vec::new();
    if let Some(a) = s.agents.get(app.agent_sel) {
        out.push(Line::styled(
            format!("{} — {}", a.info.title, a.info.transport_uri),
            theme.dim,
        ));
        if let Some(q) = &a.queue
            && let Some(h) = q.items.first()
        {
            out.push(Line::raw(format!(
                "head: {} {} ({} attempts)",
                h.action, h.path, h.attempts
            )));
        }
        if let Some(e) = &a.error {
            out.push(Line::styled(e.clone(), theme.error));
        }
        match app.tests.get(&a.info.id) {
            Some(TestState::Done(t)) if !t.success => {
                out.push(Line::styled(format!("✗ {}", t.summary), theme.error));
                for l in t.explanation.iter().take(6) {
                    out.push(Line::styled(format!("  {l}"), theme.dim));
                }
            }
            Some(TestState::Done(t)) => {
                out.push(Line::styled(format!("✓ {}", t.summary), theme.ok))
            }
            Some(TestState::Failed(e)) => out.push(Line::styled(e.clone(), theme.error)),
            _ => {}
        }
    }
    f.render_widget(para(out), detail);
}
