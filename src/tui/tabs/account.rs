//! Account: the IMS technical account configuration (JWT or OAuth Server-to-Server), Check Health.

use super::{Clicks, Component, Hint, Out, Tab};
use crate::setup::SetupError;
use crate::setup::actions::{
    AccountKind, AccountOutcome, AccountSpec, HealthReport, validate_account,
};
use crate::setup::console::ConsoleCreds;
use crate::setup::defaults;
use crate::setup::snapshot::AuthType;
use crate::tui::action::Action;
use crate::tui::effect::{Effect, UiResult};
use crate::tui::form::{Activation, Form, FormItem, Kind};
use crate::tui::keymap::Scope;
use crate::tui::scroll::{Scroll, draw_context};
use crate::tui::state::Shared;
use crate::tui::theme::Theme;
use crate::tui::widgets::{error_lines, form_areas, kv, para, step_lines};
use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use secrecy::ExposeSecret;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountField {
    Title,
    AuthType,
    ApiKey,
    Secret,
    AuthServer,
    Payload,
    KeyAlias,
    Scopes,
    OrgId,
    Create,
    CheckHealth,
    Save,
}

impl FormItem for AccountField {
    fn label(self) -> &'static str {
        match self {
            AccountField::Title => "Title",
            AccountField::AuthType => "Authentication",
            AccountField::ApiKey => "API key (client id)",
            AccountField::Secret => "Client secret",
            AccountField::AuthServer => "Authorization Server",
            AccountField::Payload => "JWT payload",
            AccountField::KeyAlias => "Key alias",
            AccountField::Scopes => "Scopes",
            AccountField::OrgId => "Organization id",
            AccountField::Create => "Create",
            AccountField::CheckHealth => "Check Health",
            AccountField::Save => "Save changes",
        }
    }
    fn kind(self) -> Kind {
        match self {
            AccountField::AuthType => Kind::Choice,
            AccountField::Secret => Kind::Masked,
            AccountField::Payload => Kind::Multiline,
            AccountField::Create | AccountField::CheckHealth | AccountField::Save => Kind::Button,
            _ => Kind::Text,
        }
    }
    fn initial(self) -> String {
        match self {
            AccountField::Title => defaults::TITLE.into(),
            AccountField::AuthServer => defaults::AUTH_SERVER.into(),
            AccountField::KeyAlias => defaults::KEY_ALIAS.into(),
            _ => String::new(),
        }
    }
}

#[derive(Debug)]
pub struct AccountTab {
    pub form: Form<AccountField>,
    pub auth_type: AuthType,
    /// What the sandbox's Console handed out.
    pub console: Option<ConsoleCreds>,
    /// The last Check Health.
    pub health: Option<HealthReport>,
    /// The operator picked the authentication type (else it follows the author's version).
    pub auth_chosen: bool,
    /// The text above the form, when it does not fit (PgUp / PgDn).
    pub info: Scroll,
}

impl Default for AccountTab {
    fn default() -> Self {
        use AccountField::*;
        AccountTab {
            form: Form::of(&[
                Title, ApiKey, Secret, AuthServer, Payload, KeyAlias, Scopes, OrgId,
            ]),
            auth_type: crate::setup::snapshot::AuthType::Jwt,
            console: None,
            health: None,
            auth_chosen: false,
            info: Scroll::default(),
        }
    }
}

/// The Brand Portal IMS configuration still uses JWT.
fn jwt(cx: &Shared) -> bool {
    cx.snapshot
        .as_ref()
        .and_then(|s| s.bp_ims_config())
        .is_some_and(|c| c.auth_type == AuthType::Jwt)
}

/// A Brand Portal IMS configuration exists (other integrations' do not count).
fn existing(cx: &Shared) -> bool {
    cx.snapshot
        .as_ref()
        .is_some_and(|s| s.bp_ims_config().is_some())
}

impl AccountTab {
    pub fn items(&self, cx: &Shared) -> Vec<AccountField> {
        use AccountField::*;
        if let Some(c) = cx.snapshot.as_ref().and_then(|s| s.bp_ims_config()) {
            // The configuration's values, to change in place; the secret field serves Check
            // Health and, when saved, replaces the stored secret.
            let mut v = vec![Title, ApiKey];
            if c.auth_type == crate::setup::snapshot::AuthType::OauthServerToServer {
                v.extend([Scopes, OrgId]);
            }
            v.extend([Secret, CheckHealth, Save]);
            return v;
        }
        let mut v = vec![Title, AuthType, ApiKey, Secret];
        match self.auth_type {
            crate::setup::snapshot::AuthType::Jwt => v.extend([AuthServer, Payload, KeyAlias]),
            crate::setup::snapshot::AuthType::OauthServerToServer => v.extend([Scopes, OrgId]),
        }
        v.extend([Create, CheckHealth]);
        v
    }

