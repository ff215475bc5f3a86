//! Upgrading an existing integration without losing anything: verify the four queues are idle,
//! plan exactly what goes (found by the tenant URL), back it all up, delete with a re-check
//! before each delete, and journal every step so an interrupted run resumes. `restore`
//! re-creates what a backup holds.

use crate::aem::agents::agent_path;
use crate::aem::cloud::tenant_label;
use crate::aem::queue::QueueState;
use crate::aem::users::UserRef;
use crate::aem::{AemClient, AemError};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum UpgradeError {
    #[error(transparent)]
    Aem(#[from] AemError),
    #[error("{0}")]
    Busy(String),
    #[error("{0}")]
    Refused(String),
    #[error("backup at {path}: {detail}; nothing was deleted")]
    Backup { path: String, detail: String },
    #[error("journal at {path}: {detail}")]
    Journal { path: String, detail: String },
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum TargetKind {
    Agent,
    CloudConfig,
    MacUser,
    /// The Brand Portal IMS configuration (path = its PID), with `--include-ims`.
    ImsConfig,
    /// Its paired customizer (path = its PID).
    ImsCustomizer,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Target {
    pub kind: TargetKind,
    pub path: String,
    /// The user id, for MAC users.
    pub id: Option<String>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    pub tenant_url: String,
    pub targets: Vec<Target>,
}

/// An agent whose queue is not idle.
#[derive(Clone, Debug, Serialize)]
pub struct BusyAgent {
    pub agent: String,
    pub state: String,
    pub pending: u64,
}

/// Finds what the upgrade removes: the tenant's agents (by transportUri), its cloud
/// configurations (both locations) and its MAC users.
pub async fn plan(client: &AemClient, tenant: Option<&str>) -> Result<Plan, UpgradeError> {
    plan_with(client, tenant, false).await
}

/// As [`plan`]; with `include_ims`, the Brand Portal IMS configuration named by the tenant's
/// cloud configuration (and its customizer) goes too — never another integration's.
pub async fn plan_with(
    client: &AemClient,
    tenant: Option<&str>,
    include_ims: bool,
) -> Result<Plan, UpgradeError> {
    let clouds = client.cloud_configs().await?;
    let tenant_url = match tenant {
        Some(t) => t.trim_end_matches('/').to_string(),
        None => clouds
            .iter()
            .find(|c| c.legacy)
            .or(clouds.first())
            .map(|c| c.tenant_url.trim_end_matches('/').to_string())
            .ok_or_else(|| {
                UpgradeError::Refused(
                    "no Brand Portal configuration on this author: nothing to upgrade".into(),
                )
            })?,
    };
    let mut targets = Vec::new();
    let agents = client.brand_portal_agents(&tenant_url).await?;
    for a in &agents {
        targets.push(Target {
            kind: TargetKind::Agent,
            path: agent_path(&a.id),
            id: None,
        });
    }
    for c in clouds.iter().filter(|c| {
        c.tenant_url
            .trim_end_matches('/')
            .eq_ignore_ascii_case(&tenant_url)
    }) {
        targets.push(Target {
            kind: TargetKind::CloudConfig,
            path: c.path.clone(),
            id: None,
        });
    }
    // The MAC user is the one the agents publish as; the id pattern finds what is left.
    let mut macs: Vec<UserRef> = Vec::new();
    let mut named: Vec<String> = agents
        .iter()
        .filter_map(|a| a.transport_user.clone())
        .filter(|u| u.starts_with("mac-"))
        .collect();
    named.sort();
    named.dedup();
    for id in named {
        if let Some(path) = client.find_user(&id).await? {
            macs.push(UserRef { id, path });
        }
    }
    for u in client.mac_users(&tenant_label(&tenant_url)).await? {
        if !macs.iter().any(|m| m.path == u.path) {
            macs.push(u);
        }
    }
    for UserRef { id, path } in macs {
        targets.push(Target {
            kind: TargetKind::MacUser,
            path,
            id: Some(id),
        });
    }
    if include_ims {
        let named: Vec<String> = clouds
            .iter()
            .filter(|c| {
                c.tenant_url
                    .trim_end_matches('/')
                    .eq_ignore_ascii_case(&tenant_url)
            })
            .filter_map(|c| c.ims_config.clone())
            .collect();
        let providers = client
            .factory_configs(crate::aem::osgi::PROVIDER_FACTORY)
            .await?;
        let customizers = client
            .factory_configs(crate::aem::osgi::CUSTOMIZER_FACTORY)
            .await?;
        for p in providers.iter().filter(|p| {
            named
                .iter()
                .any(|n| *n == p.pid || p.get("name") == Some(n))
        }) {
            targets.push(Target {
                kind: TargetKind::ImsConfig,
                path: p.pid.clone(),
                id: None,
            });
            if let Some(ctype) = p.get("token.request.customizer.type")
                && let Some(c) = customizers
                    .iter()
                    .find(|c| c.get("customizer.type") == Some(ctype))
            {
                targets.push(Target {
                    kind: TargetKind::ImsCustomizer,
                    path: c.pid.clone(),
                    id: None,
                });
            }
        }
    }
    if targets.is_empty() {
        return Err(UpgradeError::Refused(format!(
            "nothing of the integration with {tenant_url} was found"
        )));
    }
    Ok(Plan {
        tenant_url,
        targets,
    })
}

/// The agents among `targets` whose queues are not idle and empty.
pub async fn busy_agents(
    client: &AemClient,
    targets: &[Target],
) -> Result<Vec<BusyAgent>, AemError> {
    let mut busy = Vec::new();
    for t in targets.iter().filter(|t| t.kind == TargetKind::Agent) {
        let id = t.path.rsplit('/').next().unwrap_or("").to_string();
        let q = match client.queue(&id).await {
            Ok(q) => q,
            Err(AemError::NotFound { .. }) => continue,
            Err(e) => return Err(e),
        };
        let depth = client.queue_depth(&id, &q).await;
        let state = q.state();
        let idle = matches!(state, QueueState::Idle | QueueState::Disabled)
            && depth.count == 0
            && q.items.is_empty();
        if !idle || q.blocked {
            busy.push(BusyAgent {
                agent: id,
                state: format!("{state:?}").to_lowercase(),
                pending: depth.count,
            });
        }
    }
    Ok(busy)
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BackupNode {
    pub path: String,
    pub kind: TargetKind,
    pub file: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BackupUser {
    pub id: String,
    pub path: String,
    pub folder: String,
    pub file: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    pub version: u32,
    pub created_at: String,
    pub aem_url: String,
    pub tenant_url: String,
    pub nodes: Vec<BackupNode>,
    pub users: Vec<BackupUser>,
    /// OSGi configurations (the Brand Portal IMS provider and its customizer), secrets left out.
    #[serde(default)]
    pub osgi: Vec<BackupOsgi>,
    pub note: String,
}

/// An OSGi configuration as it was, without its secret properties.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct BackupOsgi {
    pub pid: String,
    pub factory_pid: Option<String>,
    pub properties: Vec<(String, Vec<String>)>,
    /// Names of secret properties that were not written (the restore asks for them).
    pub secrets_left_out: Vec<String>,
}

impl BackupOsgi {
    pub fn of(c: &crate::aem::osgi::OsgiConfig) -> BackupOsgi {
        let (secret, plain): (Vec<_>, Vec<_>) = c
            .properties
            .iter()
            .cloned()
            .partition(|(k, _)| crate::aem::osgi::is_secret_property(k));
        BackupOsgi {
            pid: c.pid.clone(),
            factory_pid: c.factory_pid.clone(),
            properties: plain,
            secrets_left_out: secret.into_iter().map(|(k, _)| k).collect(),
        }
    }
}

/// Writes a backup of OSGi configurations alone (the migration's): a manifest in `dir`.
pub fn backup_osgi(
    aem_url: &str,
    tenant_url: &str,
    configs: &[crate::aem::osgi::OsgiConfig],
    dir: &Path,
) -> Result<Manifest, UpgradeError> {
    let fail = |detail: String| UpgradeError::Backup {
        path: dir.display().to_string(),
        detail,
    };
    private_dir(dir).map_err(|e| fail(e.to_string()))?;
    let manifest = Manifest {
        version: 1,
        created_at: chrono::Utc::now().to_rfc3339(),
        aem_url: aem_url.to_string(),
        tenant_url: tenant_url.to_string(),
        nodes: vec![],
        users: vec![],
        osgi: configs.iter().map(BackupOsgi::of).collect(),
        note: "OSGi configurations as the Felix console shows them. Secrets (the client secret) are not written: `brandlink restore` takes them from BRANDLINK_CLIENT_SECRET or a prompt, or leaves the current one.".into(),
    };
    write_atomic(&dir.join("manifest.json"), &manifest).map_err(fail)?;
    Ok(manifest)
}

/// Creates a folder only its owner can read.
fn private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum StepState {
    Pending,
    Deleted,
    AlreadyGone,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JournalStep {
    pub target: Target,
    pub state: StepState,
}

/// What has been done; rewritten (atomically) after every step.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Journal {
    pub aem_url: String,
    pub tenant_url: String,
    pub steps: Vec<JournalStep>,
    pub complete: bool,
}

/// Writes a file only its owner can read (0600), atomically.
fn write_atomic(path: &Path, value: &impl Serialize) -> Result<(), String> {
    let text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
    let tmp = path.with_extension(format!("{}.tmp", std::process::id()));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    {
        use std::io::Write;
        let mut f = opts.open(&tmp).map_err(|e| e.to_string())?;
        f.write_all(text.as_bytes()).map_err(|e| e.to_string())?;
        f.sync_all().map_err(|e| e.to_string())?;
    }
    std::fs::rename(&tmp, path).map_err(|e| e.to_string())
}

/// Removes what a backup must never hold: password hashes (`rep:password`) and any secret
/// property AEM does not keep encrypted (`{…}`). Returns the property paths removed.
pub fn scrub(v: &mut Value, at: &str) -> Vec<String> {
    let mut removed = Vec::new();
    if let Value::Object(m) = v {
        let doomed: Vec<String> = m
            .iter()
            .filter(|(k, val)| {
                *k == "rep:password"
                    || (crate::aem::osgi::is_secret_property(k)
                        && !val
                            .as_str()
                            .is_some_and(|t| t.starts_with('{') && t.ends_with('}')))
                        && !val.is_object()
            })
            .map(|(k, _)| k.clone())
            .collect();
        for k in doomed {
            m.remove(&k);
            removed.push(format!("{at}/{k}"));
        }
        for (k, child) in m.iter_mut() {
            removed.extend(scrub(child, &format!("{at}/{k}")));
        }
    }
    removed
}

/// `$XDG_STATE_HOME/brandlink/backups` (or the platform's equivalent).
pub fn default_backup_root() -> PathBuf {
    if let Some(x) = std::env::var_os("XDG_STATE_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(x).join("brandlink").join("backups");
    }
    directories::ProjectDirs::from("", "", "brandlink")
        .map(|d| d.state_dir().unwrap_or(d.data_local_dir()).join("backups"))
        .unwrap_or_else(|| PathBuf::from("brandlink-backups"))
}

/// An unfinished upgrade of this author and tenant under `root`, if any.
pub fn find_unfinished(
    root: &Path,
    aem_url: &str,
    tenant_url: Option<&str>,
) -> Option<(PathBuf, Journal)> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    dirs.sort();
    dirs.into_iter().rev().find_map(|d| {
        let text = std::fs::read_to_string(d.join("journal.json")).ok()?;
        let j: Journal = serde_json::from_str(&text).ok()?;
        let same_tenant =
            tenant_url.is_none_or(|t| j.tenant_url.eq_ignore_ascii_case(t.trim_end_matches('/')));
        (!j.complete && j.aem_url == aem_url && same_tenant).then_some((d, j))
    })
}

/// Exports every target into `dir` (full depth, as JSON) and writes the manifest and the
/// journal. Fails before anything is deleted if a file cannot be written.
pub async fn backup(client: &AemClient, plan: &Plan, dir: &Path) -> Result<Manifest, UpgradeError> {
    let fail = |detail: String| UpgradeError::Backup {
        path: dir.display().to_string(),
        detail,
    };
    private_dir(dir).map_err(|e| fail(e.to_string()))?;
    private_dir(&dir.join("nodes")).map_err(|e| fail(e.to_string()))?;
    private_dir(&dir.join("users")).map_err(|e| fail(e.to_string()))?;
    let mut scrubbed = Vec::new();
    let mut nodes = Vec::new();
    let mut users = Vec::new();
    let mut osgi = Vec::new();
    for (i, t) in plan.targets.iter().enumerate() {
        match t.kind {
            TargetKind::ImsConfig | TargetKind::ImsCustomizer => {
                if let Some(c) = client.config(&t.path).await? {
                    osgi.push(BackupOsgi::of(&c));
                }
            }
            TargetKind::MacUser => {
                let mut node = client.node(&t.path, 0).await?;
                scrubbed.extend(scrub(&mut node, &t.path));
                let file = format!("users/{i:03}.json");
                write_atomic(&dir.join(&file), &node).map_err(fail)?;
                let folder = t
                    .path
                    .rsplit_once('/')
                    .map(|(p, _)| p.to_string())
                    .unwrap_or_else(|| "/home/users".into());
                users.push(BackupUser {
                    id: t.id.clone().unwrap_or_default(),
                    path: t.path.clone(),
                    folder,
                    file,
                });
            }
            kind => {
                let mut tree = client.export(&t.path).await?;
                scrubbed.extend(scrub(&mut tree, &t.path));
                let file = format!("nodes/{i:03}.json");
                write_atomic(&dir.join(&file), &tree).map_err(fail)?;
                nodes.push(BackupNode {
                    path: t.path.clone(),
                    kind,
                    file,
                });
            }
        }
    }
    let manifest = Manifest {
        version: 1,
        created_at: chrono::Utc::now().to_rfc3339(),
        aem_url: client.base_url().to_string(),
        tenant_url: plan.tenant_url.clone(),
        nodes,
        users,
        osgi,
        note: format!(
            "Nodes as AEM renders them over HTTP (Sling JSON, full depth); values AEM stores encrypted stay encrypted ({{…}}). Password hashes and clear secrets are not written ({}): a restored MAC user gets a new random password, and AEM re-creates its own on the next cloud configuration save.",
            if scrubbed.is_empty() {
                "none was found".to_string()
            } else {
                format!("left out: {}", scrubbed.join(", "))
            }
        ),
    };
    write_atomic(&dir.join("manifest.json"), &manifest).map_err(fail)?;
    let journal = Journal {
        aem_url: client.base_url().to_string(),
        tenant_url: plan.tenant_url.clone(),
        steps: plan
            .targets
            .iter()
            .map(|t| JournalStep {
                target: t.clone(),
                state: StepState::Pending,
            })
            .collect(),
        complete: false,
    };
    write_atomic(&dir.join("journal.json"), &journal).map_err(fail)?;
    Ok(manifest)
}

/// Carries out the journal's pending deletes, re-checking each agent's queue first.
pub async fn delete_all(
    client: &AemClient,
    dir: &Path,
    journal: &mut Journal,
) -> Result<(), UpgradeError> {
    let jpath = dir.join("journal.json");
    for i in 0..journal.steps.len() {
        if journal.steps[i].state != StepState::Pending {
            continue;
        }
        let t = journal.steps[i].target.clone();
        if t.kind == TargetKind::Agent {
            let busy = busy_agents(client, std::slice::from_ref(&t)).await?;
            if let Some(b) = busy.first() {
                return Err(UpgradeError::Busy(format!(
                    "{} became busy ({}, {} pending) before its delete; stopped with the journal at {} — run the upgrade again once it is idle",
                    b.agent,
                    b.state,
                    b.pending,
                    jpath.display()
                )));
            }
        }
        let state = match t.kind {
            TargetKind::MacUser => {
                if client.exists(&t.path).await? {
                    client.delete_user(&t.path).await?;
                    StepState::Deleted
                } else {
                    StepState::AlreadyGone
                }
            }
            TargetKind::ImsConfig | TargetKind::ImsCustomizer => {
                if client.config(&t.path).await?.is_some() {
                    client.delete_config(&t.path).await?;
                    StepState::Deleted
                } else {
                    StepState::AlreadyGone
                }
            }
            _ => match client.delete_node(&t.path).await? {
                crate::aem::nodes::Deleted::Deleted => StepState::Deleted,
                crate::aem::nodes::Deleted::AlreadyGone => StepState::AlreadyGone,
            },
        };
        journal.steps[i].state = state;
        write_atomic(&jpath, journal).map_err(|detail| UpgradeError::Journal {
            path: jpath.display().to_string(),
            detail,
        })?;
    }
    journal.complete = true;
    write_atomic(&jpath, journal).map_err(|detail| UpgradeError::Journal {
        path: jpath.display().to_string(),
        detail,
    })?;
    Ok(())
}

/// `Tue Jun 04 2019 10:01:02 GMT+0200`: the date form of Sling JSON.
fn is_sling_date(s: &str) -> bool {
    chrono::DateTime::parse_from_str(s, "%a %b %d %Y %H:%M:%S GMT%z").is_ok()
}

fn type_hint(v: &Value) -> Option<&'static str> {
    match v {
        Value::Bool(_) => Some("Boolean"),
        Value::Number(n) if n.is_i64() || n.is_u64() => Some("Long"),
        Value::Number(_) => Some("Double"),
        Value::String(s) if is_sling_date(s) => Some("Date"),
        _ => None,
    }
}

fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Turns a Sling JSON tree into Sling POST parameters that re-create it with its types.
pub fn restore_params(
    tree: &Map<String, Value>,
    prefix: &str,
    out: &mut Vec<(String, String)>,
    skipped: &mut Vec<String>,
) {
    for (k, v) in tree {
        let name = format!("{prefix}{k}");
        match v {
            Value::Object(child) => restore_params(child, &format!("{name}/"), out, skipped),
            _ if k.starts_with(':') => skipped.push(format!("{prefix}{} (binary)", &k[1..])),
            Value::Array(items) => {
                if items.is_empty() {
                    skipped.push(format!("{name} (empty list)"));
                    continue;
                }
                let hint = type_hint(&items[0]).unwrap_or("String");
                out.push((format!("{name}@TypeHint"), format!("{hint}[]")));
                for it in items {
                    out.push((name.clone(), scalar_text(it)));
                }
            }
            Value::Null => {}
            _ => {
                if let Some(h) = type_hint(v)
                    && k != "jcr:primaryType"
                {
                    out.push((format!("{name}@TypeHint"), h.to_string()));
                }
                out.push((name, scalar_text(v)));
            }
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RestoreReport {
    pub restored: Vec<String>,
    pub already_present: Vec<String>,
    pub users: Vec<String>,
    pub skipped: Vec<String>,
    /// OSGi configurations put back as they were (same PID).
    #[serde(default)]
    pub configurations: Vec<String>,
    /// What the restore could not do and why.
    #[serde(default)]
    pub notes: Vec<String>,
}

pub fn read_manifest(dir: &Path) -> Result<Manifest, UpgradeError> {
    let p = dir.join("manifest.json");
    let text = std::fs::read_to_string(&p)
        .map_err(|e| UpgradeError::Refused(format!("cannot read {}: {e}", p.display())))?;
    serde_json::from_str(&text).map_err(|e| {
        UpgradeError::Refused(format!(
            "{} is not a brandlink backup manifest: {e}",
            p.display()
        ))
    })
}

/// Re-creates what a backup holds; present nodes and users are left alone.
pub async fn restore(
    client: &AemClient,
    dir: &Path,
    dry_run: bool,
    secret: Option<&secrecy::SecretString>,
) -> Result<RestoreReport, UpgradeError> {
    let m = read_manifest(dir)?;
    let mut report = RestoreReport {
        restored: vec![],
        already_present: vec![],
        users: vec![],
        skipped: vec![],
        configurations: vec![],
        notes: vec![],
    };
    for o in &m.osgi {
        restore_osgi(client, o, dry_run, secret, &mut report).await?;
    }
    for n in &m.nodes {
        if client.exists(&n.path).await? {
            report.already_present.push(n.path.clone());
            continue;
        }
        let text = std::fs::read_to_string(dir.join(&n.file))
            .map_err(|e| UpgradeError::Refused(format!("cannot read {}: {e}", n.file)))?;
        let tree: Map<String, Value> = serde_json::from_str(&text)
            .map_err(|e| UpgradeError::Refused(format!("{} is not JSON: {e}", n.file)))?;
        let mut params = Vec::new();
        restore_params(&tree, "", &mut params, &mut report.skipped);
        if !dry_run {
            client.sling_post(&n.path, &params).await?;
        }
        report.restored.push(n.path.clone());
    }
    for u in &m.users {
        if client.find_user(&u.id).await?.is_some() {
            report.already_present.push(u.id.clone());
            continue;
        }
        if !dry_run {
            let pw = format!(
                "{}-{}",
                uuid::Uuid::new_v4().simple(),
                uuid::Uuid::new_v4().simple()
            );
            client.create_user(&u.id, Some(&pw), &u.folder).await?;
        }
        report.users.push(u.id.clone());
    }
    // Writing a cloud configuration may make AEM provision the tenant's agents again: those
    // not in the backup are reported and, with empty queues, removed, so the result equals it.
    let wrote_config = m.nodes.iter().any(|n| n.kind == TargetKind::CloudConfig);
    if wrote_config && !m.tenant_url.is_empty() && !dry_run {
        let backed: Vec<&str> = m
            .nodes
            .iter()
            .filter(|n| n.kind == TargetKind::Agent)
            .map(|n| n.path.as_str())
            .collect();
        for a in client.brand_portal_agents(&m.tenant_url).await? {
            let path = agent_path(&a.id);
            if backed.contains(&path.as_str()) {
                continue;
            }
            let empty = client
                .queue(&a.id)
                .await
                .is_ok_and(|q| q.items.is_empty() && !q.blocked);
            if empty {
                client.delete_node(&path).await?;
                report.notes.push(format!(
                    "removed {path}: AEM provisioned it when the configuration was written, and the backup does not hold it"
                ));
            } else {
                report.notes.push(format!(
                    "{path} is not in the backup but its queue holds items: left alone"
                ));
            }
        }
    }
    Ok(report)
}

/// Puts one configuration back exactly: its properties as backed up, properties added since
/// removed, the secret from the operator (or left as it is).
async fn restore_osgi(
    client: &AemClient,
    o: &BackupOsgi,
    dry_run: bool,
    secret: Option<&secrecy::SecretString>,
    report: &mut RestoreReport,
) -> Result<(), UpgradeError> {
    use secrecy::ExposeSecret;
    let Some(current) = client.config(&o.pid).await? else {
        // Deleted since: create it again from the backup. AEM gives it a new PID.
        let Some(factory) = o.factory_pid.as_deref() else {
            report.notes.push(format!(
                "{} no longer exists and is not a factory configuration: re-create it by hand",
                o.pid
            ));
            return Ok(());
        };
        let mut props = o.properties.clone();
        for name in &o.secrets_left_out {
            match secret {
                Some(s) => props.push((name.clone(), vec![s.expose_secret().to_string()])),
                None => report.notes.push(format!(
                    "{}: re-created without {name} (set BRANDLINK_CLIENT_SECRET to restore it)",
                    o.pid
                )),
            }
        }
        if dry_run {
            report.configurations.push(o.pid.clone());
            return Ok(());
        }
        let new_pid = client.create_factory_config(factory, &props).await?;
        report.notes.push(format!(
            "{} was deleted and is re-created as {new_pid}; a cloud configuration that named the old PID must name the new one",
            o.pid
        ));
        report.configurations.push(new_pid);
        return Ok(());
    };
    let mut props = o.properties.clone();
    let mut remove: Vec<String> = current
        .properties
        .iter()
        .map(|(k, _)| k.clone())
        .filter(|k| {
            !o.properties.iter().any(|(n, _)| n == k) && !crate::aem::osgi::is_secret_property(k)
        })
        .collect();
    remove.sort();
    for name in &o.secrets_left_out {
        match secret {
            Some(s) => props.push((name.clone(), vec![s.expose_secret().to_string()])),
            None => report.notes.push(format!(
                "{}: {name} was left as it is (not in the backup; set BRANDLINK_CLIENT_SECRET to restore it)",
                o.pid
            )),
        }
    }
    if !dry_run {
        client.update_config(&o.pid, &props, &remove).await?;
    }
    report.configurations.push(o.pid.clone());
    Ok(())
}

/// Backs up `plan` into a new folder under `root`, then deletes, journaled. Returns the folder.
pub async fn execute(
    client: &AemClient,
    plan: &Plan,
    root: &Path,
) -> Result<PathBuf, UpgradeError> {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let dir = root.join(format!("{stamp}-{}", tenant_label(&plan.tenant_url)));
    backup(client, plan, &dir).await?;
    resume(client, &dir).await?;
    Ok(dir)
}

pub fn read_journal(dir: &Path) -> Result<Journal, UpgradeError> {
    let jpath = dir.join("journal.json");
    let bad = |detail: String| UpgradeError::Journal {
        path: jpath.display().to_string(),
        detail,
    };
    let text = std::fs::read_to_string(&jpath).map_err(|e| bad(e.to_string()))?;
    serde_json::from_str(&text).map_err(|e| bad(e.to_string()))
}

/// Carries on with the deletes journaled in `dir`.
pub async fn resume(client: &AemClient, dir: &Path) -> Result<Journal, UpgradeError> {
    let mut journal = read_journal(dir)?;
    delete_all(client, dir, &mut journal).await?;
    Ok(journal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backups_never_hold_password_hashes_or_clear_secrets() {
        let mut v: Value = serde_json::from_str(
            r#"{"rep:password":"{SHA-256}abc","rep:authorizableId":"mac-x","jcr:content":{"clientSecret":"{0123abcd}","apiSecret":"plain","title":"t"}}"#,
        )
        .unwrap();
        let removed = scrub(&mut v, "/u");
        assert_eq!(removed, vec!["/u/rep:password", "/u/jcr:content/apiSecret"]);
        assert_eq!(
            v["jcr:content"]["clientSecret"], "{0123abcd}",
            "AEM-encrypted stays"
        );
        assert_eq!(v["rep:authorizableId"], "mac-x");
    }

    #[test]
    fn params_keep_types() {
        let tree: Map<String, Value> = serde_json::from_str(
            r#"{"jcr:primaryType":"cq:Page","jcr:content":{"jcr:primaryType":"nt:unstructured","enabled":"true","on":true,"n":5,"d":1.5,
               "jcr:created":"Tue Jun 04 2019 10:01:02 GMT+0200","list":["a","b"],":bin":3,"empty":[]}}"#,
        )
        .unwrap();
        let mut out = vec![];
        let mut skipped = vec![];
        restore_params(&tree, "", &mut out, &mut skipped);
        let has = |k: &str, v: &str| out.iter().any(|(a, b)| a == k && b == v);
        assert!(has("jcr:primaryType", "cq:Page"));
        assert!(has("jcr:content/enabled", "true"));
        assert!(
            !out.iter().any(|(a, _)| a == "jcr:content/enabled@TypeHint"),
            "a string stays a string"
        );
        assert!(has("jcr:content/on@TypeHint", "Boolean"));
        assert!(has("jcr:content/n@TypeHint", "Long"));
        assert!(has("jcr:content/d@TypeHint", "Double"));
        assert!(has("jcr:content/jcr:created@TypeHint", "Date"));
        assert!(has("jcr:content/list@TypeHint", "String[]"));
        assert_eq!(skipped.len(), 2);
    }
}
