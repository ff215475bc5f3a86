//! Every command run with trace logging: no secret in any output.

use super::{ADMIN_PW, common};
use brandlink::sandbox::{SandboxConfig, Scenario};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_command_under_trace_logging_leaks_no_secret() {
    let e = common::start_with(SandboxConfig {
        admin_password: ADMIN_PW.into(),
        ..common::config(Scenario::Configured)
    })
    .await;
    let run = common::Cli::new(&e);
    // Configured, but no agent has been tested or has delivered yet: step 4 is pending.
    let (code, st) = run.json(&["status"], &[]).await;
    assert_eq!(code, 1, "{st}");
    assert_eq!(st["steps"][3]["status"]["state"], "pending", "{st}");
    assert!(
        st["steps"][3]["status"]["reason"]
            .as_str()
            .unwrap_or("")
            .contains("run Test Connection"),
        "{st}"
    );
    // The client secret AEM stores, as the (emulated) Console shows it.
    let client_id = st["integration"]["imsConfigs"][0]["clientId"]
        .as_str()
        .unwrap()
        .to_string();
    let project = e
        .json(&format!("/sandbox/console/projects/{client_id}"))
        .await;
    let secret = project["clientSecret"].as_str().unwrap().to_string();
    let with_secret = [("BRANDLINK_CLIENT_SECRET", secret.as_str())];
    let backups = tempfile::tempdir().unwrap();
    let bdir = backups.path().to_str().unwrap();

    for args in [
        &["status"][..],
        &["agents", "--test"],
        &["queues"],
        &["queues", "--watch", "--polls", "2", "--interval", "1"],
        &["account", "check"],
        &["upgrade", "--dry-run"],
    ] {
        let o = run.run(args, &with_secret).await;
        assert!(
            !String::from_utf8_lossy(&o.stderr).contains("panicked"),
            "{args:?}"
        );
    }
    // A real upgrade and its restore.
    let (code, v) = run
        .json(&["upgrade", "--yes", "--backup-dir", bdir], &[])
        .await;
    assert_eq!(code, 0, "{v}");
    let dir = v["backupDir"].as_str().unwrap().to_string();
    let (code, v) = run
        .json(&["restore", "--from", &dir, "--yes"], &with_secret)
        .await;
    assert_eq!(code, 0, "{v}");
    // The exporter scraped once, and a sandbox of its own served a command.
    let exporter = run.spawn(
        &[
            "--url",
            &e.base,
            "exporter",
            "--listen",
            "127.0.0.1:0",
            "--interval",
            "1",
        ],
        &[],
    );
    let at = exporter.address(30).await;
    let metrics = common::eventually(30, "metrics", || async {
        let text = reqwest::get(format!("{at}/metrics"))
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        text.contains("brandlink_").then_some(text)
    })
    .await;
    run.transcript.lock().unwrap().push_str(&metrics);
    run.stop(exporter);
    let sandbox = run.spawn(
        &[
            "sandbox",
            "--listen",
            "127.0.0.1:0",
            "--scenario",
            "configured",
        ],
        &[],
    );
    let sbase = sandbox.address(30).await;
    common::eventually(30, "the sandbox", || async {
        reqwest::get(format!("{sbase}/libs/granite/core/content/login.html"))
            .await
            .ok()
            .map(|_| ())
    })
    .await;
    let mut c = assert_cmd::Command::cargo_bin("brandlink").unwrap();
    c.args(["--url", &sbase, "--ims-url", &sbase, "agents", "--test"])
        .env("AEM_PASSWORD", "admin")
        .env("RUST_LOG", "trace");
    let o = tokio::task::spawn_blocking(move || c.output().unwrap())
        .await
        .unwrap();
    {
        let mut t = run.transcript.lock().unwrap();
        t.push_str(&String::from_utf8_lossy(&o.stdout));
        t.push_str(&String::from_utf8_lossy(&o.stderr));
    }
    run.stop(sandbox);

    let transcript = run.transcript.lock().unwrap().clone();
    assert!(
        transcript.contains("TRACE") || transcript.contains("DEBUG"),
        "trace logging was on"
    );
    assert!(!transcript.contains(ADMIN_PW), "AEM password leaked");
    assert!(!transcript.contains(&secret), "client secret leaked");
    assert!(!transcript.contains("eyJ"), "a token leaked");
    use base64::Engine;
    for creds in [format!("admin:{ADMIN_PW}"), "admin:admin".to_string()] {
        let basic = base64::engine::general_purpose::STANDARD.encode(creds);
        assert!(!transcript.contains(&basic), "Basic credentials leaked");
    }
}
