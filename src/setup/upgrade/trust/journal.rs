//! A journal may be carried on (resume) only when it is of this author, lies beside the sealed
//! backup of everything it deletes, and every target still on the author is what it recorded.

use super::super::{Journal, StepState, Target, TargetKind, UpgradeError};
use super::OpenBackup;
use super::{agent_id, cloud_name, factory_of, mac_user, open_backup, same_url, to_tenant};
use crate::aem::AemClient;
use crate::aem::agents::{AGENTS_ROOT, agent_path};
use crate::aem::osgi::{CUSTOMIZER_FACTORY, PROVIDER_FACTORY};
use serde_json::Value;
use std::path::Path;

/// Checks a journal before `resume` deletes anything it lists.
pub async fn check_journal(
    client: &AemClient,
    dir: &Path,
    j: &Journal,
) -> Result<(), UpgradeError> {
    let refuse = |what: &str, detail: String| UpgradeError::Journal {
        path: dir.join("journal.json").display().to_string(),
        detail: format!(
            "{what}: {detail}; nothing was deleted. brandlink carries on only with an upgrade it journaled"
        ),
    };
    if !same_url(&j.aem_url, client.base_url()) {
        return Err(refuse(
            "aemUrl",
            format!(
                "the journal is of {}, brandlink is connected to {}",
                crate::aem::client::display_url(&j.aem_url),
                client.base_url()
            ),
        ));
    }
    let b = open_backup(dir).map_err(|e| refuse("its backup", e.to_string()))?;
    if !same_url(&b.manifest.tenant_url, &j.tenant_url) {
        return Err(refuse("tenantUrl", "differs from the backup's".into()));
    }
    let tenant = j.tenant_url.trim_end_matches('/');
    for s in j.steps.iter().filter(|s| s.state == StepState::Pending) {
        let t: &Target = &s.target;
        let present = still_as_recorded(client, t, tenant)
            .await?
            .map_err(|detail| refuse(&t.path, detail))?;
        if present && !backed_up(&b, t) {
            return Err(refuse(
                &t.path,
                "is not in the backup beside the journal".into(),
            ));
        }
    }
    Ok(())
}

/// Whether the backup beside the journal holds this target.
fn backed_up(b: &OpenBackup, t: &Target) -> bool {
    match t.kind {
        TargetKind::Agent | TargetKind::CloudConfig => b
            .manifest
            .nodes
            .iter()
            .any(|n| n.path == t.path && n.kind == t.kind),
        TargetKind::MacUser => b
            .manifest
            .users
            .iter()
            .any(|u| u.path == t.path && Some(&u.id) == t.id.as_ref()),
        TargetKind::ImsConfig | TargetKind::ImsCustomizer => {
            b.manifest.osgi.iter().any(|o| o.pid == t.path)
        }
    }
}

/// A target of the journal: `Ok(Ok(true))` when it is still on the author and is what the
/// journal recorded, `Ok(Ok(false))` when it is gone (already deleted), `Ok(Err(why))` when it
/// is not the integration's.
async fn still_as_recorded(
    client: &AemClient,
    t: &Target,
    tenant: &str,
) -> Result<Result<bool, String>, UpgradeError> {
    Ok(match t.kind {
        TargetKind::Agent => {
            let Some((id, false)) = agent_id(&t.path) else {
                return Ok(Err(format!("not a replication agent under {AGENTS_ROOT}")));
            };
            if !client.exists(&t.path).await? {
                return Ok(Ok(false));
            }
            let c = client
                .node(&format!("{}/jcr:content", agent_path(id)), 0)
                .await?;
            if to_tenant(c.get("transportUri").and_then(Value::as_str), tenant) {
                Ok(true)
            } else {
                Err(format!("the agent does not publish to {tenant}"))
            }
        }
        TargetKind::CloudConfig => {
            if !cloud_name(&t.path) {
                return Ok(Err("not a Brand Portal cloud configuration".into()));
            }
            if !client.exists(&t.path).await? {
                return Ok(Ok(false));
            }
            let live = client.cloud_configs().await?;
            if live
                .iter()
                .any(|c| c.path == t.path && same_url(&c.tenant_url, tenant))
            {
                Ok(true)
            } else {
                Err(format!("not a cloud configuration of {tenant}"))
            }
        }
        TargetKind::MacUser => {
            let id = t.id.as_deref().unwrap_or("");
            if let Err(e) = mac_user(id, &t.path, tenant) {
                return Ok(Err(e));
            }
            match client.find_user(id).await? {
                Some(p) if p == t.path => Ok(true),
                Some(p) => Err(format!("the user {id} is at {p} on the author")),
                None => Ok(false),
            }
        }
        TargetKind::ImsConfig | TargetKind::ImsCustomizer => {
            let want = if t.kind == TargetKind::ImsConfig {
                PROVIDER_FACTORY
            } else {
                CUSTOMIZER_FACTORY
            };
            if factory_of(&t.path) != Some(want) {
                return Ok(Err("not a Brand Portal IMS configuration".into()));
            }
            Ok(client.config(&t.path).await?.is_some())
        }
    })
}
