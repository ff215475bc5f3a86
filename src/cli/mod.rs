//! The command line: every screen's non-interactive twin, plus the sandbox and the demo.

use crate::sandbox::{self, Faults, SandboxConfig, Scenario};
use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "brandlink",
    version,
    about = "Wire AEM Assets 6.4/6.5 to Adobe Brand Portal and keep the link healthy"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
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

pub fn run(cli: Cli) -> ExitCode {
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    rt.block_on(async {
        match cli.command {
            Command::Sandbox(a) => {
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
            Command::Demo(a) => {
                let cfg = match a.world.config() {
                    Ok(c) => c,
                    Err(e) => return usage(&e),
                };
                let local = SocketAddr::from(([127, 0, 0, 1], 0));
                match sandbox::run_foreground(cfg, local, false).await {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(e) => {
                        eprintln!("error: {e}");
                        ExitCode::from(1)
                    }
                }
            }
        }
    })
}

fn usage(msg: &str) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::from(2)
}
