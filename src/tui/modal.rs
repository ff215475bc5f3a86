//! Dialogs over the tabs. At most one is open; while it is, it owns every key (only Ctrl-C and
//! Ctrl-Z stay global), so nothing typed into a dialog can reach the form behind it.

use super::action::Action;
use super::effect::{Effect, UiError};
pub use super::historypane::HistoryPane;
use super::keymap::{Keymap, Scope};
pub use super::logpane::LogPane;
use super::migrate::MigrateDialog;
use super::nav::{DialogOut, Hint};
use super::state::Shared;
use super::theme::Theme;
use super::widgets::{centered, spinner};
use crate::setup::service::{QueueOp, UpgradePreview};
use crate::setup::upgrade::TargetKind;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

#[derive(Debug)]
pub enum Modal {
    /// The key table.
    Help { scroll: u16 },
    /// Quit with unsubmitted input?
    ConfirmQuit,
    /// Clearing a queue: the agent id must be typed.
    ClearQueue(ClearConfirm),
    /// The upgrade plan, waiting for `upgrade` to be typed.
    Upgrade(UpgradeDialog),
    /// An agent's log.
    Log(LogPane),
    /// JWT → OAuth Server-to-Server.
    Migrate(Box<MigrateDialog>),
    /// Any other change that needs a typed word: what happens, then the effect.
    Confirm(Box<ConfirmDialog>),
    /// The doctor's report, with fixes.
    Doctor(Box<super::doctor::DoctorPanel>),
    /// Every current alert of the Replication tab, with its fix.
    Alerts {
        alerts: Vec<crate::monitor::Alert>,
        scroll: u16,
    },
    /// What brandlink changed on this author.
    History(HistoryPane),
}

/// A change that needs a typed word before it runs.
#[derive(Debug)]
pub struct ConfirmDialog {
    pub title: String,
    /// What will happen, line by line.
    pub lines: Vec<String>,
    pub word: &'static str,
    pub typed: String,
    /// The status line while it runs.
    pub busy: String,
    pub effect: Option<Effect>,
}

impl ConfirmDialog {
    pub fn new(
        title: &str,
        lines: Vec<String>,
        word: &'static str,
        busy: &str,
        effect: Effect,
    ) -> Self {
        ConfirmDialog {
            title: title.into(),
            lines,
            word,
            typed: String::new(),
            busy: busy.into(),
            effect: Some(effect),
        }
    }
}

#[derive(Clone, Debug)]
pub struct ClearConfirm {
    pub agent: String,
    pub pending: u64,
    pub typed: String,
    /// ⏎ was pressed with something else typed.
    pub mismatch: bool,
}

#[derive(Debug, Default)]
pub struct UpgradeDialog {
    /// Where the backup folder will be made.
    pub backup_root: std::path::PathBuf,
    pub preview: Option<UpgradePreview>,
    pub error: Option<UiError>,
    pub typed: String,
}

/// What a key did to the dialog.
pub type ModalOut = DialogOut<Box<Modal>>;

/// The dialog of a fix the doctor offers, behind the usual confirmation.
fn fix_dialog(fix: super::doctor::DoctorFix, cx: &Shared) -> Modal {
    match fix {
        super::doctor::DoctorFix::CloseConnection(ids) => {
            let mut lines = vec![format!(
                "Set Close Connection (protocolHTTPConnectionClose=true) on {} agents:",
                ids.len()
            )];
            lines.extend(ids.iter().map(|id| format!("  {id}")));
            lines.push(format!(
                "Each agent is backed up first, in a new folder in {}; `brandlink restore --from <folder>` sets it back.",
                cx.backup_root.display()
            ));
            Modal::Confirm(Box::new(ConfirmDialog::new(
                "Close Connection",
                lines,
                "close",
                "setting Close Connection",
                Effect::CloseConnection,
            )))
        }
        super::doctor::DoctorFix::Upgrade(_) => Modal::Upgrade(UpgradeDialog {
            backup_root: cx.backup_root.clone(),
            ..UpgradeDialog::default()
        }),
    }
}

