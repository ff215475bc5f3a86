//! Smaller CLI behaviours: the default config, queue watching, CA certificate handling.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test may stop at what it did not expect

#[path = "../common/mod.rs"]
mod common;
mod options;
mod read_only;
mod times;

use brandlink::sandbox::Scenario;

fn cmd() -> assert_cmd::Command {
    let mut c = assert_cmd::Command::cargo_bin("brandlink").unwrap();
    c.env("AEM_PASSWORD", "admin")
        .env("XDG_CONFIG_HOME", "/nonexistent-brandlink-test");
    c
}

async fn run(mut c: assert_cmd::Command) -> std::process::Output {
    tokio::task::spawn_blocking(move || c.output().unwrap())
        .await
        .unwrap()
}

#[tokio::test]
async fn default_config_round_trips() {
    let mut c = cmd();
    c.arg("--print-default-config");
    let out = run(c).await;
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let cfg = brandlink::config::parse(&text, "printed").unwrap();
    assert!(cfg.profiles.contains_key("local"));
    assert!(
        !text.to_lowercase().contains("password ="),
        "no password field in the config"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queues_watch_prints_changes() {
    let e = common::start(Scenario::Busy).await;
    let mut c = cmd();
    c.args([
        "--url",
        &e.base,
        "queues",
        "--watch",
        "--interval",
        "1",
        "--polls",
        "2",
    ]);
    let out = run(c).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("total pending"), "{text}");
    assert_eq!(text.matches("mp_replication").count() % 4, 0);
    let mut c = cmd();
    c.args([
        "--url", &e.base, "--json", "queues", "--watch", "--polls", "1",
    ]);
    let out = run(c).await;
    let line = String::from_utf8(out.stdout).unwrap();
    let v: serde_json::Value = serde_json::from_str(line.lines().next().unwrap()).unwrap();
    assert_eq!(v["queues"].as_array().unwrap().len(), 4);
    // One stable shape: the one-shot report's, with an RFC 3339 time.
    assert!(v["ok"].is_boolean(), "{v}");
    assert_eq!(v["tenantUrl"], e.sb.tenant_url().as_str());
    assert!(v["alerts"].is_array());
    assert!(
        chrono::DateTime::parse_from_rfc3339(v["time"].as_str().unwrap()).is_ok(),
        "{v}"
    );
    for q in v["queues"].as_array().unwrap() {
        assert!(
            q["trend"].is_null() || q["trend"].as_str().is_some_and(|t| !t.is_empty()),
            "trend is null or a marker, never \"\": {q}"
        );
    }
    // Nothing moves on an idle author: one table, not one per poll.
    let idle = common::start(Scenario::Configured).await;
    let mut c = cmd();
    c.args([
        "--url",
        &idle.base,
        "queues",
        "--watch",
        "--interval",
        "1",
        "--polls",
        "3",
    ]);
    let out = run(c).await;
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.matches("total pending").count(), 1, "{text}");
}

