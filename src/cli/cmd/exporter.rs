//! `brandlink exporter`: Prometheus metrics of the Brand Portal queues of one or more authors:
//! `/metrics` for the watched ones, `/probe?target=PROFILE` for any profile of the config file.

use crate::cli::args::ExporterArgs;
use crate::cli::context::{Context, GlobalArgs, SharedHttp};
use crate::cli::output::{CliError, emit, usage};
use crate::monitor::exporter::{Exporter, IDLE_PER_AUTHOR, Instance, Options, Target};
use std::collections::BTreeMap;
use std::process::ExitCode;

pub async fn run(a: ExporterArgs, global: &GlobalArgs) -> ExitCode {
    // Authors with the same TLS settings share one HTTP client (pool, TLS roots), which keeps
    // only the connections a poll cycle reuses.
    let shared = SharedHttp::keeping_idle(IDLE_PER_AUTHOR);
    let names: Vec<Option<String>> = if a.probe_only {
        vec![]
    } else if a.profiles.is_empty() {
        vec![global.profile.clone()]
    } else {
        a.profiles.iter().cloned().map(Some).collect()
    };
    let mut watched = Vec::new();
    for name in names {
        let mut g = global.clone();
        g.profile = name.clone();
        let ctx = match Context::resolve(&g) {
            Ok(c) => c,
            Err(e) => return usage(&e.to_string()),
        };
        let reader = match ctx.shared_reader(&shared, true) {
            Ok(c) => c,
            Err(e) => return emit(false, Err(CliError::from(e))),
        };
        watched.push(Instance {
            name: name.unwrap_or_else(|| ctx.shown_url()),
            reader,
            tenant: ctx.tenant.clone(),
        });
    }
    let targets = match probe_targets(global, &watched, &shared) {
        Ok(t) => t,
        Err(e) => return usage(&e),
    };
    if !a.listen.ip().is_loopback() {
        eprintln!(
            "note: /metrics and /probe are reachable from other machines at {} (they hold no secrets)",
            a.listen
        );
    }
    let n = watched.len();
    let probed = targets.len();
    let opts = Options {
        listen: a.listen,
        interval: std::time::Duration::from_secs(a.interval.max(1)),
        max_probes: usize::try_from(a.max_probes).unwrap_or(16),
    };
    match Exporter::start_with(watched, targets, opts).await {
        Ok(x) => {
            println!(
                "brandlink exporter: http://{0}/metrics ({1}, every {2} s), http://{0}/probe?target=PROFILE ({3}); Ctrl-C stops",
                x.addr,
                crate::words::count(n as u64, "author", "authors"),
                opts.interval.as_secs(),
                crate::words::count(probed as u64, "profile", "profiles"),
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

/// Every profile of the config file (and every watched author) as a probe target. A watched
/// author keeps its one reader, so its credential gate is the same for both; a profile whose
/// password is not in its variable stays a target that answers `brandlink_probe_success 0`.
fn probe_targets(
    global: &GlobalArgs,
    watched: &[Instance],
    shared: &SharedHttp,
) -> Result<Vec<Target>, String> {
    let mut targets: BTreeMap<String, Target> = watched
        .iter()
        .map(|i| (i.name.clone(), Target::from(i.clone())))
        .collect();
    let (cfg, _) = crate::config::load(global.config.as_deref()).map_err(|e| e.to_string())?;
    for name in cfg.profiles.keys() {
        if targets.contains_key(name) {
            continue;
        }
        // The profile's own author: options naming one author (--url, --user, …) are not
        // applied to every profile.
        let g = GlobalArgs {
            profile: Some(name.clone()),
            config: global.config.clone(),
            timeout: global.timeout,
            ..GlobalArgs::default()
        };
        let instance = Context::resolve(&g)
            .map_err(|e| e.to_string())
            .and_then(|ctx| {
                let reader = ctx
                    .shared_reader(shared, false)
                    .map_err(|e| e.to_string())?;
                Ok(Instance {
                    name: name.clone(),
                    reader,
                    tenant: ctx.tenant.clone(),
                })
            });
        if let Err(e) = &instance {
            eprintln!("note: /probe?target={name} will fail: {e}");
        }
        targets.insert(
            name.clone(),
            Target {
                name: name.clone(),
                instance,
            },
        );
    }
    Ok(targets.into_values().collect())
}
