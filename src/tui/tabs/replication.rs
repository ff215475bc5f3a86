//! Replication: the tenant's agents with their live queues (the monitor), alerts, totals and
//! balance, the selected agent's queue items, Test Connection and the queue actions.

use super::{Clicks, Component, Hint, Out};
use crate::monitor::model::AgentHistory;
use crate::monitor::{AlertKind, AlertRules, MonitorModel, Snapshot};
use crate::setup::Integration;
use crate::setup::service::QueueOp;
use crate::setup::{QueueState, TestResult};
use crate::tui::action::Action;
use crate::tui::effect::{Effect, UiError, UiResult};
use crate::tui::keymap::Scope;
use crate::tui::modal::{ClearConfirm, LogPane, Modal};
use crate::tui::scroll::{Scroll, draw_scrolled};
use crate::tui::state::Shared;
use crate::tui::theme::Theme;
use crate::tui::widgets::{distinct_names, para, wrapped_height};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Row, Table, TableState};
use std::cell::Cell;
use std::collections::{HashMap, HashSet};

/// Queue items moved by PgUp / PgDn.
const ITEM_PAGE: usize = 10;

pub(super) fn age(h: Option<&AgentHistory>, now: i64) -> String {
    match h.and_then(|h| h.last_ok) {
        Some(t) => format!("{}s", (now.saturating_sub(t) / 1000).max(0)),
        None => "–".into(),
    }
}

/// Test Connection of one agent.
#[derive(Clone, Debug)]
pub enum TestState {
    Running,
    /// The result and when it came (epoch ms): an old failure is told apart from a new one.
    Done(TestResult, i64),
    Failed(UiError, i64),
}

#[derive(Debug)]
pub struct ReplicationTab {
    pub agent_sel: usize,
    pub tests: HashMap<String, TestState>,
    pub monitor: MonitorModel,
    /// `F`: the screen keeps its figures, as of this moment (epoch ms).
    pub frozen: Option<i64>,
    /// Ring the terminal bell on new alerts.
    pub bell: bool,
    alerted: HashSet<(Option<String>, AlertKind)>,
    /// Blocked agents whose log is being read for the cause.
    explaining: HashSet<String>,
    /// First queue item shown in the detail pane (PgUp / PgDn).
    pub item_scroll: usize,
    /// Seconds between polls, for display.
    pub poll_secs: f64,
    /// The first agent row the last frame showed (a click is on the rows shown).
    first_row: Cell<usize>,
}

impl Default for ReplicationTab {
    fn default() -> Self {
        ReplicationTab {
            agent_sel: 0,
            tests: HashMap::new(),
            monitor: MonitorModel::new(&[], AlertRules::default()),
            frozen: None,
            bell: false,
            alerted: HashSet::new(),
            explaining: HashSet::new(),
            item_scroll: 0,
            poll_secs: 2.0,
            first_row: Cell::new(0),
        }
    }
}

fn agent_ids(cx: &Shared) -> Vec<String> {
    cx.snapshot
        .as_ref()
        .map(|s| s.agents.iter().map(|a| a.info.id.clone()).collect())
        .unwrap_or_default()
}

impl ReplicationTab {
    /// The agents to poll while this tab shows.
    pub fn wanted(&self, cx: &Shared) -> Vec<String> {
        agent_ids(cx)
    }

    /// Starts a new monitor for these agents.
    pub fn reset_monitor(&mut self, agents: &[String]) {
        self.monitor = MonitorModel::new(agents, AlertRules::default());
    }

    pub fn selected_agent(&self, cx: &Shared) -> Option<String> {
        cx.snapshot
            .as_ref()
            .and_then(|s| s.agents.get(self.agent_sel))
            .map(|a| a.info.id.clone())
    }

    /// The live state of an agent's queue: the monitor's, else the snapshot's.
    pub fn queue_state(&self, id: &str, cx: &Shared) -> Option<QueueState> {
        self.monitor
            .agents
            .get(id)
            .and_then(|h| h.latest.as_ref().map(|v| v.state))
            .or_else(|| {
                cx.snapshot
                    .as_ref()?
                    .agents
                    .iter()
                    .find(|a| a.info.id == id)?
                    .queue
                    .as_ref()
                    .map(|q| q.state())
            })
    }

