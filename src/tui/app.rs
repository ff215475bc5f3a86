//! The application state and its transitions. Keys arrive as [`Action`]s, background results as
//! [`Msg`]s; both return [`Effect`]s for the runtime to carry out. No I/O happens here, so every
//! transition is testable.

use super::action::{Action, Key, Keymap, Scope};
use super::widgets::TextInput;
use crate::aem::agents::{LogLine, TestResult};
use crate::aem::queue::QueueState;
use crate::ims::certificate::CertInfo;
use crate::ims::payload::PROD_IMS;
use crate::monitor::{AlertRules, MonitorModel, Snapshot};
use crate::setup::snapshot::AuthType;
use crate::setup::{Integration, StepId, StepStatus};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use secrecy::{SecretSlice, SecretString};
use std::collections::HashMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tab {
    Certificate,
    Account,
    Cloud,
    Replication,
}

impl Tab {
    pub const ALL: [Tab; 4] = [Tab::Certificate, Tab::Account, Tab::Cloud, Tab::Replication];
    pub fn step(self) -> StepId {
        match self {
            Tab::Certificate => StepId::Certificate,
            Tab::Account => StepId::Account,
            Tab::Cloud => StepId::CloudService,
            Tab::Replication => StepId::Replication,
        }
    }
    pub fn from_step(s: StepId) -> Tab {
        match s {
            StepId::Certificate => Tab::Certificate,
            StepId::Account => Tab::Account,
            StepId::CloudService => Tab::Cloud,
            StepId::Replication => Tab::Replication,
        }
    }
    pub fn index(self) -> usize {
        Tab::ALL.iter().position(|t| *t == self).unwrap_or(0)
    }
    pub fn title(self) -> &'static str {
        self.step().title()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Normal,
    Editing,
    Help,
    ConfirmQuit,
    /// Typing the agent id to confirm a queue clear.
    ConfirmClear,
    /// The upgrade plan, waiting for `upgrade` to be typed.
    Upgrade,
    /// The agent log pane.
    Log,
}

/// A queue command from the monitor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueueOp {
    ForceRetry,
    Pause,
    Resume,
    Clear,
}

impl QueueOp {
    pub fn label(self) -> &'static str {
        match self {
            QueueOp::ForceRetry => "force retry",
            QueueOp::Pause => "pause",
            QueueOp::Resume => "resume",
            QueueOp::Clear => "clear",
        }
    }
}

#[derive(Clone, Debug)]
pub struct ClearConfirm {
    pub agent: String,
    pub pending: u64,
    pub typed: String,
}

/// The upgrade as the modal shows it.
#[derive(Clone, Debug)]
pub struct UpgradeView {
    pub plan: Option<crate::setup::upgrade::Plan>,
    pub busy: Vec<crate::setup::upgrade::BusyAgent>,
    /// An interrupted upgrade's journal folder, when resuming.
    pub resume: Option<String>,
    pub error: Option<String>,
    pub typed: String,
}

