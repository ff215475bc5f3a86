//! A Prometheus exporter: polls the Brand Portal agents of one or more authors and serves
//! `/metrics` in the OpenMetrics text format, so an existing Prometheus and Grafana watch a
//! fleet instead of many terminals.

use super::poller::poll_cycle;
use crate::aem::AemClient;
use crate::aem::queue::QueueState;
use hyper_util::rt::{TokioIo, TokioTimer};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;
use tokio::task::JoinHandle;

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

/// The metric families, registered once.
#[derive(Clone, Default)]
pub struct Metrics {
    pub pending: Family<AgentLabels, Gauge>,
    pub blocked: Family<AgentLabels, Gauge>,
    pub paused: Family<AgentLabels, Gauge>,
    pub enabled: Family<AgentLabels, Gauge>,
    pub head_attempts: Family<AgentLabels, Gauge>,
    pub oldest_age: Family<AgentLabels, Gauge<f64, AtomicU64>>,
    pub last_poll: Family<AgentLabels, Gauge<f64, AtomicU64>>,
    pub poll_errors: Family<AgentLabels, Counter>,
    pub agents: Family<InstanceLabels, Gauge>,
    pub up: Family<InstanceLabels, Gauge>,
    pub blocked_seconds: Family<AgentLabels, Gauge<f64, AtomicU64>>,
    pub last_test_ok: Family<AgentLabels, Gauge>,
    pub last_test_time: Family<AgentLabels, Gauge<f64, AtomicU64>>,
    pub token_ok: Family<InstanceLabels, Gauge>,
    pub cert_days_left: Family<InstanceLabels, Gauge>,
}

impl Metrics {
    pub fn register(&self, r: &mut Registry) {
        r.register(
            "brandlink_queue_pending",
            "Items waiting in the agent's replication queue",
            self.pending.clone(),
        );
        r.register(
            "brandlink_queue_blocked",
            "1 when the queue is blocked (a delivery keeps failing)",
            self.blocked.clone(),
        );
        r.register(
            "brandlink_queue_paused",
            "1 when the queue is paused",
            self.paused.clone(),
        );
        r.register(
            "brandlink_agent_enabled",
            "1 when the agent is enabled",
            self.enabled.clone(),
        );
        r.register(
            "brandlink_queue_head_attempts",
            "Delivery attempts of the item at the head of the queue",
            self.head_attempts.clone(),
        );
        r.register(
            "brandlink_queue_oldest_item_age_seconds",
            "Age of the oldest item AEM lists in the queue (0 when empty)",
            self.oldest_age.clone(),
        );
        r.register(
            "brandlink_last_successful_poll_timestamp_seconds",
            "When the agent's queue was last read successfully",
            self.last_poll.clone(),
        );
        r.register(
            "brandlink_poll_errors",
            "Failed polls of the agent's queue",
            self.poll_errors.clone(),
        );
        r.register(
            "brandlink_brand_portal_agents",
            "Brand Portal agents found for the tenant (AEM creates 4)",
            self.agents.clone(),
        );
        r.register(
            "brandlink_queue_blocked_seconds",
            "How long the queue has been blocked (0 when it is not)",
            self.blocked_seconds.clone(),
        );
        r.register(
            "brandlink_agent_last_test_success",
            "1 when the agent's last Test Connection in its log succeeded, 0 when it failed",
            self.last_test_ok.clone(),
        );
        r.register(
            "brandlink_agent_last_test_timestamp_seconds",
            "When the agent's last Test Connection ran (from the agent log, its times taken as UTC)",
            self.last_test_time.clone(),
        );
        r.register(
            "brandlink_ims_token_ok",
            "0 when the agent logs show AEM failing to obtain an IMS token since its last success",
            self.token_ok.clone(),
        );
        r.register(
            "brandlink_certificate_days_left",
            "Days until the Brand Portal IMS certificate (JWT, brandportal-imsconfig-service) expires",
            self.cert_days_left.clone(),
        );
        r.register(
            "brandlink_instance_up",
            "1 when the last poll cycle read the author (0 while it cannot be read)",
            self.up.clone(),
        );
    }
}

