//! JWT → OAuth Server-to-Server over a fleet: one plan for every author (each the
//! single-author migration plan, IMS asked first with that author's values), then author by
//! author — backup, migrate in place, Test Connection, blocked queues told to retry — stopping
//! at the first failure unless told to keep going. Authors already on OAuth are skipped, so a
//! second run carries on where the first stopped.

use super::fleet::{AT_ONCE, Unbuilt};
use super::migrate::{MigrateRequest, MigrationPlan};
use super::service::Setup;
use super::stop::Stop;
use crate::aem::agents::TestResult;
use crate::evidence::{AuthType, OauthSupport};
use futures::StreamExt;
use secrecy::SecretString;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// One author to migrate, as the front end resolved it from its profile.
pub struct MigrationMember {
    pub profile: String,
    pub aem_url: String,
    pub setup: Result<Setup, Unbuilt>,
    /// The values of the author's OAuth credential (from its profile and its secret's
    /// variable), or what is missing.
    pub values: Result<(MigrateRequest, SecretString), String>,
}

/// Where an author stands in the fleet migration.
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum MigrationState {
    /// Planned; IMS accepted the values (the dry run stops here).
    Planned,
    /// Already on OAuth Server-to-Server: nothing to do.
    AlreadyOauth,
    /// Cannot be migrated, or its migration failed: the message says why.
    Failed,
    /// Migrated, and every Test Connection passed.
    Migrated,
    /// Not started: an earlier author failed (without --keep-going).
    NotStarted,
}

/// One author's part of the fleet migration (`authors[]` of `fleet migrate --json`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorMigration {
    pub profile: String,
    pub aem_url: String,
    pub state: MigrationState,
    pub message: String,
    /// The exact property changes (the single-author plan).
    pub plan: Option<MigrationPlan>,
    pub backup_dir: Option<PathBuf>,
    pub tests: Vec<TestResult>,
    pub retried: Vec<String>,
    /// Held for the run, never shown.
    #[serde(skip)]
    run: Option<(Setup, SecretString)>,
}

impl AuthorMigration {
    fn new(profile: &str, aem_url: &str, state: MigrationState, message: String) -> Self {
        AuthorMigration {
            profile: profile.to_string(),
            aem_url: aem_url.to_string(),
            state,
            message,
            plan: None,
            backup_dir: None,
            tests: vec![],
            retried: vec![],
            run: None,
        }
    }
}

/// Plans every member (a bounded number at a time), in the members' order. Nothing is written.
pub async fn plan(members: Vec<MigrationMember>) -> Vec<AuthorMigration> {
    futures::stream::iter(members)
        .map(plan_one)
        .buffered(AT_ONCE)
        .collect()
        .await
}

async fn plan_one(m: MigrationMember) -> AuthorMigration {
    use MigrationState::*;
    let failed = |msg: String| AuthorMigration::new(&m.profile, &m.aem_url, Failed, msg);
    let setup = match &m.setup {
        Ok(s) => s.clone(),
        Err(u) => return failed(u.message.clone()),
    };
    let ev = match setup.evidence(None, false).await {
        Ok(ev) => ev,
        Err(e) => return failed(format!("cannot read the author: {e}")),
    };
    let bp = ev.bp_ims();
    if bp.is_empty() {
        return failed(
            "no Brand Portal IMS configuration to migrate: set it up with `brandlink account create --oauth`".into(),
        );
    }
    if bp
        .iter()
        .all(|c| c.auth_type == AuthType::OauthServerToServer)
    {
        let pids: Vec<&str> = bp.iter().map(|c| c.pid.as_str()).collect();
        return AuthorMigration::new(
            &m.profile,
            &m.aem_url,
            AlreadyOauth,
            format!("already on OAuth, nothing to do ({})", pids.join(", ")),
        );
    }
    if matches!(
        ev.oauth_support,
        OauthSupport::No | OauthSupport::WithHotfix
    ) {
        return failed(format!(
            "{}: update the author first",
            ev.oauth_support
                .advice()
                .unwrap_or("OAuth is not available here")
        ));
    }
    let (req, secret) = match m.values {
        Ok(v) => v,
        Err(why) => return failed(why),
    };
    match setup.migration_plan(&req, &secret).await {
        Ok(p) => {
            let mut a = AuthorMigration::new(
                &m.profile,
                &m.aem_url,
                Planned,
                format!(
                    "{} changes on {}; IMS accepted the values",
                    p.changes.len(),
                    p.pid
                ),
            );
            a.plan = Some(p);
            a.run = Some((setup, secret));
            a
        }
        Err(e) => failed(e.to_string()),
    }
}

