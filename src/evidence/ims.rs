//! The IMS configurations on an author, and which of them is Brand Portal's: the one rule
//! (`mark_brand_portal`) every part of brandlink uses to tell it from other integrations'.

use crate::aem::cloud::CloudConfig;
use crate::aem::osgi::prop;
use crate::aem::osgi::{CUSTOMIZER_FACTORY, OsgiConfig, PROVIDER_FACTORY};
use crate::aem::readiness::Readiness;
use crate::aem::{AemError, Reader};
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
    /// AEM 6.5.21.0 (SP21) or later, and AEM 6.5 LTS (6.6.N).
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
        let Some(v) = product.and_then(super::AemVersion::parse) else {
            return OauthSupport::Unknown;
        };
        // AEM 6.5 LTS (6.6.N) includes every 6.5 service pack up to SP22: OAuth from GA.
        match v.triple() {
            (major, ..) if major > 6 => OauthSupport::Yes,
            (6, minor, _) if minor > 5 => OauthSupport::Yes,
            (6, 5, sp) if sp >= 21 => OauthSupport::Yes,
            (6, 5, sp) if sp >= 11 => OauthSupport::WithHotfix,
            (6, ..) => OauthSupport::No,
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
    client: &Reader,
    chosen: Option<&str>,
) -> Result<Vec<ImsConfig>, AemError> {
    Ok(read_ims_and_clouds(client, chosen).await?.0)
}

/// The IMS configurations with the cloud configurations read to tell Brand Portal's, for
/// callers that need both (one read of each).
pub async fn read_ims_and_clouds(
    client: &Reader,
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
        let oauth = c.get(prop::GRANTS) == Some("client_credentials");
        let ctype = c.get("token.request.customizer.type");
        let has_secret = customizers.iter().any(|cu| {
            (ctype.is_none() || cu.get(prop::CUSTOMIZER_TYPE) == ctype)
                && cu.get(prop::CLIENT_SECRET).is_some_and(|s| !s.is_empty())
        });
        ImsConfig {
            pid: c.pid.clone(),
            title: c
                .get(prop::TITLE)
                .or(c.get("name"))
                .unwrap_or(&c.pid)
                .to_string(),
            name: c.get("name").map(str::to_string),
            auth_type: if oauth {
                AuthType::OauthServerToServer
            } else {
                AuthType::Jwt
            },
            client_id: c.get(prop::CLIENT_ID).unwrap_or("").to_string(),
            endpoint: c.get(prop::ENDPOINT).map(str::to_string),
            keypair_alias: c.get(prop::KEYPAIR_ALIAS).map(str::to_string),
            claims: c.all(prop::CLAIMS),
            scopes: crate::ims::token::split_scopes(c.get(prop::SCOPE).unwrap_or("")),
            org_id: c.get(prop::ORG_ID).map(str::to_string),
            has_secret,
            brand_portal: None,
        }
    }
    /// The IMS organization: its `orgId`, else the `iss` of a JWT configuration's claims.
    pub fn organization(&self) -> Option<String> {
        let given = self
            .org_id
            .as_deref()
            .map(str::trim)
            .filter(|o| !o.is_empty());
        given.map(str::to_string).or_else(|| {
            self.claims.iter().find_map(|line| {
                let (key, value) = line.split_once(':')?;
                (key.trim().trim_matches('"') == "iss")
                    .then(|| value.trim().trim_end_matches(',').trim().trim_matches('"'))
                    .filter(|v| !v.is_empty())
                    .map(str::to_string)
            })
        })
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
    fn the_organization_from_org_id_or_the_jwt_claims() {
        let mut c = cfg("p", "n", "t", &[]);
        assert_eq!(c.organization(), None);
        c.claims = vec![
            "\"sub\" : \"X@techacct.adobe.com\"".into(),
            " \"iss\":\"ABC@AdobeOrg\", ".into(),
        ];
        assert_eq!(c.organization().as_deref(), Some("ABC@AdobeOrg"));
        c.org_id = Some("DEF@AdobeOrg".into());
        assert_eq!(c.organization().as_deref(), Some("DEF@AdobeOrg"));
        c.org_id = Some("  ".into());
        assert_eq!(c.organization().as_deref(), Some("ABC@AdobeOrg"));
    }

    #[test]
    fn oauth_support_from_the_product_version() {
        let of = |p: &str| OauthSupport::of(Some(p));
        assert_eq!(of("Adobe Experience Manager (6.5.21.0)"), OauthSupport::Yes);
        assert_eq!(of("Adobe Experience Manager (6.5.22.0)"), OauthSupport::Yes);
        assert_eq!(of("Adobe Experience Manager (6.6.0.0)"), OauthSupport::Yes);
        assert_eq!(of("Adobe Experience Manager (6.6.3.0)"), OauthSupport::Yes);
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
            bundles: vec![],
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
