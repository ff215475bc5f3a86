//! Carries out [`Effect`]s as background tasks that call the setup service and answer with
//! [`Msg`]s. The one running operation can be cancelled: a read at once, a write only between
//! whole steps (never between the two POSTs of one configuration). The reads that only ask
//! (the integration, a blocked queue's cause, the doctor, an agent log) go through [`Reads`]:
//! one in flight per question, a second ask while it runs becomes one follow-up, and a batch
//! of effects asks each question once. The queue pollers run here too, only while the
//! Replication tab shows them (a refresh while one polls is merged into its next poll).

use super::effect::{Cancelled, Effect, Msg, UiError};
use super::reads::{Question, Reads};
use crate::monitor::{PollConfig, Pollers};
use crate::setup::Setup;
use crate::setup::Stop;
use crate::setup::actions::KeySource;
use crate::setup::service::{CertFile, CertRequest};
use crate::setup::{SetupError, upgrade};
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};
use tokio::task::JoinHandle;

pub struct Runtime {
    pub setup: Setup,
    pub sandbox_url: Option<String>,
    /// Where `AEM-Adobe-IMS.crt` is written.
    pub cert_dir: PathBuf,
    pub tenant: Option<String>,
    pub tx: UnboundedSender<Msg>,
    pub poll: PollConfig,
    /// Where backups of upgrades, updates and migrations go.
    pub backup_root: PathBuf,
    op: Option<Op>,
    /// The reads that only ask, one in flight per question.
    reads: Reads,
    pollers: Option<Pollers>,
}

/// How the running operation may be cancelled.
enum Interrupt {
    /// It only reads: stop it at once.
    Anywhere,
    /// It writes in whole steps: ask it to stop after the current one (it then says what was
    /// done and how to undo or complete it).
    BetweenSteps(Stop),
    /// One step that writes (e.g. the provider and its customizer): it must finish.
    Never,
}

struct Op {
    handle: JoinHandle<()>,
    interrupt: Interrupt,
}

fn ui<T>(r: Result<T, SetupError>) -> Result<T, UiError> {
    r.map_err(UiError::from)
}

impl Runtime {
    pub fn new(
        setup: Setup,
        sandbox_url: Option<String>,
        cert_dir: PathBuf,
        tenant: Option<String>,
        poll: PollConfig,
        tx: UnboundedSender<Msg>,
    ) -> Self {
        Runtime {
            reads: Reads::new(setup.clone(), tenant.clone(), tx.clone()),
            setup,
            sandbox_url,
            cert_dir,
            tenant,
            tx,
            poll,
            backup_root: upgrade::default_backup_root(),
            op: None,
            pollers: None,
        }
    }

    pub fn monitored(&self) -> &[String] {
        self.pollers
            .as_ref()
            .map(|p| p.agents.as_slice())
            .unwrap_or(&[])
    }

    /// Starts pollers for `agents` (replacing any), or stops them when the list is empty.
    pub fn watch(&mut self, agents: &[String]) {
        self.pollers = None;
        if agents.is_empty() {
            return;
        }
        let (stx, mut srx) = unbounded_channel();
        let tx = self.tx.clone();
        tokio::spawn(async move {
            while let Some(s) = srx.recv().await {
                if tx.send(Msg::Monitor(s)).is_err() {
                    break;
                }
            }
        });
        self.pollers = Some(Pollers::spawn(&self.setup.reader(), agents, self.poll, stx));
    }

    /// Cancels the running operation as far as it can be, and says what happened.
    pub fn cancel(&mut self) {
        let outcome = match self.op.take() {
            Some(op) if !op.handle.is_finished() => match op.interrupt {
                Interrupt::Anywhere => {
                    op.handle.abort();
                    Cancelled::Stopped
                }
                Interrupt::BetweenSteps(stop) => {
                    stop.request();
                    self.op = Some(Op {
                        handle: op.handle,
                        interrupt: Interrupt::BetweenSteps(stop),
                    });
                    Cancelled::AfterThisStep
                }
                Interrupt::Never => {
                    self.op = Some(op);
                    Cancelled::MustFinish
                }
            },
            _ => Cancelled::Stopped,
        };
        let _ = self.tx.send(Msg::Cancelled(outcome));
    }

