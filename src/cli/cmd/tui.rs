//! `brandlink` with no command: the terminal UI against the configured author, or, when the
//! config file holds several profiles and neither `--profile` nor `--url` picks one, on the
//! Fleet screen over all of them (each built from its profile as `brandlink fleet` builds it).

use crate::cli::args::{FleetSelect, TuiArgs};
use crate::cli::context::{Context, GlobalArgs, poll_interval};
use crate::cli::output::{CliError, emit, usage};
use crate::setup::fleet::Member;
use crate::tui::{FleetAuthor, HeaderInfo, TuiOptions};
use std::process::ExitCode;

/// The TUI needs a terminal on both ends.
pub fn require_terminal(what: &str) -> Result<(), ExitCode> {
    use std::io::IsTerminal;
    let term = std::env::var("TERM").unwrap_or_default();
    if term == "dumb" {
        eprintln!(
            "error: {what} draws a full-screen interface, which TERM=dumb cannot show; use a terminal that can (TERM=xterm-256color, …), or the commands for the same steps: `brandlink status`, `brandlink doctor`, `brandlink queues --watch` (see --help)"
        );
        return Err(ExitCode::from(2));
    }
    if std::io::stdout().is_terminal() && std::io::stdin().is_terminal() {
        Ok(())
    } else {
        eprintln!(
            "error: {what} is interactive and needs a terminal; for scripts use the subcommands (see --help)"
        );
        Err(ExitCode::from(2))
    }
}

/// The key table with the config file's `[keys]` overrides.
pub fn keymap(
    overrides: &std::collections::BTreeMap<String, Vec<String>>,
) -> Result<crate::tui::keymap::Keymap, ExitCode> {
    crate::tui::keymap::Keymap::default()
        .with_overrides(overrides)
        .map_err(|e| usage(&format!("config file: {e}")))
}

/// Runs the TUI and turns its end into an exit code.
pub async fn launch(setup: crate::setup::Setup, opts: TuiOptions) -> ExitCode {
    ended(crate::tui::run(setup, opts).await)
}

/// Runs the TUI on a fleet (the Fleet screen first) and turns its end into an exit code.
pub async fn launch_fleet(authors: Vec<FleetAuthor>, opts: TuiOptions) -> ExitCode {
    ended(crate::tui::run_fleet(authors, opts).await)
}

fn ended(r: std::io::Result<()>) -> ExitCode {
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: terminal: {e}");
            ExitCode::from(1)
        }
    }
}

/// One author of the Fleet screen from its resolved profile: its service built without a
/// prompt (a missing password is its row's state), and what its header shows.
pub fn fleet_author(profile: String, ctx: &Context, sandbox: bool) -> FleetAuthor {
    FleetAuthor {
        header: HeaderInfo {
            url: ctx.shown_url(),
            user: ctx.user.clone(),
            ims_url: ctx.ims_url.clone(),
            sandbox,
            insecure: ctx.insecure,
        },
        sandbox_url: sandbox.then(|| ctx.url.clone()),
        member: Member {
            aem_url: ctx.shown_url(),
            tenant: ctx.tenant.clone(),
            setup: super::fleet::unattended(ctx),
            profile,
        },
    }
}

/// The Fleet screen opens when the config file holds several profiles and neither
/// `--profile` nor `--url` picks one.
fn wants_fleet(g: &GlobalArgs) -> bool {
    g.profile.is_none()
        && g.url.is_none()
        && crate::config::load(g.config.as_deref()).is_ok_and(|(c, _)| c.profiles.len() > 1)
}

/// Every profile of the config file, on the Fleet screen.
async fn run_fleet(g: &GlobalArgs, tui: &TuiArgs) -> ExitCode {
    let overrides = match crate::config::load(g.config.as_deref()) {
        Ok((file, _)) => file.key_overrides(),
        Err(e) => return usage(&e.to_string()),
    };
    let keys = match keymap(&overrides) {
        Ok(k) => k,
        Err(code) => return code,
    };
    let select = FleetSelect {
        profiles: vec![],
        all: true,
    };
    let authors = match super::fleet::resolve(g, &select) {
        Ok(list) => list
            .into_iter()
            .map(|(profile, ctx)| fleet_author(profile, &ctx, false))
            .collect(),
        Err(e) => return emit(false, Err(e)),
    };
    launch_fleet(authors, fleet_options(keys, tui, g.read_only, false)).await
}

/// The TUI's options for a fleet: each author brings its own header, tenant and sandbox.
pub fn fleet_options(
    keymap: crate::tui::keymap::Keymap,
    tui: &TuiArgs,
    read_only: bool,
    sandbox: bool,
) -> TuiOptions {
    TuiOptions {
        header: HeaderInfo {
            sandbox,
            ..HeaderInfo::default()
        },
        keymap,
        sandbox_url: None,
        cert_dir: std::env::current_dir().unwrap_or_default(),
        tenant: None,
        mouse: tui.mouse,
        poll_interval: poll_interval(tui.poll_interval),
        read_only,
        bell: tui.bell,
    }
}

pub async fn run(ctx: Result<Context, CliError>, g: &GlobalArgs, tui: &TuiArgs) -> ExitCode {
    if let Err(code) = require_terminal("brandlink") {
        return code;
    }
    if wants_fleet(g) {
        return run_fleet(g, tui).await;
    }
    let ctx = match ctx {
        Ok(c) => c,
        Err(e) => return usage(&e.to_string()),
    };
    let keys = match keymap(&ctx.key_overrides) {
        Ok(k) => k,
        Err(code) => return code,
    };
    let setup = match ctx.setup() {
        Ok(s) => s,
        Err(e) => return emit(false, Err(CliError::from(e))),
    };
    let opts = TuiOptions {
        header: HeaderInfo {
            url: ctx.url.clone(),
            user: ctx.user.clone(),
            ims_url: ctx.ims_url.clone(),
            sandbox: false,
            insecure: ctx.insecure,
        },
        keymap: keys,
        sandbox_url: None,
        cert_dir: std::env::current_dir().unwrap_or_default(),
        tenant: ctx.tenant.clone(),
        mouse: tui.mouse,
        poll_interval: poll_interval(tui.poll_interval),
        read_only: ctx.read_only,
        bell: tui.bell,
    };
    launch(setup, opts).await
}
