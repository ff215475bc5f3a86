//! Putting a backup back: nodes with their types, users with new passwords, OSGi
//! configurations exactly (re-created when deleted), and agents AEM provisioned meanwhile
//! removed so the result equals the backup.

use super::backup::BackupOsgi;
use super::{TargetKind, UpgradeError};
use crate::aem::AemClient;
use crate::aem::agents::agent_path;
use crate::setup::SetupError;
use crate::setup::stop::{Interrupted, Stop};
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

#[derive(Debug, Default, Serialize)]
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

/// One write of a restore, in the order it is applied.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum RestoreStep {
    /// An OSGi configuration put back (`exists`) or re-created from its factory.
    Configuration {
        pid: String,
        factory_pid: Option<String>,
        exists: bool,
        set: Vec<String>,
        remove: Vec<String>,
        secrets: Vec<String>,
    },
    /// A MAC user re-created with a new random password.
    User { id: String, folder: String },
    /// A node re-created with its properties (`params` Sling POST fields).
    Node {
        path: String,
        node_kind: TargetKind,
        #[serde(skip)]
        params: Vec<(String, String)>,
        properties: usize,
    },
    /// A property set back to its value before (`None`: removed).
    Property {
        path: String,
        name: String,
        before: Option<String>,
    },
}

impl RestoreStep {
    /// One line naming every path, PID and property written.
    pub fn describe(&self) -> String {
        match self {
            RestoreStep::Configuration {
                pid,
                factory_pid,
                exists,
                set,
                remove,
                secrets,
            } => {
                let mut t = if *exists {
                    format!("configuration {pid}: set {}", set.join(", "))
                } else {
                    format!(
                        "configuration {pid} (deleted): re-create from {} with {}",
                        factory_pid.as_deref().unwrap_or("?"),
                        set.join(", ")
                    )
                };
                if !remove.is_empty() {
                    t.push_str(&format!("; remove {}", remove.join(", ")));
                }
                if !secrets.is_empty() {
                    t.push_str(&format!("; secret {} (if given)", secrets.join(", ")));
                }
                t
            }
            RestoreStep::User { id, folder } => {
                format!("user {id} in {folder} (new random password)")
            }
            RestoreStep::Node {
                path,
                node_kind,
                properties,
                ..
            } => format!("node {path} ({node_kind:?}, {properties} values)"),
            RestoreStep::Property { path, name, before } => format!(
                "property {path}/{name} = {}",
                before.as_deref().unwrap_or("(removed)")
            ),
        }
    }
}

/// What a restore would write, checked in full before anything is: see [`super::trust`].
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RestorePlan {
    pub aem_url: String,
    pub tenant_url: String,
    pub steps: Vec<RestoreStep>,
    /// Nodes, users and properties left alone (present; or gone, for a property).
    pub already_present: Vec<String>,
    pub skipped: Vec<String>,
    pub notes: Vec<String>,
    /// Whether a configuration's secret is asked for.
    pub wants_secret: bool,
    /// Whether a cloud configuration is written (AEM may provision agents then).
    pub writes_cloud_config: bool,
    #[serde(skip)]
    backed_agents: Vec<String>,
}