    fn spawn_op<F>(&mut self, interrupt: Interrupt, fut: F)
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        self.op = Some(Op {
            handle: tokio::spawn(fut),
            interrupt,
        });
    }

    /// Carries out a batch of effects: each question they ask is read once.
    pub fn run_all(&mut self, effects: impl IntoIterator<Item = Effect>) {
        self.reads.hold();
        for e in effects {
            self.run(e);
        }
        self.reads.release();
    }

    /// No read is in flight, waiting to retry or about to start.
    pub fn reads_settled(&self) -> bool {
        self.reads.settled()
    }

    /// Carries out one effect: the reads that only ask go to the coalescer.
    pub fn run(&mut self, effect: Effect) {
        match effect {
            Effect::RetryCredentials => self.setup.retry_credentials(),
            Effect::Load => self.reads.ask(Question::Status),
            Effect::LoadLater(wait) => self.reads.ask_later(Question::Status, wait),
            Effect::Cancel => self.cancel(),
            Effect::LoadHistory => self.load_history(),
            Effect::CancelLoad => self.reads.cancel(&Question::Status),
            Effect::Bell | Effect::Suspend => {}
            Effect::MonitorRefresh => {
                if let Some(p) = &self.pollers {
                    p.refresh();
                }
            }
            Effect::ExplainQueue(agent) => self.reads.explain(agent),
            Effect::Doctor => self.reads.ask(Question::Doctor),
            Effect::FetchLogLater(agent, wait) => self.reads.ask_later(Question::Log(agent), wait),
            Effect::FetchLog(agent) => self.reads.ask(Question::Log(agent)),
            other => self.run_task(other),
        }
    }

    /// Background work that is not the running operation: plans, queue actions, tests.
    fn run_task(&mut self, effect: Effect) {
        let setup = self.setup.clone();
        let tx = self.tx.clone();
        match effect {
            Effect::PublishSample(count) => {
                if self.sandbox_url.is_none() {
                    return;
                }
                tokio::spawn(async move {
                    let r = ui(setup.sandbox_publish(count).await);
                    let _ = tx.send(Msg::Published(r));
                });
            }
            Effect::PlanUpgrade(tenant) => {
                let root = self.backup_root.clone();
                tokio::spawn(async move {
                    let r = ui(setup.upgrade_preview(tenant.as_deref(), &root, false).await);
                    let _ = tx.send(Msg::UpgradePlanned(r));
                });
            }
            Effect::FetchCredential { client_id } => {
                let Some(base) = self.sandbox_url.clone() else {
                    return;
                };
                tokio::spawn(async move {
                    let r = ui(setup.sandbox_credential(&base, &client_id).await);
                    let _ = tx.send(Msg::CredentialFetched(r));
                });
            }
            Effect::PlanMigration { req, secret } => {
                tokio::spawn(async move {
                    let r = ui(setup.migration_plan(&req, &secret).await);
                    let _ = tx.send(Msg::MigrationPlanned(r));
                });
            }
            Effect::PlanUpdate { req, secret } => {
                tokio::spawn(async move {
                    let r = ui(setup.update_plan(&req, secret.as_ref()).await);
                    let _ = tx.send(Msg::UpdatePlanned(r, secret));
                });
            }
            Effect::Queue(agent, op) => {
                tokio::spawn(async move {
                    let r = ui(setup.queue_op(&agent, op).await);
                    let _ = tx.send(Msg::QueueDone(agent, op, r));
                });
            }
            Effect::SupportBundle => {
                tokio::spawn(async move {
                    let opts = crate::setup::bundle::BundleOptions::default();
                    let r = ui(setup.support_bundle(&opts).await.map(|b| b.path));
                    let _ = tx.send(Msg::BundleWritten(r));
                });
            }
            Effect::Test(ids) => {
                for id in ids {
                    let setup = setup.clone();
                    let tx = tx.clone();
                    tokio::spawn(async move {
                        let r = ui(setup.test_connection(&id).await);
                        let _ = tx.send(Msg::Tested(id, r));
                    });
                }
            }
            other => self.run_operation(other),
        }
    }

    /// The one running operation (it can be cancelled as far as it allows).
    fn run_operation(&mut self, effect: Effect) {
        let setup = self.setup.clone();
        let tx = self.tx.clone();
        match effect {
            Effect::CloseConnection => {
                let root = self.backup_root.clone();
                let tenant = self.tenant.clone();
                let stop = Stop::new();
                let setup = setup.with_stop(stop.clone());
                self.spawn_op(Interrupt::BetweenSteps(stop), async move {
                    let r = async {
                        let t = setup.resolve_tenant(tenant.as_deref()).await?;
                        let plan = setup.close_connection_plan(&t).await?;
                        setup.close_connection(&plan, &root).await
                    }
                    .await;
                    let _ = tx.send(Msg::ClosedConnection(ui(r)));
                });
            }
            Effect::RunUpgrade(preview) => {
                let root = self.backup_root.clone();
                let stop = Stop::new();
                let flag = stop.clone();
                self.spawn_op(Interrupt::BetweenSteps(stop), async move {
                    let r =
                        ui(setup.upgrade(&preview, &root, true, flag.flag()).await).map(Box::new);
                    let _ = tx.send(Msg::UpgradeDone(r));
                });
            }
            Effect::RunMigration { plan, secret } => {
                let root = self.backup_root.clone();
                let stop = Stop::new();
                let setup = setup.with_stop(stop.clone());
                self.spawn_op(Interrupt::BetweenSteps(stop), async move {
                    let r = ui(setup.migrate(*plan, &secret, &root).await).map(Box::new);
                    let _ = tx.send(Msg::Migrated(r));
                });
            }
            Effect::RunUpdate { plan, secret } => {
                let root = self.backup_root.clone();
                let stop = Stop::new();
                let setup = setup.with_stop(stop.clone());
                self.spawn_op(Interrupt::BetweenSteps(stop), async move {
                    let r = ui(setup.update_account(&plan, secret.as_ref(), &root).await);
                    let _ = tx.send(Msg::AccountChanged(r, "updated"));
                });
            }
            Effect::DeleteAccount => {
                let root = self.backup_root.clone();
                self.spawn_op(Interrupt::Never, async move {
                    let r = match setup.delete_plan().await {
                        Ok(plan) => setup.delete_account(&plan, false, &root).await,
                        Err(e) => Err(e),
                    };
                    let _ = tx.send(Msg::AccountChanged(ui(r), "deleted"));
                });
            }
            Effect::CreateCertificate {
                alias,
                days,
                keystore_password,
            } => self.create_certificate(alias, days, keystore_password),
            Effect::FetchConsole { cert_pem } => {
                let Some(base) = self.sandbox_url.clone() else {
                    return;
                };
                self.spawn_op(Interrupt::Anywhere, async move {
                    let r = ui(setup.sandbox_console(&base, cert_pem.as_deref()).await);
                    let _ = tx.send(Msg::ConsoleFetched(r));
                });
            }
            Effect::CreateAccount { spec, key } => {
                self.spawn_op(Interrupt::Never, async move {
                    let r = ui(setup.create_account(&spec, true, key).await);
                    let _ = tx.send(Msg::AccountCreated(r));
                });
            }
            Effect::CheckHealth {
                key,
                secret,
                tenant,
            } => {
                self.spawn_op(Interrupt::Anywhere, async move {
                    let source = match key {
                        Some(k) => KeySource::InMemory(k),
                        None => KeySource::AemSide,
                    };
                    let r = setup
                        .check_account(source, move || Ok(secret), tenant.as_deref())
                        .await;
                    let _ = tx.send(Msg::Health(ui(r)));
                });
            }
            Effect::CreateCloud {
                title,
                service_url,
                ims,
                mode,
            } => {
                let stop = Stop::new();
                let setup = setup.with_stop(stop.clone());
                self.spawn_op(Interrupt::BetweenSteps(stop), async move {
                    let r = setup
                        .create_cloud(
                            &title,
                            &service_url,
                            ims.as_deref(),
                            Duration::from_secs(crate::setup::defaults::AGENT_WAIT_SECS),
                            mode,
                        )
                        .await;
                    let _ = tx.send(Msg::CloudCreated(ui(r)));
                });
            }
            // Carried out by `run` and `run_task`.
            _ => {}
        }
    }

    /// The change history of this author, read off the UI thread.
    fn load_history(&self) {
        let history = self.setup.history().clone();
        let url = self.setup.aem_url().to_string();
        let tx = self.tx.clone();
        tokio::task::spawn_blocking(move || {
            let r = history
                .read()
                .map(|h| crate::tui::historypane::HistoryRead {
                    records: h.changes(Some(&url), Some(500)),
                    unreadable: h.unreadable.len(),
                    path: h.path.display().to_string(),
                })
                .map_err(|e| format!("the change history cannot be read: {e}"));
            let _ = tx.send(Msg::History(r));
        });
    }

    /// Step 1: a key pair in the service user's keystore, its certificate written to disk.
    fn create_certificate(
        &mut self,
        alias: String,
        days: u32,
        keystore_password: Option<secrecy::SecretString>,
    ) {
        let stop = Stop::new();
        let setup = self.setup.clone().with_stop(stop.clone());
        let tx = self.tx.clone();
        let req = CertRequest {
            alias,
            days,
            common_name: crate::ims::certificate::DEFAULT_COMMON_NAME.into(),
            out: CertFile::FreeNameIn(self.cert_dir.clone()),
            save_key: None,
        };
        self.spawn_op(Interrupt::BetweenSteps(stop), async move {
            let r = setup
                .create_certificate(req, move || {
                    keystore_password.clone().ok_or_else(|| {
                        SetupError::Invalid(vec![
                            "a password for the new keystore is needed".into(),
                        ])
                    })
                })
                .await;
            let _ = tx.send(Msg::CertCreated(ui(r).map(Box::new)));
        });
    }
}
