//! Drives the real binary in a terminal (tmux on a private socket): `brandlink demo`, the
//! whole first-time setup by keystrokes alone, then checks the sandbox's state; `demo --fleet`
//! and its Fleet screen.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test may stop at what it did not expect

mod doctor;
mod fleet;
mod setup;
mod terminal;

use std::process::Command;
use std::time::{Duration, Instant};

struct Tmux {
    socket: String,
}

impl Tmux {
    fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
    fn keys(&self, keys: &[&str]) {
        for k in keys {
            self.run(&["send-keys", "-t", "demo", k]);
        }
    }
    fn text(&self, s: &str) {
        self.run(&["send-keys", "-t", "demo", "-l", s]);
    }
    fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "demo"])
    }
    /// Waits until the screen satisfies `ok` (what it waits for is named in the failure).
    fn wait_until(&self, what: &str, secs: u64, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let s = self.screen();
            if ok(&s) {
                return s;
            }
            if Instant::now() > deadline {
                panic!("{what} did not happen; screen:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    /// The screen once it shows `needle`; a deadline, never a fixed sleep. On a busy machine
    /// (two cores, builds beside) anything may take a while: never less than a minute.
    fn wait_for(&self, needle: &str, secs: u64) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs.max(60));
        loop {
            let s = self.screen();
            if s.contains(needle) {
                return s;
            }
            if Instant::now() > deadline {
                panic!("«{needle}» did not appear; screen:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Tmux {
    /// A private tmux server running `brandlink <args>` in a fresh folder, a shell line after it.
    fn demo(name: &str, width: u16, height: u16, args: &str) -> (Tmux, tempfile::TempDir) {
        Tmux::demo_env(name, width, height, "", args)
    }

    /// As `demo`, with extra `VAR=value` words for the environment.
    fn demo_env(
        name: &str,
        width: u16,
        height: u16,
        env: &str,
        args: &str,
    ) -> (Tmux, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let tmux = Tmux {
            socket: format!("{name}-{}", std::process::id()),
        };
        // State (backups, checks) stays in the test's folder.
        let cmd = format!(
            "env XDG_STATE_HOME={} {env} {} {args}",
            dir.path().display(),
            env!("CARGO_BIN_EXE_brandlink")
        );
        let (w, h) = (width.to_string(), height.to_string());
        tmux.run(&[
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            "demo",
            "-x",
            &w,
            "-y",
            &h,
            "-c",
            dir.path().to_str().unwrap(),
            &cmd,
        ]);
        (tmux, dir)
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}

/// tmux, curl and pgrep drive these tests; CI installs them, elsewhere the tests say SKIPPED.
fn have_tools() -> bool {
    let missing: Vec<&str> = ["tmux", "curl", "pgrep"]
        .into_iter()
        .filter(|t| {
            !Command::new("sh")
                .args(["-c", &format!("command -v {t}")])
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .collect();
    if missing.is_empty() {
        return true;
    }
    eprintln!("SKIPPED: {missing:?} not installed");
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must install {missing:?}"
    );
    false
}

/// A GET with curl, keeping an async runtime out of this test.
fn curl_json(url: &str) -> serde_json::Value {
    let out = Command::new("curl")
        .args(["-fsS", url])
        .output()
        .expect("curl runs");
    serde_json::from_slice(&out.stdout).expect("JSON state")
}
