//! `brandlink upgrade` and `brandlink restore`: replace an integration without losing anything,
//! and put a backup back.

use crate::cli::args::{RestoreArgs, UpgradeArgs};
use crate::cli::context::Context;
use crate::cli::output::{CliError, Report, confirm, refuse_change_if_read_only};
use crate::setup::service::UpgradePreview;
use crate::setup::upgrade::{self as up, BusyAgent, JournalStep, RestoreReport, Target};
use serde::Serialize;
use std::path::PathBuf;
use std::time::Duration;

/// `upgrade --json`, one shape for every outcome: the plan (`plan[]`, what is or would be
/// deleted), the queues that hold it up (`busy[]`), and after a run the backup folder and the
/// journaled steps.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpgradeReport {
    pub ok: bool,
    pub dry_run: bool,
    /// An interrupted upgrade was (or would be) carried on.
    pub resumed: bool,
    pub tenant_url: String,
    pub backup_dir: Option<PathBuf>,
    pub plan: Vec<Target>,
    pub busy: Vec<BusyAgent>,
    pub steps: Vec<JournalStep>,
}

/// `restore --json`: `dryRun`, `report{restored[],alreadyPresent[],users[],skipped[]}`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RestoreOutput {
    pub ok: bool,
    pub dry_run: bool,
    pub report: RestoreReport,
}

/// The plan, one line per target: MAC users by id (path second), busy agents marked.
fn plan_text(targets: &[Target], busy: &[BusyAgent]) -> String {
    targets
        .iter()
        .map(|t| {
            let what = match (&t.kind, &t.id) {
                (up::TargetKind::MacUser, Some(id)) => format!("{id} ({})", t.path),
                _ => t.path.clone(),
            };
            let id = t.path.rsplit('/').next().unwrap_or("");
            let mark = match busy
                .iter()
                .find(|b| t.kind == up::TargetKind::Agent && b.agent == id)
            {
                Some(b) if b.stuck.is_some() => format!("  ← stuck, {} pending", b.pending),
                Some(b) => format!("  ← {}, {} pending", b.state, b.pending),
                None => String::new(),
            };
            format!("  {:<13} {what}{mark}\n", format!("{:?}", t.kind))
        })
        .collect()
}

/// Why the busy queues hold the upgrade up, and what the operator can do. Agents stuck for
/// the same cause share one line.
fn busy_text(busy: &[BusyAgent], record_queued: bool) -> String {
    let mut t = String::new();
    for b in busy.iter().filter(|b| b.stuck.is_none()) {
        t.push_str(&format!(
            "  {:<24} {:<8} {} pending\n",
            b.agent, b.state, b.pending
        ));
    }
    let causes = up::stuck_by_cause(busy);
    for (cause, agents) in &causes {
        t.push_str(&format!("Stuck: {}: {cause}.\n", agents.join(", ")));
    }
    if busy.iter().any(|b| b.stuck.is_none()) {
        t.push_str(
            "Wait until the others drain (or use --wait SECS), then run the upgrade again.\n",
        );
    }
    if !causes.is_empty() && !record_queued {
        t.push_str("Stuck queues never drain with the credentials AEM stores. --record-queued goes ahead and writes their queued paths to the backup (queued.json), to publish again once the new integration works.\n");
    }
    t
}

/// What to run after the upgrade, for this author: OAuth Server-to-Server needs no
/// certificate; JWT (authors before 6.5.21 without the hotfix) starts with one.
fn next_steps(oauth: bool, backup: &std::path::Path) -> String {
    let first = if oauth {
        "the Developer Console's OAuth Server-to-Server credential, `brandlink account create --oauth`"
    } else {
        "`brandlink cert create`, the Developer Console, `brandlink account create`"
    };
    format!(
        "Now configure anew: {first}, `brandlink cloud create`, `brandlink agents --test` (or run `brandlink` for the guided screens). `brandlink restore --from {}` puts the old configuration back.\n",
        backup.display()
    )
}

