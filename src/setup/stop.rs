//! Stopping a change between whole steps. A front end holds a [`Stop`] (the CLI sets it on
//! Ctrl-C or SIGTERM, the TUI on Esc); the workflows look at it only between steps that leave
//! the author consistent (a provider and its client secret are one step, never split), and
//! when it is set they end with [`Interrupted`]: what was done, what was not, and the command
//! that undoes or completes the change.

use super::error::SetupError;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// A request to stop after the step in progress, shared between a front end and a workflow.
#[derive(Clone, Debug, Default)]
pub struct Stop(Arc<AtomicBool>);

impl Stop {
    pub fn new() -> Self {
        Stop::default()
    }
    /// Asks the running change to stop after its current step.
    pub fn request(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
    pub fn requested(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
    /// The flag itself, for the upgrade's journal (which looks at it between deletes).
    pub fn flag(&self) -> &AtomicBool {
        &self.0
    }
    /// Between two steps: `Err(Interrupted)` (built by `at`) when a stop was asked for.
    pub fn check(&self, at: impl FnOnce() -> Interrupted) -> Result<(), SetupError> {
        if self.requested() {
            return Err(SetupError::Interrupted(Box::new(at())));
        }
        Ok(())
    }
}

/// A change stopped between two steps, as asked.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Interrupted {
    /// `account migrate`, `account update`, …
    pub operation: String,
    pub done: Vec<String>,
    pub not_done: Vec<String>,
    pub backup_dir: Option<PathBuf>,
    /// The commands that undo the change (`brandlink restore --from …`) or complete it.
    pub next: Vec<String>,
}

impl Interrupted {
    pub fn new(operation: &str) -> Self {
        Interrupted {
            operation: operation.to_string(),
            ..Default::default()
        }
    }
    pub fn done(mut self, what: impl Into<String>) -> Self {
        self.done.push(what.into());
        self
    }
    pub fn not_done(mut self, what: impl Into<String>) -> Self {
        self.not_done.push(what.into());
        self
    }
    pub fn next(mut self, command: impl Into<String>) -> Self {
        self.next.push(command.into());
        self
    }
    /// The backup, with `brandlink restore --from DIR` as the way back.
    pub fn backup(mut self, dir: &Path) -> Self {
        self.done.push(format!("backed up to {}", dir.display()));
        self.next.push(restore_command(dir));
        self.backup_dir = Some(dir.to_path_buf());
        self
    }
}

/// The command that puts a backup back.
pub fn restore_command(dir: &Path) -> String {
    format!("to undo it: brandlink restore --from {}", dir.display())
}

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} was interrupted: the step in progress was finished and nothing more was written",
            self.operation
        )?;
        if self.done.is_empty() {
            write!(f, "\n  done: nothing; AEM is unchanged")?;
        }
        for d in &self.done {
            write!(f, "\n  done: {d}")?;
        }
        for n in &self.not_done {
            write!(f, "\n  not done: {n}")?;
        }
        for c in &self.next {
            write!(f, "\n  {c}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stop_is_seen_only_when_asked() {
        let s = Stop::new();
        assert!(s.check(|| Interrupted::new("x")).is_ok());
        s.clone().request();
        let e = s
            .check(|| {
                Interrupted::new("account migrate")
                    .backup(Path::new("/b/1"))
                    .done("the provider and its customizer changed")
                    .not_done("Test Connection")
            })
            .unwrap_err()
            .to_string();
        assert!(e.contains("brandlink restore --from /b/1"), "{e}");
        assert!(e.contains("not done: Test Connection"), "{e}");
    }
}
