//! What a failure means: AEM's log events (`crate::evidence::logs`) read into the cause of a
//! failure in the operator's words, with the fix (Adobe's troubleshooting pages,
//! `ims-and-brand-portal.md` §5.7, and the IMS error codes of §7). Which cause wins when
//! several pieces of evidence speak is `diagnosis`'s to say.

use crate::evidence::{Entry, LogEvent, NetworkKind};
use serde::Serialize;

/// The kinds of failure AEM's log lines tell apart.
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum CauseKind {
    /// IMS: 401 `invalid_client` — the client secret AEM stores is wrong or was rotated.
    WrongSecret,
    /// IMS: 400 `invalid_client` — the client id is unknown to IMS (or `aud` names another).
    UnknownClient,
    /// IMS: JWT refused since Adobe retired JWT credentials.
    JwtRetired,
    /// IMS: `invalid_token` on the signature — the Console no longer holds AEM's certificate.
    SignatureRefused,
    /// IMS: `invalid_token` for the JWT's own claims (exp, format).
    BadJwt,
    /// IMS: `invalid_scope` — the project lacks the API, or the scopes do not match it.
    ScopeMissing,
    /// IMS: 429.
    ImsRateLimited,
    /// IMS refused for another reason.
    ImsRefused,
    /// AEM: the service user's keystore is missing or has no such alias.
    KeyMissing,
    /// AEM: the cloud configuration names an IMS configuration that does not exist.
    ImsConfigMissing,
    /// Brand Portal answered 401 to a request AEM sent.
    TenantRefused,
    /// Brand Portal answered 5xx.
    TenantDown,
    /// The Service URL's host does not resolve.
    UnknownHost,
    /// The connection timed out.
    Timeout,
    /// The connection was refused or reset.
    Unreachable,
    /// The user the agent publishes as (the MAC user) does not exist.
    MacUserMissing,
    /// Brand Portal answers 401 and the MAC user holds a key other than the current one.
    MacKeyStale,
    /// AEM sent without a token, and nothing it logged says why.
    TokenMissing,
    /// AEM's own Check Health, recorded here, found it cannot obtain a token.
    CheckFailed,
    /// TLS between AEM and the tenant fails (trust store, handshake).
    Tls,
    /// A bundle the integration needs is not Active (`verdict::bundles`): nothing replicates.
    BundleInactive,
    /// A replication failed and nothing AEM logged says why.
    Unexplained,
}

/// A failure explained.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Cause {
    pub kind: CauseKind,
    /// What went wrong, in the operator's words.
    pub cause: String,
    /// What to do about it.
    pub fix: String,
    /// The brandlink command that applies the fix, when there is one.
    pub command: Option<String>,
    /// The line of AEM's that says so.
    pub evidence: String,
    /// A few words naming what failed, where the kind's label is too general (the bundle).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub named: Option<String>,
}

impl Cause {
    /// A few words for a one-line finding, an alert or a step: what failed, by name where
    /// the rulebook knows it.
    pub fn label(&self) -> String {
        self.named
            .clone()
            .unwrap_or_else(|| self.kind.label().to_string())
    }
}

