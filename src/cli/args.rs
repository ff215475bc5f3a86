//! The command line's shape (clap). Only definitions live here; `cmd/` carries them out.

use super::context::GlobalArgs;
use crate::setup::defaults;
use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "brandlink",
    version,
    about = "Wire AEM Assets 6.4/6.5 to Adobe Brand Portal and keep the link healthy"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    /// Print a commented default configuration file and exit.
    #[arg(long)]
    pub print_default_config: bool,
    #[command(flatten)]
    pub tui: TuiArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The whole integration at a glance: what exists, what is missing, what is unhealthy.
    Status(StatusArgs),
    /// Step 1: the key pair and certificate.
    #[command(subcommand)]
    Cert(CertCommand),
    /// Step 2: the IMS technical account configuration.
    #[command(subcommand)]
    Account(AccountCommand),
    /// Step 3: the Brand Portal cloud configuration.
    #[command(subcommand)]
    Cloud(CloudCommand),
    /// Step 4: the tenant's Brand Portal replication agents (and Test Connection).
    Agents(AgentsArgs),
    /// Queue state of the Brand Portal agents.
    Queues(QueuesArgs),
    /// Check every known failure of the integration: cause, fix, and the command that applies
    /// it. Read-only but for one Test Connection (--no-test skips it). Exit 1 when a check fails.
    Doctor(DoctorArgs),
    /// Replace an existing integration: verify idle queues, back up, delete, journaled.
    Upgrade(UpgradeArgs),
    /// Re-create what an upgrade backup holds.
    Restore(RestoreArgs),
    /// The changes brandlink made to this author (--all: to every author), newest first.
    History(HistoryArgs),
    /// Write a support bundle: doctor, status, what was read, the change history and a replay
    /// record of the author in one .tar.gz (0600), every secret removed.
    SupportBundle(SupportBundleArgs),
    /// Serve Prometheus metrics of the Brand Portal queues of one or more authors.
    Exporter(ExporterArgs),
    /// Many authors at once (the config file's profiles): status, doctor, JWT → OAuth migration.
    #[command(subcommand)]
    Fleet(FleetCommand),
    /// Run the embedded AEM author + Adobe IMS + Brand Portal emulator in the foreground.
    #[cfg(feature = "sandbox")]
    Sandbox(SandboxArgs),
    /// Start the sandbox in-process and walk the integration against it.
    #[cfg(feature = "sandbox")]
    Demo(DemoArgs),
    /// Print shell completions (e.g. `brandlink completions bash > /etc/bash_completion.d/brandlink`).
    Completions(CompletionsArgs),
    /// Print the man page (roff), or write one page per command into --dir.
    Man(ManArgs),
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write brandlink.1 and a page per command (brandlink-account-create.1, …) into DIR.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// Options of the terminal UI (`brandlink` and `brandlink demo` only).
#[derive(Debug, Args, Clone, Default)]
pub struct TuiArgs {
    /// Capture the mouse (click tabs and rows, scroll)
    #[arg(long)]
    pub mouse: bool,
    /// Ring the bell when a new queue alert appears
    #[arg(long)]
    pub bell: bool,
    /// Seconds between queue polls on the Replication tab (at least 0.5)
    #[arg(long, value_name = "SECS", default_value_t = 2.0)]
    pub poll_interval: f64,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Brand Portal tenant URL (default: from the cloud configuration).
    #[arg(long)]
    pub tenant: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum CertCommand {
    /// Generate the key pair and AEM-Adobe-IMS.crt, upload the key to the service user's keystore.
    Create(CertCreate),
    /// JWT: a new key pair under a new alias before the old certificate expires; then upload
    /// the certificate to the Console and run `account update --key-alias ALIAS`.
    Rotate(CertCreate),
    /// Remove a key pair nothing signs with any more (after the move to OAuth): refused while
    /// a JWT IMS configuration names it; its certificate's summary is recorded first.
    Delete(CertDelete),
}

#[derive(Debug, Args)]
pub struct CertDelete {
    /// Alias of the key pair [default: the only one in the keystore].
    #[arg(long)]
    pub alias: Option<String>,
    #[command(flatten)]
    pub change: ChangeArgs,
}

#[derive(Debug, Args)]
pub struct CertCreate {
    /// Alias of the key pair in the keystore.
    #[arg(long, default_value = defaults::KEY_ALIAS)]
    pub alias: String,
    /// Where to write the public certificate (PEM).
    #[arg(long, default_value = defaults::CERT_FILE)]
    pub out: PathBuf,
    /// Validity in days (at most 365).
    #[arg(long, default_value_t = defaults::CERT_DAYS)]
    pub days: u32,
    /// Certificate subject common name.
    #[arg(long, default_value = crate::ims::certificate::DEFAULT_COMMON_NAME)]
    pub cn: String,
    /// Also keep the private key in this new file (mode 0600), for `account check --key-file`.
    #[arg(long, value_name = "FILE")]
    pub save_key: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Create the Brand Portal IMS configuration (OAuth Server-to-Server first; one for Brand
    /// Portal, other integrations' are left alone), after IMS accepted the values.
    Create(AccountCreate),
    /// Check Health: IMS accepts the credentials given here, and AEM obtains a token with what
    /// it stores.
    Check(AccountCheck),
    /// Convert the Brand Portal IMS configuration from JWT to OAuth Server-to-Server in place
    /// (same PID): pre-flight, the changes shown, backup, update, Test Connection.
    Migrate(AccountMigrate),
    /// Change the Brand Portal IMS configuration in place: rotate the client secret, repoint
    /// the key alias after a certificate rotation, fix a value. Backed up, then tested.
    Update(AccountUpdate),
    /// Delete the Brand Portal IMS configuration and its customizer (backed up first; refused
    /// while a cloud configuration names it, unless --force).
    Delete(AccountDelete),
}

#[derive(Debug, Args)]
pub struct AccountUpdate {
    /// Set a new client secret (from BRANDLINK_CLIENT_SECRET or a prompt).
    #[arg(long)]
    pub secret: bool,
    #[arg(long)]
    pub title: Option<String>,
    /// Client id.
    #[arg(long)]
    pub api_key: Option<String>,
    /// OAuth scopes (comma-separated).
    #[arg(long)]
    pub scopes: Option<String>,
    /// OAuth organization id (…@AdobeOrg).
    #[arg(long)]
    pub org_id: Option<String>,
    /// JWT: the key pair alias to use (after `cert rotate`).
    #[arg(long, value_name = "ALIAS")]
    pub key_alias: Option<String>,
    /// The Brand Portal IMS configuration (PID or name), where the author does not tell.
    #[arg(long, value_name = "PID")]
    pub ims: Option<String>,
    #[command(flatten)]
    pub change: ChangeArgs,
    /// Do not ask IMS for a token first.
    #[arg(long)]
    pub no_verify: bool,
}

#[derive(Debug, Args)]
pub struct AccountDelete {
    /// The Brand Portal IMS configuration (PID or name), where the author does not tell.
    #[arg(long, value_name = "PID")]
    pub ims: Option<String>,
    /// Delete even though a cloud configuration names it (publishing then stops).
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub change: ChangeArgs,
}

#[derive(Debug, Args)]
pub struct AccountMigrate {
    /// OAuth scopes as the Console shows them (comma-separated).
    #[arg(long)]
    pub scopes: String,
    /// IMS organization id (…@AdobeOrg) [default: the one the JWT configuration names].
    #[arg(long)]
    pub org_id: Option<String>,
    /// Client id of the OAuth credential [default: the current one, as Adobe's conversion keeps it].
    #[arg(long)]
    pub api_key: Option<String>,
    /// The Brand Portal IMS configuration (PID or name), where the author does not tell.
    #[arg(long, value_name = "PID")]
    pub ims: Option<String>,
    #[command(flatten)]
    pub change: ChangeArgs,
    /// Do not ask IMS for a token first (offline authors).
    #[arg(long)]
    pub no_verify: bool,
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
    #[arg(long, default_value = defaults::AUTH_SERVER)]
    pub auth_server: String,
    /// Key alias in the service user's keystore.
    #[arg(long, default_value = defaults::KEY_ALIAS)]
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
    /// JWT: the private key (saved by `cert create --save-key`) to get a token with before
    /// anything is stored.
    #[arg(long, value_name = "FILE")]
    pub key_file: Option<PathBuf>,
    /// Store without asking IMS for a token first (offline authors); says what was skipped.
    #[arg(long)]
    pub no_verify: bool,
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
    /// The Brand Portal IMS configuration (PID or name), where the author does not tell.
    #[arg(long, value_name = "PID")]
    pub ims: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum CloudCommand {
    /// Create the AEM Brand Portal cloud configuration and wait for the four agents.
    Create(CloudCreate),
    /// Save the cloud configuration again with the values it holds (Adobe's fix when agents
    /// are missing after it was saved): the plan shown, the values backed up, confirmation
    /// asked; AEM creates the missing agents.
    Resave(CloudResave),
}

#[derive(Debug, Args)]
pub struct CloudResave {
    /// Brand Portal tenant URL (default: the cloud configuration's).
    #[arg(long)]
    pub tenant: Option<String>,
    /// Seconds to wait for the four agents (at most 3600).
    #[arg(long, default_value_t = defaults::AGENT_WAIT_SECS, value_parser = clap::value_parser!(u64).range(0..=3600))]
    pub wait: u64,
    #[command(flatten)]
    pub change: ChangeArgs,
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
    /// Seconds to wait for the agents (at most 3600).
    #[arg(long, default_value_t = defaults::AGENT_WAIT_SECS, value_parser = clap::value_parser!(u64).range(0..=3600))]
    pub wait: u64,
    /// Another tenant's configuration exists: change its Service URL to this one.
    #[arg(long, conflicts_with = "new")]
    pub repoint: bool,
    /// Another tenant's configuration exists: add a second configuration.
    #[arg(long)]
    pub new: bool,
    /// Go ahead with --repoint / --new without the typed confirmation.
    #[arg(long)]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct AgentsArgs {
    /// Run Test Connection on all of them, concurrently.
    #[arg(long)]
    pub test: bool,
    #[arg(long)]
    pub tenant: Option<String>,
    /// Set Close Connection on every agent that lacks it (Adobe's fix for publish timeouts):
    /// the change shown, each agent backed up, confirmation asked.
    #[arg(long)]
    pub close_connection: bool,
    #[command(flatten)]
    pub change: ChangeArgs,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Brand Portal tenant URL (default: from the cloud configuration).
    #[arg(long)]
    pub tenant: Option<String>,
    /// Do not run Test Connection (then whether AEM obtains a token stays unknown).
    #[arg(long)]
    pub no_test: bool,
}

#[derive(Debug, Args)]
pub struct SupportBundleArgs {
    /// Where to write it [default: brandlink-support-<time>.tar.gz in the current folder].
    #[arg(long, value_name = "FILE")]
    pub out: Option<std::path::PathBuf>,
    /// Replace host names, tenant ids and IMS organisations by stand-ins (consistently).
    #[arg(long)]
    pub redact_hosts: bool,
    /// Do not run Test Connection (as `doctor --no-test`).
    #[arg(long)]
    pub no_test: bool,
    /// Brand Portal tenant URL (default: from the cloud configuration).
    #[arg(long)]
    pub tenant: Option<String>,
}

#[derive(Debug, Args)]
pub struct QueuesArgs {
    /// Keep polling and print a line whenever a queue changes (Ctrl-C stops).
    #[arg(long)]
    pub watch: bool,
    /// Seconds between polls with --watch (1 to 3600).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub interval: u64,
    /// The Brand Portal tenant whose agents are shown (default: the cloud configuration's).
    #[arg(long)]
    pub tenant: Option<String>,
    /// With --watch: stop after this many polls (for scripts).
    #[arg(long, hide = true)]
    pub polls: Option<u64>,
}

#[derive(Debug, Args)]
pub struct UpgradeArgs {
    /// The tenant whose integration is replaced (default: from the cloud configuration, legacy first).
    #[arg(long)]
    pub tenant: Option<String>,
    #[command(flatten)]
    pub change: ChangeArgs,
    /// Wait up to this many seconds for busy queues to become idle (at most 86400, a day).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=86_400))]
    pub wait: u64,
    /// Also remove the Brand Portal IMS configuration (and its customizer) that the tenant's
    /// cloud configuration names; other integrations' are never included.
    #[arg(long)]
    pub include_ims: bool,
    /// Go ahead although queues are blocked by credentials AEM can no longer use (e.g. a
    /// retired JWT): they will never drain. Their queued items' paths are written to the
    /// backup's queued.json, to publish again once the new integration works.
    #[arg(long)]
    pub record_queued: bool,
}

/// The flags every command that changes or deletes configuration shares.
#[derive(Debug, Args)]
pub struct ChangeArgs {
    /// Show what would change and stop: nothing is backed up or written.
    #[arg(long)]
    pub dry_run: bool,
    /// Go ahead without the typed confirmation (after reading the plan).
    #[arg(long)]
    pub yes: bool,
    /// Where the backup goes [default: $XDG_STATE_HOME/brandlink/backups].
    #[arg(long, value_name = "DIR")]
    pub backup_dir: Option<PathBuf>,
}

impl ChangeArgs {
    /// The backup folder's parent: --backup-dir, or brandlink's state folder.
    pub fn backup_root(&self) -> PathBuf {
        self.backup_dir
            .clone()
            .unwrap_or_else(crate::setup::upgrade::default_backup_root)
    }
}

#[derive(Debug, Subcommand)]
pub enum FleetCommand {
    /// One row per author: version, credential, state, queues, the doctor's counts (no Test
    /// Connection). Exit 1 when any author fails.
    Status(FleetRead),
    /// The doctor on every author (with its Test Connection unless --no-test), plus the
    /// checks only a fleet shows. Exit 1 when any author or fleet check fails.
    Doctor(FleetRead),
    /// JWT → OAuth Server-to-Server on every JWT author: one plan, one confirmation, then
    /// author by author (backup, migrate in place, Test Connection, blocked queues retried).
    Migrate(FleetMigrate),
}

/// Which authors: profiles of the config file, each with its own password_env.
#[derive(Debug, Args)]
pub struct FleetSelect {
    /// Profiles to work on, comma-separated (in this order).
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "NAMES",
        required_unless_present = "all",
        conflicts_with = "all"
    )]
    pub profiles: Vec<String>,
    /// Every profile of the config file (by name).
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, Args)]
pub struct FleetRead {
    #[command(flatten)]
    pub select: FleetSelect,
    /// Skip the doctor's Test Connection (status never runs one).
    #[arg(long)]
    pub no_test: bool,
}

