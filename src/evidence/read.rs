//! What the doctor reads, in as few round trips as the author allows: everything that does
//! not depend on another answer goes out at once (readiness, users, IMS and cloud
//! configurations, the agents with their content), then what does (keystores, the tenant's
//! queues and logs), with the one Test Connection alongside.

use crate::aem::agents::{AgentInfo, LogLine, TestResult};
use crate::aem::cloud::CloudConfig;
use crate::aem::keystore::KeystoreInfo;
use crate::aem::osgi::{CUSTOMIZER_FACTORY, PROVIDER_FACTORY};
use crate::aem::queue::QueueStatus;
use crate::aem::readiness::Readiness;
use crate::aem::users::{BP_SERVICE_USER, UserRef};
use crate::aem::{AemClient, AemError};
use crate::setup::snapshot::{ImsConfig, OauthSupport, mark_brand_portal};

/// One of the tenant's Brand Portal agents, with its queue and log.
#[derive(Clone, Debug)]
pub struct AgentEvidence {
    pub info: AgentInfo,
    pub queue: Result<QueueStatus, String>,
    pub log: Result<Vec<LogLine>, String>,
}

/// A MAC user and its keystore.
#[derive(Clone, Debug)]
pub struct MacEvidence {
    pub user: UserRef,
    pub keystore: Result<KeystoreInfo, String>,
}

/// Everything the checks look at. Reads that failed are kept as their error, so a check says
/// "cannot tell" rather than guessing.
#[derive(Clone, Debug)]
pub struct Evidence {
    pub aem_url: String,
    /// Epoch seconds.
    pub read_at: i64,
    pub readiness: Readiness,
    pub oauth_support: OauthSupport,
    pub service_user: Result<Option<String>, String>,
    pub keystore: Result<Option<KeystoreInfo>, String>,
    pub ims: Result<Vec<ImsConfig>, String>,
    pub clouds: Result<Vec<CloudConfig>, String>,
    /// Every agent on the author (for leftovers of an old integration).
    pub all_agents: Result<Vec<AgentInfo>, String>,
    /// The tenant the doctor looks at: `--tenant`, else the cloud configuration's.
    pub tenant_url: Option<String>,
    pub agents: Vec<AgentEvidence>,
    /// Every `mac-…` user under `/home/users/mac`.
    pub mac_users: Result<Vec<UserRef>, String>,
    /// The MAC users the tenant's agents publish as, with their keystores.
    pub macs: Vec<MacEvidence>,
    /// The Test Connection run (`None` with `--no-test` or without an enabled agent).
    pub test: Option<Result<TestResult, String>>,
}

/// How the doctor reads.
#[derive(Clone, Debug, Default)]
pub struct ReadOptions {
    pub tenant: Option<String>,
    /// Run Test Connection on one enabled agent (the only action the doctor takes).
    pub test: bool,
    /// The operator's choice of the Brand Portal IMS configuration (PID or name).
    pub ims: Option<String>,
}

fn err(e: AemError) -> String {
    e.to_string()
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

/// Reads the author. `Err` only when AEM itself cannot be read (unreachable, credentials
/// refused, not an AEM): the first check reports that, and nothing else can be said.
pub async fn read(client: &AemClient, opts: &ReadOptions) -> Result<Evidence, AemError> {
    // Round one: nothing here depends on another answer.
    let (readiness, user, providers, customizers, clouds, agents, macs) = tokio::join!(
        client.readiness(),
        client.find_user(BP_SERVICE_USER),
        client.factory_configs(PROVIDER_FACTORY),
        client.factory_configs(CUSTOMIZER_FACTORY),
        client.cloud_configs(),
        client.agents(),
        client.mac_users(""),
    );
    let readiness = readiness?;
    let oauth_support = OauthSupport::detect(&readiness);
    let clouds = clouds.map_err(err);
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
        (Err(e), _) | (_, Err(e)) => Err(err(e)),
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
    let all_agents = agents.map_err(err);
    let tenant_agents: Vec<AgentInfo> = match (&tenant_url, &all_agents) {
        (Some(t), Ok(all)) => all.iter().filter(|a| a.publishes_to(t)).cloned().collect(),
        _ => vec![],
    };
    let mac_users = macs.map_err(err);
    let service_user = user.map_err(err);

    // Round two: what depends on round one, and the Test Connection beside it.
    let keystore = async {
        match &service_user {
            Ok(Some(path)) => client.keystore(path).await.map(Some).map_err(err),
            Ok(None) => Ok(None),
            Err(e) => Err(e.clone()),
        }
    };
    let per_agent = futures::future::join_all(tenant_agents.iter().map(|info| async move {
        let (queue, log) = tokio::join!(client.queue(&info.id), client.agent_log(&info.id));
        AgentEvidence {
            info: info.clone(),
            queue: queue.map_err(err),
            log: log.map_err(err),
        }
    }));
    let mut publishers: Vec<String> = tenant_agents
        .iter()
        .filter_map(|a| a.transport_user.clone())
        .collect();
    publishers.sort();
    publishers.dedup();
    let known = mac_users.as_deref().unwrap_or_default();
    let mac_reads = futures::future::join_all(publishers.into_iter().map(|id| async move {
        let path = match known.iter().find(|u| u.id == id) {
            Some(u) => Some(u.path.clone()),
            // Not under /home/users/mac: look it up wherever it is.
            None => client.find_user(&id).await.ok().flatten(),
        };
        let path = path?;
        let keystore = client.keystore(&path).await.map_err(err);
        Some(MacEvidence {
            user: UserRef { id, path },
            keystore,
        })
    }));
    let test_agent = opts
        .test
        .then(|| tenant_agents.iter().find(|a| a.enabled))
        .flatten();
    let test = async {
        match test_agent {
            Some(a) => Some(client.test_connection(&a.id).await.map_err(err)),
            None => None,
        }
    };
    let (keystore, agents, macs, test) = tokio::join!(keystore, per_agent, mac_reads, test);
    Ok(Evidence {
        aem_url: client.base_url().to_string(),
        read_at: chrono::Utc::now().timestamp(),
        readiness,
        oauth_support,
        service_user,
        keystore,
        ims,
        clouds,
        all_agents,
        tenant_url,
        agents,
        mac_users,
        macs: macs.into_iter().flatten().collect(),
        test,
    })
}
