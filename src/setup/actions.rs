//! The steps' actions. Each checks its precondition, does nothing when its work is already
//! done, and reports what it changed.

pub use super::account::{AccountKind, AccountOutcome, AccountSpec, Verdict, validate_account};
pub use super::error::SetupError;
pub use super::health::{HealthReport, KeySource};
use super::stop::{Interrupted, Stop};
use crate::aem::cloud::validate_tenant_url;
use crate::aem::users::BP_SERVICE_USER;
use crate::aem::{AemClient, AemError};
use crate::ims::certificate::{self, CertInfo, GeneratedCertificate};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use std::time::Duration;

pub(crate) async fn service_user(client: &AemClient) -> Result<String, SetupError> {
    client.find_user(BP_SERVICE_USER).await?.ok_or_else(|| {
        SetupError::Refused(format!(
            "the service user {BP_SERVICE_USER} does not exist on this author; Brand Portal needs AEM 6.5.4+ or 6.4.8+"
        ))
    })
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CertificateOutcome {
    pub alias: String,
    pub changed: bool,
    pub created_keystore: bool,
    pub certificate: Option<CertInfo>,
    /// Set when the alias already existed and nothing was generated (RFC 3339).
    pub existing_not_after: Option<String>,
    #[serde(skip)]
    pub generated: Option<GeneratedCertificate>,
}

/// Creates the key pair and certificate, uploads them to the service user's keystore
/// (creating the store if missing, with `keystore_password`). An existing alias is left alone.
pub async fn create_certificate(
    client: &AemClient,
    alias: &str,
    days: u32,
    common_name: &str,
    keystore_password: impl FnOnce() -> Result<SecretString, SetupError>,
    stop: &Stop,
) -> Result<CertificateOutcome, SetupError> {
    if alias.trim().is_empty() || alias.contains(['/', ' ']) {
        return Err(SetupError::Invalid(vec![format!(
            "alias '{alias}' must be a non-empty word without spaces or slashes"
        )]));
    }
    let user = service_user(client).await?;
    let ks = client.keystore(&user).await?;
    if let Some(existing) = ks.alias(alias) {
        return Ok(CertificateOutcome {
            alias: alias.to_string(),
            changed: false,
            created_keystore: false,
            certificate: None,
            existing_not_after: existing
                .chain
                .first()
                .map(|c| super::snapshot::java_date_rfc3339(&c.not_after)),
            generated: None,
        });
    }
    let generated = certificate::generate(common_name, days)?;
    stop.check(|| {
        Interrupted::new("cert create")
            .not_done(format!("the key pair '{alias}'"))
            .next("to complete it: run `brandlink cert create` again")
    })?;
    let mut created_keystore = false;
    if !ks.exists {
        let pw = keystore_password()?;
        client.create_keystore(&user, pw.expose_secret()).await?;
        created_keystore = true;
        stop.check(|| {
            Interrupted::new("cert create")
                .done(format!("the keystore of {user} was created"))
                .not_done(format!("the key pair '{alias}'"))
                .next("to complete it: run `brandlink cert create` again")
        })?;
    }
    client
        .add_key(
            &user,
            alias,
            generated.private_key_der(),
            &generated.cert_pem,
        )
        .await?;
    let after = client.keystore(&user).await?;
    if after.alias(alias).is_none() {
        return Err(SetupError::Aem(AemError::UnexpectedBody {
            path: format!("{user}.ks.json"),
            detail: format!("alias {alias} is missing after the upload"),
        }));
    }
    Ok(CertificateOutcome {
        alias: alias.to_string(),
        changed: true,
        created_keystore,
        certificate: Some(generated.info.clone()),
        existing_not_after: None,
        generated: Some(generated),
    })
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CloudOutcome {
    pub path: Option<String>,
    pub tenant_url: String,
    pub changed: bool,
    pub agents: Vec<String>,
    /// The tenant the configuration pointed to before a repoint.
    pub replaced: Option<String>,
    pub warnings: Vec<String>,
}

/// What `cloud create` may do when another tenant's configuration exists.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CloudMode {
    /// Refuse, saying what the two choices do.
    #[default]
    Create,
    /// Change the existing configuration's Service URL.
    Repoint,
    /// Add a second configuration.
    New,
}

/// Creates the Brand Portal cloud configuration and waits until AEM has created the agents.
pub async fn create_cloud(
    client: &AemClient,
    title: &str,
    service_url: &str,
    ims: Option<&str>,
    wait: Duration,
    mode: CloudMode,
    stop: &Stop,
) -> Result<CloudOutcome, SetupError> {
    let mut problems = Vec::new();
    if title.trim().is_empty() {
        problems.push("the title is empty".to_string());
    }
    let tenant = match validate_tenant_url(service_url) {
        Ok((t, _)) => Some(t),
        Err(e) => {
            problems.push(e);
            None
        }
    };
    if !problems.is_empty() {
        return Err(SetupError::Invalid(problems));
    }
    let tenant = tenant.unwrap_or_default();
    let ims_id = cloud_ims_config(client, ims).await?;
    let existing = client.cloud_configs().await?;
    if let Some(c) = existing
        .iter()
        .find(|c| !c.legacy && same_tenant(&c.tenant_url, &tenant))
    {
        let agents = client
            .brand_portal_agents(&tenant)
            .await?
            .into_iter()
            .map(|a| a.id)
            .collect();
        return Ok(CloudOutcome {
            path: Some(c.path.clone()),
            tenant_url: tenant,
            changed: false,
            agents,
            replaced: None,
            warnings: vec![],
        });
    }
    if let Some(c) = existing.iter().find(|c| c.legacy) {
        return Err(SetupError::Refused(format!(
            "a legacy configuration exists at {} ({}); run the upgrade first",
            c.path, c.tenant_url
        )));
    }
    let target = cloud_target(existing.iter().find(|c| !c.legacy), mode, &tenant)?;
    client
        .save_cloud_config(target.item.as_deref(), title.trim(), &tenant, &ims_id)
        .await?;
    stop.check(|| {
        Interrupted::new("cloud create")
            .done(format!("the cloud configuration for {tenant} was saved"))
            .not_done(
                "waiting for AEM to create the four Brand Portal agents (it does so by itself)",
            )
            .next("to complete it: brandlink agents (shows the agents once AEM has created them)")
    })?;
    let (path, agents) = wait_for_agents(client, &tenant, wait).await?;
    Ok(CloudOutcome {
        path: Some(path),
        tenant_url: tenant,
        changed: true,
        agents,
        replaced: target.replaced,
        warnings: target.warnings,
    })
}

fn same_tenant(a: &str, b: &str) -> bool {
    a.trim_end_matches('/').eq_ignore_ascii_case(b)
}

/// The IMS configuration the cloud configuration names: `ims`, or the one Brand Portal
/// configuration (never another integration's without being named).
async fn cloud_ims_config(client: &AemClient, ims: Option<&str>) -> Result<String, SetupError> {
    let configs = super::snapshot::read_ims_configs(&client.reader(), ims).await?;
    let bp: Vec<_> = configs.iter().filter(|c| c.is_brand_portal()).collect();
    match (ims, bp.as_slice()) {
        (Some(id), [_, ..]) => Ok(id.to_string()),
        (Some(id), []) => Err(SetupError::Refused(format!(
            "IMS configuration '{id}' does not exist"
        ))),
        (None, [one]) => Ok(one.pid.clone()),
        (None, []) => {
            let others: Vec<String> = configs
                .iter()
                .map(|c| format!("{} ({})", c.label(), c.pid))
                .collect();
            Err(SetupError::Refused(if others.is_empty() {
                "there is no IMS configuration yet; run `account create` first".into()
            } else {
                format!(
                    "no Brand Portal IMS configuration: run `account create`, or name one with --ims PID (these belong to other integrations as far as brandlink can tell: {})",
                    others.join(", ")
                )
            }))
        }
        (None, many) => Err(SetupError::Refused(format!(
            "several Brand Portal IMS configurations exist ({}): name one with --ims",
            many.iter()
                .map(|c| c.pid.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// Where the configuration is saved when another tenant's exists: one author serves one
/// tenant, so that needs `--repoint` (change it) or `--new` (add a second).
struct CloudTarget {
    /// The existing configuration to change (`None`: a new one).
    item: Option<String>,
    replaced: Option<String>,
    warnings: Vec<String>,
}

fn cloud_target(
    other: Option<&crate::aem::cloud::CloudConfig>,
    mode: CloudMode,
    tenant: &str,
) -> Result<CloudTarget, SetupError> {
    let new = |warnings| CloudTarget {
        item: None,
        replaced: None,
        warnings,
    };
    match (other, mode) {
        (None, _) => Ok(new(vec![])),
        (Some(c), CloudMode::Create) => Err(SetupError::Refused(format!(
            "a Brand Portal configuration for {} already exists at {}; one author serves one tenant. Changing its Service URL repoints the live integration: AEM creates four agents and a MAC user for {tenant}, and those of {} stay until `brandlink upgrade --tenant {}`. Pass --repoint to do that, or --new to add a second configuration",
            c.tenant_url, c.path, c.tenant_url, c.tenant_url
        ))),
        (Some(c), CloudMode::Repoint) => Ok(CloudTarget {
            item: Some(c.path.clone()),
            replaced: Some(c.tenant_url.clone()),
            warnings: vec![format!(
                "{} now points to {tenant}; the agents and MAC user of {} stay until `brandlink upgrade --tenant {}`",
                c.path, c.tenant_url, c.tenant_url
            )],
        }),
        (Some(c), CloudMode::New) => Ok(new(vec![format!(
            "this author now serves two tenants ({} and {tenant}); Adobe pairs one tenant with one author, and Asset Sourcing breaks otherwise",
            c.tenant_url
        )])),
    }
}

/// Waits (up to `wait`) until AEM has created the tenant's four agents; the configuration's
/// path and the agents' ids.
pub(crate) async fn wait_for_agents(
    client: &AemClient,
    tenant: &str,
    wait: Duration,
) -> Result<(String, Vec<String>), SetupError> {
    let expected = crate::verdict::thresholds::EXPECTED_AGENTS;
    let deadline = tokio::time::Instant::now() + wait;
    let agents = loop {
        let agents = client.brand_portal_agents(tenant).await?;
        if agents.len() >= expected || tokio::time::Instant::now() >= deadline {
            break agents;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let path = client
        .cloud_configs()
        .await?
        .into_iter()
        .find(|c| same_tenant(&c.tenant_url, tenant))
        .map(|c| c.path)
        .ok_or_else(|| SetupError::Refused(
            "AEM accepted the request but no cloud configuration appeared; create it in Tools → Cloud Services → AEM Brand Portal".into(),
        ))?;
    if agents.len() < expected {
        return Err(SetupError::Refused(format!(
            "the configuration was saved but only {} of 4 agents appeared within {} s; open and save the cloud configuration again",
            agents.len(),
            wait.as_secs()
        )));
    }
    Ok((path, agents.into_iter().map(|a| a.id).collect()))
}

/// Records a key pair about to be removed from the service user's keystore: a new backup folder
/// holding `removed-key.json` (the author, the alias, its certificate's subject, serial number
/// and end date). The private key is never written: a removed key pair is one nothing signs
/// with, and AEM cannot give it back without the keystore password anyway.
pub fn record_removed_key(
    aem_url: &str,
    plan: &super::service::KeyRemovalPlan,
    root: &std::path::Path,
) -> Result<std::path::PathBuf, SetupError> {
    let safe: String = plan
        .alias
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .take(40)
        .collect();
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let dir = super::upgrade::new_backup_dir(root, &format!("{stamp}-cert-delete-{safe}"))?;
    let record = serde_json::json!({
        "aemUrl": aem_url,
        "removedAt": chrono::Utc::now().to_rfc3339(),
        "keyPair": plan,
        "note": "the certificate's summary only: brandlink never keeps a private key in a backup",
    });
    let path = dir.join("removed-key.json");
    let text = serde_json::to_vec_pretty(&record).map_err(|e| SetupError::Local(e.to_string()))?;
    crate::fsutil::write_private(&path, &text)
        .map_err(|e| SetupError::Local(format!("cannot write {}: {e}", path.display())))?;
    Ok(dir)
}
