//! The Prometheus exporter watching the sandbox: the four agents' series, parsed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test may stop at what it did not expect

mod common;
/// `/probe?target=`: the multi-target pattern, and the HTTP clients authors share.
#[path = "exporter/probe.rs"]
mod probe;

use brandlink::aem::{AemClient, Connection};
use brandlink::monitor::exporter::{Exporter, Instance};
use brandlink::sandbox::Scenario;
use probe::probe;
use secrecy::SecretString;
use std::collections::HashMap;
use std::time::Duration;

fn client(e: &common::Env) -> AemClient {
    AemClient::new(&Connection::new(
        &e.base,
        "admin",
        SecretString::from(e.sb.admin_password()),
    ))
    .expect("client")
}

/// An exporter on an ephemeral port watching one author, `author-1`.
async fn exporter(client: AemClient, interval: Duration) -> Exporter {
    Exporter::start(
        vec![Instance {
            name: "author-1".into(),
            reader: client.reader(),
            tenant: None,
        }],
        "127.0.0.1:0".parse().expect("address"),
        interval,
    )
    .await
    .expect("exporter starts")
}

/// `name{labels} value` lines into (name, labels, value).
fn parse(text: &str) -> Vec<(String, HashMap<String, String>, f64)> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            let (series, value) = l.rsplit_once(' ')?;
            let (name, labels) = match series.split_once('{') {
                Some((n, rest)) => (n, rest.trim_end_matches('}')),
                None => (series, ""),
            };
            let labels = labels
                .split(',')
                .filter(|kv| !kv.is_empty())
                .filter_map(|kv| {
                    kv.split_once('=')
                        .map(|(k, v)| (k.to_string(), v.trim_matches('"').to_string()))
                })
                .collect();
            Some((name.to_string(), labels, value.parse().ok()?))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_show_the_four_agents() {
    let mut cfg = common::config(Scenario::Busy);
    cfg.delivery_rate = 0.5;
    let e = common::start_with(cfg).await;
    let client = client(&e);
    let x = exporter(client, Duration::from_secs(1)).await;
    let url = format!("http://{}/metrics", x.addr);
    let metrics = common::eventually(15, "four agents in /metrics", || {
        let url = url.clone();
        async move {
            let r = reqwest::get(&url).await.ok()?;
            assert!(
                r.headers()["content-type"]
                    .to_str()
                    .unwrap()
                    .starts_with("application/openmetrics-text")
            );
            let m = parse(&r.text().await.ok()?);
            (m.iter()
                .filter(|(n, _, _)| n == "brandlink_queue_pending")
                .count()
                == 4)
                .then_some(m)
        }
    })
    .await;
    let pending: Vec<_> = metrics
        .iter()
        .filter(|(n, _, _)| n == "brandlink_queue_pending")
        .collect();
    assert!(pending.iter().all(
        |(_, l, _)| l["aem_instance"] == "author-1" && l["agent"].starts_with("mp_replication")
    ));
    assert!(
        pending.iter().map(|(_, _, v)| v).sum::<f64>() > 0.0,
        "the busy scenario has work queued"
    );
    for name in [
        "brandlink_queue_blocked",
        "brandlink_queue_paused",
        "brandlink_agent_enabled",
        "brandlink_queue_head_attempts",
        "brandlink_queue_oldest_item_age_seconds",
        "brandlink_last_successful_poll_timestamp_seconds",
        "brandlink_poll_errors_total",
    ] {
        assert_eq!(
            metrics.iter().filter(|(n, _, _)| n == name).count(),
            4,
            "{name}"
        );
    }
    assert!(
        metrics
            .iter()
            .filter(|(n, _, _)| n == "brandlink_agent_enabled")
            .all(|(_, _, v)| *v == 1.0)
    );
    let agents = metrics
        .iter()
        .find(|(n, _, _)| n == "brandlink_brand_portal_agents")
        .unwrap();
    assert_eq!(agents.2, 4.0);
    assert_eq!(
        metrics
            .iter()
            .find(|(n, _, _)| n == "brandlink_instance_up")
            .unwrap()
            .2,
        1.0
    );
    assert!(
        metrics
            .iter()
            .filter(|(n, _, _)| n == "brandlink_poll_errors_total")
            .all(|(_, _, v)| *v == 0.0),
        "error counters exist before the first error, at 0"
    );
    assert!(
        metrics
            .iter()
            .filter(|(n, _, _)| n == "brandlink_queue_oldest_item_age_seconds")
            .any(|(_, _, v)| *v > 0.0),
        "queued items have an age"
    );
    // A failing author: up goes to 0, errors count, and no stale figure is served as current.
    e.set_faults(serde_json::json!({"unavailable": true})).await;
    let m = common::eventually(15, "the author down in /metrics", || {
        let url = url.clone();
        async move {
            let m = parse(&reqwest::get(&url).await.ok()?.text().await.ok()?);
            let up = m
                .iter()
                .find(|(n, _, _)| n == "brandlink_instance_up")
                .map(|x| x.2);
            (up == Some(0.0)).then_some(m)
        }
    })
    .await;
    assert!(
        m.iter()
            .any(|(n, _, v)| n == "brandlink_poll_errors_total" && *v >= 1.0)
    );
    assert!(
        !m.iter().any(|(n, _, _)| n == "brandlink_queue_pending"),
        "no last-known figure passed off as current"
    );
    assert_eq!(
        m.iter()
            .filter(|(n, _, _)| n == "brandlink_last_successful_poll_timestamp_seconds")
            .count(),
        4,
        "when the figures were last good stays"
    );
    // Back up; then an agent disappears: its series go.
    e.reset_faults();
    common::eventually(15, "the author back", || {
        let url = url.clone();
        async move {
            let m = parse(&reqwest::get(&url).await.ok()?.text().await.ok()?);
            m.iter()
                .any(|(n, _, v)| n == "brandlink_instance_up" && *v == 1.0)
                .then_some(())
        }
    })
    .await;
    let gone = pending[0].1["agent"].clone();
    let r = e
        .http
        .delete(e.url(&format!("/etc/replication/agents.author/{gone}")))
        .basic_auth("admin", Some(e.sb.admin_password()))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    common::eventually(20, "the deleted agent's series gone", || {
        let url = url.clone();
        let gone = gone.clone();
        async move {
            let m = parse(&reqwest::get(&url).await.ok()?.text().await.ok()?);
            (!m.iter().any(|(_, l, _)| l.get("agent") == Some(&gone))).then_some(())
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_serves_metrics() {
    let e = common::start(Scenario::Configured).await;
    let port = common::closed_port().port;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_brandlink"))
        .args([
            "--url",
            &e.base,
            "exporter",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--interval",
            "1",
        ])
        .env("AEM_PASSWORD", e.sb.admin_password())
        .env("XDG_CONFIG_HOME", "/nonexistent-brandlink")
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}/metrics");
    let text = common::eventually(15, "metrics from the binary", || {
        let url = url.clone();
        async move {
            let t = reqwest::get(&url).await.ok()?.text().await.ok()?;
            (parse(&t)
                .iter()
                .filter(|(n, _, _)| n == "brandlink_queue_pending")
                .count()
                == 4)
                .then_some(t)
        }
    })
    .await;
    let _ = child.kill();
    let _ = child.wait();
    assert!(text.contains("# HELP brandlink_queue_pending"));
}

fn value(m: &[(String, HashMap<String, String>, f64)], name: &str) -> Vec<f64> {
    m.iter()
        .filter(|(n, _, _)| n == name)
        .map(|(_, _, v)| *v)
        .collect()
}

/// What operators alert on beside the queues: how long a queue has been blocked, the last
/// Test Connection per agent, whether AEM obtains IMS tokens, when the certificate expires.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocked_time_tests_tokens_and_the_certificate() {
    let e = common::start(Scenario::Configured).await;
    let client = client(&e);
    let ids: Vec<String> = client
        .brand_portal_agents(&e.sb.tenant_url())
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.id)
        .collect();
    // A Test Connection before the exporter starts: its first read of the logs sees it.
    assert!(client.test_connection(&ids[0]).await.unwrap().success);
    e.set_faults(serde_json::json!({"tenant_outage": true}))
        .await;
    e.post("/sandbox/publish")
        .form(&[("count", "8")])
        .send()
        .await
        .unwrap();
    let x = exporter(client, Duration::from_millis(500)).await;
    let url = format!("http://{}/metrics", x.addr);
    let m = common::eventually(20, "blocked for a while", || {
        let url = url.clone();
        async move {
            let m = parse(&reqwest::get(&url).await.ok()?.text().await.ok()?);
            value(&m, "brandlink_queue_blocked_seconds")
                .iter()
                .any(|s| *s >= 1.0)
                .then_some(m)
        }
    })
    .await;
    let expiry = value(&m, "brandlink_certificate_expiry_timestamp_seconds");
    let now = chrono::Utc::now().timestamp() as f64;
    assert!(
        expiry.len() == 1 && (now + 360.0 * 86_400.0..=now + 366.0 * 86_400.0).contains(&expiry[0]),
        "a timestamp in seconds, about a year ahead: {expiry:?}"
    );
    let tested: Vec<_> = m
        .iter()
        .filter(|(n, _, _)| n == "brandlink_agent_last_test_success")
        .collect();
    assert_eq!(tested.len(), 1, "one agent was tested: {tested:?}");
    assert_eq!(tested[0].1["agent"], ids[0]);
    assert_eq!(tested[0].2, 1.0);
    let at = value(&m, "brandlink_agent_last_test_timestamp_seconds");
    assert!(at.len() == 1 && (now - at[0]).abs() < 120.0, "{at:?}");
    assert_eq!(
        value(&m, "brandlink_ims_token_ok"),
        vec![1.0],
        "an outage is not a token failure"
    );
}

#[test]
fn the_last_test_is_read_from_the_log() {
    use brandlink::evidence::logs::{LogSource, entries};
    use brandlink::verdict::gauges::last_test;
    let log = entries(
        &[
            "01.12.2026 10:00:00 - Replication (TEST) of /content successful.",
            "01.12.2026 10:05:00 - adding header: Action:Test",
            "01.12.2026 10:05:01 - Transfer failed for ReplicationAction{type=TEST, path[0]='/content'}. java.io.IOException: 401",
        ],
        LogSource::Agent,
        None,
    );
    let (ok, at) = last_test(&log).unwrap();
    assert!(!ok);
    assert_eq!(at, 1_796_119_501.0);
    assert_eq!(last_test(&log[..1]).map(|t| t.0), Some(true));
    assert_eq!(last_test(&[]), None);
}

/// The metric families of an answer, as `# TYPE name kind`; counters are sampled as
/// `name_total`.
fn families(text: &str) -> Vec<String> {
    let mut served: Vec<String> = Vec::new();
    for l in text.lines().filter(|l| l.starts_with("# TYPE ")) {
        let mut w = l.split_whitespace().skip(2);
        if let (Some(name), Some(kind)) = (w.next(), w.next()) {
            served.push(name.to_string());
            if kind == "counter" {
                served.push(format!("{name}_total"));
            }
        }
    }
    served
}

/// The Grafana dashboard, the alert rules and the probe's scrape configuration name only
/// series the exporter serves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_and_the_alerts_use_only_served_metrics() {
    let e = common::start(Scenario::Configured).await;
    let client = client(&e);
    // Every family has a sample once an agent was tested and the logs were read.
    let agent = client
        .brand_portal_agents(&e.sb.tenant_url())
        .await
        .unwrap()
        .remove(0)
        .id;
    client.test_connection(&agent).await.unwrap();
    let x = exporter(client, Duration::from_millis(500)).await;
    let url = format!("http://{}/metrics", x.addr);
    let served = common::eventually(15, "every family sampled", || {
        let url = url.clone();
        async move {
            let text = reqwest::get(&url).await.ok()?.text().await.ok()?;
            let served = families(&text);
            let has = |n: &str| served.iter().any(|s| s == n);
            (has("brandlink_agent_last_test_success") && has("brandlink_ims_token_ok"))
                .then_some(served)
        }
    })
    .await;
    // And what a probe serves (its own two series among them).
    let (code, text, _) = probe(x.addr, "author-1", None).await;
    assert_eq!(code, 200, "{text}");
    let mut served = served;
    served.extend(families(&text));
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for file in [
        "assets/grafana-dashboard.json",
        "assets/prometheus-alerts.yml",
        "assets/prometheus-probe.yml",
    ] {
        let body = std::fs::read_to_string(root.join(file)).unwrap();
        let mut used: Vec<&str> = body
            .match_indices("brandlink_")
            .map(|(i, _)| {
                let rest = &body[i..];
                let end = rest
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(rest.len());
                &rest[..end]
            })
            .filter(|n| n.len() > "brandlink_".len())
            .collect();
        used.sort();
        used.dedup();
        assert!(!used.is_empty(), "{file}");
        for n in used {
            assert!(
                served.iter().any(|s| s == n),
                "{file} uses {n}, which the exporter does not serve: {served:?}"
            );
        }
    }
    let dash: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("assets/grafana-dashboard.json")).unwrap(),
    )
    .unwrap();
    assert!(dash["panels"].as_array().is_some_and(|p| p.len() >= 8));
}

