//! The command line: every screen's non-interactive twin, plus the sandbox and the demo.
//!
//! Exit codes: 0 healthy / succeeded, 1 the check or action failed, 2 usage or configuration.

pub mod commands;
pub mod context;

use crate::sandbox::{self, Faults, SandboxConfig, Scenario};
use clap::{Args, Parser, Subcommand};
use commands::{CliError, Report};
use context::{Context, GlobalArgs};
use std::net::SocketAddr;
use std::process::ExitCode;

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
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The whole integration at a glance: what exists, what is missing, what is unhealthy.
    Status {
        /// Brand Portal tenant URL (default: from the cloud configuration).
        #[arg(long)]
        tenant: Option<String>,
    },
    /// Step 1: the key pair and certificate.
    #[command(subcommand)]
    Cert(commands::CertCommand),
    /// Step 2: the IMS technical account configuration.
    #[command(subcommand)]
    Account(commands::AccountCommand),
    /// Step 3: the Brand Portal cloud configuration.
    #[command(subcommand)]
    Cloud(commands::CloudCommand),
    /// Step 4: the tenant's Brand Portal replication agents (and Test Connection).
    Agents(commands::AgentsArgs),
    /// Queue state of the Brand Portal agents.
    Queues(commands::QueuesArgs),
    /// Replace an existing integration: verify idle queues, back up, delete, journaled.
    Upgrade(commands::UpgradeArgs),
    /// Re-create what an upgrade backup holds.
    Restore(commands::RestoreArgs),
    /// Serve Prometheus metrics of the Brand Portal queues of one or more authors.
    Exporter(ExporterArgs),
    /// Run the embedded AEM author + Adobe IMS + Brand Portal emulator in the foreground.
    Sandbox(SandboxArgs),
    /// Start the sandbox in-process and walk the integration against it.
    Demo(DemoArgs),
}

#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// Address to listen on. Loopback unless --allow-remote.
    #[arg(long, default_value = "127.0.0.1:4502")]
    pub listen: SocketAddr,
    /// Allow a non-loopback --listen address.
    #[arg(long)]
    pub allow_remote: bool,
    #[command(flatten)]
    pub world: WorldArgs,
}

#[derive(Debug, Args)]
pub struct ExporterArgs {
    /// Address for /metrics.
    #[arg(long, default_value = "127.0.0.1:9464")]
    pub listen: SocketAddr,
    /// Watch this config-file profile (repeatable); without it, the --url author.
    #[arg(long = "watch", value_name = "PROFILE")]
    pub profiles: Vec<String>,
    /// Seconds between polls (at least 1).
    #[arg(long, default_value_t = 5)]
    pub interval: u64,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    #[command(flatten)]
    pub world: WorldArgs,
}

#[derive(Debug, Args)]
pub struct WorldArgs {
    /// Which author to start as.
    #[arg(long, value_enum, default_value_t = Scenario::Fresh)]
    pub scenario: Scenario,
    /// Latency added to every answer, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency: u64,
    /// A fault to switch on: NAME or NAME=VALUE (repeatable), e.g. stale_key, error_rate=0.2.
    #[arg(long = "fault", value_name = "NAME[=VALUE]")]
    pub faults: Vec<String>,
    /// Tenant id (first DNS label of https://<tenant>.brand-portal.adobe.com).
    #[arg(long, default_value = "wknd")]
    pub tenant: String,
    /// Assets per second each Brand Portal agent delivers.
    #[arg(long, default_value_t = 5.0)]
    pub rate: f64,
    /// Brand Portal agents AEM creates per tenant (4; 3 emulates a broken save).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u8).range(1..=8))]
    pub agents: u8,
    /// Seed for names and ids, for reproducible runs.
    #[arg(long)]
    pub seed: Option<u64>,
}

impl WorldArgs {
    pub fn config(&self) -> Result<SandboxConfig, String> {
        let mut faults = Faults {
            latency_ms: self.latency,
            ..Faults::default()
        };
        for f in &self.faults {
            faults
                .apply_flag(f)
                .map_err(|e| format!("--fault {f}: {e}"))?;
        }
        if !(self.rate.is_finite() && self.rate > 0.0) {
            return Err(format!(
                "--rate must be a positive number, got {}",
                self.rate
            ));
        }
        let label_ok = !self.tenant.is_empty()
            && self.tenant.len() <= 63
            && self
                .tenant
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-');
        if !label_ok {
            return Err(format!("--tenant '{}' is not a DNS label", self.tenant));
        }
        Ok(SandboxConfig {
            scenario: self.scenario,
            tenant: self.tenant.to_ascii_lowercase(),
            delivery_rate: self.rate,
            bp_agent_count: usize::from(self.agents),
            seed: self.seed,
            faults,
            ..SandboxConfig::default()
        })
    }
}

