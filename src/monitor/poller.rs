//! One poller per agent: a quick first poll, then a steady interval with a floor; a poll never
//! overlaps the previous one; failures follow the one retry policy ([`Retry`]): the author
//! coming back is backed off exponentially, rejected credentials wait for a refresh request
//! (never retried by themselves); a refresh request polls now; the poller stops when nobody
//! listens any more.

use super::model::{QueueView, Snapshot};
use crate::aem::{Reader, Retry};
use rand::Rng;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// The shortest interval allowed: more often only loads the author.
pub const MIN_INTERVAL: Duration = Duration::from_millis(500);

#[derive(Clone, Copy, Debug)]
pub struct PollConfig {
    pub interval: Duration,
    pub max_backoff: Duration,
}

impl Default for PollConfig {
    fn default() -> Self {
        PollConfig {
            interval: Duration::from_secs(2),
            max_backoff: Duration::from_secs(60),
        }
    }
}

impl PollConfig {
    pub fn with_interval(interval: Duration) -> Self {
        PollConfig {
            interval: interval.max(MIN_INTERVAL),
            ..Default::default()
        }
    }
    /// The wait after `failures` consecutive transient errors (0 = healthy), with up to 10 %
    /// jitter.
    pub fn delay(&self, failures: u32) -> Duration {
        let base = match failures {
            0 => self.interval,
            n => Retry::Backoff
                .delay(n, self.interval, self.max_backoff)
                .unwrap_or(self.max_backoff),
        };
        jitter(base, failures)
    }
}

/// Up to 10 % more on a wait after failures, so pollers of many authors do not align.
fn jitter(wait: Duration, failures: u32) -> Duration {
    if failures == 0 {
        return wait;
    }
    wait + wait.mul_f64(rand::rng().random_range(0.0..0.1))
}

/// Polls one agent: `queue.json` and the JMX MBean at the same time.
pub async fn poll_once(client: &Reader, agent: &str) -> Snapshot {
    poll_agent(client, agent).await.0
}

/// As [`poll_once`], with the retry policy of a failed poll.
async fn poll_agent(client: &Reader, agent: &str) -> (Snapshot, Option<Retry>) {
    let mut retry = None;
    let result = match client.queue_and_depth(agent).await {
        Ok((q, depth)) => Ok(QueueView::from_status(q, depth)),
        Err(e) => {
            retry = Some(e.retry());
            Err(e.to_string())
        }
    };
    let snap = Snapshot {
        agent: agent.to_string(),
        at: chrono::Utc::now().timestamp_millis(),
        result,
    };
    (snap, retry)
}

/// All agents once, concurrently.
pub async fn poll_cycle(client: &Reader, agents: &[String]) -> Vec<Snapshot> {
    futures::future::join_all(agents.iter().map(|a| poll_once(client, a))).await
}

/// All agents once, at most `at_once` at a time (each agent's two requests together), in the
/// order given: fewer connections to the author than [`poll_cycle`], for a process reading
/// many authors.
pub async fn poll_cycle_bounded(
    client: &Reader,
    agents: &[String],
    at_once: usize,
) -> Vec<Snapshot> {
    let mut out = Vec::with_capacity(agents.len());
    for group in agents.chunks(at_once.max(1)) {
        out.extend(poll_cycle(client, group).await);
    }
    out
}

/// The agents the last poll found idle, each with the cycles since AEM's JMX depth last said 0.
#[derive(Debug, Default)]
pub struct IdleAgents(std::collections::HashMap<String, u64>);

/// As [`poll_cycle_bounded`], sparing the JMX request of idle agents: an agent whose JMX depth
/// was 0 and whose `queue.json` is still empty and unblocked is read from `queue.json` alone,
/// and AEM's JMX depth is asked again every `jmx_every`-th cycle (or at once when `queue.json`
/// shows anything). An idle fleet then costs one request per agent and cycle instead of two;
/// any work, block or pause is seen in the same cycle as before.
pub async fn poll_cycle_sparing(
    client: &Reader,
    agents: &[String],
    at_once: usize,
    idle: &mut IdleAgents,
    jmx_every: u64,
) -> Vec<Snapshot> {
    let mut out = Vec::with_capacity(agents.len());
    for group in agents.chunks(at_once.max(1)) {
        let polls = group.iter().map(|a| {
            let since = idle.0.get(a).copied().filter(|n| n + 1 < jmx_every.max(1));
            poll_sparing(client, a, since)
        });
        for (snap, since) in futures::future::join_all(polls).await {
            match since {
                Some(n) => idle.0.insert(snap.agent.clone(), n),
                None => idle.0.remove(&snap.agent),
            };
            out.push(snap);
        }
    }
    idle.0.retain(|a, _| agents.contains(a));
    out
}

