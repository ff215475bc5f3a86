//! A handle on an author that can only read: what the monitor, the exporter and the one reader
//! (`evidence`) hold. It offers the reads they need and nothing that writes, and the client
//! inside refuses every request but GET and HEAD besides (so a read that someday posted could
//! not change AEM).

use super::agents::{AgentInfo, LogLine, TestResult};
use super::client::AemClient;
use super::cloud::CloudConfig;
use super::error::AemError;
use super::health::HealthCheck;
use super::keystore::KeystoreInfo;
use super::logs::SystemProperties;
use super::osgi::OsgiConfig;
use super::queue::{Depth, QueueStatus};
use super::readiness::Readiness;
use super::users::UserRef;
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct Reader(AemClient);

impl AemClient {
    /// A read-only handle on the same author (sharing the connection pool and the credential
    /// gate).
    pub fn reader(&self) -> Reader {
        Reader(self.clone().refuse_writes())
    }
}

impl Reader {
    pub fn base_url(&self) -> &str {
        self.0.base_url()
    }

    /// One agent's queue and its depth (the JMX MBean where it is open).
    pub async fn queue_and_depth(&self, agent: &str) -> Result<(QueueStatus, Depth), AemError> {
        self.0.queue_and_depth(agent).await
    }

    /// An agent's `queue.json` alone (no depth: see [`queue_and_depth`](Self::queue_and_depth)).
    pub async fn queue(&self, agent: &str) -> Result<QueueStatus, AemError> {
        self.0.queue(agent).await
    }

    /// The agents that publish to the tenant.
    pub async fn brand_portal_agents(&self, tenant_url: &str) -> Result<Vec<AgentInfo>, AemError> {
        self.0.brand_portal_agents(tenant_url).await
    }

    /// Every agent on the author.
    pub async fn agents(&self) -> Result<Vec<AgentInfo>, AemError> {
        self.0.agents().await
    }

    /// Whether the author is up, its version and the bundles the integration needs.
    pub async fn readiness(&self) -> Result<Readiness, AemError> {
        self.0.readiness().await
    }

    /// A user's path by id (`None`: no such user).
    pub async fn find_user(&self, id: &str) -> Result<Option<String>, AemError> {
        self.0.find_user(id).await
    }

    /// The MAC users, of one tenant's label or (empty) all.
    pub async fn mac_users(&self, tenant_label: &str) -> Result<Vec<UserRef>, AemError> {
        self.0.mac_users(tenant_label).await
    }

    /// A user's keystore (`exists: false` when it has none).
    pub async fn keystore(&self, user_path: &str) -> Result<KeystoreInfo, AemError> {
        self.0.keystore(user_path).await
    }

    /// Every OSGi configuration of a factory.
    pub async fn factory_configs(&self, factory: &str) -> Result<Vec<OsgiConfig>, AemError> {
        self.0.factory_configs(factory).await
    }

    /// The Brand Portal cloud configurations (current and legacy).
    pub async fn cloud_configs(&self) -> Result<Vec<CloudConfig>, AemError> {
        self.0.cloud_configs().await
    }

    /// The health checks of the integration's tags (`None` where the author has none).
    pub async fn health_checks(&self) -> Result<Option<Vec<HealthCheck>>, AemError> {
        self.0.health_checks().await
    }

    /// Felix's system properties (the author's time zone among them).
    pub async fn system_properties(&self) -> Result<SystemProperties, AemError> {
        self.0.system_properties().await
    }

    /// The last `tail` lines of a log file that hold `grep`.
    pub async fn log_tail(
        &self,
        name: &str,
        grep: &str,
        tail: u32,
    ) -> Result<Vec<String>, AemError> {
        self.0.log_tail(name, grep, tail).await
    }

    /// An agent's log, oldest first.
    pub async fn agent_log(&self, id: &str) -> Result<Vec<LogLine>, AemError> {
        self.0.agent_log(id).await
    }

    /// Test Connection on several agents at once (a GET: AEM sends a test request to the
    /// tenant, it changes nothing on the author).
    pub async fn test_connections(
        &self,
        ids: &[String],
    ) -> Vec<(String, Result<TestResult, AemError>)> {
        self.0.test_connections(ids).await
    }

    /// See [`AemClient::not_aem`].
    pub async fn not_aem(&self) -> Option<AemError> {
        self.0.not_aem().await
    }

    /// See [`AemClient::retry_credentials`].
    pub fn retry_credentials(&self) {
        self.0.retry_credentials();
    }

    /// See [`AemClient::retry_credentials_after`].
    pub fn retry_credentials_after(&self, after: Duration) {
        self.0.retry_credentials_after(after);
    }
}
