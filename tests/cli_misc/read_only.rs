//! `--read-only`: every command that changes the author is refused before it asks anything;
//! dry runs and reads still work.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_turns_every_change_off() {
    let e = common::start(Scenario::Configured).await;
    let state = || async {
        let mut v: serde_json::Value = e
            .http
            .get(e.url("/sandbox/control/state"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        // What moves by itself (deliveries, tokens) is not configuration.
        for k in ["tokensIssued", "deliveredTotal"] {
            v.as_object_mut().unwrap().remove(k);
        }
        for a in v["agents"].as_array_mut().unwrap() {
            for k in ["pending", "delivered", "blocked"] {
                a.as_object_mut().unwrap().remove(k);
            }
        }
        v
    };
    let before = state().await;
    let backup = tempfile::tempdir().unwrap();
    let bdir = backup.path().to_str().unwrap();
    let tenant = e.sb.tenant_url();
    let changes: Vec<Vec<&str>> = vec![
        vec![
            "cert",
            "create",
            "--alias",
            "ro",
            "--out",
            "/tmp/brandlink-ro.crt",
        ],
        vec![
            "cert",
            "rotate",
            "--alias",
            "ro2",
            "--out",
            "/tmp/brandlink-ro2.crt",
        ],
        vec![
            "account",
            "create",
            "--oauth",
            "--title",
            "T",
            "--api-key",
            "x",
            "--scopes",
            "openid",
            "--org-id",
            "A@AdobeOrg",
        ],
        vec!["account", "update", "--title", "Changed", "--yes"],
        vec![
            "account",
            "migrate",
            "--scopes",
            "openid",
            "--org-id",
            "A@AdobeOrg",
            "--yes",
        ],
        vec!["account", "delete", "--yes"],
        vec!["cert", "delete", "--alias", "brandportal", "--yes"],
        vec!["cloud", "create", "--title", "T", "--service-url", &tenant],
        vec!["upgrade", "--yes", "--backup-dir", bdir],
        vec!["restore", "--from", bdir, "--yes"],
        vec!["agents", "--close-connection", "--yes"],
        vec!["cloud", "resave", "--yes", "--backup-dir", bdir],
    ];
    for args in &changes {
        let mut c = cmd();
        c.args(["--url", &e.base, "--ims-url", &e.base, "--read-only"])
            .args(args)
            .env("BRANDLINK_CLIENT_SECRET", "x")
            .env("BRANDLINK_KEYSTORE_PASSWORD", "changeit");
        let out = run(c).await;
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("--read-only"), "{args:?}: {err}");
    }
    assert_eq!(state().await, before, "nothing changed on the author");
    // Looking is allowed: dry runs and reads. Status and doctor give one verdict: 1 here,
    // because no agent has been tested yet (doctor runs no Test Connection with --no-test).
    for (args, code) in [
        (vec!["upgrade", "--dry-run"], 0),
        (vec!["agents", "--close-connection", "--dry-run"], 0),
        (vec!["cloud", "resave", "--dry-run"], 0),
        (vec!["status"], 1),
        (vec!["queues"], 0),
        (vec!["doctor", "--no-test"], 1),
    ] {
        let mut c = cmd();
        c.args(["--url", &e.base, "--read-only"]).args(&args);
        let out = run(c).await;
        assert_eq!(
            out.status.code(),
            Some(code),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(state().await, before, "still nothing changed on the author");
}

/// The rule lives in the setup service, not in the front ends: a read-only service refuses
/// every change whoever asks, and nothing but GET and HEAD reaches the author.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_setup_service_sends_no_write() {
    use brandlink::aem::{AemClient, Connection};
    use brandlink::setup::service::QueueOp;
    use brandlink::setup::{ImsEndpoint, Setup};
    let e = common::start(Scenario::Configured).await;
    let client = AemClient::new(&Connection::new(
        &e.base,
        "admin",
        secrecy::SecretString::from(e.sb.admin_password()),
    ))
    .unwrap();
    let setup = Setup::new(
        client,
        ImsEndpoint {
            http: reqwest::Client::new(),
            url: e.base.clone(),
        },
    )
    .read_only(true);
    assert!(setup.refuses_writes());
    let counter = e.url("/sandbox/control/requests");
    e.http.delete(&counter).send().await.unwrap();
    let backups = tempfile::tempdir().unwrap();
    let agents = e.bp_agents().await;
    let refused = |r: Result<(), brandlink::setup::SetupError>, what: &str| {
        let err = r.expect_err(what);
        assert!(err.is_usage(), "{what}: {err}");
        assert!(err.to_string().contains("--read-only"), "{what}: {err}");
    };
    refused(setup.queue_op(&agents[0], QueueOp::Pause).await, "pause");
    let plan = setup
        .close_connection_plan(&e.sb.tenant_url())
        .await
        .unwrap();
    refused(
        setup
            .close_connection(&plan, backups.path())
            .await
            .map(|_| ()),
        "close connection",
    );
    let plan = setup.delete_plan().await.unwrap();
    refused(
        setup
            .delete_account(&plan, true, backups.path())
            .await
            .map(|_| ()),
        "delete the IMS configuration",
    );
    let seen: serde_json::Value = e
        .http
        .get(&counter)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let writes: Vec<&String> = seen["requests"]
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| !k.starts_with("GET ") && !k.starts_with("HEAD "))
        .collect();
    assert!(writes.is_empty(), "writes reached the author: {writes:?}");
}
