//! Carries out [`Effect`]s as background tasks that call the setup service and answer with
//! [`Msg`]s. The one running operation can be cancelled: a read at once, a write only between
//! whole steps (never between the two POSTs of one configuration). The reads that only ask
//! (the integration, a blocked queue's cause, the doctor, an agent log) go through [`Reads`]:
//! one in flight per question, a second ask while it runs becomes one follow-up, and a batch
//! of effects asks each question once. The queue pollers run here too, only while the
//! Replication tab shows them (a refresh while one polls is merged into its next poll).

use super::effect::{Cancelled, Effect, Msg, UiError};
use super::ops::{Operation, Runs};
use super::reads::{Question, Reads};
use crate::monitor::{PollConfig, Pollers};
use crate::setup::Setup;
use crate::setup::Stop;
use crate::setup::actions::KeySource;
use crate::setup::service::{CertFile, CertRequest};
use crate::setup::{SetupError, upgrade};
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
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

    /// This author is left for another: its reads, timers and pollers stop (an operation
    /// cannot be running: the screen refuses to switch while one does).
    pub fn stop_reads(&mut self) {
        self.reads.cancel_all();
        self.pollers = None;
    }

    /// No read is in flight, waiting to retry or about to start.
    pub fn reads_settled(&self) -> bool {
        self.reads.settled()
    }

    /// Carries out one effect: the reads that only ask go to the coalescer, operations start
    /// as their descriptor says.
    pub fn run(&mut self, effect: Effect) {
        match effect {
            Effect::RetryCredentials => self.setup.retry_credentials(),
            Effect::Load => self.reads.ask(Question::Status),
            Effect::LoadLater(wait) => self.reads.ask_later(Question::Status, wait),
            Effect::Cancel => self.cancel(),
            Effect::LoadHistory => self.load_history(),
            Effect::CancelLoad => self.reads.cancel(&Question::Status),
            // Carried out by the loop that owns the terminal and the sessions.
            Effect::Bell | Effect::Suspend | Effect::Author(_) | Effect::FleetRefresh(_) => {}
            Effect::MonitorRefresh => {
                if let Some(p) = &self.pollers {
                    p.refresh();
                }
            }
            Effect::ExplainQueue(agent) => self.reads.explain(agent),
            Effect::Doctor => self.reads.ask(Question::Doctor),
            Effect::FetchLogLater(agent, wait) => self.reads.ask_later(Question::Log(agent), wait),
            Effect::FetchLog(agent) => self.reads.ask(Question::Log(agent)),
            other => self.start(other),
        }
    }

    /// Starts an operation as its descriptor says: beside the running operation, or as it
    /// (replacing what a cancel reaches).
    fn start(&mut self, effect: Effect) {
        let Some(op) = Operation::asked_by(&effect) else {
            return;
        };
        let runs = op.descriptor().runs;
        let stop = Stop::new();
        let setup = match runs {
            Runs::StopsBetweenSteps => self.setup.clone().with_stop(stop.clone()),
            _ => self.setup.clone(),
        };
        let work = self.work(effect, setup, &stop);
        if work.is_empty() {
            return;
        }
        let tx = self.tx.clone();
        let interrupt = match runs {
            Runs::Beside => {
                for w in work {
                    let tx = tx.clone();
                    tokio::spawn(async move {
                        let _ = tx.send(w.await);
                    });
                }
                return;
            }
            Runs::StopsAnywhere => Interrupt::Anywhere,
            Runs::StopsBetweenSteps => Interrupt::BetweenSteps(stop),
            Runs::MustFinish => Interrupt::Never,
        };
        self.spawn_op(interrupt, async move {
            for w in work {
                let _ = tx.send(w.await);
            }
        });
    }

    /// What each operation runs: its work, whose output is the answer that ends it (one per
    /// agent for a Test Connection; none where the sandbox it needs is absent). `setup` holds
    /// `stop` when a cancel stops the operation between steps.
    fn work(&self, effect: Effect, setup: Setup, stop: &Stop) -> Vec<Work> {
        let root = self.backup_root.clone();
        let sandbox = self.sandbox_url.clone();
        match effect {
            Effect::CreateCertificate {
                alias,
                days,
                keystore_password,
            } => one(create_certificate(
                setup,
                self.cert_dir.clone(),
                alias,
                days,
                keystore_password,
            )),
            Effect::FetchConsole { cert_pem } => sandbox.map_or_else(Vec::new, |base| {
                one(async move {
                    Msg::ConsoleFetched(ui(setup.sandbox_console(&base, cert_pem.as_deref()).await))
                })
            }),
            Effect::CreateAccount { spec, key } => {
                one(
                    async move { Msg::AccountCreated(ui(setup.create_account(&spec, true, key).await)) },
                )
            }
            Effect::CheckHealth {
                key,
                secret,
                tenant,
            } => one(check_health(setup, key, secret, tenant)),
            Effect::CreateCloud {
                title,
                service_url,
                ims,
                mode,
            } => one(async move {
                let wait = Duration::from_secs(crate::setup::defaults::AGENT_WAIT_SECS);
                let r = setup
                    .create_cloud(&title, &service_url, ims.as_deref(), wait, mode)
                    .await;
                Msg::CloudCreated(ui(r))
            }),
            Effect::CloseConnection => one(close_connection(setup, self.tenant.clone(), root)),
            Effect::RunUpgrade(preview) => {
                let stop = stop.clone();
                one(async move {
                    let r = setup.upgrade(&preview, &root, true, stop.flag()).await;
                    Msg::UpgradeDone(ui(r).map(Box::new))
                })
            }
            Effect::RunMigration { plan, secret } => one(async move {
                Msg::Migrated(ui(setup.migrate(*plan, &secret, &root).await).map(Box::new))
            }),
            Effect::RunUpdate { plan, secret } => one(async move {
                let r = setup.update_account(&plan, secret.as_ref(), &root).await;
                Msg::AccountChanged(ui(r), "updated")
            }),
            Effect::DeleteAccount => one(async move {
                let r = match setup.delete_plan().await {
                    Ok(plan) => setup.delete_account(&plan, false, &root).await,
                    Err(e) => Err(e),
                };
                Msg::AccountChanged(ui(r), "deleted")
            }),
            other => self.work_beside(other, setup, sandbox, root),
        }
    }

    /// The work of the operations that run beside the running one: plans for dialogs, queue
    /// actions, the sandbox's helpers, the support bundle, Test Connection.
    fn work_beside(
        &self,
        effect: Effect,
        setup: Setup,
        sandbox: Option<String>,
        root: PathBuf,
    ) -> Vec<Work> {
        match effect {
            Effect::PlanUpdate { req, secret } => one(async move {
                let r = ui(setup.update_plan(&req, secret.as_ref()).await);
                Msg::UpdatePlanned(r, secret)
            }),
            Effect::Queue(agent, op) => one(async move {
                let r = ui(setup.queue_op(&agent, op).await);
                Msg::QueueDone(agent, op, r)
            }),
            Effect::PublishSample(count) if sandbox.is_some() => {
                one(async move { Msg::Published(ui(setup.sandbox_publish(count).await)) })
            }
            Effect::PlanUpgrade(tenant) => one(async move {
                let r = setup.upgrade_preview(tenant.as_deref(), &root, false).await;
                Msg::UpgradePlanned(ui(r))
            }),
            Effect::FetchCredential { client_id } => sandbox.map_or_else(Vec::new, |base| {
                one(async move {
                    Msg::CredentialFetched(ui(setup.sandbox_credential(&base, &client_id).await))
                })
            }),
            Effect::PlanMigration { req, secret } => {
                one(
                    async move { Msg::MigrationPlanned(ui(setup.migration_plan(&req, &secret).await)) },
                )
            }
            Effect::SupportBundle => one(async move {
                let opts = crate::setup::bundle::BundleOptions::default();
                Msg::BundleWritten(ui(setup.support_bundle(&opts).await.map(|b| b.path)))
            }),
            Effect::Test(ids) => ids
                .into_iter()
                .map(|id| {
                    let setup = setup.clone();
                    Box::pin(async move {
                        let r = ui(setup.test_connection(&id).await);
                        Msg::Tested(id, r)
                    }) as Work
                })
                .collect(),
            _ => vec![],
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
}

/// An operation's work: the answer it ends with.
type Work = Pin<Box<dyn Future<Output = Msg> + Send>>;

fn one(work: impl Future<Output = Msg> + Send + 'static) -> Vec<Work> {
    vec![Box::pin(work)]
}

/// Step 1: a key pair in the service user's keystore, its certificate written to disk.
async fn create_certificate(
    setup: Setup,
    cert_dir: PathBuf,
    alias: String,
    days: u32,
    keystore_password: Option<secrecy::SecretString>,
) -> Msg {
    let req = CertRequest {
        alias,
        days,
        common_name: crate::ims::certificate::DEFAULT_COMMON_NAME.into(),
        out: CertFile::FreeNameIn(cert_dir),
        save_key: None,
    };
    let r = setup
        .create_certificate(req, move || {
            keystore_password.clone().ok_or_else(|| {
                SetupError::Invalid(vec!["a password for the new keystore is needed".into()])
            })
        })
        .await;
    Msg::CertCreated(ui(r).map(Box::new))
}

/// Check Health with the key pair made in this session (else AEM's own) and the secret typed.
async fn check_health(
    setup: Setup,
    key: Option<secrecy::SecretSlice<u8>>,
    secret: Option<secrecy::SecretString>,
    tenant: Option<String>,
) -> Msg {
    let source = match key {
        Some(k) => KeySource::InMemory(k),
        None => KeySource::AemSide,
    };
    let r = setup
        .check_account(source, move || Ok(secret), tenant.as_deref())
        .await;
    Msg::Health(ui(r))
}

/// The doctor's fix: Close Connection on the tenant's agents that lack it, backed up first.
async fn close_connection(setup: Setup, tenant: Option<String>, root: PathBuf) -> Msg {
    let r = async {
        let t = setup.resolve_tenant(tenant.as_deref()).await?;
        let plan = setup.close_connection_plan(&t).await?;
        setup.close_connection(&plan, &root).await
    }
    .await;
    Msg::ClosedConnection(ui(r))
}
