//! The doctor, and the one fix of its own: Close Connection on the Brand Portal agents.

use super::Setup;
use crate::aem::agents::agent_path;
use crate::aem::nodes::text;
use crate::setup::SetupError;
use crate::setup::history::{Change, Outcome, Started};
use crate::setup::stop::Interrupted;
use crate::setup::upgrade::{BackupProperty, TargetKind, backup_properties, new_backup_dir};
use crate::verdict::Report;
use crate::verdict::causes::BlockCause;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// The property Adobe's "Close Connection" checkbox (agent → Extended) sets.
pub const CLOSE_CONNECTION: &str = "protocolHTTPConnectionClose";

/// What `agents --close-connection` would change.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CloseConnectionPlan {
    pub tenant_url: String,
    /// Agents without Close Connection, which get it.
    pub change: Vec<String>,
    /// Agents that have it already.
    pub already: Vec<String>,
}

/// What it changed, and where the backup is.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CloseConnectionDone {
    pub tenant_url: String,
    pub changed: Vec<String>,
    pub backup: Option<PathBuf>,
}

/// One read's answers: the integration, and the causes of the blocked queues asked about
/// (`None`: the read failed).
#[derive(Debug)]
pub struct StatusRead {
    pub integration: Result<crate::setup::Integration, SetupError>,
    pub causes: Vec<(String, Option<BlockCause>)>,
}

/// Why `agent` is blocked by the evidence, with the doctor's precedence.
/// Why `agent`'s queue is blocked, by the rulebook (the non-destructive next check when the
/// logs do not say).
fn cause_in(ev: &crate::evidence::Evidence, agent: &str) -> BlockCause {
    BlockCause::from_cause(ev.facts().agent_cause(agent))
}

impl Setup {
    /// Runs every doctor check. `test`: one Test Connection (the only action it takes).
    pub async fn doctor(&self, tenant: Option<&str>, test: bool) -> Report {
        match self.judged(tenant, test).await {
            Ok((_, v)) => v.report,
            Err((_, report)) => report,
        }
    }

    /// The one read (with one Test Connection when `test`) and its verdict; for an author
    /// that cannot be read, the error and the doctor's report of it.
    pub async fn judged(
        &self,
        tenant: Option<&str>,
        test: bool,
    ) -> Result<(crate::evidence::Evidence, crate::verdict::Verdict), (SetupError, Report)> {
        match self.evidence(tenant, test).await {
            Ok(ev) => {
                let v = crate::verdict::judge(&ev);
                Ok((ev, v))
            }
            Err(e) => {
                let aem = match &e {
                    SetupError::Aem(a) => a.clone(),
                    other => crate::aem::AemError::Invalid(other.to_string()),
                };
                let report =
                    crate::verdict::unreadable(self.aem_url(), tenant.map(str::to_string), &aem);
                Err((e, report))
            }
        }
    }

    /// Why each of `agents` is blocked, from one read of the whole evidence (the same
    /// precedence as the doctor's), saying so when nothing read tells; `None` each when the
    /// read failed.
    pub async fn block_causes(
        &self,
        tenant: Option<&str>,
        agents: &[String],
    ) -> Vec<(String, Option<BlockCause>)> {
        let ev = self.evidence(tenant, false).await.ok();
        agents
            .iter()
            .map(|a| (a.clone(), ev.as_ref().map(|ev| cause_in(ev, a))))
            .collect()
    }

    /// The integration and why each of `blocked` is blocked, from one read of the author (the
    /// TUI asks both at once: one read answers every asker).
    pub async fn status(&self, tenant: Option<&str>, blocked: &[String]) -> StatusRead {
        match self.evidence(tenant, false).await {
            Ok(ev) => StatusRead {
                integration: crate::setup::Integration::from_evidence(&ev).map_err(Into::into),
                causes: blocked
                    .iter()
                    .map(|a| (a.clone(), Some(cause_in(&ev, a))))
                    .collect(),
            },
            Err(e) => StatusRead {
                integration: Err(e),
                causes: blocked.iter().map(|a| (a.clone(), None)).collect(),
            },
        }
    }