    /// The form as the setup service takes it (the secret stays a secret).
    pub fn spec(&self) -> AccountSpec {
        let v = |f| self.form.value(f).to_string();
        AccountSpec {
            title: v(AccountField::Title),
            api_key: v(AccountField::ApiKey),
            client_secret: self.form.secret(AccountField::Secret),
            kind: match self.auth_type {
                AuthType::Jwt => AccountKind::Jwt {
                    auth_server: v(AccountField::AuthServer),
                    payload: v(AccountField::Payload),
                    alias: v(AccountField::KeyAlias),
                },
                AuthType::OauthServerToServer => AccountKind::Oauth {
                    scopes: crate::ims::token::split_scopes(self.form.value(AccountField::Scopes)),
                    org_id: self.form.value(AccountField::OrgId).trim().to_string(),
                },
            },
        }
    }

    fn create(&mut self, cx: &mut Shared) -> Vec<Out> {
        if cx.refuse_read_only("nothing can be created") {
            return vec![];
        }
        if existing(cx) {
            self.form.errors =
                vec!["an IMS configuration already exists; Adobe allows only one".into()];
            return vec![];
        }
        let spec = self.spec();
        // The same checks the setup service makes, shown before anything is sent.
        match validate_account(&spec) {
            Ok(_) => {}
            Err(SetupError::Invalid(v)) => {
                self.form.errors = v;
                return vec![];
            }
            Err(e) => {
                self.form.errors = vec![e.to_string()];
                return vec![];
            }
        }
        if !cx.begin("creating the IMS configuration") {
            return vec![];
        }
        self.form.errors.clear();
        let key = match (&spec.kind, &cx.generated) {
            (AccountKind::Jwt { alias, .. }, Some(g)) if g.alias == alias.trim() => {
                Some(g.private_key.clone())
            }
            _ => None,
        };
        vec![Out::Effect(Effect::CreateAccount {
            spec: Box::new(spec),
            key,
        })]
    }

    fn fetch_console(&mut self, cx: &mut Shared) -> Vec<Out> {
        if !cx.header.sandbox {
            cx.info("the Console step is done in the Adobe Developer Console; this key only works in the sandbox");
            return vec![];
        }
        let pem = cx.generated.as_ref().map(|g| g.cert_pem.clone());
        if pem.is_none() && self.auth_type == AuthType::Jwt {
            cx.error("create a certificate first (Certificate tab): a JWT credential needs AEM-Adobe-IMS.crt; OAuth Server-to-Server needs none");
            return vec![];
        }
        let label = if pem.is_some() {
            "uploading the certificate to the Console"
        } else {
            "creating the OAuth Server-to-Server credential in the Console"
        };
        if !cx.begin(label) {
            return vec![];
        }
        vec![Out::Effect(Effect::FetchConsole { cert_pem: pem })]
    }

    fn check_health(&mut self, cx: &mut Shared) -> Vec<Out> {
        if !existing(cx) {
            cx.error("create the IMS configuration first");
            return vec![];
        }
        let cfg_alias = cx
            .snapshot
            .as_ref()
            .and_then(|s| s.bp_ims_config())
            .and_then(|c| c.keypair_alias.clone());
        let key = match (&cx.generated, cfg_alias) {
            (Some(g), Some(a)) if g.alias == a => Some(g.private_key.clone()),
            _ => None,
        };
        let secret = (!self.form.value(AccountField::Secret).is_empty())
            .then(|| self.form.secret(AccountField::Secret));
        if !cx.begin("checking health") {
            return vec![];
        }
        self.health = None;
        let tenant = cx.snapshot.as_ref().and_then(|s| s.tenant_url.clone());
        vec![Out::Effect(Effect::CheckHealth {
            key,
            secret,
            tenant,
        })]
    }

