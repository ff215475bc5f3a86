//! The non-interactive commands. Each returns a [`Report`]: text for people, JSON for scripts
//! (stable shape, lists never null, no secrets), and whether the check or action succeeded.

use super::context::{Context, ContextError, secret_from_env_or_prompt};
use crate::aem::AemError;
use crate::aem::osgi::{CUSTOMIZER_FACTORY, PROVIDER_FACTORY};
use crate::ims::payload::PROD_IMS;
use crate::setup::actions::{self, AccountKind, AccountSpec, KeySource, SetupError};
use crate::setup::snapshot::{AuthType, ImsConfig};
use crate::setup::{Integration, StepStatus};
use clap::{Args, Subcommand};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::Duration;

pub struct Report {
    pub ok: bool,
    pub text: String,
    pub json: Value,
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Usage or configuration error: exit code 2.
    #[error("{0}")]
    Usage(String),
    /// The action or check failed: exit code 1.
    #[error("{0}")]
    Failed(String),
}

impl From<ContextError> for CliError {
    fn from(e: ContextError) -> Self {
        match e {
            ContextError::Aem(a) => a.into(),
            other => CliError::Usage(other.to_string()),
        }
    }
}
impl From<AemError> for CliError {
    fn from(e: AemError) -> Self {
        match e {
            AemError::Invalid(m) => CliError::Usage(m),
            other => CliError::Failed(other.to_string()),
        }
    }
}
impl From<SetupError> for CliError {
    fn from(e: SetupError) -> Self {
        if e.is_usage() {
            CliError::Usage(e.to_string())
        } else {
            CliError::Failed(e.to_string())
        }
    }
}

fn mark(status: &StepStatus) -> &'static str {
    match status {
        StepStatus::Done => "done",
        StepStatus::Pending(_) => "pending",
        StepStatus::Failing(_) => "FAILING",
    }
}

fn refuse_if_read_only(ctx: &Context) -> Result<(), CliError> {
    if ctx.read_only {
        return Err(CliError::Usage(
            "--read-only: this command changes AEM and was not run".into(),
        ));
    }
    Ok(())
}

fn tenant_of(ctx: &Context, flag: &Option<String>) -> Option<String> {
    flag.clone().or(ctx.tenant.clone())
}

pub async fn status(ctx: &Context, tenant: Option<String>) -> Result<Report, CliError> {
    let client = ctx.client()?;
    let integ = Integration::read(&client, tenant_of(ctx, &tenant).as_deref()).await?;
    let steps = integ.steps();
    let ok = integ.readiness.ready() && integ.healthy();
    let mut text = format!(
        "AEM {} — {}{}\n",
        integ.aem_url,
        integ
            .readiness
            .product
            .clone()
            .unwrap_or_else(|| "AEM".into()),
        if integ.readiness.ready() {
            ", ready"
        } else {
            ", NOT ready"
        }
    );
    for s in &steps {
        text.push_str(&format!(
            "  {:<14} {:<8} {}\n",
            s.title,
            mark(&s.status),
            s.detail
        ));
        if let StepStatus::Pending(r) | StepStatus::Failing(r) = &s.status {
            text.push_str(&format!("  {:<14}          → {r}\n", ""));
        }
        for w in &s.warnings {
            text.push_str(&format!("  {:<14}          ! {w}\n", ""));
        }
    }
    if !integ.agents.is_empty() {
        text.push_str("  agents:\n");
        for a in &integ.agents {
            let (state, pending) = match (&a.queue, &a.depth) {
                (Some(q), Some(d)) => (
                    format!("{:?}", q.state()).to_lowercase(),
                    format!("{}{}", if d.at_least { "≥" } else { "" }, d.count),
                ),
                _ => ("unknown".into(), "?".into()),
            };
            text.push_str(&format!(
                "    {:<24} {:<8} {:<9} pending {}\n",
                a.info.id,
                if a.info.enabled {
                    "enabled"
                } else {
                    "DISABLED"
                },
                state,
                pending
            ));
        }
    }
    let json = json!({"ok": ok, "steps": steps, "integration": integ});
    Ok(Report { ok, text, json })
}

