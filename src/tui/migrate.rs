//! The migration dialog (Account tab, `m`): the OAuth Server-to-Server values from the Console,
//! then the exact property changes after IMS accepted them, then the typed word `migrate`.
//! The same setup service as `brandlink account migrate` does the work.

use super::action::Action;
use super::effect::{Effect, UiError};
use super::form::{Form, FormItem, Kind};
use super::nav::Hint;
use super::scroll::{Scroll, draw_scrolled};
use super::state::Shared;
use super::theme::Theme;
use super::widgets::{centered, error_lines, spinner, wrapped_height};
use crate::setup::console::ConsoleCredential;
use crate::setup::migrate::{MigrateRequest, MigrationPlan};
use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};
use secrecy::{ExposeSecret, SecretString};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MigrateField {
    ApiKey,
    Secret,
    Scopes,
    OrgId,
}

impl FormItem for MigrateField {
    fn label(self) -> &'static str {
        match self {
            MigrateField::ApiKey => "Client id",
            MigrateField::Secret => "Client secret",
            MigrateField::Scopes => "Scopes",
            MigrateField::OrgId => "Organization id",
        }
    }
    fn kind(self) -> Kind {
        match self {
            MigrateField::Secret => Kind::Masked,
            _ => Kind::Text,
        }
    }
}

const ITEMS: [MigrateField; 4] = [
    MigrateField::ApiKey,
    MigrateField::Secret,
    MigrateField::Scopes,
    MigrateField::OrgId,
];

/// Where the dialog is.
#[derive(Debug)]
pub enum Stage {
    /// Typing the Console's values.
    Values,
    /// IMS is being asked and the changes worked out.
    Planning,
    /// The changes, waiting for `migrate` to be typed.
    Confirm(Box<MigrationPlan>),
}

#[derive(Debug)]
pub struct MigrateDialog {
    pub pid: String,
    pub form: Form<MigrateField>,
    pub stage: Stage,
    pub typed: String,
    pub error: Option<UiError>,
    /// The changes, when they do not fit above the typed word (↑ / ↓).
    pub scroll: Scroll,
}

impl MigrateDialog {
    /// A paste into the focused field while the values are typed, or into the typed word.
    pub fn on_paste(&mut self, text: &str) {
        match &self.stage {
            Stage::Values => self.form.paste(&ITEMS, text.trim()),
            Stage::Confirm(_) => self
                .typed
                .push_str(text.lines().next().unwrap_or("").trim()),
            Stage::Planning => {}
        }
    }

    /// For the Brand Portal configuration `pid`, whose client id Adobe's conversion keeps, and
    /// whose organization (its JWT claims' `iss`) stays the same.
    pub fn new(pid: &str, client_id: &str, org_id: &str) -> Self {
        let mut form = Form::new(&[
            (MigrateField::ApiKey, client_id),
            (MigrateField::Secret, ""),
            (MigrateField::Scopes, ""),
            (MigrateField::OrgId, org_id),
        ]);
        form.focus_on(&ITEMS, MigrateField::Secret);
        form.activate(&ITEMS);
        MigrateDialog {
            pid: pid.to_string(),
            form,
            stage: Stage::Values,
            typed: String::new(),
            error: None,
            scroll: Scroll::default(),
        }
    }

    /// The sandbox Console's values arrived.
    pub fn fill(&mut self, c: &ConsoleCredential) {
        self.form.set(MigrateField::ApiKey, &c.client_id);
        self.form
            .set(MigrateField::Secret, c.client_secret.expose_secret());
        self.form.set(MigrateField::Scopes, &c.scopes);
        self.form.set(MigrateField::OrgId, &c.org_id);
    }

    fn secret(&self) -> SecretString {
        self.form.secret(MigrateField::Secret)
    }

    pub fn scopes(&self) -> Vec<Scope> {
        vec![Scope::Global, Scope::Editing]
    }

    pub fn hints(&self) -> Vec<Hint> {
        match self.stage {
            Stage::Values => vec![
                Hint::on(Action::Activate),
                Hint::on(Action::NextField),
                Hint::on(Action::Back),
            ],
            _ => vec![Hint::on(Action::Activate), Hint::on(Action::Back)],
        }
    }

    /// The plan arrived (or IMS refused).
    pub fn planned(&mut self, r: Result<MigrationPlan, UiError>) {
        match r {
            Ok(p) => {
                self.stage = Stage::Confirm(Box::new(p));
                self.error = None;
            }
            Err(e) => {
                self.stage = Stage::Values;
                self.error = Some(e);
            }
        }
    }

