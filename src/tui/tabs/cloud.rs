//! Cloud Service: the Brand Portal configurations (6.5 and legacy) and the create form.

use super::step_lines;
use crate::tui::app::{App, Tab};
use crate::tui::theme::Theme;
use crate::tui::ui::{draw_form, error_lines, para};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};

pub fn draw(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let Some(s) = app.snapshot.as_ref() else {
        return;
    };
    let mut lines = step_lines(app, Tab::Cloud, theme);
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "Brand Portal cloud configurations",
        theme.title,
    ));
    if s.cloud_configs.is_empty() {
        lines.push(Line::styled("  none", theme.dim));
    }
    for c in &s.cloud_configs {
        lines.push(Line::from(vec![
            Span::raw(format!("  {} → {}  ", c.title, c.tenant_url)),
            if c.legacy {
                Span::styled("legacy: press u to upgrade", theme.warn)
            } else {
                Span::raw("")
            },
        ]));
        lines.push(Line::styled(format!("    {}", c.path), theme.dim));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        format!(
            "Agents replicating to {}: {}",
            s.tenant_url
                .clone()
                .unwrap_or_else(|| "(no tenant yet)".into()),
            s.agents.len()
        ),
        if s.agents.len() == 4 {
            theme.ok
        } else {
            theme.dim
        },
    ));
    for a in &s.agents {
        lines.push(Line::raw(format!(
            "  {:<26} {}",
            a.info.id,
            if a.info.enabled {
                "enabled"
            } else {
                "DISABLED"
            }
        )));
    }
    let top = lines.len() as u16 + 1;
    let items = app.items(Tab::Cloud);
    let [info, title, form, result] = Layout::vertical([
        Constraint::Length(top),
        Constraint::Length(1),
        Constraint::Length(items.len() as u16),
        Constraint::Min(0),
    ])
    .areas(area);
    f.render_widget(para(lines), info);
    f.render_widget(
        para(vec![Line::styled(
            "Create (Service URL = https://<tenant>.brand-portal.adobe.com, never an alias)",
            theme.title,
        )]),
        title,
    );
    draw_form(f, form, app, &items, theme);
    f.render_widget(para(error_lines(app, theme)), result);
}
