//! The HTTP front: connection handling, fault injection, routing.

use super::http::{self, Request, Response};
use super::state::{AGENTS_ROOT, World};
use super::{
    brandportal, configmgr, console, delivery, felix, ims, replication, security, sling, slinglog,
    tenant,
};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use rand::Rng;
use serde_json::json;
use std::sync::{Arc, Mutex, MutexGuard};

const MAX_BODY: usize = 32 * 1024 * 1024;

/// Returned by the service to make hyper drop the connection without answering.
#[derive(Debug)]
pub struct DropConnection;

impl std::fmt::Display for DropConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by fault injection")
    }
}
impl std::error::Error for DropConnection {}

pub type Shared = Arc<Mutex<World>>;

pub fn lock(w: &Shared) -> MutexGuard<'_, World> {
    // A panic while holding the lock must not take the whole sandbox down.
    w.lock().unwrap_or_else(|p| p.into_inner())
}

fn is_author_path(path: &str) -> bool {
    !(path.starts_with("/ims/") || path.starts_with("/sandbox/"))
}

pub async fn serve(
    world: Shared,
    req: hyper::Request<hyper::body::Incoming>,
) -> Result<Response, DropConnection> {
    let (parts, body) = req.into_parts();
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return Ok(http::error_page(413, "Request body too large")),
    };
    let mut req = match Request::parse(parts, body).await {
        Ok(r) => r,
        Err(e) => return Ok(http::error_page(400, &format!("Malformed request: {e}"))),
    };
    if req.path.starts_with("/sandbox/control") {
        return Ok(control(&world, &req));
    }
    let _in_flight = InFlight::enter(&world);
    let (latency, drop, error, hold) = {
        let mut w = lock(&world);
        *w.requests
            .entry(format!("{} {}", req.method.as_str(), req.path))
            .or_default() += 1;
        let f = w.faults.clone();
        let drop = f.drop_rate > 0.0 && w.rng.random_bool(f.drop_rate);
        let error = f.error_rate > 0.0 && w.rng.random_bool(f.error_rate);
        let write = is_author_path(&req.path)
            && !matches!(req.method, http::Method::GET | http::Method::HEAD);
        if write {
            w.writes += 1;
        }
        let hold = write && f.hold_writes_from > 0 && w.writes >= f.hold_writes_from;
        (f.latency_ms, drop, error, hold)
    };
    if hold {
        held(&world).await;
    }
    if latency > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(latency)).await;
    }
    if drop {
        return Err(DropConnection);
    }
    if error {
        return Ok(http::error_page(
            500,
            "java.lang.RuntimeException: injected fault",
        ));
    }
    let is_head = req.method == http::Method::HEAD;
    let mut resp = {
        let mut w = lock(&world);
        let resp = route(&mut w, &mut req);
        if is_author_path(&req.path) && http::is_json_response(&resp) {
            mangle(&mut w, resp)
        } else {
            resp
        }
    };
    if is_head {
        *resp.body_mut() = Full::new(Bytes::new());
    }
    Ok(resp)
}

/// Holds a write until `hold_writes_from` is set back to 0 (counted in `held` meanwhile).
async fn held(world: &Shared) {
    lock(world).held += 1;
    while lock(world).faults.hold_writes_from > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let mut w = lock(world);
    w.held = w.held.saturating_sub(1);
}

/// Counts a request as in flight until it is answered (or dropped), keeping the most seen at
/// once (`maxInFlight` in `/sandbox/control/requests`): a test sees a client's concurrency
/// without timing it.
struct InFlight(Shared);

