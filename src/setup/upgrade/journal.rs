//! The journal of an upgrade's deletes: written after every step, so an interrupted run
//! resumes where it stopped; each agent's queue is checked again right before its delete.

use super::backup::write_atomic;
use super::{Target, TargetKind, UpgradeError, busy_agents};
use crate::aem::AemClient;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum StepState {
    Pending,
    Deleted,
    AlreadyGone,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JournalStep {
    pub target: Target,
    pub state: StepState,
}

/// What has been done; rewritten (atomically) after every step.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Journal {
    pub aem_url: String,
    pub tenant_url: String,
    pub steps: Vec<JournalStep>,
    pub complete: bool,
}

/// An unfinished upgrade of this author and tenant under `root`, if any.
pub fn find_unfinished(
    root: &Path,
    aem_url: &str,
    tenant_url: Option<&str>,
) -> Option<(PathBuf, Journal)> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    dirs.sort();
    dirs.into_iter().rev().find_map(|d| {
        let text = std::fs::read_to_string(d.join("journal.json")).ok()?;
        let j: Journal = serde_json::from_str(&text).ok()?;
        let same_tenant =
            tenant_url.is_none_or(|t| j.tenant_url.eq_ignore_ascii_case(t.trim_end_matches('/')));
        (!j.complete && j.aem_url == aem_url && same_tenant).then_some((d, j))
    })
}

/// Carries out the journal's pending deletes, re-checking each agent's queue first.
pub async fn delete_all(
    client: &AemClient,
    dir: &Path,
    journal: &mut Journal,
) -> Result<(), UpgradeError> {
    let jpath = dir.join("journal.json");
    for i in 0..journal.steps.len() {
        if journal.steps[i].state != StepState::Pending {
            continue;
        }
        let t = journal.steps[i].target.clone();
        if t.kind == TargetKind::Agent {
            let busy = busy_agents(client, std::slice::from_ref(&t)).await?;
            if let Some(b) = busy.first() {
                return Err(UpgradeError::Busy(format!(
                    "{} became busy ({}, {} pending) before its delete; stopped with the journal at {} — run the upgrade again once it is idle",
                    b.agent,
                    b.state,
                    b.pending,
                    jpath.display()
                )));
            }
        }
        let state = match t.kind {
            TargetKind::MacUser => {
                if client.exists(&t.path).await? {
                    client.delete_user(&t.path).await?;
                    StepState::Deleted
                } else {
                    StepState::AlreadyGone
                }
            }
            TargetKind::ImsConfig | TargetKind::ImsCustomizer => {
                if client.config(&t.path).await?.is_some() {
                    client.delete_config(&t.path).await?;
                    StepState::Deleted
                } else {
                    StepState::AlreadyGone
                }
            }
            _ => match client.delete_node(&t.path).await? {
                crate::aem::nodes::Deleted::Deleted => StepState::Deleted,
                crate::aem::nodes::Deleted::AlreadyGone => StepState::AlreadyGone,
            },
        };
        journal.steps[i].state = state;
        write_atomic(&jpath, journal).map_err(|detail| UpgradeError::Journal {
            path: jpath.display().to_string(),
            detail,
        })?;
    }
    journal.complete = true;
    write_atomic(&jpath, journal).map_err(|detail| UpgradeError::Journal {
        path: jpath.display().to_string(),
        detail,
    })?;
    Ok(())
}

pub fn read_journal(dir: &Path) -> Result<Journal, UpgradeError> {
    let jpath = dir.join("journal.json");
    let bad = |detail: String| UpgradeError::Journal {
        path: jpath.display().to_string(),
        detail,
    };
    let text = std::fs::read_to_string(&jpath).map_err(|e| bad(e.to_string()))?;
    serde_json::from_str(&text).map_err(|e| bad(e.to_string()))
}

/// Carries on with the deletes journaled in `dir`.
pub async fn resume(client: &AemClient, dir: &Path) -> Result<Journal, UpgradeError> {
    let mut journal = read_journal(dir)?;
    delete_all(client, dir, &mut journal).await?;
    Ok(journal)
}
