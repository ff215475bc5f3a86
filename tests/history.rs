//! The change history over HTTP: every change the real binary makes to an author is in
//! `changes.jsonl` (a `started` line before it, its outcome after, 0600, no secret), `brandlink
//! history --json` lists them newest first, and a migration interrupted by SIGINT stops between
//! whole steps, says how to undo it and is recorded as `interrupted`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test may stop at what it did not expect

mod common;

use brandlink::sandbox::Scenario;
use common::{Cli, Env};
use serde_json::Value;

const PROVIDERS: &str = "/system/console/configMgr/(service.factoryPid=com.adobe.granite.auth.oauth.accesstoken.provider).json";

/// The converted OAuth credential of the JWT project: secret, scopes, org id.
async fn converted(e: &Env) -> [String; 3] {
    let list = e.json("/sandbox/console/projects").await;
    let id = list["projects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["credential"].as_str().unwrap().contains("converted"))
        .map(|p| p["clientId"].as_str().unwrap().to_string())
        .expect("the converted credential");
    let c = e.json(&format!("/sandbox/console/projects/{id}")).await;
    let s = |k: &str| c[k].as_str().unwrap().to_string();
    [s("clientSecret"), s("scopes"), s("orgId")]
}

fn lines(cli: &Cli) -> Vec<Value> {
    let path = cli.xdg.path().join("brandlink/changes.jsonl");
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect()
}

/// The `started` line and the outcome of the last `operation`.
fn pair<'a>(all: &'a [Value], operation: &str) -> (&'a Value, &'a Value) {
    let end = all
        .iter()
        .rev()
        .find(|r| r["operation"] == operation && r["state"] != "started")
        .unwrap_or_else(|| panic!("no outcome of {operation}: {all:?}"));
    let start = all
        .iter()
        .find(|r| r["id"] == end["id"] && r["state"] == "started")
        .unwrap_or_else(|| panic!("no started line of {operation}"));
    (start, end)
}

fn migrate_args<'a>(base: &'a str, s: &'a [String; 3], bdir: &'a str) -> Vec<&'a str> {
    vec![
        "--url",
        base,
        "--ims-url",
        base,
        "account",
        "migrate",
        "--scopes",
        &s[1],
        "--org-id",
        &s[2],
        "--backup-dir",
        bdir,
        "--yes",
    ]
}

/// The file is 0600 in a 0700 folder and holds no secret: neither the client secret, the AEM
/// password nor key material.
fn private_and_secret_free(cli: &Cli, secret: &str) {
    let file = cli.xdg.path().join("brandlink/changes.jsonl");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(!text.contains(secret));
    assert!(!text.contains(&cli.admin_password));
    assert!(!text.contains("BEGIN"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&file), 0o600);
        assert_eq!(mode(file.parent().unwrap()), 0o700);
    }
}

/// `history --json`: one record per change, newest first, of this author unless `--all`; a bad
/// line is reported only.
async fn listed(cli: &Cli) {
    let file = cli.xdg.path().join("brandlink/changes.jsonl");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, format!("{text}{{not json\n")).unwrap();
    let out = cli.run(&["history", "--json"], &[]).await;
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot be read"));
    let h: Value = serde_json::from_slice(&out.stdout).unwrap();
    let h = h.as_array().unwrap();
    assert_eq!(h.len(), 7, "{h:?}");
    assert_eq!(h[0]["operation"], "account create");
    assert_eq!(h[6]["operation"], "account migrate");
    assert!(h.iter().all(|r| r["state"] == "done"));
    let (_, v) = cli.json(&["history", "--limit", "2"], &[]).await;
    assert_eq!(v.as_array().unwrap().len(), 2);
    let elsewhere = |all: bool| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_brandlink"));
        c.args(["--url", "http://elsewhere:4502", "--json", "history"])
            .env("XDG_CONFIG_HOME", cli.xdg.path())
            .env("XDG_STATE_HOME", cli.xdg.path());
        if all {
            c.arg("--all");
        }
        let out = c.output().unwrap();
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        v.as_array().unwrap().len()
    };
    assert_eq!(elsewhere(false), 0, "another author's history");
    assert_eq!(elsewhere(true), 7);
}

