//! `/probe?target=<profile>`: the multi-target pattern of the blackbox and SNMP exporters.
//! Each scrape reads that author now (its agents' queues, and the token, certificate and test
//! judgements the watched authors get every [`super::watch::SLOW_EVERY`]th cycle) within a
//! budget under Prometheus' scrape timeout, and answers with its series plus
//! `brandlink_probe_success` and `brandlink_probe_duration_seconds`.

use super::metrics::{AgentLabels, InstanceLabels, Metrics, Served, blocked_spell};
use super::watch::{CREDENTIAL_RETRY, discover, judge};
use super::{Instance, Target};
use crate::aem::queue::QueueState;
use crate::monitor::poller::poll_cycle_bounded;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// The probe's budget when Prometheus does not send its scrape timeout (its default is 10 s).
pub const DEFAULT_PROBE_TIMEOUT: Duration = Duration::from_secs(10);
/// Taken off Prometheus' scrape timeout, so the answer arrives before Prometheus gives up.
pub const PROBE_MARGIN: Duration = Duration::from_millis(500);
/// The shortest budget, whatever the header says.
pub const MIN_PROBE_TIMEOUT: Duration = Duration::from_millis(250);
/// The longest budget (a connection lives at most [`super::CONNECTION_LIFETIME`]).
pub const MAX_PROBE_TIMEOUT: Duration = Duration::from_secs(25);
/// Probes running at once; more wait for a slot within their own budget.
pub const MAX_PROBES: usize = 16;
/// Names listed in the answer to an unknown target (the rest are counted).
const NAMES_SHOWN: usize = 20;

/// The budget of one probe from `X-Prometheus-Scrape-Timeout-Seconds` (absent or unreadable:
/// [`DEFAULT_PROBE_TIMEOUT`]), less [`PROBE_MARGIN`], within the bounds above.
pub fn probe_timeout(header: Option<&str>) -> Duration {
    header
        .and_then(|h| h.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0)
        .map(|s| Duration::from_secs_f64(s.min(3600.0)).saturating_sub(PROBE_MARGIN))
        .unwrap_or(DEFAULT_PROBE_TIMEOUT)
        .clamp(MIN_PROBE_TIMEOUT, MAX_PROBE_TIMEOUT)
}

/// Why a probe was not made.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProbeError {
    #[error(
        "no target: name a profile of the config file, e.g. /probe?target=<profile>; the exporter knows {0}"
    )]
    NoTarget(String),
    #[error(
        "unknown target: /probe?target= takes the name of a profile of the exporter's config file ([profiles.NAME]); the exporter knows {0}"
    )]
    Unknown(String),
}

/// The authors that may be probed, and what probes share.
pub struct Probes {
    targets: BTreeMap<String, Result<Instance, String>>,
    slots: Arc<Semaphore>,
    /// Per target and agent, when its blocked spell began (seen by an earlier probe).
    spells: Mutex<HashMap<String, HashMap<String, i64>>>,
}

impl Probes {
    pub fn new(targets: Vec<Target>, max_probes: usize) -> Probes {
        Probes {
            targets: targets.into_iter().map(|t| (t.name, t.instance)).collect(),
            slots: Arc::new(Semaphore::new(max_probes.max(1))),
            spells: Mutex::default(),
        }
    }

    /// "a, b and 3 more" (profile names only; never anything the scraper sent).
    fn known(&self) -> String {
        if self.targets.is_empty() {
            return "no profiles (start it with a config file that has [profiles.NAME] sections)"
                .into();
        }
        let mut names: Vec<&str> = self
            .targets
            .keys()
            .take(NAMES_SHOWN)
            .map(String::as_str)
            .collect();
        let more = self.targets.len().saturating_sub(NAMES_SHOWN);
        let more = (more > 0).then(|| format!("{more} more"));
        names.extend(more.as_deref());
        format!("these profiles: {}", names.join(", "))
    }

