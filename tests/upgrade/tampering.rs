//! Files brandlink reads back are checked before it acts on them: locked, unreadable, planted
//! and edited journals; tampered backups; private modes under any umask.

use super::*;

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
