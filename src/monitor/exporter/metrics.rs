//! The metric families, their labels, and how one read of an author becomes series: the same
//! code fills `/metrics` (the watched authors, kept between cycles) and each `/probe` answer.

use super::super::model::QueueView;
use crate::aem::queue::QueueState;
use crate::verdict::gauges::Gauges;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;

/// Labels of an agent's series. The author is `aem_instance`: Prometheus gives every scraped
/// series an `instance` label of its own (the exporter's address), which would clash.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct AgentLabels {
    pub aem_instance: String,
    pub agent: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct InstanceLabels {
    pub aem_instance: String,
}

type GaugeF = Gauge<f64, AtomicU64>;

/// The metric families, registered once.
#[derive(Clone, Default)]
pub struct Metrics {
    pub pending: Family<AgentLabels, Gauge>,
    pub blocked: Family<AgentLabels, Gauge>,
    pub paused: Family<AgentLabels, Gauge>,
    pub enabled: Family<AgentLabels, Gauge>,
    pub head_attempts: Family<AgentLabels, Gauge>,
    pub oldest_age: Family<AgentLabels, GaugeF>,
    pub last_poll: Family<AgentLabels, GaugeF>,
    pub poll_errors: Family<AgentLabels, Counter>,
    pub agents: Family<InstanceLabels, Gauge>,
    pub up: Family<InstanceLabels, Gauge>,
    pub blocked_seconds: Family<AgentLabels, GaugeF>,
    pub last_test_ok: Family<AgentLabels, Gauge>,
    pub last_test_time: Family<AgentLabels, GaugeF>,
    pub token_ok: Family<InstanceLabels, Gauge>,
    pub cert_expiry: Family<InstanceLabels, Gauge>,
}

/// Which series a registry serves: `/metrics` keeps history between cycles (the poll error
/// counter); a probe answers one read and has none.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Served {
    Watched,
    Probe,
}

impl Metrics {
    pub fn register(&self, r: &mut Registry, served: Served) {
        let agent = [
            (
                "brandlink_queue_pending",
                "Items waiting in the agent's replication queue",
                &self.pending,
            ),
            (
                "brandlink_queue_blocked",
                "1 when the queue is blocked (a delivery keeps failing)",
                &self.blocked,
            ),
            (
                "brandlink_queue_paused",
                "1 when the queue is paused",
                &self.paused,
            ),
            (
                "brandlink_agent_enabled",
                "1 when the agent is enabled",
                &self.enabled,
            ),
            (
                "brandlink_queue_head_attempts",
                "Delivery attempts of the item at the head of the queue",
                &self.head_attempts,
            ),
            (
                "brandlink_agent_last_test_success",
                "1 when the agent's last Test Connection in its log succeeded, 0 when it failed",
                &self.last_test_ok,
            ),
        ];
        for (name, help, family) in agent {
            r.register(name, help, family.clone());
        }
        let agent_f = [
            (
                "brandlink_queue_oldest_item_age_seconds",
                "Age of the oldest item AEM lists in the queue (0 when empty)",
                &self.oldest_age,
            ),
            (
                "brandlink_last_successful_poll_timestamp_seconds",
                "When the agent's queue was last read successfully",
                &self.last_poll,
            ),
            (
                "brandlink_queue_blocked_seconds",
                "How long the queue has been blocked (0 when it is not)",
                &self.blocked_seconds,
            ),
            (
                "brandlink_agent_last_test_timestamp_seconds",
                "When the agent's last Test Connection ran (from the agent log, its times taken as UTC)",
                &self.last_test_time,
            ),
        ];
        for (name, help, family) in agent_f {
            r.register(name, help, family.clone());
        }
        if served == Served::Watched {
            r.register(
                "brandlink_poll_errors",
                "Failed polls of the agent's queue",
                self.poll_errors.clone(),
            );
        }
        let author = [
            (
                "brandlink_brand_portal_agents",
                "Brand Portal agents found for the tenant (AEM creates 4)",
                &self.agents,
            ),
            (
                "brandlink_ims_token_ok",
                "0 when the agent logs show AEM failing to obtain an IMS token since its last success",
                &self.token_ok,
            ),
            (
                "brandlink_certificate_expiry_timestamp_seconds",
                "When the Brand Portal IMS certificate (JWT, brandportal-imsconfig-service) expires",
                &self.cert_expiry,
            ),
            (
                "brandlink_instance_up",
                "1 when the last poll cycle read the author (0 while it cannot be read)",
                &self.up,
            ),
        ];
        for (name, help, family) in author {
            r.register(name, help, family.clone());
        }
    }

