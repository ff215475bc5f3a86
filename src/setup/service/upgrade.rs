//! Replacing an integration and putting a backup back: what an upgrade would do now, waiting
//! for idle queues, carrying it out (fresh or resumed), restore.

use super::Setup;
use crate::setup::SetupError;
use crate::setup::history::{Change, Outcome, Started};
use crate::setup::upgrade::{
    self as up, BusyAgent, Journal, Plan, RestoreReport, StepState, Target,
};
use secrecy::SecretString;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What an upgrade would do now: carry on with an interrupted run, or a fresh plan with the
/// agents whose queues are not idle.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum UpgradePreview {
    /// An unfinished upgrade is journaled in `dir`; these deletes are left.
    Resume {
        dir: PathBuf,
        tenant_url: String,
        pending: Vec<Target>,
    },
    /// A new plan; `busy` lists the queues that hold it up.
    Fresh { plan: Plan, busy: Vec<BusyAgent> },
}

impl UpgradePreview {
    pub fn tenant_url(&self) -> &str {
        match self {
            UpgradePreview::Resume { tenant_url, .. } => tenant_url,
            UpgradePreview::Fresh { plan, .. } => &plan.tenant_url,
        }
    }
    /// What would be deleted.
    pub fn targets(&self) -> &[Target] {
        match self {
            UpgradePreview::Resume { pending, .. } => pending,
            UpgradePreview::Fresh { plan, .. } => &plan.targets,
        }
    }
    pub fn busy(&self) -> &[BusyAgent] {
        match self {
            UpgradePreview::Resume { .. } => &[],
            UpgradePreview::Fresh { busy, .. } => busy,
        }
    }
    pub fn resume_dir(&self) -> Option<&Path> {
        match self {
            UpgradePreview::Resume { dir, .. } => Some(dir),
            UpgradePreview::Fresh { .. } => None,
        }
    }
}

/// A finished upgrade: where the backup is, and every step as journaled.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpgradeDone {
    pub backup_dir: PathBuf,
    pub resumed: bool,
    pub tenant_url: String,
    pub journal: Journal,
}

impl Setup {
    /// What an upgrade would do now (an interrupted run is resumed first).
    pub async fn upgrade_preview(
        &self,
        tenant: Option<&str>,
        backup_root: &Path,
        include_ims: bool,
    ) -> Result<UpgradePreview, SetupError> {
        if let Some((dir, journal)) = up::find_unfinished(backup_root, self.aem_url(), tenant)? {
            // Shown and confirmed only once it is known to act on the integration it journaled.
            up::check_journal(&self.client, &dir, &journal).await?;
            let pending = journal
                .steps
                .iter()
                .filter(|s| s.state == StepState::Pending)
                .map(|s| s.target.clone())
                .collect();
            return Ok(UpgradePreview::Resume {
                dir,
                tenant_url: journal.tenant_url,
                pending,
            });
        }
        let plan = up::plan_with(&self.client, tenant, include_ims).await?;
        let busy = up::busy_agents(&self.client, &plan.targets).await?;
        Ok(UpgradePreview::Fresh { plan, busy })
    }

