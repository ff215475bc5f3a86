//! `brandlink doctor` against the sandbox over HTTP: every check seen passing on a healthy
//! configured author, failing (or warning) once the matching mishap or fault is applied, and
//! passing again after the fix brandlink offers where it has one.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test may stop at what it did not expect

mod common;

use brandlink::aem::{AemClient, Connection};
use brandlink::sandbox::{LogDialect, SandboxConfig, Scenario};
use brandlink::verdict::{self as doctor, Finding, ReadOptions, Report, Status};
use common::{Cli, Env};
use secrecy::SecretString;
use serde_json::{Value, json};

fn client(e: &Env) -> AemClient {
    AemClient::new(&Connection::new(
        &e.base,
        "admin",
        SecretString::from(e.sb.admin_password()),
    ))
    .expect("client")
}

async fn diagnose(e: &Env) -> Report {
    let opts = ReadOptions {
        test: true,
        ..ReadOptions::default()
    };
    doctor::diagnose(&client(e).reader(), &opts).await
}

fn check<'a>(r: &'a Report, id: &str) -> &'a Finding {
    r.findings
        .iter()
        .find(|f| f.id == id)
        .unwrap_or_else(|| panic!("no check {id} in {:#?}", r.findings))
}

async fn mishap(e: &Env, name: &str) {
    let r = e
        .http
        .post(e.url("/sandbox/control/mishaps"))
        .json(&json!({ "mishap": name }))
        .send()
        .await
        .expect("control");
    assert_eq!(
        r.status(),
        200,
        "mishap {name}: {}",
        r.text().await.unwrap_or_default()
    );
}

/// On a healthy configured author: every check passes but the one Adobe asks to change (JWT is
/// retired). Close Connection is off as AEM creates the agents, which is fine until requests
/// time out (Adobe gives it as the fix for timeouts); brandlink applies and restores it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_healthy_author_passes_and_close_connection_is_fixed() {
    let e = common::start(Scenario::Configured).await;
    let r = diagnose(&e).await;
    let not_ok: Vec<(&str, Status)> = r
        .findings
        .iter()
        .filter(|f| f.status != Status::Ok)
        .map(|f| (f.id, f.status))
        .collect();
    // A 6.5 author serves no Felix health checks: nothing is said about them.
    assert_eq!(
        not_ok,
        vec![
            ("aem.health", Status::Skip),
            ("ims.credential", Status::Warn)
        ],
        "{:#?}",
        r.findings
    );
    assert!(r.ok && r.tested, "warnings allowed");
    assert_eq!(check(&r, "ims.token").status, Status::Ok);

    // The CLI: exit 0, the JSON's stable shape, the text one line per check.
    let cli = Cli::new(&e);
    let (code, v) = cli.json(&["doctor"], &[]).await;
    assert_eq!(code, 0, "{v}");
    for f in v["findings"].as_array().expect("findings") {
        for key in [
            "id", "status", "finding", "cause", "fix", "command", "source",
        ] {
            assert!(f.get(key).is_some(), "{key} missing in {f}");
        }
    }
    let close = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "agents.close-connection")
        .expect("close-connection");
    assert_eq!(close["status"], "ok");
    assert!(
        close["finding"]
            .as_str()
            .unwrap_or("")
            .contains("off on 4 of 4"),
        "{close}"
    );
    let out = cli.run(&["doctor", "--no-test"], &[]).await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("✓ ims.token"),
        "the agents' logs show the tests just run: {text}"
    );
    assert!(
        text.lines().last().unwrap_or("").starts_with("doctor: "),
        "{text}"
    );

    // The fix: dry run changes nothing; then backed up, applied; restore sets it back.
    let bdir = tempfile::tempdir().expect("tempdir");
    let b = bdir.path().to_str().expect("utf-8");
    let (code, v) = cli
        .json(&["agents", "--close-connection", "--dry-run"], &[])
        .await;
    assert_eq!(
        (code, v["plan"]["change"].as_array().map(Vec::len)),
        (0, Some(4)),
        "{v}"
    );
    assert!(
        check(&diagnose(&e).await, "agents.close-connection")
            .finding
            .contains("off on 4"),
        "the dry run changed nothing"
    );
    let (code, v) = cli
        .json(
            &["agents", "--close-connection", "--yes", "--backup-dir", b],
            &[],
        )
        .await;
    assert_eq!(code, 0, "{v}");
    let r = diagnose(&e).await;
    let f = check(&r, "agents.close-connection");
    assert!(f.finding.contains("set on all 4"), "{f:?}");
    assert_eq!(v["changed"], true, "{v}");
    let backup = v["done"]["backup"].as_str().expect("backup").to_string();
    // Again: nothing to do, said so, exit 0.
    let (code, again) = cli
        .json(
            &["agents", "--close-connection", "--yes", "--backup-dir", b],
            &[],
        )
        .await;
    assert_eq!(
        (code, &again["changed"]),
        (0, &serde_json::json!(false)),
        "{again}"
    );
    let (code, v) = cli
        .json(&["restore", "--from", &backup, "--yes"], &[])
        .await;
    assert_eq!(code, 0, "{v}");
    assert!(
        check(&diagnose(&e).await, "agents.close-connection")
            .finding
            .contains("off on 4"),
        "restored as it was"
    );

    // status ends with the doctor's line (without a Test Connection).
    let out = cli.run(&["status"], &[]).await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.lines().last().unwrap_or("").starts_with("doctor: "),
        "{text}"
    );
}

