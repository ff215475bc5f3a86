//! Global options resolved against the config file: where AEM is, who we are, how to reach
//! IMS, and how secrets are obtained (environment or prompt, never flags).

/// HTTP clients shared by the authors of one run (see [`Context::shared_reader`]).
pub use crate::aem::HttpClients as SharedHttp;
use crate::aem::{AemClient, AemError, Connection, Reader};
use crate::config::{self, Profile};
use crate::ims::payload::PROD_IMS;
use clap::Args;
use secrecy::SecretString;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Args, Clone, Default)]
pub struct GlobalArgs {
    /// AEM author URL [default: http://localhost:4502]
    #[arg(long, global = true)]
    pub url: Option<String>,
    /// AEM user [default: admin]
    #[arg(long, global = true)]
    pub user: Option<String>,
    /// Environment variable holding the AEM password [default: AEM_PASSWORD]
    #[arg(long, global = true, value_name = "VAR")]
    pub password_env: Option<String>,
    /// Adobe IMS base URL (stage, or the sandbox) [default: https://ims-na1.adobelogin.com]
    #[arg(long, global = true)]
    pub ims_url: Option<String>,
    /// Extra CA certificate (PEM) for a private CA
    #[arg(long, global = true, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
    /// Skip TLS certificate verification (shows a warning)
    #[arg(long, global = true, conflicts_with = "tls_pin")]
    pub insecure: bool,
    /// Trust exactly the server certificate with this SHA-256 fingerprint (AB:CD:… as
    /// `openssl x509 -noout -fingerprint -sha256` prints it): for a self-signed author,
    /// instead of --insecure
    #[arg(long, global = true, value_name = "SHA256")]
    pub tls_pin: Option<String>,
    /// Profile from the config file
    #[arg(long, global = true)]
    pub profile: Option<String>,
    /// Config file [default: $XDG_CONFIG_HOME/brandlink/config.toml]
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Machine-readable output (stable shape, no secrets)
    #[arg(long, global = true)]
    pub json: bool,
    /// Request timeout in seconds (1 to 3600)
    #[arg(long, global = true, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: Option<u64>,
    /// Refuse every action that changes AEM (monitoring only)
    #[arg(long, global = true)]
    pub read_only: bool,
    /// Append logs to this file (as named, not rotated) instead of stderr; the terminal UI
    /// always logs to a file [default there: $XDG_STATE_HOME/brandlink/brandlink.log.<date>,
    /// one per day]
    #[arg(long, global = true, value_name = "FILE")]
    pub log_file: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum ContextError {
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    #[error("{0}")]
    Secret(String),
    /// A URL that carries a user name or password.
    #[error("{0}")]
    Url(String),
    #[error(transparent)]
    Aem(#[from] AemError),
}

/// Everything a command needs to talk to AEM and IMS.
pub struct Context {
    pub profile: Profile,
    pub key_overrides: std::collections::BTreeMap<String, Vec<String>>,
    pub url: String,
    pub user: String,
    pub password_env: String,
    pub ims_url: String,
    pub tenant: Option<String>,
    pub ca_cert: Option<PathBuf>,
    pub insecure: bool,
    pub tls_pin: Option<crate::aem::tls::Fingerprint>,
    pub json: bool,
    pub timeout: Duration,
    pub read_only: bool,
    /// The client, once built (the password is asked for once per run).
    client: std::sync::OnceLock<AemClient>,
    /// Variables the program sets for itself (the demo's sandbox passwords), read before the
    /// process environment.
    own_env: std::sync::Arc<std::collections::BTreeMap<String, SecretString>>,
}

impl Context {
    pub fn resolve(g: &GlobalArgs) -> Result<Context, ContextError> {
        let (cfg, path) = config::load(g.config.as_deref())?;
        let profile = cfg.profile(g.profile.as_deref(), path.as_deref())?;
        let from_flag = |flag: bool, what: &str| {
            if flag {
                format!("--{what}")
            } else {
                format!(
                    "the profile's {} in {}",
                    what.replace('-', "_"),
                    path.as_deref()
                        .map(|p| p.display().to_string())
                        .unwrap_or_else(|| "the config file".into())
                )
            }
        };
        if let Some(u) = g.url.as_deref().or(profile.url.as_deref()) {
            refuse_userinfo(u, &from_flag(g.url.is_some(), "url"))?;
        }
        if let Some(u) = g.ims_url.as_deref().or(profile.ims_url.as_deref()) {
            refuse_userinfo(u, &from_flag(g.ims_url.is_some(), "ims-url"))?;
        }
        if let Some(t) = profile.timeout_secs
            && !(1..=MAX_TIMEOUT_SECS).contains(&t)
        {
            return Err(ContextError::Url(format!(
                "timeout_secs = {t} in the profile: give 1 to {MAX_TIMEOUT_SECS} seconds"
            )));
        }
        Ok(Context {
            key_overrides: cfg.key_overrides(),
            url: g
                .url
                .clone()
                .or(profile.url.clone())
                .unwrap_or_else(|| "http://localhost:4502".into()),
            user: g
                .user
                .clone()
                .or(profile.user.clone())
                .unwrap_or_else(|| "admin".into()),
            password_env: g
                .password_env
                .clone()
                .or(profile.password_env.clone())
                .unwrap_or_else(|| "AEM_PASSWORD".into()),
            ims_url: g
                .ims_url
                .clone()
                .or(profile.ims_url.clone())
                .unwrap_or_else(|| PROD_IMS.into()),
            tenant: profile.tenant.clone(),
            ca_cert: g.ca_cert.clone().or(profile.ca_cert.clone()),
            insecure: g.insecure || profile.insecure.unwrap_or(false),
            tls_pin: g
                .tls_pin
                .clone()
                .or(profile.tls_pin.clone())
                .map(|p| crate::aem::tls::Fingerprint::parse(&p))
                .transpose()
                .map_err(|e| ContextError::Aem(AemError::Invalid(e)))?,
            json: g.json,
            read_only: g.read_only,
            timeout: Duration::from_secs(g.timeout.or(profile.timeout_secs).unwrap_or(30).max(1)),
            client: std::sync::OnceLock::new(),
            own_env: std::sync::Arc::default(),
            profile,
        })
    }

    /// Gives the profile's variables values of the program's own (the demo's sandboxes'
    /// passwords), so they never pass through flags, files or the process environment.
    pub fn with_own_env(
        mut self,
        vars: std::sync::Arc<std::collections::BTreeMap<String, SecretString>>,
    ) -> Self {
        self.own_env = vars;
        self
    }

    pub fn password(&self) -> Result<SecretString, ContextError> {
        if let Some(v) = self.own_env.get(&self.password_env) {
            return Ok(v.clone());
        }
        secret_from_env_or_prompt(
            &self.password_env,
            &format!("AEM password for {} at {}: ", self.user, self.url),
            &format!(
                "set {} (or name another variable with --password-env)",
                self.password_env
            ),
        )
    }

    /// A handle on the author that can only read (the same client the setup service writes
    /// with, so the password is asked once and its credential gate is shared).
    pub fn reader(&self) -> Result<Reader, ContextError> {
        Ok(self.client()?.reader())
    }

    fn client(&self) -> Result<AemClient, ContextError> {
        if let Some(c) = self.client.get() {
            return Ok(c.clone());
        }
        let c = self.build_client()?;
        Ok(self.client.get_or_init(|| c).clone())
    }

    fn build_client(&self) -> Result<AemClient, ContextError> {
        self.build_client_with(self.password()?)
    }

    /// A read-only handle whose HTTP client is shared through `shared` with every author
    /// reached with the same TLS settings (the exporter's many authors); its credentials and
    /// their gate stay its own. `prompt`: the password may be asked for on a terminal;
    /// otherwise it must be in the profile's variable.
    pub fn shared_reader(&self, shared: &SharedHttp, prompt: bool) -> Result<Reader, ContextError> {
        let password = if prompt {
            self.password()?
        } else {
            self.password_unattended()?
        };
        if self.insecure {
            eprintln!(
                "warning: TLS certificate verification is OFF for {} (insecure); do not use this against production",
                self.shown_url()
            );
        }
        Ok(AemClient::shared(&self.connection(password), shared)?.reader())
    }

    fn connection(&self, password: SecretString) -> Connection {
        let mut conn = Connection::new(&self.url, &self.user, password);
        conn.ca_cert = self.ca_cert.clone();
        conn.insecure = self.insecure;
        conn.tls_pin = self.tls_pin;
        conn.timeout = self.timeout;
        conn
    }

    /// The password from the profile's variable, never a prompt.
    fn password_unattended(&self) -> Result<SecretString, ContextError> {
        if let Some(v) = self.own_env.get(&self.password_env) {
            return Ok(v.clone());
        }
        std::env::var(&self.password_env)
            .ok()
            .filter(|v| !v.is_empty())
            .map(SecretString::from)
            .ok_or_else(|| {
                ContextError::Secret(format!(
                    "{} is not set: put the AEM password of {} at {} in it (the profile's password_env)",
                    self.password_env,
                    self.user,
                    self.shown_url()
                ))
            })
    }

    fn build_client_with(&self, password: SecretString) -> Result<AemClient, ContextError> {
        warn_clear_ims(&self.ims_url);
        if self.insecure {
            eprintln!(
                "warning: TLS certificate verification is OFF (--insecure); do not use this against production"
            );
        }
        Ok(AemClient::new(&self.connection(password))?)
    }

    /// The setup service for this author and IMS (asks for the AEM password).
    pub fn setup(&self) -> Result<crate::setup::Setup, ContextError> {
        Ok(crate::setup::Setup::new(
            self.client()?,
            crate::setup::ImsEndpoint {
                http: self.ims_http()?,
                url: self.ims_url.clone(),
            },
        )
        .read_only(self.read_only))
    }

    /// The setup service without asking anything: the password must be in the profile's
    /// variable (a fleet is read many authors at once, with no prompt).
    pub fn setup_unattended(&self) -> Result<crate::setup::Setup, ContextError> {
        let password = self.password_unattended()?;
        Ok(crate::setup::Setup::new(
            self.build_client_with(password)?,
            crate::setup::ImsEndpoint {
                http: self.ims_http()?,
                url: self.ims_url.clone(),
            },
        )
        .read_only(self.read_only))
    }

    /// The author's URL as it may be printed (never with a user name or password).
    pub fn shown_url(&self) -> String {
        crate::aem::client::display_url(&self.url)
    }

    /// The tenant given on the command line, else the profile's.
    pub fn tenant_or(&self, flag: &Option<String>) -> Option<String> {
        flag.clone().or(self.tenant.clone())
    }

    pub fn ims_http(&self) -> Result<reqwest::Client, ContextError> {
        Ok(crate::aem::client::http_client(
            self.ca_cert.as_deref(),
            self.insecure,
            None,
            self.timeout,
        )?)
    }
}

/// The longest request timeout accepted (`--timeout`, `timeout_secs`).
pub const MAX_TIMEOUT_SECS: u64 = 3600;

/// Refuses a URL that carries a user name or password: the password would replace the one
/// from the environment and show wherever the URL is printed.
pub fn refuse_userinfo(url: &str, source: &str) -> Result<(), ContextError> {
    let has_userinfo = match reqwest::Url::parse(url.trim()) {
        Ok(u) => !u.username().is_empty() || u.password().is_some(),
        Err(_) => url
            .split_once("://")
            .map_or(url, |(_, rest)| rest)
            .split(['/', '?', '#'])
            .next()
            .is_some_and(|authority| authority.contains('@')),
    };
    if has_userinfo {
        return Err(ContextError::Url(format!(
            "{source} holds a user name or password ({}); URLs never carry credentials: give the URL alone, the user with --user and the password in AEM_PASSWORD (or the variable --password-env / the profile's password_env names)",
            crate::aem::client::display_url(url.trim())
        )));
    }
    Ok(())
}

/// Warns once that an `http://` IMS address other than this machine's sends the client
/// secret in clear.
fn warn_clear_ims(ims_url: &str) {
    let Ok(u) = reqwest::Url::parse(ims_url) else {
        return;
    };
    let host = u.host_str().unwrap_or("").trim_matches(['[', ']']);
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if u.scheme() == "http" && !loopback {
        eprintln!(
            "warning: --ims-url {} is plain http: the client secret and tokens would cross the network in clear; use https://",
            crate::aem::client::display_url(ims_url)
        );
    }
}

/// The TUI poll interval: finite, positive, at least the monitor's floor.
pub fn poll_interval(secs: f64) -> Duration {
    let d = if secs.is_finite() && secs > 0.0 {
        Duration::from_secs_f64(secs.min(3600.0))
    } else {
        Duration::from_secs(2)
    };
    d.max(crate::monitor::poller::MIN_INTERVAL)
}

/// Reads a secret from an environment variable, else prompts (without echo) on a terminal.
pub fn secret_from_env_or_prompt(
    var: &str,
    prompt: &str,
    hint: &str,
) -> Result<SecretString, ContextError> {
    if let Ok(v) = std::env::var(var)
        && !v.is_empty()
    {
        return Ok(SecretString::from(v));
    }
    if std::io::stdin().is_terminal() {
        let v = rpassword::prompt_password(prompt)
            .map_err(|e| ContextError::Secret(format!("cannot read the secret: {e}")))?;
        if !v.is_empty() {
            return Ok(SecretString::from(v));
        }
    }
    Err(ContextError::Secret(format!("no secret given: {hint}")))
}
