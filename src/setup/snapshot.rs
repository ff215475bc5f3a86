//! The integration as it stands on one author, read in one go.

use crate::aem::agents::AgentInfo;
use crate::aem::cloud::{CloudConfig, tenant_label};
use crate::aem::keystore::{KeystoreInfo, parse_java_date};
use crate::aem::osgi::{CUSTOMIZER_FACTORY, OsgiConfig, PROVIDER_FACTORY};
use crate::aem::queue::{Depth, QueueStatus};
use crate::aem::readiness::Readiness;
use crate::aem::users::{BP_SERVICE_USER, UserRef};
use crate::aem::{AemClient, AemError};
use serde::Serialize;

#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum AuthType {
    Jwt,
    OauthServerToServer,
}

impl std::fmt::Display for AuthType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            AuthType::Jwt => "JWT",
            AuthType::OauthServerToServer => "OAuth Server-to-Server",
        })
    }
}

/// An IMS configuration (`com.adobe.granite.auth.oauth.accesstoken.provider`), without secrets.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ImsConfig {
    pub pid: String,
    pub title: String,
    pub name: Option<String>,
    pub auth_type: AuthType,
    pub client_id: String,
    pub endpoint: Option<String>,
    pub keypair_alias: Option<String>,
    pub claims: Vec<String>,
    pub scopes: Vec<String>,
    pub org_id: Option<String>,
    /// A customizer holding the client secret is configured for it.
    pub has_secret: bool,
    /// Why this configuration is Brand Portal's; `None` for another integration's (Smart Tags,
    /// Adobe Stock, …), which brandlink shows at most and never changes.
    pub brand_portal: Option<BpEvidence>,
}

/// What marks an IMS configuration as Brand Portal's.
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum BpEvidence {
    /// The operator named it (`--ims`).
    Chosen,
    /// A Brand Portal cloud configuration names it in `imsConfig`.
    CloudConfiguration,
    /// Its JWT claims carry the `ent_brand_portal_sdk` metascope.
    Metascope,
    /// Its name or title says Brand Portal (as brandlink and Adobe's wizard write it).
    Name,
}

/// Whether the author can use OAuth Server-to-Server for its IMS configurations.
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum OauthSupport {
    /// AEM 6.5.21.0 (SP21) or later.
    Yes,
    /// 6.5 SP11–SP20: with the hotfix `ims-jwt-compatibility-package-6.5-1.0` only.
    WithHotfix,
    /// Older than 6.5 SP11 (or 6.4): JWT only.
    No,
    /// The product version could not be read.
    Unknown,
}

impl OauthSupport {
    /// From the readiness: the product version, and on SP11–SP20 whether the compatibility
    /// hotfix brought `adobeims.core` to 1.1.26.
    pub fn detect(r: &Readiness) -> OauthSupport {
        let by_version = OauthSupport::of(r.product.as_deref());
        let hotfix = r.ims_core.as_deref().is_some_and(|v| {
            v.split('.')
                .map_while(|p| p.parse::<u32>().ok())
                .collect::<Vec<_>>()
                >= vec![1, 1, 26]
        });
        match by_version {
            OauthSupport::WithHotfix if hotfix => OauthSupport::Yes,
            other => other,
        }
    }

    /// From the product string, e.g. `Adobe Experience Manager (6.5.21.0)`.
    pub fn of(product: Option<&str>) -> OauthSupport {
        let Some(p) = product else {
            return OauthSupport::Unknown;
        };
        let version = p
            .rsplit_once('(')
            .map(|(_, v)| v.trim_end_matches(')'))
            .unwrap_or(p);
        let parts: Vec<u32> = version
            .split('.')
            .map_while(|x| x.trim().parse().ok())
            .collect();
        match parts.as_slice() {
            [major, ..] if *major > 6 => OauthSupport::Yes,
            [6, minor, ..] if *minor > 5 => OauthSupport::Yes,
            [6, 5, sp, ..] if *sp >= 21 => OauthSupport::Yes,
            [6, 5, sp, ..] if *sp >= 11 => OauthSupport::WithHotfix,
            [6, _, ..] => OauthSupport::No,
            _ => OauthSupport::Unknown,
        }
    }

