//! The Replication tab's upper part: the summary above the table and one row per agent.

use super::Tab;
use super::replication::{ReplicationTab, TestState, age};
use crate::setup::QueueState;
use crate::setup::snapshot::{AgentState, LastOutcome};
use crate::tui::state::Shared;
use crate::tui::theme::Theme;
use crate::tui::widgets::{ago, sparkline, spinner, step_lines};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row};

impl ReplicationTab {
    /// The step, the balance and polling line, and the first alerts above the table.
    pub(super) fn summary_lines(
        &self,
        s: &crate::setup::Integration,
        now: i64,
        cx: &Shared,
        theme: &Theme,
    ) -> Vec<Line<'static>> {
        let mut lines = step_lines(s.step(Tab::Replication.step()), theme);
        let enabled = s.enabled_agents();
        if !s.agents.is_empty() && enabled < s.agents.len() {
            lines.push(Line::styled(
                format!("! {enabled} of {} agents enabled: work is spread over all of them, so some assets will fail", s.agents.len()),
                theme.warn,
            ));
        }
        let m = &self.monitor;
        if !m.agents.is_empty() {
            // The rows' figures, summed: the last known ones while polls fail.
            let total: u64 = s
                .agents
                .iter()
                .filter_map(|a| self.pending(&a.info.id, cx))
                .sum();
            let mut spans = vec![Span::raw(format!("total pending {total}"))];
            match m.laggard() {
                Some(a) => spans.push(Span::styled(
                    format!("  · balance: {a} is far behind the others"),
                    theme.warn,
                )),
                None => spans.push(Span::styled("  · balance ok", theme.dim)),
            }
            spans.push(Span::styled(
                format!(
                    "  · polling every {} s · /min over the last 60 s",
                    self.poll_secs
                ),
                theme.dim,
            ));
            if self.frozen.is_some() {
                spans.push(Span::styled("  · FROZEN (F)", theme.warn));
            }
            if cx.read_only {
                spans.push(Span::styled("  · read-only", theme.dim));
            }
            lines.push(Line::from(spans));
        }
        let alerts = m.alerts(now);
        for a in alerts.iter().take(3) {
            lines.push(Line::from(vec![
                Span::styled("⚠ ", theme.error),
                Span::styled(a.message.clone(), theme.error),
            ]));
        }
        if alerts.len() > 3 {
            lines.push(Line::styled(
                format!(
                    "  … and {} (A shows them all, with fixes)",
                    crate::words::count((alerts.len() - 3) as u64, "more alert", "more alerts")
                ),
                theme.error,
            ));
        }
        lines
    }

    /// One agent's row: name, enabled, queue state, pending and trend, tries, rate, history,
    /// age of the figures, last test.
    pub(super) fn agent_row(
        &self,
        a: &AgentState,
        name: String,
        show_history: bool,
        now: i64,
        cx: &Shared,
        theme: &Theme,
    ) -> Row<'static> {
        let m = &self.monitor;
        let h = m.agents.get(&a.info.id);
        let (state, style) = match self.queue_state(&a.info.id, cx) {
            Some(QueueState::Idle) => ("idle", theme.ok),
            Some(QueueState::Active) => ("active", theme.text),
            Some(QueueState::Blocked) => ("BLOCKED", theme.error),
            Some(QueueState::Paused) => ("paused", theme.warn),
            Some(QueueState::Disabled) => ("disabled", theme.error),
            None => ("unknown", theme.dim),
        };
        let stale = h.is_some_and(|h| h.stale_since.is_some());
        let at_least = h
            .and_then(|h| h.latest.as_ref())
            .map(|v| v.depth.at_least)
            .or(a.depth.map(|d| d.at_least))
            .unwrap_or(false);
        let pending = self
            .pending(&a.info.id, cx)
            .map(|n| format!("{}{}", if at_least { "≥" } else { "" }, n))
            .unwrap_or_else(|| "?".into());
        let trend = h.and_then(|h| h.trend).map(|t| t.marker()).unwrap_or(" ");
        let head = h
            .and_then(|h| h.latest.as_ref())
            .and_then(|v| v.head().map(|i| i.attempts));
        let tries = match (head, h.and_then(|h| h.attempts_trend)) {
            (Some(n), Some(t)) => format!("{n}{}", t.marker()),
            (Some(n), None) => n.to_string(),
            (None, _) => "–".into(),
        };
        let mark = |ok: bool, when: String| {
            if ok {
                Span::styled(format!("✓ {when}"), theme.ok)
            } else {
                Span::styled(format!("✗ {when}"), theme.error)
            }
        };
        let test = match self.last_test(a) {
            LastTest::None => Span::styled("–", theme.dim),
            LastTest::Running => Span::styled(format!("{} testing", spinner(cx.tick)), theme.key),
            LastTest::Session(TestState::Done(t, at)) => mark(t.success, ago(now, *at)),
            LastTest::Session(TestState::Failed(_, at)) => mark(false, ago(now, *at)),
            LastTest::Session(TestState::Running) => Span::raw(""),
            LastTest::Log(o) => mark(
                o.ok,
                o.at.map_or_else(|| "in log".into(), |at| ago(now, at * 1000)),
            ),
        };
        let mut cells = vec![
            Cell::from(name),
            Cell::from(Span::styled(
                if a.info.enabled { "✓ yes" } else { "✗ NO" },
                if a.info.enabled {
                    theme.ok
                } else {
                    theme.error
                },
            )),
            Cell::from(Span::styled(state, style)),
            Cell::from(format!("{pending}{trend}")),
            Cell::from(tries),
            Cell::from(
                h.map(|h| format!("{:.0}", h.throughput_per_min(now)))
                    .unwrap_or_else(|| "–".into()),
            ),
        ];
        if show_history {
            cells.push(Cell::from(
                h.map(|h| sparkline(&h.sparkline(), 16)).unwrap_or_default(),
            ));
        }
        cells.extend([
            Cell::from(Span::styled(
                if stale {
                    format!("stale {}", age(h, now))
                } else {
                    age(h, now)
                },
                if stale { theme.error } else { theme.dim },
            )),
            Cell::from(test),
        ]);
        Row::new(cells)
    }
}

/// How far before a result's arrival its line in the agent log may be dated (the test's own
/// time, AEM's clock to the second).
const LOGGED_BEFORE_MS: i64 = 5_000;

/// An agent's last Test Connection, from one source for the Test column, the detail below the
/// table and the step above it.
pub(super) enum LastTest<'a> {
    None,
    Running,
    /// Run in this session, not yet in the log the screen shows.
    Session(&'a TestState),
    /// The author's log, as the step's verdict read it.
    Log(&'a LastOutcome),
}

impl ReplicationTab {
    /// This session's result until a read brings the log that records it (or a later test);
    /// then the log's, which the step line judges, with its time.
    pub(super) fn last_test<'a>(&'a self, a: &'a AgentState) -> LastTest<'a> {
        let logged = a.last_outcome.as_ref().filter(|o| o.test);
        match self.tests.get(&a.info.id) {
            Some(TestState::Running) => LastTest::Running,
            Some(t @ (TestState::Done(_, at) | TestState::Failed(_, at))) => match logged {
                Some(o) if o.at.is_some_and(|l| l * 1000 >= at - LOGGED_BEFORE_MS) => {
                    LastTest::Log(o)
                }
                _ => LastTest::Session(t),
            },
            None => logged.map_or(LastTest::None, LastTest::Log),
        }
    }
}
