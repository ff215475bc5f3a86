//! `brandlink fleet status|doctor|migrate`: the config file's profiles as one fleet. Each
//! author is read and judged as `status` and `doctor` judge one (the setup service's fleet
//! read), a row per author, the fleet's own checks, a summary; exit 1 when any author fails.
//! The migration is in `fleet_migrate.rs`.

use super::status::DoctorSummary;
use crate::cli::args::{FleetCommand, FleetRead, FleetSelect};
use crate::cli::context::{Context, ContextError, GlobalArgs};
use crate::cli::output::{CliError, Report};
use crate::setup::Integration;
use crate::setup::fleet::{AuthorRead, Member, Unbuilt};
use crate::verdict::fleet::{Row, Summary};
use crate::verdict::{self, Finding, Status, StepReport};
use serde::Serialize;

/// `fleet status --json`: `ok`, `authors[]`, `findings[]` (the fleet's own checks, shaped as
/// the doctor's), `summary`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FleetStatusReport {
    pub ok: bool,
    pub authors: Vec<StatusAuthor>,
    pub findings: Vec<Finding>,
    pub summary: Summary,
}

/// One author of `fleet status --json`: the keys of `status --json` (with `integration` null
/// and `steps` empty when it could not be read) plus `profile`, `error` and `row`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusAuthor {
    pub profile: String,
    pub ok: bool,
    pub steps: Vec<StepReport>,
    pub integration: Option<Integration>,
    pub doctor: DoctorSummary,
    /// Why the author could not be read.
    pub error: Option<String>,
    pub row: Row,
}

/// `fleet doctor --json`: `ok`, `authors[]`, `findings[]`, `summary`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FleetDoctorReport {
    pub ok: bool,
    pub authors: Vec<DoctorAuthor>,
    pub findings: Vec<Finding>,
    pub summary: Summary,
}

/// One author of `fleet doctor --json`: the keys of `doctor --json` plus `profile`, `error`
/// and `row`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DoctorAuthor {
    pub profile: String,
    #[serde(flatten)]
    pub report: verdict::Report,
    pub error: Option<String>,
    pub row: Row,
}

pub async fn run(command: FleetCommand, global: &GlobalArgs) -> Result<Report, CliError> {
    match command {
        FleetCommand::Status(a) => status(global, &a).await,
        FleetCommand::Doctor(a) => doctor(global, &a).await,
        FleetCommand::Migrate(a) => super::fleet_migrate::run(global, &a).await,
    }
}

/// The options that name one author have no place here: each author is its profile.
fn refuse_single_author_options(g: &GlobalArgs) -> Result<(), CliError> {
    let given: Vec<&str> = [
        ("--url", g.url.is_some()),
        ("--user", g.user.is_some()),
        ("--password-env", g.password_env.is_some()),
        ("--profile", g.profile.is_some()),
        ("--ims-url", g.ims_url.is_some()),
        ("--tls-pin", g.tls_pin.is_some()),
    ]
    .into_iter()
    .filter_map(|(flag, on)| on.then_some(flag))
    .collect();
    if given.is_empty() {
        return Ok(());
    }
    Err(CliError::Usage(format!(
        "{} name one author; a fleet command reads each author from its profile: put url, user, password_env, ims_url and tls_pin in the profiles and choose them with --profiles a,b or --all",
        given.join(", ")
    )))
}

/// The selected profiles, each resolved (in the order given; `--all`: by name).
pub(super) fn resolve(
    g: &GlobalArgs,
    sel: &FleetSelect,
) -> Result<Vec<(String, Context)>, CliError> {
    refuse_single_author_options(g)?;
    let (cfg, path) =
        crate::config::load(g.config.as_deref()).map_err(|e| CliError::Usage(e.to_string()))?;
    let where_ = path
        .as_deref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "no config file (brandlink --print-default-config shows one)".into());
    let mut names: Vec<String> = if sel.all {
        cfg.profiles.keys().cloned().collect()
    } else {
        sel.profiles.iter().map(|p| p.trim().to_string()).collect()
    };
    let mut seen = std::collections::BTreeSet::new();
    names.retain(|n| !n.is_empty() && seen.insert(n.clone()));
    if names.is_empty() {
        return Err(CliError::Usage(format!(
            "no profiles to work on ({where_}): add [profiles.NAME] sections with url, user and password_env"
        )));
    }
    let unknown: Vec<&String> = names
        .iter()
        .filter(|n| !cfg.profiles.contains_key(*n))
        .collect();
    if !unknown.is_empty() {
        return Err(CliError::Usage(format!(
            "unknown profile{} {} in {where_} (known: {})",
            if unknown.len() == 1 { "" } else { "s" },
            unknown
                .iter()
                .map(|n| n.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            cfg.profiles.keys().cloned().collect::<Vec<_>>().join(", ")
        )));
    }
    names
        .into_iter()
        .map(|name| {
            let mut one = g.clone();
            one.profile = Some(name.clone());
            let ctx = Context::resolve(&one)
                .map_err(|e| CliError::Usage(format!("profile '{name}': {e}")))?;
            Ok((name, ctx))
        })
        .collect()
}

/// The setup service of one profile, or why there is none (never a prompt).
pub(super) fn unattended(ctx: &Context) -> Result<crate::setup::Setup, Unbuilt> {
    ctx.setup_unattended().map_err(|e| Unbuilt {
        state: match e {
            ContextError::Secret(_) => "no password",
            _ => "bad profile",
        },
        message: e.to_string(),
    })
}

