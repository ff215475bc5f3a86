//! Replication agents as AEM serves them: the status, Test Connection and log pages, the queue
//! servlet and the JMX MBeans. The delivery engine behind them is in `delivery`.

use super::http::{self, Request, Response, escape};
use super::logs::AgentLine;
use super::repo::join;
use super::state::{AGENTS_ROOT, AgentConf, World, now_ms};
use serde_json::{Value as Json, json};

const QUEUE_JSON_CAP: usize = 50;

use super::delivery::transfer;

fn queue_state(w: &World, conf: &AgentConf) -> (&'static str, String) {
    let rt = w.agents.get(&conf.id).cloned().unwrap_or_default();
    let n = rt.queue.len();
    if !conf.enabled {
        ("inactive", "not active".into())
    } else if rt.is_blocked() {
        ("blocked", format!("blocked - {n} pending"))
    } else if n > 0 {
        ("active", format!("active - {n} pending"))
    } else {
        ("idle", "idle".into())
    }
}

/// `GET <A>.html`: the agent status page.
pub fn agent_page(w: &World, id: &str) -> Response {
    let Some(conf) = w.agent(id) else {
        return http::not_found(&join(AGENTS_ROOT, id));
    };
    let content = format!("{}/jcr:content", join(AGENTS_ROOT, id));
    let flag = |n: &str| {
        w.repo
            .get(&content)
            .and_then(|c| c.flag(n))
            .unwrap_or(false)
    };
    let (qclass, qtext) = queue_state(w, &conf);
    let (hclass, sclass, stext) = if conf.enabled {
        ("on", "ok", "enabled.")
    } else {
        ("off", "disabled", "disabled.")
    };
    let mut flags = String::new();
    for (prop, text) in [
        ("triggerSpecific", "Agent is ignored on normal replication"),
        ("triggerModified", "Agent is triggered on modification"),
        (
            "triggerOnOffTime",
            "Agent is triggered when on-/offtime reached",
        ),
        (
            "triggerReceive",
            "Agent is triggered when receiving replication",
        ),
        (
            "reverseReplication",
            "Agent is used for reverse replication",
        ),
        ("noVersioning", "Agent does not create versions"),
    ] {
        if flag(prop) {
            flags.push_str(&format!("<div class=\"li-bullet\">{text}</div>\n"));
        }
    }
    if w.agents.get(id).is_some_and(|r| r.paused) {
        flags.push_str("<div class=\"li-bullet cq-agent-queue-paused\">Queue is <strong>paused</strong></div>\n");
    }
    http::html(
        200,
        format!(
            "<!DOCTYPE html><html><head><title>AEM Replication | {t}</title></head><body>\n\
<h2 class=\"cq-agent-header-{hclass}\">{t} ({id})</h2>\n\
<div class=\"li-bullet cq-agent-status-{sclass}\">Agent is <strong>{stext}</strong></div>\n\
<div class=\"li-bullet\">Replicating to <strong>{uri}</strong></div>\n\
<div class=\"li-bullet cq-agent-queue-{qclass}\">Queue is <strong>{qtext}</strong></div>\n\
{flags}<div class=\"li-bullet\"><a href=\"{id}.log.html#end\">View log</a></div>\n\
<div class=\"li-bullet\"><a href=\"javascript:test()\">Test Connection</a></div>\n\
<div id=\"cq-queue\" data-src=\"{id}/jcr:content.queue.json\"></div>\n\
<script>function test(){{window.open('{id}.test.html','test','width=800,height=600');}}</script>\n\
</body></html>",
            t = escape(&conf.title),
            id = escape(id),
            uri = escape(&conf.transport_uri),
        ),
    )
}

