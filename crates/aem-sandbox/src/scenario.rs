//! The author each scenario starts as.

use super::brandportal::ensure_agents;
use super::repo::{Prop, join};
use super::security::create_user;
use super::state::{
    AGENTS_ROOT, BP_SERVICE_USER, CLOUD_ROOT, CUSTOMIZER_FACTORY, IMS_HOST, KeyEntry, Keystore,
    LEGACY_ROOT, OsgiConfig, OsgiValue, PROVIDER_FACTORY, QueueItem, Scenario, World, felix_type,
    now_ms,
};
use super::x509;
use super::{console, ims};
use indexmap::IndexMap;

/// Alias of the key pair in the configured scenarios.
pub const CONFIGURED_ALIAS: &str = "brandportal";

pub fn build(w: &mut World) -> Result<(), String> {
    base_author(w)?;
    if let Some(r) = w.cfg.recorded.clone() {
        super::replay::apply(w, &r)?;
        w.bump();
        return Ok(());
    }
    match w.cfg.scenario {
        Scenario::Fresh => {}
        Scenario::Configured => configured(w)?,
        Scenario::Busy => {
            configured(w)?;
            enqueue(w, 600);
        }
        Scenario::Legacy => legacy(w)?,
        Scenario::JwtRetired => {
            configured(w)?;
            jwt_retired(w);
        }
    }
    if w.cfg.lived_in {
        lived_in(w);
    }
    for m in w.cfg.mishaps.clone() {
        super::mishaps::apply(w, m).map_err(|e| format!("mishap {m:?}: {e}"))?;
    }
    w.bump();
    Ok(())
}

fn folder(w: &mut World, path: &str, ty: &str) {
    w.repo.ensure(path, ty, "sling:Folder");
}

pub(crate) fn agent(
    w: &mut World,
    id: &str,
    title: &str,
    enabled: bool,
    uri: &str,
    extra: &[(&str, Prop)],
) {
    let page = join(AGENTS_ROOT, id);
    let content = format!("{page}/jcr:content");
    w.repo.ensure(&page, "cq:Page", "sling:Folder");
    w.repo
        .ensure(&content, "nt:unstructured", "nt:unstructured");
    let base = [
        ("jcr:title", Prop::str(title)),
        (
            "sling:resourceType",
            Prop::str("cq/replication/components/agent"),
        ),
        (
            "cq:template",
            Prop::str("/libs/cq/replication/templates/agent"),
        ),
        ("enabled", Prop::str(enabled.to_string())),
        ("transportUri", Prop::str(uri)),
        ("serializationType", Prop::str("durbo")),
        ("retryDelay", Prop::str("60000")),
        ("logLevel", Prop::str("info")),
    ];
    for (k, v) in base {
        w.repo.set(&content, k, v);
    }
    for (k, v) in extra {
        w.repo.set(&content, k, v.clone());
    }
}

/// What every author has before Brand Portal: its folders and a few assets, AEM's own
/// replication agents, and its users.
fn base_author(w: &mut World) -> Result<(), String> {
    base_content(w);
    default_agents(w);
    default_users(w)
}

