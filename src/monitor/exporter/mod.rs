//! A Prometheus exporter: polls the Brand Portal agents of the watched authors and serves
//! `/metrics` in the OpenMetrics text format, and reads any author of the config file when
//! Prometheus asks `/probe?target=<profile>` (the multi-target pattern), so an existing
//! Prometheus and Grafana watch a fleet instead of many terminals.
//!
//! `metrics` holds the families and how a read becomes series, `watch` the task per watched
//! author, `probe` the multi-target reads, `serve` the HTTP server.

mod metrics;
mod probe;
mod serve;
mod watch;

use crate::aem::Reader;
pub use metrics::{AgentLabels, InstanceLabels, Metrics, Served};
pub use probe::{
    DEFAULT_PROBE_TIMEOUT, MAX_PROBE_TIMEOUT, MAX_PROBES, MIN_PROBE_TIMEOUT, PROBE_MARGIN,
    ProbeError, Probes, probe_timeout,
};
pub use serve::{
    CONNECTION_LIFETIME, HEADER_TIMEOUT, MAX_CONNECTIONS, QUEUE_WAIT, SCRAPE_TIMEOUT_HEADER,
    accept_pause,
};
pub use watch::{CREDENTIAL_RETRY, SLOW_EVERY, SLOW_READS_AT_ONCE};

use prometheus_client::registry::Registry;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;

/// Agents of one author polled at once (each its queue and its JMX depth together): an
/// exporter reads many authors, so it keeps few connections to each rather than answering
/// fast, and [`IDLE_PER_AUTHOR`] of them are enough to reuse.
pub const AGENTS_AT_ONCE: usize = 1;
/// Idle connections the exporter keeps per author (its HTTP clients are built with
/// [`crate::aem::HttpClients::keeping_idle`]): what a poll cycle uses, so polls reuse them.
pub const IDLE_PER_AUTHOR: usize = 2;

/// One author to watch, through a handle that can only read.
#[derive(Clone, Debug)]
pub struct Instance {
    pub name: String,
    pub reader: Reader,
    /// The tenant URL; None = from the author's cloud configuration.
    pub tenant: Option<String>,
}

/// An author `/probe?target=<name>` may read, or why it cannot be read (a profile without its
/// password, say): such a probe answers `brandlink_probe_success 0`.
#[derive(Clone, Debug)]
pub struct Target {
    pub name: String,
    pub instance: Result<Instance, String>,
}

impl From<Instance> for Target {
    fn from(i: Instance) -> Target {
        Target {
            name: i.name.clone(),
            instance: Ok(i),
        }
    }
}

/// How the exporter runs.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    pub listen: SocketAddr,
    /// Between two poll cycles of a watched author.
    pub interval: Duration,
    /// Probes running at once.
    pub max_probes: usize,
}

/// A running exporter; dropping it stops the server and the pollers.
pub struct Exporter {
    pub addr: SocketAddr,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for Exporter {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl Exporter {
    /// Watches `instances` (each also a probe target) every `interval`.
    pub async fn start(
        instances: Vec<Instance>,
        listen: SocketAddr,
        interval: Duration,
    ) -> std::io::Result<Exporter> {
        let targets = instances.iter().cloned().map(Target::from).collect();
        let opts = Options {
            listen,
            interval,
            max_probes: MAX_PROBES,
        };
        Self::start_with(instances, targets, opts).await
    }

    /// Watches `watched` for `/metrics` and answers `/probe?target=` for `targets`.
    pub async fn start_with(
        watched: Vec<Instance>,
        targets: Vec<Target>,
        opts: Options,
    ) -> std::io::Result<Exporter> {
        let metrics = Metrics::default();
        let mut registry = Registry::default();
        metrics.register(&mut registry, Served::Watched);
        let pages = Arc::new(serve::Pages {
            registry,
            probes: Probes::new(targets, opts.max_probes),
        });
        let listener = tokio::net::TcpListener::bind(opts.listen).await?;
        let addr = listener.local_addr()?;
        let slow_reads = Arc::new(tokio::sync::Semaphore::new(SLOW_READS_AT_ONCE));
        let n = watched.len().max(1) as f64;
        let mut tasks: Vec<JoinHandle<()>> = watched
            .into_iter()
            .enumerate()
            .map(|(i, inst)| {
                // Spread over the interval, so a fleet's reads do not all fall at once.
                let offset = opts.interval.mul_f64(i as f64 / n);
                tokio::spawn(watch::watch(
                    inst,
                    metrics.clone(),
                    opts.interval,
                    offset,
                    slow_reads.clone(),
                ))
            })
            .collect();
        tasks.push(tokio::spawn(serve::serve(listener, pages)));
        Ok(Exporter { addr, tasks })
    }
}