/// One author to watch.
#[derive(Clone, Debug)]
pub struct Instance {
    pub name: String,
    pub client: AemClient,
    /// The tenant URL; None = from the author's cloud configuration.
    pub tenant: Option<String>,
}

async fn discover(inst: &Instance) -> Result<Vec<String>, String> {
    let tenant = match &inst.tenant {
        Some(t) => t.clone(),
        None => inst
            .client
            .cloud_configs()
            .await
            .map_err(|e| e.to_string())?
            .into_iter()
            .find(|c| !c.legacy)
            .map(|c| c.tenant_url)
            .ok_or("no Brand Portal cloud configuration")?,
    };
    Ok(inst
        .client
        .brand_portal_agents(&tenant)
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|a| a.id)
        .collect())
}

impl Metrics {
    /// Takes away an agent's state series: after a failed poll they would show old values as
    /// current (the last successful poll's timestamp stays, and says how old they are).
    fn forget_state(&self, l: &AgentLabels) {
        self.pending.remove(l);
        self.blocked.remove(l);
        self.paused.remove(l);
        self.enabled.remove(l);
        self.head_attempts.remove(l);
        self.oldest_age.remove(l);
        self.blocked_seconds.remove(l);
    }

    /// Takes away every series of an agent that is gone.
    fn forget_agent(&self, l: &AgentLabels) {
        self.forget_state(l);
        self.last_poll.remove(l);
        self.poll_errors.remove(l);
        self.last_test_ok.remove(l);
        self.last_test_time.remove(l);
    }
}

/// Every 12th cycle (a minute at 5 s) the whole author is read once and judged: the token,
/// the JWT certificate and the agents' last tests.
const SLOW_EVERY: u64 = 12;

/// Polls one instance forever, updating the metrics.
/// How long the exporter waits before asking AEM again with credentials it refused.
pub const CREDENTIAL_RETRY: Duration = Duration::from_secs(600);

