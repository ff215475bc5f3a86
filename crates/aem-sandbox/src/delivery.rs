//! The delivery engine: queued assets move to the Brand Portal tenant with the token the agent
//! obtains the way AEM does (keystore key → signed JWT → IMS, or OAuth, or the legacy gateway);
//! the tenant (`tenant.rs`) checks it. Also "Publish to Brand Portal" (`/sandbox/publish`).

use super::http::{self, Request, Response};
use super::ims;
use super::logs::{Action, AgentLine, Cause};
use super::repo::join;
use super::state::{
    AGENTS_ROOT, AgentConf, BP_SERVICE_USER, CUSTOMIZER_FACTORY, CachedToken, CloudConfig,
    QueueItem, World, norm_url, now_ms,
};
use super::tenant;
use serde_json::{Value as Json, json};

/// A delivery attempt's transcript (without timestamps) and verdict.
pub struct Transfer {
    pub ok: bool,
    pub lines: Vec<AgentLine>,
}

fn find_cloud_config(w: &World, transport_uri: &str) -> Option<CloudConfig> {
    let uri = transport_uri.to_ascii_lowercase();
    w.cloud_configs()
        .into_iter()
        .find(|c| uri.starts_with(&format!("{}/", norm_url(&c.tenant_url))))
}

/// Obtains the bearer token the agent sends, the way AEM's access-token provider does.
/// Fails with the line AEM logs about it.
fn access_token(w: &mut World, cfg: &CloudConfig) -> Result<String, Box<AgentLine>> {
    let now = now_ms();
    if let Some(c) = w.token_cache.get(&cfg.path)
        && c.generation == w.generation
        && c.expires_ms > now + 60_000
    {
        return Ok(c.token.clone());
    }
    let fail_ims = |e: ims::ImsError| {
        Box::new(AgentLine::TokenFailure {
            status: e.status,
            body: e.body(),
        })
    };
    let token = if cfg.legacy {
        let content = format!("{}/jcr:content", cfg.path);
        let client = w.repo.text(&content, "clientId").unwrap_or_default();
        ims::legacy_token(w, &client).map_err(fail_ims)?
    } else {
        let id = cfg.ims_config.clone().unwrap_or_default();
        let Some(provider) = w
            .osgi
            .values()
            .find(|c| c.pid == id || c.get("name") == Some(id.as_str()))
            .cloned()
        else {
            return Err(Box::new(AgentLine::ImsConfigMissing { id }));
        };
        let client_id = provider
            .get("auth.token.provider.client.id")
            .unwrap_or("")
            .to_string();
        let customizer_type = provider
            .get("token.request.customizer.type")
            .map(str::to_string);
        let secret = w
            .factory_configs(CUSTOMIZER_FACTORY)
            .into_iter()
            .find(|c| {
                customizer_type.is_none() || c.get("customizer.type") == customizer_type.as_deref()
            })
            .and_then(|c| c.get("auth.ims.client.secret").map(str::to_string))
            .unwrap_or_default();
        if provider.get("auth.token.provider.authorization.grants") == Some("client_credentials") {
            let scope = provider
                .get("auth.token.provider.scope")
                .unwrap_or("")
                .to_string();
            ims::client_credentials(w, "client_credentials", &client_id, &secret, &scope)
                .map_err(fail_ims)?
                .access_token
        } else {
            let alias = provider
                .get("auth.token.provider.keypair.alias")
                .unwrap_or("")
                .to_string();
            let Some(store) = w.keystores.get(BP_SERVICE_USER) else {
                return Err(Box::new(AgentLine::KeyStoreMissing {
                    user: BP_SERVICE_USER.into(),
                }));
            };
            let Some(entry) = store.entries.get(&alias) else {
                return Err(Box::new(AgentLine::NoSuchAlias {
                    user: BP_SERVICE_USER.into(),
                    alias,
                }));
            };
            let pk = entry.pk_der.clone();
            let mut claims = serde_json::Map::new();
            for c in provider.all("auth.token.provider.default.claims") {
                if let Some((k, v)) = split_claim(&c) {
                    claims.insert(k, v);
                }
            }
            // AEM sets exp itself; the pasted value is not forwarded.
            claims.insert("exp".into(), json!(now / 1000 + 300));
            let jwt =
                ims::sign_rs256(&Json::Object(claims), &pk).map_err(|e| AgentLine::InvalidKey {
                    reason: e.to_string(),
                })?;
            ims::exchange_jwt(w, &client_id, &secret, &jwt)
                .map_err(fail_ims)?
                .access_token
        }
    };
    w.token_cache.insert(
        cfg.path.clone(),
        CachedToken {
            generation: w.generation,
            token: token.clone(),
            expires_ms: now + 86_000_000,
        },
    );
    Ok(token)
}

