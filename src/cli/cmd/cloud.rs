//! `brandlink cloud create`: step 3, the Brand Portal cloud configuration.

use crate::cli::args::CloudCreate;
use crate::cli::context::Context;
use crate::cli::output::{CliError, Report, refuse_if_read_only};
use crate::setup::actions::CloudOutcome;
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
    let out = setup
        .create_cloud(
            &a.title,
            &a.service_url,
            a.ims.as_deref(),
            Duration::from_secs(a.wait),
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
    Ok(Report::new(
        true,
        text,
        &CloudReport {
            ok: true,
            outcome: out,
        },
    ))
}
