//! The full-screen terminal UI. The loop waits on terminal input, results of background tasks
//! and (only while something animates) a spinner tick; it draws only after a change, so an
//! idle screen costs no CPU. The terminal is restored on every exit path.

pub mod action;
pub mod app;
pub mod tabs;
pub mod theme;
pub mod ui;
pub mod widgets;

use crate::aem::AemClient;
use crate::setup::Integration;
use crate::setup::actions::{self, AccountKind, AccountSpec, KeySource};
use crate::setup::snapshot::AuthType;
use app::{App, CertDone, ConsoleCreds, Effect, HealthSummary, Msg};
use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture, Event,
    EventStream, KeyEventKind,
};
use futures::StreamExt;
use secrecy::{ExposeSecret, SecretString};
use std::io;
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};
use tokio::task::JoinHandle;

pub use app::HeaderInfo;

pub struct TuiOptions {
    pub header: HeaderInfo,
    pub keymap: action::Keymap,
    pub ims_url: String,
    /// Base URL of the sandbox (enables the emulated Console key).
    pub sandbox_url: Option<String>,
    /// Where `AEM-Adobe-IMS.crt` is written.
    pub cert_dir: PathBuf,
    pub tenant: Option<String>,
    /// Capture the mouse (click tabs and rows, scroll). Off by default: it takes over text selection.
    pub mouse: bool,
    /// Seconds between queue polls on the Replication tab.
    pub poll_interval: Duration,
    /// Hide every action that changes AEM.
    pub read_only: bool,
    /// Ring the terminal bell when a new alert appears.
    pub bell: bool,
}

/// Restores the terminal when dropped, including after `?` and panics.
struct TerminalGuard;

fn enable_extras(mouse: bool) -> io::Result<()> {
    crossterm::execute!(io::stdout(), EnableBracketedPaste)?;
    if mouse {
        crossterm::execute!(io::stdout(), EnableMouseCapture)?;
    }
    Ok(())
}

fn disable_extras() {
    let _ = crossterm::execute!(
        io::stdout(),
        DisableBracketedPaste,
        DisableMouseCapture,
        crossterm::cursor::Show
    );
}

impl TerminalGuard {
    fn enter(mouse: bool) -> io::Result<(TerminalGuard, ratatui::DefaultTerminal)> {
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            disable_extras();
            prev(info);
        }));
        let terminal = ratatui::try_init()?;
        enable_extras(mouse)?;
        Ok((TerminalGuard, terminal))
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        disable_extras();
        ratatui::restore();
    }
}

/// Runs the TUI until the operator quits.
pub async fn run(client: AemClient, ims_http: reqwest::Client, opts: TuiOptions) -> io::Result<()> {
    let theme = theme::Theme::from_env();
    let mut app = App::new(opts.header.clone(), opts.keymap.clone());
    app.read_only = opts.read_only;
    app.bell = opts.bell;
    app.poll_secs = opts.poll_interval.as_secs_f64();
    let (tx, mut rx) = unbounded_channel::<Msg>();
    let mut exec = Executor {
        client,
        ims_http,
        ims_url: opts.ims_url.clone(),
        sandbox_url: opts.sandbox_url.clone(),
        cert_dir: opts.cert_dir.clone(),
        tenant: opts.tenant.clone(),
        tx,
        op: None,
        pollers: None,
        poll: crate::monitor::PollConfig::with_interval(opts.poll_interval),
    };
    let (_guard, mut terminal) = TerminalGuard::enter(opts.mouse)?;
    let mut events = EventStream::new();
    let mut ticker = tokio::time::interval(Duration::from_millis(120));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    #[cfg(unix)]
    let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    exec.run(Effect::Load);
    let mut dirty = true;
    loop {
        if dirty {
            terminal.draw(|f| ui::draw(f, &app, &theme))?;
            dirty = false;
        }
        if app.quit {
            break;
        }
        let animating = app.busy.is_some()
            || app.loading
            || app
                .tests
                .values()
                .any(|t| matches!(t, app::TestState::Running));
        #[cfg(unix)]
        let term = sigterm.recv();
        #[cfg(not(unix))]
        let term = std::future::pending::<Option<()>>();
        let effects = tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(Event::Key(k))) if k.kind == KeyEventKind::Press => { dirty = true; app.on_key(k) }
                Some(Ok(Event::Paste(text))) => { dirty = true; app.on_paste(&text); vec![] }
                Some(Ok(Event::Mouse(m))) if opts.mouse => { dirty = true; app.on_mouse(m) }
                Some(Ok(Event::Resize(..))) => { dirty = true; vec![] }
                Some(Ok(_)) => vec![],
                Some(Err(_)) | None => break,
            },
            Some(msg) = rx.recv() => {
                dirty = true;
                // Take every result that is already waiting, then draw once.
                let mut fx = app.on_msg(msg);
                while let Ok(more) = rx.try_recv() {
                    fx.extend(app.on_msg(more));
                }
                fx
            }
            _ = ticker.tick(), if animating => { app.tick = app.tick.wrapping_add(1); dirty = true; vec![] }
            _ = term => { app.quit = true; vec![] }
        };
        // Poll the queues only while the Replication tab shows them.
        let wanted = app.wanted_monitor();
        if exec.monitored() != wanted.as_slice() {
            exec.watch(&wanted);
            app.monitor =
                crate::monitor::MonitorModel::new(&wanted, crate::monitor::AlertRules::default());
        }
        for e in effects {
            match e {
                Effect::Suspend => {
                    suspend(&mut terminal, opts.mouse)?;
                    dirty = true;
                }
                Effect::Bell => {
                    use std::io::Write;
                    let mut out = io::stdout();
                    let _ = out.write_all(b"\x07").and_then(|_| out.flush());
                }
                other => exec.run(other),
            }
        }
    }
    exec.cancel();
    Ok(())
}

