//! The JWT payload the operator copies from the Developer Console, and the Authorization
//! Server field, checked with diagnostics that say what to fix.

use serde_json::{Map, Value};
use thiserror::Error;

pub const PROD_IMS: &str = "https://ims-na1.adobelogin.com";
pub const STAGE_IMS: &str = "https://ims-na1-stg1.adobelogin.com";
pub const BP_METASCOPE: &str = "ent_brand_portal_sdk";

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum PayloadError {
    #[error(
        "the JWT payload is not JSON ({0}); paste the whole object from the Console's \"Generate JWT\" tab"
    )]
    NotJson(String),
    #[error("the JWT payload must be a JSON object {{…}}")]
    NotObject,
    #[error(
        "`exp` is the string \"{0}\"; IMS refuses it: it must be a number (seconds since 1970)"
    )]
    ExpString(String),
    #[error("`exp` is missing; the Console's payload always has one")]
    ExpMissing,
    #[error("`exp` must be a whole number of seconds")]
    ExpNotInteger,
    #[error("`aud` is missing; it must be {expected}")]
    AudMissing { expected: String },
    #[error(
        "`aud` is {found} but must be {expected} (<authorization server>/c/<API key>): copy the API key and the payload from the same Console project"
    )]
    AudMismatch { found: String, expected: String },
    #[error("`aud` names the stage IMS ({found}); Brand Portal in production uses {PROD_IMS}")]
    StageHost { found: String },
    #[error(
        "the payload has no Brand Portal metascope \"{PROD_IMS}/s/{BP_METASCOPE}\": true; add the AEM Brand Portal API to the Console project and copy the payload again"
    )]
    MissingMetascope,
    #[error("metascope key {key} uses a different IMS host than `aud`; all must be {host}")]
    MixedHosts { key: String, host: String },
    #[error(
        "`iss` \"{0}\" is not an IMS organization id (…@AdobeOrg); check that the Console is in the Brand Portal tenant's organization"
    )]
    Iss(String),
    #[error("`sub` \"{0}\" is not a technical account id (…@techacct.adobe.com)")]
    Sub(String),
}

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum AuthServerError {
    #[error(
        "the authorization server is the IMS host only ({PROD_IMS}/), not the whole `aud` value"
    )]
    WholeAud,
    #[error("the authorization server must use https")]
    NotHttps,
    #[error("{0} is the stage IMS; Brand Portal in production uses {PROD_IMS}/")]
    Stage(String),
    #[error("'{0}' is not Adobe IMS; use {PROD_IMS}/")]
    NotIms(String),
}

/// Accepts `https://ims-na1.adobelogin.com` with or without `/`; returns it without.
pub fn validate_auth_server(input: &str) -> Result<String, AuthServerError> {
    let s = input.trim().trim_end_matches('/');
    if s.contains("/c/") {
        return Err(AuthServerError::WholeAud);
    }
    if s.starts_with("http://") {
        return Err(AuthServerError::NotHttps);
    }
    if s.eq_ignore_ascii_case(STAGE_IMS) {
        return Err(AuthServerError::Stage(s.to_string()));
    }
    if !s.eq_ignore_ascii_case(PROD_IMS) {
        return Err(AuthServerError::NotIms(s.to_string()));
    }
    Ok(PROD_IMS.to_string())
}

/// A payload that passed every check.
#[derive(Clone, Debug, PartialEq)]
pub struct Payload {
    pub claims: Map<String, Value>,
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub metascopes: Vec<String>,
}

impl Payload {
    /// The claims as AEM stores them in `auth.token.provider.default.claims`
    /// (`"key" : value`), without `exp`, which is set at signing time.
    pub fn claim_lines(&self) -> Vec<String> {
        self.claims
            .iter()
            .filter(|(k, _)| k.as_str() != "exp")
            // Keys and values as JSON, escaped: nothing in a payload can break out of its line.
            .map(|(k, v)| format!("{} : {v}", Value::from(k.as_str())))
            .collect()
    }
}