    pub fn pending(&self, id: &str, cx: &Shared) -> Option<u64> {
        self.monitor
            .agents
            .get(id)
            .and_then(|h| h.pending())
            .or_else(|| {
                cx.snapshot
                    .as_ref()?
                    .agents
                    .iter()
                    .find(|a| a.info.id == id)?
                    .depth
                    .map(|d| d.count)
            })
    }

    /// A new read: forget tests of agents that are gone, keep the selection in range.
    pub fn on_snapshot(&mut self, s: &Integration) {
        self.tests
            .retain(|k, _| s.agents.iter().any(|a| &a.info.id == k));
        self.agent_sel = self.agent_sel.min(s.agents.len().saturating_sub(1));
    }

    fn start_tests(&mut self, ids: Vec<String>) -> Vec<Out> {
        for id in &ids {
            self.tests.insert(id.clone(), TestState::Running);
        }
        vec![Out::Effect(Effect::Test(ids))]
    }

    pub fn testing(&self) -> bool {
        self.tests.values().any(|t| matches!(t, TestState::Running))
    }

    fn queue_action(&mut self, op: QueueOp, cx: &mut Shared) -> Vec<Out> {
        if cx.refuse_read_only("queue actions are off") {
            return vec![];
        }
        let Some(id) = self.selected_agent(cx) else {
            return vec![];
        };
        let op = match op {
            QueueOp::Pause if self.queue_state(&id, cx) == Some(QueueState::Paused) => {
                QueueOp::Resume
            }
            other => other,
        };
        if op == QueueOp::Clear {
            let pending = self.pending(&id, cx).unwrap_or(0);
            return vec![Out::Open(Modal::ClearQueue(ClearConfirm {
                agent: id,
                pending,
                typed: String::new(),
                mismatch: false,
            }))];
        }
        vec![Out::Effect(Effect::Queue(id, op))]
    }

    pub fn on_tested(
        &mut self,
        id: String,
        r: UiResult<TestResult>,
        cx: &mut Shared,
    ) -> Vec<Effect> {
        if let Ok(t) = &r {
            self.monitor.note_test(&id, t.success, &t.transcript);
        }
        let at = cx.now_ms();
        self.tests.insert(
            id,
            match r {
                Ok(t) => TestState::Done(t, at),
                Err(e) => TestState::Failed(e, at),
            },
        );
        if self.testing() {
            return vec![];
        }
        let failed = self
            .tests
            .values()
            .filter(|t| !matches!(t, TestState::Done(r, _) if r.success))
            .count();
        if failed == 0 {
            cx.success("Test Connection succeeded");
        } else {
            cx.error(format!(
                "Test Connection failed on {}",
                crate::words::count(failed as u64, "agent", "agents")
            ));
        }
        cx.loading = true;
        vec![Effect::Load]
    }

    /// A poll result; rings the bell once per new problem (stale data is not a new problem).
    /// A queue that blocks or recovers has the step read again.
    pub fn on_monitor(&mut self, snap: Snapshot, now: i64) -> Vec<Effect> {
        if self.frozen.is_some() {
            return vec![];
        }
        let agent = snap.agent.clone();
        let was_blocked = self.queue_blocked(&agent);
        self.monitor.apply(snap);
        let mut effects = Vec::new();
        // A queue that became blocked or stopped being blocked: the step's status is read
        // again, so it never disagrees with the alert above it (the runtime reads once for
        // every asker).
        let blocked = self.queue_blocked(&agent);
        if was_blocked != blocked {
            if !blocked {
                self.explaining.remove(&agent);
            }
            effects.push(Effect::Load);
        }
        for id in self.monitor.unexplained() {
            if self.explaining.insert(id.clone()) {
                effects.push(Effect::ExplainQueue(id));
            }
        }
        let current: HashSet<(Option<String>, AlertKind)> = self
            .monitor
            .alerts(now)
            .into_iter()
            .filter(|a| a.kind != AlertKind::Stale)
            .map(|a| (a.agent, a.kind))
            .collect();
        let fresh = current.iter().any(|k| !self.alerted.contains(k));
        self.alerted = current;
        if fresh && self.bell {
            effects.push(Effect::Bell);
        }
        effects
    }

    fn queue_blocked(&self, agent: &str) -> bool {
        self.monitor
            .agents
            .get(agent)
            .and_then(|h| h.latest.as_ref())
            .is_some_and(|v| v.state == QueueState::Blocked)
    }