#[derive(Debug, Subcommand)]
pub enum CertCommand {
    /// Generate the key pair and AEM-Adobe-IMS.crt, upload the key to the service user's keystore.
    Create(CertCreate),
}

#[derive(Debug, Args)]
pub struct CertCreate {
    /// Alias of the key pair in the keystore.
    #[arg(long, default_value = "brandportal")]
    pub alias: String,
    /// Where to write the public certificate (PEM).
    #[arg(long, default_value = "AEM-Adobe-IMS.crt")]
    pub out: PathBuf,
    /// Validity in days (at most 365).
    #[arg(long, default_value_t = 365)]
    pub days: u32,
    /// Certificate subject common name.
    #[arg(long, default_value = crate::ims::certificate::DEFAULT_COMMON_NAME)]
    pub cn: String,
    /// Also keep the private key in this new file (mode 0600), for `account check --key-file`.
    #[arg(long, value_name = "FILE")]
    pub save_key: Option<PathBuf>,
}

pub async fn cert_create(ctx: &Context, a: &CertCreate) -> Result<Report, CliError> {
    refuse_if_read_only(ctx)?;
    let client = ctx.client()?;
    let outcome = actions::create_certificate(&client, &a.alias, a.days, &a.cn, || {
        secret_from_env_or_prompt(
            "BRANDLINK_KEYSTORE_PASSWORD",
            "Password for the new keystore of brandportal-imsconfig-service: ",
            "set BRANDLINK_KEYSTORE_PASSWORD to create the keystore",
        )
        .map_err(|e| SetupError::Invalid(vec![e.to_string()]))
    })
    .await?;
    let mut text = String::new();
    let mut key_file = None;
    if let Some(g) = &outcome.generated {
        std::fs::write(&a.out, &g.cert_pem).map_err(|e| {
            CliError::Failed(format!(
                "the key is in AEM, but {} could not be written: {e}",
                a.out.display()
            ))
        })?;
        if let Some(path) = &a.save_key {
            crate::ims::keyfile::save_private_key(path, g.private_key_der())
                .map_err(|e| CliError::Failed(e.to_string()))?;
            key_file = Some(path.display().to_string());
        }
        text.push_str(&format!(
            "Created key pair '{}' in the keystore of brandportal-imsconfig-service{}.\n\
             Certificate: {} ({}, expires {})\n\
             SHA-1 fingerprint: {}\n",
            outcome.alias,
            if outcome.created_keystore {
                " (keystore created)"
            } else {
                ""
            },
            a.out.display(),
            g.info.subject,
            chrono::DateTime::from_timestamp(g.info.not_after, 0)
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
            g.info.sha1_fingerprint,
        ));
        if let Some(k) = &key_file {
            text.push_str(&format!("Private key saved to {k} (mode 0600).\n"));
        }
        text.push_str(
            "Next, in the Adobe Developer Console (Brand Portal tenant's organization): create a project, add the\n\
             AEM Brand Portal API, upload this certificate, then copy API key, client secret and JWT payload.\n",
        );
    } else {
        text.push_str(&format!(
            "Alias '{}' already exists (expires {}); nothing changed.\n",
            outcome.alias,
            outcome
                .existing_not_after
                .clone()
                .unwrap_or_else(|| "?".into())
        ));
    }
    let json = json!({
        "ok": true,
        "changed": outcome.changed,
        "alias": outcome.alias,
        "createdKeystore": outcome.created_keystore,
        "certificateFile": outcome.generated.as_ref().map(|_| a.out.display().to_string()),
        "privateKeyFile": key_file,
        "certificate": outcome.certificate,
        "existingNotAfter": outcome.existing_not_after,
    });
    Ok(Report {
        ok: true,
        text,
        json,
    })
}

