//! Replication queues: `queue.json`, the JMX MBean, depth and the queue commands.

use super::agents::agent_path;
use super::client::{AemClient, form};
use super::error::AemError;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The writer caps the `queue` array at this many entries.
pub const QUEUE_JSON_CAP: usize = 50;

#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum QueueState {
    Idle,
    Active,
    Blocked,
    Paused,
    Disabled,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct QueueItem {
    pub id: String,
    pub path: String,
    /// Action type as AEM writes it (`Activate`, …), kept as text.
    pub action: String,
    pub user: String,
    /// Epoch ms (RFC 3339 in JSON, as every time brandlink writes).
    #[serde(serialize_with = "crate::when::json::millis")]
    pub time: i64,
    #[serde(serialize_with = "crate::when::json::opt_millis")]
    pub last_processed: Option<i64>,
    pub attempts: u64,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct QueueStatus {
    pub agent_id: String,
    /// `queueStatus` missing its flags: AEM's sign of a disabled agent.
    pub disabled: bool,
    pub blocked: bool,
    pub paused: bool,
    #[serde(serialize_with = "crate::when::json::opt_millis")]
    pub time: Option<i64>,
    #[serde(serialize_with = "crate::when::json::opt_millis")]
    pub processing_since: Option<i64>,
    #[serde(serialize_with = "crate::when::json::opt_millis")]
    pub last_process_time: Option<i64>,
    /// Epoch ms of the next retry of a blocked queue.
    #[serde(serialize_with = "crate::when::json::opt_millis")]
    pub next_retry: Option<i64>,
    /// Entries in the JSON (at most 50).
    pub items: Vec<QueueItem>,
}

impl QueueStatus {
    pub fn state(&self) -> QueueState {
        if self.disabled {
            QueueState::Disabled
        } else if self.blocked {
            QueueState::Blocked
        } else if self.paused {
            QueueState::Paused
        } else if self.items.is_empty() {
            QueueState::Idle
        } else {
            QueueState::Active
        }
    }
    /// The JSON alone cannot tell the depth past the cap.
    pub fn capped(&self) -> bool {
        self.items.len() >= QUEUE_JSON_CAP
    }
}

fn num(v: &Value, key: &str) -> Option<i64> {
    match v.get(key)? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn boolish(v: &Value, key: &str) -> Option<bool> {
    match v.get(key)? {
        Value::Bool(b) => Some(*b),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn textish(v: &Value, key: &str) -> String {
    match v.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// Parses `queue.json` leniently: unknown fields ignored, numbers and booleans as strings
/// accepted, missing flags read as AEM's disabled form.
pub fn parse_queue_json(agent: &str, text: &str) -> Result<QueueStatus, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("invalid JSON ({e})"))?;
    if !v.is_object() {
        return Err("not a JSON object".into());
    }
    let st = v
        .get("metaData")
        .and_then(|m| m.get("queueStatus"))
        .cloned()
        .unwrap_or(Value::Null);
    let blocked = boolish(&st, "isBlocked");
    let time = num(&st, "time");
    let disabled = st.is_null() || (blocked.is_none() && time.is_none());
    let next_retry = match (num(&st, "nextRetryPeriod"), time) {
        (Some(p), Some(t)) if p > 0 => Some(t.saturating_add(p)),
        _ => None,
    };
    let items = v
        .get("queue")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter(|i| i.is_object())
                .map(|i| QueueItem {
                    id: textish(i, "id"),
                    path: textish(i, "path"),
                    action: textish(i, "type"),
                    user: textish(i, "userid"),
                    time: num(i, "time").unwrap_or(0),
                    last_processed: num(i, "lastProcessed").filter(|t| *t > 0),
                    attempts: num(i, "numProcessed").unwrap_or(0).max(0) as u64,
                })
                .collect()
        })
        .unwrap_or_default();
    let agent_id = match st.get("agentId") {
        Some(Value::String(s)) => s.clone(),
        _ => agent.to_string(),
    };
    Ok(QueueStatus {
        agent_id,
        disabled,
        blocked: blocked.unwrap_or(false),
        paused: boolish(&st, "isPaused").unwrap_or(false),
        time,
        processing_since: num(&st, "processingSince").filter(|t| *t > 0),
        last_process_time: num(&st, "lastProcessTime").filter(|t| *t > 0),
        next_retry,
        items,
    })
}

/// The replication agent MBean's attributes.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct JmxAgent {
    pub enabled: Option<bool>,
    pub valid: Option<bool>,
    pub queue_blocked: Option<bool>,
    pub queue_paused: Option<bool>,
    pub queue_num_entries: Option<u64>,
}