    /// The agent log said why a queue is blocked. It is asked once per blocking (a log that
    /// cannot be read is not asked again every poll).
    pub fn on_explained(&mut self, agent: &str, cause: Option<crate::monitor::BlockCause>) {
        self.monitor.set_cause(agent, cause);
    }

    pub fn on_queue_done(&mut self, agent: &str, op: QueueOp, r: UiResult<()>, cx: &mut Shared) {
        match r {
            Ok(()) => cx.success(format!("{agent}: {} done", op.label())),
            Err(e) => cx.error(format!("{agent}: {} failed: {e}", op.label())),
        }
    }

    fn draw_tab(&self, f: &mut Frame, area: Rect, cx: &Shared, theme: &Theme) -> Clicks {
        let Some(s) = cx.snapshot.as_ref() else {
            return Clicks::default();
        };
        let now = self.frozen.unwrap_or_else(|| cx.now_ms());
        let lines = self.summary_lines(s, now, cx, theme);
        // The agents keep their rows (a header, one each, a blank); the summary gives way down
        // to its first line and says how much it hides; the agents then scroll.
        let n = s.agents.len();
        let wanted = wrapped_height(&lines, area.width) + 1;
        let floor = wanted.min(3).min(area.height);
        let table_h = (n.max(1) as u16 + 2).min(area.height - floor);
        let top = wanted.min(area.height - table_h);
        let [info, table_area, detail] = Layout::vertical([
            Constraint::Length(top),
            Constraint::Length(table_h),
            Constraint::Min(0),
        ])
        .areas(area);
        let info = Rect {
            height: info.height.saturating_sub(1),
            ..info
        };
        let keys = ("", "A lists the alerts, D runs the doctor");
        draw_scrolled(f, info, lines, &Scroll::default(), keys, theme);
        if s.agents.is_empty() {
            f.render_widget(
                para(vec![Line::styled(
                    "No agents yet: create the cloud configuration on the Cloud Service tab.",
                    theme.dim,
                )]),
                table_area,
            );
            return Clicks::default();
        }
        let rows = self.draw_table(f, table_area, s, now, cx, theme);
        self.draw_detail(f, detail, cx, theme);
        Clicks {
            rows: Some((table_area.y + 1, rows)),
        }
    }

    /// The agents' table; when not every row fits, the last row says how many are hidden.
    /// Returns how many rows show.
    fn draw_table(
        &self,
        f: &mut Frame,
        area: Rect,
        s: &Integration,
        now: i64,
        cx: &Shared,
        theme: &Theme,
    ) -> usize {
        // On a narrow terminal the history column goes first, then the agents' common prefix:
        // the part that tells the four apart always shows.
        // The history needs its 17 columns plus room for 14 characters of names.
        let show_history = area.width >= 70 + 8 + 2 + 14;
        let fixed: u16 = 6 + 9 + 8 + 6 + 5 + 10 + 9 + if show_history { 17 } else { 0 };
        let columns: u16 = if show_history { 9 } else { 8 };
        let name_w = area
            .width
            .saturating_sub(fixed + (columns - 1) + 2)
            .clamp(6, 22);
        let ids: Vec<&str> = s.agents.iter().map(|a| a.info.id.as_str()).collect();
        let names = distinct_names(&ids, usize::from(name_w));
        let rows: Vec<Row> = s
            .agents
            .iter()
            .zip(names)
            .map(|(a, name)| self.agent_row(a, name, show_history, now, cx, theme))
            .collect();
        let mut widths = vec![
            Constraint::Length(name_w),
            Constraint::Length(6),
            Constraint::Length(9),
            Constraint::Length(8),
            Constraint::Length(6),
            Constraint::Length(5),
        ];
        let mut header = vec!["Agent", "On", "Queue", "Pending", "Tries", "/min"];
        if show_history {
            widths.push(Constraint::Length(17));
            header.push("History");
        }
        widths.extend([Constraint::Length(10), Constraint::Min(9)]);
        header.extend(["Age", "Test"]);
        let table = Table::new(rows, widths)
            .header(Row::new(header).style(theme.title))
            .row_highlight_style(theme.selected)
            .highlight_symbol("› ");
        let n = s.agents.len();
        let cut = usize::from(area.height.saturating_sub(1)) < n;
        let table_area = Rect {
            height: area.height - u16::from(cut),
            ..area
        };
        let mut state = TableState::default().with_selected(Some(self.agent_sel));
        f.render_stateful_widget(table, table_area, &mut state);
        let shown = usize::from(table_area.height.saturating_sub(1)).min(n);
        let first = state.offset().min(n - shown);
        self.first_row.set(first);
        if cut {
            let below = n - first - shown;
            let text = match (first, below) {
                (0, b) => format!("↓ {b} more (↑/↓ select)"),
                (a, 0) => format!("↑ {a} more (↑/↓ select)"),
                (a, b) => format!("↑ {a} more · ↓ {b} more (↑/↓ select)"),
            };
            f.render_widget(
                Paragraph::new(Line::styled(text, theme.key)),
                Rect {
                    y: area.y + table_area.height,
                    height: 1,
                    ..area
                },
            );
        }
        shown
    }
}

