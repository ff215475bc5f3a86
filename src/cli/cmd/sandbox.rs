//! `brandlink sandbox` (the emulator in the foreground) and `brandlink demo` (the emulator
//! in-process with the TUI against it; `--fleet N`: N authors in varied states, each a profile
//! of a temporary config file, on the Fleet screen).

use super::tui::{fleet_author, fleet_options, keymap, launch, launch_fleet, require_terminal};
use crate::cli::args::{DemoArgs, FleetSelect, SandboxArgs, WorldArgs};
use crate::cli::context::{GlobalArgs, poll_interval};
use crate::cli::output::{emit, usage};
use crate::sandbox::{self, Faults, Mishap, SandboxConfig, Scenario};
use crate::tui::{HeaderInfo, TuiOptions};
use secrecy::SecretString;
use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::Arc;

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
    if let Some(n) = a.fleet {
        return demo_fleet(n, cfg, &a, g, keys).await;
    }
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

/// What an author of `demo --fleet` is like.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DemoKind {
    Healthy,
    /// Configured with the first author's Brand Portal tenant.
    SharesTenant,
    /// A profile pointing at a closed port.
    Unreachable,
    /// The jwt-retired scenario.
    RetiredJwt,
    /// Items stuck at the head of a queue while the tenant is down.
    Blocked,
}

/// The authors of `demo --fleet N`: the first N of these.
const DEMO_FLEET: [(&str, DemoKind); 12] = [
    ("alpha", DemoKind::Healthy),
    ("beta", DemoKind::SharesTenant),
    ("gone", DemoKind::Unreachable),
    ("legacy", DemoKind::RetiredJwt),
    ("stuck", DemoKind::Blocked),
    ("gamma", DemoKind::Healthy),
    ("delta", DemoKind::Healthy),
    ("epsilon", DemoKind::Healthy),
    ("zeta", DemoKind::Healthy),
    ("eta", DemoKind::Healthy),
    ("theta", DemoKind::Healthy),
    ("iota", DemoKind::Healthy),
];

/// The world of one author of the demo fleet, from the command line's.
fn demo_world(kind: DemoKind, name: &str, index: u64, base: &SandboxConfig) -> SandboxConfig {
    let mut c = base.clone();
    c.seed = Some(base.seed.unwrap_or(0) + index);
    c.admin_password = format!("demo-{}", uuid::Uuid::new_v4().simple());
    c.scenario = Scenario::Configured;
    c.tenant = name.to_string();
    match kind {
        DemoKind::SharesTenant => c.tenant = DEMO_FLEET[0].0.to_string(),
        DemoKind::RetiredJwt => c.scenario = Scenario::JwtRetired,
        DemoKind::Blocked => {
            c.mishaps.push(Mishap::StuckItems);
            c.faults.tenant_outage = true;
        }
        DemoKind::Healthy | DemoKind::Unreachable => {}
    }
    c
}

/// The running demo fleet: its sandboxes, the closed ports standing for unreachable authors,
/// the temporary config file's folder.
#[derive(Default)]
struct DemoFleet {
    sandboxes: Vec<sandbox::Sandbox>,
    closed: Vec<tokio::net::TcpSocket>,
    dir: Option<std::path::PathBuf>,
    /// `[profiles.NAME]` sections of the config file.
    profiles: String,
    /// The passwords, under the variable names the profiles give.
    vars: BTreeMap<String, SecretString>,
}

