//! Drives the real binary in a terminal (tmux on a private socket): `brandlink demo`, the
//! whole first-time setup by keystrokes alone, then checks the sandbox's state.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test may stop at what it did not expect

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

#[test]
fn first_time_setup_by_keystrokes_in_a_real_terminal() {
    if !have_tools() {
        return;
    }
    // The documented JWT procedure, on an author from before OAuth Server-to-Server.
    let (tmux, dir) = Tmux::demo(
        "brandlink-test",
        120,
        40,
        "demo --product-version 6.5.17.0; echo EXIT=$?; sleep 60",
    );
    // 1. Certificate: alias and validity as given, a keystore password, create.
    tmux.wait_for("Create new certificate", 30);
    tmux.keys(&["Down", "Down", "Enter"]);
    tmux.text("changeit");
    tmux.keys(&["Enter", "Enter"]);
    tmux.wait_for("SHA-1 fingerprint", 30);
    assert!(dir.path().join("AEM-Adobe-IMS.crt").exists());
    // 2. The emulated Console fills the account form and leaves the focus on Create; Check
    // Health.
    tmux.keys(&["Tab", "f"]);
    tmux.wait_for("Console credentials filled in", 30);
    tmux.keys(&["Enter"]);
    tmux.wait_for(
        "Brand Portal IMS configuration (Adobe allows one for Brand Portal)",
        30,
    );
    tmux.keys(&["c"]);
    tmux.wait_for("Token retrieved successfully", 30);
    // 3. Cloud service (the demo fills in the tenant URL).
    tmux.keys(&["Tab", "Down", "Down", "Down", "Enter"]);
    tmux.wait_for("AEM created 4 agents", 60);
    // 4. Test Connection on all four.
    tmux.keys(&["Tab", "T"]);
    let screen = tmux.wait_for("Test Connection succeeded", 30);
    assert_eq!(
        screen
            .lines()
            .filter(|l| l.contains("✓ yes") && l.contains("✓ now"))
            .count(),
        4,
        "{screen}"
    );
    // The step is read again once the four tests are in.
    let screen = tmux.wait_for("4 ✓ Replication", 30);
    // The sandbox agrees: one IMS configuration, one cloud configuration, four enabled agents.
    let url = screen
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:"))
        .expect("the header shows the sandbox URL")
        .to_string();
    let state: serde_json::Value = curl_json(&format!("{url}/sandbox/control/state"));
    assert_eq!(state["imsConfigs"].as_array().unwrap().len(), 1, "{state}");
    assert_eq!(state["cloudConfigs"].as_array().unwrap().len(), 1);
    let agents: Vec<_> = state["agents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| {
            a["transportUri"]
                .as_str()
                .unwrap_or("")
                .starts_with("https://wknd.brand-portal.adobe.com/")
        })
        .collect();
    assert_eq!(agents.len(), 4);
    assert!(agents.iter().all(|a| a["enabled"] == true));
    // Quit: the terminal is given back and the process ends cleanly.
    tmux.keys(&["q"]);
    let end = tmux.wait_for("EXIT=", 15);
    assert!(end.contains("EXIT=0"), "{end}");
    assert!(end.contains("brandlink demo finished"), "{end}");
}

/// Keys sent to the demo, counted.
struct Counted<'a> {
    tmux: &'a Tmux,
    pressed: usize,
}

impl Counted<'_> {
    fn press(&mut self, keys: &[&str]) {
        self.tmux.keys(keys);
        self.pressed += keys.len();
    }
}

#[test]
fn the_demo_setup_takes_at_most_ten_keys() {
    if !have_tools() {
        return;
    }
    // The smallest terminal brandlink draws in, on a 6.5.21 author (OAuth, no certificate).
    let (tmux, _dir) = Tmux::demo("brandlink-fewkeys", 80, 24, "demo; echo EXIT=$?; sleep 60");
    let screen = tmux.wait_for("Create the IMS technical account configuration", 60);
    assert!(
        screen.contains("┌ Account"),
        "it opens on the step to do: {screen}"
    );
    let mut k = Counted {
        tmux: &tmux,
        pressed: 0,
    };
    // Account: the sandbox's Console fills the form and leaves the focus on Create.
    k.press(&["f"]);
    tmux.wait_for("Console credentials filled in", 60);
    k.press(&["Enter"]);
    tmux.wait_for("2 ✓ Account", 60);
    // Cloud Service: the tenant's URL is filled in; Create is the fourth item.
    k.press(&["3", "Down", "Down", "Down", "Enter"]);
    tmux.wait_for("3 ✓ Cloud Service", 120);
    // Replication: Test Connection on the four agents; the step passes once the log says so.
    k.press(&["4", "T"]);
    let screen = tmux.wait_for("4 ✓ Replication", 120);
    assert!(screen.contains("Done: 4 agents, 4 enabled"), "{screen}");
    assert!(k.pressed <= 10, "{} keys", k.pressed);
    tmux.keys(&["q"]);
    let end = tmux.wait_for("EXIT=", 30);
    assert!(end.contains("EXIT=0"), "{end}");
}

