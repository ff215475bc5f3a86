//! `brandlink agents [--test]`: step 4, the tenant's agents and Test Connection.

use crate::cli::args::AgentsArgs;
use crate::cli::context::Context;
use crate::cli::output::{CliError, Report};

/// `agents --json` is [`crate::setup::service::AgentsReport`]: `ok`, `tenantUrl`, `agents[]`,
/// `tests[]`, `warnings[]`.
pub async fn run(ctx: &Context, a: &AgentsArgs) -> Result<Report, CliError> {
    let setup = ctx.setup()?;
    let tenant = setup
        .resolve_tenant(ctx.tenant_or(&a.tenant).as_deref())
        .await?;
    let r = setup.agents(&tenant, a.test).await?;
    let mut text = format!("Brand Portal agents for {tenant}:\n");
    for ag in &r.agents {
        text.push_str(&format!(
            "  {:<24} {:<8} {}\n",
            ag.id,
            if ag.enabled { "enabled" } else { "DISABLED" },
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
