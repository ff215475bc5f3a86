//! What the monitor knows about each agent: the latest snapshot, pending-count history for the
//! sparkline, change markers, throughput, staleness and alerts. Pure data: updated from
//! immutable snapshots the pollers send. `alerts` turns it into the alerts; `tests` tries it on
//! synthetic histories.

mod alerts;

pub use alerts::{Alert, AlertKind, AlertRules, BlockCause};

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
/// between: `lastProcessTime` unchanged (the items were cleared, not delivered), or gone (the
/// author restarted and its queues are new). `reports` says whether this queue's author has
/// shown a `lastProcessTime` before: while a queue on such an author has none, it processed
/// nothing since the restart; an author that never reports one is taken at its depth.
pub fn delivered_between(prev: &QueueView, cur: &QueueView, reports: bool) -> u64 {
    let processed = match (prev.last_process_time, cur.last_process_time) {
        (Some(a), Some(b)) => b > a,
        (None, Some(_)) => true,
        // Gone: the author restarted, the queue is new; what left it was not delivered.
        (Some(_), None) => false,
        // Not yet processed since a restart.
        (None, None) if reports => false,
        // AEM does not say: a removal counts only when the queue is not paused or disabled.
        (None, None) => !matches!(cur.state, QueueState::Paused | QueueState::Disabled),
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

/// The author restarted between two polls: its queue no longer says when it last processed.
pub fn restarted_between(prev: &QueueView, cur: &QueueView) -> bool {
    prev.last_process_time.is_some() && cur.last_process_time.is_none()
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
    /// AEM has said when it last processed this queue (`lastProcessTime`): its absence later
    /// means a restart, not an author that does not say.
    pub reports_process_time: bool,
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
                let mut restarted = false;
                if let Some(before) = &h.latest {
                    let n = delivered_between(before, &view, h.reports_process_time);
                    if n > 0 {
                        h.drained.push_back((s.at, n));
                    }
                    restarted = restarted_between(before, &view);
                }
                h.reports_process_time |= view.last_process_time.is_some();
                h.observed_since.get_or_insert(s.at);
                // A drop in depth across a restart is no progress (an empty queue still is).
                let fell = prev.is_some_and(|p| pending < p) && !restarted;
                if pending == 0 || fell || h.last_progress.is_none() {
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
}

#[cfg(test)]
mod tests;