    /// New setups use OAuth Server-to-Server here.
    pub fn oauth_first(self) -> bool {
        matches!(self, OauthSupport::Yes)
    }

    /// What the operator needs to know, when OAuth is not simply there.
    pub fn advice(self) -> Option<&'static str> {
        match self {
            OauthSupport::Yes => None,
            OauthSupport::WithHotfix => Some(
                "OAuth Server-to-Server needs AEM 6.5.21 (SP21), or the hotfix ims-jwt-compatibility-package-6.5-1.0 on SP11–SP20 (then adobeims.core 1.1.26)",
            ),
            OauthSupport::No => Some(
                "this author predates OAuth Server-to-Server (AEM 6.5.21, or SP11–SP20 with the ims-jwt-compatibility hotfix): JWT is the only way here, and Adobe has retired it",
            ),
            OauthSupport::Unknown => Some(
                "the AEM version could not be read: OAuth Server-to-Server needs 6.5.21 (SP21), or SP11–SP20 with the ims-jwt-compatibility hotfix",
            ),
        }
    }
}

/// The Brand Portal metascope in JWT claims.
pub const BP_METASCOPE: &str = "ent_brand_portal_sdk";

/// Marks which IMS configurations are Brand Portal's: the one the operator chose, else those a
/// Brand Portal cloud configuration names, carry the Brand Portal metascope, or are named so.
pub fn mark_brand_portal(configs: &mut [ImsConfig], clouds: &[CloudConfig], chosen: Option<&str>) {
    for c in configs.iter_mut() {
        c.brand_portal = if let Some(id) = chosen {
            c.is(id).then_some(BpEvidence::Chosen)
        } else if clouds
            .iter()
            .filter_map(|cc| cc.ims_config.as_deref())
            .any(|id| c.is(id))
        {
            Some(BpEvidence::CloudConfiguration)
        } else if c.claims.iter().any(|l| l.contains(BP_METASCOPE)) {
            Some(BpEvidence::Metascope)
        } else if c
            .name
            .as_deref()
            .is_some_and(|n| n.to_ascii_lowercase().starts_with("brandportal"))
            || c.title.to_ascii_lowercase().contains("brand portal")
        {
            Some(BpEvidence::Name)
        } else {
            None
        };
    }
}

/// Every IMS configuration on the author, Brand Portal's marked.
pub async fn read_ims_configs(
    client: &AemClient,
    chosen: Option<&str>,
) -> Result<Vec<ImsConfig>, AemError> {
    Ok(read_ims_and_clouds(client, chosen).await?.0)
}

/// The IMS configurations with the cloud configurations read to tell Brand Portal's, for
/// callers that need both (one read of each).
pub async fn read_ims_and_clouds(
    client: &AemClient,
    chosen: Option<&str>,
) -> Result<(Vec<ImsConfig>, Vec<CloudConfig>), AemError> {
    let (providers, customizers, clouds) = tokio::try_join!(
        client.factory_configs(PROVIDER_FACTORY),
        client.factory_configs(CUSTOMIZER_FACTORY),
        client.cloud_configs(),
    )?;
    let mut configs: Vec<ImsConfig> = providers
        .iter()
        .map(|p| ImsConfig::from_osgi(p, &customizers))
        .collect();
    mark_brand_portal(&mut configs, &clouds, chosen);
    Ok((configs, clouds))
}