/// The repository's top folders, WKND's adventures and the agents' root page.
fn base_content(w: &mut World) {
    for (p, t) in [
        ("/apps", "nt:folder"),
        ("/apps/system/config", "nt:folder"),
        ("/libs", "nt:folder"),
        ("/content", "sling:OrderedFolder"),
        ("/content/dam", "sling:OrderedFolder"),
        ("/content/dam/wknd", "sling:OrderedFolder"),
        ("/content/dam/wknd/en", "sling:OrderedFolder"),
        ("/content/dam/wknd/en/adventures", "sling:OrderedFolder"),
        ("/conf", "sling:Folder"),
        ("/conf/global", "sling:Folder"),
        ("/conf/global/settings", "sling:Folder"),
        ("/conf/global/settings/cloudconfigs", "sling:Folder"),
        ("/etc", "sling:Folder"),
        ("/etc/cloudservices", "sling:Folder"),
        ("/etc/replication", "sling:Folder"),
        ("/home", "rep:AuthorizableFolder"),
        ("/home/users", "rep:AuthorizableFolder"),
        ("/home/groups", "rep:AuthorizableFolder"),
    ] {
        folder(w, p, t);
    }
    let now = now_ms();
    for name in [
        "surfing-in-hawaii.jpg",
        "climbing-new-zealand.jpg",
        "skiing-wyoming.jpg",
    ] {
        let p = join("/content/dam/wknd/en/adventures", name);
        w.repo.ensure(&p, "dam:Asset", "sling:OrderedFolder");
        w.repo.ensure(
            &format!("{p}/jcr:content"),
            "dam:AssetContent",
            "nt:unstructured",
        );
        w.repo.set(
            &format!("{p}/jcr:content"),
            "jcr:lastModified",
            Prop::date(now),
        );
    }
    w.repo
        .set("/etc/replication", "jcr:title", Prop::str("Replication"));
    w.repo.ensure(AGENTS_ROOT, "cq:Page", "sling:Folder");
    w.repo.ensure(
        &format!("{AGENTS_ROOT}/jcr:content"),
        "nt:unstructured",
        "nt:unstructured",
    );
    w.repo.set(
        &format!("{AGENTS_ROOT}/jcr:content"),
        "jcr:title",
        Prop::str("Agents on author"),
    );
    w.repo.set(AGENTS_ROOT, "jcr:created", Prop::date(now));
    w.repo.set(AGENTS_ROOT, "jcr:createdBy", Prop::str("admin"));
}

/// The agents a fresh 6.5 author has: publish, reverse, offloading, static, Target, Dynamic
/// Media, and the publish side's dispatcher flush.
fn default_agents(w: &mut World) {
    let publish = "http://localhost:4503/bin/receive?sling:authRequestLogin=1";
    let enc = format!("{{{}}}", w.hex(64));
    agent(
        w,
        "publish",
        "Default Agent",
        true,
        publish,
        &[
            (
                "jcr:description",
                Prop::str("Agent that replicates to the default publish instance."),
            ),
            ("transportUser", Prop::str("admin")),
            ("transportPassword", Prop::str(enc)),
            ("userId", Prop::str("admin")),
        ],
    );
    agent(
        w,
        "publish_reverse",
        "Reverse Replication Agent",
        true,
        publish,
        &[
            (
                "sling:resourceType",
                Prop::str("cq/replication/components/revagent"),
            ),
            ("reverseReplication", Prop::str("true")),
        ],
    );
    let off = format!("offloading_{}", w.hex(8));
    agent(
        w,
        &off,
        "Offloading agent",
        false,
        "http://localhost:4503/bin/receive?sling:authRequestLogin=1&binaryless=true",
        &[],
    );
    agent(
        w,
        "static",
        "Static Agent",
        false,
        "static:///tmp/aem-static",
        &[("serializationType", Prop::str("static"))],
    );
    agent(
        w,
        "test_and_target",
        "Test and Target",
        false,
        "tnt:///",
        &[("serializationType", Prop::str("tnt"))],
    );
    agent(
        w,
        "s7delivery",
        "Dynamic Media Hybrid Image Replication",
        false,
        "s7delivery:https://example.invalid/is-publish/",
        &[("enableOauth", Prop::bool(true))],
    );
    w.repo.ensure(
        "/etc/replication/agents.publish/flush/jcr:content",
        "nt:unstructured",
        "cq:Page",
    );
    w.repo.set(
        "/etc/replication/agents.publish/flush/jcr:content",
        "jcr:title",
        Prop::str("Dispatcher Flush"),
    );
    w.repo.set(
        "/etc/replication/agents.publish/flush/jcr:content",
        "serializationType",
        Prop::str("flush"),
    );
}