/// One agent: `queue.json` alone while it was idle (`since`: cycles since JMX said 0), else both.
/// Returns the snapshot and the agent's new idle count (`None`: not idle).
async fn poll_sparing(client: &Reader, agent: &str, since: Option<u64>) -> (Snapshot, Option<u64>) {
    use crate::aem::queue::{Depth, DepthSource, QueueState};
    if let Some(n) = since
        && let Ok(q) = client.queue(agent).await
        && q.state() == QueueState::Idle
    {
        let depth = Depth {
            count: 0,
            at_least: false,
            source: DepthSource::Jmx,
        };
        let snap = Snapshot {
            agent: agent.to_string(),
            at: chrono::Utc::now().timestamp_millis(),
            result: Ok(QueueView::from_status(q, depth)),
        };
        return (snap, Some(n + 1));
    }
    let snap = poll_once(client, agent).await;
    let idle = snap
        .result
        .as_ref()
        .is_ok_and(|v| v.state == QueueState::Idle && v.depth.count == 0 && !v.depth.at_least);
    (snap, idle.then_some(0))
}

/// Running pollers; dropping them stops them.
pub struct Pollers {
    pub agents: Vec<String>,
    refresh: Vec<mpsc::Sender<()>>,
    tasks: Vec<JoinHandle<()>>,
}

impl Pollers {
    pub fn spawn(
        client: &Reader,
        agents: &[String],
        cfg: PollConfig,
        tx: mpsc::UnboundedSender<Snapshot>,
    ) -> Pollers {
        let mut refresh = Vec::new();
        let mut tasks = Vec::new();
        for agent in agents {
            let (rtx, mut rrx) = mpsc::channel::<()>(1);
            let client = client.clone();
            let tx = tx.clone();
            let agent = agent.clone();
            tasks.push(tokio::spawn(async move {
                let mut failures = 0u32;
                loop {
                    let (snap, retry) = poll_agent(&client, &agent).await;
                    failures = if snap.result.is_ok() {
                        0
                    } else {
                        failures.saturating_add(1)
                    };
                    if tx.send(snap).is_err() {
                        break;
                    }
                    let wait = match retry {
                        None => Some(cfg.interval),
                        Some(r) => r.delay(failures, cfg.interval, cfg.max_backoff),
                    };
                    match wait {
                        Some(wait) => tokio::select! {
                            _ = tokio::time::sleep(jitter(wait, failures)) => {}
                            r = rrx.recv() => if r.is_none() { break },
                        },
                        // Rejected credentials: poll again only when the operator asks (r).
                        None => {
                            if rrx.recv().await.is_none() {
                                break;
                            }
                        }
                    }
                }
            }));
            refresh.push(rtx);
        }
        Pollers {
            agents: agents.to_vec(),
            refresh,
            tasks,
        }
    }

    /// Polls every agent now (a request while a poll runs is merged into the next one).
    pub fn refresh(&self) {
        for r in &self.refresh {
            let _ = r.try_send(());
        }
    }
}

impl Drop for Pollers {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floor_and_backoff() {
        assert_eq!(
            PollConfig::with_interval(Duration::from_millis(10)).interval,
            MIN_INTERVAL
        );
        let c = PollConfig::with_interval(Duration::from_secs(2));
        assert_eq!(c.delay(0), Duration::from_secs(2));
        let d1 = c.delay(1);
        assert!(d1 >= Duration::from_secs(4) && d1 <= Duration::from_millis(4400));
        assert!(c.delay(20) <= Duration::from_secs(66));
    }
}
