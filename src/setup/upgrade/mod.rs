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
mod seal;
mod trust;

pub use backup::{
    BackupNode, BackupOsgi, BackupProperty, BackupUser, Manifest, backup, backup_osgi,
    backup_properties, default_backup_root, new_backup_dir, read_manifest, scrub,
};
pub use journal::{
    Journal, JournalLock, JournalStep, StepState, delete_all, find_unfinished, read_journal, resume,
};
pub use restore::{
    RestorePlan, RestoreReport, RestoreStep, apply_restore, plan_restore, restore, restore_params,
};
pub use trust::check_journal;

use crate::aem::agents::agent_path;
use crate::aem::cloud::tenant_label;
use crate::aem::osgi::prop;
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
    #[error(
        "stopped as asked, between two deletes; {left} left, journaled at {path}: running the upgrade again carries on"
    )]
    Stopped { path: String, left: usize },
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
#[serde(rename_all = "camelCase")]
pub struct BusyAgent {
    pub agent: String,
    pub state: String,
    pub pending: u64,
    /// Why this queue will not drain by itself (credentials AEM can no longer use), read from
    /// the agent's log; `None` when it may still drain (busy, paused, tenant briefly down).
    pub stuck: Option<String>,
    /// The queued items' paths AEM lists (at most 50 of `pending`).
    pub queued_paths: Vec<String>,
}

/// The stuck agents grouped by their cause (the four usually share one): `(cause, agents)`.
pub fn stuck_by_cause(busy: &[BusyAgent]) -> Vec<(&str, Vec<&str>)> {
    let mut out: Vec<(&str, Vec<&str>)> = Vec::new();
    for b in busy {
        let Some(cause) = b.stuck.as_deref() else {
            continue;
        };
        match out.iter_mut().find(|(c, _)| *c == cause) {
            Some((_, agents)) => agents.push(&b.agent),
            None => out.push((cause, vec![&b.agent])),
        }
    }
    out
}

/// Why a blocked queue will not drain by itself, from its log since the last success (the
/// rulebook's causes): AEM cannot obtain a token, or Brand Portal refuses the one it has. A
/// tenant outage, a timeout or a rate limit is not stuck: those drain once the other side is
/// back.
pub fn stuck_cause(log: &[crate::aem::agents::LogLine]) -> Option<String> {
    use crate::verdict::causes::CauseKind;
    let lines: Vec<String> = log
        .iter()
        .map(|l| match &l.time {
            Some(t) => format!("{t} - {}", l.message),
            None => l.message.clone(),
        })
        .collect();
    let entries = crate::evidence::logs::entries(&lines, crate::evidence::LogSource::Agent, None);
    let c = crate::verdict::causes::explain(&entries)?;
    if c.kind.transient() {
        return None;
    }
    match c.kind {
        CauseKind::JwtRetired => Some(format!(
            "AEM's JWT credential is retired and IMS refuses it ({}); the queued items will not drain until `brandlink account migrate` converts it in place (which needs no upgrade)",
            c.evidence
        )),
        k if k.about_token() => Some(format!(
            "AEM cannot obtain an IMS token ({}: {}); the queued items will not drain with the stored credentials",
            k.label(),
            c.evidence
        )),
        CauseKind::TenantRefused | CauseKind::MacKeyStale => Some(
            "Brand Portal refuses AEM's requests (401): the credentials AEM uses no longer work, so the queued items will not drain".into(),
        ),
        _ => None,
    }
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
            if let Some(ctype) = p.get(prop::REQUEST_CUSTOMIZER_TYPE)
                && let Some(c) = customizers
                    .iter()
                    .find(|c| c.get(prop::CUSTOMIZER_TYPE) == Some(ctype))
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
            let stuck = if q.blocked {
                match client.agent_log(&id).await {
                    Ok(log) => stuck_cause(&log),
                    Err(_) => None,
                }
            } else {
                None
            };
            busy.push(BusyAgent {
                stuck,
                queued_paths: q.items.iter().map(|i| i.path.clone()).collect(),
                agent: id,
                state: format!("{state:?}").to_lowercase(),
                pending: depth.count,
            });
        }
    }
    Ok(busy)
}

/// The queued items of stuck agents, written beside the backup so they can be published
/// again once the new integration works (`queued.json`).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueuedItems {
    pub agent: String,
    pub cause: String,
    pub pending: u64,
    /// The paths AEM lists (at most 50); `pending` counts them all.
    pub paths: Vec<String>,
}

/// Backs up `plan` into a new folder under `root`, then deletes, journaled. Returns the folder.
/// `stuck` are agents the operator let go although their queues hold items that cannot drain:
/// their items are recorded in `queued.json` and their deletes skip the idle check.
pub async fn execute(
    client: &AemClient,
    plan: &Plan,
    stuck: &[BusyAgent],
    root: &Path,
    stop: &std::sync::atomic::AtomicBool,
) -> Result<PathBuf, UpgradeError> {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let dir = new_backup_dir(root, &format!("{stamp}-{}", tenant_label(&plan.tenant_url)))?;
    backup(client, plan, stuck, &dir).await?;
    resume(client, &dir, stop).await?;
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stuck_agents_share_one_line_per_cause() {
        let b = |agent: &str, stuck: Option<&str>| BusyAgent {
            agent: agent.into(),
            state: "blocked".into(),
            pending: 3,
            stuck: stuck.map(String::from),
            queued_paths: vec![],
        };
        let busy = [
            b("a", Some("jwt")),
            b("b", Some("jwt")),
            b("c", None),
            b("d", Some("401")),
        ];
        assert_eq!(
            stuck_by_cause(&busy),
            vec![("jwt", vec!["a", "b"]), ("401", vec!["d"])]
        );
    }
}
