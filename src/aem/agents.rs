//! Replication agents: listing, reading, discovering a tenant's Brand Portal agents by
//! `transportUri`, Test Connection with its verdict, and the agent log.

use super::client::AemClient;
use super::error::AemError;
use super::nodes::{child_names, flag, text};
use futures::future::try_join_all;
use serde::Serialize;
use serde_json::Value;

pub const AGENTS_ROOT: &str = "/etc/replication/agents.author";

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct AgentInfo {
    pub id: String,
    pub title: String,
    pub enabled: bool,
    pub transport_uri: String,
    pub retry_delay_ms: Option<u64>,
    pub close_connection: bool,
    /// The user the agent publishes as (`transportUser`, else `userId`): the MAC user.
    pub transport_user: Option<String>,
}

impl AgentInfo {
    /// Whether it publishes to the tenant: `transportUri` starts with `tenant_url + "/"`
    /// (case-insensitive, trailing slash ignored). Never by name.
    pub fn publishes_to(&self, tenant_url: &str) -> bool {
        self.transport_uri
            .to_ascii_lowercase()
            .starts_with(&format!("{}/", normalize_tenant(tenant_url)))
    }

    pub fn from_content(id: &str, c: &Value) -> Self {
        AgentInfo {
            id: id.to_string(),
            title: text(c, "jcr:title").unwrap_or_else(|| id.to_string()),
            enabled: flag(c, "enabled").unwrap_or(false),
            transport_uri: text(c, "transportUri").unwrap_or_default(),
            retry_delay_ms: text(c, "retryDelay").and_then(|r| r.trim().parse().ok()),
            close_connection: flag(c, "protocolHTTPConnectionClose").unwrap_or(false),
            transport_user: text(c, "transportUser")
                .or_else(|| text(c, "userId"))
                .filter(|u| !u.trim().is_empty()),
        }
    }
}

/// Test Connection's outcome.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct TestResult {
    pub agent: String,
    pub success: bool,
    /// The line that explains a failure (or the success marker).
    pub summary: String,
    /// The lines that explain it: failures, exceptions, HTTP answers.
    pub explanation: Vec<String>,
    pub transcript: Vec<String>,
}

/// Lower-case URL without the trailing slash, for comparisons.
pub fn normalize_tenant(url: &str) -> String {
    url.trim().trim_end_matches('/').to_ascii_lowercase()
}

pub fn agent_path(id: &str) -> String {
    format!("{AGENTS_ROOT}/{id}")
}

impl AemClient {
    /// Agent ids under agents.author.
    pub async fn agent_ids(&self) -> Result<Vec<String>, AemError> {
        let node = self.node(AGENTS_ROOT, 1).await?;
        Ok(child_names(&node))
    }

    pub async fn agent(&self, id: &str) -> Result<AgentInfo, AemError> {
        let c: Value = self
            .get_json(&format!("{}/jcr:content.json", agent_path(id)))
            .await?;
        Ok(AgentInfo::from_content(id, &c))
    }

    /// All agents: one read of `agents.author.2.json` (each agent with its `jcr:content`);
    /// agents the rendering left without content (a `300` answer offered less depth) are then
    /// read one by one, concurrently.
    pub async fn agents(&self) -> Result<Vec<AgentInfo>, AemError> {
        let tree = self.node(AGENTS_ROOT, 2).await?;
        let mut out = Vec::new();
        let mut unread = Vec::new();
        for id in child_names(&tree) {
            match tree
                .get(&id)
                .and_then(|page| page.get("jcr:content"))
                .filter(|c| c.as_object().is_some_and(|m| !m.is_empty()))
            {
                Some(content) => out.push(AgentInfo::from_content(&id, content)),
                None => unread.push(id),
            }
        }
        out.extend(self.agents_by_id(&unread).await?);
        Ok(out)
    }

    /// The agents of `ids`, read concurrently; ids without `jcr:content` are skipped.
    async fn agents_by_id(&self, ids: &[String]) -> Result<Vec<AgentInfo>, AemError> {
        let reads = ids.iter().map(|id| async move {
            match self.agent(id).await {
                Ok(a) => Ok(Some(a)),
                Err(AemError::NotFound { .. }) => Ok(None), // a page without jcr:content
                Err(e) => Err(e),
            }
        });
        Ok(try_join_all(reads).await?.into_iter().flatten().collect())
    }

    /// The tenant's Brand Portal agents ([`AgentInfo::publishes_to`]).
    pub async fn brand_portal_agents(&self, tenant_url: &str) -> Result<Vec<AgentInfo>, AemError> {
        Ok(self
            .agents()
            .await?
            .into_iter()
            .filter(|a| a.publishes_to(tenant_url))
            .collect())
    }

