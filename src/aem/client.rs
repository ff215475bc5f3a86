//! One HTTP client per AEM connection: Basic auth, TLS settings, timeouts, a non-browser
//! User-Agent, status mapping and the one CSRF retry.

use super::error::{AemError, html_summary};
use super::http::{HttpClients, root_cause, tls_words_for};
use super::tls::Fingerprint;
use bytes::Bytes;
use reqwest::{Method, RequestBuilder, header::HeaderMap};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use std::sync::Arc;
use std::time::Duration;

pub use super::connection::{Connection, USER_AGENT};
pub use super::http::http_client;
const MAX_BODY: usize = 64 * 1024 * 1024;

/// A complete answer.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub path: String,
}

impl Reply {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, AemError> {
        let looks_html = self
            .headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|c| c.starts_with("text/html"));
        serde_json::from_slice(&self.body).map_err(|e| AemError::UnexpectedBody {
            path: self.path.clone(),
            detail: if looks_html {
                "an HTML page where JSON was expected (a login page or proxy error?)".into()
            } else {
                format!("invalid JSON ({e})")
            },
        })
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

#[derive(Clone)]
pub struct AemClient {
    http: reqwest::Client,
    base: Arc<str>,
    user: Arc<str>,
    password: SecretString,
    timeout: Duration,
    /// The largest answer read (checked while it streams in).
    max_body: usize,
    /// The pinned certificate, when there is one.
    tls_pin: Option<Fingerprint>,
    /// One failed login, not twenty: see [`CredentialGate`].
    gate: Arc<super::gate::CredentialGate>,
    /// Set by [`AemClient::refuse_writes`]: every request but GET and HEAD fails unsent.
    read_only: bool,
}

impl std::fmt::Debug for AemClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AemClient")
            .field("base", &self.base)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// The settings its HTTP client is built with.
    pub fn tls(&self) -> super::http::TlsSettings {
        super::http::TlsSettings {
            ca_cert: self.ca_cert.clone(),
            insecure: self.insecure,
            tls_pin: self.tls_pin,
            timeout: self.timeout,
        }
    }
}

/// The URL's checks, each saying what to write instead.
fn check_url(conn: &Connection) -> Result<(), AemError> {
    let host_part = conn.url.split_once("://").map(|(_, rest)| rest);
    if host_part.is_some_and(|r| r.trim_matches('/').is_empty())
        || ["http:", "https:"].contains(&conn.url.trim().to_ascii_lowercase().as_str())
    {
        return Err(AemError::Invalid(format!(
            "--url '{}' has no host: give the author's address, e.g. http://localhost:4502",
            conn.url.trim()
        )));
    }
    if !conn.url.contains("://") {
        return Err(AemError::Invalid(format!(
            "--url '{0}' has no scheme: use http://{0} (or https://{0} for TLS)",
            conn.url.trim()
        )));
    }
    let url = reqwest::Url::parse(&conn.url).map_err(|e| {
        AemError::Invalid(format!(
            "--url '{}' is not a URL ({e}); expected e.g. http://localhost:4502",
            conn.url
        ))
    })?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(AemError::Invalid(format!(
            "--url {} holds a user name or password; give the URL alone and the password in AEM_PASSWORD",
            display_url(&conn.url)
        )));
    }
    if !matches!(url.scheme(), "http" | "https") {
        return Err(AemError::Invalid(format!(
            "--url '{}' must start with http:// or https://",
            conn.url
        )));
    }
    Ok(())
}

impl AemClient {
    /// A client with an HTTP client of its own.
    pub fn new(conn: &Connection) -> Result<Self, AemError> {
        check_url(conn)?;
        Self::with_http(conn, conn.tls().build()?)
    }

    /// A client whose HTTP client (pool, TLS roots) is shared with every author of `cache`
    /// reached with the same TLS settings; the credentials and their gate stay its own.
    pub fn shared(conn: &Connection, cache: &HttpClients) -> Result<Self, AemError> {
        check_url(conn)?;
        Self::with_http(conn, cache.get(&conn.tls())?)
    }

