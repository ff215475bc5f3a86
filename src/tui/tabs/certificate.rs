//! Certificate: the keystore of `brandportal-imsconfig-service`, and "Create new certificate".

use super::step_lines;
use crate::aem::keystore::parse_java_date;
use crate::tui::app::{App, Tab};
use crate::tui::theme::Theme;
use crate::tui::ui::{draw_form, error_lines, kv, para};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};

pub fn draw(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let Some(s) = app.snapshot.as_ref() else {
        return;
    };
    let mut lines = step_lines(app, Tab::Certificate, theme);
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "Keystore of brandportal-imsconfig-service",
        theme.title,
    ));
    match (&s.service_user, s.keystore.exists) {
        (None, _) => lines.push(Line::styled(
            "  the service user does not exist on this author",
            theme.error,
        )),
        (Some(p), false) => {
            lines.push(kv("  user", p.clone(), theme));
            lines.push(Line::styled(
                "  no keystore yet: it is created with the first certificate",
                theme.dim,
            ));
        }
        (Some(p), true) => {
            lines.push(kv("  user", p.clone(), theme));
            if s.keystore.aliases.is_empty() {
                lines.push(Line::styled("  the keystore holds no key", theme.dim));
            }
            let now = s.read_at;
            for a in &s.keystore.aliases {
                let leaf = a.chain.first();
                let days = leaf
                    .and_then(|c| parse_java_date(&c.not_after))
                    .map(|t| (t - now).div_euclid(86_400));
                let (mark, style) = match days {
                    Some(d) if d < 0 => ("✗ expired".to_string(), theme.error),
                    Some(d) if d < 30 => (format!("! {d} days left"), theme.warn),
                    Some(d) => (format!("✓ {d} days left"), theme.ok),
                    None => ("?".into(), theme.dim),
                };
                lines.push(Line::from(vec![
                    Span::raw(format!("  {:<16}", a.alias)),
                    Span::raw(format!(
                        "{:<28}",
                        leaf.map(|c| c.subject.clone()).unwrap_or_default()
                    )),
                    Span::raw(format!(
                        "until {}  ",
                        leaf.map(|c| c.not_after.clone()).unwrap_or_default()
                    )),
                    Span::styled(mark, style),
                ]));
            }
        }
    }
    let top = lines.len() as u16 + 1;
    let [info, form, result] = Layout::vertical([
        Constraint::Length(top),
        Constraint::Length(5),
        Constraint::Min(0),
    ])
    .areas(area);
    f.render_widget(para(lines), info);
    let form_title = Rect { height: 1, ..form };
    f.render_widget(
        para(vec![Line::styled(
            "Create new certificate (RSA-2048, SHA-256)",
            theme.title,
        )]),
        form_title,
    );
    let fields = Rect {
        y: form.y + 1,
        height: form.height - 1,
        ..form
    };
    draw_form(f, fields, app, &app.items(Tab::Certificate), theme);
    let mut out = error_lines(app, theme);
    if let Some(r) = &app.cert_result {
        if let (Some(info), Some(path)) = (&r.info, &r.path) {
            out.push(Line::styled(
                format!(
                    "✓ Key pair '{}' uploaded to AEM; public certificate saved",
                    r.alias
                ),
                theme.ok,
            ));
            out.push(kv("  file", path.clone(), theme));
            out.push(kv(
                "  SHA-1 fingerprint",
                info.sha1_fingerprint.clone(),
                theme,
            ));
            out.push(kv("  subject", info.subject.clone(), theme));
            out.push(kv(
                "  expires",
                chrono::DateTime::from_timestamp(info.not_after, 0)
                    .map(|d| d.format("%Y-%m-%d").to_string())
                    .unwrap_or_default(),
                theme,
            ));
            out.push(Line::raw(""));
            out.push(Line::styled(
                "Next, in the Adobe Developer Console (the Brand Portal tenant's organization):",
                theme.title,
            ));
            out.push(Line::raw(
                "  1. Create a project and add the API \"AEM Brand Portal\".",
            ));
            out.push(Line::raw("  2. Upload your public key: the file above."));
            out.push(Line::raw(
                "  3. Pick the product profile \"Assets Brand Portal\".",
            ));
            out.push(Line::raw("  4. Copy the API key, Retrieve Client Secret, and copy the JWT payload (Generate JWT)."));
            if app.header.sandbox {
                out.push(Line::styled(
                    "  Sandbox: press f on the Account tab to do all of this in one step.",
                    theme.warn,
                ));
            }
        } else {
            out.push(Line::styled(
                format!(
                    "Alias '{}' already exists (until {}); nothing changed.",
                    r.alias,
                    r.existing_not_after.clone().unwrap_or_default()
                ),
                theme.dim,
            ));
        }
    }
    f.render_widget(para(out), result);
}
