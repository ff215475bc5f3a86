//! What a command hands back, and how it reaches the terminal: text for people, one JSON
//! object for scripts (its shape is the command's report type), and the exit code.

use super::context::ContextError;
use crate::aem::AemError;
use crate::setup::SetupError;
use serde::Serialize;
use serde_json::Value;
use std::process::ExitCode;

pub struct Report {
    pub ok: bool,
    pub text: String,
    pub json: Value,
}

impl Report {
    /// A report whose JSON is `body` (a command's `#[derive(Serialize)]` report type).
    pub fn new(ok: bool, text: String, body: &impl Serialize) -> Report {
        Report {
            ok,
            text,
            json: serde_json::to_value(body).unwrap_or(Value::Null),
        }
    }
    /// Nothing more to print (the command streamed its output).
    pub fn streamed(ok: bool) -> Report {
        Report {
            ok,
            text: String::new(),
            json: Value::Null,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Usage or configuration error: exit code 2.
    #[error("{0}")]
    Usage(String),
    /// The action or check failed: exit code 1.
    #[error("{0}")]
    Failed(String),
}

impl From<ContextError> for CliError {
    fn from(e: ContextError) -> Self {
        match e {
            ContextError::Aem(a) => a.into(),
            other => CliError::Usage(other.to_string()),
        }
    }
}
impl From<AemError> for CliError {
    fn from(e: AemError) -> Self {
        SetupError::from(e).into()
    }
}
impl From<SetupError> for CliError {
    fn from(e: SetupError) -> Self {
        if e.is_usage() {
            CliError::Usage(e.to_string())
        } else {
            CliError::Failed(e.to_string())
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ErrorReport<'a> {
    ok: bool,
    error: &'a str,
    exit_code: u8,
}

/// Writes to stdout. A reader that went away (`brandlink … | head -1`) is not an error of
/// brandlink's: the caller stops quietly.
pub fn out(text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut o = std::io::stdout().lock();
    o.write_all(text.as_bytes())?;
    o.flush()
}

/// Whether an output error means the reader has gone (broken pipe).
pub fn reader_gone(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::BrokenPipe
}

/// Prints a command's outcome and turns it into the exit code.
pub fn emit(json_mode: bool, result: Result<Report, CliError>) -> ExitCode {
    match result {
        Ok(r) => {
            let written = if json_mode {
                if r.json.is_null() {
                    Ok(())
                } else {
                    out(&format!(
                        "{}\n",
                        serde_json::to_string_pretty(&r.json).unwrap_or_default()
                    ))
                }
            } else {
                out(&r.text)
            };
            if let Err(e) = written
                && !reader_gone(&e)
            {
                eprintln!("error: cannot write the output: {e}");
                return ExitCode::from(1);
            }
            ExitCode::from(if r.ok { 0 } else { 1 })
        }
        Err(e) => {
            let code = match e {
                CliError::Usage(_) => 2,
                CliError::Failed(_) => 1,
            };
            if json_mode {
                let msg = e.to_string();
                let body = ErrorReport {
                    ok: false,
                    error: &msg,
                    exit_code: code,
                };
                let _ = out(&format!(
                    "{}\n",
                    serde_json::to_string(&body).unwrap_or_default()
                ));
            }
            eprintln!("error: {e}");
            ExitCode::from(code)
        }
    }
}

/// An argument clap refused: with `--json` anywhere on the command line the same JSON error
/// object as every other failure (exit code 2); help and version print as usual.
pub fn argument_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    let wants_json = std::env::args().any(|a| a == "--json");
    if !wants_json || matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        e.exit();
    }
    let text = e.render().to_string();
    let first = text
        .lines()
        .next()
        .unwrap_or("invalid arguments")
        .trim_start_matches("error: ")
        .to_string();
    let body = ErrorReport {
        ok: false,
        error: &first,
        exit_code: 2,
    };
    let _ = out(&format!(
        "{}\n",
        serde_json::to_string(&body).unwrap_or_default()
    ));
    eprint!("{text}");
    ExitCode::from(2)
}

/// A usage error outside `emit` (exit code 2).
pub fn usage(msg: &str) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::from(2)
}

/// Asks for a typed word on the terminal unless `yes`; without a terminal, `--yes` is needed.
pub fn confirm(yes: bool, word: &str, what: &str) -> Result<(), CliError> {
    use std::io::IsTerminal;
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(CliError::Usage(format!(
            "{what}: pass --yes to go ahead without a prompt"
        )));
    }
    eprint!("{what}. Type '{word}' to go ahead: ");
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| CliError::Usage(e.to_string()))?;
    if line.trim() == word {
        Ok(())
    } else {
        Err(CliError::Usage("not confirmed; nothing was changed".into()))
    }
}

/// `--read-only` stops every command that writes to AEM.
/// Under --read-only only a dry run of a change may go ahead.
pub fn refuse_change_if_read_only(
    read_only: bool,
    dry_run: bool,
    what: &str,
) -> Result<(), CliError> {
    if read_only && !dry_run {
        return Err(CliError::Usage(format!(
            "--read-only: {what}; only --dry-run is allowed"
        )));
    }
    Ok(())
}

pub fn refuse_if_read_only(read_only: bool, what: &str) -> Result<(), CliError> {
    if read_only {
        return Err(CliError::Usage(format!(
            "--read-only: {what} and was not run"
        )));
    }
    Ok(())
}