fn typed_key(typed: &mut String, ev: KeyEvent) {
    match ev.code {
        KeyCode::Backspace => {
            typed.pop();
        }
        KeyCode::Char(ch) if !ev.modifiers.contains(KeyModifiers::CONTROL) => typed.push(ch),
        _ => {}
    }
}

impl Modal {
    /// A paste goes to what the dialog is typing into: a field of the migration form, a typed
    /// word (first line only), the log's search. Nothing reaches the tab behind.
    pub fn on_paste(&mut self, text: &str) {
        let line = text.lines().next().unwrap_or("").trim();
        match self {
            Modal::Migrate(d) => d.on_paste(text),
            Modal::Confirm(c) => c.typed.push_str(line),
            Modal::ClearQueue(c) => c.typed.push_str(line),
            Modal::Upgrade(u) => u.typed.push_str(line),
            Modal::Log(l) => {
                if let Some(t) = &mut l.typing {
                    t.push_str(line);
                }
            }
            _ => {}
        }
    }

    /// Where the dialog's keys are looked up.
    pub fn scopes(&self) -> Vec<Scope> {
        match self {
            Modal::Help { .. } | Modal::Alerts { .. } | Modal::History(_) => {
                vec![Scope::Global, Scope::Normal]
            }
            Modal::ConfirmQuit => vec![Scope::Global],
            Modal::ClearQueue(_) | Modal::Upgrade(_) => vec![Scope::Global, Scope::Editing],
            Modal::Log(_) => vec![Scope::Global, Scope::Pane],
            Modal::Migrate(d) => d.scopes(),
            Modal::Confirm(_) => vec![Scope::Global, Scope::Editing],
            Modal::Doctor(_) => vec![Scope::Global, Scope::Doctor, Scope::Pane, Scope::Normal],
        }
    }

    /// What the hint bar offers while the dialog is open.
    pub fn hints(&self) -> Vec<Hint> {
        match self {
            Modal::Log(_) => vec![
                Hint::on(Action::Up),
                Hint::on(Action::Down),
                Hint::on(Action::PageUp),
                Hint::on(Action::PageDown),
                Hint::on(Action::Search),
                Hint::on(Action::Follow),
                Hint::on(Action::Back),
            ],
            Modal::Help { .. } | Modal::Alerts { .. } | Modal::History(_) => {
                vec![
                    Hint::on(Action::Up),
                    Hint::on(Action::Down),
                    Hint::on(Action::Back),
                ]
            }
            Modal::ConfirmQuit => vec![],
            Modal::ClearQueue(_) | Modal::Upgrade(_) | Modal::Confirm(_) => {
                vec![Hint::on(Action::Activate), Hint::on(Action::Back)]
            }
            Modal::Migrate(d) => d.hints(),
            Modal::Doctor(d) => d.hints(),
        }
    }

