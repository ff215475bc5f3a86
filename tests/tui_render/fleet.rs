//! The Fleet screen: a table of varied authors (failing first) at 80×24 and wide, the
//! fleet's own findings; ⏎ opens an author's tabs, esc and `0` come back, `D` and `m` open the
//! doctor and the migration dialog on the selected author.

use super::*;
use brandlink::evidence::OauthSupport;
use brandlink::tui::fleet::{AuthorView, FleetEntry, FleetScreen, FleetView, JwtConfig};
use brandlink::verdict::Counts;
use brandlink::verdict::fleet::{Author, Row, findings, summarize};

const PROFILES: [&str; 6] = ["alpha", "beta", "gone", "legacy", "locked", "nopass"];

fn url(profile: &str) -> String {
    let port = 4502 + PROFILES.iter().position(|p| *p == profile).unwrap_or(0);
    format!("http://127.0.0.1:{port}")
}

fn entry(profile: &str) -> FleetEntry {
    FleetEntry {
        profile: profile.into(),
        header: HeaderInfo {
            url: url(profile),
            user: "admin".into(),
            ims_url: url(profile),
            sandbox: true,
            insecure: false,
        },
        unbuilt: (profile == "nopass").then(|| {
            "PW_NOPASS is not set: put the AEM password of admin at http://127.0.0.1:4507 in it (the profile's password_env)".to_string()
        }),
    }
}

/// An author that was read: its facts for the fleet's rules and its row.
fn read(profile: &str, tenant: &str, cred: AuthType, ok: bool) -> (Author, Row) {
    let author = Author {
        tenants: vec![format!("https://{tenant}.brand-portal.adobe.com")],
        version: Some("6.5.21.0".into()),
        oauth_support: OauthSupport::Yes,
        credential: Some(cred),
        pending: Some(0),
        read: true,
        ..Author::unread(profile, &url(profile))
    };
    let row = Row {
        profile: profile.into(),
        aem_url: url(profile),
        ok,
        aem_version: author.version.clone(),
        credential: Some(cred),
        state: "working".into(),
        pending: Some(0),
        pending_at_least: false,
        blocked: vec![],
        counts: Counts {
            ok: 21,
            warn: 0,
            fail: 0,
            skip: 1,
        },
        first_failure: None,
    };
    (author, row)
}

/// An author that could not be read.
fn unread(profile: &str, state: &str, error: &str) -> (Author, Row, String) {
    let row = Row {
        profile: profile.into(),
        aem_url: url(profile),
        ok: false,
        aem_version: None,
        credential: None,
        state: state.into(),
        pending: None,
        pending_at_least: false,
        blocked: vec![],
        counts: Counts {
            fail: 1,
            ..Counts::default()
        },
        first_failure: Some(format!("aem: {error}")),
    };
    (
        Author::unread(profile, &url(profile)),
        row,
        error.to_string(),
    )
}

/// Six authors: two healthy ones on one tenant, one unreachable, one on a retired JWT with
/// blocked queues, one whose password AEM refused, one without a password; one still reading.
fn varied() -> FleetView {
    let (a, ra) = read("alpha", "alpha", AuthType::OauthServerToServer, true);
    let (b, rb) = read("beta", "alpha", AuthType::OauthServerToServer, true);
    let (l, mut rl) = read("legacy", "legacy", AuthType::Jwt, false);
    rl.state = "Account failing".into();
    rl.pending = Some(12);
    rl.blocked = ["mp_replication", "mp_replication_2"]
        .map(String::from)
        .to_vec();
    rl.counts = Counts {
        ok: 18,
        warn: 1,
        fail: 2,
        skip: 1,
    };
    rl.first_failure = Some(
        "ims.token: IMS refuses AEM's JWT credential (invalid_client: JWT credentials reached end of life)".into(),
    );
    let (g, rg, eg) = unread(
        "gone",
        "unreachable",
        "cannot reach AEM at http://127.0.0.1:4504: Connection refused (os error 111)",
    );
    let (k, rk, ek) = unread(
        "locked",
        "credentials refused",
        "AEM rejected the credentials for user admin (401)",
    );
    let (n, rn, en) = unread("nopass", "no password", "PW_NOPASS is not set");
    let facts = [a, b, g, l, k, n];
    let found = findings(&facts);
    let rows = [&ra, &rb, &rg, &rl, &rk, &rn].map(Clone::clone);
    let summary = summarize(&rows, 3, &found);
    let view = |row: Row, error: Option<String>, jwt: Option<JwtConfig>| AuthorView {
        profile: row.profile.clone(),
        row: Some(row),
        error,
        jwt,
    };
    let jwt = JwtConfig {
        pid: "com.adobe.granite.auth.ims.impl.ImsConfigProviderImpl.3b7d".into(),
        client_id: "c845ba48d67e98b2caf0971d18ef55a7".into(),
        org_id: "0A1B2C3D4E5F@AdobeOrg".into(),
    };
    FleetView {
        authors: vec![
            view(ra, None, None),
            view(rb, None, None),
            view(rg, Some(eg), None),
            view(rl, None, Some(jwt)),
            view(rk, Some(ek), None),
            view(rn, Some(en), None),
        ],
        findings: found,
        summary: Some(summary),
    }
}

fn fleet_app() -> App {
    let mut a = app(true);
    a.fleet = Some(FleetScreen::new(PROFILES.map(entry).to_vec()));
    a
}

