//! Replay: an author as a tool recorded it (brandlink writes it as `replay.json` in its support
//! bundle), rebuilt so the same reads give the same answers. The record is this crate's own
//! type, [`Recorded`]: small, self-describing JSON that names nothing of the recording tool.
//!
//! What is rebuilt: the product version, the IMS provider and customizer configurations (secrets
//! stay as the record has them, redacted), the cloud configurations, every replication agent
//! with its queue (paused, blocked, items and their ages) and log, the service and MAC users
//! with their keystores (served as recorded), the `error.log` lines and the Test Connection
//! transcripts, replayed when a test is asked, and the bundles the record lists (their state and
//! version). Times are relative to the recording: items and log lines as ages, certificates'
//! dates as seconds from `capturedAt` (`notBeforeInSecs`, `notAfterInSecs` beside the dates AEM
//! listed), so a replay a year later reads as the original did, certificate expiry included. The
//! delivery engine does not run on a replay: the queues stay as recorded.

use super::repo::{Prop, join};
use super::state::{
    AGENTS_ROOT, BP_SERVICE_USER, LEGACY_ROOT, OsgiConfig, OsgiValue, QueueItem, World, felix_type,
    now_ms,
};
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The `format` a record names.
pub const FORMAT: &str = "aem-sandbox-replay/1";

/// An author as recorded.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct Recorded {
    pub format: String,
    /// When it was recorded (RFC 3339); what it holds of time is relative to it.
    pub captured_at: Option<String>,
    /// `6.5.21.0`.
    pub product_version: Option<String>,
    /// The IMS compatibility hotfix (adobeims.core 1.1.26 before SP21).
    pub ims_hotfix: bool,
    /// The tenant the integration publishes to (`https://<id>.brand-portal.adobe.com`).
    pub tenant_url: Option<String>,
    /// The Brand Portal service user (`None`: it does not exist).
    pub service_user: Option<RecordedUser>,
    pub mac_users: Vec<RecordedUser>,
    /// IMS providers and their customizers.
    pub osgi: Vec<RecordedOsgi>,
    pub cloud_configs: Vec<RecordedCloud>,
    pub agents: Vec<RecordedAgent>,
    pub error_log: Vec<RecordedLine>,
    pub tests: Vec<RecordedTest>,
    /// The bundles the recording tool looked at and every one that was not Active.
    pub bundles: Vec<RecordedBundle>,
}

