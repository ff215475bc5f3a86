//! `/probe?target=<profile>` over HTTP: a healthy and a blocked author, an unknown target, an
//! author that cannot be reached (answered fast, within the budget), the certificate's expiry
//! only for a JWT author; and authors with the same TLS settings sharing one HTTP client while
//! each keeps its credentials and credential gate.

use super::{common, parse, value};
use brandlink::aem::{AemClient, Connection, HttpClients};
use brandlink::monitor::exporter::{Exporter, Instance, Options, SCRAPE_TIMEOUT_HEADER, Target};
use brandlink::sandbox::Scenario;
use secrecy::SecretString;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

fn connection(base: &str, password: &str) -> Connection {
    Connection::new(base, "admin", SecretString::from(password.to_string()))
}

fn instance(name: &str, client: AemClient) -> Instance {
    Instance {
        name: name.into(),
        reader: client.reader(),
        tenant: None,
    }
}

/// An exporter watching nothing, answering probes of `targets`.
async fn prober(targets: Vec<Target>) -> Exporter {
    Exporter::start_with(
        vec![],
        targets,
        Options {
            listen: "127.0.0.1:0".parse().expect("address"),
            interval: Duration::from_secs(5),
            max_probes: 4,
        },
    )
    .await
    .expect("exporter starts")
}

