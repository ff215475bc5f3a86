//! The author's logs over HTTP in both dialects: agent logs and Test Connection transcripts,
//! error.log through the Sling log tailer, the System Properties dump's time zone; and the
//! corpus of log lines the log interpreter is built against.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test may stop at what it did not expect

mod common;

use brandlink::sandbox::logs::{AgentLine, LogDialect};
use brandlink::sandbox::{Mishap, SandboxConfig, Scenario};
use common::*;
use serde_json::{Value, json};

const ERROR_LOG: &str = "%2Flogs%2Ferror.log";

fn cfg(scenario: Scenario, dialect: LogDialect, mishaps: &[Mishap]) -> SandboxConfig {
    SandboxConfig {
        log_dialect: dialect,
        mishaps: mishaps.to_vec(),
        ..config(scenario)
    }
}

/// `tailer.txt` as admin: status and body.
async fn tailer(e: &Env, query: &str) -> (u16, String) {
    let r = e
        .get(&format!("/system/console/slinglog/tailer.txt?{query}"))
        .send()
        .await
        .expect("tailer");
    let status = r.status().as_u16();
    (status, r.text().await.expect("tailer body"))
}

async fn test_connection(e: &Env, agent: &str) -> String {
    e.text(&format!("/etc/replication/agents.author/{agent}.test.html"))
        .await
}

async fn agent_log(e: &Env, agent: &str) -> String {
    e.text(&format!("/etc/replication/agents.author/{agent}.log.html"))
        .await
}

/// The first `dd.MM.yyyy HH:mm:ss` stamp in `text`, as minutes ahead of UTC now.
fn stamp_offset_minutes(text: &str) -> i64 {
    let now = chrono::Utc::now().naive_utc();
    let bytes = text.as_bytes();
    for i in 0..text.len().saturating_sub(19) {
        if !text.is_char_boundary(i) || !text.is_char_boundary(i + 19) {
            continue;
        }
        if bytes[i + 2] != b'.' || bytes[i + 5] != b'.' {
            continue;
        }
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(&text[i..i + 19], "%d.%m.%Y %H:%M:%S")
        {
            let secs = (t - now).num_seconds();
            // Round to the nearest quarter hour: the line was written moments ago.
            return ((secs as f64 / 900.0).round() as i64) * 15;
        }
    }
    panic!("no timestamp in {text}");
}

#[tokio::test]
async fn terse_keeps_the_token_failure_out_of_the_agent_log() {
    let e = start_with(cfg(
        Scenario::Configured,
        LogDialect::Terse,
        &[Mishap::WrongSecret],
    ))
    .await;
    let agent = e.bp_agents().await.remove(0);
    let page = test_connection(&e, &agent).await;
    assert!(!page.contains("AccessTokenProvider"), "{page}");
    assert!(!page.contains("Replication test succeeded"), "{page}");
    assert!(
        page.contains("&lt;&lt; HTTP/1.1 401 Unauthorized"),
        "{page}"
    );
    assert!(page.contains("Request failed with HTTP 401"), "{page}");
    assert!(!page.contains("sent. Response"), "{page}");
    assert_eq!(stamp_offset_minutes(&page), 330, "Asia/Kolkata: {page}");
    let log = agent_log(&e, &agent).await;
    assert!(!log.contains("AccessTokenProvider"), "{log}");
    assert!(log.contains("Connection test requested for"), "{log}");
    assert!(log.contains("&lt;&lt; HTTP/1.1 401 Unauthorized"), "{log}");

    let (status, errors) = tailer(
        &e,
        &format!("tail=10&grep=AccessTokenProvider&name={ERROR_LOG}"),
    )
    .await;
    assert_eq!(status, 200);
    let lines: Vec<&str> = errors.lines().collect();
    assert_eq!(lines.len(), 1, "{errors}");
    let line = lines[0];
    assert!(line.contains(" *ERROR* ["), "{line}");
    assert!(line.contains("status: 401 response: {"), "{line}");
    assert!(line.ends_with("\"error\":\"invalid_client\"}"), "{line}");
    assert!(!line.contains("failed to get access token"), "{line}");
    assert_eq!(stamp_offset_minutes(line), 330, "{line}");

    let props = e
        .text("/system/console/status-System%20Properties.txt")
        .await;
    assert!(
        props.contains("\nuser.timezone = Asia/Kolkata\n"),
        "{props}"
    );
    assert!(props.contains("\njava.version = "), "{props}");
}

