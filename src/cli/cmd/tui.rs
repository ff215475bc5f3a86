//! `brandlink` with no command: the terminal UI against the configured author.

use crate::cli::args::TuiArgs;
use crate::cli::context::{Context, poll_interval};
use crate::cli::output::{CliError, emit, usage};
use crate::tui::{HeaderInfo, TuiOptions};
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
    match crate::tui::run(setup, opts).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: terminal: {e}");
            ExitCode::from(1)
        }
    }
}

pub async fn run(ctx: Result<Context, CliError>, tui: &TuiArgs) -> ExitCode {
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
