//! The terminal: stale data and recovery, restored after SIGTERM, a panic and an error; no log on the screen.

use super::*;

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
