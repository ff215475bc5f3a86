//! `brandlink fleet migrate`: one plan for every JWT author of the selected profiles (each the
//! single-author migration plan, with the values of the author's profile and its secret's
//! variable), one typed confirmation, then author by author; a summary with each author's
//! backup and the command that restores it.

use super::account::{changes_text, tests_text};
use crate::cli::args::FleetMigrate;
use crate::cli::context::{Context, GlobalArgs};
use crate::cli::output::{CliError, Report, confirm, refuse_change_if_read_only};
use crate::config::Profile;
use crate::setup::fleet_migrate::{
    self, AuthorMigration, MigrationMember, MigrationState, would_migrate,
};
use crate::setup::migrate::MigrateRequest;
use secrecy::SecretString;
use serde::Serialize;

/// `fleet migrate --json`: `ok`, `dryRun`, `keepGoing`, `authors[]`, `summary`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FleetMigrateReport<'a> {
    pub ok: bool,
    pub dry_run: bool,
    pub keep_going: bool,
    pub authors: Vec<MigrationRow<'a>>,
    pub summary: MigrationSummary,
}

/// One author: `profile`, `aemUrl`, `state` (planned, already-oauth, failed, migrated,
/// not-started), `message`, `plan` (as `account migrate --json`), `backupDir`,
/// `restoreCommand`, `tests[]`, `retried[]`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MigrationRow<'a> {
    #[serde(flatten)]
    pub author: &'a AuthorMigration,
    pub restore_command: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MigrationSummary {
    pub authors: usize,
    pub planned: usize,
    pub migrated: usize,
    pub already_oauth: usize,
    pub failed: usize,
    pub not_started: usize,
    pub line: String,
}

fn summary(authors: &[AuthorMigration]) -> MigrationSummary {
    let n = |s: MigrationState| authors.iter().filter(|a| a.state == s).count();
    let s = MigrationSummary {
        authors: authors.len(),
        planned: n(MigrationState::Planned),
        migrated: n(MigrationState::Migrated),
        already_oauth: n(MigrationState::AlreadyOauth),
        failed: n(MigrationState::Failed),
        not_started: n(MigrationState::NotStarted),
        line: String::new(),
    };
    MigrationSummary {
        line: format!(
            "{}: {} planned, {} migrated, {} already on OAuth, {} failed, {} not started",
            crate::words::count(s.authors as u64, "author", "authors"),
            s.planned,
            s.migrated,
            s.already_oauth,
            s.failed,
            s.not_started
        ),
        ..s
    }
}

/// The author's OAuth values from its profile, and its client secret from the variable the
/// profile names; what is missing, said so it can be added.
fn values(name: &str, p: &Profile) -> Result<(MigrateRequest, SecretString), String> {
    let missing: Vec<&str> = [
        ("oauth_scopes", p.scopes().is_empty()),
        ("client_secret_env", p.client_secret_env.is_none()),
    ]
    .into_iter()
    .filter_map(|(k, absent)| absent.then_some(k))
    .collect();
    if !missing.is_empty() {
        return Err(format!(
            "profile '{name}' lacks {}: add the values of the author's OAuth Server-to-Server credential from the Developer Console (brandlink --print-default-config shows the keys)",
            missing.join(", ")
        ));
    }
    let var = p.client_secret_env.clone().unwrap_or_default();
    let secret = std::env::var(&var)
        .ok()
        .filter(|v| !v.is_empty())
        .map(SecretString::from)
        .ok_or_else(|| {
            format!(
                "{var} (the profile's client_secret_env) is not set: put this author's client secret in it"
            )
        })?;
    Ok((
        MigrateRequest {
            api_key: p.client_id.as_ref().map(|c| c.trim().to_string()),
            scopes: p.scopes(),
            org_id: p.org_id.clone().unwrap_or_default().trim().to_string(),
            verify: true,
        },
        secret,
    ))
}

fn member(profile: String, ctx: &Context) -> MigrationMember {
    MigrationMember {
        aem_url: ctx.shown_url(),
        setup: super::fleet::unattended(ctx),
        values: values(&profile, &ctx.profile),
        profile,
    }
}

fn restore_command(a: &AuthorMigration) -> Option<String> {
    a.backup_dir.as_ref().map(|d| {
        format!(
            "brandlink --profile {} restore --from {}",
            a.profile,
            d.display()
        )
    })
}

fn mark(s: MigrationState) -> &'static str {
    match s {
        MigrationState::Planned => "○",
        MigrationState::AlreadyOauth | MigrationState::Migrated => "✓",
        MigrationState::Failed => "✗",
        MigrationState::NotStarted => "-",
    }
}