    /// The target named in a query string (`target=<profile>`).
    pub fn target<'a>(&'a self, query: Option<&str>) -> Result<&'a str, ProbeError> {
        let wanted = query.and_then(|q| {
            reqwest::Url::parse(&format!("http://probe/?{q}"))
                .ok()?
                .query_pairs()
                .find(|(k, _)| k == "target")
                .map(|(_, v)| v.into_owned())
        });
        let wanted = match wanted {
            Some(w) if !w.trim().is_empty() => w,
            _ => return Err(ProbeError::NoTarget(self.known())),
        };
        self.targets
            .get_key_value(wanted.trim())
            .map(|(k, _)| k.as_str())
            .ok_or_else(|| ProbeError::Unknown(self.known()))
    }

    /// Probes a known target within `budget`; the answer in the OpenMetrics text format.
    pub async fn probe(&self, name: &str, budget: Duration) -> Result<String, std::fmt::Error> {
        let started = Instant::now();
        let m = Metrics::default();
        let outcome = match self.targets.get(name) {
            Some(Ok(inst)) => tokio::time::timeout(budget, self.read(inst, &m))
                .await
                .unwrap_or_else(|_| Err(format!("no answer within {} ms", budget.as_millis()))),
            Some(Err(why)) => Err(why.clone()),
            None => Err("unknown target".into()),
        };
        if let Err(e) = &outcome {
            tracing::debug!(target_profile = %name, error = %e, "probe failed");
        }
        let mut r = Registry::default();
        m.register(&mut r, Served::Probe);
        let il = InstanceLabels {
            aem_instance: name.to_string(),
        };
        let success = Family::<InstanceLabels, Gauge>::default();
        success.get_or_create(&il).set(i64::from(outcome.is_ok()));
        let duration = Family::<InstanceLabels, Gauge<f64, AtomicU64>>::default();
        duration
            .get_or_create(&il)
            .set(started.elapsed().as_secs_f64());
        r.register(
            "brandlink_probe_success",
            "1 when the probe read the author's queues and judgements within its budget",
            success,
        );
        r.register(
            "brandlink_probe_duration_seconds",
            "How long the probe took",
            duration,
        );
        let mut body = String::new();
        prometheus_client::encoding::text::encode(&mut body, &r)?;
        Ok(body)
    }

    /// One read of the author into `m`: what was read is kept even when a later part fails
    /// or the budget runs out.
    async fn read(&self, inst: &Instance, m: &Metrics) -> Result<(), String> {
        let _slot = self
            .slots
            .acquire()
            .await
            .map_err(|_| "the exporter is stopping".to_string())?;
        inst.reader.retry_credentials_after(CREDENTIAL_RETRY);
        let il = InstanceLabels {
            aem_instance: inst.name.clone(),
        };
        m.up.get_or_create(&il).set(0);
        let agents = discover(inst).await?;
        m.agents.get_or_create(&il).set(agents.len() as i64);
        let now = chrono::Utc::now().timestamp_millis();
        let snaps = poll_cycle_bounded(&inst.reader, &agents, super::AGENTS_AT_ONCE).await;
        let mut failed = None;
        let mut spells = self.spells_of(&inst.name);
        for s in snaps {
            let l = AgentLabels {
                aem_instance: inst.name.clone(),
                agent: s.agent.clone(),
            };
            match s.result {
                Ok(v) => {
                    let blocked = v.state == QueueState::Blocked;
                    let since = blocked_spell(&mut spells, &s.agent, blocked, s.at);
                    m.record_queue(&l, &v, s.at, now, since);
                }
                Err(e) => failed = Some(e),
            }
        }
        spells.retain(|a, _| agents.contains(a));
        if let Ok(mut all) = self.spells.lock() {
            all.insert(inst.name.clone(), spells);
        }
        m.up.get_or_create(&il).set(1);
        if let Some(e) = failed {
            return Err(e);
        }
        judge(inst, m).await
    }

    fn spells_of(&self, name: &str) -> HashMap<String, i64> {
        self.spells
            .lock()
            .ok()
            .and_then(|all| all.get(name).cloned())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_follows_prometheus_less_a_margin() {
        assert_eq!(probe_timeout(None), DEFAULT_PROBE_TIMEOUT);
        assert_eq!(probe_timeout(Some("10")), Duration::from_millis(9500));
        assert_eq!(probe_timeout(Some(" 2.5 ")), Duration::from_secs(2));
        assert_eq!(probe_timeout(Some("0.1")), MIN_PROBE_TIMEOUT);
        assert_eq!(probe_timeout(Some("600")), MAX_PROBE_TIMEOUT);
        for bad in ["", "soon", "-3", "NaN", "inf"] {
            assert_eq!(probe_timeout(Some(bad)), DEFAULT_PROBE_TIMEOUT, "{bad}");
        }
    }

    #[test]
    fn an_unknown_target_names_the_profiles_never_the_query() {
        let p = Probes::new(
            vec![Target {
                name: "prod".into(),
                instance: Err("AEM_PROD_PASSWORD is not set".into()),
            }],
            1,
        );
        assert_eq!(p.target(Some("target=prod")), Ok("prod"));
        assert_eq!(p.target(Some("module=x&target=%20prod")), Ok("prod"));
        let e = p
            .target(Some("target=http://admin:S3cret@author"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("prod") && !e.contains("S3cret"), "{e}");
        assert!(matches!(p.target(None), Err(ProbeError::NoTarget(_))));
        assert!(matches!(
            p.target(Some("target=")),
            Err(ProbeError::NoTarget(_))
        ));
    }
}
