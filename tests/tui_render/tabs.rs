//! Each tab empty, filled, succeeded and failed; the first tab an author opens on; 80×24.

use super::*;

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

/// The header names an LTS author as Adobe does, with its Java; the Account tab says an old
/// Adobe IMS bundle will refuse the OAuth save before the operator tries.
#[test]
fn the_header_names_lts_and_the_account_tab_warns_of_an_old_ims_bundle() {
    let mut i = fresh();
    i.readiness.product = Some("Adobe Experience Manager (6.6.3.0)".into());
    i.aem = brandlink::setup::snapshot::AemInfo::new(
        i.readiness.product.as_deref(),
        Some("21.0.4".into()),
    );
    i.readiness.bundles = vec![brandlink::aem::readiness::BundleInfo {
        symbolic_name: "com.adobe.cq.adobeims.core".into(),
        name: "Adobe IMS Configuration".into(),
        version: "1.1.18".into(),
        state: "Active".into(),
        fragment: false,
    }];
    let mut a = loaded(i, false);
    a.on_action(Action::GotoAccount);
    let screen = render_with(&a, 160, 40, &Theme::new(true))
        .backend()
        .to_string();
    assert!(
        screen.contains("[AEM 6.5 LTS SP3, Java 21.0.4]"),
        "{screen}"
    );
    assert!(screen.contains("1.1.18"), "{screen}");
    assert!(screen.contains("ims-jwt-compatibility"), "{screen}");
}

/// The forms start where the CLI's options do: both read the setup layer's defaults.
#[test]
fn the_forms_start_from_the_cli_defaults() {
    use brandlink::cli::args::{AccountCommand, CertCommand, Cli, CloudCommand, Command};
    use clap::Parser;
    let parse = |args: &[&str]| Cli::try_parse_from(args).unwrap().command.unwrap();
    let a = app(false);
    let Command::Cert(CertCommand::Create(cert)) = parse(&["brandlink", "cert", "create"]) else {
        panic!("cert create");
    };
    let form = &a.tabs.certificate.form;
    assert_eq!(form.value(CertField::Alias), cert.alias);
    assert_eq!(form.value(CertField::Days), cert.days.to_string());
    let Command::Account(AccountCommand::Create(account)) = parse(&[
        "brandlink",
        "account",
        "create",
        "--title",
        "t",
        "--api-key",
        "k",
        "--payload",
        "p",
    ]) else {
        panic!("account create");
    };
    let form = &a.tabs.account.form;
    assert_eq!(form.value(AccountField::AuthServer), account.auth_server);
    assert_eq!(form.value(AccountField::KeyAlias), account.alias);
    let Command::Cloud(CloudCommand::Create(cloud)) = parse(&[
        "brandlink",
        "cloud",
        "create",
        "--title",
        "t",
        "--service-url",
        "u",
    ]) else {
        panic!("cloud create");
    };
    assert_eq!(cloud.wait, brandlink::setup::defaults::AGENT_WAIT_SECS);
    assert_eq!(
        a.tabs.cloud.form.value(CloudField::Title),
        a.tabs.account.form.value(AccountField::Title)
    );
}
