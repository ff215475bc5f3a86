//! Putting a backup back: nodes with their types, users with new passwords, OSGi
//! configurations exactly (re-created when deleted), and agents AEM provisioned meanwhile
//! removed so the result equals the backup.

use super::backup::{BackupOsgi, read_manifest};
use super::{TargetKind, UpgradeError};
use crate::aem::AemClient;
use crate::aem::agents::agent_path;
use serde::Serialize;
use serde_json::{Map, Value};
use std::path::Path;

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
    // Properties changed on nodes that stayed go back to their values before.
    for p in &m.properties {
        if !client.exists(&p.path).await? {
            report.notes.push(format!(
                "{} is gone: its {} was not set back",
                p.path, p.name
            ));
            continue;
        }
        let form = match &p.before {
            Some(v) => vec![(p.name.clone(), v.clone())],
            None => vec![(format!("{}@Delete", p.name), String::new())],
        };
        if !dry_run {
            client.sling_post(&p.path, &form).await?;
        }
        report.restored.push(format!(
            "{} {} = {}",
            p.path,
            p.name,
            p.before.as_deref().unwrap_or("(not set)")
        ));
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

#[cfg(test)]
mod tests {
    use super::*;

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
