//! Account: the IMS technical account configuration (JWT or OAuth Server-to-Server), Check Health.

use super::step_lines;
use crate::setup::snapshot::AuthType;
use crate::tui::app::{App, Tab};
use crate::tui::theme::Theme;
use crate::tui::ui::{draw_form, error_lines, kv, para};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;

pub fn draw(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let Some(s) = app.snapshot.as_ref() else {
        return;
    };
    let mut lines = step_lines(app, Tab::Account, theme);
    lines.push(Line::raw(""));
    if let Some(c) = s.ims_configs.first() {
        lines.push(Line::styled(
            "IMS configuration (Adobe allows exactly one)",
            theme.title,
        ));
        lines.push(kv("  title", c.title.clone(), theme));
        lines.push(kv("  authentication", c.auth_type.to_string(), theme));
        lines.push(kv("  API key", c.client_id.clone(), theme));
        lines.push(kv("  PID", c.pid.clone(), theme));
        if let Some(a) = &c.keypair_alias {
            lines.push(kv("  key alias", a.clone(), theme));
        }
        lines.push(kv(
            "  client secret",
            if c.has_secret {
                "stored in AEM".into()
            } else {
                "MISSING".into()
            },
            theme,
        ));
        if c.auth_type == AuthType::Jwt {
            lines.push(Line::styled("  JWT credentials are end of life at Adobe: plan the move to OAuth Server-to-Server.", theme.warn));
        }
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            "Check Health exchanges a token: with the key created in this session (or AEM's own, via Test Connection) and the secret below.",
            theme.dim,
        ));
    } else {
        lines.push(Line::styled(
            "Create the IMS technical account configuration",
            theme.title,
        ));
        if app.header.sandbox {
            lines.push(Line::styled(
                "Sandbox: f uploads the certificate to the emulated Console and fills the form.",
                theme.warn,
            ));
        }
    }
    let top = lines.len() as u16 + 1;
    let items = app.items(Tab::Account);
    let [info, form, result] = Layout::vertical([
        Constraint::Length(top),
        Constraint::Length(items.len() as u16 + 1),
        Constraint::Min(0),
    ])
    .areas(area);
    f.render_widget(para(lines), info);
    draw_form(f, form, app, &items, theme);
    let mut out = error_lines(app, theme);
    if let Some(h) = &app.health {
        let style = if h.healthy { theme.ok } else { theme.error };
        out.push(Line::styled(
            format!("{} {}", if h.healthy { "✓" } else { "✗" }, h.message),
            style,
        ));
        if let Some(secs) = h.expires_in_secs {
            out.push(kv(
                "  token valid for",
                format!("{} h {} min", secs / 3600, (secs % 3600) / 60),
                theme,
            ));
        }
        out.push(kv("  checked by", h.method.clone(), theme));
    }
    f.render_widget(para(out), result);
}
