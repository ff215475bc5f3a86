//! The sandbox's whole world: the author's repository, users and keystores, OSGi
//! configurations, replication queues, Adobe IMS and the Brand Portal tenant.

use super::faults::Faults;
use super::logs::{AgentLine, ErrorLog, LOG_CAPACITY, Level, LogDialect};
use super::repo::{Prop, Repo, join};
use indexmap::IndexMap;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::Duration;

pub const AGENTS_ROOT: &str = "/etc/replication/agents.author";
pub const CLOUD_ROOT: &str = "/conf/global/settings/cloudconfigs/mediaportal";
pub const LEGACY_ROOT: &str = "/etc/cloudservices/mediaportal";
pub const BP_SERVICE_USER: &str = "brandportal-imsconfig-service";
pub const IMS_HOST: &str = "https://ims-na1.adobelogin.com";
pub const BP_METASCOPE: &str = "ent_brand_portal_sdk";
pub const PROVIDER_FACTORY: &str = "com.adobe.granite.auth.oauth.accesstoken.provider";
pub const CUSTOMIZER_FACTORY: &str =
    "com.adobe.granite.auth.ims.impl.IMSAccessTokenRequestCustomizerImpl";

/// Which author the sandbox starts as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Scenario {
    /// A stock AEM 6.5 author: nothing of the integration exists yet.
    #[default]
    Fresh,
    /// Certificate, IMS configuration, cloud configuration and four healthy agents.
    Configured,
    /// An old-style (6.3/6.4) configuration under /etc/cloudservices, ready for the upgrade.
    Legacy,
    /// Configured, with a few hundred assets on their way through the four queues.
    Busy,
    /// A configured JWT integration after 2026-03-01: Adobe converted the credential to OAuth
    /// Server-to-Server (same client id and secret), IMS refuses the JWT, the queues block.
    JwtRetired,
}

impl Scenario {
    /// Every scenario, so that what is checked for each (the replay of a bundle recorded from
    /// it, for one) covers a new one without being told; `tests::all_is_every_scenario` holds
    /// it to the enum.
    pub const ALL: &[Scenario] = &[
        Scenario::Fresh,
        Scenario::Configured,
        Scenario::Legacy,
        Scenario::Busy,
        Scenario::JwtRetired,
    ];

    /// Its name in snake_case (`jwt_retired`), as file names and reports use it.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Fresh => "fresh",
            Scenario::Configured => "configured",
            Scenario::Legacy => "legacy",
            Scenario::Busy => "busy",
            Scenario::JwtRetired => "jwt_retired",
        }
    }
}

/// Settings of one sandbox instance.
#[derive(Clone, Debug)]
pub struct SandboxConfig {
    pub scenario: Scenario,
    /// First DNS label of the tenant, e.g. `wknd` for `https://wknd.brand-portal.adobe.com`.
    pub tenant: String,
    pub admin_password: String,
    /// Items per second each Brand Portal agent delivers.
    pub delivery_rate: f64,
    /// How long AEM takes to create the agents after the cloud configuration is saved.
    pub agent_creation_delay: Duration,
    /// Sling's `json.maximumresults`.
    pub json_max_results: usize,
    /// How many Brand Portal agents AEM creates (4; 3 to emulate a broken save).
    pub bp_agent_count: usize,
    /// `retryDelay` of the agents AEM creates, in milliseconds.
    pub retry_delay_ms: i64,
    pub seed: Option<u64>,
    pub faults: Faults,
    /// Other Adobe integrations already on the author: Smart Tags and Adobe Stock IMS
    /// configurations (with their customizers) and an Adobe Stock cloud configuration.
    pub lived_in: bool,
    /// What `status-productinfo.json` reports, e.g. `6.5.21.0`.
    pub product_version: String,
    /// The `ims-jwt-compatibility-package` hotfix is installed (OAuth on SP11–SP20).
    pub ims_hotfix: bool,
    /// Broken states applied after the scenario (see `mishaps`).
    pub mishaps: Vec<super::mishaps::Mishap>,
    /// How the author words its logs and which time zone stamps them.
    pub log_dialect: LogDialect,
    /// Start as this recorded author instead of the scenario (see `replay`).
    pub recorded: Option<super::replay::Recorded>,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            scenario: Scenario::Fresh,
            tenant: "wknd".into(),
            admin_password: "admin".into(),
            delivery_rate: 5.0,
            agent_creation_delay: Duration::from_millis(800),
            json_max_results: 200,
            bp_agent_count: 4,
            retry_delay_ms: 30_000,
            seed: None,
            faults: Faults::default(),
            lived_in: false,
            product_version: "6.5.21.0".into(),
            ims_hotfix: false,
            mishaps: Vec::new(),
            log_dialect: LogDialect::Classic,
            recorded: None,
        }
    }
}