/// Reads name/value pairs from the JMX console's attribute table (a writable attribute's value
/// sits in a form field).
pub fn parse_jmx(html: &str) -> JmxAgent {
    let mut out = JmxAgent::default();
    for (name, value) in super::html::name_value_rows(html) {
        let b = || value.parse::<bool>().ok();
        match name.as_str() {
            "Enabled" => out.enabled = b(),
            "Valid" => out.valid = b(),
            "QueueBlocked" => out.queue_blocked = b(),
            "QueuePaused" => out.queue_paused = b(),
            "QueueNumEntries" => out.queue_num_entries = value.parse().ok(),
            _ => {}
        }
    }
    out
}

/// `N pending` from the agent page's queue line.
pub fn parse_pending_from_page(html: &str) -> Option<u64> {
    let text = super::html::text(html);
    let i = text.find(" pending")?;
    text[..i]
        .split(|c: char| !c.is_ascii_digit())
        .rfind(|s| !s.is_empty())?
        .parse()
        .ok()
}

/// Queue depth and where it came from.
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Depth {
    pub count: u64,
    /// True when only the capped JSON was available: the depth is at least `count`.
    pub at_least: bool,
    pub source: DepthSource,
}

#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum DepthSource {
    Jmx,
    Page,
    Json,
}

pub fn jmx_path(id: &str) -> String {
    format!("/system/console/jmx/com.adobe.granite.replication:id=%22{id}%22,type=agent")
}

impl AemClient {
    pub async fn queue(&self, id: &str) -> Result<QueueStatus, AemError> {
        let path = format!("{}/jcr:content.queue.json?agent={id}", agent_path(id));
        let reply = self.get(&path).await?;
        parse_queue_json(id, &reply.text())
            .map_err(|detail| AemError::UnexpectedBody { path, detail })
    }

    pub async fn jmx_agent(&self, id: &str) -> Result<JmxAgent, AemError> {
        Ok(parse_jmx(&self.get(&jmx_path(id)).await?.text()))
    }

    /// Depth from JMX `QueueNumEntries`, else the agent page's `N pending`, else the JSON
    /// (marked "at least" when capped).
    pub async fn queue_depth(&self, id: &str, status: &QueueStatus) -> Depth {
        if let Ok(j) = self.jmx_agent(id).await
            && let Some(n) = j.queue_num_entries
        {
            return Depth {
                count: n,
                at_least: false,
                source: DepthSource::Jmx,
            };
        }
        self.depth_without_jmx(id, status).await
    }

    /// `queue.json` and the JMX MBean at once (one round trip); the agent page only when JMX
    /// gives no count.
    pub async fn queue_and_depth(&self, id: &str) -> Result<(QueueStatus, Depth), AemError> {
        let (queue, jmx) = tokio::join!(self.queue(id), self.jmx_agent(id));
        let q = queue?;
        let depth = match jmx.ok().and_then(|j| j.queue_num_entries) {
            Some(n) => Depth {
                count: n,
                at_least: false,
                source: DepthSource::Jmx,
            },
            None => self.depth_without_jmx(id, &q).await,
        };
        Ok((q, depth))
    }

    /// The depth from the agent page, else from `queue.json` (a lower bound when capped).
    async fn depth_without_jmx(&self, id: &str, status: &QueueStatus) -> Depth {
        if let Ok(page) = self.get(&format!("{}.html", agent_path(id))).await {
            let text = page.text();
            if let Some(n) = parse_pending_from_page(&text) {
                return Depth {
                    count: n,
                    at_least: false,
                    source: DepthSource::Page,
                };
            }
            if text.contains("cq-agent-queue-idle") {
                return Depth {
                    count: 0,
                    at_least: false,
                    source: DepthSource::Page,
                };
            }
        }
        Depth {
            count: status.items.len() as u64,
            at_least: status.capped(),
            source: DepthSource::Json,
        }
    }