#[derive(Clone, Debug)]
pub struct LogPane {
    pub agent: String,
    pub lines: Option<Result<Vec<LogLine>, String>>,
    pub scroll: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FieldId {
    CertAlias,
    CertDays,
    KeystorePassword,
    Title,
    AuthType,
    AuthServer,
    ApiKey,
    Secret,
    Payload,
    KeyAlias,
    Scopes,
    OrgId,
    CloudTitle,
    CloudIms,
    ServiceUrl,
}

impl FieldId {
    pub fn label(self) -> &'static str {
        match self {
            FieldId::CertAlias => "Alias",
            FieldId::CertDays => "Validity (days)",
            FieldId::KeystorePassword => "New keystore password",
            FieldId::Title => "Title",
            FieldId::AuthType => "Authentication",
            FieldId::AuthServer => "Authorization Server",
            FieldId::ApiKey => "API key",
            FieldId::Secret => "Client secret",
            FieldId::Payload => "JWT payload",
            FieldId::KeyAlias => "Key alias",
            FieldId::Scopes => "Scopes",
            FieldId::OrgId => "Organization id",
            FieldId::CloudTitle => "Title",
            FieldId::CloudIms => "IMS configuration",
            FieldId::ServiceUrl => "Service URL",
        }
    }
    /// Fields chosen with Enter rather than typed.
    pub fn is_choice(self) -> bool {
        matches!(self, FieldId::AuthType | FieldId::CloudIms)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ButtonId {
    CreateCertificate,
    CreateAccount,
    CheckHealth,
    CreateCloud,
}

impl ButtonId {
    pub fn label(self) -> &'static str {
        match self {
            ButtonId::CreateCertificate => "Create new certificate",
            ButtonId::CreateAccount => "Create",
            ButtonId::CheckHealth => "Check Health",
            ButtonId::CreateCloud => "Create",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Item {
    Field(FieldId),
    Button(ButtonId),
}

/// What the sandbox's Console handed out.
#[derive(Clone, Debug)]
pub struct ConsoleCreds {
    pub api_key: String,
    pub client_secret: SecretString,
    pub payload: String,
    pub oauth_client_id: String,
    pub oauth_secret: SecretString,
    pub scopes: String,
    pub org_id: String,
}

#[derive(Debug)]
pub struct CertDone {
    pub alias: String,
    pub changed: bool,
    pub path: Option<String>,
    pub info: Option<CertInfo>,
    pub pem: Option<String>,
    pub key: Option<SecretSlice<u8>>,
    pub existing_not_after: Option<String>,
}

#[derive(Clone, Debug)]
pub struct HealthSummary {
    pub healthy: bool,
    pub message: String,
    pub expires_in_secs: Option<u64>,
    pub method: String,
}

#[derive(Clone, Debug)]
pub enum TestState {
    Running,
    Done(TestResult),
    Failed(String),
}

/// Results of background work.
#[derive(Debug)]
pub enum Msg {
    Loaded(Result<Box<Integration>, String>),
    CertCreated(Result<CertDone, String>),
    ConsoleFetched(Result<ConsoleCreds, String>),
    AccountCreated(Result<(String, bool), String>),
    Health(Result<HealthSummary, String>),
    CloudCreated(Result<(String, usize, bool), String>),
    Tested(String, Result<TestResult, String>),
    Monitor(Snapshot),
    Log(String, Result<Vec<LogLine>, String>),
    QueueDone(String, QueueOp, Result<(), String>),
    UpgradePlanned(Result<UpgradeView, String>),
    /// The backup folder, when done.
    UpgradeDone(Result<String, String>),
}

/// What the account form submits. The secret stays a secret.
#[derive(Debug)]
pub struct AccountForm {
    pub title: String,
    pub api_key: String,
    pub secret: SecretString,
    pub auth_type: AuthType,
    pub auth_server: String,
    pub payload: String,
    pub alias: String,
    pub scopes: String,
    pub org_id: String,
}

/// Work for the runtime.
#[derive(Debug)]
pub enum Effect {
    Load,
    /// Read AEM again after a pause (after a failed read).
    LoadLater(std::time::Duration),
    CreateCertificate {
        alias: String,
        days: u32,
        keystore_password: Option<SecretString>,
    },
    FetchConsole {
        cert_pem: String,
    },
    CreateAccount(Box<AccountForm>),
    CheckHealth {
        key: Option<SecretSlice<u8>>,
        secret: Option<SecretString>,
        tenant: Option<String>,
    },
    CreateCloud {
        title: String,
        service_url: String,
        ims: Option<String>,
    },
    Test(Vec<String>),
    /// Poll now.
    MonitorRefresh,
    FetchLog(String),
    Queue(String, QueueOp),
    PlanUpgrade,
    RunUpgrade {
        resume: Option<String>,
    },
    Cancel,
    Suspend,
    /// The terminal bell, for a new alert.
    Bell,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoticeKind {
    Info,
    Success,
    Error,
}

#[derive(Clone, Debug)]
pub struct Notice {
    pub kind: NoticeKind,
    pub text: String,
}

/// Static facts shown in the header.
#[derive(Clone, Debug, Default)]
pub struct HeaderInfo {
    pub url: String,
    pub user: String,
    pub ims_url: String,
    pub sandbox: bool,
    pub insecure: bool,
}

pub struct App {
    pub header: HeaderInfo,
    pub keymap: Keymap,
    pub tab: Tab,
    pub mode: Mode,
    pub snapshot: Option<Integration>,
    pub load_error: Option<String>,
    pub loading: bool,
    pub busy: Option<String>,
    pub tick: u64,
    pub notice: Option<Notice>,
    pub inputs: HashMap<FieldId, TextInput>,
    pub auth_type: AuthType,
    pub cloud_ims: usize,
    pub focus: HashMap<Tab, usize>,
    pub form_errors: Vec<String>,
    pub cert_result: Option<CertDone>,
    pub generated_pem: Option<String>,
    pub generated_key: Option<(String, SecretSlice<u8>)>,
    pub console: Option<ConsoleCreds>,
    pub health: Option<HealthSummary>,
    pub tests: HashMap<String, TestState>,
    pub agent_sel: usize,
    pub help_scroll: u16,
    pub guided: bool,
    pub dirty_form: bool,
    pub quit: bool,
    pub monitor: MonitorModel,
    pub frozen: bool,
    pub read_only: bool,
    pub confirm_clear: Option<ClearConfirm>,
    pub upgrade: Option<UpgradeView>,
    /// Failed reads in a row (for the retry back-off).
    pub load_failures: u32,
    pub log: Option<LogPane>,
    /// Seconds between polls, for display.
    pub poll_secs: f64,
    /// A fixed clock (epoch ms) for reproducible rendering; None = the real time.
    pub clock: Option<i64>,
    /// Ring the terminal bell on new alerts.
    pub bell: bool,
    pub alerted: std::collections::HashSet<(Option<String>, crate::monitor::AlertKind)>,
    /// Screen row of the first agent in the Replication table, set while drawing (mouse).
    pub agent_rows_y: std::cell::Cell<Option<u16>>,
}

/// Column ranges of the tab bar's entries, as `ui` draws them: `[start, end)` per tab.
pub fn tab_columns() -> Vec<(u16, u16, Tab)> {
    let mut x = 1u16;
    let mut out = Vec::new();
    for (i, t) in Tab::ALL.iter().enumerate() {
        let w = format!(" {} ", i + 1).len() as u16 + 1 + t.title().len() as u16 + 2;
        out.push((x, x + w, *t));
        x += w + 3;
    }
    out
}

impl App {
    pub fn new(header: HeaderInfo, keymap: Keymap) -> Self {
        let mut inputs = HashMap::new();
        inputs.insert(FieldId::CertAlias, TextInput::new("brandportal"));
        inputs.insert(FieldId::CertDays, TextInput::new("365"));
        inputs.insert(FieldId::KeystorePassword, TextInput::masked());
        inputs.insert(FieldId::Title, TextInput::new("Brand Portal"));
        inputs.insert(FieldId::AuthServer, TextInput::new(&format!("{PROD_IMS}/")));
        inputs.insert(FieldId::ApiKey, TextInput::default());
        inputs.insert(FieldId::Secret, TextInput::masked());
        inputs.insert(FieldId::Payload, TextInput::multiline());
        inputs.insert(FieldId::KeyAlias, TextInput::new("brandportal"));
        inputs.insert(FieldId::Scopes, TextInput::default());
        inputs.insert(FieldId::OrgId, TextInput::default());
        inputs.insert(FieldId::CloudTitle, TextInput::new("Brand Portal"));
        inputs.insert(FieldId::ServiceUrl, TextInput::default());
        App {
            header,
            keymap,
            tab: Tab::Certificate,
            mode: Mode::Normal,
            snapshot: None,
            load_error: None,
            loading: true,
            busy: None,
            tick: 0,
            notice: None,
            inputs,
            auth_type: AuthType::Jwt,
            cloud_ims: 0,
            focus: HashMap::new(),
            form_errors: Vec::new(),
            cert_result: None,
            generated_pem: None,
            generated_key: None,
            console: None,
            health: None,
            tests: HashMap::new(),
            agent_sel: 0,
            help_scroll: 0,
            guided: true,
            dirty_form: false,
            quit: false,
            agent_rows_y: std::cell::Cell::new(None),
            monitor: MonitorModel::new(&[], AlertRules::default()),
            frozen: false,
            read_only: false,
            confirm_clear: None,
            upgrade: None,
            load_failures: 0,
            log: None,
            poll_secs: 2.0,
            clock: None,
            bell: false,
            alerted: Default::default(),
        }
    }

    pub fn input(&self, f: FieldId) -> &str {
        self.inputs.get(&f).map(TextInput::value).unwrap_or("")
    }

    fn set_input(&mut self, f: FieldId, v: &str) {
        self.inputs.entry(f).or_default().set(v);
    }

    /// Whether an IMS configuration exists (then the account form is replaced by it).
    pub fn existing_account(&self) -> bool {
        self.snapshot
            .as_ref()
            .is_some_and(|s| !s.ims_configs.is_empty())
    }

    /// Focusable items of the current tab, in order.
    pub fn items(&self, tab: Tab) -> Vec<Item> {
        use FieldId::*;
        match tab {
            Tab::Certificate => {
                let mut v = vec![Item::Field(CertAlias), Item::Field(CertDays)];
                if self.snapshot.as_ref().is_some_and(|s| !s.keystore.exists) {
                    v.push(Item::Field(KeystorePassword));
                }
                v.push(Item::Button(ButtonId::CreateCertificate));
                v
            }
            Tab::Account if self.existing_account() => {
                vec![Item::Field(Secret), Item::Button(ButtonId::CheckHealth)]
            }
            Tab::Account => {
                let mut v = vec![
                    Item::Field(Title),
                    Item::Field(AuthType),
                    Item::Field(ApiKey),
                    Item::Field(Secret),
                ];
                match self.auth_type {
                    crate::setup::snapshot::AuthType::Jwt => {
                        v.extend([
                            Item::Field(AuthServer),
                            Item::Field(Payload),
                            Item::Field(KeyAlias),
                        ]);
                    }
                    crate::setup::snapshot::AuthType::OauthServerToServer => {
                        v.extend([Item::Field(Scopes), Item::Field(OrgId)])
                    }
                }
                v.extend([
                    Item::Button(ButtonId::CreateAccount),
                    Item::Button(ButtonId::CheckHealth),
                ]);
                v
            }
            Tab::Cloud => vec![
                Item::Field(CloudTitle),
                Item::Field(CloudIms),
                Item::Field(ServiceUrl),
                Item::Button(ButtonId::CreateCloud),
            ],
            Tab::Replication => vec![],
        }
    }

    pub fn focused(&self) -> Option<Item> {
        let items = self.items(self.tab);
        let i = self.focus.get(&self.tab).copied().unwrap_or(0);
        items.get(i.min(items.len().saturating_sub(1))).copied()
    }

    fn move_focus(&mut self, delta: isize) {
        let n = self.items(self.tab).len();
        if n == 0 {
            return;
        }
        let cur = self.focus.get(&self.tab).copied().unwrap_or(0).min(n - 1) as isize;
        let next = (cur + delta).rem_euclid(n as isize) as usize;
        self.focus.insert(self.tab, next);
    }

    /// Scopes active now, most specific first.
    pub fn scopes(&self) -> Vec<Scope> {
        match self.mode {
            Mode::Editing | Mode::ConfirmClear | Mode::Upgrade => {
                vec![Scope::Global, Scope::Editing]
            }
            Mode::Log => vec![Scope::Global, Scope::Pane],
            _ => {
                let mut s = vec![Scope::Global];
                match self.tab {
                    Tab::Account => s.push(Scope::Account),
                    Tab::Replication => s.push(Scope::Replication),
                    Tab::Cloud => s.push(Scope::Cloud),
                    _ => {}
                }
                s.push(Scope::Normal);
                s
            }
        }
    }

    /// Turns a key into an action, or types it into the field being edited.
    pub fn on_key(&mut self, ev: KeyEvent) -> Vec<Effect> {
        if matches!(self.mode, Mode::ConfirmClear | Mode::Upgrade)
            && let Some(key) = Key::from_event(&ev)
            && let Some(action) = self.keymap.lookup(key, &self.scopes())
        {
            return self.on_action(action);
        }
        if matches!(self.mode, Mode::ConfirmClear | Mode::Upgrade) {
            return self.on_clear_key(ev);
        }
        if self.mode == Mode::ConfirmQuit {
            match ev.code {
                KeyCode::Char('y') | KeyCode::Char('Y') => self.quit = true,
                _ => self.mode = Mode::Normal,
            }
            return vec![];
        }
        if let Some(key) = Key::from_event(&ev)
            && let Some(action) = self.keymap.lookup(key, &self.scopes())
        {
            return self.on_action(action);
        }
        if self.mode == Mode::Help {
            self.mode = Mode::Normal;
            return vec![];
        }
        if self.mode == Mode::Editing
            && let Some(Item::Field(f)) = self.focused()
            && let Some(input) = self.inputs.get_mut(&f)
        {
            let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
            match ev.code {
                KeyCode::Char('u') if ctrl => input.clear(),
                KeyCode::Char(c) if !ctrl => input.insert(c),
                KeyCode::Backspace => input.backspace(),
                KeyCode::Delete => input.delete(),
                KeyCode::Left => input.left(),
                KeyCode::Right => input.right(),
                KeyCode::Home => input.home(),
                KeyCode::End => input.end(),
                _ => return vec![],
            }
            self.dirty_form = true;
        }
        vec![]
    }

    /// Mouse (when enabled): click a tab or an agent row, scroll to move.
    pub fn on_mouse(&mut self, ev: crossterm::event::MouseEvent) -> Vec<Effect> {
        use crossterm::event::{MouseButton, MouseEventKind};
        match ev.kind {
            MouseEventKind::ScrollDown => self.on_action(Action::Down),
            MouseEventKind::ScrollUp => self.on_action(Action::Up),
            MouseEventKind::Down(MouseButton::Left) => {
                if ev.row == 1 {
                    if let Some((_, _, t)) = tab_columns()
                        .into_iter()
                        .find(|(a, b, _)| (*a..*b).contains(&ev.column))
                    {
                        self.goto(t);
                    }
                } else if self.tab == Tab::Replication
                    && let Some(top) = self.agent_rows_y.get()
                    && ev.row >= top
                {
                    let n = self.snapshot.as_ref().map(|s| s.agents.len()).unwrap_or(0);
                    let i = (ev.row - top) as usize;
                    if i < n {
                        self.agent_sel = i;
                    }
                }
                vec![]
            }
            _ => vec![],
        }
    }

    fn scroll_log(&mut self, delta: isize) {
        if let Some(l) = &mut self.log {
            let n = l
                .lines
                .as_ref()
                .and_then(|r| r.as_ref().ok())
                .map(Vec::len)
                .unwrap_or(0);
            l.scroll = (l.scroll as isize + delta).clamp(0, n.saturating_sub(1) as isize) as usize;
        }
    }

    fn on_clear_key(&mut self, ev: KeyEvent) -> Vec<Effect> {
        let typed = match (&mut self.confirm_clear, &mut self.upgrade) {
            (Some(c), _) if self.mode == Mode::ConfirmClear => &mut c.typed,
            (_, Some(u)) if self.mode == Mode::Upgrade => &mut u.typed,
            _ => {
                self.mode = Mode::Normal;
                return vec![];
            }
        };
        match ev.code {
            KeyCode::Backspace => {
                typed.pop();
            }
            KeyCode::Char(ch) if !ev.modifiers.contains(KeyModifiers::CONTROL) => typed.push(ch),
            _ => {}
        }
        vec![]
    }

    fn confirm_upgrade_now(&mut self) -> Vec<Effect> {
        let Some(u) = &self.upgrade else {
            return vec![];
        };
        let ready = u.typed == "upgrade"
            && u.busy.is_empty()
            && u.error.is_none()
            && (u.plan.is_some() || u.resume.is_some());
        if !ready {
            return vec![];
        }
        let resume = u.resume.clone();
        self.mode = Mode::Normal;
        self.busy = Some("backing up and deleting the old integration".into());
        vec![Effect::RunUpgrade { resume }]
    }

    fn confirm_clear_now(&mut self) -> Vec<Effect> {
        let Some(c) = self.confirm_clear.take() else {
            return vec![];
        };
        if c.typed != c.agent {
            self.confirm_clear = Some(c);
            return vec![];
        }
        self.mode = Mode::Normal;
        self.busy = Some(format!("clearing the queue of {}", c.agent));
        vec![Effect::Queue(c.agent, QueueOp::Clear)]
    }

    pub fn now_ms(&self) -> i64 {
        self.clock
            .unwrap_or_else(|| chrono::Utc::now().timestamp_millis())
    }

    /// The agents the monitor should poll now: the tenant's, while the Replication tab shows.
    pub fn wanted_monitor(&self) -> Vec<String> {
        if self.tab != Tab::Replication {
            return vec![];
        }
        self.snapshot
            .as_ref()
            .map(|s| s.agents.iter().map(|a| a.info.id.clone()).collect())
            .unwrap_or_default()
    }

    fn selected_agent(&self) -> Option<String> {
        self.snapshot
            .as_ref()
            .and_then(|s| s.agents.get(self.agent_sel))
            .map(|a| a.info.id.clone())
    }

    /// The live state of an agent's queue: the monitor's, else the snapshot's.
    pub fn queue_state(&self, id: &str) -> Option<QueueState> {
        self.monitor
            .agents
            .get(id)
            .and_then(|h| h.latest.as_ref().map(|v| v.state))
            .or_else(|| {
                self.snapshot
                    .as_ref()?
                    .agents
                    .iter()
                    .find(|a| a.info.id == id)?
                    .queue
                    .as_ref()
                    .map(|q| q.state())
            })
    }

    pub fn pending(&self, id: &str) -> Option<u64> {
        self.monitor
            .agents
            .get(id)
            .and_then(|h| h.pending())
            .or_else(|| {
                self.snapshot
                    .as_ref()?
                    .agents
                    .iter()
                    .find(|a| a.info.id == id)?
                    .depth
                    .map(|d| d.count)
            })
    }

    fn queue_action(&mut self, op: QueueOp) -> Vec<Effect> {
        if self.read_only {
            self.notice = Some(Notice {
                kind: NoticeKind::Info,
                text: "read-only mode: queue actions are off".into(),
            });
            return vec![];
        }
        let Some(id) = self.selected_agent() else {
            return vec![];
        };
        let op = match op {
            QueueOp::Pause if self.queue_state(&id) == Some(QueueState::Paused) => QueueOp::Resume,
            other => other,
        };
        if op == QueueOp::Clear {
            let pending = self.pending(&id).unwrap_or(0);
            self.confirm_clear = Some(ClearConfirm {
                agent: id,
                pending,
                typed: String::new(),
            });
            self.mode = Mode::ConfirmClear;
            return vec![];
        }
        vec![Effect::Queue(id, op)]
    }

    pub fn on_paste(&mut self, text: &str) {
        if let Some(Item::Field(f)) = self.focused()
            && !f.is_choice()
            && let Some(input) = self.inputs.get_mut(&f)
        {
            if self.mode != Mode::Editing {
                input.clear();
                self.mode = Mode::Editing;
            }
            input.paste(text);
            self.dirty_form = true;
        }
    }

    fn goto(&mut self, tab: Tab) {
        self.tab = tab;
        self.mode = Mode::Normal;
        self.form_errors.clear();
    }

    pub fn on_action(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::ForceQuit => {
                self.quit = true;
                vec![]
            }
            Action::Suspend => vec![Effect::Suspend],
            Action::Quit => {
                if self.dirty_form {
                    self.mode = Mode::ConfirmQuit;
                } else {
                    self.quit = true;
                }
                vec![]
            }
            Action::Help => {
                self.mode = if self.mode == Mode::Help {
                    Mode::Normal
                } else {
                    Mode::Help
                };
                vec![]
            }
            Action::NextTab => {
                self.goto(Tab::ALL[(self.tab.index() + 1) % 4]);
                vec![]
            }
            Action::PrevTab => {
                self.goto(Tab::ALL[(self.tab.index() + 3) % 4]);
                vec![]
            }
            Action::GotoCertificate => self.goto_effect(Tab::Certificate),
            Action::GotoAccount => self.goto_effect(Tab::Account),
            Action::GotoCloud => self.goto_effect(Tab::Cloud),
            Action::GotoReplication => self.goto_effect(Tab::Replication),
            Action::Up => {
                if self.mode == Mode::Help {
                    self.help_scroll = self.help_scroll.saturating_sub(1);
                } else if self.mode == Mode::Log {
                    self.scroll_log(-1);
                } else if self.tab == Tab::Replication {
                    self.agent_sel = self.agent_sel.saturating_sub(1);
                } else {
                    self.move_focus(-1);
                }
                vec![]
            }
            Action::Down => {
                if self.mode == Mode::Help {
                    self.help_scroll = self.help_scroll.saturating_add(1);
                } else if self.mode == Mode::Log {
                    self.scroll_log(1);
                } else if self.tab == Tab::Replication {
                    let n = self.snapshot.as_ref().map(|s| s.agents.len()).unwrap_or(0);
                    self.agent_sel = (self.agent_sel + 1).min(n.saturating_sub(1));
                } else {
                    self.move_focus(1);
                }
                vec![]
            }
            Action::NextField => {
                self.move_focus(1);
                self.begin_edit_if_text();
                vec![]
            }
            Action::PrevField => {
                self.move_focus(-1);
                self.begin_edit_if_text();
                vec![]
            }
            Action::Back => {
                if self.mode != Mode::Normal {
                    self.mode = Mode::Normal;
                    self.log = None;
                    self.confirm_clear = None;
                    self.upgrade = None;
                    vec![]
                } else if self.busy.is_some() {
                    self.busy = None;
                    self.notice = Some(Notice {
                        kind: NoticeKind::Info,
                        text: "cancelled".into(),
                    });
                    vec![Effect::Cancel]
                } else {
                    self.notice = None;
                    vec![]
                }
            }
            Action::Activate => self.activate(),
            Action::Refresh => {
                self.loading = true;
                vec![Effect::Load, Effect::MonitorRefresh]
            }
            Action::FetchConsole => self.fetch_console(),
            Action::CheckHealth => self.check_health(),
            Action::TestSelected => {
                let id = self
                    .snapshot
                    .as_ref()
                    .and_then(|s| s.agents.get(self.agent_sel))
                    .map(|a| a.info.id.clone());
                match id {
                    Some(id) => self.start_tests(vec![id]),
                    None => vec![],
                }
            }
            Action::Upgrade => {
                if self.read_only {
                    self.notice = Some(Notice {
                        kind: NoticeKind::Info,
                        text: "read-only mode: the upgrade is off".into(),
                    });
                    return vec![];
                }
                self.upgrade = Some(UpgradeView {
                    plan: None,
                    busy: vec![],
                    resume: None,
                    error: None,
                    typed: String::new(),
                });
                self.mode = Mode::Upgrade;
                vec![Effect::PlanUpgrade]
            }
            Action::Freeze => {
                self.frozen = !self.frozen;
                self.notice = Some(Notice {
                    kind: NoticeKind::Info,
                    text: if self.frozen {
                        "frozen: the screen keeps these figures until F again".into()
                    } else {
                        "live again".into()
                    },
                });
                vec![]
            }
            Action::ForceRetry => self.queue_action(QueueOp::ForceRetry),
            Action::PauseResume => self.queue_action(QueueOp::Pause),
            Action::ClearQueue => self.queue_action(QueueOp::Clear),
            Action::ShowLog => match self.selected_agent() {
                Some(id) => {
                    self.log = Some(LogPane {
                        agent: id.clone(),
                        lines: None,
                        scroll: 0,
                    });
                    self.mode = Mode::Log;
                    vec![Effect::FetchLog(id)]
                }
                None => vec![],
            },
            Action::TestAll => {
                let ids: Vec<String> = self
                    .snapshot
                    .as_ref()
                    .map(|s| s.agents.iter().map(|a| a.info.id.clone()).collect())
                    .unwrap_or_default();
                if ids.is_empty() {
                    self.notice = Some(Notice {
                        kind: NoticeKind::Error,
                        text: "no Brand Portal agents yet: create the cloud configuration first"
                            .into(),
                    });
                    return vec![];
                }
                self.start_tests(ids)
            }
        }
    }

    fn goto_effect(&mut self, tab: Tab) -> Vec<Effect> {
        self.goto(tab);
        vec![]
    }

    fn begin_edit_if_text(&mut self) {
        self.mode = match self.focused() {
            Some(Item::Field(f)) if !f.is_choice() => Mode::Editing,
            _ => Mode::Normal,
        };
    }

    fn start_tests(&mut self, ids: Vec<String>) -> Vec<Effect> {
        for id in &ids {
            self.tests.insert(id.clone(), TestState::Running);
        }
        vec![Effect::Test(ids)]
    }

    fn activate(&mut self) -> Vec<Effect> {
        if self.mode == Mode::ConfirmClear {
            return self.confirm_clear_now();
        }
        if self.mode == Mode::Upgrade {
            return self.confirm_upgrade_now();
        }
        if self.mode == Mode::Editing {
            // Enter ends editing and moves on.
            self.mode = Mode::Normal;
            self.move_focus(1);
            return vec![];
        }
        match self.focused() {
            Some(Item::Field(FieldId::AuthType)) => {
                self.auth_type = match self.auth_type {
                    AuthType::Jwt => AuthType::OauthServerToServer,
                    AuthType::OauthServerToServer => AuthType::Jwt,
                };
                self.fill_from_console();
                vec![]
            }
            Some(Item::Field(FieldId::CloudIms)) => {
                let n = self
                    .snapshot
                    .as_ref()
                    .map(|s| s.ims_configs.len())
                    .unwrap_or(0)
                    .max(1);
                self.cloud_ims = (self.cloud_ims + 1) % n;
                vec![]
            }
            Some(Item::Field(_)) => {
                self.mode = Mode::Editing;
                vec![]
            }
            Some(Item::Button(b)) => self.press(b),
            None => {
                if self.tab == Tab::Replication {
                    return self.on_action(Action::TestSelected);
                }
                vec![]
            }
        }
    }

    fn busy_with(&mut self, label: &str) -> bool {
        if let Some(b) = &self.busy {
            self.notice = Some(Notice {
                kind: NoticeKind::Info,
                text: format!("wait: {b} is still running (esc cancels)"),
            });
            return false;
        }
        self.busy = Some(label.to_string());
        self.form_errors.clear();
        true
    }

    fn press(&mut self, b: ButtonId) -> Vec<Effect> {
        if self.read_only && b != ButtonId::CheckHealth {
            self.notice = Some(Notice {
                kind: NoticeKind::Info,
                text: "read-only mode: nothing can be created".into(),
            });
            return vec![];
        }
        match b {
            ButtonId::CreateCertificate => {
                let alias = self.input(FieldId::CertAlias).trim().to_string();
                let days = match self.input(FieldId::CertDays).trim().parse::<u32>() {
                    Ok(d) if (1..=365).contains(&d) => d,
                    _ => {
                        self.form_errors =
                            vec!["validity must be a whole number of days from 1 to 365".into()];
                        return vec![];
                    }
                };
                if alias.is_empty() || alias.contains([' ', '/']) {
                    self.form_errors =
                        vec!["the alias must be one word without spaces or slashes".into()];
                    return vec![];
                }
                let needs_store = self.snapshot.as_ref().is_some_and(|s| !s.keystore.exists);
                let pw = self.input(FieldId::KeystorePassword).to_string();
                if needs_store && pw.len() < 6 {
                    self.form_errors = vec!["the service user has no keystore yet: enter a password of at least 6 characters for it".into()];
                    return vec![];
                }
                if !self.busy_with("creating the certificate") {
                    return vec![];
                }
                let keystore_password = needs_store.then(|| SecretString::from(pw));
                vec![Effect::CreateCertificate {
                    alias,
                    days,
                    keystore_password,
                }]
            }
            ButtonId::CreateAccount => {
                if self.existing_account() {
                    self.form_errors =
                        vec!["an IMS configuration already exists; Adobe allows only one".into()];
                    return vec![];
                }
                let form = AccountForm {
                    title: self.input(FieldId::Title).to_string(),
                    api_key: self.input(FieldId::ApiKey).to_string(),
                    secret: SecretString::from(self.input(FieldId::Secret).to_string()),
                    auth_type: self.auth_type,
                    auth_server: self.input(FieldId::AuthServer).to_string(),
                    payload: self.input(FieldId::Payload).to_string(),
                    alias: self.input(FieldId::KeyAlias).to_string(),
                    scopes: self.input(FieldId::Scopes).to_string(),
                    org_id: self.input(FieldId::OrgId).to_string(),
                };
                let errors = validate_account_form(&form);
                if !errors.is_empty() {
                    self.form_errors = errors;
                    return vec![];
                }
                if !self.busy_with("creating the IMS configuration") {
                    return vec![];
                }
                vec![Effect::CreateAccount(Box::new(form))]
            }
            ButtonId::CheckHealth => self.check_health(),
            ButtonId::CreateCloud => {
                let title = self.input(FieldId::CloudTitle).trim().to_string();
                let url = self.input(FieldId::ServiceUrl).trim().to_string();
                let mut errors = Vec::new();
                if title.is_empty() {
                    errors.push("the title is empty".to_string());
                }
                if let Err(e) = crate::aem::cloud::validate_tenant_url(&url) {
                    errors.push(e);
                }
                let ims = self
                    .snapshot
                    .as_ref()
                    .and_then(|s| s.ims_configs.get(self.cloud_ims))
                    .map(|c| c.pid.clone());
                if ims.is_none() {
                    errors.push(
                        "there is no IMS configuration yet: complete the Account step first".into(),
                    );
                }
                if !errors.is_empty() {
                    self.form_errors = errors;
                    return vec![];
                }
                if !self.busy_with("creating the cloud configuration and waiting for the agents") {
                    return vec![];
                }
                vec![Effect::CreateCloud {
                    title,
                    service_url: url,
                    ims,
                }]
            }
        }
    }

    fn fetch_console(&mut self) -> Vec<Effect> {
        if !self.header.sandbox {
            self.notice = Some(Notice { kind: NoticeKind::Info, text: "the Console step is done in the Adobe Developer Console; this key only works in the sandbox".into() });
            return vec![];
        }
        let Some(pem) = self.generated_pem.clone() else {
            self.notice = Some(Notice { kind: NoticeKind::Error, text: "create a certificate first (Certificate tab): the Console needs AEM-Adobe-IMS.crt".into() });
            return vec![];
        };
        if !self.busy_with("uploading the certificate to the Console") {
            return vec![];
        }
        vec![Effect::FetchConsole { cert_pem: pem }]
    }

    fn check_health(&mut self) -> Vec<Effect> {
        if !self.existing_account() {
            self.notice = Some(Notice {
                kind: NoticeKind::Error,
                text: "create the IMS configuration first".into(),
            });
            return vec![];
        }
        let cfg_alias = self
            .snapshot
            .as_ref()
            .and_then(|s| s.ims_configs.first())
            .and_then(|c| c.keypair_alias.clone());
        let key = match (&self.generated_key, cfg_alias) {
            (Some((alias, key)), Some(a)) if *alias == a => Some(key.clone()),
            _ => None,
        };
        let secret = (!self.input(FieldId::Secret).is_empty())
            .then(|| SecretString::from(self.input(FieldId::Secret).to_string()));
        if !self.busy_with("checking health") {
            return vec![];
        }
        self.health = None;
        let tenant = self.snapshot.as_ref().and_then(|s| s.tenant_url.clone());
        vec![Effect::CheckHealth {
            key,
            secret,
            tenant,
        }]
    }

    fn fill_from_console(&mut self) {
        use secrecy::ExposeSecret;
        let Some(c) = self.console.clone() else {
            return;
        };
        match self.auth_type {
            AuthType::Jwt => {
                self.set_input(FieldId::ApiKey, &c.api_key);
                self.set_input(FieldId::Secret, c.client_secret.expose_secret());
            }
            AuthType::OauthServerToServer => {
                self.set_input(FieldId::ApiKey, &c.oauth_client_id);
                self.set_input(FieldId::Secret, c.oauth_secret.expose_secret());
            }
        }
        self.set_input(FieldId::Payload, &c.payload);
        self.set_input(FieldId::Scopes, &c.scopes);
        self.set_input(FieldId::OrgId, &c.org_id);
    }

    /// Applies a background result.
    pub fn on_msg(&mut self, msg: Msg) -> Vec<Effect> {
        let ok = |app: &mut App, text: String| {
            app.notice = Some(Notice {
                kind: NoticeKind::Success,
                text,
            })
        };
        let err = |app: &mut App, text: String| {
            app.notice = Some(Notice {
                kind: NoticeKind::Error,
                text,
            })
        };
        match msg {
            Msg::Loaded(r) => {
                self.loading = false;
                match r {
                    Ok(s) => {
                        self.load_error = None;
                        let first = s.first_incomplete();
                        if let Some(t) = self
                            .tests
                            .keys()
                            .find(|k| !s.agents.iter().any(|a| &a.info.id == *k))
                            .cloned()
                        {
                            self.tests.remove(&t);
                        }
                        if self.tenant_default_needed(&s) {
                            self.set_input(
                                FieldId::ServiceUrl,
                                &s.tenant_url.clone().unwrap_or_default(),
                            );
                        }
                        self.snapshot = Some(*s);
                        let n = self.snapshot.as_ref().map(|s| s.agents.len()).unwrap_or(0);
                        self.agent_sel = self.agent_sel.min(n.saturating_sub(1));
                        if self.guided {
                            self.guided = false;
                            self.tab = first.map(Tab::from_step).unwrap_or(Tab::Replication);
                        }
                    }
                    Err(e) => {
                        self.load_error = Some(e);
                        // Try again by itself, backing off up to a minute.
                        self.load_failures = self.load_failures.saturating_add(1);
                        let secs = (2u64 << self.load_failures.min(5)).min(60);
                        self.loading = true;
                        return vec![Effect::LoadLater(std::time::Duration::from_secs(secs))];
                    }
                }
                self.load_failures = 0;
                vec![]
            }
            Msg::CertCreated(r) => {
                self.busy = None;
                match r {
                    Ok(done) => {
                        if let (Some(pem), Some(key)) = (&done.pem, &done.key) {
                            self.generated_pem = Some(pem.clone());
                            self.generated_key = Some((done.alias.clone(), key.clone()));
                        }
                        let text = if done.changed {
                            format!(
                                "certificate created: {}",
                                done.path.clone().unwrap_or_default()
                            )
                        } else {
                            format!("alias {} already exists; nothing changed", done.alias)
                        };
                        self.cert_result = Some(done);
                        self.dirty_form = false;
                        ok(self, text);
                    }
                    Err(e) => err(self, e),
                }
                self.loading = true;
                vec![Effect::Load]
            }
            Msg::ConsoleFetched(r) => {
                self.busy = None;
                match r {
                    Ok(c) => {
                        self.console = Some(c);
                        self.fill_from_console();
                        self.tab = Tab::Account;
                        ok(
                            self,
                            "Console credentials filled in: API key, client secret, payload".into(),
                        );
                    }
                    Err(e) => err(self, e),
                }
                vec![]
            }
            Msg::AccountCreated(r) => {
                self.busy = None;
                match r {
                    Ok((pid, changed)) => {
                        self.dirty_form = false;
                        ok(
                            self,
                            if changed {
                                format!(
                                    "IMS configuration created ({pid}); press c to Check Health"
                                )
                            } else {
                                "the IMS configuration already exists".into()
                            },
                        );
                    }
                    Err(e) => err(self, e),
                }
                self.loading = true;
                vec![Effect::Load]
            }
            Msg::Health(r) => {
                self.busy = None;
                match r {
                    Ok(h) => {
                        if h.healthy {
                            ok(self, h.message.clone());
                        } else {
                            err(self, h.message.clone());
                        }
                        self.health = Some(h);
                    }
                    Err(e) => err(self, e),
                }
                vec![]
            }
            Msg::CloudCreated(r) => {
                self.busy = None;
                match r {
                    Ok((path, agents, changed)) => {
                        self.dirty_form = false;
                        ok(
                            self,
                            if changed {
                                format!("created {path}; AEM created {agents} agents")
                            } else {
                                format!("{path} already exists; nothing changed")
                            },
                        );
                    }
                    Err(e) => err(self, e),
                }
                self.loading = true;
                vec![Effect::Load]
            }
            Msg::UpgradePlanned(r) => {
                if let Some(u) = &mut self.upgrade {
                    let typed = std::mem::take(&mut u.typed);
                    *u = match r {
                        Ok(v) => UpgradeView { typed, ..v },
                        Err(e) => UpgradeView {
                            plan: None,
                            busy: vec![],
                            resume: None,
                            error: Some(e),
                            typed,
                        },
                    };
                }
                vec![]
            }
            Msg::UpgradeDone(r) => {
                self.busy = None;
                self.upgrade = None;
                match r {
                    Ok(dir) => {
                        ok(
                            self,
                            format!(
                                "old integration backed up to {dir} and removed; now configure anew"
                            ),
                        );
                        self.guided = true;
                    }
                    Err(e) => err(self, e),
                }
                self.loading = true;
                vec![Effect::Load]
            }
            Msg::Monitor(snap) => {
                if self.frozen {
                    return vec![];
                }
                self.monitor.apply(snap);
                // Ring the bell once per new problem (stale data is not a new problem).
                let now: std::collections::HashSet<(Option<String>, crate::monitor::AlertKind)> =
                    self.monitor
                        .alerts(self.now_ms())
                        .into_iter()
                        .filter(|a| a.kind != crate::monitor::AlertKind::Stale)
                        .map(|a| (a.agent, a.kind))
                        .collect();
                let fresh = now.iter().any(|k| !self.alerted.contains(k));
                self.alerted = now;
                if fresh && self.bell {
                    vec![Effect::Bell]
                } else {
                    vec![]
                }
            }
            Msg::Log(agent, r) => {
                if let Some(l) = &mut self.log
                    && l.agent == agent
                {
                    l.scroll = r.as_ref().map(|v| v.len().saturating_sub(1)).unwrap_or(0);
                    l.lines = Some(r);
                }
                vec![]
            }
            Msg::QueueDone(agent, op, r) => {
                self.busy = None;
                match r {
                    Ok(()) => ok(self, format!("{}: {} done", agent, op.label())),
                    Err(e) => err(self, format!("{agent}: {} failed: {e}", op.label())),
                }
                vec![Effect::MonitorRefresh]
            }
            Msg::Tested(id, r) => {
                if let Ok(t) = &r {
                    self.monitor.note_test(&id, t.success, &t.explanation);
                }
                self.tests.insert(
                    id,
                    match r {
                        Ok(t) => TestState::Done(t),
                        Err(e) => TestState::Failed(e),
                    },
                );
                if !self.tests.values().any(|t| matches!(t, TestState::Running)) {
                    let failed = self
                        .tests
                        .values()
                        .filter(|t| !matches!(t, TestState::Done(r) if r.success))
                        .count();
                    if failed == 0 {
                        ok(self, "Test Connection succeeded".into());
                    } else {
                        err(self, format!("Test Connection failed on {failed} agent(s)"));
                    }
                    self.loading = true;
                    return vec![Effect::Load];
                }
                vec![]
            }
        }
    }

    fn tenant_default_needed(&self, s: &Integration) -> bool {
        self.input(FieldId::ServiceUrl).is_empty() && s.tenant_url.is_some()
    }

    pub fn step_status(&self, tab: Tab) -> Option<StepStatus> {
        self.snapshot.as_ref().map(|s| s.step(tab.step()).status)
    }
}

/// The checks the form can make before anything is sent (the library repeats them).
pub fn validate_account_form(f: &AccountForm) -> Vec<String> {
    use crate::setup::actions::{AccountKind, AccountSpec, SetupError, validate_account};
    let spec = AccountSpec {
        title: f.title.clone(),
        api_key: f.api_key.clone(),
        client_secret: f.secret.clone(),
        kind: match f.auth_type {
            AuthType::Jwt => AccountKind::Jwt {
                auth_server: f.auth_server.clone(),
                payload: f.payload.clone(),
                alias: f.alias.clone(),
            },
            AuthType::OauthServerToServer => AccountKind::Oauth {
                scopes: crate::ims::token::split_scopes(&f.scopes),
                org_id: f.org_id.trim().to_string(),
            },
        },
    };
    match validate_account(&spec) {
        Ok(_) => vec![],
        Err(SetupError::Invalid(v)) => v,
        Err(e) => vec![e.to_string()],
    }
}
