use super::*;

fn author(profile: &str, url: &str, version: &str, credential: AuthType, tenant: &str) -> Author {
    Author {
        profile: profile.into(),
        aem_url: url.into(),
        read: true,
        version: Some(version.into()),
        oauth_support: OauthSupport::of(Some(&format!("Adobe Experience Manager ({version})"))),
        credential: Some(credential),
        tenants: vec![normalise(tenant)],
        pending: Some(0),
        pending_at_least: false,
        blocked: vec![],
    }
}

fn healthy_fleet() -> Vec<Author> {
    vec![
        author(
            "dev",
            "http://dev:4502",
            "6.5.21.0",
            AuthType::OauthServerToServer,
            "https://dev.brand-portal.adobe.com",
        ),
        author(
            "prod",
            "http://prod:4502",
            "6.5.22.0",
            AuthType::OauthServerToServer,
            "https://prod.brand-portal.adobe.com/",
        ),
    ]
}

#[test]
fn a_healthy_fleet_passes_every_rule() {
    let f = findings(&healthy_fleet());
    assert_eq!(
        f.iter().map(|f| f.id).collect::<Vec<_>>(),
        ["fleet.authors", "fleet.tenants", "fleet.jwt", "fleet.oauth"]
    );
    assert!(f.iter().all(|f| f.status == Status::Ok), "{f:#?}");
    assert!(
        f[3].finding.contains("6.5.21.0 ×1, 6.5.22.0 ×1"),
        "{}",
        f[3].finding
    );
}

#[test]
fn one_tenant_on_two_authors_fails_naming_both() {
    let mut fleet = healthy_fleet();
    fleet[1].tenants = vec![normalise("https://DEV.brand-portal.adobe.com/")];
    let f = shared_tenants(&fleet);
    assert_eq!(f.status, Status::Fail);
    assert!(
        f.finding.contains("dev (http://dev:4502)")
            && f.finding.contains("prod (http://prod:4502)"),
        "{}",
        f.finding
    );
    assert_eq!(
        f.command.as_deref(),
        Some("brandlink --profile prod upgrade --tenant https://dev.brand-portal.adobe.com")
    );
    // An unread author's (empty) tenants do not count; one author twice is not two authors.
    let mut twice = healthy_fleet();
    twice[1].aem_url = "http://DEV:4502/".into();
    twice[1].tenants = twice[0].tenants.clone();
    assert_eq!(shared_tenants(&twice).status, Status::Ok);
    assert_eq!(same_author(&twice).status, Status::Warn);
    assert!(same_author(&twice).finding.contains("dev, prod"));
}

#[test]
fn authors_on_jwt_are_counted_with_the_command() {
    let mut fleet = healthy_fleet();
    fleet.push(author(
        "stage",
        "http://stage:4502",
        "6.5.21.0",
        AuthType::Jwt,
        "https://stage.brand-portal.adobe.com",
    ));
    let f = jwt(&fleet);
    assert_eq!(f.status, Status::Warn);
    assert!(
        f.finding.starts_with("1 of 3 authors still on JWT: stage"),
        "{}",
        f.finding
    );
    assert_eq!(
        f.command.as_deref(),
        Some("brandlink fleet migrate --profiles stage")
    );
    let unread = vec![Author::unread("x", "http://x")];
    assert_eq!(jwt(&unread).status, Status::Skip);
    assert_eq!(oauth_levels(&unread).status, Status::Skip);
    assert_eq!(shared_tenants(&unread).status, Status::Skip);
}

#[test]
fn mixed_levels_fail_when_some_author_cannot_use_oauth() {
    let mut fleet = healthy_fleet();
    fleet.push(author(
        "old",
        "http://old:4502",
        "6.5.17.0",
        AuthType::Jwt,
        "https://old.brand-portal.adobe.com",
    ));
    let f = oauth_levels(&fleet);
    assert_eq!(f.status, Status::Fail);
    assert!(f.finding.contains("old (6.5.17.0)"), "{}", f.finding);
    assert!(f.finding.contains("6.5.17.0 ×1"), "{}", f.finding);
    // With the hotfix detected, SP17 counts as able.
    fleet[2].oauth_support = OauthSupport::Yes;
    assert_eq!(oauth_levels(&fleet).status, Status::Ok);
    fleet[2].oauth_support = OauthSupport::Unknown;
    assert_eq!(oauth_levels(&fleet).status, Status::Warn);
}

#[test]
fn rows_and_the_summary() {
    let fleet = healthy_fleet();
    let mut report = Report::from_findings(
        "http://dev:4502",
        None,
        0,
        false,
        vec![
            Finding::ok("aem", "fine"),
            Finding::fail("ims.token", "IMS refuses"),
        ],
    );
    report.set_steps(&[]);
    let row = Row::new(&fleet[0], &report, false, None);
    assert_eq!(row.state, "working");
    assert_eq!(row.first_failure.as_deref(), Some("ims.token: IMS refuses"));
    let unread = Row::new(
        &Author::unread("prod", "http://prod:4502"),
        &report,
        false,
        Some("unreachable"),
    );
    assert_eq!(unread.state, "unreachable");
    let ok_row = Row {
        ok: true,
        ..row.clone()
    };
    let s = summarize(&[ok_row.clone(), row, unread], 1, &findings(&fleet));
    assert_eq!((s.authors, s.healthy, s.failing, s.unread), (3, 1, 1, 1));
    assert_eq!(s.oauth, 2);
    assert!(!s.ok);
    assert!(
        s.line.starts_with("3 authors: 1 ok, 1 failing, 1 not read"),
        "{}",
        s.line
    );
    let s = summarize(&[ok_row], 0, &findings(&fleet));
    assert!(s.ok, "{s:?}");
}