#[derive(Debug, Args)]
pub struct FleetMigrate {
    #[command(flatten)]
    pub select: FleetSelect,
    #[command(flatten)]
    pub change: ChangeArgs,
    /// Carry on with the next author after a failure (default: stop at the first).
    #[arg(long)]
    pub keep_going: bool,
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

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Every author's changes, not only the --url / --profile author's.
    #[arg(long)]
    pub all: bool,
    /// At most this many changes (the newest).
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
}

#[derive(Debug, Args)]
pub struct ExporterArgs {
    /// Address for /metrics and /probe.
    #[arg(long, default_value = "127.0.0.1:9464")]
    pub listen: SocketAddr,
    /// Watch this config-file profile (repeatable); without it, the --url author.
    #[arg(long = "watch", value_name = "PROFILE")]
    pub profiles: Vec<String>,
    /// Seconds between polls (1 to 3600).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub interval: u64,
    /// Watch no author: serve only /probe?target=PROFILE (Prometheus' multi-target pattern).
    #[arg(long, conflicts_with = "profiles")]
    pub probe_only: bool,
    /// Probes (/probe?target=PROFILE) read at once (1 to 256); more wait within their budget.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u64).range(1..=256))]
    pub max_probes: u64,
}

#[cfg(feature = "sandbox")]
mod world;
#[cfg(feature = "sandbox")]
pub use world::{DemoArgs, ElsewhereArgs, SandboxArgs, WorldArgs};