/// Every change has its `started` line and a `done` one, with the author, user and time.
fn each_change_is_paired(all: &[Value], base: &str) {
    for op in [
        "account migrate",
        "account update",
        "agents close-connection",
        "upgrade",
        "restore",
        "account delete",
        "account create",
    ] {
        let (start, end) = pair(all, op);
        assert_eq!(end["state"], "done", "{end}");
        assert_eq!(start["aemUrl"], base);
        assert!(!start["user"].as_str().unwrap().is_empty());
        assert!(start["time"].as_str().unwrap().ends_with('Z'), "{start}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_change_is_recorded_without_a_secret() {
    let e = common::start(Scenario::JwtRetired).await;
    let cli = Cli::new(&e);
    let cred = converted(&e).await;
    let secret = cred[0].as_str();
    let with_secret = [("BRANDLINK_CLIENT_SECRET", secret)];
    let b = tempfile::tempdir().unwrap();
    let bdir = b.path().to_str().unwrap();
    let base = e.base.trim_end_matches('/').to_string();
    let ok = |(code, v): (i32, Value)| {
        assert_eq!(code, 0, "{v}");
        v
    };
    // migrate, update, close-connection, upgrade, restore, delete, create.
    let m = migrate_args(&base, &cred, bdir);
    let mig = ok(cli.json(&m[4..], &with_secret).await);
    ok(cli
        .json(
            &[
                "account",
                "update",
                "--title",
                "Brand Portal (OAuth)",
                "--yes",
            ],
            &[],
        )
        .await);
    let cc = ok(cli
        .json(
            &[
                "agents",
                "--close-connection",
                "--yes",
                "--backup-dir",
                bdir,
            ],
            &[],
        )
        .await);
    let up = ok(cli
        .json(
            &[
                "upgrade",
                "--yes",
                "--record-queued",
                "--wait",
                "60",
                "--backup-dir",
                bdir,
            ],
            &[],
        )
        .await);
    let up_dir = up["backupDir"].as_str().unwrap().to_string();
    ok(cli
        .json(&["restore", "--from", &up_dir, "--yes"], &with_secret)
        .await);
    ok(cli
        .json(
            &[
                "account",
                "delete",
                "--force",
                "--yes",
                "--backup-dir",
                bdir,
            ],
            &[],
        )
        .await);
    let create = [
        "account",
        "create",
        "--title",
        "BP again",
        "--api-key",
        "bpnewclient0123",
        "--oauth",
        "--scopes",
        &cred[1],
        "--org-id",
        &cred[2],
        "--no-verify",
    ];
    ok(cli.json(&create, &with_secret).await);

    let all = lines(&cli);
    each_change_is_paired(&all, &base);
    let (start, end) = pair(&all, "account migrate");
    assert_eq!(end["backupDir"], mig["backupDir"]);
    let grants = start["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "auth.token.provider.authorization.grants")
        .expect("the grants change");
    assert_eq!(grants["after"][0], "client_credentials");
    let (_, end) = pair(&all, "agents close-connection");
    assert_eq!(end["backupDir"], cc["done"]["backup"]);
    let (_, end) = pair(&all, "upgrade");
    assert_eq!(end["backupDir"].as_str(), Some(up_dir.as_str()));
    let (start, _) = pair(&all, "account update");
    assert_eq!(start["changes"][0]["after"][0], "Brand Portal (OAuth)");

    private_and_secret_free(&cli, secret);
    listed(&cli).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_migration_stops_between_steps_and_says_how_to_undo_it() {
    let e = common::start(Scenario::JwtRetired).await;
    let cli = Cli::new(&e);
    let cred = converted(&e).await;
    let before = e.json(PROVIDERS).await;
    let b = tempfile::tempdir().unwrap();
    let base = e.base.trim_end_matches('/').to_string();
    // Every request is slow, so the migration is caught between its steps.
    e.set_faults(serde_json::json!({"latency_ms": 300})).await;
    let run = cli.spawn(
        &migrate_args(&base, &cred, b.path().to_str().unwrap()),
        &[("BRANDLINK_CLIENT_SECRET", &cred[0])],
    );
    let oauth = |v: &Value| v.to_string().contains("client_credentials");
    common::eventually(60, "the provider to change", || async {
        oauth(&e.json(PROVIDERS).await).then_some(())
    })
    .await;
    let pid = run.child.id() as i32;
    // SAFETY: kill sends a signal to the child this test started.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let mut run = run;
    let status = common::eventually(60, "the migration to stop", || {
        let s = run.child.try_wait().expect("wait");
        async move { s }
    })
    .await;
    let output = run.output_tail();
    e.reset_faults();
    assert!(!status.success(), "exit {status:?}\n{output}");
    assert!(output.contains("interrupted"), "{output}");
    assert!(output.contains("brandlink restore --from"), "{output}");
    assert!(output.contains("done: "), "{output}");

    // Consistent: the provider and its secret both changed (AEM obtains a token), or neither.
    let after = e.json(PROVIDERS).await;
    if oauth(&after) {
        let (code, v) = cli
            .json(
                &["account", "check"],
                &[("BRANDLINK_CLIENT_SECRET", &cred[0])],
            )
            .await;
        assert_eq!(code, 0, "{v}");
        assert_eq!(v["health"]["aem"]["state"], "ok", "{v}");
    } else {
        assert_eq!(after, before);
    }
    let all = lines(&cli);
    let (start, end) = pair(&all, "account migrate");
    assert_eq!(end["state"], "interrupted", "{end}");
    assert_eq!(start["state"], "started");
    assert!(end["backupDir"].is_string(), "{end}");
    assert!(
        end["next"].to_string().contains("brandlink restore --from"),
        "{end}"
    );
    let (_, h) = cli.json(&["history"], &[]).await;
    assert_eq!(h[0]["state"], "interrupted", "{h}");
    let text = String::from_utf8_lossy(&cli.run(&["history"], &[]).await.stdout).into_owned();
    assert!(text.contains("interrupted"), "{text}");
    cli.stop(run);
}