async fn read(
    g: &GlobalArgs,
    sel: &FleetSelect,
    test: bool,
) -> Result<crate::setup::fleet::FleetRead, CliError> {
    let members: Vec<Member> = resolve(g, sel)?
        .into_iter()
        .map(|(profile, ctx)| Member {
            aem_url: ctx.shown_url(),
            tenant: ctx.tenant.clone(),
            setup: unattended(&ctx),
            profile,
        })
        .collect();
    let what = format!(
        "reading {} authors{}",
        members.len(),
        if test {
            " (with a Test Connection each)"
        } else {
            ""
        }
    );
    Ok(crate::cli::progress::while_waiting(&what, crate::setup::fleet::read(members, test)).await)
}

async fn status(g: &GlobalArgs, a: &FleetRead) -> Result<Report, CliError> {
    let fleet = read(g, &a.select, false).await?;
    let summary = fleet.summary(AuthorRead::status_ok);
    let authors: Vec<StatusAuthor> = fleet
        .authors
        .iter()
        .map(|r| {
            let ok = r.status_ok();
            StatusAuthor {
                profile: r.profile.clone(),
                ok,
                steps: r
                    .verdict
                    .as_ref()
                    .map(|v| v.steps.clone())
                    .unwrap_or_default(),
                integration: r.verdict.as_ref().and_then(|v| v.integration.clone()),
                doctor: DoctorSummary {
                    ok: r.report.ok,
                    counts: r.report.counts,
                    summary: r.report.summary(),
                },
                error: r.error.clone(),
                row: r.row(ok),
            }
        })
        .collect();
    let rows: Vec<(&Row, Option<&str>)> = authors
        .iter()
        .map(|a| (&a.row, a.error.as_deref()))
        .collect();
    let text = render("status", &rows, &fleet.findings, &summary);
    let body = FleetStatusReport {
        ok: summary.ok,
        authors,
        findings: fleet.findings,
        summary,
    };
    Ok(Report::new(body.ok, text, &body))
}

async fn doctor(g: &GlobalArgs, a: &FleetRead) -> Result<Report, CliError> {
    let fleet = read(g, &a.select, !a.no_test).await?;
    let summary = fleet.summary(|r| r.report.ok);
    let authors: Vec<DoctorAuthor> = fleet
        .authors
        .iter()
        .map(|r| DoctorAuthor {
            profile: r.profile.clone(),
            report: r.report.clone(),
            error: r.error.clone(),
            row: r.row(r.report.ok),
        })
        .collect();
    let rows: Vec<(&Row, Option<&str>)> = authors
        .iter()
        .map(|a| (&a.row, a.error.as_deref()))
        .collect();
    let text = render("doctor", &rows, &fleet.findings, &summary);
    let body = FleetDoctorReport {
        ok: summary.ok,
        authors,
        findings: fleet.findings,
        summary,
    };
    Ok(Report::new(body.ok, text, &body))
}

/// The table: a row per author (and under a failing one, why), the fleet's checks, the summary.
fn render(what: &str, rows: &[(&Row, Option<&str>)], findings: &[Finding], s: &Summary) -> String {
    let w = |f: &dyn Fn(&Row) -> usize, title: &str| {
        rows.iter()
            .map(|(r, _)| f(r))
            .max()
            .unwrap_or(0)
            .max(title.chars().count())
    };
    let wp = w(&|r| r.profile.chars().count(), "PROFILE");
    let wu = w(&|r| r.aem_url.chars().count(), "URL");
    let wv = w(
        &|r| r.aem_version.as_deref().unwrap_or("-").chars().count(),
        "AEM",
    );
    let ws = w(&|r| r.state.chars().count(), "STATE");
    let wq = w(&|r| r.pending_word().chars().count(), "PENDING");
    let mut text = format!(
        "brandlink fleet {what} — {}\n  {:<wp$}  {:<wu$}  {:<wv$}  {:<5}  {:<ws$}  {:<wq$}  DOCTOR\n",
        crate::words::count(rows.len() as u64, "author", "authors"),
        "PROFILE",
        "URL",
        "AEM",
        "CRED",
        "STATE",
        "PENDING"
    );
    for (r, error) in rows {
        let c = r.counts;
        text.push_str(&format!(
            "{} {:<wp$}  {:<wu$}  {:<wv$}  {:<5}  {:<ws$}  {:<wq$}  {} ok, {} !, {} ✗\n",
            if r.ok { "✓" } else { "✗" },
            r.profile,
            r.aem_url,
            r.aem_version.as_deref().unwrap_or("-"),
            r.credential_word(),
            r.state,
            r.pending_word(),
            c.ok,
            c.warn,
            c.fail
        ));
        let why = error.map(str::to_string).or(r.first_failure.clone());
        if let (false, Some(why)) = (r.ok, why) {
            text.push_str(&format!("  {:<wp$}  → {why}\n", ""));
        }
    }
    text.push_str("fleet:\n");
    let width = findings.iter().map(|f| f.id.len()).max().unwrap_or(0);
    for f in findings {
        text.push_str(&format!(
            "{} {:<width$}  {}\n",
            f.status.mark(),
            f.id,
            f.finding
        ));
        if matches!(f.status, Status::Warn | Status::Fail) {
            for (label, value) in f.details() {
                text.push_str(&format!("{}{label}: {value}\n", " ".repeat(width + 4)));
            }
        }
    }
    text.push_str(&s.line);
    text.push('\n');
    text
}
