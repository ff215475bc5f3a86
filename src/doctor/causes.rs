//! What AEM's own words mean: a Test Connection transcript or an agent log, read into the
//! cause of a failure in the operator's words, with the fix (Adobe's troubleshooting pages,
//! `ims-and-brand-portal.md` §5.7, and the IMS error codes of §7).

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
}

/// The IMS error code and description in a line such as
/// `…AccessTokenProvider failed to get access token from authorization server status: 400
/// response: {"error_description":"…","error":"invalid_client"}`.
fn ims_error(line: &str) -> Option<(u16, String, String)> {
    let rest = line.split_once("failed to get access token")?.1;
    let status = rest
        .split_once("status:")
        .and_then(|(_, s)| s.split_whitespace().next())
        .and_then(|s| s.trim_matches(|c: char| !c.is_ascii_digit()).parse().ok())
        .unwrap_or(0);
    let body = rest.split_once("response:").map(|(_, r)| r.trim());
    let v = body.and_then(|b| serde_json::from_str::<serde_json::Value>(b).ok());
    let code = v
        .as_ref()
        .and_then(|v| v["error"].as_str())
        .unwrap_or("")
        .to_string();
    let description = v
        .as_ref()
        .and_then(|v| v["error_description"].as_str())
        .map(str::to_string)
        .or_else(|| body.map(str::to_string))
        .unwrap_or_default();
    Some((status, code, description))
}

/// The HTTP status Brand Portal answered, from `sent. Response: 401 Unauthorized` or
/// `Server returned status code 503`.
fn tenant_status(line: &str) -> Option<u16> {
    let after = line
        .split_once("Response: ")
        .or_else(|| line.split_once("status code "))?
        .1;
    after.get(..3)?.parse().ok()
}

/// The line without AEM's `dd.MM.yyyy HH:mm:ss - ` prefix.
fn without_timestamp(line: &str) -> &str {
    let line = line.trim();
    match line.get(19..22) {
        Some(" - ") if line.as_bytes()[..2].iter().all(u8::is_ascii_digit) => &line[22..],
        _ => line,
    }
}