impl ImsConfig {
    pub fn from_osgi(c: &OsgiConfig, customizers: &[OsgiConfig]) -> Self {
        let oauth = c.get("auth.token.provider.authorization.grants") == Some("client_credentials");
        let ctype = c.get("token.request.customizer.type");
        let has_secret = customizers.iter().any(|cu| {
            (ctype.is_none() || cu.get("customizer.type") == ctype)
                && cu
                    .get("auth.ims.client.secret")
                    .is_some_and(|s| !s.is_empty())
        });
        ImsConfig {
            pid: c.pid.clone(),
            title: c
                .get("auth.token.provider.title")
                .or(c.get("name"))
                .unwrap_or(&c.pid)
                .to_string(),
            name: c.get("name").map(str::to_string),
            auth_type: if oauth {
                AuthType::OauthServerToServer
            } else {
                AuthType::Jwt
            },
            client_id: c
                .get("auth.token.provider.client.id")
                .unwrap_or("")
                .to_string(),
            endpoint: c.get("auth.token.provider.endpoint").map(str::to_string),
            keypair_alias: c
                .get("auth.token.provider.keypair.alias")
                .map(str::to_string),
            claims: c.all("auth.token.provider.default.claims"),
            scopes: crate::ims::token::split_scopes(
                c.get("auth.token.provider.scope").unwrap_or(""),
            ),
            org_id: c.get("auth.token.provider.orgId").map(str::to_string),
            has_secret,
            brand_portal: None,
        }
    }
    /// Whether `id` (a cloud configuration's `imsConfig`) names this configuration.
    pub fn is(&self, id: &str) -> bool {
        self.pid == id || self.name.as_deref() == Some(id)
    }
    pub fn is_brand_portal(&self) -> bool {
        self.brand_portal.is_some()
    }
    /// How it is shown: title, and name when it differs.
    pub fn label(&self) -> String {
        match &self.name {
            Some(n) if *n != self.title => format!("{} ({n})", self.title),
            _ => self.title.clone(),
        }
    }
}

/// One Brand Portal agent with its queue.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentState {
    #[serde(flatten)]
    pub info: AgentInfo,
    pub queue: Option<QueueStatus>,
    pub depth: Option<Depth>,
    pub error: Option<String>,
    /// The last replication its log records (Test Connection or delivery), if any.
    pub last_outcome: Option<crate::aem::agents::LastOutcome>,
}

/// The certificate behind the alias brandlink cares about.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct CertificateState {
    pub alias: String,
    pub subject: String,
    pub not_after: String,
    pub days_left: Option<i64>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Integration {
    pub aem_url: String,
    /// When this snapshot was read (epoch seconds; RFC 3339 in JSON).
    #[serde(serialize_with = "crate::when::json::secs")]
    pub read_at: i64,
    pub readiness: Readiness,
    pub service_user: Option<String>,
    pub keystore: KeystoreInfo,
    pub certificate: Option<CertificateState>,
    pub ims_configs: Vec<ImsConfig>,
    pub cloud_configs: Vec<CloudConfig>,
    pub tenant_url: Option<String>,
    pub agents: Vec<AgentState>,
    pub mac_users: Vec<UserRef>,
    /// Whether this author can use OAuth Server-to-Server (from its product version).
    pub oauth_support: OauthSupport,
    /// The last AEM-side Check Health recorded on this machine (see `setup::checks`).
    pub last_aem_check: Option<super::checks::LastCheck>,
}

impl Integration {
    /// Reads everything the integration consists of. `tenant` overrides the tenant URL taken
    /// from the cloud configuration.
    pub async fn read(client: &AemClient, tenant: Option<&str>) -> Result<Integration, AemError> {
        Self::read_with(client, tenant, None).await
    }

