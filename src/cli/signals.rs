//! Ctrl-C and SIGTERM while a change is written: the change stops after the step in progress
//! (never between a provider and its secret, nor half-way through one delete) and reports what
//! was done, what was not, and the command that undoes or completes it; its history line says
//! `interrupted`. Installed only once a change is confirmed: a prompt or a read still stops at
//! once.

use crate::setup::Stop;
use tokio::task::JoinHandle;

/// Turns Ctrl-C and SIGTERM into a [`Stop`] request while it lives.
pub struct Guard {
    stop: Stop,
    task: JoinHandle<()>,
}

impl Guard {
    /// The stop the setup service looks at (see [`crate::setup::Setup::with_stop`]).
    pub fn stop(&self) -> Stop {
        self.stop.clone()
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts listening (the handlers are in place when this returns).
pub fn guard() -> Guard {
    let stop = Stop::new();
    let flag = stop.clone();
    #[cfg(unix)]
    let task = {
        use tokio::signal::unix::{SignalKind, signal};
        let int = signal(SignalKind::interrupt());
        let term = signal(SignalKind::terminate());
        tokio::spawn(async move {
            let (Ok(mut int), Ok(mut term)) = (int, term) else {
                let _ = tokio::signal::ctrl_c().await;
                asked(&flag);
                return;
            };
            loop {
                tokio::select! {
                    _ = int.recv() => {}
                    _ = term.recv() => {}
                }
                asked(&flag);
            }
        })
    };
    #[cfg(not(unix))]
    let task = tokio::spawn(async move {
        while tokio::signal::ctrl_c().await.is_ok() {
            asked(&flag);
        }
    });
    Guard { stop, task }
}

fn asked(stop: &Stop) {
    if stop.requested() {
        eprintln!("still finishing the step in progress; it stops right after it…");
    } else {
        eprintln!("stopping after the step in progress (a step is never left half-done)…");
    }
    stop.request();
}
