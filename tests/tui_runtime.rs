//! The TUI's runtime against the sandbox over HTTP: esc stops a write only between whole
//! steps. An IMS configuration is never left without its customizer, and an upgrade stops
//! between two journaled deletes. Reads are coalesced: however many ask at once, one read is
//! in flight per question, with at most one follow-up.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test may stop at what it did not expect

mod common;

use brandlink::aem::{AemClient, Connection};
use brandlink::sandbox::Scenario;
use brandlink::setup::account::{AccountKind, AccountSpec};
use brandlink::setup::{ImsEndpoint, Setup};
use brandlink::tui::effect::{Cancelled, Effect, Msg};
use brandlink::tui::runtime::Runtime;
use secrecy::SecretString;
use serde_json::{Value, json};
use std::time::Duration;
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

fn setup(e: &common::Env) -> Setup {
    let client = AemClient::new(&Connection::new(
        &e.base,
        "admin",
        SecretString::from(e.sb.admin_password()),
    ))
    .unwrap();
    Setup::new(
        client,
        ImsEndpoint {
            http: reqwest::Client::new(),
            url: e.base.clone(),
        },
    )
}

async fn state(e: &common::Env) -> Value {
    e.json("/sandbox/control/state").await
}

/// Brand Portal agents left on the author (from the sandbox's own state: a delete may be
/// under way).
async fn bp_agents(e: &common::Env) -> usize {
    state(e).await["agents"].as_array().map_or(0, |a| {
        a.iter()
            .filter(|a| {
                a["transportUri"]
                    .as_str()
                    .is_some_and(|u| u.contains(".brand-portal.adobe.com"))
            })
            .count()
    })
}

