//! The steps' actions. Each checks its precondition, does nothing when its work is already
//! done, and reports what it changed.

pub use super::error::SetupError;
use super::snapshot::{AuthType, ImsConfig};
use crate::aem::agents::TestResult;
use crate::aem::cloud::validate_tenant_url;
use crate::aem::osgi::{CUSTOMIZER_FACTORY, PROVIDER_FACTORY};
use crate::aem::users::BP_SERVICE_USER;
use crate::aem::{AemClient, AemError};
use crate::ims::certificate::{self, CertInfo, GeneratedCertificate};
use crate::ims::payload::{self, PROD_IMS};
use crate::ims::token::{self, ImsError};
use secrecy::{ExposeSecret, SecretSlice, SecretString};
use serde::Serialize;
use std::time::Duration;

async fn service_user(client: &AemClient) -> Result<String, SetupError> {
    client.find_user(BP_SERVICE_USER).await?.ok_or_else(|| {
        SetupError::Refused(format!(
            "the service user {BP_SERVICE_USER} does not exist on this author; Brand Portal needs AEM 6.5.4+ or 6.4.8+"
        ))
    })
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CertificateOutcome {
    pub alias: String,
    pub changed: bool,
    pub created_keystore: bool,
    pub certificate: Option<CertInfo>,
    /// Set when the alias already existed and nothing was generated.
    pub existing_not_after: Option<String>,
    #[serde(skip)]
    pub generated: Option<GeneratedCertificate>,
}

/// Creates the key pair and certificate, uploads them to the service user's keystore
/// (creating the store if missing, with `keystore_password`). An existing alias is left alone.
pub async fn create_certificate(
    client: &AemClient,
    alias: &str,
    days: u32,
    common_name: &str,
    keystore_password: impl FnOnce() -> Result<SecretString, SetupError>,
) -> Result<CertificateOutcome, SetupError> {
    if alias.trim().is_empty() || alias.contains(['/', ' ']) {
        return Err(SetupError::Invalid(vec![format!(
            "alias '{alias}' must be a non-empty word without spaces or slashes"
        )]));
    }
    let user = service_user(client).await?;
    let ks = client.keystore(&user).await?;
    if let Some(existing) = ks.alias(alias) {
        return Ok(CertificateOutcome {
            alias: alias.to_string(),
            changed: false,
            created_keystore: false,
            certificate: None,
            existing_not_after: existing.chain.first().map(|c| c.not_after.clone()),
            generated: None,
        });
    }
    let generated = certificate::generate(common_name, days)?;
    let mut created_keystore = false;
    if !ks.exists {
        let pw = keystore_password()?;
        client.create_keystore(&user, pw.expose_secret()).await?;
        created_keystore = true;
    }
    client
        .add_key(
            &user,
            alias,
            generated.private_key_der(),
            &generated.cert_pem,
        )
        .await?;
    let after = client.keystore(&user).await?;
    if after.alias(alias).is_none() {
        return Err(SetupError::Aem(AemError::UnexpectedBody {
            path: format!("{user}.ks.json"),
            detail: format!("alias {alias} is missing after the upload"),
        }));
    }
    Ok(CertificateOutcome {
        alias: alias.to_string(),
        changed: true,
        created_keystore,
        certificate: Some(generated.info.clone()),
        existing_not_after: None,
        generated: Some(generated),
    })
}

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
}

/// Validates every field the way AEM's form would need it; all problems at once.
pub fn validate_account(spec: &AccountSpec) -> Result<Option<payload::Payload>, SetupError> {
    let mut problems = Vec::new();
    if spec.title.trim().is_empty() {
        problems.push("the title is empty".to_string());
    }
    let key = spec.api_key.trim();
    if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric()) {
        problems
            .push("the API key (client id) must be the Console's alphanumeric client id".into());
    }
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
            if !org_id.ends_with("@AdobeOrg") {
                problems.push(format!(
                    "the organization id '{org_id}' must end with @AdobeOrg"
                ));
            }
            None
        }
    };
    if problems.is_empty() {
        Ok(payload)
    } else {
        Err(SetupError::Invalid(problems))
    }
}