/// Ctrl-Z: give the terminal back, stop, and redraw everything on `fg`.
fn suspend(terminal: &mut ratatui::DefaultTerminal, mouse: bool) -> io::Result<()> {
    disable_extras();
    ratatui::restore();
    #[cfg(unix)]
    {
        let _ = signal_hook::low_level::raise(signal_hook::consts::SIGTSTP);
    }
    *terminal = ratatui::try_init()?;
    enable_extras(mouse)?;
    terminal.clear()?;
    Ok(())
}

/// Carries out effects as background tasks that answer with messages.
struct Executor {
    client: AemClient,
    ims_http: reqwest::Client,
    ims_url: String,
    sandbox_url: Option<String>,
    cert_dir: PathBuf,
    tenant: Option<String>,
    tx: UnboundedSender<Msg>,
    op: Option<JoinHandle<()>>,
    pollers: Option<crate::monitor::Pollers>,
    poll: crate::monitor::PollConfig,
}

impl Executor {
    fn monitored(&self) -> &[String] {
        self.pollers
            .as_ref()
            .map(|p| p.agents.as_slice())
            .unwrap_or(&[])
    }

    /// Starts pollers for `agents` (replacing any), or stops them when the list is empty.
    fn watch(&mut self, agents: &[String]) {
        self.pollers = None;
        if agents.is_empty() {
            return;
        }
        let (stx, mut srx) = unbounded_channel();
        let tx = self.tx.clone();
        tokio::spawn(async move {
            while let Some(s) = srx.recv().await {
                if tx.send(Msg::Monitor(s)).is_err() {
                    break;
                }
            }
        });
        self.pollers = Some(crate::monitor::Pollers::spawn(
            &self.client,
            agents,
            self.poll,
            stx,
        ));
    }

    fn cancel(&mut self) {
        if let Some(h) = self.op.take() {
            h.abort();
        }
    }

