//! What brandlink checks before it writes to an author from a file: a backup (restore) or a
//! journal (resume) acts only on the integration it recorded. The author is the one
//! recorded; every node is a Brand Portal agent, cloud configuration or MAC user of the
//! recorded tenant under the known roots; every OSGi configuration is Brand Portal's IMS
//! provider or customizer; every property change is one brandlink records (Close
//! Connection); every file a plain name inside the folder, the operator's, size-bounded.
//! One violation refuses the whole file, naming the entry; nothing is written.

mod journal;

pub use journal::check_journal;

use super::backup::{MAX_NODE_FILE, Manifest, read_manifest};
use super::{TargetKind, UpgradeError};
use crate::aem::AemClient;
use crate::aem::agents::AGENTS_ROOT;
use crate::aem::cloud::{CLOUD_ROOT, LEGACY_ROOT};
use crate::aem::osgi::prop;
use crate::aem::osgi::{CUSTOMIZER_FACTORY, PROVIDER_FACTORY, is_secret_property};
use crate::aem::users::MAC_ROOT;
use serde_json::{Map, Value};
use std::path::Path;

/// The property brandlink's Close Connection changes (and records).
pub const RECORDED_PROPERTIES: &[&str] = &["protocolHTTPConnectionClose"];
/// The Brand Portal metascope in JWT claims.
const BP_METASCOPE: &str = "ent_brand_portal_sdk";
/// All node files of one backup together.
const MAX_ALL_FILES: u64 = 64 * 1024 * 1024;

fn refused(what: &str, detail: impl std::fmt::Display) -> UpgradeError {
    UpgradeError::Refused(format!(
        "{what}: {detail}; nothing was written. brandlink acts only on the integration it recorded"
    ))
}

/// A node, folder or agent name: letters, digits, `-`, `_`, `.` (not first).
fn plain_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 150
        && !s.starts_with('.')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// A key of a Sling JSON tree that Sling POST would take as a plain relative name: no path,
/// no `@` suffix (`@MoveFrom`, `@Delete`…), no `.`/`..`.
fn safe_key(k: &str) -> bool {
    !k.is_empty()
        && k != "."
        && k != ".."
        && k.len() <= 300
        && !k
            .chars()
            .any(|c| c.is_control() || matches!(c, '/' | '@' | '[' | ']' | '*' | '|' | '\\'))
}

fn check_tree(tree: &Map<String, Value>, at: &str) -> Result<(), String> {
    for (k, v) in tree {
        let leaf_binary = k.starts_with(':') && !v.is_object();
        if !leaf_binary && (!safe_key(k) || k.starts_with(':')) {
            return Err(format!(
                "{at} holds the name '{k}', which is not a plain node or property name"
            ));
        }
        if let Value::Object(child) = v {
            check_tree(child, &format!("{at}/{k}"))?;
        }
    }
    Ok(())
}

fn same_url(a: &str, b: &str) -> bool {
    a.trim_end_matches('/')
        .eq_ignore_ascii_case(b.trim_end_matches('/'))
}

/// Whether a `transportUri` publishes to the tenant.
fn to_tenant(uri: Option<&str>, tenant: &str) -> bool {
    let prefix = format!("{}/", tenant.trim_end_matches('/')).to_ascii_lowercase();
    uri.is_some_and(|u| u.to_ascii_lowercase().starts_with(&prefix))
}

fn str_at<'a>(tree: &'a Map<String, Value>, keys: &[&str]) -> Option<&'a str> {
    let mut cur = tree;
    for k in &keys[..keys.len() - 1] {
        cur = cur.get(*k)?.as_object()?;
    }
    cur.get(keys[keys.len() - 1])?.as_str()
}

/// The agent id of `/etc/replication/agents.author/<id>` (or its `jcr:content`).
fn agent_id(path: &str) -> Option<(&str, bool)> {
    let rest = path.strip_prefix(AGENTS_ROOT)?.strip_prefix('/')?;
    let (id, content) = match rest.strip_suffix("/jcr:content") {
        Some(id) => (id, true),
        None => (rest, false),
    };
    plain_name(id).then_some((id, content))
}

fn cloud_name(path: &str) -> bool {
    [CLOUD_ROOT, LEGACY_ROOT].iter().any(|root| {
        path.strip_prefix(root)
            .and_then(|r| r.strip_prefix('/'))
            .is_some_and(plain_name)
    })
}

