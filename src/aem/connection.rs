//! What a connection to an author is made of (URL, user, password, TLS, timeout) and the
//! reqwest client built from its TLS settings.

use super::error::AemError;
use super::tls::Fingerprint;
use secrecy::SecretString;
use std::path::PathBuf;
use std::time::Duration;

pub const USER_AGENT: &str = concat!("brandlink/", env!("CARGO_PKG_VERSION"));

/// How to reach one author.
#[derive(Clone, Debug)]
pub struct Connection {
    pub url: String,
    pub user: String,
    pub password: SecretString,
    pub ca_cert: Option<PathBuf>,
    pub insecure: bool,
    /// Trust exactly the server certificate with this SHA-256 fingerprint.
    pub tls_pin: Option<Fingerprint>,
    pub timeout: Duration,
}

impl Connection {
    pub fn new(url: &str, user: &str, password: SecretString) -> Self {
        Connection {
            url: url.trim_end_matches('/').to_string(),
            user: user.to_string(),
            password,
            ca_cert: None,
            insecure: false,
            tls_pin: None,
            timeout: Duration::from_secs(30),
        }
    }
}

/// Builds a reqwest client with brandlink's TLS rules: verified by default, an extra CA on
/// request, verification off only when asked.
pub fn http_client(
    ca_cert: Option<&std::path::Path>,
    insecure: bool,
    tls_pin: Option<Fingerprint>,
    timeout: Duration,
) -> Result<reqwest::Client, AemError> {
    let mut b = reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .redirect(reqwest::redirect::Policy::none());
    if let Some(pin) = tls_pin {
        let config = super::tls::pinned(pin)
            .map_err(|e| AemError::Invalid(format!("cannot set up TLS for --tls-pin: {e}")))?;
        return b
            .tls_backend_preconfigured(config)
            .build()
            .map_err(|e| AemError::Invalid(format!("cannot set up the HTTP client: {e}")));
    }
    if let Some(path) = ca_cert {
        let pem = std::fs::read(path).map_err(|e| {
            AemError::Invalid(format!("cannot read --ca-cert {}: {e}", path.display()))
        })?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
            AemError::Invalid(format!(
                "--ca-cert {} is not a PEM certificate: {e}",
                path.display()
            ))
        })?;
        for c in certs {
            b = b.add_root_certificate(c);
        }
    }
    if insecure {
        b = b.danger_accept_invalid_certs(true);
    }
    b.build()
        .map_err(|e| AemError::Invalid(format!("cannot set up the HTTP client: {e}")))
}