#[tokio::test]
async fn ca_cert_problems_are_usage_errors() {
    let mut c = cmd();
    c.args([
        "--url",
        "https://127.0.0.1:1",
        "--ca-cert",
        "/nonexistent/ca.pem",
        "status",
    ]);
    let out = run(c).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read --ca-cert"));
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("ca.pem");
    std::fs::write(
        &bad,
        "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let mut c = cmd();
    c.args([
        "--url",
        "https://127.0.0.1:1",
        "--ca-cert",
        bad.to_str().unwrap(),
        "status",
    ]);
    let out = run(c).await;
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A real CA certificate is accepted (the connection then fails: nothing listens there).
    let g = brandlink::ims::certificate::generate("private CA", 30).unwrap();
    let good = dir.path().join("good.pem");
    std::fs::write(&good, &g.cert_pem).unwrap();
    let closed = common::closed_port();
    let mut c = cmd();
    c.args([
        "--url",
        &format!("https://127.0.0.1:{}", closed.port),
        "--ca-cert",
        good.to_str().unwrap(),
        "status",
    ]);
    let out = run(c).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot reach AEM"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_that_goes_away_ends_the_watch_quietly() {
    let e = common::start(Scenario::Busy).await;
    let bin = env!("CARGO_BIN_EXE_brandlink");
    let script = format!(
        "set -o pipefail; {bin} --url {} queues --watch --interval 1 --polls 4 | head -1",
        e.base
    );
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("bash")
            .args(["-c", &script])
            .env("AEM_PASSWORD", "admin")
            .env("XDG_CONFIG_HOME", "/nonexistent-brandlink-test")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !err.contains("panicked") && !err.contains("Broken pipe"),
        "{err}"
    );
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_address_in_use_is_a_failure_not_a_usage_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let e = common::start(Scenario::Fresh).await;
    for args in [
        vec!["sandbox", "--listen", addr.as_str()],
        vec![
            "--url",
            e.base.as_str(),
            "exporter",
            "--listen",
            addr.as_str(),
        ],
    ] {
        let mut c = cmd();
        c.args(&args).timeout(std::time::Duration::from_secs(20));
        let out = run(c).await;
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains("cannot listen on"), "{err}");
    }
    // A remote address without --allow-remote stays a usage error.
    let mut c = cmd();
    c.args(["sandbox", "--listen", "0.0.0.0:0"]);
    assert_eq!(run(c).await.status.code(), Some(2));
    drop(taken);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queues_fail_while_an_agent_is_disabled() {
    let e = common::start(Scenario::Configured).await;
    let mut c = cmd();
    c.args(["--url", &e.base, "queues"]);
    assert_eq!(run(c).await.status.code(), Some(0));
    let state = e.json("/sandbox/control/state").await;
    let agent = state["agents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| {
            a["transportUri"]
                .as_str()
                .unwrap_or("")
                .starts_with(&e.sb.tenant_url())
        })
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = e
        .post(&format!(
            "/etc/replication/agents.author/{agent}/jcr:content"
        ))
        .form(&[("enabled", "false")])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let mut c = cmd();
    c.args(["--url", &e.base, "--json", "queues"]);
    let out = run(c).await;
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[tokio::test]
async fn the_sandbox_help_names_every_fault() {
    let mut c = cmd();
    c.args(["sandbox", "--help"]);
    let out = run(c).await;
    let help = String::from_utf8_lossy(&out.stdout).replace('\n', " ");
    for name in brandlink::sandbox::Faults::names() {
        assert!(
            help.contains(name.as_str()),
            "{name} missing from sandbox --help"
        );
    }
}

#[tokio::test]
async fn argument_errors_are_json_with_json() {
    let mut c = cmd();
    c.args(["--json", "status", "--no-such-flag"]);
    let out = run(c).await;
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(v["ok"], false);
    assert_eq!(v["exitCode"], 2);
    assert!(
        v["error"].as_str().unwrap().contains("--no-such-flag"),
        "{v}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_web_server_that_is_not_aem_is_named_as_such() {
    // A plain web server: 404 for everything.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        for mut s in listener.incoming().flatten().take(512) {
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let _ = s.write_all(
                b"HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot found",
            );
        }
    });
    for args in [
        &["agents"][..],
        &["queues"],
        &["status"],
        &["cert", "create", "--out", "/tmp/brandlink-not-aem.crt"],
        &["account", "check"],
        &[
            "cloud",
            "create",
            "--title",
            "T",
            "--service-url",
            "https://wknd.brand-portal.adobe.com",
        ],
        &["upgrade", "--dry-run"],
        &[
            "account",
            "migrate",
            "--scopes",
            "a",
            "--org-id",
            "B@AdobeOrg",
            "--dry-run",
        ],
    ] {
        let mut c = cmd();
        c.args(["--url", url.as_str()])
            .args(args)
            .env("BRANDLINK_CLIENT_SECRET", "x")
            .env("BRANDLINK_KEYSTORE_PASSWORD", "changeit");
        let out = run(c).await;
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("does not look like an AEM author"),
            "{args:?}: {err}"
        );
        assert!(
            !err.contains("create one"),
            "{args:?}: no cloud advice: {err}"
        );
        assert_eq!(out.status.code(), Some(1), "{args:?}");
    }
}

