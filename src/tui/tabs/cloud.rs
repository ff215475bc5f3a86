//! Cloud Service: the Brand Portal configurations (6.5 and legacy) with their IMS configuration
//! and agents, the create form (or, once a configuration exists, its repoint), and the upgrade
//! of an existing integration (`u`).

use super::{Clicks, Component, Hint, Out, Tab};
use crate::setup::Integration;
use crate::setup::actions::{CloudMode, CloudOutcome};
use crate::setup::defaults;
use crate::setup::snapshot::ImsConfig;
use crate::tui::action::Action;
use crate::tui::effect::{Effect, UiResult};
use crate::tui::form::{Activation, Form, FormItem, Kind};
use crate::tui::keymap::Scope;
use crate::tui::modal::{ConfirmDialog, Modal, UpgradeDialog};
use crate::tui::scroll::{Scroll, draw_context};
use crate::tui::state::Shared;
use crate::tui::theme::Theme;
use crate::tui::widgets::{error_lines, form_areas, kv, para, step_lines};
use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloudField {
    Title,
    Ims,
    ServiceUrl,
    Create,
    /// Shown with an existing configuration: opens the form to repoint it.
    Change,
    /// The form's submit while repointing.
    Repoint,
    Cancel,
}

impl FormItem for CloudField {
    fn label(self) -> &'static str {
        match self {
            CloudField::Title => "Title",
            CloudField::Ims => "IMS configuration",
            CloudField::ServiceUrl => "Service URL",
            CloudField::Create => "Create",
            CloudField::Change => "Change the Service URL (repoint)…",
            CloudField::Repoint => "Repoint…",
            CloudField::Cancel => "Cancel",
        }
    }
    fn kind(self) -> Kind {
        match self {
            CloudField::Ims => Kind::Choice,
            CloudField::Create | CloudField::Change | CloudField::Repoint | CloudField::Cancel => {
                Kind::Button
            }
            _ => Kind::Text,
        }
    }
    fn initial(self) -> String {
        match self {
            CloudField::Title => defaults::TITLE.into(),
            _ => String::new(),
        }
    }
}

#[derive(Debug)]
pub struct CloudTab {
    pub form: Form<CloudField>,
    /// Index into the snapshot's IMS configurations.
    pub ims_choice: usize,
    /// The form shows to repoint the existing configuration.
    pub changing: bool,
    /// The text above the form, when it does not fit (PgUp / PgDn).
    pub info: Scroll,
}

impl Default for CloudTab {
    fn default() -> Self {
        CloudTab {
            form: Form::of(&[CloudField::Title, CloudField::ServiceUrl]),
            ims_choice: 0,
            changing: false,
            info: Scroll::default(),
        }
    }
}

/// A Brand Portal configuration is in use (not only a legacy one).
fn configured(cx: &Shared) -> bool {
    cx.snapshot
        .as_ref()
        .is_some_and(|s| s.cloud_configs.iter().any(|c| !c.legacy))
}

/// The IMS configurations to choose from: Brand Portal's first.
fn ims_choices(s: &Integration) -> Vec<&ImsConfig> {
    let mut v = s.bp_ims();
    v.extend(s.other_ims());
    v
}

impl CloudTab {
    /// What the form shows: the fields to create a configuration; once one exists, the way to
    /// repoint it, and the fields while repointing.
    pub fn items(&self, cx: &Shared) -> Vec<CloudField> {
        use CloudField::*;
        let legacy = cx
            .snapshot
            .as_ref()
            .is_some_and(|s| s.cloud_configs.iter().any(|c| c.legacy));
        match (configured(cx), self.changing) {
            // AEM refuses a new configuration beside a legacy one: the upgrade comes first.
            (false, _) if legacy => vec![],
            (false, _) => vec![Title, Ims, ServiceUrl, Create],
            (true, false) => vec![Change],
            (true, true) => vec![Title, Ims, ServiceUrl, Repoint, Cancel],
        }
    }

    fn set_changing(&mut self, on: bool, cx: &Shared) {
        self.changing = on;
        self.form.errors.clear();
        let items = self.items(cx);
        self.form.focus_on(
            &items,
            if on {
                CloudField::ServiceUrl
            } else {
                CloudField::Change
            },
        );
    }

    /// A new read: the tenant's URL becomes the Service URL's default.
    pub fn on_snapshot(&mut self, s: &Integration) {
        if self.form.value(CloudField::ServiceUrl).is_empty()
            && let Some(t) = &s.tenant_url
        {
            self.form.set(CloudField::ServiceUrl, t);
        }
    }

