//! The Brand Portal IMS configuration: creating it after IMS has accepted the values (the
//! pre-flight and its verdicts, which Check Health in `health.rs` shares). Other integrations'
//! configurations on the same factory are left alone and never counted against Adobe's "only
//! one" rule.

use super::error::SetupError;
use super::snapshot::{AuthType, ImsConfig, read_ims_configs};
use super::stop::{Interrupted, Stop};
use crate::aem::AemClient;
use crate::aem::osgi::prop;
use crate::aem::osgi::{CUSTOMIZER_FACTORY, PROVIDER_FACTORY};
use crate::ims::payload::{self, PROD_IMS};
use crate::ims::token::{self, ImsError, Token};
use secrecy::{ExposeSecret, SecretSlice, SecretString};
use serde::Serialize;

/// What the operator copies from the Developer Console.
#[derive(Debug)]
pub struct AccountSpec {
    pub title: String,
    pub api_key: String,
    pub client_secret: SecretString,
    pub kind: AccountKind,
}

#[derive(Debug)]
pub enum AccountKind {
    Jwt {
        auth_server: String,
        payload: String,
        alias: String,
    },
    Oauth {
        scopes: Vec<String>,
        org_id: String,
    },
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountOutcome {
    pub pid: String,
    pub changed: bool,
    pub auth_type: AuthType,
    /// The token IMS gave for these values before anything was written (or why there was none).
    pub preflight: Verdict,
    /// Other integrations' IMS configurations, left alone.
    pub other_integrations: Vec<String>,
}

/// What is wrong with a client id (API key), if anything.
pub fn client_id_problem(key: &str) -> Option<String> {
    let key = key.trim();
    (key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric()))
        .then(|| "the API key (client id) must be the Console's alphanumeric client id".into())
}

/// What is wrong with an IMS organization id, if anything.
/// Adobe's organization id: hexadecimal characters, then `@AdobeOrg` (as the Developer
/// Console shows it). Anything else — quotes, spaces, newlines — would end up inside the JWT
/// claims AEM stores, so it is refused.
pub fn org_id_problem(org_id: &str) -> Option<String> {
    let ok = org_id.strip_suffix("@AdobeOrg").is_some_and(|hex| {
        (1..=64).contains(&hex.len()) && hex.chars().all(|c| c.is_ascii_hexdigit())
    });
    (!ok).then(|| {
        format!(
            "the organization id {} is not an Adobe organization id: hexadecimal characters, then @AdobeOrg (e.g. 0123456789ABCDEF01234567@AdobeOrg, as the Developer Console shows it)",
            serde_json::Value::from(org_id)
        )
    })
}

/// Validates every field the way AEM's form would need it; all problems at once.
pub fn validate_account(spec: &AccountSpec) -> Result<Option<payload::Payload>, SetupError> {
    let mut problems = Vec::new();
    if spec.title.trim().is_empty() {
        problems.push("the title is empty".to_string());
    }
    let key = spec.api_key.trim();
    problems.extend(client_id_problem(key));
    let secret = spec.client_secret.expose_secret();
    if secret.trim().is_empty() {
        problems.push("the client secret is empty".into());
    } else if secret.trim() == key {
        problems.push("the client secret equals the API key: paste the secret from \"Retrieve Client Secret\"".into());
    }
    let payload = match &spec.kind {
        AccountKind::Jwt {
            auth_server,
            payload,
            alias,
        } => {
            if alias.trim().is_empty() {
                problems.push("the key alias is empty".into());
            }
            match payload::validate_auth_server(auth_server) {
                Err(e) => {
                    problems.push(e.to_string());
                    None
                }
                Ok(server) => match payload::validate_payload(payload, key, &server) {
                    Ok(p) => Some(p),
                    Err(errs) => {
                        problems.extend(errs.iter().map(|e| e.to_string()));
                        None
                    }
                },
            }
        }
        AccountKind::Oauth { scopes, org_id } => {
            if scopes.is_empty() {
                problems
                    .push("OAuth Server-to-Server needs the scopes shown in the Console".into());
            }
            problems.extend(org_id_problem(org_id));
            None
        }
    };
    if problems.is_empty() {
        Ok(payload)
    } else {
        Err(SetupError::Invalid(problems))
    }
}

