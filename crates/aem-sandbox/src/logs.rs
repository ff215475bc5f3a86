//! What the author writes to its logs: the lines of an agent log and of a Test Connection
//! transcript ([`AgentLine`]), the world-level `error.log` ([`ErrorLog`]), and the two ways of
//! wording them ([`LogDialect`]).
//!
//! `Classic` is the sandbox's long-standing phrasing, stamped in UTC. `Terse` tells the same
//! events in other words, stamped in the author's time zone (Asia/Kolkata), and leaves the IMS
//! token failure out of the agent log: Granite writes it to `error.log` only, and the agent log
//! then shows nothing but the tenant's `401` for the request sent without a token. A client
//! that reads these logs can rely on what a real author keeps stable (Java class names, HTTP
//! status codes, IMS error codes and bodies), never on the sentences around them.

use chrono::{DateTime, FixedOffset, Offset, Utc};

pub use super::errorlog::{ErrorLog, Level, grep_matches};

/// Lines an agent log and `error.log` keep; older lines drop off the front.
pub const LOG_CAPACITY: usize = 2000;
/// The appender the log tailer serves.
pub const ERROR_LOG: &str = "/logs/error.log";

/// How the author words its logs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum LogDialect {
    /// The sandbox's own wording, timestamps in UTC.
    #[default]
    Classic,
    /// Other words for the same events, timestamps in Asia/Kolkata; IMS token failures in
    /// error.log only.
    Terse,
}

/// Asia/Kolkata: +05:30 all year.
const KOLKATA_SECONDS: i32 = 5 * 3600 + 30 * 60;

impl LogDialect {
    /// The author's `user.timezone`.
    pub fn zone(self) -> &'static str {
        match self {
            LogDialect::Classic => "UTC",
            LogDialect::Terse => "Asia/Kolkata",
        }
    }

    fn offset(self) -> FixedOffset {
        let seconds = match self {
            LogDialect::Classic => 0,
            LogDialect::Terse => KOLKATA_SECONDS,
        };
        FixedOffset::east_opt(seconds).unwrap_or_else(|| Utc.fix())
    }

    fn local(self, ms: i64) -> DateTime<FixedOffset> {
        DateTime::from_timestamp_millis(ms)
            .unwrap_or_default()
            .with_timezone(&self.offset())
    }

    /// `dd.MM.yyyy HH:mm:ss`, as agent logs and transcripts stamp a line.
    pub fn stamp(self, ms: i64) -> String {
        self.local(ms).format("%d.%m.%Y %H:%M:%S").to_string()
    }

    /// `dd.MM.yyyy HH:mm:ss.SSS`, as error.log stamps a line.
    pub fn stamp_millis(self, ms: i64) -> String {
        self.local(ms).format("%d.%m.%Y %H:%M:%S%.3f").to_string()
    }
}

/// The replication action a line speaks of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Action {
    /// As queued: `Activate`, `Test`, …
    pub kind: String,
    pub path: String,
    pub user: String,
    pub time: i64,
}

impl Action {
    fn upper(&self) -> String {
        self.kind.to_ascii_uppercase()
    }

    /// `ReplicationAction{type=ACTIVATE, path[0]='…', time=…, userId='…', revision='null'}`.
    pub fn text(&self) -> String {
        format!(
            "ReplicationAction{{type={}, path[0]='{}', time={}, userId='{}', revision='null'}}",
            self.upper(),
            self.path,
            self.time,
            self.user
        )
    }
}

/// Why a transfer failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cause {
    UnknownHost {
        host: String,
    },
    Refused {
        uri: String,
    },
    Timeout {
        uri: String,
    },
    /// The receiver answered an HTTP error.
    Status {
        uri: String,
        status: u16,
        reason: String,
    },
}

/// `host:port` of a URI (the port only when it has one), or the URI itself.
fn authority(uri: &str) -> String {
    match url::Url::parse(uri) {
        Ok(u) => match (u.host_str(), u.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_string(),
            _ => uri.to_string(),
        },
        Err(_) => uri.to_string(),
    }
}