impl SandboxConfig {
    pub fn tenant_url(&self) -> String {
        format!("https://{}.brand-portal.adobe.com", self.tenant)
    }

    /// The product version's numbers (`6.6.3.0` → `[6, 6, 3, 0]`).
    pub fn version_numbers(&self) -> Vec<u32> {
        self.product_version
            .split('.')
            .map_while(|p| p.parse::<u32>().ok())
            .collect()
    }

    /// AEM 6.5 LTS, which reports itself as 6.6.N.
    pub fn lts(&self) -> bool {
        self.version_numbers().starts_with(&[6, 6])
    }
}

#[derive(Clone, Debug)]
pub struct User {
    pub id: String,
    pub path: String,
    pub password: Option<String>,
    pub system: bool,
}

#[derive(Clone, Debug)]
pub struct KeyEntry {
    pub pk_der: Vec<u8>,
    pub chain: Vec<Vec<u8>>,
}

#[derive(Clone, Debug, Default)]
pub struct Keystore {
    pub password: String,
    pub entries: IndexMap<String, KeyEntry>,
}

/// A Felix metatype attribute type code.
pub mod felix_type {
    pub const STRING: u8 = 1;
    pub const LONG: u8 = 2;
    pub const INTEGER: u8 = 3;
    pub const BOOLEAN: u8 = 11;
    pub const PASSWORD: u8 = 12;
}

#[derive(Clone, Debug, PartialEq)]
pub struct OsgiValue {
    pub ty: u8,
    pub multi: bool,
    pub values: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct OsgiConfig {
    pub pid: String,
    pub factory_pid: Option<String>,
    pub props: IndexMap<String, OsgiValue>,
}

impl OsgiConfig {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.props
            .get(name)
            .and_then(|v| v.values.first())
            .map(String::as_str)
    }
    pub fn all(&self, name: &str) -> Vec<String> {
        self.props
            .get(name)
            .map(|v| v.values.clone())
            .unwrap_or_default()
    }
}

#[derive(Clone, Debug)]
pub struct QueueItem {
    pub id: String,
    pub path: String,
    pub time: i64,
    pub userid: String,
    pub action: String,
    pub last_processed: i64,
    pub num_processed: u32,
}

/// The live side of one replication agent.
#[derive(Clone, Debug, Default)]
pub struct AgentRuntime {
    pub queue: VecDeque<QueueItem>,
    pub paused: bool,
    /// When a blocked queue retries next (0 = not blocked).
    pub next_retry_ms: i64,
    pub processing_since: i64,
    pub last_process_ms: i64,
    pub credit: f64,
    pub delivered: u64,
    pub log: VecDeque<String>,
}

impl AgentRuntime {
    /// Appends `<stamp> - <text>`.
    fn push_log(&mut self, stamp: &str, text: &str) {
        if self.log.len() >= LOG_CAPACITY {
            self.log.pop_front();
        }
        self.log.push_back(format!("{stamp} - {text}"));
    }
    pub fn is_blocked(&self) -> bool {
        self.next_retry_ms > 0
    }
}

/// Credentials the emulated Developer Console handed out.
#[derive(Clone, Debug)]
pub struct ImsClient {
    pub client_id: String,
    pub client_secret: String,
    pub org_id: String,
    pub technical_account_id: String,
    pub project: String,
    /// Service Account (JWT) credential, with certificates bound to it.
    pub jwt: bool,
    /// OAuth Server-to-Server credential.
    pub oauth: bool,
    /// Legacy OAuth Gateway app (6.3/6.4 setups).
    pub legacy: bool,
    pub metascopes: Vec<String>,
    pub scopes: Vec<String>,
    pub certificates: Vec<BoundCertificate>,
}

#[derive(Clone, Debug)]
pub struct BoundCertificate {
    pub der: Vec<u8>,
    pub fingerprint: String,
    pub public_key_pkcs1: Vec<u8>,
    pub not_after: i64,
}

#[derive(Clone, Debug)]
pub struct Ims {
    pub org_id: String,
    pub clients: IndexMap<String, ImsClient>,
    pub token_secret: [u8; 32],
    pub tokens_issued: u64,
}

#[derive(Clone, Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    pub path: String,
    pub agent: String,
    pub action: String,
    pub at: i64,
}

#[derive(Clone, Debug)]
pub struct Tenant {
    pub id: String,
    pub url: String,
    pub delivered_total: u64,
    pub recent: VecDeque<Delivery>,
    pub rejected_total: u64,
}

#[derive(Clone, Debug)]
pub struct CachedToken {
    pub generation: u64,
    pub token: String,
    pub expires_ms: i64,
}

