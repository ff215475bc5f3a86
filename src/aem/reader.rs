//! A handle on an author that can only read: what the monitor, the exporter and the fronts
//! hold. It offers the reads they need and nothing that writes, and the client inside refuses
//! every request but GET and HEAD besides (so a read that someday posted could not change AEM).

use super::agents::AgentInfo;
use super::client::AemClient;
use super::error::AemError;
use super::queue::{Depth, QueueStatus};
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

    /// See [`AemClient::retry_credentials`].
    pub fn retry_credentials(&self) {
        self.0.retry_credentials();
    }

    /// See [`AemClient::retry_credentials_after`].
    pub fn retry_credentials_after(&self, after: Duration) {
        self.0.retry_credentials_after(after);
    }
}
