//! The library's AEM client against the sandbox over real HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test may stop at what it did not expect

mod common;

use brandlink::aem::nodes::Deleted;
use brandlink::aem::queue::{DepthSource, QueueState};
use brandlink::aem::{AemClient, AemError, Connection};
use brandlink::ims::{certificate, keyfile};
use brandlink::sandbox::Scenario;
use secrecy::{ExposeSecret, SecretString};

fn client(e: &common::Env) -> AemClient {
    AemClient::new(&Connection::new(
        &e.base,
        "admin",
        SecretString::from(e.sb.admin_password()),
    ))
    .unwrap()
}

#[tokio::test]
async fn readiness_nodes_and_errors() {
    let mut cfg = common::config(Scenario::Configured);
    cfg.json_max_results = 30;
    let e = common::start_with(cfg).await;
    let c = client(&e);
    let r = c.readiness().await.unwrap();
    assert!(r.ready(), "{r:?}");
    assert!(r.product.unwrap().contains("6.5"));
    // Above the result limit the client falls back to what fits.
    let root = c.node("/", 6).await.unwrap();
    assert!(root.get("etc").is_some());
    let export = c.export("/etc/replication").await.unwrap();
    assert_eq!(
        export["agents.author"]["publish"]["jcr:content"]["transportUri"],
        "http://localhost:4503/bin/receive?sling:authRequestLogin=1"
    );
    // 404 with its message.
    let err = c.get("/nothing/here.json").await.unwrap_err();
    assert!(err.is_not_found());
    assert_eq!(
        err.to_string(),
        "/nothing/here.json does not exist on this author (404)"
    );
    assert!(!c.exists("/nothing/here").await.unwrap());
    assert!(c.exists("/etc/replication").await.unwrap());
    // Sling POST and delete, including a path that is already gone.
    c.sling_post(
        "/content/brandlink-test",
        &brandlink::aem::client::form([("a", "1")]),
    )
    .await
    .unwrap();
    assert_eq!(
        c.delete_node("/content/brandlink-test").await.unwrap(),
        Deleted::Deleted
    );
    assert_eq!(
        c.delete_node("/content/brandlink-test").await.unwrap(),
        Deleted::AlreadyGone
    );
    // Bad credentials name the user.
    let bad = AemClient::new(&Connection::new(
        &e.base,
        "admin",
        SecretString::from("nope".to_string()),
    ))
    .unwrap();
    let err = bad.agent_ids().await.unwrap_err();
    assert!(matches!(err, AemError::Unauthorized { .. }));
    assert_eq!(
        err.to_string(),
        "AEM rejected the credentials for user admin (401); check the password (AEM_PASSWORD or --password-env)"
    );
}

#[tokio::test]
async fn agents_queues_and_commands() {
    let e = common::start(Scenario::Configured).await;
    let c = client(&e);
    let tenant = e.sb.tenant_url();
    let upper = format!("{}/", tenant.to_uppercase().replace("HTTPS", "https"));
    let agents = c.brand_portal_agents(&upper).await.unwrap();
    assert_eq!(
        agents.len(),
        4,
        "discovered by transportUri prefix, case and slash ignored"
    );
    assert!(agents.iter().all(|a| a.enabled));
    let id = agents[0].id.clone();
    let t = c.test_connection(&id).await.unwrap();
    assert!(t.success, "{t:?}");
    let log = c.agent_log(&id).await.unwrap();
    assert!(
        log.iter()
            .any(|l| l.time.is_some() && l.message.contains("Replication (TEST)"))
    );

    c.pause_queue(&id).await.unwrap();
    e.post("/sandbox/publish")
        .form(&[("count", "240")])
        .send()
        .await
        .unwrap();
    let q = c.queue(&id).await.unwrap();
    assert_eq!(q.state(), QueueState::Paused);
    assert!(q.capped());
    let d = c.queue_depth(&id, &q).await;
    assert_eq!(
        (d.count, d.at_least, d.source),
        (60, false, DepthSource::Jmx)
    );
    c.resume_queue(&id).await.unwrap();
    common::eventually(10, "drained", || async {
        c.queue(&id).await.unwrap().items.is_empty().then_some(())
    })
    .await;
    c.pause_queue(&id).await.unwrap();
    e.post("/sandbox/publish")
        .form(&[("count", "8")])
        .send()
        .await
        .unwrap();
    c.clear_queue(&id).await.unwrap();
    assert!(c.queue(&id).await.unwrap().items.is_empty());
    c.resume_queue(&id).await.unwrap();
    // Blocked, then force retry after the fault is gone.
    e.set_faults(serde_json::json!({"tenant_outage": true}))
        .await;
    e.post("/sandbox/publish")
        .form(&[("count", "4")])
        .send()
        .await
        .unwrap();
    let q = common::eventually(10, "blocked", || async {
        let q = c.queue(&id).await.unwrap();
        (q.state() == QueueState::Blocked).then_some(q)
    })
    .await;
    assert!(q.next_retry.unwrap() > q.time.unwrap());
    assert!(q.items[0].attempts >= 1);
    e.reset_faults();
    c.force_retry(&id).await.unwrap();
    common::eventually(10, "recovered", || async {
        (c.queue(&id).await.unwrap().state() == QueueState::Idle).then_some(())
    })
    .await;
    c.set_close_connection(&id).await.unwrap();
    assert!(c.agent(&id).await.unwrap().close_connection);
}

