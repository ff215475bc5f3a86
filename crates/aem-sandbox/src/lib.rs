//! An emulator of an AEM 6.5 author, Adobe IMS and a Brand Portal tenant on one loopback
//! HTTP server, so tools that talk to AEM run and are tested with no AEM at hand.
//!
//! The author answers as AEM does over HTTP: Sling GET/POST on a JCR-like repository, users
//! and keystores, configMgr, the replication agents (pages, queue servlet, JMX, logs) and the
//! Brand Portal cloud configuration; IMS issues tokens for JWT and OAuth Server-to-Server
//! credentials; the tenant checks the bearer token of each delivery. Scenarios, [`Faults`] and
//! [`Mishap`]s put it in the states a real author gets into.
//!
//! ```no_run
//! # async fn demo() -> Result<(), aem_sandbox::SandboxError> {
//! use aem_sandbox::{Sandbox, SandboxConfig, Scenario};
//! let sb = Sandbox::start_local(SandboxConfig {
//!     scenario: Scenario::Configured,
//!     ..SandboxConfig::default()
//! })
//! .await?;
//! println!("author and IMS at {}, tenant {}", sb.url(), sb.tenant_url());
//! sb.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! It depends on nothing of the tools it tests: brandlink (`brandlink sandbox`, `brandlink
//! demo` and its test suite) uses it only over HTTP.

pub mod brandportal;
pub mod configmgr;
pub mod console;
pub mod delivery;
pub mod errorlog;
pub mod faults;
pub mod felix;
pub mod http;
pub mod ims;
pub mod logs;
pub mod mishaps;
pub mod replay;
pub mod replication;
pub mod repo;
pub mod scenario;
pub mod security;
pub mod server;
pub mod sling;
pub mod slinglog;
pub mod state;
pub mod tenant;
pub mod x509;

pub use faults::Faults;
pub use logs::LogDialect;
pub use mishaps::Mishap;
pub use replay::Recorded;
pub use state::{SandboxConfig, Scenario, World};

use hyper_util::rt::{TokioExecutor, TokioIo};
use server::{Shared, lock};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio::task::JoinHandle;

const ENGINE_TICK: Duration = Duration::from_millis(50);
/// While every queue is empty: new work arrives by request, which the next tick picks up.
const ENGINE_IDLE_TICK: Duration = Duration::from_millis(250);

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(
        "refusing to listen on {0}: the sandbox accepts the well-known admin password, so it binds loopback only; pass --allow-remote to expose it anyway"
    )]
    NotLoopback(SocketAddr),
    #[error("could not build the {scenario:?} scenario: {reason}")]
    Scenario { scenario: Scenario, reason: String },
}

/// A replay starts as the recorded author: its version and tenant.
fn replay_settings(mut cfg: SandboxConfig) -> SandboxConfig {
    if let Some(r) = &cfg.recorded {
        if let Some(v) = &r.product_version {
            cfg.product_version = v.clone();
        }
        cfg.ims_hotfix = r.ims_hotfix;
        if let Some(t) = r.tenant_id() {
            cfg.tenant = t;
        }
        cfg.log_dialect = LogDialect::Classic;
    }
    cfg
}

