//! JWT → OAuth Server-to-Server in place on a `jwt-retired` author that also runs Smart Tags
//! and Adobe Stock: the dry run changes nothing, a wrong secret is refused before anything is
//! written, the migration keeps the PID, the four Test Connections pass and the blocked queues
//! drain, the neighbours are untouched, and the backup puts the JWT configuration back exactly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test may stop at what it did not expect

mod common;

use brandlink::sandbox::{SandboxConfig, Scenario};
use common::{Cli, Env};
use serde_json::Value;
use std::time::Duration;

fn args(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

const PROVIDERS: &str = "/system/console/configMgr/(service.factoryPid=com.adobe.granite.auth.oauth.accesstoken.provider).json";
const CUSTOMIZERS: &str = "/system/console/configMgr/(service.factoryPid=com.adobe.granite.auth.ims.impl.IMSAccessTokenRequestCustomizerImpl).json";

fn all_configs(list: &Value) -> Vec<Value> {
    list.as_array().unwrap().clone()
}

async fn console_credential(e: &Env) -> Value {
    let list = e.json("/sandbox/console/projects").await;
    let id = list["projects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["credential"].as_str().unwrap().contains("converted"))
        .map(|p| p["clientId"].as_str().unwrap().to_string())
        .expect("the converted credential");
    e.json(&format!("/sandbox/console/projects/{id}")).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retired_jwt_integration_is_migrated_in_place() {
    let e = common::start_with(SandboxConfig {
        lived_in: true,
        ..common::config(Scenario::JwtRetired)
    })
    .await;
    let cli = Cli::new(&e);
    let before_providers = all_configs(&e.json(PROVIDERS).await);
    let before_customizers = all_configs(&e.json(CUSTOMIZERS).await);
    // The engine soon tries to deliver with the dead JWT and the queues block.
    let mut st = Value::Null;
    for _ in 0..40 {
        let (code, s) = cli.json(&["status"], &[]).await;
        st = s;
        // (Exit 1 from the start: no agent has worked yet. The step fails once they block.)
        if code == 1 && st["steps"][3]["status"]["state"] == "failing" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(st["steps"][3]["status"]["state"], "failing", "{st}");
    let bp = st["integration"]["imsConfigs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| !c["brandPortal"].is_null())
        .unwrap()["pid"]
        .as_str()
        .unwrap()
        .to_string();
    let cred = console_credential(&e).await;
    let secret = cred["clientSecret"].as_str().unwrap().to_string();
    let scopes = cred["scopes"].as_str().unwrap().to_string();
    let org = cred["orgId"].as_str().unwrap().to_string();
    let bdir = tempfile::tempdir().unwrap();
    let bdir_s = bdir.path().to_str().unwrap();
    let migrate = |extra: &'static [&'static str]| {
        let mut a = vec![
            "account",
            "migrate",
            "--scopes",
            scopes.as_str(),
            // No --org-id: the JWT configuration's `iss` claim names the organization.
            "--backup-dir",
            bdir_s,
        ];
        a.extend_from_slice(extra);
        a.into_iter().map(str::to_string).collect::<Vec<_>>()
    };

    // Dry run: the changes, IMS asked, nothing written.
    let dry = migrate(&["--dry-run"]);
    let (code, v) = cli
        .json(&args(&dry), &[("BRANDLINK_CLIENT_SECRET", &secret)])
        .await;
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["plan"]["pid"], bp.as_str());
    assert_eq!(v["plan"]["preflight"]["state"], "ok");
    let names: Vec<&str> = v["plan"]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"auth.token.provider.authorization.grants"),
        "{names:?}"
    );
    assert!(names.contains(&"auth.access.token.request"));
    let org_change = v["plan"]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "auth.token.provider.orgId")
        .unwrap();
    assert!(
        org_change.to_string().contains(&org),
        "the organization comes from the JWT claims: {org_change}"
    );
    assert!(!v.to_string().contains(&secret), "no secret in the plan");
    assert_eq!(all_configs(&e.json(PROVIDERS).await), before_providers);
    assert_eq!(
        std::fs::read_dir(bdir.path()).unwrap().count(),
        0,
        "no backup on a dry run"
    );

    // A wrong secret: refused before anything is written.
    let go = migrate(&["--yes"]);
    let (code, v) = cli
        .json(&args(&go), &[("BRANDLINK_CLIENT_SECRET", "p8e-wrong")])
        .await;
    assert_eq!(code, 1, "{v}");
    assert!(
        v["error"].as_str().unwrap().contains("nothing was changed"),
        "{v}"
    );
    assert_eq!(all_configs(&e.json(PROVIDERS).await), before_providers);

    // The migration: same PID, OAuth, four Test Connections, queues drain.
    let (code, v) = cli
        .json(&args(&go), &[("BRANDLINK_CLIENT_SECRET", &secret)])
        .await;
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["tests"].as_array().unwrap().len(), 4);
    assert!(
        v["tests"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["success"] == true)
    );
    let backup = v["backupDir"].as_str().unwrap().to_string();
    let (_, st) = cli.json(&["status"], &[]).await;
    let cfg = st["integration"]["imsConfigs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["pid"] == bp.as_str())
        .cloned()
        .expect("same PID");
    assert_eq!(cfg["authType"], "oauth-server-to-server");
    let mut drained = false;
    for _ in 0..60 {
        let (_, q) = cli.json(&["queues"], &[]).await;
        if q["totalPending"] == 0 && q["ok"] == true {
            drained = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(drained, "the blocked queues drained after the migration");
    let (code, v) = cli
        .json(
            &["account", "check"],
            &[("BRANDLINK_CLIENT_SECRET", &secret)],
        )
        .await;
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["health"]["aem"]["state"], "ok");

    // Re-runs find nothing to do: ok, `"changed": false`, nothing written.
    let migrated = all_configs(&e.json(PROVIDERS).await);
    let (code, v) = cli
        .json(&args(&go), &[("BRANDLINK_CLIENT_SECRET", &secret)])
        .await;
    assert_eq!((code, &v["changed"]), (0, &serde_json::json!(false)), "{v}");
    let same_scopes = format!("--scopes={scopes}");
    let (code, v) = cli
        .json(&["account", "update", &same_scopes, "--yes"], &[])
        .await;
    assert_eq!((code, &v["changed"]), (0, &serde_json::json!(false)), "{v}");
    // The current secret in the environment only lets IMS check: no secret in the plan.
    let (code, v) = cli
        .json(
            &["account", "update", &same_scopes, "--yes"],
            &[("BRANDLINK_CLIENT_SECRET", &secret)],
        )
        .await;
    assert_eq!((code, &v["changed"]), (0, &serde_json::json!(false)), "{v}");
    assert_eq!(all_configs(&e.json(PROVIDERS).await), migrated);

    // The other integrations were not touched.
    let after_providers = all_configs(&e.json(PROVIDERS).await);
    for c in before_providers.iter().filter(|c| c["pid"] != bp.as_str()) {
        assert!(after_providers.contains(c), "{c} changed");
    }
    let after_customizers = all_configs(&e.json(CUSTOMIZERS).await);
    assert_eq!(after_customizers.len(), before_customizers.len());

    // The backup holds no secret, and only its owner can read it.
    for f in std::fs::read_dir(&backup).unwrap().flatten() {
        let text = std::fs::read_to_string(f.path()).unwrap();
        assert!(!text.contains(&secret), "{}", f.path().display());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&backup).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "backup folder mode {mode:o}");
    }

    // Restore: the JWT configuration exactly as it was (the secret given back too).
    let (code, v) = cli
        .json(
            &["restore", "--from", &backup, "--yes"],
            &[("BRANDLINK_CLIENT_SECRET", &secret)],
        )
        .await;
    assert_eq!(code, 0, "{v}");
    assert_eq!(all_configs(&e.json(PROVIDERS).await), before_providers);
    assert_eq!(all_configs(&e.json(CUSTOMIZERS).await), before_customizers);
    let transcript = cli.transcript.lock().unwrap().clone();
    assert!(!transcript.contains(&secret));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_migration_whose_secret_cannot_be_stored_puts_the_provider_back() {
    let e = common::start(Scenario::JwtRetired).await;
    let cli = Cli::new(&e);
    let providers_before = all_configs(&e.json(PROVIDERS).await);
    let customizer = all_configs(&e.json(CUSTOMIZERS).await)[0]["pid"]
        .as_str()
        .unwrap()
        .to_string();
    let cred = console_credential(&e).await;
    let secret = cred["clientSecret"].as_str().unwrap().to_string();
    let scopes = cred["scopes"].as_str().unwrap().to_string();
    let org = cred["orgId"].as_str().unwrap().to_string();
    let bdir = tempfile::tempdir().unwrap();
    // AEM refuses the write to the customizer (the second of the two).
    e.set_faults(serde_json::json!({
        "forbidden_paths": [format!("/system/console/configMgr/{customizer}")]
    }))
    .await;
    let (code, v) = cli
        .json(
            &[
                "account",
                "migrate",
                "--scopes",
                &scopes,
                "--org-id",
                &org,
                "--backup-dir",
                bdir.path().to_str().unwrap(),
                "--yes",
            ],
            &[("BRANDLINK_CLIENT_SECRET", &secret)],
        )
        .await;
    assert_eq!(code, 1, "{v}");
    assert!(
        v["error"].as_str().unwrap().contains("put back as it was"),
        "{v}"
    );
    e.reset_faults();
    assert_eq!(
        all_configs(&e.json(PROVIDERS).await),
        providers_before,
        "the provider is as it was"
    );
}

