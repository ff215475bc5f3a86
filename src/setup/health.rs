//! Check Health of the Brand Portal IMS configuration, with two verdicts: IMS accepts the
//! credentials given here, and AEM obtains a token with what it stores (Test Connection of one
//! Brand Portal agent). The second decides whenever agents exist.

use super::account::{ImsTarget, Verdict, VerdictState, jwt_verdict, oauth_verdict};
use super::actions::service_user;
use super::error::SetupError;
use super::snapshot::{AuthType, ImsConfig, read_ims_and_clouds};
use crate::aem::AemClient;
use crate::aem::agents::TestResult;
use crate::evidence::LogSource;
use crate::ims::payload;
use secrecy::{ExposeSecret, SecretSlice, SecretString};
use serde::Serialize;

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

/// Check Health: two verdicts.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HealthReport {
    pub pid: String,
    pub auth_type: AuthType,
    /// The overall verdict: AEM's whenever agents exist, else IMS's.
    pub healthy: bool,
    /// In a line: `Token retrieved successfully`, or what failed.
    pub message: String,
    /// Token lifetime in seconds, from the IMS verdict.
    pub expires_in_secs: Option<u64>,
    /// The method of the verdict that decided.
    pub method: String,
    /// IMS accepts the credentials given here.
    pub ims: Verdict,
    /// AEM obtains a token with what it stores (Test Connection of one Brand Portal agent).
    pub aem: Verdict,
    pub agent_tests: Vec<TestResult>,
}

/// Check Health of the Brand Portal IMS configuration (`chosen` names it where the author
/// does not tell). `secret`: the client secret given here, if any.
pub async fn check_account(
    client: &AemClient,
    ims: &ImsTarget<'_>,
    chosen: Option<&str>,
    key: KeySource,
    secret: impl FnOnce() -> Result<Option<SecretString>, SetupError>,
    tenant: Option<&str>,
) -> Result<HealthReport, SetupError> {
    let (configs, clouds) = read_ims_and_clouds(&client.reader(), chosen).await?;
    let tenant = tenant
        .map(str::to_string)
        .or_else(|| crate::aem::cloud::current(&clouds).map(|c| c.tenant_url.clone()));
    let cfg = the_brand_portal_config(&configs, chosen)?;
    // 1. IMS accepts the credentials given here (the secret is asked for only when it is used).
    let usable =
        cfg.auth_type == AuthType::OauthServerToServer || !matches!(key, KeySource::AemSide);
    let secret = if usable { secret()? } else { None };
    let ims_verdict = ims_side(client, ims, &cfg, key, secret.as_ref()).await?;
    // 2. AEM obtains a token with what it stores.
    let (aem_verdict, tests) = aem_side(client, tenant.as_deref()).await?;
    let ims_failed = ims_verdict.state == VerdictState::Failed;
    let (healthy, decided) = match aem_verdict.state {
        VerdictState::Skipped => (ims_verdict.ok(), &ims_verdict),
        _ if ims_failed => (false, &ims_verdict),
        _ => (aem_verdict.ok(), &aem_verdict),
    };
    let message = if decided.state == VerdictState::Skipped {
        format!("nothing could be checked: {}", decided.message)
    } else {
        decided.message.clone()
    };
    let method = if ims_verdict.state != VerdictState::Skipped {
        ims_verdict.method.clone()
    } else {
        aem_verdict.method.clone()
    };
    Ok(HealthReport {
        pid: cfg.pid.clone(),
        auth_type: cfg.auth_type,
        healthy,
        message,
        expires_in_secs: ims_verdict.expires_in_secs,
        method,
        ims: ims_verdict,
        aem: aem_verdict,
        agent_tests: tests,
    })
}

