//! `brandlink status`: the whole integration at a glance.

use crate::cli::args::StatusArgs;
use crate::cli::context::Context;
use crate::cli::output::{CliError, Report};
use crate::setup::StepStatus;
pub use crate::verdict::report::{DoctorSummary, StatusReport};

fn mark(status: &StepStatus) -> &'static str {
    match status {
        StepStatus::Done => "done",
        StepStatus::Pending(_) => "pending",
        StepStatus::Failing(_) => "FAILING",
    }
}

pub async fn run(ctx: &Context, a: &StatusArgs) -> Result<Report, CliError> {
    let setup = ctx.setup()?;
    let tenant = ctx.tenant_or(&a.tenant);
    // One read, one verdict: the steps and the doctor's findings judged together (no Test
    // Connection: status changes nothing).
    let verdict = setup.verdict(tenant.as_deref(), false).await?;
    let crate::verdict::Verdict {
        integration,
        steps,
        report: doctor,
    } = verdict;
    let Some(integ) = integration else {
        return Err(CliError::Usage("the integration could not be read".into()));
    };
    let ok = integ.readiness.ready() && doctor.ok;
    let mut text = format!(
        "AEM {} — {}{}\n",
        integ.aem_url,
        integ.aem.line(),
        if integ.readiness.ready() {
            ", ready"
        } else {
            ", NOT ready"
        }
    );
    for s in &steps {
        text.push_str(&format!(
            "  {:<14} {:<8} {}\n",
            s.title,
            mark(&s.status),
            s.detail
        ));
        if let StepStatus::Pending(r) | StepStatus::Failing(r) = &s.status {
            text.push_str(&format!("  {:<14}          → {r}\n", ""));
        }
        for w in &s.warnings {
            text.push_str(&format!("  {:<14}          ! {w}\n", ""));
        }
    }
    if !integ.agents.is_empty() {
        text.push_str("  agents:\n");
        for a in &integ.agents {
            let (state, pending) = match (&a.queue, &a.depth) {
                (Some(q), Some(d)) => (
                    format!("{:?}", q.state()).to_lowercase(),
                    format!("{}{}", if d.at_least { "≥" } else { "" }, d.count),
                ),
                _ => ("unknown".into(), "?".into()),
            };
            text.push_str(&format!(
                "    {:<24} {:<8} {:<9} pending {}\n",
                a.info.id,
                if a.info.enabled {
                    "enabled"
                } else {
                    "DISABLED"
                },
                state,
                pending
            ));
        }
    }
    text.push_str(&format!(
        "{} (brandlink doctor for details and Test Connection)\n",
        doctor.summary()
    ));
    let body = StatusReport::new(steps, integ, &doctor);
    Ok(Report::new(ok, text, &body))
}
