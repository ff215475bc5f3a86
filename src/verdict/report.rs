//! The shape of a verdict as `brandlink doctor` shows it: findings (id, status, what was found,
//! cause, fix, the command that applies it, Adobe's page) and the steps judged beside them.
//! `doctor --json` is a stable list of [`Finding`]s.

use super::steps::{StepReport, StepStatus};
use serde::Serialize;

/// How a check came out. Ordered from good to bad.
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    /// Not applicable here, or not run (`--no-test`), or nothing to look at yet.
    Skip,
    Warn,
    Fail,
}

impl Status {
    pub fn mark(self) -> &'static str {
        match self {
            Status::Ok => "✓",
            Status::Skip => "-",
            Status::Warn => "!",
            Status::Fail => "✗",
        }
    }
}

/// A fix brandlink can apply itself (the TUI offers it; the CLI names the command).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Remedy {
    /// Set Close Connection on these agents (backed up first).
    CloseConnection(Vec<String>),
    /// Convert the JWT IMS configuration to OAuth Server-to-Server in place.
    Migrate,
    /// Replace the integration of this tenant (backed up first).
    Upgrade(String),
    /// Resume these paused queues.
    Resume(Vec<String>),
}

/// One check's outcome: the stable JSON shape of `doctor --json`.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    /// Stable identifier, e.g. `agents.close-connection`.
    pub id: &'static str,
    pub status: Status,
    /// What was found, one line.
    pub finding: String,
    /// Why, when it is not ok.
    pub cause: Option<String>,
    /// What to do.
    pub fix: Option<String>,
    /// The brandlink command that applies the fix.
    pub command: Option<String>,
    /// Where Adobe documents it.
    pub source: Option<&'static str>,
    #[serde(skip)]
    pub remedy: Option<Remedy>,
}

impl Finding {
    pub fn new(id: &'static str, status: Status, finding: impl Into<String>) -> Finding {
        Finding {
            id,
            status,
            finding: finding.into(),
            cause: None,
            fix: None,
            command: None,
            source: None,
            remedy: None,
        }
    }
    pub fn ok(id: &'static str, finding: impl Into<String>) -> Finding {
        Finding::new(id, Status::Ok, finding)
    }
    pub fn skip(id: &'static str, finding: impl Into<String>) -> Finding {
        Finding::new(id, Status::Skip, finding)
    }
    pub fn warn(id: &'static str, finding: impl Into<String>) -> Finding {
        Finding::new(id, Status::Warn, finding)
    }
    pub fn fail(id: &'static str, finding: impl Into<String>) -> Finding {
        Finding::new(id, Status::Fail, finding)
    }
    pub fn cause(mut self, c: impl Into<String>) -> Finding {
        self.cause = Some(c.into());
        self
    }
    pub fn fix(mut self, f: impl Into<String>) -> Finding {
        self.fix = Some(f.into());
        self
    }
    pub fn command(mut self, c: impl Into<String>) -> Finding {
        self.command = Some(c.into());
        self
    }
    pub fn source(mut self, s: &'static str) -> Finding {
        self.source = Some(s);
        self
    }
    pub fn remedy(mut self, r: Remedy) -> Finding {
        self.remedy = Some(r);
        self
    }
    /// What is shown under a finding, labelled: why, fix, run (the command), see (Adobe's page).
    pub fn details(&self) -> Vec<(&'static str, &str)> {
        [
            ("why", self.cause.as_deref()),
            ("fix", self.fix.as_deref()),
            ("run", self.command.as_deref()),
            ("see", self.source),
        ]
        .into_iter()
        .filter_map(|(label, v)| v.map(|v| (label, v)))
        .collect()
    }

    /// Takes cause, fix and command from an explained log line; the cause quotes AEM's line.
    pub fn explained(self, c: &super::causes::Cause) -> Finding {
        let quote: String = if c.evidence.chars().count() > 200 {
            c.evidence.chars().take(199).chain(['…']).collect()
        } else {
            c.evidence.clone()
        };
        let f = self
            .cause(format!("{} (AEM's log: {quote})", c.cause))
            .fix(c.fix.clone());
        match &c.command {
            Some(cmd) => f.command(cmd.clone()),
            None => f,
        }
    }
}

/// Counts per status.
#[derive(Clone, Copy, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Counts {
    pub ok: usize,
    pub warn: usize,
    pub fail: usize,
    pub skip: usize,
}