    fn spawn_op<F>(&mut self, fut: F)
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        self.op = Some(tokio::spawn(fut));
    }

    fn run(&mut self, effect: Effect) {
        let client = self.client.clone();
        let tx = self.tx.clone();
        match effect {
            Effect::Load => {
                let tenant = self.tenant.clone();
                tokio::spawn(async move {
                    let r = Integration::read(&client, tenant.as_deref())
                        .await
                        .map(Box::new)
                        .map_err(|e| e.to_string());
                    let _ = tx.send(Msg::Loaded(r));
                });
            }
            Effect::Cancel => self.cancel(),
            Effect::Bell => {}
            Effect::MonitorRefresh => {
                if let Some(p) = &self.pollers {
                    p.refresh();
                }
            }
            Effect::LoadLater(wait) => {
                let tenant = self.tenant.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(wait).await;
                    let r = Integration::read(&client, tenant.as_deref())
                        .await
                        .map(Box::new)
                        .map_err(|e| e.to_string());
                    let _ = tx.send(Msg::Loaded(r));
                });
            }
            Effect::PlanUpgrade => {
                tokio::spawn(async move {
                    let _ = tx.send(Msg::UpgradePlanned(plan_upgrade(&client).await));
                });
            }
            Effect::RunUpgrade { resume } => {
                self.spawn_op(async move {
                    let _ = tx.send(Msg::UpgradeDone(run_upgrade(&client, resume).await));
                });
            }
            Effect::FetchLog(agent) => {
                tokio::spawn(async move {
                    let r = client.agent_log(&agent).await.map_err(|e| e.to_string());
                    let _ = tx.send(Msg::Log(agent, r));
                });
            }
            Effect::Queue(agent, op) => {
                tokio::spawn(async move {
                    let r = match op {
                        app::QueueOp::ForceRetry => client.force_retry(&agent).await,
                        app::QueueOp::Pause => client.pause_queue(&agent).await,
                        app::QueueOp::Resume => client.resume_queue(&agent).await,
                        app::QueueOp::Clear => client.clear_queue(&agent).await,
                    };
                    let _ = tx.send(Msg::QueueDone(agent, op, r.map_err(|e| e.to_string())));
                });
            }
            Effect::Suspend => {}
            Effect::CreateCertificate {
                alias,
                days,
                keystore_password,
            } => {
                let dir = self.cert_dir.clone();
                self.spawn_op(async move {
                    let r =
                        create_certificate(&client, &alias, days, keystore_password, &dir).await;
                    let _ = tx.send(Msg::CertCreated(r));
                });
            }
            Effect::FetchConsole { cert_pem } => {
                let Some(base) = self.sandbox_url.clone() else {
                    return;
                };
                let http = self.ims_http.clone();
                self.spawn_op(async move {
                    let _ = tx.send(Msg::ConsoleFetched(
                        fetch_console(&http, &base, &cert_pem).await,
                    ));
                });
            }
            Effect::CreateAccount(form) => {
                self.spawn_op(async move {
                    let kind = match form.auth_type {
                        AuthType::Jwt => AccountKind::Jwt {
                            auth_server: form.auth_server,
                            payload: form.payload,
                            alias: form.alias,
                        },
                        AuthType::OauthServerToServer => AccountKind::Oauth {
                            scopes: crate::ims::token::split_scopes(&form.scopes),
                            org_id: form.org_id.trim().to_string(),
                        },
                    };
                    let spec = AccountSpec {
                        title: form.title,
                        api_key: form.api_key,
                        client_secret: form.secret,
                        kind,
                    };
                    let r = actions::create_account(&client, &spec)
                        .await
                        .map(|o| (o.pid, o.changed))
                        .map_err(|e| e.to_string());
                    let _ = tx.send(Msg::AccountCreated(r));
                });
            }
            Effect::CheckHealth {
                key,
                secret,
                tenant,
            } => {
                let http = self.ims_http.clone();
                let ims = self.ims_url.clone();
                self.spawn_op(async move {
                    let source = match key {
                        Some(k) => KeySource::InMemory(k),
                        None => KeySource::AemSide,
                    };
                    let r = actions::check_account(
                        &client,
                        &http,
                        &ims,
                        source,
                        secret,
                        tenant.as_deref(),
                    )
                    .await
                    .map(|h| HealthSummary {
                        healthy: h.healthy,
                        message: h.message,
                        expires_in_secs: h.expires_in_secs,
                        method: h.method,
                    })
                    .map_err(|e| e.to_string());
                    let _ = tx.send(Msg::Health(r));
                });
            }
            Effect::CreateCloud {
                title,
                service_url,
                ims,
            } => {
                self.spawn_op(async move {
                    let r = actions::create_cloud(
                        &client,
                        &title,
                        &service_url,
                        ims.as_deref(),
                        Duration::from_secs(30),
                    )
                    .await
                    .map(|o| (o.path.unwrap_or_default(), o.agents.len(), o.changed))
                    .map_err(|e| e.to_string());
                    let _ = tx.send(Msg::CloudCreated(r));
                });
            }
            Effect::Test(ids) => {
                for id in ids {
                    let client = client.clone();
                    let tx = tx.clone();
                    tokio::spawn(async move {
                        let r = client.test_connection(&id).await.map_err(|e| e.to_string());
                        let _ = tx.send(Msg::Tested(id, r));
                    });
                }
            }
        }
    }
}

async fn plan_upgrade(client: &AemClient) -> Result<app::UpgradeView, String> {
    use crate::setup::upgrade as up;
    let root = up::default_backup_root();
    if let Some((dir, journal)) = up::find_unfinished(&root, client.base_url(), None) {
        let targets = journal
            .steps
            .iter()
            .filter(|s| s.state == up::StepState::Pending)
            .map(|s| s.target.clone())
            .collect();
        return Ok(app::UpgradeView {
            plan: Some(up::Plan {
                tenant_url: journal.tenant_url,
                targets,
            }),
            busy: vec![],
            resume: Some(dir.display().to_string()),
            error: None,
            typed: String::new(),
        });
    }
    let plan = up::plan(client, None).await.map_err(|e| e.to_string())?;
    let busy = up::busy_agents(client, &plan.targets)
        .await
        .map_err(|e| e.to_string())?;
    Ok(app::UpgradeView {
        plan: Some(plan),
        busy,
        resume: None,
        error: None,
        typed: String::new(),
    })
}