/// Explains one line, when it says something this module knows.
fn explain_line(line: &str) -> Option<Cause> {
    let mk = |kind, cause: &str, fix: &str, command: Option<&str>| {
        Some(Cause {
            kind,
            cause: cause.to_string(),
            fix: fix.to_string(),
            command: command.map(str::to_string),
            evidence: without_timestamp(line).to_string(),
        })
    };
    if let Some((status, code, description)) = ims_error(line) {
        let d = description.to_ascii_lowercase();
        if d.contains("end of life") || (code == "invalid_client" && d.contains("exchange_jwt")) {
            return mk(
                CauseKind::JwtRetired,
                "IMS refuses AEM's JWT credential: Adobe has retired JWT",
                "convert the IMS configuration to OAuth Server-to-Server in place (same client id; the Console's OAuth credential gives the secret and scopes)",
                Some("brandlink account migrate"),
            );
        }
        if status == 429 || code == "too_many_requests" {
            return mk(
                CauseKind::ImsRateLimited,
                "IMS is rate-limiting AEM's token requests (429)",
                "wait: AEM retries, and the queues drain once IMS answers again",
                None,
            );
        }
        return match code.as_str() {
            "invalid_client" if status == 401 || d.contains("secret") => mk(
                CauseKind::WrongSecret,
                "IMS refuses the client secret AEM stores (wrong, or rotated in the Console)",
                "copy the current client secret from the Developer Console into the IMS configuration",
                Some("brandlink account update --secret"),
            ),
            "invalid_client" => mk(
                CauseKind::UnknownClient,
                &format!("IMS does not know the client id AEM sends ({description})"),
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
                &format!("IMS refuses the JWT AEM builds ({description})"),
                "paste the JWT payload from the Developer Console again, or migrate to OAuth Server-to-Server",
                Some("brandlink account migrate"),
            ),
            "invalid_scope" => mk(
                CauseKind::ScopeMissing,
                &format!(
                    "IMS refuses the scopes ({description}): the project lacks the Brand Portal API, or the scopes AEM sends are not the project's"
                ),
                "add the AEM Brand Portal API to the Developer Console project and copy its scopes (comma-separated) into the IMS configuration",
                Some("brandlink account update --scopes LIST"),
            ),
            _ => mk(
                CauseKind::ImsRefused,
                &format!("IMS refuses AEM's token request ({status} {code}: {description})"),
                "open the IMS configuration, Save & Close it and check its health; if it persists, re-enter the Console values",
                Some("brandlink account check"),
            ),
        };
    }
    if line.contains("KeyStoreNotInitialisedException")
        || line.contains("no private key with alias")
        || line.contains("KeyStoreException")
    {
        return mk(
            CauseKind::KeyMissing,
            "AEM has no private key for the IMS configuration: the service user's keystore or its alias is missing",
            "create the key pair again and upload its certificate — or migrate to OAuth Server-to-Server, which needs no key",
            Some("brandlink cert create"),
        );
    }
    if line.contains("no access token provider configured") {
        return mk(
            CauseKind::ImsConfigMissing,
            "the cloud configuration names an IMS configuration that does not exist",
            "choose the Brand Portal IMS configuration in the cloud configuration again",
            Some("brandlink cloud create"),
        );
    }
    if line.contains("impersonate") && line.contains("mac-") {
        return mk(
            CauseKind::MacUserMissing,
            "the agents publish as a MAC user that does not exist",
            "configure anew: the upgrade backs up and removes agents and cloud configuration; saving the cloud configuration creates the MAC user",
            Some("brandlink upgrade"),
        );
    }
    if line.contains("UnknownHostException") {
        return mk(
            CauseKind::UnknownHost,
            "the tenant's host name does not resolve: the Service URL is mistyped or an alias",
            "set the Service URL to the tenant-id URL (https://<tenant-id>.brand-portal.adobe.com) and run the upgrade to re-create the agents",
            Some("brandlink upgrade"),
        );
    }
    let l = line.to_ascii_lowercase();
    if l.contains("timed out") || l.contains("sockettimeoutexception") || l.contains("read timeout")
    {
        return mk(
            CauseKind::Timeout,
            "requests to Brand Portal time out",
            "set Close Connection on all four agents (Adobe's fix for publish timeouts)",
            Some("brandlink agents --close-connection"),
        );
    }
    if l.contains("connectexception")
        || l.contains("connection refused")
        || l.contains("connection reset")
    {
        return mk(
            CauseKind::Unreachable,
            "AEM cannot connect to Brand Portal (refused or reset)",
            "check the author's outbound proxy and firewall for the tenant's host",
            None,
        );
    }
    match tenant_status(line) {
        Some(401) => mk(
            CauseKind::TenantRefused,
            "Brand Portal refuses AEM's requests (401 unauthorized): Adobe's documented cause is a MAC user that lacks the current private key",
            "Adobe's fix: delete the four agents, the cloud configuration and the MAC user, then configure anew (brandlink upgrade backs them up first)",
            Some("brandlink upgrade"),
        ),
        Some(s @ 500..=599) => mk(
            CauseKind::TenantDown,
            &format!("Brand Portal answers {s}: the trouble is on Adobe's side"),
            "wait for the tenant to come back (status.adobe.com); the queues retry and drain by themselves",
            None,
        ),
        _ => None,
    }
}

