//! What a connection to an author is made of (URL, user, password, TLS, timeout) and the
//! reqwest client built from its TLS settings.

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
