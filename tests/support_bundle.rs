//! `brandlink support-bundle` against the sandbox: no planted secret leaves, `--redact-hosts`
//! leaves no host or tenant name, and `brandlink sandbox --from-bundle` serves the author a
//! bundle recorded. The replay of every scenario and mishap, and of the committed bundles under
//! `tests/fixtures/bundles/`, is `tests/replay.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test may stop at what it did not expect

mod common;

use brandlink::sandbox::server::lock;
use brandlink::sandbox::{Mishap, SandboxConfig, Scenario};
use brandlink::setup::bundle::archive;
use common::{Cli, Env};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;

const ADMIN_PASSWORD: &str = "Planted-Admin-Pw-9137";
const JWT: &str = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJwbGFudGVkIn0.c2lnbmF0dXJlLXBsYW50ZWQ";
const BASIC: &str = "UGxhbnRlZDpCYXNpYw==";
const ENCRYPTED: &str = "{5f1d8a9e0c7b4a3f2e1d0c9b8a7f6e5d}";
const HASH: &str = "{SHA-256}c0ffee1234abcd5678";
const KEY_BODY: &str = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQPLANTED";
const LOG_SECRET: &str = "p8e-LogPlantedSecret77";

fn config(scenario: Scenario, mishaps: Vec<Mishap>) -> SandboxConfig {
    SandboxConfig {
        admin_password: ADMIN_PASSWORD.into(),
        mishaps,
        ..common::config(scenario)
    }
}

/// Plants a secret in every place the sandbox lets one appear; returns them all.
fn plant(e: &Env) -> Vec<String> {
    let w = e.sb.world();
    let mut w = lock(&w);
    let client_secret = w
        .osgi
        .values()
        .find_map(|c| c.get("auth.ims.client.secret").map(str::to_string))
        .expect("a client secret");
    let stamp = w.dialect.stamp(brandlink::sandbox::state::now_ms());
    let ids: Vec<String> = w
        .bp_agents(&w.tenant.url)
        .into_iter()
        .map(|a| a.id)
        .collect();
    let lines = [
        format!("Sending POST request with header Authorization: Basic {BASIC}"),
        format!(
            "token request: grant_type=client_credentials&client_secret={LOG_SECRET}&access_token={JWT}"
        ),
        format!("Authorization: Bearer {JWT}"),
        format!("transportPassword={ENCRYPTED} rep:password={HASH}"),
        format!("key -----BEGIN PRIVATE KEY-----\n{KEY_BODY}\n-----END PRIVATE KEY-----"),
        format!("login as admin with password={ADMIN_PASSWORD}"),
    ];
    for id in &ids {
        let rt = w.runtime(id);
        for l in &lines {
            rt.log.push_back(format!("{stamp} - {l}"));
        }
    }
    let stamp = w.dialect.stamp_millis(brandlink::sandbox::state::now_ms());
    for l in &lines {
        w.error_log.push_raw(format!(
            "{stamp} *ERROR* [pool-1] com.adobe.granite.auth.oauth.impl.AccessTokenProvider {}",
            l.replace('\n', " ")
        ));
    }
    vec![
        client_secret,
        ADMIN_PASSWORD.into(),
        JWT.into(),
        BASIC.into(),
        ENCRYPTED.into(),
        HASH.into(),
        KEY_BODY.into(),
        LOG_SECRET.into(),
    ]
}

