//! Authors that already run other Adobe integrations (Smart Tags, Adobe Stock), and "green
//! means working": values IMS rejects are never stored, and Check Health fails while AEM cannot
//! obtain a token with what it stores — whatever the operator's shell holds.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test may stop at what it did not expect

mod common;

use brandlink::sandbox::{SandboxConfig, Scenario};
use common::{Cli, Env, console_project};
use serde_json::Value;

const PROVIDERS: &str = "/system/console/configMgr/(service.factoryPid=com.adobe.granite.auth.oauth.accesstoken.provider).json";
const CUSTOMIZERS: &str = "/system/console/configMgr/(service.factoryPid=com.adobe.granite.auth.ims.impl.IMSAccessTokenRequestCustomizerImpl).json";
const STOCK: &str = "/conf/global/settings/cloudconfigs/stock/adobe-stock.infinity.json";

fn lived_in() -> SandboxConfig {
    SandboxConfig {
        lived_in: true,
        ..common::config(Scenario::Fresh)
    }
}

fn pids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|c| c["pid"].as_str().unwrap().to_string())
        .collect()
}

/// Every configuration and node of the other integrations, as AEM serves them.
async fn neighbours(e: &Env, provider_pids: &[String], customizer_pids: &[String]) -> Vec<Value> {
    let mut out = Vec::new();
    for pid in provider_pids.iter().chain(customizer_pids) {
        out.push(
            e.json(&format!("/system/console/configMgr/{pid}.json"))
                .await,
        );
    }
    out.push(e.json(STOCK).await);
    out
}

