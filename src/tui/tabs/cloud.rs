//! Cloud Service: the Brand Portal configurations (6.5 and legacy), the create form, and the
//! upgrade of an existing integration (`u`).

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
use crate::tui::state::Shared;
use crate::tui::theme::Theme;
use crate::tui::widgets::{error_lines, form_areas, para, step_lines};
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
}

impl FormItem for CloudField {
    fn label(self) -> &'static str {
        match self {
            CloudField::Title => "Title",
            CloudField::Ims => "IMS configuration",
            CloudField::ServiceUrl => "Service URL",
            CloudField::Create => "Create",
        }
    }
    fn kind(self) -> Kind {
        match self {
            CloudField::Ims => Kind::Choice,
            CloudField::Create => Kind::Button,
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

const ITEMS: [CloudField; 4] = [
    CloudField::Title,
    CloudField::Ims,
    CloudField::ServiceUrl,
    CloudField::Create,
];

#[derive(Debug)]
pub struct CloudTab {
    pub form: Form<CloudField>,
    /// Index into the snapshot's IMS configurations.
    pub ims_choice: usize,
}

impl Default for CloudTab {
    fn default() -> Self {
        CloudTab {
            form: Form::of(&[CloudField::Title, CloudField::ServiceUrl]),
            ims_choice: 0,
        }
    }
}

/// The IMS configurations to choose from: Brand Portal's first.
fn ims_choices(s: &Integration) -> Vec<&ImsConfig> {
    let mut v = s.bp_ims();
    v.extend(s.other_ims());
    v
}

impl CloudTab {
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
    }

    fn on_action(&mut self, action: Action, cx: &mut Shared) -> Vec<Out> {
        if action == Action::Upgrade {
            return self.upgrade(cx);
        }
        match self.form.navigate(action, &ITEMS) {
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
            Some(Activation::Button(CloudField::Create)) => self.create(cx),
            _ => vec![],
        }
    }

    fn on_text(&mut self, ev: KeyEvent, _cx: &Shared) {
        self.form.type_key(&ITEMS, ev);
    }

    fn on_paste(&mut self, text: &str, _cx: &Shared) {
        self.form.paste(&ITEMS, text);
    }

    fn draw(&self, f: &mut Frame, area: Rect, cx: &Shared, theme: &Theme) -> Clicks {
        let Some(s) = cx.snapshot.as_ref() else {
            return Clicks::default();
        };
        let mut lines = step_lines(s.step(Tab::Cloud.step()), theme);
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
        let out = error_lines(&self.form.errors, theme);
        let [info, form, result] = form_areas(area, &lines, ITEMS.len() as u16 + 1, &out);
        let [title, form] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(form);
        f.render_widget(para(lines), info);
        f.render_widget(
            para(vec![Line::styled(
                "Create (Service URL = https://<tenant>.brand-portal.adobe.com, never an alias)",
                theme.title,
            )]),
            title,
        );
        let configs = ims_choices(s);
        let choice = self.ims_choice;
        self.form.draw(f, form, &ITEMS, theme, &|_| {
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
        vec![Hint::when(Action::Upgrade, !cx.read_only)]
    }
}
