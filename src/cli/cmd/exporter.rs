//! `brandlink exporter`: Prometheus metrics of the Brand Portal queues of one or more authors.

use crate::cli::args::ExporterArgs;
use crate::cli::context::{Context, GlobalArgs};
use crate::cli::output::{CliError, emit, usage};
use crate::monitor::exporter::{Exporter, Instance};
use std::process::ExitCode;

pub async fn run(a: ExporterArgs, global: &GlobalArgs) -> ExitCode {
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
            name: name.unwrap_or_else(|| ctx.shown_url()),
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
    let every = std::time::Duration::from_secs(a.interval.max(1));
    match Exporter::start(instances, a.listen, every).await {
        Ok(x) => {
            println!(
                "brandlink exporter: http://{}/metrics ({}, every {} s); Ctrl-C stops",
                x.addr,
                crate::words::count(n as u64, "author", "authors"),
                every.as_secs()
            );
            let _ = tokio::signal::ctrl_c().await;
            ExitCode::SUCCESS
        }
        Err(e) => {
            // The address in use (or not ours) is a failure, not a usage mistake.
            eprintln!("error: cannot listen on {}: {e}", a.listen);
            ExitCode::from(1)
        }
    }
}
