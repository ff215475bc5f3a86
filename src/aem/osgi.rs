//! OSGi configurations through the Felix Web Console (`/system/console/configMgr`).

use super::client::AemClient;
use super::error::AemError;
use reqwest::Method;
use serde::Serialize;
use serde_json::Value;

pub const TEMP_PID: &str = "%5BTemporary%20PID%20replaced%20by%20real%20PID%20upon%20save%5D";
pub const PROVIDER_FACTORY: &str = "com.adobe.granite.auth.oauth.accesstoken.provider";
pub const CUSTOMIZER_FACTORY: &str =
    "com.adobe.granite.auth.ims.impl.IMSAccessTokenRequestCustomizerImpl";

/// The properties of the IMS provider (`PROVIDER_FACTORY`) and its customizer
/// (`CUSTOMIZER_FACTORY`) brandlink reads and writes, named once.
pub mod prop {
    pub const TITLE: &str = "auth.token.provider.title";
    pub const CLIENT_ID: &str = "auth.token.provider.client.id";
    pub const ENDPOINT: &str = "auth.token.provider.endpoint";
    pub const ACCESS_TOKEN_REQUEST: &str = "auth.access.token.request";
    pub const CLAIMS: &str = "auth.token.provider.default.claims";
    pub const KEYPAIR_ALIAS: &str = "auth.token.provider.keypair.alias";
    pub const GRANTS: &str = "auth.token.provider.authorization.grants";
    pub const ORG_ID: &str = "auth.token.provider.orgId";
    pub const SCOPE: &str = "auth.token.provider.scope";
    pub const CONN_TIMEOUT: &str = "auth.token.provider.conn.timeout";
    pub const SO_TIMEOUT: &str = "auth.token.provider.so.timeout";
    pub const RELAXED_SSL: &str = "auth.token.provider.relaxed.ssl";
    pub const REUSE_ACCESS_TOKEN: &str = "auth.token.provider.reuse.access.token";
    pub const VALIDATOR_TYPE: &str = "auth.token.validator.type";
    /// On the provider: `token.request.customizer.type`'s value; on the customizer: its type.
    pub const CUSTOMIZER_TYPE: &str = "customizer.type";
    /// On the provider: which customizer completes its token request.
    pub const REQUEST_CUSTOMIZER_TYPE: &str = "token.request.customizer.type";
    /// The customizer's client secret (AEM keeps it encrypted).
    pub const CLIENT_SECRET: &str = "auth.ims.client.secret";
}

/// One configuration, values as text (arrays kept as lists). `Debug` and `Serialize` show a
/// secret property (the client secret) as `[redacted]`, never its value.
#[derive(Clone, PartialEq, Eq)]
pub struct OsgiConfig {
    pub pid: String,
    pub factory_pid: Option<String>,
    pub properties: Vec<(String, Vec<String>)>,
}

impl OsgiConfig {
    fn shown(&self) -> Vec<(&str, Vec<&str>)> {
        self.properties
            .iter()
            .map(|(k, v)| {
                let vals = if is_secret_property(k) {
                    vec!["[redacted]"]
                } else {
                    v.iter().map(String::as_str).collect()
                };
                (k.as_str(), vals)
            })
            .collect()
    }
}

impl std::fmt::Debug for OsgiConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OsgiConfig")
            .field("pid", &self.pid)
            .field("factory_pid", &self.factory_pid)
            .field("properties", &self.shown())
            .finish()
    }
}

impl Serialize for OsgiConfig {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("OsgiConfig", 3)?;
        st.serialize_field("pid", &self.pid)?;
        st.serialize_field("factoryPid", &self.factory_pid)?;
        st.serialize_field("properties", &self.shown())?;
        st.end()
    }
}

impl OsgiConfig {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.properties
            .iter()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| v.first())
            .map(String::as_str)
    }
    pub fn all(&self, name: &str) -> Vec<String> {
        self.properties
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }
}

/// Properties that hold a secret: never written to a backup, a log or the screen.
pub fn is_secret_property(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.contains("secret") || n.contains("password")
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Parses the console's JSON array of configurations.
pub fn parse_configs(text: &str) -> Result<Vec<OsgiConfig>, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("invalid JSON ({e})"))?;
    let arr = v.as_array().ok_or("not a JSON array of configurations")?;
    Ok(arr
        .iter()
        .filter_map(|c| {
            let pid = c.get("pid")?.as_str()?.to_string();
            let factory_pid = c
                .get("factoryPid")
                .and_then(Value::as_str)
                .map(str::to_string);
            let properties = c
                .get("properties")
                .and_then(Value::as_object)
                .map(|props| {
                    props
                        .iter()
                        .map(|(k, p)| {
                            let values = match (p.get("values"), p.get("value")) {
                                (Some(Value::Array(a)), _) => a.iter().map(scalar).collect(),
                                (_, Some(v)) => vec![scalar(v)],
                                _ => vec![],
                            };
                            (k.clone(), values)
                        })
                        .collect()
                })
                .unwrap_or_default();
            Some(OsgiConfig {
                pid,
                factory_pid,
                properties,
            })
        })
        .collect())
}