/// admin, anonymous and the system users of AEM's IMS integrations.
fn default_users(w: &mut World) -> Result<(), String> {
    let pw = w.cfg.admin_password.clone();
    let admin_folder = w.hex(2);
    create_user(w, "admin", &admin_folder, Some(&pw), false)?;
    create_user(w, "anonymous", "", None, false).map(|_| ())?;
    create_user(w, "authentication-service", "", None, true)?;
    let hashed = format!("cq/{}", w.hex(12));
    for id in [
        BP_SERVICE_USER,
        "stock-imsconfig-service",
        "target-imsconfig-service",
        "dtm-reactor-imsconfig-service",
    ] {
        create_user(w, id, &hashed, None, true)?;
    }
    Ok(())
}

/// Certificate, keystore, Console project, IMS configuration (JWT), cloud configuration,
/// four agents and the MAC user — as after Adobe's documented procedure.
fn configured(w: &mut World) -> Result<(), String> {
    let now = time::OffsetDateTime::now_utc() - time::Duration::minutes(5);
    let cert = x509::issue("AEM Brand Portal IMS", now, 365)?;
    let ks_password = w.hex(16);
    w.keystores.insert(
        BP_SERVICE_USER.into(),
        Keystore {
            password: ks_password,
            entries: IndexMap::from([(
                CONFIGURED_ALIAS.to_string(),
                KeyEntry {
                    pk_der: cert.key_der.clone(),
                    chain: vec![cert.cert_der.clone()],
                },
            )]),
        },
    );
    let project = console::create_project(w, cert.cert_pem.as_bytes(), "AEM Brand Portal")?;
    let provider_pid = jwt_ims_configuration(w, &project);
    let tenant_url = w.cfg.tenant_url();
    let path = join(CLOUD_ROOT, "brand-portal");
    let content = format!("{path}/jcr:content");
    w.repo.ensure(&path, "cq:Page", "sling:Folder");
    w.repo.ensure(&content, "cq:PageContent", "nt:unstructured");
    for (k, v) in [
        ("jcr:title", Prop::str("Brand Portal")),
        ("tenantURL", Prop::str(&tenant_url)),
        ("imsConfig", Prop::str(&provider_pid)),
        (
            "oauthScopes",
            Prop::str("dam-read dam-write dam-sync cc-share"),
        ),
        (
            "sling:resourceType",
            Prop::str("dam/components/mediaportal/config"),
        ),
        ("cq:template", Prop::str("/libs/dam/templates/mediaportal")),
    ] {
        w.repo.set(&content, k, v);
    }
    ensure_agents(w, &tenant_url);
    Ok(())
}

/// The IMS configuration of a JWT project: the access-token provider with the project's
/// claims and client id, and its customizer with the client secret. Returns the provider's PID.
fn jwt_ims_configuration(w: &mut World, project: &console::ConsoleProject) -> String {
    let claims: Vec<String> = match &project.jwt_payload {
        serde_json::Value::Object(m) => m
            .iter()
            .filter(|(k, _)| k.as_str() != "exp")
            .map(|(k, v)| format!("\"{k}\" : {v}"))
            .collect(),
        _ => vec![],
    };
    let s = |v: &str| OsgiValue {
        ty: felix_type::STRING,
        multi: false,
        values: vec![v.to_string()],
    };
    let customizer_type = format!("brandportal-{}", w.hex(6));
    let provider_pid = format!("{PROVIDER_FACTORY}.{}", uuid::Uuid::new_v4());
    let provider_name = format!("brandportal-{}", w.hex(6));
    w.osgi.insert(
        provider_pid.clone(),
        OsgiConfig {
            pid: provider_pid.clone(),
            factory_pid: Some(PROVIDER_FACTORY.into()),
            props: IndexMap::from([
                ("name".to_string(), s(&provider_name)),
                ("auth.token.provider.title".to_string(), s("Brand Portal")),
                (
                    "auth.token.provider.default.claims".to_string(),
                    OsgiValue {
                        ty: felix_type::STRING,
                        multi: true,
                        values: claims,
                    },
                ),
                ("auth.token.provider.endpoint".to_string(), s(IMS_HOST)),
                (
                    "auth.access.token.request".to_string(),
                    s(&format!("{IMS_HOST}/ims/exchange/jwt")),
                ),
                (
                    "auth.token.provider.keypair.alias".to_string(),
                    s(CONFIGURED_ALIAS),
                ),
                (
                    "auth.token.provider.client.id".to_string(),
                    s(&project.api_key),
                ),
                (
                    "auth.token.provider.reuse.access.token".to_string(),
                    OsgiValue {
                        ty: felix_type::BOOLEAN,
                        multi: false,
                        values: vec!["true".into()],
                    },
                ),
                (
                    "token.request.customizer.type".to_string(),
                    s(&customizer_type),
                ),
            ]),
        },
    );
    let customizer_pid = format!("{CUSTOMIZER_FACTORY}.{}", uuid::Uuid::new_v4());
    w.osgi.insert(
        customizer_pid.clone(),
        OsgiConfig {
            pid: customizer_pid,
            factory_pid: Some(CUSTOMIZER_FACTORY.into()),
            props: IndexMap::from([
                ("customizer.type".to_string(), s(&customizer_type)),
                (
                    "auth.ims.client.secret".to_string(),
                    OsgiValue {
                        ty: felix_type::PASSWORD,
                        multi: false,
                        values: vec![project.client_secret.clone()],
                    },
                ),
            ]),
        },
    );
    provider_pid
}