/// Reads and checks a whole backup against the author, and lists what a restore writes, in
/// the order it writes it: configurations, users, agents, cloud configurations, properties.
/// Nothing is written.
pub async fn plan_restore(client: &AemClient, dir: &Path) -> Result<RestorePlan, UpgradeError> {
    let b = super::trust::open_backup(dir)?;
    super::trust::check_against(client, &b).await?;
    let m = &b.manifest;
    let mut plan = RestorePlan {
        aem_url: m.aem_url.clone(),
        tenant_url: m.tenant_url.clone(),
        steps: vec![],
        already_present: vec![],
        skipped: vec![],
        notes: vec![],
        wants_secret: m.osgi.iter().any(|o| !o.secrets_left_out.is_empty()),
        writes_cloud_config: false,
        backed_agents: vec![],
    };
    for o in &m.osgi {
        let current = client.config(&o.pid).await?;
        if current.is_none() && o.factory_pid.is_none() {
            plan.notes.push(format!(
                "{} no longer exists and is not a factory configuration: re-create it by hand",
                o.pid
            ));
            continue;
        }
        if current.is_none()
            && let Some(again) = recreated(client, o).await?
        {
            // A restore stopped after re-creating it: running it again does not add another.
            plan.already_present
                .push(format!("{} (re-created as {again})", o.pid));
            continue;
        }
        let mut remove: Vec<String> = current
            .iter()
            .flat_map(|c| c.properties.iter().map(|(k, _)| k.clone()))
            .filter(|k| {
                !o.properties.iter().any(|(n, _)| n == k)
                    && !crate::aem::osgi::is_secret_property(k)
            })
            .collect();
        remove.sort();
        plan.steps.push(RestoreStep::Configuration {
            pid: o.pid.clone(),
            factory_pid: o.factory_pid.clone(),
            exists: current.is_some(),
            set: o.properties.iter().map(|(k, _)| k.clone()).collect(),
            remove,
            secrets: o.secrets_left_out.clone(),
        });
    }
    for u in &m.users {
        if client.find_user(&u.id).await?.is_some() {
            plan.already_present.push(u.id.clone());
        } else {
            plan.steps.push(RestoreStep::User {
                id: u.id.clone(),
                folder: u.folder.clone(),
            });
        }
    }
    // Agents before the cloud configuration that would make AEM provision its own.
    let mut order: Vec<usize> = (0..m.nodes.len()).collect();
    order.sort_by_key(|&i| m.nodes[i].kind != TargetKind::Agent);
    for i in order {
        let n = &m.nodes[i];
        if n.kind == TargetKind::Agent {
            plan.backed_agents.push(n.path.clone());
        }
        if client.exists(&n.path).await? {
            plan.already_present.push(n.path.clone());
            continue;
        }
        let mut params = Vec::new();
        restore_params(&b.trees[i], "", &mut params, &mut plan.skipped);
        plan.writes_cloud_config |= n.kind == TargetKind::CloudConfig;
        plan.steps.push(RestoreStep::Node {
            path: n.path.clone(),
            node_kind: n.kind,
            properties: params.len(),
            params,
        });
    }
    for p in &m.properties {
        let created = plan.steps.iter().any(
            |s| matches!(s, RestoreStep::Node { path, .. } if p.path.starts_with(path.as_str())),
        );
        if !created && !client.exists(&p.path).await? {
            plan.notes.push(format!(
                "{} is gone: its {} is not set back",
                p.path, p.name
            ));
            continue;
        }
        plan.steps.push(RestoreStep::Property {
            path: p.path.clone(),
            name: p.name.clone(),
            before: p.before.clone(),
        });
    }
    Ok(plan)
}

/// The configuration of `o`'s factory that holds every value `o` backed up: `o` re-created
/// under a new PID (by a restore that stopped before its end).
async fn recreated(client: &AemClient, o: &BackupOsgi) -> Result<Option<String>, UpgradeError> {
    let Some(factory) = o.factory_pid.as_deref() else {
        return Ok(None);
    };
    let same = |c: &crate::aem::osgi::OsgiConfig| {
        o.properties
            .iter()
            .all(|(k, v)| c.properties.iter().any(|(n, w)| n == k && w == v))
    };
    Ok(client
        .factory_configs(factory)
        .await?
        .into_iter()
        .find(|c| !o.properties.is_empty() && same(c))
        .map(|c| c.pid))
}

/// Writes a checked plan, in its order; the report says exactly what was written. A failure
/// part-way names what was written before it. `stop` is looked at between two writes (the
/// configurations, a provider and its customizer with the secret, are one); stopped, a restore
/// that wrote a cloud configuration first removes the agents AEM provisioned for it, as a
/// finished one does.
pub async fn apply_restore(
    client: &AemClient,
    plan: &RestorePlan,
    dir: &Path,
    secret: Option<&secrecy::SecretString>,
    stop: &Stop,
) -> Result<RestoreReport, SetupError> {
    let mut report = RestoreReport {
        already_present: plan.already_present.clone(),
        skipped: plan.skipped.clone(),
        notes: plan.notes.clone(),
        ..RestoreReport::default()
    };
    // The backup is read again, checked again: it may not change between plan and write.
    let b = super::trust::open_backup(dir)?;
    let mut wrote_cloud = false;
    for (i, step) in plan.steps.iter().enumerate() {
        // The configurations go back together: a provider is never left without the
        // customizer that holds its secret.
        let together = i > 0
            && matches!(
                (&plan.steps[i - 1], step),
                (
                    RestoreStep::Configuration { .. },
                    RestoreStep::Configuration { .. }
                )
            );
        if stop.requested() && !together {
            if wrote_cloud {
                remove_provisioned(client, plan, &mut report).await?;
            }
            return Err(stopped(plan, i, dir, &report));
        }
        let done = apply_step(client, &b.manifest, step, secret, &mut report).await;
        wrote_cloud |= matches!(
            step,
            RestoreStep::Node {
                node_kind: TargetKind::CloudConfig,
                ..
            }
        ) && done.is_ok();
        if let Err(e) = done {
            let written: Vec<String> = report
                .configurations
                .iter()
                .chain(&report.users)
                .chain(&report.restored)
                .cloned()
                .collect();
            return Err(UpgradeError::Refused(format!(
                "the restore stopped at {}: {e}; written before it: {}",
                step.describe(),
                if written.is_empty() {
                    "nothing".to_string()
                } else {
                    written.join(", ")
                }
            ))
            .into());
        }
    }
    if plan.writes_cloud_config {
        remove_provisioned(client, plan, &mut report).await?;
    }
    Ok(report)
}

