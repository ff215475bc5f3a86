//! One verdict, every front. For each broken state the doctor knows (and a healthy lived-in
//! author), under both log dialects, `status`, `doctor`, `queues`, the exporter and the
//! Replication tab agree: the exit code, the blocked queues, their cause and the command that
//! fixes it, whether AEM obtains its token; a destructive command is advised only where the
//! rulebook has positive evidence for it. And a retired JWT end to end: diagnosed, migrated,
//! healthy, with no certificate left to expire.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test may stop at what it did not expect

mod common;
#[path = "agreement/fronts.rs"]
mod fronts;

use brandlink::sandbox::{LogDialect, SandboxConfig, Scenario};
use brandlink::verdict::diagnosis::destructive;
use common::{Cli, Env};
use fronts::{Fronts, agent_ids, blocked_now, dump};
use serde_json::{Value, json};

/// One state of the author, and what the rulebook says about it.
struct Case {
    name: &'static str,
    scenario: Scenario,
    lived_in: bool,
    /// A mishap applied after the start.
    mishap: Option<&'static str>,
    /// Faults switched on after the start.
    fault: Option<&'static str>,
    /// Assets published then.
    publish: usize,
    /// Queues that block.
    blocked: usize,
    /// The exit code of `status` and `doctor`.
    exit: i32,
    /// AEM cannot obtain its token: the Account step fails and the exporter says 0.
    token_refused: bool,
    /// The doctor's `ims.token` line (it runs a Test Connection).
    token_check: &'static str,
    /// The command advised for the cause (its start), when there is one to run.
    command: Option<&'static str>,
    /// The rulebook has positive evidence for a destructive command.
    destructive: bool,
}

const BASE: Case = Case {
    name: "",
    scenario: Scenario::Configured,
    lived_in: false,
    mishap: None,
    fault: None,
    publish: 0,
    blocked: 0,
    exit: 1,
    token_refused: false,
    token_check: "ok",
    command: None,
    destructive: false,
};

const CASES: &[Case] = &[
    Case {
        name: "jwt-retired",
        scenario: Scenario::JwtRetired,
        lived_in: true,
        blocked: 4,
        token_refused: true,
        token_check: "fail",
        command: Some("brandlink account migrate"),
        ..BASE
    },
    Case {
        name: "wrong_secret",
        mishap: Some("wrong_secret"),
        publish: 8,
        blocked: 4,
        token_refused: true,
        token_check: "fail",
        command: Some("brandlink account update --secret"),
        ..BASE
    },
    Case {
        name: "mac_stale_keystore",
        mishap: Some("mac_stale_keystore"),
        publish: 8,
        blocked: 4,
        token_check: "fail",
        command: Some("brandlink upgrade"),
        destructive: true,
        ..BASE
    },
    Case {
        name: "missing_mac_user",
        mishap: Some("missing_mac_user"),
        publish: 8,
        blocked: 4,
        token_check: "fail",
        command: Some("brandlink upgrade"),
        destructive: true,
        ..BASE
    },
    Case {
        name: "tenant_outage",
        fault: Some(r#"{"tenant_outage": true}"#),
        publish: 8,
        blocked: 4,
        token_check: "warn",
        ..BASE
    },
    Case {
        name: "disabled_agent",
        mishap: Some("disabled_agent"),
        ..BASE
    },
    Case {
        name: "paused_queue",
        mishap: Some("paused_queue"),
        exit: 0,
        ..BASE
    },
    Case {
        name: "stuck_items",
        mishap: Some("stuck_items"),
        blocked: 1,
        // The doctor's Test Connection passes: nothing since says why the queue still waits.
        command: Some("brandlink agents --test"),
        ..BASE
    },
    // A bundle replication needs is not Active: the bundle is the cause everywhere (no
    // command: installing a bundle is the operator's), whatever the logs say.
    Case {
        name: "bundle_installed",
        mishap: Some("bundle_installed"),
        publish: 8,
        blocked: 4,
        token_check: "warn",
        ..BASE
    },
    Case {
        name: "bundle_resolved",
        mishap: Some("bundle_resolved"),
        publish: 8,
        blocked: 4,
        token_check: "warn",
        ..BASE
    },
    Case {
        name: "healthy-lived-in",
        lived_in: true,
        exit: 0,
        ..BASE
    },
];

fn case(name: &str) -> &'static Case {
    CASES
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no case {name}"))
}

