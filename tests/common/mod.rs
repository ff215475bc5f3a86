//! Shared helpers: a sandbox on an ephemeral loopback port and a reqwest client for it.
#![allow(dead_code)]

use brandlink::sandbox::{Faults, LogDialect, Sandbox, SandboxConfig, Scenario};
use reqwest::{Client, Method, RequestBuilder, Response};
use serde_json::Value;
use std::time::Duration;

pub struct Env {
    pub sb: Sandbox,
    pub http: Client,
    pub base: String,
}

pub fn config(scenario: Scenario) -> SandboxConfig {
    SandboxConfig {
        scenario,
        delivery_rate: 100.0,
        agent_creation_delay: Duration::from_millis(150),
        retry_delay_ms: 60_000,
        seed: Some(7),
        ..SandboxConfig::default()
    }
}

/// [`config`] with the author wording its logs in `dialect`.
pub fn config_in(scenario: Scenario, dialect: LogDialect) -> SandboxConfig {
    SandboxConfig {
        log_dialect: dialect,
        ..config(scenario)
    }
}

pub async fn start(scenario: Scenario) -> Env {
    start_with(config(scenario)).await
}

pub async fn start_with(cfg: SandboxConfig) -> Env {
    let sb = Sandbox::start_local(cfg).await.expect("sandbox starts");
    let http = Client::builder()
        .user_agent("brandlink-tests/1")
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client");
    let base = sb.url();
    Env { sb, http, base }
}

impl Env {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }
    /// An authenticated request as admin.
    pub fn req(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, self.url(path))
            .basic_auth("admin", Some(self.sb.admin_password()))
    }
    pub fn get(&self, path: &str) -> RequestBuilder {
        self.req(Method::GET, path)
    }
    pub fn post(&self, path: &str) -> RequestBuilder {
        self.req(Method::POST, path)
    }
    pub async fn json(&self, path: &str) -> Value {
        let r = self.get(path).send().await.expect("request");
        assert_eq!(r.status(), 200, "GET {path}");
        r.json().await.expect("json body")
    }
    pub async fn text(&self, path: &str) -> String {
        let r = self.get(path).send().await.expect("request");
        assert_eq!(r.status(), 200, "GET {path}");
        r.text().await.expect("text body")
    }
    pub async fn set_faults(&self, patch: Value) {
        let r = self
            .http
            .post(self.url("/sandbox/control/faults"))
            .body(patch.to_string())
            .send()
            .await
            .expect("control");
        assert_eq!(r.status(), 200);
    }
    pub fn reset_faults(&self) {
        self.sb.set_faults(Faults::default());
    }
    /// Brand Portal agent ids for the sandbox tenant, discovered by transportUri prefix.
    pub async fn bp_agents(&self) -> Vec<String> {
        let list = self.json("/etc/replication/agents.author.1.json").await;
        let prefix = format!("{}/", self.sb.tenant_url());
        let mut out = Vec::new();
        for id in list.as_object().expect("object").keys() {
            if id.starts_with("jcr:") || id.starts_with("rep:") {
                continue;
            }
            let c = self
                .json(&format!(
                    "/etc/replication/agents.author/{id}/jcr:content.json"
                ))
                .await;
            if c["transportUri"]
                .as_str()
                .is_some_and(|u| u.starts_with(&prefix))
            {
                out.push(id.clone());
            }
        }
        out
    }
    pub async fn queue(&self, agent: &str) -> Value {
        self.json(&format!(
            "/etc/replication/agents.author/{agent}/jcr:content.queue.json?agent={agent}"
        ))
        .await
    }
    pub async fn user_path(&self, id: &str) -> String {
        let q = self
            .json(&format!(
                "/bin/querybuilder.json?path=/home/users&1_property=rep:authorizableId&1_property.value={id}&p.limit=-1"
            ))
            .await;
        q["hits"][0]["path"]
            .as_str()
            .expect("user found")
            .to_string()
    }
}

/// Polls `check` until it returns Some, or panics after `secs` seconds.
pub async fn eventually<T, F, Fut>(secs: u64, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = check().await {
            return v;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("timed out waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub fn html_status(body: &str) -> Option<u16> {
    let start = body.find("<div id=\"Status\">")? + "<div id=\"Status\">".len();
    body[start..].split('<').next()?.parse().ok()
}

pub async fn status(r: Response) -> u16 {
    r.status().as_u16()
}

/// A bare TCP server answering every request with the same canned HTTP response.
pub async fn canned_server(response: &'static str) -> std::net::SocketAddr {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buf = vec![0u8; 65536];
                let _ = s.read(&mut buf).await;
                let _ = s.write_all(response.as_bytes()).await;
                let _ = s.shutdown().await;
            });
        }
    });
    addr
}

/// A loopback port with nothing listening, held (bound, never listening: a connection is
/// refused) for as long as the value lives, so no other test can take it meanwhile.
pub struct ClosedPort {
    pub port: u16,
    _held: tokio::net::TcpSocket,
}

pub fn closed_port() -> ClosedPort {
    let s = tokio::net::TcpSocket::new_v4().expect("socket");
    s.bind("127.0.0.1:0".parse().expect("address"))
        .expect("bind");
    let port = s.local_addr().expect("bound").port();
    ClosedPort { port, _held: s }
}

/// A command started by [`Cli::spawn`].
pub struct Running {
    pub child: std::process::Child,
    log: tempfile::NamedTempFile,
}

