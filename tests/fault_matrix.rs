//! Every command against every fault the sandbox can inject: each ends with a clear message
//! and exit code 1 (or 2 for usage), never a panic, and never hangs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test may stop at what it did not expect

mod common;

use brandlink::sandbox::Scenario;
use serde_json::json;

const COMMANDS: &[&[&str]] = &[
    &["status"],
    &["agents"],
    &["agents", "--test"],
    &["queues"],
    &["account", "check"],
    &[
        "cloud",
        "create",
        "--title",
        "BP",
        "--service-url",
        "https://wknd.brand-portal.adobe.com",
    ],
    &["upgrade", "--dry-run"],
    &[
        "cert",
        "create",
        "--alias",
        "fm",
        "--out",
        "/dev/null/fm.crt",
    ],
    &[
        "account",
        "create",
        "--oauth",
        "--title",
        "BP",
        "--api-key",
        "0123456789abcdef0123456789abcdef",
        "--scopes",
        "openid",
        "--org-id",
        "ABC@AdobeOrg",
        "--no-verify",
    ],
    &["upgrade", "--yes", "--backup-dir", "BACKUPS"],
    &["restore", "--from", "BACKUP", "--yes"],
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_by_commands() {
    let e = common::start(Scenario::Configured).await;
    let faults = [
        (
            "latency beyond the timeout",
            json!({"latency_ms": 2500}),
            "did not answer",
        ),
        ("500 errors", json!({"error_rate": 1.0}), "500"),
        (
            "dropped connections",
            json!({"drop_rate": 1.0}),
            "cannot reach AEM",
        ),
        (
            "truncated JSON",
            json!({"truncated_json_rate": 1.0}),
            "unexpected answer",
        ),
        (
            "malformed JSON",
            json!({"malformed_json_rate": 1.0}),
            "unexpected answer",
        ),
        (
            "HTML for JSON",
            json!({"html_for_json_rate": 1.0}),
            "unexpected answer",
        ),
        (
            "401 mid-session",
            json!({"reject_auth_after": 2}),
            "AEM rejected the credentials for user admin (401)",
        ),
        (
            "AEM restarting",
            json!({"unavailable": true}),
            "restarting (503)",
        ),
    ];
    // A backup to restore, of this author (a backup goes back only where it came from): Close
    // Connection set on its agents, their values before recorded.
    let backups = tempfile::tempdir().unwrap();
    let bdir = backups.path().to_str().unwrap().to_string();
    let mut c = assert_cmd::Command::cargo_bin("brandlink").unwrap();
    c.args([
        "--url",
        &e.base,
        "agents",
        "--close-connection",
        "--yes",
        "--backup-dir",
        &bdir,
    ])
    .env("AEM_PASSWORD", "admin")
    .env("XDG_CONFIG_HOME", "/nonexistent-brandlink");
    let out = tokio::task::spawn_blocking(move || c.output().unwrap())
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let backup = std::fs::read_dir(backups.path())
        .unwrap()
        .flatten()
        .next()
        .expect("a backup folder")
        .path()
        .display()
        .to_string();
    let other_backups = tempfile::tempdir().unwrap();
    let obdir = other_backups.path().to_str().unwrap().to_string();
    for (name, fault, expected) in faults {
        for cmd in COMMANDS {
            // Set again for each command: "mid-session" counts from here.
            e.reset_faults();
            e.set_faults(fault.clone()).await;
            let args: Vec<String> = cmd
                .iter()
                .map(|a| match *a {
                    "BACKUP" => backup.clone(),
                    "BACKUPS" => obdir.clone(),
                    a => a.to_string(),
                })
                .collect();
            let mut c = assert_cmd::Command::cargo_bin("brandlink").unwrap();
            c.args(["--url", &e.base, "--ims-url", &e.base, "--timeout", "1"])
                .args(&args)
                .env("AEM_PASSWORD", "admin")
                .env("XDG_CONFIG_HOME", "/nonexistent-brandlink")
                .env_remove("BRANDLINK_CLIENT_SECRET")
                .env("BRANDLINK_KEYSTORE_PASSWORD", "changeit")
                .timeout(std::time::Duration::from_secs(60));
            if cmd.starts_with(&["account", "create"]) {
                c.env("BRANDLINK_CLIENT_SECRET", "p8e-fault-matrix");
            }
            let out = tokio::task::spawn_blocking(move || c.output().unwrap())
                .await
                .unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            let code = out.status.code();
            assert!(!err.contains("panicked"), "{name} × {cmd:?}: panic\n{err}");
            assert_eq!(code, Some(1), "{name} × {cmd:?}: exit {code:?}\n{err}");
            assert!(err.starts_with("error: "), "{name} × {cmd:?}: {err}");
            assert!(
                err.contains(expected),
                "{name} × {cmd:?}: expected «{expected}» in {err}"
            );
        }
    }
    // And everything works again once the fault is gone: Test Connection passes on the four
    // (the failed ones under the faults are in the logs), and then status is healthy.
    e.reset_faults();
    for args in [&["agents", "--test"][..], &["status"][..]] {
        let mut c = assert_cmd::Command::cargo_bin("brandlink").unwrap();
        c.args(["--url", &e.base, "--ims-url", &e.base])
            .args(args)
            .env("AEM_PASSWORD", "admin")
            .env("XDG_CONFIG_HOME", "/nonexistent-brandlink");
        let out = tokio::task::spawn_blocking(move || c.output().unwrap())
            .await
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}
