//! Step 4: the tenant's agents, Test Connection, queue commands and the agent log; and the
//! sandbox's Console and publishing, for the demo.

use super::Setup;
use crate::aem::agents::{AgentInfo, LogLine, TestResult};
use crate::setup::SetupError;
use crate::setup::console::{ConsoleCredential, ConsoleCreds};
use crate::setup::history::{Change, Outcome, Started};
use serde::Serialize;

/// The tenant's Brand Portal agents and, when asked, their Test Connection results.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentsReport {
    pub ok: bool,
    pub tenant_url: String,
    pub agents: Vec<AgentInfo>,
    pub tests: Vec<TestResult>,
    pub warnings: Vec<String>,
}

/// A queue command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueueOp {
    ForceRetry,
    Pause,
    Resume,
    Clear,
}

impl QueueOp {
    pub fn label(self) -> &'static str {
        match self {
            QueueOp::ForceRetry => "force retry",
            QueueOp::Pause => "pause",
            QueueOp::Resume => "resume",
            QueueOp::Clear => "clear",
        }
    }
}

impl Setup {
    /// The tenant's Brand Portal agent ids.
    pub async fn agent_ids(&self, tenant: &str) -> Result<Vec<String>, SetupError> {
        Ok(self
            .client
            .brand_portal_agents(tenant)
            .await?
            .into_iter()
            .map(|a| a.id)
            .collect())
    }

    /// The tenant (given, else the cloud configuration's) and its Brand Portal agent ids, both
    /// read at once (one round trip).
    pub async fn tenant_and_agent_ids(
        &self,
        given: Option<&str>,
    ) -> Result<(String, Vec<String>), SetupError> {
        let (tenant, agents) = tokio::join!(self.resolve_tenant(given), self.client.agents());
        let tenant = tenant?;
        let ids = agents?
            .into_iter()
            .filter(|a| a.publishes_to(&tenant))
            .map(|a| a.id)
            .collect();
        Ok((tenant, ids))
    }

    /// The tenant's agents with warnings, and Test Connection on all of them when `test`.
    pub async fn agents(&self, tenant: &str, test: bool) -> Result<AgentsReport, SetupError> {
        let list = self.client.brand_portal_agents(tenant).await?;
        let enabled = list.iter().filter(|x| x.enabled).count();
        let mut warnings = Vec::new();
        if list.len() != crate::verdict::thresholds::EXPECTED_AGENTS {
            warnings.push(format!(
                "{} Brand Portal agents found for {tenant}; AEM creates {}",
                list.len(),
                crate::verdict::thresholds::EXPECTED_AGENTS
            ));
        }
        if enabled < list.len() {
            warnings.push(format!(
                "{} disabled: all four must stay enabled or some assets fail",
                crate::words::count((list.len() - enabled) as u64, "agent", "agents")
            ));
        }
        let mut tests = Vec::new();
        if test {
            let ids: Vec<String> = list.iter().map(|x| x.id.clone()).collect();
            for (id, r) in self.client.test_connections(&ids).await {
                tests.push(r.unwrap_or_else(|e| TestResult {
                    agent: id,
                    success: false,
                    summary: e.to_string(),
                    explanation: vec![],
                    transcript: vec![],
                }));
            }
        }
        let ok = !list.is_empty() && enabled == list.len() && tests.iter().all(|t| t.success);
        Ok(AgentsReport {
            ok,
            tenant_url: tenant.to_string(),
            agents: list,
            tests,
            warnings,
        })
    }

    pub async fn test_connection(&self, agent: &str) -> Result<TestResult, SetupError> {
        Ok(self.client.test_connection(agent).await?)
    }

    pub async fn agent_log(&self, agent: &str) -> Result<Vec<LogLine>, SetupError> {
        Ok(self.client.agent_log(agent).await?)
    }

    pub async fn queue_op(&self, agent: &str, op: QueueOp) -> Result<(), SetupError> {
        let c = &self.client;
        let start = Started::new(
            "queue",
            Some(agent.to_string()),
            vec![Change::added(agent, "queue", op.label())],
        );
        let work = async {
            match op {
                QueueOp::ForceRetry => c.force_retry(agent).await?,
                QueueOp::Pause => c.pause_queue(agent).await?,
                QueueOp::Resume => c.resume_queue(agent).await?,
                QueueOp::Clear => c.clear_queue(agent).await?,
            }
            Ok(())
        };
        self.recorded(start, work, |_| Outcome::default()).await
    }

    /// The sandbox's emulated Developer Console: upload the certificate, read back the
    /// credentials (what the operator copies by hand on a real Console).
    pub async fn sandbox_console(
        &self,
        sandbox_url: &str,
        cert_pem: Option<&str>,
    ) -> Result<ConsoleCreds, SetupError> {
        crate::setup::console::fetch(&self.ims.http, sandbox_url, cert_pem).await
    }

    /// The sandbox Console's values of one credential (the migration's `f`).
    pub async fn sandbox_credential(
        &self,
        sandbox_url: &str,
        client_id: &str,
    ) -> Result<ConsoleCredential, SetupError> {
        crate::setup::console::fetch_credential(&self.ims.http, sandbox_url, client_id).await
    }

    /// The sandbox's "Publish to Brand Portal" for `count` sample assets (the demo's way to
    /// watch the queues move). Returns how many were queued.
    pub async fn sandbox_publish(&self, count: u32) -> Result<u64, SetupError> {
        let reply = self
            .client
            .post_form(
                "/sandbox/publish",
                &crate::aem::client::form([("count", count.to_string())]),
                &[200],
            )
            .await?;
        let v: serde_json::Value = reply.json()?;
        Ok(v["queued"].as_u64().unwrap_or(0))
    }
}