/// Each mishap shows on its own check (and only Adobe's asks besides), with the command that
/// fixes it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_mishap_fails_its_check() {
    tokio::join!(
        each_mishap_in(LogDialect::Classic),
        each_mishap_in(LogDialect::Terse)
    );
}

async fn each_mishap_in(dialect: LogDialect) {
    let cases: &[(&str, &str, Status, Option<&str>)] = &[
        ("disabled_agent", "agents", Status::Fail, None),
        (
            "orphan_agents",
            "agents.leftovers",
            Status::Warn,
            Some("brandlink upgrade --tenant https://oldco.brand-portal.adobe.com"),
        ),
        (
            "second_cloud_config",
            "cloud.config",
            Status::Fail,
            Some("brandlink upgrade --tenant https://wknd-emea.brand-portal.adobe.com"),
        ),
        (
            "alias_service_url",
            "cloud.service-url",
            Status::Fail,
            Some("brandlink upgrade --tenant https://wknd-assets.brand-portal.adobe.com"),
        ),
        (
            "expired_certificate",
            "jwt.certificate",
            Status::Fail,
            Some("brandlink account migrate"),
        ),
        (
            "mac_stale_keystore",
            "mac.keystore",
            Status::Fail,
            Some("brandlink upgrade --tenant https://wknd.brand-portal.adobe.com"),
        ),
        (
            "missing_mac_user",
            "mac.user",
            Status::Fail,
            Some("brandlink upgrade --tenant https://wknd.brand-portal.adobe.com"),
        ),
        (
            "wrong_secret",
            "ims.token",
            Status::Fail,
            Some("brandlink account update --secret"),
        ),
        ("paused_queue", "queues.paused", Status::Warn, None),
    ];
    for (name, id, status, command) in cases {
        let e = common::start_with(common::config_in(Scenario::Configured, dialect)).await;
        assert_eq!(
            check(&diagnose(&e).await, id).status,
            Status::Ok,
            "{id} before {name} ({dialect:?})"
        );
        mishap(&e, name).await;
        let r = diagnose(&e).await;
        let f = check(&r, id);
        assert_eq!(f.status, *status, "{name} ({dialect:?}): {f:#?}");
        assert_eq!(
            f.command.as_deref(),
            *command,
            "{name} ({dialect:?}): {f:#?}"
        );
        assert!(f.fix.is_some(), "{name}: a fix is named");
        assert_eq!(
            r.ok,
            *status != Status::Fail,
            "{name} ({dialect:?}): exit status follows failures"
        );
    }
}

/// Where a failure shows in Test Connection, the token check explains it from AEM's words.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_connection_failures_are_explained() {
    tokio::join!(
        test_failures_in(LogDialect::Classic),
        test_failures_in(LogDialect::Terse)
    );
}

