//! The checks on synthetic authors: a healthy one, then one thing broken at a time.

use super::*;
use crate::aem::agents::{AgentInfo, LogLine, TestResult};
use crate::aem::keystore::{KeyAlias, KeystoreInfo};
use crate::aem::queue::{QueueItem, QueueStatus};
use crate::aem::readiness::Readiness;
use crate::aem::users::UserRef;
use crate::evidence::logs::{Entry, LogSource};
use crate::evidence::{BpEvidence, MacEvidence};

const T: &str = "https://wknd.brand-portal.adobe.com";
const NOW: i64 = 1_800_000_000;

fn agent(id: &str) -> AgentEvidence {
    AgentEvidence {
        info: AgentInfo {
            id: id.into(),
            title: id.into(),
            enabled: true,
            transport_uri: format!("{T}/content/dam/mac/wknd/_replicate"),
            retry_delay_ms: Some(30_000),
            close_connection: true,
            transport_user: Some("mac-wknd-replication".into()),
        },
        queue: Ok(QueueStatus {
            agent_id: id.into(),
            disabled: false,
            blocked: false,
            paused: false,
            time: None,
            processing_since: None,
            last_process_time: None,
            next_retry: None,
            items: vec![],
        }),
        depth: None,
        log: Ok(vec![]),
    }
}

/// A log line as the reader gives it.
fn le(l: LogLine) -> Entry {
    let text = match &l.time {
        Some(t) => format!("{t} - {}", l.message),
        None => l.message.clone(),
    };
    crate::evidence::logs::entry(&text, LogSource::Agent, None)
}

fn cert(serial: &str, not_after: &str) -> CertSummary {
    CertSummary {
        subject: "CN=AEM Brand Portal IMS".into(),
        issuer: "CN=AEM Brand Portal IMS".into(),
        not_before: "Thu Jan 01 00:00:00 UTC 2026".into(),
        not_after: not_after.into(),
        serial_number: serial.into(),
    }
}

fn healthy() -> Evidence {
    let agents: Vec<AgentEvidence> = [
        "mp_replication",
        "mp_replication_a",
        "mp_replication_b",
        "mp_replication_c",
    ]
    .into_iter()
    .map(agent)
    .collect();
    Evidence {
        aem_url: "http://author:4502".into(),
        read_at: NOW,
        readiness: Readiness {
            login_page: true,
            bundles_total: 600,
            bundles_active: 600,
            not_active: vec![],
            product: Some("Adobe Experience Manager (6.5.22.0)".into()),
            ims_core: Some("1.1.26".into()),
            bundles: vec![],
        },
        oauth_support: OauthSupport::Yes,
        service_user: Ok(Some("/home/users/system/bp".into())),
        keystore: Ok(Some(KeystoreInfo {
            exists: false,
            aliases: vec![],
        })),
        ims: Ok(vec![
            ImsConfig {
                pid: "p1".into(),
                title: "Brand Portal".into(),
                name: Some("brandportal-1".into()),
                auth_type: AuthType::OauthServerToServer,
                client_id: "0123456789abcdef0123456789abcdef".into(),
                endpoint: Some("https://ims-na1.adobelogin.com".into()),
                keypair_alias: None,
                claims: vec![],
                scopes: vec!["openid".into(), "AdobeID".into()],
                org_id: Some("ABCDEF0123456789ABCDEF01@AdobeOrg".into()),
                has_secret: true,
                brand_portal: Some(BpEvidence::CloudConfiguration),
            },
            ImsConfig {
                pid: "p2".into(),
                title: "Smart Tags".into(),
                name: Some("adobe-ims-similaritysearch".into()),
                auth_type: AuthType::Jwt,
                client_id: "st".into(),
                endpoint: None,
                keypair_alias: Some("similaritysearch".into()),
                claims: vec![],
                scopes: vec![],
                org_id: None,
                has_secret: true,
                brand_portal: None,
            },
        ]),
        clouds: Ok(vec![CloudConfig {
            path: "/conf/global/settings/cloudconfigs/mediaportal/brand-portal".into(),
            title: "Brand Portal".into(),
            tenant_url: T.into(),
            ims_config: Some("p1".into()),
            legacy: false,
        }]),
        all_agents: Ok(agents.iter().map(|a| a.info.clone()).collect()),
        tenant_url: Some(T.into()),
        agents,
        mac_users: Ok(vec![UserRef {
            id: "mac-wknd-replication".into(),
            path: "/home/users/mac/x".into(),
        }]),
        macs: vec![MacEvidence {
            user: UserRef {
                id: "mac-wknd-replication".into(),
                path: "/home/users/mac/x".into(),
            },
            keystore: Ok(KeystoreInfo {
                exists: false,
                aliases: vec![],
            }),
        }],
        test: Some(Ok(TestResult {
            agent: "mp_replication".into(),
            success: true,
            summary: "Replication test succeeded".into(),
            explanation: vec![],
            transcript: vec!["Replication test succeeded".into()],
        })),
        zone: None,
        java_version: None,
        health: Ok(None),
        more_tests: vec![],
        error_log: Ok(vec![]),
        last_check: None,
    }
}

