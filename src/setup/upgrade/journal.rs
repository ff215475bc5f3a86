//! The journal of an upgrade's deletes: written after every step, so an interrupted run
//! resumes where it stopped; each agent's queue is checked again right before its delete.

use super::backup::{MAX_RECORD, write_journal};
use super::{Target, TargetKind, UpgradeError, busy_agents};
use crate::aem::AemClient;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

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
    /// Agents deleted although their queues were stuck (their items are in `queued.json`).
    #[serde(default)]
    pub let_go: Vec<String>,
    /// HMAC-SHA256 of the rest, with the key in the operator's state folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seal: Option<String>,
}

/// An unfinished upgrade of this author and tenant under `root`, if any. A journal that cannot
/// be read is an error: brandlink will not start another upgrade beside one it cannot see.
pub fn find_unfinished(
    root: &Path,
    aem_url: &str,
    tenant_url: Option<&str>,
) -> Result<Option<(PathBuf, Journal)>, UpgradeError> {
    let Ok(entries) = std::fs::read_dir(root) else {
        return Ok(None);
    };
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|d| d.join("journal.json").exists())
        .collect();
    dirs.sort();
    for d in dirs.into_iter().rev() {
        let j = read_journal(&d).map_err(|e| match e {
            UpgradeError::Journal { path, detail } => UpgradeError::Journal {
                path,
                detail: format!(
                    "cannot be read ({detail}); it may hold an unfinished upgrade, so nothing more is done: repair the file, or move its folder out of {}",
                    root.display()
                ),
            },
            other => other,
        })?;
        let same_tenant =
            tenant_url.is_none_or(|t| j.tenant_url.eq_ignore_ascii_case(t.trim_end_matches('/')));
        if !j.complete && j.aem_url == aem_url && same_tenant {
            return Ok(Some((d, j)));
        }
    }
    Ok(None)
}

/// Held while a process carries out a journal: a second brandlink is refused, not let loose
/// on the same deletes. Released when dropped (or when the process ends).
pub struct JournalLock {
    _file: std::fs::File,
}

impl JournalLock {
    pub fn take(dir: &Path) -> Result<JournalLock, UpgradeError> {
        let path = dir.join("journal.lock");
        let fail = |detail: String| UpgradeError::Journal {
            path: path.display().to_string(),
            detail,
        };
        let mut opts = std::fs::OpenOptions::new();
        opts.create(true).truncate(false).write(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let file = opts.open(&path).map_err(|e| fail(e.to_string()))?;
        match file.try_lock() {
            Ok(()) => Ok(JournalLock { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => Err(fail(
                "another brandlink process is carrying out this upgrade right now; let it finish (or stop it), then run the upgrade again".into(),
            )),
            Err(std::fs::TryLockError::Error(e)) => Err(fail(format!("cannot be locked: {e}"))),
        }
    }
}

/// Carries out the journal's pending deletes, re-checking each agent's queue first.
///
/// `stop` is looked at between whole steps only (a delete and its journal entry): once set,
/// the run ends with [`UpgradeError::Stopped`] and the journal resumes it later.
pub async fn delete_all(
    client: &AemClient,
    dir: &Path,
    journal: &mut Journal,
    stop: &AtomicBool,
) -> Result<(), UpgradeError> {
    let jpath = dir.join("journal.json");
    let _lock = JournalLock::take(dir)?;
    // Another process may have carried on while this one waited: the file is the truth.
    *journal = read_journal(dir)?;
    for i in 0..journal.steps.len() {
        if journal.steps[i].state != StepState::Pending {
            continue;
        }
        if stop.load(Ordering::SeqCst) {
            return Err(UpgradeError::Stopped {
                path: jpath.display().to_string(),
                left: journal
                    .steps
                    .iter()
                    .filter(|s| s.state == StepState::Pending)
                    .count(),
            });
        }
        let t = journal.steps[i].target.clone();
        if t.kind == TargetKind::Agent {
            let busy = busy_agents(client, std::slice::from_ref(&t)).await?;
            // An agent let go stays let go only while it is stuck for the reason recorded.
            let let_go =
                |b: &super::BusyAgent| b.stuck.is_some() && journal.let_go.contains(&b.agent);
            if let Some(b) = busy.first().filter(|b| !let_go(b)) {
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
        write_journal(&jpath, journal).map_err(|detail| UpgradeError::Journal {
            path: jpath.display().to_string(),
            detail,
        })?;
    }
    journal.complete = true;
    write_journal(&jpath, journal).map_err(|detail| UpgradeError::Journal {
        path: jpath.display().to_string(),
        detail,
    })?;
    Ok(())
}

/// Reads a journal, trusting it only when its folder and file are the operator's (no
/// symlink, not writable by others) and its seal matches: a planted or edited journal is
/// refused, never resumed.
pub fn read_journal(dir: &Path) -> Result<Journal, UpgradeError> {
    let jpath = dir.join("journal.json");
    let bad = |detail: String| UpgradeError::Journal {
        path: jpath.display().to_string(),
        detail,
    };
    crate::fsutil::check_owned(dir).map_err(|e| bad(e.to_string()))?;
    let bytes = crate::fsutil::read_trusted(dir, "journal.json", MAX_RECORD)
        .map_err(|e| bad(e.to_string()))?;
    let mut j: Journal = serde_json::from_slice(&bytes).map_err(|e| bad(e.to_string()))?;
    let seal = j.seal.take();
    let body = serde_json::to_vec(&j).map_err(|e| bad(e.to_string()))?;
    super::seal::verify(
        &crate::config::state_dir(),
        super::seal::Kind::Journal,
        &body,
        seal.as_deref(),
    )
    .map_err(bad)?;
    j.seal = seal;
    Ok(j)
}

/// Carries on with the deletes journaled in `dir`.
pub async fn resume(
    client: &AemClient,
    dir: &Path,
    stop: &AtomicBool,
) -> Result<Journal, UpgradeError> {
    let mut journal = read_journal(dir)?;
    super::trust::check_journal(client, dir, &journal).await?;
    delete_all(client, dir, &mut journal, stop).await?;
    Ok(journal)
}