    async fn queue_cmd(&self, id: &str, cmd: &str) -> Result<(), AemError> {
        let path = format!("{}/jcr:content.queue.json", agent_path(id));
        self.send(Method::POST, &path, &[200], |b| {
            b.form(&form([("cmd", cmd), ("name", id)]))
        })
        .await?;
        Ok(())
    }

    pub async fn pause_queue(&self, id: &str) -> Result<(), AemError> {
        self.queue_cmd(id, "pause").await
    }

    /// Resumes through the writable JMX attribute `QueuePaused`.
    pub async fn resume_queue(&self, id: &str) -> Result<(), AemError> {
        let path = format!("{}/a/QueuePaused", jmx_path(id));
        self.send(Method::POST, &path, &[200], |b| {
            b.form(&form([("value", "false")]))
        })
        .await?;
        Ok(())
    }

    pub async fn clear_queue(&self, id: &str) -> Result<(), AemError> {
        let path = format!("{}/op/queueClear", jmx_path(id));
        match self.send(Method::POST, &path, &[200], |b| b).await {
            Ok(_) => Ok(()),
            Err(AemError::NotFound { .. }) => self.queue_cmd(id, "clear").await,
            Err(e) => Err(e),
        }
    }

    pub async fn force_retry(&self, id: &str) -> Result<(), AemError> {
        let path = format!("{}/op/queueForceRetry", jmx_path(id));
        self.send(Method::POST, &path, &[200], |b| b).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_json_forms() {
        let idle = r#"{"metaData":{"queueStatus":{"agentId":"a","isBlocked":false,"isPaused":false,"time":1000,"processingSince":0,"lastProcessTime":0,"nextRetryPeriod":-1000}},"queue":[]}"#;
        let q = parse_queue_json("a", idle).unwrap();
        assert_eq!(q.state(), QueueState::Idle);
        assert_eq!(q.next_retry, None);
        let blocked = r#"{"metaData":{"queueStatus":{"agentId":"a","isBlocked":"true","time":"1000","nextRetryPeriod":500}},"queue":[{"id":"x","path":"/p","type":"Activate","numProcessed":"3","extra":1}]}"#;
        let q = parse_queue_json("a", blocked).unwrap();
        assert_eq!(q.state(), QueueState::Blocked);
        assert_eq!(q.next_retry, Some(1500));
        assert_eq!(q.items[0].attempts, 3);
        let disabled = r#"{"metaData":{"queueStatus":{"agentName":"A","agentId":"a"}},"queue":[]}"#;
        assert_eq!(
            parse_queue_json("a", disabled).unwrap().state(),
            QueueState::Disabled
        );
        assert!(parse_queue_json("a", "{\"metaData\": ").is_err());
        // Extreme numbers from a broken author do not overflow.
        let huge = format!(
            r#"{{"metaData":{{"queueStatus":{{"isBlocked":true,"time":{},"nextRetryPeriod":5}}}},"queue":[]}}"#,
            i64::MAX
        );
        assert_eq!(
            parse_queue_json("a", &huge).unwrap().next_retry,
            Some(i64::MAX)
        );
        assert!(parse_queue_json("a", "[]").is_err());
    }

    #[test]
    fn jmx_and_page() {
        let html = r#"<table><tr><th>Name</th></tr><tr><td class="name">QueueNumEntries</td><td>int</td><td>r</td><td class="value">42</td></tr><tr><td>QueueBlocked</td><td>boolean</td><td>r</td><td>true</td></tr></table>"#;
        let j = parse_jmx(html);
        assert_eq!(j.queue_num_entries, Some(42));
        assert_eq!(j.queue_blocked, Some(true));
        assert_eq!(
            parse_pending_from_page("Queue is <strong>blocked - 7 pending</strong>"),
            Some(7)
        );
        assert_eq!(
            parse_pending_from_page("Queue is <strong>idle</strong>"),
            None
        );
    }
}
