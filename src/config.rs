//! The configuration file: named profiles for authors (dev, stage, prod), in TOML under the
//! XDG config directory (`$XDG_CONFIG_HOME/brandlink/config.toml`), or `--config FILE`.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use thiserror::Error;

pub const DEFAULT_CONFIG: &str = r#"# brandlink configuration
# Passwords are never stored here: each profile names the environment variable that holds it.

# Profile used when --profile is not given.
default_profile = "local"

[profiles.local]
url = "http://localhost:4502"
user = "admin"
password_env = "AEM_PASSWORD"
# IMS host; leave out for production (https://ims-na1.adobelogin.com)
# ims_url = "https://ims-na1.adobelogin.com"
# Brand Portal tenant URL, once known
# tenant = "https://<tenant>.brand-portal.adobe.com"
# ca_cert = "/etc/ssl/private-ca.pem"
# insecure = false
# tls_pin = "AB:CD:…"                 # the author's certificate, by SHA-256 fingerprint
# timeout_secs = 30
# For `brandlink fleet migrate` (JWT → OAuth Server-to-Server), the values of this author's
# OAuth Server-to-Server credential in the Developer Console:
# oauth_scopes = "openid,AdobeID,read_organizations"   # as the Console shows them
# org_id = "<org>@AdobeOrg"                           # leave out to keep the JWT configuration's
# client_secret_env = "BRANDLINK_LOCAL_CLIENT_SECRET"  # the NAME of the variable, never the secret
# client_id = "<client id>"                            # leave out to keep the current one

# Keys of the terminal UI can be changed one by one, e.g.:
# [keys]
# refresh = "ctrl-r"
# test_all = ["T", "f9"]

# [profiles.prod]
# url = "https://author.example.com"
# user = "brandlink-operator"
# password_env = "AEM_PROD_PASSWORD"
# tenant = "https://<tenant>.brand-portal.adobe.com"
# oauth_scopes = "openid,AdobeID,read_organizations"
# org_id = "<org>@AdobeOrg"
# client_secret_env = "BRANDLINK_PROD_CLIENT_SECRET"
"#;

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub default_profile: Option<String>,
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
    /// Key overrides for the TUI: `action = "key"` or `action = ["key", "key"]`.
    #[serde(default)]
    pub keys: BTreeMap<String, OneOrMany>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl Config {
    pub fn key_overrides(&self) -> BTreeMap<String, Vec<String>> {
        self.keys
            .iter()
            .map(|(k, v)| {
                let list = match v {
                    OneOrMany::One(s) => vec![s.clone()],
                    OneOrMany::Many(l) => l.clone(),
                };
                (k.clone(), list)
            })
            .collect()
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub url: Option<String>,
    pub user: Option<String>,
    pub password_env: Option<String>,
    pub ims_url: Option<String>,
    pub tenant: Option<String>,
    pub ca_cert: Option<PathBuf>,
    pub insecure: Option<bool>,
    /// Trust exactly the author's certificate with this SHA-256 fingerprint.
    pub tls_pin: Option<String>,
    pub timeout_secs: Option<u64>,
    /// OAuth scopes of the author's Console credential (`fleet migrate`): a comma-separated
    /// string as the Console shows it, or a list.
    pub oauth_scopes: Option<OneOrMany>,
    /// IMS organization id (`…@AdobeOrg`), for `fleet migrate`.
    pub org_id: Option<String>,
    /// The NAME of the environment variable holding this author's client secret.
    pub client_secret_env: Option<String>,
    /// Client id of the OAuth credential; absent keeps the current one.
    pub client_id: Option<String>,
}

impl Profile {
    /// The OAuth scopes, one per entry (commas split, blanks dropped).
    pub fn scopes(&self) -> Vec<String> {
        let parts: Vec<String> = match &self.oauth_scopes {
            None => vec![],
            Some(OneOrMany::One(s)) => vec![s.clone()],
            Some(OneOrMany::Many(l)) => l.clone(),
        };
        parts
            .iter()
            .flat_map(|p| p.split(','))
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    }

    /// Problems with the migration keys, each saying what to write instead.
    fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.oauth_scopes.is_some() && self.scopes().is_empty() {
            out.push("oauth_scopes is empty: copy the scopes from the Console's OAuth Server-to-Server credential".to_string());
        }
        if let Some(o) = &self.org_id
            && !o.trim().ends_with("@AdobeOrg")
        {
            out.push(format!(
                "org_id = \"{}\" does not end with @AdobeOrg: copy the organization id from the Console",
                o.trim()
            ));
        }
        for (key, value) in [
            ("client_secret_env", &self.client_secret_env),
            ("password_env", &self.password_env),
        ] {
            if let Some(v) = value
                && !is_env_name(v)
            {
                // Never echo the value: it may be the secret itself.
                out.push(format!(
                    "{key} must be the NAME of an environment variable (letters, digits, _), e.g. BRANDLINK_PROD_CLIENT_SECRET; put the value in that variable, never in this file"
                ));
            }
        }
        if let Some(c) = &self.client_id
            && c.trim().is_empty()
        {
            out.push("client_id is empty: leave it out to keep the current one".to_string());
        }
        out
    }
}

/// `AEM_PROD_PASSWORD`: what an environment variable's name may be.
pub fn is_env_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {detail}")]
    Read { path: String, detail: String },
    #[error("{path}: {detail}")]
    Parse { path: String, detail: String },
    #[error("{path}: profile '{profile}': {}", .problems.join("; "))]
    Invalid {
        path: String,
        profile: String,
        problems: Vec<String>,
    },
    #[error("profile '{name}' is not defined in {path} (known: {known})")]
    UnknownProfile {
        name: String,
        path: String,
        known: String,
    },
}

