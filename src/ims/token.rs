//! Getting an access token from IMS: JWT exchange (expires_in in ms) and OAuth
//! Server-to-Server client credentials (expires_in in s). Errors translated into the
//! operator's next step.

use super::payload::Payload;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use std::time::Duration;
use thiserror::Error;

/// How long brandlink's own JWTs live (Adobe advises minutes).
pub const JWT_LIFETIME: Duration = Duration::from_secs(300);

#[derive(Debug, Error)]
pub enum ImsError {
    #[error("IMS refused the token request ({status} {error}): {description}; {hint}")]
    Rejected {
        status: u16,
        error: String,
        description: String,
        hint: String,
        debug_id: Option<String>,
        retry_after: Option<u64>,
    },
    #[error("cannot reach IMS at {url}: {detail}")]
    Unreachable { url: String, detail: String },
    #[error("unexpected answer from IMS at {url}: {detail}")]
    Unexpected { url: String, detail: String },
    #[error("cannot sign the JWT: {0}")]
    Signing(String),
}

/// What to do about an IMS error, from its status and code (descriptions vary).
pub fn next_step(status: u16, error: &str, description: &str) -> String {
    let d = description.to_ascii_lowercase();
    match (status, error) {
        (429, _) => "IMS is rate-limiting: wait and retry".into(),
        (_, "invalid_client") if d.contains("end of life") || d.contains("oauth server-to-server") => {
            "JWT credentials are retired: create an OAuth Server-to-Server credential in the Console and use `account create --oauth`".into()
        }
        (401, "invalid_client") => "check the client secret (Console → Retrieve Client Secret) and that it belongs to this API key".into(),
        (_, "invalid_client") => "the API key is unknown to IMS, or `aud` names another client or IMS environment: copy the API key and payload from the same Console project".into(),
        (_, "invalid_token") if d.contains("signature") || d.contains("binding") => {
            "the private key AEM holds does not match any certificate in the Console project: upload AEM-Adobe-IMS.crt to the project again, or create a new certificate".into()
        }
        (_, "invalid_token") if d.contains("expired") => "the JWT had expired when IMS got it: check this machine's clock".into(),
        (_, "invalid_token") => "the JWT is malformed: copy the payload again from the Console".into(),
        (_, "invalid_signature") => "the JWT must be signed with RS256 by the key of the uploaded certificate".into(),
        (_, "invalid_scope") => "the Console project must have the AEM Brand Portal API, and the payload (or scopes) must match it: copy them again".into(),
        (_, "bad_request") => "`iss` or `sub` in the payload are malformed: copy the payload again".into(),
        (_, "unsupported_grant_type") => "OAuth Server-to-Server uses grant_type=client_credentials".into(),
        _ => "see the IMS message above; if it persists, recreate the IMS configuration".into(),
    }
}

/// An access token. Never printed.
pub struct Token {
    pub access_token: SecretString,
    pub expires_in: Duration,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token")
            .field("access_token", &"[redacted]")
            .field("expires_in", &self.expires_in)
            .finish()
    }
}

/// Signs the payload RS256 with a fresh `exp` (now + lifetime).
pub fn sign_jwt(
    payload: &Payload,
    pkcs8_der: &[u8],
    lifetime: Duration,
) -> Result<SecretString, ImsError> {
    let mut claims = payload.claims.clone();
    let exp = chrono::Utc::now().timestamp() + lifetime.as_secs() as i64;
    claims.insert("exp".into(), Value::from(exp));
    let pem = zeroize::Zeroizing::new(super::certificate::pkcs8_der_to_pem(pkcs8_der));
    let key = EncodingKey::from_rsa_pem(pem.as_bytes())
        .map_err(|_| ImsError::Signing("the private key is not an RSA PKCS#8 key".into()))?;
    let jwt = jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, &key)
        .map_err(|e| ImsError::Signing(e.to_string()))?;
    Ok(SecretString::from(jwt))
}