impl Running {
    /// Where a server it started on port 0 listens: the first `http://127.0.0.1:PORT` it
    /// printed.
    pub async fn address(&self, secs: u64) -> String {
        let path = self.log.path().to_path_buf();
        eventually(secs, "the address it listens on", || {
            let path = path.clone();
            async move {
                let text = std::fs::read_to_string(&path).ok()?;
                let from = text.find("http://127.0.0.1:")? + "http://127.0.0.1:".len();
                let port: String = text[from..]
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .collect();
                (!port.is_empty()).then(|| format!("http://127.0.0.1:{port}"))
            }
        })
        .await
    }

    /// Everything it printed so far but the trace lines.
    pub fn output(&self) -> String {
        let text = String::from_utf8_lossy(&std::fs::read(self.log.path()).unwrap_or_default())
            .into_owned();
        let lines: Vec<&str> = text.lines().filter(|l| !l.contains("TRACE")).collect();
        lines.join("\n")
    }

    /// What it printed so far (the end of it), for a failing test's message.
    pub fn output_tail(&self) -> String {
        let text = String::from_utf8_lossy(&std::fs::read(self.log.path()).unwrap_or_default())
            .into_owned();
        let lines: Vec<&str> = text.lines().filter(|l| !l.contains("TRACE")).collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

/// The real binary against one sandbox, with private config and state folders; every output
/// kept so a test can search it for secrets.
pub struct Cli {
    pub base: String,
    pub admin_password: String,
    pub xdg: tempfile::TempDir,
    pub transcript: std::sync::Mutex<String>,
}

impl Cli {
    pub fn new(e: &Env) -> Self {
        Cli {
            base: e.base.clone(),
            admin_password: e.sb.admin_password(),
            xdg: tempfile::tempdir().expect("tempdir"),
            transcript: Default::default(),
        }
    }

    pub async fn run(&self, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
        let mut c = assert_cmd::Command::cargo_bin("brandlink").expect("binary");
        c.args(["--url", &self.base, "--ims-url", &self.base])
            .args(args)
            .env("AEM_PASSWORD", &self.admin_password)
            .env("XDG_CONFIG_HOME", self.xdg.path())
            .env("XDG_STATE_HOME", self.xdg.path())
            // Everything a command logs is in the transcript the secret search reads.
            .env("RUST_LOG", "trace")
            .env_remove("BRANDLINK_CLIENT_SECRET")
            .env_remove("BRANDLINK_KEYSTORE_PASSWORD");
        for (k, v) in env {
            c.env(k, v);
        }
        let out = tokio::task::spawn_blocking(move || c.output().expect("runs"))
            .await
            .expect("joins");
        let mut t = self.transcript.lock().expect("lock");
        t.push_str(&String::from_utf8_lossy(&out.stdout));
        t.push_str(&String::from_utf8_lossy(&out.stderr));
        out
    }

    /// Runs with `--json`: the exit code and the parsed output.
    /// Starts a long-running command (exporter, sandbox) with trace logging, without
    /// `--url`/`--ims-url`, its output going to files (a pipe nobody reads would stall it);
    /// [`Cli::stop`] ends it and keeps its output.
    pub fn spawn(&self, args: &[&str], env: &[(&str, &str)]) -> Running {
        let log = tempfile::NamedTempFile::new_in(self.xdg.path()).expect("log file");
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_brandlink"));
        c.args(args)
            .env("AEM_PASSWORD", &self.admin_password)
            .env("XDG_CONFIG_HOME", self.xdg.path())
            .env("XDG_STATE_HOME", self.xdg.path())
            .env("RUST_LOG", "trace")
            .stdout(log.reopen().expect("log"))
            .stderr(log.reopen().expect("log"));
        for (k, v) in env {
            c.env(k, v);
        }
        Running {
            child: c.spawn().expect("starts"),
            log,
        }
    }

    /// Stops a command started with [`Cli::spawn`]; its output joins the transcript.
    pub fn stop(&self, mut r: Running) {
        let _ = r.child.kill();
        let _ = r.child.wait();
        let out = std::fs::read(r.log.path()).expect("log");
        let mut t = self.transcript.lock().expect("lock");
        t.push_str(&String::from_utf8_lossy(&out));
    }

    pub async fn json(&self, args: &[&str], env: &[(&str, &str)]) -> (i32, Value) {
        let mut a = args.to_vec();
        a.push("--json");
        let out = self.run(&a, env).await;
        let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
            panic!(
                "{args:?}: not JSON\nstdout: {}\nstderr: {}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (out.status.code().unwrap_or(-1), v)
    }
}

/// Uploads a certificate to the sandbox's Developer Console; returns its credentials.
pub async fn console_project(e: &Env, cert_pem: &[u8]) -> Value {
    let form = reqwest::multipart::Form::new().part(
        "certificate",
        reqwest::multipart::Part::bytes(cert_pem.to_vec()).file_name("AEM-Adobe-IMS.crt"),
    );
    e.http
        .post(e.url("/sandbox/console/projects"))
        .multipart(form)
        .send()
        .await
        .expect("console")
        .json()
        .await
        .expect("console JSON")
}

/// A Console project's OAuth Server-to-Server credential: client id, secret, scopes, org id.
pub fn oauth_credential(creds: &Value) -> [String; 4] {
    let text = |v: &Value| v.as_str().expect("credential field").to_string();
    [
        text(&creds["oauth"]["clientId"]),
        text(&creds["oauth"]["clientSecret"]),
        text(&creds["oauth"]["scopes"]),
        text(&creds["orgId"]),
    ]
}
