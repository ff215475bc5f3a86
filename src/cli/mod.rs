//! The command line: every screen's non-interactive twin, plus the exporter, the sandbox and
//! the demo. `args` holds the clap definitions, `cmd/` one file per command, `output` the
//! report, error and exit-code conventions.
//!
//! Exit codes: 0 healthy / succeeded, 1 the check or action failed, 2 usage or configuration.

pub mod args;
pub mod cmd;
pub mod context;
pub mod output;
pub mod progress;
pub mod signals;

pub use args::{Cli, Command};
use context::Context;
use output::{CliError, emit};
use std::process::ExitCode;

/// Logs: warnings and up unless `RUST_LOG` says otherwise; never secrets. The terminal UI
/// logs to `$XDG_STATE_HOME/brandlink/brandlink.log.<date>` (rotated daily) so nothing is
/// printed over the screen; the CLI to stderr. `--log-file FILE` appends to FILE as named, for
/// either (never rotated by brandlink: logrotate's `copytruncate` suits it).
fn init_logging(tui: bool, log_file: Option<&std::path::Path>) {
    use tracing_subscriber::fmt::writer::BoxMakeWriter;
    // The TLS verifier logs its own ERROR for every refused certificate; brandlink's error
    // says the same in words (with the fix), so that line is left out unless asked for.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new("warn,rustls_platform_verifier=off,rustls=off")
    });
    // Folders brandlink creates are 0700 (the process umask makes the files 0600); a state
    // folder others can write is refused, and the log goes to stderr's null instead.
    let to_file = |dir: &std::path::Path, name: &str, ours: bool, daily: bool| {
        let ready = if ours {
            crate::fsutil::private_dir(dir).map_err(|e| e.to_string())
        } else {
            let mut b = std::fs::DirBuilder::new();
            b.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
            b.create(dir).map_err(|e| e.to_string())
        };
        match ready {
            Ok(()) if daily => BoxMakeWriter::new(tracing_appender::rolling::daily(dir, name)),
            Ok(()) => BoxMakeWriter::new(tracing_appender::rolling::never(dir, name)),
            Err(e) => {
                eprintln!("warning: not logging to {}: {e}", dir.display());
                BoxMakeWriter::new(std::io::sink)
            }
        }
    };
    let _ = match (tui, log_file) {
        (_, Some(f)) => {
            let dir = f.parent().filter(|d| !d.as_os_str().is_empty());
            let dir = dir.unwrap_or(std::path::Path::new("."));
            let name = f
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "brandlink.log".into());
            tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_ansi(false)
                .with_writer(to_file(dir, &name, false, false))
                .try_init()
        }
        (true, None) => tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_ansi(false)
            .with_writer(to_file(
                &crate::config::state_dir(),
                "brandlink.log",
                true,
                true,
            ))
            .try_init(),
        (false, None) => tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .try_init(),
    };
}

pub fn run(cli: Cli) -> ExitCode {
    // Whatever umask brandlink inherits, what it creates is the operator's alone.
    crate::fsutil::private_umask();
    #[cfg(feature = "sandbox")]
    let demo = matches!(cli.command, Some(Command::Demo(_)));
    #[cfg(not(feature = "sandbox"))]
    let demo = false;
    init_logging(
        cli.command.is_none() || demo,
        cli.global.log_file.as_deref(),
    );
    if cli.print_default_config {
        print!("{}", crate::config::DEFAULT_CONFIG);
        return ExitCode::SUCCESS;
    }
    match &cli.command {
        Some(Command::Completions(a)) => return cmd::docs::completions(a.shell),
        Some(Command::Man(a)) => return cmd::docs::man(a.dir.as_deref()),
        _ => {}
    }
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let json_mode = cli.global.json;
    rt.block_on(async move {
        let resolve = || Context::resolve(&cli.global).map_err(CliError::from);
        match cli.command {
            None => cmd::tui::run(resolve(), &cli.global, &cli.tui).await,
            Some(Command::Exporter(a)) => cmd::exporter::run(a, &cli.global).await,
            Some(Command::Fleet(a)) => emit(json_mode, cmd::fleet::run(a, &cli.global).await),
            #[cfg(feature = "sandbox")]
            Some(Command::Sandbox(a)) => cmd::sandbox::serve(a).await,
            #[cfg(feature = "sandbox")]
            Some(Command::Demo(a)) => cmd::sandbox::demo(a, &cli.global).await,
            Some(command) => {
                let result = match resolve() {
                    Ok(ctx) => cmd::run(&ctx, command).await,
                    Err(e) => Err(e),
                };
                emit(json_mode, result)
            }
        }
    })
}