fn status_of(ev: &Evidence, id: &str) -> Finding {
    all(ev, true)
        .into_iter()
        .find(|f| f.id == id)
        .unwrap_or_else(|| panic!("no check {id}"))
}

#[test]
fn a_healthy_author_passes_every_check() {
    let findings = all(&healthy(), true);
    let bad: Vec<_> = findings
        .iter()
        .filter(|f| matches!(f.status, Status::Warn | Status::Fail))
        .collect();
    assert!(bad.is_empty(), "{bad:#?}");
    let ids: Vec<&str> = findings.iter().map(|f| f.id).collect();
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(ids.len(), unique.len(), "ids are unique: {ids:?}");
    // Other integrations are named as such, never counted against Brand Portal.
    let ims = status_of(&healthy(), "ims.config");
    assert!(
        ims.finding.contains("left alone: Smart Tags"),
        "{}",
        ims.finding
    );
}

#[test]
fn disabled_agent_and_close_connection() {
    let mut ev = healthy();
    ev.agents[2].info.enabled = false;
    let f = status_of(&ev, "agents");
    assert_eq!(f.status, Status::Fail);
    assert!(f.finding.contains("mp_replication_b"), "{}", f.finding);
    let mut ev = healthy();
    for a in &mut ev.agents {
        a.info.close_connection = false;
    }
    // Adobe's fix for timeouts: without any, nothing to fix (the agents' settings are AEM's).
    let f = status_of(&ev, "agents.close-connection");
    assert_eq!(f.status, Status::Ok, "{f:?}");
    assert_eq!(f.command, None);
    // With timeouts in the log it is the cause, so a failure.
    ev.agents[0].log = Ok(vec![le(LogLine {
        time: None,
        message: "java.net.SocketTimeoutException: Read timed out".into(),
    })]);
    let f = status_of(&ev, "agents.close-connection");
    assert_eq!(f.status, Status::Fail);
    assert_eq!(
        f.command.as_deref(),
        Some("brandlink agents --close-connection")
    );
    assert!(matches!(f.remedy, Some(Remedy::CloseConnection(ref ids)) if ids.len() == 4));
}

