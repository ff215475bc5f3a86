//! What the one read gathered, as the bundle's `evidence.json` (every read that failed kept as
//! its error), and as `replay.json`: the sandbox's record of an author (its `Recorded`, a format
//! of its own that brandlink writes without naming the sandbox's types).

use crate::aem::AemError;
use crate::aem::agents::{AgentInfo, TestResult};
use crate::aem::cloud::CloudConfig;
use crate::aem::keystore::KeystoreInfo;
use crate::aem::osgi::prop;
use crate::aem::queue::{Depth, QueueStatus};
use crate::aem::readiness::Readiness;
use crate::aem::users::{BP_SERVICE_USER, UserRef};
use crate::evidence::logs::split_time;
use crate::evidence::{AgentEvidence, AuthType, Entry, Evidence, ImsConfig, LastCheck};
use serde::Serialize;
use serde_json::{Value, json};

/// The replay format the sandbox reads (its `replay::FORMAT`).
pub const REPLAY_FORMAT: &str = "aem-sandbox-replay/1";

/// A read that may have failed.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Read<T> {
    Value(T),
    Error(String),
}

fn read<T: Clone>(r: &Result<T, AemError>) -> Read<T> {
    match r {
        Ok(v) => Read::Value(v.clone()),
        Err(e) => Read::Error(e.to_string()),
    }
}

/// A log line as read, with what it means.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BundleLine {
    pub line: String,
    #[serde(flatten)]
    pub entry: Entry,
}