#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Create the IMS technical account configuration (only one may exist).
    Create(AccountCreate),
    /// Check Health: a real token exchange with the configured credentials.
    Check(AccountCheck),
}

#[derive(Debug, Args)]
pub struct AccountCreate {
    #[arg(long)]
    pub title: String,
    /// API key (client id) from the Console.
    #[arg(long)]
    pub api_key: String,
    /// JWT payload: a file, @file, or - for standard input.
    #[arg(long, required_unless_present = "oauth")]
    pub payload: Option<String>,
    #[arg(long, default_value = "https://ims-na1.adobelogin.com/")]
    pub auth_server: String,
    /// Key alias in the service user's keystore.
    #[arg(long, default_value = "brandportal")]
    pub alias: String,
    /// OAuth Server-to-Server instead of JWT.
    #[arg(long, requires_all = ["scopes", "org_id"])]
    pub oauth: bool,
    /// OAuth scopes as the Console shows them (comma-separated).
    #[arg(long)]
    pub scopes: Option<String>,
    /// IMS organization id (…@AdobeOrg), for OAuth.
    #[arg(long)]
    pub org_id: Option<String>,
}

fn read_payload(arg: &str) -> Result<String, CliError> {
    let path = arg.strip_prefix('@').unwrap_or(arg);
    if path == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
            .map_err(|e| CliError::Usage(format!("cannot read the payload from stdin: {e}")))?;
        return Ok(s);
    }
    std::fs::read_to_string(path)
        .map_err(|e| CliError::Usage(format!("cannot read the payload file {path}: {e}")))
}

fn client_secret() -> Result<secrecy::SecretString, CliError> {
    Ok(secret_from_env_or_prompt(
        "BRANDLINK_CLIENT_SECRET",
        "Client secret (from the Developer Console): ",
        "set BRANDLINK_CLIENT_SECRET",
    )?)
}

pub async fn account_create(ctx: &Context, a: &AccountCreate) -> Result<Report, CliError> {
    refuse_if_read_only(ctx)?;
    let kind = if a.oauth {
        AccountKind::Oauth {
            scopes: crate::ims::token::split_scopes(a.scopes.as_deref().unwrap_or("")),
            org_id: a.org_id.clone().unwrap_or_default(),
        }
    } else {
        let payload = read_payload(a.payload.as_deref().unwrap_or(""))?;
        AccountKind::Jwt {
            auth_server: a.auth_server.clone(),
            payload,
            alias: a.alias.clone(),
        }
    };
    let client = ctx.client()?;
    let spec = AccountSpec {
        title: a.title.clone(),
        api_key: a.api_key.clone(),
        client_secret: client_secret()?,
        kind,
    };
    let out = actions::create_account(&client, &spec).await?;
    let text = if out.changed {
        format!(
            "Created IMS configuration {} ({}). Next: `brandlink account check`.\n",
            out.pid, out.auth_type
        )
    } else {
        format!(
            "IMS configuration {} already exists with this API key; nothing changed.\n",
            out.pid
        )
    };
    Ok(Report {
        ok: true,
        text,
        json: json!({"ok": true, "changed": out.changed, "pid": out.pid, "authType": out.auth_type}),
    })
}

#[derive(Debug, Args)]
pub struct AccountCheck {
    /// The private key saved by `cert create --save-key` (must be mode 0600).
    #[arg(long, value_name = "FILE", conflicts_with = "keystore")]
    pub key_file: Option<PathBuf>,
    /// Download the service user's keystore (PKCS#12) and open it with $BRANDLINK_KEYSTORE_PASSWORD.
    #[arg(long)]
    pub keystore: bool,
    /// Brand Portal tenant URL (for the AEM-side check).
    #[arg(long)]
    pub tenant: Option<String>,
}

