//! JWT → OAuth Server-to-Server, in place, as Adobe's procedure does it: the Brand Portal IMS
//! configuration keeps its PID (so the cloud configuration that names it keeps working) and
//! changes type. Plan (with an IMS pre-flight) → the exact property changes → backup of the
//! provider and its customizer → update both → Test Connection on the tenant's agents.
//! It works while the queues are blocked by the dead JWT: that is when it is needed.

use super::account::{ImsTarget, Verdict, client_id_problem, oauth_verdict, org_id_problem};
use super::error::SetupError;
pub use super::lifecycle::PropertyChange;
use super::lifecycle::{
    change_backed_up, changed_since_plan, find_bp, find_bp_as_planned, one, provider_changes,
    secret_change,
};
use super::snapshot::AuthType;
use super::stop::{Interrupted, Stop};
use crate::aem::AemClient;
use crate::aem::agents::TestResult;
use crate::aem::osgi::prop;
use crate::ims::payload::PROD_IMS;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// What the operator copies from the Console's OAuth Server-to-Server credential.
#[derive(Clone, Debug)]
pub struct MigrateRequest {
    /// Client id; `None` keeps the current one (Adobe's conversion keeps it).
    pub api_key: Option<String>,
    pub scopes: Vec<String>,
    /// Empty: the organization the JWT configuration names (its `iss` claim).
    pub org_id: String,
    /// Ask IMS for a token with these values first.
    pub verify: bool,
}

/// The migration as it would run.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MigrationPlan {
    pub pid: String,
    pub title: String,
    pub customizer_pid: Option<String>,
    pub client_id: String,
    pub changes: Vec<PropertyChange>,
    /// IMS's answer for the new values (or why it was not asked).
    pub preflight: Verdict,
    /// The tenant whose agents are tested afterwards.
    pub tenant_url: Option<String>,
}

/// What the migration did.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MigrationDone {
    pub plan: MigrationPlan,
    pub backup_dir: PathBuf,
    /// Test Connection of the tenant's agents after the change.
    pub tests: Vec<TestResult>,
    /// Every agent's Test Connection passed.
    pub ok: bool,
    /// Blocked queues told to retry now (once the tests passed), so they drain without waiting
    /// for their retry delay.
    pub retried: Vec<String>,
}

impl MigrationPlan {
    /// A plan to show (and to test screens with): nothing to execute behind it.
    pub fn for_display(pid: &str, title: &str, changes: Vec<PropertyChange>) -> Self {
        MigrationPlan {
            pid: pid.into(),
            title: title.into(),
            customizer_pid: None,
            client_id: String::new(),
            changes,
            preflight: Verdict::skipped("none", "not asked"),
            tenant_url: None,
        }
    }
}

