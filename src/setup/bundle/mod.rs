//! The support bundle: one `.tar.gz` with what brandlink read of an author and what it made
//! of it (the doctor's and status's reports, the evidence, the change history, a replay
//! record), with every secret removed and the final bytes checked before anything is written.

pub mod archive;
pub mod redact;
pub mod snapshot;

use super::Setup;
use super::SetupError;
use crate::verdict::report::StatusReport;
use redact::Redactor;
use secrecy::ExposeSecret;
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The `format` of `manifest.json`.
pub const FORMAT: &str = "brandlink-support-bundle/1";

#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error(
        "{what} would leave in {file}: the support bundle was not written; please report this, and share `brandlink doctor --json` meanwhile"
    )]
    SecretLeft { file: String, what: String },
    #[error("cannot write the support bundle {path}: {source}; choose another place with --out")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "cannot read the support bundle {path}: {reason}; give a .tar.gz written by `brandlink support-bundle`"
    )]
    Open { path: PathBuf, reason: String },
    #[error("cannot encode {file} for the support bundle: {reason}")]
    Encode { file: String, reason: String },
}

/// What to put in the bundle, and where.
#[derive(Clone, Debug, Default)]
pub struct BundleOptions {
    /// `None`: `brandlink-support-<time>.tar.gz` in the current folder.
    pub out: Option<PathBuf>,
    pub redact_hosts: bool,
    /// Run Test Connection on the enabled agents (as `doctor` does).
    pub test: bool,
    pub tenant: Option<String>,
}

/// What was written.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BundleWritten {
    pub path: PathBuf,
    pub files: Vec<String>,
    /// How many of each kind of secret were removed.
    pub redactions: BTreeMap<String, usize>,
    /// How many host names, tenant ids and organisations were replaced.
    pub names_replaced: usize,
}

/// Each file of the bundle and what it is.
pub const FILES: &[(&str, &str)] = &[
    ("manifest.json", "this list, the versions and the author"),
    (
        "doctor.json",
        "the doctor's report, as `brandlink doctor --json` prints it",
    ),
    (
        "status.json",
        "the status report, as `brandlink status --json` prints it (absent when the integration could not be read)",
    ),
    (
        "evidence.json",
        "everything brandlink read: agents, queues, logs, IMS and cloud configurations, keystores, error.log's token lines",
    ),
    (
        "history.json",
        "the changes brandlink made to this author (changes.jsonl), newest first",
    ),
    (
        "replay.json",
        "the author as the sandbox rebuilds it: `brandlink sandbox --from-bundle`",
    ),
    ("REDACTIONS.md", "what was removed and why"),
];

impl Setup {
    /// Reads the author once, judges it and writes the bundle (0600).
    pub async fn support_bundle(&self, o: &BundleOptions) -> Result<BundleWritten, SetupError> {
        let ev = self.evidence(o.tenant.as_deref(), o.test).await?;
        let verdict = crate::verdict::judge(&ev);
        // status judges without a Test Connection: the same read, its tests left out.
        let status = status_report(&ev);
        let history = self
            .history()
            .read()
            .map(|h| h.changes(Some(self.aem_url()), None))
            .unwrap_or_default();
        let password = self.client().password().expose_secret().to_string();
        let mut r = Redactor::new(vec![password.clone()]);
        if o.redact_hosts {
            learn_names(&mut r, &ev);
        }
        let author = if o.redact_hosts {
            r.hosts(&ev.aem_url)
        } else {
            ev.aem_url.clone()
        };
        let manifest = json!({
            "format": FORMAT,
            "brandlinkVersion": env!("CARGO_PKG_VERSION"),
            "createdAt": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "authorUrl": author,
            "aemVersion": ev.readiness.product,
            "tested": o.test,
            "hostsRedacted": o.redact_hosts,
            "files": FILES.iter().map(|(n, w)| json!({"name": n, "what": w})).collect::<Vec<_>>(),
        });
        let mut docs: Vec<(&str, Value)> = vec![
            ("manifest.json", manifest),
            ("doctor.json", to_value("doctor.json", &verdict.report)?),
        ];
        if let Some(s) = status {
            docs.push(("status.json", to_value("status.json", &s)?));
        }
        docs.push((
            "evidence.json",
            to_value("evidence.json", &snapshot::BundleEvidence::of(&ev))?,
        ));
        docs.push(("history.json", to_value("history.json", &history)?));
        docs.push(("replay.json", snapshot::replay(&ev)));
        let mut files: Vec<(String, Vec<u8>)> = Vec::new();
        for (name, mut v) in docs {
            r.value(&mut v);
            let text = serde_json::to_string_pretty(&v).map_err(|e| BundleError::Encode {
                file: name.into(),
                reason: e.to_string(),
            })?;
            files.push((name.to_string(), finish(&r, o.redact_hosts, text)));
        }
        let notes = redactions_md(&r, o.redact_hosts);
        files.push(("REDACTIONS.md".into(), notes.into_bytes()));
        for (name, bytes) in &files {
            if let Some(what) = redact::scan(bytes, std::slice::from_ref(&password)).first() {
                return Err(BundleError::SecretLeft {
                    file: name.clone(),
                    what: (*what).to_string(),
                }
                .into());
            }
        }
        let path = o.out.clone().unwrap_or_else(default_name);
        let gz = archive::write(&files).map_err(|source| BundleError::Write {
            path: path.clone(),
            source,
        })?;
        crate::fsutil::write_private(&path, &gz).map_err(|source| BundleError::Write {
            path: path.clone(),
            source,
        })?;
        Ok(BundleWritten {
            path,
            files: files.into_iter().map(|(n, _)| n).collect(),
            redactions: r
                .counts
                .iter()
                .map(|(k, v)| ((*k).to_string(), *v))
                .collect(),
            names_replaced: if o.redact_hosts { r.learned().len() } else { 0 },
        })
    }
}

