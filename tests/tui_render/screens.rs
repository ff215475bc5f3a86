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

/// The hint bar (the last row), without the quotes TestBackend puts around rows.
fn hint_bar(screen: &str) -> String {
    screen
        .lines()
        .last()
        .unwrap_or_default()
        .trim_matches('"')
        .trim_end()
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
fn the_lived_in_account_tab_says_what_does_not_fit_and_scrolls_to_it() {
    let mut a = loaded(lived_in(fresh()), true);
    assert_eq!(a.tab, Tab::Account);
    let screen = small(&a);
    insta::assert_snapshot!("account_lived_in_80x24", screen);
    assert!(screen.contains("more lines (PgDn)"), "{screen}");
    assert!(screen.contains("[ Create ]"), "the form stays: {screen}");
    // PgDn until the other integrations show, each of them.
    let mut pages = 0;
    while !small(&a).contains("  Adobe Stock (adobe-ims-stock) — OAuth Server-to-Server") {
        pages += 1;
        assert!(pages < 10, "never shown:\n{}", small(&a));
        a.on_key(code(KeyCode::PageDown));
    }
    let screen = small(&a);
    assert!(
        screen.contains("  Smart Tags (adobe-ims-similaritysearch) — OAuth Server-to-Server"),
        "{screen}"
    );
    assert!(screen.contains("more lines (PgUp)"), "{screen}");
    insta::assert_snapshot!("account_lived_in_80x24_end", screen);
    // And back up.
    for _ in 0..pages {
        a.on_key(code(KeyCode::PageUp));
    }
    assert_eq!(small(&a), small(&loaded(lived_in(fresh()), true)));
    // A configured lived-in author: the same list, reachable the same way.
    let mut b = loaded(lived_in(configured()), false);
    b.on_action(Action::GotoAccount);
    for _ in 0..10 {
        small(&b);
        b.on_key(code(KeyCode::PageDown));
    }
    let screen = small(&b);
    assert!(
        screen.contains("  Adobe Stock (adobe-ims-stock) — OAuth Server-to-Server"),
        "{screen}"
    );
}

/// The plan the sandbox's migration shows: long values that wrap at 80 columns.
fn sandbox_plan() -> brandlink::setup::migrate::MigrationPlan {
    use brandlink::setup::migrate::{MigrationPlan, PropertyChange};
    let change = |name: &str, before: Option<&str>, after: &str| PropertyChange {
        on: "provider",
        name: name.into(),
        before: before.map(|b| vec![b.to_string()]),
        after: Some(vec![after.to_string()]),
    };
    MigrationPlan::for_display(
        "com.adobe.granite.auth.oauth.accesstoken.provider.6f06da9c-5708-455a-b2f4-4f71a281e38e",
        "Brand Portal",
        vec![
            change(
                "auth.token.provider.authorization.grants",
                None,
                "client_credentials",
            ),
            change(
                "auth.token.provider.orgId",
                None,
                "2C916597B92C2978F37DD00C@AdobeOrg",
            ),
            change(
                "auth.token.provider.scope",
                None,
                "openid,AdobeID,read_organizations,additional_info.projectedProductContext,ent_brand_portal_sdk",
            ),
            change(
                "auth.token.provider.default.claims",
                Some(
                    r#""iss" : "2C916597B92C2978F37DD00C@AdobeOrg" | "sub" : "D87ADD70C6FC875D1106194F@techacct.adobe.com" | "https://ims-na1.adobelogin.com/s/ent_brand_portal_sdk" : true | "aud" : "https://ims-na1.adobelogin.com/c/1c3db029ac0d887667ea3d572dca7811""#,
                ),
                r#""iss" : "2C916597B92C2978F37DD00C@AdobeOrg""#,
            ),
            change(
                "auth.token.provider.keypair.alias",
                Some("brandportal"),
                "(removed)",
            ),
        ],
    )
}

#[test]
fn the_migration_dialog_keeps_its_instructions_on_screen() {
    let mut i = configured();
    i.ims_configs[0].auth_type = AuthType::Jwt;
    i.ims_configs[0].pid =
        "com.adobe.granite.auth.oauth.accesstoken.provider.6f06da9c-5708-455a-b2f4-4f71a281e38e"
            .into();
    i.ims_configs[0].keypair_alias = Some("brandportal".into());
    let mut a = loaded(i, true);
    a.on_action(Action::GotoAccount);
    a.on_key(key('m'));
    assert!(matches!(a.modal, Some(Modal::Migrate(_))));
    let screen = small(&a);
    insta::assert_snapshot!("migrate_values_80x24", screen);
    assert!(
        screen.contains("Sandbox: the Console's values are filled in."),
        "{screen}"
    );
    assert!(screen.contains("nothing is"), "{screen}");
    a.on_msg(Msg::MigrationPlanned(Ok(sandbox_plan())));
    for c in "migr".chars() {
        a.on_key(key(c));
    }
    let screen = small(&a);
    insta::assert_snapshot!("migrate_confirm_80x24", screen);
    assert!(
        screen.contains("Type migrate and ⏎ to go ahead"),
        "{screen}"
    );
    assert!(screen.contains("> migr"), "{screen}");
    assert!(screen.contains("more lines (↓)"), "{screen}");
    // ↓ shows the rest; the typed word stays.
    for _ in 0..6 {
        a.on_key(code(KeyCode::Down));
    }
    let screen = small(&a);
    assert!(screen.contains("puts them back"), "{screen}");
    assert!(screen.contains("> migr"), "{screen}");
    for c in "ate".chars() {
        a.on_key(key(c));
    }
    assert!(matches!(
        a.on_key(code(KeyCode::Enter)).as_slice(),
        [Effect::RunMigration { .. }]
    ));
}

#[test]
fn the_legacy_replication_tab_shows_its_four_agents() {
    use brandlink::aem::queue::QueueState as S;
    let mut a = loaded(legacy(), true);
    assert_eq!(a.tab, Tab::Cloud, "a legacy author opens on the upgrade");
    // Every legacy agent shows on the Cloud Service tab too.
    let screen = small(&a);
    insta::assert_snapshot!("cloud_legacy_80x24", screen);
    for tail in ["032c", "fca9", "98e7"] {
        assert!(screen.contains(tail), "{tail}: {screen}");
    }
    // The old OAuth gateway is gone: every queue blocks, the step and the alerts say so above
    // the table.
    let mut blocked = legacy();
    for (a, n) in blocked.agents.iter_mut().zip([7, 4, 9, 3]) {
        *a = agent(&a.info.id, true, true, n);
        a.last_outcome = None;
    }
    a.on_msg(Msg::Loaded(next_read(), Ok(Box::new(blocked))));
    a.on_action(Action::GotoReplication);
    let wanted = a.wanted_monitor();
    a.tabs.replication.reset_monitor(&wanted);
    let now = 1_798_761_600_000;
    a.shared.clock = Some(now);
    for (id, n) in [
        ("mp_replication", 7),
        ("mp_replication_032c", 4),
        ("mp_replication_fca9", 9),
        ("mp_replication_98e7", 3),
    ] {
        a.on_msg(live(id, S::Blocked, n, now));
    }
    // Each log names its own cause: one alert each, more than the summary has room for.
    for (id, label) in [
        (
            "mp_replication",
            "the legacy OAuth gateway refuses the client credentials",
        ),
        ("mp_replication_032c", "Brand Portal answers 5xx"),
        (
            "mp_replication_fca9",
            "the tenant's receive servlet answers 404",
        ),
        (
            "mp_replication_98e7",
            "the connection to the tenant times out",
        ),
    ] {
        a.on_msg(Msg::Explained(
            id.into(),
            Some(brandlink::monitor::BlockCause {
                label: label.into(),
                fix: "upgrade the integration (u on the Cloud Service tab)".into(),
            }),
        ));
    }
    let screen = small(&a);
    insta::assert_snapshot!("replication_legacy_80x24", screen);
    for tail in ["032c", "fca9", "98e7"] {
        assert!(
            screen
                .lines()
                .any(|l| l.contains(tail) && l.contains("BLOCKED")),
            "the row of {tail} is on screen:\n{screen}"
        );
    }
}

#[test]
fn agents_that_do_not_fit_scroll_and_say_so() {
    use brandlink::aem::queue::QueueState as S;
    // Saved again and again, the configuration left sixteen agents; each blocks on its own.
    let mut i = configured();
    i.agents = (0..16)
        .map(|n| agent(&format!("mp_replication_{n:02}aa"), true, true, 3))
        .collect();
    let mut a = loaded(i, false);
    a.on_action(Action::GotoReplication);
    let wanted = a.wanted_monitor();
    a.tabs.replication.reset_monitor(&wanted);
    let now = 1_798_761_600_000;
    a.shared.clock = Some(now);
    for id in &wanted {
        a.on_msg(live(id, S::Blocked, 3, now));
    }
    let screen = small(&a);
    insta::assert_snapshot!("replication_sixteen_agents_80x24", screen);
    assert!(screen.contains("more (↑/↓ select)"), "{screen}");
    assert!(screen.contains("A lists the alerts"), "{screen}");
    assert!(screen.contains("…00aa"), "{screen}");
    // Moving down shows the last one, and says what is above.
    for _ in 0..15 {
        a.on_action(Action::Down);
        small(&a);
    }
    let screen = small(&a);
    assert!(screen.contains("…15aa"), "{screen}");
    assert!(screen.contains("↑ "), "{screen}");
}

#[test]
fn the_cloud_tab_shows_the_configuration_and_keeps_the_repoint() {
    let mut a = loaded(configured(), false);
    a.on_action(Action::GotoCloud);
    let screen = small(&a);
    insta::assert_snapshot!("cloud_configured_80x24", screen);
    for part in [
        "Brand Portal cloud configuration",
        "https://wknd.brand-portal.adobe.com",
        "IMS configuration   Brand Portal — OAuth Server-to-Server",
        "mp_replication_c3",
    ] {
        assert!(screen.contains(part), "{part}: {screen}");
    }
    assert!(!screen.contains("[ Create ]"), "{screen}");
    assert!(screen.contains("[ Change the Service URL (repoint)… ]"));
    // ⏎ opens the form on the Service URL; another tenant asks for the typed word.
    a.on_key(code(KeyCode::Enter));
    let screen = small(&a);
    assert!(screen.contains("[ Repoint… ]"), "{screen}");
    a.on_key(code(KeyCode::Enter));
    a.on_key(KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
    for c in "https://acme.brand-portal.adobe.com".chars() {
        a.on_key(key(c));
    }
    a.on_key(code(KeyCode::Enter));
    a.on_key(code(KeyCode::Enter));
    assert!(
        matches!(&a.modal, Some(Modal::Confirm(_))),
        "the repoint is confirmed first"
    );
    // No configuration yet: the create form, as before.
    let mut i = fresh();
    i.ims_configs = configured().ims_configs;
    let mut b = loaded(i, false);
    b.on_action(Action::GotoCloud);
    assert!(small(&b).contains("[ Create ]"));
}

#[test]
fn the_test_column_and_the_step_name_the_same_test() {
    let mut i = configured();
    let read = i.read_at;
    let failed = &mut i.agents[3];
    failed.last_outcome = Some(brandlink::evidence::LastOutcome {
        ok: false,
        test: true,
        time: Some("31.12.2026 23:55:00".into()),
        at: Some(read - 300),
    });
    let mut a = loaded(i.clone(), false);
    a.shared.clock = Some(read * 1000);
    let screen = render(&a);
    assert!(
        screen
            .contains("the last Test Connection of mp_replication_c3 failed (31.12.2026 23:55:00)"),
        "{screen}"
    );
    let row = screen
        .lines()
        .find(|l| l.contains("mp_replication_c3") && l.contains("✓ yes"))
        .unwrap_or_default();
    assert!(row.contains("✗ 5m ago"), "the row says the same: {row}");
    a.on_action(Action::Down);
    a.on_action(Action::Down);
    a.on_action(Action::Down);
    let screen = render(&a);
    assert!(
        screen.contains("✗ last Test Connection failed (31.12.2026 23:55:00"),
        "the detail names the time the step names: {screen}"
    );
    // A test run now shows until a read brings its line in the log; then the log's.
    a.on_action(Action::TestSelected);
    a.on_msg(Msg::Tested(
        "mp_replication_c3".into(),
        Ok(TestResult {
            agent: "mp_replication_c3".into(),
            success: true,
            summary: "Replication test succeeded".into(),
            explanation: vec![],
            transcript: vec![],
        }),
    ));
    let row = |s: String| {
        s.lines()
            .find(|l| l.contains("mp_replication_c3") && l.contains("✓ yes"))
            .unwrap_or_default()
            .to_string()
    };
    assert!(row(render(&a)).contains("✓ now"), "{}", render(&a));
    a.shared.clock = Some((read + 60) * 1000);
    let mut next = i;
    next.read_at = read + 60;
    next.agents[3].last_outcome = Some(brandlink::evidence::LastOutcome {
        ok: true,
        test: true,
        time: Some("01.01.2027 00:00:00".into()),
        at: Some(read),
    });
    // As the sandbox names its agents: title and URL wrap at 80 columns.
    next.agents[3].info.title = "Brand Portal Replication Agent 4 (wknd)".into();
    next.agents[3].info.transport_uri =
        format!("{TENANT}/content/dam/mac/wknd/_replication/receive");
    a.on_msg(Msg::Loaded(next_read(), Ok(Box::new(next))));
    let screen = render(&a);
    assert!(row(screen.clone()).contains("✓ 1m ago"), "{screen}");
    assert!(
        screen.contains("(01.01.2027 00:00:00, the agent's log)"),
        "{screen}"
    );
    assert!(screen.contains("Done: 4 agents"), "{screen}");
    let screen = small(&a);
    assert!(
        screen.contains("✓ last Test Connection succeeded (01.01.2027 00:00:00, the agent's log)"),
        "{screen}"
    );
}

#[test]
fn truncated_agent_names_keep_the_tenant_and_the_index() {
    let mut i = configured();
    for (a, id) in i.agents.iter_mut().zip([
        "mp_replication_acme-europe-production_1",
        "mp_replication_acme-europe-production_2",
        "mp_replication_acme-asia-production_1",
        "mp_replication_acme-asia-production_2",
    ]) {
        a.info.id = id.into();
    }
    let mut a = loaded(i, false);
    a.on_action(Action::GotoReplication);
    let screen = small(&a);
    for name in [
        "…europe-produ…_1",
        "…europe-produ…_2",
        "…asia-product…_1",
        "…asia-product…_2",
    ] {
        assert!(screen.contains(name), "{name}:\n{screen}");
    }
}

#[test]
fn the_hint_bar_drops_whole_hints_lowest_first_and_keeps_help() {
    // A fresh author's Account tab: check health cannot run yet, so it gives way before the
    // general keys.
    let a = loaded(fresh(), true);
    let bar = hint_bar(&small(&a));
    assert_eq!(
        bar,
        " f sandbox Console  tab next tab  ⏎ edit / run  r re-read AEM  ? help  q quit"
    );
    // Every screen: whole hints only, help always.
    let mut screens = vec![];
    for (i, sandbox) in [
        (fresh(), true),
        (lived_in(configured()), true),
        (configured(), false),
        (legacy(), true),
    ] {
        let mut a = loaded(i, sandbox);
        for t in [
            Action::GotoCertificate,
            Action::GotoAccount,
            Action::GotoCloud,
            Action::GotoReplication,
        ] {
            a.on_action(t);
            screens.push(hint_bar(&small(&a)));
        }
    }
    let words = [
        "f sandbox Console",
        "c check health",
        "m migrate JWT → OAuth…",
        "a use the new key pair (rotation)…",
        "u upgrade…",
        "P publish",
        "t test",
        "T test all",
        "L log",
        "p pause/resume",
        "R retry",
        "C clear…",
        "F freeze",
        "tab next tab",
        "⏎ edit / run",
        "r re-read AEM",
        "D doctor",
        "? help",
        "q quit",
    ];
    for bar in screens {
        assert!(bar.ends_with("? help  q quit"), "«{bar}»");
        let mut rest = bar.trim().to_string();
        while !rest.is_empty() {
            let w = words
                .iter()
                .find(|w| rest.starts_with(*w))
                .unwrap_or_else(|| panic!("a cut hint in «{bar}» at «{rest}»"));
            rest = rest[w.len()..].trim_start().to_string();
        }
    }
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

#[test]
fn the_header_keeps_the_connection_state_at_80_columns() {
    // The sandbox's URL, the version and IMS do not all fit: IMS goes, then the version.
    let mut i = configured();
    i.readiness.product = Some("Adobe Experience Manager (6.5.21.0)".into());
    i.aem = brandlink::setup::snapshot::AemInfo::new(
        i.readiness.product.as_deref(),
        Some("11.0.24".into()),
    );
    let mut a = loaded(i, true);
    a.shared.header.url = "http://127.0.0.1:37459".into();
    let screen = small(&a);
    let header = screen.lines().next().unwrap_or_default().trim_matches('"');
    assert_eq!(
        header.trim_end(),
        " brandlink [SANDBOX] AEM http://127.0.0.1:37459 as admin ● connected",
        "{screen}"
    );
    let wide = render_with(&a, 160, 30, &Theme::new(true))
        .backend()
        .to_string();
    assert!(
        wide.contains(
            "[AEM 6.5 SP21, Java 11.0.24] ● connected  IMS https://ims-na1.adobelogin.com"
        ),
        "{wide}"
    );
}

#[test]
fn upgrade_is_offered_only_where_there_is_something_to_replace() {
    let upgrade = |a: &App| {
        a.hints()
            .into_iter()
            .find(|h| h.action == Action::Upgrade)
            .map(|h| h.enabled)
    };
    let mut a = loaded(fresh(), false);
    a.on_action(Action::GotoCloud);
    assert_eq!(upgrade(&a), Some(false), "dimmed: no cloud configuration");
    let mut b = loaded(configured(), false);
    b.on_action(Action::GotoCloud);
    assert_eq!(upgrade(&b), Some(true));
}
