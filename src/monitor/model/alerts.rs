//! Alerts: what the monitor raises from an agent's history (blocked with its cause, disabled,
//! missing agents, retried head, not draining, stale data, token failures), one line for what
//! the agents share.

use super::MonitorModel;
use crate::aem::queue::QueueState;
pub use crate::verdict::causes::BlockCause;
use serde::Serialize;

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
    /// The rulebook's thresholds (`crate::verdict::thresholds`).
    fn default() -> Self {
        use crate::verdict::thresholds as t;
        AlertRules {
            max_attempts: t::RETRIES_WARN,
            not_draining_ms: t::NOT_DRAINING_MS,
            expected_agents: t::EXPECTED_AGENTS,
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

impl MonitorModel {
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

    /// Records a Test Connection's transcript: a token failure in it (AEM's own record, read
    /// by the one log interpreter) raises an alert until a test of that agent passes.
    pub fn note_test(&mut self, agent: &str, success: bool, transcript: &[String]) {
        self.token_failures.retain(|a| a != agent);
        let entries =
            crate::evidence::logs::entries(transcript, crate::evidence::LogSource::Test, None);
        if !success
            && crate::verdict::causes::explain(&entries).is_some_and(|c| c.kind.about_token())
        {
            self.token_failures.push(agent.to_string());
        }
    }

    pub fn alerts(&self, now: i64) -> Vec<Alert> {
        let mut out = Vec::new();
        let r = &self.rules;
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
        for a in &self.token_failures {
            out.push(Alert {
                agent: Some(a.clone()),
                kind: AlertKind::TokenFailure,
                message: format!("{a}: Test Connection shows AEM cannot obtain an IMS token"),
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