    /// A key (and the action the key table gives it in [`Modal::scopes`], if any).
    pub fn on_key(
        &mut self,
        ev: KeyEvent,
        action: Option<Action>,
        cx: &mut Shared,
    ) -> (ModalOut, Vec<Effect>) {
        match self {
            Modal::Doctor(d) => {
                let (out, effects) = d.on_action(action, cx);
                (out.map(|fix| Box::new(fix_dialog(fix, cx))), effects)
            }
            Modal::Migrate(d) => {
                let (close, effects) = d.on_key(ev, action, cx);
                (
                    if close {
                        ModalOut::Close
                    } else {
                        ModalOut::Keep
                    },
                    effects,
                )
            }
            Modal::Confirm(c) => match action {
                Some(Action::Back) => (ModalOut::Close, vec![]),
                Some(Action::Activate) if c.typed == c.word => {
                    if !cx.begin(&c.busy) {
                        return (ModalOut::Keep, vec![]);
                    }
                    (ModalOut::Close, c.effect.take().into_iter().collect())
                }
                Some(_) => (ModalOut::Keep, vec![]),
                None => {
                    typed_key(&mut c.typed, ev);
                    (ModalOut::Keep, vec![])
                }
            },
            Modal::ConfirmQuit => match ev.code {
                KeyCode::Char('y') | KeyCode::Char('Y') => (ModalOut::Quit, vec![]),
                _ => (ModalOut::Close, vec![]),
            },
            Modal::Help { scroll }
            | Modal::Alerts { scroll, .. }
            | Modal::History(HistoryPane { scroll, .. }) => match action {
                Some(Action::Up) => {
                    *scroll = scroll.saturating_sub(1);
                    (ModalOut::Keep, vec![])
                }
                Some(Action::Down) => {
                    *scroll = scroll.saturating_add(1);
                    (ModalOut::Keep, vec![])
                }
                _ => (ModalOut::Close, vec![]),
            },
            Modal::Log(pane) => pane.on_key(ev, action),
            Modal::ClearQueue(c) => match action {
                Some(Action::Back) => (ModalOut::Close, vec![]),
                Some(Action::Activate) => {
                    if c.typed != c.agent {
                        c.mismatch = !c.typed.is_empty();
                        return (ModalOut::Keep, vec![]);
                    }
                    if !cx.begin(&format!("clearing the queue of {}", c.agent)) {
                        return (ModalOut::Keep, vec![]);
                    }
                    (
                        ModalOut::Close,
                        vec![Effect::Queue(c.agent.clone(), QueueOp::Clear)],
                    )
                }
                // Tab and the like do nothing here.
                Some(_) => (ModalOut::Keep, vec![]),
                None => {
                    typed_key(&mut c.typed, ev);
                    c.mismatch = false;
                    (ModalOut::Keep, vec![])
                }
            },
            Modal::Upgrade(u) => match action {
                Some(Action::Back) => (ModalOut::Close, vec![]),
                Some(Action::Activate) => {
                    let ready = u.typed == "upgrade"
                        && u.error.is_none()
                        && u.preview
                            .as_ref()
                            .is_some_and(|p| p.busy().iter().all(|b| b.stuck.is_some()));
                    if !ready || !cx.begin("backing up and deleting the old integration") {
                        return (ModalOut::Keep, vec![]);
                    }
                    match u.preview.take() {
                        Some(p) => (ModalOut::Close, vec![Effect::RunUpgrade(Box::new(p))]),
                        None => (ModalOut::Keep, vec![]),
                    }
                }
                Some(_) => (ModalOut::Keep, vec![]),
                None => {
                    typed_key(&mut u.typed, ev);
                    (ModalOut::Keep, vec![])
                }
            },
        }
    }

    pub fn draw(&self, f: &mut Frame, area: Rect, cx: &Shared, keymap: &Keymap, theme: &Theme) {
        match self {
            Modal::Help { scroll } => draw_help(f, area, *scroll, keymap, theme),
            Modal::ConfirmQuit => draw_confirm(f, area, theme),
            Modal::Log(l) => l.draw(f, area, cx.tick, theme),
            Modal::ClearQueue(c) => draw_clear(f, area, c, theme),
            Modal::Upgrade(u) => draw_upgrade(f, area, u, cx.tick, theme),
            Modal::Migrate(d) => d.draw(f, area, cx, theme),
            Modal::Confirm(c) => draw_confirm_change(f, area, c, theme),
            Modal::Doctor(d) => d.draw(f, area, cx, theme),
            Modal::Alerts { alerts, scroll } => draw_alerts(f, area, alerts, *scroll, theme),
            Modal::History(h) => h.draw(f, area, theme),
        }
    }
}

fn draw_help(f: &mut Frame, area: Rect, scroll: u16, keymap: &Keymap, theme: &Theme) {
    let mut lines = Vec::new();
    for (scope, keys) in keymap.help() {
        lines.push(Line::styled(scope.title(), theme.title));
        for (k, d) in keys {
            lines.push(Line::from(vec![
                Span::styled(format!("  {k:<18}"), theme.key),
                Span::raw(d),
            ]));
        }
        lines.push(Line::raw(""));
    }
    lines.push(Line::styled(
        "Keys can be changed in the config file's [keys] table.",
        theme.dim,
    ));
    let r = centered(area, 64, area.height.saturating_sub(4));
    f.render_widget(Clear, r);
    let p = Paragraph::new(lines)
        .block(
            Block::bordered()
                .title(" Help — ↑/↓ scroll, esc closes ")
                .border_style(theme.border),
        )
        .scroll((scroll, 0));
    f.render_widget(p, r);
}

