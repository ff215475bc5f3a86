//! A user's keystore: read, create, add a key with its chain, remove an alias, download.

use super::client::{AemClient, form};
use super::error::AemError;
use reqwest::Method;
use reqwest::multipart::{Form, Part};
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct CertSummary {
    pub subject: String,
    pub issuer: String,
    /// As AEM writes it (`Sat Jan 01 00:00:00 UTC 2050`); RFC 3339 in JSON.
    #[serde(serialize_with = "java_date_json")]
    pub not_before: String,
    #[serde(serialize_with = "java_date_json")]
    pub not_after: String,
    /// Decimal text: serial numbers may exceed 64 bits.
    pub serial_number: String,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct KeyAlias {
    pub alias: String,
    pub entry_type: String,
    pub chain: Vec<CertSummary>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct KeystoreInfo {
    pub exists: bool,
    pub aliases: Vec<KeyAlias>,
}

impl KeystoreInfo {
    pub fn alias(&self, name: &str) -> Option<&KeyAlias> {
        self.aliases.iter().find(|a| a.alias == name)
    }
}

#[derive(Deserialize)]
struct Raw {
    exists: Option<bool>,
    #[serde(default)]
    aliases: Vec<Value>,
}

fn s(v: &Value, k: &str) -> String {
    match v.get(k) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// Parses `.ks.json`: `{"exists":false}` or `{"aliases":[…]}`.
pub fn parse_keystore_json(text: &str) -> Result<KeystoreInfo, String> {
    let raw: Raw =
        serde_json::from_str(text).map_err(|e| format!("invalid keystore JSON ({e})"))?;
    if raw.exists == Some(false) {
        return Ok(KeystoreInfo {
            exists: false,
            aliases: vec![],
        });
    }
    let aliases = raw
        .aliases
        .iter()
        .map(|a| KeyAlias {
            alias: s(a, "alias"),
            entry_type: s(a, "entryType"),
            chain: a
                .get("chain")
                .and_then(Value::as_array)
                .map(|c| {
                    c.iter()
                        .map(|x| CertSummary {
                            subject: s(x, "subject"),
                            issuer: s(x, "issuer"),
                            not_before: s(x, "notBefore"),
                            not_after: s(x, "notAfter"),
                            serial_number: s(x, "serialNumber"),
                        })
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect();
    Ok(KeystoreInfo {
        exists: true,
        aliases,
    })
}

/// Java's `Date.toString()` (`Sun Jul 01 12:00:00 UTC 2018`) to epoch seconds, if it parses.
/// A keystore date in JSON: RFC 3339, or AEM's text when it cannot be read.
fn java_date_json<S: serde::Serializer>(text: &str, s: S) -> Result<S::Ok, S::Error> {
    match parse_java_date(text).and_then(crate::when::rfc3339_secs) {
        Some(t) => s.serialize_str(&t),
        None => s.serialize_str(text),
    }
}

pub fn parse_java_date(s: &str) -> Option<i64> {
    let parts: Vec<&str> = s.split_whitespace().collect();
    if parts.len() != 6 {
        return None;
    }
    let text = format!("{} {} {} {}", parts[1], parts[2], parts[3], parts[5]);
    let naive = chrono::NaiveDateTime::parse_from_str(&text, "%b %d %H:%M:%S %Y").ok()?;
    // The zone abbreviation is ambiguous; UTC and GMT are exact, others are taken as UTC.
    Some(naive.and_utc().timestamp())
}

impl AemClient {
    pub async fn keystore(&self, user_path: &str) -> Result<KeystoreInfo, AemError> {
        let path = format!("{user_path}.ks.json");
        let reply = self.send(Method::GET, &path, &[200, 404], |b| b).await?;
        if reply.status == 404 {
            return Ok(KeystoreInfo {
                exists: false,
                aliases: vec![],
            });
        }
        parse_keystore_json(&reply.text())
            .map_err(|detail| AemError::UnexpectedBody { path, detail })
    }

    /// `:operation=createStore` (password in the body, never in the URL).
    pub async fn create_keystore(&self, user_path: &str, password: &str) -> Result<(), AemError> {
        let f = form([
            (":operation", "createStore"),
            ("newPassword", password),
            ("rePassword", password),
        ]);
        self.post_form(&format!("{user_path}.ks.html"), &f, &[200, 201])
            .await?;
        Ok(())
    }

    /// Adds a private key (PKCS#8 DER) and its certificate chain (PEM) under `alias`.
    pub async fn add_key(
        &self,
        user_path: &str,
        alias: &str,
        pk_der: &[u8],
        chain_pem: &str,
    ) -> Result<(), AemError> {
        let pk = pk_der.to_vec();
        let chain = chain_pem.to_string();
        self.send(
            Method::POST,
            &format!("{user_path}.ks.html"),
            &[200, 201],
            |b| {
                let f = Form::new()
                    .text("alias", alias.to_string())
                    .part("pk", Part::bytes(pk.clone()).file_name("private.der"))
                    .part(
                        "cert-chain",
                        Part::bytes(chain.clone().into_bytes()).file_name("AEM-Adobe-IMS.crt"),
                    );
                b.multipart(f)
            },
        )
        .await?;
        Ok(())
    }

    pub async fn remove_alias(&self, user_path: &str, alias: &str) -> Result<(), AemError> {
        self.post_form(
            &format!("{user_path}.ks.html"),
            &form([("removeAlias", alias)]),
            &[200],
        )
        .await?;
        Ok(())
    }

    /// The keystore as PKCS#12 (`<U>/keystore/store.p12`).
    pub async fn download_keystore(&self, user_path: &str) -> Result<Vec<u8>, AemError> {
        Ok(self
            .get(&format!("{user_path}/keystore/store.p12"))
            .await?
            .body
            .to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keystore_forms() {
        assert!(!parse_keystore_json(r#"{"exists":false}"#).unwrap().exists);
        let k = parse_keystore_json(r#"{"aliases":[{"alias":"bp","entryType":"privateKey","chain":[{"subject":"CN=x","notAfter":"Sun Jun 30 23:59:50 UTC 2019","serialNumber":18165099476682912368123}]}]}"#).unwrap();
        assert_eq!(
            k.aliases[0].chain[0].serial_number,
            "18165099476682912368123"
        );
        assert_eq!(
            parse_java_date("Sun Jun 30 23:59:50 UTC 2019"),
            Some(1561939190)
        );
        assert!(parse_keystore_json("nope").is_err());
    }
}