/// A 6.3/6.4-era setup: Legacy OAuth Gateway app, `/etc/cloudservices/mediaportal`, four
/// agents and the MAC user.
fn legacy(w: &mut World) -> Result<(), String> {
    let client = console::register_legacy_client(w);
    let tenant_url = w.cfg.tenant_url();
    w.repo.ensure(LEGACY_ROOT, "cq:Page", "sling:Folder");
    w.repo.ensure(
        &format!("{LEGACY_ROOT}/jcr:content"),
        "nt:unstructured",
        "nt:unstructured",
    );
    w.repo.set(
        &format!("{LEGACY_ROOT}/jcr:content"),
        "jcr:title",
        Prop::str("AEM Brand Portal"),
    );
    let path = format!("{LEGACY_ROOT}/brand-portal-{}", w.tenant.id);
    let content = format!("{path}/jcr:content");
    w.repo.ensure(&path, "cq:Page", "sling:Folder");
    w.repo
        .ensure(&content, "nt:unstructured", "nt:unstructured");
    let enc = format!("{{{}}}", w.hex(64));
    for (k, v) in [
        (
            "jcr:title",
            Prop::str(format!("Brand Portal ({})", w.tenant.id)),
        ),
        ("tenantURL", Prop::str(&tenant_url)),
        ("clientId", Prop::str(&client.client_id)),
        ("clientSecret", Prop::str(enc)),
        (
            "oauthURL",
            Prop::str("https://legacy-oauth.cloud.adobe.io/"),
        ),
        (
            "sling:resourceType",
            Prop::str("mediaportal/components/configpage"),
        ),
        (
            "cq:template",
            Prop::str("/libs/mediaportal/templates/config"),
        ),
        ("jcr:created", Prop::date(now_ms() - 3 * 365 * 86_400_000)),
    ] {
        w.repo.set(&content, k, v);
    }
    ensure_agents(w, &tenant_url);
    Ok(())
}

/// After 2026-03-01: IMS refuses JWT; Adobe converted the credential to OAuth Server-to-Server
/// in place (same client id and secret, the Brand Portal scopes); a dozen assets wait.
fn jwt_retired(w: &mut World) {
    w.faults.jwt_end_of_life = true;
    for c in w.ims.clients.values_mut().filter(|c| c.jwt) {
        c.oauth = true;
        c.scopes = ims::BP_OAUTH_SCOPES.iter().map(|s| s.to_string()).collect();
    }
    enqueue(w, 12);
}

