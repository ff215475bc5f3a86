//! Certificate: the keystore of `brandportal-imsconfig-service`, and "Create new certificate".

use super::{Clicks, Component, Hint, Out, Tab};
use crate::ims::certificate::MAX_DAYS;
use crate::setup::defaults;
use crate::setup::lifecycle::UpdateRequest;
use crate::setup::service::CertDone;
use crate::setup::snapshot::AuthType;
use crate::setup::snapshot::days_until;
use crate::tui::action::Action;
use crate::tui::effect::{Effect, UiResult};
use crate::tui::form::{Activation, Form, FormItem, Kind};
use crate::tui::keymap::Scope;
use crate::tui::scroll::{Scroll, draw_context};
use crate::tui::state::{Generated, Shared};
use crate::tui::theme::Theme;
use crate::tui::widgets::{error_lines, form_areas, kv, para, step_lines};
use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CertField {
    Alias,
    Days,
    KeystorePassword,
    Create,
}

impl FormItem for CertField {
    fn label(self) -> &'static str {
        match self {
            CertField::Alias => "Alias",
            CertField::Days => "Validity (days)",
            CertField::KeystorePassword => "New keystore password",
            CertField::Create => "Create new certificate",
        }
    }
    fn kind(self) -> Kind {
        match self {
            CertField::KeystorePassword => Kind::Masked,
            CertField::Create => Kind::Button,
            _ => Kind::Text,
        }
    }
    fn initial(self) -> String {
        match self {
            CertField::Alias => defaults::KEY_ALIAS.into(),
            CertField::Days => defaults::CERT_DAYS.to_string(),
            CertField::KeystorePassword | CertField::Create => String::new(),
        }
    }
}

#[derive(Debug)]
pub struct CertificateTab {
    pub form: Form<CertField>,
    /// What the last "Create new certificate" did.
    pub result: Option<Box<CertDone>>,
    /// The text above the form, when it does not fit (PgUp / PgDn).
    pub info: Scroll,
}

impl Default for CertificateTab {
    fn default() -> Self {
        CertificateTab {
            form: Form::of(&[
                CertField::Alias,
                CertField::Days,
                CertField::KeystorePassword,
            ]),
            result: None,
            info: Scroll::default(),
        }
    }
}

fn needs_keystore(cx: &Shared) -> bool {
    cx.snapshot.as_ref().is_some_and(|s| !s.keystore.exists)
}

/// The JWT configuration's alias and the key pair a rotation would move it to.
fn rotation(tab: &CertificateTab, cx: &Shared) -> Option<(String, String)> {
    let s = cx.snapshot.as_ref()?;
    let c = s.bp_ims_config()?;
    if c.auth_type != AuthType::Jwt {
        return None;
    }
    let current = c.keypair_alias.clone()?;
    let created = tab
        .result
        .as_ref()
        .filter(|r| r.outcome.changed)
        .map(|r| r.outcome.alias.clone());
    let next = created
        .filter(|a| *a != current && s.keystore.alias(a).is_some())
        .or_else(|| {
            s.keystore
                .aliases
                .iter()
                .rev()
                .map(|a| a.alias.clone())
                .find(|a| *a != current)
        })?;
    Some((current, next))
}

impl CertificateTab {
    fn use_alias(&mut self, cx: &mut Shared) -> Vec<Out> {
        if cx.refuse_read_only("nothing can be changed") {
            return vec![];
        }
        let Some((current, next)) = rotation(self, cx) else {
            cx.info("nothing to rotate: create a new certificate under a new alias first (a JWT configuration only)");
            return vec![];
        };
        if !cx.begin(&format!("working out the move from {current} to {next}")) {
            return vec![];
        }
        vec![Out::Effect(Effect::PlanUpdate {
            req: Box::new(UpdateRequest {
                key_alias: Some(next),
                verify: true,
                ..UpdateRequest::default()
            }),
            secret: None,
        })]
    }

    pub fn items(&self, cx: &Shared) -> Vec<CertField> {
        let mut v = vec![CertField::Alias, CertField::Days];
        if needs_keystore(cx) {
            v.push(CertField::KeystorePassword);
        }
        v.push(CertField::Create);
        v
    }

    fn create(&mut self, cx: &mut Shared) -> Vec<Out> {
        if cx.refuse_read_only("nothing can be created") {
            return vec![];
        }
        let alias = self.form.value(CertField::Alias).trim().to_string();
        let days = match self.form.value(CertField::Days).trim().parse::<u32>() {
            Ok(d) if (1..=MAX_DAYS).contains(&d) => d,
            _ => {
                self.form.errors = vec![format!(
                    "validity must be a whole number of days from 1 to {MAX_DAYS}"
                )];
                return vec![];
            }
        };
        if alias.is_empty() || alias.contains([' ', '/']) {
            self.form.errors = vec!["the alias must be one word without spaces or slashes".into()];
            return vec![];
        }
        let needs_store = needs_keystore(cx);
        if needs_store && self.form.value(CertField::KeystorePassword).chars().count() < 6 {
            self.form.errors = vec!["the service user has no keystore yet: enter a password of at least 6 characters for it".into()];
            return vec![];
        }
        if !cx.begin("creating the certificate") {
            return vec![];
        }
        self.form.errors.clear();
        let keystore_password = needs_store.then(|| self.form.secret(CertField::KeystorePassword));
        vec![Out::Effect(Effect::CreateCertificate {
            alias,
            days,
            keystore_password,
        })]
    }

