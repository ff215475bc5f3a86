//! The Felix console's status endpoints: the bundle list (`bundles.json`), the product info,
//! and Felix Health Checks (`/system/health.json`), which AEM 6.5 LTS serves and a 6.5 author
//! without a health check add-on does not (404). Mishaps change a bundle's state or version
//! (`World::bundle_overrides`); the health checks follow the bundles and the queues.

use super::http::{self, Request, Response};
use super::state::World;
use serde_json::{Value as Json, json};

const BUNDLES: &[(&str, &str, &str)] = &[
    ("System Bundle", "org.apache.felix.framework", "6.0.3"),
    ("Apache Sling API", "org.apache.sling.api", "2.22.0"),
    (
        "Apache Sling Servlets Post",
        "org.apache.sling.servlets.post",
        "2.3.34",
    ),
    (
        "Apache Sling Security",
        "org.apache.sling.security",
        "1.1.22",
    ),
    (
        "Apache Jackrabbit Oak Core",
        "org.apache.jackrabbit.oak-core",
        "1.22.15",
    ),
    (
        "Day Communique 5 Replication",
        "com.day.cq.cq-replication",
        "6.4.90",
    ),
    (
        "Adobe Granite Replication Core",
        "com.adobe.granite.replication.core",
        "6.4.52",
    ),
    (
        "Adobe Granite Crypto Support",
        "com.adobe.granite.crypto",
        "3.5.30",
    ),
    (
        "Adobe Granite Crypto Keystore",
        "com.adobe.granite.crypto.keystore",
        "3.0.18",
    ),
    (
        "Adobe Granite Keystore",
        "com.adobe.granite.keystore",
        "0.0.12",
    ),
    (
        "Adobe Granite OAuth Server/Client",
        "com.adobe.granite.oauth.server",
        "1.1.30",
    ),
    (
        "Adobe Granite OAuth Access Token Provider",
        "com.adobe.granite.auth.oauth",
        "1.4.10",
    ),
    (
        "Adobe Granite Auth IMS",
        "com.adobe.granite.auth.ims",
        "1.1.26",
    ),
    ("Adobe IMS Configuration", IMS_CORE, "1.1.26"),
    ("Adobe CQ DAM Core", "com.day.cq.dam.cq-dam-core", "5.13.90"),
    (
        "Adobe CQ DAM MediaPortal",
        "com.day.cq.dam.cq-dam-mac-sync",
        "2.2.74",
    ),
    (
        "Adobe Granite CSRF Protection",
        "com.adobe.granite.csrf",
        "1.0.22",
    ),
];

/// The Adobe IMS bundle whose version decides OAuth support.
pub const IMS_CORE: &str = "com.adobe.cq.adobeims.core";
/// The keystore bundle an in-place upgrade to 6.5 LTS SP3 leaves Installed.
pub const CRYPTO_KEYSTORE: &str = "com.adobe.granite.crypto.keystore";
/// What replication to Brand Portal needs (the delivery engine stops without them).
pub const REPLICATION_NEEDS: &[&str] = &[
    "com.adobe.granite.crypto",
    CRYPTO_KEYSTORE,
    "com.adobe.granite.keystore",
    "com.day.cq.cq-replication",
    "com.adobe.granite.replication.core",
    "com.day.cq.dam.cq-dam-mac-sync",
];

/// A bundle's version on this author (LTS ships newer ones).
fn version_of(w: &World, sym: &str, default: &str) -> String {
    let lts = w.cfg.lts();
    match sym {
        // Adobe IMS support: adobeims.core reaches 1.1.26 with SP21 (and LTS) or the hotfix.
        IMS_CORE => {
            let current = w.cfg.version_numbers() >= vec![6, 5, 21];
            if current || w.cfg.ims_hotfix {
                "1.1.26"
            } else {
                "1.1.18"
            }
        }
        CRYPTO_KEYSTORE if lts => "4.0.24",
        "com.adobe.granite.crypto" if lts => "3.5.40",
        "org.apache.jackrabbit.oak-core" if lts => "1.68.0",
        _ => default,
    }
    .to_string()
}

/// The bundle's state and version now: (Felix state name, stateRaw, version).
fn bundle_state(w: &World, i: usize, sym: &str, default: &str) -> (String, u32, String) {
    let version = version_of(w, sym, default);
    if let Some((state, v)) = w.bundle_overrides.get(sym) {
        return (
            state.clone(),
            state_raw(state),
            v.clone().unwrap_or(version),
        );
    }
    if w.faults.unavailable && i % 4 == 3 {
        ("Resolved".into(), 4, version)
    } else {
        ("Active".into(), 32, version)
    }
}

/// Whether a bundle is Active now.
pub fn active(w: &World, sym: &str) -> bool {
    w.bundle_overrides
        .get(sym)
        .is_none_or(|(state, _)| state == "Active")
}

/// The first bundle replication needs that is not Active.
pub fn replication_blocked_by(w: &World) -> Option<&'static str> {
    REPLICATION_NEEDS.iter().copied().find(|s| !active(w, s))
}

/// Whether the emulated author has this bundle of its own.
pub fn has_bundle(sym: &str) -> bool {
    BUNDLES.iter().any(|(_, s, _)| *s == sym)
}

/// Felix's `stateRaw` of a state name.
fn state_raw(state: &str) -> u32 {
    match state {
        "Installed" => 2,
        "Resolved" | "Fragment" => 4,
        _ => 32,
    }
}