#[tokio::test]
async fn classic_output_is_unchanged_and_error_log_has_the_failure_too() {
    let e = start_with(cfg(
        Scenario::Configured,
        LogDialect::Classic,
        &[Mishap::WrongSecret],
    ))
    .await;
    let agent = e.bp_agents().await.remove(0);
    let page = test_connection(&e, &agent).await;
    assert!(
        page.contains(" - com.adobe.granite.auth.oauth.AccessTokenProvider failed to get access token from authorization server status: 401 response: {"),
        "{page}"
    );
    assert!(
        page.contains(" - * No access token: sending the request without authorization<br>"),
        "{page}"
    );
    assert!(
        page.contains(" - sent. Response: 401 Unauthorized<br>"),
        "{page}"
    );
    assert!(
        page.contains(
            " - Transfer failed for ReplicationAction{type=TEST, path[0]=&#39;/content/dam&#39;"
        ),
        "{page}"
    );
    assert!(page.contains(" - Error while replicating: com.day.cq.replication.ReplicationException: Transfer failed for ReplicationAction{type=TEST"), "{page}");
    assert_eq!(stamp_offset_minutes(&page), 0, "UTC: {page}");
    let log = agent_log(&e, &agent).await;
    assert!(log.contains(" - Replication test to https://"), "{log}");
    assert!(
        log.contains(" - com.adobe.granite.auth.oauth.AccessTokenProvider failed"),
        "{log}"
    );

    let (status, errors) = tailer(
        &e,
        &format!("tail=-1&grep=AccessTokenProvider&name={ERROR_LOG}"),
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        errors.contains(" *ERROR* [127.0.0.1 [") && errors.contains("com.adobe.granite.auth.oauth.AccessTokenProvider failed to get access token from authorization server status: 401 response: {"),
        "{errors}"
    );
    let props = e
        .text("/system/console/status-System%20Properties.txt")
        .await;
    assert!(props.contains("\nuser.timezone = UTC\n"), "{props}");

    // A healthy author in classic: the transcript reads as it always has.
    let e = start_with(cfg(Scenario::Configured, LogDialect::Classic, &[])).await;
    let agent = e.bp_agents().await.remove(0);
    let page = test_connection(&e, &agent).await;
    for l in [
        " - Create new HttpClient for Brand Portal Replication Agent",
        " - * HTTP Version: 1.1<br>",
        " - * Bearer token from the access token provider of /conf/global/settings/cloudconfigs/mediaportal/",
        " - adding header: Action:Test<br>",
        " - deserialize content for delivery<br>",
        " - No message body: Content ReplicationContent.VOID is empty<br>",
        " - sent. Response: 200 OK<br>",
        " - ------------------------------------------------<br>",
        " - &lt;&lt; ReplicationAction TEST ok.<br>",
        " - Message sent.<br>",
        " - Replication (TEST) of /content/dam successful.<br>",
        "<strong>Replication test succeeded</strong>",
    ] {
        assert!(page.contains(l), "{l} missing from {page}");
    }
    assert!(!page.contains("Transfer succeeded in"), "{page}");
}