/// Creates the IMS configuration (provider + customizer holding the secret). Refuses a second
/// configuration, as Adobe requires exactly one; an identical one means nothing to do.
pub async fn create_account(
    client: &AemClient,
    spec: &AccountSpec,
) -> Result<AccountOutcome, SetupError> {
    let payload = validate_account(spec)?;
    let providers = client.factory_configs(PROVIDER_FACTORY).await?;
    let customizers = client.factory_configs(CUSTOMIZER_FACTORY).await?;
    let auth_type = match spec.kind {
        AccountKind::Jwt { .. } => AuthType::Jwt,
        AccountKind::Oauth { .. } => AuthType::OauthServerToServer,
    };
    if let Some(existing) = providers.first() {
        let info = ImsConfig::from_osgi(existing, &customizers);
        if info.client_id == spec.api_key.trim()
            && info.auth_type == auth_type
            && providers.len() == 1
        {
            return Ok(AccountOutcome {
                pid: info.pid,
                changed: false,
                auth_type,
            });
        }
        return Err(SetupError::Refused(format!(
            "an IMS configuration already exists ({}, client {}); Adobe allows only one: remove it before creating another",
            info.pid, info.client_id
        )));
    }
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
        ("auth.token.provider.title".into(), one(spec.title.trim())),
        (
            "auth.token.provider.client.id".into(),
            one(spec.api_key.trim()),
        ),
        ("auth.token.provider.reuse.access.token".into(), one("true")),
        (
            "token.request.customizer.type".into(),
            one(&customizer_type),
        ),
    ];
    match (&spec.kind, payload) {
        (AccountKind::Jwt { alias, .. }, Some(p)) => {
            props.push(("auth.token.provider.endpoint".into(), one(PROD_IMS)));
            props.push((
                "auth.access.token.request".into(),
                one(&format!("{PROD_IMS}/ims/exchange/jwt")),
            ));
            props.push((
                "auth.token.provider.keypair.alias".into(),
                one(alias.trim()),
            ));
            props.push(("auth.token.provider.default.claims".into(), p.claim_lines()));
        }
        (AccountKind::Oauth { scopes, org_id }, _) => {
            props.push(("auth.token.provider.endpoint".into(), one(PROD_IMS)));
            props.push((
                "auth.access.token.request".into(),
                one(&format!("{PROD_IMS}/ims/token/v3")),
            ));
            props.push((
                "auth.token.provider.authorization.grants".into(),
                one("client_credentials"),
            ));
            props.push(("auth.token.provider.orgId".into(), one(org_id)));
            props.push(("auth.token.provider.scope".into(), one(&scopes.join(","))));
            props.push((
                "auth.token.provider.default.claims".into(),
                vec![format!("\"iss\" : \"{org_id}\"")],
            ));
        }
        (AccountKind::Jwt { .. }, None) => {
            return Err(SetupError::Invalid(vec![
                "the JWT payload is missing".into(),
            ]));
        }
    }
    let pid = client
        .create_factory_config(PROVIDER_FACTORY, &props)
        .await?;
    let secret_props = vec![
        ("customizer.type".to_string(), one(&customizer_type)),
        (
            "auth.ims.client.secret".to_string(),
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
    })
}