/// Splits a stored claim line `"key" : value` into key and JSON value.
pub fn split_claim(line: &str) -> Option<(String, Json)> {
    let line = line.trim();
    let rest = line.strip_prefix('"')?;
    let end = rest.find('"')?;
    let key = rest[..end].to_string();
    let value = rest[end + 1..].trim_start().strip_prefix(':')?.trim();
    let value = serde_json::from_str(value).unwrap_or_else(|_| Json::String(value.to_string()));
    Some((key, value))
}

/// One replication attempt under way: what it replicates, where to, and its transcript so far.
struct Attempt {
    act: Action,
    uri: String,
    lines: Vec<AgentLine>,
}

impl Attempt {
    /// The attempt ends before any transfer failed (nothing was sent, or AEM gave up early).
    fn stop(self) -> Transfer {
        Transfer {
            ok: false,
            lines: self.lines,
        }
    }

    /// The transfer failed for `cause`, and with it the replication.
    fn fail(mut self, cause: Cause) -> Transfer {
        self.lines.push(AgentLine::TransferFailed {
            action: self.act.clone(),
            cause,
        });
        self.lines
            .push(AgentLine::ReplicationFailed { action: self.act });
        Transfer {
            ok: false,
            lines: self.lines,
        }
    }
}

/// One replication attempt of `action` for `path` through `agent`. Error-level events also go
/// to error.log, under `thread`.
pub fn transfer(
    w: &mut World,
    agent: &AgentConf,
    action: &str,
    path: &str,
    user: &str,
    thread: &str,
) -> Transfer {
    let now = now_ms();
    let attempt = Attempt {
        act: Action {
            kind: action.to_string(),
            path: path.to_string(),
            user: user.to_string(),
            time: now,
        },
        uri: agent.transport_uri.clone(),
        lines: vec![
            AgentLine::NewClient {
                agent: agent.title.clone(),
            },
            AgentLine::HttpVersion,
        ],
    };
    let (mut attempt, cfg) = match reach(w, agent, attempt, now, thread) {
        Ok(reached) => reached,
        Err(stopped) => return stopped,
    };
    let token = token_for(w, &cfg, &mut attempt.lines, now, thread);
    request_lines(&mut attempt, action, path);
    if w.faults.tenant_timeout {
        let uri = attempt.uri.clone();
        return attempt.fail(Cause::Timeout { uri });
    }
    let received = if tenant::mac_key_stale(w, &agent.id) {
        // Adobe: a bare 401 when the MAC user lacks the current private key.
        w.tenant.rejected_total += 1;
        Err((401, "Unauthorized"))
    } else {
        tenant::receive(w, &token, action, path, &agent.id)
    };
    answered(attempt, received, now)
}