/// A restore stopped before `plan.steps[next]`: what was written, what was not, and the
/// command that completes it (the plan made again leaves alone what is back).
fn stopped(plan: &RestorePlan, next: usize, dir: &Path, report: &RestoreReport) -> SetupError {
    let mut i = Interrupted::new("restore");
    for s in &plan.steps[..next] {
        i = i.done(s.describe());
    }
    for n in report.notes.iter().filter(|n| n.starts_with("removed ")) {
        i = i.done(n.clone());
    }
    for s in &plan.steps[next..] {
        i = i.not_done(s.describe());
    }
    let mut command = format!("brandlink restore --from {}", dir.display());
    if plan.wants_secret {
        command = format!("BRANDLINK_CLIENT_SECRET=… {command}");
    }
    i = i.next(format!("to complete it: {command}"));
    i.backup_dir = Some(dir.to_path_buf());
    SetupError::Interrupted(Box::new(i))
}

/// Writing a cloud configuration may make AEM provision the tenant's agents again: those not
/// in the backup are reported and, with empty queues, removed, so the result equals it.
async fn remove_provisioned(
    client: &AemClient,
    plan: &RestorePlan,
    report: &mut RestoreReport,
) -> Result<(), UpgradeError> {
    if !plan.tenant_url.is_empty() {
        for a in client.brand_portal_agents(&plan.tenant_url).await? {
            let path = agent_path(&a.id);
            if plan.backed_agents.contains(&path) {
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
    Ok(())
}

async fn apply_step(
    client: &AemClient,
    m: &super::backup::Manifest,
    step: &RestoreStep,
    secret: Option<&secrecy::SecretString>,
    report: &mut RestoreReport,
) -> Result<(), UpgradeError> {
    match step {
        RestoreStep::Configuration { pid, .. } => {
            if let Some(o) = m.osgi.iter().find(|o| &o.pid == pid) {
                restore_osgi(client, o, secret, report).await?;
            }
        }
        RestoreStep::User { id, folder } => {
            let pw = format!(
                "{}-{}",
                uuid::Uuid::new_v4().simple(),
                uuid::Uuid::new_v4().simple()
            );
            client.create_user(id, Some(&pw), folder).await?;
            report.users.push(id.clone());
        }
        RestoreStep::Node { path, params, .. } => {
            client.sling_post(path, params).await?;
            report.restored.push(path.clone());
        }
        RestoreStep::Property { path, name, before } => {
            let form = match before {
                Some(v) => vec![(name.clone(), v.clone())],
                None => vec![(format!("{name}@Delete"), String::new())],
            };
            client.sling_post(path, &form).await?;
            report.restored.push(format!(
                "{path} {name} = {}",
                before.as_deref().unwrap_or("(not set)")
            ));
        }
    }
    Ok(())
}

/// Checks a backup and, unless `dry_run`, writes it (see [`plan_restore`], [`apply_restore`]).
pub async fn restore(
    client: &AemClient,
    dir: &Path,
    dry_run: bool,
    secret: Option<&secrecy::SecretString>,
) -> Result<RestoreReport, SetupError> {
    let plan = plan_restore(client, dir).await?;
    if !dry_run {
        return apply_restore(client, &plan, dir, secret, &Stop::new()).await;
    }
    let mut report = RestoreReport {
        already_present: plan.already_present.clone(),
        skipped: plan.skipped.clone(),
        notes: plan.notes.clone(),
        ..RestoreReport::default()
    };
    for s in &plan.steps {
        match s {
            RestoreStep::Configuration { pid, .. } => report.configurations.push(pid.clone()),
            RestoreStep::User { id, .. } => report.users.push(id.clone()),
            RestoreStep::Node { path, .. } => report.restored.push(path.clone()),
            RestoreStep::Property { path, name, before } => report.restored.push(format!(
                "{path} {name} = {}",
                before.as_deref().unwrap_or("(not set)")
            )),
        }
    }
    Ok(report)
}

/// Puts one configuration back exactly: its properties as backed up, properties added since
/// removed, the secret from the operator (or left as it is).
async fn restore_osgi(
    client: &AemClient,
    o: &BackupOsgi,
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
    client.update_config(&o.pid, &props, &remove).await?;
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
