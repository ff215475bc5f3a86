//! `brandlink sandbox` (the emulator in the foreground) and `brandlink demo` (the emulator
//! in-process with the TUI against it).

use super::tui::{keymap, launch, require_terminal};
use crate::cli::args::{DemoArgs, SandboxArgs, WorldArgs};
use crate::cli::context::{GlobalArgs, poll_interval};
use crate::cli::output::usage;
use crate::sandbox::{self, Faults, SandboxConfig};
use crate::tui::{HeaderInfo, TuiOptions};
use std::process::ExitCode;

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
        let version_ok = !self.product_version.is_empty()
            && self
                .product_version
                .split('.')
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
        if !version_ok {
            return Err(format!(
                "--product-version '{}' must look like 6.5.21.0 (or 6.6.3 for AEM 6.5 LTS SP3)",
                self.product_version
            ));
        }
        let recorded = match &self.from_bundle {
            Some(path) => {
                let bytes =
                    crate::setup::bundle::archive::replay_json(path).map_err(|e| e.to_string())?;
                Some(
                    sandbox::Recorded::from_json(&bytes)
                        .map_err(|e| format!("--from-bundle {}: {e}", path.display()))?,
                )
            }
            None => None,
        };
        Ok(SandboxConfig {
            recorded,
            scenario: self.scenario,
            tenant: self.tenant.to_ascii_lowercase(),
            delivery_rate: self.rate,
            bp_agent_count: usize::from(self.agents),
            seed: self.seed,
            faults,
            lived_in: self.lived_in,
            product_version: self.product_version.clone(),
            ims_hotfix: self.ims_hotfix,
            mishaps: self.mishaps.clone(),
            log_dialect: self.log_dialect,
            ..SandboxConfig::default()
        })
    }
}

pub async fn serve(a: SandboxArgs) -> ExitCode {
    let own = [
        ("--read-only", a.read_only),
        ("--config", a.config.is_some()),
    ];
    let own: Vec<_> = own
        .into_iter()
        .filter_map(|(f, on)| on.then_some(f))
        .collect();
    if let Some(msg) = a.elsewhere.refusal("sandbox", &own) {
        return usage(&msg);
    }
    let cfg = match a.world.config() {
        Ok(c) => c,
        Err(e) => return usage(&e),
    };
    if a.authors > 1 {
        return serve_many(cfg, &a).await;
    }
    match sandbox::run_foreground(cfg, a.listen, a.allow_remote).await {
        Ok(()) => ExitCode::SUCCESS,
        // Asking for a remote address without --allow-remote is a usage error; a port in use
        // or a scenario that cannot be built is a failure.
        Err(e @ sandbox::SandboxError::NotLoopback(_)) => usage(&e.to_string()),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

/// `--authors N`: N independent authors, each with its own world, on consecutive ports.
async fn serve_many(cfg: SandboxConfig, a: &SandboxArgs) -> ExitCode {
    let first = a.listen.port();
    let last = u32::from(first) + u32::from(a.authors) - 1;
    if first == 0 || last > u32::from(u16::MAX) {
        return usage(&format!(
            "--authors {} needs {} consecutive ports from --listen's: give a port between 1 and {}",
            a.authors,
            a.authors,
            u16::MAX - (a.authors - 1)
        ));
    }
    let mut running = Vec::with_capacity(usize::from(a.authors));
    for i in 0..a.authors {
        let mut one = cfg.clone();
        one.seed = Some(cfg.seed.unwrap_or(0) + u64::from(i));
        let at = std::net::SocketAddr::new(a.listen.ip(), first + i);
        match sandbox::Sandbox::start(one, at, a.allow_remote).await {
            Ok(sb) => running.push(sb),
            Err(e @ sandbox::SandboxError::NotLoopback(_)) => return usage(&e.to_string()),
            Err(e) => {
                eprintln!("error: author {} of {} at {at}: {e}", i + 1, a.authors);
                return ExitCode::from(1);
            }
        }
    }
    println!(
        "{} sandbox authors on http://{}:{first} to :{last} (user admin, password {}); Ctrl-C stops",
        a.authors,
        a.listen.ip(),
        cfg.admin_password
    );
    let _ = tokio::signal::ctrl_c().await;
    for sb in running {
        sb.shutdown().await;
    }
    ExitCode::SUCCESS
}

pub async fn demo(a: DemoArgs, g: &GlobalArgs) -> ExitCode {
    if let Some(msg) = a.elsewhere.refusal("demo", &[]) {
        return usage(&msg);
    }
    if let Err(code) = require_terminal("brandlink demo") {
        return code;
    }
    let cfg = match a.world.config() {
        Ok(c) => c,
        Err(e) => return usage(&e),
    };
    // The config file's [keys] apply here too (its profiles do not: the demo's author is the
    // sandbox).
    let keys = match crate::config::load(g.config.as_deref()) {
        Ok((file, _)) => match keymap(&file.key_overrides()) {
            Ok(k) => k,
            Err(code) => return code,
        },
        Err(e) => return usage(&e.to_string()),
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
    let timeout = std::time::Duration::from_secs(30);
    let setup = match (
        crate::aem::AemClient::new(&conn),
        crate::aem::client::http_client(None, false, None, timeout),
    ) {
        (Ok(client), Ok(http)) => crate::setup::Setup::new(
            client,
            crate::setup::ImsEndpoint {
                http,
                url: url.clone(),
            },
        )
        .read_only(g.read_only),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    let opts = TuiOptions {
        header: HeaderInfo {
            url: url.clone(),
            user: "admin".into(),
            ims_url: url.clone(),
            sandbox: true,
            insecure: false,
        },
        keymap: keys,
        sandbox_url: Some(url.clone()),
        cert_dir: std::env::current_dir().unwrap_or_default(),
        // The sandbox's tenant, so the Service URL is filled in for the demo.
        tenant: Some(sb.tenant_url()),
        mouse: a.tui.mouse,
        poll_interval: poll_interval(a.tui.poll_interval),
        read_only: g.read_only,
        bell: a.tui.bell,
    };
    let code = launch(setup, opts).await;
    sb.shutdown().await;
    if code == ExitCode::SUCCESS {
        println!("brandlink demo finished; the sandbox at {url} has stopped.");
    }
    code
}