    /// A key; `action` is what the key table makes of it. Returns effects, and whether the
    /// dialog closes.
    pub fn on_key(
        &mut self,
        ev: KeyEvent,
        action: Option<Action>,
        cx: &mut Shared,
    ) -> (bool, Vec<Effect>) {
        if action == Some(Action::Back) {
            return (true, vec![]);
        }
        match &self.stage {
            Stage::Values => match action {
                Some(Action::NextField) => self.form.next_field(&ITEMS, 1),
                Some(Action::PrevField) => self.form.next_field(&ITEMS, -1),
                Some(Action::Activate) => {
                    let req = MigrateRequest {
                        api_key: Some(self.form.value(MigrateField::ApiKey).trim().to_string()),
                        scopes: crate::ims::token::split_scopes(
                            self.form.value(MigrateField::Scopes),
                        ),
                        org_id: self.form.value(MigrateField::OrgId).trim().to_string(),
                        verify: true,
                    };
                    self.error = None;
                    self.stage = Stage::Planning;
                    return (
                        false,
                        vec![Effect::PlanMigration {
                            req,
                            secret: self.secret(),
                        }],
                    );
                }
                Some(_) => {}
                None => {
                    if !self.form.editing() {
                        self.form.activate(&ITEMS);
                    }
                    self.form.type_key(&ITEMS, ev);
                }
            },
            Stage::Planning => {}
            Stage::Confirm(plan) => match action {
                // ↓ / ↑ (and the page keys) move through the changes; the rest is typed.
                Some(Action::NextField) => self.scroll.by(1),
                Some(Action::PrevField) => self.scroll.by(-1),
                Some(Action::Activate) if self.typed == "migrate" => {
                    if !cx.begin("migrating the IMS configuration to OAuth Server-to-Server") {
                        return (false, vec![]);
                    }
                    let plan = plan.clone();
                    return (
                        true,
                        vec![Effect::RunMigration {
                            plan,
                            secret: self.secret(),
                        }],
                    );
                }
                Some(_) => {}
                None => match ev.code {
                    crossterm::event::KeyCode::PageDown => self.scroll.by(1),
                    crossterm::event::KeyCode::PageUp => self.scroll.by(-1),
                    crossterm::event::KeyCode::Backspace => {
                        self.typed.pop();
                    }
                    crossterm::event::KeyCode::Char(c)
                        if !ev
                            .modifiers
                            .contains(crossterm::event::KeyModifiers::CONTROL) =>
                    {
                        self.typed.push(c)
                    }
                    _ => {}
                },
            },
        }
        (false, vec![])
    }

    pub fn draw(&self, f: &mut Frame, area: Rect, cx: &Shared, theme: &Theme) {
        let r = centered(area, 100, area.height.saturating_sub(4).max(14));
        f.render_widget(Clear, r);
        let block = Block::bordered()
            .title(" Migrate JWT → OAuth Server-to-Server ")
            .border_style(theme.warn);
        let inner = block.inner(r);
        f.render_widget(block, r);
        let mut head = vec![
            Line::styled(
                format!(
                    "The IMS configuration {} keeps its PID, so the cloud configuration keeps working.",
                    self.pid
                ),
                theme.title,
            ),
            Line::raw(
                "In the Developer Console: add an OAuth Server-to-Server credential to the project (or use the one Adobe converted), then copy its values here.",
            ),
        ];
        if cx.header.sandbox {
            head.push(Line::styled(
                "Sandbox: the Console's values are filled in.",
                theme.warn,
            ));
        }
        let [top, body] = Layout::vertical([
            Constraint::Length(wrapped_height(&head, inner.width) + 1),
            Constraint::Min(0),
        ])
        .areas(inner);
        f.render_widget(Paragraph::new(head).wrap(Wrap { trim: false }), top);
        match &self.stage {
            Stage::Values | Stage::Planning => {
                let [form, rest] = Layout::vertical([
                    Constraint::Length(ITEMS.len() as u16 + 1),
                    Constraint::Min(0),
                ])
                .areas(body);
                self.form.draw(f, form, &ITEMS, theme, &|_| String::new());
                let mut out = Vec::new();
                if let Some(e) = &self.error {
                    out.extend(error_lines(std::slice::from_ref(&e.message), theme));
                }
                out.push(Line::styled(
                    if matches!(self.stage, Stage::Planning) {
                        format!("{} asking IMS for a token with these values…", spinner(cx.tick))
                    } else {
                        "⏎ asks IMS for a token with these values and shows what changes; nothing is written yet.".into()
                    },
                    theme.dim,
                ));
                f.render_widget(Paragraph::new(out).wrap(Wrap { trim: false }), rest);
            }
            Stage::Confirm(plan) => self.draw_confirm(f, body, plan, theme),
        }
    }

    /// The changes (scrolled when they do not fit), and under them, always on screen, what to
    /// type and the typed word.
    fn draw_confirm(&self, f: &mut Frame, body: Rect, plan: &MigrationPlan, theme: &Theme) {
        let mut lines = vec![Line::styled(
            "✓ IMS gives a token for these values. These properties change:",
            theme.ok,
        )];
        for c in &plan.changes {
            let show = |v: &Option<Vec<String>>| match v {
                None => "(none)".to_string(),
                Some(v) => v.join(" | "),
            };
            lines.push(Line::from(vec![
                Span::styled(format!("  {:<10} {:<42}", c.on, c.name), theme.dim),
                Span::raw(format!("{} → {}", show(&c.before), show(&c.after))),
            ]));
        }
        lines.push(Line::raw(""));
        lines.push(Line::raw("The provider and its customizer are backed up first (no secrets); `brandlink restore` puts them back."));
        lines.push(Line::raw(
            "Afterwards Test Connection runs on the tenant's agents, and blocked queues retry.",
        ));
        let prompt = vec![
            Line::raw("Type migrate and ⏎ to go ahead (esc cancels):"),
            Line::from(vec![
                Span::raw("> "),
                Span::styled(self.typed.clone(), theme.editing),
            ]),
        ];
        let [changes, _, ask] = Layout::vertical([
            Constraint::Min(0),
            Constraint::Length(1),
            Constraint::Length(wrapped_height(&prompt, body.width)),
        ])
        .areas(body);
        draw_scrolled(f, changes, lines, &self.scroll, ("↑", "↓"), theme);
        f.render_widget(Paragraph::new(prompt).wrap(Wrap { trim: false }), ask);
    }
}

use super::keymap::Scope;