#[test]
fn jwt_is_retired_and_its_certificate_is_read() {
    let mut ev = healthy();
    if let Ok(list) = &mut ev.ims {
        list[0].auth_type = AuthType::Jwt;
        list[0].keypair_alias = Some("brandportal".into());
    }
    ev.keystore = Ok(Some(KeystoreInfo {
        exists: true,
        aliases: vec![KeyAlias {
            alias: "brandportal".into(),
            entry_type: "PrivateKeyEntry".into(),
            chain: vec![cert("1", "Sat Jan 01 00:00:00 UTC 2050")],
        }],
    }));
    let f = status_of(&ev, "ims.credential");
    assert_eq!(
        f.status,
        Status::Warn,
        "retired, and the token check says whether IMS still takes it"
    );
    assert_eq!(f.command.as_deref(), Some("brandlink account migrate"));
    assert_eq!(f.remedy, Some(Remedy::Migrate));
    assert_eq!(status_of(&ev, "jwt.certificate").status, Status::Ok);
    // Expired, then close to it.
    if let Ok(Some(ks)) = &mut ev.keystore {
        ks.aliases[0].chain[0].not_after = "Thu Jan 01 00:00:00 UTC 2026".into();
    }
    let f = status_of(&ev, "jwt.certificate");
    assert_eq!(f.status, Status::Fail, "{}", f.finding);
    assert!(f.finding.contains("expired on 2026-01-01"), "{}", f.finding);
    let soon = chrono::DateTime::from_timestamp(NOW + 10 * 86_400 + 60, 0)
        .unwrap()
        .format("%a %b %d %H:%M:%S UTC %Y")
        .to_string();
    if let Ok(Some(ks)) = &mut ev.keystore {
        ks.aliases[0].chain[0].not_after = soon;
    }
    let f = status_of(&ev, "jwt.certificate");
    assert_eq!(f.status, Status::Warn, "{}", f.finding);
    assert!(f.finding.contains("10 days"), "{}", f.finding);
    // The alias is gone.
    ev.keystore = Ok(Some(KeystoreInfo {
        exists: true,
        aliases: vec![],
    }));
    assert_eq!(status_of(&ev, "jwt.certificate").status, Status::Fail);
}

#[test]
fn oauth_values_and_the_secret() {
    let mut ev = healthy();
    if let Ok(list) = &mut ev.ims {
        list[0].has_secret = false;
        list[0].org_id = None;
    }
    let f = status_of(&ev, "ims.credential");
    assert_eq!(f.status, Status::Fail);
    assert!(
        f.finding.contains("the org id") && f.finding.contains("customizer"),
        "{}",
        f.finding
    );
    assert_eq!(status_of(&ev, "jwt.certificate").status, Status::Skip);
}

#[test]
fn two_brand_portal_ims_configurations_fail_but_other_integrations_do_not() {
    let mut ev = healthy();
    if let Ok(list) = &mut ev.ims {
        let mut second = list[0].clone();
        second.pid = "p3".into();
        second.brand_portal = Some(BpEvidence::Name);
        list.push(second);
    }
    assert_eq!(status_of(&ev, "ims.config").status, Status::Fail);
    let mut ev = healthy();
    if let Ok(list) = &mut ev.ims {
        list.retain(|c| !c.is_brand_portal());
    }
    let f = status_of(&ev, "ims.config");
    assert_eq!(f.status, Status::Fail);
    assert!(
        f.finding.starts_with("no Brand Portal IMS configuration"),
        "{}",
        f.finding
    );
}

#[test]
fn a_failed_test_connection_is_explained() {
    let mut ev = healthy();
    ev.test = Some(Ok(TestResult {
        agent: "mp_replication".into(),
        success: false,
        summary: "Transfer failed".into(),
        explanation: vec![],
        transcript: vec![
            "com.adobe.granite.auth.oauth.AccessTokenProvider failed to get access token from authorization server status: 401 response: {\"error_description\":\"invalid client_secret parameter\",\"error\":\"invalid_client\"}".into(),
            "sent. Response: 401 Unauthorized".into(),
        ],
    }));
    let f = status_of(&ev, "ims.token");
    assert_eq!(f.status, Status::Fail);
    assert!(
        f.cause.as_deref().unwrap_or("").contains("client secret"),
        "{f:?}"
    );
    assert_eq!(
        f.command.as_deref(),
        Some("brandlink account update --secret")
    );
    ev.test = None;
    assert_eq!(
        all(&ev, false)
            .iter()
            .find(|f| f.id == "ims.token")
            .map(|f| f.status),
        Some(Status::Skip)
    );
}