#[test]
fn the_screen_shows_stale_data_and_recovers_by_itself() {
    if !have_tools() {
        return;
    }
    let (tmux, _dir) = Tmux::demo(
        "brandlink-fault",
        120,
        40,
        "demo --scenario configured; echo EXIT=$?; sleep 60",
    );
    let screen = tmux.wait_for("● connected", 30);
    let url = screen
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:"))
        .unwrap()
        .to_string();
    // Configured, never tested: step 4 is not green until Test Connection has run.
    tmux.keys(&["4"]);
    tmux.wait_for("run Test Connection", 15);
    tmux.keys(&["T"]);
    tmux.wait_for("4 ✓ Replication", 30);
    tmux.wait_for("polling every", 15);
    // AEM goes away: the queues turn stale, a re-read says unreachable and keeps the last data.
    let fault = Command::new("curl")
        .args([
            "-fsS",
            "-X",
            "POST",
            "-d",
            r#"{"unavailable": true}"#,
            &format!("{url}/sandbox/control/faults"),
        ])
        .output()
        .unwrap();
    assert!(fault.status.success());
    tmux.wait_for("stale", 30);
    tmux.keys(&["r"]);
    let s = tmux.wait_for("unreachable, showing data from", 30);
    assert!(s.contains("mp_replication"), "{s}");
    // AEM is back: no key pressed, the screen recovers.
    let clear = Command::new("curl")
        .args([
            "-fsS",
            "-X",
            "DELETE",
            &format!("{url}/sandbox/control/faults"),
        ])
        .output()
        .unwrap();
    assert!(clear.status.success());
    tmux.wait_for("● connected", 60);
    let deadline = Instant::now() + Duration::from_secs(60);
    while tmux.screen().contains("stale") {
        assert!(Instant::now() < deadline, "still stale:\n{}", tmux.screen());
        std::thread::sleep(Duration::from_millis(200));
    }
    tmux.keys(&["q"]);
    assert!(tmux.wait_for("EXIT=", 15).contains("EXIT=0"));
}

#[test]
fn sigterm_restores_the_terminal() {
    if !have_tools() {
        return;
    }
    let bin = env!("CARGO_BIN_EXE_brandlink");
    let seed = format!("{}", 90_000 + std::process::id() % 10_000);
    let (tmux, _dir) = Tmux::demo(
        "brandlink-term",
        100,
        30,
        &format!(
            "demo --seed {seed}; echo EXIT=$?; if stty -a | grep -q -- '-icanon'; then echo RAW; else echo COOKED; fi; echo CHECKED; sleep 60"
        ),
    );
    tmux.wait_for("Create the IMS technical account configuration", 30);
    let pid = Command::new("pgrep")
        .args(["-f", &format!("^{bin} demo --seed {seed}")])
        .output()
        .unwrap();
    let pid = String::from_utf8_lossy(&pid.stdout)
        .lines()
        .next()
        .expect("the demo runs")
        .trim()
        .to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let end = tmux.wait_for("CHECKED", 15);
    assert!(end.contains("EXIT=0"), "{end}");
    assert!(end.contains("COOKED"), "raw mode was switched off: {end}");
    assert!(
        !end.contains("Create new certificate"),
        "the alternate screen was left: {end}"
    );
}

