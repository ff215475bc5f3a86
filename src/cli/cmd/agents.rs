//! `brandlink agents [--test] [--close-connection]`: step 4, the tenant's agents, Test
//! Connection, and Adobe's Close Connection fix.

use crate::cli::args::AgentsArgs;
use crate::cli::context::Context;
use crate::cli::output::{CliError, Report, confirm, refuse_change_if_read_only};
use crate::setup::service::{CloseConnectionDone, CloseConnectionPlan};
use serde::Serialize;

/// `agents --json` is [`crate::setup::service::AgentsReport`]: `ok`, `tenantUrl`, `agents[]`,
/// `tests[]`, `warnings[]`.
pub async fn run(ctx: &Context, a: &AgentsArgs) -> Result<Report, CliError> {
    if a.close_connection {
        return close_connection(ctx, a).await;
    }
    let setup = ctx.setup()?;
    let tenant = setup
        .resolve_tenant(ctx.tenant_or(&a.tenant).as_deref())
        .await?;
    let r = if a.test {
        crate::cli::progress::while_waiting(
            "Test Connection on the agents",
            setup.agents(&tenant, true),
        )
        .await?
    } else {
        setup.agents(&tenant, false).await?
    };
    let mut text = format!("Brand Portal agents for {tenant}:\n");
    for ag in &r.agents {
        text.push_str(&format!(
            "  {:<24} {:<8} {:<16} {}\n",
            ag.id,
            if ag.enabled { "enabled" } else { "DISABLED" },
            if ag.close_connection {
                "close-connection"
            } else {
                "keep-alive"
            },
            ag.transport_uri
        ));
        if let Some(t) = r.tests.iter().find(|t| t.agent == ag.id) {
            let mark = if t.success { "✓" } else { "✗" };
            text.push_str(&format!("  {:<24} {mark} {}\n", "", t.summary));
            if !t.success {
                for l in &t.explanation {
                    text.push_str(&format!("  {:<24}     {l}\n", ""));
                }
            }
        }
    }
    for w in &r.warnings {
        text.push_str(&format!("! {w}\n"));
    }
    Ok(Report::new(r.ok, text, &r))
}

/// `agents --close-connection --json`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CloseConnectionReport {
    ok: bool,
    dry_run: bool,
    /// Something on the author was written (false: a dry run, or nothing needed changing).
    changed: bool,
    plan: CloseConnectionPlan,
    done: Option<CloseConnectionDone>,
}

async fn close_connection(ctx: &Context, a: &AgentsArgs) -> Result<Report, CliError> {
    refuse_change_if_read_only(
        ctx.read_only,
        a.change.dry_run,
        "setting Close Connection changes the agents",
    )?;
    let setup = ctx.setup()?;
    let tenant = setup
        .resolve_tenant(ctx.tenant_or(&a.tenant).as_deref())
        .await?;
    let plan = setup.close_connection_plan(&tenant).await?;
    let mut text = String::new();
    if plan.change.is_empty() {
        text.push_str(&format!(
            "Close Connection is set on all {} agents of {tenant}: nothing to change.\n",
            plan.already.len()
        ));
        let body = CloseConnectionReport {
            ok: true,
            dry_run: a.change.dry_run,
            changed: false,
            plan,
            done: None,
        };
        return Ok(Report::new(true, text, &body));
    }
    text.push_str(&format!(
        "Set Close Connection ({}=true) on {} agents of {tenant}:\n",
        crate::setup::service::CLOSE_CONNECTION,
        plan.change.len()
    ));
    for id in &plan.change {
        text.push_str(&format!("  {id}\n"));
    }
    for id in &plan.already {
        text.push_str(&format!("  {id} (has it already)\n"));
    }
    if a.change.dry_run {
        text.push_str("Dry run: nothing was backed up or changed.\n");
        let body = CloseConnectionReport {
            ok: true,
            dry_run: true,
            changed: false,
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
        "close",
        "This changes the agents after backing each one up",
    )?;
    let signals = crate::cli::signals::guard();
    let setup = setup.with_stop(signals.stop());
    let done = setup
        .close_connection(&plan, &a.change.backup_root())
        .await?;
    let backup = done
        .backup
        .as_ref()
        .map(|b| b.display().to_string())
        .unwrap_or_default();
    let text = format!(
        "Close Connection set on {} (backup: {backup}; `brandlink restore --from {backup}` sets it back).\n",
        done.changed.join(", ")
    );
    let body = CloseConnectionReport {
        ok: true,
        dry_run: false,
        changed: true,
        plan,
        done: Some(done),
    };
    Ok(Report::new(true, text, &body))
}
