//! AEM's log lines, read once into typed events: the agent logs, Test Connection transcripts
//! and `error.log`. Every other part of brandlink reasons over [`LogEvent`]s, never over the
//! words of a line.
//!
//! Real authors word their logs differently (versions, service packs, custom transports), so
//! a line is matched on what stays put: Java class names (`AccessTokenProvider`,
//! `UnknownHostException`, `LoginException`, …), HTTP status codes, IMS's JSON error bodies and
//! AEM's documented markers (`Replication (TEST) of /content successful.`,
//! `Replication test succeeded`). A line that says two things is read as its root cause:
//! `Transfer failed for …. java.net.UnknownHostException: host` is a network error.

use chrono::{FixedOffset, NaiveDateTime, Offset, TimeZone};
use serde::Serialize;

/// A network failure between AEM and the tenant (or IMS).
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "kebab-case")]
pub enum NetworkKind {
    UnknownHost,
    Timeout,
    Refused,
    Reset,
    Tls,
}

/// What one log line says, as far as the integration is concerned.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum LogEvent {
    /// AEM could not obtain an IMS token; IMS's status and error code when the line has them.
    TokenFailure {
        status: Option<u16>,
        code: Option<String>,
        description: Option<String>,
    },
    /// AEM obtained (or attached) a bearer token.
    TokenObtained,
    /// AEM sent the request without a token.
    NoToken,
    /// The receiver (Brand Portal) answered this HTTP status.
    TenantAnswer {
        status: u16,
    },
    /// The connection failed before an answer.
    NetworkError {
        network: NetworkKind,
    },
    /// The agent cannot impersonate the user it publishes as (the MAC user).
    ImpersonationFailure {
        user: Option<String>,
    },
    /// A key store is missing, uninitialised, lacks the alias, or its key cannot be read.
    KeystoreError,
    /// No access token provider (IMS configuration) with the id the cloud configuration names.
    ImsConfigMissing,
    /// A replication action went through (`test`: a Test Connection).
    ReplicationOk {
        test: bool,
    },
    /// A replication action failed (`test` when the line tells).
    ReplicationFailed {
        test: Option<bool>,
    },
    /// A Test Connection transcript's success footer.
    TestSucceeded,
    QueuePaused,
    QueueResumed,
    QueueCleared,
    /// Nothing the integration's verdicts need.
    Other,
}

impl LogEvent {
    /// A success that clears the failures before it (a delivery or a test went through).
    pub fn is_success(&self) -> bool {
        matches!(
            self,
            LogEvent::ReplicationOk { .. } | LogEvent::TestSucceeded
        ) || matches!(self, LogEvent::TenantAnswer { status } if (200..300).contains(status))
    }

    /// A failure of some kind (what a cause can be read from).
    pub fn is_failure(&self) -> bool {
        match self {
            LogEvent::TenantAnswer { status } => *status >= 400,
            LogEvent::TokenFailure { .. }
            | LogEvent::NoToken
            | LogEvent::NetworkError { .. }
            | LogEvent::ImpersonationFailure { .. }
            | LogEvent::KeystoreError
            | LogEvent::ImsConfigMissing
            | LogEvent::ReplicationFailed { .. } => true,
            _ => false,
        }
    }

    /// The event's name in the corpus (`tests/fixtures/aem-log-lines.toml`).
    pub fn name(&self) -> &'static str {
        match self {
            LogEvent::TokenFailure { .. } => "token-failure",
            LogEvent::TokenObtained => "token-obtained",
            LogEvent::NoToken => "no-token",
            LogEvent::TenantAnswer { .. } => "tenant-answer",
            LogEvent::NetworkError { .. } => "network-error",
            LogEvent::ImpersonationFailure { .. } => "impersonation-failure",
            LogEvent::KeystoreError => "keystore-error",
            LogEvent::ImsConfigMissing => "ims-config-missing",
            LogEvent::ReplicationOk { .. } => "replication-ok",
            LogEvent::ReplicationFailed { .. } => "replication-failed",
            LogEvent::TestSucceeded => "test-succeeded",
            LogEvent::QueuePaused => "queue-paused",
            LogEvent::QueueResumed => "queue-resumed",
            LogEvent::QueueCleared => "queue-cleared",
            LogEvent::Other => "other",
        }
    }
}

