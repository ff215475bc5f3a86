//! Keys, clicks and dialogs owning their keys; retries by error class; esc; typed confirmations.

use super::*;

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
fn changes_that_need_a_typed_word() {
    // Another tenant's Service URL on the Cloud tab: what a repoint does, then the word.
    let mut a = loaded(configured(), false);
    a.on_action(Action::GotoCloud);
    // The configuration shows; ⏎ on its one button opens the form.
    assert!(a.on_key(code(KeyCode::Enter)).is_empty());
    a.tabs.cloud.form.set(
        CloudField::ServiceUrl,
        "https://other.brand-portal.adobe.com",
    );
    let items = a.tabs.cloud.items(&a.shared);
    a.tabs.cloud.form.focus_on(&items, CloudField::Repoint);
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