async fn bundle(cli: &Cli, extra: &[&str]) -> (PathBuf, BTreeMap<String, Vec<u8>>) {
    let path = cli
        .xdg
        .path()
        .join(format!("bundle-{}.tar.gz", extra.len()));
    let out = path.to_string_lossy().into_owned();
    let mut args = vec!["support-bundle", "--out", out.as_str()];
    args.extend_from_slice(extra);
    let (code, v) = cli.json(&args, &[]).await;
    assert_eq!(code, 0, "{v:#}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let files = archive::read(&path).expect("the bundle reads back");
    (path, files)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_planted_secret_leaves_in_any_file() {
    let e = common::start_with(config(Scenario::Configured, vec![])).await;
    let secrets = plant(&e);
    let cli = Cli::new(&e);
    for extra in [&["--no-test"][..], &[][..]] {
        let (_, files) = bundle(&cli, extra).await;
        for name in [
            "manifest.json",
            "doctor.json",
            "status.json",
            "evidence.json",
            "history.json",
            "replay.json",
            "REDACTIONS.md",
        ] {
            assert!(
                files.contains_key(name),
                "{name} missing: {:?}",
                files.keys()
            );
        }
        for (name, bytes) in &files {
            let text = String::from_utf8_lossy(bytes);
            for s in &secrets {
                assert!(!text.contains(s.as_str()), "{s} left in {name}:\n{text}");
            }
            if name.ends_with(".json") {
                serde_json::from_slice::<Value>(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
            }
        }
        // The lines are there, with their secrets gone.
        let evidence = String::from_utf8_lossy(&files["evidence.json"]);
        assert!(
            evidence.contains("Authorization: Basic [redacted]"),
            "{evidence}"
        );
        let manifest: Value = serde_json::from_slice(&files["manifest.json"]).unwrap();
        assert_eq!(manifest["authorUrl"], e.base.as_str());
        assert!(manifest["aemVersion"].as_str().unwrap().contains("6.5"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redact_hosts_leaves_no_host_or_tenant_name() {
    let e = common::start_with(config(
        Scenario::Configured,
        vec![Mishap::SecondCloudConfig],
    ))
    .await;
    let org = lock(&e.sb.world())
        .ims
        .org_id
        .trim_end_matches("@AdobeOrg")
        .to_string();
    let cli = Cli::new(&e);
    let (_, files) = bundle(&cli, &["--no-test", "--redact-hosts"]).await;
    for (name, bytes) in &files {
        let text = String::from_utf8_lossy(bytes).to_ascii_lowercase();
        for name_left in ["wknd", "127.0.0.1", "localhost", &org.to_ascii_lowercase()] {
            assert!(
                !text.contains(name_left),
                "{name_left} left in {name}:\n{text}"
            );
        }
    }
    // Consistent: the tenant is one stand-in everywhere.
    let doctor = String::from_utf8_lossy(&files["doctor.json"]).into_owned();
    let evidence = String::from_utf8_lossy(&files["evidence.json"]).into_owned();
    assert!(doctor.contains("tenant-"), "{doctor}");
    let tenant = doctor
        .split('"')
        .find(|s| s.starts_with("https://tenant-"))
        .unwrap()
        .to_string();
    assert!(evidence.contains(&tenant));
}

fn ids(v: &Value) -> Vec<(String, String)> {
    v["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("{v:#}"))
        .iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap().to_string(),
                f["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// `brandlink sandbox --from-bundle` serves the recorded author: the doctor finds what the
/// bundle's own report says; with Test Connection, the recorded outcome.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sandbox_command_replays_a_bundle_with_its_test_outcome() {
    let e = common::start_with(config(Scenario::Configured, vec![Mishap::PausedQueue])).await;
    let cli = Cli::new(&e);
    let (path, files) = bundle(&cli, &[]).await;
    let recorded = ids(&serde_json::from_slice(&files["doctor.json"]).unwrap());
    let bundle_path = path.to_string_lossy().into_owned();
    let sandbox = cli.spawn(
        &[
            "sandbox",
            "--listen",
            "127.0.0.1:0",
            "--from-bundle",
            &bundle_path,
        ],
        &[],
    );
    let base = sandbox.address(30).await;
    let replay = Cli {
        base,
        admin_password: "admin".into(),
        xdg: tempfile::tempdir().unwrap(),
        transcript: Default::default(),
    };
    let (_, v) = replay.json(&["doctor"], &[]).await;
    cli.stop(sandbox);
    assert_eq!(ids(&v), recorded, "{v:#}");
    assert_eq!(v["tested"], true);
}