/// One check's outcome, in the operator's words.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Verdict {
    /// `ok`, `failed`, or `skipped`.
    pub state: VerdictState,
    pub message: String,
    /// How it was made: `oauth-client-credentials`, `jwt-exchange`, `aem-test-connection`.
    pub method: String,
    /// Token lifetime in seconds, when one was retrieved.
    pub expires_in_secs: Option<u64>,
}

#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum VerdictState {
    Ok,
    Failed,
    Skipped,
}

impl Verdict {
    pub fn ok(&self) -> bool {
        self.state == VerdictState::Ok
    }
    pub fn skipped(method: &str, why: impl Into<String>) -> Verdict {
        Verdict {
            state: VerdictState::Skipped,
            message: why.into(),
            method: method.into(),
            expires_in_secs: None,
        }
    }
}

/// What IMS is asked with, for a pre-flight or the first Check Health verdict.
pub struct ImsTarget<'a> {
    pub http: &'a reqwest::Client,
    pub url: &'a str,
}

/// Which field an IMS refusal points at.
fn field_of(e: &ImsError) -> &'static str {
    match e {
        ImsError::Rejected { error, status, .. } => match (error.as_str(), status) {
            ("invalid_client", 401) => "the client secret",
            ("invalid_client", _) => "the API key (client id)",
            ("invalid_scope", _) => "the scopes",
            ("invalid_token", _) => "the JWT payload or the key pair",
            ("bad_request", _) => "the JWT payload (iss/sub)",
            _ => "the credentials",
        },
        _ => "the credentials",
    }
}

fn token_verdict(method: &str, r: Result<Token, ImsError>) -> Result<Verdict, SetupError> {
    match r {
        Ok(t) => Ok(Verdict {
            state: VerdictState::Ok,
            message: "Token retrieved successfully".into(),
            method: method.into(),
            expires_in_secs: Some(t.expires_in.as_secs()),
        }),
        Err(e @ ImsError::Rejected { .. }) => Ok(Verdict {
            state: VerdictState::Failed,
            message: format!("{e} (IMS rejected {})", field_of(&e)),
            method: method.into(),
            expires_in_secs: None,
        }),
        Err(e) => Err(e.into()),
    }
}

/// Asks IMS for a token with OAuth client credentials.
pub async fn oauth_verdict(
    ims: &ImsTarget<'_>,
    client_id: &str,
    secret: &SecretString,
    scopes: &[String],
) -> Result<Verdict, SetupError> {
    let r = token::client_credentials(ims.http, ims.url, client_id, secret, scopes).await;
    token_verdict("oauth-client-credentials", r)
}

/// Asks IMS for a token with a JWT signed by `key` from these claims.
pub async fn jwt_verdict(
    ims: &ImsTarget<'_>,
    client_id: &str,
    secret: &SecretString,
    claims: serde_json::Map<String, serde_json::Value>,
    key: &SecretSlice<u8>,
) -> Result<Verdict, SetupError> {
    let p = payload::Payload {
        claims,
        iss: String::new(),
        sub: String::new(),
        aud: String::new(),
        metascopes: vec![],
    };
    let jwt = token::sign_jwt(&p, key.expose_secret(), token::JWT_LIFETIME)?;
    let r = token::exchange_jwt(ims.http, ims.url, client_id, secret, &jwt).await;
    token_verdict("jwt-exchange", r)
}

/// The pre-flight before anything is stored: a token from IMS with the values given (OAuth:
/// client credentials; JWT: the key in hand). A refusal names the field and writes nothing.
pub async fn preflight(
    spec: &AccountSpec,
    payload: Option<&payload::Payload>,
    ims: Option<&ImsTarget<'_>>,
    key: Option<&SecretSlice<u8>>,
) -> Result<Verdict, SetupError> {
    let Some(ims) = ims else {
        return Ok(Verdict::skipped(
            "none",
            "not verified with IMS (--no-verify): the values were stored as given",
        ));
    };
    let v = match (&spec.kind, payload, key) {
        (AccountKind::Oauth { scopes, .. }, _, _) => {
            oauth_verdict(ims, spec.api_key.trim(), &spec.client_secret, scopes).await?
        }
        (AccountKind::Jwt { .. }, Some(p), Some(k)) => {
            jwt_verdict(
                ims,
                spec.api_key.trim(),
                &spec.client_secret,
                p.claims.clone(),
                k,
            )
            .await?
        }
        (AccountKind::Jwt { .. }, _, _) => {
            return Ok(Verdict::skipped(
                "jwt-exchange",
                "not verified with IMS: no private key here (pass --key-file); Check Health verifies it through AEM once the cloud configuration exists",
            ));
        }
    };
    if v.ok() {
        Ok(v)
    } else {
        Err(SetupError::Refused(format!(
            "{}; nothing was written to AEM",
            v.message
        )))
    }
}

