//! The emulated AEM author over real HTTP: auth and filters, Sling GET/POST/DELETE, agents,
//! queues, JMX, users and keystores, configMgr, the Brand Portal cloud configuration.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test may stop at what it did not expect

mod agents;
mod brand_portal;
#[path = "../common/mod.rs"]
mod common;
mod configmgr;
mod security;
mod sling;

use brandlink::ims::certificate;
use brandlink::sandbox::{Sandbox, SandboxConfig, Scenario};
use common::*;
use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

#[tokio::test]
async fn authentication_readiness_and_csrf() {
    let e = start(Scenario::Fresh).await;
    // Anonymous login page with the readiness marker.
    let r = e
        .http
        .get(e.url("/libs/granite/core/content/login.html"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("QUICKSTART_HOMEPAGE"));
    // Everything else needs Basic auth.
    let r = e
        .http
        .get(e.url("/etc/replication/agents.author.1.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.headers()["www-authenticate"],
        "Basic realm=\"Sling (Development)\""
    );
    let r = e
        .http
        .get(e.url("/system/console/bundles.json"))
        .basic_auth("admin", Some("wrong"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let b = e.json("/system/console/bundles.json").await;
    assert!(b["status"].as_str().unwrap().contains("bundles active"));
    assert!(
        b["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["state"] == "Active")
    );
    assert_eq!(b["s"].as_array().unwrap().len(), 5);
    let info = e.json("/system/console/status-productinfo.json").await;
    assert!(info[0].as_str().unwrap().contains("6.5"));

    // A browser-like POST without Referer or CSRF token is refused; the token makes it pass.
    let mozilla = "Mozilla/5.0 (X11; Linux x86_64)";
    let r = e
        .post("/content/csrf-test")
        .header("User-Agent", mozilla)
        .form(&[("a", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = e
        .post("/content/csrf-test")
        .header("User-Agent", mozilla)
        .header("Referer", e.url("/"))
        .form(&[("a", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("CSRF"));
    let token = e.json("/libs/granite/csrf/token.json").await["token"]
        .as_str()
        .unwrap()
        .to_string();
    let r = e
        .post("/content/csrf-test")
        .header("User-Agent", mozilla)
        .header("Referer", e.url("/"))
        .header("CSRF-Token", token)
        .form(&[("a", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    // A non-browser agent needs neither.
    let r = e
        .post("/content/csrf-test")
        .form(&[("a", "2")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn refuses_non_loopback_without_permission() {
    let err = Sandbox::start(
        SandboxConfig::default(),
        "0.0.0.0:0".parse().unwrap(),
        false,
    )
    .await
    .err()
    .expect("refused");
    assert!(err.to_string().contains("--allow-remote"));
}
