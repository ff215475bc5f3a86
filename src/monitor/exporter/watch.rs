//! One task per watched author: the four queues every cycle, the agents looked up again when
//! needed, and every [`SLOW_EVERY`]th cycle one read of the whole author judged by the
//! rulebook (a bounded number of those at once across all authors).

use super::Instance;
use super::metrics::{AgentLabels, InstanceLabels, Metrics, blocked_spell};
use crate::aem::queue::QueueState;
use crate::monitor::poller::{IdleAgents, poll_cycle_sparing};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// Every 12th cycle (a minute at 5 s) the whole author is read once and judged: the token,
/// the JWT certificate and the agents' last tests.
pub const SLOW_EVERY: u64 = 12;

/// An idle agent (JMX depth 0, `queue.json` empty) has its JMX depth confirmed every 6th cycle
/// (half a minute at 5 s) and `queue.json` alone read in between: an idle fleet costs half the
/// requests, and any item, block or pause still shows in the cycle it appears.
pub const JMX_EVERY: u64 = 6;

/// How long the exporter waits before asking AEM again with credentials it refused.
pub const CREDENTIAL_RETRY: Duration = Duration::from_secs(600);

/// Whole-author reads running at once across every watched author: each holds an author's
/// logs for a moment, so a fleet's memory stays flat instead of peaking when they align.
pub const SLOW_READS_AT_ONCE: usize = 4;

/// The agents of the author's Brand Portal tenant.
pub(super) async fn discover(inst: &Instance) -> Result<Vec<String>, String> {
    let tenant = match &inst.tenant {
        Some(t) => t.clone(),
        None => inst
            .reader
            .cloud_configs()
            .await
            .map_err(|e| e.to_string())?
            .into_iter()
            .find(|c| !c.legacy)
            .map(|c| c.tenant_url)
            .ok_or("no Brand Portal cloud configuration")?,
    };
    Ok(inst
        .reader
        .brand_portal_agents(&tenant)
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|a| a.id)
        .collect())
}

/// One read of the whole author, judged as the doctor judges it.
pub(super) async fn judge(inst: &Instance, m: &Metrics) -> Result<(), String> {
    let opts = crate::evidence::ReadOptions {
        tenant: inst.tenant.clone(),
        ..Default::default()
    };
    let ev = crate::evidence::read(&inst.reader, &opts)
        .await
        .map_err(|e| e.to_string())?;
    m.record_judgements(&inst.name, &crate::verdict::gauges::of(&ev));
    Ok(())
}

/// What one watched author remembers between cycles.
struct Watched {
    inst: Instance,
    m: Metrics,
    agents: Vec<String>,
    blocked_since: HashMap<String, i64>,
    /// After a failed poll the agents are looked up again (one may be gone).
    rediscover: bool,
    /// Agents found idle: their JMX depth is asked every [`JMX_EVERY`]th cycle only.
    idle: IdleAgents,
}

impl Watched {
    fn label(&self, agent: &str) -> AgentLabels {
        AgentLabels {
            aem_instance: self.inst.name.clone(),
            agent: agent.to_string(),
        }
    }

    /// Looks the agents up; whether the author answered.
    async fn discover(&mut self, il: &InstanceLabels) -> bool {
        match discover(&self.inst).await {
            Ok(found) => {
                self.m.agents.get_or_create(il).set(found.len() as i64);
                for gone in self.agents.iter().filter(|a| !found.contains(a)) {
                    self.m.forget_agent(&self.label(gone));
                }
                // Present from the start, so rate() has a series to work on.
                for a in &found {
                    self.m.poll_errors.get_or_create(&self.label(a)).inc_by(0);
                }
                self.agents = found;
                true
            }
            Err(e) => {
                tracing::warn!(aem_instance = %self.inst.name, error = %e, "discovery failed");
                false
            }
        }
    }

    /// One cycle of queue reads; whether the author was reached (`None`: nothing asked).
    async fn cycle(&mut self, il: &InstanceLabels, cycle: u64) -> Option<bool> {
        let mut reached = None;
        if self.rediscover || self.agents.is_empty() || cycle.is_multiple_of(30) {
            reached = Some(self.discover(il).await);
        }
        let now = chrono::Utc::now().timestamp_millis();
        let snaps = poll_cycle_sparing(
            &self.inst.reader,
            &self.agents,
            super::AGENTS_AT_ONCE,
            &mut self.idle,
            JMX_EVERY,
        )
        .await;
        if !snaps.is_empty() {
            reached = Some(snaps.iter().any(|s| s.result.is_ok()));
        }
        self.rediscover = snaps.iter().any(|s| s.result.is_err());
        for s in snaps {
            let l = self.label(&s.agent);
            match s.result {
                Ok(v) => {
                    let blocked = v.state == QueueState::Blocked;
                    let since = blocked_spell(&mut self.blocked_since, &s.agent, blocked, s.at);
                    self.m.record_queue(&l, &v, s.at, now, since);
                }
                Err(_) => {
                    self.m.poll_errors.get_or_create(&l).inc();
                    self.m.forget_state(&l);
                }
            }
        }
        if let Some(r) = reached {
            self.m.up.get_or_create(il).set(i64::from(r));
        }
        reached
    }
}

/// Polls one instance forever, updating the metrics; starts after `offset`, so the authors of
/// a fleet are read spread over the interval rather than all at once.
pub(super) async fn watch(
    inst: Instance,
    m: Metrics,
    interval: Duration,
    offset: Duration,
    slow_reads: Arc<Semaphore>,
) {
    tokio::time::sleep(offset).await;
    let il = InstanceLabels {
        aem_instance: inst.name.clone(),
    };
    let mut w = Watched {
        inst,
        m,
        agents: Vec::new(),
        blocked_since: HashMap::new(),
        rediscover: true,
        idle: IdleAgents::default(),
    };
    let mut cycle = 0u64;
    let mut judgement_due = true;
    loop {
        // Refused credentials are tried again at most once per CREDENTIAL_RETRY (one failed
        // login, not one per scrape), so an exporter outlives a directory outage.
        w.inst.reader.retry_credentials_after(CREDENTIAL_RETRY);
        // Boxed while they run, so a waiting task holds only its state, not the largest read's
        // future (hundreds of authors wait at any moment).
        let reached = Box::pin(w.cycle(&il, cycle)).await;
        judgement_due |= cycle.is_multiple_of(SLOW_EVERY);
        // A judgement waits for a free slot at a later cycle rather than holding the queues up.
        if judgement_due
            && reached == Some(true)
            && let Ok(_slot) = slow_reads.try_acquire()
        {
            judgement_due = false;
            if let Err(e) = Box::pin(judge(&w.inst, &w.m)).await {
                tracing::debug!(aem_instance = %w.inst.name, error = %e, "the author's read failed");
            }
        }
        cycle += 1;
        tokio::time::sleep(interval).await;
    }
}
