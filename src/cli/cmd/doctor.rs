//! `brandlink doctor`: one line per check (✓ / ! / ✗ / -), with cause, fix and command under
//! what is not ok; a summary line; exit 1 when a check fails.

use crate::cli::args::DoctorArgs;
use crate::cli::context::Context;
use crate::cli::output::{CliError, Report};
use crate::verdict::{self, Status};

/// `doctor --json` is [`crate::verdict::Report`]: `ok`, `aemUrl`, `tenantUrl`, `readAt`,
/// `tested`, `counts`, `findings[]` of `{id, status, finding, cause, fix, command, source}`
/// and `steps[]` (the steps judged from the same read; `ok` needs every one done).
pub async fn run(ctx: &Context, a: &DoctorArgs) -> Result<Report, CliError> {
    let setup = ctx.setup()?;
    let tenant = ctx.tenant_or(&a.tenant);
    if let Some(t) = &tenant {
        crate::setup::snapshot::check_service_url(t)
            .map_err(|e| CliError::Usage(format!("--tenant: {e}")))?;
    }
    let report = crate::cli::progress::while_waiting(
        "checking the integration",
        setup.doctor(tenant.as_deref(), !a.no_test),
    )
    .await;
    Ok(Report::new(report.ok, render(&report), &report))
}

/// The text form: the id column as wide as the longest id.
pub fn render(report: &verdict::Report) -> String {
    let width = report.id_width();
    let mut text = format!(
        "brandlink doctor — {}{}\n",
        report.aem_url,
        report
            .tenant_url
            .as_deref()
            .map(|t| format!(" → {t}"))
            .unwrap_or_default()
    );
    for f in &report.findings {
        text.push_str(&format!(
            "{} {:<width$}  {}\n",
            f.status.mark(),
            f.id,
            f.finding
        ));
        if matches!(f.status, Status::Warn | Status::Fail) {
            let pad = " ".repeat(width + 4);
            for (label, value) in f.details() {
                text.push_str(&format!("{pad}{label}: {value}\n"));
            }
        }
    }
    for s in report.steps_not_done() {
        text.push_str(&format!("✗ step {s}\n"));
    }
    text.push_str(&report.summary());
    text.push('\n');
    text
}