/// One line of an agent log or a Test Connection transcript.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AgentLine {
    /// Test Connection started (agent log only; the transcript has it as its heading).
    TestStarted {
        uri: String,
    },
    NewClient {
        agent: String,
    },
    HttpVersion,
    Sending {
        uri: String,
    },
    TokenObtained {
        provider: String,
    },
    /// IMS refused the token request.
    TokenFailure {
        status: u16,
        body: String,
    },
    /// The request goes out without a bearer token.
    NoToken,
    ImsConfigMissing {
        id: String,
    },
    KeyStoreMissing {
        user: String,
    },
    NoSuchAlias {
        user: String,
        alias: String,
    },
    InvalidKey {
        reason: String,
    },
    Impersonation {
        mac: String,
        action: Action,
    },
    NoCloudConfig {
        uri: String,
    },
    Header {
        name: &'static str,
        value: String,
    },
    Serialize,
    EmptyBody,
    /// The receiver's status line.
    Answer {
        status: u16,
        reason: String,
    },
    Separator,
    ReceiverSaid {
        body: String,
    },
    MessageSent,
    Succeeded {
        action: Action,
        millis: u64,
    },
    TransferFailed {
        action: Action,
        cause: Cause,
    },
    ReplicationFailed {
        action: Action,
    },
    QueueBlocked {
        retry_ms: i64,
    },
    QueuePaused,
    QueueResumed,
    QueueCleared {
        removed: usize,
    },
    QueueClearedJmx,
    ForceRetry,
}

impl AgentLine {
    /// The line as `dialect` writes it (without its timestamp); `None` when that dialect
    /// does not write it to an agent log.
    pub fn render(&self, dialect: LogDialect) -> Option<String> {
        match dialect {
            LogDialect::Classic => Some(self.classic()),
            LogDialect::Terse => self.terse(),
        }
    }

    fn classic(&self) -> String {
        use AgentLine::*;
        match self {
            TestStarted { uri } => format!("Replication test to {uri}"),
            NewClient { agent } => format!("Create new HttpClient for {agent}"),
            HttpVersion => "* HTTP Version: 1.1".into(),
            Sending { uri } => format!("Sending POST request to {uri}"),
            TokenObtained { provider } => {
                format!("* Bearer token from the access token provider of {provider}")
            }
            TokenFailure { status, body } => format!(
                "com.adobe.granite.auth.oauth.AccessTokenProvider failed to get access token from authorization server status: {status} response: {body}"
            ),
            NoToken => "* No access token: sending the request without authorization".into(),
            ImsConfigMissing { id } => format!(
                "java.lang.IllegalStateException: no access token provider configured with id '{id}' (IMS configuration missing)"
            ),
            KeyStoreMissing { user } => format!(
                "com.adobe.granite.keystore.KeyStoreNotInitialisedException: Uninitialised key store for user {user}"
            ),
            NoSuchAlias { user, alias } => format!(
                "java.security.KeyStoreException: no private key with alias '{alias}' in the key store of {user}"
            ),
            InvalidKey { reason } => format!("java.security.InvalidKeyException: {reason}"),
            Impersonation { mac, .. } => format!(
                "Error while replicating: com.day.cq.replication.ReplicationException: org.apache.sling.api.resource.LoginException: Unable to impersonate user {mac}"
            ),
            NoCloudConfig { uri } => format!(
                "Error while replicating: com.day.cq.replication.ReplicationException: no Brand Portal cloud configuration matches {uri}"
            ),
            Header { name, value } => format!("adding header: {name}:{value}"),
            Serialize => "deserialize content for delivery".into(),
            EmptyBody => "No message body: Content ReplicationContent.VOID is empty".into(),
            Answer { status, reason } => format!("sent. Response: {status} {reason}"),
            Separator => "------------------------------------------------".into(),
            ReceiverSaid { body } => format!("<< {body}"),
            MessageSent => "Message sent.".into(),
            Succeeded { action, .. } => {
                format!(
                    "Replication ({}) of {} successful.",
                    action.upper(),
                    action.path
                )
            }
            TransferFailed { action, cause } => {
                let cause = match cause {
                    Cause::UnknownHost { host } => format!("java.net.UnknownHostException: {host}"),
                    Cause::Refused { uri } => format!(
                        "java.net.ConnectException: Failed to execute request '{uri}': Connection refused (Connection refused)"
                    ),
                    Cause::Timeout { uri } => format!(
                        "java.net.SocketTimeoutException: Failed to execute request '{uri}': Read timed out"
                    ),
                    Cause::Status {
                        uri,
                        status,
                        reason,
                    } => format!(
                        "java.io.IOException: Failed to execute request '{uri}': Server returned status code {status} with message: {reason}."
                    ),
                };
                format!("Transfer failed for {}. {cause}", action.text())
            }
            ReplicationFailed { action } => format!(
                "Error while replicating: com.day.cq.replication.ReplicationException: Transfer failed for {}",
                action.text()
            ),
            QueueBlocked { retry_ms } => format!("Queue blocked; next retry in {retry_ms} ms"),
            QueuePaused => "Queue paused".into(),
            QueueResumed => "Queue resumed".into(),
            QueueCleared { removed } => format!("Queue cleared ({removed} entries removed)"),
            QueueClearedJmx => "Queue cleared through JMX".into(),
            ForceRetry => "Force retry requested".into(),
        }
    }