    /// The certificate was created (or the alias existed): keep the key for the Console step
    /// and Check Health.
    pub fn on_created(&mut self, r: UiResult<Box<CertDone>>, cx: &mut Shared) {
        match r {
            Ok(done) => {
                if let (Some(pem), Some(key)) = (&done.cert_pem, &done.private_key) {
                    cx.generated = Some(Generated {
                        alias: done.outcome.alias.clone(),
                        cert_pem: pem.clone(),
                        private_key: key.clone(),
                    });
                }
                let text = match &done.certificate_file {
                    Some(path) if done.outcome.changed => {
                        format!("certificate created: {}", path.display())
                    }
                    _ => format!(
                        "alias {} already exists; nothing changed",
                        done.outcome.alias
                    ),
                };
                self.result = Some(done);
                self.form.mark_clean();
                cx.success(text);
            }
            Err(e) => cx.error(e.message),
        }
    }

    fn result_lines(&self, cx: &Shared, theme: &Theme) -> Vec<Line<'static>> {
        let Some(r) = &self.result else {
            return vec![];
        };
        let mut out = Vec::new();
        match (r.info(), &r.certificate_file) {
            (Some(info), Some(path)) => {
                out.push(Line::styled(
                    format!(
                        "✓ Key pair '{}' uploaded to AEM; public certificate saved",
                        r.outcome.alias
                    ),
                    theme.ok,
                ));
                out.push(kv("  file", path.display().to_string(), theme));
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
                if let Some((current, next)) =
                    rotation(self, cx).filter(|(_, n)| *n == r.outcome.alias)
                {
                    out.push(Line::styled(
                        "Next, to rotate (the JWT configuration uses alias ".to_string()
                            + &current
                            + "):",
                        theme.title,
                    ));
                    out.push(Line::raw("  1. Developer Console → the project's Service Account credential → upload the file above"));
                    out.push(Line::raw(
                        "     (both certificates stay valid while AEM moves over).",
                    ));
                    out.push(Line::raw(format!("  2. Press a: the IMS configuration uses {next} (backed up first, Test Connection after).")));
                    return out;
                }
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
                if cx.header.sandbox {
                    out.push(Line::styled(
                        "  Sandbox: press f on the Account tab to do all of this in one step.",
                        theme.warn,
                    ));
                }
            }
            _ => out.push(Line::styled(
                format!(
                    "Alias '{}' already exists (until {}); nothing changed.",
                    r.outcome.alias,
                    r.outcome
                        .existing_not_after
                        .as_deref()
                        .map(crate::when::day_of)
                        .unwrap_or_default()
                ),
                theme.dim,
            )),
        }
        out
    }
}

impl Component for CertificateTab {
    fn scope(&self) -> Option<Scope> {
        Some(Scope::Certificate)
    }
    fn editing(&self) -> bool {
        self.form.editing()
    }
    fn dirty(&self) -> bool {
        self.form.dirty()
    }
    fn on_leave(&mut self) {
        self.form.stop_editing();
        self.form.errors.clear();
        self.info.reset();
    }

    fn on_action(&mut self, action: Action, cx: &mut Shared) -> Vec<Out> {
        match action {
            Action::UseAlias => return self.use_alias(cx),
            Action::PageDown => self.info.by(1),
            Action::PageUp => self.info.by(-1),
            _ => {}
        }
        let items = self.items(cx);
        match self.form.navigate(action, &items) {
            Some(Activation::Button(CertField::Create)) => self.create(cx),
            _ => vec![],
        }
    }

    fn on_text(&mut self, ev: KeyEvent, cx: &Shared) {
        let items = self.items(cx);
        self.form.type_key(&items, ev);
    }

    fn on_paste(&mut self, text: &str, cx: &Shared) {
        let items = self.items(cx);
        self.form.paste(&items, text);
    }

    fn draw(&self, f: &mut Frame, area: Rect, cx: &Shared, theme: &Theme) -> Clicks {
        let Some(s) = cx.snapshot.as_ref() else {
            return Clicks::default();
        };
        let mut lines = step_lines(s.step(Tab::Certificate.step()), theme);
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
                for a in &s.keystore.aliases {
                    let leaf = a.chain.first();
                    let days = leaf.and_then(|c| days_until(&c.not_after, s.read_at));
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
                            leaf.map(|c| crate::setup::snapshot::java_date_day(&c.not_after))
                                .unwrap_or_default()
                        )),
                        Span::styled(mark, style),
                    ]));
                }
            }
        }
        let mut out = error_lines(&self.form.errors, theme);
        out.extend(self.result_lines(cx, theme));
        let [info, form, result] = form_areas(area, &lines, 5, &out);
        draw_context(f, info, lines, &self.info, theme);
        f.render_widget(
            para(vec![Line::styled(
                "Create new certificate (RSA-2048, SHA-256)",
                theme.title,
            )]),
            Rect { height: 1, ..form },
        );
        let fields = Rect {
            y: form.y + 1,
            height: form.height.saturating_sub(1),
            ..form
        };
        self.form
            .draw(f, fields, &self.items(cx), theme, &|_| String::new());
        f.render_widget(para(out), result);
        Clicks::default()
    }

    fn hints(&self, cx: &Shared) -> Vec<Hint> {
        if rotation(self, cx).is_some() {
            vec![Hint::when(Action::UseAlias, !cx.read_only)]
        } else {
            vec![]
        }
    }
}