async fn mishap(e: &Env, name: &str) {
    let r = e
        .http
        .post(e.url("/sandbox/control/mishaps"))
        .json(&json!({ "mishap": name }))
        .send()
        .await
        .expect("control");
    assert_eq!(r.status(), 200, "mishap {name}");
}

/// Starts the case's author in `dialect`, waits for its queues to block, reads every front
/// and checks that they agree. The author and the CLI stay for what comes next.
async fn run(c: &Case, dialect: LogDialect) -> (Env, Cli) {
    let e = common::start_with(SandboxConfig {
        lived_in: c.lived_in,
        log_dialect: dialect,
        ..common::config(c.scenario)
    })
    .await;
    if let Some(m) = c.mishap {
        mishap(&e, m).await;
    }
    if let Some(f) = c.fault {
        e.set_faults(serde_json::from_str(f).expect("fault JSON"))
            .await;
    }
    if c.publish > 0 {
        let r = e
            .post("/sandbox/publish")
            .form(&[("count", c.publish.to_string())])
            .send()
            .await
            .expect("publish");
        assert!(r.status().is_success(), "publish: {}", r.status());
    }
    let ids = agent_ids(&e).await;
    common::eventually(20, "the queues block", || async {
        (blocked_now(&e, &ids).await == c.blocked).then_some(())
    })
    .await;
    let cli = Cli::new(&e);
    let f = fronts::gather(&e, &cli).await;
    agree(c, &format!("{} ({dialect:?})", c.name), &f);
    (e, cli)
}

/// Every front says the same of the case.
fn agree(c: &Case, at: &str, f: &Fronts) {
    let views = f.views();
    let all = dump(&views);
    assert_eq!(
        (f.status_code, f.doctor_code),
        (c.exit, c.exit),
        "{at}: status and doctor exit codes\n{all}\nstatus: {:#}\ndoctor: {:#}",
        f.status["steps"],
        f.doctor["findings"]
    );
    if f.queues_code != 0 {
        assert_eq!(
            f.doctor_code, 1,
            "{at}: queues fails where the doctor passes"
        );
    }
    for v in &views {
        assert_eq!(v.blocked, c.blocked, "{at}: {} blocked\n{all}", v.name);
    }
    let doctor = &views[0];
    if c.blocked > 0 {
        assert!(
            doctor.cause.is_some(),
            "{at}: the doctor names a cause\n{all}"
        );
        for v in &views[1..4] {
            assert_eq!(v.cause, doctor.cause, "{at}: {}'s cause\n{all}", v.name);
            assert_eq!(
                v.cause_command, doctor.cause_command,
                "{at}: {}'s command\n{all}",
                v.name
            );
        }
        assert_eq!(
            doctor
                .cause_command
                .as_deref()
                .map(|x| x.starts_with(c.command.unwrap_or("-"))),
            c.command.map(|_| true),
            "{at}: the command for the blocked queues\n{all}"
        );
    }
    if let Some(cmd) = c.command {
        assert!(
            doctor.commands.iter().any(|x| x.starts_with(cmd)),
            "{at}: the doctor advises {cmd}\n{all}"
        );
    }
    for v in &views {
        for cmd in v.commands.iter().filter(|x| destructive(x)) {
            assert!(c.destructive, "{at}: {} advises {cmd}\n{all}", v.name);
        }
    }
    if c.destructive {
        assert!(
            doctor.commands.iter().any(|x| destructive(x)),
            "{at}: the positive evidence is acted on\n{all}"
        );
    }
    token(c, at, f);
    let jwt = f.finding("jwt.certificate")["status"] != "skip";
    let days = f.series("brandlink_certificate_expiry_timestamp_seconds");
    assert_eq!(
        !days.is_empty(),
        jwt,
        "{at}: a certificate series only with JWT"
    );
}

/// Whether AEM obtains its token: the doctor, the Account step and the exporter agree.
fn token(c: &Case, at: &str, f: &Fronts) {
    let check = f.finding("ims.token");
    let account = f.step("account");
    let gauge = f.series("brandlink_ims_token_ok");
    assert_eq!(check["status"], c.token_check, "{at}: ims.token {check:#}");
    let failing = account["status"]["state"] == "failing";
    assert_eq!(failing, c.token_refused, "{at}: Account step {account:#}");
    assert_eq!(
        gauge.first() == Some(&0.0),
        c.token_refused,
        "{at}: brandlink_ims_token_ok {gauge:?}"
    );
    if c.token_refused {
        let cmd = check["command"].as_str().expect("a command");
        let reason = account["status"]["reason"].as_str().unwrap_or("");
        assert!(
            reason.contains(&format!("(run: {cmd})")),
            "{at}: the Account step advises {cmd}: {reason}"
        );
    }
}