fn mac_folder(folder: &str) -> bool {
    folder == MAC_ROOT
        || folder
            .strip_prefix(MAC_ROOT)
            .and_then(|r| r.strip_prefix('/'))
            .is_some_and(|r| r.split('/').all(plain_name))
}

fn mac_user(id: &str, path: &str, tenant: &str) -> Result<(), String> {
    let label = crate::aem::cloud::tenant_label(tenant);
    if !id.starts_with("mac-") || !plain_name(id) || label.is_empty() || !id.contains(&label) {
        return Err(format!(
            "the user '{id}' is not a MAC user of {tenant} (mac-…{label}…)"
        ));
    }
    let Some((folder, name)) = path.rsplit_once('/') else {
        return Err(format!("{path} is not a user path"));
    };
    if !mac_folder(folder) || !plain_name(name) {
        return Err(format!("{path} is not under {MAC_ROOT}"));
    }
    Ok(())
}

/// The PID's factory when the PID is one of that factory's configurations.
fn factory_of(pid: &str) -> Option<&'static str> {
    [PROVIDER_FACTORY, CUSTOMIZER_FACTORY]
        .into_iter()
        .find(|f| {
            pid.strip_prefix(f)
                .and_then(|r| r.strip_prefix(['.', '~']))
                .is_some_and(plain_name)
        })
}

fn prop_values<'a>(props: &'a [(String, Vec<String>)], name: &str) -> Option<&'a [String]> {
    props
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_slice())
}

/// A backup opened and checked against nothing but itself: the manifest sealed, every file a
/// plain name, the operator's, within its bound, equal to its recorded digest, and every node
/// path, user and configuration of the recorded tenant's integration.
pub struct OpenBackup {
    pub manifest: Manifest,
    /// The node trees, in the manifest's order.
    pub trees: Vec<Map<String, Value>>,
}

pub fn open_backup(dir: &Path) -> Result<OpenBackup, UpgradeError> {
    let m = read_manifest(dir)?;
    let mut total = 0u64;
    let mut read = |file: &str, sha: Option<&str>, what: &str| -> Result<Vec<u8>, UpgradeError> {
        let bytes =
            crate::fsutil::read_trusted(dir, file, MAX_NODE_FILE).map_err(|e| refused(what, e))?;
        total += bytes.len() as u64;
        if total > MAX_ALL_FILES {
            return Err(refused(
                what,
                format!(
                    "the backup's files together pass {}",
                    crate::net::size_words(MAX_ALL_FILES as usize)
                ),
            ));
        }
        if sha != Some(super::seal::digest(&bytes).as_str()) {
            return Err(refused(
                what,
                format!("{file} is not the file brandlink wrote (its digest differs)"),
            ));
        }
        Ok(bytes)
    };
    let mut trees = Vec::new();
    for n in &m.nodes {
        let bytes = read(&n.file, n.sha256.as_deref(), &n.path)?;
        let tree: Map<String, Value> = serde_json::from_slice(&bytes)
            .map_err(|e| refused(&n.path, format!("{} is not a JSON object: {e}", n.file)))?;
        trees.push(tree);
    }
    for u in &m.users {
        read(&u.file, u.sha256.as_deref(), &u.id)?;
    }
    let b = OpenBackup { manifest: m, trees };
    check_shape(&b)?;
    Ok(b)
}

