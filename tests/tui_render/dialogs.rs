//! The upgrade, migration and doctor dialogs.

use super::*;

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
fn migrate_from_the_account_tab() {
    use brandlink::setup::migrate::MigrationPlan;
    let mut i = configured();
    i.ims_configs[0].auth_type = AuthType::Jwt;
    i.ims_configs[0].keypair_alias = Some("brandportal".into());
    i.ims_configs[0].org_id = None;
    i.ims_configs[0].claims = vec!["\"iss\" : \"JWT0RG@AdobeOrg\"".into()];
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
    assert_eq!(
        req.org_id, "JWT0RG@AdobeOrg",
        "prefilled from the JWT claims"
    );
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
fn pastes_reach_every_field_of_the_migration_dialog() {
    use secrecy::ExposeSecret;
    let mut i = configured();
    i.ims_configs[0].auth_type = AuthType::Jwt;
    i.ims_configs[0].org_id = None;
    let mut a = loaded(i, false);
    a.on_action(Action::GotoAccount);
    a.on_key(key('m'));
    // Focus starts on the client secret; each field takes what the Console's copy button gives.
    a.on_paste("p8e-pasted-secret\n");
    a.on_key(code(KeyCode::Down));
    a.on_paste("openid,AdobeID,read_organizations");
    a.on_key(code(KeyCode::Down));
    a.on_paste("0123ABCD@AdobeOrg");
    let fx = a.on_key(code(KeyCode::Enter));
    let [Effect::PlanMigration { req, secret }] = fx.as_slice() else {
        panic!("{fx:?}")
    };
    assert_eq!(secret.expose_secret().trim(), "p8e-pasted-secret");
    assert_eq!(req.scopes.len(), 3, "{:?}", req.scopes);
    assert_eq!(req.org_id, "0123ABCD@AdobeOrg");
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
fn the_doctor_reads_again_once_its_fix_is_done() {
    use brandlink::verdict::{Finding, Remedy, Report};
    let mut a = loaded(configured(), false);
    a.on_action(Action::Doctor);
    let findings = vec![
        Finding::warn("queues.paused", "paused: mp_replication")
            .remedy(Remedy::Resume(vec!["mp_replication".into()])),
    ];
    a.on_msg(Msg::Doctor(Box::new(Report::from_findings(
        "u", None, 0, true, findings,
    ))));
    // ⏎ resumes; a doctor read now could come back before the queue did.
    let effects = a.on_action(Action::Activate);
    assert!(
        matches!(effects.as_slice(), [Effect::Queue(id, QueueOp::Resume)] if id == "mp_replication"),
        "{effects:?}"
    );
    let effects = a.on_msg(Msg::QueueDone(
        "mp_replication".into(),
        QueueOp::Resume,
        Ok(()),
    ));
    assert!(
        effects.iter().any(|e| matches!(e, Effect::Doctor)),
        "{effects:?}"
    );
    assert!(render(&a).contains("checking the integration"));
}

#[test]
fn a_paste_reaches_the_open_dialog_and_never_the_tab_behind() {
    let mut i = configured();
    i.ims_configs[0].auth_type = AuthType::Jwt;
    i.ims_configs[0].keypair_alias = Some("brandportal".into());
    let mut a = loaded(i, true);
    a.on_action(Action::GotoAccount);
    a.on_key(key('m'));
    // The secret field has the focus: a pasted secret fills it (masked on screen).
    a.on_paste("p8e-pasted-secret");
    let screen = render(&a);
    assert!(!screen.contains("p8e-pasted-secret"), "masked: {screen}");
    assert!(
        screen.contains("(17 characters)"),
        "the pasted secret is in the field: {screen}"
    );
    // A typed word takes the first line of a paste.
    a.modal = None;
    a.on_action(Action::GotoReplication);
    a.on_key(key('C'));
    if let Some(Modal::ClearQueue(c)) = &a.modal {
        let agent = c.agent.clone();
        a.on_paste(&format!("{agent}\nmore"));
        let Some(Modal::ClearQueue(c)) = &a.modal else {
            panic!("still open")
        };
        assert_eq!(c.typed, agent);
    } else {
        panic!("the clear dialog opens: {:?}", a.modal);
    }
}

/// The change history pane (`H`): one record per change, newest first, how each ended, and for
/// a stopped one what was done, what was not and the command that completes it.
#[test]
fn history_pane() {
    use brandlink::setup::history::{Change, Record, State};
    use brandlink::tui::historypane::HistoryRead;
    let mut a = loaded(configured(), false);
    assert!(matches!(
        a.on_action(Action::History).as_slice(),
        [Effect::LoadHistory]
    ));
    let backup = "/home/op/backups/20260301T101500Z-wknd";
    let record = |time: &str, operation: &str, state: State, target: Option<&str>| Record {
        id: format!("{operation}-{time}"),
        time: time.into(),
        aem_url: "http://localhost:4502".into(),
        user: "op".into(),
        operation: operation.into(),
        state,
        target: target.map(str::to_string),
        changes: vec![],
        backup_dir: None,
        error: None,
        done: vec![],
        not_done: vec![],
        next: vec![],
    };
    let restore = Record {
        backup_dir: Some(backup.into()),
        done: vec![
            "user mac-wknd-replication in /home/users/mac (new random password)".into(),
            "node /etc/replication/agents.author/mp_replication (Agent, 19 values)".into(),
        ],
        not_done: vec![
            "node /etc/replication/agents.author/mp_replication_1b89 (Agent, 19 values)".into(),
            "node /conf/global/settings/cloudconfigs/brand-portal (CloudConfig, 9 values)".into(),
        ],
        next: vec![format!("to complete it: brandlink restore --from {backup}")],
        ..record(
            "2026-03-02T09:14:03Z",
            "restore",
            State::Interrupted,
            Some(backup),
        )
    };
    let migrate = Record {
        changes: vec![
            Change::new(
                "provider",
                "auth.token.provider.authorization.grants",
                None,
                Some(vec!["client_credentials".into()]),
            ),
            Change::new(
                "customizer",
                "auth.ims.client.secret",
                Some(vec!["old".into()]),
                Some(vec!["new".into()]),
            ),
        ],
        backup_dir: Some("/home/op/backups/20260228T160212Z-migrate".into()),
        ..record(
            "2026-02-28T16:02:12Z",
            "account migrate",
            State::Done,
            Some("com.adobe.granite.auth.oauth.accesstoken.provider.7f3c"),
        )
    };
    let failed = Record {
        error: Some("AEM answered 503: it is starting; run the command again in a minute".into()),
        ..record(
            "2026-02-27T11:40:55Z",
            "cloud resave",
            State::Failed,
            Some("/conf/global/settings/cloudconfigs/brand-portal"),
        )
    };
    a.on_msg(Msg::History(Ok(HistoryRead {
        records: vec![restore, migrate, failed],
        unreadable: 0,
        path: "/home/op/.local/state/brandlink/changes.jsonl".into(),
    })));
    insta::assert_snapshot!("history", render(&a));
}
