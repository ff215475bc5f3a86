//! The rest of the Brand Portal IMS configuration's life: `update` (rotate the client secret,
//! repoint the key alias after a certificate rotation, fix a value) and `delete`. Both show the
//! exact change, back up the provider and its customizer first (no secrets), and only ever touch
//! Brand Portal's configuration and the customizer paired with it.

use super::account::{
    ImsTarget, Verdict, VerdictState, client_id_problem, oauth_verdict, org_id_problem,
};
use super::error::SetupError;
use super::snapshot::{AuthType, ImsConfig, read_ims_and_clouds};
use super::stop::{Interrupted, Stop};
use super::upgrade;
use crate::aem::AemClient;
use crate::aem::agents::TestResult;
use crate::aem::cloud::{CloudConfig, tenant_label};
use crate::aem::osgi::prop;
use crate::aem::osgi::{CUSTOMIZER_FACTORY, OsgiConfig};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Brand Portal's IMS configuration with its raw provider and paired customizer, and the
/// author's cloud configurations as read to find it.
pub struct BpConfig {
    pub info: ImsConfig,
    pub provider: OsgiConfig,
    pub customizer: Option<OsgiConfig>,
    pub clouds: Vec<CloudConfig>,
}

impl BpConfig {
    /// The cloud configurations that name this IMS configuration.
    pub fn named_by(&self) -> impl Iterator<Item = &CloudConfig> {
        self.clouds
            .iter()
            .filter(|c| c.ims_config.as_deref().is_some_and(|id| self.info.is(id)))
    }
}