/// A Brand Portal cloud configuration found in the repository.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloudConfig {
    pub path: String,
    pub title: String,
    pub tenant_url: String,
    pub ims_config: Option<String>,
    pub legacy: bool,
}

#[derive(Clone, Debug)]
pub struct AgentConf {
    pub id: String,
    pub title: String,
    pub enabled: bool,
    pub transport_uri: String,
    pub retry_delay_ms: i64,
}

pub struct World {
    pub cfg: SandboxConfig,
    pub repo: Repo,
    pub users: BTreeMap<String, User>,
    pub keystores: HashMap<String, Keystore>,
    pub osgi: IndexMap<String, OsgiConfig>,
    pub agents: HashMap<String, AgentRuntime>,
    pub ims: Ims,
    pub tenant: Tenant,
    pub faults: Faults,
    pub rng: StdRng,
    pub csrf_tokens: HashMap<String, i64>,
    /// Bumped whenever something a token depends on changes.
    pub generation: u64,
    pub token_cache: HashMap<String, CachedToken>,
    /// Author requests whose credentials were accepted since the faults were last set.
    pub authenticated: u64,
    pub rr_next: usize,
    /// Work AEM does a moment after a request (e.g. creating agents after a cloud config save).
    pub pending: Vec<(i64, Pending)>,
    /// How the logs are worded now (starts as `cfg.log_dialect`; switchable at run time).
    pub dialect: LogDialect,
    pub error_log: ErrorLog,
    /// Requests whose credentials were refused (`failedLogins` in `/sandbox/control/requests`).
    pub failed_logins: u64,
    /// Author requests being answered now, and the most at once since the count was reset.
    pub in_flight: u64,
    pub max_in_flight: u64,
    /// Writes to the author since the faults were last set, and those held now (the fault
    /// `hold_writes_from`).
    pub writes: u64,
    pub held: u64,
    /// Requests received, by method and path (`GET /sandbox/control/requests`), so a test can
    /// see how much a client asks.
    pub requests: BTreeMap<String, u64>,
    /// Bundles whose state or version a mishap changed: symbolic name → (state, version).
    pub bundle_overrides: BTreeMap<String, (String, Option<String>)>,
    /// A replay's recorded answers (keystores, Test Connections); it also stops deliveries.
    pub replay: Option<super::replay::Served>,
}

#[derive(Clone, Debug)]
pub enum Pending {
    CreateBrandPortalAgents { tenant_url: String },
}

pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Normalised tenant URL for comparisons: lower case, no trailing slash.
pub fn norm_url(u: &str) -> String {
    u.trim().trim_end_matches('/').to_ascii_lowercase()
}

impl World {
    pub fn new(cfg: SandboxConfig) -> Self {
        let mut rng = match cfg.seed {
            Some(s) => StdRng::seed_from_u64(s),
            None => StdRng::from_os_rng(),
        };
        let org_id = format!("{}@AdobeOrg", upper_hex(&mut rng, 24));
        let token_secret: [u8; 32] = rng.random();
        let tenant_url = cfg.tenant_url();
        let mut w = World {
            repo: Repo::new(),
            users: BTreeMap::new(),
            keystores: HashMap::new(),
            osgi: IndexMap::new(),
            agents: HashMap::new(),
            ims: Ims {
                org_id,
                clients: IndexMap::new(),
                token_secret,
                tokens_issued: 0,
            },
            tenant: Tenant {
                id: cfg.tenant.clone(),
                url: tenant_url,
                delivered_total: 0,
                recent: VecDeque::new(),
                rejected_total: 0,
            },
            faults: cfg.faults.clone(),
            rng,
            csrf_tokens: HashMap::new(),
            generation: 0,
            token_cache: HashMap::new(),
            authenticated: 0,
            rr_next: 0,
            pending: Vec::new(),
            dialect: cfg.log_dialect,
            error_log: ErrorLog::default(),
            requests: BTreeMap::new(),
            failed_logins: 0,
            in_flight: 0,
            max_in_flight: 0,
            writes: 0,
            held: 0,
            bundle_overrides: BTreeMap::new(),
            replay: None,
            cfg,
        };
        w.log_startup(now_ms());
        w
    }

    /// What error.log holds once the author has started.
    fn log_startup(&mut self, now: i64) {
        for (thread, logger, message) in [
            (
                "FelixDispatchQueue",
                "org.apache.felix.framework",
                "FrameworkEvent STARTED",
            ),
            (
                "FelixDispatchQueue",
                "com.day.cq.cq-replication",
                "BundleEvent STARTED",
            ),
            (
                "FelixDispatchQueue",
                "com.adobe.granite.auth.oauth",
                "BundleEvent STARTED",
            ),
        ] {
            self.error_log
                .write(self.dialect, now, Level::Info, thread, logger, message);
        }
    }

