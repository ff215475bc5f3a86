//! The Fleet screen's state on synthetic reads: the order (failing first, then those not read
//! yet, then the healthy ones, each in the config's order), the selection following its author
//! through a new order, moving, and what ⏎, `D` and `m` ask for.

use super::*;
use crate::verdict::Counts;

fn entry(profile: &str) -> FleetEntry {
    FleetEntry {
        profile: profile.into(),
        header: HeaderInfo {
            url: format!("http://{profile}.example:4502"),
            user: "admin".into(),
            ..HeaderInfo::default()
        },
        unbuilt: None,
    }
}

fn row(profile: &str, ok: bool) -> Row {
    Row {
        profile: profile.into(),
        aem_url: format!("http://{profile}.example:4502"),
        ok,
        aem_version: Some("6.5.21.0".into()),
        credential: None,
        state: if ok { "working" } else { "Account failing" }.into(),
        pending: Some(0),
        pending_at_least: false,
        blocked: vec![],
        counts: Counts::default(),
        first_failure: (!ok).then(|| "ims.token: refused".to_string()),
    }
}

fn read(profile: &str, ok: bool) -> AuthorView {
    AuthorView {
        row: Some(row(profile, ok)),
        ..AuthorView::reading(profile)
    }
}

fn screen() -> FleetScreen {
    FleetScreen::new(["alpha", "beta", "gamma", "delta"].map(entry).to_vec())
}

fn order(s: &FleetScreen) -> Vec<&str> {
    s.rows().map(|a| a.profile.as_str()).collect()
}

fn view(authors: Vec<AuthorView>) -> FleetView {
    FleetView {
        authors,
        ..FleetView::default()
    }
}

#[test]
fn failing_authors_come_first_then_unread_then_healthy() {
    let mut s = screen();
    assert_eq!(
        order(&s),
        ["alpha", "beta", "gamma", "delta"],
        "config order"
    );
    assert_eq!(s.read_count(), 0);
    s.set_view(view(vec![
        read("alpha", true),
        AuthorView::reading("beta"),
        read("gamma", false),
        read("delta", false),
    ]));
    assert_eq!(order(&s), ["gamma", "delta", "beta", "alpha"]);
    assert_eq!(s.read_count(), 3);
}

#[test]
fn the_selection_stays_on_the_top_row_until_moved() {
    let mut s = screen();
    assert_eq!(s.selected().unwrap().profile, "alpha");
    s.set_view(view(vec![
        read("alpha", true),
        read("beta", true),
        read("gamma", false),
        read("delta", true),
    ]));
    assert_eq!(
        s.selected().unwrap().profile,
        "gamma",
        "the first failing author"
    );
}

#[test]
fn the_selection_follows_its_author_when_the_order_changes() {
    let mut s = screen();
    s.set_view(view(vec![
        read("alpha", true),
        read("beta", true),
        read("gamma", true),
        read("delta", true),
    ]));
    s.on_action(Action::Down, false);
    s.on_action(Action::Down, false);
    assert_eq!(s.selected().unwrap().profile, "gamma");
    // gamma starts failing: it moves to the top, and the selection with it.
    s.set_view(view(vec![
        read("alpha", true),
        read("beta", true),
        read("gamma", false),
        read("delta", true),
    ]));
    assert_eq!(order(&s)[0], "gamma");
    assert_eq!(s.selected, 0);
    assert_eq!(s.selected().unwrap().profile, "gamma");
    // An author that is gone from the view: the selection goes to the top.
    s.set_view(view(vec![read("alpha", true)]));
    assert_eq!(s.selected().unwrap().profile, "alpha");
}

#[test]
fn moving_stays_within_the_table() {
    let mut s = screen();
    s.on_action(Action::Up, false);
    assert_eq!(s.selected, 0);
    for _ in 0..10 {
        s.on_action(Action::Down, false);
    }
    assert_eq!(s.selected, 3);
    s.on_action(Action::Top, false);
    assert_eq!(s.selected, 0);
    s.on_action(Action::PageDown, false);
    assert_eq!(s.selected, 3);
    assert_eq!(s.on_action(Action::Refresh, false), FleetOut::Refresh);
    let mut empty = FleetScreen::new(vec![]);
    assert!(empty.is_empty());
    assert_eq!(empty.on_action(Action::Down, false), FleetOut::None);
    assert_eq!(empty.on_action(Action::Activate, false), FleetOut::None);
}

#[test]
fn enter_d_and_m_ask_for_the_selected_author() {
    let mut s = FleetScreen::new(vec![
        entry("alpha"),
        FleetEntry {
            unbuilt: Some("PW_BETA is not set".into()),
            ..entry("beta")
        },
    ]);
    let jwt = JwtConfig {
        pid: "com.adobe.granite.auth.ims.impl.ImsConfigProviderImpl.x".into(),
        client_id: "abc".into(),
        org_id: "ABC@AdobeOrg".into(),
    };
    s.set_view(view(vec![
        AuthorView {
            jwt: Some(jwt.clone()),
            ..read("alpha", false)
        },
        AuthorView {
            error: Some("PW_BETA is not set".into()),
            ..read("beta", false)
        },
    ]));
    assert_eq!(
        s.on_action(Action::Activate, false),
        FleetOut::Open("alpha".into())
    );
    assert_eq!(
        s.on_action(Action::Doctor, false),
        FleetOut::Doctor("alpha".into())
    );
    assert_eq!(
        s.on_action(Action::Migrate, false),
        FleetOut::Migrate("alpha".into(), jwt)
    );
    assert!(matches!(
        s.on_action(Action::Migrate, true),
        FleetOut::Info(t) if t.contains("read-only")
    ));
    let hints = s.hints(false);
    assert!(hints.iter().all(|h| h.enabled), "{hints:?}");
    // An author without a setup service (no password) says why instead of opening.
    s.on_action(Action::Down, false);
    assert!(matches!(
        s.on_action(Action::Activate, false),
        FleetOut::Info(t) if t.contains("PW_BETA")
    ));
    let hints = s.hints(false);
    assert!(!hints[0].enabled, "{hints:?}");
}

#[test]
fn m_on_an_author_without_jwt_says_so() {
    let mut s = screen();
    s.set_view(view(vec![read("alpha", true), AuthorView::reading("beta")]));
    assert_eq!(order(&s), ["beta", "alpha"]);
    assert!(matches!(
        s.on_action(Action::Migrate, false),
        FleetOut::Info(t) if t.contains("not been read")
    ));
    s.on_action(Action::Down, false);
    assert!(matches!(
        s.on_action(Action::Migrate, false),
        FleetOut::Info(t) if t.contains("no JWT")
    ));
}