/// The cause of the most recent failure in `lines` (oldest first) after the last success,
/// or `None` when nothing since then is known to this module. A line about the token beats
/// the tenant's 401 that follows it (AEM sends the request without a token).
pub fn explain<S: AsRef<str>>(lines: &[S]) -> Option<Cause> {
    let since = lines
        .iter()
        .rposition(|l| {
            let l = l.as_ref();
            l.contains("successful") || l.contains("Message sent") || l.contains("test succeeded")
        })
        .map_or(0, |i| i + 1);
    let recent: Vec<Cause> = lines[since..]
        .iter()
        .filter_map(|l| explain_line(l.as_ref()))
        .collect();
    // The first cause of the last failure: AEM's own (token, key) before the tenant's answer.
    let root = |c: &&Cause| !matches!(c.kind, CauseKind::TenantRefused);
    recent.iter().rev().find(root).or(recent.last()).cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ims(status: u16, body: &str) -> String {
        format!(
            "com.adobe.granite.auth.oauth.AccessTokenProvider failed to get access token from authorization server status: {status} response: {body}"
        )
    }

    #[test]
    fn ims_errors_are_told_apart() {
        let kind = |l: String| explain(&[l]).map(|c| c.kind);
        assert_eq!(
            kind(ims(
                401,
                r#"{"error_description":"invalid client_secret parameter","error":"invalid_client"}"#
            )),
            Some(CauseKind::WrongSecret)
        );
        assert_eq!(
            kind(ims(
                400,
                r#"{"error_description":"invalid client_id parameter","error":"invalid_client"}"#
            )),
            Some(CauseKind::UnknownClient)
        );
        assert_eq!(
            kind(ims(
                400,
                r#"{"error_description":"JWT credentials have reached end of life; migrate to OAuth Server-to-Server","error":"invalid_client"}"#
            )),
            Some(CauseKind::JwtRetired)
        );
        assert_eq!(
            kind(ims(
                400,
                r#"{"error_description":"Could not match JWT signature to any of the bindings","error":"invalid_token"}"#
            )),
            Some(CauseKind::SignatureRefused)
        );
        assert_eq!(
            kind(ims(
                400,
                r#"{"error_description":"invalid scope 'x'","error":"invalid_scope"}"#
            )),
            Some(CauseKind::ScopeMissing)
        );
        assert_eq!(
            kind(ims(429, r#"{"error":"too_many_requests"}"#)),
            Some(CauseKind::ImsRateLimited)
        );
        assert_eq!(kind(ims(400, "garbage")), Some(CauseKind::ImsRefused));
    }

    #[test]
    fn the_token_failure_beats_the_401_it_causes() {
        let lines = [
            ims(401, r#"{"error":"invalid_client","error_description":"invalid client_secret parameter"}"#),
            "* No access token: sending the request without authorization".into(),
            "sent. Response: 401 Unauthorized".into(),
            "Transfer failed for X. java.io.IOException: Failed to execute request 'u': Server returned status code 401 with message: Unauthorized.".into(),
        ];
        let c = explain(&lines).unwrap();
        assert_eq!(c.kind, CauseKind::WrongSecret);
        let stamped = explain(&["01.12.2026 02:42:10 - sent. Response: 503 Service Unavailable"]);
        assert_eq!(
            stamped.map(|c| c.evidence).as_deref(),
            Some("sent. Response: 503 Service Unavailable")
        );
        assert!(c.evidence.contains("invalid client_secret"));
    }

    #[test]
    fn tenant_and_network_failures() {
        let kind = |l: &str| explain(&[l]).map(|c| c.kind);
        assert_eq!(
            kind("sent. Response: 401 Unauthorized"),
            Some(CauseKind::TenantRefused)
        );
        assert_eq!(
            kind("sent. Response: 503 Service Unavailable"),
            Some(CauseKind::TenantDown)
        );
        assert_eq!(
            kind(
                "Transfer failed for X. java.net.UnknownHostException: wknd-assets.brand-portal.adobe.com"
            ),
            Some(CauseKind::UnknownHost)
        );
        assert_eq!(
            kind("java.net.SocketTimeoutException: Read timed out"),
            Some(CauseKind::Timeout)
        );
        assert_eq!(
            kind("java.net.ConnectException: Connection refused"),
            Some(CauseKind::Unreachable)
        );
        assert_eq!(
            kind("java.security.KeyStoreException: no private key with alias 'x' in the key store"),
            Some(CauseKind::KeyMissing)
        );
        assert_eq!(kind("Queue paused"), None);
        assert!(CauseKind::TenantDown.transient());
        assert!(!CauseKind::WrongSecret.transient());
    }

    #[test]
    fn a_success_clears_what_came_before() {
        let lines = [
            "sent. Response: 503 Service Unavailable",
            "sent. Response: 200 OK",
            "Replication (ACTIVATE) of /content/dam/a.jpg successful.",
        ];
        assert_eq!(explain(&lines), None);
    }
}
