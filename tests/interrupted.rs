//! SIGTERM in the middle of a write, over HTTP: the sandbox holds a chosen write unanswered
//! (the fault `hold_writes_from`), the test signals the real binary, waits until it has heard,
//! and lets the write through. The change finishes that step and stops (a restore, a
//! certificate's keystore), or finishes altogether when that step was its last (an IMS
//! configuration and its secret are one step); it prints what was done, what was not and the
//! command that completes it, and the change history says `interrupted`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test may stop at what it did not expect

mod common;

use brandlink::sandbox::Scenario;
use common::{Cli, Env, Running};
use serde_json::{Value, json};

const KS_PW: &str = "Keystore-Pw-4471";
const HEARD: &str = "stopping after the step in progress";

/// The last record of `operation` in `history --json` (newest first).
async fn last(cli: &Cli, operation: &str) -> Value {
    let (code, h) = cli.json(&["history"], &[]).await;
    assert_eq!(code, 0, "{h}");
    h.as_array()
        .unwrap()
        .iter()
        .find(|r| r["operation"] == operation)
        .cloned()
        .unwrap_or_else(|| panic!("no {operation} in {h:#}"))
}

/// Runs `brandlink args` with the `n`th write from now held; once it is, sends SIGTERM, waits
/// until the binary says it heard it, then lets the write through. The exit code and output.
async fn terminate_during_write(
    e: &Env,
    cli: &Cli,
    n: u64,
    args: &[&str],
    env: &[(&str, &str)],
) -> (i32, String) {
    e.set_faults(json!({"hold_writes_from": n})).await;
    let mut all = vec!["--url", cli.base.as_str(), "--ims-url", cli.base.as_str()];
    all.extend_from_slice(args);
    let mut run: Running = cli.spawn(&all, env);
    common::eventually(60, "a held write", || async {
        let r = e.json("/sandbox/control/requests").await;
        (r["held"].as_u64() > Some(0)).then_some(())
    })
    .await;
    // SAFETY: kill sends a signal to the child this test started.
    assert_eq!(
        unsafe { libc::kill(run.child.id() as i32, libc::SIGTERM) },
        0
    );
    common::eventually(30, "the stop to be heard", || {
        let heard = run.output().contains(HEARD);
        async move { heard.then_some(()) }
    })
    .await;
    e.set_faults(json!({"hold_writes_from": 0})).await;
    let status = common::eventually(60, "the command to end", || {
        let s = run.child.try_wait().expect("wait");
        async move { s }
    })
    .await;
    let output = run.output();
    cli.stop(run);
    (status.code().unwrap_or(-1), output)
}

