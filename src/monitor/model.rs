//! What the monitor knows about each agent: the latest snapshot, pending-count history for the
//! sparkline, change markers, throughput, staleness and alerts. Pure data: updated from
//! immutable snapshots the pollers send.

use crate::aem::queue::{Depth, QueueItem, QueueState, QueueStatus};
use serde::Serialize;
use std::collections::VecDeque;
use std::sync::Arc;

/// Throughput is counted over this window (the screen says so).
pub const THROUGHPUT_WINDOW_MS: i64 = 60_000;
/// The shortest span a rate is computed over, so that one early delivery is not a burst.
pub const THROUGHPUT_MIN_SPAN_MS: i64 = 10_000;

/// Items delivered between two polls of one queue: the listed items that left its head, or the
/// drop in depth when more left than the list shows — none when AEM processed nothing in
/// between (`lastProcessTime` unchanged: the items were cleared, not delivered).
pub fn delivered_between(prev: &QueueView, cur: &QueueView) -> u64 {
    let processed = match (prev.last_process_time, cur.last_process_time) {
        (Some(a), Some(b)) => b > a,
        (None, Some(_)) => true,
        // AEM does not say: a removal counts only when the queue is not paused or disabled.
        (_, None) => !matches!(cur.state, QueueState::Paused | QueueState::Disabled),
    };
    if !processed {
        return 0;
    }
    // Items leave from the head: those listed before the current head are gone.
    let left = match cur.head() {
        None => prev.items.len(),
        Some(h) => prev
            .items
            .iter()
            .position(|i| i.id == h.id)
            .unwrap_or(prev.items.len()),
    } as u64;
    left.max(prev.depth.count.saturating_sub(cur.depth.count))
}

/// One poll of one agent.
#[derive(Clone, Debug)]
pub struct Snapshot {
    pub agent: String,
    /// Epoch ms when the poll finished.
    pub at: i64,
    pub result: Result<QueueView, String>,
}

/// A queue as one poll saw it.
#[derive(Clone, Debug, PartialEq)]
pub struct QueueView {
    pub state: QueueState,
    pub depth: Depth,
    pub next_retry: Option<i64>,
    pub last_process_time: Option<i64>,
    pub items: Arc<Vec<QueueItem>>,
}

