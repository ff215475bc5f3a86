//! The pollers against the sandbox through every state: idle → active → blocked → recovered →
//! drained, a disabled agent, AEM down and back up.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test may stop at what it did not expect

mod common;

use brandlink::aem::queue::QueueState;
use brandlink::aem::{AemClient, Connection};
use brandlink::monitor::{AlertKind, AlertRules, MonitorModel, PollConfig, Pollers, Snapshot};
use brandlink::sandbox::{LogDialect, Scenario};
use secrecy::SecretString;
use serde_json::json;
use std::time::Duration;
use tokio::sync::mpsc;

struct Watch {
    model: MonitorModel,
    rx: mpsc::UnboundedReceiver<Snapshot>,
    _pollers: Pollers,
}

impl Watch {
    /// Applies snapshots until `pred` holds (or panics after `secs`).
    async fn until(&mut self, secs: u64, what: &str, pred: impl Fn(&MonitorModel) -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        while !pred(&self.model) {
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Ok(Some(s)) => self.model.apply(s),
                _ => panic!(
                    "timed out waiting for {what}; model: {:#?}",
                    self.model
                        .agents
                        .values()
                        .map(|h| (
                            h.latest.as_ref().map(|v| (v.state, v.depth.count)),
                            h.error.clone()
                        ))
                        .collect::<Vec<_>>()
                ),
            }
        }
    }
    fn state(&self, id: &str) -> Option<QueueState> {
        self.model.agents[id].latest.as_ref().map(|v| v.state)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pollers_follow_the_queues_through_every_state() {
    let mut cfg = common::config(Scenario::Configured);
    cfg.delivery_rate = 20.0;
    let e = common::start_with(cfg).await;
    let client = AemClient::new(&Connection::new(
        &e.base,
        "admin",
        SecretString::from(e.sb.admin_password()),
    ))
    .unwrap();
    let ids: Vec<String> = client
        .brand_portal_agents(&e.sb.tenant_url())
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(ids.len(), 4);
    let (tx, rx) = mpsc::unbounded_channel();
    let pollers = Pollers::spawn(
        &client.reader(),
        &ids,
        PollConfig::with_interval(Duration::from_millis(500)),
        tx,
    );
    let mut w = Watch {
        model: MonitorModel::new(&ids, AlertRules::default()),
        rx,
        _pollers: pollers,
    };
    let all = |m: &MonitorModel, st: QueueState| {
        m.agents
            .values()
            .all(|h| h.latest.as_ref().is_some_and(|v| v.state == st))
    };

    // Idle.
    w.until(10, "idle", |m| all(m, QueueState::Idle)).await;
    assert!(w.model.alerts(0).is_empty());
    // Active: 200 assets.
    e.post("/sandbox/publish")
        .form(&[("count", "200")])
        .send()
        .await
        .unwrap();
    w.until(10, "active", |m| m.total_pending() > 0).await;
    // Blocked: the Console lost AEM's certificate.
    e.set_faults(json!({"stale_key": true})).await;
    w.until(15, "blocked", |m| {
        m.agents.values().any(|h| {
            h.latest
                .as_ref()
                .is_some_and(|v| v.state == QueueState::Blocked)
        })
    })
    .await;
    let now = chrono::Utc::now().timestamp_millis();
    assert!(
        w.model
            .alerts(now)
            .iter()
            .any(|a| a.kind == AlertKind::Blocked)
    );
    // Fixed, force retry: recovers and drains.
    e.set_faults(json!({"stale_key": false})).await;
    for id in &ids {
        client.force_retry(id).await.unwrap();
    }
    w.until(30, "drained", |m| {
        all(m, QueueState::Idle) && m.total_pending() == 0
    })
    .await;
    let drained: f64 = w
        .model
        .agents
        .values()
        .map(|h| h.throughput_per_min(chrono::Utc::now().timestamp_millis()))
        .sum();
    assert!(drained > 0.0, "throughput seen");
    // A disabled agent.
    e.post(&format!(
        "/etc/replication/agents.author/{}/jcr:content",
        ids[0]
    ))
    .form(&[("./enabled", "false")])
    .send()
    .await
    .unwrap();
    w.until(10, "disabled", |m| {
        m.agents[&ids[0]]
            .latest
            .as_ref()
            .is_some_and(|v| v.state == QueueState::Disabled)
    })
    .await;
    assert!(
        w.model
            .alerts(0)
            .iter()
            .any(|a| a.kind == AlertKind::Disabled)
    );
    e.post(&format!(
        "/etc/replication/agents.author/{}/jcr:content",
        ids[0]
    ))
    .form(&[("./enabled", "true")])
    .send()
    .await
    .unwrap();
    // AEM down: stale, with the error in words; back up: recovers without a restart.
    e.set_faults(json!({"unavailable": true})).await;
    w.until(10, "stale", |m| {
        m.agents.values().all(|h| h.stale_since.is_some())
    })
    .await;
    let err = w.model.agents[&ids[1]].error.clone().unwrap();
    assert!(err.contains("503"), "{err}");
    assert!(w.state(&ids[1]).is_some(), "the last good data is kept");
    e.reset_faults();
    // Backed-off pollers come back (first retry within a few seconds).
    w.until(20, "recovered", |m| {
        m.agents.values().all(|h| h.stale_since.is_none())
    })
    .await;
    assert!(all(&w.model, QueueState::Idle));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poll_cycle_runs_the_four_agents_concurrently() {
    let e = common::start(Scenario::Configured).await;
    let client = AemClient::new(&Connection::new(
        &e.base,
        "admin",
        SecretString::from(e.sb.admin_password()),
    ))
    .unwrap();
    let ids: Vec<String> = client
        .brand_portal_agents(&e.sb.tenant_url())
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.id)
        .collect();
    // Slow answers, so that requests sent together are seen together by the sandbox.
    e.set_faults(json!({"latency_ms": 300})).await;
    let counter = e.url("/sandbox/control/requests");
    e.http.delete(&counter).send().await.unwrap();
    let snaps = brandlink::monitor::poll_cycle(&client.reader(), &ids).await;
    assert_eq!(snaps.len(), 4);
    assert!(snaps.iter().all(|s| s.result.is_ok()));
    let seen: serde_json::Value = e
        .http
        .get(&counter)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // Four agents, two reads each, all at once (one after another would be one at a time).
    assert!(
        seen["maxInFlight"].as_u64().unwrap_or(0) >= 4,
        "requests in flight at once: {seen}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_credentials_are_polled_again_only_on_request() {
    let e = common::start(Scenario::Configured).await;
    let client = AemClient::new(&Connection::new(
        &e.base,
        "admin",
        SecretString::from("not-the-password".to_string()),
    ))
    .unwrap();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let cfg = PollConfig {
        interval: Duration::from_millis(500),
        max_backoff: Duration::from_secs(1),
    };
    let pollers = Pollers::spawn(&client.reader(), &["mp_replication".to_string()], cfg, tx);
    let first = tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert!(
        first.result.as_ref().is_err_and(|e| e.contains("401")),
        "{first:?}"
    );
    // A lockout policy counts every try: nothing more for several intervals.
    assert!(
        tokio::time::timeout(Duration::from_secs(3), rx.recv())
            .await
            .is_err(),
        "polled again by itself after a 401"
    );
    // The operator's r polls once more.
    pollers.refresh();
    let again = tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert!(again.result.is_err());
}

/// `queues` names why queues are blocked, from the agent log: the tenant's outage, a stale key,
/// a retired JWT; one alert for the four when they share the cause; none after recovery.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocked_queues_name_their_cause() {
    tokio::join!(
        blocked_queues_in(LogDialect::Classic),
        blocked_queues_in(LogDialect::Terse)
    );
}

async fn blocked_queues_in(dialect: LogDialect) {
    let mut cfg = common::config_in(Scenario::Busy, dialect);
    cfg.retry_delay_ms = 1_000;
    let e = common::start_with(cfg).await;
    let cli = common::Cli::new(&e);
    let blocked_with = |cause: &'static str| {
        let cli = &cli;
        async move {
            let what = format!("{cause} ({dialect:?})");
            common::eventually(20, &what, || async {
                let (_, v) = cli.json(&["queues"], &[]).await;
                let alerts = v["alerts"].as_array().cloned().unwrap_or_default();
                alerts
                    .iter()
                    .any(|a| a["message"].as_str().unwrap_or("").contains(cause))
                    .then_some(v)
            })
            .await
        }
    };
    e.set_faults(json!({"tenant_outage": true})).await;
    let v = blocked_with("queue blocked: Brand Portal answers 5xx").await;
    let alert = v["alerts"]
        .as_array()
        .and_then(|a| a.iter().find(|a| a["kind"] == "blocked").cloned())
        .expect("a blocked alert");
    assert!(
        alert["fix"].as_str().unwrap_or("").contains("retry"),
        "{alert}"
    );
    e.reset_faults();
    common::eventually(30, "recovery clears the alert", || async {
        let (_, v) = cli.json(&["queues"], &[]).await;
        let blocked = v["alerts"]
            .as_array()
            .is_some_and(|a| a.iter().any(|a| a["kind"] == "blocked"));
        (!blocked).then_some(())
    })
    .await;
    e.set_faults(json!({"stale_key": true})).await;
    blocked_with("IMS cannot match AEM's signature").await;
    e.set_faults(json!({"stale_key": false, "jwt_end_of_life": true}))
        .await;
    // Each `queues` run reads the log again: the newest failure is the one named.
    blocked_with("IMS refuses the retired JWT credential").await;
    let out = cli.run(&["queues"], &[]).await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("⚠ "), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_agent_is_asked_its_jmx_depth_every_sixth_cycle_and_work_shows_at_once() {
    use brandlink::monitor::poller::{IdleAgents, poll_cycle_sparing};
    let e = common::start(Scenario::Configured).await;
    let client = AemClient::new(&Connection::new(
        &e.base,
        "admin",
        SecretString::from(e.sb.admin_password()),
    ))
    .unwrap();
    let reader = client.reader();
    let ids: Vec<String> = client
        .brand_portal_agents(&e.sb.tenant_url())
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.id)
        .collect();
    let jmx_asked = || async {
        let seen = e.json("/sandbox/control/requests").await;
        seen["requests"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(k, _)| k.contains("jmx"))
            .map(|(_, n)| n.as_u64().unwrap())
            .sum::<u64>()
    };
    e.http
        .delete(e.url("/sandbox/control/requests"))
        .send()
        .await
        .unwrap();
    let mut idle = IdleAgents::default();
    // Six cycles of an idle author: JMX once per agent (the first cycle), queue.json every time.
    for _ in 0..6 {
        let snaps = poll_cycle_sparing(&reader, &ids, 4, &mut idle, 6).await;
        assert!(
            snaps
                .iter()
                .all(|s| s.result.as_ref().unwrap().depth.count == 0)
        );
    }
    assert_eq!(
        jmx_asked().await,
        4,
        "one JMX read per idle agent in six cycles"
    );
    // The seventh confirms the depth with JMX again.
    poll_cycle_sparing(&reader, &ids, 4, &mut idle, 6).await;
    assert_eq!(jmx_asked().await, 8);
    // Work shows in the next cycle, with JMX's depth, however long the agent was idle.
    e.set_faults(json!({"tenant_outage": true})).await;
    let published = e
        .post("/sandbox/publish")
        .form(&[("count", "40")])
        .send()
        .await
        .unwrap();
    assert!(published.status().is_success());
    let snaps = poll_cycle_sparing(&reader, &ids, 4, &mut idle, 6).await;
    let pending: u64 = snaps
        .iter()
        .map(|s| s.result.as_ref().unwrap().depth.count)
        .sum();
    assert!(pending > 0, "{snaps:?}");
    assert_eq!(jmx_asked().await, 12, "an agent with work is read in full");
}