#[tokio::test]
async fn users_keystores_configs_and_cloud() {
    let e = common::start(Scenario::Fresh).await;
    let c = client(&e);
    let user = c
        .find_user("brandportal-imsconfig-service")
        .await
        .unwrap()
        .unwrap();
    assert!(c.find_user("nobody-here").await.unwrap().is_none());
    let ks = c.keystore(&user).await.unwrap();
    assert!(!ks.exists);
    c.create_keystore(&user, "pw-123").await.unwrap();
    let g = certificate::generate("client test", 30).unwrap();
    c.add_key(&user, "bp", g.private_key_der(), &g.cert_pem)
        .await
        .unwrap();
    let ks = c.keystore(&user).await.unwrap();
    assert_eq!(ks.alias("bp").unwrap().chain[0].subject, "CN=client test");
    // The PKCS#12 download opens with the store's password and yields the same key.
    let p12 = c.download_keystore(&user).await.unwrap();
    let key = keyfile::key_from_pkcs12(&p12, "pw-123", "bp").unwrap();
    assert_eq!(key.expose_secret(), g.private_key_der());
    assert!(keyfile::key_from_pkcs12(&p12, "wrong", "bp").is_err());
    assert!(matches!(
        keyfile::key_from_pkcs12(&p12, "pw-123", "other"),
        Err(keyfile::KeyFileError::NoAlias(_))
    ));
    c.remove_alias(&user, "bp").await.unwrap();
    assert!(c.keystore(&user).await.unwrap().aliases.is_empty());

    // Users.
    let mac = c
        .create_user("mac-wknd-replication", Some("pw"), "/home/users/mac")
        .await
        .unwrap();
    assert_eq!(c.mac_users("wknd").await.unwrap()[0].path, mac);
    assert!(c.mac_users("other").await.unwrap().is_empty());
    c.delete_user(&mac).await.unwrap();
    assert!(c.mac_users("wknd").await.unwrap().is_empty());

    // OSGi configurations.
    let f = brandlink::aem::osgi::PROVIDER_FACTORY;
    let pid = c
        .create_factory_config(
            f,
            &[
                ("auth.token.provider.client.id".into(), vec!["abc".into()]),
                (
                    "auth.token.provider.default.claims".into(),
                    vec!["\"a\" : 1".into(), "\"b\" : 2".into()],
                ),
            ],
        )
        .await
        .unwrap();
    let cfg = c.config(&pid).await.unwrap().unwrap();
    assert_eq!(cfg.get("auth.token.provider.client.id"), Some("abc"));
    assert_eq!(cfg.all("auth.token.provider.default.claims").len(), 2);
    assert_eq!(c.factory_configs(f).await.unwrap().len(), 1);
    c.delete_config(&pid).await.unwrap();
    assert!(c.config(&pid).await.unwrap().is_none());
    assert!(c.factory_configs(f).await.unwrap().is_empty());
    assert!(c.cloud_configs().await.unwrap().is_empty());
}

#[tokio::test]
async fn legacy_cloud_configuration_is_found() {
    let e = common::start(Scenario::Legacy).await;
    let c = client(&e);
    let clouds = c.cloud_configs().await.unwrap();
    assert_eq!(clouds.len(), 1);
    assert!(clouds[0].legacy);
    assert!(
        clouds[0]
            .path
            .starts_with("/etc/cloudservices/mediaportal/")
    );
    let integ = brandlink::setup::Integration::read(&c.reader(), None)
        .await
        .unwrap();
    assert_eq!(integ.agents.len(), 4);
    assert_eq!(integ.mac_users.len(), 1);
    let cloud_step = integ.step(brandlink::setup::StepId::CloudService);
    assert!(
        matches!(cloud_step.status, brandlink::setup::StepStatus::Failing(ref r) if r.contains("upgrade"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endless_answer_is_cut_off_while_it_streams() {
    use tokio::io::AsyncWriteExt;
    // A server that never stops sending (no Content-Length, chunked).
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = tokio::io::AsyncReadExt::read(&mut s, &mut buf).await;
                let _ = s
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
                    .await;
                let chunk = format!("10000\r\n{}\r\n", "x".repeat(0x10000));
                while s.write_all(chunk.as_bytes()).await.is_ok() {}
            });
        }
    });
    let client = AemClient::new(&Connection::new(
        &base,
        "admin",
        SecretString::from("admin".to_string()),
    ))
    .unwrap()
    .with_max_body(1 << 20);
    let r = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        client.get("/bin/querybuilder.json"),
    )
    .await
    .expect("stops reading at the cap, not at the end");
    let err = r.unwrap_err().to_string();
    assert!(err.contains("larger than 1 MiB"), "{err}");
}