/// A flood of idle connections and a client that never finishes its request: the slow
/// client is cut off after the header timeout, excess connections wait or are closed, and
/// `/metrics` keeps answering another client.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_idle_connections_never_silences_metrics() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let e = common::start(Scenario::Configured).await;
    let x = exporter(client(&e), Duration::from_secs(1)).await;
    let addr = x.addr;
    // Half a request, then nothing.
    let mut slow = tokio::net::TcpStream::connect(addr)
        .await
        .expect("connects");
    slow.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("writes");
    // More idle connections than the exporter serves at once (its bound is 256).
    let mut idle = Vec::new();
    for _ in 0..300 {
        match tokio::net::TcpStream::connect(addr).await {
            Ok(s) => idle.push(s),
            Err(_) => break,
        }
    }
    assert!(idle.len() > brandlink::monitor::exporter::MAX_CONNECTIONS);
    // Another client still gets its metrics (once the idle ones time out, at the latest).
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client");
    let url = format!("http://{addr}/metrics");
    common::eventually(60, "/metrics answering during the flood", || {
        let http = http.clone();
        let url = url.clone();
        async move {
            let r = http.get(&url).send().await.ok()?;
            (r.status() == 200).then_some(())
        }
    })
    .await;
    // The half-sent request was closed by the server (no answer is ever completed for it).
    let mut buf = [0u8; 1024];
    let read = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            match slow.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => continue,
            }
        }
    })
    .await;
    assert!(read.is_ok(), "the half-sent request was held open");
    drop(idle);
}
