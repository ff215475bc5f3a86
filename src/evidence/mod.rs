//! The one reader: everything brandlink knows about an author's integration, read once per
//! question into [`Evidence`], in as few round trips as the author allows. Every verdict —
//! the steps, the doctor, the monitor's causes, the exporter's judgements, the upgrade's
//! pre-conditions — is made from it by `crate::verdict`.
//!
//! - `logs`: AEM's log lines read into typed events (one interpreter);
//! - `ims`: the IMS configurations and the rule that tells Brand Portal's;
//! - `view`: the integration as the front ends show it (`Integration`).
//!
//! What could not be read is kept as its error, so a verdict says "cannot tell" rather than
//! guessing green.

pub mod ims;
pub mod logs;
pub mod version;
pub mod view;

pub use ims::{AuthType, BpEvidence, ImsConfig, OauthSupport, mark_brand_portal};
pub use logs::{Entry, LastOutcome, LogEvent, LogSource, NetworkKind};
pub use version::{AemInfo, AemVersion};
pub use view::{AgentState, CertificateState, Integration};

use crate::aem::agents::{AgentInfo, TestResult};
use crate::aem::cloud::CloudConfig;
use crate::aem::health::HealthCheck;
use crate::aem::keystore::KeystoreInfo;
use crate::aem::osgi::{CUSTOMIZER_FACTORY, PROVIDER_FACTORY};
use crate::aem::queue::{Depth, QueueStatus};
use crate::aem::readiness::Readiness;
use crate::aem::users::{BP_SERVICE_USER, UserRef};
use crate::aem::{AemError, Reader};
use chrono::FixedOffset;
use serde::{Deserialize, Serialize};

/// How many `error.log` lines about the token to read (the newest).
const ERROR_LOG_TAIL: u32 = 200;
/// The class that logs AEM's failures to obtain an IMS token.
const TOKEN_CLASS: &str = "AccessTokenProvider";

/// One of the tenant's Brand Portal agents, with its queue and its log.
#[derive(Clone, Debug)]
pub struct AgentEvidence {
    pub info: AgentInfo,
    pub queue: Result<QueueStatus, AemError>,
    pub depth: Option<Depth>,
    /// The agent log, read into events (oldest first).
    pub log: Result<Vec<Entry>, AemError>,
}

/// A MAC user and its keystore.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MacEvidence {
    pub user: UserRef,
    #[serde(serialize_with = "ser_result")]
    pub keystore: Result<KeystoreInfo, AemError>,
}

fn ser_result<S: serde::Serializer, T: Serialize>(
    r: &Result<T, AemError>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match r {
        Ok(v) => v.serialize(s),
        Err(_) => s.serialize_none(),
    }
}

/// The last AEM-side Check Health recorded on this machine: whether AEM obtained a token with
/// what it stores. It holds verdicts and messages only, never a secret.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct LastCheck {
    /// The Brand Portal IMS configuration that was checked.
    pub pid: String,
    pub ok: bool,
    /// RFC 3339.
    pub at: String,
    pub message: String,
}

/// Everything the verdicts look at.
#[derive(Clone, Debug)]
pub struct Evidence {
    pub aem_url: String,
    /// Epoch seconds.
    pub read_at: i64,
    pub readiness: Readiness,
    pub oauth_support: OauthSupport,
    /// The author's time zone (Felix's status dump), in which its logs are written.
    pub zone: Option<String>,
    /// The author's Java version (the same status dump), where its console shows it.
    pub java_version: Option<String>,
    /// Felix Health Checks about replication, IMS and keys; `None` where the author serves
    /// none (404/403).
    pub health: Result<Option<Vec<HealthCheck>>, AemError>,
    pub service_user: Result<Option<String>, AemError>,
    /// The service user's keystore (`None`: no such user).
    pub keystore: Result<Option<KeystoreInfo>, AemError>,
    pub ims: Result<Vec<ImsConfig>, AemError>,
    pub clouds: Result<Vec<CloudConfig>, AemError>,
    /// Every agent on the author (for leftovers of an old integration).
    pub all_agents: Result<Vec<AgentInfo>, AemError>,
    /// The tenant looked at: the one asked for, else the cloud configuration's.
    pub tenant_url: Option<String>,
    pub agents: Vec<AgentEvidence>,
    /// Every `mac-…` user under `/home/users/mac`.
    pub mac_users: Result<Vec<UserRef>, AemError>,
    /// The MAC users the tenant's agents publish as, with their keystores.
    pub macs: Vec<MacEvidence>,
    /// `error.log`'s lines about the token (AEM logs its token failures there, not in the
    /// agent log); an error where the author does not serve its log (403/404).
    pub error_log: Result<Vec<Entry>, AemError>,
    /// The Test Connection run on the first enabled agent, when one was asked for.
    pub test: Option<Result<TestResult, AemError>>,
    /// The Test Connections of the other enabled agents (Adobe asks for all four).
    pub more_tests: Vec<Result<TestResult, AemError>>,
    /// The last AEM-side Check Health recorded on this machine (filled in by the caller).
    pub last_check: Option<LastCheck>,
}