impl CauseKind {
    /// A few words for a one-line finding.
    pub fn label(self) -> &'static str {
        match self {
            CauseKind::WrongSecret => "IMS refuses the stored client secret",
            CauseKind::UnknownClient => "IMS does not know the client id",
            CauseKind::JwtRetired => "IMS refuses the retired JWT credential",
            CauseKind::SignatureRefused => "IMS cannot match AEM's signature to a certificate",
            CauseKind::BadJwt => "IMS refuses the JWT AEM builds",
            CauseKind::ScopeMissing => "IMS refuses the scopes",
            CauseKind::ImsRateLimited => "IMS rate-limits AEM (429)",
            CauseKind::ImsRefused => "IMS refuses the token request",
            CauseKind::KeyMissing => "AEM has no private key to sign with",
            CauseKind::ImsConfigMissing => "the IMS configuration named is missing",
            CauseKind::TenantRefused => "Brand Portal answers 401 unauthorized",
            CauseKind::TenantDown => "Brand Portal answers 5xx",
            CauseKind::UnknownHost => "the tenant's host does not resolve",
            CauseKind::Timeout => "requests to Brand Portal time out",
            CauseKind::Unreachable => "AEM cannot connect to Brand Portal",
            CauseKind::MacUserMissing => "the MAC user is missing",
            CauseKind::MacKeyStale => "Brand Portal answers 401: the MAC user holds an old key",
            CauseKind::TokenMissing => "AEM sends without an IMS token",
            CauseKind::CheckFailed => "AEM's Check Health cannot obtain a token",
            CauseKind::Tls => "TLS to Brand Portal fails",
            CauseKind::BundleInactive => "a bundle replication needs is not active",
            CauseKind::Unexplained => "the logs do not say why",
        }
    }

    /// Whether the queue drains by itself once the other side is back (outage, timeout,
    /// rate limit), as opposed to credentials or configuration that must be fixed.
    pub fn transient(self) -> bool {
        matches!(
            self,
            CauseKind::TenantDown
                | CauseKind::Timeout
                | CauseKind::ImsRateLimited
                | CauseKind::Unreachable
        )
    }

    /// Whether AEM cannot obtain a token with the credential it stores: the Account step
    /// fails on these.
    pub fn credential_refused(self) -> bool {
        matches!(
            self,
            CauseKind::WrongSecret
                | CauseKind::UnknownClient
                | CauseKind::JwtRetired
                | CauseKind::SignatureRefused
                | CauseKind::BadJwt
                | CauseKind::ScopeMissing
                | CauseKind::KeyMissing
                | CauseKind::CheckFailed
        )
    }

    /// Whether the cause is about the token (so it explains a tenant's 401 that follows).
    pub fn about_token(self) -> bool {
        self.credential_refused()
            || matches!(
                self,
                CauseKind::ImsRateLimited | CauseKind::ImsRefused | CauseKind::TokenMissing
            )
    }

    /// How strongly a cause explains a failure it appears in: AEM's own failures (token, key,
    /// user) come before the tenant's answer to the request AEM then sent.
    fn rank(self) -> u8 {
        match self {
            // "Sent without a token" says less than the failure that says why.
            CauseKind::TokenMissing => 2,
            k if k.about_token() => 0,
            CauseKind::ImsConfigMissing | CauseKind::MacUserMissing => 1,
            CauseKind::UnknownHost
            | CauseKind::Timeout
            | CauseKind::Unreachable
            | CauseKind::Tls => 3,
            CauseKind::TenantDown | CauseKind::TenantRefused | CauseKind::MacKeyStale => 4,
            _ => 5,
        }
    }
}

fn cause(kind: CauseKind, cause: &str, fix: &str, command: Option<&str>, evidence: &str) -> Cause {
    Cause {
        kind,
        cause: cause.to_string(),
        fix: fix.to_string(),
        command: command.map(str::to_string),
        evidence: evidence.to_string(),
        named: None,
    }
}