pub async fn account_check(ctx: &Context, a: &AccountCheck) -> Result<Report, CliError> {
    let client = ctx.client()?;
    let providers = client.factory_configs(PROVIDER_FACTORY).await?;
    let customizers = client.factory_configs(CUSTOMIZER_FACTORY).await?;
    let oauth = providers
        .first()
        .map(|p| ImsConfig::from_osgi(p, &customizers).auth_type == AuthType::OauthServerToServer)
        .unwrap_or(false);
    let direct = oauth || a.key_file.is_some() || a.keystore;
    let key = if let Some(p) = &a.key_file {
        KeySource::File(p.clone())
    } else if a.keystore {
        KeySource::Keystore(secret_from_env_or_prompt(
            "BRANDLINK_KEYSTORE_PASSWORD",
            "Keystore password of brandportal-imsconfig-service: ",
            "set BRANDLINK_KEYSTORE_PASSWORD",
        )?)
    } else {
        KeySource::AemSide
    };
    let secret = if direct { Some(client_secret()?) } else { None };
    let mut tenant = tenant_of(ctx, &a.tenant);
    if tenant.is_none() && !direct {
        tenant = client
            .cloud_configs()
            .await?
            .into_iter()
            .next()
            .map(|c| c.tenant_url);
    }
    let ims = ctx.ims_http()?;
    let r =
        actions::check_account(&client, &ims, &ctx.ims_url, key, secret, tenant.as_deref()).await?;
    let mut text = format!("{} {}\n", if r.healthy { "✓" } else { "✗" }, r.message);
    if let Some(s) = r.expires_in_secs {
        text.push_str(&format!(
            "  token valid for {} h {} min\n",
            s / 3600,
            (s % 3600) / 60
        ));
    }
    for t in &r.agent_tests {
        text.push_str(&format!("  {:<24} {}\n", t.agent, t.summary));
    }
    if ctx.ims_url != PROD_IMS {
        text.push_str(&format!("  (IMS at {})\n", ctx.ims_url));
    }
    Ok(Report {
        ok: r.healthy,
        text,
        json: json!({"ok": r.healthy, "health": r}),
    })
}

#[derive(Debug, Subcommand)]
pub enum CloudCommand {
    /// Create the AEM Brand Portal cloud configuration and wait for the four agents.
    Create(CloudCreate),
}

#[derive(Debug, Args)]
pub struct CloudCreate {
    #[arg(long)]
    pub title: String,
    /// Tenant URL: https://<tenant>.brand-portal.adobe.com (never an alias URL).
    #[arg(long)]
    pub service_url: String,
    /// IMS configuration PID (when more than one exists).
    #[arg(long)]
    pub ims: Option<String>,
    /// Seconds to wait for the agents.
    #[arg(long, default_value_t = 30)]
    pub wait: u64,
}

pub async fn cloud_create(ctx: &Context, a: &CloudCreate) -> Result<Report, CliError> {
    refuse_if_read_only(ctx)?;
    let client = ctx.client()?;
    let out = actions::create_cloud(
        &client,
        &a.title,
        &a.service_url,
        a.ims.as_deref(),
        Duration::from_secs(a.wait),
    )
    .await?;
    let text = format!(
        "{} {}\n  tenant {}\n  agents: {}\nNext: `brandlink agents --test`.\n",
        if out.changed {
            "Created"
        } else {
            "Already present, nothing changed:"
        },
        out.path.clone().unwrap_or_default(),
        out.tenant_url,
        out.agents.join(", ")
    );
    Ok(Report {
        ok: true,
        text,
        json: json!({"ok": true, "changed": out.changed, "path": out.path, "tenantUrl": out.tenant_url, "agents": out.agents}),
    })
}

async fn resolve_tenant(
    ctx: &Context,
    client: &crate::aem::AemClient,
    flag: &Option<String>,
) -> Result<String, CliError> {
    if let Some(t) = tenant_of(ctx, flag) {
        return Ok(t);
    }
    let clouds = client.cloud_configs().await?;
    clouds
        .iter()
        .find(|c| !c.legacy)
        .or(clouds.first())
        .map(|c| c.tenant_url.clone())
        .ok_or_else(|| CliError::Failed("no Brand Portal cloud configuration: create one (`brandlink cloud create`) or pass --tenant".into()))
}

