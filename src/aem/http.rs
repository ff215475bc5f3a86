//! The reqwest clients brandlink builds: its TLS rules in one place, and a cache so that
//! authors reached with the same TLS settings share one client (one connection pool, one set of
//! TLS roots) while each keeps its own credentials and credential gate.

use super::client::USER_AGENT;
use super::error::AemError;
use super::tls::Fingerprint;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Builds a reqwest client with brandlink's TLS rules: verified by default, an extra CA on
/// request, verification off only when asked.
pub fn http_client(
    ca_cert: Option<&std::path::Path>,
    insecure: bool,
    tls_pin: Option<Fingerprint>,
    timeout: Duration,
) -> Result<reqwest::Client, AemError> {
    tuned_client(ca_cert, insecure, tls_pin, timeout, None)
}

/// [`http_client`], keeping at most `idle_per_host` idle connections per author (`None`: as
/// many as were open at once).
fn tuned_client(
    ca_cert: Option<&std::path::Path>,
    insecure: bool,
    tls_pin: Option<Fingerprint>,
    timeout: Duration,
    idle_per_host: Option<usize>,
) -> Result<reqwest::Client, AemError> {
    let mut b = reqwest::Client::builder()
        .pool_max_idle_per_host(idle_per_host.unwrap_or(usize::MAX))
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

/// What makes two HTTP clients interchangeable: the TLS rules and the timeout.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TlsSettings {
    pub ca_cert: Option<PathBuf>,
    pub insecure: bool,
    pub tls_pin: Option<Fingerprint>,
    pub timeout: Duration,
}

impl TlsSettings {
    /// A client with these settings, built anew.
    pub fn build(&self) -> Result<reqwest::Client, AemError> {
        self.build_keeping(None)
    }

    fn build_keeping(&self, idle_per_host: Option<usize>) -> Result<reqwest::Client, AemError> {
        tuned_client(
            self.ca_cert.as_deref(),
            self.insecure,
            self.tls_pin,
            self.timeout,
            idle_per_host,
        )
    }
}

/// One reqwest client per distinct [`TlsSettings`], built on first use and handed out as
/// clones (a clone shares the pool and the TLS configuration). Clones of the cache share it.
#[derive(Clone, Default)]
pub struct HttpClients {
    built: Arc<Mutex<HashMap<TlsSettings, reqwest::Client>>>,
    idle_per_host: Option<usize>,
}

impl HttpClients {
    /// A cache whose clients keep at most `n` idle connections per author: an idle connection
    /// holds its buffers, and a process reading hundreds of authors keeps only what it reuses.
    pub fn keeping_idle(n: usize) -> HttpClients {
        HttpClients {
            idle_per_host: Some(n),
            ..HttpClients::default()
        }
    }

    /// The client for `settings`: the one already built for the same settings, else a new one.
    pub fn get(&self, settings: &TlsSettings) -> Result<reqwest::Client, AemError> {
        let mut built = self
            .built
            .lock()
            .map_err(|_| AemError::Invalid("the HTTP client cache is unusable".into()))?;
        if let Some(c) = built.get(settings) {
            return Ok(c.clone());
        }
        let c = settings.build_keeping(self.idle_per_host)?;
        built.insert(settings.clone(), c.clone());
        Ok(c)
    }

    /// How many distinct clients were built.
    pub fn len(&self) -> usize {
        self.built.lock().map(|b| b.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl std::fmt::Debug for HttpClients {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClients")
            .field("clients", &self.len())
            .finish()
    }
}

/// The innermost error message, without URLs.
pub(super) fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur: &dyn std::error::Error = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

/// TLS library wording an operator can act on.
pub(super) fn tls_words_for(detail: &str) -> String {
    if detail.contains("CaUsedAsEndEntity") {
        return "the server presents a CA certificate as its own".into();
    }
    if detail.contains("UnknownIssuer") {
        return "the server's certificate is not signed by a CA this machine trusts".into();
    }
    if detail.contains("NotValidForName") {
        return "the server's certificate is for another host name".into();
    }
    if detail.contains("Expired") {
        return "the server's certificate has expired".into();
    }
    detail.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(insecure: bool, timeout: u64) -> TlsSettings {
        TlsSettings {
            ca_cert: None,
            insecure,
            tls_pin: None,
            timeout: Duration::from_secs(timeout),
        }
    }

    #[test]
    fn the_same_settings_share_one_client() {
        let cache = HttpClients::default();
        cache.get(&settings(false, 30)).unwrap();
        cache.get(&settings(false, 30)).unwrap();
        assert_eq!(cache.len(), 1);
        cache.get(&settings(true, 30)).unwrap();
        cache.get(&settings(false, 10)).unwrap();
        assert_eq!(
            cache.len(),
            3,
            "other TLS settings or timeouts get their own client"
        );
    }

    #[test]
    fn a_missing_ca_file_is_an_error_and_not_cached() {
        let cache = HttpClients::default();
        let s = TlsSettings {
            ca_cert: Some("/nonexistent/brandlink-ca.pem".into()),
            ..settings(false, 30)
        };
        let e = cache.get(&s).unwrap_err().to_string();
        assert!(e.contains("cannot read --ca-cert"), "{e}");
        assert!(cache.is_empty());
    }
}