impl QueueView {
    pub fn from_status(q: QueueStatus, depth: Depth) -> Self {
        QueueView {
            state: q.state(),
            depth,
            next_retry: q.next_retry,
            last_process_time: q.last_process_time,
            items: Arc::new(q.items),
        }
    }
    pub fn head(&self) -> Option<&QueueItem> {
        self.items.first()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Trend {
    Up,
    Down,
    Same,
}

impl Trend {
    pub fn marker(self) -> &'static str {
        match self {
            Trend::Up => "↑",
            Trend::Down => "↓",
            Trend::Same => " ",
        }
    }
}

/// Thresholds for alerts.
#[derive(Clone, Debug)]
pub struct AlertRules {
    pub max_attempts: u64,
    pub not_draining_ms: i64,
    pub expected_agents: usize,
    /// How much pending history to keep.
    pub history_ms: i64,
}

impl Default for AlertRules {
    fn default() -> Self {
        AlertRules {
            max_attempts: 3,
            not_draining_ms: 5 * 60_000,
            expected_agents: 4,
            history_ms: 10 * 60_000,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    pub agent: Option<String>,
    pub kind: AlertKind,
    pub message: String,
    /// What to do, when the cause is known (from the agent log).
    pub fix: Option<String>,
}

/// Why a queue is blocked, read from its agent log: a few words and the fix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockCause {
    pub label: String,
    pub fix: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AlertKind {
    Blocked,
    Disabled,
    MissingAgents,
    Retries,
    NotDraining,
    Stale,
    TokenFailure,
}

#[derive(Clone, Debug, Default)]
pub struct AgentHistory {
    pub latest: Option<QueueView>,
    /// Epoch ms of the last successful poll.
    pub last_ok: Option<i64>,
    /// First failure since the last success, with the error in words.
    pub stale_since: Option<i64>,
    pub error: Option<String>,
    /// (epoch ms, pending) samples.
    pub samples: VecDeque<(i64, u64)>,
    pub trend: Option<Trend>,
    pub attempts_trend: Option<Trend>,
    /// Last time the pending count went down (or the queue was empty).
    pub last_progress: Option<i64>,
    /// Items delivered (left the head while AEM processed), and when, for throughput.
    pub drained: VecDeque<(i64, u64)>,
    /// Epoch ms of the first successful poll: throughput is over at most the time observed.
    pub observed_since: Option<i64>,
    pub polls: u64,
    pub errors: u64,
    /// Why the queue is blocked, once the agent log was read; cleared when it is not.
    pub cause: Option<BlockCause>,
}

impl AgentHistory {
    pub fn pending(&self) -> Option<u64> {
        self.latest.as_ref().map(|v| v.depth.count)
    }

    /// Items delivered per minute over the last [`THROUGHPUT_WINDOW_MS`] (or the time observed
    /// so far, when shorter, but at least [`THROUGHPUT_MIN_SPAN_MS`]). Cleared items are not
    /// deliveries, and a paused or blocked queue delivers nothing.
    pub fn throughput_per_min(&self, now: i64) -> f64 {
        let Some(since) = self.observed_since else {
            return 0.0;
        };
        let span = now
            .saturating_sub(since)
            .clamp(THROUGHPUT_MIN_SPAN_MS, THROUGHPUT_WINDOW_MS);
        let n: u64 = self
            .drained
            .iter()
            .filter(|(t, _)| now.saturating_sub(*t) <= span)
            .map(|(_, n)| n)
            .sum();
        n as f64 * 60_000.0 / span as f64
    }

    /// Pending counts for the sparkline, oldest first.
    pub fn sparkline(&self) -> Vec<u64> {
        self.samples.iter().map(|(_, n)| *n).collect()
    }
}

/// The monitor's whole state for one tenant.
#[derive(Clone, Debug, Default)]
pub struct MonitorModel {
    pub agents: indexmap::IndexMap<String, AgentHistory>,
    pub rules: AlertRules,
    pub token_failures: Vec<String>,
}

impl MonitorModel {
    pub fn new(agent_ids: &[String], rules: AlertRules) -> Self {
        MonitorModel {
            agents: agent_ids
                .iter()
                .map(|a| (a.clone(), AgentHistory::default()))
                .collect(),
            rules,
            token_failures: vec![],
        }
    }

    /// Folds one snapshot in.
    pub fn apply(&mut self, s: Snapshot) {
        let history_ms = self.rules.history_ms;
        let h = self.agents.entry(s.agent.clone()).or_default();
        h.polls += 1;
        match s.result {
            Err(e) => {
                h.errors += 1;
                h.error = Some(e);
                h.stale_since.get_or_insert(s.at);
            }
            Ok(view) => {
                let pending = view.depth.count;
                let prev = h.pending();
                h.trend = prev.map(|p| match pending.cmp(&p) {
                    std::cmp::Ordering::Greater => Trend::Up,
                    std::cmp::Ordering::Less => Trend::Down,
                    std::cmp::Ordering::Equal => Trend::Same,
                });
                let prev_attempts = h
                    .latest
                    .as_ref()
                    .and_then(|v| v.head().map(|i| (i.id.clone(), i.attempts)));
                let attempts = view.head().map(|i| (i.id.clone(), i.attempts));
                h.attempts_trend = match (prev_attempts, &attempts) {
                    (Some((pid, pa)), Some((id, a))) if pid == *id && *a > pa => Some(Trend::Up),
                    _ => None,
                };
                if let Some(before) = &h.latest {
                    let n = delivered_between(before, &view);
                    if n > 0 {
                        h.drained.push_back((s.at, n));
                    }
                }
                h.observed_since.get_or_insert(s.at);
                if pending == 0 || prev.is_some_and(|p| pending < p) || h.last_progress.is_none() {
                    h.last_progress = Some(s.at);
                }
                h.samples.push_back((s.at, pending));
                while h
                    .samples
                    .front()
                    .is_some_and(|(t, _)| s.at - t > history_ms)
                {
                    h.samples.pop_front();
                }
                while h
                    .drained
                    .front()
                    .is_some_and(|(t, _)| s.at - t > history_ms)
                {
                    h.drained.pop_front();
                }
                if view.state != QueueState::Blocked {
                    h.cause = None;
                }
                h.latest = Some(view);
                h.last_ok = Some(s.at);
                h.stale_since = None;
                h.error = None;
            }
        }
    }

    /// Records why an agent's queue is blocked (from its log); `None` when the log did not say.
    pub fn set_cause(&mut self, agent: &str, cause: Option<BlockCause>) {
        if let Some(h) = self.agents.get_mut(agent)
            && h.latest
                .as_ref()
                .is_some_and(|v| v.state == QueueState::Blocked)
        {
            h.cause = cause;
        }
    }

    /// Blocked agents whose cause is not known yet.
    pub fn unexplained(&self) -> Vec<String> {
        self.agents
            .iter()
            .filter(|(_, h)| {
                h.cause.is_none()
                    && h.latest
                        .as_ref()
                        .is_some_and(|v| v.state == QueueState::Blocked)
            })
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// Records Test Connection output that shows an IMS token problem.
    pub fn note_test(&mut self, agent: &str, success: bool, explanation: &[String]) {
        self.token_failures.retain(|a| a != agent);
        if !success
            && explanation
                .iter()
                .any(|l| l.contains("failed to get access token") || l.contains("status code 401"))
        {
            self.token_failures.push(agent.to_string());
        }
    }

    pub fn total_pending(&self) -> u64 {
        self.agents.values().filter_map(AgentHistory::pending).sum()
    }

    /// An agent far behind the others (round-robin should spread work evenly): pending more than
    /// twice the mean of the others and at least 20 items more.
    pub fn laggard(&self) -> Option<String> {
        let counts: Vec<(&String, u64)> = self
            .agents
            .iter()
            .filter_map(|(k, h)| h.pending().map(|p| (k, p)))
            .collect();
        if counts.len() < 2 {
            return None;
        }
        counts.iter().find_map(|(k, p)| {
            let others: Vec<u64> = counts
                .iter()
                .filter(|(o, _)| o != k)
                .map(|(_, n)| *n)
                .collect();
            let mean = others.iter().sum::<u64>() as f64 / others.len() as f64;
            (*p as f64 > 2.0 * mean && *p >= mean as u64 + 20).then(|| (*k).clone())
        })
    }

    pub fn alerts(&self, now: i64) -> Vec<Alert> {
        let mut out = Vec::new();
        let r = &self.rules;
        let enabled = self
            .agents
            .values()
            .filter(|h| {
                h.latest
                    .as_ref()
                    .is_some_and(|v| v.state != QueueState::Disabled)
            })
            .count();
        if !self.agents.is_empty() && self.agents.len() < r.expected_agents {
            out.push(Alert {
                agent: None,
                kind: AlertKind::MissingAgents,
                fix: Some("open the cloud configuration and save it again".into()),
                message: format!(
                    "{} Brand Portal agents; AEM creates {}",
                    self.agents.len(),
                    r.expected_agents
                ),
            });
        }
        for (id, h) in &self.agents {
            let a = Some(id.clone());
            if let Some(since) = h.stale_since {
                out.push(Alert {
                    agent: a.clone(),
                    kind: AlertKind::Stale,
                    fix: None,
                    message: format!(
                        "{id}: no data for {} s: {}",
                        now.saturating_sub(since) / 1000,
                        h.error.clone().unwrap_or_default()
                    ),
                });
            }
            let Some(v) = &h.latest else { continue };
            match v.state {
                QueueState::Blocked => out.push(Alert {
                    agent: a.clone(),
                    kind: AlertKind::Blocked,
                    message: match &h.cause {
                        Some(c) => format!("{id}: queue blocked: {}", c.label),
                        None => format!("{id}: queue blocked"),
                    },
                    fix: h.cause.as_ref().map(|c| c.fix.clone()),
                }),
                QueueState::Disabled => out.push(Alert {
                    agent: a.clone(),
                    kind: AlertKind::Disabled,
                    message: format!("{id}: agent disabled; its share of assets will fail"),
                    fix: Some("enable it again; never disable a Brand Portal agent".into()),
                }),
                _ => {}
            }
            if let Some(head) = v.head()
                && head.attempts > r.max_attempts
            {
                out.push(Alert {
                    agent: a.clone(),
                    kind: AlertKind::Retries,
                    fix: h.cause.as_ref().map(|c| c.fix.clone()),
                    message: format!(
                        "{id}: {} tried {}",
                        head.path,
                        crate::words::count(head.attempts, "time", "times")
                    ),
                });
            }
            if v.depth.count > 0
                && let Some(p) = h.last_progress
                && now.saturating_sub(p) > r.not_draining_ms
            {
                out.push(Alert {
                    agent: a.clone(),
                    kind: AlertKind::NotDraining,
                    fix: None,
                    message: format!(
                        "{id}: {} pending, not draining for {} min",
                        v.depth.count,
                        now.saturating_sub(p) / 60_000
                    ),
                });
            }
        }
        let _ = enabled;
        for a in &self.token_failures {
            out.push(Alert {
                agent: Some(a.clone()),
                kind: AlertKind::TokenFailure,
                message: format!("{a}: Test Connection shows an IMS token failure (401)"),
                fix: None,
            });
        }
        group(out, self.agents.len())
    }
}

/// One alert for several agents that share it (the four usually fail together): the same
/// kind and the same words after the agent's name.
fn group(alerts: Vec<Alert>, agents: usize) -> Vec<Alert> {
    let mut out: Vec<(Alert, Vec<String>, String)> = Vec::new();
    for a in alerts {
        let rest = match &a.agent {
            Some(id) => a
                .message
                .strip_prefix(&format!("{id}: "))
                .map(str::to_string),
            None => None,
        };
        match (rest, &a.agent) {
            (Some(rest), Some(id)) => {
                // "no data for 12 s: …" and "no data for 13 s: …" are the same outage.
                let key = |r: &str| match r.split_once(" s: ") {
                    Some((head, tail)) if head.starts_with("no data for ") => tail.to_string(),
                    _ => r.to_string(),
                };
                match out
                    .iter_mut()
                    .find(|(b, ids, r)| b.kind == a.kind && key(r) == key(&rest) && !ids.is_empty())
                {
                    Some((_, ids, _)) => ids.push(id.clone()),
                    None => out.push((a.clone(), vec![id.clone()], rest)),
                }
            }
            _ => out.push((a, vec![], String::new())),
        }
    }
    out.into_iter()
        .map(|(mut a, ids, rest)| {
            if ids.len() > 1 {
                let who = if ids.len() == agents {
                    format!("all {} agents", ids.len())
                } else {
                    ids.join(", ")
                };
                a.agent = None;
                a.message = format!("{who}: {rest}");
            }
            a
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aem::queue::DepthSource;

    fn view(state: QueueState, pending: u64, attempts: u64) -> QueueView {
        let items = (0..pending.min(2))
            .map(|i| QueueItem {
                id: format!("i{i}"),
                path: format!("/p{i}"),
                action: "Activate".into(),
                user: "u".into(),
                time: 0,
                last_processed: None,
                attempts,
            })
            .collect();
        QueueView {
            state,
            depth: Depth {
                count: pending,
                at_least: false,
                source: DepthSource::Jmx,
            },
            next_retry: None,
            last_process_time: None,
            items: Arc::new(items),
        }
    }

    fn snap(agent: &str, at: i64, v: Result<QueueView, String>) -> Snapshot {
        Snapshot {
            agent: agent.into(),
            at,
            result: v,
        }
    }

    /// A queue listing items `from..to` (ids `i<n>`), with AEM's last processing time.
    fn listed(state: QueueState, from: u64, to: u64, depth: u64, processed: i64) -> QueueView {
        let items = (from..to.min(from + 50))
            .map(|i| QueueItem {
                id: format!("i{i}"),
                path: format!("/p{i}"),
                action: "Activate".into(),
                user: "u".into(),
                time: 0,
                last_processed: None,
                attempts: 0,
            })
            .collect();
        QueueView {
            state,
            depth: Depth {
                count: depth,
                at_least: false,
                source: DepthSource::Jmx,
            },
            next_retry: None,
            last_process_time: Some(processed),
            items: Arc::new(items),
        }
    }

    #[test]
    fn throughput_counts_deliveries_only() {
        let ids = vec!["a".to_string()];
        // A clear: 505 items gone at once, AEM processed nothing.
        let mut m = MonitorModel::new(&ids, AlertRules::default());
        m.apply(snap("a", 0, Ok(listed(QueueState::Active, 0, 505, 505, 1))));
        m.apply(snap("a", 2_000, Ok(listed(QueueState::Idle, 0, 0, 0, 1))));
        assert_eq!(
            m.agents["a"].throughput_per_min(2_000),
            0.0,
            "a clear is no delivery"
        );
        // Paused: nothing leaves, nothing counted, even as items arrive.
        let mut m = MonitorModel::new(&ids, AlertRules::default());
        m.apply(snap("a", 0, Ok(listed(QueueState::Paused, 0, 10, 10, 5))));
        m.apply(snap(
            "a",
            2_000,
            Ok(listed(QueueState::Paused, 0, 30, 30, 5)),
        ));
        assert_eq!(m.agents["a"].throughput_per_min(2_000), 0.0);
        // Busy: 10 delivered every 2 s while 10 arrive: the depth stays, the rate is 300/min.
        let mut m = MonitorModel::new(&ids, AlertRules::default());
        for k in 0..31i64 {
            let from = 10 * k as u64;
            m.apply(snap(
                "a",
                k * 2_000,
                Ok(listed(
                    QueueState::Active,
                    from,
                    from + 200,
                    200,
                    k * 2_000 + 1,
                )),
            ));
        }
        let rate = m.agents["a"].throughput_per_min(60_000);
        assert!((rate - 300.0).abs() < 1.0, "{rate}");
        // Early on, over the time observed (at least 10 s): no climb from 10 to 300.
        let mut m = MonitorModel::new(&ids, AlertRules::default());
        for k in 0..3i64 {
            let from = 10 * k as u64;
            m.apply(snap(
                "a",
                k * 2_000,
                Ok(listed(
                    QueueState::Active,
                    from,
                    from + 200,
                    200,
                    k * 2_000 + 1,
                )),
            ));
        }
        assert_eq!(m.agents["a"].throughput_per_min(4_000), 20.0 * 6.0);
        // More left than the list shows: the drop in depth counts.
        let mut m = MonitorModel::new(&ids, AlertRules::default());
        m.apply(snap("a", 0, Ok(listed(QueueState::Active, 0, 500, 500, 1))));
        m.apply(snap(
            "a",
            10_000,
            Ok(listed(QueueState::Active, 120, 500, 380, 9_000)),
        ));
        assert_eq!(m.agents["a"].throughput_per_min(10_000), 720.0);
    }

    #[test]
    fn shared_alerts_are_one_and_name_their_cause() {
        let ids: Vec<String> = ["a", "b", "c", "d"].iter().map(|s| s.to_string()).collect();
        let mut m = MonitorModel::new(&ids, AlertRules::default());
        for id in &ids {
            m.apply(snap(id, 0, Ok(view(QueueState::Active, 5, 0))));
            m.apply(snap(
                id,
                2_000,
                Err("AEM is starting or restarting (503)".into()),
            ));
        }
        let al = m.alerts(10_000);
        assert_eq!(al.len(), 1, "{al:#?}");
        assert_eq!(
            al[0].message,
            "all 4 agents: no data for 8 s: AEM is starting or restarting (503)"
        );
        for (i, id) in ids.iter().enumerate() {
            m.apply(snap(
                id,
                20_000 + i as i64,
                Ok(view(QueueState::Blocked, 5, 1)),
            ));
        }
        assert_eq!(m.unexplained().len(), 4);
        let cause = BlockCause {
            label: "Brand Portal answers 5xx".into(),
            fix: "wait".into(),
        };
        for id in &ids[..3] {
            m.set_cause(id, Some(cause.clone()));
        }
        assert_eq!(m.unexplained(), vec!["d".to_string()]);
        let al = m.alerts(21_000);
        assert!(
            al.iter().any(
                |a| a.message == "a, b, c: queue blocked: Brand Portal answers 5xx"
                    && a.fix.as_deref() == Some("wait")
            ),
            "{al:#?}"
        );
        assert!(
            al.iter().any(|a| a.message == "d: queue blocked"),
            "{al:#?}"
        );
        // Recovery clears the cause with the blocking.
        m.apply(snap("a", 30_000, Ok(view(QueueState::Active, 4, 0))));
        assert_eq!(m.agents["a"].cause, None);
    }

    #[test]
    fn trends_throughput_staleness_and_alerts() {
        let ids: Vec<String> = ["a", "b", "c", "d"].iter().map(|s| s.to_string()).collect();
        let mut m = MonitorModel::new(&ids, AlertRules::default());
        m.apply(snap("a", 0, Ok(view(QueueState::Active, 100, 0))));
        m.apply(snap("a", 30_000, Ok(view(QueueState::Active, 70, 0))));
        let h = &m.agents["a"];
        assert_eq!(h.trend, Some(Trend::Down));
        assert_eq!(
            h.throughput_per_min(30_000),
            60.0,
            "30 items in the 30 s observed"
        );
        assert_eq!(h.sparkline(), vec![100, 70]);
        m.apply(snap("a", 60_000, Err("AEM did not answer".into())));
        assert_eq!(m.agents["a"].stale_since, Some(60_000));
        assert!(
            m.alerts(90_000)
                .iter()
                .any(|x| x.kind == AlertKind::Stale && x.message.contains("30 s"))
        );
        m.apply(snap("a", 95_000, Ok(view(QueueState::Blocked, 70, 5))));
        assert_eq!(m.agents["a"].stale_since, None);
        let al = m.alerts(95_000);
        assert!(al.iter().any(|x| x.kind == AlertKind::Blocked));
        assert!(al.iter().any(|x| x.kind == AlertKind::Retries));
        // Not draining for more than five minutes.
        m.apply(snap(
            "a",
            30_000 + 6 * 60_000,
            Ok(view(QueueState::Blocked, 70, 6)),
        ));
        assert!(
            m.alerts(30_000 + 6 * 60_000)
                .iter()
                .any(|x| x.kind == AlertKind::NotDraining)
        );
        assert_eq!(m.agents["a"].attempts_trend, Some(Trend::Up));
        m.apply(snap("b", 0, Ok(view(QueueState::Disabled, 3, 0))));
        assert!(m.alerts(0).iter().any(|x| x.kind == AlertKind::Disabled));
        m.note_test(
            "c",
            false,
            &[
                "com.adobe.granite.auth.oauth.AccessTokenProvider failed to get access token"
                    .into(),
            ],
        );
        assert!(
            m.alerts(0)
                .iter()
                .any(|x| x.kind == AlertKind::TokenFailure)
        );
        m.note_test("c", true, &[]);
        assert!(
            !m.alerts(0)
                .iter()
                .any(|x| x.kind == AlertKind::TokenFailure)
        );
        let three = MonitorModel::new(&ids[..3], AlertRules::default());
        assert!(
            three
                .alerts(0)
                .iter()
                .any(|x| x.kind == AlertKind::MissingAgents)
        );
    }

    #[test]
    fn laggard_is_flagged() {
        let ids: Vec<String> = ["a", "b", "c", "d"].iter().map(|s| s.to_string()).collect();
        let mut m = MonitorModel::new(&ids, AlertRules::default());
        for (id, n) in [("a", 10), ("b", 12), ("c", 9), ("d", 80)] {
            m.apply(snap(id, 0, Ok(view(QueueState::Active, n, 0))));
        }
        assert_eq!(m.laggard().as_deref(), Some("d"));
        assert_eq!(m.total_pending(), 111);
    }
}