#[derive(Debug, Args)]
pub struct AgentsArgs {
    /// Run Test Connection on all of them, concurrently.
    #[arg(long)]
    pub test: bool,
    #[arg(long)]
    pub tenant: Option<String>,
}

pub async fn agents(ctx: &Context, a: &AgentsArgs) -> Result<Report, CliError> {
    let client = ctx.client()?;
    let tenant = resolve_tenant(ctx, &client, &a.tenant).await?;
    let list = client.brand_portal_agents(&tenant).await?;
    let enabled = list.iter().filter(|x| x.enabled).count();
    let mut warnings = Vec::new();
    if list.len() != 4 {
        warnings.push(format!(
            "{} Brand Portal agents found for {tenant}; AEM creates 4",
            list.len()
        ));
    }
    if enabled < list.len() {
        warnings.push(format!(
            "{} agent(s) disabled: all four must stay enabled or some assets fail",
            list.len() - enabled
        ));
    }
    let mut tests = Vec::new();
    if a.test {
        let ids: Vec<String> = list.iter().map(|x| x.id.clone()).collect();
        for (id, r) in client.test_connections(&ids).await {
            tests.push(match r {
                Ok(t) => json!(t),
                Err(e) => json!({"agent": id, "success": false, "summary": e.to_string(), "explanation": [], "transcript": []}),
            });
        }
    }
    let tests_ok = tests.iter().all(|t| t["success"] == true);
    let ok = !list.is_empty() && enabled == list.len() && tests_ok;
    let mut text = format!("Brand Portal agents for {tenant}:\n");
    for ag in &list {
        text.push_str(&format!(
            "  {:<24} {:<8} {}\n",
            ag.id,
            if ag.enabled { "enabled" } else { "DISABLED" },
            ag.transport_uri
        ));
        if let Some(t) = tests.iter().find(|t| t["agent"] == ag.id.as_str()) {
            let mark = if t["success"] == true { "✓" } else { "✗" };
            text.push_str(&format!(
                "  {:<24} {mark} {}\n",
                "",
                t["summary"].as_str().unwrap_or("")
            ));
            if t["success"] != true {
                for l in t["explanation"].as_array().into_iter().flatten() {
                    text.push_str(&format!("  {:<24}     {}\n", "", l.as_str().unwrap_or("")));
                }
            }
        }
    }
    for w in &warnings {
        text.push_str(&format!("! {w}\n"));
    }
    Ok(Report {
        ok,
        text,
        json: json!({"ok": ok, "tenantUrl": tenant, "agents": list, "tests": tests, "warnings": warnings}),
    })
}

#[derive(Debug, Args)]
pub struct QueuesArgs {
    /// Keep polling and print a line whenever a queue changes (Ctrl-C stops).
    #[arg(long)]
    pub watch: bool,
    /// Seconds between polls with --watch (at least 1).
    #[arg(long, default_value_t = 2)]
    pub interval: u64,
    #[arg(long)]
    pub tenant: Option<String>,
    /// With --watch: stop after this many polls (for scripts).
    #[arg(long, hide = true)]
    pub polls: Option<u64>,
}