    /// As [`Integration::read`], with the operator's choice of the Brand Portal IMS
    /// configuration (PID or name), for authors where nothing else tells which it is.
    pub async fn read_with(
        client: &AemClient,
        tenant: Option<&str>,
        ims: Option<&str>,
    ) -> Result<Integration, AemError> {
        // Everything that does not depend on another answer goes out at once; readiness's
        // error comes first, as it tells "not an AEM" and bad credentials apart from the rest.
        let (readiness, user, providers, customizers, clouds, agents) = tokio::join!(
            client.readiness(),
            client.find_user(BP_SERVICE_USER),
            client.factory_configs(PROVIDER_FACTORY),
            client.factory_configs(CUSTOMIZER_FACTORY),
            client.cloud_configs(),
            client.agents(),
        );
        let readiness = readiness?;
        let (user, providers, customizers, clouds) = (user?, providers?, customizers?, clouds?);
        let oauth_support = OauthSupport::detect(&readiness);
        let mut ims_configs: Vec<ImsConfig> = providers
            .iter()
            .map(|p| ImsConfig::from_osgi(p, &customizers))
            .collect();
        mark_brand_portal(&mut ims_configs, &clouds, ims);
        let tenant_url = tenant
            .map(|t| t.trim_end_matches('/').to_string())
            .or_else(|| {
                crate::aem::cloud::current(&clouds)
                    .map(|c| c.tenant_url.trim_end_matches('/').to_string())
            });
        let infos: Vec<AgentInfo> = match &tenant_url {
            Some(t) => agents?.into_iter().filter(|a| a.publishes_to(t)).collect(),
            None => vec![],
        };
        // Then what depends on those answers, again at once.
        let keystore = async {
            match &user {
                Some(path) => client.keystore(path).await,
                None => Ok(KeystoreInfo {
                    exists: false,
                    aliases: vec![],
                }),
            }
        };
        let states = futures::future::join_all(infos.into_iter().map(|info| async move {
            let (queue, log) =
                tokio::join!(client.queue_and_depth(&info.id), client.agent_log(&info.id));
            let last_outcome = log.ok().and_then(|l| crate::aem::agents::last_outcome(&l));
            match queue {
                Ok((q, depth)) => AgentState {
                    info,
                    queue: Some(q),
                    depth: Some(depth),
                    error: None,
                    last_outcome,
                },
                Err(e) => AgentState {
                    info,
                    queue: None,
                    depth: None,
                    error: Some(e.to_string()),
                    last_outcome,
                },
            }
        }));
        let macs = async {
            match &tenant_url {
                Some(t) => client.mac_users(&tenant_label(t)).await.unwrap_or_default(),
                None => vec![],
            }
        };
        let (keystore, agents, mac_users) = tokio::join!(keystore, states, macs);
        let keystore = keystore?;
        let wanted_alias = ims_configs
            .iter()
            .filter(|c| c.is_brand_portal())
            .find_map(|c| c.keypair_alias.clone());
        let alias = wanted_alias
            .as_deref()
            .and_then(|a| keystore.alias(a))
            .or_else(|| keystore.aliases.first());
        let now = chrono::Utc::now().timestamp();
        let certificate = alias.and_then(|a| {
            let leaf = a.chain.first()?;
            Some(CertificateState {
                alias: a.alias.clone(),
                subject: leaf.subject.clone(),
                not_after: java_date_rfc3339(&leaf.not_after),
                days_left: parse_java_date(&leaf.not_after).map(|t| (t - now).div_euclid(86_400)),
            })
        });
        Ok(Integration {
            aem_url: client.base_url().to_string(),
            read_at: now,
            readiness,
            service_user: user,
            keystore,
            certificate,
            ims_configs,
            cloud_configs: clouds,
            tenant_url,
            agents,
            mac_users,
            oauth_support,
            last_aem_check: None,
        })
    }

    pub fn enabled_agents(&self) -> usize {
        self.agents.iter().filter(|a| a.info.enabled).count()
    }

    /// The Brand Portal IMS configurations (Adobe allows one).
    pub fn bp_ims(&self) -> Vec<&ImsConfig> {
        self.ims_configs
            .iter()
            .filter(|c| c.is_brand_portal())
            .collect()
    }

    /// The Brand Portal IMS configuration, when there is one.
    pub fn bp_ims_config(&self) -> Option<&ImsConfig> {
        self.ims_configs.iter().find(|c| c.is_brand_portal())
    }

    /// Other integrations' IMS configurations (shown, never touched).
    pub fn other_ims(&self) -> Vec<&ImsConfig> {
        self.ims_configs
            .iter()
            .filter(|c| !c.is_brand_portal())
            .collect()
    }
}

/// Whole days from `now` (epoch seconds) until a keystore date (`not_after` as AEM writes it);
/// negative once expired.
/// A date as AEM's keystore writes it (`Sat Jan 01 00:00:00 UTC 2050`) in RFC 3339, or the
/// text as it is when it cannot be read.
pub fn java_date_rfc3339(text: &str) -> String {
    parse_java_date(text)
        .and_then(crate::when::rfc3339_secs)
        .unwrap_or_else(|| text.to_string())
}

