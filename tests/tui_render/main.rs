//! The TUI rendered with ratatui's TestBackend: each tab empty, filled, succeeded and failed,
//! the help overlay, the small-terminal message, NO_COLOR; and state transitions driven by
//! actions and messages.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test may stop at what it did not expect

use brandlink::aem::agents::TestResult;
use brandlink::aem::queue::{Depth, DepthSource, QueueItem};
use brandlink::ims::certificate::CertInfo;
use brandlink::setup::Integration;
use brandlink::setup::account::{Verdict, VerdictState};
use brandlink::setup::actions::{CertificateOutcome, HealthReport};
use brandlink::setup::console::ConsoleCreds;
use brandlink::setup::service::{CertDone, QueueOp};
use brandlink::setup::snapshot::AuthType;
use brandlink::tui::action::Action;
use brandlink::tui::app::App;
use brandlink::tui::effect::{Effect, Msg, UiError};
use brandlink::tui::keymap::Keymap;
use brandlink::tui::modal::Modal;
use brandlink::tui::tabs::Tab;
use brandlink::tui::tabs::account::AccountField;
use brandlink::tui::tabs::certificate::CertField;
use brandlink::tui::tabs::cloud::CloudField;
use brandlink::tui::tabs::replication::TestState;
use brandlink::tui::theme::Theme;
use brandlink::tui::{HeaderInfo, ui};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Modifier;
use secrecy::SecretString;

#[path = "../common/fixtures.rs"]
mod fixtures;
use fixtures::*;

mod dialogs;
mod fleet;
mod keys;
mod monitor;
mod screens;
mod tabs;

fn app(sandbox: bool) -> App {
    App::new(
        HeaderInfo {
            url: "http://localhost:4502".into(),
            user: "admin".into(),
            ims_url: "https://ims-na1.adobelogin.com".into(),
            sandbox,
            insecure: false,
        },
        Keymap::default(),
    )
}

/// Reads are numbered as the runtime starts them.
fn next_read() -> u64 {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

fn loaded(i: Integration, sandbox: bool) -> App {
    let mut a = app(sandbox);
    a.on_msg(Msg::Loaded(next_read(), Ok(Box::new(i))));
    a
}

fn render_with(a: &App, w: u16, h: u16, theme: &Theme) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| {
        ui::draw(f, a, theme);
    })
    .unwrap();
    t
}

/// Draws and keeps the click map, as the runtime does after each frame.
fn render_clicks(a: &mut App) -> String {
    let mut t = Terminal::new(TestBackend::new(100, 30)).unwrap();
    let mut clicks = Default::default();
    t.draw(|f| clicks = ui::draw(f, a, &Theme::new(true)))
        .unwrap();
    a.clicks = clicks;
    t.backend().to_string()
}

fn health(healthy: bool, message: &str, expires: Option<u64>) -> HealthReport {
    HealthReport {
        pid: "com.adobe.granite.auth.oauth.accesstoken.provider.x".into(),
        auth_type: AuthType::OauthServerToServer,
        healthy,
        message: message.into(),
        expires_in_secs: expires,
        method: "oauth-client-credentials".into(),
        ims: Verdict {
            state: if healthy {
                VerdictState::Ok
            } else {
                VerdictState::Failed
            },
            message: message.into(),
            method: "oauth-client-credentials".into(),
            expires_in_secs: expires,
        },
        aem: Verdict::skipped("aem-test-connection", "not yet"),
        agent_tests: vec![],
    }
}

fn render(a: &App) -> String {
    render_with(a, 100, 30, &Theme::new(true))
        .backend()
        .to_string()
}

fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

fn code(c: KeyCode) -> KeyEvent {
    KeyEvent::new(c, KeyModifiers::NONE)
}

fn live(agent: &str, state: brandlink::aem::queue::QueueState, pending: u64, at: i64) -> Msg {
    use brandlink::monitor::{QueueView, Snapshot};
    let items = (0..pending.min(60))
        .map(|i| QueueItem {
            id: format!("{agent}-{i}"),
            path: format!("/content/dam/wknd/en/asset-{i:05}.jpg"),
            action: "Activate".into(),
            user: "admin".into(),
            time: at - 5_000,
            last_processed: None,
            attempts: if state == brandlink::aem::queue::QueueState::Blocked {
                4
            } else {
                0
            },
        })
        .collect();
    Msg::Monitor(Snapshot {
        agent: agent.into(),
        at,
        result: Ok(QueueView {
            state,
            depth: Depth {
                count: pending,
                at_least: false,
                source: DepthSource::Jmx,
            },
            next_retry: None,
            last_process_time: None,
            items: std::sync::Arc::new(items),
        }),
    })
}

/// A migration plan as the setup service would return it.
fn test_plan() -> brandlink::setup::migrate::MigrationPlan {
    brandlink::setup::migrate::MigrationPlan::for_display(
        "com.adobe.granite.auth.oauth.accesstoken.provider.1234",
        "Brand Portal",
        vec![brandlink::setup::migrate::PropertyChange {
            on: "provider",
            name: "auth.token.provider.authorization.grants".into(),
            before: None,
            after: Some(vec!["client_credentials".into()]),
        }],
    )
}