/// A running sandbox. Dropping it stops the server.
pub struct Sandbox {
    addr: SocketAddr,
    world: Shared,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Sandbox {
    /// Starts on `listen` (port 0 picks a free port). Non-loopback addresses need
    /// `allow_remote`.
    pub async fn start(
        cfg: SandboxConfig,
        listen: SocketAddr,
        allow_remote: bool,
    ) -> Result<Sandbox, SandboxError> {
        if !listen.ip().is_loopback() && !allow_remote {
            return Err(SandboxError::NotLoopback(listen));
        }
        let scenario = cfg.scenario;
        let cfg = replay_settings(cfg);
        let mut world = World::new(cfg);
        scenario::build(&mut world)
            .map_err(|reason| SandboxError::Scenario { scenario, reason })?;
        let world: Shared = Arc::new(Mutex::new(world));
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|source| SandboxError::Bind {
                addr: listen,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| SandboxError::Bind {
            addr: listen,
            source,
        })?;
        let (stop, stop_rx) = watch::channel(false);
        let accept = tokio::spawn(accept_loop(listener, world.clone(), stop_rx.clone()));
        let engine = tokio::spawn(engine_loop(world.clone(), stop_rx));
        Ok(Sandbox {
            addr,
            world,
            stop,
            tasks: vec![accept, engine],
        })
    }

    /// Starts on an ephemeral loopback port.
    pub async fn start_local(cfg: SandboxConfig) -> Result<Sandbox, SandboxError> {
        Self::start(cfg, SocketAddr::from(([127, 0, 0, 1], 0)), false).await
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>`: the author, and with `--ims-url` also IMS.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Direct access to the emulated world, for tests and the demo.
    pub fn world(&self) -> Shared {
        self.world.clone()
    }

    /// Replaces the fault settings.
    pub fn set_faults(&self, faults: Faults) {
        let mut w = lock(&self.world);
        w.faults = faults;
        w.authenticated = 0;
        w.writes = 0;
        w.bump();
    }

    /// Switches how the author words its logs from now on (lines already written stay).
    pub fn set_log_dialect(&self, dialect: LogDialect) {
        lock(&self.world).dialect = dialect;
    }

    pub fn log_dialect(&self) -> LogDialect {
        lock(&self.world).dialect
    }

    pub fn tenant_url(&self) -> String {
        lock(&self.world).tenant.url.clone()
    }

    pub fn admin_password(&self) -> String {
        lock(&self.world).cfg.admin_password.clone()
    }

    /// Stops accepting connections and the delivery engine.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        for t in self.tasks.drain(..) {
            let _ = t.await;
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        for t in &self.tasks {
            t.abort();
        }
    }
}

async fn accept_loop(
    listener: tokio::net::TcpListener,
    world: Shared,
    mut stop: watch::Receiver<bool>,
) {
    let mut conns = tokio::task::JoinSet::new();
    let mut failures = 0u32;
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => {
                        failures = 0;
                        stream
                    }
                    Err(_) => {
                        // Out of file descriptors (EMFILE) and the like: the error repeats at
                        // once, so wait instead of spinning; open connections may close.
                        failures = failures.saturating_add(1);
                        tokio::time::sleep(accept_pause(failures)).await;
                        continue;
                    }
                };
                let world = world.clone();
                let mut stop = stop.clone();
                conns.spawn(async move {
                    let svc = hyper::service::service_fn(move |req| server::serve(world.clone(), req));
                    let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
                    let conn = builder.serve_connection(TokioIo::new(stream), svc);
                    tokio::pin!(conn);
                    tokio::select! {
                        _ = conn.as_mut() => {}
                        _ = stop.changed() => {}
                    }
                });
            }
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    conns.abort_all();
}

/// The wait after `failures` failed accepts in a row: 10 ms doubling up to 1 s.
pub fn accept_pause(failures: u32) -> std::time::Duration {
    std::time::Duration::from_millis(10u64 << failures.min(7))
        .min(std::time::Duration::from_secs(1))
}

async fn engine_loop(world: Shared, mut stop: watch::Receiver<bool>) {
    let mut last = Instant::now();
    let mut wait = ENGINE_TICK;
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            _ = tokio::time::sleep(wait) => {
                let now = Instant::now();
                let dt = now.duration_since(last).as_secs_f64();
                last = now;
                let mut w = lock(&world);
                if !w.pending.is_empty() {
                    brandportal::run_pending(&mut w);
                }
                delivery::tick(&mut w, dt);
                // Nothing queued and nothing due: look again less often.
                let idle = w.pending.is_empty() && w.agents.values().all(|r| r.queue.is_empty());
                wait = if idle { ENGINE_IDLE_TICK } else { ENGINE_TICK };
            }
        }
    }
}

/// What `brandlink sandbox` prints on start.
pub fn banner(sb: &Sandbox) -> String {
    let w = lock(&sb.world);
    let url = sb.url();
    format!(
        "brandlink sandbox — AEM 6.5 author, Adobe IMS and Brand Portal emulator\n\
         scenario      {:?}{}\n\
         author        {url}   (user admin, password from the sandbox: '{}')\n\
         IMS           {url}   (use --ims-url {url})\n\
         tenant        {}\n\
         console       {url}/sandbox/console/projects   (sandbox only: the Developer Console step)\n\
         publish       {url}/sandbox/publish             (sandbox only: Publish to Brand Portal)\n\
         faults        {url}/sandbox/control/faults\n\
         Press Ctrl-C to stop.",
        w.cfg.scenario,
        if w.cfg.lived_in {
            " (lived-in: Smart Tags and Adobe Stock already set up)"
        } else {
            ""
        },
        w.cfg.admin_password,
        w.tenant.url
    )
}

/// Runs in the foreground until Ctrl-C.
pub async fn run_foreground(
    cfg: SandboxConfig,
    listen: SocketAddr,
    allow_remote: bool,
) -> Result<(), SandboxError> {
    let sb = Sandbox::start(cfg, listen, allow_remote).await?;
    if !listen.ip().is_loopback() {
        eprintln!("warning: the sandbox listens on {listen}, reachable from other machines");
    }
    println!("{}", banner(&sb));
    let _ = tokio::signal::ctrl_c().await;
    println!("stopping the sandbox");
    sb.shutdown().await;
    Ok(())
}