/// `GET <A>.test.html`: Test Connection.
pub fn test_connection(w: &mut World, id: &str, user: &str) -> Response {
    let Some(conf) = w.agent(id) else {
        return http::not_found(&join(AGENTS_ROOT, id));
    };
    let now = now_ms();
    if let Some(t) = w.replay.as_ref().and_then(|r| r.tests.get(id)).cloned() {
        return replayed_test(w, &conf.transport_uri, &t, now);
    }
    // AEM names a request's thread after the request.
    let thread = format!(
        "127.0.0.1 [{now}] GET {}.test.html HTTP/1.1",
        join(AGENTS_ROOT, id)
    );
    let t = transfer(w, &conf, "Test", "/content/dam", user, &thread);
    w.agent_log(
        id,
        now,
        &AgentLine::TestStarted {
            uri: conf.transport_uri.clone(),
        },
    );
    let d = w.dialect;
    let ts = d.stamp(now);
    let mut body = format!(
        "<html><head><title>Replication Test</title></head><body><div class=\"content\">\n<strong>Replication test to {}</strong><br>\n",
        escape(&conf.transport_uri)
    );
    for l in &t.lines {
        w.agent_log(id, now, l);
        if let Some(text) = l.render(d) {
            body.push_str(&format!(" {ts} - {}<br>\n", escape(&text)));
        }
    }
    if t.ok {
        body.push_str("<strong>Replication test succeeded</strong>\n");
    }
    body.push_str("</div></body></html>");
    http::html(200, body)
}

/// A replay's Test Connection: the recorded transcript, stamped now, also in the agent log.
fn replayed_test(w: &mut World, uri: &str, t: &crate::replay::RecordedTest, now: i64) -> Response {
    let ts = w.dialect.stamp(now);
    let mut body = format!(
        "<html><head><title>Replication Test</title></head><body><div class=\"content\">\n<strong>Replication test to {}</strong><br>\n",
        escape(uri)
    );
    let rt = w.runtime(&t.agent);
    for l in &t.transcript {
        rt.log.push_back(format!("{ts} - {}", l.text));
        body.push_str(&format!(" {ts} - {}<br>\n", escape(&l.text)));
    }
    if t.success {
        body.push_str("<strong>Replication test succeeded</strong>\n");
    }
    body.push_str("</div></body></html>");
    http::html(200, body)
}

/// `GET <A>.log.html`.
pub fn log_page(w: &World, id: &str) -> Response {
    let Some(conf) = w.agent(id) else {
        return http::not_found(&join(AGENTS_ROOT, id));
    };
    let lines: Vec<String> = w
        .agents
        .get(id)
        .map(|r| r.log.iter().map(|l| escape(l)).collect())
        .unwrap_or_default();
    http::html(
        200,
        format!(
            "<html><head><title>AEM Replication | Log of {t}</title></head><body>\n<h2>Log of {t} ({id})</h2>\n<pre id=\"log\">\n{}\n</pre><a name=\"end\"></a></body></html>",
            lines.join("\n"),
            t = escape(&conf.title),
            id = escape(id),
        ),
    )
}

fn queue_json(w: &World, conf: &AgentConf) -> Json {
    let now = now_ms();
    let rt = w.agents.get(&conf.id).cloned().unwrap_or_default();
    let status = if conf.enabled {
        json!({
            "agentName": conf.title,
            "agentId": conf.id,
            "isBlocked": rt.is_blocked(),
            "isPaused": rt.paused,
            "time": now,
            "processingSince": rt.processing_since,
            "lastProcessTime": rt.last_process_ms,
            "nextRetryPeriod": rt.next_retry_ms - now,
        })
    } else {
        json!({"agentName": conf.title, "agentId": conf.id})
    };
    let items: Vec<Json> = rt
        .queue
        .iter()
        .take(QUEUE_JSON_CAP)
        .map(|i| {
            json!({"id": i.id, "path": i.path, "time": i.time, "userid": i.userid, "type": i.action,
                   "lastProcessed": i.last_processed, "numProcessed": i.num_processed})
        })
        .collect();
    json!({
        "metaData": {
            "root": "queue",
            "queueStatus": status,
            "fields": ["id", "path", "time", "userid", "type", "lastProcessed", "numProcessed"],
        },
        "queue": items,
    })
}

