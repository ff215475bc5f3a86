//! Carries out [`Effect`]s as background tasks that call the setup service and answer with
//! [`Msg`]s. The one operation that changes AEM can be cancelled; reads and tests run freely.
//! The queue pollers run here too, only while the Replication tab shows them.

use super::effect::{Effect, Msg, UiError};
use crate::monitor::{PollConfig, Pollers};
use crate::setup::Setup;
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
    op: Option<JoinHandle<()>>,
    pollers: Option<Pollers>,
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
            setup,
            sandbox_url,
            cert_dir,
            tenant,
            tx,
            poll,
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
        self.pollers = Some(Pollers::spawn(self.setup.client(), agents, self.poll, stx));
    }

    pub fn cancel(&mut self) {
        if let Some(h) = self.op.take() {
            h.abort();
        }
    }

    fn spawn_op<F>(&mut self, fut: F)
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        self.op = Some(tokio::spawn(fut));
    }

    fn load(&self, after: Option<Duration>) {
        let setup = self.setup.clone();
        let tx = self.tx.clone();
        let tenant = self.tenant.clone();
        tokio::spawn(async move {
            if let Some(d) = after {
                tokio::time::sleep(d).await;
            }
            let r = ui(setup.snapshot(tenant.as_deref()).await).map(Box::new);
            let _ = tx.send(Msg::Loaded(r));
        });
    }

    pub fn run(&mut self, effect: Effect) {
        let setup = self.setup.clone();
        let tx = self.tx.clone();
        match effect {
            Effect::Load => self.load(None),
            Effect::LoadLater(wait) => self.load(Some(wait)),
            Effect::Cancel => self.cancel(),
            Effect::Bell | Effect::Suspend => {}
            Effect::MonitorRefresh => {
                if let Some(p) = &self.pollers {
                    p.refresh();
                }
            }
            Effect::PlanUpgrade => {
                let root = upgrade::default_backup_root();
                tokio::spawn(async move {
                    let r = ui(setup.upgrade_preview(None, &root, false).await);
                    let _ = tx.send(Msg::UpgradePlanned(r));
                });
            }
            Effect::RunUpgrade(preview) => {
                let root = upgrade::default_backup_root();
                self.spawn_op(async move {
                    let r = ui(setup.upgrade(&preview, &root, true).await).map(Box::new);
                    let _ = tx.send(Msg::UpgradeDone(r));
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
            Effect::RunMigration { plan, secret } => {
                let root = upgrade::default_backup_root();
                self.spawn_op(async move {
                    let r = ui(setup.migrate(*plan, &secret, &root).await).map(Box::new);
                    let _ = tx.send(Msg::Migrated(r));
                });
            }
            Effect::PlanUpdate { req, secret } => {
                tokio::spawn(async move {
                    let r = ui(setup.update_plan(&req, secret.as_ref()).await);
                    let _ = tx.send(Msg::UpdatePlanned(r, secret));
                });
            }
            Effect::RunUpdate { plan, secret } => {
                let root = upgrade::default_backup_root();
                self.spawn_op(async move {
                    let r = ui(setup.update_account(&plan, secret.as_ref(), &root).await);
                    let _ = tx.send(Msg::AccountChanged(r, "updated"));
                });
            }
            Effect::DeleteAccount => {
                let root = upgrade::default_backup_root();
                self.spawn_op(async move {
                    let r = match setup.delete_plan().await {
                        Ok(plan) => setup.delete_account(&plan, false, &root).await,
                        Err(e) => Err(e),
                    };
                    let _ = tx.send(Msg::AccountChanged(ui(r), "deleted"));
                });
            }
            Effect::FetchLog(agent) => {
                tokio::spawn(async move {
                    let r = ui(setup.agent_log(&agent).await);
                    let _ = tx.send(Msg::Log(agent, r));
                });
            }
            Effect::Queue(agent, op) => {
                tokio::spawn(async move {
                    let r = ui(setup.queue_op(&agent, op).await);
                    let _ = tx.send(Msg::QueueDone(agent, op, r));
                });
            }
            Effect::CreateCertificate {
                alias,
                days,
                keystore_password,
            } => {
                let req = CertRequest {
                    alias,
                    days,
                    common_name: crate::ims::certificate::DEFAULT_COMMON_NAME.into(),
                    out: CertFile::FreeNameIn(self.cert_dir.clone()),
                    save_key: None,
                };
                self.spawn_op(async move {
                    let r = setup
                        .create_certificate(req, move || {
                            keystore_password.ok_or_else(|| {
                                SetupError::Invalid(vec![
                                    "a password for the new keystore is needed".into(),
                                ])
                            })
                        })
                        .await;
                    let _ = tx.send(Msg::CertCreated(ui(r).map(Box::new)));
                });
            }
            Effect::FetchConsole { cert_pem } => {
                let Some(base) = self.sandbox_url.clone() else {
                    return;
                };
                self.spawn_op(async move {
                    let r = ui(setup.sandbox_console(&base, cert_pem.as_deref()).await);
                    let _ = tx.send(Msg::ConsoleFetched(r));
                });
            }
            Effect::CreateAccount { spec, key } => {
                self.spawn_op(async move {
                    let r = ui(setup.create_account(&spec, true, key).await);
                    let _ = tx.send(Msg::AccountCreated(r));
                });
            }
            Effect::CheckHealth {
                key,
                secret,
                tenant,
            } => {
                self.spawn_op(async move {
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
                self.spawn_op(async move {
                    let r = setup
                        .create_cloud(
                            &title,
                            &service_url,
                            ims.as_deref(),
                            Duration::from_secs(30),
                            mode,
                        )
                        .await;
                    let _ = tx.send(Msg::CloudCreated(ui(r)));
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
        }
    }
}