#[test]
fn oauth_first_time_setup_by_keys() {
    if !have_tools() {
        return;
    }
    // The 2026 path on a 6.5.21 author: no certificate, OAuth Server-to-Server.
    let (tmux, _dir) = Tmux::demo("brandlink-oauth", 120, 40, "demo; echo EXIT=$?; sleep 60");
    let screen = tmux.wait_for("Create the IMS technical account configuration", 30);
    assert!(screen.contains("‹ OAuth Server-to-Server ›"), "{screen}");
    assert!(screen.contains("1 ✓ Certificate"), "{screen}");
    tmux.keys(&["f"]);
    tmux.wait_for("Console credentials filled in: client id", 30);
    tmux.keys(&["Enter"]);
    tmux.wait_for("IMS configuration created", 30);
    tmux.keys(&["Tab", "Down", "Down", "Down", "Enter"]);
    tmux.wait_for("AEM created 4 agents", 60);
    tmux.keys(&["Tab", "T"]);
    tmux.wait_for("Test Connection succeeded", 30);
    // Check Health without the secret here: AEM's own token decides.
    tmux.keys(&["2", "c"]);
    let screen = tmux.wait_for("Token retrieved successfully by AEM", 30);
    assert!(screen.contains("2 ✓ Account"), "{screen}");
    tmux.keys(&["q"]);
    let end = tmux.wait_for("EXIT=", 15);
    assert!(end.contains("EXIT=0"), "{end}");
}

#[test]
fn a_retired_jwt_integration_is_migrated_by_keys() {
    if !have_tools() {
        return;
    }
    let (tmux, dir) = Tmux::demo(
        "brandlink-migrate",
        120,
        40,
        "demo --scenario jwt-retired --lived-in; echo EXIT=$?; sleep 60",
    );
    let screen = tmux.wait_for("● connected", 30);
    let url = screen
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:"))
        .expect("the header shows the sandbox URL")
        .to_string();
    let before: serde_json::Value = curl_json(&format!("{url}/sandbox/control/state"));
    tmux.keys(&["2"]);
    tmux.wait_for("press m to migrate", 30);
    tmux.keys(&["m"]);
    // The sandbox's Console fills the OAuth values in.
    tmux.wait_for("@AdobeOrg", 30);
    tmux.keys(&["Enter"]);
    tmux.wait_for("Type migrate", 30);
    tmux.text("migrate");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("Test Connection 4/4 ok", 60);
    assert!(screen.contains("OAuth Server-to-Server"), "{screen}");
    // The same PID, now OAuth; the queues drain; the other integrations are still there.
    let after: serde_json::Value = curl_json(&format!("{url}/sandbox/control/state"));
    assert_eq!(
        before["imsConfigs"], after["imsConfigs"],
        "same PIDs, none added"
    );
    tmux.keys(&["4"]);
    tmux.wait_for("total pending 0", 30);
    assert!(
        std::fs::read_dir(dir.path().join("brandlink").join("backups"))
            .unwrap()
            .flatten()
            .any(|d| d.file_name().to_string_lossy().contains("-migrate-")),
        "the backup is in the state folder"
    );
    tmux.keys(&["q"]);
    let end = tmux.wait_for("EXIT=", 15);
    assert!(end.contains("EXIT=0"), "{end}");
}

#[test]
fn logs_never_reach_the_screen() {
    if !have_tools() {
        return;
    }
    // Trace logging of every crate, and actions that log and carry secrets (the Console's
    // client secret, IMS tokens): the screen stays clean, the log goes to the state folder,
    // and no secret is in it.
    let (tmux, dir) = Tmux::demo_env(
        "brandlink-logs",
        100,
        30,
        "RUST_LOG=trace",
        "demo; echo EXIT=$?; sleep 60",
    );
    tmux.wait_for("● connected", 30);
    tmux.keys(&["f"]);
    tmux.wait_for("Console credentials filled in", 30);
    tmux.keys(&["Enter"]);
    tmux.wait_for("IMS configuration created", 30);
    let log_text = || -> String {
        std::fs::read_dir(dir.path().join("brandlink"))
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with("brandlink.log"))
            .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
            .collect()
    };
    let reads = |t: &str| {
        t.lines()
            .filter(|l| l.contains("AEM answered") && l.contains("bundles.json"))
            .count()
    };
    let before = reads(&log_text());
    tmux.keys(&["r"]);
    // The re-read has logged its requests (at trace level, every crate) by now.
    let deadline = Instant::now() + Duration::from_secs(60);
    while reads(&log_text()) <= before {
        assert!(Instant::now() < deadline, "r read nothing again");
        std::thread::sleep(Duration::from_millis(100));
    }
    let screen = tmux.screen();
    for noise in ["DEBUG", " WARN ", "brandlink::", "hyper"] {
        assert!(!screen.contains(noise), "«{noise}» on screen:\n{screen}");
    }
    let text = log_text();
    assert!(!text.is_empty(), "a log file in the state folder");
    assert!(text.contains("TRACE"), "the trace lines went to the file");
    // The sandbox's client secrets start with p8e-, tokens and JWTs with eyJ.
    assert!(!text.contains("p8e-"), "a client secret in the log");
    assert!(!text.contains("eyJ"), "a token in the log");
    tmux.keys(&["q"]);
    tmux.wait_for("EXIT=0", 15);
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

