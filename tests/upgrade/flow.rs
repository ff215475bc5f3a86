//! The upgrade and restore as an operator runs them: end to end, interrupted and resumed, an
//! unwritable backup folder, queues stuck on a retired JWT.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgrade_legacy_end_to_end_and_restore() {
    let e = common::start(Scenario::Legacy).await;
    let backups = tempfile::tempdir().unwrap();
    let bdir = backups.path().to_str().unwrap();
    let agents = e.bp_agents().await;
    assert_eq!(agents.len(), 4);
    // Busy: one paused queue holding items.
    let q = format!(
        "/etc/replication/agents.author/{}/jcr:content.queue.json",
        agents[0]
    );
    e.post(&q)
        .form(&[("cmd", "pause"), ("name", agents[0].as_str())])
        .send()
        .await
        .unwrap();
    e.post("/sandbox/publish")
        .form(&[("count", "8")])
        .send()
        .await
        .unwrap();
    let o = run(
        &e.base,
        &["--json", "upgrade", "--yes", "--backup-dir", bdir],
        &[],
    )
    .await;
    assert_eq!(o.status.code(), Some(1));
    let v = json_of(&o);
    assert_eq!(v["busy"][0]["agent"], agents[0].as_str());
    assert_eq!(v["busy"][0]["pending"], 2);
    assert_eq!(bp_agents(&state(&e).await), 4, "nothing deleted");
    // Idle again: the plan, then the upgrade.
    e.post(&q)
        .form(&[("cmd", "resume"), ("name", agents[0].as_str())])
        .send()
        .await
        .unwrap();
    let o = run(
        &e.base,
        &[
            "--json",
            "upgrade",
            "--dry-run",
            "--wait",
            "20",
            "--backup-dir",
            bdir,
        ],
        &[],
    )
    .await;
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let plan = json_of(&o);
    let targets = plan["plan"].as_array().unwrap().clone();
    assert_eq!(
        targets.len(),
        6,
        "4 agents, the legacy configuration, the MAC user: {plan}"
    );
    assert!(targets.iter().any(|t| {
        t["kind"] == "cloud-config"
            && t["path"]
                .as_str()
                .unwrap()
                .starts_with("/etc/cloudservices/mediaportal/")
    }));
    assert!(targets.iter().any(|t| t["kind"] == "mac-user"));
    // Without --yes and without a terminal: refused, nothing deleted.
    let o = run(&e.base, &["upgrade", "--backup-dir", bdir], &[]).await;
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(bp_agents(&state(&e).await), 4);
    // Before: what will be deleted.
    let mut before = Vec::new();
    for t in &targets {
        if t["kind"] != "mac-user" {
            let p = t["path"].as_str().unwrap().to_string();
            before.push((p.clone(), e.json(&format!("{p}.infinity.json")).await));
        }
    }
    let o = run(
        &e.base,
        &["--json", "upgrade", "--yes", "--backup-dir", bdir],
        &[],
    )
    .await;
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let done = json_of(&o);
    let dir = done["backupDir"].as_str().unwrap().to_string();
    assert!(Path::new(&dir).join("manifest.json").exists());
    // The backup holds no secret in clear: the legacy client secret stays AEM-encrypted.
    for entry in std::fs::read_dir(Path::new(&dir).join("nodes")).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        if let Some(i) = text.find("\"clientSecret\"") {
            assert!(
                text[i..]
                    .trim_start_matches("\"clientSecret\"")
                    .trim_start_matches([':', ' '])
                    .starts_with("\"{"),
                "encrypted form only"
            );
        }
        assert!(!text.contains("rep:password"));
    }
    // Users too: no password hash; and only the owner can read the backup.
    let users: Vec<_> = std::fs::read_dir(Path::new(&dir).join("users"))
        .unwrap()
        .flatten()
        .collect();
    assert!(!users.is_empty(), "the MAC user is backed up");
    for entry in &users {
        let text = std::fs::read_to_string(entry.path()).unwrap();
        assert!(!text.contains("rep:password"), "{}", entry.path().display());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(Path::new(&dir)), 0o700);
        assert_eq!(mode(&Path::new(&dir).join("users")), 0o700);
        assert_eq!(mode(&Path::new(&dir).join("manifest.json")), 0o600);
        assert_eq!(mode(&users[0].path()), 0o600);
    }
    let s = state(&e).await;
    assert_eq!(bp_agents(&s), 0);
    assert_eq!(s["cloudConfigs"], json!([]));
    assert!(
        !s["users"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u == "mac-wknd-replication")
    );
    // Another author is refused: a backup goes back only where it came from.
    let fresh = common::start(Scenario::Fresh).await;
    let o = run(&fresh.base, &["restore", "--from", &dir, "--yes"], &[]).await;
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains(&e.base) && err.contains(&fresh.base), "{err}");
    assert_eq!(
        state(&fresh).await["cloudConfigs"],
        json!([]),
        "nothing written"
    );

    // The backup restores the deleted nodes exactly; the confirmation names every path.
    let o = run(&e.base, &["restore", "--from", &dir, "--dry-run"], &[]).await;
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{out}");
    for (path, _) in &before {
        assert!(out.contains(path.as_str()), "{path} listed: {out}");
    }
    assert!(out.contains("mac-wknd-replication"), "{out}");
    let o = run(
        &e.base,
        &["--json", "restore", "--from", &dir, "--yes"],
        &[],
    )
    .await;
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    for (path, tree) in &before {
        let after = e.json(&format!("{path}.infinity.json")).await;
        assert_eq!(&after, tree, "{path} restored exactly");
    }
    assert!(
        e.user_path("mac-wknd-replication")
            .await
            .starts_with("/home/users/mac")
    );
    // Restoring again changes nothing.
    let o = run(
        &e.base,
        &["--json", "restore", "--from", &dir, "--yes"],
        &[],
    )
    .await;
    assert_eq!(json_of(&o)["report"]["restored"], json!([]));

    // Upgrade again, then configure anew through the CLI.
    let o = run(&e.base, &["upgrade", "--yes", "--backup-dir", bdir], &[]).await;
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // The next steps fit the author: 6.5.21 takes OAuth, which needs no certificate.
    let said = String::from_utf8_lossy(&o.stdout);
    assert!(
        said.contains("account create --oauth") && !said.contains("cert create"),
        "{said}"
    );
    // Configure anew through the CLI.
    let work = tempfile::tempdir().unwrap();
    let crt = work.path().join("c.crt");
    let o = run(
        &e.base,
        &["cert", "create", "--out", crt.to_str().unwrap()],
        &[("BRANDLINK_KEYSTORE_PASSWORD", "changeit")],
    )
    .await;
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let pem = std::fs::read(&crt).unwrap();
    let form = reqwest::multipart::Form::new().part(
        "certificate",
        reqwest::multipart::Part::bytes(pem).file_name("c.crt"),
    );
    let creds: Value = e
        .http
        .post(e.url("/sandbox/console/projects"))
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let payload = work.path().join("p.json");
    std::fs::write(&payload, creds["jwtPayload"].to_string()).unwrap();
    let o = run(
        &e.base,
        &[
            "account",
            "create",
            "--title",
            "BP",
            "--api-key",
            creds["apiKey"].as_str().unwrap(),
            "--payload",
            payload.to_str().unwrap(),
        ],
        &[(
            "BRANDLINK_CLIENT_SECRET",
            creds["clientSecret"].as_str().unwrap(),
        )],
    )
    .await;
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = run(
        &e.base,
        &[
            "cloud",
            "create",
            "--title",
            "Brand Portal",
            "--service-url",
            "https://wknd.brand-portal.adobe.com",
        ],
        &[],
    )
    .await;
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = run(&e.base, &["agents", "--test"], &[]).await;
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_upgrade_resumes_without_loss() {
    let e = common::start(Scenario::Legacy).await;
    let backups = tempfile::tempdir().unwrap();
    let bdir = backups.path().to_str().unwrap().to_string();
    e.set_faults(json!({"latency_ms": 250})).await;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_brandlink"))
        .args(["--url", &e.base, "upgrade", "--yes", "--backup-dir", &bdir])
        .env("AEM_PASSWORD", "admin")
        .env("XDG_STATE_HOME", state_home())
        .env("XDG_CONFIG_HOME", "/nonexistent-brandlink")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Kill it between two deletes.
    common::eventually(60, "the first delete", || async {
        let n = bp_agents(&state(&e).await);
        (n < 4).then_some(())
    })
    .await;
    child.kill().unwrap();
    let _ = child.wait();
    let n = bp_agents(&state(&e).await);
    assert!(n > 0 && n < 4, "stopped half-way: {n} agents left");
    e.reset_faults();
    // The next run finds the journal and finishes.
    let o = run(
        &e.base,
        &["--json", "upgrade", "--yes", "--backup-dir", &bdir],
        &[],
    )
    .await;
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v = json_of(&o);
    assert_eq!(v["resumed"], true);
    let s = state(&e).await;
    assert_eq!(bp_agents(&s), 0);
    assert_eq!(s["cloudConfigs"], json!([]));
    // Nothing lost: the backup holds all six.
    let dir = v["backupDir"].as_str().unwrap();
    let m: Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(dir).join("manifest.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        m["nodes"].as_array().unwrap().len() + m["users"].as_array().unwrap().len(),
        6
    );
    // A third run has nothing to resume and nothing to upgrade.
    let o = run(&e.base, &["upgrade", "--yes", "--backup-dir", &bdir], &[]).await;
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("nothing to upgrade"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unwritable_backup_stops_before_any_delete() {
    let e = common::start(Scenario::Legacy).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-folder");
    std::fs::write(&file, "x").unwrap();
    let o = run(
        &e.base,
        &["upgrade", "--yes", "--backup-dir", file.to_str().unwrap()],
        &[],
    )
    .await;
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("nothing was deleted"), "{err}");
    let s = state(&e).await;
    assert_eq!(bp_agents(&s), 4);
    assert_eq!(s["cloudConfigs"].as_array().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queues_stuck_on_a_retired_jwt_are_explained_and_their_items_recorded() {
    let e = common::start(Scenario::JwtRetired).await;
    let backups = tempfile::tempdir().unwrap();
    let bdir = backups.path().to_str().unwrap().to_string();
    // The scenario holds 12 queued items, spread over the four agents.
    common::eventually(30, "blocked queues", || async {
        let s = state(&e).await;
        let blocked = s["agents"]
            .as_array()?
            .iter()
            .filter(|a| a["blocked"] == true)
            .count();
        (blocked == 4).then_some(())
    })
    .await;

    // --dry-run shows the plan anyway, marks the stuck agents and says why.
    let o = run(&e.base, &["upgrade", "--dry-run"], &[]).await;
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("MacUser") && out.contains("← stuck"), "{out}");
    assert!(out.contains("JWT credential is retired"), "{out}");
    assert!(out.contains("--record-queued"), "{out}");

    // --wait does not wait for queues that can never drain.
    let started = std::time::Instant::now();
    let o = run(&e.base, &["upgrade", "--yes", "--wait", "120"], &[]).await;
    assert_eq!(o.status.code(), Some(1));
    assert!(
        started.elapsed() < std::time::Duration::from_secs(60),
        "waited for queues that cannot drain"
    );
    assert_eq!(bp_agents(&state(&e).await), 4, "nothing deleted");

    // --record-queued goes ahead; the queued paths are in the backup.
    let o = run(
        &e.base,
        &[
            "--json",
            "upgrade",
            "--yes",
            "--record-queued",
            "--backup-dir",
            &bdir,
        ],
        &[],
    )
    .await;
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v = json_of(&o);
    let dir = Path::new(v["backupDir"].as_str().unwrap());
    let queued: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("queued.json")).unwrap()).unwrap();
    let paths: usize = queued
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["paths"].as_array().unwrap().len())
        .sum();
    assert_eq!(paths, 12, "{queued}");
    assert!(queued[0]["cause"].as_str().unwrap().contains("retired"));
    assert_eq!(bp_agents(&state(&e).await), 0);
}
