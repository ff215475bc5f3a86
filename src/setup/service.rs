//! The one setup service both front ends use. Every operation the CLI and the TUI offer is a
//! method here that returns a typed result; neither front end talks to `crate::aem` beyond
//! building the client, so a workflow (what to check first, what to write where, what to do
//! when it fails) exists once.

use super::account::{self, ImsTarget, VerdictState};
use super::actions::{
    self, AccountOutcome, AccountSpec, CertificateOutcome, CloudOutcome, HealthReport, KeySource,
};
use super::checks;
use super::console::{ConsoleCredential, ConsoleCreds};
use super::error::SetupError;
use super::lifecycle::{self, ChangeDone, DeletePlan, UpdatePlan, UpdateRequest};
use super::migrate::{self, MigrateRequest, MigrationDone, MigrationPlan};
use super::snapshot::read_ims_configs;
use super::snapshot::{ImsConfig, Integration};
use super::upgrade::{self as up, BusyAgent, Journal, Plan, RestoreReport, StepState, Target};
use crate::aem::AemClient;
use crate::aem::agents::{AgentInfo, LogLine, TestResult};
use crate::ims::certificate::CertInfo;
use secrecy::{SecretSlice, SecretString};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How brandlink reaches Adobe IMS for its own token checks.
#[derive(Clone)]
pub struct ImsEndpoint {
    pub http: reqwest::Client,
    /// Base URL, e.g. `https://ims-na1.adobelogin.com`.
    pub url: String,
}

/// AEM and IMS, and every operation on the integration.
#[derive(Clone)]
pub struct Setup {
    client: AemClient,
    ims: ImsEndpoint,
    /// The operator's choice of the Brand Portal IMS configuration (PID or name), for authors
    /// where nothing else tells which it is.
    ims_choice: Option<String>,
}

/// Where `cert create` writes the public certificate.
#[derive(Clone, Debug)]
pub enum CertFile {
    /// Exactly this path (the CLI's `--out`).
    Exact(PathBuf),
    /// `AEM-Adobe-IMS.crt` in this folder, or a free name beside it (the TUI).
    FreeNameIn(PathBuf),
}

/// "Create new certificate" with everything it needs.
#[derive(Debug)]
pub struct CertRequest {
    pub alias: String,
    pub days: u32,
    pub common_name: String,
    pub out: CertFile,
    /// Also keep the private key in this new file (mode 0600).
    pub save_key: Option<PathBuf>,
}

/// What "Create new certificate" did.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CertDone {
    #[serde(flatten)]
    pub outcome: CertificateOutcome,
    /// The public certificate file written (None when the alias already existed and its
    /// file is where it should be).
    pub certificate_file: Option<PathBuf>,
    /// The alias existed but its `--out` file did not: written again from AEM's keystore.
    pub certificate_rewritten: bool,
    pub private_key_file: Option<PathBuf>,
    /// PEM of the new certificate, for the Console step.
    #[serde(skip)]
    pub cert_pem: Option<String>,
    /// The new private key, kept in memory for Check Health in the same session.
    #[serde(skip)]
    pub private_key: Option<SecretSlice<u8>>,
}

impl CertDone {
    pub fn info(&self) -> Option<&CertInfo> {
        self.outcome.certificate.as_ref()
    }
}

/// The tenant's Brand Portal agents and, when asked, their Test Connection results.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentsReport {
    pub ok: bool,
    pub tenant_url: String,
    pub agents: Vec<AgentInfo>,
    pub tests: Vec<TestResult>,
    pub warnings: Vec<String>,
}

/// A queue command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueueOp {
    ForceRetry,
    Pause,
    Resume,
    Clear,
}

impl QueueOp {
    pub fn label(self) -> &'static str {
        match self {
            QueueOp::ForceRetry => "force retry",
            QueueOp::Pause => "pause",
            QueueOp::Resume => "resume",
            QueueOp::Clear => "clear",
        }
    }
}