/// Refuses an OAuth configuration the author's Adobe IMS bundle cannot save (older than
/// 1.1.26: AEM answers "Invalid parameters (empty or null)!"), before anything is asked or
/// written, naming the package that brings the bundle.
pub async fn refuse_old_ims_bundle(client: &AemClient) -> Result<(), SetupError> {
    let readiness = client.readiness().await?;
    match crate::verdict::bundles::old_ims_bundle(&readiness) {
        Some(old) => Err(SetupError::Refused(format!(
            "{}; nothing was written to AEM: {}",
            old.warning(),
            old.fix()
        ))),
        None => Ok(()),
    }
}

/// A value the existing configuration holds otherwise than asked.
#[derive(Debug, PartialEq, Eq)]
struct Difference {
    what: &'static str,
    stored: String,
    given: String,
    /// The `account update` option that writes the given value.
    flag: String,
}

impl Difference {
    fn said(&self) -> String {
        format!(
            "{}: stored {}, given {}",
            self.what, self.stored, self.given
        )
    }
}

/// What an `account create` re-run asks otherwise than the configuration with its client id
/// holds (the client secret cannot be compared: AEM keeps it encrypted).
fn differences(existing: &ImsConfig, spec: &AccountSpec) -> Vec<Difference> {
    let mut out = Vec::new();
    let mut differ = |what, stored: String, given: String, flag: String| {
        if stored != given {
            out.push(Difference {
                what,
                stored,
                given,
                flag,
            });
        }
    };
    let title = spec.title.trim();
    differ(
        "title",
        existing.title.clone(),
        title.to_string(),
        format!("--title '{title}'"),
    );
    match &spec.kind {
        AccountKind::Oauth { scopes, org_id } => {
            let mut have = existing.scopes.clone();
            let mut want = scopes.clone();
            have.sort();
            want.sort();
            differ(
                "scopes",
                have.join(","),
                want.join(","),
                format!("--scopes {}", scopes.join(",")),
            );
            let org = org_id.trim();
            differ(
                "organization",
                existing.organization().unwrap_or_default(),
                org.to_string(),
                format!("--org-id {org}"),
            );
        }
        AccountKind::Jwt { alias, .. } => differ(
            "key alias",
            existing.keypair_alias.clone().unwrap_or_default(),
            alias.clone(),
            format!("--key-alias {alias}"),
        ),
    }
    out
}