fn text(authors: &[AuthorMigration], with_plan: bool) -> String {
    let mut t = String::new();
    for a in authors {
        t.push_str(&format!(
            "{} {} ({}): {}\n",
            mark(a.state),
            a.profile,
            a.aem_url,
            a.message
        ));
        if let (true, Some(p)) = (with_plan, &a.plan) {
            t.push_str(&changes_text(&p.changes));
        }
        t.push_str(&tests_text(&a.tests));
        if let Some(cmd) = restore_command(a) {
            t.push_str(&format!("    backup: {}\n    restore: {cmd}\n", {
                a.backup_dir
                    .as_ref()
                    .map(|d| d.display().to_string())
                    .unwrap_or_default()
            }));
        }
        if !a.retried.is_empty() {
            t.push_str(&format!(
                "    blocked queues told to retry: {}\n",
                a.retried.join(", ")
            ));
        }
    }
    t
}

fn report(authors: &[AuthorMigration], dry_run: bool, keep_going: bool, head: String) -> Report {
    let s = summary(authors);
    let ok = s.failed == 0 && s.not_started == 0;
    let body = FleetMigrateReport {
        ok,
        dry_run,
        keep_going,
        authors: authors
            .iter()
            .map(|a| MigrationRow {
                author: a,
                restore_command: restore_command(a),
            })
            .collect(),
        summary: s,
    };
    let text = format!("{head}{}\n", body.summary.line);
    Report::new(ok, text, &body)
}

pub async fn run(g: &GlobalArgs, a: &FleetMigrate) -> Result<Report, CliError> {
    refuse_change_if_read_only(
        g.read_only,
        a.change.dry_run,
        "the fleet migration changes AEM",
    )?;
    let members: Vec<MigrationMember> = super::fleet::resolve(g, &a.select)?
        .into_iter()
        .map(|(name, ctx)| member(name, &ctx))
        .collect();
    let plans = crate::cli::progress::while_waiting(
        "asking IMS with each author's values",
        fleet_migrate::plan(members),
    )
    .await;
    let head = format!(
        "Fleet migration, JWT → OAuth Server-to-Server, in place (same PIDs):\n{}",
        text(&plans, true)
    );
    if a.change.dry_run {
        let head = format!("{head}Dry run: nothing was backed up or changed.\n");
        return Ok(report(&plans, true, a.keep_going, head));
    }
    let go: Vec<String> = would_migrate(&plans, a.keep_going)
        .iter()
        .map(|p| p.profile.clone())
        .collect();
    if go.is_empty() {
        let head = format!("{head}Nothing to migrate.\n");
        return Ok(report(&plans, false, a.keep_going, head));
    }
    if !g.json {
        eprint!("{head}");
    }
    confirm(
        a.change.yes,
        "migrate",
        &format!(
            "This migrates {} ({}) in place, each backed up first{}",
            crate::words::count(go.len() as u64, "author", "authors"),
            go.join(", "),
            if a.keep_going {
                ""
            } else {
                "; the run stops at the first failure"
            }
        ),
    )?;
    let root = a.change.backup_root();
    // Ctrl-C and SIGTERM stop the author in progress between its steps, and the run with it.
    let signals = crate::cli::signals::guard();
    let stop = signals.stop();
    let done = crate::cli::progress::while_waiting(
        "migrating author by author (backup, update, Test Connection)",
        fleet_migrate::execute(plans, &root, a.keep_going, &stop),
    )
    .await;
    let head = format!("Fleet migration:\n{}", text(&done, false));
    Ok(report(&done, false, a.keep_going, head))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_values_are_named_and_the_secret_comes_only_from_its_variable() {
        let e = values("prod", &Profile::default())
            .err()
            .unwrap_or_default();
        assert!(
            e.contains("'prod' lacks oauth_scopes, client_secret_env"),
            "{e}"
        );
        let p = Profile {
            oauth_scopes: Some(crate::config::OneOrMany::One("openid,AdobeID".into())),
            org_id: Some("X@AdobeOrg".into()),
            client_secret_env: Some("BRANDLINK_TEST_UNSET_SECRET_VARIABLE".into()),
            ..Profile::default()
        };
        let e = values("prod", &p).err().unwrap_or_default();
        assert!(
            e.starts_with(
                "BRANDLINK_TEST_UNSET_SECRET_VARIABLE (the profile's client_secret_env) is not set"
            ),
            "{e}"
        );
    }
}