#[test]
fn cloud_configurations_service_url_and_leftovers() {
    let mut ev = healthy();
    if let Ok(c) = &mut ev.clouds {
        let mut second = c[0].clone();
        second.path.push('2');
        second.tenant_url = "https://other.brand-portal.adobe.com".into();
        c.push(second);
    }
    let f = status_of(&ev, "cloud.config");
    assert_eq!(f.status, Status::Fail);
    assert_eq!(
        f.command.as_deref(),
        Some("brandlink upgrade --tenant https://other.brand-portal.adobe.com")
    );
    assert_eq!(status_of(&ev, "sourcing").status, Status::Fail);

    let mut ev = healthy();
    ev.test = Some(Ok(TestResult {
        agent: "mp_replication".into(),
        success: false,
        summary: "Transfer failed".into(),
        explanation: vec![],
        transcript: vec![
            "Transfer failed for X. java.net.UnknownHostException: wknd.brand-portal.adobe.com"
                .into(),
        ],
    }));
    assert_eq!(status_of(&ev, "cloud.service-url").status, Status::Fail);

    let mut ev = healthy();
    if let Ok(all) = &mut ev.all_agents {
        let mut old = all[0].clone();
        old.id = "mp_replication_old".into();
        old.transport_uri = "https://oldco.brand-portal.adobe.com/x".into();
        all.push(old);
    }
    let f = status_of(&ev, "agents.leftovers");
    assert_eq!(f.status, Status::Warn);
    assert!(
        matches!(f.remedy, Some(Remedy::Upgrade(ref t)) if t == "https://oldco.brand-portal.adobe.com")
    );
}

#[test]
fn mac_user_missing_or_holding_an_old_key() {
    let mut ev = healthy();
    ev.macs.clear();
    assert_eq!(status_of(&ev, "mac.user").status, Status::Fail);
    let mut ev = healthy();
    ev.keystore = Ok(Some(KeystoreInfo {
        exists: true,
        aliases: vec![KeyAlias {
            alias: "a".into(),
            entry_type: "PrivateKeyEntry".into(),
            chain: vec![cert("2", "Sat Jan 01 00:00:00 UTC 2050")],
        }],
    }));
    ev.macs[0].keystore = Ok(KeystoreInfo {
        exists: true,
        aliases: vec![KeyAlias {
            alias: "a".into(),
            entry_type: "PrivateKeyEntry".into(),
            chain: vec![cert("1", "Sat Jan 01 00:00:00 UTC 2050")],
        }],
    });
    let f = status_of(&ev, "mac.keystore");
    assert_eq!(f.status, Status::Fail, "{}", f.finding);
    if let Ok(ks) = &mut ev.macs[0].keystore {
        ks.aliases[0].chain[0].serial_number = "2".into();
    }
    assert_eq!(status_of(&ev, "mac.keystore").status, Status::Ok);
}

fn item(path: &str, age_secs: i64, attempts: u64) -> QueueItem {
    QueueItem {
        id: path.into(),
        path: path.into(),
        action: "Activate".into(),
        user: "admin".into(),
        time: (NOW - age_secs) * 1000,
        last_processed: None,
        attempts,
    }
}

