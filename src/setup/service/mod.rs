//! The one setup service both front ends use. Every operation the CLI and the TUI offer is a
//! method here that returns a typed result; neither front end talks to `crate::aem` beyond
//! building the client, so a workflow (what to check first, what to write where, what to do
//! when it fails) exists once.
//!
//! - this file: the service itself, the snapshot, steps 2 (IMS configuration) and 3 (cloud);
//! - `certificate`: step 1, the key pair and the certificate file;
//! - `agents`: step 4, agents, Test Connection, queues, the log; the sandbox's helpers;
//! - `doctor`: every known failure checked, and Close Connection on the agents;
//! - `upgrade`: replacing an integration, and restore.

mod agents;
mod certificate;
mod doctor;
mod upgrade;

pub use agents::{AgentsReport, QueueOp};
pub use certificate::{CertDone, CertFile, CertRequest, KeyRemovalPlan, KeyRemoved};
pub use doctor::{CLOSE_CONNECTION, CloseConnectionDone, CloseConnectionPlan, StatusRead};
pub use upgrade::{UpgradeDone, UpgradePreview};

use super::account::{self, ImsTarget, VerdictState};
use super::actions::{self, AccountOutcome, AccountSpec, CloudOutcome, HealthReport, KeySource};
use super::checks;
use super::error::SetupError;
use super::history::{Change, Outcome, Recorder, Started, property_changes};
use super::lifecycle::{self, ChangeDone, DeletePlan, UpdatePlan, UpdateRequest};
use super::migrate::{self, MigrateRequest, MigrationDone, MigrationPlan};
use super::snapshot::read_ims_configs;
use super::snapshot::{ImsConfig, Integration, OauthSupport};
use super::stop::Stop;
use crate::aem::AemClient;
use secrecy::{SecretSlice, SecretString};
use std::path::Path;
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
    /// Where every change is recorded before and after it is made.
    history: Recorder,
    /// Asked to stop between two steps (Ctrl-C, SIGTERM, Esc).
    stop: Stop,
}

impl Setup {
    pub fn new(client: AemClient, ims: ImsEndpoint) -> Self {
        Setup {
            client,
            ims,
            ims_choice: None,
            history: Recorder::default(),
            stop: Stop::new(),
        }
    }

    /// `--read-only`: the client this service writes with sends nothing but GET and HEAD, so no
    /// operation can change the author whatever a front end asks (one place holds the rule).
    pub fn read_only(mut self, on: bool) -> Self {
        if on {
            self.client = self.client.refuse_writes();
        }
        self
    }

    /// Whether changes are refused (`--read-only`); a front end asks before it offers one.
    pub fn refuses_writes(&self) -> bool {
        self.client.refuses_writes()
    }

    /// Records the changes in this history instead of the state folder's.
    pub fn with_history(mut self, history: Recorder) -> Self {
        self.history = history;
        self
    }

    /// The changes made through the returned service stop between two steps once `stop` is
    /// asked to.
    pub fn with_stop(mut self, stop: Stop) -> Self {
        self.stop = stop;
        self
    }

    pub fn stop(&self) -> &Stop {
        &self.stop
    }

    /// The change history.
    pub fn history(&self) -> &Recorder {
        &self.history
    }