#[test]
fn the_demo_honours_the_config_files_keys() {
    if !have_tools() {
        return;
    }
    let cfg = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(cfg.path().join("brandlink")).unwrap();
    std::fs::write(
        cfg.path().join("brandlink/config.toml"),
        "[keys]\nhelp = \"f2\"\n",
    )
    .unwrap();
    let (tmux, _dir) = Tmux::demo_env(
        "brandlink-keys",
        100,
        30,
        &format!("XDG_CONFIG_HOME={}", cfg.path().display()),
        "demo; echo EXIT=$?; sleep 60",
    );
    let screen = tmux.wait_for("Certificate", 30);
    assert!(
        screen.contains("F2 help"),
        "the hint bar names the new key: {screen}"
    );
    tmux.keys(&["F2"]);
    tmux.wait_for("esc closes", 10);
    tmux.keys(&["Escape", "q"]);
    let end = tmux.wait_for("EXIT=", 15);
    assert!(end.contains("EXIT=0"), "{end}");
}

#[test]
fn the_terminal_is_restored_after_a_panic_and_after_an_error() {
    if !have_tools() {
        return;
    }
    for (fault, code, says) in [
        (
            "panic",
            "EXIT=101",
            "test fault: a panic inside the terminal UI",
        ),
        ("error", "EXIT=1", "test fault: a terminal error"),
    ] {
        let (tmux, _dir) = Tmux::demo_env(
            &format!("brandlink-{fault}"),
            100,
            30,
            &format!("BRANDLINK_TEST_FAULT={fault} RUST_BACKTRACE=0"),
            "demo; echo EXIT=$?; if stty -a | grep -q -- '-icanon'; then echo RAW; else echo COOKED; fi; echo CHECKED; sleep 60",
        );
        let end = tmux.wait_for("CHECKED", 30);
        assert!(end.contains(code), "{fault}: {end}");
        assert!(end.contains("COOKED"), "{fault}: raw mode left on: {end}");
        assert!(end.contains(says), "{fault}: the cause is printed: {end}");
        let alt = tmux.run(&["display", "-p", "-t", "demo", "#{alternate_on}"]);
        assert_eq!(alt.trim(), "0", "{fault}: the alternate screen was left");
        let cursor = tmux.run(&["display", "-p", "-t", "demo", "#{cursor_flag}"]);
        assert_eq!(cursor.trim(), "1", "{fault}: the cursor is visible again");
    }
}

#[test]
fn the_doctor_opens_from_any_tab_and_applies_a_fix() {
    if !have_tools() {
        return;
    }
    let (tmux, _dir) = Tmux::demo(
        "brandlink-doctor",
        100,
        44,
        "demo --scenario configured --mishap paused_queue; echo EXIT=$?; sleep 60",
    );
    tmux.wait_for("● connected", 30);
    tmux.keys(&["2", "D"]);
    let screen = tmux.wait_for("Doctor — ", 30);
    assert!(screen.contains("! queues.paused"), "{screen}");
    assert!(
        screen.contains("✓ agents.close-connection"),
        "without timeouts Close Connection is not asked of brandlink's own setup: {screen}"
    );
    assert!(
        screen.contains("⏎ fix…"),
        "the hint bar says what ⏎ does: {screen}"
    );
    // The paused queue: ⏎ resumes it. One j at a time, each waited for (the detail under the
    // list changes), so a slow machine never skips past it.
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut shown = tmux.screen();
    while !shown.contains("resume it when") {
        assert!(Instant::now() < deadline, "never selected:\n{shown}");
        tmux.keys(&["j"]);
        let moved = Instant::now() + Duration::from_secs(10);
        loop {
            let now = tmux.screen();
            if now != shown || Instant::now() > moved {
                shown = now;
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    tmux.keys(&["Enter"]);
    tmux.wait_for("✓ queues.paused", 30);
    tmux.keys(&["Escape"]);
    // The overlay closed and the resume has finished: the tab's hint bar offers quitting.
    tmux.wait_for("resume done", 30);
    tmux.wait_for("q quit", 30);
    tmux.keys(&["q"]);
    let end = tmux.wait_for("EXIT=", 15);
    assert!(end.contains("EXIT=0"), "{end}");
}