/// One IMS configuration (provider + paired customizer) of another Adobe integration.
fn other_ims(w: &mut World, name: &str, title: &str, scope: &str) -> String {
    let s = |v: &str| OsgiValue {
        ty: felix_type::STRING,
        multi: false,
        values: vec![v.to_string()],
    };
    let customizer_type = format!("{name}-customizer");
    let pid = format!("{PROVIDER_FACTORY}.{}", uuid::Uuid::new_v4());
    let client_id = w.hex(32);
    let org = w.ims.org_id.clone();
    w.osgi.insert(
        pid.clone(),
        OsgiConfig {
            pid: pid.clone(),
            factory_pid: Some(PROVIDER_FACTORY.into()),
            props: IndexMap::from([
                ("name".to_string(), s(name)),
                ("auth.token.provider.title".to_string(), s(title)),
                (
                    "auth.token.provider.default.claims".to_string(),
                    OsgiValue {
                        ty: felix_type::STRING,
                        multi: true,
                        values: vec![format!("\"iss\" : \"{org}\"")],
                    },
                ),
                ("auth.token.provider.endpoint".to_string(), s(IMS_HOST)),
                (
                    "auth.access.token.request".to_string(),
                    s(&format!("{IMS_HOST}/ims/token/v3")),
                ),
                ("auth.token.provider.client.id".to_string(), s(&client_id)),
                (
                    "auth.token.provider.authorization.grants".to_string(),
                    s("client_credentials"),
                ),
                ("auth.token.provider.orgId".to_string(), s(&org)),
                ("auth.token.provider.scope".to_string(), s(scope)),
                ("auth.token.validator.type".to_string(), s(name)),
                (
                    "token.request.customizer.type".to_string(),
                    s(&customizer_type),
                ),
            ]),
        },
    );
    let cpid = format!("{CUSTOMIZER_FACTORY}.{}", uuid::Uuid::new_v4());
    let secret = format!("p8e-{}", w.hex(32));
    w.osgi.insert(
        cpid.clone(),
        OsgiConfig {
            pid: cpid,
            factory_pid: Some(CUSTOMIZER_FACTORY.into()),
            props: IndexMap::from([
                ("customizer.type".to_string(), s(&customizer_type)),
                (
                    "auth.ims.client.secret".to_string(),
                    OsgiValue {
                        ty: felix_type::PASSWORD,
                        multi: false,
                        values: vec![secret],
                    },
                ),
            ]),
        },
    );
    pid
}

/// Smart Tags and Adobe Stock, set up before Brand Portal: two more IMS configurations with
/// their customizers, and the Stock cloud configuration beside `mediaportal`.
fn lived_in(w: &mut World) {
    other_ims(
        w,
        "adobe-ims-similaritysearch",
        "Smart Tags",
        "openid,AdobeID,read_organizations,additional_info.projectedProductContext",
    );
    let stock = other_ims(
        w,
        "adobe-ims-stock",
        "Adobe Stock",
        "openid,AdobeID,read_organizations",
    );
    let root = "/conf/global/settings/cloudconfigs/stock";
    folder(w, root, "sling:Folder");
    let path = format!("{root}/adobe-stock");
    let content = format!("{path}/jcr:content");
    w.repo.ensure(&path, "cq:Page", "sling:Folder");
    w.repo.ensure(&content, "cq:PageContent", "nt:unstructured");
    for (k, v) in [
        ("jcr:title", Prop::str("Adobe Stock")),
        ("imsConfig", Prop::str(&stock)),
        ("locale", Prop::str("en_US")),
        (
            "sling:resourceType",
            Prop::str("dam/gui/components/admin/adobestock/configuration"),
        ),
    ] {
        w.repo.set(&content, k, v);
    }
}

/// Puts `n` activations on the tenant's agents, round-robin.
fn enqueue(w: &mut World, n: usize) {
    let agents = w.bp_agents(&w.cfg.tenant_url());
    if agents.is_empty() {
        return;
    }
    let now = now_ms();
    for i in 0..n {
        let a = &agents[i % agents.len()];
        let item = QueueItem {
            id: format!("busy/{}", uuid::Uuid::new_v4()),
            path: format!("/content/dam/wknd/en/adventures/asset-{:05}.jpg", i + 1),
            time: now,
            userid: "admin".into(),
            action: "Activate".into(),
            last_processed: 0,
            num_processed: 0,
        };
        w.runtime(&a.id).queue.push_back(item);
    }
    w.rr_next = n;
}