async fn watch(inst: Instance, m: Metrics, interval: Duration) {
    let il = InstanceLabels {
        aem_instance: inst.name.clone(),
    };
    let label = |agent: &str| AgentLabels {
        aem_instance: inst.name.clone(),
        agent: agent.to_string(),
    };
    let mut agents: Vec<String> = Vec::new();
    let mut cycle = 0u64;
    let mut blocked_since: std::collections::HashMap<String, i64> = Default::default();
    // After a failed poll the agents are looked up again (one may be gone).
    let mut rediscover = true;
    loop {
        // Refused credentials are tried again at most once per CREDENTIAL_RETRY (one failed
        // login, not one per scrape), so an exporter outlives a directory outage.
        inst.client.retry_credentials_after(CREDENTIAL_RETRY);
        let mut reached = None;
        if rediscover || agents.is_empty() || cycle.is_multiple_of(30) {
            match discover(&inst).await {
                Ok(found) => {
                    reached = Some(true);
                    m.agents.get_or_create(&il).set(found.len() as i64);
                    for gone in agents.iter().filter(|a| !found.contains(a)) {
                        m.forget_agent(&label(gone));
                    }
                    // Present from the start, so rate() has a series to work on.
                    for a in &found {
                        m.poll_errors.get_or_create(&label(a)).inc_by(0);
                    }
                    agents = found;
                }
                Err(e) => {
                    tracing::warn!(aem_instance = %inst.name, error = %e, "discovery failed");
                    reached = Some(false);
                }
            }
        }
        let now = chrono::Utc::now().timestamp_millis();
        let snaps = poll_cycle(&inst.client, &agents).await;
        if !snaps.is_empty() {
            reached = Some(snaps.iter().any(|s| s.result.is_ok()));
        }
        rediscover = snaps.iter().any(|s| s.result.is_err());
        for s in snaps {
            let l = label(&s.agent);
            match s.result {
                Ok(v) => {
                    m.pending.get_or_create(&l).set(v.depth.count as i64);
                    m.blocked
                        .get_or_create(&l)
                        .set(i64::from(v.state == QueueState::Blocked));
                    m.paused
                        .get_or_create(&l)
                        .set(i64::from(v.state == QueueState::Paused));
                    m.enabled
                        .get_or_create(&l)
                        .set(i64::from(v.state != QueueState::Disabled));
                    m.head_attempts
                        .get_or_create(&l)
                        .set(v.head().map(|h| h.attempts as i64).unwrap_or(0));
                    let oldest = v.items.iter().map(|i| i.time).min();
                    m.oldest_age
                        .get_or_create(&l)
                        .set(oldest.map_or(0.0, |t| (now - t).max(0) as f64 / 1000.0));
                    m.last_poll.get_or_create(&l).set(s.at as f64 / 1000.0);
                    let since = if v.state == QueueState::Blocked {
                        Some(*blocked_since.entry(s.agent.clone()).or_insert(s.at))
                    } else {
                        blocked_since.remove(&s.agent);
                        None
                    };
                    m.blocked_seconds
                        .get_or_create(&l)
                        .set(since.map_or(0.0, |t| (s.at - t).max(0) as f64 / 1000.0));
                }
                Err(_) => {
                    m.poll_errors.get_or_create(&l).inc();
                    m.forget_state(&l);
                }
            }
        }
        if let Some(r) = reached {
            m.up.get_or_create(&il).set(i64::from(r));
        }
        if reached == Some(true) && cycle.is_multiple_of(SLOW_EVERY) {
            // One read of the author, judged by the rulebook the doctor uses.
            let opts = crate::evidence::ReadOptions {
                tenant: inst.tenant.clone(),
                ..Default::default()
            };
            if let Ok(ev) = crate::evidence::read(&inst.client, &opts).await {
                let g = crate::verdict::gauges::of(&ev);
                for (a, ok, at) in &g.last_tests {
                    m.last_test_ok.get_or_create(&label(a)).set(i64::from(*ok));
                    m.last_test_time.get_or_create(&label(a)).set(*at);
                }
                match g.token_ok {
                    Some(ok) => {
                        m.token_ok.get_or_create(&il).set(i64::from(ok));
                    }
                    None => {
                        m.token_ok.remove(&il);
                    }
                }
                match g.cert_days_left {
                    Some(d) => {
                        m.cert_days_left.get_or_create(&il).set(d);
                    }
                    None => {
                        m.cert_days_left.remove(&il);
                    }
                }
            }
        }
        cycle += 1;
        tokio::time::sleep(interval).await;
    }
}