fn id_like(s: &str, suffix: &str) -> bool {
    s.strip_suffix(suffix)
        .is_some_and(|id| !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// Checks the pasted payload against the API key and authorization server. Every problem
/// found is returned, not just the first.
pub fn validate_payload(
    text: &str,
    api_key: &str,
    auth_server: &str,
) -> Result<Payload, Vec<PayloadError>> {
    let value: Value = serde_json::from_str(text.trim())
        .map_err(|e| vec![PayloadError::NotJson(json_error_words(&e))])?;
    let Value::Object(claims) = value else {
        return Err(vec![PayloadError::NotObject]);
    };
    let host = auth_server.trim().trim_end_matches('/').to_string();
    let mut errors = Vec::new();
    match claims.get("exp") {
        None => errors.push(PayloadError::ExpMissing),
        Some(Value::String(s)) => errors.push(PayloadError::ExpString(s.clone())),
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => {}
        Some(_) => errors.push(PayloadError::ExpNotInteger),
    }
    let expected = format!("{host}/c/{}", api_key.trim());
    let aud = claims
        .get("aud")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if aud.is_empty() {
        errors.push(PayloadError::AudMissing {
            expected: expected.clone(),
        });
    } else if aud
        .to_ascii_lowercase()
        .starts_with(&STAGE_IMS.to_ascii_lowercase())
    {
        errors.push(PayloadError::StageHost { found: aud.clone() });
    } else if aud != expected {
        errors.push(PayloadError::AudMismatch {
            found: aud.clone(),
            expected,
        });
    }
    let mut metascopes = Vec::new();
    for (k, v) in &claims {
        if let Some((h, name)) = k.split_once("/s/") {
            if !h.eq_ignore_ascii_case(&host) {
                errors.push(PayloadError::MixedHosts {
                    key: k.clone(),
                    host: host.clone(),
                });
            } else if v == &Value::Bool(true) {
                metascopes.push(name.to_string());
            }
        }
    }
    if !metascopes.iter().any(|m| m == BP_METASCOPE) {
        errors.push(PayloadError::MissingMetascope);
    }
    let iss = claims
        .get("iss")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if !id_like(&iss, "@AdobeOrg") {
        errors.push(PayloadError::Iss(iss.clone()));
    }
    let sub = claims
        .get("sub")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if !id_like(&sub, "@techacct.adobe.com") {
        errors.push(PayloadError::Sub(sub.clone()));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Payload {
        claims,
        iss,
        sub,
        aud,
        metascopes,
    })
}

/// Rebuilds a payload from claim lines stored in AEM (`"key" : value`).
pub fn payload_from_claim_lines(lines: &[String]) -> Map<String, Value> {
    let mut m = Map::new();
    for line in lines {
        let l = line.trim();
        let Some(rest) = l.strip_prefix('"') else {
            continue;
        };
        let Some(end) = rest.find('"') else { continue };
        let key = &rest[..end];
        let Some(v) = rest[end + 1..].trim_start().strip_prefix(':') else {
            continue;
        };
        let v = v.trim();
        let value = serde_json::from_str(v).unwrap_or_else(|_| Value::String(v.to_string()));
        m.insert(key.to_string(), value);
    }
    m
}

/// A JSON syntax error in the operator's words, with where it is.
fn json_error_words(e: &serde_json::Error) -> String {
    let at = format!("line {}, column {}", e.line(), e.column());
    let msg = e.to_string();
    match e.classify() {
        serde_json::error::Category::Eof => {
            "it ends before the object is closed: part of it was not copied".into()
        }
        _ if msg.contains("key must be a string") => {
            format!("at {at} a name in double quotes was expected (\"iss\": …)")
        }
        _ if msg.contains("trailing comma") => format!("a comma before a closing bracket at {at}"),
        _ if msg.contains("trailing characters") => {
            format!("something follows the closing brace at {at}")
        }
        _ if msg.contains("expected value") || msg.contains("expected ident") => {
            format!("at {at} a value was expected (text in double quotes, a number, true or false)")
        }
        _ => format!("it is not valid JSON at {at}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "a64f5f10849a410a97ffdac8ae1b2c3d";

    fn good() -> String {
        format!(
            r#"{{"exp":1550001438,"iss":"C74F69D7594880280@AdobeOrg","sub":"6657031C5C095BB40A4@techacct.adobe.com","{PROD_IMS}/s/{BP_METASCOPE}":true,"aud":"{PROD_IMS}/c/{KEY}"}}"#
        )
    }

    #[test]
    fn accepts_the_console_payload() {
        let p = validate_payload(&good(), KEY, PROD_IMS).unwrap();
        assert_eq!(p.metascopes, vec![BP_METASCOPE]);
        assert!(p.claim_lines().iter().all(|l| !l.contains("exp")));
        let back = payload_from_claim_lines(&p.claim_lines());
        assert_eq!(back["aud"], p.claims["aud"]);
        assert_eq!(back[format!("{PROD_IMS}/s/{BP_METASCOPE}").as_str()], true);
    }

    #[test]
    fn each_mistake_is_named() {
        let e = validate_payload("{nope", KEY, PROD_IMS).unwrap_err();
        assert!(matches!(e[0], PayloadError::NotJson(_)));
        // Parser jargon stays out; where it went wrong stays in.
        for (bad, words) in [
            ("{x: 1}", "a name in double quotes was expected"),
            ("{\"iss\": tru}", "a value was expected"),
            ("{\"iss\": \"a\"", "part of it was not copied"),
            ("{\"iss\": \"a\",}", "a comma before a closing bracket"),
        ] {
            let e = validate_payload(bad, "k", "https://ims-na1.adobelogin.com").unwrap_err();
            let text = e[0].to_string();
            assert!(text.contains(words), "{bad}: {text}");
            assert!(!text.contains("ident"), "{bad}: {text}");
        }
        assert!(e[0].to_string().contains("Generate JWT"));
        let e = validate_payload("[1]", KEY, PROD_IMS).unwrap_err();
        assert_eq!(e, vec![PayloadError::NotObject]);
        let e = validate_payload(
            &good().replace("1550001438", "\"1550001438\""),
            KEY,
            PROD_IMS,
        )
        .unwrap_err();
        assert_eq!(e, vec![PayloadError::ExpString("1550001438".into())]);
        let e = validate_payload(&good(), "otherkey", PROD_IMS).unwrap_err();
        assert!(matches!(&e[0], PayloadError::AudMismatch { .. }));
        let e = validate_payload(
            &good().replace(&format!("/s/{BP_METASCOPE}"), "/s/ent_user_sdk"),
            KEY,
            PROD_IMS,
        )
        .unwrap_err();
        assert_eq!(e, vec![PayloadError::MissingMetascope]);
        let stage = good().replace(
            &format!("\"aud\":\"{PROD_IMS}"),
            &format!("\"aud\":\"{STAGE_IMS}"),
        );
        let e = validate_payload(&stage, KEY, PROD_IMS).unwrap_err();
        assert!(matches!(&e[0], PayloadError::StageHost { .. }));
        let mixed = good().replace(&format!("\"{PROD_IMS}/s/"), &format!("\"{STAGE_IMS}/s/"));
        let e = validate_payload(&mixed, KEY, PROD_IMS).unwrap_err();
        assert!(
            e.iter()
                .any(|x| matches!(x, PayloadError::MixedHosts { .. }))
        );
        let e = validate_payload(&good().replace("@AdobeOrg", ""), KEY, PROD_IMS).unwrap_err();
        assert!(matches!(&e[0], PayloadError::Iss(_)));
    }

    #[test]
    fn authorization_server() {
        assert_eq!(
            validate_auth_server("https://ims-na1.adobelogin.com/").unwrap(),
            PROD_IMS
        );
        assert_eq!(
            validate_auth_server(&format!("{PROD_IMS}/c/{KEY}")),
            Err(AuthServerError::WholeAud)
        );
        assert_eq!(
            validate_auth_server("http://ims-na1.adobelogin.com"),
            Err(AuthServerError::NotHttps)
        );
        assert!(matches!(
            validate_auth_server(STAGE_IMS),
            Err(AuthServerError::Stage(_))
        ));
        assert!(matches!(
            validate_auth_server("https://example.com"),
            Err(AuthServerError::NotIms(_))
        ));
    }
}