impl InFlight {
    fn enter(world: &Shared) -> InFlight {
        let mut w = lock(world);
        w.in_flight += 1;
        w.max_in_flight = w.max_in_flight.max(w.in_flight);
        InFlight(world.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut w = lock(&self.0);
        w.in_flight = w.in_flight.saturating_sub(1);
    }
}

fn mangle(w: &mut World, resp: Response) -> Response {
    let f = w.faults.clone();
    let roll = |w: &mut World, rate: f64| rate > 0.0 && w.rng.random_bool(rate);
    if roll(w, f.html_for_json_rate) {
        return security::login_page();
    }
    let truncate = roll(w, f.truncated_json_rate);
    let malform = roll(w, f.malformed_json_rate);
    if !truncate && !malform {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let bytes = futures::executor::block_on(body.collect())
        .map(|c| c.to_bytes())
        .unwrap_or_default();
    let new_body = if truncate {
        bytes.slice(..bytes.len() / 2)
    } else {
        Bytes::from_static(b"{\"metaData\": {\"queueStatus\": {\"agentId\": ,, \"isBlocked\": tru}")
    };
    let mut r = hyper::Response::from_parts(parts, Full::new(new_body));
    r.headers_mut().remove(http::header::CONTENT_LENGTH);
    r
}

fn control(world: &Shared, req: &Request) -> Response {
    let mut w = lock(world);
    match (req.method.as_str(), req.path.as_str()) {
        ("GET", "/sandbox/control/faults") => {
            http::json(200, &serde_json::to_value(&w.faults).unwrap_or_default())
        }
        ("POST" | "PUT" | "PATCH", "/sandbox/control/faults") => {
            let patch: serde_json::Value = match serde_json::from_slice(&req.body) {
                Ok(v) => v,
                Err(e) => {
                    return http::json(400, &json!({"error": format!("body is not JSON: {e}")}));
                }
            };
            let mut f = w.faults.clone();
            if let Err(e) = f.merge(&patch) {
                return http::json(400, &json!({"error": e}));
            }
            if f.stale_key != w.faults.stale_key || f.reject_tokens != w.faults.reject_tokens {
                w.bump();
            }
            w.faults = f;
            w.authenticated = 0;
            w.writes = 0;
            http::json(200, &serde_json::to_value(&w.faults).unwrap_or_default())
        }
        ("GET", "/sandbox/control/dialect") => http::json(200, &json!({"dialect": w.dialect})),
        ("POST" | "PUT", "/sandbox/control/dialect") => {
            let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap_or_default();
            let Some(d) = body
                .get("dialect")
                .cloned()
                .and_then(|d| serde_json::from_value::<super::LogDialect>(d).ok())
            else {
                return http::json(
                    400,
                    &json!({"error": "expected {\"dialect\": \"classic\"} or {\"dialect\": \"terse\"}"}),
                );
            };
            w.dialect = d;
            http::json(200, &json!({"dialect": w.dialect}))
        }
        ("GET", "/sandbox/control/mishaps") => {
            http::json(200, &json!({"mishaps": super::mishaps::Mishap::all()}))
        }
        ("POST", "/sandbox/control/mishaps") => {
            let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap_or_default();
            let Some(m) = body
                .get("mishap")
                .cloned()
                .and_then(|m| serde_json::from_value::<super::mishaps::Mishap>(m).ok())
            else {
                return http::json(
                    400,
                    &json!({"error": "expected {\"mishap\": NAME}", "mishaps": super::mishaps::Mishap::all()}),
                );
            };
            match super::mishaps::apply(&mut w, m) {
                Ok(said) => http::json(200, &json!({"applied": m, "changed": said})),
                Err(e) => http::json(409, &json!({"error": e})),
            }
        }
        ("DELETE", "/sandbox/control/faults") => {
            w.faults = Default::default();
            w.bump();
            http::json(200, &serde_json::to_value(&w.faults).unwrap_or_default())
        }
        ("GET", "/sandbox/control/requests") => {
            let total: u64 = w.requests.values().sum();
            http::json(
                200,
                &json!({"total": total, "requests": w.requests, "failedLogins": w.failed_logins,
                        "maxInFlight": w.max_in_flight, "held": w.held}),
            )
        }
        ("DELETE", "/sandbox/control/requests") => {
            w.requests.clear();
            w.failed_logins = 0;
            w.max_in_flight = w.in_flight;
            http::json(
                200,
                &json!({"total": 0, "requests": {}, "failedLogins": 0, "maxInFlight": w.max_in_flight}),
            )
        }
        ("GET", "/sandbox/control/state") => world_state(&w),
        _ => http::json(
            404,
            &json!({"error": "unknown control endpoint; try /sandbox/control/faults, /sandbox/control/mishaps, /sandbox/control/dialect, /sandbox/control/requests or /sandbox/control/state"}),
        ),
    }
}

/// `GET /sandbox/control/state`: the scenario, tenant, agents with their queues, configurations,
/// users, keystores and counters, for tests and the demo.
fn world_state(w: &World) -> Response {
    let agents: Vec<_> = w
        .agent_ids()
        .into_iter()
        .filter_map(|id| w.agent(&id))
        .map(|a| {
            let rt = w.agents.get(&a.id).cloned().unwrap_or_default();
            json!({"id": a.id, "enabled": a.enabled, "transportUri": a.transport_uri,
                   "pending": rt.queue.len(), "blocked": rt.is_blocked(), "paused": rt.paused,
                   "delivered": rt.delivered})
        })
        .collect();
    http::json(
        200,
        &json!({
            "scenario": w.cfg.scenario,
            "tenantUrl": w.tenant.url,
            "agents": agents,
            "cloudConfigs": w.cloud_configs().iter().map(|c| json!({"path": c.path, "tenantUrl": c.tenant_url, "imsConfig": c.ims_config, "legacy": c.legacy})).collect::<Vec<_>>(),
            "imsConfigs": w.factory_configs(super::state::PROVIDER_FACTORY).iter().map(|c| c.pid.clone()).collect::<Vec<_>>(),
            "users": w.users.keys().cloned().collect::<Vec<_>>(),
            "keystores": w.keystores.iter().map(|(u, k)| json!({"user": u, "aliases": k.entries.keys().cloned().collect::<Vec<_>>()})).collect::<Vec<_>>(),
            "tokensIssued": w.ims.tokens_issued,
            "deliveredTotal": w.tenant.delivered_total,
            // Work AEM has yet to do by itself (agents to create after a save).
            "pendingWork": w.pending.len(),
        }),
    )
}

fn route(w: &mut World, req: &mut Request) -> Response {
    let path = req.path.clone();
    let method = req.method.clone();
    if path.starts_with("/ims/") {
        return ims::handle(w, req);
    }
    if path.starts_with("/sandbox/console") {
        return console::console(w, req);
    }
    if path == "/sandbox/tenant" {
        return tenant::status(w);
    }
    if path == "/sandbox/tenant/receive" && method == http::Method::POST {
        return tenant::http(w, req);
    }
    if w.faults.unavailable {
        return http::error_page(503, "AEM is starting or restarting; try again shortly");
    }
    if path == "/libs/granite/core/content/login.html" {
        return security::login_page();
    }
    let Some(user) = security::authenticate(w, req) else {
        if req.header("authorization").is_some() {
            // Credentials given and refused: what locks a directory-backed account.
            w.failed_logins += 1;
        }
        return security::unauthorized();
    };
    w.authenticated += 1;
    if w.faults.reject_auth_after > 0 && w.authenticated > w.faults.reject_auth_after {
        return security::unauthorized();
    }
    req.user = Some(user.clone());
    if w.faults.forbids(&path) {
        return http::error_page(403, &format!("Forbidden: {path}"));
    }
    if let Some(refused) = security::filter_mutation(w, req) {
        return refused;
    }
    if let Some(answered) = endpoint(w, req, &path) {
        return answered;
    }
    resource(w, req, &path, &user)
}

/// The author's endpoints at fixed paths (CSRF, Felix, health, query builder, the log tailer,
/// authorizables, Brand Portal's configuration, publishing, configMgr, JMX, a user's keystore).
fn endpoint(w: &mut World, req: &mut Request, path: &str) -> Option<Response> {
    let method = req.method.clone();
    let is_get = method == http::Method::GET || method == http::Method::HEAD;
    let is_post = method == http::Method::POST;
    match path {
        "/libs/granite/csrf/token.json" if is_get => return Some(security::csrf_token(w)),
        "/system/console/bundles.json" if is_get => return Some(felix::bundles(w)),
        "/system/console/status-productinfo.json" if is_get => {
            return Some(felix::product_info(w));
        }
        "/system/health.json" if is_get => return Some(felix::health(w, req)),
        "/bin/querybuilder.json" if is_get => return Some(security::querybuilder(w, req)),
        slinglog::TAILER if is_get => return Some(slinglog::tailer(w, req)),
        slinglog::SYSTEM_PROPERTIES if is_get => return Some(slinglog::system_properties(w, req)),
        "/libs/granite/security/post/authorizables" if is_post => {
            return Some(security::authorizables(w, req));
        }
        "/apps/brandportal/config" if is_post => return Some(brandportal::create_config(w, req)),
        "/sandbox/publish" if is_post => return Some(delivery::publish(w, req)),
        _ => {}
    }
    if path.starts_with("/system/console/configMgr") {
        return Some(configmgr::handle(w, req));
    }
    if path.starts_with("/system/console/jmx") {
        return Some(replication::jmx(w, req));
    }
    if is_get
        && let Some(user_path) = path.strip_suffix("/keystore/store.p12")
        && let Some(uid) = w.user_by_path(user_path).map(|u| u.id.clone())
    {
        return Some(security::keystore_p12(w, &uid));
    }
    None
}

/// A resource Sling resolves: keystores, agent pages and queues, and plain Sling GET, POST
/// and DELETE.
fn resource(w: &mut World, req: &mut Request, path: &str, user: &str) -> Response {
    let method = req.method.clone();
    let is_get = method == http::Method::GET || method == http::Method::HEAD;
    let is_post = method == http::Method::POST;
    let r = sling::resolve(&w.repo, path);
    let sels: Vec<&str> = r.selectors.iter().map(String::as_str).collect();
    let ext = r.extension.as_deref();
    let agent_page = r.exists && super::repo::parent_of(&r.path) == Some(AGENTS_ROOT);
    let agent_of_content = r
        .path
        .strip_prefix(&format!("{AGENTS_ROOT}/"))
        .and_then(|rest| rest.strip_suffix("/jcr:content"))
        .filter(|id| !id.contains('/') && r.exists)
        .map(str::to_string);
    let user_id = w.user_by_path(&r.path).map(|u| u.id.clone());
    let agent_id = super::repo::name_of(&r.path).to_string();
    if is_get {
        return match (sels.as_slice(), ext) {
            (["ks"], Some("json")) if user_id.is_some() => {
                security::keystore_json(w, user_id.as_deref().unwrap_or(""))
            }
            (["ks"], Some("html")) if user_id.is_some() => {
                security::keystore_html(w, user_id.as_deref().unwrap_or(""))
            }
            (["queue"], Some("json")) if agent_of_content.is_some() => {
                replication::queue(w, req, agent_of_content.as_deref().unwrap_or(""))
            }
            ([], Some("html")) if agent_page => replication::agent_page(w, &agent_id),
            (["test"], Some("html")) if agent_page => {
                replication::test_connection(w, &agent_id, user)
            }
            (["log"], Some("html")) if agent_page => replication::log_page(w, &agent_id),
            _ => sling::get(w, req, &r),
        };
    }
    if is_post {
        if let (["ks"], Some("html"), Some(uid)) = (sels.as_slice(), ext, user_id.as_deref()) {
            let uid = uid.to_string();
            return security::keystore_post(w, req, &uid, &r.path);
        }
        if let (["queue"], Some("json"), Some(id)) =
            (sels.as_slice(), ext, agent_of_content.as_deref())
        {
            let id = id.to_string();
            return replication::queue(w, req, &id);
        }
        if sels.as_slice() == ["test"] && ext == Some("html") && agent_page {
            return replication::test_connection(w, &agent_id, user);
        }
        if req.params.has("deleteAuthorizable") && r.exists {
            return security::delete_authorizable(w, req, &r.path);
        }
        return sling::post(w, req, &r).render(req);
    }
    if method == http::Method::DELETE {
        return sling::delete(w, &r);
    }
    http::error_page(405, &format!("Method {method} not supported"))
}