/// A running exporter; dropping it stops the server and the pollers.
pub struct Exporter {
    pub addr: SocketAddr,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for Exporter {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl Exporter {
    pub async fn start(
        instances: Vec<Instance>,
        listen: SocketAddr,
        interval: Duration,
    ) -> std::io::Result<Exporter> {
        let metrics = Metrics::default();
        let mut registry = Registry::default();
        metrics.register(&mut registry);
        let registry = Arc::new(registry);
        let listener = tokio::net::TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        let mut tasks: Vec<JoinHandle<()>> = instances
            .into_iter()
            .map(|i| tokio::spawn(watch(i, metrics.clone(), interval)))
            .collect();
        tasks.push(tokio::spawn(serve(listener, registry)));
        Ok(Exporter { addr, tasks })
    }
}

/// Connections served at once; more wait briefly for a slot (at most as many again), and the
/// rest are closed at once, so a flood never exhausts file descriptors.
pub const MAX_CONNECTIONS: usize = 256;
/// How long a connection may take to send a request's headers (a half-sent request or an idle
/// connection is closed after this).
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(5);
/// How long one connection may live, keep-alive included (Prometheus reconnects).
pub const CONNECTION_LIFETIME: Duration = Duration::from_secs(30);
/// How long a connection beyond [`MAX_CONNECTIONS`] waits for a slot (longer than
/// [`HEADER_TIMEOUT`], so idle ones have made room by then).
pub const QUEUE_WAIT: Duration = Duration::from_secs(8);

async fn serve(listener: tokio::net::TcpListener, registry: Arc<Registry>) {
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    let queue = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    let mut failures = 0u32;
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => {
                failures = 0;
                stream
            }
            Err(e) => {
                // Out of file descriptors (EMFILE) repeats at once: wait, do not spin.
                failures = failures.saturating_add(1);
                if failures == 1 {
                    tracing::warn!("the exporter cannot accept connections: {e}");
                }
                tokio::time::sleep(accept_pause(failures)).await;
                continue;
            }
        };
        let slot = match slots.clone().try_acquire_owned() {
            Ok(s) => s,
            Err(_) => {
                // Full: wait briefly in a bounded queue, or close at once.
                let Ok(place) = queue.clone().try_acquire_owned() else {
                    drop(stream);
                    continue;
                };
                let slots = slots.clone();
                let registry = registry.clone();
                tokio::spawn(async move {
                    let waited = tokio::time::timeout(QUEUE_WAIT, slots.acquire_owned()).await;
                    drop(place);
                    if let Ok(Ok(slot)) = waited {
                        serve_one(stream, registry, slot).await;
                    }
                });
                continue;
            }
        };
        tokio::spawn(serve_one(stream, registry.clone(), slot));
    }
}

async fn serve_one(
    stream: tokio::net::TcpStream,
    registry: Arc<Registry>,
    _slot: tokio::sync::OwnedSemaphorePermit,
) {
    let svc = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
        let registry = registry.clone();
        async move { Ok::<_, std::convert::Infallible>(respond(&registry, req.uri().path())) }
    });
    let mut b = hyper::server::conn::http1::Builder::new();
    b.timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .max_buf_size(64 * 1024);
    let conn = b.serve_connection(TokioIo::new(stream), svc);
    let _ = tokio::time::timeout(CONNECTION_LIFETIME, conn).await;
}

type Body = http_body_util::Full<bytes::Bytes>;

fn reply(status: u16, ctype: &'static str, body: String) -> hyper::Response<Body> {
    let mut r = hyper::Response::new(Body::new(body.into()));
    *r.status_mut() =
        hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static(ctype),
    );
    r
}

fn respond(registry: &Registry, path: &str) -> hyper::Response<Body> {
    match path {
        "/metrics" => {
            let mut body = String::new();
            if prometheus_client::encoding::text::encode(&mut body, registry).is_err() {
                return reply(500, "text/plain", "cannot encode the metrics".into());
            }
            reply(200, "application/openmetrics-text; version=1.0.0; charset=utf-8", body)
        }
        "/" => reply(200, "text/html", "<html><body><h1>brandlink exporter</h1><p><a href=\"/metrics\">/metrics</a></p></body></html>".into()),
        _ => reply(404, "text/plain", "not found; try /metrics".into()),
    }
}

/// The wait after `failures` failed accepts in a row: 10 ms doubling up to 1 s.
pub fn accept_pause(failures: u32) -> Duration {
    Duration::from_millis(10u64 << failures.min(7)).min(Duration::from_secs(1))
}

#[cfg(test)]
mod accept_tests {
    use super::*;

    #[test]
    fn failed_accepts_wait_longer_up_to_a_second() {
        assert_eq!(accept_pause(1), Duration::from_millis(20));
        assert!(accept_pause(3) > accept_pause(2));
        assert_eq!(accept_pause(50), Duration::from_secs(1));
    }
}