/// What to read.
#[derive(Clone, Debug, Default)]
pub struct ReadOptions {
    pub tenant: Option<String>,
    /// Run Test Connection on every enabled agent (the only action a read takes).
    pub test: bool,
    /// The operator's choice of the Brand Portal IMS configuration (PID or name).
    pub ims: Option<String>,
}

/// Whether an agent publishes to Brand Portal at all (any tenant).
pub fn is_brand_portal_agent(a: &AgentInfo) -> bool {
    let uri = a.transport_uri.to_ascii_lowercase();
    reqwest::Url::parse(&uri)
        .ok()
        .and_then(|u| u.host_str().map(|h| h.ends_with(".brand-portal.adobe.com")))
        .unwrap_or(false)
        || a.id.starts_with("mp_replication")
}

/// The tenant URL an agent publishes to (`https://host`), lower-case.
pub fn agent_tenant(a: &AgentInfo) -> Option<String> {
    let u = reqwest::Url::parse(a.transport_uri.trim()).ok()?;
    Some(format!("{}://{}", u.scheme(), u.host_str()?).to_ascii_lowercase())
}

/// The UTC offset of a zone name at `at` (epoch seconds), for reading log times.
pub fn zone_offset(zone: &str, at: i64) -> Option<FixedOffset> {
    use chrono::{Offset, TimeZone};
    let tz: chrono_tz::Tz = zone.parse().ok()?;
    let t = chrono::DateTime::from_timestamp(at, 0)?;
    Some(tz.offset_from_utc_datetime(&t.naive_utc()).fix())
}

impl Evidence {
    /// The author's version and Java, as every report shows them.
    pub fn aem_info(&self) -> AemInfo {
        AemInfo::new(self.readiness.product.as_deref(), self.java_version.clone())
    }

    /// The author's UTC offset now (log times are written in it); `None` when not known.
    pub fn offset(&self) -> Option<FixedOffset> {
        self.zone
            .as_deref()
            .and_then(|z| zone_offset(z, self.read_at))
    }

    /// The Brand Portal IMS configurations (Adobe allows one).
    pub fn bp_ims(&self) -> Vec<&ImsConfig> {
        match &self.ims {
            Ok(l) => l.iter().filter(|c| c.is_brand_portal()).collect(),
            Err(_) => vec![],
        }
    }

    /// The Brand Portal IMS configuration, when there is exactly one.
    pub fn bp_single(&self) -> Option<&ImsConfig> {
        match self.bp_ims().as_slice() {
            [one] => Some(one),
            _ => None,
        }
    }

    /// The Test Connection transcript, read into events.
    pub fn test_entries(&self) -> Vec<Entry> {
        match &self.test {
            Some(Ok(t)) => logs::entries(&t.transcript, LogSource::Test, self.offset()),
            _ => vec![],
        }
    }
}

/// The token lines at the end of error.log.
async fn read_error_log(client: &Reader) -> Result<Vec<String>, AemError> {
    client
        .log_tail(crate::aem::logs::ERROR_LOG, TOKEN_CLASS, ERROR_LOG_TAIL)
        .await
}