    /// Which of the tenant's agents lack Close Connection.
    pub async fn close_connection_plan(
        &self,
        tenant: &str,
    ) -> Result<CloseConnectionPlan, SetupError> {
        let agents = self.client.brand_portal_agents(tenant).await?;
        if agents.is_empty() {
            return Err(SetupError::Refused(format!(
                "no Brand Portal agents publish to {tenant}"
            )));
        }
        let (already, change): (Vec<_>, Vec<_>) =
            agents.into_iter().partition(|a| a.close_connection);
        Ok(CloseConnectionPlan {
            tenant_url: tenant.to_string(),
            change: change.into_iter().map(|a| a.id).collect(),
            already: already.into_iter().map(|a| a.id).collect(),
        })
    }

    /// Sets Close Connection on the plan's agents, after backing up each agent and the
    /// property's value before (`brandlink restore --from` puts it back).
    pub async fn close_connection(
        &self,
        plan: &CloseConnectionPlan,
        backup_root: &Path,
    ) -> Result<CloseConnectionDone, SetupError> {
        if plan.change.is_empty() {
            return Ok(CloseConnectionDone {
                tenant_url: plan.tenant_url.clone(),
                changed: vec![],
                backup: None,
            });
        }
        let reads = plan.change.iter().map(|id| async move {
            let path = format!("{}/jcr:content", agent_path(id));
            let node = self.client.node(&path, 0).await?;
            Ok::<_, SetupError>(BackupProperty {
                before: text(&node, CLOSE_CONNECTION),
                name: CLOSE_CONNECTION.to_string(),
                path,
            })
        });
        let before = futures::future::try_join_all(reads).await?;
        let changes = plan
            .change
            .iter()
            .zip(&before)
            .map(|(id, b)| {
                Change::new(
                    id.clone(),
                    CLOSE_CONNECTION,
                    b.before.clone().map(|v| vec![v]),
                    Some(vec!["true".into()]),
                )
            })
            .collect();
        let start = Started::new(
            "agents close-connection",
            Some(plan.tenant_url.clone()),
            changes,
        );
        self.recorded(
            start,
            self.close_connection_backed_up(plan, &before, backup_root),
            |d| Outcome {
                backup_dir: d.backup.clone(),
                ..Default::default()
            },
        )
        .await
    }

    /// Backs the agents up, then sets Close Connection one agent after the other (`stop` is
    /// looked at between two agents).
    async fn close_connection_backed_up(
        &self,
        plan: &CloseConnectionPlan,
        before: &[BackupProperty],
        backup_root: &Path,
    ) -> Result<CloseConnectionDone, SetupError> {
        let dir = new_backup_dir(
            backup_root,
            &format!(
                "{}-close-connection",
                chrono::Utc::now().format("%Y%m%dT%H%M%SZ")
            ),
        )?;
        backup_properties(
            &self.client,
            &plan.tenant_url,
            TargetKind::Agent,
            before,
            &dir,
        )
        .await?;
        let mut changed: Vec<String> = Vec::new();
        for id in &plan.change {
            self.stop.check(|| {
                let mut i = Interrupted::new("agents --close-connection").backup(&dir);
                if !changed.is_empty() {
                    i = i.done(format!("Close Connection set on {}", changed.join(", ")));
                }
                let left: Vec<&str> = plan.change[changed.len()..]
                    .iter()
                    .map(String::as_str)
                    .collect();
                i.not_done(format!("Close Connection on {}", left.join(", ")))
                    .next("to complete it: brandlink agents --close-connection")
            })?;
            self.client.set_close_connection(id).await?;
            changed.push(id.clone());
        }
        Ok(CloseConnectionDone {
            tenant_url: plan.tenant_url.clone(),
            changed,
            backup: Some(dir),
        })
    }
}