/// What a restore is compared on: the tenant's agents (id, URI, enabled), cloud configurations
/// and users.
async fn integration(e: &Env) -> Value {
    let s = e.json("/sandbox/control/state").await;
    let mut agents: Vec<Value> = s["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| json!([a["id"], a["transportUri"], a["enabled"]]))
        .collect();
    agents.sort_by_key(|a| a.to_string());
    let mut users: Vec<String> = s["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u.as_str().unwrap().to_string())
        .collect();
    users.sort();
    json!({"agents": agents, "clouds": s["cloudConfigs"], "users": users})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_restore_says_what_is_back_and_running_it_again_completes_it() {
    let e = common::start(Scenario::Configured).await;
    let cli = Cli::new(&e);
    let before = integration(&e).await;
    let b = tempfile::tempdir().unwrap();
    let bdir = b.path().to_str().unwrap();
    let (code, up) = cli
        .json(&["upgrade", "--yes", "--backup-dir", bdir], &[])
        .await;
    assert_eq!(code, 0, "{up}");
    let dir = up["backupDir"].as_str().unwrap().to_string();
    assert_ne!(
        integration(&e).await,
        before,
        "the upgrade removed the integration"
    );

    // The MAC user is written first, then the agents: SIGTERM while the first agent is.
    let (code, output) =
        terminate_during_write(&e, &cli, 2, &["restore", "--from", &dir, "--yes"], &[]).await;
    assert_eq!(code, 1, "{output}");
    assert!(output.contains("restore was interrupted"), "{output}");
    assert!(output.contains("done: user mac-"), "{output}");
    assert!(
        output.contains("done: node /etc/replication/agents.author/"),
        "{output}"
    );
    assert!(output.contains("not done: node /"), "{output}");
    let complete = format!("to complete it: brandlink restore --from {dir}");
    assert!(output.contains(&complete), "{output}");
    let now = integration(&e).await;
    assert_eq!(
        now["clouds"],
        json!([]),
        "stopped before the cloud configuration"
    );
    let record = last(&cli, "restore").await;
    assert_eq!(record["state"], "interrupted", "{record}");
    assert_eq!(record["backupDir"], dir.as_str(), "{record}");
    assert!(record["next"].to_string().contains(&complete), "{record}");
    assert!(!record["done"].as_array().unwrap().is_empty(), "{record}");
    assert!(
        !record["notDone"].as_array().unwrap().is_empty(),
        "{record}"
    );

    // Running it again writes what was not, and leaves alone what is back.
    let (code, r) = cli.json(&["restore", "--from", &dir, "--yes"], &[]).await;
    assert_eq!(code, 0, "{r}");
    assert!(
        !r["report"]["alreadyPresent"].as_array().unwrap().is_empty(),
        "{r}"
    );
    assert_eq!(integration(&e).await, before);
    assert_eq!(last(&cli, "restore").await["state"], "done");
}

/// The IMS configurations of a provider factory and of a customizer factory.
fn configurations(e: &Env) -> (usize, Vec<Option<String>>) {
    let world = e.sb.world();
    let w = brandlink::sandbox::server::lock(&world);
    let providers = w
        .factory_configs("com.adobe.granite.auth.oauth.accesstoken.provider")
        .len();
    let secrets = w
        .factory_configs("com.adobe.granite.auth.ims.impl.IMSAccessTokenRequestCustomizerImpl")
        .iter()
        .map(|c| c.get("auth.ims.client.secret").map(str::to_string))
        .collect();
    (providers, secrets)
}

/// With the IMS configuration in the backup: a stop while the provider is re-created lets its
/// customizer (the secret) be re-created too; running it again finds both, never adds a third.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restore_stopped_at_its_configurations_puts_back_the_provider_with_its_secret() {
    let e = common::start(Scenario::Configured).await;
    let cli = Cli::new(&e);
    let before = integration(&e).await;
    let (providers, secrets) = configurations(&e);
    assert_eq!(providers, 1);
    let secret = secrets[0].clone().expect("the stored client secret");
    let b = tempfile::tempdir().unwrap();
    let bdir = b.path().to_str().unwrap();
    let (code, up) = cli
        .json(
            &["upgrade", "--yes", "--include-ims", "--backup-dir", bdir],
            &[],
        )
        .await;
    assert_eq!(code, 0, "{up}");
    let dir = up["backupDir"].as_str().unwrap().to_string();
    assert_eq!(configurations(&e), (0, vec![]));

    let env = [("BRANDLINK_CLIENT_SECRET", secret.as_str())];
    let args = ["restore", "--from", dir.as_str(), "--yes"];
    let (code, output) = terminate_during_write(&e, &cli, 1, &args, &env).await;
    assert_eq!(code, 1, "{output}");
    assert_eq!(
        output.matches("done: configuration ").count(),
        2,
        "the provider and its customizer: {output}"
    );
    assert!(output.contains("not done: user mac-"), "{output}");
    assert_eq!(configurations(&e), (1, vec![Some(secret.clone())]));

    let (code, r) = cli.json(&args, &env).await;
    assert_eq!(code, 0, "{r}");
    let again = r["report"]["alreadyPresent"].to_string();
    assert_eq!(again.matches("re-created as").count(), 2, "{r}");
    assert_eq!(configurations(&e), (1, vec![Some(secret)]));
    assert_eq!(integration(&e).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_cert_create_keeps_the_keystore_and_running_it_again_adds_the_key() {
    let e = common::start(Scenario::Fresh).await;
    let cli = Cli::new(&e);
    let out = cli.xdg.path().join("AEM-Adobe-IMS.crt");
    let out_s = out.to_str().unwrap();
    let args = ["cert", "create", "--alias", "brandportal", "--out", out_s];
    let env = [("BRANDLINK_KEYSTORE_PASSWORD", KS_PW)];
    // The keystore is created first: SIGTERM while it is.
    let (code, output) = terminate_during_write(&e, &cli, 1, &args, &env).await;
    assert_eq!(code, 1, "{output}");
    assert!(output.contains("cert create was interrupted"), "{output}");
    assert!(output.contains("done: the keystore of"), "{output}");
    assert!(
        output.contains("not done: the key pair 'brandportal'"),
        "{output}"
    );
    assert!(
        output.contains("run `brandlink cert create` again"),
        "{output}"
    );
    assert!(!out.exists(), "no certificate without its key pair in AEM");
    let keystores = e.json("/sandbox/control/state").await["keystores"].clone();
    let service = keystores
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["user"] == "brandportal-imsconfig-service")
        .cloned()
        .unwrap_or_else(|| panic!("the keystore stays: {keystores}"));
    assert_eq!(service["aliases"], json!([]));
    let record = last(&cli, "cert create").await;
    assert_eq!(record["state"], "interrupted", "{record}");

    let (code, v) = cli.json(&args, &env).await;
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["changed"], true, "{v}");
    assert_eq!(v["createdKeystore"], false, "{v}");
    assert!(out.exists());
    assert_eq!(last(&cli, "cert create").await["state"], "done");
}

/// The provider and its customizer (the client secret) are one step: a stop while the provider
/// is written lets the secret be written too, and that was the last step.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_during_account_create_never_leaves_a_provider_without_its_secret() {
    let e = common::start(Scenario::Fresh).await;
    let cli = Cli::new(&e);
    let args = [
        "account",
        "create",
        "--title",
        "Brand Portal",
        "--api-key",
        "bpclient0123456789",
        "--oauth",
        "--scopes",
        "openid,AdobeID,read_organizations",
        "--org-id",
        "ABC123@AdobeOrg",
        "--no-verify",
    ];
    let secret = "p8e-Interrupted-Secret-01";
    let (code, output) =
        terminate_during_write(&e, &cli, 1, &args, &[("BRANDLINK_CLIENT_SECRET", secret)]).await;
    assert_eq!(code, 0, "{output}");
    assert!(output.contains(HEARD), "{output}");
    assert!(
        output.contains("Created the Brand Portal IMS configuration"),
        "{output}"
    );
    let world = e.sb.world();
    {
        let w = brandlink::sandbox::server::lock(&world);
        let provider = w
            .osgi
            .values()
            .find(|c| c.get("auth.token.provider.client.id") == Some("bpclient0123456789"))
            .expect("the provider");
        let kind = provider
            .get("token.request.customizer.type")
            .expect("its customizer type");
        let customizer = w
            .osgi
            .values()
            .find(|c| c.get("customizer.type") == Some(kind))
            .expect("its customizer");
        assert_eq!(customizer.get("auth.ims.client.secret"), Some(secret));
    }
    assert_eq!(last(&cli, "account create").await["state"], "done");
}