/// `account create` where a Brand Portal configuration exists: the same one again is a re-run
/// that changes nothing; the same client id with other values says what differs; anything else
/// is Adobe's "only one".
fn rerun(
    existing: &ImsConfig,
    brand_portal_configs: usize,
    spec: &AccountSpec,
    auth_type: AuthType,
    other_integrations: Vec<String>,
) -> Result<AccountOutcome, SetupError> {
    if existing.client_id == spec.api_key.trim()
        && existing.auth_type == auth_type
        && brand_portal_configs == 1
    {
        let differ = differences(existing, spec);
        if !differ.is_empty() {
            return Err(SetupError::Refused(format!(
                "{} exists with this client id but other values — {}; nothing was changed: `brandlink account update {}` writes the given ones",
                existing.pid,
                differ
                    .iter()
                    .map(|d| d.said())
                    .collect::<Vec<_>>()
                    .join("; "),
                differ
                    .iter()
                    .map(|d| d.flag.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            )));
        }
        return Ok(AccountOutcome {
            pid: existing.pid.clone(),
            changed: false,
            auth_type,
            preflight: Verdict::skipped("none", "nothing to store: it exists already"),
            other_integrations,
        });
    }
    Err(SetupError::Refused(format!(
        "a Brand Portal IMS configuration already exists ({}, client {}); Adobe allows only one for Brand Portal: change it with `brandlink account update`, or migrate it with `brandlink account migrate`",
        existing.pid, existing.client_id
    )))
}

/// Creates the Brand Portal IMS configuration (provider + customizer holding the secret),
/// once IMS has accepted the values. Refuses a second Brand Portal configuration (Adobe allows
/// one); other integrations' configurations do not count and are left alone.
///
/// A stop asked for before the first write ends it with nothing written; once the provider is
/// written its customizer (the secret) is too, whatever is asked meanwhile.
pub async fn create_account(
    client: &AemClient,
    spec: &AccountSpec,
    ims: Option<&ImsTarget<'_>>,
    key: Option<&SecretSlice<u8>>,
    stop: &Stop,
) -> Result<AccountOutcome, SetupError> {
    let payload = validate_account(spec)?;
    let configs = read_ims_configs(&client.reader(), None).await?;
    let auth_type = match spec.kind {
        AccountKind::Jwt { .. } => AuthType::Jwt,
        AccountKind::Oauth { .. } => AuthType::OauthServerToServer,
    };
    let other_integrations: Vec<String> = configs
        .iter()
        .filter(|c| !c.is_brand_portal())
        .map(ImsConfig::label)
        .collect();
    let bp: Vec<&ImsConfig> = configs.iter().filter(|c| c.is_brand_portal()).collect();
    if let Some(existing) = bp.first() {
        return rerun(existing, bp.len(), spec, auth_type, other_integrations);
    }
    // Only now (a re-run and a second configuration are answered above): an OAuth
    // configuration this author's IMS bundle cannot save is refused before IMS is asked.
    if matches!(spec.kind, AccountKind::Oauth { .. }) {
        refuse_old_ims_bundle(client).await?;
    }
    let preflight = preflight(spec, payload.as_ref(), ims, key).await?;
    let customizer_type = format!(
        "brandlink-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    let one = |v: &str| vec![v.to_string()];
    let mut props: Vec<(String, Vec<String>)> = vec![
        (
            "name".into(),
            one(&format!("brandportal-{}", &customizer_type[10..])),
        ),
        (prop::TITLE.into(), one(spec.title.trim())),
        (prop::CLIENT_ID.into(), one(spec.api_key.trim())),
        (prop::REUSE_ACCESS_TOKEN.into(), one("true")),
        (prop::REQUEST_CUSTOMIZER_TYPE.into(), one(&customizer_type)),
    ];
    match (&spec.kind, payload) {
        (AccountKind::Jwt { alias, .. }, Some(p)) => {
            props.push((prop::ENDPOINT.into(), one(PROD_IMS)));
            props.push((
                prop::ACCESS_TOKEN_REQUEST.into(),
                one(&format!("{PROD_IMS}/ims/exchange/jwt")),
            ));
            props.push((prop::KEYPAIR_ALIAS.into(), one(alias.trim())));
            props.push((prop::CLAIMS.into(), p.claim_lines()));
        }
        (AccountKind::Oauth { scopes, org_id }, _) => {
            props.push((prop::ENDPOINT.into(), one(PROD_IMS)));
            props.push((
                prop::ACCESS_TOKEN_REQUEST.into(),
                one(&format!("{PROD_IMS}/ims/token/v3")),
            ));
            props.push((prop::GRANTS.into(), one("client_credentials")));
            props.push((prop::ORG_ID.into(), one(org_id)));
            props.push((prop::SCOPE.into(), one(&scopes.join(","))));
            props.push((prop::CLAIMS.into(), vec![format!("\"iss\" : \"{org_id}\"")]));
        }
        (AccountKind::Jwt { .. }, None) => {
            return Err(SetupError::Invalid(vec![
                "the JWT payload is missing".into(),
            ]));
        }
    }
    stop.check(|| {
        Interrupted::new("account create")
            .not_done(format!("the IMS configuration '{}'", spec.title.trim()))
            .next("to complete it: run `brandlink account create` again")
    })?;
    let pid = client
        .create_factory_config(PROVIDER_FACTORY, &props)
        .await?;
    let secret_props = vec![
        (prop::CUSTOMIZER_TYPE.to_string(), one(&customizer_type)),
        (
            prop::CLIENT_SECRET.to_string(),
            vec![spec.client_secret.expose_secret().to_string()],
        ),
    ];
    if let Err(e) = client
        .create_factory_config(CUSTOMIZER_FACTORY, &secret_props)
        .await
    {
        // Do not leave half a configuration behind.
        let _ = client.delete_config(&pid).await;
        return Err(e.into());
    }
    Ok(AccountOutcome {
        pid,
        changed: true,
        auth_type,
        preflight,
        other_integrations,
    })
}