async fn run_upgrade(client: &AemClient, resume: Option<String>) -> Result<String, String> {
    use crate::setup::upgrade as up;
    let dir = match resume {
        Some(d) => {
            let dir = PathBuf::from(d);
            up::resume(client, &dir).await.map_err(|e| e.to_string())?;
            dir
        }
        None => {
            let plan = up::plan(client, None).await.map_err(|e| e.to_string())?;
            let busy = up::busy_agents(client, &plan.targets)
                .await
                .map_err(|e| e.to_string())?;
            if let Some(b) = busy.first() {
                return Err(format!(
                    "{} is not idle ({} pending); nothing was changed",
                    b.agent, b.pending
                ));
            }
            up::execute(client, &plan, &up::default_backup_root())
                .await
                .map_err(|e| e.to_string())?
        }
    };
    Ok(dir.display().to_string())
}

async fn create_certificate(
    client: &AemClient,
    alias: &str,
    days: u32,
    keystore_password: Option<SecretString>,
    dir: &std::path::Path,
) -> Result<CertDone, String> {
    let out = actions::create_certificate(
        client,
        alias,
        days,
        crate::ims::certificate::DEFAULT_COMMON_NAME,
        move || {
            keystore_password.ok_or_else(|| {
                actions::SetupError::Invalid(vec![
                    "a password for the new keystore is needed".into(),
                ])
            })
        },
    )
    .await
    .map_err(|e| e.to_string())?;
    let Some(g) = out.generated else {
        return Ok(CertDone {
            alias: out.alias,
            changed: false,
            path: None,
            info: None,
            pem: None,
            key: None,
            existing_not_after: out.existing_not_after,
        });
    };
    let mut path = dir.join("AEM-Adobe-IMS.crt");
    let mut n = 1;
    while path.exists() {
        path = dir.join(format!("AEM-Adobe-IMS-{alias}-{n}.crt"));
        n += 1;
    }
    std::fs::write(&path, &g.cert_pem).map_err(|e| {
        format!(
            "the key is in AEM, but {} could not be written: {e}",
            path.display()
        )
    })?;
    Ok(CertDone {
        alias: out.alias,
        changed: true,
        path: Some(path.display().to_string()),
        info: Some(g.info.clone()),
        pem: Some(g.cert_pem.clone()),
        key: Some(g.private_key_secret()),
        existing_not_after: None,
    })
}

/// The sandbox's Console: upload the certificate, read back the credentials.
async fn fetch_console(
    http: &reqwest::Client,
    base: &str,
    cert_pem: &str,
) -> Result<ConsoleCreds, String> {
    let form = reqwest::multipart::Form::new().part(
        "certificate",
        reqwest::multipart::Part::bytes(cert_pem.as_bytes().to_vec())
            .file_name("AEM-Adobe-IMS.crt"),
    );
    let resp = http
        .post(format!("{base}/sandbox/console/projects"))
        .multipart(form)
        .send()
        .await
        .map_err(|e| format!("cannot reach the sandbox Console: {e}"))?;
    if !resp.status().is_success() {
        return Err(format!(
            "the sandbox Console refused the certificate ({})",
            resp.status()
        ));
    }
    let v: serde_json::Value = resp
        .json()
        .await
        .map_err(|e| format!("unexpected Console answer: {e}"))?;
    let s = |p: &[&str]| {
        let mut cur = &v;
        for k in p {
            cur = &cur[*k];
        }
        cur.as_str().unwrap_or("").to_string()
    };
    let creds = ConsoleCreds {
        api_key: s(&["apiKey"]),
        client_secret: SecretString::from(s(&["clientSecret"])),
        payload: serde_json::to_string_pretty(&v["jwtPayload"]).unwrap_or_default(),
        oauth_client_id: s(&["oauth", "clientId"]),
        oauth_secret: SecretString::from(s(&["oauth", "clientSecret"])),
        scopes: s(&["oauth", "scopes"]),
        org_id: s(&["orgId"]),
    };
    if creds.api_key.is_empty() || creds.client_secret.expose_secret().is_empty() {
        return Err("the Console answer lacks the API key or secret".into());
    }
    Ok(creds)
}