async fn token_request(
    http: &reqwest::Client,
    url: &str,
    form: &[(&str, &str)],
    expires_unit_ms: bool,
) -> Result<Token, ImsError> {
    let resp = http.post(url).form(form).send().await.map_err(|e| {
        let mut cur: &dyn std::error::Error = &e;
        while let Some(n) = cur.source() {
            cur = n;
        }
        ImsError::Unreachable {
            url: url.to_string(),
            detail: if e.is_timeout() {
                "timed out".into()
            } else {
                cur.to_string()
            },
        }
    })?;
    let status = resp.status().as_u16();
    let debug_id = resp
        .headers()
        .get("x-debug-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let retry_after = resp
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok());
    // A token answer is a few KiB: anything far larger is not IMS.
    let body = crate::net::read_capped(resp, 1 << 20)
        .await
        .map_err(|e| match e {
            crate::net::BodyError::Transport(e) => ImsError::Unreachable {
                url: url.to_string(),
                detail: e.to_string(),
            },
            crate::net::BodyError::TooLarge { max } => ImsError::Unexpected {
                url: url.to_string(),
                detail: format!(
                    "status {status} with an answer larger than {}: not IMS",
                    crate::net::size_words(max)
                ),
            },
            crate::net::BodyError::OverBudget => ImsError::Unexpected {
                url: url.to_string(),
                detail: crate::net::over_budget_words(),
            },
        })?;
    parse_token_response(url, status, &body, debug_id, retry_after, expires_unit_ms)
}

/// Reads IMS's answer to a token request: the token, or IMS's refusal in the operator's
/// words. `expires_in` is milliseconds for the JWT exchange, seconds for OAuth.
pub fn parse_token_response(
    url: &str,
    status: u16,
    body: &[u8],
    debug_id: Option<String>,
    retry_after: Option<u64>,
    expires_unit_ms: bool,
) -> Result<Token, ImsError> {
    let v: Value = serde_json::from_slice(body).map_err(|_| ImsError::Unexpected {
        url: url.to_string(),
        detail: format!("status {status} with a body that is not JSON"),
    })?;
    if status != 200 {
        let error = v
            .get("error")
            .and_then(Value::as_str)
            .unwrap_or("unknown_error")
            .to_string();
        let description = v
            .get("error_description")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if let Some(id) = &debug_id {
            tracing::warn!(status, %error, x_debug_id = %id, "IMS refused the token request");
        }
        return Err(ImsError::Rejected {
            hint: next_step(status, &error, &description),
            status,
            error,
            description,
            debug_id,
            retry_after,
        });
    }
    let token = v
        .get("access_token")
        .and_then(Value::as_str)
        .ok_or_else(|| ImsError::Unexpected {
            url: url.to_string(),
            detail: "200 without access_token".into(),
        })?;
    let n = v
        .get("expires_in")
        .and_then(Value::as_u64)
        .ok_or_else(|| ImsError::Unexpected {
            url: url.to_string(),
            detail: "200 without a numeric expires_in".into(),
        })?;
    Ok(Token {
        access_token: SecretString::from(token.to_string()),
        expires_in: if expires_unit_ms {
            Duration::from_millis(n)
        } else {
            Duration::from_secs(n)
        },
    })
}

/// `POST <ims>/ims/exchange/jwt`; `expires_in` is milliseconds.
pub async fn exchange_jwt(
    http: &reqwest::Client,
    ims_url: &str,
    client_id: &str,
    client_secret: &SecretString,
    jwt: &SecretString,
) -> Result<Token, ImsError> {
    let url = format!("{}/ims/exchange/jwt", ims_url.trim_end_matches('/'));
    let form = [
        ("client_id", client_id),
        ("client_secret", client_secret.expose_secret()),
        ("jwt_token", jwt.expose_secret()),
    ];
    token_request(http, &url, &form, true).await
}

/// `POST <ims>/ims/token/v3` with `grant_type=client_credentials`; scopes joined by commas;
/// `expires_in` is seconds.
pub async fn client_credentials(
    http: &reqwest::Client,
    ims_url: &str,
    client_id: &str,
    client_secret: &SecretString,
    scopes: &[String],
) -> Result<Token, ImsError> {
    let url = format!("{}/ims/token/v3", ims_url.trim_end_matches('/'));
    let scope = scopes
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(",");
    let form = [
        ("client_id", client_id),
        ("client_secret", client_secret.expose_secret()),
        ("grant_type", "client_credentials"),
        ("scope", scope.as_str()),
    ];
    token_request(http, &url, &form, false).await
}

/// Splits scopes given with commas or spaces.
pub fn split_scopes(s: &str) -> Vec<String> {
    s.split([',', ' '])
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}