    fn create(&mut self, cx: &mut Shared) -> Vec<Out> {
        if cx.refuse_read_only("nothing can be created") {
            return vec![];
        }
        let title = self.form.value(CloudField::Title).trim().to_string();
        let url = self.form.value(CloudField::ServiceUrl).trim().to_string();
        let mut errors = Vec::new();
        if title.is_empty() {
            errors.push("the title is empty".to_string());
        }
        if let Err(e) = crate::setup::snapshot::check_service_url(&url) {
            errors.push(e);
        }
        let ims = cx
            .snapshot
            .as_ref()
            .and_then(|s| ims_choices(s).get(self.ims_choice).map(|c| c.pid.clone()));
        if ims.is_none() {
            errors
                .push("there is no IMS configuration yet: complete the Account step first".into());
        }
        if !errors.is_empty() {
            self.form.errors = errors;
            return vec![];
        }
        self.form.errors.clear();
        // Another tenant's configuration: say what a repoint does and ask for the word.
        let other = cx.snapshot.as_ref().and_then(|s| {
            s.cloud_configs
                .iter()
                .find(|c| !c.legacy)
                .filter(|c| {
                    !c.tenant_url
                        .trim_end_matches('/')
                        .eq_ignore_ascii_case(url.trim_end_matches('/'))
                })
                .cloned()
        });
        if let Some(c) = other {
            let lines = vec![
                format!("{} serves {} today.", c.path, c.tenant_url),
                format!(
                    "Its Service URL becomes {url}: the live integration moves to that tenant."
                ),
                format!(
                    "AEM creates four agents and a MAC user for it; those of {} stay until `brandlink upgrade --tenant {}`.",
                    c.tenant_url, c.tenant_url
                ),
                "Adobe pairs one tenant with one author (Asset Sourcing breaks otherwise).".into(),
                "For a second tenant on purpose, use `brandlink cloud create --new` instead."
                    .into(),
            ];
            let effect = Effect::CreateCloud {
                title,
                service_url: url,
                ims,
                mode: CloudMode::Repoint,
            };
            return vec![Out::Open(Modal::Confirm(Box::new(ConfirmDialog::new(
                "Repoint the Brand Portal configuration",
                lines,
                "repoint",
                "repointing the cloud configuration and waiting for the agents",
                effect,
            ))))];
        }
        if !cx.begin("creating the cloud configuration and waiting for the agents") {
            return vec![];
        }
        vec![Out::Effect(Effect::CreateCloud {
            title,
            service_url: url,
            ims,
            mode: CloudMode::Create,
        })]
    }

    fn upgrade(&mut self, cx: &mut Shared) -> Vec<Out> {
        if cx.refuse_read_only("the upgrade is off") {
            return vec![];
        }
        if let Some(b) = &cx.busy {
            let text = format!("wait: {b} is still running (esc cancels)");
            cx.info(text);
            return vec![];
        }
        vec![
            Out::Open(Modal::Upgrade(UpgradeDialog {
                backup_root: cx.backup_root.clone(),
                ..UpgradeDialog::default()
            })),
            Out::Effect(Effect::PlanUpgrade(None)),
        ]
    }

    pub fn on_created(&mut self, r: UiResult<CloudOutcome>, cx: &mut Shared) {
        match r {
            Ok(o) => {
                self.form.mark_clean();
                self.changing = false;
                let path = o.path.unwrap_or_default();
                let mut text = if o.changed {
                    format!("created {path}; AEM created {} agents", o.agents.len())
                } else {
                    format!("{path} already exists; nothing changed")
                };
                if let Some(old) = &o.replaced {
                    text = format!(
                        "{path} now points to {}; AEM created {} agents (those of {old} stay until an upgrade of that tenant)",
                        o.tenant_url,
                        o.agents.len()
                    );
                }
                cx.success(text);
            }
            Err(e) => cx.error(e.message),
        }
    }
}

impl Component for CloudTab {
    fn scope(&self) -> Option<Scope> {
        Some(Scope::Cloud)
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
        // A repoint half typed stays; one not begun closes.
        if !self.form.dirty() {
            self.changing = false;
        }
    }