fn draw_alerts(
    f: &mut Frame,
    area: Rect,
    alerts: &[crate::monitor::Alert],
    scroll: u16,
    theme: &Theme,
) {
    let mut lines = Vec::new();
    if alerts.is_empty() {
        lines.push(Line::styled("no alerts", theme.ok));
    }
    for a in alerts {
        lines.push(Line::from(vec![
            Span::styled("⚠ ", theme.error),
            Span::styled(a.message.clone(), theme.error),
        ]));
        if let Some(fix) = &a.fix {
            lines.push(Line::from(vec![
                Span::styled("  fix: ", theme.key),
                Span::raw(fix.clone()),
            ]));
        }
    }
    let r = centered(
        area,
        area.width.saturating_sub(6),
        area.height.saturating_sub(4),
    );
    f.render_widget(Clear, r);
    let p = Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .block(
            Block::bordered()
                .title(format!(
                    " {} — ↑/↓ scroll, esc closes ",
                    crate::words::count(alerts.len() as u64, "alert", "alerts")
                ))
                .border_style(theme.error),
        )
        .scroll((scroll, 0));
    f.render_widget(p, r);
}

fn draw_clear(f: &mut Frame, area: Rect, c: &ClearConfirm, theme: &Theme) {
    let r = centered(area, 72, 8);
    f.render_widget(Clear, r);
    let mut lines = vec![
        Line::styled(format!("Clear the queue of {}?", c.agent), theme.title),
        Line::styled(
            format!(
                "{} will be dropped: those assets will not reach Brand Portal.",
                crate::words::count(c.pending, "item", "items")
            ),
            theme.warn,
        ),
        Line::raw("Type the agent id to confirm, then ⏎ (esc cancels):"),
        Line::from(vec![
            Span::raw("> "),
            Span::styled(c.typed.clone(), theme.editing),
        ]),
    ];
    if c.mismatch {
        lines.push(Line::styled(
            format!("that is not the agent id; type {}", c.agent),
            theme.error,
        ));
    }
    let p = Paragraph::new(lines).wrap(Wrap { trim: false }).block(
        Block::bordered()
            .title(" Clear queue ")
            .border_style(theme.error),
    );
    f.render_widget(p, r);
}

