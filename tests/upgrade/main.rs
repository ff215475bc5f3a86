//! The upgrade on the sandbox's legacy scenario, end to end: refuses while a queue is busy,
//! proceeds once idle, backs up, deletes, configures anew; the backup restores the deleted
//! nodes exactly (and only into the author it came from); an upgrade killed between two
//! deletes resumes; tampered backups and planted journals are refused with nothing written.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test may stop at what it did not expect

#[path = "../common/mod.rs"]
mod common;
mod flow;
mod tampering;

use brandlink::sandbox::Scenario;
use serde_json::{Value, json};
use std::path::Path;
use std::process::Output;

/// The state folder every run of this file shares (it holds the key that seals backups).
fn state_home() -> &'static Path {
    static STATE: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    STATE.get_or_init(|| tempfile::tempdir().unwrap()).path()
}

async fn run(base: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = assert_cmd::Command::cargo_bin("brandlink").unwrap();
    c.args(["--url", base, "--ims-url", base])
        .args(args)
        .env("AEM_PASSWORD", "admin")
        .env("XDG_STATE_HOME", state_home())
        .env("XDG_CONFIG_HOME", "/nonexistent-brandlink");
    for (k, v) in env {
        c.env(k, v);
    }
    tokio::task::spawn_blocking(move || c.output().unwrap())
        .await
        .unwrap()
}

fn json_of(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|_| {
        panic!(
            "not JSON: {}\n{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

async fn state(e: &common::Env) -> Value {
    e.http
        .get(e.url("/sandbox/control/state"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn bp_agents(state: &Value) -> usize {
    state["agents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| {
            a["transportUri"]
                .as_str()
                .unwrap_or("")
                .starts_with("https://wknd.brand-portal.adobe.com/")
        })
        .count()
}

/// Starts an upgrade with latency and kills it after its first delete: a genuine journal with
/// steps still pending. Returns the backup folder.
async fn interrupted_upgrade(e: &common::Env, bdir: &str) -> std::path::PathBuf {
    e.set_faults(json!({"latency_ms": 250})).await;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_brandlink"))
        .args(["--url", &e.base, "upgrade", "--yes", "--backup-dir", bdir])
        .env("AEM_PASSWORD", "admin")
        .env("XDG_STATE_HOME", state_home())
        .env("XDG_CONFIG_HOME", "/nonexistent-brandlink")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    common::eventually(60, "the first delete", || async {
        (bp_agents(&state(e).await) < 4).then_some(())
    })
    .await;
    child.kill().unwrap();
    let _ = child.wait();
    e.reset_faults();
    let dirs: Vec<_> = std::fs::read_dir(bdir)
        .unwrap()
        .flatten()
        .map(|d| d.path())
        .filter(|d| d.join("journal.json").exists())
        .collect();
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    dirs[0].clone()
}

/// The seal brandlink puts on a manifest or journal, computed here from the key in the state
/// folder: a test re-seals a tampered file so that the checks behind the seal are reached.
fn reseal(file: &Path, tag: &[u8]) {
    let key_hex = std::fs::read_to_string(state_home().join("brandlink/seal.key")).unwrap();
    let key = aws_lc_rs::hmac::Key::new(
        aws_lc_rs::hmac::HMAC_SHA256,
        &hex::decode(key_hex.trim()).unwrap(),
    );
    let text = std::fs::read_to_string(file).unwrap();
    let body = if tag.starts_with(b"brandlink-backup") {
        let mut m: brandlink::setup::upgrade::Manifest = serde_json::from_str(&text).unwrap();
        m.seal = None;
        let body = serde_json::to_vec(&m).unwrap();
        let mut msg = tag.to_vec();
        msg.extend_from_slice(&body);
        m.seal = Some(hex::encode(aws_lc_rs::hmac::sign(&key, &msg).as_ref()));
        serde_json::to_string_pretty(&m).unwrap()
    } else {
        let mut j: brandlink::setup::upgrade::Journal = serde_json::from_str(&text).unwrap();
        j.seal = None;
        let body = serde_json::to_vec(&j).unwrap();
        let mut msg = tag.to_vec();
        msg.extend_from_slice(&body);
        j.seal = Some(hex::encode(aws_lc_rs::hmac::sign(&key, &msg).as_ref()));
        serde_json::to_string_pretty(&j).unwrap()
    };
    std::fs::write(file, body).unwrap();
}
const MANIFEST_TAG: &[u8] = b"brandlink-backup-manifest-v1\n";
const JOURNAL_TAG: &[u8] = b"brandlink-upgrade-journal-v1\n";

/// A copy of a backup folder to tamper with.
fn copy_backup(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let p = entry.path();
        if p.is_dir() {
            copy_backup(&p, &to.join(entry.file_name()));
        } else {
            std::fs::copy(&p, to.join(entry.file_name())).unwrap();
        }
    }
}

async fn run_with_state(base: &str, state: &Path, args: &[&str]) -> Output {
    let mut c = assert_cmd::Command::cargo_bin("brandlink").unwrap();
    c.args(["--url", base])
        .args(args)
        .env("AEM_PASSWORD", "admin")
        .env("XDG_STATE_HOME", state)
        .env("XDG_CONFIG_HOME", "/nonexistent-brandlink");
    tokio::task::spawn_blocking(move || c.output().unwrap())
        .await
        .unwrap()
}