/// The checks that need no author.
fn check_shape(b: &OpenBackup) -> Result<(), UpgradeError> {
    let m = &b.manifest;
    let tenant = m.tenant_url.trim_end_matches('/');
    let writes_tenant = !m.nodes.is_empty() || !m.users.is_empty() || !m.properties.is_empty();
    if writes_tenant || !tenant.is_empty() {
        crate::aem::cloud::validate_tenant_url(tenant).map_err(|e| refused("tenantUrl", e))?;
    }
    for (n, tree) in m.nodes.iter().zip(&b.trees) {
        let what = &n.path;
        check_tree(tree, what).map_err(|e| refused(what, e))?;
        match n.kind {
            TargetKind::Agent => {
                let Some((_, content)) = agent_id(&n.path) else {
                    return Err(refused(
                        what,
                        format!("not a replication agent under {AGENTS_ROOT}"),
                    ));
                };
                let uri = if content {
                    str_at(tree, &["transportUri"])
                } else {
                    str_at(tree, &["jcr:content", "transportUri"])
                };
                if !to_tenant(uri, tenant) {
                    return Err(refused(
                        what,
                        format!(
                            "its transportUri ({}) does not publish to {tenant}: not a Brand Portal agent of the recorded tenant",
                            uri.unwrap_or("none")
                        ),
                    ));
                }
            }
            TargetKind::CloudConfig => {
                if !cloud_name(&n.path) {
                    return Err(refused(
                        what,
                        format!("not a cloud configuration under {CLOUD_ROOT} or {LEGACY_ROOT}"),
                    ));
                }
                let t = str_at(tree, &["jcr:content", "tenantURL"])
                    .or_else(|| str_at(tree, &["tenantURL"]));
                if !t.is_some_and(|t| same_url(t, tenant)) {
                    return Err(refused(
                        what,
                        format!("its tenantURL ({}) is not {tenant}", t.unwrap_or("none")),
                    ));
                }
            }
            other => {
                return Err(refused(
                    what,
                    format!("a node of kind {other:?} is never restored from a node file"),
                ));
            }
        }
    }
    for u in &m.users {
        mac_user(&u.id, &u.path, tenant).map_err(|e| refused(&u.id, e))?;
        if !u.path.starts_with(&format!("{}/", u.folder)) {
            return Err(refused(&u.id, format!("{} is not in {}", u.path, u.folder)));
        }
    }
    for o in &m.osgi {
        let what = &o.pid;
        let factory = factory_of(&o.pid).filter(|f| o.factory_pid.as_deref() == Some(*f));
        let Some(factory) = factory else {
            return Err(refused(
                what,
                "not a configuration of the IMS access-token provider or customizer factory",
            ));
        };
        for (k, _) in &o.properties {
            if !plain_name(k) || is_secret_property(k) {
                return Err(refused(
                    what,
                    format!("the property '{k}' is not one a backup holds"),
                ));
            }
        }
        for k in &o.secrets_left_out {
            if factory != CUSTOMIZER_FACTORY || !is_secret_property(k) || !k.starts_with("auth.") {
                return Err(refused(
                    what,
                    format!(
                        "'{k}' is not a secret property of the IMS customizer; the client secret goes nowhere else"
                    ),
                ));
            }
        }
    }
    for p in &m.properties {
        let what = format!("{} {}", p.path, p.name);
        if !RECORDED_PROPERTIES.contains(&p.name.as_str()) {
            return Err(refused(
                &what,
                "not a property brandlink changes and records",
            ));
        }
        if !matches!(agent_id(&p.path), Some((_, true))) {
            return Err(refused(
                &what,
                format!("not the jcr:content of an agent under {AGENTS_ROOT}"),
            ));
        }
        if !matches!(p.before.as_deref(), None | Some("true" | "false")) {
            return Err(refused(
                &what,
                "its value before is not true, false or unset",
            ));
        }
    }
    Ok(())
}

/// `https://<host>.adobelogin.com/…`, where AEM sends the client secret.
fn adobe_ims(v: &str) -> bool {
    reqwest::Url::parse(v).is_ok_and(|u| {
        u.scheme() == "https"
            && u.username().is_empty()
            && u.password().is_none()
            && u.host_str().is_some_and(|h| h.ends_with(".adobelogin.com"))
    })
}

fn bp_provider(pid: &str, props: &[(String, Vec<String>)], cloud_names: &[&str]) -> bool {
    let one = |k: &str| {
        prop_values(props, k)
            .and_then(|v| v.first())
            .map(String::as_str)
    };
    let name = one("name");
    cloud_names.iter().any(|n| *n == pid || Some(*n) == name)
        || prop_values(props, prop::CLAIMS)
            .unwrap_or_default()
            .iter()
            .any(|l| l.contains(BP_METASCOPE))
        || name.is_some_and(|n| n.to_ascii_lowercase().starts_with("brandportal"))
        || one(prop::TITLE).is_some_and(|t| t.to_ascii_lowercase().contains("brand portal"))
}