#[tokio::test]
async fn terminal_ui_flags_belong_to_the_terminal_ui() {
    let help = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_brandlink"))
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    for args in [
        ["account", "--help"],
        ["sandbox", "--help"],
        ["exporter", "--help"],
    ] {
        let h = help(&args);
        for flag in ["--mouse", "--bell", "--poll-interval"] {
            assert!(!h.contains(flag), "{args:?} offers {flag}");
        }
    }
    for args in [vec!["--help"], vec!["demo", "--help"]] {
        let h = help(&args);
        assert!(
            h.contains("--mouse") && h.contains("--poll-interval"),
            "{args:?}"
        );
    }
}

/// CPU ticks (user + system) a process has used, from /proc.
#[cfg(target_os = "linux")]
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = after.split_whitespace().collect();
    f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()
}

#[cfg(target_os = "linux")]
#[test]
fn out_of_file_descriptors_the_sandbox_waits_instead_of_spinning() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    // Few descriptors: the connections below exhaust them, and accept() fails with EMFILE.
    let mut child = std::process::Command::new("sh")
        .args([
            "-c",
            &format!(
                "ulimit -n 48 && exec {} sandbox --listen {addr}",
                env!("CARGO_BIN_EXE_brandlink")
            ),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut conns = Vec::new();
    for _ in 0..100 {
        if std::net::TcpStream::connect(&addr).is_err() {
            std::thread::sleep(std::time::Duration::from_millis(100));
            continue;
        }
        break;
    }
    for _ in 0..80 {
        if let Ok(c) = std::net::TcpStream::connect(&addr) {
            conns.push(c);
        }
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    let before = cpu_ticks(child.id());
    std::thread::sleep(std::time::Duration::from_secs(2));
    let used = cpu_ticks(child.id()) - before;
    let _ = child.kill();
    let _ = child.wait();
    // A spinning accept loop burns a whole core: ~200 ticks in 2 s.
    assert!(
        used < 60,
        "{used} CPU ticks in 2 s while out of descriptors"
    );
}

#[tokio::test]
async fn completions_and_man_pages_come_from_the_command_definition() {
    for (shell, marker) in [
        ("bash", "_brandlink()"),
        ("zsh", "#compdef brandlink"),
        ("fish", "complete -c brandlink"),
    ] {
        let mut c = cmd();
        c.args(["completions", shell]);
        let out = run(c).await;
        assert!(out.status.success(), "{shell}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains(marker), "{shell}: {text}");
        assert!(
            text.contains("record-queued"),
            "{shell} completes the flags"
        );
    }
    let mut c = cmd();
    c.arg("man");
    let out = run(c).await;
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with(".ie"));
    let dir = tempfile::tempdir().unwrap();
    let mut c = cmd();
    c.args(["man", "--dir", dir.path().to_str().unwrap()]);
    assert!(run(c).await.status.success());
    for page in [
        "brandlink.1",
        "brandlink-upgrade.1",
        "brandlink-account-migrate.1",
    ] {
        let text = std::fs::read_to_string(dir.path().join(page)).unwrap();
        assert!(text.contains(".TH"), "{page}");
    }
    // No author is needed (nor a password).
    let mut c = assert_cmd::Command::cargo_bin("brandlink").unwrap();
    c.args(["completions", "bash"]).env_remove("AEM_PASSWORD");
    assert!(run(c).await.status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watch_that_ends_on_failing_polls_fails() {
    use std::io::BufRead;
    let e = common::start(Scenario::Configured).await;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_brandlink"))
        .args([
            "--url",
            &e.base,
            "--timeout",
            "2",
            "queues",
            "--watch",
            "--interval",
            "1",
            "--polls",
            "4",
        ])
        .env("AEM_PASSWORD", "admin")
        .env("XDG_CONFIG_HOME", "/nonexistent-brandlink-test")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The first table is out: AEM goes away for the polls that follow.
    let mut first = String::new();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    tokio::task::block_in_place(|| stdout.read_line(&mut first)).unwrap();
    assert!(first.contains("total pending"), "{first}");
    e.set_faults(serde_json::json!({"unavailable": true})).await;
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("the last poll could not read every queue"),
        "{err}"
    );
}