    fn terse(&self) -> Option<String> {
        use AgentLine::*;
        Some(match self {
            TestStarted { uri } => format!("Connection test requested for {uri}"),
            NewClient { agent } => format!("HttpClient instance created for agent \"{agent}\""),
            HttpVersion => "* Protocol: HTTP/1.1".into(),
            Sending { uri } => format!(">> POST {uri} HTTP/1.1"),
            TokenObtained { .. } => ">> Authorization: Bearer ********".into(),
            // Granite logs these to error.log; the agent log does not know a token was missing.
            TokenFailure { .. } | NoToken => return None,
            ImsConfigMissing { id } => {
                format!("No access token provider with id '{id}' (java.lang.IllegalStateException)")
            }
            KeyStoreMissing { user } => format!(
                "Key pair of {user} unavailable: com.adobe.granite.keystore.KeyStoreNotInitialisedException"
            ),
            NoSuchAlias { user, alias } => format!(
                "Key pair of {user} unavailable: java.security.KeyStoreException: alias '{alias}' not found"
            ),
            InvalidKey { reason } => {
                format!(
                    "Cannot sign the token request: java.security.InvalidKeyException: {reason}"
                )
            }
            Impersonation { mac, action } => format!(
                "Replication action {} of {} failed: org.apache.sling.api.resource.LoginException: cannot impersonate {mac}",
                action.upper(),
                action.path
            ),
            NoCloudConfig { uri } => format!(
                "com.day.cq.replication.ReplicationException: no cloud service configuration covers {uri}"
            ),
            Header { name, value } => format!(">> {name}: {value}"),
            Serialize => "Serializing content (durbo)".into(),
            EmptyBody => ">> Content-Length: 0".into(),
            Answer { status, reason } => format!("<< HTTP/1.1 {status} {reason}"),
            Separator | MessageSent => return None,
            ReceiverSaid { body } => format!("Receiver answered: {body}"),
            Succeeded { action, millis } => {
                format!("Transfer succeeded in {millis} ms for {}", action.text())
            }
            TransferFailed { cause, .. } => match cause {
                Cause::UnknownHost { host } => format!(
                    "I/O error while sending to {host}: java.net.UnknownHostException: {host}: Name or service not known"
                ),
                Cause::Refused { uri } => format!(
                    "I/O error while sending to {}: java.net.ConnectException: Connection refused",
                    authority(uri)
                ),
                Cause::Timeout { uri } => format!(
                    "I/O error while sending to {}: java.net.SocketTimeoutException: Read timed out",
                    authority(uri)
                ),
                Cause::Status { status, .. } => format!("Request failed with HTTP {status}"),
            },
            ReplicationFailed { action } => format!(
                "com.day.cq.replication.ReplicationException: Replication action {} of {} failed",
                action.upper(),
                action.path
            ),
            QueueBlocked { retry_ms } => {
                format!("Queue blocked, will retry in {} s", (retry_ms + 999) / 1000)
            }
            QueuePaused => "Queue processing suspended".into(),
            QueueResumed => "Queue processing resumed".into(),
            QueueCleared { removed } => format!("Removed {removed} items from the queue"),
            QueueClearedJmx => "Queue emptied by JMX operation queueClear".into(),
            ForceRetry => "Retry forced by JMX operation queueForceRetry".into(),
        })
    }

