//! The root of the TUI's state: which tab shows, the one open dialog, the shared state, and the
//! four tab components. Keys arrive as [`Action`]s, background results as [`Msg`]s; both return
//! [`Effect`]s for the runtime. No I/O happens here, so every transition is testable.

use super::action::Action;
use super::effect::{Cancelled, Effect, Msg};
use super::keymap::{Key, Keymap, Scope};
use super::modal::{Modal, ModalOut};
use super::state::{HeaderInfo, Shared};
use super::tabs::{Clicks, Component, Hint, Out, Tab, Tabs};
use crate::setup::StepStatus;
use crossterm::event::{KeyEvent, MouseEvent};
use ratatui::layout::Rect;

/// Where the last frame can be clicked.
#[derive(Clone, Debug, Default)]
pub struct ClickMap {
    pub tabs: Vec<(Rect, Tab)>,
    pub body: Clicks,
}

pub struct App {
    pub keymap: Keymap,
    pub tab: Tab,
    pub modal: Option<Modal>,
    pub shared: Shared,
    pub tabs: Tabs,
    /// Open the first incomplete step on the next successful read.
    pub guided: bool,
    pub quit: bool,
    /// Failed reads in a row (for the retry back-off).
    pub load_failures: u32,
    /// The number of the read shown (reads are numbered as they start).
    pub read_generation: u64,
    /// Filled after each frame, for the mouse.
    pub clicks: ClickMap,
}

impl App {
    pub fn new(header: HeaderInfo, keymap: Keymap) -> Self {
        App {
            keymap,
            tab: Tab::Certificate,
            modal: None,
            shared: Shared {
                header,
                loading: true,
                backup_root: crate::setup::upgrade::default_backup_root(),
                ..Shared::default()
            },
            tabs: Tabs::default(),
            guided: true,
            quit: false,
            load_failures: 0,
            read_generation: 0,
            clicks: ClickMap::default(),
        }
    }

    fn current(&self) -> &dyn Component {
        self.tabs.get(self.tab)
    }

    /// Scopes active now, most specific first.
    pub fn scopes(&self) -> Vec<Scope> {
        if let Some(m) = &self.modal {
            return m.scopes();
        }
        let c = self.current();
        if c.editing() {
            return vec![Scope::Global, Scope::Editing];
        }
        let mut s = vec![Scope::Global];
        s.extend(c.scope());
        s.push(Scope::Normal);
        s
    }

    /// What the hint bar offers: the tab's actions, then the general ones.
    pub fn hints(&self) -> Vec<Hint> {
        if let Some(m) = &self.modal {
            return m.hints();
        }
        let mut out = Vec::new();
        if !self.current().editing() {
            out.extend(self.current().hints(&self.shared));
        }
        for s in self.scopes() {
            if Some(s) == self.current().scope() {
                continue;
            }
            out.extend(
                self.keymap
                    .bindings
                    .iter()
                    .filter(|b| b.scope == s && b.hint)
                    .map(|b| Hint::on(b.action)),
            );
        }
        out
    }

    pub fn editing(&self) -> bool {
        self.modal.is_none() && self.current().editing()
    }

    /// A key: global keys first, then the open dialog owns it, else the key table, else it is
    /// typed into the field being edited.
    pub fn on_key(&mut self, ev: KeyEvent) -> Vec<Effect> {
        let key = Key::from_event(&ev);
        if let Some(k) = key
            && let Some(a @ (Action::ForceQuit | Action::Suspend)) =
                self.keymap.lookup(k, &[Scope::Global])
        {
            return self.on_action(a);
        }
        if let Some(m) = &mut self.modal {
            let action = key.and_then(|k| self.keymap.lookup(k, &m.scopes()));
            let (out, effects) = m.on_key(ev, action, &mut self.shared);
            return self.after_modal(out, effects);
        }
        if let Some(k) = key
            && let Some(a) = self.keymap.lookup(k, &self.scopes())
        {
            return self.on_action(a);
        }
        if self.current().editing() {
            let tab = self.tab;
            self.tabs.get_mut(tab).on_text(ev, &self.shared);
        }
        vec![]
    }

    fn after_modal(&mut self, out: ModalOut, effects: Vec<Effect>) -> Vec<Effect> {
        match out {
            ModalOut::Keep => {}
            ModalOut::Close => self.modal = None,
            ModalOut::Quit => self.quit = true,
            ModalOut::Replace(m) => self.modal = Some(*m),
            ModalOut::Goto(tab, action) => {
                self.modal = None;
                self.goto(tab);
                let mut more = effects;
                more.extend(self.on_action(action));
                return more;
            }
        }
        effects
    }

    pub fn on_paste(&mut self, text: &str) {
        if let Some(m) = &mut self.modal {
            m.on_paste(text);
            return;
        }
        let tab = self.tab;
        self.tabs.get_mut(tab).on_paste(text, &self.shared);
    }