    /// A client on `http`, which must have been built for `conn`'s TLS settings.
    pub fn with_http(conn: &Connection, http: reqwest::Client) -> Result<Self, AemError> {
        check_url(conn)?;
        Ok(AemClient {
            http,
            base: conn.url.trim_end_matches('/').into(),
            user: conn.user.as_str().into(),
            password: conn.password.clone(),
            timeout: conn.timeout,
            max_body: MAX_BODY,
            tls_pin: conn.tls_pin,
            gate: Arc::default(),
            read_only: false,
        })
    }

    /// This client (and its clones) sends only GET and HEAD: any other request fails with
    /// [`AemError::ReadOnly`] before it leaves (`--read-only`, enforced here whatever the
    /// front end does).
    pub fn refuse_writes(mut self) -> Self {
        self.read_only = true;
        self
    }

    pub fn refuses_writes(&self) -> bool {
        self.read_only
    }

    /// Lets requests ask AEM again after it refused the credentials (an operator's explicit
    /// retry). Clones of this client share the gate.
    pub fn retry_credentials(&self) {
        if let Ok(mut r) = self.gate.rejected_at.lock() {
            *r = None;
        }
    }

    /// [`retry_credentials`](Self::retry_credentials) once the refusal is older than `after`
    /// (for a long-running exporter: one failed login per `after`, not one per scrape).
    pub fn retry_credentials_after(&self, after: Duration) {
        if let Ok(mut r) = self.gate.rejected_at.lock()
            && r.is_some_and(|t| t.elapsed() >= after)
        {
            *r = None;
        }
    }

    /// Whether AEM has refused the credentials (and no retry was asked for since).
    pub fn credentials_rejected(&self) -> bool {
        self.gate.rejected()
    }

    /// Caps the size of an answer (64 MiB by default).
    pub fn with_max_body(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }
    /// The password it logs in with (the support bundle makes sure it never leaves).
    pub(crate) fn password(&self) -> &SecretString {
        &self.password
    }
    pub fn user(&self) -> &str {
        &self.user
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    fn builder(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, self.url(path))
            .basic_auth(&*self.user, Some(self.password.expose_secret()))
    }

    fn map_transport(&self, e: reqwest::Error, what: &str) -> AemError {
        let detail = root_cause(&e);
        if e.is_timeout() {
            return AemError::Timeout {
                url: self.base.to_string(),
                what: what.to_string(),
                secs: self.timeout.as_secs(),
            };
        }
        let lower = detail.to_ascii_lowercase();
        let https = self.base.starts_with("https://");
        let tls_words = [
            "certificate",
            "tls",
            "handshake",
            "corrupt message",
            "alert",
            "peer",
        ];
        if tls_words.iter().any(|w| lower.contains(w))
            || (https && e.is_connect() && !lower.contains("os error"))
        {
            return AemError::Tls {
                url: self.base.to_string(),
                detail: tls_words_for(&detail),
                advice: "For a private CA pass --ca-cert FILE; --tls-pin SHA256 trusts exactly one certificate; --insecure skips verification (not for production)".into(),
            };
        }
        let detail = if e.is_connect() {
            detail
        } else {
            format!("the connection closed before AEM answered ({detail})")
        };
        AemError::Unreachable {
            url: self.base.to_string(),
            detail,
        }
    }

    async fn execute(
        &self,
        rb: RequestBuilder,
        method: &Method,
        path: &str,
    ) -> Result<Reply, AemError> {
        self.execute_as(rb, method, path, true).await
    }

    /// `with_credentials`: the request carries them, so it goes through the gate and what AEM
    /// answers tells whether they are good; an anonymous request does neither.
    async fn execute_as(
        &self,
        rb: RequestBuilder,
        method: &Method,
        path: &str,
        with_credentials: bool,
    ) -> Result<Reply, AemError> {
        if with_credentials {
            return self.execute_gated(rb, method, path).await;
        }
        self.execute_once(rb, method, path).await
    }

    async fn execute_gated(
        &self,
        rb: RequestBuilder,
        method: &Method,
        path: &str,
    ) -> Result<Reply, AemError> {
        if self.gate.rejected() {
            return Err(self.refused());
        }
        // Nothing known of the credentials yet: one request at a time finds out.
        let _probe = if self.gate.accepted() {
            None
        } else {
            let guard = self.gate.probe.lock().await;
            if self.gate.rejected() {
                return Err(self.refused());
            }
            if let Some(e) = self.gate.recently_unreachable() {
                return Err(e);
            }
            (!self.gate.accepted()).then_some(guard)
        };
        let reply = self.execute_once(rb, method, path).await;
        match &reply {
            Ok(r) => self.gate.learn(r.status),
            Err(e) if _probe.is_some() && e.is_unreachable() => self.gate.learn_unreachable(e),
            Err(_) => {}
        }
        reply
    }