impl Component for ReplicationTab {
    fn scope(&self) -> Option<Scope> {
        Some(Scope::Replication)
    }

    fn on_action(&mut self, action: Action, cx: &mut Shared) -> Vec<Out> {
        let n = cx.snapshot.as_ref().map(|s| s.agents.len()).unwrap_or(0);
        match action {
            Action::Up => {
                self.agent_sel = self.agent_sel.saturating_sub(1);
                self.item_scroll = 0;
            }
            Action::Down => {
                self.agent_sel = (self.agent_sel + 1).min(n.saturating_sub(1));
                self.item_scroll = 0;
            }
            Action::PageUp => self.item_scroll = self.item_scroll.saturating_sub(ITEM_PAGE),
            Action::PageDown => self.item_scroll += ITEM_PAGE,
            Action::Activate | Action::TestSelected => {
                if let Some(id) = self.selected_agent(cx) {
                    return self.start_tests(vec![id]);
                }
            }
            Action::TestAll => {
                let ids = agent_ids(cx);
                if ids.is_empty() {
                    cx.error("no Brand Portal agents yet: create the cloud configuration first");
                    return vec![];
                }
                return self.start_tests(ids);
            }
            Action::Alerts => {
                let now = self.frozen.unwrap_or_else(|| cx.now_ms());
                return vec![Out::Open(Modal::Alerts {
                    alerts: self.monitor.alerts(now),
                    scroll: 0,
                })];
            }
            Action::Freeze => {
                self.frozen = match self.frozen {
                    Some(_) => None,
                    None => Some(cx.now_ms()),
                };
                cx.info(if self.frozen.is_some() {
                    "frozen: the screen keeps these figures until F again"
                } else {
                    "live again"
                });
            }
            Action::PublishSample => {
                if !cx.header.sandbox {
                    cx.info("publishing samples is for the sandbox demo; publish from AEM Assets");
                    return vec![];
                }
                if cx.refuse_read_only("publishing is off") {
                    return vec![];
                }
                cx.info("publishing 25 sample assets to Brand Portal…");
                return vec![Out::Effect(Effect::PublishSample(25))];
            }
            Action::ForceRetry => return self.queue_action(QueueOp::ForceRetry, cx),
            Action::PauseResume => return self.queue_action(QueueOp::Pause, cx),
            Action::ClearQueue => return self.queue_action(QueueOp::Clear, cx),
            Action::ShowLog => {
                if let Some(id) = self.selected_agent(cx) {
                    return vec![
                        Out::Open(Modal::Log(LogPane::new(id.clone()))),
                        Out::Effect(Effect::FetchLog(id)),
                    ];
                }
            }
            _ => {}
        }
        vec![]
    }

    fn on_click_row(&mut self, index: usize) {
        self.agent_sel = index + self.first_row.get();
        self.item_scroll = 0;
    }

    fn draw(&self, f: &mut Frame, area: Rect, cx: &Shared, theme: &Theme) -> Clicks {
        self.draw_tab(f, area, cx, theme)
    }

    fn hints(&self, cx: &Shared) -> Vec<Hint> {
        let any = cx.snapshot.as_ref().is_some_and(|s| !s.agents.is_empty());
        let change = any && !cx.read_only;
        let mut hints = vec![
            Hint::when(Action::TestSelected, any),
            Hint::when(Action::TestAll, any),
            Hint::when(Action::ShowLog, any),
            Hint::when(Action::PauseResume, change),
            Hint::when(Action::ForceRetry, change),
            Hint::when(Action::ClearQueue, change),
            Hint::when(Action::Freeze, any),
        ];
        if cx.header.sandbox {
            hints.insert(0, Hint::when(Action::PublishSample, change));
        }
        hints
    }
}
