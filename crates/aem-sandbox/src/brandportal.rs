//! The AEM Brand Portal cloud service: `POST /apps/brandportal/config`, and what AEM creates
//! when it is saved — four replication agents and the MAC user.

use super::http::{self, Request, Response};
use super::repo::{Prop, join};
use super::security::create_user;
use super::sling::slug;
use super::state::{AGENTS_ROOT, CLOUD_ROOT, Pending, World, norm_url, now_ms};
use rand::Rng;
use serde_json::json;

/// Transport URI suffixes: the real ones are not public, so each agent gets one of these.
const TRANSPORT_SUFFIXES: &[&str] = &[
    "bin/receive?sling:authRequestLogin=1",
    "content/dam/mac/{tenant}/_replication/receive",
    "api/replication/receive",
    "bin/mpreceive",
];

/// `mac-<tenant>-replication`, where the tenant id is the first DNS label of the URL.
pub fn mac_user_id(tenant_url: &str) -> String {
    let host = url::Url::parse(tenant_url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_default();
    let label = host.split('.').next().unwrap_or("");
    format!("mac-{label}-replication")
}

/// Creates the Brand Portal agents missing for `tenant_url` (AEM makes four) and the MAC user.
pub fn ensure_agents(w: &mut World, tenant_url: &str) -> Vec<String> {
    let tenant_url = norm_url(tenant_url);
    let tenant_label = tenant_url
        .trim_start_matches("https://")
        .split('.')
        .next()
        .unwrap_or("")
        .to_string();
    let mac = mac_user_id(&tenant_url);
    if !w.users.contains_key(&mac) {
        let pw = w.hex(24);
        let _ = create_user(w, &mac, "mac", Some(&pw), false);
    }
    let existing = w.bp_agents(&tenant_url).len();
    let mut created = Vec::new();
    let now = now_ms();
    for n in existing..w.cfg.bp_agent_count {
        let name = if n == 0 && !w.repo.exists(&join(AGENTS_ROOT, "mp_replication")) {
            "mp_replication".to_string()
        } else {
            format!("mp_replication_{}", w.hex(4))
        };
        let page = join(AGENTS_ROOT, &name);
        let content = format!("{page}/jcr:content");
        w.repo.ensure(&page, "cq:Page", "sling:Folder");
        w.repo
            .ensure(&content, "nt:unstructured", "nt:unstructured");
        let suffix = TRANSPORT_SUFFIXES[w.rng.random_range(0..TRANSPORT_SUFFIXES.len())]
            .replace("{tenant}", &tenant_label);
        // Some agents store `enabled` as a Boolean, others as the string "true".
        let enabled = if w.rng.random_bool(0.5) {
            Prop::bool(true)
        } else {
            Prop::str("true")
        };
        let retry = w.cfg.retry_delay_ms.to_string();
        let props = [
            (
                "jcr:title",
                Prop::str(format!(
                    "Brand Portal Replication Agent {} ({tenant_label})",
                    n + 1
                )),
            ),
            (
                "jcr:description",
                Prop::str(format!(
                    "Publishes assets to the Brand Portal tenant {tenant_url}"
                )),
            ),
            (
                "sling:resourceType",
                Prop::str("cq/replication/components/agent"),
            ),
            (
                "cq:template",
                Prop::str("/libs/cq/replication/templates/agent"),
            ),
            ("enabled", enabled),
            ("transportUri", Prop::str(format!("{tenant_url}/{suffix}"))),
            ("transportUser", Prop::str(mac.clone())),
            ("userId", Prop::str(mac.clone())),
            ("serializationType", Prop::str("durbo")),
            ("retryDelay", Prop::str(retry)),
            ("logLevel", Prop::str("info")),
            ("triggerSpecific", Prop::str("true")),
            ("noVersioning", Prop::bool(true)),
            ("enableOauth", Prop::bool(true)),
            ("jcr:created", Prop::date(now)),
            ("jcr:createdBy", Prop::str("admin")),
        ];
        for (k, v) in props {
            w.repo.set(&content, k, v);
        }
        w.runtime(&name);
        created.push(name);
    }
    w.bump();
    created
}

/// `POST /apps/brandportal/config`.
pub fn create_config(w: &mut World, req: &Request) -> Response {
    let bad = |m: String| http::json(400, &json!({"success": false, "message": m}));
    let Some(name) = req.params.get("name").filter(|n| !n.trim().is_empty()) else {
        return bad("name (the configuration title) is required".into());
    };
    let Some(tenant) = req.params.get("tenantURL").filter(|n| !n.trim().is_empty()) else {
        return bad("tenantURL is required".into());
    };
    match url::Url::parse(tenant.trim()) {
        Ok(u) if u.scheme() == "https" && u.host_str().is_some() => {}
        _ => return bad(format!("tenantURL '{tenant}' is not an https URL")),
    }
    let Some(ims) = req.params.get("imsConfig").filter(|n| !n.trim().is_empty()) else {
        return bad("imsConfig (the IMS configuration) is required".into());
    };
    let item = req.params.get("item").filter(|i| !i.is_empty());
    let path = match item {
        Some(p) if w.repo.exists(&p) => p,
        _ => join(CLOUD_ROOT, &slug(&name)),
    };
    let content = format!("{path}/jcr:content");
    let created = w.repo.ensure(&path, "cq:Page", "sling:Folder");
    w.repo.ensure(&content, "cq:PageContent", "nt:unstructured");
    let tenant = tenant.trim().trim_end_matches('/').to_string();
    w.repo.set(&content, "jcr:title", Prop::str(name.trim()));
    w.repo.set(&content, "tenantURL", Prop::str(&tenant));
    w.repo.set(&content, "imsConfig", Prop::str(ims.trim()));
    w.repo.set(
        &content,
        "oauthScopes",
        Prop::str(
            req.params
                .get("oauthScopes")
                .unwrap_or_else(|| "dam-read dam-write dam-sync cc-share".into()),
        ),
    );
    w.repo.set(
        &content,
        "sling:resourceType",
        Prop::str(
            req.params
                .get("sling:resourceType")
                .unwrap_or_else(|| "dam/components/mediaportal/config".into()),
        ),
    );
    w.repo.set(
        &content,
        "cq:template",
        Prop::str("/libs/dam/templates/mediaportal"),
    );
    match req.params.get("pubFolder").filter(|p| !p.is_empty()) {
        Some(p) => w.repo.set(&content, "pubFolder", Prop::str(p)),
        None => {
            w.repo.remove_prop(&content, "pubFolder");
        }
    }
    w.repo
        .set(&content, "jcr:lastModified", Prop::date(now_ms()));
    w.repo.set(
        &content,
        "jcr:lastModifiedBy",
        Prop::str(req.user.clone().unwrap_or_default()),
    );
    w.bump();
    let due = now_ms() + w.cfg.agent_creation_delay.as_millis() as i64;
    w.pending
        .push((due, Pending::CreateBrandPortalAgents { tenant_url: tenant }));
    http::json(
        200,
        &json!({"success": true, "path": path, "created": created}),
    )
}

/// Runs the work that has come due.
pub fn run_pending(w: &mut World) {
    let now = now_ms();
    let (due, later): (Vec<_>, Vec<_>) = std::mem::take(&mut w.pending)
        .into_iter()
        .partition(|(t, _)| *t <= now);
    w.pending = later;
    for (_, p) in due {
        match p {
            Pending::CreateBrandPortalAgents { tenant_url } => {
                ensure_agents(w, &tenant_url);
            }
        }
    }
}
