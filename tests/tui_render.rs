//! The TUI rendered with ratatui's TestBackend: each tab empty, filled, succeeded and failed,
//! the help overlay, the small-terminal message, NO_COLOR; and state transitions driven by
//! actions and messages.

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

#[path = "common/fixtures.rs"]
mod fixtures;
use fixtures::*;

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

#[test]
fn certificate_tab_states() {
    let mut a = loaded(fresh_jwt_era(), true);
    assert_eq!(
        a.tab,
        Tab::Certificate,
        "guided mode opens the first incomplete step"
    );
    insta::assert_snapshot!("certificate_empty", render(&a));
    // Failure: invalid validity.
    a.tabs.certificate.form.set(CertField::Days, "900");
    let items = a.tabs.certificate.items(&a.shared);
    a.tabs.certificate.form.focus_on(&items, CertField::Create);
    assert!(a.on_action(Action::Activate).is_empty());
    insta::assert_snapshot!("certificate_invalid", render(&a));
    // Success.
    let mut a = loaded(configured(), true);
    a.tab = Tab::Certificate;
    a.on_msg(Msg::CertCreated(Ok(Box::new(CertDone {
        certificate_rewritten: false,
        outcome: CertificateOutcome {
            alias: "brandportal".into(),
            changed: true,
            created_keystore: false,
            certificate: Some(CertInfo {
                subject: "CN=AEM Brand Portal IMS".into(),
                issuer: "CN=AEM Brand Portal IMS".into(),
                not_before: 0,
                not_after: 2524608000,
                serial: "1".into(),
                sha1_fingerprint: "a747010980b3ba82b0c0778284d8b0bc70113815".into(),
                rsa_public_key_pkcs1: vec![],
            }),
            existing_not_after: None,
            generated: None,
        },
        certificate_file: Some("/tmp/AEM-Adobe-IMS.crt".into()),
        private_key_file: None,
        cert_pem: Some("-----BEGIN CERTIFICATE-----".into()),
        private_key: Some(vec![1u8, 2, 3].into()),
    }))));
    a.shared.notice = None;
    insta::assert_snapshot!("certificate_created", render(&a));
}