/// Works out the change and asks IMS for a token with the new values (unless `verify` is off).
/// Nothing is written.
pub async fn plan(
    client: &AemClient,
    ims: &ImsTarget<'_>,
    chosen: Option<&str>,
    req: &MigrateRequest,
    secret: &SecretString,
) -> Result<MigrationPlan, SetupError> {
    let mut problems = Vec::new();
    if req.scopes.is_empty() {
        problems.push(
            "the scopes are empty: copy them from the Console's OAuth Server-to-Server credential"
                .to_string(),
        );
    }
    if !req.org_id.trim().is_empty() {
        problems.extend(org_id_problem(&req.org_id));
    }
    problems.extend(req.api_key.as_deref().and_then(client_id_problem));
    if secret.expose_secret().trim().is_empty() {
        problems.push("the client secret is empty".into());
    }
    if !problems.is_empty() {
        return Err(SetupError::Invalid(problems));
    }
    super::account::refuse_old_ims_bundle(client).await?;
    let bp = find_bp(client, chosen).await?;
    let cfg = bp.info.clone();
    if cfg.auth_type == AuthType::OauthServerToServer {
        return Err(SetupError::Unneeded(format!(
            "{} already uses OAuth Server-to-Server: nothing to migrate (rotate its secret with `brandlink account update --secret`)",
            cfg.pid
        )));
    }
    let org_id = match req.org_id.trim() {
        "" => cfg.organization().ok_or_else(|| {
            SetupError::Invalid(vec![format!(
                "{} names no organization (no orgId, no `iss` claim): give the IMS organization id (…@AdobeOrg) from the Console",
                cfg.pid
            )])
        })?,
        given => given.to_string(),
    };
    if let Some(p) = org_id_problem(&org_id) {
        return Err(SetupError::Invalid(vec![p]));
    }
    let tenant_url = bp
        .named_by()
        .next()
        .or(bp.clouds.iter().find(|c| !c.legacy))
        .map(|c| c.tenant_url.trim_end_matches('/').to_string());
    let provider = bp.provider;
    let customizer = bp.customizer;
    let api_key = req
        .api_key
        .clone()
        .map(|k| k.trim().to_string())
        .unwrap_or_else(|| cfg.client_id.clone());
    let endpoint = provider
        .get(prop::ENDPOINT)
        .unwrap_or(PROD_IMS)
        .trim_end_matches('/')
        .to_string();
    let wanted: Vec<(&str, Vec<String>)> = vec![
        (prop::CLIENT_ID, one(&api_key)),
        (prop::GRANTS, one("client_credentials")),
        (prop::ORG_ID, one(&org_id)),
        (prop::SCOPE, one(&req.scopes.join(","))),
        (prop::CLAIMS, vec![format!("\"iss\" : \"{org_id}\"")]),
        (
            prop::ACCESS_TOKEN_REQUEST,
            one(&format!("{endpoint}/ims/token/v3")),
        ),
    ];
    let mut changes = provider_changes(&provider, wanted);
    changes.push(secret_change(customizer.as_ref()));
    let preflight = if req.verify {
        let v = oauth_verdict(ims, &api_key, secret, &req.scopes).await?;
        if !v.ok() {
            return Err(SetupError::Refused(format!(
                "{}; nothing was changed",
                v.message
            )));
        }
        v
    } else {
        Verdict::skipped(
            "none",
            "not verified with IMS (--no-verify): the values are stored as given",
        )
    };
    Ok(MigrationPlan {
        pid: cfg.pid.clone(),
        title: cfg.title.clone(),
        customizer_pid: customizer.as_ref().map(|c| c.pid.clone()),
        client_id: api_key,
        changes,
        preflight,
        tenant_url,
    })
}

/// Backs up the provider and its customizer, changes both in place, and runs Test
/// Connection on the tenant's agents.
pub async fn execute(
    client: &AemClient,
    plan: MigrationPlan,
    secret: &SecretString,
    backup_root: &Path,
    stop: &Stop,
) -> Result<MigrationDone, SetupError> {
    let bp = find_bp_as_planned(client, Some(&plan.pid), &plan.pid).await?;
    if bp.info.auth_type == AuthType::OauthServerToServer {
        return Err(changed_since_plan());
    }
    let (dir, tests) = change_backed_up(
        client,
        &bp,
        &plan.changes,
        Some(secret),
        plan.tenant_url.as_deref(),
        "migrate",
        backup_root,
        stop,
    )
    .await?;
    let ok = !tests.is_empty() && tests.iter().all(|t| t.success);
    let mut retried = Vec::new();
    for t in tests.iter().filter(|_| ok) {
        stop.check(|| {
            Interrupted::new("account migrate")
                .backup(&dir)
                .done(format!(
                    "{} and its customizer use OAuth Server-to-Server; Test Connection passed on {}",
                    plan.pid,
                    crate::words::count(tests.len() as u64, "agent", "agents")
                ))
                .not_done("telling the blocked queues to retry now (they retry by themselves after their retry delay)")
        })?;
        let blocked = client.queue(&t.agent).await.is_ok_and(|q| q.blocked);
        if blocked && client.force_retry(&t.agent).await.is_ok() {
            retried.push(t.agent.clone());
        }
    }
    Ok(MigrationDone {
        plan,
        backup_dir: dir,
        tests,
        ok,
        retried,
    })
}