    /// Runs a change between its `started` line in the history and its outcome's.
    async fn recorded<T>(
        &self,
        start: Started,
        work: impl std::future::Future<Output = Result<T, SetupError>>,
        outcome: impl FnOnce(&T) -> Outcome,
    ) -> Result<T, SetupError> {
        if self.refuses_writes() {
            // Nothing can change (the client refuses every write): nothing to record.
            return work.await;
        }
        self.history
            .record(self.aem_url(), start, work, outcome)
            .await
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
    /// Lets the next request ask AEM again with credentials it refused (an operator's retry).
    pub fn retry_credentials(&self) {
        self.client.retry_credentials();
    }

    /// The client, for the setup layer's own modules (never handed to a front end).
    pub(crate) fn client(&self) -> &AemClient {
        &self.client
    }

    /// A read-only handle on the author, for the watchers (the monitor, `queues`).
    pub fn reader(&self) -> crate::aem::Reader {
        self.client.reader()
    }

    pub fn aem_url(&self) -> &str {
        self.client.base_url()
    }
    pub fn ims_url(&self) -> &str {
        &self.ims.url
    }

    /// Whether this author can use OAuth Server-to-Server (its version and IMS bundle): one
    /// small read, for the advice that depends on it.
    pub async fn oauth_support(&self) -> Result<OauthSupport, SetupError> {
        let r = self.client.readiness().await?;
        Ok(OauthSupport::detect(&r))
    }

    /// The whole integration, read in one go.
    pub async fn snapshot(&self, tenant: Option<&str>) -> Result<Integration, SetupError> {
        let ev = self.evidence(tenant, false).await?;
        Ok(Integration::from_evidence(&ev)?)
    }

    /// The one read of the author (with one Test Connection when `test`), with the last
    /// Check Health recorded here.
    pub async fn evidence(
        &self,
        tenant: Option<&str>,
        test: bool,
    ) -> Result<crate::evidence::Evidence, SetupError> {
        let opts = crate::evidence::ReadOptions {
            tenant: tenant.map(str::to_string),
            test,
            ims: self.ims_choice.clone(),
        };
        let mut ev = crate::evidence::read(&self.client.reader(), &opts).await?;
        ev.last_check = checks::load(self.aem_url());
        Ok(ev)
    }

    /// The verdict on the author: the steps and the doctor's findings from one read.
    pub async fn verdict(
        &self,
        tenant: Option<&str>,
        test: bool,
    ) -> Result<crate::verdict::Verdict, SetupError> {
        let ev = self.evidence(tenant, test).await?;
        let v = crate::verdict::judge(&ev);
        // The parts every step needs could not be read: say why, as a snapshot would.
        if v.integration.is_none() {
            Integration::from_evidence(&ev)?;
        }
        Ok(v)
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
        let mut changes = vec![
            Change::added("provider", "title", spec.title.clone()),
            Change::added("provider", "client id", spec.api_key.clone()),
        ];
        match &spec.kind {
            actions::AccountKind::Oauth { scopes, org_id } => {
                changes.push(Change::added("provider", "scopes", scopes.join(",")));
                changes.push(Change::added("provider", "organization", org_id.clone()));
            }
            actions::AccountKind::Jwt { alias, .. } => {
                changes.push(Change::added("provider", "key pair alias", alias.clone()));
            }
        }
        changes.push(Change::added("customizer", "client secret", "(set)"));
        let start = Started::new("account create", Some(spec.title.clone()), changes);
        let work = account::create_account(
            &self.client,
            spec,
            verify.then_some(&ims),
            key.as_ref(),
            &self.stop,
        );
        self.recorded(start, work, |o| Outcome {
            target: Some(o.pid.clone()),
            problem: (!o.changed).then(|| "it existed already: nothing was written".into()),
            ..Default::default()
        })
        .await
    }

    /// The Brand Portal IMS configuration as AEM holds it, if any.
    pub async fn ims_config(&self) -> Result<Option<ImsConfig>, SetupError> {
        Ok(
            read_ims_configs(&self.client.reader(), self.ims_choice.as_deref())
                .await?
                .into_iter()
                .find(|c| c.is_brand_portal()),
        )
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
        let r = super::health::check_account(
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
        let start = Started::new(
            "account migrate",
            Some(plan.pid.clone()),
            property_changes(&plan.changes),
        );
        let work = migrate::execute(&self.client, plan, secret, backup_root, &self.stop);
        let done = self
            .recorded(start, work, |d| Outcome {
                backup_dir: Some(d.backup_dir.clone()),
                problem: (!d.ok).then(|| "Test Connection failed after the change".into()),
                ..Default::default()
            })
            .await?;
        self.record_check(&done.plan.pid, &done.tests);
        Ok(done)
    }

    /// After a change the agents were tested: their verdict replaces the Check Health recorded
    /// here, so `status` judges the new configuration at once, not the old one's failure.
    fn record_check(&self, pid: &str, tests: &[crate::aem::agents::TestResult]) {
        let Some(first) = tests.first() else {
            return;
        };
        let failed = tests.iter().find(|t| !t.success);
        checks::save(
            self.aem_url(),
            &checks::LastCheck {
                pid: pid.to_string(),
                ok: failed.is_none(),
                at: crate::when::now_rfc3339(),
                message: match failed {
                    Some(t) => format!("Test Connection on {} failed: {}", t.agent, t.summary),
                    None => format!(
                        "Token retrieved successfully by AEM (Test Connection passed on {} agents, first {})",
                        tests.len(),
                        first.agent
                    ),
                },
            },
        );
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
        let start = Started::new(
            "account update",
            Some(plan.pid.clone()),
            property_changes(&plan.changes),
        );
        let work = lifecycle::update(
            &self.client,
            self.ims_choice.as_deref(),
            plan,
            secret,
            backup_root,
            &self.stop,
        );
        let done = self
            .recorded(start, work, |d| Outcome {
                backup_dir: Some(d.backup_dir.clone()),
                problem: (!d.ok).then(|| "Test Connection failed after the change".into()),
                ..Default::default()
            })
            .await?;
        self.record_check(&done.pid, &done.tests);
        Ok(done)
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
        let mut changes = vec![Change::new(
            "provider",
            plan.title.clone(),
            Some(vec![plan.pid.clone()]),
            None,
        )];
        if let Some(c) = &plan.customizer_pid {
            changes.push(Change::new(
                "customizer",
                c.clone(),
                Some(vec![c.clone()]),
                None,
            ));
        }
        let start = Started::new("account delete", Some(plan.pid.clone()), changes);
        let work = lifecycle::delete(
            &self.client,
            self.ims_choice.as_deref(),
            plan,
            force,
            backup_root,
            &self.stop,
        );
        self.recorded(start, work, |d| Outcome {
            backup_dir: Some(d.backup_dir.clone()),
            ..Default::default()
        })
        .await
    }

    // ---- Step 3: the cloud configuration -------------------------------------------------

    /// What saving the cloud configuration again would do (nothing is written).
    pub async fn resave_plan(
        &self,
        tenant: Option<&str>,
    ) -> Result<super::resave::ResavePlan, SetupError> {
        super::resave::plan(&self.client, tenant).await
    }

    /// Saves the cloud configuration again after backing up its values; AEM creates the
    /// agents that are missing. Waits up to `wait` for the four.
    pub async fn resave_cloud(
        &self,
        plan: &super::resave::ResavePlan,
        backup_root: &Path,
        wait: Duration,
    ) -> Result<super::resave::ResaveDone, SetupError> {
        let c = &plan.cloud;
        let changes = [("title", &c.title), ("service URL", &c.tenant_url)]
            .into_iter()
            .map(|(name, v)| {
                Change::new(
                    "cloud configuration",
                    name,
                    Some(vec![v.clone()]),
                    Some(vec![v.clone()]),
                )
            })
            .collect();
        let start = Started::new("cloud resave", Some(c.path.clone()), changes);
        let work = super::resave::execute(&self.client, plan, backup_root, wait, &self.stop);
        self.recorded(start, work, |d| Outcome {
            backup_dir: Some(d.backup.clone()),
            ..Default::default()
        })
        .await
    }

    pub async fn create_cloud(
        &self,
        title: &str,
        service_url: &str,
        ims: Option<&str>,
        wait: Duration,
        mode: actions::CloudMode,
    ) -> Result<CloudOutcome, SetupError> {
        let ims = ims.or(self.ims_choice.as_deref());
        let mut changes = vec![
            Change::added("cloud configuration", "title", title),
            Change::added("cloud configuration", "service URL", service_url),
        ];
        changes.extend(ims.map(|i| Change::added("cloud configuration", "IMS configuration", i)));
        let start = Started::new("cloud create", Some(service_url.to_string()), changes);
        let work = actions::create_cloud(
            &self.client,
            title,
            service_url,
            ims,
            wait,
            mode,
            &self.stop,
        );
        self.recorded(start, work, |o| Outcome {
            target: o.path.clone(),
            problem: (!o.changed).then(|| "it existed already: nothing was written".into()),
            changes: o.replaced.as_ref().map(|r| {
                vec![Change::new(
                    "cloud configuration",
                    "service URL",
                    Some(vec![r.clone()]),
                    Some(vec![o.tenant_url.clone()]),
                )]
            }),
            ..Default::default()
        })
        .await
    }
}