    /// Mouse (when enabled): click a tab or a list row, scroll to move.
    pub fn on_mouse(&mut self, ev: MouseEvent) -> Vec<Effect> {
        use crossterm::event::{MouseButton, MouseEventKind};
        match ev.kind {
            MouseEventKind::ScrollDown => self.on_action(Action::Down),
            MouseEventKind::ScrollUp => self.on_action(Action::Up),
            MouseEventKind::Down(MouseButton::Left) if self.modal.is_none() => {
                let hit = |r: &Rect| {
                    (r.x..r.x + r.width).contains(&ev.column)
                        && (r.y..r.y + r.height).contains(&ev.row)
                };
                if let Some((_, t)) = self.clicks.tabs.iter().find(|(r, _)| hit(r)) {
                    let t = *t;
                    self.goto(t);
                } else if let Some((top, n)) = self.clicks.body.rows
                    && ev.row >= top
                    && usize::from(ev.row - top) < n
                {
                    let tab = self.tab;
                    self.tabs
                        .get_mut(tab)
                        .on_click_row(usize::from(ev.row - top));
                }
                vec![]
            }
            _ => vec![],
        }
    }

    fn goto(&mut self, tab: Tab) {
        let from = self.tab;
        self.tabs.get_mut(from).on_leave();
        self.tab = tab;
    }

    fn open(&mut self, m: Modal) {
        self.modal = Some(m);
    }

    /// Carries out what a component asked for.
    fn apply(&mut self, outs: Vec<Out>) -> Vec<Effect> {
        let mut effects = Vec::new();
        for o in outs {
            match o {
                Out::Effect(e) => effects.push(e),
                Out::Open(m) => self.open(m),
                Out::Goto(t) => self.goto(t),
            }
        }
        effects
    }

