//! `brandlink fleet status|doctor|migrate` over HTTP against several sandboxes in different
//! states, named by the profiles of one config file (each with its own password variable): a
//! row per author, unreachable and refused authors as rows, the checks only a fleet shows, exit
//! codes; the migration's dry run, its stop at the first failure, `--keep-going`, resumption,
//! and a backup restored.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test may stop at what it did not expect

mod common;

use brandlink::sandbox::{SandboxConfig, Scenario};
use common::{Cli, Env};
use serde_json::Value;

/// A sandbox with its own tenant and admin password.
async fn author(scenario: Scenario, tenant: &str, password: &str, version: &str) -> Env {
    common::start_with(SandboxConfig {
        tenant: tenant.into(),
        admin_password: password.into(),
        product_version: version.into(),
        ..common::config(scenario)
    })
    .await
}

/// `[profiles.NAME]` for an author at `url` whose password is in `password_env`.
fn profile(name: &str, url: &str, password_env: &str, extra: &str) -> String {
    format!(
        "[profiles.{name}]\nurl = \"{url}\"\nims_url = \"{url}\"\nuser = \"admin\"\npassword_env = \"{password_env}\"\ntimeout_secs = 10\n{extra}\n"
    )
}

fn write_config(cli: &Cli, text: &str) {
    let dir = cli.xdg.path().join("brandlink");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("config.toml"), text).unwrap();
}

/// Runs the real binary with the config file in the private folder (no `--url`: each author
/// is its profile), `--json`; the output joins the transcript.
async fn run(cli: &Cli, args: &[&str], env: &[(&str, &str)]) -> (i32, Value) {
    let mut c = assert_cmd::Command::cargo_bin("brandlink").expect("binary");
    c.args(args)
        .arg("--json")
        .env("XDG_CONFIG_HOME", cli.xdg.path())
        .env("XDG_STATE_HOME", cli.xdg.path())
        .env("RUST_LOG", "trace")
        .env_remove("AEM_PASSWORD")
        .env_remove("BRANDLINK_CLIENT_SECRET");
    for (k, v) in env {
        c.env(k, v);
    }
    let out = tokio::task::spawn_blocking(move || c.output().expect("runs"))
        .await
        .expect("joins");
    {
        let mut t = cli.transcript.lock().unwrap();
        t.push_str(&String::from_utf8_lossy(&out.stdout));
        t.push_str(&String::from_utf8_lossy(&out.stderr));
    }
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!(
            "{args:?}: not JSON\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), v)
}

fn by_profile<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["authors"]
        .as_array()
        .expect("authors")
        .iter()
        .find(|a| a["profile"] == name)
        .unwrap_or_else(|| panic!("no author {name} in {v}"))
}

fn finding<'a>(v: &'a Value, id: &str) -> &'a Value {
    v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["id"] == id)
        .unwrap_or_else(|| panic!("no finding {id} in {}", v["findings"]))
}