    fn on_action(&mut self, action: Action, cx: &mut Shared) -> Vec<Out> {
        match action {
            Action::Upgrade => return self.upgrade(cx),
            Action::PageDown => self.info.by(1),
            Action::PageUp => self.info.by(-1),
            _ => {}
        }
        let items = self.items(cx);
        match self.form.navigate(action, &items) {
            Some(Activation::Choice(CloudField::Ims)) => {
                let n = cx
                    .snapshot
                    .as_ref()
                    .map(|s| s.ims_configs.len())
                    .unwrap_or(0)
                    .max(1);
                self.ims_choice = (self.ims_choice + 1) % n;
                vec![]
            }
            Some(Activation::Button(CloudField::Create | CloudField::Repoint)) => self.create(cx),
            Some(Activation::Button(CloudField::Change)) => {
                self.set_changing(true, cx);
                vec![]
            }
            Some(Activation::Button(CloudField::Cancel)) => {
                if let Some(t) = cx.snapshot.as_ref().and_then(|s| s.tenant_url.clone()) {
                    self.form.set(CloudField::ServiceUrl, &t);
                }
                self.form.mark_clean();
                self.set_changing(false, cx);
                vec![]
            }
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
        let mut lines = step_lines(s.step(Tab::Cloud.step()), theme);
        lines.extend(config_lines(s, theme));
        lines.extend(agent_lines(s, theme));
        let items = self.items(cx);
        let heading = match items.first() {
            Some(CloudField::Change) | None => None,
            _ if self.changing => {
                Some("Repoint (another Service URL moves the live integration to that tenant)")
            }
            _ => Some(
                "Create (Service URL = https://<tenant>.brand-portal.adobe.com, never an alias)",
            ),
        };
        let out = error_lines(&self.form.errors, theme);
        let rows = items.len() as u16 + u16::from(heading.is_some()) + 1;
        let [info, form, result] = form_areas(area, &lines, rows, &out);
        draw_context(f, info, lines, &self.info, theme);
        let form = match heading {
            Some(h) => {
                let [title, form] =
                    Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(form);
                f.render_widget(para(vec![Line::styled(h, theme.title)]), title);
                form
            }
            None => form,
        };
        let configs = ims_choices(s);
        let choice = self.ims_choice;
        self.form.draw(f, form, &items, theme, &|_| {
            if configs.is_empty() {
                "(none yet: create it on the Account tab)".into()
            } else {
                let c = configs[choice.min(configs.len() - 1)];
                let whose = if c.is_brand_portal() {
                    ""
                } else {
                    " (another integration's)"
                };
                format!("‹ {}{whose} — {} ›", c.title, c.pid)
            }
        });
        f.render_widget(para(out), result);
        Clicks::default()
    }

    fn hints(&self, cx: &Shared) -> Vec<Hint> {
        // Something to replace: dimmed (still there, for a journal to resume) while the author
        // holds no cloud configuration.
        let configured = cx
            .snapshot
            .as_ref()
            .is_some_and(|s| !s.cloud_configs.is_empty());
        vec![Hint::when(Action::Upgrade, !cx.read_only && configured)]
    }
}

/// Each Brand Portal configuration as it stands: title, tenant, the IMS configuration it
/// names, where AEM stores it.
fn config_lines(s: &Integration, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = vec![Line::raw("")];
    if s.cloud_configs.is_empty() {
        lines.push(Line::styled(
            "Brand Portal cloud configurations",
            theme.title,
        ));
        lines.push(Line::styled("  none", theme.dim));
    }
    for c in &s.cloud_configs {
        lines.push(if c.legacy {
            Line::from(vec![
                Span::styled("Legacy configuration (/etc/cloudservices)  ", theme.title),
                Span::styled("press u to upgrade", theme.warn),
            ])
        } else {
            Line::styled("Brand Portal cloud configuration", theme.title)
        });
        lines.push(kv("  title", c.title.clone(), theme));
        lines.push(kv("  Service URL", c.tenant_url.clone(), theme));
        if let Some(pid) = &c.ims_config {
            match s.ims_configs.iter().find(|i| &i.pid == pid) {
                // Its PID is on the Account tab.
                Some(i) => lines.push(kv(
                    "  IMS configuration",
                    format!("{} — {}", i.title, i.auth_type),
                    theme,
                )),
                None => lines.push(Line::from(vec![
                    Span::styled(format!("{:<22}", "  IMS configuration"), theme.dim),
                    Span::styled(format!("{pid} (not on this author)"), theme.error),
                ])),
            }
        }
        // Where AEM keeps it (on a line of its own: it is long).
        lines.push(Line::styled(format!("  {}", c.path), theme.dim));
    }
    lines
}

/// The tenant's agents, enabled or not.
fn agent_lines(s: &Integration, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = vec![
        Line::raw(""),
        Line::styled(
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
        ),
    ];
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
    lines
}