/// The next message that is not a queue poll, within `secs`.
async fn next(rx: &mut UnboundedReceiver<Msg>, secs: u64) -> Msg {
    tokio::time::timeout(Duration::from_secs(secs), async {
        loop {
            match rx.recv().await.expect("runtime alive") {
                Msg::Monitor(_) | Msg::Loaded(..) => continue,
                m => return m,
            }
        }
    })
    .await
    .expect("a message in time")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn esc_never_leaves_an_ims_configuration_without_its_customizer() {
    let e = common::start(Scenario::Fresh).await;
    let g = brandlink::ims::certificate::generate("x", 10).unwrap();
    let creds = common::console_project(&e, g.cert_pem.as_bytes()).await;
    let [id, secret, scopes, org] = common::oauth_credential(&creds);
    let (tx, mut rx) = unbounded_channel();
    let dir = tempfile::tempdir().unwrap();
    let mut rt = Runtime::new(
        setup(&e),
        None,
        dir.path().to_path_buf(),
        None,
        Default::default(),
        tx,
    );
    e.set_faults(json!({"latency_ms": 300})).await;
    rt.run(Effect::CreateAccount {
        spec: Box::new(AccountSpec {
            title: "Brand Portal".into(),
            api_key: id,
            client_secret: SecretString::from(secret),
            kind: AccountKind::Oauth {
                scopes: scopes.split(',').map(|s| s.trim().to_string()).collect(),
                org_id: org,
            },
        }),
        key: None,
    });
    // Esc once the provider is written, before its customizer.
    common::eventually(30, "the provider", || async {
        let s = state(&e).await;
        (!s["imsConfigs"].as_array()?.is_empty()).then_some(())
    })
    .await;
    rt.run(Effect::Cancel);
    assert!(matches!(
        next(&mut rx, 10).await,
        Msg::Cancelled(Cancelled::MustFinish)
    ));
    match next(&mut rx, 60).await {
        Msg::AccountCreated(Ok(_)) => {}
        other => panic!("the create finishes: {other:?}"),
    }
    e.reset_faults();
    let customizers = AemClient::new(&Connection::new(
        &e.base,
        "admin",
        SecretString::from(e.sb.admin_password()),
    ))
    .unwrap()
    .factory_configs(brandlink::aem::osgi::CUSTOMIZER_FACTORY)
    .await
    .unwrap();
    assert_eq!(customizers.len(), 1, "the customizer was written too");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn esc_stops_an_upgrade_between_two_journaled_deletes() {
    let e = common::start(Scenario::Legacy).await;
    let (tx, mut rx) = unbounded_channel();
    let dir = tempfile::tempdir().unwrap();
    let s = setup(&e);
    let mut rt = Runtime::new(
        s.clone(),
        None,
        dir.path().to_path_buf(),
        None,
        Default::default(),
        tx,
    );
    rt.backup_root = dir.path().join("backups");
    let preview = s
        .upgrade_preview(None, &rt.backup_root, false)
        .await
        .unwrap();
    e.set_faults(json!({"latency_ms": 250})).await;
    rt.run(Effect::RunUpgrade(Box::new(preview)));
    common::eventually(60, "the first delete", || async {
        (bp_agents(&e).await < 4).then_some(())
    })
    .await;
    rt.run(Effect::Cancel);
    assert!(matches!(
        next(&mut rx, 10).await,
        Msg::Cancelled(Cancelled::AfterThisStep)
    ));
    let err = match next(&mut rx, 60).await {
        Msg::UpgradeDone(Err(e)) => e.message,
        other => panic!("the upgrade stops: {other:?}"),
    };
    assert!(err.contains("stopped as asked"), "{err}");
    e.reset_faults();
    let left = bp_agents(&e).await;
    assert!(left > 0 && left < 4, "stopped half-way: {left} agents left");
    // The journal carries on.
    let preview = s
        .upgrade_preview(None, &rt.backup_root, false)
        .await
        .unwrap();
    assert!(preview.resume_dir().is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_key_publishes_sample_assets_into_the_queues() {
    let e = common::start(Scenario::Configured).await;
    let (tx, mut rx) = unbounded_channel();
    let dir = tempfile::tempdir().unwrap();
    let mut rt = Runtime::new(
        setup(&e),
        Some(e.base.clone()),
        dir.path().to_path_buf(),
        None,
        Default::default(),
        tx,
    );
    rt.run(Effect::PublishSample(25));
    match next(&mut rx, 20).await {
        Msg::Published(Ok(n)) => assert_eq!(n, 25),
        other => panic!("published: {other:?}"),
    }
    let s = state(&e).await;
    let queued: u64 = s["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["pending"].as_u64().unwrap_or(0) + a["delivered"].as_u64().unwrap_or(0))
        .sum();
    assert!(queued >= 25, "{s}");
}

/// The requests the sandbox received since the count was last reset, by method and path.
async fn requests(e: &common::Env) -> Value {
    e.json("/sandbox/control/requests").await["requests"].clone()
}

async fn reset_requests(e: &common::Env) {
    let r = e
        .http
        .delete(e.url("/sandbox/control/requests"))
        .send()
        .await
        .expect("control");
    assert_eq!(r.status(), 200);
}

fn count(counts: &Value, key: &str) -> u64 {
    counts[key].as_u64().unwrap_or(0)
}

/// Every message waiting now.
fn waiting(rx: &mut UnboundedReceiver<Msg>) -> Vec<Msg> {
    std::iter::from_fn(|| rx.try_recv().ok()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_in_flight_answers_every_asker() {
    let e = common::start(Scenario::Configured).await;
    let ids = e.bp_agents().await;
    assert_eq!(ids.len(), 4);
    // What one read of the integration asks of the author.
    reset_requests(&e).await;
    setup(&e).snapshot(None).await.unwrap();
    let one = requests(&e).await;
    let login = "GET /libs/granite/core/content/login.html";
    assert_eq!(count(&one, login), 1, "{one}");
    let (tx, mut rx) = unbounded_channel();
    let dir = tempfile::tempdir().unwrap();
    let mut rt = Runtime::new(
        setup(&e),
        None,
        dir.path().to_path_buf(),
        None,
        Default::default(),
        tx,
    );
    // A slow author, so that every ask below comes while the first read is in flight.
    e.set_faults(json!({"latency_ms": 300})).await;
    reset_requests(&e).await;
    // After a reconnect: every queue recovers or blocks at once (a read and each one's cause
    // in one batch), then the retry timer of the failed read, r, the result of an action and
    // one more cause, each on its own.
    rt.run_all(
        ids.iter()
            .map(|_| Effect::Load)
            .chain(ids.iter().map(|id| Effect::ExplainQueue(id.clone()))),
    );
    rt.run(Effect::LoadLater(Duration::from_millis(50)));
    for _ in 0..3 {
        rt.run(Effect::Load);
    }
    rt.run(Effect::LoadLater(Duration::from_millis(100)));
    rt.run(Effect::ExplainQueue(ids[0].clone()));
    common::eventually(60, "the reads to end", || async {
        rt.reads_settled().then_some(())
    })
    .await;
    let seen = requests(&e).await;
    let msgs = waiting(&mut rx);
    let loaded = msgs
        .iter()
        .filter(|m| matches!(m, Msg::Loaded(_, Ok(_))))
        .count();
    assert_eq!(loaded, 2, "one read and one follow-up: {seen}");
    assert_eq!(count(&seen, login), 2, "{seen}");
    for (path, n) in one.as_object().unwrap() {
        assert_eq!(
            count(&seen, path),
            2 * n.as_u64().unwrap(),
            "{path}: {seen}"
        );
    }
    for id in &ids {
        let answers = msgs
            .iter()
            .filter(|m| matches!(m, Msg::Explained(a, Some(_)) if a == id))
            .count();
        // The last ask came while a read was in flight: that read answers it if it had not
        // started yet, else the follow-up does.
        let want = if id == &ids[0] { 1..=2 } else { 1..=1 };
        assert!(want.contains(&answers), "{id} answered {answers} times");
    }

    // esc stops the read at once; the causes it was to bring wait for the next read.
    rt.run(Effect::ExplainQueue(ids[1].clone()));
    rt.run(Effect::CancelLoad);
    assert!(rt.reads_settled(), "nothing in flight after esc");
    rt.run(Effect::Load);
    common::eventually(60, "the reads to end", || async {
        rt.reads_settled().then_some(())
    })
    .await;
    let msgs = waiting(&mut rx);
    assert!(
        msgs.iter()
            .any(|m| matches!(m, Msg::Explained(a, Some(_)) if a == &ids[1])),
        "the next read answers the cause asked before esc: {msgs:?}"
    );

    // A followed log and the doctor: one read per agent's log, one doctor.
    reset_requests(&e).await;
    for _ in 0..3 {
        rt.run(Effect::FetchLog(ids[0].clone()));
        rt.run(Effect::Doctor);
    }
    rt.run(Effect::FetchLogLater(
        ids[0].clone(),
        Duration::from_millis(50),
    ));
    rt.run(Effect::FetchLog(ids[1].clone()));
    common::eventually(60, "the reads to end", || async {
        rt.reads_settled().then_some(())
    })
    .await;
    let msgs = waiting(&mut rx);
    let logs = |id: &str| {
        msgs.iter()
            .filter(|m| matches!(m, Msg::Log(a, Ok(_)) if a == id))
            .count()
    };
    assert_eq!(logs(&ids[0]), 2, "one read of the log and one follow-up");
    assert_eq!(logs(&ids[1]), 1);
    let doctors = msgs.iter().filter(|m| matches!(m, Msg::Doctor(_))).count();
    assert_eq!(doctors, 2, "one doctor and one follow-up");
    let seen = requests(&e).await;
    // Each doctor reads the author once (its evidence takes every agent's log too).
    assert_eq!(count(&seen, login), 2, "{seen}");
    let log = format!("GET /etc/replication/agents.author/{}.log.html", ids[0]);
    assert!(count(&seen, &log) <= 2 + 2 * count(&one, &log), "{seen}");
}

/// The terminal UI's start with a wrong password costs one failed login, and `r` one more:
/// nothing retries refused credentials by itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_costs_one_failed_login_per_try() {
    let e = common::start(Scenario::Configured).await;
    let client = AemClient::new(&Connection::new(
        &e.base,
        "admin",
        SecretString::from("wrong".to_string()),
    ))
    .unwrap();
    let wrong = Setup::new(
        client,
        ImsEndpoint {
            http: reqwest::Client::new(),
            url: e.base.clone(),
        },
    );
    let (tx, mut rx) = unbounded_channel();
    let dir = tempfile::tempdir().unwrap();
    let mut rt = Runtime::new(
        wrong,
        None,
        dir.path().to_path_buf(),
        None,
        Default::default(),
        tx,
    );
    reset_requests(&e).await;
    let failed = || async {
        e.json("/sandbox/control/requests").await["failedLogins"]
            .as_u64()
            .unwrap_or(u64::MAX)
    };
    rt.run_all([Effect::Load, Effect::Doctor, Effect::FetchLog("x".into())]);
    common::eventually(20, "the reads to end", || async {
        rt.reads_settled().then_some(())
    })
    .await;
    assert!(rx.try_recv().is_ok(), "the reads answered");
    assert_eq!(failed().await, 1);
    // What the app asks on r: the credentials may be tried once more.
    rt.run_all([
        Effect::RetryCredentials,
        Effect::Load,
        Effect::MonitorRefresh,
    ]);
    common::eventually(20, "the read to end", || async {
        rt.reads_settled().then_some(())
    })
    .await;
    assert_eq!(failed().await, 2);
}

/// The Fleet screen's reader: each author read through the fleet read, one that cannot be
/// reached and one whose password AEM refuses are rows saying so, and the refused password
/// costs one failed login — and one more only when the operator asks (`r`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fleet_reader_says_why_an_author_is_not_read_and_logs_in_once() {
    use brandlink::setup::fleet::Member;
    use brandlink::tui::fleet::poll::FleetPoll;
    use brandlink::tui::{FleetAuthor, HeaderInfo};
    let e = common::start(Scenario::Configured).await;
    let closed = common::closed_port();
    let gone = format!("http://127.0.0.1:{}", closed.port);
    let author = |profile: &str, url: &str, password: String| FleetAuthor {
        member: Member {
            profile: profile.into(),
            aem_url: url.into(),
            tenant: None,
            setup: Ok(Setup::new(
                AemClient::new(&Connection::new(url, "admin", SecretString::from(password)))
                    .unwrap(),
                ImsEndpoint {
                    http: reqwest::Client::new(),
                    url: url.into(),
                },
            )),
        },
        header: HeaderInfo::default(),
        sandbox_url: None,
    };
    let authors = vec![
        author("alpha", &e.base, e.sb.admin_password()),
        author("gone", &gone, "whatever".into()),
        author("wrong", &e.base, "not-the-password".into()),
    ];
    reset_requests(&e).await;
    let (tx, mut rx) = unbounded_channel();
    let poll = FleetPoll::spawn(authors.into(), tx);
    let view = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            let v = rx.recv().await.expect("the reader runs");
            if v.authors.iter().all(|a| a.row.is_some()) {
                return v;
            }
        }
    })
    .await
    .expect("every author read in time");
    let row = |name: &str| {
        view.authors
            .iter()
            .find(|a| a.profile == name)
            .and_then(|a| a.row.clone())
            .unwrap()
    };
    assert_eq!(row("alpha").aem_version.as_deref(), Some("6.5.21.0"));
    assert_eq!(row("gone").state, "unreachable");
    assert_eq!(row("wrong").state, "credentials refused");
    assert!(view.summary.as_ref().is_some_and(|s| s.unread == 2));
    let failed = || async {
        e.json("/sandbox/control/requests").await["failedLogins"]
            .as_u64()
            .unwrap_or(u64::MAX)
    };
    assert_eq!(
        failed().await,
        1,
        "one failed login for the refused password"
    );
    // `r`: every author read again, the refused credentials tried once more.
    poll.refresh(None);
    common::eventually(30, "the second try", || async {
        (failed().await == 2).then_some(())
    })
    .await;
    assert_eq!(failed().await, 2);
}
