//! Felix Health Checks (`/system/health.json`): served by AEM 6.5 LTS and by 6.5 authors with
//! a health check add-on, missing elsewhere (404, or 403 without console rights). The shape is
//! Felix's: `{"overallResult": …, "results": [{"name", "status", "tags", "messages": [{"status",
//! "message"}]}]}`.

use super::{AemClient, AemError};
use serde::{Deserialize, Serialize};

/// The tags asked for (combined with OR): the checks about replication, IMS and keys.
pub const HEALTH_TAGS: &[&str] = &["replication", "ims", "keystore", "crypto", "security"];

/// One health check's result.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct HealthCheck {
    pub name: String,
    /// Felix's status: `OK`, `INFO`, `WARN`, `TEMPORARILY_UNAVAILABLE`, `CRITICAL`,
    /// `HEALTH_CHECK_ERROR`.
    pub status: String,
    #[serde(default)]
    pub tags: Vec<String>,
    /// The messages of its log that are not OK (or the first, when all are).
    #[serde(default)]
    pub messages: Vec<String>,
}

#[derive(Deserialize)]
struct Reply {
    #[serde(default)]
    results: Vec<RawResult>,
}

#[derive(Deserialize)]
struct RawResult {
    #[serde(default)]
    name: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    messages: Vec<RawMessage>,
}

#[derive(Deserialize)]
struct RawMessage {
    #[serde(default)]
    status: String,
    #[serde(default)]
    message: String,
}

impl AemClient {
    /// The health checks tagged with any of [`HEALTH_TAGS`]; `None` where the author serves no
    /// health checks (404, 403).
    pub async fn health_checks(&self) -> Result<Option<Vec<HealthCheck>>, AemError> {
        let path = format!(
            "/system/health.json?tags={}&combineTagsOr=true",
            HEALTH_TAGS.join(",")
        );
        // Felix answers 503 (CRITICAL) or 500 (HEALTH_CHECK_ERROR) with the results.
        let reply = self
            .send(
                reqwest::Method::GET,
                &path,
                &[200, 403, 404, 500, 503],
                |b| b,
            )
            .await?;
        if matches!(reply.status, 403 | 404) {
            return Ok(None);
        }
        parse_health(&reply.text())
            .map(Some)
            .map_err(|detail| AemError::UnexpectedBody {
                path: "/system/health.json".into(),
                detail: format!("HTTP {}: {detail}", reply.status),
            })
    }
}

/// Reads Felix's health check JSON.
pub fn parse_health(text: &str) -> Result<Vec<HealthCheck>, String> {
    let reply: Reply =
        serde_json::from_str(text).map_err(|e| format!("not Felix health check JSON ({e})"))?;
    Ok(reply
        .results
        .into_iter()
        .map(|r| {
            let bad: Vec<String> = r
                .messages
                .iter()
                .filter(|m| !m.status.eq_ignore_ascii_case("OK"))
                .map(|m| m.message.clone())
                .collect();
            let messages = if bad.is_empty() {
                r.messages.into_iter().take(1).map(|m| m.message).collect()
            } else {
                bad
            };
            HealthCheck {
                name: r.name,
                status: r.status.to_ascii_uppercase(),
                tags: r.tags,
                messages,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    #[test]
    fn felix_health_check_json() {
        let text = r#"{"overallResult":"CRITICAL","results":[
            {"name":"Replication Queue","status":"CRITICAL","timeInMs":3,"finishedAt":"2026-09-01T10:00:00.000","tags":["replication"],
             "messages":[{"status":"OK","message":"4 agents"},{"status":"CRITICAL","message":"queue blocked"}]},
            {"name":"Disk","status":"OK","tags":["system"],"messages":[{"status":"OK","message":"fine"}]}]}"#;
        let r = super::parse_health(text).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].status, "CRITICAL");
        assert_eq!(r[0].messages, vec!["queue blocked".to_string()]);
        assert_eq!(r[1].messages, vec!["fine".to_string()]);
        assert!(super::parse_health("<html>").is_err());
    }
}