const PASSWORDS: [(&str, &str); 4] = [
    ("PW_ALPHA", "alpha-Pw-1"),
    ("PW_BETA", "beta-Pw-2"),
    ("PW_SHARED_ONE", "shared-Pw-3"),
    ("PW_SHARED_TWO", "shared-Pw-4"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fleet_is_read_author_by_author_with_what_only_a_fleet_shows() {
    let alpha = author(Scenario::Configured, "alpha", PASSWORDS[0].1, "6.5.21.0").await;
    let beta = author(Scenario::JwtRetired, "beta", PASSWORDS[1].1, "6.5.21.0").await;
    let one = author(Scenario::Configured, "shared", PASSWORDS[2].1, "6.5.21.0").await;
    let two = author(Scenario::Configured, "shared", PASSWORDS[3].1, "6.5.17.0").await;
    let closed = common::closed_port();
    let gone = format!("http://127.0.0.1:{}", closed.port);
    let cli = Cli::new(&alpha);
    write_config(
        &cli,
        &[
            profile("alpha", &alpha.base, "PW_ALPHA", ""),
            profile("beta", &beta.base, "PW_BETA", ""),
            profile("shared-one", &one.base, "PW_SHARED_ONE", ""),
            profile("shared-two", &two.base, "PW_SHARED_TWO", ""),
            profile("gone", &gone, "PW_ALPHA", ""),
            // The same author as shared-one, with the wrong password.
            profile("wrong-password", &one.base, "PW_WRONG", ""),
        ]
        .concat(),
    );
    let mut env: Vec<(&str, &str)> = PASSWORDS.to_vec();
    env.push(("PW_WRONG", "not-the-password"));

    // The doctor on every author (with Test Connection): a row each, never a stop.
    let (code, v) = run(&cli, &["fleet", "doctor", "--all"], &env).await;
    assert_eq!(code, 1, "{v}");
    doctor_rows(&v);
    fleet_findings(&v);
    same_verdict_as_one_author(&cli, &env).await;
    status_rows_and_usage(&cli, &env).await;

    let transcript = cli.transcript.lock().unwrap().clone();
    for (_, pw) in PASSWORDS {
        assert!(!transcript.contains(pw), "a password leaked");
    }
    assert!(!transcript.contains("not-the-password"));
}

/// A row per author, with the keys of `doctor --json`; the unread ones say why.
fn doctor_rows(v: &Value) {
    assert_eq!(v["ok"], false);
    assert_eq!(v["authors"].as_array().unwrap().len(), 6);
    let a = by_profile(v, "alpha");
    for key in [
        "ok",
        "aemUrl",
        "tenantUrl",
        "readAt",
        "tested",
        "counts",
        "findings",
        "steps",
        "row",
    ] {
        assert!(a.get(key).is_some(), "{key} missing in {a}");
    }
    assert_eq!(a["ok"], true, "{a}");
    assert_eq!(a["row"]["aemVersion"], "6.5.21.0");
    assert_eq!(a["row"]["credential"], "jwt");
    assert_eq!(a["row"]["state"], "working", "{}", a["row"]);
    let b = by_profile(v, "beta");
    assert_eq!(b["ok"], false);
    assert!(
        b["row"]["firstFailure"]
            .as_str()
            .unwrap()
            .starts_with("ims.token"),
        "{}",
        b["row"]
    );
    let g = by_profile(v, "gone");
    assert_eq!(g["row"]["state"], "unreachable", "{g}");
    assert!(g["error"].as_str().unwrap().contains("cannot reach"), "{g}");
    assert_eq!(g["findings"][0]["id"], "aem");
    let w = by_profile(v, "wrong-password");
    assert_eq!(w["row"]["state"], "credentials refused", "{w}");
    let s = &v["summary"];
    assert_eq!(
        (&s["authors"], &s["unread"], &s["jwt"]),
        (&Value::from(6), &Value::from(2), &Value::from(4)),
        "{s}"
    );
}

/// What only a fleet sees: one tenant on two authors, one author twice, JWT counted, the
/// author that cannot use OAuth.
fn fleet_findings(v: &Value) {
    let t = finding(v, "fleet.tenants");
    assert_eq!(t["status"], "fail", "{t}");
    let text = t["finding"].as_str().unwrap();
    assert!(
        text.contains("https://shared.brand-portal.adobe.com")
            && text.contains("shared-one")
            && text.contains("shared-two"),
        "{text}"
    );
    let d = finding(v, "fleet.authors");
    assert_eq!(d["status"], "warn");
    assert!(
        d["finding"]
            .as_str()
            .unwrap()
            .contains("shared-one, wrong-password"),
        "{d}"
    );
    let j = finding(v, "fleet.jwt");
    assert_eq!(j["status"], "warn");
    assert!(
        j["finding"]
            .as_str()
            .unwrap()
            .starts_with("4 of 4 authors still on JWT"),
        "{j}"
    );
    let o = finding(v, "fleet.oauth");
    assert_eq!(o["status"], "fail");
    assert!(
        o["finding"]
            .as_str()
            .unwrap()
            .contains("shared-two (6.5.17.0)"),
        "{o}"
    );
}

/// One read, one rulebook: the fleet's row of an author is its own doctor's verdict.
async fn same_verdict_as_one_author(cli: &Cli, env: &[(&str, &str)]) {
    let (code, single) = run(
        cli,
        &["--profile", "shared-two", "doctor", "--no-test"],
        env,
    )
    .await;
    let (_, fleet) = run(
        cli,
        &["fleet", "doctor", "--profiles", "shared-two", "--no-test"],
        env,
    )
    .await;
    let st = by_profile(&fleet, "shared-two");
    assert_eq!(code, if st["ok"] == true { 0 } else { 1 });
    assert_eq!(single["counts"], st["counts"]);
    let verdicts = |r: &Value| -> Vec<(Value, Value)> {
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (f["id"].clone(), f["status"].clone()))
            .collect()
    };
    assert_eq!(verdicts(&single), verdicts(st));
}

/// Status: the keys of `status --json`, an unreachable author as a row with them too; a
/// missing password is a row; usage mistakes are exit 2.
async fn status_rows_and_usage(cli: &Cli, env: &[(&str, &str)]) {
    let (code, v) = run(cli, &["fleet", "status", "--profiles", "alpha,gone"], env).await;
    assert_eq!(code, 1, "{v}");
    let a = by_profile(&v, "alpha");
    for key in ["ok", "steps", "integration", "doctor", "row"] {
        assert!(a.get(key).is_some(), "{key} missing in {a}");
    }
    assert_eq!(a["ok"], true, "tested by the doctor above: {}", a["doctor"]);
    assert_eq!(a["row"]["pending"], 0);
    let g = by_profile(&v, "gone");
    assert!(g["integration"].is_null() && g["steps"] == serde_json::json!([]));
    assert_eq!(g["doctor"]["ok"], false);
    let (code, v) = run(cli, &["fleet", "status", "--profiles", "alpha"], env).await;
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["summary"]["healthy"], 1);

    // A missing password variable is a row, not a stop; usage mistakes are exit 2.
    let (code, v) = run(
        cli,
        &["fleet", "status", "--profiles", "alpha,beta"],
        &env[..1],
    )
    .await;
    assert_eq!(code, 1, "{v}");
    assert_eq!(by_profile(&v, "beta")["row"]["state"], "no password");
    assert!(
        by_profile(&v, "beta")["error"]
            .as_str()
            .unwrap()
            .contains("PW_BETA")
    );
    for args in [
        &["fleet", "status"][..],
        &["fleet", "status", "--profiles", "nosuch"],
        &["fleet", "status", "--all", "--profiles", "alpha"],
        &["--url", "http://127.0.0.1:1", "fleet", "doctor", "--all"],
    ] {
        let (code, v) = run(cli, args, env).await;
        assert_eq!(code, 2, "{args:?}: {v}");
        assert_eq!(v["exitCode"], 2);
    }
}