pub async fn upgrade(ctx: &Context, a: &UpgradeArgs) -> Result<Report, CliError> {
    refuse_change_if_read_only(ctx.read_only, a.change.dry_run, "the upgrade deletes nodes")?;
    let setup = ctx.setup()?;
    let root = a.change.backup_root();
    let preview = setup
        .upgrade_preview(a.tenant.as_deref(), &root, a.include_ims)
        .await?;
    let preview = crate::cli::progress::while_waiting(
        &format!("waiting up to {} s for the queues to drain", a.wait),
        setup.wait_idle(preview, Duration::from_secs(a.wait)),
    )
    .await?;
    let mut report = UpgradeReport {
        ok: true,
        dry_run: a.change.dry_run,
        resumed: preview.resume_dir().is_some(),
        tenant_url: preview.tenant_url().to_string(),
        backup_dir: preview.resume_dir().map(PathBuf::from),
        plan: preview.targets().to_vec(),
        busy: preview.busy().to_vec(),
        steps: vec![],
    };
    let busy = preview.busy();
    // Only queues that cannot drain may be let go, and only on request.
    let held_up = busy.iter().any(|b| b.stuck.is_none() || !a.record_queued);
    let mut text = match &preview {
        UpgradePreview::Resume { dir, pending, .. } => format!(
            "An interrupted upgrade is journaled at {}; still to delete:\n{}",
            dir.display(),
            plan_text(pending, &[])
        ),
        UpgradePreview::Fresh { plan, .. } => format!(
            "Upgrade plan for {} ({}):\n{}",
            plan.tenant_url,
            if busy.is_empty() {
                "all queues idle".to_string()
            } else {
                format!(
                    "{} not idle",
                    crate::words::count(busy.len() as u64, "queue", "queues")
                )
            },
            plan_text(&plan.targets, busy)
        ),
    };
    if !busy.is_empty() {
        text.push_str(&busy_text(busy, a.record_queued));
    }
    if held_up && !busy.is_empty() {
        report.ok = false;
        text.push_str("Nothing was changed.\n");
        return Ok(Report::new(false, text, &report));
    }
    if a.change.dry_run {
        text.push_str("Dry run: nothing was backed up or deleted.\n");
        return Ok(Report::new(true, text, &report));
    }
    eprint!("{text}");
    let question = match &preview {
        UpgradePreview::Resume { dir, pending, .. } => format!(
            "Resume the upgrade journaled at {} ({} deletes left)",
            dir.display(),
            pending.len()
        ),
        UpgradePreview::Fresh { plan, .. } => format!(
            "This deletes the {} items above after backing them up{}",
            plan.targets.len(),
            if busy.is_empty() {
                String::new()
            } else {
                format!(
                    ", with the {} queued items of the stuck queues recorded",
                    busy.iter().map(|b| b.pending).sum::<u64>()
                )
            }
        ),
    };
    confirm(a.change.yes, "upgrade", &question)?;
    // Ctrl-C and SIGTERM stop between two deletes; the journal carries on next time.
    let signals = crate::cli::signals::guard();
    let stop = signals.stop();
    let done = setup
        .upgrade(&preview, &root, a.record_queued, stop.flag())
        .await?;
    // Unknown (the read failed): the JWT procedure, which works everywhere it is still allowed.
    let oauth = setup
        .oauth_support()
        .await
        .is_ok_and(|o| o == crate::setup::snapshot::OauthSupport::Yes);
    let text = format!(
        "{} (backup: {}).\n{}",
        if done.resumed {
            "Resumed and finished the upgrade"
        } else {
            "Backed up and deleted"
        },
        done.backup_dir.display(),
        next_steps(oauth, &done.backup_dir)
    );
    report.backup_dir = Some(done.backup_dir);
    report.steps = done.journal.steps;
    Ok(Report::new(true, text, &report))
}

pub async fn restore(ctx: &Context, a: &RestoreArgs) -> Result<Report, CliError> {
    refuse_change_if_read_only(ctx.read_only, a.dry_run, "restore writes to AEM")?;
    let setup = ctx.setup()?;
    // The whole backup is checked against this author before anything is shown or written.
    let plan = setup.restore_plan(&a.from).await?;
    let mut listing = String::new();
    for s in &plan.steps {
        listing.push_str(&format!("  {}\n", s.describe()));
    }
    for p in &plan.already_present {
        listing.push_str(&format!("  = {p} (already present, left alone)\n"));
    }
    if plan.writes_cloud_config {
        listing.push_str(&format!(
            "  then: agents AEM provisions for {} that the backup does not hold are removed when their queues are empty\n",
            plan.tenant_url
        ));
    }
    if !a.dry_run {
        if plan.steps.is_empty() {
            listing.push_str("  nothing to write\n");
        }
        eprint!(
            "Restore into {} from {}:\n{listing}",
            plan.aem_url,
            a.from.display()
        );
        confirm(
            a.yes,
            "restore",
            &format!(
                "Write the {} above",
                crate::words::count(plan.steps.len() as u64, "change", "changes")
            ),
        )?;
    }
    // Backups never hold a secret: a configuration that had one asks for it (or keeps AEM's).
    let secret = if plan.wants_secret && !a.dry_run {
        crate::cli::context::secret_from_env_or_prompt(
            "BRANDLINK_CLIENT_SECRET",
            "Client secret to put back (empty keeps the one AEM holds): ",
            "set BRANDLINK_CLIENT_SECRET",
        )
        .ok()
    } else {
        None
    };
    let r = if a.dry_run {
        setup.restore(&a.from, true, None).await?
    } else {
        // Ctrl-C and SIGTERM stop between two writes (after the prompts, which they end).
        let signals = crate::cli::signals::guard();
        let setup = setup.with_stop(signals.stop());
        setup.restore_apply(&plan, &a.from, secret.as_ref()).await?
    };
    let mut text = format!(
        "{} {}, {} from {}\n",
        if a.dry_run {
            "Would restore"
        } else {
            "Restored"
        },
        crate::words::count(r.restored.len() as u64, "node", "nodes"),
        crate::words::count(r.users.len() as u64, "user", "users"),
        a.from.display()
    );
    if a.dry_run {
        text.push_str(&listing);
    }
    for p in r.restored.iter().filter(|_| !a.dry_run) {
        text.push_str(&format!("  + {p}\n"));
    }
    for u in r.users.iter().filter(|_| !a.dry_run) {
        text.push_str(&format!("  + user {u}\n"));
    }
    if !a.dry_run {
        for p in &r.already_present {
            text.push_str(&format!("  = {p} (already present, left alone)\n"));
        }
    }
    for s in &r.skipped {
        text.push_str(&format!("  ! not restorable over HTTP: {s}\n"));
    }
    for c in r.configurations.iter().filter(|_| !a.dry_run) {
        text.push_str(&format!("  ~ {c} (configuration put back as it was)\n"));
    }
    for n in &r.notes {
        text.push_str(&format!("  ! {n}\n"));
    }
    Ok(Report::new(
        true,
        text,
        &RestoreOutput {
            ok: true,
            dry_run: a.dry_run,
            report: r,
        },
    ))
}