impl DemoFleet {
    /// Starts the first `n` authors of [`DEMO_FLEET`].
    async fn start(n: u8, base: &SandboxConfig) -> Result<DemoFleet, String> {
        let mut fleet = DemoFleet::default();
        for (i, (name, kind)) in DEMO_FLEET.iter().take(usize::from(n)).enumerate() {
            let var = format!("BRANDLINK_DEMO_{}_PASSWORD", name.to_ascii_uppercase());
            let world = demo_world(*kind, name, i as u64, base);
            let url = if *kind == DemoKind::Unreachable {
                // Bound and never listening: connections are refused.
                let socket = tokio::net::TcpSocket::new_v4().map_err(|e| e.to_string())?;
                socket
                    .bind(std::net::SocketAddr::from(([127, 0, 0, 1], 0)))
                    .map_err(|e| e.to_string())?;
                let port = socket.local_addr().map_err(|e| e.to_string())?.port();
                fleet.closed.push(socket);
                format!("http://127.0.0.1:{port}")
            } else {
                let sb = sandbox::Sandbox::start_local(world.clone())
                    .await
                    .map_err(|e| format!("author {name}: {e}"))?;
                let url = sb.url();
                fleet.sandboxes.push(sb);
                url
            };
            fleet
                .vars
                .insert(var.clone(), SecretString::from(world.admin_password));
            fleet.profiles.push_str(&format!(
                "[profiles.{name}]\nurl = \"{url}\"\nims_url = \"{url}\"\nuser = \"admin\"\npassword_env = \"{var}\"\ntimeout_secs = 10\n\n"
            ));
        }
        Ok(fleet)
    }

    /// Writes the config file (0600 in a 0700 folder) and returns its path.
    fn write_config(&mut self) -> Result<std::path::PathBuf, String> {
        let dir =
            std::env::temp_dir().join(format!("brandlink-demo-{}", uuid::Uuid::new_v4().simple()));
        crate::fsutil::private_dir(&dir).map_err(|e| e.to_string())?;
        self.dir = Some(dir.clone());
        let path = dir.join("config.toml");
        let text = format!(
            "# brandlink demo --fleet: one profile per sandbox author. The passwords are in the\n# variables password_env names, which only the demo's process holds.\n\n{}",
            self.profiles
        );
        crate::fsutil::write_private(&path, text.as_bytes()).map_err(|e| e.to_string())?;
        Ok(path)
    }

    async fn stop(self) {
        for sb in self.sandboxes {
            sb.shutdown().await;
        }
        if let Some(dir) = self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// `demo --fleet N`: N authors in varied states, a temporary config file with a profile each
/// (passwords through the variables it names), the Fleet screen over them.
async fn demo_fleet(
    n: u8,
    base: SandboxConfig,
    a: &DemoArgs,
    g: &GlobalArgs,
    keys: crate::tui::keymap::Keymap,
) -> ExitCode {
    let mut fleet = match DemoFleet::start(n, &base).await {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    let path = match fleet.write_config() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: the demo's config file: {e}");
            fleet.stop().await;
            return ExitCode::from(1);
        }
    };
    // The demo's authors are its profiles: nothing of the command line names one.
    let one = GlobalArgs {
        config: Some(path),
        read_only: g.read_only,
        timeout: g.timeout,
        ..GlobalArgs::default()
    };
    let select = FleetSelect {
        profiles: vec![],
        all: true,
    };
    let vars = Arc::new(std::mem::take(&mut fleet.vars));
    let authors: Vec<_> = match super::fleet::resolve(&one, &select) {
        Ok(list) => list
            .into_iter()
            .map(|(p, ctx)| fleet_author(p, &ctx.with_own_env(vars.clone()), true))
            .collect(),
        Err(e) => {
            fleet.stop().await;
            return emit(false, Err(e));
        }
    };
    // As an operator would after setting an author up: one Test Connection on each (the
    // doctor's read), so the healthy ones show healthy.
    futures::future::join_all(
        authors
            .iter()
            .map(|a| crate::setup::fleet::read_one(&a.member, true)),
    )
    .await;
    let code = launch_fleet(authors, fleet_options(keys, &a.tui, g.read_only, true)).await;
    let count = fleet.sandboxes.len();
    fleet.stop().await;
    if code == ExitCode::SUCCESS {
        println!(
            "brandlink demo finished; its {} have stopped.",
            crate::words::count(count as u64, "sandbox author", "sandbox authors")
        );
    }
    code
}
