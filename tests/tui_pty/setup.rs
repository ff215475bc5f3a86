//! The setup and the migration by keystrokes, and the config file's keys.

use super::*;

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
    // 4. Test Connection on all four, once the integration read after the cloud step shows
    // them.
    tmux.keys(&["Tab"]);
    tmux.wait_for("4 agents, 4 enabled", 30);
    tmux.keys(&["T"]);
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
    tmux.keys(&["Tab"]);
    tmux.wait_for("4 agents, 4 enabled", 30);
    tmux.keys(&["T"]);
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
    // One key at a time: esc and q read together would be Alt-q.
    tmux.keys(&["Escape"]);
    tmux.wait_until("the help closing", 10, |s| !s.contains("esc closes"));
    tmux.keys(&["q"]);
    let end = tmux.wait_for("EXIT=", 15);
    assert!(end.contains("EXIT=0"), "{end}");
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