    /// Writes `line` to agent `id`'s log, in the current dialect (if it writes it at all).
    pub fn agent_log(&mut self, id: &str, now: i64, line: &AgentLine) {
        let d = self.dialect;
        if let Some(text) = line.render(d) {
            self.runtime(id).push_log(&d.stamp(now), &text);
        }
    }

    /// Writes `line` to error.log when it is an error there.
    pub fn error_log_line(&mut self, now: i64, thread: &str, line: &AgentLine) {
        let d = self.dialect;
        if let Some((logger, message)) = line.error_entry(d) {
            self.error_log
                .write(d, now, Level::Error, thread, logger, &message);
        }
    }

    pub fn bump(&mut self) {
        self.generation += 1;
        self.token_cache.clear();
    }

    pub fn hex(&mut self, len: usize) -> String {
        lower_hex(&mut self.rng, len)
    }

    pub fn user_by_path(&self, path: &str) -> Option<&User> {
        self.users.values().find(|u| u.path == path)
    }

    /// Agent ids under agents.author: child names not starting with `jcr:` or `rep:`.
    pub fn agent_ids(&self) -> Vec<String> {
        self.repo
            .children(AGENTS_ROOT)
            .into_iter()
            .filter(|c| !c.starts_with("jcr:") && !c.starts_with("rep:"))
            .collect()
    }

    pub fn agent(&self, id: &str) -> Option<AgentConf> {
        let content = format!("{}/jcr:content", join(AGENTS_ROOT, id));
        let node = self.repo.get(&content)?;
        Some(AgentConf {
            id: id.to_string(),
            title: node.text("jcr:title").unwrap_or_else(|| id.to_string()),
            enabled: node.flag("enabled").unwrap_or(false),
            transport_uri: node.text("transportUri").unwrap_or_default(),
            retry_delay_ms: node
                .props
                .get("retryDelay")
                .and_then(Prop::as_i64)
                .unwrap_or(60_000),
        })
    }

    /// Agents whose transportUri starts with `tenant_url + "/"`.
    pub fn bp_agents(&self, tenant_url: &str) -> Vec<AgentConf> {
        let prefix = format!("{}/", norm_url(tenant_url));
        self.agent_ids()
            .iter()
            .filter_map(|id| self.agent(id))
            .filter(|a| a.transport_uri.to_ascii_lowercase().starts_with(&prefix))
            .collect()
    }

    pub fn runtime(&mut self, id: &str) -> &mut AgentRuntime {
        self.agents.entry(id.to_string()).or_default()
    }

    pub fn cloud_configs(&self) -> Vec<CloudConfig> {
        let mut out = Vec::new();
        for (root, legacy) in [(CLOUD_ROOT, false), (LEGACY_ROOT, true)] {
            for name in self.repo.children(root) {
                if name.starts_with("jcr:") || name.starts_with("rep:") {
                    continue;
                }
                let path = join(root, &name);
                let content = format!("{path}/jcr:content");
                let Some(url) = self.repo.text(&content, "tenantURL") else {
                    continue;
                };
                out.push(CloudConfig {
                    title: self
                        .repo
                        .text(&content, "jcr:title")
                        .unwrap_or(name.clone()),
                    tenant_url: url,
                    ims_config: self.repo.text(&content, "imsConfig"),
                    legacy,
                    path,
                });
            }
        }
        out
    }

    pub fn factory_configs(&self, factory: &str) -> Vec<&OsgiConfig> {
        self.osgi
            .values()
            .filter(|c| c.factory_pid.as_deref() == Some(factory))
            .collect()
    }
}

pub fn upper_hex(rng: &mut StdRng, len: usize) -> String {
    lower_hex(rng, len).to_ascii_uppercase()
}

pub fn lower_hex(rng: &mut StdRng, len: usize) -> String {
    (0..len)
        .map(|_| char::from_digit(rng.random_range(0..16), 16).unwrap_or('0'))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::Scenario;

    /// A new scenario fails to compile here until it has a place in [`Scenario::ALL`].
    fn place(s: Scenario) -> usize {
        match s {
            Scenario::Fresh => 0,
            Scenario::Configured => 1,
            Scenario::Legacy => 2,
            Scenario::Busy => 3,
            Scenario::JwtRetired => 4,
        }
    }

    #[test]
    fn all_is_every_scenario() {
        for (i, s) in Scenario::ALL.iter().enumerate() {
            assert_eq!(place(*s), i, "{s:?}");
        }
        assert_eq!(Scenario::ALL.len(), 5);
    }
}