/// One bundle of `bundles.json`, as recorded.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct RecordedBundle {
    pub symbolic_name: String,
    pub name: String,
    pub version: String,
    /// Felix's state: `Active`, `Resolved`, `Installed`…
    pub state: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct RecordedUser {
    pub id: String,
    pub path: String,
    /// The keystore as `<user>.ks.json` served it (`None`: not readable).
    pub keystore: Option<serde_json::Value>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct RecordedOsgi {
    pub pid: String,
    pub factory_pid: Option<String>,
    pub properties: IndexMap<String, Vec<String>>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct RecordedCloud {
    pub path: String,
    pub title: String,
    pub tenant_url: String,
    pub ims_config: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct RecordedAgent {
    pub id: String,
    pub title: String,
    pub enabled: bool,
    pub transport_uri: String,
    pub retry_delay_ms: Option<u64>,
    pub close_connection: bool,
    pub transport_user: Option<String>,
    pub queue: Option<RecordedQueue>,
    pub log: Vec<RecordedLine>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct RecordedQueue {
    pub paused: bool,
    pub blocked: bool,
    /// How many items were queued (the items below may be fewer: AEM lists 50).
    pub depth: u64,
    pub items: Vec<RecordedItem>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct RecordedItem {
    pub id: String,
    pub path: String,
    pub action: String,
    pub user: String,
    /// How long before the recording it was queued.
    pub age_ms: i64,
    pub last_processed_age_ms: Option<i64>,
    pub attempts: u64,
}

/// One log line: its text after the timestamp, and the timestamp's age when it had one.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct RecordedLine {
    pub age_ms: Option<i64>,
    pub text: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct RecordedTest {
    pub agent: String,
    pub success: bool,
    pub transcript: Vec<RecordedLine>,
}

/// What a replaying world serves as recorded rather than computes.
#[derive(Clone, Debug, Default)]
pub struct Served {
    /// `.ks.json` by user id.
    pub keystores: HashMap<String, serde_json::Value>,
    /// Test Connection by agent id.
    pub tests: HashMap<String, RecordedTest>,
    /// Recorded bundles the emulated author does not have: listed after its own.
    pub bundles: Vec<RecordedBundle>,
}

impl Recorded {
    /// Reads a record, refusing another format.
    pub fn from_json(bytes: &[u8]) -> Result<Recorded, String> {
        let r: Recorded = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        if r.format != FORMAT {
            return Err(format!(
                "replay format {:?} is not {FORMAT:?}; write the bundle again with this version",
                r.format
            ));
        }
        Ok(r)
    }

    /// The first DNS label of the tenant (the sandbox's tenant id).
    pub fn tenant_id(&self) -> Option<String> {
        let u = url::Url::parse(self.tenant_url.as_deref()?).ok()?;
        u.host_str()?.split('.').next().map(str::to_string)
    }
}

/// Rebuilds `w` (a stock author) as recorded.
pub fn apply(w: &mut World, r: &Recorded) -> Result<(), String> {
    let now = now_ms();
    let mut served = Served::default();
    // The stock author's agents and service user make way for the recorded ones.
    for id in w.agent_ids() {
        w.repo.delete(&join(AGENTS_ROOT, &id));
    }
    if let Some(u) = w.users.remove(BP_SERVICE_USER) {
        w.repo.delete(&u.path);
    }
    for u in r.service_user.iter().chain(&r.mac_users) {
        user(w, u, u.id == BP_SERVICE_USER)?;
        if let Some(ks) = &u.keystore {
            served
                .keystores
                .insert(u.id.clone(), keystore_now(ks, now / 1000));
        }
    }
    for b in &r.bundles {
        if super::felix::has_bundle(&b.symbolic_name) {
            let version = (!b.version.is_empty()).then(|| b.version.clone());
            w.bundle_overrides
                .insert(b.symbolic_name.clone(), (b.state.clone(), version));
        } else {
            served.bundles.push(b.clone());
        }
    }
    for c in &r.osgi {
        w.osgi.insert(c.pid.clone(), osgi(c));
    }
    for c in &r.cloud_configs {
        cloud(w, c);
    }
    for a in &r.agents {
        agent(w, a, now);
    }
    for l in &r.error_log {
        let line = match l.age_ms {
            Some(age) => format!("{} {}", w.dialect.stamp_millis(now - age), l.text),
            None => l.text.clone(),
        };
        w.error_log.push_raw(line);
    }
    for t in &r.tests {
        served.tests.insert(t.agent.clone(), t.clone());
    }
    w.replay = Some(served);
    Ok(())
}

/// A recorded keystore as served now: each certificate's dates moved to `now_secs` plus their
/// distance from the recording (a record without them is served as it is).
pub fn keystore_now(ks: &serde_json::Value, now_secs: i64) -> serde_json::Value {
    let mut ks = ks.clone();
    let aliases = ks.get_mut("aliases").and_then(|a| a.as_array_mut());
    for alias in aliases.into_iter().flatten() {
        let chain = alias.get_mut("chain").and_then(|c| c.as_array_mut());
        for cert in chain.into_iter().flatten() {
            let Some(cert) = cert.as_object_mut() else {
                continue;
            };
            for (date, relative) in [
                ("notBefore", "notBeforeInSecs"),
                ("notAfter", "notAfterInSecs"),
            ] {
                if let Some(secs) = cert.remove(relative).and_then(|v| v.as_i64()) {
                    let at = super::security::java_date(now_secs.saturating_add(secs));
                    cert.insert(date.to_string(), serde_json::Value::String(at));
                }
            }
        }
    }
    ks
}

fn user(w: &mut World, u: &RecordedUser, system: bool) -> Result<(), String> {
    let parent = u.path.rsplit_once('/').map(|(p, _)| p).unwrap_or_default();
    super::security::create_user(w, &u.id, parent, None, system)?;
    Ok(())
}

fn osgi(c: &RecordedOsgi) -> OsgiConfig {
    let props = c
        .properties
        .iter()
        .map(|(k, v)| {
            let lower = k.to_ascii_lowercase();
            let ty = if lower.contains("secret") || lower.contains("password") {
                felix_type::PASSWORD
            } else {
                felix_type::STRING
            };
            let multi = v.len() != 1 || k == "auth.token.provider.default.claims";
            (
                k.clone(),
                OsgiValue {
                    ty,
                    multi,
                    values: v.clone(),
                },
            )
        })
        .collect();
    OsgiConfig {
        pid: c.pid.clone(),
        factory_pid: c.factory_pid.clone(),
        props,
    }
}

fn cloud(w: &mut World, c: &RecordedCloud) {
    let content = format!("{}/jcr:content", c.path);
    let legacy = c.path.starts_with(LEGACY_ROOT);
    let parent = c.path.rsplit_once('/').map(|(p, _)| p).unwrap_or_default();
    w.repo.ensure(parent, "sling:Folder", "sling:Folder");
    w.repo.ensure(&c.path, "cq:Page", "sling:Folder");
    w.repo.ensure(&content, "cq:PageContent", "nt:unstructured");
    let rt = if legacy {
        "mediaportal/components/configpage"
    } else {
        "dam/components/mediaportal/config"
    };
    w.repo.set(&content, "jcr:title", Prop::str(&c.title));
    w.repo.set(&content, "tenantURL", Prop::str(&c.tenant_url));
    w.repo.set(&content, "sling:resourceType", Prop::str(rt));
    if let Some(ims) = &c.ims_config {
        w.repo.set(&content, "imsConfig", Prop::str(ims));
    }
}

fn agent(w: &mut World, a: &RecordedAgent, now: i64) {
    let mut extra = vec![(
        "retryDelay",
        Prop::str(a.retry_delay_ms.unwrap_or(60_000).to_string()),
    )];
    if let Some(u) = &a.transport_user {
        extra.push(("transportUser", Prop::str(u)));
    }
    if a.close_connection {
        extra.push(("protocolHTTPConnectionClose", Prop::str("true")));
    }
    super::scenario::agent(w, &a.id, &a.title, a.enabled, &a.transport_uri, &extra);
    let stamp = w.dialect;
    let rt = w.runtime(&a.id);
    for l in &a.log {
        rt.log.push_back(match l.age_ms {
            Some(age) => format!("{} - {}", stamp.stamp(now - age), l.text),
            None => l.text.clone(),
        });
    }
    let Some(q) = &a.queue else { return };
    rt.paused = q.paused;
    if q.blocked {
        rt.next_retry_ms = now + i64::try_from(a.retry_delay_ms.unwrap_or(60_000)).unwrap_or(0);
    }
    for i in &q.items {
        rt.queue.push_back(QueueItem {
            id: i.id.clone(),
            path: i.path.clone(),
            time: now - i.age_ms,
            userid: i.user.clone(),
            action: i.action.clone(),
            last_processed: i.last_processed_age_ms.map_or(0, |a| now - a),
            num_processed: u32::try_from(i.attempts).unwrap_or(u32::MAX),
        });
    }
    // The items past the 50 AEM lists: there, with no more known of them.
    let listed = rt.queue.len() as u64;
    for n in listed..q.depth {
        rt.queue.push_back(QueueItem {
            id: format!("replayed/{n}"),
            path: format!("/content/dam/replayed/item-{n}"),
            time: now,
            userid: String::new(),
            action: "Activate".into(),
            last_processed: 0,
            num_processed: 0,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_names_its_format_and_tenant() {
        let r = Recorded {
            format: FORMAT.into(),
            tenant_url: Some("https://acme.brand-portal.adobe.com".into()),
            ..Recorded::default()
        };
        let bytes = serde_json::to_vec(&r).unwrap();
        let back = Recorded::from_json(&bytes).unwrap();
        assert_eq!(back, r);
        assert_eq!(back.tenant_id().as_deref(), Some("acme"));
        assert!(Recorded::from_json(br#"{"format":"other/9"}"#).is_err());
    }

    #[test]
    fn certificate_dates_are_served_relative_to_now() {
        let ks = serde_json::json!({"aliases": [{"alias": "a", "chain": [{
            "notBefore": "Mon Jan 01 00:00:00 UTC 2024", "notAfter": "Wed Jan 01 00:00:00 UTC 2025",
            "notBeforeInSecs": -86_400, "notAfterInSecs": 86_400 * 30}]}]});
        // 2030-01-01T00:00:00Z
        let served = keystore_now(&ks, 1_893_456_000);
        let cert = &served["aliases"][0]["chain"][0];
        assert_eq!(cert["notBefore"], "Mon Dec 31 00:00:00 UTC 2029");
        assert_eq!(cert["notAfter"], "Thu Jan 31 00:00:00 UTC 2030");
        assert!(cert.get("notAfterInSecs").is_none());
        // Without the relative dates: as recorded.
        let old = serde_json::json!({"aliases": [{"alias": "a", "chain": [{"notAfter": "x"}]}]});
        assert_eq!(keystore_now(&old, 0), old);
    }
}