    /// Re-reads the busy queues of a fresh plan until they are idle or `wait` has passed.
    pub async fn wait_idle(
        &self,
        preview: UpgradePreview,
        wait: Duration,
    ) -> Result<UpgradePreview, SetupError> {
        let UpgradePreview::Fresh { plan, mut busy } = preview else {
            return Ok(preview);
        };
        let deadline = tokio::time::Instant::now() + wait;
        // Queues stuck on credentials that cannot work never drain: waiting is pointless.
        let waiting = |busy: &[BusyAgent]| busy.iter().any(|b| b.stuck.is_none());
        while waiting(&busy) && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_secs(2)).await;
            busy = up::busy_agents(&self.client, &plan.targets).await?;
        }
        Ok(UpgradePreview::Fresh { plan, busy })
    }

    /// Carries out a preview the operator confirmed: resumes the journaled run, or checks the
    /// queues once more, backs up and deletes. With `let_go_stuck`, queues that cannot drain
    /// (see [`up::stuck_cause`]) do not hold the upgrade up: their items are recorded in the
    /// backup's `queued.json`; any other busy queue still does. `stop` ends the run between
    /// two deletes (the journal resumes it).
    pub async fn upgrade(
        &self,
        preview: &UpgradePreview,
        backup_root: &Path,
        let_go_stuck: bool,
        stop: &std::sync::atomic::AtomicBool,
    ) -> Result<UpgradeDone, SetupError> {
        let changes = preview
            .targets()
            .iter()
            .map(|t| {
                Change::new(
                    format!("{:?}", t.kind),
                    t.path.clone(),
                    Some(vec![t.path.clone()]),
                    None,
                )
            })
            .collect();
        let start = Started::new("upgrade", Some(preview.tenant_url().to_string()), changes);
        let work = self.upgrade_unrecorded(preview, backup_root, let_go_stuck, stop);
        self.recorded(start, work, |d| Outcome {
            backup_dir: Some(d.backup_dir.clone()),
            ..Default::default()
        })
        .await
    }

    async fn upgrade_unrecorded(
        &self,
        preview: &UpgradePreview,
        backup_root: &Path,
        let_go_stuck: bool,
        stop: &std::sync::atomic::AtomicBool,
    ) -> Result<UpgradeDone, SetupError> {
        match preview {
            UpgradePreview::Resume {
                dir, tenant_url, ..
            } => {
                let journal = up::resume(&self.client, dir, stop).await?;
                Ok(UpgradeDone {
                    backup_dir: dir.clone(),
                    resumed: true,
                    tenant_url: tenant_url.clone(),
                    journal,
                })
            }
            UpgradePreview::Fresh { plan, .. } => {
                let busy = up::busy_agents(&self.client, &plan.targets).await?;
                let held_up = |b: &&BusyAgent| !(let_go_stuck && b.stuck.is_some());
                if let Some(b) = busy.iter().find(held_up) {
                    return Err(SetupError::Refused(match &b.stuck {
                        Some(cause) => format!(
                            "{} holds {} that will not drain: {cause}. Nothing was changed; to go ahead with their paths recorded in the backup, use --record-queued",
                            b.agent,
                            crate::words::count(b.pending, "item", "items")
                        ),
                        None => format!(
                            "{} is not idle ({} pending); nothing was changed",
                            b.agent, b.pending
                        ),
                    }));
                }
                let dir = up::execute(&self.client, plan, &busy, backup_root, stop).await?;
                let journal = up::read_journal(&dir)?;
                Ok(UpgradeDone {
                    backup_dir: dir,
                    resumed: false,
                    tenant_url: plan.tenant_url.clone(),
                    journal,
                })
            }
        }
    }

    /// Reads and checks a whole backup against this author: what a restore would write, in
    /// order. Nothing is written.
    pub async fn restore_plan(&self, dir: &Path) -> Result<up::RestorePlan, SetupError> {
        Ok(up::plan_restore(&self.client, dir).await?)
    }

    /// Writes a checked plan (see [`Setup::restore_plan`]); a stop asked for ends it between
    /// two writes, saying what is back and that running it again completes it.
    pub async fn restore_apply(
        &self,
        plan: &up::RestorePlan,
        dir: &Path,
        secret: Option<&SecretString>,
    ) -> Result<RestoreReport, SetupError> {
        let changes = plan
            .steps
            .iter()
            .map(|s| Change::added("restore", "step", s.describe()))
            .collect();
        let start = Started::new("restore", Some(dir.display().to_string()), changes);
        let work = up::apply_restore(&self.client, plan, dir, secret, &self.stop);
        self.recorded(start, work, |r: &RestoreReport| Outcome {
            backup_dir: Some(dir.to_path_buf()),
            problem: (!r.notes.is_empty()).then(|| r.notes.join("; ")),
            ..Default::default()
        })
        .await
    }

    /// Re-creates what a backup holds (nothing with `dry_run`); `secret` restores a client
    /// secret that backups never hold.
    pub async fn restore(
        &self,
        dir: &Path,
        dry_run: bool,
        secret: Option<&SecretString>,
    ) -> Result<RestoreReport, SetupError> {
        if dry_run {
            return up::restore(&self.client, dir, true, secret).await;
        }
        let plan = self.restore_plan(dir).await?;
        self.restore_apply(&plan, dir, secret).await
    }
}