/// The one Brand Portal IMS configuration, or why there is none to check.
fn the_brand_portal_config(
    configs: &[ImsConfig],
    chosen: Option<&str>,
) -> Result<ImsConfig, SetupError> {
    let bp: Vec<&ImsConfig> = configs.iter().filter(|c| c.is_brand_portal()).collect();
    let others = || {
        let o: Vec<String> = configs
            .iter()
            .filter(|c| !c.is_brand_portal())
            .map(|c| format!("{} ({})", c.label(), c.pid))
            .collect();
        if o.is_empty() {
            String::new()
        } else {
            format!(
                "; other integrations' configurations here: {}",
                o.join(", ")
            )
        }
    };
    match bp.as_slice() {
        [] if chosen.is_some() => Err(SetupError::Refused(format!(
            "no IMS configuration '{}' on this author{}",
            chosen.unwrap_or_default(),
            others()
        ))),
        [] => Err(SetupError::Refused(format!(
            "there is no Brand Portal IMS configuration to check: run `account create` first, or name it with --ims PID{}",
            others()
        ))),
        [one] => Ok((*one).clone()),
        many => Err(SetupError::Refused(format!(
            "{} Brand Portal IMS configurations exist ({}); Adobe allows one for Brand Portal: name the one to check with --ims PID",
            many.len(),
            many.iter()
                .map(|c| c.pid.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// IMS's verdict on the credentials given here (skipped without a secret, or without a key
/// for JWT).
async fn ims_side(
    client: &AemClient,
    ims: &ImsTarget<'_>,
    cfg: &ImsConfig,
    key: KeySource,
    secret: Option<&SecretString>,
) -> Result<Verdict, SetupError> {
    let Some(s) = secret else {
        return Ok(Verdict::skipped(
            "none",
            "no client secret given here (BRANDLINK_CLIENT_SECRET): IMS not asked directly",
        ));
    };
    if cfg.auth_type == AuthType::OauthServerToServer {
        return oauth_verdict(ims, &cfg.client_id, s, &cfg.scopes).await;
    }
    let key = match key {
        KeySource::InMemory(k) => k,
        KeySource::File(p) => crate::ims::keyfile::load_private_key(&p)?,
        KeySource::Keystore(pw) => {
            let user = service_user(client).await?;
            let p12 = client.download_keystore(&user).await?;
            let alias = cfg.keypair_alias.clone().unwrap_or_default();
            crate::ims::keyfile::key_from_pkcs12(&p12, pw.expose_secret(), &alias)?
        }
        KeySource::AemSide => {
            return Ok(Verdict::skipped(
                "jwt-exchange",
                "no private key here (--key-file or --keystore): IMS not asked directly",
            ));
        }
    };
    let claims = payload::payload_from_claim_lines(&cfg.claims);
    jwt_verdict(ims, &cfg.client_id, s, claims, &key).await
}

/// AEM's verdict: Test Connection of one Brand Portal agent of the tenant (an enabled one when
/// there is one); a failure is explained by the rulebook from the test's transcript.
async fn aem_side(
    client: &AemClient,
    tenant: Option<&str>,
) -> Result<(Verdict, Vec<TestResult>), SetupError> {
    let agents = match tenant {
        Some(t) => client.brand_portal_agents(t).await?,
        None => vec![],
    };
    let Some(a) = agents.iter().find(|a| a.enabled).or(agents.first()) else {
        return Ok((
            Verdict::skipped(
                "aem-test-connection",
                "AEM's side cannot be verified yet: it needs the Brand Portal cloud configuration and its agents",
            ),
            vec![],
        ));
    };
    let t = client.test_connection(&a.id).await?;
    let (state, message) = if t.success {
        (
            VerdictState::Ok,
            format!(
                "Token retrieved successfully by AEM (Test Connection passed on {})",
                a.id
            ),
        )
    } else {
        let entries = crate::evidence::logs::entries(&t.transcript, LogSource::Test, None);
        let why = match crate::verdict::causes::explain(&entries) {
            Some(c) if c.evidence.is_empty() => c.cause,
            Some(c) => format!("{} ({})", c.cause, c.evidence),
            None => t.summary.clone(),
        };
        (
            VerdictState::Failed,
            format!("AEM could not deliver with what it stores: {}: {why}", a.id),
        )
    };
    let v = Verdict {
        state,
        message,
        method: "aem-test-connection".into(),
        expires_in_secs: None,
    };
    Ok((v, vec![t]))
}