    async fn execute_once(
        &self,
        rb: RequestBuilder,
        method: &Method,
        path: &str,
    ) -> Result<Reply, AemError> {
        let what = format!("{method} {path}");
        let resp = match rb.send().await {
            Ok(r) => r,
            Err(e) => {
                let mut err = self.map_transport(e, &what);
                // Say what the server showed, and how to trust exactly it.
                if let AemError::Tls { advice, .. } = &mut err
                    && let Some(peer) = super::tls::peer_certificate(&self.base, self.timeout).await
                {
                    *advice = match self.tls_pin {
                        // Never offer what a possible attacker presents as the one to pin.
                        Some(pin) if pin != peer.fingerprint => format!(
                            "The server presented a certificate ({}) other than the pinned one ({pin}): it was replaced, or something sits between brandlink and AEM. Do not pin what this connection shows; read the fingerprint on the author itself (`openssl x509 -noout -fingerprint -sha256 -in` its certificate) and pin that",
                            peer.subject
                        ),
                        _ => format!("{}.", crate::words::capitalize(&peer.advice())),
                    };
                }
                return Err(err);
            }
        };
        let status = resp.status().as_u16();
        // The path and status only: never a header, a body or a query's values.
        tracing::debug!(%method, path = path.split('?').next().unwrap_or(path), status, "AEM answered");
        let headers = resp.headers().clone();
        let body = match crate::net::read_capped(resp, self.max_body).await {
            Ok(b) => b,
            Err(crate::net::BodyError::Transport(e)) => return Err(self.map_transport(e, &what)),
            Err(crate::net::BodyError::OverBudget) => {
                return Err(AemError::UnexpectedBody {
                    path: path.to_string(),
                    detail: crate::net::over_budget_words(),
                });
            }
            Err(crate::net::BodyError::TooLarge { max }) => {
                return Err(AemError::UnexpectedBody {
                    path: path.to_string(),
                    detail: format!(
                        "the answer is larger than {}; brandlink stopped reading it",
                        crate::net::size_words(max)
                    ),
                });
            }
        };
        Ok(Reply {
            status,
            headers,
            body,
            path: path.to_string(),
        })
    }

    /// Sends a request built by `build` (called again for the CSRF retry). Statuses in
    /// `accept` are returned as they are; others become errors.
    pub async fn send<F>(
        &self,
        method: Method,
        path: &str,
        accept: &[u16],
        build: F,
    ) -> Result<Reply, AemError>
    where
        F: Fn(RequestBuilder) -> RequestBuilder,
    {
        if self.read_only && method != Method::GET && method != Method::HEAD {
            return Err(AemError::ReadOnly {
                method: method.to_string(),
                path: path.to_string(),
            });
        }
        let rb = build(self.builder(method.clone(), path));
        let mut reply = self.execute(rb, &method, path).await?;
        if reply.status == 403
            && method != Method::GET
            && method != Method::HEAD
            && !accept.contains(&403)
        {
            // A CSRF or Referrer filter: retry once with a token and a Referer.
            if let Ok(token) = self.csrf_token().await {
                let rb = build(self.builder(method.clone(), path))
                    .header("CSRF-Token", token)
                    .header(reqwest::header::REFERER, format!("{}/", self.base));
                reply = self.execute(rb, &method, path).await?;
            }
        }
        if accept.contains(&reply.status) {
            return Ok(reply);
        }
        Err(self.status_error(&method, path, &reply))
    }

    fn refused(&self) -> AemError {
        AemError::Unauthorized {
            user: self.user.to_string(),
        }
    }