/// `GET|POST <A>/jcr:content.queue.json`.
pub fn queue(w: &mut World, req: &Request, id: &str) -> Response {
    let Some(conf) = w.agent(id) else {
        return http::not_found(&req.path);
    };
    if req.method == http::Method::POST {
        let named = req.params.get("name").or_else(|| req.params.get("agent"));
        if named.as_deref().is_some_and(|n| n != id) {
            return http::json(
                400,
                &json!({"status": "error", "message": format!("agent '{}' does not own this queue", named.unwrap_or_default())}),
            );
        }
        let cmd = req.params.get("cmd").unwrap_or_default();
        let now = now_ms();
        let rt = w.runtime(id);
        let line = match cmd.as_str() {
            "pause" => {
                rt.paused = true;
                AgentLine::QueuePaused
            }
            "resume" => {
                rt.paused = false;
                AgentLine::QueueResumed
            }
            "clear" => {
                let removed = rt.queue.len();
                rt.queue.clear();
                rt.next_retry_ms = 0;
                rt.processing_since = 0;
                AgentLine::QueueCleared { removed }
            }
            other => {
                return http::json(
                    400,
                    &json!({"status": "error", "message": format!("unknown cmd '{other}'")}),
                );
            }
        };
        w.agent_log(id, now, &line);
        return http::json(200, &json!({"status": "ok", "cmd": cmd, "agent": id}));
    }
    http::json(200, &queue_json(w, &conf))
}

fn mbean_agent(name: &str) -> Option<String> {
    let rest = name.strip_prefix("com.adobe.granite.replication:")?;
    let mut id = None;
    let mut is_agent = false;
    for kv in rest.split(',') {
        match kv.split_once('=') {
            Some(("id", v)) => id = Some(v.trim_matches('"').to_string()),
            Some(("type", "agent")) => is_agent = true,
            _ => {}
        }
    }
    id.filter(|_| is_agent)
}

fn fmt_time(ms: i64) -> String {
    if ms <= 0 {
        String::new()
    } else {
        chrono::DateTime::from_timestamp_millis(ms)
            .map(|d| d.format("%a %b %d %H:%M:%S UTC %Y").to_string())
            .unwrap_or_default()
    }
}

/// `/system/console/jmx/...`: the replication agent MBeans.
pub fn jmx(w: &mut World, req: &Request) -> Response {
    let rest = req
        .path
        .trim_start_matches("/system/console/jmx")
        .trim_start_matches('/');
    if rest.is_empty() {
        return mbean_list(w);
    }
    let (name, tail) = match rest.split_once('/') {
        Some((n, t)) => (n, Some(t)),
        None => (rest, None),
    };
    let Some(id) = mbean_agent(name) else {
        return http::error_page(404, &format!("MBean {name} not found"));
    };
    let Some(conf) = w.agent(&id) else {
        return http::error_page(404, &format!("MBean {name} not found"));
    };
    let now = now_ms();
    match (
        req.method.as_str(),
        tail.map(|t| t.split_once('/').unwrap_or((t, ""))),
    ) {
        ("POST", Some(("op", "queueForceRetry"))) => {
            let rt = w.runtime(&id);
            if rt.is_blocked() {
                rt.next_retry_ms = now;
            }
            w.agent_log(&id, now, &AgentLine::ForceRetry);
            http::html(
                200,
                "<html><body>Operation queueForceRetry invoked</body></html>",
            )
        }
        ("POST", Some(("op", "queueClear"))) => {
            let rt = w.runtime(&id);
            rt.queue.clear();
            rt.next_retry_ms = 0;
            rt.processing_since = 0;
            w.agent_log(&id, now, &AgentLine::QueueClearedJmx);
            http::html(
                200,
                "<html><body>Operation queueClear invoked</body></html>",
            )
        }
        ("POST", Some(("a", "QueuePaused"))) => set_paused(w, req, &id, now),
        ("POST", Some((kind, op))) => http::error_page(404, &format!("No {kind} {op} on {name}")),
        ("GET", None) => mbean_page(w, &conf, &id, name, now),
        _ => http::error_page(405, "Method not allowed"),
    }
}

