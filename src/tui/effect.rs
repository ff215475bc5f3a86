//! The vocabulary between the TUI's state and its runtime: [`Effect`]s are work the state asks
//! for, [`Msg`]s are the results that come back. Errors keep their class, so the screen can
//! decide (retry, wording) without reading messages.

use crate::monitor::Snapshot;
use crate::setup::actions::{AccountOutcome, AccountSpec, CloudMode, CloudOutcome, HealthReport};
use crate::setup::console::{ConsoleCredential, ConsoleCreds};
use crate::setup::lifecycle::{ChangeDone, UpdatePlan, UpdateRequest};
use crate::setup::migrate::{MigrateRequest, MigrationDone, MigrationPlan};
use crate::setup::service::{CertDone, CloseConnectionDone, QueueOp, UpgradeDone, UpgradePreview};
use crate::setup::{ErrorClass, Integration, LogLine, SetupError, TestResult};
use secrecy::{SecretSlice, SecretString};
use std::time::Duration;

/// An error as the screen shows it: the operator's message and its class.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UiError {
    pub class: ErrorClass,
    pub message: String,
}

impl UiError {
    pub fn failed(message: impl Into<String>) -> Self {
        UiError {
            class: ErrorClass::Failed,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for UiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<SetupError> for UiError {
    fn from(e: SetupError) -> Self {
        UiError {
            class: e.class(),
            message: e.to_string(),
        }
    }
}

pub type UiResult<T> = Result<T, UiError>;

/// What cancelling the running operation did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cancelled {
    /// It was stopped (it only read, or nothing was running).
    Stopped,
    /// It stops after the step it is in (its journal carries on later).
    AfterThisStep,
    /// It writes one thing in several requests and must finish; its result will tell.
    MustFinish,
}

/// Results of background work.
#[derive(Debug)]
pub enum Msg {
    /// A read of the integration; the number orders reads (only a newer one is applied).
    Loaded(u64, UiResult<Box<Integration>>),
    /// What became of a cancel request.
    Cancelled(Cancelled),
    /// Sample assets queued in the sandbox (how many).
    Published(UiResult<u64>),
    CertCreated(UiResult<Box<CertDone>>),
    ConsoleFetched(UiResult<ConsoleCreds>),
    AccountCreated(UiResult<AccountOutcome>),
    Health(UiResult<HealthReport>),
    CloudCreated(UiResult<CloudOutcome>),
    Tested(String, UiResult<TestResult>),
    /// Where the support bundle was written.
    BundleWritten(UiResult<std::path::PathBuf>),
    Monitor(Snapshot),
    Log(String, UiResult<Vec<LogLine>>),
    QueueDone(String, QueueOp, UiResult<()>),
    UpgradePlanned(UiResult<UpgradePreview>),
    CredentialFetched(UiResult<ConsoleCredential>),
    MigrationPlanned(UiResult<MigrationPlan>),
    Migrated(UiResult<Box<MigrationDone>>),
    UpdatePlanned(UiResult<UpdatePlan>, Option<SecretString>),
    AccountChanged(UiResult<ChangeDone>, &'static str),
    UpgradeDone(UiResult<Box<UpgradeDone>>),
    /// The doctor's report.
    Doctor(Box<crate::verdict::Report>),
    /// Why a blocked queue is blocked, from its agent log (`None`: the log could not be read).
    Explained(String, Option<crate::monitor::BlockCause>),
    /// Close Connection set (from the doctor).
    ClosedConnection(UiResult<CloseConnectionDone>),
    /// The change history of this author, or why it cannot be read.
    History(Result<crate::tui::historypane::HistoryRead, String>),
}

/// Work for the runtime.
#[derive(Debug)]
pub enum Effect {
    /// The operator asked to read again: credentials AEM refused may be tried once more (until
    /// then no request asks AEM with them: one failed login, not one per read).
    RetryCredentials,
    /// Read the integration (one read in flight: asking while it runs asks one follow-up).
    Load,
    /// Read AEM again after a pause (after a failed read); an earlier ask replaces it.
    LoadLater(Duration),
    CreateCertificate {
        alias: String,
        days: u32,
        keystore_password: Option<SecretString>,
    },
    /// The sandbox Console: a project for this certificate (JWT + OAuth), or OAuth only.
    FetchConsole {
        cert_pem: Option<String>,
    },
    CreateAccount {
        spec: Box<AccountSpec>,
        /// The key pair created in this session, for the JWT pre-flight.
        key: Option<SecretSlice<u8>>,
    },
    CheckHealth {
        key: Option<SecretSlice<u8>>,
        secret: Option<SecretString>,
        tenant: Option<String>,
    },
    CreateCloud {
        title: String,
        service_url: String,
        ims: Option<String>,
        mode: CloudMode,
    },
    Test(Vec<String>),
    /// Write the support bundle (no Test Connection) to the current folder.
    SupportBundle,
    /// Poll now.
    MonitorRefresh,
    FetchLog(String),
    /// Read the log again after a pause (a followed log pane).
    FetchLogLater(String, Duration),
    Queue(String, QueueOp),
    /// Plan the upgrade of this tenant (`None`: the current integration's).
    PlanUpgrade(Option<String>),
    /// Read a blocked queue's agent log for the cause (answered by the next read of the
    /// integration, which reads the logs anyway).
    ExplainQueue(String),
    /// Run every doctor check (with one Test Connection).
    Doctor,
    /// Set Close Connection on the agents that lack it (backed up first).
    CloseConnection,
    /// The sandbox Console's values of this credential (for the migration dialog).
    FetchCredential {
        client_id: String,
    },
    PlanMigration {
        req: MigrateRequest,
        secret: SecretString,
    },
    RunMigration {
        plan: Box<MigrationPlan>,
        secret: SecretString,
    },
    /// Change the Brand Portal IMS configuration: IMS asked first (with a secret), then the
    /// changes shown.
    PlanUpdate {
        req: Box<UpdateRequest>,
        secret: Option<SecretString>,
    },
    RunUpdate {
        plan: Box<UpdatePlan>,
        secret: Option<SecretString>,
    },
    DeleteAccount,
    /// Carry out the upgrade the operator confirmed.
    RunUpgrade(Box<UpgradePreview>),
    Cancel,
    /// Read the change history of this author.
    LoadHistory,
    /// Stop reading the integration (start-up read or a retry).
    CancelLoad,
    /// Sandbox only: "Publish to Brand Portal" for this many sample assets.
    PublishSample(u32),
    Suspend,
    /// The terminal bell, for a new alert.
    Bell,
    /// Fleet: make this profile's author the current one (the runtime builds its session; the
    /// previous author's reads stop).
    Author(String),
    /// Fleet: read every author again now (`None`; refused credentials tried once more), or one.
    FleetRefresh(Option<String>),
}
