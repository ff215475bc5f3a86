//! The TUI's runtime against the sandbox over HTTP: esc stops a write only between whole
//! steps. An IMS configuration is never left without its customizer, and an upgrade stops
//! between two journaled deletes.

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
    let customizers = setup(&e)
        .client()
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
