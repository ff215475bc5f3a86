//! Saving the Brand Portal cloud configuration again: Adobe's fix when its agents are missing
//! after it was saved ("edit and save the cloud service again; if it keeps failing, open a
//! support ticket"). AEM creates the tenant's agents when the configuration is saved; the
//! values saved are the ones it holds, backed up first.

use super::actions::wait_for_agents;
use super::error::SetupError;
use super::stop::{Interrupted, Stop};
use super::upgrade::{BackupProperty, TargetKind, backup_properties, new_backup_dir};
use crate::aem::AemClient;
use crate::aem::cloud::SavedCloud;
use crate::aem::nodes::text;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The properties a re-save writes (and the backup records).
const SAVED: &[&str] = &[
    "jcr:title",
    "tenantURL",
    "imsConfig",
    "oauthScopes",
    "pubFolder",
];

/// What `cloud resave` would do.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResavePlan {
    /// The configuration, with the values saved again.
    pub cloud: SavedCloud,
    /// The tenant's agents now (AEM creates the missing ones on save).
    pub agents_before: Vec<String>,
}

/// What it did.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResaveDone {
    pub plan: ResavePlan,
    /// The tenant's agents after the save.
    pub agents: Vec<String>,
    pub backup: PathBuf,
}

fn same_tenant(a: &str, b: &str) -> bool {
    a.trim_end_matches('/')
        .eq_ignore_ascii_case(b.trim_end_matches('/'))
}

/// The configuration to save again (the tenant's, else the 6.5 one) and its agents now.
pub async fn plan(client: &AemClient, tenant: Option<&str>) -> Result<ResavePlan, SetupError> {
    let clouds = client.cloud_configs().await?;
    let modern = clouds
        .iter()
        .filter(|c| !c.legacy)
        .find(|c| tenant.is_none_or(|t| same_tenant(&c.tenant_url, t)));
    let Some(c) = modern else {
        return Err(SetupError::Refused(
            if clouds.iter().any(|c| c.legacy) {
                "only a legacy cloud configuration (/etc/cloudservices) exists: replace it with `brandlink upgrade`, which saves a new one"
            } else {
                "no Brand Portal cloud configuration to save again: create one with `brandlink cloud create`"
            }
            .into(),
        ));
    };
    if c.ims_config.as_deref().is_none_or(|i| i.trim().is_empty()) {
        return Err(SetupError::Refused(format!(
            "the cloud configuration {} names no IMS configuration: choose it with `brandlink cloud create --repoint --service-url {}`",
            c.path, c.tenant_url
        )));
    }
    let cloud = client.saved_cloud(c).await?;
    let agents_before = client
        .brand_portal_agents(&cloud.tenant_url)
        .await?
        .into_iter()
        .map(|a| a.id)
        .collect();
    Ok(ResavePlan {
        cloud,
        agents_before,
    })
}

/// Backs the configuration's values up, saves it again with them and waits for the agents.
/// `stop` is looked at after the backup and after the save.
pub async fn execute(
    client: &AemClient,
    plan: &ResavePlan,
    backup_root: &Path,
    wait: Duration,
    stop: &Stop,
) -> Result<ResaveDone, SetupError> {
    let content = format!("{}/jcr:content", plan.cloud.path);
    let node = client.node(&content, 0).await?;
    let before: Vec<BackupProperty> = SAVED
        .iter()
        .map(|name| BackupProperty {
            path: content.clone(),
            name: (*name).to_string(),
            before: text(&node, name),
        })
        .collect();
    let dir = new_backup_dir(
        backup_root,
        &format!(
            "{}-cloud-resave",
            chrono::Utc::now().format("%Y%m%dT%H%M%SZ")
        ),
    )?;
    backup_properties(
        client,
        &plan.cloud.tenant_url,
        TargetKind::CloudConfig,
        &before,
        &dir,
    )
    .await?;
    stop.check(|| Interrupted {
        backup_dir: Some(dir.clone()),
        ..Interrupted::new("cloud resave")
            .done(format!("backed up to {}; AEM is unchanged", dir.display()))
            .not_done(format!("saving {} again", plan.cloud.path))
            .next("to complete it: run `brandlink cloud resave` again")
    })?;
    client.resave_cloud_config(&plan.cloud).await?;
    stop.check(|| {
        Interrupted::new("cloud resave")
            .backup(&dir)
            .done(format!("{} was saved again", plan.cloud.path))
            .not_done("waiting for AEM to create the missing agents (it does so by itself)")
            .next("to complete it: brandlink agents (shows the agents once AEM has created them)")
    })?;
    let (_, agents) = wait_for_agents(client, &plan.cloud.tenant_url, wait).await?;
    Ok(ResaveDone {
        plan: plan.clone(),
        agents,
        backup: dir,
    })
}