fn init_logging() {
    // Logs go to stderr, warnings and up unless RUST_LOG says otherwise; never secrets.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

fn emit(json_mode: bool, result: Result<Report, CliError>) -> ExitCode {
    match result {
        Ok(r) => {
            if json_mode {
                if !r.json.is_null() {
                    println!(
                        "{}",
                        serde_json::to_string_pretty(&r.json).unwrap_or_default()
                    );
                }
            } else {
                print!("{}", r.text);
            }
            if r.ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            let code = match e {
                CliError::Usage(_) => 2,
                CliError::Failed(_) => 1,
            };
            if json_mode {
                println!(
                    "{}",
                    serde_json::json!({"ok": false, "error": e.to_string(), "exitCode": code})
                );
            }
            eprintln!("error: {e}");
            ExitCode::from(code)
        }
    }
}

pub fn run(cli: Cli) -> ExitCode {
    init_logging();
    if cli.print_default_config {
        print!("{}", crate::config::DEFAULT_CONFIG);
        return ExitCode::SUCCESS;
    }
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let json_mode = cli.global.json;
    rt.block_on(async move {
        let ctx = || Context::resolve(&cli.global).map_err(CliError::from);
        let Some(command) = cli.command else {
            return run_tui(ctx()).await;
        };
        let result = match command {
            Command::Sandbox(a) => return run_sandbox(a).await,
            Command::Exporter(a) => return run_exporter(a, &cli.global).await,
            Command::Demo(a) => return run_demo(a, &cli.global).await,
            Command::Status { tenant } => match ctx() {
                Ok(c) => commands::status(&c, tenant).await,
                Err(e) => Err(e),
            },
            Command::Cert(commands::CertCommand::Create(a)) => match ctx() {
                Ok(c) => commands::cert_create(&c, &a).await,
                Err(e) => Err(e),
            },
            Command::Account(commands::AccountCommand::Create(a)) => match ctx() {
                Ok(c) => commands::account_create(&c, &a).await,
                Err(e) => Err(e),
            },
            Command::Account(commands::AccountCommand::Check(a)) => match ctx() {
                Ok(c) => commands::account_check(&c, &a).await,
                Err(e) => Err(e),
            },
            Command::Cloud(commands::CloudCommand::Create(a)) => match ctx() {
                Ok(c) => commands::cloud_create(&c, &a).await,
                Err(e) => Err(e),
            },
            Command::Agents(a) => match ctx() {
                Ok(c) => commands::agents(&c, &a).await,
                Err(e) => Err(e),
            },
            Command::Queues(a) => match ctx() {
                Ok(c) => commands::queues(&c, &a).await,
                Err(e) => Err(e),
            },
            Command::Upgrade(a) => match ctx() {
                Ok(c) => commands::upgrade(&c, &a).await,
                Err(e) => Err(e),
            },
            Command::Restore(a) => match ctx() {
                Ok(c) => commands::restore(&c, &a).await,
                Err(e) => Err(e),
            },
        };
        emit(json_mode, result)
    })
}

async fn run_exporter(a: ExporterArgs, global: &GlobalArgs) -> ExitCode {
    use crate::monitor::exporter::{Exporter, Instance};
    let mut instances = Vec::new();
    let names: Vec<Option<String>> = if a.profiles.is_empty() {
        vec![global.profile.clone()]
    } else {
        a.profiles.iter().cloned().map(Some).collect()
    };
    for name in names {
        let mut g = global.clone();
        g.profile = name.clone();
        let ctx = match Context::resolve(&g) {
            Ok(c) => c,
            Err(e) => return usage(&e.to_string()),
        };
        let client = match ctx.client() {
            Ok(c) => c,
            Err(e) => return emit(false, Err(CliError::from(e))),
        };
        instances.push(Instance {
            name: name.unwrap_or_else(|| ctx.url.clone()),
            client,
            tenant: ctx.tenant.clone(),
        });
    }
    if !a.listen.ip().is_loopback() {
        eprintln!(
            "note: /metrics is reachable from other machines at {} (it holds no secrets)",
            a.listen
        );
    }
    let n = instances.len();
    match Exporter::start(
        instances,
        a.listen,
        std::time::Duration::from_secs(a.interval.max(1)),
    )
    .await
    {
        Ok(x) => {
            println!(
                "brandlink exporter: http://{}/metrics ({n} author(s), every {} s); Ctrl-C stops",
                x.addr,
                a.interval.max(1)
            );
            let _ = tokio::signal::ctrl_c().await;
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: cannot listen on {}: {e}", a.listen);
            ExitCode::from(2)
        }
    }
}

async fn run_sandbox(a: SandboxArgs) -> ExitCode {
    let cfg = match a.world.config() {
        Ok(c) => c,
        Err(e) => return usage(&e),
    };
    match sandbox::run_foreground(cfg, a.listen, a.allow_remote).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn require_terminal(what: &str) -> Result<(), ExitCode> {
    use std::io::IsTerminal;
    if std::io::stdout().is_terminal() && std::io::stdin().is_terminal() {
        Ok(())
    } else {
        eprintln!(
            "error: {what} is interactive and needs a terminal; for scripts use the subcommands (see --help)"
        );
        Err(ExitCode::from(2))
    }
}

fn keymap(
    overrides: &std::collections::BTreeMap<String, Vec<String>>,
) -> Result<crate::tui::action::Keymap, ExitCode> {
    crate::tui::action::Keymap::default()
        .with_overrides(overrides)
        .map_err(|e| usage(&format!("config file: {e}")))
}

/// `brandlink` with no command: the TUI against the configured author.
async fn run_tui(ctx: Result<Context, CliError>) -> ExitCode {
    if let Err(code) = require_terminal("brandlink") {
        return code;
    }
    let ctx = match ctx {
        Ok(c) => c,
        Err(e) => return usage(&e.to_string()),
    };
    let keys = match keymap(&ctx.key_overrides) {
        Ok(k) => k,
        Err(code) => return code,
    };
    let (client, ims_http) = match (ctx.client(), ctx.ims_http()) {
        (Ok(c), Ok(i)) => (c, i),
        (Err(e), _) | (_, Err(e)) => return emit(false, Err(CliError::from(e))),
    };
    let opts = crate::tui::TuiOptions {
        header: crate::tui::HeaderInfo {
            url: ctx.url.clone(),
            user: ctx.user.clone(),
            ims_url: ctx.ims_url.clone(),
            sandbox: false,
            insecure: ctx.insecure,
        },
        keymap: keys,
        ims_url: ctx.ims_url.clone(),
        sandbox_url: None,
        cert_dir: std::env::current_dir().unwrap_or_default(),
        tenant: ctx.tenant.clone(),
        mouse: ctx.mouse,
        poll_interval: ctx.poll_interval,
        read_only: ctx.read_only,
        bell: ctx.bell,
    };
    match crate::tui::run(client, ims_http, opts).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: terminal: {e}");
            ExitCode::from(1)
        }
    }
}