    /// The logger and message this line leaves in error.log, when it is an error there.
    pub fn error_entry(&self, dialect: LogDialect) -> Option<(&'static str, String)> {
        use AgentLine::*;
        let classic = dialect == LogDialect::Classic;
        match self {
            TokenFailure { status, body } => Some(if classic {
                (
                    "com.adobe.granite.auth.oauth.AccessTokenProvider",
                    format!(
                        "failed to get access token from authorization server status: {status} response: {body}"
                    ),
                )
            } else {
                (
                    "com.adobe.granite.auth.oauth.impl.AccessTokenProvider",
                    format!(
                        "Token request to the authorization server was refused, status: {status} response: {body}"
                    ),
                )
            }),
            KeyStoreMissing { .. } | NoSuchAlias { .. } => Some((
                "com.adobe.granite.keystore.internal.KeyStoreServiceImpl",
                self.render(dialect)?,
            )),
            InvalidKey { .. } => Some((
                "com.adobe.granite.auth.oauth.AccessTokenProvider",
                self.render(dialect)?,
            )),
            ImsConfigMissing { .. } => Some((
                "com.day.cq.replication.impl.ReplicatorImpl",
                self.render(dialect)?,
            )),
            Impersonation { mac, action } => Some((
                "com.day.cq.replication.impl.ReplicatorImpl",
                if classic {
                    format!(
                        "Error while replicating org.apache.sling.api.resource.LoginException: Unable to impersonate user {mac}"
                    )
                } else {
                    format!(
                        "Cannot serialize {} as {mac}: org.apache.sling.api.resource.LoginException: impersonation refused",
                        action.path
                    )
                },
            )),
            _ => None,
        }
    }

    /// One line of every kind, with fixed values: what `tests/fixtures/aem-log-lines.toml`
    /// must hold in both dialects.
    pub fn samples() -> Vec<AgentLine> {
        use AgentLine::*;
        let uri = "https://wknd.brand-portal.adobe.com/content/dam/mac/wknd/_replication";
        let activate = Action {
            kind: "Activate".into(),
            path: "/content/dam/wknd/en/adventures/asset-00001.jpg".into(),
            user: "admin".into(),
            time: 1_764_943_331_123,
        };
        let test = Action {
            kind: "Test".into(),
            path: "/content/dam".into(),
            user: "admin".into(),
            time: 1_764_943_331_123,
        };
        let mac = "mac-wknd-replication";
        vec![
            TestStarted { uri: uri.into() },
            NewClient {
                agent: "Brand Portal Replication Agent 1 (wknd)".into(),
            },
            HttpVersion,
            Sending { uri: uri.into() },
            TokenObtained {
                provider: "/conf/global/settings/cloudconfigs/mediaportal/brand-portal".into(),
            },
            TokenFailure {
                status: 401,
                body: r#"{"error_description":"invalid client_secret parameter","error":"invalid_client"}"#
                    .into(),
            },
            NoToken,
            ImsConfigMissing {
                id: "brandportal-ims".into(),
            },
            KeyStoreMissing {
                user: "brandportal-imsconfig-service".into(),
            },
            NoSuchAlias {
                user: "brandportal-imsconfig-service".into(),
                alias: "brandportal".into(),
            },
            InvalidKey {
                reason: "invalid key format".into(),
            },
            Impersonation {
                mac: mac.into(),
                action: activate.clone(),
            },
            NoCloudConfig { uri: uri.into() },
            Header {
                name: "Action",
                value: "Test".into(),
            },
            Serialize,
            EmptyBody,
            Answer {
                status: 401,
                reason: "Unauthorized".into(),
            },
            Separator,
            ReceiverSaid {
                body: "ReplicationAction TEST ok.".into(),
            },
            MessageSent,
            Succeeded {
                action: test.clone(),
                millis: 141,
            },
            TransferFailed {
                action: activate.clone(),
                cause: Cause::UnknownHost {
                    host: "wknd-assets.brand-portal.adobe.com".into(),
                },
            },
            TransferFailed {
                action: activate.clone(),
                cause: Cause::Refused {
                    uri: "http://127.0.0.1:4503/bin/receive".into(),
                },
            },
            TransferFailed {
                action: activate.clone(),
                cause: Cause::Timeout { uri: uri.into() },
            },
            TransferFailed {
                action: activate.clone(),
                cause: Cause::Status {
                    uri: uri.into(),
                    status: 503,
                    reason: "Service Unavailable".into(),
                },
            },
            ReplicationFailed { action: activate },
            QueueBlocked { retry_ms: 30_000 },
            QueuePaused,
            QueueResumed,
            QueueCleared { removed: 12 },
            QueueClearedJmx,
            ForceRetry,
        ]
    }
}

#[cfg(test)]
#[path = "logs_tests.rs"]
mod tests;