#[test]
fn account_tab_states() {
    let mut a = loaded(fresh_jwt_era(), true);
    a.on_action(Action::GotoAccount);
    insta::assert_snapshot!("account_empty", render(&a));
    // Filled from the sandbox Console.
    a.on_msg(Msg::ConsoleFetched(Ok(ConsoleCreds {
        api_key: "0123456789abcdef0123456789abcdef".into(),
        client_secret: SecretString::from("p8e-SECRET-never-shown".to_string()),
        payload: r#"{"exp": 1939182446, "iss": "ABC@AdobeOrg", "sub": "DEF@techacct.adobe.com", "https://ims-na1.adobelogin.com/s/ent_brand_portal_sdk": true, "aud": "https://ims-na1.adobelogin.com/c/0123456789abcdef0123456789abcdef"}"#.into(),
        oauth_client_id: "fedcba".into(),
        oauth_secret: SecretString::from("p8e-OAUTH".to_string()),
        scopes: "openid,AdobeID".into(),
        org_id: "ABC@AdobeOrg".into(),
    })));
    a.shared.notice = None;
    let filled = render(&a);
    assert!(
        !filled.contains("SECRET-never-shown"),
        "the secret is masked"
    );
    insta::assert_snapshot!("account_filled", filled);
    // Create is emitted with the form's values.
    let items = a.tabs.account.items(&a.shared);
    a.tabs.account.form.focus_on(&items, AccountField::Create);
    let fx = a.on_action(Action::Activate);
    assert!(
        matches!(fx.as_slice(), [Effect::CreateAccount { spec, .. }] if spec.api_key == "0123456789abcdef0123456789abcdef")
    );
    a.shared.busy = None;
    // A payload mistake is shown inline and nothing is sent.
    a.tabs
        .account
        .form
        .set(AccountField::Payload, r#"{"exp": "1939182446"}"#);
    assert!(a.on_action(Action::Activate).is_empty());
    insta::assert_snapshot!("account_invalid", render(&a));
    // An existing configuration: shown, a second refused, Check Health result.
    let mut a = loaded(configured(), true);
    a.on_action(Action::GotoAccount);
    a.on_msg(Msg::Health(Ok(health(
        true,
        "Token retrieved successfully",
        Some(86399),
    ))));
    insta::assert_snapshot!("account_healthy", render(&a));
    a.on_msg(Msg::Health(Ok(health(false, "IMS refused the token request (401 invalid_client): invalid client_secret parameter. check the client secret", None))));
    insta::assert_snapshot!("account_unhealthy", render(&a));
}

#[test]
fn cloud_tab_states() {
    let mut i = fresh();
    i.ims_configs = configured().ims_configs;
    let mut a = loaded(i, false);
    a.on_action(Action::GotoCloud);
    insta::assert_snapshot!("cloud_empty", render(&a));
    a.tabs
        .cloud
        .form
        .set(CloudField::ServiceUrl, "https://wknd-alias.example.com");
    a.tabs.cloud.form.focus_on(
        &[
            CloudField::Title,
            CloudField::Ims,
            CloudField::ServiceUrl,
            CloudField::Create,
        ],
        CloudField::Create,
    );
    assert!(a.on_action(Action::Activate).is_empty());
    insta::assert_snapshot!("cloud_invalid", render(&a));
    let mut a = loaded(configured(), false);
    a.on_action(Action::GotoCloud);
    insta::assert_snapshot!("cloud_done", render(&a));
}

#[test]
fn replication_tab_states() {
    let mut a = loaded(configured(), false);
    assert_eq!(
        a.tab,
        Tab::Replication,
        "all done: guided mode shows the agents"
    );
    insta::assert_snapshot!("replication_idle", render(&a));
    let fx = a.on_action(Action::TestAll);
    assert!(matches!(fx.as_slice(), [Effect::Test(ids)] if ids.len() == 4));
    for id in ["mp_replication", "mp_replication_a1", "mp_replication_b2"] {
        a.on_msg(Msg::Tested(
            id.into(),
            Ok(TestResult {
                agent: id.into(),
                success: true,
                summary: "Replication test succeeded".into(),
                explanation: vec![],
                transcript: vec![],
            }),
        ));
    }
    a.on_msg(Msg::Tested("mp_replication_c3".into(), Ok(TestResult {
        agent: "mp_replication_c3".into(),
        success: false,
        summary: "Transfer failed for ReplicationAction{type=TEST}. java.io.IOException: Server returned status code 401 with message: Unauthorized.".into(),
        explanation: vec!["sent. Response: 401 Unauthorized".into(), "Transfer failed for ReplicationAction{type=TEST}".into()],
        transcript: vec![],
    })));
    a.on_action(Action::Down);
    a.on_action(Action::Down);
    a.on_action(Action::Down);
    a.shared.notice = None;
    insta::assert_snapshot!("replication_tested", render(&a));
    // A result says when it came: a failure from long ago is not news.
    let t0 = a.shared.now_ms();
    a.shared.clock = Some(t0 + 5 * 60_000);
    assert!(render(&a).contains("✗ 5m ago"), "{}", render(&a));
    a.shared.clock = None;
    // A disabled and a blocked agent.
    let mut i = configured();
    i.agents[1] = agent("mp_replication_a1", false, false, 5);
    i.agents[2] = agent("mp_replication_b2", true, true, 7);
    let mut a = loaded(i, false);
    a.on_action(Action::GotoReplication);
    insta::assert_snapshot!("replication_failing", render(&a));
    // Nothing yet.
    let mut a = loaded(fresh(), false);
    a.on_action(Action::GotoReplication);
    insta::assert_snapshot!("replication_empty", render(&a));
}

#[test]
fn help_small_terminal_and_errors() {
    let mut a = loaded(configured(), false);
    a.on_action(Action::Help);
    assert!(matches!(a.modal, Some(Modal::Help { .. })));
    insta::assert_snapshot!("help", render(&a));
    let small = render_with(&a, 60, 20, &Theme::new(true))
        .backend()
        .to_string();
    assert!(small.contains("terminal too small"));
    for (w, h) in [(1, 1), (20, 5), (80, 24), (79, 24), (300, 80)] {
        render_with(&a, w, h, &Theme::new(true));
    }
    let mut b = app(false);
    b.on_msg(Msg::Loaded(
        next_read(),
        Err(UiError::failed(
            "cannot reach AEM at http://localhost:4502: Connection refused",
        )),
    ));
    insta::assert_snapshot!("unreachable", render(&b));
}

#[test]
fn no_color_keeps_selection_visible() {
    let a = loaded(configured(), false);
    let t = render_with(&a, 100, 30, &Theme::new(false));
    let buf = t.backend().buffer();
    // The selected agent row (first data row of the table) is reversed, not just coloured.
    let row = (0..buf.area.height)
        .find(|y| {
            (0..buf.area.width)
                .map(|x| buf[(x, *y)].symbol().to_string())
                .collect::<String>()
                .contains("› mp_replication ")
        })
        .unwrap();
    let cell = &buf[(4, row)];
    assert!(cell.modifier.contains(Modifier::REVERSED), "{cell:?}");
    assert_eq!(cell.fg, ratatui::style::Color::Reset);
    // The active tab too.
    let tabs_row = 1;
    let reversed =
        (0..buf.area.width).any(|x| buf[(x, tabs_row)].modifier.contains(Modifier::REVERSED));
    assert!(reversed);
}

#[test]
fn keys_and_transitions() {
    let mut a = loaded(fresh_jwt_era(), true);
    // Typing into a field.
    a.on_key(code(KeyCode::Enter));
    assert!(a.editing());
    a.on_key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
    for c in "bp2026".chars() {
        a.on_key(key(c));
    }
    assert_eq!(a.tabs.certificate.form.value(CertField::Alias), "bp2026");
    // q while editing is text, not quit.
    a.on_key(key('q'));
    assert!(!a.quit);
    assert_eq!(a.tabs.certificate.form.value(CertField::Alias), "bp2026q");
    a.on_key(code(KeyCode::Backspace));
    a.on_key(code(KeyCode::Esc));
    assert!(!a.editing());
    // Quit asks because a form has unsaved input.
    a.on_key(key('q'));
    assert!(matches!(a.modal, Some(Modal::ConfirmQuit)));
    a.on_key(key('n'));
    assert!(!a.quit);
    // Tabs move; numbers jump.
    a.on_key(code(KeyCode::Tab));
    assert_eq!(a.tab, Tab::Account);
    a.on_key(code(KeyCode::BackTab));
    assert_eq!(a.tab, Tab::Certificate);
    a.on_key(key('4'));
    assert_eq!(a.tab, Tab::Replication);
    a.on_key(key('1'));
    // The keystore password is required when the store does not exist.
    let items = a.tabs.certificate.items(&a.shared);
    a.tabs.certificate.form.focus_on(&items, CertField::Create);
    assert!(a.on_key(code(KeyCode::Enter)).is_empty());
    assert!(a.tabs.certificate.form.errors[0].contains("password"));
    a.tabs
        .certificate
        .form
        .set(CertField::KeystorePassword, "changeit");
    let fx = a.on_key(code(KeyCode::Enter));
    assert!(
        matches!(fx.as_slice(), [Effect::CreateCertificate { alias, days: 365, keystore_password: Some(_) }] if alias == "bp2026")
    );
    assert!(a.shared.busy.is_some());
    // Esc cancels a running operation.
    let fx = a.on_key(code(KeyCode::Esc));
    assert!(matches!(fx.as_slice(), [Effect::Cancel]));
    a.on_msg(Msg::Cancelled(brandlink::tui::effect::Cancelled::Stopped));
    assert!(a.shared.busy.is_none());
    // The Console key needs a certificate made in this session.
    a.on_key(key('2'));
    assert!(a.on_key(key('f')).is_empty());
    assert!(
        a.shared
            .notice
            .as_ref()
            .unwrap()
            .text
            .contains("create a certificate first")
    );
    // Paste goes into the focused field.
    a.on_action(Action::Down);
    a.on_action(Action::Down);
    a.on_paste("abc\ndef");
    assert_eq!(a.tabs.account.form.value(AccountField::ApiKey), "abc def");
    // Ctrl-C always quits.
    a.on_key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    assert!(a.quit);
    // Ctrl-Z asks the runtime to suspend.
    let mut b = loaded(fresh(), false);
    let fx = b.on_key(KeyEvent::new(KeyCode::Char('z'), KeyModifiers::CONTROL));
    assert!(matches!(fx.as_slice(), [Effect::Suspend]));
    // Refresh re-reads.
    assert!(matches!(
        b.on_key(key('r')).as_slice(),
        [
            Effect::RetryCredentials,
            Effect::Load,
            Effect::MonitorRefresh
        ]
    ));
    // Test results arriving re-read AEM when all are in.
    let mut c = loaded(configured(), false);
    c.on_action(Action::TestSelected);
    assert!(matches!(
        c.tabs.replication.tests.get("mp_replication"),
        Some(TestState::Running)
    ));
    let fx = c.on_msg(Msg::Tested(
        "mp_replication".into(),
        Err(UiError::failed("boom")),
    ));
    assert!(matches!(fx.as_slice(), [Effect::Load]));
}

#[test]
fn mouse_clicks_tabs_and_rows() {
    use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
    let mut a = loaded(configured(), false);
    let click = |column, row| MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column,
        row,
        modifiers: KeyModifiers::NONE,
    };
    let screen = render_clicks(&mut a);
    let tabs = a.clicks.tabs.clone();
    assert_eq!(tabs.len(), 4);
    // The drawn tab bar puts each title inside its clickable range.
    let bar: Vec<char> = screen
        .lines()
        .nth(1)
        .unwrap()
        .trim_matches('"')
        .chars()
        .collect();
    for (r, tab) in &tabs {
        let text: String = bar[r.x as usize..(r.x + r.width) as usize].iter().collect();
        assert!(
            text.contains(tab.title()),
            "{text:?} should hold {}",
            tab.title()
        );
        a.on_mouse(click(r.x + 1, r.y));
        assert_eq!(a.tab, *tab);
    }
    a.on_action(Action::GotoReplication);
    render_clicks(&mut a);
    let (top, n) = a.clicks.body.rows.unwrap();
    assert_eq!(n, 4);
    a.on_mouse(click(5, top + 2));
    assert_eq!(a.tabs.replication.agent_sel, 2);
    a.on_mouse(MouseEvent {
        kind: MouseEventKind::ScrollUp,
        column: 0,
        row: 0,
        modifiers: KeyModifiers::NONE,
    });
    assert_eq!(a.tabs.replication.agent_sel, 1);
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

#[test]
fn monitor_on_the_replication_tab() {
    use brandlink::aem::queue::QueueState as S;
    let mut a = loaded(configured(), false);
    assert_eq!(a.wanted_monitor().len(), 4, "polling while the tab shows");
    let wanted = a.wanted_monitor();
    a.tabs.replication.reset_monitor(&wanted);
    let now = 1_798_761_600_000;
    a.shared.clock = Some(now);
    for (i, n) in [40u64, 30, 20].iter().enumerate() {
        a.on_msg(live(
            "mp_replication_a1",
            S::Active,
            *n,
            now - (3 - i as i64) * 2000,
        ));
    }
    a.on_msg(live("mp_replication_b2", S::Blocked, 7, now));
    a.on_msg(live("mp_replication", S::Idle, 0, now));
    let screen = render(&a);
    assert!(screen.contains("total pending 27"), "{screen}");
    assert!(screen.contains("20↓"), "change marker: {screen}");
    assert!(screen.contains("queue blocked"), "alert shown: {screen}");
    // Freeze keeps the figures.
    a.on_action(Action::Freeze);
    a.on_msg(live("mp_replication_a1", S::Active, 5, now));
    assert_eq!(
        a.tabs.replication.pending("mp_replication_a1", &a.shared),
        Some(20)
    );
    a.on_action(Action::Freeze);
    // Clear needs the agent id typed.
    a.tabs.replication.agent_sel = 1;
    assert!(a.on_action(Action::ClearQueue).is_empty());
    assert!(matches!(a.modal, Some(Modal::ClearQueue(_))));
    insta::assert_snapshot!(
        "replication_clear_confirm",
        render(&a)
            .lines()
            .skip(8)
            .take(12)
            .collect::<Vec<_>>()
            .join("\n")
    );
    // The count stays live while the dialog is open.
    let before = match &a.modal {
        Some(Modal::ClearQueue(c)) => c.pending,
        _ => unreachable!(),
    };
    a.on_msg(live(
        "mp_replication_a1",
        S::Active,
        before + 7,
        now + 2_000,
    ));
    assert!(
        matches!(&a.modal, Some(Modal::ClearQueue(c)) if c.pending == before + 7),
        "the dialog's count follows the queue"
    );
    assert!(render(&a).contains(&format!("{} items will be dropped", before + 7)));
    for c in "mp_repl".chars() {
        a.on_key(key(c));
    }
    assert!(
        a.on_key(code(KeyCode::Enter)).is_empty(),
        "not the full id yet"
    );
    for c in "ication_a1".chars() {
        a.on_key(key(c));
    }
    let fx = a.on_key(code(KeyCode::Enter));
    assert!(
        matches!(fx.as_slice(), [Effect::Queue(id, QueueOp::Clear)] if id == "mp_replication_a1")
    );
    a.shared.busy = None;
    // Pause turns into resume on a paused queue; force retry.
    a.on_msg(live("mp_replication_a1", S::Paused, 3, now));
    assert!(matches!(
        a.on_key(key('p')).as_slice(),
        [Effect::Queue(_, QueueOp::Resume)]
    ));
    assert!(matches!(
        a.on_key(key('R')).as_slice(),
        [Effect::Queue(_, QueueOp::ForceRetry)]
    ));
    // The log pane.
    let fx = a.on_key(key('L'));
    assert!(matches!(fx.as_slice(), [Effect::FetchLog(id)] if id == "mp_replication_a1"));
    let lines = (0..300)
        .map(|i| brandlink::aem::agents::LogLine {
            time: Some("25.11.2026 10:00:00".into()),
            message: format!("line {i}"),
        })
        .collect();
    a.on_msg(Msg::Log("mp_replication_a1".into(), Ok(lines)));
    let screen = render(&a);
    assert!(
        screen.contains("line 299") && !screen.contains("line 100 "),
        "the end of the log is shown"
    );
    a.on_key(code(KeyCode::Up));
    assert!(render(&a).contains("line 298"));
    a.on_key(code(KeyCode::Esc));
    assert!(a.modal.is_none());
    // Read-only hides the actions.
    a.shared.read_only = true;
    assert!(a.on_key(key('R')).is_empty());
    assert!(a.shared.notice.as_ref().unwrap().text.contains("read-only"));
    // Leaving the tab stops the polling.
    a.on_action(Action::GotoAccount);
    assert!(a.wanted_monitor().is_empty());
}

#[test]
fn a_long_queue_renders_only_what_fits() {
    use brandlink::aem::queue::QueueState as S;
    let mut a = loaded(configured(), false);
    let wanted = a.wanted_monitor();
    a.tabs.replication.reset_monitor(&wanted);
    let now = 1_798_761_600_000;
    a.shared.clock = Some(now);
    a.on_msg(live("mp_replication", S::Active, 10_000, now));
    let screen = render(&a);
    assert!(screen.contains("items 1–"), "{screen}");
    assert!(screen.contains("of 60 listed; PgUp/PgDn"), "{screen}");
    assert!(screen.contains("oldest item waiting 5s"), "{screen}");
    assert!(
        screen.contains("not draining"),
        "no deliveries seen yet: {screen}"
    );
    // PgDn moves through the list; a new agent starts at the top again.
    a.on_key(code(KeyCode::PageDown));
    let down = render(&a);
    assert!(down.contains("items 11–"), "{down}");
    assert!(down.contains("asset-00010.jpg"), "{down}");
    a.on_key(code(KeyCode::PageUp));
    assert!(render(&a).contains("items 1–"));
}

#[test]
fn the_bell_rings_once_per_new_alert() {
    use brandlink::aem::queue::QueueState as S;
    let mut a = loaded(configured(), false);
    let wanted = a.wanted_monitor();
    a.tabs.replication.reset_monitor(&wanted);
    a.shared.clock = Some(1_798_761_600_000);
    a.tabs.replication.bell = true;
    assert!(
        a.on_msg(live("mp_replication", S::Idle, 0, 1_798_761_600_000))
            .is_empty()
    );
    let fx = a.on_msg(live("mp_replication", S::Blocked, 3, 1_798_761_600_000));
    assert!(
        matches!(
            fx.as_slice(),
            [Effect::Load, Effect::ExplainQueue(agent), Effect::Bell] if agent == "mp_replication"
        ),
        "the bell, the step read again and the log read for the cause: {fx:?}"
    );
    assert!(
        a.on_msg(live("mp_replication", S::Blocked, 3, 1_798_761_600_000))
            .is_empty(),
        "not again for the same alert"
    );
    a.tabs.replication.bell = false;
    assert!(
        a.on_msg(live("mp_replication_a1", S::Disabled, 3, 1_798_761_600_000))
            .is_empty()
    );
}

#[test]
fn upgrade_from_the_cloud_tab() {
    use brandlink::setup::service::{UpgradeDone, UpgradePreview};
    use brandlink::setup::upgrade::{BusyAgent, Journal, Plan, Target, TargetKind};
    let mut a = loaded(configured(), false);
    a.shared.backup_root = "/home/op/.local/state/brandlink/backups".into();
    a.on_action(Action::GotoCloud);
    assert!(matches!(
        a.on_key(key('u')).as_slice(),
        [Effect::PlanUpgrade(None)]
    ));
    assert!(matches!(a.modal, Some(Modal::Upgrade(_))));
    let plan = Plan {
        tenant_url: TENANT.into(),
        targets: vec![
            Target {
                kind: TargetKind::Agent,
                path: "/etc/replication/agents.author/mp_replication".into(),
                id: None,
            },
            Target {
                kind: TargetKind::CloudConfig,
                path: "/etc/cloudservices/mediaportal/brand-portal-wknd".into(),
                id: None,
            },
            Target {
                kind: TargetKind::MacUser,
                path: "/home/users/mac/x4Fq2mWLP0b7".into(),
                id: Some("mac-wknd-replication".into()),
            },
        ],
    };
    // Busy: typing does not unlock it.
    a.on_msg(Msg::UpgradePlanned(Ok(UpgradePreview::Fresh {
        plan: plan.clone(),
        busy: vec![BusyAgent {
            agent: "mp_replication".into(),
            state: "active".into(),
            pending: 12,
            stuck: None,
            queued_paths: vec![],
        }],
    })));
    for c in "upgrade".chars() {
        a.on_key(key(c));
    }
    assert!(a.on_key(code(KeyCode::Enter)).is_empty());
    insta::assert_snapshot!("upgrade_busy", render(&a));
    // Stuck on a retired credential: it will never drain, so the dialog says why and lets the
    // operator go ahead with the queued paths recorded.
    a.on_key(code(KeyCode::Esc));
    a.on_key(key('u'));
    a.on_msg(Msg::UpgradePlanned(Ok(UpgradePreview::Fresh {
        plan: plan.clone(),
        busy: vec![BusyAgent {
            agent: "mp_replication".into(),
            state: "blocked".into(),
            pending: 7,
            stuck: Some("AEM's JWT credential is retired and IMS refuses it (invalid_client: JWT credentials reached end of life); these items will not drain with it".into()),
            queued_paths: vec!["/content/dam/wknd/a.jpg".into()],
        }],
    })));
    for c in "upgrade".chars() {
        a.on_key(key(c));
    }
    insta::assert_snapshot!("upgrade_stuck", render(&a));
    assert!(matches!(
        a.on_key(code(KeyCode::Enter)).as_slice(),
        [Effect::RunUpgrade(_)]
    ));
    a.on_msg(Msg::UpgradeDone(Err(brandlink::tui::effect::UiError {
        class: brandlink::setup::ErrorClass::Failed,
        message: "stopped".into(),
    })));
    a.on_msg(Msg::Loaded(next_read(), Ok(Box::new(configured()))));
    // Idle: the typed word goes ahead.
    a.on_key(code(KeyCode::Esc));
    a.on_key(key('u'));
    a.on_msg(Msg::UpgradePlanned(Ok(UpgradePreview::Fresh {
        plan: plan.clone(),
        busy: vec![],
    })));
    for c in "upgrad".chars() {
        a.on_key(key(c));
    }
    assert!(
        a.on_key(code(KeyCode::Enter)).is_empty(),
        "only the whole word"
    );
    a.on_key(key('e'));
    insta::assert_snapshot!("upgrade_ready", render(&a));
    assert!(matches!(
        a.on_key(code(KeyCode::Enter)).as_slice(),
        [Effect::RunUpgrade(p)] if p.resume_dir().is_none()
    ));
    a.on_msg(Msg::UpgradeDone(Ok(Box::new(UpgradeDone {
        backup_dir: "/tmp/backup".into(),
        resumed: false,
        tenant_url: plan.tenant_url.clone(),
        journal: Journal {
            aem_url: "http://localhost:4502".into(),
            tenant_url: plan.tenant_url.clone(),
            steps: vec![],
            complete: true,
            let_go: vec![],
            seal: None,
        },
    }))));
    assert!(
        a.shared
            .notice
            .as_ref()
            .unwrap()
            .text
            .contains("/tmp/backup")
    );
    // The next read opens the first step again: on 6.5.21+ that is the Account (OAuth).
    let mut fresh_state = fresh();
    fresh_state.read_at = 1_798_761_600;
    a.on_msg(Msg::Loaded(next_read(), Ok(Box::new(fresh_state))));
    assert_eq!(a.tab, Tab::Account);
    // Read-only: no upgrade.
    let mut b = loaded(configured(), false);
    b.shared.read_only = true;
    b.on_action(Action::GotoCloud);
    assert!(b.on_key(key('u')).is_empty());
}

#[test]
fn a_dialog_owns_every_key() {
    // Tab in the upgrade dialog neither closes it nor reaches the Service URL behind it.
    let mut a = loaded(configured(), false);
    a.on_action(Action::GotoCloud);
    let before = a.tabs.cloud.form.value(CloudField::ServiceUrl).to_string();
    a.on_key(key('u'));
    for k in [
        code(KeyCode::Tab),
        code(KeyCode::BackTab),
        key('x'),
        key('q'),
    ] {
        a.on_key(k);
        assert!(matches!(a.modal, Some(Modal::Upgrade(_))), "{k:?}");
    }
    assert_eq!(a.tabs.cloud.form.value(CloudField::ServiceUrl), before);
    assert!(!a.quit, "q is typed into the dialog");
    a.on_key(code(KeyCode::Esc));
    assert!(a.modal.is_none());
    // The clear dialog says when the typed id is wrong.
    let mut b = loaded(configured(), false);
    assert!(b.on_key(key('C')).is_empty());
    b.on_key(code(KeyCode::Tab));
    for c in "nope".chars() {
        b.on_key(key(c));
    }
    assert!(b.on_key(code(KeyCode::Enter)).is_empty());
    assert!(render(&b).contains("that is not the agent id"));
    // Ctrl-C still quits from inside a dialog.
    b.on_key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    assert!(b.quit);
}

#[test]
fn retry_follows_the_error_class() {
    use brandlink::setup::ErrorClass;
    // An unreachable author is read again by itself.
    let mut a = app(false);
    let fx = a.on_msg(Msg::Loaded(
        next_read(),
        Err(UiError {
            class: ErrorClass::Transient,
            message: "cannot reach AEM".into(),
        }),
    ));
    assert!(matches!(fx.as_slice(), [Effect::LoadLater(_)]));
    // Rejected credentials are not: lockout policies count every try.
    let mut b = app(false);
    let fx = b.on_msg(Msg::Loaded(
        next_read(),
        Err(UiError {
            class: ErrorClass::Auth,
            message: "AEM rejected the credentials for user admin (401)".into(),
        }),
    ));
    assert!(fx.is_empty(), "{fx:?}");
    assert!(render(&b).contains("credentials rejected (r retries)"));
    assert!(matches!(
        b.on_key(key('r')).as_slice(),
        [
            Effect::RetryCredentials,
            Effect::Load,
            Effect::MonitorRefresh
        ]
    ));
    // A usage problem is not retried either; anything else is, slowly.
    let mut c = app(false);
    let fx = c.on_msg(Msg::Loaded(
        next_read(),
        Err(UiError {
            class: ErrorClass::Failed,
            message: "unexpected answer".into(),
        }),
    ));
    assert!(
        matches!(fx.as_slice(), [Effect::LoadLater(d)] if d.as_secs() == 60),
        "{fx:?}"
    );
}

#[test]
fn an_older_read_never_overwrites_a_newer_one() {
    let mut a = app(false);
    let mut newer = configured();
    newer.tenant_url = Some("https://newer.brand-portal.adobe.com".into());
    a.on_msg(Msg::Loaded(20_000_000, Ok(Box::new(newer))));
    // The read that started first answers last: dropped.
    a.on_msg(Msg::Loaded(19_999_999, Ok(Box::new(fresh()))));
    assert_eq!(
        a.shared
            .snapshot
            .as_ref()
            .and_then(|s| s.tenant_url.as_deref()),
        Some("https://newer.brand-portal.adobe.com")
    );
}

#[test]
fn esc_stops_a_read_at_once_and_a_write_only_between_whole_steps() {
    use brandlink::tui::effect::Cancelled;
    // The start-up read (AEM slow to answer) stops on esc.
    let mut a = app(false);
    assert!(a.shared.loading);
    assert!(matches!(
        a.on_key(code(KeyCode::Esc)).as_slice(),
        [Effect::CancelLoad]
    ));
    assert!(!a.shared.loading);
    assert!(render(&a).contains("stopped reading AEM; r reads again"));
    // A write in progress is asked to stop; the runtime says what it could do.
    let mut b = loaded(configured(), false);
    b.shared.busy = Some("creating the IMS configuration".into());
    assert!(matches!(
        b.on_key(code(KeyCode::Esc)).as_slice(),
        [Effect::Cancel]
    ));
    b.on_msg(Msg::Cancelled(Cancelled::MustFinish));
    assert!(
        b.shared.busy.is_some(),
        "still running: its result will tell"
    );
    assert!(render(&b).contains("cannot stop half-way"));
    b.on_msg(Msg::Cancelled(Cancelled::Stopped));
    assert!(b.shared.busy.is_none());
}

#[test]
fn migrate_from_the_account_tab() {
    use brandlink::setup::migrate::MigrationPlan;
    let mut i = configured();
    i.ims_configs[0].auth_type = AuthType::Jwt;
    i.ims_configs[0].keypair_alias = Some("brandportal".into());
    let mut a = loaded(i.clone(), true);
    a.on_action(Action::GotoAccount);
    assert!(
        render(&a).contains("m migrate JWT → OAuth…"),
        "offered for JWT"
    );
    let fx = a.on_key(key('m'));
    assert!(
        matches!(fx.as_slice(), [Effect::FetchCredential { client_id }] if client_id == "0123456789abcdef"),
        "the sandbox fills the values: {fx:?}"
    );
    assert!(matches!(a.modal, Some(Modal::Migrate(_))));
    // Tab moves between the dialog's fields; nothing reaches the tab behind.
    a.on_key(code(KeyCode::Tab));
    for c in "openid".chars() {
        a.on_key(key(c));
    }
    let fx = a.on_key(code(KeyCode::Enter));
    let [Effect::PlanMigration { req, .. }] = fx.as_slice() else {
        panic!("{fx:?}")
    };
    assert_eq!(req.scopes, vec!["openid".to_string()]);
    assert_eq!(req.api_key.as_deref(), Some("0123456789abcdef"));
    // IMS said no: the values stay for another try.
    a.on_msg(Msg::MigrationPlanned(Err(UiError::failed(
        "IMS refused the token request (401 invalid_client) (IMS rejected the client secret); nothing was changed",
    ))));
    assert!(render(&a).contains("IMS rejected the client secret"));
    assert!(matches!(
        a.on_key(code(KeyCode::Enter)).as_slice(),
        [Effect::PlanMigration { .. }]
    ));
    // The plan: typed word, then the run.
    let plan: MigrationPlan = test_plan();
    a.on_msg(Msg::MigrationPlanned(Ok(plan)));
    assert!(render(&a).contains("Type migrate"));
    for c in "migrat".chars() {
        a.on_key(key(c));
    }
    assert!(
        a.on_key(code(KeyCode::Enter)).is_empty(),
        "only the whole word"
    );
    a.on_key(key('e'));
    let fx = a.on_key(code(KeyCode::Enter));
    assert!(
        matches!(fx.as_slice(), [Effect::RunMigration { .. }]),
        "{fx:?}"
    );
    assert!(a.modal.is_none());
    assert!(a.shared.busy.is_some());
    // Read-only: no migration.
    let mut b = loaded(i, true);
    b.shared.read_only = true;
    b.on_action(Action::GotoAccount);
    assert!(b.on_key(key('m')).is_empty());
    assert!(b.modal.is_none());
}

#[test]
fn arrows_move_between_the_migration_dialogs_fields() {
    let mut i = configured();
    i.ims_configs[0].auth_type = AuthType::Jwt;
    let mut a = loaded(i, true);
    a.on_action(Action::GotoAccount);
    a.on_key(key('m'));
    let focused = |a: &App| {
        render(a)
            .lines()
            .find_map(|l| l.split('›').nth(1).map(|r| r.trim().to_string()))
            .unwrap_or_default()
    };
    assert!(focused(&a).starts_with("Client secret"), "{}", render(&a));
    a.on_key(code(KeyCode::Down));
    a.on_key(code(KeyCode::Down));
    assert!(focused(&a).starts_with("Organization id"), "{}", render(&a));
    a.on_key(code(KeyCode::Up));
    assert!(focused(&a).starts_with("Scopes"), "{}", render(&a));
    // Arrows never reach the tab behind or start anything.
    assert!(matches!(a.modal, Some(Modal::Migrate(_))));
}

#[test]
fn a_finished_migration_leaves_no_stale_form_error_and_no_jwt_alias() {
    use brandlink::setup::migrate::MigrationDone;
    let mut i = configured();
    i.ims_configs[0].auth_type = AuthType::Jwt;
    i.ims_configs[0].keypair_alias = Some("brandportal".into());
    let mut a = loaded(i.clone(), false);
    a.on_action(Action::GotoAccount);
    assert!(render(&a).contains("key alias"), "JWT shows its alias");
    let items = a.tabs.account.items(&a.shared);
    a.tabs.account.form.focus_on(&items, AccountField::Save);
    a.on_key(code(KeyCode::Enter));
    assert!(render(&a).contains("nothing to save"));
    a.on_msg(Msg::Migrated(Ok(Box::new(MigrationDone {
        plan: test_plan(),
        backup_dir: "/backups/x".into(),
        tests: vec![],
        ok: true,
        retried: vec![],
    }))));
    assert!(!render(&a).contains("nothing to save"), "{}", render(&a));
    // Read again: the same configuration, now OAuth, keeps the old alias property unused.
    i.ims_configs[0].auth_type = AuthType::OauthServerToServer;
    a.on_msg(Msg::Loaded(next_read(), Ok(Box::new(i))));
    let screen = render(&a);
    assert!(screen.contains("OAuth Server-to-Server"), "{screen}");
    assert!(!screen.contains("key alias"), "{screen}");
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

#[test]
fn oauth_first_on_a_current_author() {
    // 6.5.21+: the certificate is not needed, the Account step opens with OAuth selected.
    let mut a = loaded(fresh(), true);
    assert_eq!(
        a.tab,
        Tab::Account,
        "guided mode skips the retired JWT certificate"
    );
    assert_eq!(a.tabs.account.auth_type, AuthType::OauthServerToServer);
    let screen = render(&a);
    assert!(screen.contains("‹ OAuth Server-to-Server ›"), "{screen}");
    assert!(screen.contains("No certificate"), "{screen}");
    insta::assert_snapshot!("account_oauth_first", screen);
    // The sandbox Console makes an OAuth credential without a certificate.
    let fx = a.on_key(key('f'));
    assert!(
        matches!(fx.as_slice(), [Effect::FetchConsole { cert_pem: None }]),
        "{fx:?}"
    );
    // An older author keeps JWT and says what OAuth would need.
    let b = loaded(fresh_jwt_era(), false);
    assert_eq!(b.tab, Tab::Certificate);
    assert_eq!(b.tabs.account.auth_type, AuthType::Jwt);
}

#[test]
fn changes_that_need_a_typed_word() {
    // Another tenant's Service URL on the Cloud tab: what a repoint does, then the word.
    let mut a = loaded(configured(), false);
    a.on_action(Action::GotoCloud);
    a.tabs.cloud.form.set(
        CloudField::ServiceUrl,
        "https://other.brand-portal.adobe.com",
    );
    a.tabs.cloud.form.focus_on(
        &[
            CloudField::Title,
            CloudField::Ims,
            CloudField::ServiceUrl,
            CloudField::Create,
        ],
        CloudField::Create,
    );
    assert!(a.on_key(code(KeyCode::Enter)).is_empty());
    assert!(matches!(a.modal, Some(Modal::Confirm(_))));
    let screen = render(&a);
    assert!(
        screen.contains("AEM creates four agents and a MAC user"),
        "{screen}"
    );
    for c in "repoin".chars() {
        a.on_key(key(c));
    }
    assert!(
        a.on_key(code(KeyCode::Enter)).is_empty(),
        "only the whole word"
    );
    a.on_key(key('t'));
    let fx = a.on_key(code(KeyCode::Enter));
    assert!(
        matches!(
            fx.as_slice(),
            [Effect::CreateCloud {
                mode: brandlink::setup::actions::CloudMode::Repoint,
                ..
            }]
        ),
        "{fx:?}"
    );
    // Delete is refused while the cloud configuration names the IMS configuration.
    let mut b = loaded(configured(), false);
    b.on_action(Action::GotoAccount);
    assert!(b.on_key(key('x')).is_empty());
    assert!(b.modal.is_none());
    assert!(b.shared.notice.as_ref().unwrap().text.contains("names it"));
    // Without a cloud configuration: the dialog, then the delete.
    let mut i = configured();
    i.cloud_configs.clear();
    let mut c = loaded(i, false);
    c.on_action(Action::GotoAccount);
    c.on_key(key('x'));
    assert!(matches!(c.modal, Some(Modal::Confirm(_))));
    for ch in "delete".chars() {
        c.on_key(key(ch));
    }
    assert!(matches!(
        c.on_key(code(KeyCode::Enter)).as_slice(),
        [Effect::DeleteAccount]
    ));
    // Changing the configuration: its values fill the form; nothing changed, nothing to save;
    // a new secret (and a changed value) go to IMS first.
    let mut d = loaded(configured(), false);
    d.on_action(Action::GotoAccount);
    assert_eq!(
        d.tabs.account.form.value(AccountField::ApiKey),
        "0123456789abcdef"
    );
    assert_eq!(d.tabs.account.form.value(AccountField::Scopes), "openid");
    let items = d.tabs.account.items(&d.shared);
    d.tabs.account.form.focus_on(&items, AccountField::Save);
    assert!(d.on_key(code(KeyCode::Enter)).is_empty());
    assert!(d.tabs.account.form.errors[0].contains("nothing to save"));
    d.tabs
        .account
        .form
        .set(AccountField::Secret, "p8e-new-secret");
    d.tabs
        .account
        .form
        .set(AccountField::Scopes, "openid,AdobeID");
    let fx = d.on_key(code(KeyCode::Enter));
    let [
        Effect::PlanUpdate {
            req,
            secret: Some(_),
        },
    ] = fx.as_slice()
    else {
        panic!("{fx:?}")
    };
    assert_eq!(
        req.scopes.as_deref(),
        Some(&["openid".to_string(), "AdobeID".to_string()][..])
    );
    assert!(
        req.title.is_none() && req.api_key.is_none(),
        "unchanged values stay out"
    );
    assert!(
        !format!("{fx:?}").contains("p8e-new-secret"),
        "Debug hides it"
    );
}

#[test]
fn certificate_rotation_from_the_certificate_tab() {
    use brandlink::setup::lifecycle::UpdatePlan;
    use brandlink::setup::migrate::PropertyChange;
    let mut i = configured();
    i.ims_configs[0].auth_type = AuthType::Jwt;
    i.ims_configs[0].keypair_alias = Some("brandportal".into());
    let mut next = i.keystore.aliases[0].clone();
    next.alias = "bp-next".into();
    i.keystore.aliases.push(next);
    let mut a = loaded(i, false);
    a.on_action(Action::GotoCertificate);
    assert!(render(&a).contains("a use the new key pair"), "offered");
    let fx = a.on_key(key('a'));
    let [Effect::PlanUpdate { req, secret: None }] = fx.as_slice() else {
        panic!("{fx:?}")
    };
    assert_eq!(req.key_alias.as_deref(), Some("bp-next"));
    a.on_msg(Msg::UpdatePlanned(
        Ok(UpdatePlan {
            pid: "com.adobe.granite.auth.oauth.accesstoken.provider.1234".into(),
            auth_type: AuthType::Jwt,
            changes: vec![PropertyChange {
                on: "provider",
                name: "auth.token.provider.keypair.alias".into(),
                before: Some(vec!["brandportal".into()]),
                after: Some(vec!["bp-next".into()]),
            }],
            preflight: Verdict::skipped("jwt-exchange", "Test Connection checks it"),
            tenant_url: Some(TENANT.into()),
        }),
        None,
    ));
    assert!(render(&a).contains("brandportal → bp-next"));
    for c in "update".chars() {
        a.on_key(key(c));
    }
    assert!(matches!(
        a.on_key(code(KeyCode::Enter)).as_slice(),
        [Effect::RunUpdate { .. }]
    ));
    // An OAuth configuration has nothing to rotate.
    let mut b = loaded(configured(), false);
    b.on_action(Action::GotoCertificate);
    assert!(b.on_key(key('a')).is_empty());
}

#[test]
fn a_legacy_only_author_opens_on_the_cloud_tab_and_says_to_upgrade() {
    let mut i = fresh();
    i.cloud_configs = vec![brandlink::aem::cloud::CloudConfig {
        path: "/etc/cloudservices/mediaportal/brand-portal-wknd".into(),
        title: "Brand Portal".into(),
        tenant_url: TENANT.into(),
        ims_config: None,
        legacy: true,
    }];
    i.tenant_url = Some(TENANT.into());
    let a = loaded(i, false);
    let screen = render(&a);
    assert!(screen.contains("┌ Cloud Service"), "{screen}");
    assert!(
        screen.contains("only a legacy Brand Portal integration"),
        "{screen}"
    );
    assert!(screen.contains("press u to upgrade"), "{screen}");
}

#[test]
fn at_80_by_24_the_four_agents_can_be_told_apart() {
    let mut i = configured();
    for (a, id) in i.agents.iter_mut().zip([
        "mp_replication",
        "mp_replication_1b89",
        "mp_replication_02aa",
        "mp_replication_d243",
    ]) {
        a.info.id = id.into();
    }
    let mut a = loaded(i, false);
    a.on_action(Action::GotoReplication);
    let t = render_with(&a, 80, 24, &Theme::new(true));
    let screen: String = t
        .backend()
        .buffer()
        .content()
        .chunks(80)
        .map(|row| row.iter().map(|c| c.symbol()).collect::<String>() + "\n")
        .collect();
    for tail in ["1b89", "02aa", "d243"] {
        assert!(screen.contains(tail), "{tail} not on screen:\n{screen}");
    }
}

#[test]
fn the_demo_publishes_samples_from_the_replication_tab() {
    let mut a = loaded(configured(), true);
    a.on_action(Action::GotoReplication);
    assert!(render(&a).contains("P publish"), "offered in the sandbox");
    assert!(matches!(
        a.on_key(key('P')).as_slice(),
        [Effect::PublishSample(25)]
    ));
    // Against a real author it is not offered and does nothing.
    let mut b = loaded(configured(), false);
    b.on_action(Action::GotoReplication);
    assert!(!render(&b).contains("P publish"));
    assert!(b.on_key(key('P')).is_empty());
}

#[test]
fn the_doctor_overlay() {
    use brandlink::verdict::{Finding, Remedy, Report};
    let mut a = loaded(configured(), false);
    let effects = a.on_action(Action::Doctor);
    assert!(
        matches!(effects.as_slice(), [Effect::Doctor]),
        "{effects:?}"
    );
    let waiting = render_with(&a, 80, 24, &Theme::new(true))
        .backend()
        .to_string();
    assert!(waiting.contains("checking the integration"), "{waiting}");
    let findings = vec![
        Finding::ok("aem", "Adobe Experience Manager (6.5.22.0), credentials accepted, all 612 bundles active"),
        Finding::ok("ims.config", "one Brand Portal IMS configuration: Brand Portal (OAuth Server-to-Server)"),
        Finding::fail("ims.token", "Test Connection on mp_replication failed: IMS refuses the stored client secret")
            .cause("IMS refuses the client secret AEM stores (wrong, or rotated in the Console)")
            .fix("copy the current client secret from the Developer Console into the IMS configuration")
            .command("brandlink account update --secret"),
        Finding::warn("agents.close-connection", "Close Connection is off on 4 of 4 agents: mp_replication, mp_replication_1b89, mp_replication_77aa, mp_replication_9c01")
            .cause("Adobe asks for it on all four")
            .fix("set Close Connection on all four")
            .command("brandlink agents --close-connection")
            .remedy(Remedy::CloseConnection(vec!["mp_replication".into()])),
        Finding::skip("jwt.certificate", "not needed: OAuth Server-to-Server uses no key pair"),
    ];
    let report =
        Report::from_findings("http://localhost:4502", None, 1_800_000_000, true, findings);
    a.on_msg(Msg::Doctor(Box::new(report)));
    insta::assert_snapshot!(
        "doctor",
        render_with(&a, 80, 24, &Theme::new(true))
            .backend()
            .to_string()
    );
    // It opened on the first failure, which has no fix of brandlink's: ⏎ names the command.
    a.on_action(Action::Activate);
    assert!(matches!(a.modal, Some(Modal::Doctor(_))));
    // The warning below has one: ⏎ asks for confirmation first.
    a.on_action(Action::Down);
    a.on_action(Action::Activate);
    assert!(matches!(a.modal, Some(Modal::Confirm(_))), "{:?}", a.modal);
    a.on_action(Action::Back);
    assert!(a.modal.is_none());
    // Read-only: offered, never applied.
    let mut r = loaded(configured(), false);
    r.shared.read_only = true;
    r.on_action(Action::Doctor);
    let findings = vec![
        Finding::warn("queues.paused", "paused: mp_replication")
            .remedy(Remedy::Resume(vec!["mp_replication".into()])),
    ];
    r.on_msg(Msg::Doctor(Box::new(Report::from_findings(
        "u", None, 0, true, findings,
    ))));
    let effects = r.on_action(Action::Activate);
    assert!(effects.is_empty(), "{effects:?}");
    assert!(matches!(r.modal, Some(Modal::Doctor(_))));
}

#[test]
fn freeze_holds_every_figure() {
    use brandlink::aem::queue::QueueState as S;
    let mut a = loaded(configured(), false);
    a.on_action(Action::GotoReplication);
    let t0 = 1_800_000_000_000;
    a.shared.clock = Some(t0);
    a.on_msg(live("mp_replication", S::Active, 40, t0 - 4_000));
    a.on_msg(live("mp_replication", S::Active, 20, t0 - 2_000));
    a.on_action(Action::Freeze);
    let frozen = render(&a);
    assert!(frozen.contains("FROZEN"), "{frozen}");
    // Time passes and polls arrive: nothing on the screen moves.
    a.shared.clock = Some(t0 + 45_000);
    a.on_msg(live("mp_replication", S::Active, 90, t0 + 44_000));
    assert_eq!(
        render(&a),
        frozen,
        "rates, ages and counts stay as they were"
    );
    a.on_action(Action::Freeze);
    assert_ne!(render(&a), frozen, "live again");
}

#[test]
fn failing_polls_keep_the_last_figures_and_say_so() {
    use brandlink::aem::queue::QueueState as S;
    use brandlink::monitor::Snapshot;
    let mut a = loaded(configured(), false);
    a.on_action(Action::GotoReplication);
    let t0 = 1_800_000_000_000;
    a.shared.clock = Some(t0);
    let ids: Vec<String> = a
        .shared
        .snapshot
        .as_ref()
        .map(|s| s.agents.iter().map(|x| x.info.id.clone()).collect())
        .unwrap_or_default();
    for (k, n) in [(6, 50u64), (4, 40), (2, 30)] {
        for id in &ids {
            a.on_msg(live(id, S::Active, n, t0 - k * 1000));
        }
    }
    let good = render(&a);
    assert!(good.contains("● connected"), "{good}");
    let spark: Vec<&str> = good.lines().filter(|l| l.contains('█')).collect();
    assert!(!spark.is_empty(), "{good}");
    // AEM answers 503 to every poll now.
    for id in &ids {
        a.on_msg(Msg::Monitor(Snapshot {
            agent: id.clone(),
            at: t0,
            result: Err("AEM at http://localhost:4502 is starting or restarting (503)".into()),
        }));
    }
    let bad = render(&a);
    assert!(!bad.contains("● connected"), "{bad}");
    assert!(bad.contains("polls failing since"), "{bad}");
    assert!(
        bad.contains(&format!("total pending {}", 30 * ids.len())),
        "the summary adds up the rows: {bad}"
    );
    assert!(
        bad.lines().filter(|l| l.contains('█')).count() >= spark.len(),
        "the sparklines keep the last good figures: {bad}"
    );
}

#[test]
fn blocked_queues_are_explained_and_all_alerts_can_be_opened() {
    use brandlink::aem::queue::QueueState as S;
    use brandlink::monitor::BlockCause;
    let mut a = loaded(configured(), false);
    a.on_action(Action::GotoReplication);
    let t0 = 1_800_000_000_000;
    a.shared.clock = Some(t0);
    let ids: Vec<String> = a
        .shared
        .snapshot
        .as_ref()
        .map(|s| s.agents.iter().map(|x| x.info.id.clone()).collect())
        .unwrap_or_default();
    let mut asked = Vec::new();
    for id in &ids {
        let effects = a.on_msg(live(id, S::Blocked, 60, t0));
        assert!(
            effects.iter().any(|e| matches!(e, Effect::Load)),
            "a queue that blocks has the step read again: {effects:?}"
        );
        for e in effects {
            if let Effect::ExplainQueue(agent) = e {
                asked.push(agent);
            }
        }
    }
    assert_eq!(asked, ids, "each blocked queue's log is read once");
    // A second poll asks nothing more.
    let again = a.on_msg(live(&ids[0], S::Blocked, 60, t0 + 2_000));
    assert!(again.is_empty(), "{again:?}");
    for id in &ids {
        a.on_msg(Msg::Explained(
            id.clone(),
            Some(BlockCause {
                label: "Brand Portal answers 5xx".into(),
                fix: "wait for the tenant to come back".into(),
            }),
        ));
    }
    let screen = render(&a);
    assert!(
        screen.contains("all 4 agents: queue blocked: Brand Portal answers 5xx"),
        "{screen}"
    );
    a.on_key(key('A'));
    assert!(matches!(a.modal, Some(Modal::Alerts { .. })));
    let overlay = render(&a);
    assert!(
        overlay.contains("fix: wait for the tenant to come back"),
        "{overlay}"
    );
    a.on_action(Action::Back);
    // Recovery: the step is read again.
    let effects = a.on_msg(live(&ids[0], S::Active, 59, t0 + 4_000));
    assert!(
        effects.iter().any(|e| matches!(e, Effect::Load)),
        "{effects:?}"
    );
}

#[test]
fn the_log_pane_follows_pages_searches_and_wraps() {
    use std::time::Duration;
    let mut a = loaded(configured(), false);
    a.on_action(Action::GotoReplication);
    let fx = a.on_key(key('L'));
    assert!(matches!(fx.as_slice(), [Effect::FetchLog(_)]), "{fx:?}");
    let agent = match &a.modal {
        Some(Modal::Log(l)) => l.agent.clone(),
        other => panic!("{other:?}"),
    };
    let lines = |n: usize| -> Vec<brandlink::aem::agents::LogLine> {
        (0..n)
            .map(|i| brandlink::aem::agents::LogLine {
                time: Some("25.11.2026 10:00:00".into()),
                message: if i == 1234 {
                    format!(
                        "line {i} Transfer failed: Server returned status code 503 {}",
                        "x".repeat(150)
                    )
                } else {
                    format!("line {i}")
                },
            })
            .collect()
    };
    // Following: the end is shown and the log is read again in 2 s.
    let fx = a.on_msg(Msg::Log(agent.clone(), Ok(lines(3000))));
    assert!(
        matches!(fx.as_slice(), [Effect::FetchLogLater(x, d)] if *x == agent && *d == Duration::from_secs(2)),
        "{fx:?}"
    );
    let s = render(&a);
    assert!(s.contains("line 2999") && s.contains("following"), "{s}");
    // New lines arrive: still at the end.
    a.on_msg(Msg::Log(agent.clone(), Ok(lines(3010))));
    assert!(render(&a).contains("line 3009"));
    // Paging stops following; Home and End.
    a.on_key(code(KeyCode::PageUp));
    let s = render(&a);
    assert!(
        s.contains("line 2989") && !s.contains("line 3009") && s.contains("paused"),
        "{s}"
    );
    let fx = a.on_msg(Msg::Log(agent.clone(), Ok(lines(3020))));
    assert!(fx.is_empty(), "not following: no more reads");
    assert!(
        render(&a).contains("line 2989"),
        "the window stays where it was"
    );
    a.on_key(code(KeyCode::Home));
    assert!(render(&a).contains("line 0 "));
    a.on_key(code(KeyCode::End));
    assert!(render(&a).contains("line 3019"));
    // Search: / 503 ⏎ jumps to the line; n again wraps around to it.
    a.on_key(key('/'));
    for c in "status code 503".chars() {
        a.on_key(key(c));
    }
    assert!(render(&a).contains("/status code 503"));
    a.on_key(code(KeyCode::Enter));
    let s = render(&a);
    assert!(s.contains("line 1235/3020"), "the 1,235th line: {s}");
    assert!(s.contains("search wrapped around"), "from the end: {s}");
    a.on_key(key('n'));
    assert!(render(&a).contains("the only line that matches"));
    // Wrap shows the long line whole.
    let cut = render(&a);
    a.on_key(key('w'));
    let wrapped = render(&a);
    assert!(wrapped.contains("wrapping"), "{wrapped}");
    assert_ne!(cut, wrapped);
    // f follows again (and reads now).
    let fx = a.on_key(key('f'));
    assert!(matches!(fx.as_slice(), [Effect::FetchLog(_)]), "{fx:?}");
    a.on_key(code(KeyCode::Esc));
    assert!(a.modal.is_none());
}
