//! Which options each command takes, where the logs go, and a terminal that cannot draw.

use super::{cmd, common, run};

#[tokio::test]
async fn the_sandbox_and_the_demo_offer_only_their_own_options() {
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_brandlink"))
            .args(args)
            .env("XDG_CONFIG_HOME", "/nonexistent-brandlink-test")
            .output()
            .unwrap()
    };
    let author = [
        "--url",
        "--user",
        "--password-env",
        "--ims-url",
        "--ca-cert",
        "--insecure",
        "--tls-pin",
        "--profile",
        "--timeout",
    ];
    for cmd in ["sandbox", "demo"] {
        let help = String::from_utf8_lossy(&run(&[cmd, "--help"]).stdout).into_owned();
        assert!(
            help.contains("--scenario") && help.contains("--log-file"),
            "{help}"
        );
        for flag in author {
            assert!(!help.contains(flag), "`{cmd} --help` offers {flag}");
        }
        // Given anyway, before or after the command: a usage error that names it.
        for args in [
            vec![cmd, "--url", "http://aem.example:4502"],
            vec!["--url", "http://aem.example:4502", cmd],
        ] {
            let out = run(&args);
            assert_eq!(out.status.code(), Some(2), "{args:?}");
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(err.contains("--url does not apply"), "{args:?}: {err}");
        }
    }
    let help = String::from_utf8_lossy(&run(&["sandbox", "--help"]).stdout).into_owned();
    assert!(
        !help.contains("--read-only") && !help.contains("--config"),
        "{help}"
    );
    let out = run(&["sandbox", "--read-only"]);
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test]
async fn log_file_writes_the_file_named() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("brandlink.log");
    let port = common::closed_port();
    let url = format!("http://127.0.0.1:{}", port.port);
    for _ in 0..2 {
        let mut c = cmd();
        c.env("RUST_LOG", "debug").args([
            "--url",
            &url,
            "--log-file",
            log.to_str().unwrap(),
            "status",
        ]);
        let out = run(c).await;
        assert_eq!(out.status.code(), Some(1));
    }
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        vec!["brandlink.log".to_string()],
        "exactly the file named"
    );
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(!text.is_empty(), "something was logged");
}

#[tokio::test]
async fn a_dumb_terminal_gets_the_commands_instead_of_the_screen() {
    for args in [vec![], vec!["demo"]] {
        let mut c = cmd();
        c.env("TERM", "dumb").args(&args);
        let out = run(c).await;
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("TERM=dumb") && err.contains("brandlink status"),
            "{args:?}: {err}"
        );
    }
}