/// Which log a line came from.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum LogSource {
    /// An agent's replication log.
    Agent,
    /// A Test Connection transcript.
    Test,
    /// AEM's `error.log` (through the Sling log tailer).
    Error,
}

/// One line, read.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    /// The line's time as the author wrote it, when it has one; JSON carries `at` instead.
    #[serde(skip)]
    pub time: Option<String>,
    /// Epoch seconds, in the author's time zone when it is known (else UTC); RFC 3339 in JSON,
    /// as `time`.
    #[serde(rename = "time", serialize_with = "crate::when::json::opt_secs")]
    pub at: Option<i64>,
    pub source: LogSource,
    /// The line without its timestamp (and level and thread, for `error.log`).
    pub text: String,
    /// The whole line as it was read (the support bundle keeps it, redacted).
    #[serde(skip)]
    pub line: String,
    #[serde(flatten)]
    pub event: LogEvent,
    /// Whether the line ends a replication attempt, and how: a line such as `Transfer failed
    /// for …: status code 401` is read as its root cause (the tenant's 401) *and* as a failed
    /// attempt.
    pub outcome: Option<Outcome>,
}

/// The end of a replication attempt.
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    pub ok: bool,
    /// A Test Connection, when the line tells.
    pub test: Option<bool>,
}

/// Whether a line ends a replication attempt (AEM's `Transfer failed`, `Error while
/// replicating`, `Replication (X) of P successful.`, `Transfer succeeded`, the test footer).
pub fn outcome(line: &str) -> Option<Outcome> {
    let l = line.to_ascii_lowercase();
    if line.contains("Transfer failed")
        || line.contains("Error while replicating")
        || line.contains("ReplicationException")
        || ((l.contains("replication") || l.contains("transfer")) && l.contains("failed"))
    {
        return Some(Outcome {
            ok: false,
            test: is_test(line),
        });
    }
    if l.contains("test succeeded") {
        return Some(Outcome {
            ok: true,
            test: Some(true),
        });
    }
    if (l.contains("replication") || l.contains("transfer"))
        && (l.contains("successful") || l.contains("succeeded"))
    {
        return Some(Outcome {
            ok: true,
            test: is_test(line),
        });
    }
    None
}

impl Entry {
    /// A replication that went through (or the receiver's 2xx).
    pub fn is_success(&self) -> bool {
        self.outcome.is_some_and(|o| o.ok) || self.event.is_success()
    }
}

/// Reads one line (with or without AEM's timestamp) in the author's zone.
pub fn entry(line: &str, source: LogSource, zone: Option<FixedOffset>) -> Entry {
    let (time, text) = split_time(line);
    let at = time.and_then(|t| epoch(t, zone));
    Entry {
        time: time.map(str::to_string),
        at,
        source,
        event: interpret(text),
        outcome: outcome(text),
        text: text.to_string(),
        line: line.trim().to_string(),
    }
}

/// Reads lines, oldest first.
pub fn entries<S: AsRef<str>>(
    lines: &[S],
    source: LogSource,
    zone: Option<FixedOffset>,
) -> Vec<Entry> {
    lines
        .iter()
        .map(|l| entry(l.as_ref(), source.clone(), zone))
        .filter(|e| !e.text.is_empty())
        .collect()
}

/// `dd.MM.yyyy HH:mm:ss` (agent log) or `dd.MM.yyyy HH:mm:ss.SSS *LEVEL* [thread]` (error.log)
/// at the start of a line: the time, and the rest.
pub fn split_time(line: &str) -> (Option<&str>, &str) {
    let line = line.trim();
    let Some(stamp) = line.get(..19) else {
        return (None, line);
    };
    if NaiveDateTime::parse_from_str(stamp, "%d.%m.%Y %H:%M:%S").is_err() {
        return (None, line);
    }
    let mut rest = &line[19..];
    // Milliseconds.
    if let Some(r) = rest.strip_prefix('.') {
        let digits = r.bytes().take_while(u8::is_ascii_digit).count();
        rest = &r[digits..];
    }
    let rest = rest.trim_start();
    let rest = rest.strip_prefix("- ").unwrap_or(rest);
    // error.log: `*ERROR* [thread-name] message`.
    let rest = match rest.strip_prefix('*').and_then(|r| r.split_once('*')) {
        Some((_level, r)) => {
            let r = r.trim_start();
            match r.strip_prefix('[').and_then(|t| t.split_once("] ")) {
                Some((_thread, m)) => m,
                None => r,
            }
        }
        None => rest,
    };
    (Some(stamp), rest.trim())
}

