//! AEM 6.5 LTS and Adobe's 2026 troubleshooting, over HTTP: an LTS author named as such
//! everywhere (OAuth first), the bundles the integration needs, the Adobe IMS bundle OAuth
//! needs, agents missing after the cloud configuration was saved (and saving it again), and
//! Felix Health Checks where the author serves them and silence where it does not.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test may stop at what it did not expect

mod common;

use brandlink::sandbox::{SandboxConfig, Scenario};
use common::{Cli, Env};
use serde_json::{Value, json};

fn finding<'a>(doctor: &'a Value, id: &str) -> &'a Value {
    doctor["findings"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["id"] == id))
        .unwrap_or_else(|| panic!("no finding {id}: {doctor:#}"))
}

async fn mishap(e: &Env, name: &str) {
    let r = e
        .http
        .post(e.url("/sandbox/control/mishaps"))
        .json(&json!({ "mishap": name }))
        .send()
        .await
        .expect("control");
    assert_eq!(r.status(), 200, "mishap {name}");
}

async fn start(scenario: Scenario, version: &str) -> Env {
    common::start_with(SandboxConfig {
        product_version: version.into(),
        ..common::config(scenario)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_lts_author_is_named_and_oauth_comes_first() {
    let e = start(Scenario::Fresh, "6.6.3").await;
    let cli = Cli::new(&e);
    let (_, st) = cli.json(&["status"], &[]).await;
    let (_, doc) = cli.json(&["doctor", "--no-test"], &[]).await;
    for (what, aem) in [("status", &st["aem"]), ("doctor", &doc["aem"])] {
        assert_eq!(aem["version"], "6.6.3", "{what}: {aem}");
        assert_eq!(aem["lts"], true, "{what}: {aem}");
        assert_eq!(aem["servicePack"], 3, "{what}: {aem}");
        assert_eq!(aem["label"], "AEM 6.5 LTS SP3", "{what}: {aem}");
        assert_eq!(
            aem["java"], "21.0.4",
            "{what}: the JVM from the status dump"
        );
    }
    assert_eq!(st["integration"]["oauthSupport"], "yes");
    let account = &st["steps"][1];
    assert!(
        account["status"]["reason"]
            .as_str()
            .unwrap_or("")
            .contains("OAuth Server-to-Server"),
        "OAuth first: {account:#}"
    );
    assert!(
        !account.to_string().contains("hotfix"),
        "never the hotfix on LTS: {account}"
    );
    let oauth = finding(&doc, "aem.oauth");
    assert_eq!(oauth["status"], "ok");
    assert!(oauth["finding"].as_str().unwrap_or("").contains("LTS SP3"));
    assert_eq!(finding(&doc, "aem.bundles")["status"], "ok");
    assert_eq!(finding(&doc, "aem.ims-bundle")["status"], "ok");
    // LTS serves Felix Health Checks; the failing disk check is not the link's business.
    let health = finding(&doc, "aem.health");
    assert_eq!(health["status"], "ok", "{health:#}");
    let out = cli.run(&["status"], &[]).await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("AEM 6.5 LTS SP3 (6.6.3), Java 21.0.4"),
        "{text}"
    );
    e.sb.shutdown().await;

    // LTS GA and a 6.5 service pack, for contrast.
    let e = start(Scenario::Fresh, "6.6.0").await;
    let (_, st) = Cli::new(&e).json(&["status"], &[]).await;
    assert_eq!(st["aem"]["label"], "AEM 6.5 LTS GA");
    assert_eq!(st["aem"]["servicePack"], 0);
    e.sb.shutdown().await;
    let e = start(Scenario::Fresh, "6.5.21.0").await;
    let (_, st) = Cli::new(&e).json(&["status"], &[]).await;
    assert_eq!(st["aem"]["lts"], false);
    assert_eq!(st["aem"]["label"], "AEM 6.5 SP21");
    assert_eq!(st["aem"]["java"], "11.0.24");
    e.sb.shutdown().await;
}

/// Each state a needed bundle can be stuck in fails the doctor with its name and fix, and
/// every front names it as the cause of the blocked queues.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_needed_bundle_not_active_stops_replication_and_is_named() {
    for (name, bundle, state, fix) in [
        (
            "bundle_installed",
            "com.adobe.granite.crypto.keystore",
            "Installed",
            "Granite Crypto",
        ),
        (
            "bundle_resolved",
            "com.day.cq.cq-replication",
            "Resolved",
            "start com.day.cq.cq-replication",
        ),
    ] {
        let e = start(Scenario::Configured, "6.6.3").await;
        mishap(&e, name).await;
        let r = e
            .post("/sandbox/publish")
            .form(&[("count", "8")])
            .send()
            .await
            .expect("publish");
        assert!(r.status().is_success());
        let ids = e.bp_agents().await;
        common::eventually(20, "the queues block", || async {
            let mut n = 0;
            for id in &ids {
                n += usize::from(e.queue(id).await["metaData"]["queueStatus"]["isBlocked"] == true);
            }
            (n == ids.len()).then_some(())
        })
        .await;
        let cli = Cli::new(&e);
        let (code, doc) = cli.json(&["doctor", "--no-test"], &[]).await;
        assert_eq!(code, 1);
        let b = finding(&doc, "aem.bundles");
        assert_eq!(b["status"], "fail", "{name}: {b:#}");
        let line = b["finding"].as_str().unwrap_or("");
        assert!(
            line.contains(bundle) && line.contains(state),
            "{name}: {b:#}"
        );
        assert!(
            b["fix"].as_str().unwrap_or("").contains(fix),
            "{name}: {b:#}"
        );
        let label = format!("bundle {bundle} is {state}");
        let blocked = finding(&doc, "queues.blocked");
        assert!(
            blocked["finding"].as_str().unwrap_or("").ends_with(&label),
            "{name}: {blocked:#}"
        );
        // LTS health checks fail with it.
        assert_eq!(finding(&doc, "aem.health")["status"], "fail", "{name}");
        let (_, st) = cli.json(&["status"], &[]).await;
        let reason = st["steps"][3]["status"]["reason"].as_str().unwrap_or("");
        assert!(reason.contains(&label), "{name}: status says {reason}");
        let (_, q) = cli.json(&["queues"], &[]).await;
        let alert = q["alerts"]
            .as_array()
            .and_then(|a| a.iter().find(|a| a["kind"] == "blocked"))
            .unwrap_or_else(|| panic!("{name}: no blocked alert {q:#}"));
        assert!(
            alert["message"].as_str().unwrap_or("").contains(&label),
            "{name}: the Replication alert names it: {alert:#}"
        );
        e.sb.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_old_ims_bundle_is_said_before_the_oauth_save() {
    let e = start(Scenario::Fresh, "6.5.21.0").await;
    mishap(&e, "old_ims_bundle").await;
    let cli = Cli::new(&e);
    let (_, doc) = cli.json(&["doctor", "--no-test"], &[]).await;
    let f = finding(&doc, "aem.ims-bundle");
    assert_eq!(f["status"], "warn", "{f:#}");
    assert!(
        f["cause"]
            .as_str()
            .unwrap_or("")
            .contains("Invalid parameters (empty or null)!")
    );
    assert!(
        f["fix"]
            .as_str()
            .unwrap_or("")
            .contains("ims-jwt-compatibility-package-6.5-1.0")
    );
    let (_, st) = cli.json(&["status"], &[]).await;
    let warnings = st["steps"][1]["warnings"].to_string();
    assert!(
        warnings.contains("1.1.18"),
        "the Account step says so: {warnings}"
    );
    let configs = || async {
        e.json("/system/console/configMgr/(service.factoryPid=com.adobe.granite.auth.oauth.accesstoken.provider).json")
            .await
            .as_array()
            .map_or(0, Vec::len)
    };
    let before = configs().await;
    let out = cli
        .run(
            &[
                "account",
                "create",
                "--oauth",
                "--title",
                "Brand Portal",
                "--api-key",
                "abc123",
                "--scopes",
                "openid,AdobeID",
                "--org-id",
                "ABCDEF0123456789@AdobeOrg",
            ],
            &[("BRANDLINK_CLIENT_SECRET", "p8e-secret")],
        )
        .await;
    let said = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{said}");
    assert!(
        said.contains("1.1.18") && said.contains("ims-jwt-compatibility-package-6.5-1.0"),
        "{said}"
    );
    assert_eq!(configs().await, before, "nothing was written");
    e.sb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_agents_are_found_and_the_cloud_configuration_saved_again() {
    let e = start(Scenario::Configured, "6.6.3").await;
    mishap(&e, "agents_missing").await;
    let cli = Cli::new(&e);
    let (code, doc) = cli.json(&["doctor", "--no-test"], &[]).await;
    assert_eq!(code, 1);
    let a = finding(&doc, "agents");
    assert_eq!(a["status"], "fail", "{a:#}");
    assert_eq!(a["command"], "brandlink cloud resave", "{a:#}");
    let (code, dry) = cli.json(&["cloud", "resave", "--dry-run"], &[]).await;
    assert_eq!(code, 0, "{dry:#}");
    assert_eq!(dry["plan"]["agentsBefore"], json!([]));
    assert!(dry["done"].is_null());
    assert!(e.bp_agents().await.is_empty(), "a dry run changes nothing");
    let backups = tempfile::tempdir().expect("tempdir");
    let (code, done) = cli
        .json(
            &[
                "cloud",
                "resave",
                "--yes",
                "--backup-dir",
                backups.path().to_str().unwrap_or(""),
            ],
            &[],
        )
        .await;
    assert_eq!(code, 0, "{done:#}");
    assert_eq!(done["done"]["agents"].as_array().map(Vec::len), Some(4));
    let backup = done["done"]["backup"].as_str().unwrap_or("");
    assert!(
        std::path::Path::new(backup).join("manifest.json").exists(),
        "backed up first: {backup}"
    );
    assert_eq!(e.bp_agents().await.len(), 4);
    let (_, doc) = cli.json(&["doctor", "--no-test"], &[]).await;
    assert_eq!(finding(&doc, "agents")["status"], "ok");
    e.sb.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_checks_are_read_where_served_and_absent_cleanly() {
    let e = start(Scenario::Configured, "6.6.3").await;
    let cli = Cli::new(&e);
    e.set_faults(json!({"failing_health_checks": ["Replication Agents"]}))
        .await;
    let (_, doc) = cli.json(&["doctor", "--no-test"], &[]).await;
    let h = finding(&doc, "aem.health");
    assert_eq!(h["status"], "fail", "{h:#}");
    let line = h["finding"].as_str().unwrap_or("");
    assert!(line.contains("Replication Agents CRITICAL"), "{line}");
    assert!(
        !line.contains("Disk Space"),
        "only the link's checks: {line}"
    );
    e.set_faults(json!({"failing_health_checks": [], "health_checks_missing": true}))
        .await;
    let (_, doc) = cli.json(&["doctor", "--no-test"], &[]).await;
    assert_eq!(finding(&doc, "aem.health")["status"], "skip");
    e.sb.shutdown().await;
    // A 6.5 author without the add-on: 404, and nothing said against it.
    let e = start(Scenario::Configured, "6.5.21.0").await;
    let (_, doc) = Cli::new(&e).json(&["doctor", "--no-test"], &[]).await;
    let h = finding(&doc, "aem.health");
    assert_eq!(h["status"], "skip", "{h:#}");
    e.sb.shutdown().await;
}
