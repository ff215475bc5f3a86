//! Every client error class and every JWT-payload mistake, through the real binary, with the
//! message the operator sees and the exit code.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test may stop at what it did not expect

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

/// One error case: the command, the password it runs with, the faults the sandbox injects
/// meanwhile, the exit code and the words the operator must see.
struct Case {
    what: &'static str,
    args: Vec<String>,
    password: Option<&'static str>,
    faults: Option<serde_json::Value>,
    code: i32,
    says: String,
}

fn case(what: &'static str, a: &[&str], code: i32, says: &str) -> Case {
    Case {
        what,
        args: args(a),
        password: Some("admin"),
        faults: None,
        code,
        says: says.to_string(),
    }
}

impl Case {
    fn password(mut self, p: Option<&'static str>) -> Self {
        self.password = p;
        self
    }
    fn faults(mut self, f: serde_json::Value) -> Self {
        self.faults = Some(f);
        self
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_error_classes() {
    let closed = common::closed_port();
    let url = format!("http://127.0.0.1:{}", closed.port);
    let e = common::start(Scenario::Configured).await;
    let b = e.base.as_str();
    // Not an AEM: a server that answers 404 to everything; a 403 that survives the CSRF retry.
    let other = common::canned_server(
        "HTTP/1.1 404 Not Found\r\ncontent-length: 9\r\nconnection: close\r\n\r\nnot found",
    )
    .await;
    let forbidden = common::canned_server(
        "HTTP/1.1 403 Forbidden\r\ncontent-length: 6\r\nconnection: close\r\n\r\nno way",
    )
    .await;
    let (other, forbidden) = (format!("http://{other}"), format!("http://{forbidden}"));
    let dir = tempfile::tempdir().unwrap();
    let bad_cfg = dir.path().join("bad.toml");
    std::fs::write(&bad_cfg, "[profiles.a]\nurl = 5\n").unwrap();
    let good_cfg = dir.path().join("good.toml");
    std::fs::write(&good_cfg, "[profiles.a]\nurl = \"http://x\"\n").unwrap();
    let (bad_cfg, good_cfg) = (bad_cfg.to_str().unwrap(), good_cfg.to_str().unwrap());
    let cases = [
        case(
            "unreachable",
            &["--url", &url, "status"],
            1,
            &format!("cannot reach AEM at {url}"),
        ),
        case(
            "no password",
            &["--url", b, "status"],
            2,
            "set AEM_PASSWORD",
        )
        .password(None),
        case(
            "no password in the named variable",
            &["--url", b, "--password-env", "MY_PW", "status"],
            2,
            "set MY_PW",
        )
        .password(None),
        case(
            "bad credentials",
            &["--url", b, "status"],
            1,
            "AEM rejected the credentials for user admin (401)",
        )
        .password(Some("wrong")),
        case(
            "timeout",
            &["--url", b, "--timeout", "1", "status"],
            1,
            "did not answer",
        )
        .faults(json!({"latency_ms": 2500})),
        case(
            "restarting",
            &["--url", b, "status"],
            1,
            "is starting or restarting (503)",
        )
        .faults(json!({"unavailable": true})),
        case(
            "broken JSON",
            &["--url", b, "queues"],
            1,
            "unexpected answer from",
        )
        .faults(json!({"malformed_json_rate": 1.0})),
        case(
            "HTML for JSON",
            &["--url", b, "queues"],
            1,
            "an HTML page where JSON was expected",
        )
        .faults(json!({"html_for_json_rate": 1.0})),
        case(
            "dropped connection",
            &["--url", b, "queues"],
            1,
            "cannot reach AEM",
        )
        .faults(json!({"drop_rate": 1.0})),
        case(
            "not an AEM",
            &["--url", &other, "status"],
            1,
            "does not look like an AEM author",
        ),
        case(
            "403 after the CSRF retry",
            &[
                "--url",
                &forbidden,
                "cloud",
                "create",
                "--title",
                "x",
                "--service-url",
                "https://wknd.brand-portal.adobe.com",
            ],
            1,
            "AEM refused GET",
        ),
        case(
            "TLS against plain HTTP",
            &["--url", &other.replace("http://", "https://"), "status"],
            1,
            "TLS with",
        ),
        case(
            "--insecure is announced",
            &["--url", b, "--insecure", "queues"],
            0,
            "TLS certificate verification is OFF",
        ),
        case(
            "not an http URL",
            &["--url", "ftp://x", "status"],
            2,
            "must start with http",
        ),
        case(
            "config with a bad type",
            &["--config", bad_cfg, "status"],
            2,
            "line 2",
        ),
        case(
            "config missing",
            &["--config", "/nonexistent/brandlink.toml", "status"],
            2,
            "cannot read",
        ),
        case(
            "undefined profile",
            &["--config", good_cfg, "--profile", "b", "status"],
            2,
            "profile 'b' is not defined",
        ),
    ];
    for c in cases {
        if let Some(f) = &c.faults {
            e.set_faults(f.clone()).await;
        }
        let env = c
            .password
            .map(|p| vec![("AEM_PASSWORD", p.to_string())])
            .unwrap_or_default();
        let out = brandlink(c.args.clone(), env).await;
        e.reset_faults();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(c.code), "{}: {err}", c.what);
        assert!(
            err.contains(&c.says),
            "{}: expected «{}» in: {err}",
            c.what,
            c.says
        );
    }
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

/// A wrong password costs one failed login per command, not one per request: a directory-backed
/// account (LDAP, SSO) locks after a handful.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_costs_one_failed_login() {
    let e = common::start(Scenario::Configured).await;
    let counter = e.url("/sandbox/control/requests");
    for cmd in [
        &["status"][..],
        &["doctor"],
        &["doctor", "--no-test"],
        &["queues"],
        &["agents", "--test"],
        &["upgrade", "--dry-run"],
        &["cert", "delete", "--dry-run"],
    ] {
        e.http.delete(&counter).send().await.unwrap();
        let mut a = vec!["--url", e.base.as_str(), "--ims-url", e.base.as_str()];
        a.extend_from_slice(cmd);
        let out = brandlink(args(&a), vec![("AEM_PASSWORD", "wrong".into())]).await;
        let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
        assert_eq!(out.status.code(), Some(1), "{cmd:?}: {all}");
        assert!(
            all.contains("AEM rejected the credentials for user admin (401)"),
            "{cmd:?}: {all}"
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
        assert_eq!(seen["failedLogins"], 1, "{cmd:?}: {seen}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_author_costs_one_timeout_not_one_per_request() {
    // Every answer comes after 4 s; --timeout 1: the first request times out, and the ones
    // queued behind it end with its error instead of each waiting out a timeout of its own.
    let e = common::start(Scenario::Configured).await;
    let counter = e.url("/sandbox/control/requests");
    e.set_faults(serde_json::json!({"latency_ms": 4000})).await;
    e.http.delete(&counter).send().await.unwrap();
    for cmd in [&["status"][..], &["doctor", "--no-test"], &["queues"]] {
        let mut a = vec!["--url", e.base.as_str(), "--timeout", "1"];
        a.extend_from_slice(cmd);
        let out = brandlink(args(&a), pw()).await;
        let err = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
        assert_eq!(out.status.code(), Some(1), "{cmd:?}: {err}");
        assert!(
            err.contains("within 1 s"),
            "{cmd:?}: the real figure: {err}"
        );
    }
    e.reset_faults();
    let seen: serde_json::Value = e
        .http
        .get(&counter)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        seen["total"].as_u64().unwrap() <= 3 * 2,
        "at most two requests per command: {seen}"
    );
}