/// The converted OAuth credential the (emulated) Console holds for a retired JWT author.
async fn credential(e: &Env) -> (String, String, String) {
    let list = e.json("/sandbox/console/projects").await;
    let id = list["projects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["credential"].as_str().unwrap().contains("converted"))
        .map(|p| p["clientId"].as_str().unwrap().to_string())
        .expect("the converted credential");
    let c = e.json(&format!("/sandbox/console/projects/{id}")).await;
    let s = |k: &str| c[k].as_str().unwrap().to_string();
    (s("clientSecret"), s("scopes"), s("orgId"))
}

fn states(v: &Value) -> Vec<(String, String)> {
    v["authors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["profile"].as_str().unwrap().to_string(),
                a["state"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

/// Three retired JWT authors, their profiles, and their Console credentials.
struct Migration {
    cli: Cli,
    _authors: Vec<Env>,
    secrets: Vec<String>,
    backups: tempfile::TempDir,
}

const NAMES: [&str; 3] = ["a-first", "b-second", "c-third"];
const AEM_PW: [&str; 3] = ["pw-first", "pw-second", "pw-third"];

impl Migration {
    async fn start() -> Migration {
        let mut authors = Vec::new();
        for (tenant, pw) in ["first", "second", "third"].into_iter().zip(AEM_PW) {
            authors.push(author(Scenario::JwtRetired, tenant, pw, "6.5.21.0").await);
        }
        let cli = Cli::new(&authors[0]);
        let mut config = String::new();
        let mut secrets = Vec::new();
        for (i, e) in authors.iter().enumerate() {
            let (secret, scopes, org) = credential(e).await;
            let extra = format!(
                "oauth_scopes = \"{scopes}\"\norg_id = \"{org}\"\nclient_secret_env = \"SECRET_{i}\"\n"
            );
            config.push_str(&profile(NAMES[i], &e.base, &format!("PW_{i}"), &extra));
            secrets.push(secret);
        }
        write_config(&cli, &config);
        Migration {
            cli,
            _authors: authors,
            secrets,
            backups: tempfile::tempdir().unwrap(),
        }
    }

    /// Every password and secret variable; b-second's secret as given.
    fn env(&self, second_secret: &str) -> Vec<(String, String)> {
        let mut v = Vec::new();
        for (i, pw) in AEM_PW.iter().enumerate() {
            v.push((format!("PW_{i}"), pw.to_string()));
            let s = if i == 1 {
                second_secret
            } else {
                &self.secrets[i]
            };
            v.push((format!("SECRET_{i}"), s.to_string()));
        }
        v
    }

    fn wrong(&self) -> Vec<(String, String)> {
        self.env("p8e-not-the-secret")
    }

    fn right(&self) -> Vec<(String, String)> {
        self.env(&self.secrets[1].clone())
    }

    async fn run(&self, args: &[&str], env: &[(String, String)]) -> (i32, Value) {
        let e: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        run(&self.cli, args, &e).await
    }

    /// `fleet migrate --all --backup-dir DIR` and `extra`.
    async fn migrate(&self, extra: &[&str], env: &[(String, String)]) -> (i32, Value) {
        let dir = self.backups.path().to_str().unwrap();
        let mut a = vec!["fleet", "migrate", "--all", "--backup-dir", dir];
        a.extend_from_slice(extra);
        self.run(&a, env).await
    }
    /// `restore --from` a-first's backup: its JWT configuration is back.
    async fn restore_first(&self, backup: &str) {
        let env = [
            ("PW_0".to_string(), AEM_PW[0].to_string()),
            (
                "BRANDLINK_CLIENT_SECRET".to_string(),
                self.secrets[0].clone(),
            ),
        ];
        let restore = ["--profile", "a-first", "restore", "--from", backup, "--yes"];
        let (code, v) = self.run(&restore, &env).await;
        assert_eq!(code, 0, "{v}");
        let (_, st) = self
            .run(&["fleet", "status", "--profiles", "a-first"], &self.right())
            .await;
        assert_eq!(
            by_profile(&st, "a-first")["row"]["credential"],
            "jwt",
            "{st}"
        );
    }

    /// No secret or password in anything the commands printed (trace logging on).
    fn assert_no_secret_shown(&self) {
        let transcript = self.cli.transcript.lock().unwrap().clone();
        for s in &self.secrets {
            assert!(!transcript.contains(s.as_str()), "a client secret leaked");
        }
        for p in AEM_PW {
            assert!(!transcript.contains(p), "a password leaked");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fleet_migrates_stops_keeps_going_resumes_and_restores() {
    let m = Migration::start().await;
    let bdir_s = m.backups.path().to_str().unwrap().to_string();

    let (code, v) = m.migrate(&["--read-only", "--yes"], &m.right()).await;
    assert_eq!(code, 2, "--read-only refuses the change: {v}");

    // The dry run: one plan, IMS asked with each author's values, nothing written.
    let (code, v) = m.migrate(&["--dry-run"], &m.wrong()).await;
    assert_eq!(code, 1, "one author's secret is wrong: {v}");
    assert_eq!(v["dryRun"], true);
    assert_eq!(
        states(&v),
        pairs(&[
            ("a-first", "planned"),
            ("b-second", "failed"),
            ("c-third", "planned")
        ])
    );
    let a = by_profile(&v, "a-first");
    assert_eq!(a["plan"]["preflight"]["state"], "ok", "{a}");
    assert!(!a["plan"]["changes"].as_array().unwrap().is_empty());
    let why = by_profile(&v, "b-second")["message"].as_str().unwrap();
    assert!(why.contains("nothing was changed"), "{v}");
    assert_eq!(
        std::fs::read_dir(m.backups.path()).unwrap().count(),
        0,
        "no backup"
    );

    // Stops at the first failure: a-first migrated, c-third not started.
    let (code, v) = m.migrate(&["--yes"], &m.wrong()).await;
    assert_eq!(code, 1, "{v}");
    assert_eq!(
        states(&v),
        pairs(&[
            ("a-first", "migrated"),
            ("b-second", "failed"),
            ("c-third", "not-started")
        ])
    );
    let a = by_profile(&v, "a-first");
    let backup_a = a["backupDir"].as_str().unwrap().to_string();
    assert!(
        backup_a.starts_with(&format!("{bdir_s}/a-first/")),
        "{backup_a}"
    );
    assert!(std::path::Path::new(&backup_a).is_dir());
    assert_eq!(
        a["restoreCommand"],
        format!("brandlink --profile a-first restore --from {backup_a}")
    );
    assert!(
        a["tests"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["success"] == true)
    );

    // --keep-going: a-first is already done, b-second still fails, c-third migrates.
    let (code, v) = m.migrate(&["--yes", "--keep-going"], &m.wrong()).await;
    assert_eq!(code, 1, "{v}");
    assert_eq!(
        states(&v),
        pairs(&[
            ("a-first", "already-oauth"),
            ("b-second", "failed"),
            ("c-third", "migrated")
        ])
    );
    let done = by_profile(&v, "a-first")["message"].as_str().unwrap();
    assert!(done.contains("already on OAuth, nothing to do"), "{done}");

    // Resumed with the right secret: only b-second is left.
    let (code, v) = m.migrate(&["--yes"], &m.right()).await;
    assert_eq!(code, 0, "{v}");
    assert_eq!(
        states(&v),
        pairs(&[
            ("a-first", "already-oauth"),
            ("b-second", "migrated"),
            ("c-third", "already-oauth")
        ])
    );
    let (_, st) = m.run(&["fleet", "status", "--all"], &m.right()).await;
    assert_eq!(st["summary"]["oauth"], 3, "{}", st["summary"]);
    assert_eq!(finding(&st, "fleet.jwt")["status"], "ok");

    // a-first's backup puts its JWT configuration back.
    m.restore_first(&backup_a).await;
    m.assert_no_secret_shown();
}