/// A `queues --watch` row from the monitor's view of one agent (without volatile fields, so a
/// row changes only when the queue does).
fn watch_row(id: &str, h: &crate::monitor::model::AgentHistory) -> Value {
    match (&h.latest, &h.error) {
        (_, Some(e)) => {
            json!({"agent": id, "state": "unknown", "pending": h.pending(), "pendingAtLeast": false, "trend": Value::Null, "blocked": false, "paused": false, "head": Value::Null, "error": e})
        }
        (Some(v), None) => json!({
            "agent": id,
            "state": v.state,
            "pending": v.depth.count,
            "pendingAtLeast": v.depth.at_least,
            "trend": h.trend.map(|t| t.marker().trim().to_string()),
            "blocked": v.state == crate::aem::queue::QueueState::Blocked,
            "paused": v.state == crate::aem::queue::QueueState::Paused,
            "head": v.head().map(|i| json!({"path": i.path, "action": i.action, "attempts": i.attempts})),
            "error": Value::Null,
        }),
        (None, None) => {
            json!({"agent": id, "state": "unknown", "pending": Value::Null, "pendingAtLeast": false, "trend": Value::Null, "blocked": false, "paused": false, "head": Value::Null, "error": Value::Null})
        }
    }
}

fn queue_line(v: &Value) -> String {
    let head = v["head"]["path"]
        .as_str()
        .map(|p| format!(" head {p} ({} attempts)", v["head"]["attempts"]))
        .unwrap_or_default();
    match v["error"].as_str() {
        Some(e) => format!("  {:<24} ERROR {e}", v["agent"].as_str().unwrap_or("")),
        None => format!(
            "  {:<24} {:<8} pending {}{}{}{head}",
            v["agent"].as_str().unwrap_or(""),
            v["state"].as_str().unwrap_or(""),
            if v["pendingAtLeast"] == true {
                "≥"
            } else {
                ""
            },
            v["pending"],
            v["trend"].as_str().unwrap_or(""),
        ),
    }
}

pub async fn queues(ctx: &Context, a: &QueuesArgs) -> Result<Report, CliError> {
    let client = ctx.client()?;
    let tenant = resolve_tenant(ctx, &client, &a.tenant).await?;
    let ids: Vec<String> = client
        .brand_portal_agents(&tenant)
        .await?
        .into_iter()
        .map(|x| x.id)
        .collect();
    if !a.watch {
        let mut model =
            crate::monitor::MonitorModel::new(&ids, crate::monitor::AlertRules::default());
        for snap in crate::monitor::poll_cycle(&client, &ids).await {
            model.apply(snap);
        }
        let rows: Vec<Value> = model
            .agents
            .iter()
            .map(|(id, h)| watch_row(id, h))
            .collect();
        let alerts = model.alerts(chrono::Utc::now().timestamp_millis());
        let ok = !rows.is_empty()
            && rows
                .iter()
                .all(|r| r["error"].is_null() && r["blocked"] == false);
        let mut text = format!(
            "Queues for {tenant}:\n{}\n",
            rows.iter().map(queue_line).collect::<Vec<_>>().join("\n")
        );
        for al in &alerts {
            text.push_str(&format!("  ⚠ {}\n", al.message));
        }
        return Ok(Report {
            ok,
            text,
            json: json!({"ok": ok, "tenantUrl": tenant, "totalPending": model.total_pending(), "queues": rows, "alerts": alerts}),
        });
    }
    // The same monitor as the Replication tab: history, change markers and alerts.
    let interval = Duration::from_secs(a.interval.max(1));
    let mut model = crate::monitor::MonitorModel::new(&ids, crate::monitor::AlertRules::default());
    let mut last: Vec<Value> = Vec::new();
    let mut n = 0u64;
    loop {
        for snap in crate::monitor::poll_cycle(&client, &ids).await {
            model.apply(snap);
        }
        let now_ms = chrono::Utc::now().timestamp_millis();
        let rows: Vec<Value> = model
            .agents
            .iter()
            .map(|(id, h)| watch_row(id, h))
            .collect();
        let alerts = model.alerts(now_ms);
        if rows != last {
            let now = chrono::Local::now().format("%H:%M:%S");
            if ctx.json {
                println!(
                    "{}",
                    json!({"time": now.to_string(), "totalPending": model.total_pending(), "queues": rows, "alerts": alerts})
                );
            } else {
                println!("{now} total pending {}", model.total_pending());
                for r in &rows {
                    println!("{}", queue_line(r));
                }
                for al in &alerts {
                    println!("  ⚠ {}", al.message);
                }
            }
            last = rows;
        }
        n += 1;
        if a.polls.is_some_and(|p| n >= p) {
            break;
        }
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    Ok(Report {
        ok: true,
        text: String::new(),
        json: Value::Null,
    })
}

#[derive(Debug, Args)]
pub struct UpgradeArgs {
    /// The tenant whose integration is replaced (default: from the cloud configuration, legacy first).
    #[arg(long)]
    pub tenant: Option<String>,
    /// Show the plan and stop.
    #[arg(long)]
    pub dry_run: bool,
    /// Delete without asking (after reading the plan).
    #[arg(long)]
    pub yes: bool,
    /// Wait up to this many seconds for busy queues to become idle.
    #[arg(long, default_value_t = 0)]
    pub wait: u64,
    /// Where backups go [default: $XDG_STATE_HOME/brandlink/backups].
    #[arg(long, value_name = "DIR")]
    pub backup_dir: Option<PathBuf>,
}

fn confirm(yes: bool, word: &str, what: &str) -> Result<(), CliError> {
    use std::io::IsTerminal;
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(CliError::Usage(format!(
            "{what}: pass --yes to go ahead without a prompt"
        )));
    }
    eprint!("{what}. Type '{word}' to go ahead: ");
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| CliError::Usage(e.to_string()))?;
    if line.trim() == word {
        Ok(())
    } else {
        Err(CliError::Usage("not confirmed; nothing was deleted".into()))
    }
}

