//! The one rulebook: every verdict brandlink gives on an author, made from the one read
//! (`crate::evidence`). Front ends render verdicts; they do not judge.
//!
//! - `thresholds`: every number a verdict compares with;
//! - `causes`: what a failure in AEM's logs means, with the fix and the command;
//! - `diagnosis`: which cause explains what when several pieces of evidence speak (the token
//!   before the tenant's 401; the MAC user's key only on positive evidence);
//! - `steps`: the four steps of the procedure and their state;
//! - `findings`: the doctor's checks; `report`: their shape (`doctor --json`);
//! - [`judge`]: the whole verdict — steps and findings — of one read.

pub mod bundles;
pub mod causes;
pub mod diagnosis;
pub mod findings;
pub mod fleet;
pub mod gauges;
pub mod report;
pub mod steps;
pub mod thresholds;

pub use diagnosis::{Facts, TokenState};
pub use report::{Counts, Finding, Remedy, Report, Status};
pub use steps::{StepId, StepReport, StepStatus};

use crate::aem::{AemError, Reader};
pub use crate::evidence::ReadOptions;
use crate::evidence::{Evidence, Integration};

/// The verdict on one read: the steps (as `status` shows them) and the findings (as the
/// doctor shows them), judged together, so they cannot disagree.
#[derive(Clone, Debug)]
pub struct Verdict {
    pub integration: Option<Integration>,
    pub steps: Vec<StepReport>,
    pub report: Report,
}

impl Verdict {
    /// The exit code's verdict: every step done and no finding failing.
    pub fn ok(&self) -> bool {
        self.report.ok
    }
}

/// Judges one read.
pub fn judge(ev: &Evidence) -> Verdict {
    let integration = Integration::from_evidence(ev).ok();
    let steps = integration
        .as_ref()
        .map(Integration::steps)
        .unwrap_or_default();
    let findings = findings::all(ev, ev.test.is_some());
    let mut report = Report::from_findings(
        &ev.aem_url,
        ev.tenant_url.clone(),
        ev.read_at,
        ev.test.is_some(),
        findings,
    );
    report.set_steps(&steps);
    report.aem = Some(ev.aem_info());
    Verdict {
        integration,
        steps,
        report,
    }
}

/// Reads the author and judges it; an author that cannot be read at all is one failing
/// finding.
pub async fn read_and_judge(
    client: &Reader,
    opts: &ReadOptions,
    last_check: impl FnOnce(&str) -> Option<crate::evidence::LastCheck>,
) -> Result<(Evidence, Verdict), AemError> {
    let mut ev = crate::evidence::read(client, opts).await?;
    ev.last_check = last_check(&ev.aem_url);
    let v = judge(&ev);
    Ok((ev, v))
}

/// Reads the author and judges it into the doctor's report (an author that cannot be read
/// at all is one failing finding).
pub async fn diagnose(client: &Reader, opts: &ReadOptions) -> Report {
    match crate::evidence::read(client, opts).await {
        Ok(ev) => judge(&ev).report,
        Err(e) => unreadable(client.base_url(), opts.tenant.clone(), &e),
    }
}

/// The report for an author that could not be read.
pub fn unreadable(client_url: &str, tenant: Option<String>, e: &AemError) -> Report {
    Report::from_findings(
        client_url,
        tenant,
        chrono::Utc::now().timestamp(),
        false,
        vec![findings::unreachable(e)],
    )
}