/// Finds the one Brand Portal IMS configuration (`chosen` names it where the author does not
/// tell), with its provider and the customizer paired by `customizer.type`.
pub async fn find_bp(client: &AemClient, chosen: Option<&str>) -> Result<BpConfig, SetupError> {
    let (configs, clouds) = read_ims_and_clouds(&client.reader(), chosen).await?;
    let bp: Vec<&ImsConfig> = configs.iter().filter(|c| c.is_brand_portal()).collect();
    let info = match bp.as_slice() {
        [] => {
            return Err(SetupError::Refused(
                "there is no Brand Portal IMS configuration (name it with --ims PID if brandlink cannot tell which it is)".into(),
            ));
        }
        [one] => (*one).clone(),
        many => {
            return Err(SetupError::Refused(format!(
                "{} Brand Portal IMS configurations exist ({}): name one with --ims PID",
                many.len(),
                many.iter()
                    .map(|c| c.pid.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
    };
    let provider = client.config(&info.pid).await?.ok_or_else(|| {
        SetupError::Refused(format!("{} disappeared while it was read", info.pid))
    })?;
    let ctype = provider
        .get("token.request.customizer.type")
        .map(str::to_string);
    let customizer = match ctype {
        Some(t) => client
            .factory_configs(CUSTOMIZER_FACTORY)
            .await?
            .into_iter()
            .find(|c| c.get(prop::CUSTOMIZER_TYPE) == Some(t.as_str())),
        None => None,
    };
    Ok(BpConfig {
        info,
        provider,
        customizer,
        clouds,
    })
}

/// Brand Portal's configuration as AEM holds it now, refused when it is no longer the one a
/// plan was made for: a change always backs up and writes what is there at that moment.
pub async fn find_bp_as_planned(
    client: &AemClient,
    chosen: Option<&str>,
    pid: &str,
) -> Result<BpConfig, SetupError> {
    let bp = find_bp(client, chosen).await?;
    if bp.info.pid != pid {
        return Err(changed_since_plan());
    }
    Ok(bp)
}

pub(super) fn changed_since_plan() -> SetupError {
    SetupError::Refused(
        "the Brand Portal IMS configuration changed since the plan was made; run again".into(),
    )
}

/// Backs up a provider and its customizer into a new folder under `root`.
pub fn backup(
    client: &AemClient,
    provider: &OsgiConfig,
    customizer: Option<&OsgiConfig>,
    tenant_url: Option<&str>,
    what: &str,
    root: &Path,
) -> Result<PathBuf, SetupError> {
    let label = tenant_url.map(tenant_label).unwrap_or_else(|| "ims".into());
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let dir = upgrade::new_backup_dir(root, &format!("{stamp}-{what}-{label}"))?;
    let mut saved = vec![provider.clone()];
    saved.extend(customizer.cloned());
    upgrade::backup_osgi(client.base_url(), tenant_url.unwrap_or(""), &saved, &dir)?;
    Ok(dir)
}

/// Test Connection of the tenant's agents.
pub async fn test_tenant(
    client: &AemClient,
    tenant: Option<&str>,
) -> Result<Vec<TestResult>, SetupError> {
    let Some(t) = tenant else {
        return Ok(vec![]);
    };
    let ids: Vec<String> = client
        .brand_portal_agents(t)
        .await?
        .into_iter()
        .map(|a| a.id)
        .collect();
    Ok(client
        .test_connections(&ids)
        .await
        .into_iter()
        .map(|(id, r)| {
            r.unwrap_or_else(|e| TestResult {
                agent: id,
                success: false,
                summary: e.to_string(),
                explanation: vec![],
                transcript: vec![],
            })
        })
        .collect())
}

/// Stores the client secret on the customizer paired with the provider `pid`; a provider
/// without one (a JWT configuration that never had a secret) gets a new customizer, paired by
/// a new customizer type.
pub async fn store_secret(
    client: &AemClient,
    pid: &str,
    customizer: Option<&OsgiConfig>,
    secret: &SecretString,
) -> Result<(), SetupError> {
    let prop = (
        prop::CLIENT_SECRET.to_string(),
        vec![secret.expose_secret().to_string()],
    );
    match customizer {
        Some(c) => client.update_config(&c.pid, &[prop], &[]).await?,
        None => {
            let ctype = format!(
                "brandlink-{}",
                &uuid::Uuid::new_v4().simple().to_string()[..8]
            );
            client
                .create_factory_config(
                    CUSTOMIZER_FACTORY,
                    &[(prop::CUSTOMIZER_TYPE.to_string(), one(&ctype)), prop],
                )
                .await?;
            client
                .update_config(
                    pid,
                    &[("token.request.customizer.type".to_string(), one(&ctype))],
                    &[],
                )
                .await?;
        }
    }
    Ok(())
}

/// What `account update` may change.
#[derive(Clone, Debug, Default)]
pub struct UpdateRequest {
    pub title: Option<String>,
    pub api_key: Option<String>,
    /// OAuth: the scopes.
    pub scopes: Option<Vec<String>>,
    /// OAuth: the organization id.
    pub org_id: Option<String>,
    /// JWT: the key pair alias (after a certificate rotation).
    pub key_alias: Option<String>,
    /// Ask IMS for a token with the new values first (needs the secret; OAuth).
    pub verify: bool,
    /// The secret given is a new one to store (else it only lets IMS check the other values).
    pub new_secret: bool,
}

/// An update as it would run.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdatePlan {
    pub pid: String,
    pub auth_type: AuthType,
    pub changes: Vec<PropertyChange>,
    pub preflight: Verdict,
    pub tenant_url: Option<String>,
}

/// What an update or delete did.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeDone {
    pub pid: String,
    pub backup_dir: PathBuf,
    pub tests: Vec<TestResult>,
    /// Every Test Connection passed (true when there was none to run).
    pub ok: bool,
}

pub(super) fn one(v: &str) -> Vec<String> {
    vec![v.to_string()]
}

/// One property that changes.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PropertyChange {
    /// `provider` or `customizer`.
    pub on: &'static str,
    pub name: String,
    /// Absent before; never a secret's value.
    pub before: Option<Vec<String>>,
    /// Absent after (removed); never a secret's value.
    pub after: Option<Vec<String>>,
}

/// The provider properties whose wanted values differ from what AEM holds.
pub fn provider_changes(
    provider: &OsgiConfig,
    wanted: Vec<(&str, Vec<String>)>,
) -> Vec<PropertyChange> {
    wanted
        .into_iter()
        .filter_map(|(name, after)| {
            let before = provider
                .properties
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone());
            (before.as_ref() != Some(&after)).then(|| PropertyChange {
                on: "provider",
                name: name.to_string(),
                before,
                after: Some(after),
            })
        })
        .collect()
}

/// The customizer's client secret, as a change shown without its value.
pub fn secret_change(customizer: Option<&OsgiConfig>) -> PropertyChange {
    PropertyChange {
        on: "customizer",
        name: prop::CLIENT_SECRET.into(),
        before: customizer.map(|_| one("(the current secret)")),
        after: Some(one("(the secret given)")),
    }
}

/// The changes' provider properties with their new values, as AEM takes them.
pub fn provider_props(changes: &[PropertyChange]) -> Vec<(String, Vec<String>)> {
    changes
        .iter()
        .filter(|c| c.on == "provider")
        .filter_map(|c| c.after.clone().map(|a| (c.name.clone(), a)))
        .collect()
}

/// Writes the provider's changes, then the secret (when given): both, or neither. When the
/// secret cannot be stored, the provider is put back as it was, so no half-changed
/// configuration is left (the backup holds it as well).
pub async fn apply_changes(
    client: &AemClient,
    pid: &str,
    changes: &[PropertyChange],
    customizer: Option<&OsgiConfig>,
    secret: Option<&SecretString>,
) -> Result<(), SetupError> {
    let props = provider_props(changes);
    if !props.is_empty() {
        client.update_config(pid, &props, &[]).await?;
    }
    let Some(s) = secret else {
        return Ok(());
    };
    if let Err(e) = store_secret(client, pid, customizer, s).await {
        let (back, added): (Vec<_>, Vec<_>) = changes
            .iter()
            .filter(|c| c.on == "provider" && c.after.is_some())
            .partition(|c| c.before.is_some());
        let back: Vec<(String, Vec<String>)> = back
            .into_iter()
            .filter_map(|c| c.before.clone().map(|b| (c.name.clone(), b)))
            .collect();
        let added: Vec<String> = added.into_iter().map(|c| c.name.clone()).collect();
        if !props.is_empty()
            && let Err(undo) = client.update_config(pid, &back, &added).await
        {
            return Err(SetupError::Refused(format!(
                "{e}; putting the provider back failed too ({undo}): restore it from the backup (`brandlink restore --from <backup>`)"
            )));
        }
        return Err(SetupError::Refused(format!(
            "{e}; the provider was put back as it was, nothing is changed"
        )));
    }
    Ok(())
}

/// A change of the Brand Portal IMS configuration, the safe way: back it up (a folder named
/// for `what`), write the provider and the secret together ([`apply_changes`]), then Test
/// Connection of the tenant's agents. Returns the backup folder and the tests. `stop` is
/// looked at between these steps (never between the provider and its secret).
#[allow(clippy::too_many_arguments)]
pub async fn change_backed_up(
    client: &AemClient,
    bp: &BpConfig,
    changes: &[PropertyChange],
    secret: Option<&SecretString>,
    tenant_url: Option<&str>,
    what: &str,
    root: &Path,
    stop: &Stop,
) -> Result<(PathBuf, Vec<TestResult>), SetupError> {
    let operation = format!("account {what}");
    stop.check(|| Interrupted::new(&operation))?;
    let dir = backup(
        client,
        &bp.provider,
        bp.customizer.as_ref(),
        tenant_url,
        what,
        root,
    )?;
    stop.check(|| {
        Interrupted::new(&operation)
            .backup(&dir)
            .not_done(format!("the changes of {}", bp.provider.pid))
            .next(format!(
                "to complete it: run `brandlink account {what}` again"
            ))
    })?;
    apply_changes(
        client,
        &bp.provider.pid,
        changes,
        bp.customizer.as_ref(),
        secret,
    )
    .await?;
    stop.check(|| {
        let written = if secret.is_some() {
            format!(
                "{} and its customizer's client secret changed",
                bp.provider.pid
            )
        } else {
            format!("{} changed", bp.provider.pid)
        };
        Interrupted::new(&operation)
            .backup(&dir)
            .done(written)
            .not_done("Test Connection of the tenant's agents")
            .next("to complete it: brandlink agents --test")
    })?;
    let tests = test_tenant(client, tenant_url).await?;
    Ok((dir, tests))
}

/// Works out an update; with `secret` (a new or the current client secret) IMS is asked for a
/// token with the new values. Nothing is written.
pub async fn plan_update(
    client: &AemClient,
    ims: &ImsTarget<'_>,
    chosen: Option<&str>,
    req: &UpdateRequest,
    secret: Option<&SecretString>,
) -> Result<UpdatePlan, SetupError> {
    let bp = find_bp(client, chosen).await?;
    let cfg = &bp.info;
    let mut problems = Vec::new();
    let oauth = cfg.auth_type == AuthType::OauthServerToServer;
    if !oauth && (req.scopes.is_some() || req.org_id.is_some()) {
        problems.push("scopes and organization id belong to OAuth Server-to-Server: migrate first (`brandlink account migrate`)".to_string());
    }
    if oauth && req.key_alias.is_some() {
        problems.push("OAuth Server-to-Server uses no key pair: --key-alias is for JWT".into());
    }
    problems.extend(req.org_id.as_deref().and_then(org_id_problem));
    problems.extend(req.api_key.as_deref().and_then(client_id_problem));
    if !problems.is_empty() {
        return Err(SetupError::Invalid(problems));
    }
    let mut wanted: Vec<(&str, Vec<String>)> = Vec::new();
    if let Some(t) = &req.title {
        wanted.push((prop::TITLE, one(t.trim())));
    }
    if let Some(k) = &req.api_key {
        wanted.push((prop::CLIENT_ID, one(k.trim())));
    }
    if let Some(s) = &req.scopes {
        wanted.push((prop::SCOPE, one(&s.join(","))));
    }
    if let Some(o) = &req.org_id {
        wanted.push((prop::ORG_ID, one(o)));
        wanted.push((prop::CLAIMS, vec![format!("\"iss\" : \"{o}\"")]));
    }
    if let Some(a) = &req.key_alias {
        let user = super::actions::service_user(client).await?;
        if client.keystore(&user).await?.alias(a).is_none() {
            return Err(SetupError::Refused(format!(
                "alias '{a}' is not in the keystore of brandportal-imsconfig-service: create it with `brandlink cert rotate --alias {a}` first"
            )));
        }
        wanted.push((prop::KEYPAIR_ALIAS, one(a)));
    }
    let mut changes = provider_changes(&bp.provider, wanted);
    if secret.is_some() && req.new_secret {
        changes.push(secret_change(bp.customizer.as_ref()));
    }
    if changes.is_empty() {
        return Err(SetupError::Unneeded(format!(
            "nothing to change: {} already holds these values",
            cfg.pid
        )));
    }
    let preflight = match (oauth, secret, req.verify) {
        (_, _, false) => Verdict::skipped("none", "not verified with IMS (--no-verify)"),
        (true, Some(s), true) => {
            let id = req.api_key.clone().unwrap_or_else(|| cfg.client_id.clone());
            let scopes = req.scopes.clone().unwrap_or_else(|| cfg.scopes.clone());
            let v = oauth_verdict(ims, &id, s, &scopes).await?;
            if !v.ok() {
                return Err(SetupError::Refused(format!(
                    "{}; nothing was changed",
                    v.message
                )));
            }
            v
        }
        (true, None, true) => Verdict::skipped(
            "oauth-client-credentials",
            "not verified with IMS: give the client secret (BRANDLINK_CLIENT_SECRET) to have it asked; Test Connection checks the result",
        ),
        (false, _, true) => Verdict::skipped(
            "jwt-exchange",
            "JWT: Test Connection after the change shows whether AEM obtains a token",
        ),
    };
    let tenant_url = bp
        .named_by()
        .next()
        .map(|c| c.tenant_url.trim_end_matches('/').to_string());
    Ok(UpdatePlan {
        pid: cfg.pid.clone(),
        auth_type: cfg.auth_type,
        changes,
        preflight,
        tenant_url,
    })
}

/// Backs up, changes the configuration in place, and runs Test Connection on the tenant's
/// agents.
pub async fn update(
    client: &AemClient,
    chosen: Option<&str>,
    plan: &UpdatePlan,
    secret: Option<&SecretString>,
    root: &Path,
    stop: &Stop,
) -> Result<ChangeDone, SetupError> {
    let bp = find_bp_as_planned(client, chosen, &plan.pid).await?;
    let (dir, tests) = change_backed_up(
        client,
        &bp,
        &plan.changes,
        secret,
        plan.tenant_url.as_deref(),
        "update",
        root,
        stop,
    )
    .await?;
    let ok = tests.iter().all(|t| t.success);
    Ok(ChangeDone {
        pid: plan.pid.clone(),
        backup_dir: dir,
        tests,
        ok,
    })
}

/// A delete as it would run.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeletePlan {
    pub pid: String,
    pub title: String,
    pub customizer_pid: Option<String>,
    /// Cloud configurations that name it (they stop working without it).
    pub named_by: Vec<String>,
}