/// Epoch seconds of an AEM log time in the author's zone (UTC when not known).
pub fn epoch(time: &str, zone: Option<FixedOffset>) -> Option<i64> {
    let naive = NaiveDateTime::parse_from_str(time.get(..19)?, "%d.%m.%Y %H:%M:%S").ok()?;
    let zone = zone.unwrap_or_else(|| chrono::Utc.fix());
    zone.from_local_datetime(&naive)
        .single()
        .map(|d| d.timestamp())
}

fn has(hay: &str, needle: &str) -> bool {
    hay.contains(needle)
}

/// A three-digit HTTP status right after one of `markers` (case-insensitive), skipping
/// punctuation: `Response: 401`, `status code 503`, `HTTP/1.1 401`, `status=429`.
fn status_after(line: &str, markers: &[&str]) -> Option<u16> {
    let lower = line.to_ascii_lowercase();
    for m in markers {
        let mut from = 0;
        while let Some(i) = lower[from..].find(m) {
            let start = from + i + m.len();
            let rest = lower[start..].trim_start_matches(|c: char| {
                c == ':' || c == '=' || c == ' ' || c == '\'' || c == '"' || c == '('
            });
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            if digits.len() == 3
                && let Ok(s) = digits.parse::<u16>()
                && (100..600).contains(&s)
            {
                return Some(s);
            }
            from = start;
        }
    }
    None
}

/// The first JSON object in a line, when it parses.
fn json_body(line: &str) -> Option<serde_json::Value> {
    let start = line.find('{')?;
    let end = line.rfind('}')?;
    (end > start)
        .then(|| serde_json::from_str::<serde_json::Value>(&line[start..=end]).ok())
        .flatten()
}

/// IMS's error body: `{"error":"invalid_client","error_description":"…"}`.
fn ims_error(line: &str) -> Option<(Option<String>, Option<String>)> {
    let v = json_body(line)?;
    let code = v.get("error")?.as_str()?.to_string();
    let description = v
        .get("error_description")
        .and_then(|d| d.as_str())
        .map(str::to_string);
    Some((Some(code), description))
}

fn is_test(line: &str) -> Option<bool> {
    if line.contains("(TEST)") || line.contains("type=TEST") || line.contains("Action:Test") {
        Some(true)
    } else if line.contains("type=") || line.contains("Replication (") {
        Some(false)
    } else {
        None
    }
}

