//! The replay of a support bundle, for every scenario and every mishap of the sandbox: a bundle
//! recorded from a live author replays to the same doctor's findings (ids and statuses); each
//! committed bundle under `tests/fixtures/bundles/` replays to the findings stored beside it;
//! and a bundle recorded long ago replays as its author looked then, its certificates no
//! nearer their end. `BRANDLINK_RECORD_FIXTURES=1 cargo test --test replay` records the
//! committed bundles again (see `tests/fixtures/bundles/README.md`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test may stop at what it did not expect

mod common;

use brandlink::sandbox::server::lock;
use brandlink::sandbox::{Mishap, Recorded, SandboxConfig, Scenario};
use brandlink::setup::bundle::archive;
use common::Cli;
use futures::StreamExt;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// How many cases run at once: enough to overlap their waits, few enough for two busy cores.
const AT_ONCE: usize = 4;
/// The fixture recorded as if long ago, and how long ago.
const LONG_AGO: &str = "configured_recorded_long_ago";
const LONG_AGO_DAYS: i64 = 1000;

type Findings = Vec<(String, String)>;

/// One author to record: a scenario as it starts, or a configured author with one mishap.
#[derive(Clone, Debug)]
struct Case {
    name: String,
    scenario: Scenario,
    mishaps: Vec<Mishap>,
}

/// Every scenario, and every mishap on a configured author (the enums' own lists, so a new
/// one is a new case).
fn cases() -> Vec<Case> {
    let scenarios = Scenario::ALL.iter().map(|s| Case {
        name: s.name().to_string(),
        scenario: *s,
        mishaps: vec![],
    });
    let mishaps = Mishap::ALL.iter().map(|m| Case {
        name: m.name(),
        scenario: Scenario::Configured,
        mishaps: vec![*m],
    });
    scenarios.chain(mishaps).collect()
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bundles")
}

fn recording() -> bool {
    std::env::var_os("BRANDLINK_RECORD_FIXTURES").is_some_and(|v| v == "1")
}

