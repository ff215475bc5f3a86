//! `brandlink cloud create`: step 3, the Brand Portal cloud configuration.

use crate::cli::args::CloudCreate;
use crate::cli::context::Context;
use crate::cli::output::{CliError, Report, confirm, refuse_if_read_only};
use crate::setup::actions::{CloudMode, CloudOutcome};
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