    /// A new read: the authentication type follows the author (OAuth Server-to-Server on
    /// 6.5.21+) until the operator picks one; an existing configuration's values fill the form
    /// unless the operator is changing them.
    pub fn on_snapshot(&mut self, s: &crate::setup::Integration) {
        if let Some(c) = s.bp_ims_config()
            && !self.form.dirty()
        {
            self.form.set(AccountField::Title, &c.title);
            self.form.set(AccountField::ApiKey, &c.client_id);
            self.form.set(AccountField::Scopes, &c.scopes.join(","));
            self.form
                .set(AccountField::OrgId, c.org_id.as_deref().unwrap_or(""));
        }
        if !self.auth_chosen && !self.form.dirty() {
            self.auth_type = if s.oauth_support.oauth_first() {
                AuthType::OauthServerToServer
            } else {
                AuthType::Jwt
            };
        }
    }

    fn fill_from_console(&mut self) {
        let Some(c) = self.console.clone() else {
            return;
        };
        let (id, secret) = match self.auth_type {
            AuthType::Jwt => (c.api_key, c.client_secret),
            AuthType::OauthServerToServer => (c.oauth_client_id, c.oauth_secret),
        };
        self.form.set(AccountField::ApiKey, &id);
        self.form.set(AccountField::Secret, secret.expose_secret());
        self.form.set(AccountField::Payload, &c.payload);
        self.form.set(AccountField::Scopes, &c.scopes);
        self.form.set(AccountField::OrgId, &c.org_id);
    }

    pub fn on_console(&mut self, r: UiResult<ConsoleCreds>, cx: &mut Shared) -> Vec<Out> {
        match r {
            Ok(c) => {
                self.console = Some(c);
                self.fill_from_console();
                // The values are in: the next key sends them.
                let items = self.items(cx);
                for submit in [AccountField::Create, AccountField::Save] {
                    self.form.focus_on(&items, submit);
                }
                cx.success(match self.auth_type {
                    AuthType::Jwt => "Console credentials filled in: API key, client secret, payload",
                    AuthType::OauthServerToServer => {
                        "Console credentials filled in: client id, client secret, scopes, organization id"
                    }
                });
                vec![Out::Goto(Tab::Account)]
            }
            Err(e) => {
                cx.error(e.message);
                vec![]
            }
        }
    }

    pub fn on_created(&mut self, r: UiResult<AccountOutcome>, cx: &mut Shared) {
        match r {
            Ok(o) => {
                self.form.mark_clean();
                cx.success(if o.changed {
                    format!(
                        "IMS configuration created ({}); press c to Check Health",
                        o.pid
                    )
                } else {
                    "the IMS configuration already exists".into()
                });
            }
            Err(e) => cx.error(e.message),
        }
    }

    pub fn on_health(&mut self, r: UiResult<HealthReport>, cx: &mut Shared) {
        match r {
            Ok(h) => {
                if h.healthy {
                    cx.success(h.message.clone());
                } else {
                    cx.error(h.message.clone());
                }
                self.health = Some(h);
            }
            Err(e) => cx.error(e.message),
        }
    }

    fn health_lines(&self, theme: &Theme) -> Vec<Line<'static>> {
        let Some(h) = &self.health else {
            return vec![];
        };
        let style = if h.healthy { theme.ok } else { theme.error };
        let mut out = vec![Line::styled(
            format!("{} {}", if h.healthy { "✓" } else { "✗" }, h.message),
            style,
        )];
        if let Some(secs) = h.expires_in_secs {
            out.push(kv(
                "  token valid for",
                format!("{} h {} min", secs / 3600, (secs % 3600) / 60),
                theme,
            ));
        }
        out.push(kv("  checked by", h.method.clone(), theme));
        out
    }
}