/// `GET /system/console/bundles.json`.
pub fn bundles(w: &World) -> Response {
    let mut data: Vec<Json> = BUNDLES
        .iter()
        .enumerate()
        .map(|(i, (name, sym, ver))| {
            let (state, raw, ver) = bundle_state(w, i, sym, ver);
            json!({"id": i, "name": name, "fragment": false, "stateRaw": raw, "state": state,
                   "version": ver, "symbolicName": sym, "category": ""})
        })
        .collect();
    // A replay's bundles the emulated author does not have of its own.
    let recorded = w.replay.iter().flat_map(|r| &r.bundles);
    for (i, b) in (BUNDLES.len()..).zip(recorded) {
        data.push(
            json!({"id": i, "name": b.name, "fragment": b.state == "Fragment",
               "stateRaw": state_raw(&b.state), "state": b.state, "version": b.version,
               "symbolicName": b.symbolic_name, "category": ""}),
        );
    }
    let total = data.len();
    let count = |raw: u32| data.iter().filter(|b| b["stateRaw"] == raw).count();
    let (active, resolved, installed) = (count(32), count(4), count(2));
    let status = if active == total {
        format!("Bundle information: {total} bundles in total - all {total} bundles active.")
    } else {
        format!(
            "Bundle information: {total} bundles in total, {active} bundles active, {resolved} bundles resolved, {installed} bundles installed."
        )
    };
    http::json(
        200,
        &json!({"status": status, "s": [total, active, 0, resolved, installed], "data": data}),
    )
}

pub fn product_info(w: &World) -> Response {
    let oak = if w.cfg.lts() { "1.68.0" } else { "1.22.15" };
    http::json(
        200,
        &json!([
            format!("Adobe Experience Manager ({})", w.cfg.product_version),
            "Apache Sling",
            format!("Apache Jackrabbit Oak {oak}")
        ]),
    )
}

/// The Java version the author runs on (LTS: Java 21; 6.5: Java 11).
pub fn java_version(w: &World) -> (&'static str, &'static str) {
    if w.cfg.lts() {
        ("21.0.4", "21")
    } else {
        ("11.0.24", "11")
    }
}

/// One health check: name, tags, status and message.
struct Check {
    name: &'static str,
    tags: &'static [&'static str],
    status: &'static str,
    message: String,
}

fn checks(w: &World) -> Vec<Check> {
    let forced = |name: &str| {
        w.faults
            .failing_health_checks
            .iter()
            .any(|f| f.eq_ignore_ascii_case(name))
    };
    let mut out = vec![
        Check {
            name: "Replication Agents",
            tags: &["replication"],
            status: "OK",
            message: format!("{} agents configured", w.agent_ids().len()),
        },
        Check {
            name: "Keystore",
            tags: &["security", "keystore"],
            status: "OK",
            message: "the Granite keystore service is available".into(),
        },
        Check {
            name: "Adobe IMS Configuration",
            tags: &["security", "ims"],
            status: "OK",
            message: "IMS configuration service available".into(),
        },
        Check {
            name: "Disk Space",
            tags: &["system", "diskspace"],
            status: "WARN",
            message: "the repository disk is 82% full".into(),
        },
        Check {
            name: "Sling Jobs",
            tags: &["system", "jobs"],
            status: "OK",
            message: "no job queue is stuck".into(),
        },
    ];
    if let Some(sym) = replication_blocked_by(w) {
        for c in out
            .iter_mut()
            .filter(|c| c.name != "Disk Space" && c.name != "Sling Jobs")
        {
            if c.name == "Adobe IMS Configuration" {
                continue;
            }
            c.status = "CRITICAL";
            c.message = format!("bundle {sym} is not active");
        }
    }
    for c in out.iter_mut().filter(|c| forced(c.name)) {
        c.status = "CRITICAL";
        c.message = format!("{} failed (fault)", c.name);
    }
    out
}

/// `GET /system/health.json?tags=a,b&combineTagsOr=true`: the checks with any (or, without
/// `combineTagsOr`, all) of the tags; every check without tags. 404 where the author serves
/// no health checks (AEM 6.5 without an add-on).
pub fn health(w: &World, req: &Request) -> Response {
    if !w.cfg.lts() || w.faults.health_checks_missing {
        return http::error_page(404, "Not Found: /system/health.json");
    }
    let tags: Vec<String> = req
        .params
        .get("tags")
        .map(|t| {
            t.split(',')
                .map(|s| s.trim().to_ascii_lowercase())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let or = req.params.get("combineTagsOr").is_some_and(|v| v == "true");
    let wanted = |c: &Check| {
        tags.is_empty()
            || if or {
                tags.iter().any(|t| c.tags.contains(&t.as_str()))
            } else {
                tags.iter().all(|t| c.tags.contains(&t.as_str()))
            }
    };
    let rank = |s: &str| match s {
        "OK" => 0,
        "WARN" => 1,
        _ => 2,
    };
    let picked: Vec<Check> = checks(w).into_iter().filter(|c| wanted(c)).collect();
    let overall = picked
        .iter()
        .map(|c| c.status)
        .max_by_key(|s| rank(s))
        .unwrap_or("OK");
    let finished = chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.3f")
        .to_string();
    let results: Vec<Json> = picked
        .iter()
        .map(|c| {
            json!({"name": c.name, "status": c.status, "timeInMs": 2, "finishedAt": finished,
                   "tags": c.tags, "messages": [{"status": c.status, "message": c.message}]})
        })
        .collect();
    http::json(
        if rank(overall) == 2 { 503 } else { 200 },
        &json!({"overallResult": overall, "results": results}),
    )
}