/// The cause of a token failure IMS explained (status, error code, description).
fn token_cause(
    status: Option<u16>,
    code: Option<&str>,
    description: Option<&str>,
    line: &str,
) -> Cause {
    let d = description.unwrap_or("").to_ascii_lowercase();
    let code = code.unwrap_or("");
    let described = description.unwrap_or(code);
    let mk = |kind, c: &str, fix: &str, command| cause(kind, c, fix, command, line);
    if d.contains("end of life")
        || d.contains("no longer supported")
        || (d.contains("jwt") && (d.contains("retired") || d.contains("deprecated")))
        || (code == "invalid_client" && d.contains("exchange_jwt"))
    {
        return mk(
            CauseKind::JwtRetired,
            "IMS refuses AEM's JWT credential: Adobe has retired JWT",
            "convert the IMS configuration to OAuth Server-to-Server in place (same client id; the Console's OAuth credential gives the secret and scopes)",
            Some("brandlink account migrate"),
        );
    }
    if status == Some(429) || code == "too_many_requests" {
        return mk(
            CauseKind::ImsRateLimited,
            "IMS is rate-limiting AEM's token requests (429)",
            "wait: AEM retries, and the queues drain once IMS answers again",
            None,
        );
    }
    match code {
        "invalid_client" if status == Some(401) || d.contains("secret") => mk(
            CauseKind::WrongSecret,
            "IMS refuses the client secret AEM stores (wrong, or rotated in the Console)",
            "copy the current client secret from the Developer Console into the IMS configuration",
            Some("brandlink account update --secret"),
        ),
        "invalid_client" => mk(
            CauseKind::UnknownClient,
            &format!("IMS does not know the client id AEM sends ({described})"),
            "check the client id (API key) and the authorization server against the Developer Console project",
            Some("brandlink account update --api-key ID"),
        ),
        "invalid_token" | "invalid_signature"
            if d.contains("signature") || d.contains("binding") =>
        {
            mk(
                CauseKind::SignatureRefused,
                "IMS cannot match AEM's signature to a current certificate of the project: the certificate was never uploaded to the Developer Console, the key pair was replaced since, or the certificate expired",
                "upload AEM's current certificate (AEM-Adobe-IMS.crt) to the project — or better, migrate to OAuth Server-to-Server, which needs no certificate",
                Some("brandlink account migrate"),
            )
        }
        "invalid_token" | "invalid_signature" | "bad_request" => mk(
            CauseKind::BadJwt,
            &format!("IMS refuses the JWT AEM builds ({described})"),
            "paste the JWT payload from the Developer Console again, or migrate to OAuth Server-to-Server",
            Some("brandlink account migrate"),
        ),
        "invalid_scope" => mk(
            CauseKind::ScopeMissing,
            &format!(
                "IMS refuses the scopes ({described}): the project lacks the Brand Portal API, or the scopes AEM sends are not the project's"
            ),
            "add the AEM Brand Portal API to the Developer Console project and copy its scopes (comma-separated) into the IMS configuration",
            Some("brandlink account update --scopes LIST"),
        ),
        _ => mk(
            CauseKind::ImsRefused,
            &format!(
                "IMS refuses AEM's token request ({} {code}: {described})",
                status.map(|s| s.to_string()).unwrap_or_default()
            ),
            "open the IMS configuration, Save & Close it and check its health; if it persists, re-enter the Console values",
            Some("brandlink account check"),
        ),
    }
}

