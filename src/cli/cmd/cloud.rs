//! `brandlink cloud create`: step 3, the Brand Portal cloud configuration; `cloud resave`:
//! saving it again, Adobe's fix when its agents are missing.

use crate::cli::args::{CloudCreate, CloudResave};
use crate::cli::context::Context;
use crate::cli::output::{
    CliError, Report, confirm, refuse_change_if_read_only, refuse_if_read_only,
};
use crate::setup::actions::{CloudMode, CloudOutcome};
use crate::setup::resave::{ResaveDone, ResavePlan};
use serde::Serialize;
use std::time::Duration;

/// `cloud create --json`: `changed`, `path`, `tenantUrl`, `agents[]`.
#[derive(Serialize)]
pub struct CloudReport {
    pub ok: bool,
    #[serde(flatten)]
    pub outcome: CloudOutcome,
}

pub async fn create(ctx: &Context, a: &CloudCreate) -> Result<Report, CliError> {
    refuse_if_read_only(ctx.read_only, "this command changes AEM")?;
    let setup = ctx.setup()?;
    let mode = match (a.repoint, a.new) {
        (true, _) => CloudMode::Repoint,
        (_, true) => CloudMode::New,
        _ => CloudMode::Create,
    };
    if mode != CloudMode::Create {
        confirm(
            a.yes,
            if a.repoint { "repoint" } else { "new" },
            &if a.repoint {
                format!(
                    "This repoints the existing Brand Portal configuration to {}; AEM creates four agents and a MAC user for it",
                    a.service_url
                )
            } else {
                format!(
                    "This adds a second Brand Portal configuration for {}; one author should serve one tenant",
                    a.service_url
                )
            },
        )?;
    }
    let signals = crate::cli::signals::guard();
    let setup = setup.with_stop(signals.stop());
    let out = setup
        .create_cloud(
            &a.title,
            &a.service_url,
            a.ims.as_deref(),
            Duration::from_secs(a.wait),
            mode,
        )
        .await?;
    let text = format!(
        "{} {}\n  tenant {}\n  agents: {}\nNext: `brandlink agents --test`.\n",
        if out.changed {
            "Created"
        } else {
            "Already present, nothing changed:"
        },
        out.path.clone().unwrap_or_default(),
        out.tenant_url,
        out.agents.join(", ")
    );
    let text = out.warnings.iter().fold(text, |t, w| format!("{t}! {w}\n"));
    Ok(Report::new(
        true,
        text,
        &CloudReport {
            ok: true,
            outcome: out,
        },
    ))
}

/// `cloud resave --json`: `ok`, `dryRun`, `plan` (`cloud`, `agentsBefore`), `done` (`agents`,
/// `backup`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResaveReport {
    ok: bool,
    dry_run: bool,
    plan: ResavePlan,
    done: Option<ResaveDone>,
}

pub async fn resave(ctx: &Context, a: &CloudResave) -> Result<Report, CliError> {
    refuse_change_if_read_only(
        ctx.read_only,
        a.change.dry_run,
        "saving the cloud configuration again changes AEM",
    )?;
    let setup = ctx.setup()?;
    let tenant = ctx.tenant_or(&a.tenant);
    let plan = setup.resave_plan(tenant.as_deref()).await?;
    let c = &plan.cloud;
    let mut text = format!(
        "Save the cloud configuration {} again with the values it holds:\n  title {}\n  Service URL {}\n  IMS configuration {}\n  scopes {}\n  publish folder {}\n  agents now: {}\nAEM creates the tenant's missing agents when it is saved.\n",
        c.path,
        c.title,
        c.tenant_url,
        c.ims_config,
        c.scopes,
        c.pub_folder.as_deref().unwrap_or("(none)"),
        if plan.agents_before.is_empty() {
            "none".to_string()
        } else {
            plan.agents_before.join(", ")
        }
    );
    if a.change.dry_run {
        text.push_str("Dry run: nothing was backed up or changed.\n");
        let body = ResaveReport {
            ok: true,
            dry_run: true,
            plan,
            done: None,
        };
        return Ok(Report::new(true, text, &body));
    }
    if !ctx.json {
        eprint!("{text}");
    }
    confirm(
        a.change.yes,
        "resave",
        "This saves the cloud configuration again after backing up its values",
    )?;
    let signals = crate::cli::signals::guard();
    let setup = setup.with_stop(signals.stop());
    let done = setup
        .resave_cloud(&plan, &a.change.backup_root(), Duration::from_secs(a.wait))
        .await?;
    let backup = done.backup.display().to_string();
    let text = format!(
        "Saved {} again; agents: {} (backup: {backup}; `brandlink restore --from {backup}` sets the values back).\nNext: `brandlink agents --test`.\n",
        done.plan.cloud.path,
        done.agents.join(", ")
    );
    let body = ResaveReport {
        ok: true,
        dry_run: false,
        plan,
        done: Some(done),
    };
    Ok(Report::new(true, text, &body))
}