pub async fn plan_delete(
    client: &AemClient,
    chosen: Option<&str>,
) -> Result<DeletePlan, SetupError> {
    let bp = find_bp(client, chosen).await?;
    let named_by = bp.named_by().map(|c| c.path.clone()).collect();
    Ok(DeletePlan {
        pid: bp.info.pid.clone(),
        title: bp.info.title.clone(),
        customizer_pid: bp.customizer.as_ref().map(|c| c.pid.clone()),
        named_by,
    })
}

/// Backs up and deletes the Brand Portal IMS configuration and its customizer; refused while a
/// cloud configuration names it, unless `force`. `stop` is looked at once the backup is
/// written; the two deletes are one step (never a provider without its secret).
pub async fn delete(
    client: &AemClient,
    chosen: Option<&str>,
    plan: &DeletePlan,
    force: bool,
    root: &Path,
    stop: &Stop,
) -> Result<ChangeDone, SetupError> {
    if !plan.named_by.is_empty() && !force {
        return Err(SetupError::Refused(format!(
            "{} names this IMS configuration: without it Brand Portal publishing stops. Remove the integration with `brandlink upgrade` (which can include it with --include-ims), or pass --force",
            plan.named_by.join(", ")
        )));
    }
    let bp = find_bp_as_planned(client, chosen, &plan.pid).await?;
    let dir = backup(
        client,
        &bp.provider,
        bp.customizer.as_ref(),
        None,
        "delete",
        root,
    )?;
    stop.check(|| Interrupted {
        backup_dir: Some(dir.clone()),
        ..Interrupted::new("account delete")
            .done(format!("backed up to {}; AEM is unchanged", dir.display()))
            .not_done(format!("deleting {} and its customizer", plan.pid))
            .next("to complete it: run `brandlink account delete` again")
    })?;
    if let Some(c) = &bp.customizer {
        client.delete_config(&c.pid).await?;
    }
    client.delete_config(&plan.pid).await?;
    Ok(ChangeDone {
        pid: plan.pid.clone(),
        backup_dir: dir,
        tests: vec![],
        ok: true,
    })
}

impl UpdatePlan {
    pub fn verified(&self) -> bool {
        self.preflight.state == VerdictState::Ok
    }
}