/// `brandlink demo`: the sandbox in-process and the TUI against it.
async fn run_demo(a: DemoArgs, g: &GlobalArgs) -> ExitCode {
    if let Err(code) = require_terminal("brandlink demo") {
        return code;
    }
    let cfg = match a.world.config() {
        Ok(c) => c,
        Err(e) => return usage(&e),
    };
    let sb = match sandbox::Sandbox::start_local(cfg).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    let url = sb.url();
    let conn = crate::aem::Connection::new(
        &url,
        "admin",
        secrecy::SecretString::from(sb.admin_password()),
    );
    let (client, ims_http) = match (
        crate::aem::AemClient::new(&conn),
        crate::aem::client::http_client(None, false, std::time::Duration::from_secs(30)),
    ) {
        (Ok(c), Ok(h)) => (c, h),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    let opts = crate::tui::TuiOptions {
        header: crate::tui::HeaderInfo {
            url: url.clone(),
            user: "admin".into(),
            ims_url: url.clone(),
            sandbox: true,
            insecure: false,
        },
        keymap: crate::tui::action::Keymap::default(),
        ims_url: url.clone(),
        sandbox_url: Some(url.clone()),
        cert_dir: std::env::current_dir().unwrap_or_default(),
        // The sandbox's tenant, so the Service URL is filled in for the demo.
        tenant: Some(sb.tenant_url()),
        mouse: g.mouse,
        poll_interval: context::poll_interval(g.poll_interval),
        read_only: g.read_only,
        bell: g.bell,
    };
    let r = crate::tui::run(client, ims_http, opts).await;
    sb.shutdown().await;
    match r {
        Ok(()) => {
            println!("brandlink demo finished; the sandbox at {url} has stopped.");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: terminal: {e}");
            ExitCode::from(1)
        }
    }
}

fn usage(msg: &str) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::from(2)
}