/// `$XDG_CONFIG_HOME/brandlink/config.toml` (or the platform's equivalent).
pub fn default_path() -> Option<PathBuf> {
    if let Some(x) = std::env::var_os("XDG_CONFIG_HOME").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(x).join("brandlink").join("config.toml"));
    }
    directories::ProjectDirs::from("", "", "brandlink").map(|d| d.config_dir().join("config.toml"))
}

/// Parses a config file's text; errors name the line and the field.
pub fn parse(text: &str, path: &str) -> Result<Config, ConfigError> {
    let config: Config = toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].lines().count().max(1));
        let detail = e.message().to_string();
        ConfigError::Parse {
            path: path.to_string(),
            detail: match line {
                Some(l) => format!("line {l}: {detail}"),
                None => detail,
            },
        }
    })?;
    for (name, p) in &config.profiles {
        let problems = p.problems();
        if !problems.is_empty() {
            return Err(ConfigError::Invalid {
                path: path.to_string(),
                profile: name.clone(),
                problems,
            });
        }
    }
    Ok(config)
}

/// Loads the file if it exists. An explicit path must exist.
pub fn load(explicit: Option<&Path>) -> Result<(Config, Option<PathBuf>), ConfigError> {
    let (path, must_exist) = match explicit {
        Some(p) => (Some(p.to_path_buf()), true),
        None => (default_path(), false),
    };
    let Some(path) = path else {
        return Ok((Config::default(), None));
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok((parse(&text, &path.display().to_string())?, Some(path))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !must_exist => {
            Ok((Config::default(), None))
        }
        Err(e) => Err(ConfigError::Read {
            path: path.display().to_string(),
            detail: e.to_string(),
        }),
    }
}

impl Config {
    /// The named profile, the default profile, or an empty one.
    pub fn profile(&self, name: Option<&str>, path: Option<&Path>) -> Result<Profile, ConfigError> {
        let wanted = name
            .map(str::to_string)
            .or_else(|| self.default_profile.clone());
        match wanted {
            None => Ok(Profile::default()),
            Some(n) => match self.profiles.get(&n) {
                Some(p) => Ok(p.clone()),
                // A default_profile that names nothing is a mistake in the file, not a reason
                // to fall back to localhost silently.
                None => Err(ConfigError::UnknownProfile {
                    name: n,
                    path: path
                        .map(|p| p.display().to_string())
                        .unwrap_or_else(|| "(no config file)".into()),
                    known: self.profiles.keys().cloned().collect::<Vec<_>>().join(", "),
                }),
            },
        }
    }
}

/// `$XDG_STATE_HOME/brandlink` (or the platform's equivalent): checks, backups, logs.
pub fn state_dir() -> PathBuf {
    if let Some(x) = std::env::var_os("XDG_STATE_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(x).join("brandlink");
    }
    directories::ProjectDirs::from("", "", "brandlink")
        .map(|d| d.state_dir().unwrap_or(d.data_local_dir()).to_path_buf())
        .unwrap_or_else(|| PathBuf::from("brandlink-state"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_config_parses() {
        let c = parse(DEFAULT_CONFIG, "default").unwrap();
        assert_eq!(c.default_profile.as_deref(), Some("local"));
        assert_eq!(
            c.profile(None, None).unwrap().url.as_deref(),
            Some("http://localhost:4502")
        );
    }

    #[test]
    fn errors_name_line_and_field() {
        let e = parse("[profiles.x]\nurl = \"a\"\nuser = 5\n", "f.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 3"), "{e}");
        assert!(e.contains("f.toml"));
        let e = parse("[profiles.x]\nurll = \"a\"\n", "f.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("urll"), "{e}");
        let c = parse("[profiles.a]\n", "f").unwrap();
        assert!(
            c.profile(Some("b"), None)
                .unwrap_err()
                .to_string()
                .contains("known: a")
        );
        let c = parse("default_profile = \"prod\"\n[profiles.a]\n", "f").unwrap();
        let e = c.profile(None, None).unwrap_err().to_string();
        assert!(e.contains("prod") && e.contains("known: a"), "{e}");
    }

    #[test]
    fn migration_keys_are_read_and_checked() {
        let c = parse(
            "[profiles.a]\noauth_scopes = \"openid, AdobeID\"\norg_id = \"X@AdobeOrg\"\nclient_secret_env = \"A_SECRET\"\n[profiles.b]\noauth_scopes = [\"openid\", \"AdobeID\"]\n",
            "f",
        )
        .unwrap();
        assert_eq!(c.profiles["a"].scopes(), vec!["openid", "AdobeID"]);
        assert_eq!(c.profiles["b"].scopes(), vec!["openid", "AdobeID"]);
        let e = parse("[profiles.a]\norg_id = \"X\"\n", "f")
            .unwrap_err()
            .to_string();
        assert!(e.contains("@AdobeOrg") && e.contains("'a'"), "{e}");
        // A secret pasted where its variable's name belongs is refused, and never echoed.
        let e = parse(
            "[profiles.a]\nclient_secret_env = \"p8e-s3cr3t-value\"\n",
            "f",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("NAME of an environment variable"), "{e}");
        assert!(!e.contains("s3cr3t"), "{e}");
        assert!(parse("[profiles.a]\noauth_scopes = \" , \"\n", "f").is_err());
        assert!(is_env_name("AEM_PROD_PASSWORD") && !is_env_name("1X") && !is_env_name(""));
    }
}