/// What stops an agent before it sends: a bundle replication needs that is not Active, a
/// transport URI that is not the tenant's, no cloud configuration for it, a MAC user that does
/// not exist. Otherwise the cloud configuration the agent sends with.
fn reach(
    w: &mut World,
    agent: &AgentConf,
    mut attempt: Attempt,
    now: i64,
    thread: &str,
) -> Result<(Attempt, CloudConfig), Transfer> {
    // A bundle replication needs is not Active (an in-place upgrade left it Installed): the
    // agent fails before it sends anything.
    if super::felix::replication_blocked_by(w).is_some() {
        attempt.lines.push(AgentLine::ReplicationFailed {
            action: attempt.act.clone(),
        });
        return Err(attempt.stop());
    }
    let uri = attempt.uri.clone();
    let host = url::Url::parse(&uri)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
        .unwrap_or_default();
    let tenant_host = format!(
        "{}.brand-portal.adobe.com",
        w.tenant.id.to_ascii_lowercase()
    );
    if host != tenant_host {
        attempt.lines.push(AgentLine::Sending { uri: uri.clone() });
        let cause = if host.ends_with(".brand-portal.adobe.com") {
            Cause::UnknownHost { host }
        } else {
            Cause::Refused { uri }
        };
        return Err(attempt.fail(cause));
    }
    let Some(cfg) = find_cloud_config(w, &uri) else {
        attempt.lines.push(AgentLine::NoCloudConfig { uri });
        return Err(attempt.stop());
    };
    // The agent serializes the content as its MAC user.
    let mac = w.repo.text(
        &format!("{}/jcr:content", join(AGENTS_ROOT, &agent.id)),
        "userId",
    );
    if let Some(mac) = mac.filter(|m| !w.users.contains_key(m)) {
        let line = AgentLine::Impersonation {
            mac,
            action: attempt.act.clone(),
        };
        w.error_log_line(now, thread, &line);
        attempt.lines.push(line);
        return Err(attempt.stop());
    }
    Ok((attempt, cfg))
}

/// The bearer token the agent sends. Without one AEM still sends the request (the tenant
/// answers 401): the failure is logged and the token is empty.
fn token_for(
    w: &mut World,
    cfg: &CloudConfig,
    lines: &mut Vec<AgentLine>,
    now: i64,
    thread: &str,
) -> String {
    match access_token(w, cfg) {
        Ok(t) => {
            lines.push(AgentLine::TokenObtained {
                provider: cfg.path.clone(),
            });
            t
        }
        Err(line) => {
            w.error_log_line(now, thread, &line);
            lines.push(*line);
            lines.push(AgentLine::NoToken);
            String::new()
        }
    }
}

/// The request's headers and body as the agent logs them, up to sending it.
fn request_lines(attempt: &mut Attempt, action: &str, path: &str) {
    let lines = &mut attempt.lines;
    lines.push(AgentLine::Header {
        name: "Action",
        value: title_case(action),
    });
    lines.push(AgentLine::Header {
        name: "Path",
        value: path.to_string(),
    });
    lines.push(AgentLine::Header {
        name: "Handle",
        value: path.to_string(),
    });
    lines.push(AgentLine::Serialize);
    if action.eq_ignore_ascii_case("test") {
        lines.push(AgentLine::EmptyBody);
    }
    lines.push(AgentLine::Sending {
        uri: attempt.uri.clone(),
    });
}

/// The tenant's answer, as the agent logs it.
fn answered(mut attempt: Attempt, received: Result<String, (u16, &str)>, now: i64) -> Transfer {
    match received {
        Ok(body) => {
            attempt.lines.push(AgentLine::Answer {
                status: 200,
                reason: "OK".into(),
            });
            attempt.lines.push(AgentLine::Separator);
            attempt.lines.push(AgentLine::ReceiverSaid { body });
            attempt.lines.push(AgentLine::MessageSent);
            // What the transfer took, as a custom transport reports it (no real wire here).
            let millis = 40 + now.rem_euclid(160).unsigned_abs();
            attempt.lines.push(AgentLine::Succeeded {
                action: attempt.act.clone(),
                millis,
            });
            Transfer {
                ok: true,
                lines: attempt.lines,
            }
        }
        Err((status, reason)) => {
            attempt.lines.push(AgentLine::Answer {
                status,
                reason: reason.into(),
            });
            let uri = attempt.uri.clone();
            attempt.fail(Cause::Status {
                uri,
                status,
                reason: reason.into(),
            })
        }
    }
}

fn title_case(s: &str) -> String {
    let lower = s.to_ascii_lowercase();
    let mut c = lower.chars();
    match c.next() {
        Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
        None => String::new(),
    }
}