async fn certificate_pem() -> Vec<u8> {
    brandlink::ims::certificate::generate("lived-in", 30)
        .unwrap()
        .cert_pem
        .into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth_setup_on_a_lived_in_author_leaves_the_neighbours_alone() {
    let e = common::start_with(lived_in()).await;
    let cli = Cli::new(&e);
    let provider_pids = pids(&e.json(PROVIDERS).await);
    let customizer_pids = pids(&e.json(CUSTOMIZERS).await);
    assert_eq!(provider_pids.len(), 2, "Smart Tags and Stock");
    let before = neighbours(&e, &provider_pids, &customizer_pids).await;

    // Nothing of Brand Portal yet: the neighbours are not mistaken for it.
    let (code, st) = cli.json(&["status"], &[]).await;
    assert_eq!(code, 1);
    let account = &st["steps"][1];
    assert_eq!(account["status"]["state"], "pending", "{st}");
    assert!(
        account["detail"].as_str().unwrap().contains("Smart Tags"),
        "{account}"
    );

    let creds = console_project(&e, &certificate_pem().await).await;
    let [id, secret, scopes, org] = common::oauth_credential(&creds);
    let create = [
        "account",
        "create",
        "--title",
        "Brand Portal",
        "--api-key",
        &id,
        "--oauth",
        "--scopes",
        &scopes,
        "--org-id",
        &org,
    ];

    // A mistyped secret is refused before anything is written.
    let (code, v) = cli
        .json(&create, &[("BRANDLINK_CLIENT_SECRET", "p8e-mistyped")])
        .await;
    assert_eq!(code, 1, "{v}");
    let err = v["error"].as_str().unwrap();
    assert!(err.contains("the client secret"), "{err}");
    assert!(err.contains("nothing was written"), "{err}");
    assert_eq!(pids(&e.json(PROVIDERS).await), provider_pids);

    // The right one: created beside the neighbours, "only one" counts Brand Portal's alone.
    let (code, v) = cli
        .json(&create, &[("BRANDLINK_CLIENT_SECRET", &secret)])
        .await;
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["preflight"]["state"], "ok", "{v}");
    assert_eq!(v["otherIntegrations"].as_array().unwrap().len(), 2, "{v}");
    let (code, v) = cli
        .json(&create, &[("BRANDLINK_CLIENT_SECRET", &secret)])
        .await;
    assert_eq!((code, &v["changed"]), (0, &Value::Bool(false)), "{v}");

    // Check Health before the cloud configuration: IMS yes, AEM not yet verifiable.
    let (code, v) = cli
        .json(
            &["account", "check"],
            &[("BRANDLINK_CLIENT_SECRET", &secret)],
        )
        .await;
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["health"]["ims"]["state"], "ok");
    assert_eq!(v["health"]["aem"]["state"], "skipped");

    // The cloud configuration picks Brand Portal's IMS configuration by itself.
    let tenant = e.sb.tenant_url();
    let (code, v) = cli
        .json(
            &["cloud", "create", "--title", "BP", "--service-url", &tenant],
            &[],
        )
        .await;
    assert_eq!(code, 0, "{v}");
    let (code, v) = cli.json(&["agents", "--test"], &[]).await;
    assert_eq!(code, 0, "{v}");
    let (code, v) = cli
        .json(
            &["account", "check"],
            &[("BRANDLINK_CLIENT_SECRET", &secret)],
        )
        .await;
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["health"]["aem"]["state"], "ok", "{v}");
    let (code, st) = cli.json(&["status"], &[]).await;
    assert_eq!(code, 0, "{st}");

    // Rotating the secret: IMS is asked first, a wrong one never reaches AEM.
    let (code, v) = cli
        .json(
            &["account", "update", "--secret", "--yes"],
            &[("BRANDLINK_CLIENT_SECRET", "p8e-wrong")],
        )
        .await;
    assert_eq!(code, 1, "{v}");
    assert!(
        v["error"].as_str().unwrap().contains("nothing was changed"),
        "{v}"
    );
    let (code, v) = cli
        .json(
            &["account", "update", "--secret", "--yes"],
            &[("BRANDLINK_CLIENT_SECRET", &secret)],
        )
        .await;
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["plan"]["preflight"]["state"], "ok");
    assert!(
        v["tests"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["success"] == true)
    );

    // The upgrade plan names nothing of the neighbours.
    let (code, v) = cli.json(&["upgrade", "--dry-run"], &[]).await;
    assert_eq!(code, 0, "{v}");
    let plan = v["plan"].to_string();
    assert!(
        !plan.contains("stock") && !plan.contains("accesstoken"),
        "{plan}"
    );

    let after = neighbours(&e, &provider_pids, &customizer_pids).await;
    assert_eq!(before, after, "the other integrations are byte-identical");
    let transcript = cli.transcript.lock().unwrap().clone();
    assert!(!transcript.contains(&secret));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jwt_setup_on_a_lived_in_author() {
    let e = common::start_with(lived_in()).await;
    let cli = Cli::new(&e);
    let dir = tempfile::tempdir().unwrap();
    let crt = dir.path().join("AEM-Adobe-IMS.crt");
    let key = dir.path().join("key.pem");
    let (crt_s, key_s) = (crt.to_str().unwrap(), key.to_str().unwrap());
    let (code, v) = cli
        .json(
            &["cert", "create", "--out", crt_s, "--save-key", key_s],
            &[("BRANDLINK_KEYSTORE_PASSWORD", "changeit")],
        )
        .await;
    assert_eq!(code, 0, "{v}");
    let creds = console_project(&e, &std::fs::read(&crt).unwrap()).await;
    let payload = dir.path().join("payload.json");
    std::fs::write(&payload, creds["jwtPayload"].to_string()).unwrap();
    let secret = creds["clientSecret"].as_str().unwrap().to_string();
    let (code, v) = cli
        .json(
            &[
                "account",
                "create",
                "--title",
                "Brand Portal",
                "--api-key",
                creds["apiKey"].as_str().unwrap(),
                "--payload",
                payload.to_str().unwrap(),
                "--key-file",
                key_s,
            ],
            &[("BRANDLINK_CLIENT_SECRET", &secret)],
        )
        .await;
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["preflight"]["method"], "jwt-exchange");
    assert_eq!(v["preflight"]["state"], "ok");
    let tenant = e.sb.tenant_url();
    let (code, v) = cli
        .json(
            &["cloud", "create", "--title", "BP", "--service-url", &tenant],
            &[],
        )
        .await;
    assert_eq!(code, 0, "{v}");
    // Without key or secret here, AEM's own token decides.
    let (code, v) = cli.json(&["account", "check"], &[]).await;
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["health"]["ims"]["state"], "skipped");
    assert_eq!(v["health"]["aem"]["state"], "ok");
    // Check Health tested one agent; the step wants all four to have worked.
    let (code, st) = cli.json(&["status"], &[]).await;
    assert_eq!(code, 1, "{st}");
    assert_eq!(st["steps"][3]["status"]["state"], "pending", "{st}");
    let (code, v) = cli.json(&["agents", "--test"], &[]).await;
    assert_eq!(code, 0, "{v}");
    let (code, st) = cli.json(&["status"], &[]).await;
    assert_eq!(code, 0, "{st}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_health_fails_while_aem_holds_a_wrong_secret() {
    let e = common::start(Scenario::Fresh).await;
    let cli = Cli::new(&e);
    let creds = console_project(&e, &certificate_pem().await).await;
    let [id, secret, scopes, org] = common::oauth_credential(&creds);
    // Offline author: stored without asking IMS, with a mistyped secret.
    let (code, v) = cli
        .json(
            &[
                "account",
                "create",
                "--title",
                "Brand Portal",
                "--api-key",
                &id,
                "--oauth",
                "--scopes",
                &scopes,
                "--org-id",
                &org,
                "--no-verify",
            ],
            &[("BRANDLINK_CLIENT_SECRET", "p8e-mistyped")],
        )
        .await;
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["preflight"]["state"], "skipped");
    let tenant = e.sb.tenant_url();
    let (code, v) = cli
        .json(
            &["cloud", "create", "--title", "BP", "--service-url", &tenant],
            &[],
        )
        .await;
    assert_eq!(code, 0, "{v}");
    // The right secret in the shell does not make it green: AEM holds the wrong one.
    let (code, v) = cli
        .json(
            &["account", "check"],
            &[("BRANDLINK_CLIENT_SECRET", &secret)],
        )
        .await;
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["health"]["ims"]["state"], "ok");
    assert_eq!(v["health"]["aem"]["state"], "failed");
    assert!(
        v["health"]["message"]
            .as_str()
            .unwrap()
            .contains("AEM could not deliver"),
        "{v}"
    );
    // And status, in a new process, remembers it.
    let (code, st) = cli.json(&["status"], &[]).await;
    assert_eq!(code, 1, "{st}");
    let account = &st["steps"][1];
    assert_eq!(account["status"]["state"], "failing", "{st}");
    assert!(
        account["status"]["reason"]
            .as_str()
            .unwrap()
            .contains("client secret"),
        "the credential IMS refuses, from AEM's own record: {account}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_jwt_configurations_whole_life_on_a_lived_in_author() {
    let e = common::start_with(SandboxConfig {
        lived_in: true,
        ..common::config(Scenario::Configured)
    })
    .await;
    let cli = Cli::new(&e);
    let provider_pids = pids(&e.json(PROVIDERS).await);
    let bp_pid = e.json("/sandbox/control/state").await["cloudConfigs"][0]["imsConfig"]
        .as_str()
        .unwrap()
        .to_string();
    let others: Vec<String> = provider_pids
        .iter()
        .filter(|p| **p != bp_pid)
        .cloned()
        .collect();
    let other_customizers: Vec<String> = {
        let list = e.json(CUSTOMIZERS).await;
        list.as_array()
            .unwrap()
            .iter()
            .filter(|c| !c.to_string().contains("brandportal"))
            .map(|c| c["pid"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(others.len(), 2);
    let before = neighbours(&e, &others, &other_customizers).await;
    let bp_before = e
        .json(&format!("/system/console/configMgr/{bp_pid}.json"))
        .await;
    let dir = tempfile::tempdir().unwrap();
    let bk = dir.path().join("backups");
    let bk_s = bk.to_str().unwrap();

    // Certificate rotation: a new alias beside the current one.
    let (code, _) = cli
        .json(&["cert", "rotate", "--alias", "brandportal"], &[])
        .await;
    assert_eq!(code, 2, "the alias in use is refused");
    let crt = dir.path().join("next.crt");
    let (code, v) = cli
        .json(
            &[
                "cert",
                "rotate",
                "--alias",
                "bp-next",
                "--out",
                crt.to_str().unwrap(),
            ],
            &[],
        )
        .await;
    assert_eq!(code, 0, "{v}");
    // Repointing before the Console knows the certificate: Test Connection says no; the
    // backup puts the old alias back exactly.
    let repoint = [
        "account",
        "update",
        "--key-alias",
        "bp-next",
        "--yes",
        "--backup-dir",
        bk_s,
    ];
    let (code, v) = cli.json(&repoint, &[]).await;
    assert_eq!(code, 1, "{v}");
    let backup = v["backupDir"].as_str().unwrap().to_string();
    let (code, v) = cli
        .json(&["restore", "--from", &backup, "--yes"], &[])
        .await;
    assert_eq!(code, 0, "{v}");
    assert_eq!(
        e.json(&format!("/system/console/configMgr/{bp_pid}.json"))
            .await,
        bp_before
    );
    // With the certificate uploaded to the Console credential, it works.
    let list = e.json("/sandbox/console/projects").await;
    let jwt_client = list["projects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["credential"] == "jwt")
        .unwrap()["clientId"]
        .as_str()
        .unwrap()
        .to_string();
    let form = reqwest::multipart::Form::new().part(
        "certificate",
        reqwest::multipart::Part::bytes(std::fs::read(&crt).unwrap()).file_name("next.crt"),
    );
    let r = e
        .http
        .post(e.url(&format!(
            "/sandbox/console/projects/{jwt_client}/certificates"
        )))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let (code, v) = cli.json(&repoint, &[]).await;
    assert_eq!(code, 0, "{v}");

    // Delete is refused while the cloud configuration names it.
    let (code, v) = cli
        .json(&["account", "delete", "--yes", "--backup-dir", bk_s], &[])
        .await;
    assert_eq!(code, 1, "{v}");
    assert!(pids(&e.json(PROVIDERS).await).contains(&bp_pid));

    // The upgrade can take Brand Portal's IMS configuration along, never the neighbours'.
    let (code, v) = cli
        .json(&["upgrade", "--include-ims", "--dry-run"], &[])
        .await;
    assert_eq!(code, 0, "{v}");
    let plan = v["plan"].as_array().unwrap();
    assert!(
        plan.iter()
            .any(|t| t["kind"] == "ims-config" && t["path"] == bp_pid.as_str())
    );
    assert!(plan.iter().any(|t| t["kind"] == "ims-customizer"));
    for o in others.iter().chain(&other_customizers) {
        assert!(!v.to_string().contains(o.as_str()), "{o} in the plan");
    }
    let (code, v) = cli
        .json(
            &["upgrade", "--include-ims", "--yes", "--backup-dir", bk_s],
            &[],
        )
        .await;
    assert_eq!(code, 0, "{v}");
    let now: Vec<String> = pids(&e.json(PROVIDERS).await);
    assert_eq!(now, others, "only Brand Portal's went");
    let after = neighbours(&e, &others, &other_customizers).await;
    assert_eq!(before, after, "the neighbours are byte-identical");
    // Restore brings it back (as a new PID, said so).
    let backup = v["backupDir"].as_str().unwrap().to_string();
    let (code, v) = cli
        .json(&["restore", "--from", &backup, "--yes"], &[])
        .await;
    assert_eq!(code, 0, "{v}");
    assert_eq!(pids(&e.json(PROVIDERS).await).len(), 3);
    assert!(
        v["report"]["notes"].to_string().contains("re-created as"),
        "{v}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_tenant_is_never_added_by_accident() {
    let e = common::start(Scenario::Configured).await;
    let cli = Cli::new(&e);
    let other = "https://other.brand-portal.adobe.com";
    let create = ["cloud", "create", "--title", "BP", "--service-url", other];
    let (code, v) = cli.json(&create, &[]).await;
    assert_eq!(code, 1, "{v}");
    let err = v["error"].as_str().unwrap();
    assert!(
        err.contains("one author serves one tenant") && err.contains("--repoint"),
        "{err}"
    );
    assert_eq!(
        e.json("/sandbox/control/state").await["cloudConfigs"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // Without a terminal the word must be given as --yes.
    let mut repoint = create.to_vec();
    repoint.push("--repoint");
    let (code, _) = cli.json(&repoint, &[]).await;
    assert_eq!(code, 2);
    repoint.push("--yes");
    let (code, v) = cli.json(&repoint, &[]).await;
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["replaced"], e.sb.tenant_url());
    assert_eq!(v["agents"].as_array().unwrap().len(), 4);
    assert!(
        v["warnings"][0]
            .as_str()
            .unwrap()
            .contains("upgrade --tenant"),
        "{v}"
    );
    let state = e.json("/sandbox/control/state").await;
    assert_eq!(
        state["cloudConfigs"].as_array().unwrap().len(),
        1,
        "repointed, not added"
    );
    assert_eq!(state["cloudConfigs"][0]["tenantUrl"], other);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth_support_follows_the_version_and_the_hotfix() {
    for (version, hotfix, want, certificate) in [
        ("6.5.21.0", false, "yes", "done"),
        ("6.5.17.0", false, "with-hotfix", "pending"),
        ("6.5.17.0", true, "yes", "done"),
        ("6.5.9.0", false, "no", "pending"),
    ] {
        let e = common::start_with(SandboxConfig {
            product_version: version.into(),
            ims_hotfix: hotfix,
            ..common::config(Scenario::Fresh)
        })
        .await;
        let cli = Cli::new(&e);
        let (_, st) = cli.json(&["status"], &[]).await;
        assert_eq!(
            st["integration"]["oauthSupport"], want,
            "{version} {hotfix}"
        );
        assert_eq!(
            st["steps"][0]["status"]["state"], certificate,
            "{version} {hotfix}"
        );
        if want != "yes" {
            let w = st["steps"][1]["warnings"].to_string();
            assert!(w.contains("6.5.21"), "what OAuth needs is said: {w}");
        }
        e.sb.shutdown().await;
    }
}
