//! The upgrade on the sandbox's legacy scenario, end to end: refuses while a queue is busy,
//! proceeds once idle, backs up, deletes, configures anew; the backup restores the deleted
//! nodes exactly (and only into the author it came from); an upgrade killed between two
//! deletes resumes; tampered backups and planted journals are refused with nothing written.

mod common;

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn journals_are_locked_unreadable_ones_stop_and_a_403_is_never_gone() {
    let e = common::start(Scenario::Legacy).await;
    let backups = tempfile::tempdir().unwrap();
    let bdir = backups.path().to_str().unwrap().to_string();
    let dir = interrupted_upgrade(&e, &bdir).await;
    let left = bp_agents(&state(&e).await);
    let j: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("journal.json")).unwrap()).unwrap();
    let mac = j["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["target"]["kind"] == "mac-user")
        .expect("the journal has the MAC user")["target"]
        .clone();
    let args = ["upgrade", "--yes", "--backup-dir", bdir.as_str()];
    let upgrade = || run(&e.base, &args, &[]);

    // Another process holds the journal: refused, nothing deleted.
    let lock = std::fs::File::create(dir.join("journal.lock")).unwrap();
    lock.lock().unwrap();
    let o = upgrade().await;
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("another brandlink process"), "{err}");
    assert_eq!(bp_agents(&state(&e).await), left);
    drop(lock);

    // A journal that cannot be read is reported, never skipped for a fresh upgrade.
    let broken = backups.path().join("99991231T000000Z-wknd");
    std::fs::create_dir_all(&broken).unwrap();
    std::fs::write(broken.join("journal.json"), "{\"aemUrl\": ").unwrap();
    let o = upgrade().await;
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("cannot be read") && err.contains("99991231T000000Z-wknd"),
        "{err}"
    );
    assert_eq!(bp_agents(&state(&e).await), left);
    std::fs::remove_dir_all(&broken).unwrap();

    // The MAC user cannot be read (403): not "already gone"; the step stays pending.
    e.set_faults(json!({"forbidden_paths": [mac["path"]]}))
        .await;
    let o = upgrade().await;
    let err = String::from_utf8_lossy(&o.stderr);
    assert_ne!(o.status.code(), Some(0), "{err}");
    assert!(
        err.contains("cannot tell whether it is still there") || err.contains("403"),
        "{err}"
    );
    let j: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("journal.json")).unwrap()).unwrap();
    let step = j["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["target"]["kind"] == "mac-user")
        .unwrap();
    assert_eq!(step["state"], "pending", "{j}");
    e.reset_faults();

    // Once readable, the same journal finishes.
    let o = upgrade().await;
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let s = state(&e).await;
    assert_eq!(bp_agents(&s), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn planted_and_edited_journals_are_refused() {
    let e = common::start(Scenario::Legacy).await;
    let backups = tempfile::tempdir().unwrap();
    let bdir = backups.path().to_str().unwrap().to_string();
    let dam_before = e.json("/content/dam.json").await;
    let admin = e.user_path("admin").await;
    let pending = |kind: &str, path: &str, id: Option<&str>| json!({"target": {"kind": kind, "path": path, "id": id}, "state": "pending"});
    // A journal brandlink never wrote, deleting /content/dam and a user.
    let planted = backups.path().join("99990101T000000Z-wknd");
    std::fs::create_dir_all(&planted).unwrap();
    std::fs::write(
        planted.join("journal.json"),
        json!({
            "aemUrl": e.base, "tenantUrl": "https://wknd.brand-portal.adobe.com",
            "steps": [pending("agent", "/content/dam", None), pending("mac-user", &admin, Some("admin"))],
            "complete": false
        })
        .to_string(),
    )
    .unwrap();
    let o = run(&e.base, &["upgrade", "--yes", "--backup-dir", &bdir], &[]).await;
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("no seal"), "{err}");
    assert!(!String::from_utf8_lossy(&o.stdout).contains("Resumed"));
    std::fs::remove_dir_all(&planted).unwrap();

    // A genuine journal with a step added (and sealed again with the operator's key, as a
    // thief of the key could): the step is not in the backup, not an agent of the tenant.
    let dir = interrupted_upgrade(&e, &bdir).await;
    let left = bp_agents(&state(&e).await);
    let jpath = dir.join("journal.json");
    let mut j: Value = serde_json::from_str(&std::fs::read_to_string(&jpath).unwrap()).unwrap();
    let original = j.clone();
    j["steps"]
        .as_array_mut()
        .unwrap()
        .push(pending("mac-user", &admin, Some("admin")));
    std::fs::write(&jpath, j.to_string()).unwrap();
    let o = run(&e.base, &["upgrade", "--yes", "--backup-dir", &bdir], &[]).await;
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("changed since brandlink wrote it"), "{err}");
    reseal(&jpath, JOURNAL_TAG);
    let o = run(&e.base, &["upgrade", "--yes", "--backup-dir", &bdir], &[]).await;
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains(&admin) && err.contains("MAC user"), "{err}");
    j["steps"].as_array_mut().unwrap().pop();
    j["steps"]
        .as_array_mut()
        .unwrap()
        .push(pending("agent", "/content/dam", None));
    std::fs::write(&jpath, j.to_string()).unwrap();
    reseal(&jpath, JOURNAL_TAG);
    let o = run(&e.base, &["upgrade", "--yes", "--backup-dir", &bdir], &[]).await;
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("/content/dam"), "{err}");
    // A journal folder others may write is refused as well.
    std::fs::write(&jpath, original.to_string()).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        let o = run(&e.base, &["upgrade", "--yes", "--backup-dir", &bdir], &[]).await;
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{err}");
        assert!(err.contains("chmod go-w"), "{err}");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    // Nothing of it happened.
    assert_eq!(e.json("/content/dam.json").await, dam_before);
    assert_eq!(e.user_path("admin").await, admin);
    assert_eq!(bp_agents(&state(&e).await), left);
    // The genuine journal, as written, still finishes.
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
    assert_eq!(json_of(&o)["resumed"], true);
}

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampered_backups_are_refused_with_nothing_written() {
    let e = common::start(Scenario::Legacy).await;
    let backups = tempfile::tempdir().unwrap();
    let bdir = backups.path().to_str().unwrap();
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
    let dir = std::path::PathBuf::from(json_of(&o)["backupDir"].as_str().unwrap());
    let publish_before = e
        .json("/etc/replication/agents.author/publish/jcr:content.json")
        .await;
    let work = tempfile::tempdir().unwrap();
    let secret_file = work.path().join("local-secret.txt");
    std::fs::write(&secret_file, "local file contents").unwrap();

    type Tamper = Box<dyn Fn(&Path, &mut Value)>;
    let cases: Vec<(&str, Tamper, &str)> = vec![
        (
            "foreign path",
            Box::new(|_, m| {
                m["nodes"][0]["path"] = json!("/content/dam/exfil");
            }),
            "/content/dam/exfil",
        ),
        (
            "foreign PID",
            Box::new(|_, m| {
                m["osgi"] = json!([{"pid": "org.apache.sling.jcr.repoinit.RepositoryInitializer~x",
                "factoryPid": "org.apache.sling.jcr.repoinit.RepositoryInitializer",
                "properties": [["scripts", ["create user evil"]]], "secretsLeftOut": ["title"]}]);
            }),
            "RepositoryInitializer",
        ),
        (
            "property outside the record",
            Box::new(|_, m| {
                m["properties"] = json!([{"path": "/etc/replication/agents.author/publish/jcr:content",
                "name": "transportUri", "before": "http://elsewhere.example/bin/receive"}]);
            }),
            "transportUri",
        ),
        (
            "other aemUrl",
            Box::new(|_, m| {
                m["aemUrl"] = json!("http://127.0.0.1:1");
            }),
            "http://127.0.0.1:1",
        ),
        (
            "a file outside the folder",
            Box::new(|_, m| {
                m["nodes"][0]["file"] = json!("../local-secret.txt");
            }),
            "../local-secret.txt",
        ),
        (
            "an absolute file",
            Box::new(|_, m| {
                m["nodes"][0]["file"] = json!("/etc/hostname");
            }),
            "/etc/hostname",
        ),
        (
            "a symlink",
            Box::new(|d, m| {
                let f = m["nodes"][0]["file"].as_str().unwrap().to_string();
                let copy = d.parent().unwrap().join("outside.json");
                std::fs::copy(d.join(&f), &copy).unwrap();
                std::fs::remove_file(d.join(&f)).unwrap();
                std::os::unix::fs::symlink(&copy, d.join(&f)).unwrap();
            }),
            "symbolic link",
        ),
        (
            "/dev/zero",
            Box::new(|d, m| {
                let f = m["nodes"][0]["file"].as_str().unwrap().to_string();
                std::fs::remove_file(d.join(&f)).unwrap();
                std::os::unix::fs::symlink("/dev/zero", d.join(&f)).unwrap();
            }),
            "symbolic link",
        ),
        (
            "an invalid file last",
            Box::new(|d, m| {
                let last = m["nodes"].as_array().unwrap().len() - 1;
                let f = m["nodes"][last]["file"].as_str().unwrap().to_string();
                std::fs::write(d.join(&f), "{not json").unwrap();
                use sha2::Digest;
                m["nodes"][last]["sha256"] = json!(hex::encode(sha2::Sha256::digest(b"{not json")));
            }),
            "not a JSON object",
        ),
        (
            "a secret routed into a title",
            Box::new(|_, m| {
                m["osgi"] = json!([{"pid": "com.adobe.granite.auth.oauth.accesstoken.provider.abc",
                "factoryPid": "com.adobe.granite.auth.oauth.accesstoken.provider",
                "properties": [["name", ["brandportal-x"]]], "secretsLeftOut": ["auth.token.provider.title"]}]);
            }),
            "auth.token.provider.title",
        ),
    ];
    for (i, (what, tamper, named)) in cases.iter().enumerate() {
        let copy = work.path().join(format!("case-{i}"));
        copy_backup(&dir, &copy);
        let mpath = copy.join("manifest.json");
        let mut m: Value = serde_json::from_str(&std::fs::read_to_string(&mpath).unwrap()).unwrap();
        tamper(&copy, &mut m);
        std::fs::write(&mpath, m.to_string()).unwrap();
        reseal(&mpath, MANIFEST_TAG);
        let o = run(
            &e.base,
            &["restore", "--from", copy.to_str().unwrap(), "--yes"],
            &[("BRANDLINK_CLIENT_SECRET", "op-secret-123")],
        )
        .await;
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{what}: {err}");
        assert!(err.contains(named), "{what}: names {named}: {err}");
        assert!(
            err.contains("nothing was written") || err.contains("refused"),
            "{what}: {err}"
        );
        assert!(!err.contains("op-secret-123"));
    }
    // Edited without a new seal: refused too.
    let copy = work.path().join("unsealed");
    copy_backup(&dir, &copy);
    let mpath = copy.join("manifest.json");
    let text = std::fs::read_to_string(&mpath).unwrap();
    std::fs::write(
        &mpath,
        text.replacen("mac-wknd-replication", "mac-wknd-replicatiom", 1),
    )
    .unwrap();
    let o = run(
        &e.base,
        &["restore", "--from", copy.to_str().unwrap(), "--yes"],
        &[],
    )
    .await;
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("changed since brandlink wrote it"), "{err}");
    // A backup folder others may write is refused.
    let copy = work.path().join("lax");
    copy_backup(&dir, &copy);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o777)).unwrap();
        let o = run(
            &e.base,
            &["restore", "--from", copy.to_str().unwrap(), "--yes"],
            &[],
        )
        .await;
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{err}");
        assert!(err.contains("chmod go-w"), "{err}");
    }
    // Nothing was written by any of them.
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
    let r = e.get("/content/dam/exfil.json").send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(
        e.json("/etc/replication/agents.author/publish/jcr:content.json")
            .await,
        publish_before
    );
    // The backup itself, untouched, restores.
    let o = run(
        &e.base,
        &["restore", "--from", dir.to_str().unwrap(), "--yes"],
        &[],
    )
    .await;
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(bp_agents(&state(&e).await), 4);
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_umask_000_folders_stay_0700_and_files_0600() {
    use std::os::unix::fs::PermissionsExt;
    let e = common::start(Scenario::Legacy).await;
    let xdg = tempfile::tempdir().unwrap();
    let state_dir = xdg.path().join("state");
    let log = xdg.path().join("logs/brandlink.log");
    let bin = env!("CARGO_BIN_EXE_brandlink");
    let mut c = std::process::Command::new("sh");
    c.args(["-c", "umask 000; exec \"$0\" \"$@\"", bin])
        .args([
            "--url",
            &e.base,
            "--log-file",
            log.to_str().unwrap(),
            "upgrade",
            "--yes",
        ])
        .env("AEM_PASSWORD", "admin")
        .env("XDG_STATE_HOME", &state_dir)
        .env("XDG_CONFIG_HOME", "/nonexistent-brandlink");
    let o = tokio::task::spawn_blocking(move || c.output().unwrap())
        .await
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut seen = 0;
    let mut walk = vec![state_dir.clone(), xdg.path().join("logs")];
    while let Some(p) = walk.pop() {
        let m = std::fs::symlink_metadata(&p).unwrap();
        let mode = m.permissions().mode() & 0o777;
        if m.is_dir() {
            assert_eq!(mode, 0o700, "{}", p.display());
            walk.extend(std::fs::read_dir(&p).unwrap().flatten().map(|e| e.path()));
        } else {
            assert_eq!(mode, 0o600, "{}", p.display());
        }
        seen += 1;
    }
    assert!(
        seen > 6,
        "the backup, its files, the key and the log were checked"
    );
    // A state folder others can write is refused, with the fix.
    std::fs::set_permissions(
        state_dir.join("brandlink"),
        std::fs::Permissions::from_mode(0o777),
    )
    .unwrap();
    let backup = std::fs::read_dir(state_dir.join("brandlink/backups"))
        .unwrap()
        .flatten()
        .next()
        .unwrap()
        .path();
    let o = run_with_state(
        &e.base,
        &state_dir,
        &["restore", "--from", backup.to_str().unwrap(), "--yes"],
    )
    .await;
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("chmod go-w"), "{err}");
    assert_eq!(bp_agents(&state(&e).await), 0, "nothing restored");
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