fn to_value<T: Serialize>(file: &str, v: &T) -> Result<Value, BundleError> {
    serde_json::to_value(v).map_err(|e| BundleError::Encode {
        file: file.into(),
        reason: e.to_string(),
    })
}

fn finish(r: &Redactor, hosts: bool, mut text: String) -> Vec<u8> {
    if hosts {
        text = r.hosts(&text);
    }
    text.push('\n');
    text.into_bytes()
}

/// `brandlink-support-20260301T101500Z.tar.gz`.
fn default_name() -> PathBuf {
    PathBuf::from(format!(
        "brandlink-support-{}.tar.gz",
        chrono::Utc::now().format("%Y%m%dT%H%M%SZ")
    ))
}

/// The status report of the read without its Test Connections (as `status` reads).
fn status_report(ev: &crate::evidence::Evidence) -> Option<StatusReport> {
    let mut quiet = ev.clone();
    quiet.test = None;
    quiet.more_tests.clear();
    for a in &mut quiet.agents {
        if let Ok(log) = &mut a.log {
            log.retain(|e| !matches!(e.source, crate::evidence::LogSource::Test));
        }
    }
    let v = crate::verdict::judge(&quiet);
    let integration = v.integration?;
    Some(StatusReport::new(v.steps, integration, &v.report))
}

fn host_of(url: &str) -> Option<String> {
    reqwest::Url::parse(url.trim())
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
}

/// Every host name, tenant id and IMS organisation the read names.
fn learn_names(r: &mut Redactor, ev: &crate::evidence::Evidence) {
    let mut urls = vec![ev.aem_url.clone()];
    urls.extend(ev.tenant_url.clone());
    for a in ev.all_agents.as_deref().unwrap_or_default() {
        urls.push(a.transport_uri.clone());
    }
    for c in ev.clouds.as_deref().unwrap_or_default() {
        urls.push(c.tenant_url.clone());
    }
    for c in ev.ims.as_deref().unwrap_or_default() {
        urls.extend(c.endpoint.clone());
        if let Some(o) = &c.org_id {
            r.learn_org(o);
        }
        for claim in &c.claims {
            for w in claim.split('"') {
                if w.ends_with("@AdobeOrg") {
                    r.learn_org(w);
                }
            }
        }
    }
    for u in urls {
        if let Some(h) = host_of(&u) {
            r.learn_host(&h);
        }
    }
}

fn redactions_md(r: &Redactor, hosts: bool) -> String {
    let mut md = String::from(
        "# What was removed from this bundle\n\n\
         brandlink removes secrets by structure (properties named like a secret or password, \
         AEM-encrypted `{…}` values, JWT-shaped strings, PEM blocks, password hashes, Basic/Bearer \
         headers and token parameters in log lines), then scans every file's final bytes and \
         refuses to write the bundle if anything secret-shaped is left.\n\n\
         | what | removed | why |\n| --- | --- | --- |\n",
    );
    for (kind, why) in redact::KINDS {
        let n = r.counts.get(kind).copied().unwrap_or(0);
        md.push_str(&format!("| {kind} | {n} | {why} |\n"));
    }
    md.push('\n');
    if hosts {
        md.push_str(&format!(
            "Host names, tenant ids and IMS organisations were replaced by stand-ins \
             (`host-N`, `tenant-N`, `org-N`), the same stand-in for the same name in every \
             file: {} names.\n",
            r.learned().len()
        ));
    } else {
        md.push_str(
            "Host names and tenant ids were kept (write the bundle with --redact-hosts to replace them).\n",
        );
    }
    md
}