/// Scrapes `configData = {…};` from the console page (fallback listing).
pub fn parse_config_data(html: &str) -> Vec<(String, Option<String>)> {
    let Some(script) = super::html::script_containing(html, "configData = ") else {
        return vec![];
    };
    let Some(start) = script.find("configData = ") else {
        return vec![];
    };
    let rest = &script[start + "configData = ".len()..];
    let end = rest.find("};").map(|e| e + 1).unwrap_or(rest.len());
    let Ok(v) = serde_json::from_str::<Value>(&rest[..end]) else {
        return vec![];
    };
    v.get("pids")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|p| {
                    Some((
                        p.get("id")?.as_str()?.to_string(),
                        p.get("fpid").and_then(Value::as_str).map(str::to_string),
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

impl AemClient {
    /// Creates a factory configuration; returns the PID AEM assigned.
    pub async fn create_factory_config(
        &self,
        factory: &str,
        props: &[(String, Vec<String>)],
    ) -> Result<String, AemError> {
        let path = format!("/system/console/configMgr/{TEMP_PID}");
        let mut f: Vec<(String, String)> = vec![
            ("apply".into(), "true".into()),
            ("action".into(), "ajaxConfigManager".into()),
            ("factoryPid".into(), factory.into()),
            (
                "propertylist".into(),
                props
                    .iter()
                    .map(|(k, _)| k.as_str())
                    .collect::<Vec<_>>()
                    .join(","),
            ),
        ];
        for (k, vs) in props {
            for v in vs {
                f.push((k.clone(), v.clone()));
            }
        }
        let reply = self
            .send(Method::POST, &path, &[302, 200], |b| b.form(&f))
            .await?;
        let location = reply.header("location").unwrap_or("").to_string();
        let pid = location
            .rsplit('/')
            .next()
            .unwrap_or("")
            .trim_end_matches(".json")
            .to_string();
        if pid.is_empty() || !pid.starts_with(factory) {
            return Err(AemError::UnexpectedBody {
                path,
                detail: "the console did not say which PID it created (no Location header)".into(),
            });
        }
        Ok(pid)
    }

    pub async fn config(&self, pid: &str) -> Result<Option<OsgiConfig>, AemError> {
        let path = format!("/system/console/configMgr/{pid}.json");
        let reply = self.send(Method::GET, &path, &[200, 404], |b| b).await?;
        if reply.status == 404 {
            return Ok(None);
        }
        let list = parse_configs(&reply.text())
            .map_err(|detail| AemError::UnexpectedBody { path, detail })?;
        Ok(list.into_iter().find(|c| c.pid == pid))
    }

    /// All configurations of a factory: the LDAP filter form, else the console page.
    pub async fn factory_configs(&self, factory: &str) -> Result<Vec<OsgiConfig>, AemError> {
        let path = format!("/system/console/configMgr/(service.factoryPid={factory}).json");
        if let Ok(reply) = self.send(Method::GET, &path, &[200], |b| b).await
            && let Ok(list) = parse_configs(&reply.text())
        {
            return Ok(list);
        }
        let page = self.get("/system/console/configMgr").await?.text();
        let mut out = Vec::new();
        for (pid, fpid) in parse_config_data(&page) {
            if fpid.as_deref() == Some(factory)
                && let Some(c) = self.config(&pid).await?
            {
                out.push(c);
            }
        }
        Ok(out)
    }

    /// Updates a configuration in place (same PID): sets `props`, removes `remove`; every other
    /// property is left as it is.
    pub async fn update_config(
        &self,
        pid: &str,
        props: &[(String, Vec<String>)],
        remove: &[String],
    ) -> Result<(), AemError> {
        let path = format!("/system/console/configMgr/{pid}");
        let names: Vec<&str> = props
            .iter()
            .map(|(k, _)| k.as_str())
            .chain(remove.iter().map(String::as_str))
            .collect();
        let mut f: Vec<(String, String)> = vec![
            ("apply".into(), "true".into()),
            ("action".into(), "ajaxConfigManager".into()),
            ("propertylist".into(), names.join(",")),
        ];
        for (k, vs) in props {
            for v in vs {
                f.push((k.clone(), v.clone()));
            }
        }
        self.send(Method::POST, &path, &[302, 200], |b| b.form(&f))
            .await?;
        Ok(())
    }

    pub async fn delete_config(&self, pid: &str) -> Result<(), AemError> {
        let path = format!("/system/console/configMgr/{pid}");
        let f = super::client::form([("apply", "1"), ("delete", "1")]);
        self.send(Method::POST, &path, &[200, 404], |b| b.form(&f))
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod redaction_tests {
    use super::*;

    #[test]
    fn a_client_secret_never_shows() {
        let c = OsgiConfig {
            pid: "p".into(),
            factory_pid: Some(CUSTOMIZER_FACTORY.into()),
            properties: vec![
                (prop::CUSTOMIZER_TYPE.into(), vec!["t".into()]),
                (prop::CLIENT_SECRET.into(), vec!["p8e-TOP-SECRET".into()]),
            ],
        };
        assert!(!format!("{c:?}").contains("TOP-SECRET"));
        let j = serde_json::to_string(&c).unwrap();
        assert!(!j.contains("TOP-SECRET") && j.contains("[redacted]"), "{j}");
        assert_eq!(
            c.get(prop::CLIENT_SECRET),
            Some("p8e-TOP-SECRET"),
            "usable inside"
        );
    }
}