/// Moves queued items: each enabled, unpaused agent delivers at the configured rate; a
/// failure blocks the queue until `retryDelay` has passed (or a force retry).
pub fn tick(w: &mut World, dt_secs: f64) {
    // A replay's queues stay as recorded.
    if w.replay.is_some() {
        return;
    }
    if w.agents.values().all(|r| r.queue.is_empty()) {
        return;
    }
    let now = now_ms();
    let rate = w.cfg.delivery_rate.max(0.0);
    for (n, id) in w.agent_ids().into_iter().enumerate() {
        let thread = format!("sling-threadpool-3-thread-{}", n % 8 + 1);
        let Some(conf) = w.agent(&id) else { continue };
        let rt = w.runtime(&id);
        if rt.queue.is_empty() {
            rt.processing_since = 0;
            rt.credit = 0.0;
            continue;
        }
        if !conf.enabled || rt.paused {
            continue;
        }
        if rt.is_blocked() {
            if now < rt.next_retry_ms {
                continue;
            }
            rt.credit = rt.credit.max(1.0);
        } else {
            rt.credit = (rt.credit + rate * dt_secs).min(rate.max(1.0));
        }
        if rt.processing_since == 0 {
            rt.processing_since = now;
        }
        loop {
            let rt = w.runtime(&id);
            if rt.credit < 1.0 {
                break;
            }
            let Some(head) = rt.queue.front().cloned() else {
                break;
            };
            rt.credit -= 1.0;
            let t = transfer(w, &conf, &head.action, &head.path, &head.userid, &thread);
            for l in &t.lines {
                w.agent_log(&id, now, l);
            }
            let rt = w.runtime(&id);
            if t.ok {
                rt.queue.pop_front();
                rt.delivered += 1;
                rt.last_process_ms = now;
                rt.next_retry_ms = 0;
                rt.processing_since = if rt.queue.is_empty() { 0 } else { now };
            } else {
                if let Some(h) = rt.queue.front_mut() {
                    h.num_processed += 1;
                    h.last_processed = now;
                }
                rt.next_retry_ms = now + conf.retry_delay_ms.max(1);
                rt.credit = 0.0;
                w.agent_log(
                    &id,
                    now,
                    &AgentLine::QueueBlocked {
                        retry_ms: conf.retry_delay_ms,
                    },
                );
                break;
            }
        }
    }
}

/// `POST /sandbox/publish`: "Publish to Brand Portal" for `count` assets, spread round-robin
/// over the tenant's Brand Portal agents (a disabled agent's share stays undelivered).
pub fn publish(w: &mut World, req: &Request) -> Response {
    let count: usize = match req.params.get("count").map(|c| c.trim().parse()) {
        None => 1,
        Some(Ok(n)) if (1..=100_000).contains(&n) => n,
        _ => {
            return http::json(
                400,
                &json!({"error": "count must be a whole number from 1 to 100000"}),
            );
        }
    };
    let prefix = req
        .params
        .get("path")
        .unwrap_or_else(|| "/content/dam/wknd/en/adventures".into());
    let action = req
        .params
        .get("action")
        .unwrap_or_else(|| "Activate".into());
    let tenant_url = req
        .params
        .get("tenant")
        .unwrap_or_else(|| w.tenant.url.clone());
    let agents = w.bp_agents(&tenant_url);
    if agents.is_empty() {
        return http::json(
            409,
            &json!({"error": format!("no Brand Portal agents replicate to {tenant_url}; create the cloud configuration first")}),
        );
    }
    let user = req.user.clone().unwrap_or_else(|| "admin".into());
    let now = now_ms();
    let mut per_agent = serde_json::Map::new();
    let mut undeliverable = 0;
    let stamp = chrono::DateTime::from_timestamp_millis(now)
        .unwrap_or_default()
        .format("%Y/%-m/%-d/%-H/%-M")
        .to_string();
    for _ in 0..count {
        let seq = w.rr_next;
        w.rr_next += 1;
        let agent = &agents[seq % agents.len()];
        if !agent.enabled {
            undeliverable += 1;
        }
        let item = QueueItem {
            id: format!("{stamp}/{}_{seq}", uuid::Uuid::new_v4()),
            path: format!("{}/asset-{:05}.jpg", prefix.trim_end_matches('/'), seq + 1),
            time: now,
            userid: user.clone(),
            action: title_case(&action),
            last_processed: 0,
            num_processed: 0,
        };
        w.runtime(&agent.id).queue.push_back(item);
        let e = per_agent.entry(agent.id.clone()).or_insert(json!(0));
        *e = json!(e.as_u64().unwrap_or(0) + 1);
    }
    http::json(
        200,
        &json!({"queued": count, "agents": per_agent, "undeliverable": undeliverable}),
    )
}