/// What an upgrade would do now: carry on with an interrupted run, or a fresh plan with the
/// agents whose queues are not idle.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum UpgradePreview {
    /// An unfinished upgrade is journaled in `dir`; these deletes are left.
    Resume {
        dir: PathBuf,
        tenant_url: String,
        pending: Vec<Target>,
    },
    /// A new plan; `busy` lists the queues that hold it up.
    Fresh { plan: Plan, busy: Vec<BusyAgent> },
}

impl UpgradePreview {
    pub fn tenant_url(&self) -> &str {
        match self {
            UpgradePreview::Resume { tenant_url, .. } => tenant_url,
            UpgradePreview::Fresh { plan, .. } => &plan.tenant_url,
        }
    }
    /// What would be deleted.
    pub fn targets(&self) -> &[Target] {
        match self {
            UpgradePreview::Resume { pending, .. } => pending,
            UpgradePreview::Fresh { plan, .. } => &plan.targets,
        }
    }
    pub fn busy(&self) -> &[BusyAgent] {
        match self {
            UpgradePreview::Resume { .. } => &[],
            UpgradePreview::Fresh { busy, .. } => busy,
        }
    }
    pub fn resume_dir(&self) -> Option<&Path> {
        match self {
            UpgradePreview::Resume { dir, .. } => Some(dir),
            UpgradePreview::Fresh { .. } => None,
        }
    }
}

/// A finished upgrade: where the backup is, and every step as journaled.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpgradeDone {
    pub backup_dir: PathBuf,
    pub resumed: bool,
    pub tenant_url: String,
    pub journal: Journal,
}

impl Setup {
    pub fn new(client: AemClient, ims: ImsEndpoint) -> Self {
        Setup {
            client,
            ims,
            ims_choice: None,
        }
    }

    /// Names the Brand Portal IMS configuration (`--ims PID`).
    pub fn with_ims_choice(mut self, pid: Option<String>) -> Self {
        self.ims_choice = pid;
        self
    }

