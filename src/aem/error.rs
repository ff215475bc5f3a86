//! Errors of the AEM client: what happened and what the operator can do. None of them carries a
//! password, token or key.

use thiserror::Error;

#[derive(Clone, Debug, Error)]
pub enum AemError {
    /// A write was asked of a client made read-only (`--read-only`); nothing was sent.
    #[error("--read-only is set: {method} {path} would change AEM, so it was not sent")]
    ReadOnly { method: String, path: String },
    #[error(
        "cannot reach AEM at {url}: {detail}. Is the author running, and is its URL right (--url, or the profile's url)?"
    )]
    Unreachable { url: String, detail: String },
    #[error(
        "AEM at {url} did not answer {what} within {secs} s; it may be overloaded (raise --timeout) or unreachable"
    )]
    Timeout {
        url: String,
        what: String,
        secs: u64,
    },
    #[error("TLS with {url} failed: {detail}. {advice}")]
    Tls {
        url: String,
        detail: String,
        /// What to do: from the certificate the server showed, when it could be read.
        advice: String,
    },
    #[error(
        "AEM rejected the credentials for user {user} (401); check the password (AEM_PASSWORD or --password-env)"
    )]
    Unauthorized { user: String },
    #[error("AEM refused {method} {path} (403): {hint}")]
    Forbidden {
        method: String,
        path: String,
        hint: String,
    },
    #[error("{path} does not exist on this author (404)")]
    NotFound { path: String },
    #[error("AEM at {url} is starting or restarting (503); try again in a moment")]
    Unavailable { url: String },
    #[error("AEM answered {status} to {method} {path}: {detail}")]
    Status {
        method: String,
        path: String,
        status: u16,
        detail: String,
    },
    #[error("{url} does not look like an AEM author: {detail}")]
    NotAem { url: String, detail: String },
    #[error("unexpected answer from {path}: {detail}")]
    UnexpectedBody { path: String, detail: String },
    #[error("{0}")]
    Invalid(String),
}

/// After a failed read, when to read again by itself: the one policy of the TUI's reads of
/// the integration and of the queue pollers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retry {
    /// The author may come back (unreachable, timeout, 503, 5xx): back off exponentially.
    Backoff,
    /// Something else went wrong (a broken answer, a missing page): try again, slowly.
    Slowly,
    /// Rejected credentials (LDAP/SSO lockout policies) or a usage error: never by itself;
    /// the operator fixes it and asks again.
    Never,
}

impl Retry {
    /// The wait before attempt `failures + 1`, or `None` to wait for the operator.
    pub fn delay(
        self,
        failures: u32,
        base: std::time::Duration,
        max: std::time::Duration,
    ) -> Option<std::time::Duration> {
        match self {
            Retry::Never => None,
            Retry::Slowly => Some(max),
            Retry::Backoff => Some(base.saturating_mul(1u32 << failures.min(10)).min(max)),
        }
    }
}

impl AemError {
    pub fn retry(&self) -> Retry {
        match self {
            AemError::Unauthorized { .. }
            | AemError::Forbidden { .. }
            | AemError::Invalid(_)
            | AemError::ReadOnly { .. } => Retry::Never,
            e if e.is_transient() => Retry::Backoff,
            _ => Retry::Slowly,
        }
    }

    /// Failures worth retrying later (the author may come back).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            AemError::Unreachable { .. } | AemError::Timeout { .. } | AemError::Unavailable { .. }
        ) || matches!(self, AemError::Status { status, .. } if *status >= 500)
    }
    /// AEM could not be reached or did not answer in time (no HTTP status at all).
    pub fn is_unreachable(&self) -> bool {
        matches!(
            self,
            AemError::Unreachable { .. } | AemError::Timeout { .. } | AemError::Tls { .. }
        )
    }
    pub fn is_not_found(&self) -> bool {
        matches!(self, AemError::NotFound { .. })
    }
}

/// The text of an HTML error page or Sling response, shortened for a message.
pub fn html_summary(body: &str) -> String {
    if let Some(m) = super::html::text_by_id(body, "Message").filter(|m| !m.is_empty()) {
        return m;
    }
    let text = super::html::text(body);
    let text: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    truncate(&text, 200)
}

pub fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(max).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries() {
        let sling = r#"<tr><td>Message</td><td><div id="Message">javax.jcr.X: boom &amp; more</div></td></tr>"#;
        assert_eq!(html_summary(sling), "javax.jcr.X: boom & more");
        assert_eq!(html_summary("<h1>Not  Found</h1>\n<p>x</p>"), "Not Found x");
        assert_eq!(truncate("abcdef", 3), "abc…");
    }
}