    fn status_error(&self, method: &Method, path: &str, reply: &Reply) -> AemError {
        let mut detail = html_summary(&reply.text());
        if (300..400).contains(&reply.status) {
            let to = reply
                .header("location")
                .map(display_url)
                .unwrap_or_else(|| "nowhere (no Location header)".into());
            detail = format!(
                "AEM redirected to {to}; brandlink follows no redirect: check --url (scheme, host, port, a proxy or Dispatcher in front, a login page)"
            );
        }
        match reply.status {
            401 => AemError::Unauthorized {
                user: self.user.to_string(),
            },
            403 => AemError::Forbidden {
                method: method.to_string(),
                path: path.to_string(),
                hint: if detail.to_ascii_lowercase().contains("csrf")
                    || detail.to_ascii_lowercase().contains("referrer")
                {
                    format!("the CSRF/Referrer filter refused it even with a token ({detail})")
                } else {
                    format!("user {} may lack permission there ({detail})", self.user)
                },
            },
            404 => AemError::NotFound {
                path: path.to_string(),
            },
            503 => AemError::Unavailable {
                url: self.base.to_string(),
            },
            status => AemError::Status {
                method: method.to_string(),
                path: path.to_string(),
                status,
                detail,
            },
        }
    }

    /// A GET without credentials (a page anyone may read, e.g. the login page): it neither
    /// waits for nor tells anything about the credentials.
    pub async fn get_anonymous(&self, path: &str, accept: &[u16]) -> Result<Reply, AemError> {
        let rb = self.http.request(Method::GET, self.url(path));
        let reply = self.execute_as(rb, &Method::GET, path, false).await?;
        if accept.contains(&reply.status) {
            return Ok(reply);
        }
        Err(self.status_error(&Method::GET, path, &reply))
    }

    pub async fn get(&self, path: &str) -> Result<Reply, AemError> {
        self.send(Method::GET, path, &[200], |b| b).await
    }

    pub async fn get_json<T: DeserializeOwned>(&self, path: &str) -> Result<T, AemError> {
        self.get(path).await?.json()
    }

    /// Form POST; `accept` lists the success statuses.
    pub async fn post_form(
        &self,
        path: &str,
        form: &[(String, String)],
        accept: &[u16],
    ) -> Result<Reply, AemError> {
        self.send(Method::POST, path, accept, |b| b.form(form))
            .await
    }

    async fn csrf_token(&self) -> Result<String, AemError> {
        #[derive(serde::Deserialize)]
        struct Token {
            token: String,
        }
        let path = "/libs/granite/csrf/token.json";
        let reply = self
            .execute(self.builder(Method::GET, path), &Method::GET, path)
            .await?;
        if reply.status != 200 {
            return Err(self.status_error(&Method::GET, path, &reply));
        }
        let t: Token = reply.json()?;
        Ok(t.token)
    }
}

/// A URL as it may be shown: without user name or password (`http://host:4502`).
pub fn display_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut u) if !u.username().is_empty() || u.password().is_some() => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.as_str().trim_end_matches('/').to_string()
        }
        Ok(_) => url.to_string(),
        Err(_) => match url.rsplit_once('@') {
            Some((_, host)) => host.to_string(),
            None => url.to_string(),
        },
    }
}

/// Builds a form from string pairs.
pub fn form<I, K, V>(pairs: I) -> Vec<(String, String)>
where
    I: IntoIterator<Item = (K, V)>,
    K: Into<String>,
    V: Into<String>,
{
    pairs
        .into_iter()
        .map(|(k, v)| (k.into(), v.into()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_without_scheme_says_what_to_add() {
        for u in ["127.0.0.1:4599", "localhost:4502", "author.example.com"] {
            let conn = Connection::new(u, "admin", SecretString::from("x".to_string()));
            let err = AemClient::new(&conn).unwrap_err().to_string();
            assert!(err.contains(&format!("http://{u}")), "{err}");
            assert!(!err.contains("relative URL"), "{err}");
        }
    }

    #[test]
    fn debug_output_holds_no_password() {
        let conn = Connection::new(
            "http://localhost:4502",
            "admin",
            SecretString::from("S3cr3t-pw".to_string()),
        );
        let client = AemClient::new(&conn).unwrap();
        assert!(!format!("{conn:?}").contains("S3cr3t-pw"));
        assert!(!format!("{client:?}").contains("S3cr3t-pw"));
        let token = crate::ims::token::Token {
            access_token: SecretString::from("eyJtoken".to_string()),
            expires_in: Duration::from_secs(1),
        };
        assert!(!format!("{token:?}").contains("eyJtoken"));
    }
}
