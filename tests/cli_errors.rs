//! Every client error class and every JWT-payload mistake, through the real binary, with the
//! message the operator sees and the exit code.

mod common;

use brandlink::sandbox::Scenario;
use serde_json::json;
use std::process::Output;

async fn brandlink(args: Vec<String>, env: Vec<(&'static str, String)>) -> Output {
    let xdg = tempfile::tempdir().unwrap();
    let mut c = assert_cmd::Command::cargo_bin("brandlink").unwrap();
    c.args(&args)
        .env("XDG_CONFIG_HOME", xdg.path())
        .env_remove("AEM_PASSWORD")
        .env_remove("BRANDLINK_CLIENT_SECRET");
    for (k, v) in env {
        c.env(k, v);
    }
    tokio::task::spawn_blocking(move || {
        let out = c.output().unwrap();
        drop(xdg);
        out
    })
    .await
    .unwrap()
}

fn args(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

async fn expect(a: &[&str], env: Vec<(&'static str, String)>, code: i32, needle: &str) {
    let out = brandlink(args(a), env).await;
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(code), "{a:?}: {err}");
    assert!(err.contains(needle), "{a:?}: expected «{needle}» in: {err}");
}

fn pw() -> Vec<(&'static str, String)> {
    vec![("AEM_PASSWORD", "admin".to_string())]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_error_classes() {
    // Unreachable.
    let url = format!("http://127.0.0.1:{}", common::closed_port());
    expect(
        &["--url", &url, "status"],
        pw(),
        1,
        &format!("cannot reach AEM at {url}"),
    )
    .await;
    // No password: exit 2 and how to give one.
    let e = common::start(Scenario::Configured).await;
    expect(&["--url", &e.base, "status"], vec![], 2, "set AEM_PASSWORD").await;
    expect(
        &["--url", &e.base, "--password-env", "MY_PW", "status"],
        vec![],
        2,
        "set MY_PW",
    )
    .await;
    // Bad credentials.
    expect(
        &["--url", &e.base, "status"],
        vec![("AEM_PASSWORD", "wrong".into())],
        1,
        "AEM rejected the credentials for user admin (401)",
    )
    .await;
    // Timeout.
    e.set_faults(json!({"latency_ms": 2500})).await;
    expect(
        &["--url", &e.base, "--timeout", "1", "status"],
        pw(),
        1,
        "did not answer",
    )
    .await;
    e.reset_faults();
    // Restarting.
    e.set_faults(json!({"unavailable": true})).await;
    expect(
        &["--url", &e.base, "status"],
        pw(),
        1,
        "is starting or restarting (503)",
    )
    .await;
    e.reset_faults();
    // Broken JSON and HTML where JSON was expected.
    e.set_faults(json!({"malformed_json_rate": 1.0})).await;
    expect(
        &["--url", &e.base, "queues"],
        pw(),
        1,
        "unexpected answer from",
    )
    .await;
    e.reset_faults();
    e.set_faults(json!({"html_for_json_rate": 1.0})).await;
    expect(
        &["--url", &e.base, "queues"],
        pw(),
        1,
        "an HTML page where JSON was expected",
    )
    .await;
    e.reset_faults();
    // A dropped connection.
    e.set_faults(json!({"drop_rate": 1.0})).await;
    expect(&["--url", &e.base, "queues"], pw(), 1, "cannot reach AEM").await;
    e.reset_faults();
    // Not an AEM: a server that answers 404 to everything.
    let other = common::canned_server(
        "HTTP/1.1 404 Not Found\r\ncontent-length: 9\r\nconnection: close\r\n\r\nnot found",
    )
    .await;
    expect(
        &["--url", &format!("http://{other}"), "status"],
        pw(),
        1,
        "does not look like an AEM author",
    )
    .await;
    // 403 that survives the CSRF retry.
    let forbidden = common::canned_server(
        "HTTP/1.1 403 Forbidden\r\ncontent-length: 6\r\nconnection: close\r\n\r\nno way",
    )
    .await;
    expect(
        &[
            "--url",
            &format!("http://{forbidden}"),
            "cloud",
            "create",
            "--title",
            "x",
            "--service-url",
            "https://wknd.brand-portal.adobe.com",
        ],
        pw(),
        1,
        "AEM refused GET",
    )
    .await;
    // TLS: https against a plain-HTTP port.
    expect(
        &["--url", &format!("https://{other}"), "status"],
        pw(),
        1,
        "TLS with",
    )
    .await;
    // --insecure is announced.
    let out = brandlink(args(&["--url", &e.base, "--insecure", "status"]), pw()).await;
    assert!(stderr(&out).contains("TLS certificate verification is OFF"));
    // Bad URL and bad config: usage errors.
    expect(
        &["--url", "ftp://x", "status"],
        pw(),
        2,
        "must start with http",
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("c.toml");
    std::fs::write(&cfg, "[profiles.a]\nurl = 5\n").unwrap();
    expect(
        &["--config", cfg.to_str().unwrap(), "status"],
        pw(),
        2,
        "line 2",
    )
    .await;
    expect(
        &["--config", "/nonexistent/brandlink.toml", "status"],
        pw(),
        2,
        "cannot read",
    )
    .await;
    std::fs::write(&cfg, "[profiles.a]\nurl = \"http://x\"\n").unwrap();
    expect(
        &[
            "--config",
            cfg.to_str().unwrap(),
            "--profile",
            "b",
            "status",
        ],
        pw(),
        2,
        "profile 'b' is not defined",
    )
    .await;
    // Error output in --json mode is JSON on stdout too.
    let out = brandlink(args(&["--url", &url, "--json", "status"]), pw()).await;
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ok"], false);
    assert_eq!(v["exitCode"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payload_mistakes_are_named() {
    let e = common::start(Scenario::Fresh).await;
    let dir = tempfile::tempdir().unwrap();
    let key = "0123456789abcdef0123456789abcdef";
    let ims = "https://ims-na1.adobelogin.com";
    let good = json!({"exp": 1939182446, "iss": "ABCDEF0123456789@AdobeOrg", "sub": "0123ABCD@techacct.adobe.com",
                      format!("{ims}/s/ent_brand_portal_sdk"): true, "aud": format!("{ims}/c/{key}")});
    let cases: Vec<(serde_json::Value, &str, &str)> = vec![
        (
            {
                let mut p = good.clone();
                p["exp"] = json!("1939182446");
                p
            },
            ims,
            "`exp` is the string",
        ),
        (
            {
                let mut p = good.clone();
                p["aud"] = json!(format!("{ims}/c/other"));
                p
            },
            ims,
            "copy the API key and the payload from the same Console project",
        ),
        (
            {
                let mut p = good.clone();
                p.as_object_mut()
                    .unwrap()
                    .remove(&format!("{ims}/s/ent_brand_portal_sdk"));
                p
            },
            ims,
            "no Brand Portal metascope",
        ),
        (
            {
                let mut p = good.clone();
                p["aud"] = json!(format!("https://ims-na1-stg1.adobelogin.com/c/{key}"));
                p
            },
            ims,
            "stage IMS",
        ),
        (
            good.clone(),
            "https://ims-na1.adobelogin.com/c/0123456789abcdef0123456789abcdef",
            "not the whole `aud` value",
        ),
        (
            good.clone(),
            "https://ims-na1-stg1.adobelogin.com",
            "is the stage IMS",
        ),
        (
            good.clone(),
            "http://ims-na1.adobelogin.com",
            "must use https",
        ),
    ];
    for (i, (payload, server, needle)) in cases.into_iter().enumerate() {
        let f = dir.path().join(format!("p{i}.json"));
        std::fs::write(&f, payload.to_string()).unwrap();
        let fa = format!("@{}", f.display());
        let env = vec![
            ("AEM_PASSWORD", "admin".to_string()),
            ("BRANDLINK_CLIENT_SECRET", "p8e-secret".to_string()),
        ];
        expect(
            &[
                "--url",
                &e.base,
                "account",
                "create",
                "--title",
                "BP",
                "--api-key",
                key,
                "--payload",
                &fa,
                "--auth-server",
                server,
            ],
            env,
            2,
            needle,
        )
        .await;
    }
    let f = dir.path().join("bad.json");
    std::fs::write(&f, "{\"exp\": 1,").unwrap();
    let fa = format!("@{}", f.display());
    let env = vec![
        ("AEM_PASSWORD", "admin".to_string()),
        ("BRANDLINK_CLIENT_SECRET", "p8e-secret".to_string()),
    ];
    expect(
        &[
            "--url",
            &e.base,
            "account",
            "create",
            "--title",
            "BP",
            "--api-key",
            key,
            "--payload",
            &fa,
        ],
        env.clone(),
        2,
        "is not JSON",
    )
    .await;
    // The secret equal to the API key is caught too.
    let env2 = vec![
        ("AEM_PASSWORD", "admin".to_string()),
        ("BRANDLINK_CLIENT_SECRET", key.to_string()),
    ];
    let f = dir.path().join("good.json");
    std::fs::write(&f, good.to_string()).unwrap();
    let fa = format!("@{}", f.display());
    expect(
        &[
            "--url",
            &e.base,
            "account",
            "create",
            "--title",
            "BP",
            "--api-key",
            key,
            "--payload",
            &fa,
        ],
        env2,
        2,
        "equals the API key",
    )
    .await;
    // Nothing was created by any of these.
    let state: serde_json::Value = e
        .http
        .get(e.url("/sandbox/control/state"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(state["imsConfigs"], json!([]));
}

/// Credentials in a URL (flag or profile) are refused before any request, and the password
/// never shows in any output; other values brandlink writes are bounded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn urls_never_carry_credentials_and_inputs_are_bounded() {
    let e = common::start(Scenario::Configured).await;
    let pw_in_url = "Url-Pass-4711";
    let hostport = e.base.trim_start_matches("http://").to_string();
    let with_userinfo = format!("http://admin:{pw_in_url}@{hostport}");
    for json in [false, true] {
        let mut a = vec!["--url", with_userinfo.as_str(), "status"];
        if json {
            a.push("--json");
        }
        let out = brandlink(args(&a), pw()).await;
        let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
        assert_eq!(out.status.code(), Some(2), "{all}");
        assert!(all.contains("AEM_PASSWORD"), "{all}");
        assert!(!all.contains(pw_in_url), "{all}");
    }
    // The same in a profile.
    let cfg = tempfile::tempdir().unwrap();
    let file = cfg.path().join("c.toml");
    std::fs::write(&file, format!("[profiles.p]\nurl = \"{with_userinfo}\"\n")).unwrap();
    let out = brandlink(
        args(&[
            "--config",
            file.to_str().unwrap(),
            "--profile",
            "p",
            "status",
        ]),
        pw(),
    )
    .await;
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("password_env") && !err.contains(pw_in_url),
        "{err}"
    );
    // A URL without a host says so.
    let out = brandlink(args(&["--url", "http://", "status"]), pw()).await;
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("has no host") && !err.contains("http://http:"),
        "{err}"
    );
    // Durations from flags are range-checked by the parser: no panic, exit 2.
    for a in [
        &[
            "--url",
            &e.base,
            "upgrade",
            "--dry-run",
            "--wait",
            "18446744073709551615",
        ][..],
        &["--url", &e.base, "--timeout", "0", "status"][..],
        &[
            "--url",
            &e.base,
            "queues",
            "--watch",
            "--interval",
            "99999999",
        ][..],
    ] {
        let out = brandlink(args(a), pw()).await;
        assert_eq!(out.status.code(), Some(2), "{a:?}: {}", stderr(&out));
    }
    // The organization id is Adobe's format: quotes and newlines never reach the claims.
    let out = brandlink(
        args(&[
            "--url",
            &e.base,
            "--ims-url",
            &e.base,
            "account",
            "migrate",
            "--scopes",
            "openid",
            "--org-id",
            "ABC\"\n,\"x\":\"y@AdobeOrg",
            "--dry-run",
        ]),
        {
            let mut env = pw();
            env.push(("BRANDLINK_CLIENT_SECRET", "s3cr3t".to_string()));
            env
        },
    )
    .await;
    let err = stderr(&out);
    assert_ne!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("hexadecimal characters, then @AdobeOrg"),
        "{err}"
    );
}