/// `doctor --json`: `ok` is false when any check fails (warnings allowed).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub ok: bool,
    pub aem_url: String,
    pub tenant_url: Option<String>,
    /// The author: version, 6.5 LTS or not, service pack, Java (`null` when it could not be
    /// read at all).
    pub aem: Option<crate::evidence::AemInfo>,
    #[serde(serialize_with = "crate::when::json::secs")]
    pub read_at: i64,
    /// Whether the Test Connection ran.
    pub tested: bool,
    pub counts: Counts,
    pub findings: Vec<Finding>,
    /// The four steps, judged from the same read (`ok` needs every one done).
    pub steps: Vec<StepReport>,
}

impl Report {
    pub fn from_findings(
        aem_url: &str,
        tenant_url: Option<String>,
        read_at: i64,
        tested: bool,
        findings: Vec<Finding>,
    ) -> Report {
        let mut counts = Counts::default();
        for f in &findings {
            match f.status {
                Status::Ok => counts.ok += 1,
                Status::Warn => counts.warn += 1,
                Status::Fail => counts.fail += 1,
                Status::Skip => counts.skip += 1,
            }
        }
        Report {
            ok: counts.fail == 0,
            aem_url: aem_url.to_string(),
            tenant_url,
            aem: None,
            read_at,
            tested,
            counts,
            findings,
            steps: vec![],
        }
    }

    /// Judges the steps beside the findings: the verdict is ok only when every step is done.
    pub fn set_steps(&mut self, steps: &[StepReport]) {
        self.steps = steps.to_vec();
        self.ok = self.counts.fail == 0 && steps.iter().all(|s| s.status == StepStatus::Done);
    }

    /// The steps not done, with why: `Replication: …`.
    pub fn steps_not_done(&self) -> Vec<String> {
        self.steps
            .iter()
            .filter_map(|s| match &s.status {
                StepStatus::Done => None,
                StepStatus::Pending(r) => Some(format!("{} to do: {r}", s.title)),
                StepStatus::Failing(r) => Some(format!("{} failing: {r}", s.title)),
            })
            .collect()
    }

    /// The width of the id column: the longest id.
    pub fn id_width(&self) -> usize {
        self.findings.iter().map(|f| f.id.len()).max().unwrap_or(0)
    }

    /// `14 ok, 1 warning, 0 failures`.
    pub fn counts_line(&self) -> String {
        let c = self.counts;
        let plural =
            |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        format!(
            "{} ok, {}, {}",
            c.ok,
            plural(c.warn, "warning", "warnings"),
            plural(c.fail, "failure", "failures")
        )
    }

    /// One line: `doctor: 14 ok, 1 warning, 0 failures` (and the first failure).
    pub fn summary(&self) -> String {
        let mut s = format!("doctor: {}", self.counts_line());
        if let Some(f) = self.findings.iter().find(|f| f.status == Status::Fail) {
            s.push_str(&format!(" — {}", f.finding));
        } else if let Some(step) = self.steps_not_done().first() {
            s.push_str(&format!(" — {step}"));
        }
        s
    }

    pub fn worst(&self) -> Status {
        self.findings
            .iter()
            .map(|f| f.status)
            .max()
            .unwrap_or(Status::Ok)
    }
}

/// `status --json`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusReport {
    pub ok: bool,
    /// The author: `version`, `lts`, `servicePack`, `label`, `java`.
    pub aem: crate::evidence::version::AemInfo,
    pub steps: Vec<StepReport>,
    pub integration: crate::evidence::Integration,
    /// The doctor's verdict (without Test Connection: `status` changes nothing).
    pub doctor: DoctorSummary,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DoctorSummary {
    pub ok: bool,
    pub counts: Counts,
    pub summary: String,
}

impl StatusReport {
    /// `ok`: the author is ready and the doctor finds nothing wrong.
    pub fn new(
        steps: Vec<StepReport>,
        integration: crate::evidence::Integration,
        doctor: &Report,
    ) -> Self {
        StatusReport {
            ok: integration.readiness.ready() && doctor.ok,
            aem: integration.aem.clone(),
            steps,
            integration,
            doctor: DoctorSummary {
                ok: doctor.ok,
                counts: doctor.counts,
                summary: doctor.summary(),
            },
        }
    }
}
