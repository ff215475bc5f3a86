//! Upgrading an existing integration without losing anything: verify the four queues are idle,
//! plan exactly what goes (found by the tenant URL), back it all up, delete with a re-check
//! before each delete, and journal every step so an interrupted run resumes. `restore`
//! re-creates what a backup holds.
//!
//! - this file: what goes (the plan, found by the tenant URL) and which queues hold it up;
//! - `backup`: the backup folder (manifest, nodes, users, OSGi configurations; never a secret);
//! - `journal`: the deletes, one journaled step at a time, and resuming an interrupted run;
//! - `restore`: putting a backup back.

mod backup;
mod journal;
mod restore;

pub use backup::{
    BackupNode, BackupOsgi, BackupUser, Manifest, backup, backup_osgi, default_backup_root,
    read_manifest, scrub,
};
pub use journal::{
    Journal, JournalStep, StepState, delete_all, find_unfinished, read_journal, resume,
};
pub use restore::{RestoreReport, restore, restore_params};

use crate::aem::agents::agent_path;
use crate::aem::cloud::tenant_label;
use crate::aem::queue::QueueState;
use crate::aem::users::UserRef;
use crate::aem::{AemClient, AemError};
use serde::{Deserialize, Serialize};

use std::path::{Path, PathBuf};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum UpgradeError {
    #[error(transparent)]
    Aem(#[from] AemError),
    #[error("{0}")]
    Busy(String),
    #[error("{0}")]
    Refused(String),
    #[error("backup at {path}: {detail}; nothing was deleted")]
    Backup { path: String, detail: String },
    #[error("journal at {path}: {detail}")]
    Journal { path: String, detail: String },
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum TargetKind {
    Agent,
    CloudConfig,
    MacUser,
    /// The Brand Portal IMS configuration (path = its PID), with `--include-ims`.
    ImsConfig,
    /// Its paired customizer (path = its PID).
    ImsCustomizer,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Target {
    pub kind: TargetKind,
    pub path: String,
    /// The user id, for MAC users.
    pub id: Option<String>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    pub tenant_url: String,
    pub targets: Vec<Target>,
}

/// An agent whose queue is not idle.
#[derive(Clone, Debug, Serialize)]
pub struct BusyAgent {
    pub agent: String,
    pub state: String,
    pub pending: u64,
}

/// Finds what the upgrade removes: the tenant's agents (by transportUri), its cloud
/// configurations (both locations) and its MAC users.
pub async fn plan(client: &AemClient, tenant: Option<&str>) -> Result<Plan, UpgradeError> {
    plan_with(client, tenant, false).await
}

/// As [`plan`]; with `include_ims`, the Brand Portal IMS configuration named by the tenant's
/// cloud configuration (and its customizer) goes too — never another integration's.
pub async fn plan_with(
    client: &AemClient,
    tenant: Option<&str>,
    include_ims: bool,
) -> Result<Plan, UpgradeError> {
    let clouds = client.cloud_configs().await?;
    let tenant_url = match tenant {
        Some(t) => t.trim_end_matches('/').to_string(),
        None => clouds
            .iter()
            .find(|c| c.legacy)
            .or(clouds.first())
            .map(|c| c.tenant_url.trim_end_matches('/').to_string())
            .ok_or_else(|| {
                UpgradeError::Refused(
                    "no Brand Portal configuration on this author: nothing to upgrade".into(),
                )
            })?,
    };
    let mut targets = Vec::new();
    let agents = client.brand_portal_agents(&tenant_url).await?;
    for a in &agents {
        targets.push(Target {
            kind: TargetKind::Agent,
            path: agent_path(&a.id),
            id: None,
        });
    }
    for c in clouds.iter().filter(|c| {
        c.tenant_url
            .trim_end_matches('/')
            .eq_ignore_ascii_case(&tenant_url)
    }) {
        targets.push(Target {
            kind: TargetKind::CloudConfig,
            path: c.path.clone(),
            id: None,
        });
    }
    // The MAC user is the one the agents publish as; the id pattern finds what is left.
    let mut macs: Vec<UserRef> = Vec::new();
    let mut named: Vec<String> = agents
        .iter()
        .filter_map(|a| a.transport_user.clone())
        .filter(|u| u.starts_with("mac-"))
        .collect();
    named.sort();
    named.dedup();
    for id in named {
        if let Some(path) = client.find_user(&id).await? {
            macs.push(UserRef { id, path });
        }
    }
    for u in client.mac_users(&tenant_label(&tenant_url)).await? {
        if !macs.iter().any(|m| m.path == u.path) {
            macs.push(u);
        }
    }
    for UserRef { id, path } in macs {
        targets.push(Target {
            kind: TargetKind::MacUser,
            path,
            id: Some(id),
        });
    }
    if include_ims {
        let named: Vec<String> = clouds
            .iter()
            .filter(|c| {
                c.tenant_url
                    .trim_end_matches('/')
                    .eq_ignore_ascii_case(&tenant_url)
            })
            .filter_map(|c| c.ims_config.clone())
            .collect();
        let providers = client
            .factory_configs(crate::aem::osgi::PROVIDER_FACTORY)
            .await?;
        let customizers = client
            .factory_configs(crate::aem::osgi::CUSTOMIZER_FACTORY)
            .await?;
        for p in providers.iter().filter(|p| {
            named
                .iter()
                .any(|n| *n == p.pid || p.get("name") == Some(n))
        }) {
            targets.push(Target {
                kind: TargetKind::ImsConfig,
                path: p.pid.clone(),
                id: None,
            });
            if let Some(ctype) = p.get("token.request.customizer.type")
                && let Some(c) = customizers
                    .iter()
                    .find(|c| c.get("customizer.type") == Some(ctype))
            {
                targets.push(Target {
                    kind: TargetKind::ImsCustomizer,
                    path: c.pid.clone(),
                    id: None,
                });
            }
        }
    }
    if targets.is_empty() {
        return Err(UpgradeError::Refused(format!(
            "nothing of the integration with {tenant_url} was found"
        )));
    }
    Ok(Plan {
        tenant_url,
        targets,
    })
}

/// The agents among `targets` whose queues are not idle and empty.
pub async fn busy_agents(
    client: &AemClient,
    targets: &[Target],
) -> Result<Vec<BusyAgent>, AemError> {
    let mut busy = Vec::new();
    for t in targets.iter().filter(|t| t.kind == TargetKind::Agent) {
        let id = t.path.rsplit('/').next().unwrap_or("").to_string();
        let q = match client.queue(&id).await {
            Ok(q) => q,
            Err(AemError::NotFound { .. }) => continue,
            Err(e) => return Err(e),
        };
        let depth = client.queue_depth(&id, &q).await;
        let state = q.state();
        let idle = matches!(state, QueueState::Idle | QueueState::Disabled)
            && depth.count == 0
            && q.items.is_empty();
        if !idle || q.blocked {
            busy.push(BusyAgent {
                agent: id,
                state: format!("{state:?}").to_lowercase(),
                pending: depth.count,
            });
        }
    }
    Ok(busy)
}

/// Backs up `plan` into a new folder under `root`, then deletes, journaled. Returns the folder.
pub async fn execute(
    client: &AemClient,
    plan: &Plan,
    root: &Path,
) -> Result<PathBuf, UpgradeError> {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let dir = root.join(format!("{stamp}-{}", tenant_label(&plan.tenant_url)));
    backup(client, plan, &dir).await?;
    resume(client, &dir).await?;
    Ok(dir)
}