fn draw_upgrade(f: &mut Frame, area: Rect, u: &UpgradeDialog, tick: u64, theme: &Theme) {
    let r = centered(area, 90, area.height.saturating_sub(6).max(12));
    f.render_widget(Clear, r);
    let mut lines = Vec::new();
    match (&u.error, &u.preview) {
        (Some(e), _) => lines.push(Line::styled(e.message.clone(), theme.error)),
        (None, None) => lines.push(Line::styled(
            format!(
                "{} checking the queues and finding what would go…",
                spinner(tick)
            ),
            theme.dim,
        )),
        (None, Some(p)) => {
            if let Some(dir) = p.resume_dir() {
                lines.push(Line::styled(
                    format!(
                        "An interrupted upgrade is journaled at {}; still to delete:",
                        dir.display()
                    ),
                    theme.warn,
                ));
            } else {
                lines.push(Line::styled(
                    format!(
                        "Replace the integration with {}: these go, after a backup:",
                        p.tenant_url()
                    ),
                    theme.title,
                ));
            }
            for t in p.targets() {
                let what = match (&t.kind, &t.id) {
                    (TargetKind::MacUser, Some(id)) => format!("{id} ({})", t.path),
                    _ => t.path.clone(),
                };
                let id = t.path.rsplit('/').next().unwrap_or("");
                let busy = p
                    .busy()
                    .iter()
                    .find(|b| t.kind == TargetKind::Agent && b.agent == id);
                let mut spans = vec![Span::raw(format!(
                    "  {:<12} {what}",
                    format!("{:?}", t.kind)
                ))];
                if let Some(b) = busy {
                    spans.push(Span::styled(
                        format!(
                            "  ← {}, {} pending",
                            if b.stuck.is_some() {
                                "stuck"
                            } else {
                                b.state.as_str()
                            },
                            b.pending
                        ),
                        theme.error,
                    ));
                }
                lines.push(Line::from(spans));
            }
            lines.push(Line::raw(""));
            let busy = p.busy();
            let stuck: Vec<_> = busy.iter().filter(|b| b.stuck.is_some()).collect();
            let backups = format!(
                "The backup goes to a new folder in {}; `brandlink restore --from <folder>` puts it back.",
                u.backup_root.display()
            );
            if busy.is_empty() || stuck.len() == busy.len() {
                if busy.is_empty() {
                    lines.push(Line::styled(
                        "All queues are idle. Each agent is checked again just before its delete.",
                        theme.ok,
                    ));
                } else {
                    for (cause, agents) in crate::setup::upgrade::stuck_by_cause(busy) {
                        lines.push(Line::styled(
                            format!("{}: {cause}", agents.join(", ")),
                            theme.warn,
                        ));
                    }
                    lines.push(Line::styled(
                        format!(
                            "Going ahead records the paths of their {} (as AEM lists them, up to 50 a queue) in the backup's queued.json: publish them again once the new integration works.",
                            crate::words::count(stuck.iter().map(|b| b.pending).sum::<u64>(), "queued item", "queued items")
                        ),
                        theme.warn,
                    ));
                }
                lines.push(Line::raw(backups));
                lines.push(Line::raw("Type upgrade and ⏎ to go ahead (esc cancels):"));
                lines.push(Line::from(vec![
                    Span::raw("> "),
                    Span::styled(u.typed.clone(), theme.editing),
                ]));
            } else {
                lines.push(Line::styled(
                    "Not all queues are idle; nothing will be changed:",
                    theme.error,
                ));
                for b in busy.iter().filter(|b| b.stuck.is_none()) {
                    lines.push(Line::styled(
                        format!("  {:<24} {:<8} {} pending", b.agent, b.state, b.pending),
                        theme.error,
                    ));
                }
                lines.push(Line::raw("Wait until they drain (the Replication tab shows them), then press esc and u again."));
            }
        }
    }
    let p = Paragraph::new(lines).wrap(Wrap { trim: false }).block(
        Block::bordered()
            .title(" Upgrade ")
            .border_style(theme.warn),
    );
    f.render_widget(p, r);
}

fn draw_confirm_change(f: &mut Frame, area: Rect, c: &ConfirmDialog, theme: &Theme) {
    let r = centered(area, 90, (c.lines.len() as u16 + 8).min(area.height));
    f.render_widget(Clear, r);
    let mut lines: Vec<Line> = c.lines.iter().map(|l| Line::raw(l.clone())).collect();
    lines.push(Line::raw(""));
    lines.push(Line::raw(format!(
        "Type {} and ⏎ to go ahead (esc cancels):",
        c.word
    )));
    lines.push(Line::from(vec![
        Span::raw("> "),
        Span::styled(c.typed.clone(), theme.editing),
    ]));
    let p = Paragraph::new(lines).wrap(Wrap { trim: false }).block(
        Block::bordered()
            .title(format!(" {} ", c.title))
            .border_style(theme.warn),
    );
    f.render_widget(p, r);
}

fn draw_confirm(f: &mut Frame, area: Rect, theme: &Theme) {
    let r = centered(area, 50, 5);
    f.render_widget(Clear, r);
    let p = Paragraph::new(vec![
        Line::raw("A form has input that was not submitted."),
        Line::styled("Quit anyway? y / n", theme.warn),
    ])
    .block(Block::bordered().title(" Quit ").border_style(theme.border));
    f.render_widget(p, r);
}