/// The checks against the author: it is the one recorded, a customizer pairs with Brand
/// Portal's provider, an existing configuration is of the recorded factory, and a property is
/// set back only on an agent that publishes to the tenant.
pub async fn check_against(client: &AemClient, b: &OpenBackup) -> Result<(), UpgradeError> {
    let m = &b.manifest;
    if !same_url(&m.aem_url, client.base_url()) {
        return Err(refused(
            "aemUrl",
            format!(
                "this backup is of the author at {}, and brandlink is connected to {}; restore it there (a backup is never put into another author)",
                crate::aem::client::display_url(&m.aem_url),
                client.base_url()
            ),
        ));
    }
    let tenant = m.tenant_url.trim_end_matches('/');
    let mut cloud_names: Vec<String> = b
        .trees
        .iter()
        .filter_map(|t| {
            str_at(t, &["jcr:content", "imsConfig"]).or_else(|| str_at(t, &["imsConfig"]))
        })
        .map(str::to_string)
        .collect();
    if !m.osgi.is_empty() {
        cloud_names.extend(
            client
                .cloud_configs()
                .await?
                .into_iter()
                .filter(|c| tenant.is_empty() || same_url(&c.tenant_url, tenant))
                .filter_map(|c| c.ims_config),
        );
    }
    let names: Vec<&str> = cloud_names.iter().map(String::as_str).collect();
    for o in &m.osgi {
        let live = client.config(&o.pid).await?;
        if let Some(live) = &live
            && live.factory_pid != o.factory_pid
        {
            return Err(refused(
                &o.pid,
                "the configuration on the author is of another factory",
            ));
        }
        if o.factory_pid.as_deref() == Some(PROVIDER_FACTORY) {
            if !bp_provider(&o.pid, &o.properties, &names) {
                return Err(refused(
                    &o.pid,
                    "not the Brand Portal IMS configuration (no Brand Portal name, metascope, or cloud configuration naming it)",
                ));
            }
            for k in [prop::ENDPOINT, prop::ACCESS_TOKEN_REQUEST] {
                let now = live.as_ref().and_then(|l| l.get(k));
                for v in prop_values(&o.properties, k).unwrap_or_default() {
                    if !adobe_ims(v) && now != Some(v.as_str()) {
                        return Err(refused(
                            &o.pid,
                            format!(
                                "{k} = {v} is not an Adobe IMS address (https://…adobelogin.com) nor the value the author holds"
                            ),
                        ));
                    }
                }
            }
        }
        if o.factory_pid.as_deref() == Some(CUSTOMIZER_FACTORY) {
            let ctype = prop_values(&o.properties, prop::CUSTOMIZER_TYPE).and_then(|v| v.first());
            let in_backup = m.osgi.iter().any(|p| {
                p.factory_pid.as_deref() == Some(PROVIDER_FACTORY)
                    && prop_values(&p.properties, prop::REQUEST_CUSTOMIZER_TYPE)
                        .and_then(|v| v.first())
                        == ctype
            });
            let live_bp = if in_backup {
                true
            } else {
                client
                    .factory_configs(PROVIDER_FACTORY)
                    .await?
                    .iter()
                    .filter(|p| bp_provider(&p.pid, &p.properties, &names))
                    .any(|p| p.get(prop::REQUEST_CUSTOMIZER_TYPE) == ctype.map(String::as_str))
            };
            if ctype.is_none() || !live_bp {
                return Err(refused(
                    &o.pid,
                    "this customizer does not pair with the Brand Portal IMS configuration",
                ));
            }
        }
    }
    for p in &m.properties {
        if !client.exists(&p.path).await? {
            continue;
        }
        let node = client.node(&p.path, 0).await?;
        let uri = node.get("transportUri").and_then(Value::as_str);
        if !to_tenant(uri, tenant) {
            return Err(refused(
                &format!("{} {}", p.path, p.name),
                format!("the agent does not publish to {tenant}"),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_keys() {
        assert!(agent_id("/etc/replication/agents.author/bp-wknd-1").is_some());
        assert!(agent_id("/etc/replication/agents.author/../../content/dam").is_none());
        assert!(agent_id("/content/dam").is_none());
        assert!(cloud_name("/etc/cloudservices/mediaportal/wknd"));
        assert!(!cloud_name("/etc/cloudservices/mediaportal/a/b"));
        assert!(safe_key("jcr:content") && safe_key("jcr:title"));
        for k in ["a/b", "x@MoveFrom", "..", "", "a\nb"] {
            assert!(!safe_key(k), "{k:?}");
        }
        assert!(
            mac_user(
                "mac-wknd-replication",
                "/home/users/mac/x/abc",
                "https://wknd.brand-portal.adobe.com"
            )
            .is_ok()
        );
        assert!(
            mac_user(
                "admin",
                "/home/users/a/admin",
                "https://wknd.brand-portal.adobe.com"
            )
            .is_err()
        );
        assert!(factory_of(&format!("{PROVIDER_FACTORY}.1234-abcd")).is_some());
        assert!(factory_of("org.apache.sling.jcr.repoinit.RepositoryInitializer~x").is_none());
        assert!(adobe_ims("https://ims-na1.adobelogin.com/ims/token/v3"));
        assert!(!adobe_ims("https://evil.example.com/ims"));
    }
}
