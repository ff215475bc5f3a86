//! Is this an AEM author, up, and do the credentials work?

use super::client::AemClient;
use super::error::AemError;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Readiness {
    /// The anonymous login page answers with its marker.
    pub login_page: bool,
    pub bundles_total: usize,
    pub bundles_active: usize,
    /// Non-fragment bundles that are not Active (names).
    pub not_active: Vec<String>,
    pub product: Option<String>,
    /// Version of the Adobe IMS core bundle (`…adobeims.core`), which reaches 1.1.26 with
    /// OAuth Server-to-Server support (SP21, or the compatibility hotfix).
    #[serde(default)]
    pub ims_core: Option<String>,
    /// Every bundle of the list (what the verdicts look up by symbolic name); not shown.
    #[serde(skip)]
    pub bundles: Vec<BundleInfo>,
}

impl Readiness {
    pub fn ready(&self) -> bool {
        self.login_page && self.not_active.is_empty() && self.bundles_total > 0
    }

    /// The bundle of this symbolic name, when the author has it.
    pub fn bundle(&self, symbolic_name: &str) -> Option<&BundleInfo> {
        self.bundles
            .iter()
            .find(|b| b.symbolic_name.eq_ignore_ascii_case(symbolic_name))
    }
}

/// One bundle of `/system/console/bundles.json`, as Felix lists it.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct BundleInfo {
    pub symbolic_name: String,
    pub name: String,
    pub version: String,
    /// Felix's state: `Active`, `Resolved`, `Installed`, `Fragment`…
    pub state: String,
    pub fragment: bool,
}

#[derive(Deserialize)]
struct Bundles {
    #[serde(default)]
    status: String,
    #[serde(default)]
    data: Vec<Bundle>,
}

#[derive(Deserialize)]
struct Bundle {
    #[serde(default)]
    name: String,
    #[serde(default, rename = "symbolicName")]
    symbolic_name: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    fragment: bool,
}

impl AemClient {
    /// Login page (anonymous), bundles with the credentials and product info, read
    /// concurrently (one round trip).
    pub async fn readiness(&self) -> Result<Readiness, AemError> {
        let (login, bundles, productinfo) = tokio::join!(
            self.get_anonymous("/libs/granite/core/content/login.html", &[200, 404]),
            self.get("/system/console/bundles.json"),
            self.get("/system/console/status-productinfo.json"),
        );
        let login = login?;
        let login_page = login.status == 200 && login.text().contains("QUICKSTART_HOMEPAGE");
        let reply = match bundles {
            Ok(r) => r,
            Err(AemError::NotFound { .. }) => {
                return Err(AemError::NotAem {
                    url: self.base_url().to_string(),
                    detail: "no /system/console/bundles.json".into(),
                });
            }
            Err(e) => return Err(e),
        };
        let product = match productinfo {
            Ok(r) => product_from(&r.text()),
            Err(_) => None,
        };
        let counts = parse_bundles(&reply.text()).map_err(|detail| match detail {
            BundlesError::NotFelix => AemError::NotAem {
                url: self.base_url().to_string(),
                detail: "/system/console/bundles.json is not the Felix bundle list".into(),
            },
            // The reply's own JSON error says when it was an HTML page (a login, a proxy).
            BundlesError::Json(detail) => match reply.json::<serde_json::Value>() {
                Err(e) => e,
                Ok(_) => AemError::UnexpectedBody {
                    path: "/system/console/bundles.json".into(),
                    detail,
                },
            },
        })?;
        let BundleCounts {
            total,
            active,
            not_active,
            ims_core,
            bundles,
        } = counts;
        Ok(Readiness {
            login_page,
            bundles_total: total,
            bundles_active: active,
            not_active,
            product,
            ims_core,
            bundles,
        })
    }
}

impl AemClient {
    /// After a failure: whether the server is not an AEM author at all (no Felix bundle list),
    /// so the operator hears that instead of the symptom. `None` when it may well be AEM (or
    /// cannot be told: unreachable, credentials rejected).
    pub async fn not_aem(&self) -> Option<AemError> {
        let reply = self
            .send(
                reqwest::Method::GET,
                "/system/console/bundles.json",
                &[200, 404],
                |b| b,
            )
            .await
            .ok()?;
        // A garbled answer may be a proxy's or a login page's: not enough to say "not AEM".
        let detail = match (reply.status, parse_bundles(&reply.text())) {
            (404, _) => "no /system/console/bundles.json",
            (_, Err(BundlesError::NotFelix)) => {
                "/system/console/bundles.json is not the Felix bundle list"
            }
            _ => return None,
        };
        Some(AemError::NotAem {
            url: self.base_url().to_string(),
            detail: detail.into(),
        })
    }
}

/// What `/system/console/bundles.json` says about the bundles.
#[derive(Debug, PartialEq, Eq)]
pub struct BundleCounts {
    pub total: usize,
    pub active: usize,
    /// Names of bundles (not fragments) that are not active.
    pub not_active: Vec<String>,
    /// The version of `com.adobe.granite.adobeims.core`.
    pub ims_core: Option<String>,
    pub bundles: Vec<BundleInfo>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum BundlesError {
    /// JSON, but not the Felix bundle list.
    NotFelix,
    Json(String),
}

/// Reads the Felix bundle list.
pub fn parse_bundles(text: &str) -> Result<BundleCounts, BundlesError> {
    let bundles: Bundles = serde_json::from_str(text)
        .map_err(|e| BundlesError::Json(format!("invalid JSON ({e})")))?;
    if bundles.data.is_empty() && !bundles.status.contains("bundles") {
        return Err(BundlesError::NotFelix);
    }
    Ok(BundleCounts {
        total: bundles.data.len(),
        active: bundles.data.iter().filter(|b| b.state == "Active").count(),
        not_active: bundles
            .data
            .iter()
            .filter(|b| !b.fragment && b.state != "Active")
            .map(|b| b.name.clone())
            .collect(),
        ims_core: bundles
            .data
            .iter()
            .find(|b| {
                b.symbolic_name
                    .to_ascii_lowercase()
                    .ends_with("adobeims.core")
            })
            .map(|b| b.version.clone()),
        bundles: bundles
            .data
            .iter()
            .map(|b| BundleInfo {
                symbolic_name: b.symbolic_name.clone(),
                name: b.name.clone(),
                version: b.version.clone(),
                state: b.state.clone(),
                fragment: b.fragment,
            })
            .collect(),
    })
}

/// The product line of `status-productinfo.json` ("Adobe Experience Manager (6.5.21.0)").
pub fn product_from(text: &str) -> Option<String> {
    serde_json::from_str::<Vec<String>>(text)
        .ok()
        .and_then(|v| v.into_iter().find(|s| s.contains("Experience Manager")))
}