    /// Runs Test Connection (`GET <A>.test.html`).
    pub async fn test_connection(&self, id: &str) -> Result<TestResult, AemError> {
        let body = self
            .get(&format!("{}.test.html", agent_path(id)))
            .await?
            .text();
        Ok(parse_test_output(id, &body))
    }

    /// Test Connection on several agents at once.
    pub async fn test_connections(
        &self,
        ids: &[String],
    ) -> Vec<(String, Result<TestResult, AemError>)> {
        let runs = ids
            .iter()
            .map(|id| async move { (id.clone(), self.test_connection(id).await) });
        futures::future::join_all(runs).await
    }

    /// The agent log (`GET <A>.log.html`), oldest first.
    pub async fn agent_log(&self, id: &str) -> Result<Vec<LogLine>, AemError> {
        let body = self
            .get(&format!("{}.log.html", agent_path(id)))
            .await?
            .text();
        Ok(parse_log(&body))
    }

    /// Sets "Close Connection" on an agent, the only property brandlink writes on Brand Portal agents.
    pub async fn set_close_connection(&self, id: &str) -> Result<(), AemError> {
        let form = super::client::form([
            ("./protocolHTTPConnectionClose", "true"),
            ("_charset_", "utf-8"),
        ]);
        self.sling_post(&format!("{}/jcr:content", agent_path(id)), &form)
            .await?;
        Ok(())
    }
}

fn text_lines(html: &str) -> Vec<String> {
    // Test Connection writes its headings in <strong> and its log lines with <br>.
    super::html::lines(html, &["strong"])
}

/// Success iff `Replication test succeeded` appears; otherwise the first line naming
/// `Transfer failed`, `Error while replicating` or an exception explains the failure.
pub fn parse_test_output(agent: &str, html: &str) -> TestResult {
    let lines = text_lines(html);
    let success = lines
        .iter()
        .any(|l| l.contains("Replication test succeeded"));
    let explains = |l: &&String| {
        l.contains("Transfer failed")
            || l.contains("Error while replicating")
            || l.contains("Exception")
            || l.contains("failed to get access token")
            || l.contains("Response: ")
    };
    let explanation: Vec<String> = lines
        .iter()
        .filter(explains)
        .map(|l| strip_timestamp(l))
        .collect();
    let summary = if success {
        "Replication test succeeded".to_string()
    } else {
        lines
            .iter()
            .find(|l| {
                l.contains("Transfer failed")
                    || l.contains("Error while replicating")
                    || l.contains("Exception")
            })
            .map(|l| strip_timestamp(l))
            .unwrap_or_else(|| "Test Connection did not report success".to_string())
    };
    TestResult {
        agent: agent.to_string(),
        success,
        summary,
        explanation,
        transcript: lines,
    }
}

/// One log line: `dd.MM.yyyy HH:mm:ss - message` when it has that form.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct LogLine {
    pub time: Option<String>,
    pub message: String,
}

fn split_timestamp(line: &str) -> (Option<&str>, &str) {
    let line = line.trim();
    if line.len() > 22
        && line.is_char_boundary(19)
        && line.is_char_boundary(22)
        && &line[19..22] == " - "
        && chrono::NaiveDateTime::parse_from_str(&line[..19], "%d.%m.%Y %H:%M:%S").is_ok()
    {
        (Some(&line[..19]), &line[22..])
    } else {
        (None, line)
    }
}

fn strip_timestamp(line: &str) -> String {
    split_timestamp(line).1.to_string()
}

pub fn parse_log(html: &str) -> Vec<LogLine> {
    let body = super::html::pre_text(html).unwrap_or_else(|| super::html::text(html));
    body.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (t, m) = split_timestamp(l);
            LogLine {
                time: t.map(str::to_string),
                message: m.to_string(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_output_verdicts() {
        let ok = "<strong>Replication test to https://x</strong><br>\n 01.01.2026 10:00:00 - sent. Response: 200 OK<br>\n<strong>Replication test succeeded</strong>";
        let r = parse_test_output("a", ok);
        assert!(r.success);
        let bad = " 01.01.2026 10:00:00 - sent. Response: 401 Unauthorized<br>\n 01.01.2026 10:00:00 - Transfer failed for X. java.io.IOException: 401<br>";
        let r = parse_test_output("a", bad);
        assert!(!r.success);
        assert!(r.summary.starts_with("Transfer failed"));
        assert_eq!(r.explanation.len(), 2);
        let r = parse_test_output("a", "");
        assert!(!r.success);
        assert_eq!(r.summary, "Test Connection did not report success");
    }

    #[test]
    fn log_lines() {
        let l =
            parse_log("<pre id=\"log\">\n01.02.2026 03:04:05 - hello &amp; bye\nraw line\n</pre>");
        assert_eq!(l[0].time.as_deref(), Some("01.02.2026 03:04:05"));
        assert_eq!(l[0].message, "hello & bye");
        assert_eq!(l[1].time, None);
    }
}
