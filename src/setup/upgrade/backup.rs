//! The backup folder: a manifest, nodes and users as Sling JSON, OSGi configurations; never a
//! password hash or a clear secret. Folders 0700, files 0600.

use super::{
    BusyAgent, Journal, JournalStep, Plan, QueuedItems, StepState, TargetKind, UpgradeError,
};
use crate::aem::AemClient;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::{Path, PathBuf};

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BackupNode {
    pub path: String,
    pub kind: TargetKind,
    pub file: String,
    /// SHA-256 of the file as written (the manifest's seal covers it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BackupUser {
    pub id: String,
    pub path: String,
    pub folder: String,
    pub file: String,
    /// SHA-256 of the file as written (the manifest's seal covers it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
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
    /// Properties brandlink changed on nodes it kept (Close Connection on the agents), with
    /// their values before: `restore` puts them back.
    #[serde(default)]
    pub properties: Vec<BackupProperty>,
    pub note: String,
    /// HMAC-SHA256 of the rest, with the key in the operator's state folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seal: Option<String>,
}

/// A property as it was before brandlink changed it; `before: None` means it was not set.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct BackupProperty {
    pub path: String,
    pub name: String,
    pub before: Option<String>,
}

/// Writes a backup of property changes on nodes that stay: each node as it is (full depth,
/// for the record) and each property's value before, in a manifest in `dir`.
pub async fn backup_properties(
    client: &AemClient,
    tenant_url: &str,
    kind: TargetKind,
    properties: &[BackupProperty],
    dir: &Path,
) -> Result<Manifest, UpgradeError> {
    let fail = |detail: String| UpgradeError::Backup {
        path: dir.display().to_string(),
        detail,
    };
    private_dir(dir).map_err(|e| fail(e.to_string()))?;
    private_dir(&dir.join("nodes")).map_err(|e| fail(e.to_string()))?;
    let mut paths: Vec<&str> = properties.iter().map(|p| p.path.as_str()).collect();
    paths.dedup();
    let mut nodes = Vec::new();
    for (i, path) in paths.into_iter().enumerate() {
        let mut tree = client.export(path).await?;
        scrub(&mut tree, path);
        let file = format!("nodes/{i:03}.json");
        let sha256 = Some(write_atomic(&dir.join(&file), &tree).map_err(fail)?);
        nodes.push(BackupNode {
            path: path.to_string(),
            kind,
            file,
            sha256,
        });
    }
    let manifest = Manifest {
        version: 1,
        created_at: crate::when::now_rfc3339(),
        aem_url: client.base_url().to_string(),
        tenant_url: tenant_url.to_string(),
        nodes,
        users: vec![],
        osgi: vec![],
        properties: properties.to_vec(),
        note: "Property changes on nodes that stay: `brandlink restore` sets each property back to its value before (and re-creates a node that has gone since).".into(),
        seal: None,
    };
    let manifest = write_manifest(dir, manifest).map_err(fail)?;
    Ok(manifest)
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
        created_at: crate::when::now_rfc3339(),
        aem_url: aem_url.to_string(),
        tenant_url: tenant_url.to_string(),
        nodes: vec![],
        users: vec![],
        osgi: configs.iter().map(BackupOsgi::of).collect(),
        properties: vec![],
        note: "OSGi configurations as the Felix console shows them. Secrets (the client secret) are not written: `brandlink restore` takes them from BRANDLINK_CLIENT_SECRET or a prompt, or leaves the current one.".into(),
        seal: None,
    };
    let manifest = write_manifest(dir, manifest).map_err(fail)?;
    Ok(manifest)
}

/// Creates a folder only its owner can read (0700, whatever the umask); an existing one
/// writable by others is refused.
pub(super) fn private_dir(dir: &Path) -> std::io::Result<()> {
    crate::fsutil::private_dir(dir).map_err(|e| std::io::Error::other(e.to_string()))
}