/// What one line (without its timestamp) says.
pub fn interpret(line: &str) -> LogEvent {
    let l = line.to_ascii_lowercase();
    // The key AEM signs with (before the token: a signing failure is logged by the provider).
    if has(line, "KeyStoreNotInitialisedException")
        || has(line, "KeyStoreException")
        || has(line, "UnrecoverableKeyException")
        || has(line, "InvalidKeyException")
        || ((l.contains("keystore") || l.contains("key store"))
            && (l.contains("not initiali") || l.contains("no private key")))
    {
        return LogEvent::KeystoreError;
    }
    // The token: Granite's access token provider, by class name, or IMS's error body.
    let token_class = has(line, "AccessTokenProvider") || has(line, "AccessTokenRequest");
    let ims_body = ims_error(line);
    if (token_class && (l.contains("fail") || l.contains("error") || ims_body.is_some()))
        || (ims_body.is_some() && l.contains("token"))
    {
        let (code, description) = ims_body.unwrap_or((None, None));
        return LogEvent::TokenFailure {
            status: status_after(line, &["status", "http/1.1", "http"]),
            code,
            description,
        };
    }
    if has(line, "LoginException") || l.contains("impersonat") {
        let user = line
            .split(|c: char| c.is_whitespace() || c == '\'' || c == '"' || c == ',')
            .find(|w| w.starts_with("mac-"))
            .map(|w| w.trim_end_matches(['.', ':', ')']).to_string());
        return LogEvent::ImpersonationFailure { user };
    }
    let network = if has(line, "UnknownHostException") {
        Some(NetworkKind::UnknownHost)
    } else if has(line, "SocketTimeoutException")
        || has(line, "ConnectTimeoutException")
        || l.contains("timed out")
        || l.contains("read timeout")
    {
        Some(NetworkKind::Timeout)
    } else if has(line, "SSLHandshakeException")
        || has(line, "SSLException")
        || has(line, "CertPathBuilderException")
        || has(line, "trustAnchors")
    {
        Some(NetworkKind::Tls)
    } else if has(line, "ConnectException")
        || has(line, "NoRouteToHostException")
        || l.contains("connection refused")
    {
        Some(NetworkKind::Refused)
    } else if l.contains("connection reset") || has(line, "SocketException") {
        Some(NetworkKind::Reset)
    } else {
        None
    };
    if let Some(network) = network {
        return LogEvent::NetworkError { network };
    }
    if l.contains("token provider")
        && (l.contains("no ") || l.contains("not found") || l.contains("missing"))
    {
        return LogEvent::ImsConfigMissing;
    }
    if let Some(status) = status_after(
        line,
        &[
            "response",
            "status code",
            "http/1.1",
            "http/2",
            "http status",
            "with http",
            "returned",
            "status",
        ],
    ) {
        return LogEvent::TenantAnswer { status };
    }
    if has(line, "Transfer failed")
        || has(line, "Error while replicating")
        || has(line, "ReplicationException")
        || ((l.contains("replication") || l.contains("transfer")) && l.contains("failed"))
    {
        return LogEvent::ReplicationFailed {
            test: is_test(line),
        };
    }
    if l.contains("test succeeded") {
        return LogEvent::TestSucceeded;
    }
    if (l.contains("replication") || l.contains("transfer"))
        && (l.contains("successful") || l.contains("succeeded"))
    {
        return LogEvent::ReplicationOk {
            test: is_test(line) == Some(true),
        };
    }
    if l.contains("bearer") || (l.contains("access token") && l.contains("obtained")) {
        return LogEvent::TokenObtained;
    }
    if (l.contains("access token") || l.contains("authorization"))
        && (l.contains("no ") || l.contains("without") || l.contains("missing"))
    {
        return LogEvent::NoToken;
    }
    if l.contains("queue") {
        if l.contains("paused") || l.contains("suspended") {
            return LogEvent::QueuePaused;
        }
        if l.contains("resumed") {
            return LogEvent::QueueResumed;
        }
        if l.contains("cleared") || l.contains("emptied") || l.contains("removed") {
            return LogEvent::QueueCleared;
        }
    }
    LogEvent::Other
}

/// The entries after the last success (a delivery or test that went through), oldest first.
pub fn since_last_success(entries: &[Entry]) -> &[Entry] {
    let from = entries
        .iter()
        .rposition(Entry::is_success)
        .map_or(0, |i| i + 1);
    &entries[from..]
}

/// The last replication the log records — a Test Connection or a delivery — and whether it
/// worked: AEM's own proof that the agent obtains a token and reaches the tenant.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct LastOutcome {
    pub ok: bool,
    /// A Test Connection (else a delivery).
    pub test: bool,
    /// The log's time (`dd.MM.yyyy HH:mm:ss`, the author's clock); JSON carries `at` instead.
    #[serde(skip)]
    pub time: Option<String>,
    /// Epoch seconds (in the author's zone when known); RFC 3339 in JSON, as `time`.
    #[serde(rename = "time", serialize_with = "crate::when::json::opt_secs")]
    pub at: Option<i64>,
}

/// Every replication outcome in a log (oldest first), each marked a Test Connection when its
/// line or the action it belongs to says so.
pub fn outcomes(entries: &[Entry]) -> Vec<LastOutcome> {
    let mut test_context = false;
    let mut out = Vec::new();
    for e in entries {
        let Some(o) = e.outcome else {
            if e.text.contains("Action:Test") || e.text.starts_with("Replication test") {
                test_context = true;
            } else if e.text.contains("Action:") {
                test_context = false;
            }
            continue;
        };
        out.push(LastOutcome {
            ok: o.ok,
            test: o.test.unwrap_or(test_context),
            time: e.time.clone(),
            at: e.at,
        });
    }
    out
}

/// The last replication outcome in a log (oldest first).
pub fn last_outcome(entries: &[Entry]) -> Option<LastOutcome> {
    outcomes(entries).pop()
}

#[cfg(test)]
#[path = "logs_tests.rs"]
mod tests;