/// The JMX console's list of the agents' MBeans.
fn mbean_list(w: &World) -> Response {
    let mut rows = String::new();
    for id in w.agent_ids() {
        let n = format!("com.adobe.granite.replication:id=\"{id}\",type=agent");
        rows.push_str(&format!(
            "<tr><td><a href=\"/system/console/jmx/{0}\">{1}</a></td></tr>\n",
            percent_encoding::utf8_percent_encode(&n, percent_encoding::NON_ALPHANUMERIC),
            escape(&n)
        ));
    }
    http::html(
        200,
        format!("<html><body><h1>JMX</h1><table id=\"mbeans\">{rows}</table></body></html>"),
    )
}

/// `POST …/a/QueuePaused` with `value=true|false`: pauses or resumes the queue.
fn set_paused(w: &mut World, req: &Request, id: &str, now: i64) -> Response {
    let v = req.params.get("value").unwrap_or_default();
    let paused = match v.trim() {
        "true" => true,
        "false" => false,
        _ => return http::error_page(400, "QueuePaused takes value=true or value=false"),
    };
    w.runtime(id).paused = paused;
    let line = if paused {
        AgentLine::QueuePaused
    } else {
        AgentLine::QueueResumed
    };
    w.agent_log(id, now, &line);
    http::html(200, "<html><body>Attribute QueuePaused set</body></html>")
}

/// One agent's MBean page: its attributes (QueuePaused editable) and operations.
fn mbean_page(w: &World, conf: &AgentConf, id: &str, name: &str, now: i64) -> Response {
    let rt = w.agents.get(id).cloned().unwrap_or_default();
    let rows = [
        ("Id", "java.lang.String", "r", id.to_string()),
        (
            "Valid",
            "boolean",
            "r",
            (!conf.transport_uri.is_empty()).to_string(),
        ),
        ("Enabled", "boolean", "r", conf.enabled.to_string()),
        ("QueueBlocked", "boolean", "r", rt.is_blocked().to_string()),
        ("QueuePaused", "boolean", "rw", rt.paused.to_string()),
        ("QueueNumEntries", "int", "r", rt.queue.len().to_string()),
        ("QueueStatusTime", "java.util.Date", "r", fmt_time(now)),
        (
            "QueueNextRetryTime",
            "java.util.Date",
            "r",
            fmt_time(rt.next_retry_ms),
        ),
        (
            "QueueProcessingSince",
            "java.util.Date",
            "r",
            fmt_time(rt.processing_since),
        ),
        (
            "QueueLastProcessTime",
            "java.util.Date",
            "r",
            fmt_time(rt.last_process_ms),
        ),
    ];
    let mut table = String::new();
    for (n, t, a, v) in rows {
        // A writable attribute's value sits in a form that posts it back, as the
        // console's editable rows do.
        let value = if a == "rw" {
            format!(
                "<form method=\"post\" action=\"/system/console/jmx/{}/a/{n}\"><input type=\"text\" name=\"value\" value=\"{}\"/><input type=\"submit\" value=\"Save\"/></form>",
                escape(name),
                escape(&v)
            )
        } else {
            escape(&v)
        };
        table.push_str(&format!(
            "<tr><td class=\"name\">{n}</td><td class=\"type\">{t}</td><td class=\"access\">{a}</td><td class=\"value\">{value}</td></tr>\n"
        ));
    }
    http::html(
        200,
        format!(
            "<html><head><title>JMX | {n}</title></head><body><h1>{n}</h1><h2>Attributes</h2>\n\
<table id=\"attributes\"><tr><th>Name</th><th>Type</th><th>Access</th><th>Value</th></tr>\n{table}</table>\n\
<h2>Operations</h2><ul><li>queueForceRetry()</li><li>queueClear()</li></ul></body></html>",
            n = escape(name)
        ),
    )
}
