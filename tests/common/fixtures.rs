//! Hand-built integration snapshots for rendering tests and benchmarks.
#![allow(dead_code)]

use brandlink::aem::agents::AgentInfo;
use brandlink::aem::cloud::CloudConfig;
use brandlink::aem::keystore::{CertSummary, KeyAlias, KeystoreInfo};
use brandlink::aem::queue::{Depth, DepthSource, QueueItem, QueueStatus};
use brandlink::aem::readiness::Readiness;
use brandlink::evidence::LastOutcome;
use brandlink::setup::Integration;
use brandlink::setup::snapshot::{
    AgentState, AuthType, BpEvidence, CertificateState, ImsConfig, OauthSupport,
};

pub const TENANT: &str = "https://wknd.brand-portal.adobe.com";

pub fn fresh() -> Integration {
    Integration {
        aem_url: "http://localhost:4502".into(),
        // The version is not shown in the rendering tests' header (one test sets it).
        aem: Default::default(),
        read_at: 1_798_761_600,
        readiness: Readiness {
            login_page: true,
            bundles_total: 15,
            bundles_active: 15,
            not_active: vec![],
            product: Some("Adobe Experience Manager (6.5.21.0)".into()),
            ims_core: Some("1.1.26".into()),
            bundles: vec![],
        },
        service_user: Some("/home/users/system/cq/abc/def".into()),
        keystore: KeystoreInfo {
            exists: false,
            aliases: vec![],
        },
        certificate: None,
        ims_configs: vec![],
        cloud_configs: vec![],
        tenant_url: None,
        agents: vec![],
        mac_users: vec![],
        oauth_support: OauthSupport::Yes,
        zone: None,
        error_log: None,
        macs: vec![],
        last_aem_check: None,
    }
}

/// A fresh author from before OAuth Server-to-Server (the documented JWT procedure).
pub fn fresh_jwt_era() -> Integration {
    let mut i = fresh();
    i.readiness.product = Some("Adobe Experience Manager (6.5.17.0)".into());
    i.oauth_support = OauthSupport::WithHotfix;
    i
}

pub fn agent(id: &str, enabled: bool, blocked: bool, pending: u64) -> AgentState {
    let items = (0..pending.min(3))
        .map(|i| QueueItem {
            id: format!("j{i}"),
            path: format!("/content/dam/wknd/asset-{i}.jpg"),
            action: "Activate".into(),
            user: "admin".into(),
            time: 1,
            last_processed: None,
            attempts: if blocked { 4 } else { 0 },
        })
        .collect();
    AgentState {
        info: AgentInfo {
            id: id.into(),
            title: format!("Agent {id}"),
            enabled,
            transport_uri: format!("{TENANT}/bin/receive"),
            retry_delay_ms: Some(60000),
            close_connection: false,
            transport_user: Some("mac-wknd-replication".into()),
        },
        queue: Some(QueueStatus {
            agent_id: id.into(),
            disabled: !enabled,
            blocked,
            paused: false,
            time: Some(1),
            processing_since: None,
            last_process_time: None,
            next_retry: None,
            items,
        }),
        depth: Some(Depth {
            count: pending,
            at_least: false,
            source: DepthSource::Jmx,
        }),
        error: None,
        // Tested: the step is done when the log shows the agent work.
        last_outcome: Some(LastOutcome {
            ok: true,
            test: true,
            time: Some("30.11.2026 09:00:00".into()),
            at: None,
        }),
        log: vec![],
    }
}

pub fn configured() -> Integration {
    let mut i = fresh();
    i.keystore = KeystoreInfo {
        exists: true,
        aliases: vec![KeyAlias {
            alias: "brandportal".into(),
            entry_type: "privateKey".into(),
            chain: vec![CertSummary {
                subject: "CN=AEM Brand Portal IMS".into(),
                issuer: "CN=AEM Brand Portal IMS".into(),
                not_before: "Mon Jan 01 00:00:00 UTC 2024".into(),
                not_after: "Sat Jan 01 00:00:00 UTC 2050".into(),
                serial_number: "1".into(),
            }],
        }],
    };
    i.certificate = Some(CertificateState {
        alias: "brandportal".into(),
        subject: "CN=AEM Brand Portal IMS".into(),
        not_after: "Sat Jan 01 00:00:00 UTC 2050".into(),
        days_left: Some(8000),
        expires_at: Some(2_524_608_000),
    });
    i.ims_configs = vec![ImsConfig {
        pid: "com.adobe.granite.auth.oauth.accesstoken.provider.1234".into(),
        title: "Brand Portal".into(),
        name: Some("brandportal".into()),
        auth_type: AuthType::OauthServerToServer,
        client_id: "0123456789abcdef".into(),
        endpoint: None,
        keypair_alias: None,
        claims: vec![],
        scopes: vec!["openid".into()],
        org_id: Some("ABC@AdobeOrg".into()),
        has_secret: true,
        brand_portal: Some(BpEvidence::CloudConfiguration),
    }];
    i.cloud_configs = vec![CloudConfig {
        path: "/conf/global/settings/cloudconfigs/mediaportal/brand-portal".into(),
        title: "Brand Portal".into(),
        tenant_url: TENANT.into(),
        ims_config: Some("com.adobe.granite.auth.oauth.accesstoken.provider.1234".into()),
        legacy: false,
    }];
    i.tenant_url = Some(TENANT.into());
    i.agents = vec![
        agent("mp_replication", true, false, 0),
        agent("mp_replication_a1", true, false, 12),
        agent("mp_replication_b2", true, false, 0),
        agent("mp_replication_c3", true, false, 0),
    ];
    i
}

/// Another Adobe integration's IMS configuration (OAuth Server-to-Server), as a lived-in
/// author has them.
pub fn other_ims(name: &str, title: &str, n: u8) -> ImsConfig {
    ImsConfig {
        pid: format!("com.adobe.granite.auth.oauth.accesstoken.provider.{n}0{n}0-{name}"),
        title: title.into(),
        name: Some(name.into()),
        auth_type: AuthType::OauthServerToServer,
        client_id: format!("{n}{n}{n}{n}abcdef{n}{n}{n}{n}abcdef"),
        endpoint: None,
        keypair_alias: None,
        claims: vec![],
        scopes: vec![
            "openid".into(),
            "AdobeID".into(),
            "read_organizations".into(),
        ],
        org_id: Some("ABC@AdobeOrg".into()),
        has_secret: true,
        brand_portal: None,
    }
}

/// `demo --lived-in`: Smart Tags and Adobe Stock were set up before Brand Portal.
pub fn lived_in(mut i: Integration) -> Integration {
    i.ims_configs.extend([
        other_ims("adobe-ims-similaritysearch", "Smart Tags", 1),
        other_ims("adobe-ims-stock", "Adobe Stock", 2),
    ]);
    i
}

/// `demo --scenario legacy`: a 6.3/6.4-era configuration under /etc/cloudservices and its four
/// agents, never tested.
pub fn legacy() -> Integration {
    let mut i = fresh();
    i.cloud_configs = vec![CloudConfig {
        path: "/etc/cloudservices/mediaportal/brand-portal-wknd".into(),
        title: "Brand Portal (wknd)".into(),
        tenant_url: TENANT.into(),
        ims_config: None,
        legacy: true,
    }];
    i.tenant_url = Some(TENANT.into());
    i.agents = [
        "mp_replication",
        "mp_replication_032c",
        "mp_replication_fca9",
        "mp_replication_98e7",
    ]
    .into_iter()
    .map(|id| {
        let mut a = agent(id, true, false, 0);
        a.last_outcome = None;
        a
    })
    .collect();
    i
}
