//! Runs `scripts/sandbox-walk` (curl + openssl + jq, exactly as the README shows) against an
//! in-process sandbox. The key is made by openssl and the JWT signed by openssl, so this
//! checks the emulator against independent tooling.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test may stop at what it did not expect

mod common;

use brandlink::sandbox::Scenario;
use std::process::Command;

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[tokio::test]
async fn readme_walk_with_curl_and_openssl() {
    let missing: Vec<&str> = ["bash", "curl", "openssl", "jq"]
        .into_iter()
        .filter(|t| !have(t))
        .collect();
    if !missing.is_empty() {
        // .ci/run installs them; on a developer machine without them say so loudly.
        eprintln!("SKIPPED: scripts/sandbox-walk needs {missing:?}");
        assert!(std::env::var_os("CI").is_none(), "CI must have {missing:?}");
        return;
    }
    let e = common::start(Scenario::Fresh).await;
    let base = e.base.clone();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/sandbox-walk");
    let out =
        tokio::task::spawn_blocking(move || Command::new("bash").arg(script).arg(base).output())
            .await
            .expect("join")
            .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "walk failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(stdout.contains("walk complete"));
    assert_eq!(stdout.matches(": succeeded").count(), 4);
    assert!(stdout.contains("\"deliveredTotal\": 100"));
}