/// Creates a new backup folder `<root>/<name>`, or `<name>-2`, `<name>-3`… when that exists:
/// two runs in the same second (or two processes) never share a folder.
pub fn new_backup_dir(root: &Path, name: &str) -> Result<PathBuf, UpgradeError> {
    let fail = |path: &Path, e: std::io::Error| UpgradeError::Backup {
        path: path.display().to_string(),
        detail: e.to_string(),
    };
    let state = crate::config::state_dir();
    if root.starts_with(&state) {
        private_dir(&state).map_err(|e| fail(&state, e))?;
    }
    private_dir(root).map_err(|e| fail(root, e))?;
    for n in 1u32..=10_000 {
        let dir = if n == 1 {
            root.join(name)
        } else {
            root.join(format!("{name}-{n}"))
        };
        match std::fs::create_dir(&dir) {
            Ok(()) => {
                private_dir(&dir).map_err(|e| fail(&dir, e))?;
                return Ok(dir);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(fail(&dir, e)),
        }
    }
    Err(fail(
        &root.join(name),
        std::io::Error::other("10,000 folders of that name exist already"),
    ))
}

/// Writes a file only its owner can read (0600), atomically; returns its SHA-256.
pub(super) fn write_atomic(path: &Path, value: &impl Serialize) -> Result<String, String> {
    let text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
    crate::fsutil::write_private(path, text.as_bytes()).map_err(|e| e.to_string())?;
    Ok(super::seal::digest(text.as_bytes()))
}

/// Seals a manifest (see [`super::seal`]) and writes it into `dir`.
pub(super) fn write_manifest(dir: &Path, mut m: Manifest) -> Result<Manifest, String> {
    m.seal = None;
    let body = serde_json::to_vec(&m).map_err(|e| e.to_string())?;
    m.seal = Some(super::seal::seal(
        &crate::config::state_dir(),
        super::seal::Kind::Manifest,
        &body,
    )?);
    write_atomic(&dir.join("manifest.json"), &m)?;
    Ok(m)
}

/// Seals a journal and writes it to `path`.
pub(super) fn write_journal(path: &Path, j: &Journal) -> Result<(), String> {
    let mut j = j.clone();
    j.seal = None;
    let body = serde_json::to_vec(&j).map_err(|e| e.to_string())?;
    j.seal = Some(super::seal::seal(
        &crate::config::state_dir(),
        super::seal::Kind::Journal,
        &body,
    )?);
    write_atomic(path, &j).map(|_| ())
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
    crate::config::state_dir().join("backups")
}

/// Exports every target into `dir` (full depth, as JSON) and writes the manifest and the
/// journal. Fails before anything is deleted if a file cannot be written.
pub async fn backup(
    client: &AemClient,
    plan: &Plan,
    stuck: &[BusyAgent],
    dir: &Path,
) -> Result<Manifest, UpgradeError> {
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
                let sha256 = Some(write_atomic(&dir.join(&file), &node).map_err(fail)?);
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
                    sha256,
                });
            }
            kind => {
                let mut tree = client.export(&t.path).await?;
                scrubbed.extend(scrub(&mut tree, &t.path));
                let file = format!("nodes/{i:03}.json");
                let sha256 = Some(write_atomic(&dir.join(&file), &tree).map_err(fail)?);
                nodes.push(BackupNode {
                    path: t.path.clone(),
                    kind,
                    file,
                    sha256,
                });
            }
        }
    }
    let manifest = Manifest {
        version: 1,
        created_at: crate::when::now_rfc3339(),
        aem_url: client.base_url().to_string(),
        tenant_url: plan.tenant_url.clone(),
        nodes,
        users,
        osgi,
        properties: vec![],
        note: format!(
            "Nodes as AEM renders them over HTTP (Sling JSON, full depth); values AEM stores encrypted stay encrypted ({{…}}). Password hashes and clear secrets are not written ({}): a restored MAC user gets a new random password, and AEM re-creates its own on the next cloud configuration save.",
            if scrubbed.is_empty() {
                "none was found".to_string()
            } else {
                format!("left out: {}", scrubbed.join(", "))
            }
        ),
        seal: None,
    };
    let manifest = write_manifest(dir, manifest).map_err(fail)?;
    let queued: Vec<QueuedItems> = stuck
        .iter()
        .map(|b| QueuedItems {
            agent: b.agent.clone(),
            cause: b.stuck.clone().unwrap_or_default(),
            pending: b.pending,
            paths: b.queued_paths.clone(),
        })
        .collect();
    if !queued.is_empty() {
        write_atomic(&dir.join("queued.json"), &queued).map_err(fail)?;
    }
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
        let_go: stuck.iter().map(|b| b.agent.clone()).collect(),
        seal: None,
    };
    write_journal(&dir.join("journal.json"), &journal).map_err(fail)?;
    Ok(manifest)
}

/// The largest manifest, journal and node file brandlink reads back.
pub const MAX_RECORD: u64 = 4 * 1024 * 1024;
pub const MAX_NODE_FILE: u64 = 16 * 1024 * 1024;

/// Reads a backup's manifest, trusting it only when the folder and file are the operator's
/// (no symlink, not writable by others) and its seal matches.
pub fn read_manifest(dir: &Path) -> Result<Manifest, UpgradeError> {
    let refused =
        |detail: String| UpgradeError::Refused(format!("backup {}: {detail}", dir.display()));
    let m = crate::fsutil::check_owned(dir).map_err(|e| refused(e.to_string()))?;
    if !m.is_dir() {
        return Err(refused("is not a folder".into()));
    }
    let bytes = crate::fsutil::read_trusted(dir, "manifest.json", MAX_RECORD)
        .map_err(|e| refused(e.to_string()))?;
    let mut manifest: Manifest = serde_json::from_slice(&bytes).map_err(|e| {
        refused(format!(
            "manifest.json is not a brandlink backup manifest: {e}"
        ))
    })?;
    let seal = manifest.seal.take();
    let body = serde_json::to_vec(&manifest).map_err(|e| refused(e.to_string()))?;
    super::seal::verify(
        &crate::config::state_dir(),
        super::seal::Kind::Manifest,
        &body,
        seal.as_deref(),
    )
    .map_err(refused)?;
    manifest.seal = seal;
    Ok(manifest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backup_folders_never_collide() {
        let root = tempfile::tempdir().unwrap();
        let a = new_backup_dir(root.path(), "20261130T000000Z-wknd").unwrap();
        let b = new_backup_dir(root.path(), "20261130T000000Z-wknd").unwrap();
        let c = new_backup_dir(root.path(), "20261130T000000Z-wknd").unwrap();
        assert_ne!(a, b);
        assert!(b.ends_with("20261130T000000Z-wknd-2"));
        assert!(c.ends_with("20261130T000000Z-wknd-3"));
    }

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
}