    /// Takes away an agent's state series: after a failed poll they would show old values as
    /// current (the last successful poll's timestamp stays, and says how old they are).
    pub fn forget_state(&self, l: &AgentLabels) {
        self.pending.remove(l);
        self.blocked.remove(l);
        self.paused.remove(l);
        self.enabled.remove(l);
        self.head_attempts.remove(l);
        self.oldest_age.remove(l);
        self.blocked_seconds.remove(l);
    }

    /// Takes away every series of an agent that is gone.
    pub fn forget_agent(&self, l: &AgentLabels) {
        self.forget_state(l);
        self.last_poll.remove(l);
        self.poll_errors.remove(l);
        self.last_test_ok.remove(l);
        self.last_test_time.remove(l);
    }

    /// A queue read at `at` (epoch ms), `blocked_since` the start of its blocked spell if it
    /// is blocked, `now` the time its items' ages are measured at.
    pub fn record_queue(
        &self,
        l: &AgentLabels,
        v: &QueueView,
        at: i64,
        now: i64,
        blocked_since: Option<i64>,
    ) {
        self.pending.get_or_create(l).set(v.depth.count as i64);
        self.blocked
            .get_or_create(l)
            .set(i64::from(v.state == QueueState::Blocked));
        self.paused
            .get_or_create(l)
            .set(i64::from(v.state == QueueState::Paused));
        self.enabled
            .get_or_create(l)
            .set(i64::from(v.state != QueueState::Disabled));
        self.head_attempts
            .get_or_create(l)
            .set(v.head().map(|h| h.attempts as i64).unwrap_or(0));
        let oldest = v.items.iter().map(|i| i.time).min();
        self.oldest_age
            .get_or_create(l)
            .set(oldest.map_or(0.0, |t| (now - t).max(0) as f64 / 1000.0));
        self.last_poll.get_or_create(l).set(at as f64 / 1000.0);
        self.blocked_seconds
            .get_or_create(l)
            .set(blocked_since.map_or(0.0, |t| (at - t).max(0) as f64 / 1000.0));
    }

    /// The judgements of one read of the author (the doctor's rulebook).
    pub fn record_judgements(&self, author: &str, g: &Gauges) {
        let il = InstanceLabels {
            aem_instance: author.to_string(),
        };
        for (a, ok, at) in &g.last_tests {
            let l = AgentLabels {
                aem_instance: author.to_string(),
                agent: a.clone(),
            };
            self.last_test_ok.get_or_create(&l).set(i64::from(*ok));
            self.last_test_time.get_or_create(&l).set(*at);
        }
        match g.token_ok {
            Some(ok) => {
                self.token_ok.get_or_create(&il).set(i64::from(ok));
            }
            None => {
                self.token_ok.remove(&il);
            }
        }
        match g.cert_expiry {
            Some(t) => {
                self.cert_expiry.get_or_create(&il).set(t);
            }
            None => {
                self.cert_expiry.remove(&il);
            }
        }
    }
}

/// The start of an agent's blocked spell, remembered between reads: `Some` while blocked.
pub fn blocked_spell(
    spells: &mut std::collections::HashMap<String, i64>,
    agent: &str,
    blocked: bool,
    at: i64,
) -> Option<i64> {
    if blocked {
        Some(*spells.entry(agent.to_string()).or_insert(at))
    } else {
        spells.remove(agent);
        None
    }
}