/// Runs `f` over `items`, a few at once; every failure is reported, not only the first.
async fn each<T, F, Fut>(items: Vec<T>, f: F)
where
    F: Fn(T) -> Fut,
    Fut: std::future::Future<Output = Result<(), String>>,
{
    let failures: Vec<String> = futures::stream::iter(items)
        .map(f)
        .buffer_unordered(AT_ONCE)
        .filter_map(|r| async move { r.err() })
        .collect()
        .await;
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

fn ids(v: &Value) -> Findings {
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

fn expected_json(f: &Findings) -> String {
    let list: Vec<Value> = f
        .iter()
        .map(|(id, status)| serde_json::json!({"id": id, "status": status}))
        .collect();
    serde_json::to_string_pretty(&list).unwrap() + "\n"
}

fn read_expected(path: &Path) -> Result<Findings, String> {
    let text = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let v: Vec<Value> = serde_json::from_slice(&text).map_err(|e| e.to_string())?;
    Ok(v.iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap_or_default().to_string(),
                f["status"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect())
}

/// The findings of `doctor --no-test` on the author `record` describes, served by a sandbox.
async fn replay_findings(record: &[u8]) -> Findings {
    let recorded = Recorded::from_json(record).expect("a replay record");
    let e = common::start_with(SandboxConfig {
        recorded: Some(recorded),
        ..common::config(Scenario::Fresh)
    })
    .await;
    let (_, v) = Cli::new(&e).json(&["doctor", "--no-test"], &[]).await;
    ids(&v)
}

/// Starts the case's author and waits until it shows what it is meant to.
async fn live(case: &Case) -> common::Env {
    let e = common::start_with(SandboxConfig {
        mishaps: case.mishaps.clone(),
        ..common::config(case.scenario)
    })
    .await;
    if case.scenario == Scenario::JwtRetired {
        // Recorded once IMS has refused the JWT and the queues block.
        let w = e.sb.world();
        common::eventually(30, "a blocked queue", || {
            let blocked = lock(&w).agents.values().any(|r| r.is_blocked());
            async move { blocked.then_some(()) }
        })
        .await;
    }
    e
}

/// Records a bundle of the case's live author (no Test Connection) and replays it.
async fn record_and_replay(case: Case) -> Result<(), String> {
    let e = live(&case).await;
    let cli = Cli::new(&e);
    let path = cli.xdg.path().join(format!("{}.tar.gz", case.name));
    let out = path.to_string_lossy().into_owned();
    let (code, v) = cli
        .json(&["support-bundle", "--no-test", "--out", &out], &[])
        .await;
    if code != 0 {
        return Err(format!("{}: support-bundle failed: {v:#}", case.name));
    }
    let files = archive::read(&path).map_err(|e| e.to_string())?;
    // The bundle's doctor report is of the very read its replay record holds (a live queue
    // moves on meanwhile).
    let original = ids(&serde_json::from_slice(&files["doctor.json"]).unwrap());
    let replayed = replay_findings(&files["replay.json"]).await;
    if original != replayed {
        return Err(format!(
            "{}: the replay's findings differ\n  original {original:?}\n  replayed {replayed:?}",
            case.name
        ));
    }
    if recording() {
        std::fs::copy(&path, fixtures().join(format!("{}.tar.gz", case.name))).unwrap();
        std::fs::write(
            fixtures().join(format!("{}.expected.json", case.name)),
            expected_json(&original),
        )
        .unwrap();
        if case.name == "configured" {
            write_long_ago(&files, &original);
        }
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_and_mishap_replays_to_the_same_findings() {
    let cases = cases();
    assert_eq!(cases.len(), Scenario::ALL.len() + Mishap::ALL.len());
    each(cases, record_and_replay).await;
}

/// The committed bundles (`<name>.tar.gz` with `<name>.expected.json`).
fn fixture_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(fixtures())
        .unwrap()
        .filter_map(|e| {
            let name = e.ok()?.file_name().to_str()?.to_string();
            name.strip_suffix(".tar.gz").map(str::to_string)
        })
        .collect();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_committed_bundle_replays_to_its_recorded_findings() {
    let names = fixture_names();
    let missing: Vec<String> = cases()
        .into_iter()
        .map(|c| c.name)
        .filter(|n| !names.contains(n))
        .collect();
    assert!(
        missing.is_empty() || recording(),
        "no committed bundle for {missing:?}: record them with BRANDLINK_RECORD_FIXTURES=1 cargo test --test replay (tests/fixtures/bundles/README.md)"
    );
    each(names, |name| async move {
        let bundle = fixtures().join(format!("{name}.tar.gz"));
        let expected = read_expected(&fixtures().join(format!("{name}.expected.json")))
            .map_err(|e| format!("{name}: its expected findings: {e}"))?;
        let record = archive::replay_json(&bundle).map_err(|e| format!("{name}: {e}"))?;
        let replayed = replay_findings(&record).await;
        if replayed != expected {
            return Err(format!(
                "fixture {name}: the replay's findings differ\n  expected {expected:?}\n  replayed {replayed:?}"
            ));
        }
        Ok(())
    })
    .await;
}

/// Moves a keystore date `days` back (`Tue Jun 04 10:01:02 UTC 2019`, as the sandbox writes).
fn days_back(date: &str, days: i64) -> String {
    let t = chrono::NaiveDateTime::parse_from_str(date, "%a %b %d %H:%M:%S UTC %Y")
        .unwrap_or_else(|e| panic!("{date}: {e}"));
    (t - chrono::Duration::days(days))
        .format("%a %b %d %H:%M:%S UTC %Y")
        .to_string()
}

/// Every certificate of every keystore of a record.
fn certificates(record: &mut Value) -> Vec<&mut serde_json::Map<String, Value>> {
    let mut users: Vec<&mut Value> = vec![];
    let Value::Object(r) = record else {
        return vec![];
    };
    for (k, v) in r.iter_mut() {
        match (k.as_str(), v) {
            ("serviceUser", u @ Value::Object(_)) => users.push(u),
            ("macUsers", Value::Array(list)) => users.extend(list.iter_mut()),
            _ => {}
        }
    }
    users
        .into_iter()
        .filter_map(|u| u.get_mut("keystore")?.get_mut("aliases")?.as_array_mut())
        .flatten()
        .filter_map(|a| a.get_mut("chain")?.as_array_mut())
        .flatten()
        .filter_map(Value::as_object_mut)
        .collect()
}

/// The configured bundle as if it had been recorded `LONG_AGO_DAYS` ago: its capture time and
/// every absolute date moved back by as much (what it holds relative to the capture stays).
fn write_long_ago(files: &BTreeMap<String, Vec<u8>>, findings: &Findings) {
    let back = chrono::Duration::days(LONG_AGO_DAYS);
    let mut record: Value = serde_json::from_slice(&files["replay.json"]).unwrap();
    let captured = chrono::DateTime::parse_from_rfc3339(record["capturedAt"].as_str().unwrap())
        .unwrap()
        - back;
    record["capturedAt"] = Value::String(captured.to_rfc3339());
    for cert in certificates(&mut record) {
        for k in ["notBefore", "notAfter"] {
            let moved = days_back(cert[k].as_str().unwrap(), LONG_AGO_DAYS);
            cert.insert(k.into(), Value::String(moved));
        }
    }
    let mut manifest: Value = serde_json::from_slice(&files["manifest.json"]).unwrap();
    manifest["createdAt"] = Value::String(captured.to_rfc3339());
    let mut out: Vec<(String, Vec<u8>)> =
        files.iter().map(|(n, b)| (n.clone(), b.clone())).collect();
    for (name, bytes) in &mut out {
        match name.as_str() {
            "replay.json" => *bytes = serde_json::to_vec_pretty(&record).unwrap(),
            "manifest.json" => *bytes = serde_json::to_vec_pretty(&manifest).unwrap(),
            _ => {}
        }
    }
    let gz = archive::write(&out).unwrap();
    std::fs::write(fixtures().join(format!("{LONG_AGO}.tar.gz")), gz).unwrap();
    std::fs::write(
        fixtures().join(format!("{LONG_AGO}.expected.json")),
        expected_json(findings),
    )
    .unwrap();
}

/// A bundle recorded long ago: served as its dates were written, its certificate would have
/// expired since; its replay looks as the author did when it was recorded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bundle_recorded_long_ago_replays_as_its_author_was_then() {
    let bundle = fixtures().join(format!("{LONG_AGO}.tar.gz"));
    let json = archive::replay_json(&bundle).expect("the fixture recorded long ago");
    let mut record: Value = serde_json::from_slice(&json).unwrap();
    let captured =
        chrono::DateTime::parse_from_rfc3339(record["capturedAt"].as_str().unwrap()).unwrap();
    let age = chrono::Utc::now().signed_duration_since(captured);
    assert!(age.num_days() >= 365, "captured {age:?} ago");
    // As written, the certificate's end is past: a replay serving it so would find it expired.
    let certs = certificates(&mut record);
    assert!(!certs.is_empty());
    for c in certs {
        let end = chrono::NaiveDateTime::parse_from_str(
            c["notAfter"].as_str().unwrap(),
            "%a %b %d %H:%M:%S UTC %Y",
        )
        .unwrap();
        assert!(end < chrono::Utc::now().naive_utc(), "{c:?}");
        assert!(c["notAfterInSecs"].as_i64().unwrap() > 0, "{c:?}");
    }
    let expected = read_expected(&fixtures().join(format!("{LONG_AGO}.expected.json"))).unwrap();
    let replayed = replay_findings(&json).await;
    assert_eq!(replayed, expected);
    let certificate = |f: &Findings| {
        f.iter()
            .find(|(id, _)| id == "jwt.certificate")
            .map(|(_, s)| s.clone())
    };
    assert_eq!(
        certificate(&replayed).as_deref(),
        Some("ok"),
        "{replayed:?}"
    );
    // Without the dates relative to the capture, the same record replays expired.
    let mut absolute = record.clone();
    for c in certificates(&mut absolute) {
        c.remove("notBeforeInSecs");
        c.remove("notAfterInSecs");
    }
    let stale = replay_findings(&serde_json::to_vec(&absolute).unwrap()).await;
    assert_eq!(certificate(&stale).as_deref(), Some("fail"), "{stale:?}");
}