fn lines(l: &[Entry]) -> Vec<BundleLine> {
    l.iter()
        .map(|e| BundleLine {
            line: e.line.clone(),
            entry: e.clone(),
        })
        .collect()
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BundleAgent {
    pub info: AgentInfo,
    pub queue: Read<QueueStatus>,
    pub depth: Option<Depth>,
    pub log: Read<Vec<BundleLine>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BundleMac {
    pub user: UserRef,
    pub keystore: Read<KeystoreInfo>,
}

/// `evidence.json`: everything the verdicts looked at.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BundleEvidence {
    pub aem_url: String,
    #[serde(serialize_with = "crate::when::json::secs")]
    pub read_at: i64,
    pub readiness: Readiness,
    pub zone: Option<String>,
    pub service_user: Read<Option<String>>,
    pub keystore: Read<Option<KeystoreInfo>>,
    pub ims_configurations: Read<Vec<ImsConfig>>,
    pub cloud_configurations: Read<Vec<CloudConfig>>,
    pub all_agents: Read<Vec<AgentInfo>>,
    pub tenant_url: Option<String>,
    pub agents: Vec<BundleAgent>,
    pub mac_users: Read<Vec<UserRef>>,
    pub macs: Vec<BundleMac>,
    pub error_log: Read<Vec<BundleLine>>,
    pub tests: Vec<Read<TestResult>>,
    pub last_check: Option<LastCheck>,
}

impl BundleEvidence {
    pub fn of(ev: &Evidence) -> Self {
        BundleEvidence {
            aem_url: ev.aem_url.clone(),
            read_at: ev.read_at,
            readiness: ev.readiness.clone(),
            zone: ev.zone.clone(),
            service_user: read(&ev.service_user),
            keystore: read(&ev.keystore),
            ims_configurations: read(&ev.ims),
            cloud_configurations: read(&ev.clouds),
            all_agents: read(&ev.all_agents),
            tenant_url: ev.tenant_url.clone(),
            agents: ev.agents.iter().map(agent).collect(),
            mac_users: read(&ev.mac_users),
            macs: ev
                .macs
                .iter()
                .map(|m| BundleMac {
                    user: m.user.clone(),
                    keystore: read(&m.keystore),
                })
                .collect(),
            error_log: match &ev.error_log {
                Ok(l) => Read::Value(lines(l)),
                Err(e) => Read::Error(e.to_string()),
            },
            tests: ev.test.iter().chain(&ev.more_tests).map(read).collect(),
            last_check: ev.last_check.clone(),
        }
    }
}

fn agent(a: &AgentEvidence) -> BundleAgent {
    BundleAgent {
        info: a.info.clone(),
        queue: read(&a.queue),
        depth: a.depth,
        log: match &a.log {
            Ok(l) => Read::Value(lines(l)),
            Err(e) => Read::Error(e.to_string()),
        },
    }
}

/// A line as the replay keeps it: its text after the stamp, and the stamp's age.
fn replay_line(line: &str, at: Option<i64>, read_at: i64) -> Value {
    let (time, _) = split_time(line);
    let text = match time {
        Some(_) => rest_after_stamp(line.trim()),
        None => line.trim().to_string(),
    };
    json!({"ageMs": at.map(|a| (read_at - a) * 1000), "text": text})
}

/// `dd.MM.yyyy HH:mm:ss[.SSS] [- ]rest` → `rest` (level and thread kept).
fn rest_after_stamp(line: &str) -> String {
    let mut rest = line.get(19..).unwrap_or_default();
    if let Some(r) = rest.strip_prefix('.') {
        let digits = r.bytes().take_while(u8::is_ascii_digit).count();
        rest = &r[digits..];
    }
    let rest = rest.trim_start();
    rest.strip_prefix("- ").unwrap_or(rest).to_string()
}

fn entries_json(l: &[Entry], read_at: i64) -> Vec<Value> {
    l.iter()
        .filter(|e| !matches!(e.source, crate::evidence::LogSource::Test))
        .map(|e| replay_line(&e.line, e.at, read_at))
        .collect()
}

/// Seconds from the read to a keystore date (`None`: not a date brandlink reads).
fn from_read(date: &str, read_at: i64) -> Option<i64> {
    crate::aem::keystore::parse_java_date(date).map(|t| t - read_at)
}

/// A keystore as AEM listed it, each certificate's dates also as seconds from the read, so a
/// replay serves them as far from its own now as they were from the recording's.
fn keystore_json(k: &KeystoreInfo, read_at: i64) -> Value {
    if !k.exists {
        return json!({"exists": false});
    }
    let aliases: Vec<Value> = k
        .aliases
        .iter()
        .map(|a| {
            let chain: Vec<Value> = a
                .chain
                .iter()
                .map(|c| {
                    json!({"subject": c.subject, "issuer": c.issuer, "notBefore": c.not_before,
                               "notAfter": c.not_after, "serialNumber": c.serial_number,
                               "notBeforeInSecs": from_read(&c.not_before, read_at),
                               "notAfterInSecs": from_read(&c.not_after, read_at)})
                })
                .collect();
            json!({"alias": a.alias, "entryType": a.entry_type, "chain": chain})
        })
        .collect();
    json!({"exists": true, "aliases": aliases})
}

/// The provider's properties as configMgr holds them, from what was read (the secret, when
/// there is one, is the customizer's and only said to be there).
fn ims_osgi(c: &ImsConfig, n: usize) -> [Value; 2] {
    let ctype = format!("replayed-{n}");
    let mut p = serde_json::Map::new();
    let mut put = |k: &str, v: Vec<String>| {
        p.insert(k.to_string(), json!(v));
    };
    put(prop::TITLE, vec![c.title.clone()]);
    if let Some(name) = &c.name {
        put("name", vec![name.clone()]);
    }
    put(prop::CLIENT_ID, vec![c.client_id.clone()]);
    if let Some(e) = &c.endpoint {
        put(prop::ENDPOINT, vec![e.clone()]);
    }
    if let Some(a) = &c.keypair_alias {
        put(prop::KEYPAIR_ALIAS, vec![a.clone()]);
    }
    if !c.claims.is_empty() {
        put(prop::CLAIMS, c.claims.clone());
    }
    if !c.scopes.is_empty() {
        put(prop::SCOPE, vec![c.scopes.join(",")]);
    }
    if let Some(o) = &c.org_id {
        put(prop::ORG_ID, vec![o.clone()]);
    }
    if c.auth_type == AuthType::OauthServerToServer {
        put(prop::GRANTS, vec!["client_credentials".into()]);
    }
    put(prop::REQUEST_CUSTOMIZER_TYPE, vec![ctype.clone()]);
    let provider =
        json!({"pid": c.pid, "factoryPid": crate::aem::osgi::PROVIDER_FACTORY, "properties": p});
    let secret: Vec<String> = if c.has_secret {
        vec![super::redact::REDACTED.into()]
    } else {
        vec![]
    };
    let customizer = json!({"pid": format!("{}.{}", crate::aem::osgi::CUSTOMIZER_FACTORY, n),
        "factoryPid": crate::aem::osgi::CUSTOMIZER_FACTORY,
        "properties": {prop::CUSTOMIZER_TYPE: [ctype], prop::CLIENT_SECRET: secret}});
    [provider, customizer]
}

/// `replay.json`: the author as the sandbox can rebuild it.
pub fn replay(ev: &Evidence) -> Value {
    let version = ev.readiness.product.as_deref().map(|p| {
        p.rsplit_once('(')
            .map_or(p, |(_, v)| v.trim_end_matches(')'))
            .to_string()
    });
    let hotfix = matches!(
        crate::evidence::OauthSupport::detect(&ev.readiness),
        crate::evidence::OauthSupport::Yes
    ) && matches!(
        crate::evidence::OauthSupport::of(ev.readiness.product.as_deref()),
        crate::evidence::OauthSupport::WithHotfix
    );
    let ks = |k: &KeystoreInfo| keystore_json(k, ev.read_at);
    let service_user = match (&ev.service_user, &ev.keystore) {
        (Ok(Some(path)), k) => Some(json!({"id": BP_SERVICE_USER, "path": path,
            "keystore": k.as_ref().ok().and_then(Option::as_ref).map(ks)})),
        _ => None,
    };
    let macs: Vec<Value> = ev
        .macs
        .iter()
        .map(|m| json!({"id": m.user.id, "path": m.user.path, "keystore": m.keystore.as_ref().ok().map(ks)}))
        .collect();
    let osgi: Vec<Value> = ev
        .ims
        .as_deref()
        .unwrap_or_default()
        .iter()
        .enumerate()
        .flat_map(|(n, c)| ims_osgi(c, n))
        .collect();
    let clouds: Vec<Value> = ev
        .clouds
        .as_deref()
        .unwrap_or_default()
        .iter()
        .map(|c| json!({"path": c.path, "title": c.title, "tenantUrl": c.tenant_url, "imsConfig": c.ims_config}))
        .collect();
    let agents: Vec<Value> = ev
        .all_agents
        .as_deref()
        .unwrap_or_default()
        .iter()
        .map(|a| replay_agent(ev, a))
        .collect();
    let tests: Vec<Value> = ev
        .test
        .iter()
        .chain(&ev.more_tests)
        .filter_map(|t| t.as_ref().ok())
        .map(|t| {
            let lines: Vec<Value> = t
                .transcript
                .iter()
                .map(|l| json!({"ageMs": null, "text": rest_or_line(l)}))
                .collect();
            json!({"agent": t.agent, "success": t.success, "transcript": lines})
        })
        .collect();
    json!({
        "format": REPLAY_FORMAT,
        "capturedAt": crate::when::rfc3339_secs(ev.read_at),
        "productVersion": version,
        "imsHotfix": hotfix,
        "tenantUrl": ev.tenant_url,
        "serviceUser": service_user,
        "macUsers": macs,
        "osgi": osgi,
        "cloudConfigs": clouds,
        "agents": agents,
        "errorLog": ev.error_log.as_deref().map(|l| entries_json(l, ev.read_at)).unwrap_or_default(),
        "tests": tests,
        "bundles": replay_bundles(&ev.readiness),
    })
}

/// The bundles the verdicts look at and every other one that is not Active, as Felix listed
/// them (an author's hundreds of healthy bundles stay out).
fn replay_bundles(r: &Readiness) -> Vec<Value> {
    let needed = crate::verdict::bundles::present(r);
    r.bundles
        .iter()
        .filter(|b| {
            needed
                .iter()
                .any(|(n, _)| n.symbolic_name == b.symbolic_name)
                || (!b.fragment && b.state != "Active")
        })
        .map(|b| {
            json!({"symbolicName": b.symbolic_name, "name": b.name, "version": b.version,
                   "state": b.state})
        })
        .collect()
}

fn rest_or_line(l: &str) -> String {
    match split_time(l.trim()) {
        (Some(_), _) => rest_after_stamp(l.trim()),
        _ => l.trim().to_string(),
    }
}

fn replay_agent(ev: &Evidence, a: &AgentInfo) -> Value {
    let read = ev.agents.iter().find(|x| x.info.id == a.id);
    let queue = read.and_then(|r| r.queue.as_ref().ok()).map(|q| {
        let items: Vec<Value> = q
            .items
            .iter()
            .map(|i| {
                json!({"id": i.id, "path": i.path, "action": i.action, "user": i.user,
                "ageMs": ev.read_at * 1000 - i.time,
                "lastProcessedAgeMs": i.last_processed.map(|l| ev.read_at * 1000 - l),
                "attempts": i.attempts})
            })
            .collect();
        let depth = read
            .and_then(|r| r.depth.as_ref())
            .map_or(items.len() as u64, |d| d.count);
        json!({"paused": q.paused, "blocked": q.blocked, "depth": depth, "items": items})
    });
    let log = read
        .and_then(|r| r.log.as_ref().ok())
        .map(|l| entries_json(l, ev.read_at))
        .unwrap_or_default();
    json!({"id": a.id, "title": a.title, "enabled": a.enabled, "transportUri": a.transport_uri,
        "retryDelayMs": a.retry_delay_ms, "closeConnection": a.close_connection,
        "transportUser": a.transport_user, "queue": queue, "log": log})
}