/// The cause one event names, when it is a failure this module knows.
pub fn of_event(e: &Entry) -> Option<Cause> {
    let line = e.text.as_str();
    let mk = |kind, c: &str, fix: &str, command| Some(cause(kind, c, fix, command, line));
    match &e.event {
        LogEvent::TokenFailure {
            status,
            code,
            description,
        } => Some(token_cause(
            *status,
            code.as_deref(),
            description.as_deref(),
            line,
        )),
        LogEvent::KeystoreError => mk(
            CauseKind::KeyMissing,
            "AEM has no private key for the IMS configuration: the service user's keystore or its alias is missing",
            "create the key pair again and upload its certificate — or migrate to OAuth Server-to-Server, which needs no key",
            Some("brandlink cert create"),
        ),
        LogEvent::ImsConfigMissing => mk(
            CauseKind::ImsConfigMissing,
            "the cloud configuration names an IMS configuration that does not exist",
            "choose the Brand Portal IMS configuration in the cloud configuration again",
            Some("brandlink cloud create"),
        ),
        LogEvent::ImpersonationFailure { .. } => mk(
            CauseKind::MacUserMissing,
            "the agents publish as a MAC user that AEM cannot use (it does not exist)",
            "configure anew: the upgrade backs up and removes agents and cloud configuration; saving the cloud configuration creates the MAC user",
            Some("brandlink upgrade"),
        ),
        LogEvent::NetworkError { network } => match network {
            NetworkKind::UnknownHost => mk(
                CauseKind::UnknownHost,
                "the tenant's host name does not resolve from the author: the Service URL is mistyped or an alias, or the author's DNS fails",
                "check the Service URL (the doctor's cloud.service-url line) and the author's DNS for the tenant's host",
                None,
            ),
            NetworkKind::Timeout => mk(
                CauseKind::Timeout,
                "requests to Brand Portal time out",
                "set Close Connection on all four agents (Adobe's fix for publish timeouts)",
                Some("brandlink agents --close-connection"),
            ),
            NetworkKind::Tls => mk(
                CauseKind::Tls,
                "TLS between AEM and Brand Portal fails (AEM's trust store or the handshake)",
                "check the author's global trust store and outbound TLS proxy for the tenant's host",
                None,
            ),
            NetworkKind::Refused | NetworkKind::Reset => mk(
                CauseKind::Unreachable,
                "AEM cannot connect to Brand Portal (refused or reset)",
                "check the author's outbound proxy and firewall for the tenant's host",
                None,
            ),
        },
        LogEvent::NoToken => mk(
            CauseKind::TokenMissing,
            "AEM sent the request without an IMS token, and nothing it logged says why",
            "check whether AEM obtains a token (Check Health) and read error.log for AccessTokenProvider",
            Some("brandlink account check"),
        ),
        LogEvent::TenantAnswer { status: 401 } => mk(
            CauseKind::TenantRefused,
            "Brand Portal refuses AEM's requests (401 unauthorized), and nothing else AEM logged says why",
            "check first whether AEM obtains a token (Check Health); Adobe's other documented cause, a MAC user without the current key, shows in the doctor's mac.keystore line",
            Some("brandlink account check"),
        ),
        LogEvent::TenantAnswer { status } if (500..600).contains(status) => mk(
            CauseKind::TenantDown,
            &format!("Brand Portal answers {status}: the trouble is on Adobe's side"),
            "wait for the tenant to come back (status.adobe.com); the queues retry and drain by themselves",
            None,
        ),
        _ => None,
    }
}

/// A blocked queue that nothing read explains (a success since cleared its failures, or its
/// log cannot be read): the next check, in the same words on every front.
pub fn unexplained_block() -> Cause {
    cause(
        CauseKind::Unexplained,
        "nothing AEM logged since the queue's last success says why it is blocked",
        "run Test Connection and fix what it reports; AEM retries the queue by itself",
        Some("brandlink agents --test"),
        "",
    )
}