#[tokio::test]
async fn terse_deliveries_and_failures() {
    let e = start_with(cfg(Scenario::Configured, LogDialect::Terse, &[])).await;
    let agents = e.bp_agents().await;
    let agent = agents[0].clone();
    let page = test_connection(&e, &agent).await;
    assert!(
        page.contains("<strong>Replication test succeeded</strong>"),
        "{page}"
    );
    assert!(page.contains(" - Transfer succeeded in "), "{page}");
    assert!(
        page.contains(" ms for ReplicationAction{type=TEST, path[0]=&#39;/content/dam&#39;"),
        "{page}"
    );
    assert!(
        page.contains(" - &gt;&gt; Authorization: Bearer ********<br>"),
        "{page}"
    );
    assert!(!page.contains("sent. Response"), "{page}");

    let r = e
        .post("/sandbox/publish")
        .form(&[("count", "4")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let log = eventually(20, "a delivered asset in the agent log", || async {
        let log = agent_log(&e, &agent).await;
        log.contains("ms for ReplicationAction{type=ACTIVATE")
            .then_some(log)
    })
    .await;
    assert!(!log.contains("Replication (ACTIVATE)"), "{log}");

    // A tenant that does not answer in time.
    e.set_faults(json!({"tenant_timeout": true})).await;
    let page = test_connection(&e, &agent).await;
    assert!(
        page.contains(": java.net.SocketTimeoutException: Read timed out<br>"),
        "{page}"
    );
    assert!(page.contains(" - com.day.cq.replication.ReplicationException: Replication action TEST of /content/dam failed<br>"), "{page}");
    // An outage: the status line and the failure name the status.
    e.set_faults(json!({"tenant_timeout": false, "tenant_outage": true}))
        .await;
    let page = test_connection(&e, &agent).await;
    assert!(
        page.contains(" - &lt;&lt; HTTP/1.1 503 Service Unavailable<br>"),
        "{page}"
    );
    assert!(
        page.contains(" - Request failed with HTTP 503<br>"),
        "{page}"
    );

    // Queue commands.
    let r = e
        .post(&format!(
            "/etc/replication/agents.author/{agent}/jcr:content.queue.json"
        ))
        .form(&[("cmd", "pause"), ("name", agent.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        agent_log(&e, &agent)
            .await
            .contains(" - Queue processing suspended")
    );
}

#[tokio::test]
async fn impersonation_failures_reach_error_log_in_both_dialects() {
    for (dialect, wording) in [
        (
            LogDialect::Classic,
            "LoginException: Unable to impersonate user mac-",
        ),
        (LogDialect::Terse, "LoginException: impersonation refused"),
    ] {
        let e = start_with(cfg(
            Scenario::Configured,
            dialect,
            &[Mishap::MissingMacUser],
        ))
        .await;
        let agent = e.bp_agents().await.remove(0);
        let page = test_connection(&e, &agent).await;
        assert!(
            page.contains("org.apache.sling.api.resource.LoginException"),
            "{page}"
        );
        let (status, errors) = tailer(&e, &format!("grep=LoginException&name={ERROR_LOG}")).await;
        assert_eq!(status, 200);
        assert!(
            errors.contains(" *ERROR* ") && errors.contains(wording),
            "{dialect:?}: {errors}"
        );
        assert!(
            errors.contains("com.day.cq.replication.impl.ReplicatorImpl"),
            "{errors}"
        );
    }
}

#[tokio::test]
async fn tailer_tail_grep_access_and_faults() {
    let e = start(Scenario::Configured).await;
    // The startup lines.
    let (status, all) = tailer(&e, &format!("tail=-1&name={ERROR_LOG}")).await;
    assert_eq!(status, 200);
    assert_eq!(all.lines().count(), 3, "{all}");
    assert!(
        all.lines()
            .all(|l| l.contains(" *INFO* [FelixDispatchQueue] ")),
        "{all}"
    );
    let (_, last) = tailer(&e, &format!("tail=1&name={ERROR_LOG}")).await;
    assert_eq!(
        last.lines().collect::<Vec<_>>(),
        vec![all.lines().last().unwrap()]
    );
    let (_, none) = tailer(&e, &format!("tail=0&name={ERROR_LOG}")).await;
    assert_eq!(none, "");
    let (_, bundles) = tailer(&e, &format!("tail=10&grep=BundleEvent&name={ERROR_LOG}")).await;
    assert_eq!(bundles.lines().count(), 2, "{bundles}");
    let (_, either) = tailer(
        &e,
        &format!("tail=10&grep=FrameworkEvent%7Ccq-replication&name={ERROR_LOG}"),
    )
    .await;
    assert_eq!(either.lines().count(), 2, "{either}");
    let (_, case) = tailer(&e, &format!("tail=10&grep=bundleevent&name={ERROR_LOG}")).await;
    assert_eq!(case, "", "case-sensitive");
    let (status, _) = tailer(&e, "tail=10&name=%2Flogs%2Fnope.log").await;
    assert_eq!(status, 404);
    let (status, _) = tailer(&e, "tail=abc&name=%2Flogs%2Ferror.log").await;
    assert_eq!(status, 400);

    // Without credentials 401; a user without console rights 403.
    let url = e.url(&format!(
        "/system/console/slinglog/tailer.txt?tail=1&name={ERROR_LOG}"
    ));
    assert_eq!(e.http.get(&url).send().await.unwrap().status(), 401);
    let r = e
        .post("/libs/granite/security/post/authorizables")
        .form(&[
            ("createUser", ""),
            ("authorizableId", "jdoe"),
            ("rep:password", "pw-jdoe"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let as_jdoe = |path: &str| e.http.get(e.url(path)).basic_auth("jdoe", Some("pw-jdoe"));
    assert_eq!(
        as_jdoe(&format!(
            "/system/console/slinglog/tailer.txt?tail=1&name={ERROR_LOG}"
        ))
        .send()
        .await
        .unwrap()
        .status(),
        403
    );
    assert_eq!(
        as_jdoe("/system/console/status-System%20Properties.txt")
            .send()
            .await
            .unwrap()
            .status(),
        403
    );

    // An author without the plugin, and a console that refuses it.
    e.set_faults(json!({"log_tailer_missing": true})).await;
    assert_eq!(tailer(&e, &format!("tail=1&name={ERROR_LOG}")).await.0, 404);
    e.set_faults(json!({"log_tailer_missing": false, "log_tailer_forbidden": true}))
        .await;
    assert_eq!(tailer(&e, &format!("tail=1&name={ERROR_LOG}")).await.0, 403);
    e.reset_faults();
    assert_eq!(tailer(&e, &format!("tail=1&name={ERROR_LOG}")).await.0, 200);
}

#[tokio::test]
async fn dialect_switches_at_run_time() {
    let e = start(Scenario::Configured).await;
    let control = |body: Value| {
        e.http
            .post(e.url("/sandbox/control/dialect"))
            .body(body.to_string())
            .send()
    };
    let zone = || async {
        e.text("/system/console/status-System%20Properties.txt")
            .await
            .lines()
            .find_map(|l| l.strip_prefix("user.timezone = ").map(str::to_string))
            .expect("user.timezone")
    };
    assert_eq!(zone().await, "UTC");
    let r = control(json!({"dialect": "terse"})).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"dialect": "terse"})
    );
    assert_eq!(zone().await, "Asia/Kolkata");
    let got: Value = e
        .http
        .get(e.url("/sandbox/control/dialect"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(got["dialect"], "terse");
    assert_eq!(
        control(json!({"dialect": "chatty"}))
            .await
            .unwrap()
            .status(),
        400
    );
    assert_eq!(e.sb.log_dialect(), LogDialect::Terse);
    e.sb.set_log_dialect(LogDialect::Classic);
    assert_eq!(zone().await, "UTC");
}

// ---- the corpus ----------------------------------------------------------------------------

const EVENTS: &[&str] = &[
    "token-failure",
    "token-obtained",
    "no-token",
    "tenant-answer",
    "network-error",
    "impersonation-failure",
    "keystore-error",
    "ims-config-missing",
    "replication-ok",
    "replication-failed",
    "test-succeeded",
    "queue-paused",
    "queue-resumed",
    "queue-cleared",
    "other",
];
const NETWORK: &[&str] = &["unknown-host", "timeout", "refused", "reset", "tls"];

fn corpus() -> Vec<toml::Table> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/aem-log-lines.toml"
    );
    let text = std::fs::read_to_string(path).expect("the corpus");
    let doc: toml::Table = text.parse().expect("the corpus is TOML");
    doc["line"]
        .as_array()
        .expect("[[line]] tables")
        .iter()
        .map(|l| l.as_table().expect("a table").clone())
        .collect()
}

#[test]
fn corpus_lines_are_well_formed() {
    let lines = corpus();
    assert!(lines.len() >= 60, "only {} lines", lines.len());
    for l in &lines {
        let get = |k: &str| l.get(k).and_then(|v| v.as_str()).unwrap_or("");
        let text = get("text");
        assert!(!text.trim().is_empty(), "empty text: {l:?}");
        let event = get("event");
        assert!(EVENTS.contains(&event), "unknown event {event:?}: {text}");
        assert!(
            ["agent", "test", "error"].contains(&get("log")),
            "log: {text}"
        );
        let source = get("source");
        assert!(
            source == "sandbox classic"
                || source == "sandbox terse"
                || source.starts_with("reference "),
            "source {source:?}: {text}"
        );
        for k in l.keys() {
            assert!(
                [
                    "source", "log", "text", "event", "status", "code", "test", "network"
                ]
                .contains(&k.as_str()),
                "unknown key {k}: {text}"
            );
        }
        if event == "network-error" {
            assert!(NETWORK.contains(&get("network")), "network: {text}");
        } else {
            assert!(l.get("network").is_none(), "network on {event}: {text}");
        }
        if event == "tenant-answer" {
            let s = l
                .get("status")
                .and_then(|v| v.as_integer())
                .expect("status");
            assert!(text.contains(&s.to_string()), "status {s} not in {text}");
        }
        if let Some(code) = l.get("code") {
            assert_eq!(event, "token-failure", "code on {event}: {text}");
            assert!(text.contains(code.as_str().unwrap_or("-")), "{text}");
        }
        if l.contains_key("test") {
            assert!(
                ["replication-ok", "replication-failed"].contains(&event),
                "test on {event}: {text}"
            );
        }
        if event == "replication-ok" {
            assert!(
                l.contains_key("test"),
                "replication-ok without test: {text}"
            );
        }
    }
}

#[test]
fn corpus_holds_every_line_the_sandbox_writes() {
    let lines = corpus();
    let texts = |source: &str, log: &[&str]| -> Vec<String> {
        lines
            .iter()
            .filter(|l| l["source"].as_str() == Some(source))
            .filter(|l| log.contains(&l["log"].as_str().unwrap_or("")))
            .map(|l| l["text"].as_str().unwrap_or("").to_string())
            .collect()
    };
    for (dialect, source) in [
        (LogDialect::Classic, "sandbox classic"),
        (LogDialect::Terse, "sandbox terse"),
    ] {
        let logged = texts(source, &["agent", "test"]);
        let errors = texts(source, &["error"]);
        for sample in AgentLine::samples() {
            if let Some(text) = sample.render(dialect) {
                let tail = format!(" - {text}");
                assert!(
                    logged.iter().any(|l| l.ends_with(&tail)),
                    "{source}: no corpus line ends with {tail:?}"
                );
            }
            if let Some((logger, message)) = sample.error_entry(dialect) {
                let tail = format!("] {logger} {message}");
                assert!(
                    errors.iter().any(|l| l.ends_with(&tail)),
                    "{source}: no error.log line ends with {tail:?}"
                );
            }
        }
    }
}
