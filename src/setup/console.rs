//! The sandbox's emulated Adobe Developer Console, reached over HTTP like the real one would be
//! by hand: upload `AEM-Adobe-IMS.crt`, read back API key, client secret, JWT payload and the
//! OAuth Server-to-Server credential.

use super::error::SetupError;
use secrecy::{ExposeSecret, SecretString};

/// What the Console hands out. The secrets stay secrets.
#[derive(Clone, Debug)]
pub struct ConsoleCreds {
    pub api_key: String,
    pub client_secret: SecretString,
    pub payload: String,
    pub oauth_client_id: String,
    pub oauth_secret: SecretString,
    pub scopes: String,
    pub org_id: String,
}

/// Creates a Console project: with the certificate, a JWT credential bound to it and an
/// OAuth Server-to-Server one; without, OAuth Server-to-Server only.
pub async fn fetch(
    http: &reqwest::Client,
    base: &str,
    cert_pem: Option<&str>,
) -> Result<ConsoleCreds, SetupError> {
    let form = match cert_pem {
        Some(pem) => reqwest::multipart::Form::new().part(
            "certificate",
            reqwest::multipart::Part::bytes(pem.as_bytes().to_vec()).file_name("AEM-Adobe-IMS.crt"),
        ),
        None => reqwest::multipart::Form::new().text("name", "AEM Brand Portal"),
    };
    let resp = http
        .post(format!("{base}/sandbox/console/projects"))
        .multipart(form)
        .send()
        .await
        .map_err(|e| SetupError::Refused(format!("cannot reach the sandbox Console: {e}")))?;
    if !resp.status().is_success() {
        return Err(SetupError::Refused(format!(
            "the sandbox Console refused the certificate ({})",
            resp.status()
        )));
    }
    let v = console_json(resp).await?;
    let s = |p: &[&str]| {
        let mut cur = &v;
        for k in p {
            cur = &cur[*k];
        }
        cur.as_str().unwrap_or("").to_string()
    };
    let creds = ConsoleCreds {
        api_key: s(&["apiKey"]),
        client_secret: SecretString::from(s(&["clientSecret"])),
        payload: if v["jwtPayload"].is_null() {
            String::new()
        } else {
            serde_json::to_string_pretty(&v["jwtPayload"]).unwrap_or_default()
        },
        oauth_client_id: s(&["oauth", "clientId"]),
        oauth_secret: SecretString::from(s(&["oauth", "clientSecret"])),
        scopes: s(&["oauth", "scopes"]),
        org_id: s(&["orgId"]),
    };
    if creds.api_key.is_empty() || creds.client_secret.expose_secret().is_empty() {
        return Err(SetupError::Refused(
            "the Console answer lacks the API key or secret".into(),
        ));
    }
    Ok(creds)
}

/// One credential of the sandbox Console: what the operator copies for the migration.
#[derive(Clone, Debug)]
pub struct ConsoleCredential {
    pub client_id: String,
    pub client_secret: SecretString,
    pub org_id: String,
    pub scopes: String,
}

/// The sandbox Console's values for the credential with this client id.
pub async fn fetch_credential(
    http: &reqwest::Client,
    base: &str,
    client_id: &str,
) -> Result<ConsoleCredential, SetupError> {
    let resp = http
        .get(format!("{base}/sandbox/console/projects/{client_id}"))
        .send()
        .await
        .map_err(|e| SetupError::Refused(format!("cannot reach the sandbox Console: {e}")))?;
    if !resp.status().is_success() {
        return Err(SetupError::Refused(format!(
            "the sandbox Console has no credential {client_id} ({})",
            resp.status()
        )));
    }
    let v = console_json(resp).await?;
    let s = |k: &str| v[k].as_str().unwrap_or("").to_string();
    Ok(ConsoleCredential {
        client_id: s("clientId"),
        client_secret: SecretString::from(s("clientSecret")),
        org_id: s("orgId"),
        scopes: s("scopes"),
    })
}

/// The sandbox Console's JSON answer (capped at 1 MiB while it streams in).
async fn console_json(resp: reqwest::Response) -> Result<serde_json::Value, SetupError> {
    let body = crate::net::read_capped(resp, 1 << 20)
        .await
        .map_err(|e| match e {
            crate::net::BodyError::Transport(e) => {
                SetupError::Refused(format!("the sandbox Console stopped answering: {e}"))
            }
            crate::net::BodyError::TooLarge { max } => SetupError::Refused(format!(
                "the sandbox Console's answer is larger than {}",
                crate::net::size_words(max)
            )),
            crate::net::BodyError::OverBudget => {
                SetupError::Refused(crate::net::over_budget_words())
            }
        })?;
    serde_json::from_slice(&body)
        .map_err(|e| SetupError::Refused(format!("unexpected Console answer: {e}")))
}
