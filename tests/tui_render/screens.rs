//! The screens at 80×24, as an operator meets them: what fills a form leaves the focus on its
//! submit, lists that do not fit say so and scroll, the hint bar drops whole hints, the Test
//! column and the step agree, agent names stay apart, sandbox keys stay in the sandbox.

use super::*;

/// The screen at the smallest size brandlink draws.
fn small(a: &App) -> String {
    render_with(a, 80, 24, &Theme::new(true))
        .backend()
        .to_string()
}

fn console() -> ConsoleCreds {
    ConsoleCreds {
        api_key: "0123456789abcdef0123456789abcdef".into(),
        client_secret: SecretString::from("p8e-SECRET".to_string()),
        payload: r#"{"exp": 1939182446, "iss": "ABC@AdobeOrg", "sub": "DEF@techacct.adobe.com", "https://ims-na1.adobelogin.com/s/ent_brand_portal_sdk": true, "aud": "https://ims-na1.adobelogin.com/c/0123456789abcdef0123456789abcdef"}"#.into(),
        oauth_client_id: "fedcba9876543210fedcba9876543210".into(),
        oauth_secret: SecretString::from("p8e-OAUTH".to_string()),
        scopes: "openid,AdobeID,read_organizations".into(),
        org_id: "ABC@AdobeOrg".into(),
    }
}

#[test]
fn the_console_fills_the_form_and_the_next_key_sends_it() {
    // The demo's Account step: f, then ⏎ creates (no walk down the form to Create).
    let mut a = loaded(fresh(), true);
    assert_eq!(a.tab, Tab::Account);
    assert!(matches!(
        a.on_key(key('f')).as_slice(),
        [Effect::FetchConsole { .. }]
    ));
    a.on_msg(Msg::ConsoleFetched(Ok(console())));
    let items = a.tabs.account.items(&a.shared);
    assert_eq!(
        a.tabs.account.form.focused(&items),
        Some(AccountField::Create)
    );
    let fx = a.on_key(code(KeyCode::Enter));
    assert!(
        matches!(fx.as_slice(), [Effect::CreateAccount { spec, .. }] if spec.api_key == "fedcba9876543210fedcba9876543210"),
        "{fx:?}"
    );
    // With a configuration, its submit is Save.
    let mut b = loaded(configured(), true);
    b.on_action(Action::GotoAccount);
    b.on_msg(Msg::ConsoleFetched(Ok(console())));
    let items = b.tabs.account.items(&b.shared);
    assert_eq!(
        b.tabs.account.form.focused(&items),
        Some(AccountField::Save)
    );
}

#[test]
fn the_sandbox_console_key_is_offered_only_in_the_sandbox() {
    let mut a = loaded(fresh(), false);
    a.on_action(Action::GotoAccount);
    let screen = small(&a);
    assert!(!screen.contains("sandbox Console"), "{screen}");
    assert!(!render(&a).contains("sandbox Console"));
    let mut b = loaded(configured(), false);
    b.on_action(Action::GotoAccount);
    assert!(!render(&b).contains("sandbox Console"));
    let c = loaded(fresh(), true);
    assert!(small(&c).contains("f sandbox Console"));
}