#[test]
fn the_fleet_screen_at_80x24_and_wide() {
    let mut a = fleet_app();
    let reading = render_with(&a, 80, 24, &Theme::new(true))
        .backend()
        .to_string();
    assert!(reading.contains("reading…"), "{reading}");
    a.on_fleet(varied());
    let narrow = render_with(&a, 80, 24, &Theme::new(true))
        .backend()
        .to_string();
    insta::assert_snapshot!("fleet_80x24", narrow);
    // Failing first (in the config's order), the healthy ones last.
    let order: Vec<&str> = a
        .fleet
        .as_ref()
        .unwrap()
        .rows()
        .map(|r| r.profile.as_str())
        .collect();
    assert_eq!(
        order,
        ["gone", "legacy", "locked", "nopass", "alpha", "beta"]
    );
    assert!(narrow.contains("fleet.tenants"), "{narrow}");
    a.on_action(Action::Down);
    let wide = render_with(&a, 140, 30, &Theme::new(true))
        .backend()
        .to_string();
    insta::assert_snapshot!("fleet_140x30", wide);
    assert!(wide.contains("IMS refuses AEM's JWT"), "{wide}");
    // Without colour the selected row is still marked (reversed).
    let t = render_with(&a, 80, 24, &Theme::new(false));
    let buf = t.backend().buffer();
    let row = (0..buf.area.height)
        .find(|y| {
            (0..buf.area.width)
                .map(|x| buf[(x, *y)].symbol().to_string())
                .collect::<String>()
                .contains("✗ legacy")
        })
        .unwrap();
    assert!(buf[(3, row)].modifier.contains(Modifier::REVERSED));
}

#[test]
fn enter_opens_an_author_and_esc_or_0_come_back() {
    let mut a = fleet_app();
    a.on_fleet(varied());
    assert!(a.on_fleet_screen());
    assert!(a.hints().iter().any(|h| h.action == Action::Migrate));
    assert!(a.wanted_monitor().is_empty());
    // ⏎ on the top row (gone): its session is asked for, its tabs show and read.
    let fx = a.on_key(code(KeyCode::Enter));
    assert!(
        matches!(fx.as_slice(), [Effect::Author(p), Effect::Load] if p == "gone"),
        "{fx:?}"
    );
    assert!(!a.on_fleet_screen());
    assert_eq!(a.current_profile(), Some("gone"));
    assert_eq!(a.shared.header.url, "http://127.0.0.1:4504");
    assert!(a.hints().iter().any(|h| h.action == Action::Fleet));
    a.on_msg(Msg::Loaded(
        next_read(),
        Err(UiError::failed(
            "cannot reach AEM at http://127.0.0.1:4504: Connection refused",
        )),
    ));
    let screen = render_with(&a, 80, 24, &Theme::new(true))
        .backend()
        .to_string();
    assert!(
        screen.contains("gone: AEM http://127.0.0.1:4504"),
        "{screen}"
    );
    // esc: the Fleet screen again, the session kept.
    a.on_key(code(KeyCode::Esc));
    assert!(a.on_fleet_screen());
    assert_eq!(a.current_profile(), Some("gone"));
    // ⏎ on the same author: no new session.
    assert!(a.on_key(code(KeyCode::Enter)).is_empty());
    assert!(!a.on_fleet_screen());
    // `0` from a tab, too; `0` on the Fleet screen does nothing.
    a.on_key(key('0'));
    assert!(a.on_fleet_screen());
    assert!(a.on_key(key('0')).is_empty());
    assert!(a.on_fleet_screen());
    // Another author: a fresh state for it.
    a.on_key(key('j'));
    let fx = a.on_key(code(KeyCode::Enter));
    assert!(
        matches!(fx.as_slice(), [Effect::Author(p), Effect::Load] if p == "legacy"),
        "{fx:?}"
    );
    assert!(a.shared.snapshot.is_none() && a.shared.loading);
    assert_eq!(a.read_generation, 0);
}

#[test]
fn d_and_m_work_on_the_selected_author_over_the_fleet() {
    let mut a = fleet_app();
    a.on_fleet(varied());
    a.on_key(key('j'));
    let fx = a.on_key(key('D'));
    assert!(
        matches!(fx.as_slice(), [Effect::Author(p), Effect::Load, Effect::Doctor] if p == "legacy"),
        "{fx:?}"
    );
    assert!(matches!(a.modal, Some(Modal::Doctor(_))));
    assert!(
        a.on_fleet_screen(),
        "the doctor opens over the Fleet screen"
    );
    a.on_key(code(KeyCode::Esc));
    assert!(a.modal.is_none() && a.on_fleet_screen());
    // `m`: the migration dialog of its JWT configuration (the sandbox's Console asked).
    let fx = a.on_key(key('m'));
    assert!(
        matches!(fx.as_slice(), [Effect::FetchCredential { client_id }] if client_id == "c845ba48d67e98b2caf0971d18ef55a7"),
        "{fx:?}"
    );
    assert!(matches!(&a.modal, Some(Modal::Migrate(d)) if d.pid.ends_with("3b7d")));
    a.on_key(code(KeyCode::Esc));
    // While an operation runs on this author, another cannot be opened.
    a.shared.busy = Some("migrating".into());
    a.on_key(key('k'));
    assert!(a.on_key(code(KeyCode::Enter)).is_empty());
    assert_eq!(a.current_profile(), Some("legacy"));
    assert!(
        a.shared
            .notice
            .as_ref()
            .unwrap()
            .text
            .contains("still running")
    );
    a.shared.busy = None;
    // An author without a password says why.
    for _ in 0..3 {
        a.on_key(key('j'));
    }
    assert!(a.on_key(code(KeyCode::Enter)).is_empty());
    assert!(a.shared.notice.as_ref().unwrap().text.contains("PW_NOPASS"));
    // `r` reads every author again.
    assert!(matches!(
        a.on_key(key('r')).as_slice(),
        [Effect::FleetRefresh(None)]
    ));
}