impl Component for AccountTab {
    fn scope(&self) -> Option<Scope> {
        Some(Scope::Account)
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
        let items = self.items(cx);
        match action {
            Action::FetchConsole => return self.fetch_console(cx),
            Action::CheckHealth => return self.check_health(cx),
            Action::Migrate => return self.migrate(cx),
            Action::DeleteAccount => return self.delete(cx),
            Action::PageDown => self.info.by(1),
            Action::PageUp => self.info.by(-1),
            _ => {}
        }
        match self.form.navigate(action, &items) {
            Some(Activation::Choice(AccountField::AuthType)) => {
                self.auth_chosen = true;
                self.auth_type = match self.auth_type {
                    AuthType::Jwt => AuthType::OauthServerToServer,
                    AuthType::OauthServerToServer => AuthType::Jwt,
                };
                self.fill_from_console();
                vec![]
            }
            Some(Activation::Button(AccountField::Create)) => self.create(cx),
            Some(Activation::Button(AccountField::CheckHealth)) => self.check_health(cx),
            Some(Activation::Button(AccountField::Save)) => self.save_changes(cx),
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
        let mut lines = step_lines(s.step(Tab::Account.step()), theme);
        lines.push(Line::raw(""));
        if let Some(c) = s.bp_ims_config() {
            lines.push(Line::styled(
                "Brand Portal IMS configuration (Adobe allows one for Brand Portal)",
                theme.title,
            ));
            lines.push(kv("  authentication", c.auth_type.to_string(), theme));
            lines.push(kv("  PID", c.pid.clone(), theme));
            // A migrated configuration keeps its old alias property; OAuth does not use it.
            if let (AuthType::Jwt, Some(a)) = (c.auth_type, &c.keypair_alias) {
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
                lines.push(Line::styled("  JWT credentials are retired at Adobe: press m to migrate this configuration to OAuth Server-to-Server in place.", theme.warn));
            }
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                "Change a value below and Save (backed up, IMS asked, Test Connection after); Check Health asks IMS with the secret (if typed) and AEM with what it stores.",
                theme.dim,
            ));
        } else {
            lines.push(Line::styled(
                "Create the IMS technical account configuration",
                theme.title,
            ));
            if let Some(a) = s.oauth_support.advice() {
                lines.push(Line::styled(format!("! {a}"), theme.warn));
            }
            if self.auth_type == AuthType::OauthServerToServer
                && let Some(old) = crate::verdict::bundles::old_ims_bundle(&s.readiness)
            {
                lines.push(Line::styled(
                    format!("! {}: {}", old.warning(), old.fix()),
                    theme.warn,
                ));
            }
            match self.auth_type {
                AuthType::OauthServerToServer => {
                    // Adobe's current 6.5 / 6.5 LTS page: three steps, OAuth only.
                    lines.push(Line::raw("No certificate is needed: Adobe's flow for 6.5 and 6.5 LTS has three steps. 1 — Adobe Developer Console (the Brand Portal tenant's organization): create a project, add the Brand Portal API with an OAuth Server-to-Server credential, then copy its Client ID, Client Secret, Scopes and Organization ID below."));
                    lines.push(Line::raw("2 — this form (Tools › Security › Adobe IMS Configurations › Create, Cloud Solution \"Brand Portal\", Authentication Type OAuth). 3 — the Cloud tab (Tools › Cloud Services › AEM Brand Portal)."));
                    if cx.header.sandbox {
                        lines.push(Line::styled(
                            "Sandbox: f creates the credential in the emulated Console and fills the form.",
                            theme.warn,
                        ));
                    }
                }
                AuthType::Jwt => {
                    lines.push(Line::styled("JWT is Adobe's documented 6.4/6.5 procedure, retired since 2025–2026 (no new credentials): use it only where the author cannot do OAuth.", theme.warn));
                    if cx.header.sandbox {
                        lines.push(Line::styled(
                            "Sandbox: f uploads the certificate to the emulated Console and fills the form.",
                            theme.warn,
                        ));
                    }
                }
            }
        }
        let others = s.other_ims();
        if !others.is_empty() {
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                "Other integrations on this author (left alone)",
                theme.dim,
            ));
            for o in others {
                lines.push(Line::styled(
                    format!("  {} — {}, client {}", o.label(), o.auth_type, o.client_id),
                    theme.dim,
                ));
            }
        }
        let items = self.items(cx);
        let mut out = error_lines(&self.form.errors, theme);
        out.extend(self.health_lines(theme));
        let [info, form, result] = form_areas(area, &lines, items.len() as u16 + 1, &out);
        draw_context(f, info, lines, &self.info, theme);
        let auth = self.auth_type;
        self.form.draw(f, form, &items, theme, &|_| {
            format!("‹ {auth} ›  (⏎ switches)")
        });
        f.render_widget(para(out), result);
        Clicks::default()
    }

    fn hints(&self, cx: &Shared) -> Vec<Hint> {
        let mut v = vec![Hint::when(Action::CheckHealth, existing(cx))];
        if cx.header.sandbox {
            // Only the sandbox has a Console brandlink can reach.
            v.insert(0, Hint::on(Action::FetchConsole));
        }
        if jwt(cx) {
            // Offered only where there is something to migrate.
            v.insert(0, Hint::when(Action::Migrate, !cx.read_only));
        }
        v
    }
}