async fn test_failures_in(dialect: LogDialect) {
    let e = common::start_with(common::config_in(Scenario::Configured, dialect)).await;
    mishap(&e, "mac_stale_keystore").await;
    let f = check(&diagnose(&e).await, "ims.token").clone();
    assert_eq!(f.status, Status::Fail);
    assert!(f.finding.contains("401"), "{f:#?}");
    assert!(
        f.cause.as_deref().unwrap_or("").contains("MAC user"),
        "{dialect:?}: {f:#?}"
    );

    let e = common::start_with(common::config_in(Scenario::Configured, dialect)).await;
    mishap(&e, "expired_certificate").await;
    let f = check(&diagnose(&e).await, "ims.token").clone();
    assert!(f.finding.contains("signature"), "{dialect:?}: {f:#?}");

    // The tenant's outage: blocked queues publish nothing (a failure), and the cause says
    // they drain by themselves, with no command to run.
    let e = common::start_with(SandboxConfig {
        retry_delay_ms: 1_000,
        ..common::config_in(Scenario::Busy, dialect)
    })
    .await;
    e.set_faults(json!({"tenant_outage": true})).await;
    let r = common::eventually(20, "a queue blocks", || async {
        let r = diagnose(&e).await;
        (check(&r, "queues.blocked").status != Status::Ok).then_some(r)
    })
    .await;
    let f = check(&r, "queues.blocked");
    assert_eq!(f.status, Status::Fail, "{f:#?}");
    assert!(f.cause.as_deref().unwrap_or("").contains("503"), "{f:#?}");
    assert_eq!(f.command, None, "{f:#?}");
    let token = check(&r, "ims.token");
    assert!(token.finding.contains("5xx"), "{r:#?}");
    assert_eq!(
        token.status,
        Status::Warn,
        "{dialect:?}: the token itself is fine: {token:#?}"
    );
    e.reset_faults();
    common::eventually(30, "the queues drain", || async {
        let r = diagnose(&e).await;
        (check(&r, "queues.blocked").status == Status::Ok).then_some(())
    })
    .await;
}

/// A retired JWT: the doctor says migrate; after `account migrate`, the credential, the token
/// and the queues pass, and no certificate is needed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retired_jwt_is_diagnosed_and_passes_after_the_migration() {
    let e = common::start_with(SandboxConfig {
        lived_in: true,
        ..common::config(Scenario::JwtRetired)
    })
    .await;
    // The engine soon tries to deliver with the dead JWT and the queues block.
    let r = common::eventually(20, "the queues block", || async {
        let r = diagnose(&e).await;
        (check(&r, "queues.blocked").status != Status::Ok).then_some(r)
    })
    .await;
    let f = check(&r, "ims.token");
    assert_eq!(f.status, Status::Fail, "{f:#?}");
    assert_eq!(f.command.as_deref(), Some("brandlink account migrate"));
    assert_eq!(check(&r, "ims.credential").status, Status::Warn);
    let blocked = check(&r, "queues.blocked");
    assert_eq!(
        blocked.status,
        Status::Fail,
        "credentials do not heal: {blocked:#?}"
    );
    assert_eq!(
        blocked.command.as_deref(),
        Some("brandlink account migrate")
    );
    let ims = check(&r, "ims.config");
    assert_eq!(
        ims.status,
        Status::Ok,
        "other integrations do not count: {ims:#?}"
    );
    assert!(ims.finding.contains("left alone"), "{ims:#?}");
    assert!(!r.ok);

    let list = e.json("/sandbox/console/projects").await;
    let id = list["projects"]
        .as_array()
        .expect("projects")
        .iter()
        .find(|p| p["credential"].as_str().unwrap_or("").contains("converted"))
        .and_then(|p| p["clientId"].as_str())
        .expect("the converted credential")
        .to_string();
    let cred: Value = e.json(&format!("/sandbox/console/projects/{id}")).await;
    let cli = Cli::new(&e);
    let bdir = tempfile::tempdir().expect("tempdir");
    let (code, v) = cli
        .json(
            &[
                "account",
                "migrate",
                "--scopes",
                cred["scopes"].as_str().unwrap_or(""),
                "--org-id",
                cred["orgId"].as_str().unwrap_or(""),
                "--backup-dir",
                bdir.path().to_str().unwrap_or(""),
                "--yes",
            ],
            &[(
                "BRANDLINK_CLIENT_SECRET",
                cred["clientSecret"].as_str().unwrap_or(""),
            )],
        )
        .await;
    assert_eq!(code, 0, "{v}");
    let r = common::eventually(20, "the queues drain", || async {
        let r = diagnose(&e).await;
        (check(&r, "queues.blocked").status == Status::Ok).then_some(r)
    })
    .await;
    assert_eq!(check(&r, "ims.credential").status, Status::Ok, "{r:#?}");
    assert_eq!(check(&r, "ims.token").status, Status::Ok, "{r:#?}");
    assert_eq!(check(&r, "jwt.certificate").status, Status::Skip);
    let (code, v) = cli.json(&["doctor"], &[]).await;
    assert_eq!(code, 0, "{v}");

    // An OAuth configuration that lost its org id: named, with the command.
    let pid = r
        .findings
        .iter()
        .find(|f| f.id == "ims.config")
        .map(|f| f.finding.clone())
        .unwrap_or_default();
    assert!(pid.contains("OAuth"), "{pid}");
    let state = e.json("/sandbox/control/state").await;
    let bp = state["cloudConfigs"][0]["imsConfig"]
        .as_str()
        .expect("the cloud configuration names it")
        .to_string();
    client(&e)
        .update_config(&bp, &[], &["auth.token.provider.orgId".to_string()])
        .await
        .expect("configMgr");
    let f = check(&diagnose(&e).await, "ims.credential").clone();
    assert_eq!(f.status, Status::Fail, "{f:#?}");
    assert!(f.finding.contains("the org id"), "{f:#?}");
    assert_eq!(
        f.command.as_deref(),
        Some("brandlink account update --org-id ORG")
    );
}