/// Where Check Health gets what a real token exchange needs.
pub enum KeySource {
    /// The key this process generated (the TUI right after "Create new certificate").
    InMemory(SecretSlice<u8>),
    /// A PKCS#8 file the operator saved with `cert create --save-key` (must be 0600).
    File(std::path::PathBuf),
    /// The service user's keystore, downloaded as PKCS#12 and opened with its password.
    Keystore(SecretString),
    /// No key here: ask AEM itself (Test Connection on the Brand Portal agents).
    AemSide,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HealthReport {
    pub pid: String,
    pub auth_type: AuthType,
    pub healthy: bool,
    /// `Token retrieved successfully`, or what failed.
    pub message: String,
    /// Token lifetime in seconds, when one was retrieved.
    pub expires_in_secs: Option<u64>,
    /// How the check was made.
    pub method: String,
    pub agent_tests: Vec<TestResult>,
}

/// Check Health: a real token exchange with the configured credentials.
pub async fn check_account(
    client: &AemClient,
    ims_http: &reqwest::Client,
    ims_url: &str,
    key: KeySource,
    secret: Option<SecretString>,
    tenant: Option<&str>,
) -> Result<HealthReport, SetupError> {
    let providers = client.factory_configs(PROVIDER_FACTORY).await?;
    let customizers = client.factory_configs(CUSTOMIZER_FACTORY).await?;
    let cfg = match providers.as_slice() {
        [] => {
            return Err(SetupError::Refused(
                "there is no IMS configuration to check; run `account create` first".into(),
            ));
        }
        [one] => ImsConfig::from_osgi(one, &customizers),
        many => {
            return Err(SetupError::Refused(format!(
                "{} IMS configurations exist; Adobe requires exactly one: remove the extra ones first",
                many.len()
            )));
        }
    };
    let report =
        |healthy: bool, message: String, exp: Option<u64>, method: &str, tests: Vec<TestResult>| {
            HealthReport {
                pid: cfg.pid.clone(),
                auth_type: cfg.auth_type,
                healthy,
                message,
                expires_in_secs: exp,
                method: method.into(),
                agent_tests: tests,
            }
        };
    let aem_side =
        matches!(key, KeySource::AemSide) && cfg.auth_type == AuthType::Jwt || secret.is_none();
    if aem_side {
        let Some(tenant) = tenant else {
            return Err(SetupError::Refused(
                "without the private key or client secret here, Check Health needs the Brand Portal agents: create the cloud configuration, or pass --key-file / --keystore and the client secret".into(),
            ));
        };
        let agents = client.brand_portal_agents(tenant).await?;
        if agents.is_empty() {
            return Err(SetupError::Refused(format!(
                "no Brand Portal agents replicate to {tenant} yet; pass --key-file or --keystore with the client secret to check the credentials directly"
            )));
        }
        let ids: Vec<String> = agents.iter().map(|a| a.id.clone()).collect();
        let mut tests = Vec::new();
        for (_, r) in client.test_connections(&ids).await {
            tests.push(r?);
        }
        let ok = tests.iter().all(|t| t.success);
        let msg = if ok {
            format!(
                "Token retrieved successfully by AEM (Test Connection passed on {} agents)",
                tests.len()
            )
        } else {
            let bad = tests
                .iter()
                .find(|t| !t.success)
                .map(|t| format!("{}: {}", t.agent, t.summary))
                .unwrap_or_default();
            format!("AEM could not deliver with its token: {bad}")
        };
        return Ok(report(ok, msg, None, "aem-test-connection", tests));
    }
    let secret = secret.unwrap_or_else(|| SecretString::from(String::new()));
    let result = match cfg.auth_type {
        AuthType::OauthServerToServer => {
            token::client_credentials(ims_http, ims_url, &cfg.client_id, &secret, &cfg.scopes).await
        }
        AuthType::Jwt => {
            let alias = cfg.keypair_alias.clone().unwrap_or_default();
            let key = match key {
                KeySource::InMemory(k) => k,
                KeySource::File(p) => crate::ims::keyfile::load_private_key(&p)?,
                KeySource::Keystore(pw) => {
                    let user = service_user(client).await?;
                    let p12 = client.download_keystore(&user).await?;
                    crate::ims::keyfile::key_from_pkcs12(&p12, pw.expose_secret(), &alias)?
                }
                KeySource::AemSide => unreachable_key()?,
            };
            let claims = payload::payload_from_claim_lines(&cfg.claims);
            let p = payload::Payload {
                claims,
                iss: String::new(),
                sub: String::new(),
                aud: String::new(),
                metascopes: vec![],
            };
            let jwt = token::sign_jwt(&p, key.expose_secret(), token::JWT_LIFETIME)?;
            token::exchange_jwt(ims_http, ims_url, &cfg.client_id, &secret, &jwt).await
        }
    };
    let method = match cfg.auth_type {
        AuthType::Jwt => "jwt-exchange",
        AuthType::OauthServerToServer => "oauth-client-credentials",
    };
    match result {
        Ok(t) => Ok(report(
            true,
            "Token retrieved successfully".into(),
            Some(t.expires_in.as_secs()),
            method,
            vec![],
        )),
        Err(e @ ImsError::Rejected { .. }) => {
            Ok(report(false, e.to_string(), None, method, vec![]))
        }
        Err(e) => Err(e.into()),
    }
}

fn unreachable_key() -> Result<SecretSlice<u8>, SetupError> {
    Err(SetupError::Refused("no private key source given".into()))
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CloudOutcome {
    pub path: Option<String>,
    pub tenant_url: String,
    pub changed: bool,
    pub agents: Vec<String>,
}

/// Creates the Brand Portal cloud configuration and waits until AEM has created the agents.
pub async fn create_cloud(
    client: &AemClient,
    title: &str,
    service_url: &str,
    ims: Option<&str>,
    wait: Duration,
) -> Result<CloudOutcome, SetupError> {
    let mut problems = Vec::new();
    if title.trim().is_empty() {
        problems.push("the title is empty".to_string());
    }
    let tenant = match validate_tenant_url(service_url) {
        Ok((t, _)) => Some(t),
        Err(e) => {
            problems.push(e);
            None
        }
    };
    if !problems.is_empty() {
        return Err(SetupError::Invalid(problems));
    }
    let tenant = tenant.unwrap_or_default();
    let providers = client.factory_configs(PROVIDER_FACTORY).await?;
    let ims_id = match (ims, providers.as_slice()) {
        (Some(id), list)
            if list
                .iter()
                .any(|p| p.pid == id || p.get("name") == Some(id)) =>
        {
            id.to_string()
        }
        (Some(id), _) => {
            return Err(SetupError::Refused(format!(
                "IMS configuration '{id}' does not exist"
            )));
        }
        (None, [one]) => one.pid.clone(),
        (None, []) => {
            return Err(SetupError::Refused(
                "there is no IMS configuration yet; run `account create` first".into(),
            ));
        }
        (None, _) => {
            return Err(SetupError::Refused(
                "several IMS configurations exist: name one with --ims".into(),
            ));
        }
    };
    let existing = client.cloud_configs().await?;
    if let Some(c) = existing.iter().find(|c| {
        !c.legacy
            && c.tenant_url
                .trim_end_matches('/')
                .eq_ignore_ascii_case(&tenant)
    }) {
        let agents = client
            .brand_portal_agents(&tenant)
            .await?
            .into_iter()
            .map(|a| a.id)
            .collect();
        return Ok(CloudOutcome {
            path: Some(c.path.clone()),
            tenant_url: tenant,
            changed: false,
            agents,
        });
    }
    if let Some(c) = existing.iter().find(|c| c.legacy) {
        return Err(SetupError::Refused(format!(
            "a legacy configuration exists at {} ({}); run the upgrade first",
            c.path, c.tenant_url
        )));
    }
    client
        .create_cloud_config(title.trim(), &tenant, &ims_id)
        .await?;
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let agents = client.brand_portal_agents(&tenant).await?;
        if agents.len() >= super::steps::EXPECTED_AGENTS || tokio::time::Instant::now() >= deadline
        {
            let path = client
                .cloud_configs()
                .await?
                .into_iter()
                .find(|c| {
                    c.tenant_url
                        .trim_end_matches('/')
                        .eq_ignore_ascii_case(&tenant)
                })
                .map(|c| c.path);
            if path.is_none() {
                return Err(SetupError::Refused(
                    "AEM accepted the request but no cloud configuration appeared; create it in Tools → Cloud Services → AEM Brand Portal".into(),
                ));
            }
            if agents.len() < super::steps::EXPECTED_AGENTS {
                return Err(SetupError::Refused(format!(
                    "the configuration was saved but only {} of 4 agents appeared within {} s; open and save the cloud configuration again",
                    agents.len(),
                    wait.as_secs()
                )));
            }
            return Ok(CloudOutcome {
                path,
                tenant_url: tenant,
                changed: true,
                agents: agents.into_iter().map(|a| a.id).collect(),
            });
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
