//! The options of the commands that start their own author: `sandbox` and `demo`.

use super::TuiArgs;
use clap::Args;
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// Address to listen on. Loopback unless --allow-remote.
    #[arg(long, default_value = "127.0.0.1:4502")]
    pub listen: SocketAddr,
    /// Allow a non-loopback --listen address.
    #[arg(long)]
    pub allow_remote: bool,
    /// Start this many independent authors in one process, on consecutive ports from
    /// --listen's (load tests of many authors; each gets --seed plus its index).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=5000))]
    pub authors: u16,
    #[command(flatten)]
    pub world: WorldArgs,
    #[command(flatten)]
    pub elsewhere: ElsewhereArgs,
    /// (Refused: the sandbox changes only itself.)
    #[arg(long, hide = true)]
    pub read_only: bool,
    /// (Refused: the sandbox reads no config file.)
    #[arg(long, hide = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Start N authors (2 to 12) in varied states and open the Fleet screen over them: healthy,
    /// one sharing another's Brand Portal tenant, one unreachable, one on a retired JWT, one
    /// with a blocked queue, the rest healthy (each from a temporary config file's profile).
    #[arg(
        long,
        value_name = "N",
        value_parser = clap::value_parser!(u8).range(2..=12),
        conflicts_with_all = ["scenario", "from_bundle", "mishaps"]
    )]
    pub fleet: Option<u8>,
    #[command(flatten)]
    pub world: WorldArgs,
    #[command(flatten)]
    pub elsewhere: ElsewhereArgs,
    #[command(flatten)]
    pub tui: TuiArgs,
}

/// The sandbox's world: which author, how slow, which faults.
#[derive(Debug, Args)]
pub struct WorldArgs {
    /// Which author to start as.
    #[arg(long, value_enum, default_value_t = crate::sandbox::Scenario::Fresh)]
    pub scenario: crate::sandbox::Scenario,
    /// Start as the author a support bundle recorded (its replay.json), not a scenario.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["scenario", "mishaps", "lived_in"])]
    pub from_bundle: Option<std::path::PathBuf>,
    /// Latency added to every answer, in milliseconds (at most 60000).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=60_000))]
    pub latency: u64,
    /// A fault to switch on: NAME or NAME=VALUE (repeatable), e.g. stale_key, error_rate=0.2.
    ///
    /// Rates (0–1): error_rate (500s), drop_rate (dropped connections), truncated_json_rate,
    /// malformed_json_rate, html_for_json_rate. Switches: unavailable (AEM restarting, 503),
    /// reject_auth (401 from now on), reject_auth_after=N (401 after N accepted requests), tenant_outage (Brand Portal 503), stale_key (the Console
    /// no longer holds AEM's certificate), reject_tokens, jwt_end_of_life (IMS refuses JWT),
    /// ims_rate_limit (429), tenant_timeout (deliveries time out), log_tailer_missing (the
    /// Sling log tailer answers 404), log_tailer_forbidden (it answers 403),
    /// health_checks_missing (no Felix health checks: 404, even on 6.5 LTS), hold_writes_from=N
    /// (the Nth write and those after it wait unanswered until it is set to 0). Lists:
    /// forbidden_paths=/a,/b (403 on those paths and below), failing_health_checks=NAME,…
    /// (those health checks report CRITICAL, e.g. "Replication Agents"). latency_ms=N as
    /// --latency.
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
    /// Other Adobe integrations already set up: Smart Tags and Adobe Stock IMS configurations
    /// and the Stock cloud configuration (brandlink must leave them alone).
    #[arg(long)]
    pub lived_in: bool,
    /// The AEM version the author reports (OAuth Server-to-Server needs 6.5.21.0 or later;
    /// 6.6.N answers as AEM 6.5 LTS SPN, e.g. 6.6.3).
    #[arg(long, default_value = "6.5.21.0", value_name = "VERSION")]
    pub product_version: String,
    /// The ims-jwt-compatibility hotfix is installed (OAuth Server-to-Server on SP11–SP20).
    #[arg(long)]
    pub ims_hotfix: bool,
    /// A broken state to start in (repeatable), on a configured scenario: what `brandlink
    /// doctor` finds. At run time: POST /sandbox/control/mishaps {"mishap": NAME}.
    #[arg(long = "mishap", value_enum, value_name = "NAME")]
    pub mishaps: Vec<crate::sandbox::Mishap>,
    /// How the author words its agent logs, Test Connection and error.log: classic (UTC) or
    /// terse (other words, Asia/Kolkata time, IMS token failures in error.log only). At run
    /// time: POST /sandbox/control/dialect {"dialect": NAME}.
    #[arg(long, value_enum, default_value_t = crate::sandbox::LogDialect::Classic, value_name = "NAME")]
    pub log_dialect: crate::sandbox::LogDialect,
}

/// The global options that say where an author is and how to reach it, for the commands that
/// start their own (`sandbox`, `demo`): hidden from their help and refused when given, rather
/// than silently ignored. (clap does not add a global option to a subcommand that defines one
/// of the same name.)
#[derive(Debug, Args, Default)]
pub struct ElsewhereArgs {
    #[arg(long, hide = true)]
    pub url: Option<String>,
    #[arg(long, hide = true)]
    pub user: Option<String>,
    #[arg(long, hide = true)]
    pub password_env: Option<String>,
    #[arg(long, hide = true)]
    pub ims_url: Option<String>,
    #[arg(long, hide = true)]
    pub ca_cert: Option<PathBuf>,
    #[arg(long, hide = true)]
    pub insecure: bool,
    #[arg(long, hide = true)]
    pub tls_pin: Option<String>,
    #[arg(long, hide = true)]
    pub profile: Option<String>,
    #[arg(long, hide = true)]
    pub timeout: Option<u64>,
}

impl ElsewhereArgs {
    /// The options given, as typed (`--url`, …).
    pub fn given(&self) -> Vec<&'static str> {
        [
            ("--url", self.url.is_some()),
            ("--user", self.user.is_some()),
            ("--password-env", self.password_env.is_some()),
            ("--ims-url", self.ims_url.is_some()),
            ("--ca-cert", self.ca_cert.is_some()),
            ("--insecure", self.insecure),
            ("--tls-pin", self.tls_pin.is_some()),
            ("--profile", self.profile.is_some()),
            ("--timeout", self.timeout.is_some()),
        ]
        .into_iter()
        .filter_map(|(flag, on)| on.then_some(flag))
        .collect()
    }

    /// A usage error naming what does not apply to `command`, when anything was given.
    pub fn refusal(&self, command: &str, extra: &[&'static str]) -> Option<String> {
        let mut given = self.given();
        given.extend_from_slice(extra);
        (!given.is_empty()).then(|| {
            format!(
                "{} {} not apply to `brandlink {command}`, which starts its own author; to check \
                 a real one: `brandlink status --url URL`",
                given.join(", "),
                if given.len() == 1 { "does" } else { "do" }
            )
        })
    }
}