    fn ims_target(&self) -> ImsTarget<'_> {
        ImsTarget {
            http: &self.ims.http,
            url: &self.ims.url,
        }
    }

    /// The AEM client, for the monitor's pollers (which only read).
    pub fn client(&self) -> &AemClient {
        &self.client
    }
    pub fn aem_url(&self) -> &str {
        self.client.base_url()
    }
    pub fn ims_url(&self) -> &str {
        &self.ims.url
    }

    /// The whole integration, read in one go.
    pub async fn snapshot(&self, tenant: Option<&str>) -> Result<Integration, SetupError> {
        let mut i =
            Integration::read_with(&self.client, tenant, self.ims_choice.as_deref()).await?;
        i.last_aem_check = checks::load(self.aem_url());
        Ok(i)
    }

    /// The tenant to work on: the one given, else the cloud configuration's (6.5 first).
    pub async fn resolve_tenant(&self, given: Option<&str>) -> Result<String, SetupError> {
        if let Some(t) = given {
            return Ok(t.to_string());
        }
        let clouds = self.client.cloud_configs().await?;
        if let Some(c) = crate::aem::cloud::current(&clouds) {
            return Ok(c.tenant_url.clone());
        }
        // Nothing found: first make sure this is an AEM author at all (a web server that
        // answers 404 everywhere has no cloud configuration either).
        self.client.readiness().await?;
        Err(SetupError::Refused(
            "no Brand Portal cloud configuration: create one (`brandlink cloud create`) or pass --tenant".into(),
        ))
    }

    // ---- Step 1: certificate -------------------------------------------------------------

    /// Creates the key pair, uploads it to the service user's keystore and writes the public
    /// certificate. Local preconditions are checked before anything is written to AEM.
    pub async fn create_certificate(
        &self,
        req: CertRequest,
        keystore_password: impl Fn() -> Result<SecretString, SetupError>,
    ) -> Result<CertDone, SetupError> {
        if let Some(k) = &req.save_key
            && k.exists()
        {
            return Err(SetupError::Invalid(vec![format!(
                "{} already exists; --save-key writes a new file only",
                k.display()
            )]));
        }
        let outcome = actions::create_certificate(
            &self.client,
            &req.alias,
            req.days,
            &req.common_name,
            &keystore_password,
        )
        .await?;
        let Some(g) = &outcome.generated else {
            // A re-run whose certificate file was lost: AEM's keystore still holds it.
            let (certificate_file, cert_pem) = match &req.out {
                CertFile::Exact(p) if !p.exists() => {
                    let pem = self
                        .keystore_certificate(&req.alias, &keystore_password()?)
                        .await?;
                    write_certificate(p, &pem)?;
                    (Some(p.clone()), Some(pem))
                }
                _ => (None, None),
            };
            let mut outcome = outcome;
            if let Some(pem) = &cert_pem {
                outcome.certificate = crate::ims::certificate::certificate_der(pem.as_bytes())
                    .ok()
                    .and_then(|der| crate::ims::certificate::describe(&der).ok());
            }
            return Ok(CertDone {
                outcome,
                certificate_rewritten: certificate_file.is_some(),
                certificate_file,
                private_key_file: None,
                cert_pem,
                private_key: None,
            });
        };
        let path = match &req.out {
            CertFile::Exact(p) => p.clone(),
            CertFile::FreeNameIn(dir) => free_name(dir, &req.alias),
        };
        write_certificate(&path, &g.cert_pem)?;
        let mut key_file = None;
        if let Some(k) = &req.save_key {
            crate::ims::keyfile::save_private_key(k, g.private_key_der())?;
            key_file = Some(k.clone());
        }
        let cert_pem = Some(g.cert_pem.clone());
        let private_key = Some(g.private_key_secret());
        Ok(CertDone {
            outcome,
            certificate_rewritten: false,
            certificate_file: Some(path),
            private_key_file: key_file,
            cert_pem,
            private_key,
        })
    }

    /// The public certificate (PEM) of `alias` in the service user's keystore, read from its
    /// PKCS#12 with the keystore password.
    async fn keystore_certificate(
        &self,
        alias: &str,
        password: &SecretString,
    ) -> Result<String, SetupError> {
        let user = actions::service_user(&self.client).await?;
        let p12 = self.client.download_keystore(&user).await?;
        let der = crate::ims::keyfile::cert_from_pkcs12(
            &p12,
            secrecy::ExposeSecret::expose_secret(password),
            alias,
        )?;
        Ok(crate::ims::certificate::to_pem("CERTIFICATE", &der))
    }

    // ---- Step 2: the IMS configuration ---------------------------------------------------

    /// Creates the Brand Portal IMS configuration. With `verify`, IMS must first give a token
    /// for the values (OAuth; JWT when `key` is the private key in hand); what it rejects is
    /// not written.
    pub async fn create_account(
        &self,
        spec: &AccountSpec,
        verify: bool,
        key: Option<SecretSlice<u8>>,
    ) -> Result<AccountOutcome, SetupError> {
        let ims = self.ims_target();
        account::create_account(&self.client, spec, verify.then_some(&ims), key.as_ref()).await
    }

    /// The Brand Portal IMS configuration as AEM holds it, if any.
    pub async fn ims_config(&self) -> Result<Option<ImsConfig>, SetupError> {
        Ok(read_ims_configs(&self.client, self.ims_choice.as_deref())
            .await?
            .into_iter()
            .find(|c| c.is_brand_portal()))
    }

    /// Check Health, two verdicts: IMS accepts the credentials given here (asked through
    /// `secret`), and AEM obtains a token with what it stores (Test Connection of one Brand
    /// Portal agent of the tenant). The AEM verdict is remembered for `status`.
    pub async fn check_account(
        &self,
        key: KeySource,
        secret: impl FnOnce() -> Result<Option<SecretString>, SetupError>,
        tenant: Option<&str>,
    ) -> Result<HealthReport, SetupError> {
        let ims = self.ims_target();
        let r = account::check_account(
            &self.client,
            &ims,
            self.ims_choice.as_deref(),
            key,
            secret,
            tenant,
        )
        .await?;
        if r.aem.state != VerdictState::Skipped {
            checks::save(
                self.aem_url(),
                &checks::LastCheck {
                    pid: r.pid.clone(),
                    ok: r.aem.ok(),
                    at: crate::when::now_rfc3339(),
                    message: r.aem.message.clone(),
                },
            );
        }
        Ok(r)
    }

    /// JWT → OAuth Server-to-Server in place: the plan, with IMS asked first. Nothing is
    /// written.
    pub async fn migration_plan(
        &self,
        req: &MigrateRequest,
        secret: &SecretString,
    ) -> Result<MigrationPlan, SetupError> {
        let ims = self.ims_target();
        migrate::plan(&self.client, &ims, self.ims_choice.as_deref(), req, secret).await
    }

    /// Carries out a confirmed migration plan: backup, update in place, Test Connection.
    pub async fn migrate(
        &self,
        plan: MigrationPlan,
        secret: &SecretString,
        backup_root: &Path,
    ) -> Result<MigrationDone, SetupError> {
        migrate::execute(&self.client, plan, secret, backup_root).await
    }

    /// An update of the Brand Portal IMS configuration, IMS asked first when `secret` is given.
    pub async fn update_plan(
        &self,
        req: &UpdateRequest,
        secret: Option<&SecretString>,
    ) -> Result<UpdatePlan, SetupError> {
        let ims = self.ims_target();
        lifecycle::plan_update(&self.client, &ims, self.ims_choice.as_deref(), req, secret).await
    }

    /// Carries out a confirmed update: backup, change in place, Test Connection.
    pub async fn update_account(
        &self,
        plan: &UpdatePlan,
        secret: Option<&SecretString>,
        backup_root: &Path,
    ) -> Result<ChangeDone, SetupError> {
        lifecycle::update(
            &self.client,
            self.ims_choice.as_deref(),
            plan,
            secret,
            backup_root,
        )
        .await
    }

    pub async fn delete_plan(&self) -> Result<DeletePlan, SetupError> {
        lifecycle::plan_delete(&self.client, self.ims_choice.as_deref()).await
    }

    /// Backs up and deletes the Brand Portal IMS configuration (refused while a cloud
    /// configuration names it, unless `force`).
    pub async fn delete_account(
        &self,
        plan: &DeletePlan,
        force: bool,
        backup_root: &Path,
    ) -> Result<ChangeDone, SetupError> {
        lifecycle::delete(
            &self.client,
            self.ims_choice.as_deref(),
            plan,
            force,
            backup_root,
        )
        .await
    }

    // ---- Step 3: the cloud configuration -------------------------------------------------

    pub async fn create_cloud(
        &self,
        title: &str,
        service_url: &str,
        ims: Option<&str>,
        wait: Duration,
        mode: actions::CloudMode,
    ) -> Result<CloudOutcome, SetupError> {
        let ims = ims.or(self.ims_choice.as_deref());
        actions::create_cloud(&self.client, title, service_url, ims, wait, mode).await
    }

    // ---- Step 4: agents and queues -------------------------------------------------------

    /// The tenant's Brand Portal agent ids.
    pub async fn agent_ids(&self, tenant: &str) -> Result<Vec<String>, SetupError> {
        Ok(self
            .client
            .brand_portal_agents(tenant)
            .await?
            .into_iter()
            .map(|a| a.id)
            .collect())
    }

    /// The tenant's agents with warnings, and Test Connection on all of them when `test`.
    pub async fn agents(&self, tenant: &str, test: bool) -> Result<AgentsReport, SetupError> {
        let list = self.client.brand_portal_agents(tenant).await?;
        let enabled = list.iter().filter(|x| x.enabled).count();
        let mut warnings = Vec::new();
        if list.len() != super::steps::EXPECTED_AGENTS {
            warnings.push(format!(
                "{} Brand Portal agents found for {tenant}; AEM creates {}",
                list.len(),
                super::steps::EXPECTED_AGENTS
            ));
        }
        if enabled < list.len() {
            warnings.push(format!(
                "{} disabled: all four must stay enabled or some assets fail",
                crate::words::count((list.len() - enabled) as u64, "agent", "agents")
            ));
        }
        let mut tests = Vec::new();
        if test {
            let ids: Vec<String> = list.iter().map(|x| x.id.clone()).collect();
            for (id, r) in self.client.test_connections(&ids).await {
                tests.push(r.unwrap_or_else(|e| TestResult {
                    agent: id,
                    success: false,
                    summary: e.to_string(),
                    explanation: vec![],
                    transcript: vec![],
                }));
            }
        }
        let ok = !list.is_empty() && enabled == list.len() && tests.iter().all(|t| t.success);
        Ok(AgentsReport {
            ok,
            tenant_url: tenant.to_string(),
            agents: list,
            tests,
            warnings,
        })
    }

    pub async fn test_connection(&self, agent: &str) -> Result<TestResult, SetupError> {
        Ok(self.client.test_connection(agent).await?)
    }

    pub async fn agent_log(&self, agent: &str) -> Result<Vec<LogLine>, SetupError> {
        Ok(self.client.agent_log(agent).await?)
    }

    pub async fn queue_op(&self, agent: &str, op: QueueOp) -> Result<(), SetupError> {
        let c = &self.client;
        match op {
            QueueOp::ForceRetry => c.force_retry(agent).await?,
            QueueOp::Pause => c.pause_queue(agent).await?,
            QueueOp::Resume => c.resume_queue(agent).await?,
            QueueOp::Clear => c.clear_queue(agent).await?,
        }
        Ok(())
    }

    /// The sandbox's emulated Developer Console: upload the certificate, read back the
    /// credentials (what the operator copies by hand on a real Console).
    pub async fn sandbox_console(
        &self,
        sandbox_url: &str,
        cert_pem: Option<&str>,
    ) -> Result<ConsoleCreds, SetupError> {
        super::console::fetch(&self.ims.http, sandbox_url, cert_pem).await
    }

    /// The sandbox Console's values of one credential (the migration's `f`).
    pub async fn sandbox_credential(
        &self,
        sandbox_url: &str,
        client_id: &str,
    ) -> Result<ConsoleCredential, SetupError> {
        super::console::fetch_credential(&self.ims.http, sandbox_url, client_id).await
    }

    /// The sandbox's "Publish to Brand Portal" for `count` sample assets (the demo's way to
    /// watch the queues move). Returns how many were queued.
    pub async fn sandbox_publish(&self, count: u32) -> Result<u64, SetupError> {
        let reply = self
            .client
            .post_form(
                "/sandbox/publish",
                &crate::aem::client::form([("count", count.to_string())]),
                &[200],
            )
            .await?;
        let v: serde_json::Value = reply.json()?;
        Ok(v["queued"].as_u64().unwrap_or(0))
    }

    // ---- Upgrade and restore -------------------------------------------------------------

    /// What an upgrade would do now (an interrupted run is resumed first).
    pub async fn upgrade_preview(
        &self,
        tenant: Option<&str>,
        backup_root: &Path,
        include_ims: bool,
    ) -> Result<UpgradePreview, SetupError> {
        if let Some((dir, journal)) = up::find_unfinished(backup_root, self.aem_url(), tenant)? {
            let pending = journal
                .steps
                .iter()
                .filter(|s| s.state == StepState::Pending)
                .map(|s| s.target.clone())
                .collect();
            return Ok(UpgradePreview::Resume {
                dir,
                tenant_url: journal.tenant_url,
                pending,
            });
        }
        let plan = up::plan_with(&self.client, tenant, include_ims).await?;
        let busy = up::busy_agents(&self.client, &plan.targets).await?;
        Ok(UpgradePreview::Fresh { plan, busy })
    }

    /// Re-reads the busy queues of a fresh plan until they are idle or `wait` has passed.
    pub async fn wait_idle(
        &self,
        preview: UpgradePreview,
        wait: Duration,
    ) -> Result<UpgradePreview, SetupError> {
        let UpgradePreview::Fresh { plan, mut busy } = preview else {
            return Ok(preview);
        };
        let deadline = tokio::time::Instant::now() + wait;
        // Queues stuck on credentials that cannot work never drain: waiting is pointless.
        let waiting = |busy: &[BusyAgent]| busy.iter().any(|b| b.stuck.is_none());
        while waiting(&busy) && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_secs(2)).await;
            busy = up::busy_agents(&self.client, &plan.targets).await?;
        }
        Ok(UpgradePreview::Fresh { plan, busy })
    }

    /// Carries out a preview the operator confirmed: resumes the journaled run, or checks the
    /// queues once more, backs up and deletes. With `let_go_stuck`, queues that cannot drain
    /// (see [`up::stuck_cause`]) do not hold the upgrade up: their items are recorded in the
    /// backup's `queued.json`; any other busy queue still does. `stop` ends the run between
    /// two deletes (the journal resumes it).
    pub async fn upgrade(
        &self,
        preview: &UpgradePreview,
        backup_root: &Path,
        let_go_stuck: bool,
        stop: &std::sync::atomic::AtomicBool,
    ) -> Result<UpgradeDone, SetupError> {
        match preview {
            UpgradePreview::Resume {
                dir, tenant_url, ..
            } => {
                let journal = up::resume(&self.client, dir, stop).await?;
                Ok(UpgradeDone {
                    backup_dir: dir.clone(),
                    resumed: true,
                    tenant_url: tenant_url.clone(),
                    journal,
                })
            }
            UpgradePreview::Fresh { plan, .. } => {
                let busy = up::busy_agents(&self.client, &plan.targets).await?;
                let held_up = |b: &&BusyAgent| !(let_go_stuck && b.stuck.is_some());
                if let Some(b) = busy.iter().find(held_up) {
                    return Err(SetupError::Refused(match &b.stuck {
                        Some(cause) => format!(
                            "{} holds {} that will not drain: {cause}. Nothing was changed; to go ahead with their paths recorded in the backup, use --record-queued",
                            b.agent,
                            crate::words::count(b.pending, "item", "items")
                        ),
                        None => format!(
                            "{} is not idle ({} pending); nothing was changed",
                            b.agent, b.pending
                        ),
                    }));
                }
                let dir = up::execute(&self.client, plan, &busy, backup_root, stop).await?;
                let journal = up::read_journal(&dir)?;
                Ok(UpgradeDone {
                    backup_dir: dir,
                    resumed: false,
                    tenant_url: plan.tenant_url.clone(),
                    journal,
                })
            }
        }
    }

    /// Re-creates what a backup holds (nothing with `dry_run`); `secret` restores a client
    /// secret that backups never hold.
    pub async fn restore(
        &self,
        dir: &Path,
        dry_run: bool,
        secret: Option<&SecretString>,
    ) -> Result<RestoreReport, SetupError> {
        Ok(up::restore(&self.client, dir, dry_run, secret).await?)
    }
}

/// Writes the public certificate where the operator asked.
fn write_certificate(path: &Path, pem: &str) -> Result<(), SetupError> {
    std::fs::write(path, pem).map_err(|e| {
        SetupError::Local(format!(
            "the key is in AEM, but {} could not be written: {e}",
            path.display()
        ))
    })
}

/// `AEM-Adobe-IMS.crt` in `dir`, or the first free `AEM-Adobe-IMS-<alias>-<n>.crt`.
fn free_name(dir: &Path, alias: &str) -> PathBuf {
    let mut path = dir.join("AEM-Adobe-IMS.crt");
    let mut n = 1;
    while path.exists() {
        path = dir.join(format!("AEM-Adobe-IMS-{alias}-{n}.crt"));
        n += 1;
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_names_do_not_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let first = free_name(dir.path(), "bp");
        assert!(first.ends_with("AEM-Adobe-IMS.crt"));
        std::fs::write(&first, "x").unwrap();
        let second = free_name(dir.path(), "bp");
        assert!(second.ends_with("AEM-Adobe-IMS-bp-1.crt"));
    }
}
