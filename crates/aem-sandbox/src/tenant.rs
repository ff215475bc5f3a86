//! The Brand Portal tenant's side of a delivery: what it accepts (a token IMS issued to its
//! organization; a MAC user holding the service user's current key), what it keeps of what
//! arrived, and its own view (`/sandbox/tenant`) and receiver over HTTP.

use super::http::{self as web, Request, Response};
use super::ims;
use super::repo::join;
use super::state::{AGENTS_ROOT, BP_SERVICE_USER, Delivery, World, now_ms};
use serde_json::json;

const RECENT_DELIVERIES: usize = 200;

/// The Brand Portal tenant's receiver: checks the bearer token and takes the content.
pub fn receive(
    w: &mut World,
    token: &str,
    action: &str,
    path: &str,
    agent: &str,
) -> Result<String, (u16, &'static str)> {
    if w.faults.tenant_outage {
        return Err((503, "Service Unavailable"));
    }
    if w.faults.reject_tokens || ims::validate_access_token(w, token).is_err() {
        w.tenant.rejected_total += 1;
        return Err((401, "Unauthorized"));
    }
    if action.eq_ignore_ascii_case("test") {
        return Ok("ReplicationAction TEST ok.".into());
    }
    w.tenant.delivered_total += 1;
    if w.tenant.recent.len() >= RECENT_DELIVERIES {
        w.tenant.recent.pop_front();
    }
    w.tenant.recent.push_back(Delivery {
        path: path.to_string(),
        agent: agent.to_string(),
        action: action.to_string(),
        at: now_ms(),
    });
    Ok(format!(
        "ReplicationAction {} ok.",
        action.to_ascii_uppercase()
    ))
}

/// Whether the MAC user the agent publishes as holds a key pair, none of whose certificates is
/// the service user's current one (the tenant then refuses it).
pub fn mac_key_stale(w: &World, agent: &str) -> bool {
    let content = format!("{}/jcr:content", join(AGENTS_ROOT, agent));
    let Some(user) = w.repo.text(&content, "transportUser") else {
        return false;
    };
    let (Some(mac), Some(service)) = (w.keystores.get(&user), w.keystores.get(BP_SERVICE_USER))
    else {
        return false;
    };
    if mac.entries.is_empty() || service.entries.is_empty() {
        return false;
    }
    let current: Vec<&Vec<u8>> = service
        .entries
        .values()
        .filter_map(|e| e.chain.first())
        .collect();
    !mac.entries
        .values()
        .filter_map(|e| e.chain.first())
        .any(|c| current.contains(&c))
}

/// `GET /sandbox/tenant`: what arrived at the Brand Portal tenant.
pub fn status(w: &World) -> Response {
    web::json(
        200,
        &json!({
            "tenant": w.tenant.id,
            "url": w.tenant.url,
            "orgId": w.ims.org_id,
            "deliveredTotal": w.tenant.delivered_total,
            "rejectedTotal": w.tenant.rejected_total,
            "recent": w.tenant.recent.iter().rev().take(50).collect::<Vec<_>>(),
        }),
    )
}

/// `POST /sandbox/tenant/receive`: the tenant's receiver over HTTP (Bearer token, `Action`
/// and `Path` headers), as the agents reach it.
pub fn http(w: &mut World, req: &Request) -> Response {
    let token = req
        .header("authorization")
        .and_then(|h| h.strip_prefix("Bearer "))
        .unwrap_or("")
        .to_string();
    let action = req.header("action").unwrap_or("Test").to_string();
    let path = req.header("path").unwrap_or("/content/dam").to_string();
    match receive(w, &token, &action, &path, "http") {
        Ok(body) => web::text(200, body),
        Err((status, reason)) => web::text(status, reason),
    }
}
