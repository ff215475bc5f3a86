//! The doctor overlay: a fix applied from it, and the support bundle it writes.

use super::*;

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

/// `w` on the doctor overlay writes the support bundle to the folder the demo runs in and shows
/// its path: a private file, a .tar.gz whose manifest names its format.
#[test]
fn w_on_the_doctor_overlay_writes_the_support_bundle() {
    if !have_tools() {
        return;
    }
    let (tmux, dir) = Tmux::demo(
        "brandlink-bundle",
        110,
        44,
        "demo --scenario configured; echo EXIT=$?; sleep 60",
    );
    tmux.wait_for("● connected", 30);
    tmux.keys(&["D"]);
    tmux.wait_for("Doctor — ", 30);
    tmux.keys(&["w"]);
    const SAID: &str = "support bundle written to ";
    let screen = tmux.wait_for(SAID, 60);
    let shown = screen
        .lines()
        .find_map(|l| l.split(SAID).nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no path after «{SAID}»:\n{screen}"));
    assert!(
        shown.starts_with("brandlink-support-") && shown.ends_with(".tar.gz"),
        "{shown}"
    );
    let path = dir.path().join(shown);
    assert!(path.is_file(), "{} on disk", path.display());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", path.display());
    }
    let files = brandlink::setup::bundle::archive::read(&path).expect("a .tar.gz");
    let manifest: serde_json::Value =
        serde_json::from_slice(files.get("manifest.json").expect("a manifest")).unwrap();
    assert_eq!(
        manifest["format"], "brandlink-support-bundle/1",
        "{manifest}"
    );
    for f in manifest["files"].as_array().unwrap() {
        let name = f["name"].as_str().unwrap();
        assert!(
            files.contains_key(name) || name == "status.json",
            "{name} listed and absent"
        );
    }
    tmux.keys(&["Escape"]);
    tmux.wait_for("q quit", 30);
    tmux.keys(&["q"]);
    let end = tmux.wait_for("EXIT=", 15);
    assert!(end.contains("EXIT=0"), "{end}");
}