/// Both dialects at once.
async fn both(name: &str) {
    let c = case(name);
    tokio::join!(run(c, LogDialect::Classic), run(c, LogDialect::Terse));
}

macro_rules! agreement {
    ($($test:ident => $name:literal),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $test() {
            both($name).await;
        }
    )*};
}

agreement! {
    a_wrong_secret => "wrong_secret",
    a_stale_mac_keystore => "mac_stale_keystore",
    a_missing_mac_user => "missing_mac_user",
    a_tenant_outage => "tenant_outage",
    a_disabled_agent => "disabled_agent",
    a_paused_queue => "paused_queue",
    stuck_items => "stuck_items",
    a_bundle_left_installed => "bundle_installed",
    a_bundle_left_resolved => "bundle_resolved",
    a_healthy_lived_in_author => "healthy-lived-in",
}

/// A retired JWT on a lived-in author, in both dialects: every front says migrate (never
/// upgrade); after `account migrate` status and doctor pass and no certificate is left to
/// expire anywhere.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retired_jwt_is_migrated_and_every_front_agrees() {
    let c = case("jwt-retired");
    tokio::join!(
        retired_jwt(c, LogDialect::Classic),
        retired_jwt(c, LogDialect::Terse)
    );
}

async fn retired_jwt(c: &Case, dialect: LogDialect) {
    let at = format!("migrated ({dialect:?})");
    let (e, cli) = run(c, dialect).await;
    let list = e.json("/sandbox/console/projects").await;
    let id = list["projects"]
        .as_array()
        .expect("projects")
        .iter()
        .find(|p| p["credential"].as_str().unwrap_or("").contains("converted"))
        .and_then(|p| p["clientId"].as_str())
        .expect("the converted credential")
        .to_string();
    let cred: Value = e.json(&format!("/sandbox/console/projects/{id}")).await;
    let bdir = tempfile::tempdir().expect("tempdir");
    let text = |v: &Value| v.as_str().unwrap_or("").to_string();
    let (code, v) = cli
        .json(
            &[
                "account",
                "migrate",
                "--scopes",
                &text(&cred["scopes"]),
                "--org-id",
                &text(&cred["orgId"]),
                "--backup-dir",
                bdir.path().to_str().unwrap_or(""),
                "--yes",
            ],
            &[("BRANDLINK_CLIENT_SECRET", &text(&cred["clientSecret"]))],
        )
        .await;
    assert_eq!(code, 0, "{at}: {v}");
    let ids = agent_ids(&e).await;
    common::eventually(30, "the queues drain", || async {
        (blocked_now(&e, &ids).await == 0).then_some(())
    })
    .await;
    let f = fronts::gather(&e, &cli).await;
    let views = f.views();
    let all = dump(&views);
    assert_eq!(
        (f.status_code, f.doctor_code, f.queues_code),
        (0, 0, 0),
        "{at}\n{all}\nstatus: {:#}\ndoctor: {:#}",
        f.status["steps"],
        f.doctor["findings"]
    );
    // The one delete offered is the key pair nothing signs with any more (positive evidence:
    // no JWT configuration names it), in the Certificate step that status and doctor show.
    let unused_key = "brandlink cert delete --alias brandportal";
    for v in &views {
        assert_eq!(v.blocked, 0, "{at}: {} blocked", v.name);
        assert!(
            !v.commands.iter().any(|x| destructive(x) && x != unused_key),
            "{at}: {} advises {:?}",
            v.name,
            v.commands
        );
    }
    let cert = f.step("certificate");
    assert_eq!(cert["status"]["state"], "done", "{at}: {cert:#}");
    let detail = cert["detail"].as_str().unwrap_or("");
    assert!(
        detail.contains("not needed") && detail.contains(unused_key),
        "{at}: {cert:#}"
    );
    assert_eq!(f.finding("jwt.certificate")["status"], "skip", "{at}");
    assert!(
        f.series("brandlink_certificate_expiry_timestamp_seconds")
            .is_empty(),
        "{at}: no certificate to expire"
    );
    assert_eq!(f.series("brandlink_ims_token_ok"), vec![1.0], "{at}");
    assert_eq!(f.step("account")["status"]["state"], "done", "{at}");
}
