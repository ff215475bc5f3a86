//! End-to-end walks over real HTTP: the whole first-time setup done by hand against a fresh
//! sandbox, publishing through the four queues, a blocked queue and its recovery, faults.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test may stop at what it did not expect

mod common;

use brandlink::ims::certificate;
use brandlink::sandbox::Scenario;
use brandlink::sandbox::ims::sign_rs256;
use common::*;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

const TEMP: &str =
    "/system/console/configMgr/%5BTemporary%20PID%20replaced%20by%20real%20PID%20upon%20save%5D";

#[tokio::test]
async fn manual_first_time_setup_then_publish_100_assets() {
    let e = start(Scenario::Fresh).await;
    // 1. Certificate: key pair in the service user's keystore.
    let user = e.user_path("brandportal-imsconfig-service").await;
    let r = e
        .post(&format!("{user}.ks.html"))
        .form(&[
            (":operation", "createStore"),
            ("newPassword", "pw"),
            ("rePassword", "pw"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let cert = certificate::generate("AEM Brand Portal IMS", 365).unwrap();
    let form = Form::new()
        .text("alias", "brandportal")
        .part(
            "pk",
            Part::bytes(cert.private_key_der().to_vec()).file_name("key.der"),
        )
        .part(
            "cert-chain",
            Part::bytes(cert.cert_pem.clone().into_bytes()).file_name("AEM-Adobe-IMS.crt"),
        );
    assert_eq!(
        e.post(&format!("{user}.ks.html"))
            .multipart(form)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    // 2. Developer Console.
    let form = Form::new().part(
        "certificate",
        Part::bytes(cert.cert_pem.clone().into_bytes()).file_name("AEM-Adobe-IMS.crt"),
    );
    let creds: Value = e
        .http
        .post(e.url("/sandbox/console/projects"))
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let api_key = creds["apiKey"].as_str().unwrap().to_string();
    let secret = creds["clientSecret"].as_str().unwrap().to_string();
    // 3. IMS configuration: the provider and the customizer holding the secret.
    let mut claims: Vec<(String, String)> = Vec::new();
    for (k, v) in creds["jwtPayload"].as_object().unwrap() {
        if k != "exp" {
            claims.push((
                "auth.token.provider.default.claims".into(),
                format!("\"{k}\" : {v}"),
            ));
        }
    }
    let mut form: Vec<(String, String)> = vec![
        ("apply".into(), "true".into()),
        ("action".into(), "ajaxConfigManager".into()),
        ("factoryPid".into(), "com.adobe.granite.auth.oauth.accesstoken.provider".into()),
        ("propertylist".into(), "name,auth.token.provider.title,auth.token.provider.default.claims,auth.token.provider.endpoint,auth.access.token.request,auth.token.provider.keypair.alias,auth.token.provider.client.id,token.request.customizer.type".into()),
        ("name".into(), "brandportal".into()),
        ("auth.token.provider.title".into(), "Brand Portal".into()),
        ("auth.token.provider.endpoint".into(), "https://ims-na1.adobelogin.com".into()),
        ("auth.access.token.request".into(), "https://ims-na1.adobelogin.com/ims/exchange/jwt".into()),
        ("auth.token.provider.keypair.alias".into(), "brandportal".into()),
        ("auth.token.provider.client.id".into(), api_key.clone()),
        ("token.request.customizer.type".into(), "brandportal".into()),
    ];
    form.extend(claims);
    let r = e.post(TEMP).form(&form).send().await.unwrap();
    assert_eq!(r.status(), 302);
    let pid = r.headers()["location"]
        .to_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    let r = e
        .post(TEMP)
        .form(&[
            ("apply", "true"),
            (
                "factoryPid",
                "com.adobe.granite.auth.ims.impl.IMSAccessTokenRequestCustomizerImpl",
            ),
            ("propertylist", "customizer.type,auth.ims.client.secret"),
            ("customizer.type", "brandportal"),
            ("auth.ims.client.secret", secret.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    // Check Health: a real signed JWT exchanged for a token.
    let mut c = creds["jwtPayload"].clone();
    c["exp"] = json!(chrono::Utc::now().timestamp() + 300);
    let jwt = sign_rs256(&c, cert.private_key_der()).unwrap();
    let r = e
        .http
        .post(e.url("/ims/exchange/jwt"))
        .form(&[
            ("client_id", api_key.as_str()),
            ("client_secret", secret.as_str()),
            ("jwt_token", jwt.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "token retrieved");
    // 4. Cloud configuration → four agents.
    let tenant = e.sb.tenant_url();
    let r = e
        .post("/apps/brandportal/config")
        .form(&[
            ("name", "Brand Portal"),
            ("tenantURL", tenant.as_str()),
            ("imsConfig", pid.as_str()),
            ("oauthScopes", "dam-read dam-write dam-sync cc-share"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let agents = eventually(10, "four agents", || async {
        let a = e.bp_agents().await;
        (a.len() == 4).then_some(a)
    })
    .await;
    // 5. Test Connection on all four.
    for id in &agents {
        let t = e
            .text(&format!("/etc/replication/agents.author/{id}.test.html"))
            .await;
        assert!(t.contains("Replication test succeeded"), "{id}: {t}");
    }
    // 6. Publish 100 assets; the four queues share them and drain.
    let r: Value = e
        .post("/sandbox/publish")
        .form(&[("count", "100")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["queued"], 100);
    for id in &agents {
        assert_eq!(r["agents"][id], 25, "round-robin spreads evenly");
    }
    eventually(20, "all four queues to drain", || async {
        for id in &agents {
            if !e.queue(id).await["queue"].as_array().unwrap().is_empty() {
                return None;
            }
        }
        Some(())
    })
    .await;
    let tenant_status: Value = e
        .http
        .get(e.url("/sandbox/tenant"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(tenant_status["deliveredTotal"], 100);
}

#[tokio::test]
async fn stale_key_blocks_then_recovers_after_force_retry() {
    let e = start(Scenario::Configured).await;
    let agents = e.bp_agents().await;
    e.set_faults(json!({"stale_key": true})).await;
    e.post("/sandbox/publish")
        .form(&[("count", "8")])
        .send()
        .await
        .unwrap();
    let id = agents[0].clone();
    let q = eventually(10, "a blocked queue", || async {
        let q = e.queue(&id).await;
        (q["metaData"]["queueStatus"]["isBlocked"] == true).then_some(q)
    })
    .await;
    let st = &q["metaData"]["queueStatus"];
    assert!(
        st["nextRetryPeriod"].as_i64().unwrap() > 0,
        "retry is in the future"
    );
    assert!(q["queue"][0]["numProcessed"].as_u64().unwrap() >= 1);
    assert_eq!(q["queue"].as_array().unwrap().len(), 2);
    let page = e
        .text(&format!("/etc/replication/agents.author/{id}.html"))
        .await;
    assert!(page.contains("cq-agent-queue-blocked"));
    let t = e
        .text(&format!("/etc/replication/agents.author/{id}.test.html"))
        .await;
    assert!(!t.contains("Replication test succeeded"));
    assert!(t.contains("Server returned status code 401"), "{t}");
    assert!(t.contains("Could not match JWT signature to any of the bindings"));
    let log = e
        .text(&format!("/etc/replication/agents.author/{id}.log.html"))
        .await;
    assert!(log.contains("Transfer failed"));
    // Retries count up on a forced retry while the fault lasts.
    let mbean =
        format!("/system/console/jmx/com.adobe.granite.replication:id=%22{id}%22,type=agent");
    e.post(&format!("{mbean}/op/queueForceRetry"))
        .send()
        .await
        .unwrap();
    eventually(10, "a second attempt", || async {
        let q = e.queue(&id).await;
        (q["queue"][0]["numProcessed"].as_u64().unwrap_or(0) >= 2).then_some(())
    })
    .await;
    // Fixed: force retry on every agent and they drain.
    e.set_faults(json!({"stale_key": false})).await;
    for a in &agents {
        let mbean =
            format!("/system/console/jmx/com.adobe.granite.replication:id=%22{a}%22,type=agent");
        assert_eq!(
            e.post(&format!("{mbean}/op/queueForceRetry"))
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
    }
    eventually(10, "recovery", || async {
        for a in &agents {
            let q = e.queue(a).await;
            if q["metaData"]["queueStatus"]["isBlocked"] != false
                || !q["queue"].as_array().unwrap().is_empty()
            {
                return None;
            }
        }
        Some(())
    })
    .await;
}

#[tokio::test]
async fn tenant_outage_and_disabled_agent() {
    let e = start(Scenario::Configured).await;
    let agents = e.bp_agents().await;
    // Disable one agent: its share stays queued and the queue status says so.
    let off = agents[1].clone();
    let r = e
        .post(&format!("/etc/replication/agents.author/{off}/jcr:content"))
        .form(&[("./enabled", "false")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r: Value = e
        .post("/sandbox/publish")
        .form(&[("count", "20")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["undeliverable"], 5);
    eventually(10, "enabled agents to drain", || async {
        for a in agents.iter().filter(|a| **a != off) {
            if !e.queue(a).await["queue"].as_array().unwrap().is_empty() {
                return None;
            }
        }
        Some(())
    })
    .await;
    let q = e.queue(&off).await;
    assert_eq!(q["queue"].as_array().unwrap().len(), 5);
    assert!(
        q["metaData"]["queueStatus"].get("isBlocked").is_none(),
        "a disabled agent has no isBlocked"
    );
    let page = e
        .text(&format!("/etc/replication/agents.author/{off}.html"))
        .await;
    assert!(page.contains("Agent is <strong>disabled.</strong>"));
    // Tenant outage: 503 from the tenant blocks the queues.
    e.set_faults(json!({"tenant_outage": true})).await;
    e.post("/sandbox/publish")
        .form(&[("count", "4")])
        .send()
        .await
        .unwrap();
    let id = agents[0].clone();
    eventually(10, "blocked by the outage", || async {
        (e.queue(&id).await["metaData"]["queueStatus"]["isBlocked"] == true).then_some(())
    })
    .await;
    let t = e
        .text(&format!("/etc/replication/agents.author/{id}.test.html"))
        .await;
    assert!(t.contains("status code 503"));
}

#[tokio::test]
async fn injected_faults() {
    let e = start(Scenario::Configured).await;
    let path = "/etc/replication/agents.author.1.json";
    // Control endpoint validation.
    let r = e
        .http
        .post(e.url("/sandbox/control/faults"))
        .body(r#"{"nonsense": true}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = e
        .http
        .post(e.url("/sandbox/control/faults"))
        .body(r#"{"error_rate": 3}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    // Latency: the answer takes at least that long.
    e.set_faults(json!({"latency_ms": 150})).await;
    let t = std::time::Instant::now();
    assert_eq!(e.get(path).send().await.unwrap().status(), 200);
    assert!(t.elapsed() >= std::time::Duration::from_millis(150));
    e.reset_faults();
    e.set_faults(json!({"error_rate": 1.0})).await;
    assert_eq!(e.get(path).send().await.unwrap().status(), 500);
    e.reset_faults();
    e.set_faults(json!({"drop_rate": 1.0})).await;
    assert!(e.get(path).send().await.is_err(), "connection dropped");
    e.reset_faults();
    e.set_faults(json!({"truncated_json_rate": 1.0})).await;
    let body = e.get(path).send().await.unwrap().text().await.unwrap();
    assert!(serde_json::from_str::<Value>(&body).is_err());
    assert!(body.starts_with('{'));
    e.reset_faults();
    e.set_faults(json!({"malformed_json_rate": 1.0})).await;
    let body = e.get(path).send().await.unwrap().text().await.unwrap();
    assert!(serde_json::from_str::<Value>(&body).is_err());
    e.reset_faults();
    e.set_faults(json!({"html_for_json_rate": 1.0})).await;
    let r = e.get(path).send().await.unwrap();
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    e.reset_faults();
    e.set_faults(json!({"unavailable": true})).await;
    assert_eq!(e.get(path).send().await.unwrap().status(), 503);
    assert_eq!(
        e.http
            .get(e.url("/libs/granite/core/content/login.html"))
            .send()
            .await
            .unwrap()
            .status(),
        503
    );
    e.reset_faults();
    e.set_faults(json!({"reject_auth": true})).await;
    assert_eq!(e.get(path).send().await.unwrap().status(), 401);
    e.reset_faults();
    assert_eq!(e.get(path).send().await.unwrap().status(), 200);
    let state: Value = e
        .http
        .get(e.url("/sandbox/control/state"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(state["scenario"], "configured");
}