/// Reads the author. `Err` only when AEM itself cannot be read (unreachable, credentials
/// refused, not an AEM); every other failed read is kept in the evidence.
pub async fn read(client: &Reader, opts: &ReadOptions) -> Result<Evidence, AemError> {
    // Round one: nothing here depends on another answer.
    let (readiness, user, providers, customizers, clouds, agents, macs, system, health, error_log) = tokio::join!(
        client.readiness(),
        client.find_user(BP_SERVICE_USER),
        client.factory_configs(PROVIDER_FACTORY),
        client.factory_configs(CUSTOMIZER_FACTORY),
        client.cloud_configs(),
        client.agents(),
        client.mac_users(""),
        client.system_properties(),
        client.health_checks(),
        // With a Test Connection, error.log is read after it: a token failure the test
        // causes is written there only (some authors leave it out of the transcript).
        async {
            if opts.test {
                None
            } else {
                Some(read_error_log(client).await)
            }
        },
    );
    let readiness = readiness?;
    let read_at = chrono::Utc::now().timestamp();
    let oauth_support = OauthSupport::detect(&readiness);
    let system = system.unwrap_or_default();
    let zone = system.zone;
    let offset = zone.as_deref().and_then(|z| zone_offset(z, read_at));
    let ims = match (providers, customizers) {
        (Ok(p), Ok(c)) => {
            let mut list: Vec<ImsConfig> = p.iter().map(|p| ImsConfig::from_osgi(p, &c)).collect();
            mark_brand_portal(
                &mut list,
                clouds.as_deref().unwrap_or_default(),
                opts.ims.as_deref(),
            );
            Ok(list)
        }
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    let tenant_url = opts
        .tenant
        .as_deref()
        .map(|t| t.trim().trim_end_matches('/').to_string())
        .or_else(|| {
            clouds
                .as_deref()
                .ok()
                .and_then(crate::aem::cloud::current)
                .map(|c| c.tenant_url.trim_end_matches('/').to_string())
        });
    let tenant_agents: Vec<AgentInfo> = match (&tenant_url, &agents) {
        (Some(t), Ok(all)) => all.iter().filter(|a| a.publishes_to(t)).cloned().collect(),
        _ => vec![],
    };

    // Round two: what depends on round one, and the Test Connection beside it.
    let keystore = async {
        match &user {
            Ok(Some(path)) => client.keystore(path).await.map(Some),
            Ok(None) => Ok(None),
            Err(e) => Err(e.clone()),
        }
    };
    let per_agent = read_agents(client, &tenant_agents, offset);
    let mac_reads = read_macs(client, &tenant_agents, macs.as_deref().unwrap_or_default());
    let test_ids: Vec<String> = if opts.test {
        tenant_agents
            .iter()
            .filter(|a| a.enabled)
            .map(|a| a.id.clone())
            .collect()
    } else {
        vec![]
    };
    let tests = client.test_connections(&test_ids);
    let (keystore, mut agents_ev, mac_ev, tests) =
        tokio::join!(keystore, per_agent, mac_reads, tests);
    // A test's transcript is the agent's newest record (its log was read beside it).
    for (id, t) in &tests {
        if let (Ok(t), Some(a)) = (t, agents_ev.iter_mut().find(|a| &a.info.id == id))
            && let Ok(log) = &mut a.log
        {
            log.extend(logs::entries(&t.transcript, LogSource::Test, offset));
        }
    }
    let error_log = match error_log {
        Some(l) => l,
        None => read_error_log(client).await,
    }
    .map(|l| logs::entries(&l, LogSource::Error, offset));
    let mut tests = tests.into_iter().map(|(_, t)| t);
    let test = tests.next();
    let more_tests = tests.collect();
    Ok(Evidence {
        aem_url: client.base_url().to_string(),
        read_at,
        readiness,
        oauth_support,
        zone,
        java_version: system.java_version,
        health,
        service_user: user,
        keystore,
        ims,
        clouds,
        all_agents: agents,
        tenant_url,
        agents: agents_ev,
        mac_users: macs,
        macs: mac_ev.into_iter().flatten().collect(),
        error_log,
        test,
        more_tests,
        last_check: None,
    })
}

/// Each of the tenant's agents: its queue with the depth, and its log as entries.
async fn read_agents(
    client: &Reader,
    tenant_agents: &[AgentInfo],
    offset: Option<FixedOffset>,
) -> Vec<AgentEvidence> {
    futures::future::join_all(tenant_agents.iter().map(|info| async move {
        let (queue, log) =
            tokio::join!(client.queue_and_depth(&info.id), client.agent_log(&info.id));
        let (queue, depth) = match queue {
            Ok((q, d)) => (Ok(q), Some(d)),
            Err(e) => (Err(e), None),
        };
        AgentEvidence {
            info: info.clone(),
            queue,
            depth,
            log: log.map(|l| {
                let lines: Vec<String> = l
                    .iter()
                    .map(|l| match &l.time {
                        Some(t) => format!("{t} - {}", l.message),
                        None => l.message.clone(),
                    })
                    .collect();
                logs::entries(&lines, LogSource::Agent, offset)
            }),
        }
    }))
    .await
}

/// The MAC users the tenant's agents publish as (from their `transportUser`), each with its
/// keystore; found by id wherever it is when it is not under `/home/users/mac`.
async fn read_macs(
    client: &Reader,
    tenant_agents: &[AgentInfo],
    known: &[UserRef],
) -> Vec<Option<MacEvidence>> {
    let mut publishers: Vec<String> = tenant_agents
        .iter()
        .filter_map(|a| a.transport_user.clone())
        .collect();
    publishers.sort();
    publishers.dedup();
    futures::future::join_all(publishers.into_iter().map(|id| async move {
        let path = match known.iter().find(|u| u.id == id) {
            Some(u) => Some(u.path.clone()),
            // Not under /home/users/mac: look it up wherever it is.
            None => client.find_user(&id).await.ok().flatten(),
        };
        let path = path?;
        let keystore = client.keystore(&path).await;
        Some(MacEvidence {
            user: UserRef { id, path },
            keystore,
        })
    }))
    .await
}