/// `2050-01-01` from a keystore date (or the text as it is).
pub fn java_date_day(text: &str) -> String {
    parse_java_date(text)
        .map(crate::when::day)
        .unwrap_or_else(|| text.to_string())
}

pub fn days_until(not_after: &str, now: i64) -> Option<i64> {
    parse_java_date(not_after).map(|t| (t - now).div_euclid(86_400))
}

/// The Service URL check the cloud configuration step makes (a tenant URL, never an alias).
pub fn check_service_url(url: &str) -> Result<(), String> {
    crate::aem::cloud::validate_tenant_url(url).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(pid: &str, name: &str, title: &str, claims: &[&str]) -> ImsConfig {
        ImsConfig {
            pid: pid.into(),
            title: title.into(),
            name: Some(name.into()),
            auth_type: AuthType::OauthServerToServer,
            client_id: "c".into(),
            endpoint: None,
            keypair_alias: None,
            claims: claims.iter().map(|c| c.to_string()).collect(),
            scopes: vec![],
            org_id: None,
            has_secret: true,
            brand_portal: None,
        }
    }

    #[test]
    fn oauth_support_from_the_product_version() {
        let of = |p: &str| OauthSupport::of(Some(p));
        assert_eq!(of("Adobe Experience Manager (6.5.21.0)"), OauthSupport::Yes);
        assert_eq!(of("Adobe Experience Manager (6.5.22.0)"), OauthSupport::Yes);
        assert_eq!(
            of("Adobe Experience Manager (6.5.20.0)"),
            OauthSupport::WithHotfix
        );
        assert_eq!(
            of("Adobe Experience Manager (6.5.11.0)"),
            OauthSupport::WithHotfix
        );
        assert_eq!(of("Adobe Experience Manager (6.5.10.0)"), OauthSupport::No);
        assert_eq!(of("Adobe Experience Manager (6.4.8.0)"), OauthSupport::No);
        assert_eq!(of("Adobe Experience Manager"), OauthSupport::Unknown);
        assert_eq!(OauthSupport::of(None), OauthSupport::Unknown);
        assert!(OauthSupport::Yes.advice().is_none());
        let mut r = Readiness {
            login_page: true,
            bundles_total: 1,
            bundles_active: 1,
            not_active: vec![],
            product: Some("Adobe Experience Manager (6.5.17.0)".into()),
            ims_core: Some("1.1.18".into()),
        };
        assert_eq!(OauthSupport::detect(&r), OauthSupport::WithHotfix);
        r.ims_core = Some("1.1.26".into());
        assert_eq!(
            OauthSupport::detect(&r),
            OauthSupport::Yes,
            "the hotfix is there"
        );
    }

    #[test]
    fn brand_portal_is_told_from_other_integrations() {
        let mut list = vec![
            cfg("p1", "adobe-ims-similaritysearch", "Smart Tags", &[]),
            cfg("p2", "adobe-ims-stock", "Adobe Stock", &[]),
            cfg(
                "p3",
                "x",
                "IMS",
                &["\"https://ims-na1.adobelogin.com/s/ent_brand_portal_sdk\" : true"],
            ),
            cfg("p4", "brandportal-1a2b", "BP", &[]),
            cfg("p5", "y", "Target", &[]),
        ];
        let clouds = vec![CloudConfig {
            path: "/conf/global/settings/cloudconfigs/mediaportal/bp".into(),
            title: "BP".into(),
            tenant_url: "https://wknd.brand-portal.adobe.com".into(),
            ims_config: Some("y".into()),
            legacy: false,
        }];
        mark_brand_portal(&mut list, &clouds, None);
        let marks: Vec<_> = list.iter().map(|c| c.brand_portal).collect();
        assert_eq!(
            marks,
            vec![
                None,
                None,
                Some(BpEvidence::Metascope),
                Some(BpEvidence::Name),
                Some(BpEvidence::CloudConfiguration)
            ]
        );
        mark_brand_portal(&mut list, &clouds, Some("adobe-ims-stock"));
        assert_eq!(
            list.iter().filter(|c| c.is_brand_portal()).count(),
            1,
            "the operator's choice alone"
        );
        assert_eq!(list[1].brand_portal, Some(BpEvidence::Chosen));
    }
}