/// `GET /probe?target=…` (the target percent-encoded), with Prometheus' timeout header when
/// given: status, body and how long the answer took.
pub async fn probe(
    addr: SocketAddr,
    target: &str,
    scrape_timeout: Option<&str>,
) -> (u16, String, Duration) {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let mut url = reqwest::Url::parse(&format!("http://{addr}/probe")).expect("url");
    url.query_pairs_mut().append_pair("target", target);
    let mut rq = http.get(url);
    if let Some(t) = scrape_timeout {
        rq = rq.header(SCRAPE_TIMEOUT_HEADER, t);
    }
    let started = Instant::now();
    let r = rq.send().await.expect("the exporter answers");
    let code = r.status().as_u16();
    let text = r.text().await.expect("a body");
    (code, text, started.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_probe_reads_a_healthy_and_a_blocked_author_now() {
    let healthy = common::start(Scenario::Configured).await;
    let blocked = common::start(Scenario::Configured).await;
    // A Test Connection each, so the logs say whether AEM obtains its token.
    for e in [&healthy, &blocked] {
        let c = AemClient::new(&connection(&e.base, &e.sb.admin_password())).expect("client");
        let agent = c
            .brand_portal_agents(&e.sb.tenant_url())
            .await
            .expect("agents")
            .remove(0)
            .id;
        assert!(c.test_connection(&agent).await.expect("tested").success);
    }
    blocked
        .set_faults(serde_json::json!({"tenant_outage": true}))
        .await;
    blocked
        .post("/sandbox/publish")
        .form(&[("count", "8")])
        .send()
        .await
        .expect("publishes");
    let shared = HttpClients::default();
    let targets = [("healthy", &healthy), ("blocked", &blocked)]
        .into_iter()
        .map(|(name, e)| {
            let conn = connection(&e.base, &e.sb.admin_password());
            Target::from(instance(
                name,
                AemClient::shared(&conn, &shared).expect("client"),
            ))
        })
        .collect();
    assert_eq!(shared.len(), 1, "the two authors share one HTTP client");
    let x = prober(targets).await;

    let (code, text, _) = probe(x.addr, "healthy", Some("10")).await;
    assert_eq!(code, 200, "{text}");
    let m = parse(&text);
    assert_eq!(value(&m, "brandlink_probe_success"), vec![1.0], "{text}");
    let took = value(&m, "brandlink_probe_duration_seconds");
    assert!(
        took.len() == 1 && took[0] > 0.0 && took[0] < 9.5,
        "{took:?}"
    );
    let pending: Vec<_> = m
        .iter()
        .filter(|(n, _, _)| n == "brandlink_queue_pending")
        .collect();
    assert_eq!(pending.len(), 4, "{text}");
    assert!(
        pending
            .iter()
            .all(|(_, l, _)| l["aem_instance"] == "healthy")
    );
    assert_eq!(value(&m, "brandlink_queue_blocked"), vec![0.0; 4]);
    assert_eq!(value(&m, "brandlink_instance_up"), vec![1.0]);
    assert_eq!(value(&m, "brandlink_brand_portal_agents"), vec![4.0]);
    assert_eq!(value(&m, "brandlink_ims_token_ok"), vec![1.0]);
    assert_eq!(
        value(&m, "brandlink_certificate_expiry_timestamp_seconds").len(),
        1,
        "a JWT author's certificate: {text}"
    );
    assert!(
        value(&m, "brandlink_poll_errors_total").is_empty(),
        "a probe serves no counter that starts again at every scrape"
    );

    // The blocked author: read at each scrape, so the block shows as soon as AEM shows it.
    let m = common::eventually(20, "the blocked queue in a probe", || async {
        let (code, text, _) = probe(x.addr, "blocked", None).await;
        let m = parse(&text);
        (code == 200 && value(&m, "brandlink_queue_blocked").iter().sum::<f64>() >= 1.0)
            .then_some(m)
    })
    .await;
    assert_eq!(value(&m, "brandlink_probe_success"), vec![1.0]);
    assert_eq!(
        value(&m, "brandlink_ims_token_ok"),
        vec![1.0],
        "a tenant outage is not a token failure"
    );
    assert!(
        m.iter()
            .all(|(n, l, _)| !n.starts_with("brandlink_queue") || l["aem_instance"] == "blocked")
    );
    // A later probe knows how long the queue has been blocked.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let (_, text, _) = probe(x.addr, "blocked", None).await;
    let m = parse(&text);
    assert!(
        value(&m, "brandlink_queue_blocked_seconds")
            .iter()
            .any(|s| *s >= 1.0),
        "{text}"
    );

    // /metrics serves the watched authors only: none here, and no probe series.
    let text = reqwest::get(format!("http://{}/metrics", x.addr))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("body");
    let m = parse(&text);
    assert!(m.iter().all(|(n, _, _)| !n.starts_with("brandlink_probe")));
    assert!(value(&m, "brandlink_queue_pending").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_target_is_a_400_that_says_how_to_name_one() {
    let e = common::start(Scenario::Configured).await;
    let client = AemClient::new(&connection(&e.base, &e.sb.admin_password())).expect("client");
    let x = prober(vec![Target::from(instance("prod-author-1", client))]).await;
    let secret = "http://admin:S3cret-pw@author.example.com";
    for target in [secret, "nope", ""] {
        let (code, text, _) = probe(x.addr, target, None).await;
        assert_eq!(code, 400, "{target}: {text}");
        assert!(
            text.contains("prod-author-1") && text.contains("/probe?target="),
            "{text}"
        );
        assert!(
            !text.contains("S3cret"),
            "never echoes what was sent: {text}"
        );
    }
    let r = reqwest::get(format!("http://{}/probe", x.addr))
        .await
        .expect("answers");
    assert_eq!(r.status().as_u16(), 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_author_that_cannot_be_reached_fails_fast_within_the_budget() {
    // Nothing listens; a server that accepts and never answers; a profile without password.
    let held = common::closed_port();
    let closed = format!("http://127.0.0.1:{}", held.port);
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let silent_url = format!("http://{}", silent.local_addr().expect("address"));
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((s, _)) = silent.accept().await {
            open.push(s);
        }
    });
    let x = prober(vec![
        Target::from(instance(
            "closed",
            AemClient::new(&connection(&closed, "pw")).expect("client"),
        )),
        Target::from(instance(
            "silent",
            AemClient::new(&connection(&silent_url, "pw")).expect("client"),
        )),
        Target {
            name: "no-password".into(),
            instance: Err("AEM_PROD_PASSWORD is not set".into()),
        },
    ])
    .await;
    for target in ["closed", "no-password"] {
        let (code, text, took) = probe(x.addr, target, Some("10")).await;
        assert_eq!(code, 200, "{text}");
        assert_eq!(value(&parse(&text), "brandlink_probe_success"), vec![0.0]);
        assert!(took < Duration::from_secs(2), "{target}: {took:?}");
    }
    let (_, text, _) = probe(x.addr, "closed", None).await;
    assert_eq!(
        value(&parse(&text), "brandlink_instance_up"),
        vec![0.0],
        "{text}"
    );
    // A silent author: the answer comes within Prometheus' timeout less the margin.
    let (code, text, took) = probe(x.addr, "silent", Some("2")).await;
    assert_eq!(code, 200, "{text}");
    let m = parse(&text);
    assert_eq!(value(&m, "brandlink_probe_success"), vec![0.0]);
    assert!(
        took >= Duration::from_millis(1400) && took < Duration::from_secs(2),
        "answered after {took:?}"
    );
    let d = value(&m, "brandlink_probe_duration_seconds");
    assert!(d.len() == 1 && (1.4..2.0).contains(&d[0]), "{d:?}");
    held.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_certificate_expiry_is_served_only_while_jwt_uses_it() {
    use brandlink::aem::osgi::{PROVIDER_FACTORY, prop};
    let e = common::start(Scenario::Configured).await;
    let client = AemClient::new(&connection(&e.base, &e.sb.admin_password())).expect("client");
    let x = prober(vec![Target::from(instance("author", client.clone()))]).await;
    let (_, text, _) = probe(x.addr, "author", None).await;
    let expiry = value(
        &parse(&text),
        "brandlink_certificate_expiry_timestamp_seconds",
    );
    let now = chrono::Utc::now().timestamp() as f64;
    assert!(
        expiry.len() == 1 && expiry[0] > now + 300.0 * 86_400.0,
        "JWT: {expiry:?}"
    );
    // The same author on OAuth Server-to-Server: no certificate to expire, no series.
    let configs = client
        .factory_configs(PROVIDER_FACTORY)
        .await
        .expect("IMS configurations");
    // The configured author holds one IMS configuration: Brand Portal's.
    let bp = configs.first().expect("the Brand Portal IMS configuration");
    client
        .update_config(
            &bp.pid,
            &[(
                prop::GRANTS.to_string(),
                vec!["client_credentials".to_string()],
            )],
            &[],
        )
        .await
        .expect("switched to OAuth");
    let (_, text, _) = probe(x.addr, "author", None).await;
    assert!(
        value(
            &parse(&text),
            "brandlink_certificate_expiry_timestamp_seconds"
        )
        .is_empty(),
        "OAuth: {text}"
    );
}

/// Two authors with the same TLS settings share one HTTP client, yet a refused password on one
/// closes only its own credential gate.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authors_share_a_client_but_not_their_credentials() {
    let a = common::start(Scenario::Configured).await;
    let b = common::start(Scenario::Configured).await;
    let shared = HttpClients::default();
    let good =
        AemClient::shared(&connection(&a.base, &a.sb.admin_password()), &shared).expect("client");
    let bad = AemClient::shared(&connection(&b.base, "wrong"), &shared).expect("client");
    assert_eq!(shared.len(), 1);
    assert!(bad.cloud_configs().await.is_err());
    assert!(bad.credentials_rejected());
    assert!(!good.credentials_rejected());
    assert!(good.cloud_configs().await.is_ok());
    let mut other = connection(&a.base, &a.sb.admin_password());
    other.timeout = Duration::from_secs(5);
    AemClient::shared(&other, &shared).expect("client");
    assert_eq!(shared.len(), 2, "another timeout, another client");
}