fn plan_text(targets: &[crate::setup::upgrade::Target]) -> String {
    targets
        .iter()
        .map(|t| format!("  {:<13} {}\n", format!("{:?}", t.kind), t.path))
        .collect()
}

pub async fn upgrade(ctx: &Context, a: &UpgradeArgs) -> Result<Report, CliError> {
    use crate::setup::upgrade as up;
    if ctx.read_only && !a.dry_run {
        return Err(CliError::Usage(
            "--read-only: the upgrade deletes nodes; only --dry-run is allowed".into(),
        ));
    }
    let client = ctx.client()?;
    let root = a.backup_dir.clone().unwrap_or_else(up::default_backup_root);
    let err = |e: up::UpgradeError| match e {
        up::UpgradeError::Aem(a) => CliError::from(a),
        other => CliError::Failed(other.to_string()),
    };
    // An interrupted upgrade continues where it stopped.
    if let Some((dir, journal)) = up::find_unfinished(&root, client.base_url(), a.tenant.as_deref())
    {
        let pending: Vec<_> = journal
            .steps
            .iter()
            .filter(|s| s.state == up::StepState::Pending)
            .map(|s| s.target.clone())
            .collect();
        if a.dry_run {
            let text = format!(
                "An interrupted upgrade is journaled at {}; still to delete:\n{}",
                dir.display(),
                plan_text(&pending)
            );
            return Ok(Report {
                ok: true,
                text,
                json: json!({"ok": true, "resume": true, "backupDir": dir, "pending": pending}),
            });
        }
        confirm(
            a.yes,
            "upgrade",
            &format!(
                "Resume the upgrade journaled at {} ({} deletes left)",
                dir.display(),
                pending.len()
            ),
        )?;
        let journal = up::resume(&client, &dir).await.map_err(err)?;
        let text = format!(
            "Resumed and finished the upgrade (backup: {}).\n{}",
            dir.display(),
            next_steps()
        );
        return Ok(Report {
            ok: true,
            text,
            json: json!({"ok": true, "resumed": true, "backupDir": dir, "steps": journal.steps}),
        });
    }
    let plan = up::plan(&client, a.tenant.as_deref()).await.map_err(err)?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(a.wait);
    let busy = loop {
        let busy = up::busy_agents(&client, &plan.targets).await?;
        if busy.is_empty() || tokio::time::Instant::now() >= deadline {
            break busy;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    };
    if !busy.is_empty() {
        let mut text = String::from("Not all queues are idle; nothing was changed:\n");
        for b in &busy {
            text.push_str(&format!(
                "  {:<24} {:<8} {} pending\n",
                b.agent, b.state, b.pending
            ));
        }
        text.push_str("Wait until they drain (or use --wait SECS), then run the upgrade again.\n");
        return Ok(Report {
            ok: false,
            text,
            json: json!({"ok": false, "tenantUrl": plan.tenant_url, "busy": busy, "plan": plan.targets}),
        });
    }
    let mut text = format!(
        "Upgrade plan for {} (all queues idle):\n{}",
        plan.tenant_url,
        plan_text(&plan.targets)
    );
    if a.dry_run {
        text.push_str("Dry run: nothing was backed up or deleted.\n");
        return Ok(Report {
            ok: true,
            text,
            json: json!({"ok": true, "dryRun": true, "tenantUrl": plan.tenant_url, "plan": plan.targets}),
        });
    }
    eprint!("{text}");
    confirm(
        a.yes,
        "upgrade",
        &format!(
            "This deletes the {} items above after backing them up",
            plan.targets.len()
        ),
    )?;
    let dir = up::execute(&client, &plan, &root).await.map_err(err)?;
    let journal = up::read_journal(&dir).map_err(err)?;
    text.push_str(&format!(
        "Backed up to {} and deleted.\n{}",
        dir.display(),
        next_steps()
    ));
    Ok(Report {
        ok: true,
        text,
        json: json!({"ok": true, "tenantUrl": plan.tenant_url, "backupDir": dir, "steps": journal.steps}),
    })
}

fn next_steps() -> String {
    "Now configure anew: `brandlink cert create`, the Developer Console, `brandlink account create`, `brandlink cloud create`, `brandlink agents --test` (or run `brandlink` for the guided screens). `brandlink restore --from <backup>` puts the old configuration back.\n".into()
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The backup folder written by `brandlink upgrade`.
    #[arg(long, value_name = "DIR")]
    pub from: PathBuf,
    #[arg(long)]
    pub dry_run: bool,
    #[arg(long)]
    pub yes: bool,
}

pub async fn restore(ctx: &Context, a: &RestoreArgs) -> Result<Report, CliError> {
    use crate::setup::upgrade as up;
    if ctx.read_only && !a.dry_run {
        return Err(CliError::Usage(
            "--read-only: restore writes to AEM; only --dry-run is allowed".into(),
        ));
    }
    let m = up::read_manifest(&a.from).map_err(|e| CliError::Usage(e.to_string()))?;
    let client = ctx.client()?;
    if !a.dry_run {
        confirm(
            a.yes,
            "restore",
            &format!(
                "Re-create {} nodes and {} users from {}",
                m.nodes.len(),
                m.users.len(),
                a.from.display()
            ),
        )?;
    }
    let r = up::restore(&client, &a.from, a.dry_run)
        .await
        .map_err(|e| match e {
            up::UpgradeError::Aem(x) => CliError::from(x),
            other => CliError::Failed(other.to_string()),
        })?;
    let mut text = format!(
        "{} {} node(s), {} user(s) from {}\n",
        if a.dry_run {
            "Would restore"
        } else {
            "Restored"
        },
        r.restored.len(),
        r.users.len(),
        a.from.display()
    );
    for p in &r.restored {
        text.push_str(&format!("  + {p}\n"));
    }
    for p in &r.already_present {
        text.push_str(&format!("  = {p} (already present, left alone)\n"));
    }
    for s in &r.skipped {
        text.push_str(&format!("  ! not restorable over HTTP: {s}\n"));
    }
    Ok(Report {
        ok: true,
        text,
        json: json!({"ok": true, "dryRun": a.dry_run, "report": r}),
    })
}