/// The root cause of the most recent failure in `entries` (oldest first), after the last
/// success; `None` when nothing since then is a failure this module knows. AEM's own failure
/// (the token, the key, the user) beats the tenant's answer to the request it then sent.
pub fn explain(entries: &[Entry]) -> Option<Cause> {
    let recent = crate::evidence::logs::since_last_success(entries);
    let causes: Vec<Cause> = recent.iter().filter_map(of_event).collect();
    let best = causes.iter().map(|c| c.kind.rank()).min()?;
    causes.into_iter().rev().find(|c| c.kind.rank() == best)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::logs::{LogSource, entries};

    fn ims(status: u16, body: &str) -> String {
        format!(
            "com.adobe.granite.auth.oauth.AccessTokenProvider failed to get access token from authorization server status: {status} response: {body}"
        )
    }

    fn kind(lines: &[String]) -> Option<CauseKind> {
        explain(&entries(lines, LogSource::Agent, None)).map(|c| c.kind)
    }

    #[test]
    fn ims_errors_are_told_apart() {
        let one = |l: String| kind(&[l]);
        assert_eq!(
            one(ims(
                401,
                r#"{"error_description":"invalid client_secret parameter","error":"invalid_client"}"#
            )),
            Some(CauseKind::WrongSecret)
        );
        assert_eq!(
            one(ims(
                400,
                r#"{"error_description":"invalid client_id parameter","error":"invalid_client"}"#
            )),
            Some(CauseKind::UnknownClient)
        );
        assert_eq!(
            one(ims(
                400,
                r#"{"error_description":"JWT credentials have reached end of life; migrate to OAuth Server-to-Server","error":"invalid_client"}"#
            )),
            Some(CauseKind::JwtRetired)
        );
        assert_eq!(
            one(ims(
                400,
                r#"{"error_description":"JWT credentials are no longer supported","error":"invalid_client"}"#
            )),
            Some(CauseKind::JwtRetired)
        );
        assert_eq!(
            one(ims(
                400,
                r#"{"error_description":"Could not match JWT signature to any of the bindings","error":"invalid_token"}"#
            )),
            Some(CauseKind::SignatureRefused)
        );
        assert_eq!(
            one(ims(
                400,
                r#"{"error_description":"invalid scope 'x'","error":"invalid_scope"}"#
            )),
            Some(CauseKind::ScopeMissing)
        );
        assert_eq!(
            one(ims(429, r#"{"error":"too_many_requests"}"#)),
            Some(CauseKind::ImsRateLimited)
        );
        assert_eq!(one(ims(400, "garbage")), Some(CauseKind::ImsRefused));
    }

    #[test]
    fn the_token_failure_beats_the_401_it_causes() {
        let lines = [
            ims(401, r#"{"error":"invalid_client","error_description":"invalid client_secret parameter"}"#),
            "sent. Response: 401 Unauthorized".into(),
            "Transfer failed for X. java.io.IOException: Failed to execute request 'u': Server returned status code 401 with message: Unauthorized.".into(),
        ];
        assert_eq!(kind(&lines), Some(CauseKind::WrongSecret));
        let es = entries(
            &["01.12.2026 02:42:10 - sent. Response: 503 Service Unavailable"],
            LogSource::Agent,
            None,
        );
        assert_eq!(
            explain(&es).map(|c| c.evidence).as_deref(),
            Some("sent. Response: 503 Service Unavailable")
        );
    }

    #[test]
    fn tenant_and_network_failures() {
        let one = |l: &str| kind(&[l.to_string()]);
        assert_eq!(
            one("sent. Response: 401 Unauthorized"),
            Some(CauseKind::TenantRefused)
        );
        assert_eq!(
            one("<< HTTP/1.1 503 Service Unavailable"),
            Some(CauseKind::TenantDown)
        );
        assert_eq!(
            one(
                "Transfer failed for X. java.net.UnknownHostException: wknd-assets.brand-portal.adobe.com"
            ),
            Some(CauseKind::UnknownHost)
        );
        assert_eq!(
            one("java.net.SocketTimeoutException: Read timed out"),
            Some(CauseKind::Timeout)
        );
        assert_eq!(
            one("java.net.ConnectException: Connection refused"),
            Some(CauseKind::Unreachable)
        );
        assert_eq!(
            one("java.security.KeyStoreException: no private key with alias 'x' in the key store"),
            Some(CauseKind::KeyMissing)
        );
        assert_eq!(one("Queue paused"), None);
        assert!(CauseKind::TenantDown.transient());
        assert!(!CauseKind::WrongSecret.transient());
    }

    #[test]
    fn a_success_clears_what_came_before() {
        let lines = [
            "sent. Response: 503 Service Unavailable".to_string(),
            "sent. Response: 200 OK".into(),
            "Replication (ACTIVATE) of /content/dam/a.jpg successful.".into(),
        ];
        assert_eq!(kind(&lines), None);
    }
}

/// Why a queue is blocked, as the monitor shows it: a few words and the fix (with its command).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockCause {
    pub label: String,
    pub fix: String,
}

impl BlockCause {
    /// The cause the rulebook found for a blocked queue, or — when nothing read tells — the
    /// non-destructive next check ([`unexplained_block`]).
    pub fn from_cause(cause: Option<Cause>) -> BlockCause {
        let c = cause.unwrap_or_else(unexplained_block);
        BlockCause {
            label: c.label(),
            fix: match c.command {
                Some(cmd) => format!("{} (`{cmd}`)", c.fix),
                None => c.fix,
            },
        }
    }
}