/// The authors a run would change: the planned ones before the first failure, or every
/// planned one when `keep_going`.
pub fn would_migrate(plans: &[AuthorMigration], keep_going: bool) -> Vec<&AuthorMigration> {
    let mut out = Vec::new();
    for p in plans {
        match p.state {
            MigrationState::Planned => out.push(p),
            MigrationState::Failed if !keep_going => break,
            _ => {}
        }
    }
    out
}

/// A folder name from a profile name: what the file system and a shell take as it is.
fn folder(profile: &str) -> String {
    let s: String = profile
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() { "_".into() } else { s }
}

/// Carries out the plans author by author, each backed up into `<root>/<profile>/`. Stops at
/// the first failure (a plan that failed counts, at its turn) unless `keep_going`, and once
/// `stop` is asked: the author in progress stops between its steps (its message says how to
/// undo or complete it), the next ones are not started.
pub async fn execute(
    mut plans: Vec<AuthorMigration>,
    backup_root: &Path,
    keep_going: bool,
    stop: &Stop,
) -> Vec<AuthorMigration> {
    let mut stopped = false;
    for a in plans.iter_mut() {
        if stopped || stop.requested() {
            if a.state == MigrationState::Planned {
                let why = if stop.requested() {
                    "stopped as asked"
                } else {
                    "an earlier author failed"
                };
                a.message = format!("not started: {why} ({})", a.message);
                a.state = MigrationState::NotStarted;
                a.run = None;
            }
            continue;
        }
        if a.state == MigrationState::Failed {
            stopped = !keep_going;
            continue;
        }
        let (Some((setup, secret)), Some(plan)) = (a.run.take(), a.plan.clone()) else {
            continue;
        };
        let root = backup_root.join(folder(&a.profile));
        match setup
            .with_stop(stop.clone())
            .migrate(plan, &secret, &root)
            .await
        {
            Ok(done) => {
                let ok = done.ok || done.tests.is_empty();
                a.state = if ok {
                    MigrationState::Migrated
                } else {
                    MigrationState::Failed
                };
                a.message = if done.tests.is_empty() {
                    "migrated; no Brand Portal agents to test yet".into()
                } else if ok {
                    format!("migrated; {} Test Connections passed", done.tests.len())
                } else {
                    "migrated, but Test Connection failed: restore the backup to put JWT back"
                        .into()
                };
                a.backup_dir = Some(done.backup_dir);
                a.tests = done.tests;
                a.retried = done.retried;
                a.plan = Some(done.plan);
                stopped = !ok && !keep_going;
            }
            Err(e) => {
                a.state = MigrationState::Failed;
                a.message = e.to_string();
                stopped = !keep_going;
            }
        }
    }
    plans
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(profile: &str, state: MigrationState) -> AuthorMigration {
        AuthorMigration::new(profile, "http://x", state, String::new())
    }

    #[test]
    fn a_run_stops_at_the_first_failure_unless_told_to_keep_going() {
        use MigrationState::*;
        let plans = vec![
            one("a", Planned),
            one("b", AlreadyOauth),
            one("c", Failed),
            one("d", Planned),
        ];
        let names =
            |v: Vec<&AuthorMigration>| v.iter().map(|a| a.profile.clone()).collect::<Vec<_>>();
        assert_eq!(names(would_migrate(&plans, false)), ["a"]);
        assert_eq!(names(would_migrate(&plans, true)), ["a", "d"]);
    }

    #[test]
    fn profile_names_make_safe_folders() {
        assert_eq!(folder("prod-eu_1"), "prod-eu_1");
        assert_eq!(folder("../x"), "___x");
        assert_eq!(folder(""), "_");
    }
}
