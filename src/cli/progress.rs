//! What a command shows while it waits: a spinner with what it waits for and the time spent,
//! on stderr when stderr is a terminal; nothing at all when it is piped or redirected, so
//! scripts and `--json` readers see only the result.

use std::future::Future;
use std::io::IsTerminal;
use std::time::Duration;

/// Runs `work`, with a spinner saying `what` meanwhile (when stderr is a terminal).
pub async fn while_waiting<F: Future>(what: &str, work: F) -> F::Output {
    let bar = spinner(what, std::io::stderr().is_terminal());
    let out = work.await;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    out
}

fn spinner(what: &str, terminal: bool) -> Option<indicatif::ProgressBar> {
    if !terminal {
        return None;
    }
    let bar = indicatif::ProgressBar::new_spinner();
    if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
        bar.set_style(style);
    }
    bar.set_message(what.to_string());
    bar.enable_steady_tick(Duration::from_millis(120));
    Some(bar)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_spinner_without_a_terminal() {
        assert!(spinner("waiting", false).is_none());
    }

    #[tokio::test]
    async fn the_work_is_done_and_its_result_returned() {
        assert_eq!(while_waiting("adding", async { 1 + 1 }).await, 2);
    }
}