#[test]
fn queues_blocked_retried_old_and_paused() {
    let mut ev = healthy();
    if let Ok(q) = &mut ev.agents[1].queue {
        q.blocked = true;
        q.items = vec![
            item("/content/dam/a.jpg", 600, 7),
            item("/content/dam/b.jpg", 30, 0),
        ];
    }
    ev.agents[1].log = Ok(vec![le(LogLine {
        time: None,
        message: "sent. Response: 503 Service Unavailable".into(),
    })]);
    let f = status_of(&ev, "queues.blocked");
    // A blocked queue publishes nothing: failing, with the outage as the cause (which drains
    // by itself).
    assert_eq!(f.status, Status::Fail, "{f:?}");
    assert!(f.cause.as_deref().unwrap_or("").contains("503"));
    assert!(f.command.is_none(), "an outage needs no command: {f:?}");
    assert_eq!(status_of(&ev, "queues.retries").status, Status::Warn);
    let f = status_of(&ev, "queues.oldest");
    assert_eq!(f.status, Status::Warn);
    assert!(f.finding.contains("10 minutes"), "{}", f.finding);
    ev.agents[1].log = Ok(vec![le(LogLine {
        time: None,
        message: "sent. Response: 401 Unauthorized".into(),
    })]);
    assert_eq!(status_of(&ev, "queues.blocked").status, Status::Fail);

    let mut ev = healthy();
    if let Ok(q) = &mut ev.agents[0].queue {
        q.paused = true;
    }
    ev.agents[0].log = Ok(vec![le(LogLine {
        time: Some("01.12.2026 02:00:00".into()),
        message: "Queue paused".into(),
    })]);
    let f = status_of(&ev, "queues.paused");
    assert_eq!(f.status, Status::Warn);
    assert!(
        f.finding.contains("since 01.12.2026 02:00:00"),
        "{}",
        f.finding
    );
}

#[test]
fn old_authors() {
    let mut ev = healthy();
    ev.readiness.product = Some("Adobe Experience Manager (6.5.7.0)".into());
    ev.oauth_support = OauthSupport::No;
    assert_eq!(status_of(&ev, "aem.oauth").status, Status::Fail);
    assert_eq!(status_of(&ev, "sourcing").status, Status::Warn);
    ev.readiness.product = Some("Adobe Experience Manager (6.4.8.0)".into());
    assert_eq!(status_of(&ev, "sourcing").status, Status::Skip);
    ev.readiness.not_active = vec!["com.adobe.granite.auth.ims".into()];
    ev.readiness.bundles_active = 599;
    assert_eq!(status_of(&ev, "aem").status, Status::Fail);
}

#[test]
fn lts_bundles_and_health_checks() {
    use crate::aem::health::HealthCheck;
    use crate::aem::readiness::BundleInfo;
    let mut ev = healthy();
    ev.readiness.product = Some("Adobe Experience Manager (6.6.3.0)".into());
    assert_eq!(status_of(&ev, "aem.oauth").status, Status::Ok);
    assert!(
        status_of(&ev, "aem.oauth")
            .finding
            .contains("AEM 6.5 LTS SP3")
    );
    assert!(status_of(&ev, "sourcing").finding.contains("6.5 LTS SP3"));
    assert_eq!(status_of(&ev, "aem.bundles").status, Status::Skip);
    assert_eq!(status_of(&ev, "aem.health").status, Status::Skip);
    ev.readiness.bundles = vec![BundleInfo {
        symbolic_name: "com.adobe.granite.crypto.keystore".into(),
        name: "Adobe Granite Crypto Keystore".into(),
        version: "4.0.24".into(),
        state: "Installed".into(),
        fragment: false,
    }];
    let f = status_of(&ev, "aem.bundles");
    assert_eq!(f.status, Status::Fail);
    assert!(
        f.finding
            .contains("com.adobe.granite.crypto.keystore 4.0.24 is Installed")
    );
    let check = |name: &str, status: &str| HealthCheck {
        name: name.into(),
        status: status.into(),
        tags: vec![],
        messages: vec!["m".into()],
    };
    ev.health = Ok(Some(vec![check("Disk Space", "CRITICAL")]));
    assert_eq!(
        status_of(&ev, "aem.health").status,
        Status::Skip,
        "not ours"
    );
    ev.health = Ok(Some(vec![
        check("Disk Space", "CRITICAL"),
        check("Replication Queue", "WARN"),
    ]));
    let f = status_of(&ev, "aem.health");
    assert_eq!(f.status, Status::Warn);
    assert!(
        f.finding.contains("Replication Queue WARN: m"),
        "{}",
        f.finding
    );
}