/// A blank author: what is missing is named with the command that creates it; an author that
/// cannot be reached is one failing line, exit 1.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_author_and_an_unreachable_one() {
    let e = common::start(Scenario::Fresh).await;
    let r = diagnose(&e).await;
    assert_eq!(
        check(&r, "ims.config").command.as_deref(),
        Some("brandlink account create")
    );
    assert_eq!(
        check(&r, "cloud.config").command.as_deref(),
        Some("brandlink cloud create")
    );
    assert_eq!(check(&r, "agents").status, Status::Skip);
    assert_eq!(check(&r, "ims.token").status, Status::Skip);
    assert!(!r.ok);

    let old = common::start_with(SandboxConfig {
        product_version: "6.5.7.0".into(),
        ..common::config(Scenario::Configured)
    })
    .await;
    let r = diagnose(&old).await;
    assert_eq!(check(&r, "aem.oauth").status, Status::Fail);
    assert_eq!(check(&r, "sourcing").status, Status::Warn);

    e.set_faults(json!({"reject_auth": true})).await;
    let cli = Cli::new(&e);
    let (code, v) = cli.json(&["doctor"], &[]).await;
    assert_eq!(code, 1, "{v}");
    let findings = v["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 1, "{v}");
    assert_eq!(findings[0]["id"], "aem");
    assert!(
        findings[0]["finding"]
            .as_str()
            .unwrap_or("")
            .contains("401"),
        "{v}"
    );
}

/// Items that have waited long and been tried often, while the tenant is down; and a cloud
/// configuration naming an IMS configuration that is gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn old_items_retried_heads_and_a_missing_ims_configuration() {
    let e = common::start(Scenario::Configured).await;
    let r = diagnose(&e).await;
    assert_eq!(check(&r, "queues.retries").status, Status::Ok);
    assert_eq!(check(&r, "queues.oldest").status, Status::Ok);
    assert_eq!(check(&r, "cloud.ims-config").status, Status::Ok);
    e.set_faults(json!({"tenant_outage": true})).await;
    mishap(&e, "stuck_items").await;
    let r = diagnose(&e).await;
    let f = check(&r, "queues.retries");
    assert_eq!(f.status, Status::Warn, "{f:#?}");
    assert!(f.finding.contains("7 times"), "{f:#?}");
    let f = check(&r, "queues.oldest");
    assert_eq!(f.status, Status::Warn, "{f:#?}");
    assert!(f.finding.contains("20 minutes"), "{f:#?}");

    let clouds = e.json("/sandbox/control/state").await;
    let path = clouds["cloudConfigs"][0]["path"]
        .as_str()
        .expect("a cloud configuration")
        .to_string();
    let r = e
        .post(&format!("{path}/jcr:content"))
        .form(&[("imsConfig", "gone-long-ago")])
        .send()
        .await
        .expect("post");
    assert!(r.status().is_success(), "{}", r.status());
    let f = check(&diagnose(&e).await, "cloud.ims-config").clone();
    assert_eq!(f.status, Status::Fail, "{f:#?}");
    assert!(f.finding.contains("gone-long-ago"), "{f:#?}");
}