    pub fn on_action(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::ForceQuit => self.quit = true,
            Action::Suspend => return vec![Effect::Suspend],
            _ if self.modal.is_some() => {
                // Actions sent directly (tests, mouse scroll) go to the dialog.
                if let Some(m) = &mut self.modal {
                    let ev = KeyEvent::from(crossterm::event::KeyCode::Null);
                    let (out, effects) = m.on_key(ev, Some(action), &mut self.shared);
                    return self.after_modal(out, effects);
                }
            }
            Action::Quit => {
                if self.tabs.dirty() {
                    self.open(Modal::ConfirmQuit);
                } else {
                    self.quit = true;
                }
            }
            Action::Help => self.open(Modal::Help { scroll: 0 }),
            Action::Doctor => {
                self.open(Modal::Doctor(Box::default()));
                return vec![Effect::Doctor];
            }
            Action::History => {
                self.open(Modal::History(Default::default()));
                return vec![Effect::LoadHistory];
            }
            Action::NextTab => self.goto(Tab::ALL[(self.tab.index() + 1) % 4]),
            Action::PrevTab => self.goto(Tab::ALL[(self.tab.index() + 3) % 4]),
            Action::GotoCertificate => self.goto(Tab::Certificate),
            Action::GotoAccount => self.goto(Tab::Account),
            Action::GotoCloud => self.goto(Tab::Cloud),
            Action::GotoReplication => self.goto(Tab::Replication),
            Action::Refresh => {
                self.shared.loading = true;
                return vec![
                    Effect::RetryCredentials,
                    Effect::Load,
                    Effect::MonitorRefresh,
                ];
            }
            Action::Back if !self.current().editing() => {
                if self.shared.busy.is_some() {
                    // The runtime answers with what it could stop (Msg::Cancelled).
                    return vec![Effect::Cancel];
                }
                if self.shared.loading {
                    self.shared.loading = false;
                    self.shared.info("stopped reading AEM; r reads again");
                    return vec![Effect::CancelLoad];
                }
                self.shared.notice = None;
            }
            other => {
                let tab = self.tab;
                let outs = self.tabs.get_mut(tab).on_action(other, &mut self.shared);
                return self.apply(outs);
            }
        }
        vec![]
    }

    /// Applies a background result.
    pub fn on_msg(&mut self, msg: Msg) -> Vec<Effect> {
        if msg.ends_operation() {
            self.shared.busy = None;
            self.shared.busy_note = None;
        }
        match msg {
            Msg::Loaded(..)
            | Msg::Explained(..)
            | Msg::Doctor(_)
            | Msg::Monitor(_)
            | Msg::Log(..)
            | Msg::Tested(..) => self.on_read(msg),
            Msg::UpgradePlanned(_)
            | Msg::CredentialFetched(_)
            | Msg::MigrationPlanned(_)
            | Msg::UpdatePlanned(..) => self.on_plan(msg),
            _ => self.on_done(msg),
        }
    }

    /// What a read brought: the integration, a cause, the doctor, a poll, a log, a test.
    fn on_read(&mut self, msg: Msg) -> Vec<Effect> {
        let cx = &mut self.shared;
        match msg {
            Msg::Loaded(generation, r) => {
                // A read that started before the one shown is older news: dropped.
                if generation <= self.read_generation {
                    return vec![];
                }
                self.read_generation = generation;
                return self.on_loaded(r);
            }
            Msg::Explained(agent, cause) => self.tabs.replication.on_explained(&agent, cause),
            Msg::Doctor(report) => {
                if let Some(Modal::Doctor(d)) = &mut self.modal {
                    d.set(report);
                }
            }
            Msg::Monitor(s) => {
                let now = cx.now_ms();
                let agent = s.agent.clone();
                let effects = self.tabs.replication.on_monitor(s, now);
                // The Clear dialog says how many items go: keep that figure live.
                if let Some(Modal::ClearQueue(c)) = &mut self.modal
                    && c.agent == agent
                    && let Some(n) = self.tabs.replication.pending(&agent, &self.shared)
                {
                    c.pending = n;
                }
                return effects;
            }
            Msg::Log(agent, r) => {
                if let Some(Modal::Log(l)) = &mut self.modal
                    && l.agent == agent
                {
                    return l.set(r);
                }
            }
            Msg::Tested(id, r) => return self.tabs.replication.on_tested(id, r, cx),
            _ => {}
        }
        vec![]
    }

    /// A plan to show in its dialog (nothing changed yet).
    fn on_plan(&mut self, msg: Msg) -> Vec<Effect> {
        let cx = &mut self.shared;
        match msg {
            Msg::UpgradePlanned(r) => {
                if let Some(Modal::Upgrade(u)) = &mut self.modal {
                    match r {
                        Ok(p) => u.preview = Some(p),
                        Err(e) => u.error = Some(e),
                    }
                }
            }
            Msg::CredentialFetched(r) => {
                if let Some(Modal::Migrate(d)) = &mut self.modal {
                    match r {
                        Ok(c) => d.fill(&c),
                        Err(e) => d.error = Some(e),
                    }
                }
            }
            Msg::MigrationPlanned(r) => {
                if let Some(Modal::Migrate(d)) = &mut self.modal {
                    d.planned(r);
                }
            }
            Msg::UpdatePlanned(r, secret) => {
                // Asked from the Account tab's form or the Certificate tab's rotation: the same
                // typed-word dialog; a refusal goes by the Account form's fields, else a notice.
                cx.busy = None;
                match r {
                    Ok(plan) => {
                        return self
                            .apply(vec![super::tabs::account_life::update_dialog(plan, secret)]);
                    }
                    Err(e) if self.tab == Tab::Account => {
                        self.tabs.account.form.errors = vec![e.message];
                    }
                    Err(e) => cx.error(e.message),
                }
            }
            _ => {}
        }
        vec![]
    }

    /// An operation ended (or was cancelled): say how, and read again what it changed.
    fn on_done(&mut self, msg: Msg) -> Vec<Effect> {
        let cx = &mut self.shared;
        match msg {
            Msg::ClosedConnection(r) => {
                match r {
                    Ok(done) => cx.success(format!(
                        "Close Connection set on {} (backup: {})",
                        done.changed.join(", "),
                        done.backup
                            .as_ref()
                            .map(|b| b.display().to_string())
                            .unwrap_or_default()
                    )),
                    Err(e) => cx.error(e.message),
                }
                // The doctor again, to show the result.
                if self.modal.is_none() {
                    self.modal = Some(Modal::Doctor(Box::default()));
                }
                return vec![Effect::Load, Effect::Doctor];
            }
            Msg::BundleWritten(r) => match r {
                Ok(p) => cx.success(format!("support bundle written to {}", p.display())),
                Err(e) => cx.error(e.message),
            },
            Msg::Published(r) => match r {
                Ok(n) => cx.success(format!(
                    "{} published in the sandbox: watch them go through the four queues",
                    crate::words::count(n, "sample asset", "sample assets")
                )),
                Err(e) => cx.error(e.message),
            },
            Msg::Cancelled(c) => match c {
                Cancelled::Stopped => {
                    cx.busy = None;
                    cx.busy_note = None;
                    cx.info("cancelled");
                }
                Cancelled::AfterThisStep => {
                    cx.busy_note = Some(
                        "stopping after the step in progress; then it says what was done and how to undo or complete it".into(),
                    );
                }
                Cancelled::MustFinish => {
                    cx.busy_note = Some(
                        "cannot stop half-way (one configuration, several requests): it finishes and reports".into(),
                    );
                }
            },
            Msg::History(r) => {
                if let Some(Modal::History(h)) = &mut self.modal {
                    h.read = Some(r);
                }
            }
            Msg::CertCreated(r) => return self.tabs.certificate.on_created(r, cx),
            Msg::ConsoleFetched(r) => {
                let outs = self.tabs.account.on_console(r, cx);
                return self.apply(outs);
            }
            Msg::AccountCreated(r) => return self.tabs.account.on_created(r, cx),
            Msg::Health(r) => {
                let aem_checked = r
                    .as_ref()
                    .is_ok_and(|h| h.aem.state != crate::setup::account::VerdictState::Skipped);
                self.tabs.account.on_health(r, cx);
                // AEM's verdict is remembered: read again so the tab bar shows it.
                if aem_checked {
                    cx.loading = true;
                    return vec![Effect::Load];
                }
            }
            Msg::CloudCreated(r) => return self.tabs.cloud.on_created(r, cx),
            Msg::QueueDone(agent, op, r) => {
                let mut effects = self.tabs.replication.on_queue_done(&agent, op, r, cx);
                // A fix the doctor applied: its report again, now that the queue has answered.
                if let Some(Modal::Doctor(d)) = &mut self.modal {
                    d.read_again();
                    effects.push(Effect::Doctor);
                }
                return effects;
            }
            Msg::AccountChanged(r, what) => {
                self.tabs.account.on_changed(r, what, cx);
                self.tabs.certificate.form.mark_clean();
                cx.loading = true;
                return vec![Effect::Load];
            }
            Msg::Migrated(r) => {
                self.tabs.account.on_migrated(r, cx);
                cx.loading = true;
                // Read again once the retried queues had a moment to drain.
                return vec![
                    Effect::Load,
                    Effect::MonitorRefresh,
                    Effect::LoadLater(std::time::Duration::from_secs(3)),
                ];
            }
            Msg::UpgradeDone(r) => {
                if matches!(self.modal, Some(Modal::Upgrade(_))) {
                    self.modal = None;
                }
                match r {
                    Ok(done) => {
                        cx.success(format!(
                            "old integration backed up to {} and removed; now configure anew",
                            done.backup_dir.display()
                        ));
                        self.guided = true;
                    }
                    Err(e) => cx.error(e.message),
                }
                cx.loading = true;
                return vec![Effect::Load];
            }
            _ => {}
        }
        vec![]
    }

    fn on_loaded(
        &mut self,
        r: super::effect::UiResult<Box<crate::setup::Integration>>,
    ) -> Vec<Effect> {
        let cx = &mut self.shared;
        cx.loading = false;
        match r {
            Ok(s) => {
                cx.load_error = None;
                self.load_failures = 0;
                self.tabs.replication.on_snapshot(&s);
                self.tabs.cloud.on_snapshot(&s);
                self.tabs.account.on_snapshot(&s);
                let first = s.first_incomplete();
                let legacy_only = s.legacy_only();
                cx.snapshot = Some(*s);
                if self.guided {
                    self.guided = false;
                    if legacy_only {
                        // The old integration goes first; every other step follows it.
                        self.goto(Tab::Cloud);
                        let upgrade = if self.shared.read_only {
                            "run the upgrade first (it is off in read-only mode)"
                        } else {
                            "press u to upgrade it first; the other steps follow"
                        };
                        self.shared.info(format!(
                            "this author has only a legacy Brand Portal integration (/etc/cloudservices): {upgrade}"
                        ));
                    } else {
                        self.goto(first.map(Tab::from_step).unwrap_or(Tab::Replication));
                    }
                }
                vec![]
            }
            Err(e) => {
                let retry = e.class.retry();
                cx.load_error = Some(e);
                self.load_failures = self.load_failures.saturating_add(1);
                // One policy with the pollers: rejected credentials are never retried by
                // themselves (lockout policies), the author coming back is backed off, the rest
                // retried slowly.
                match retry.delay(
                    self.load_failures,
                    std::time::Duration::from_secs(2),
                    std::time::Duration::from_secs(60),
                ) {
                    Some(wait) => {
                        cx.loading = true;
                        vec![Effect::LoadLater(wait)]
                    }
                    None => vec![],
                }
            }
        }
    }

    /// The agents the monitor should poll now: the tenant's, while the Replication tab shows.
    pub fn wanted_monitor(&self) -> Vec<String> {
        if self.tab != Tab::Replication {
            return vec![];
        }
        self.tabs.replication.wanted(&self.shared)
    }

    pub fn step_status(&self, tab: Tab) -> Option<StepStatus> {
        self.shared
            .snapshot
            .as_ref()
            .map(|s| s.step(tab.step()).status)
    }

    /// Something on screen moves (spinner).
    pub fn animating(&self) -> bool {
        self.shared.busy.is_some() || self.shared.loading || self.tabs.replication.testing()
    }
}