/// After the migration the old key pair is unused: the Certificate step says so with the
/// command, `cert delete` refuses while JWT still signs with it, and removes it afterwards,
/// keeping a record without the private key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_unused_key_pair_is_removed_only_after_the_migration() {
    let e = common::start(Scenario::JwtRetired).await;
    let cli = Cli::new(&e);
    let bdir = tempfile::tempdir().unwrap();
    let bdir_s = bdir.path().to_str().unwrap();
    let (code, v) = cli
        .json(&["cert", "delete", "--backup-dir", bdir_s, "--yes"], &[])
        .await;
    assert_eq!(code, 1, "in use while JWT signs with it: {v}");
    assert!(v["error"].as_str().unwrap().contains("in use"), "{v}");

    let cred = console_credential(&e).await;
    let secret = cred["clientSecret"].as_str().unwrap().to_string();
    let (code, v) = cli
        .json(
            &[
                "account",
                "migrate",
                "--scopes",
                cred["scopes"].as_str().unwrap(),
                "--org-id",
                cred["orgId"].as_str().unwrap(),
                "--backup-dir",
                bdir_s,
                "--yes",
            ],
            &[("BRANDLINK_CLIENT_SECRET", &secret)],
        )
        .await;
    assert_eq!(code, 0, "{v}");
    let (_, st) = cli.json(&["status"], &[]).await;
    let alias = st["integration"]["certificate"]["alias"]
        .as_str()
        .expect("the old key pair is still there")
        .to_string();
    let detail = st["steps"][0]["detail"].as_str().unwrap_or("").to_string();
    assert!(
        detail.contains(&format!("brandlink cert delete --alias {alias}")),
        "{}",
        st["steps"][0]
    );

    let (code, v) = cli
        .json(&["cert", "delete", "--alias", &alias, "--dry-run"], &[])
        .await;
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["plan"]["usedBy"], serde_json::json!([]));
    assert!(v["backupDir"].is_null());
    let (code, v) = cli
        .json(&["cert", "delete", "--alias", "nosuch", "--yes"], &[])
        .await;
    assert_eq!(code, 1, "{v}");

    let (code, v) = cli
        .json(
            &[
                "cert",
                "delete",
                "--alias",
                &alias,
                "--backup-dir",
                bdir_s,
                "--yes",
            ],
            &[],
        )
        .await;
    assert_eq!(code, 0, "{v}");
    let record = std::path::Path::new(v["backupDir"].as_str().unwrap()).join("removed-key.json");
    let text = std::fs::read_to_string(&record).expect("the record");
    assert!(
        text.contains(&alias) && !text.contains("PRIVATE KEY"),
        "{text}"
    );
    let (code, st) = cli.json(&["status"], &[]).await;
    assert!(st["integration"]["certificate"].is_null(), "{st}");
    assert_eq!(st["steps"][0]["status"]["state"], "done", "{st}");
    let (dcode, d) = cli.json(&["doctor"], &[]).await;
    assert_eq!(code, dcode, "status and doctor agree: {d}");
}
