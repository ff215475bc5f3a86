//! Is this an AEM author, up, and do the credentials work?

use super::client::AemClient;
use super::error::AemError;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
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
}

impl Readiness {
    pub fn ready(&self) -> bool {
        self.login_page && self.not_active.is_empty() && self.bundles_total > 0
    }
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
    /// Login page (anonymous), then bundles with the credentials, then product info.
    pub async fn readiness(&self) -> Result<Readiness, AemError> {
        let login = self
            .send(
                reqwest::Method::GET,
                "/libs/granite/core/content/login.html",
                &[200, 404],
                |b| b,
            )
            .await?;
        let login_page = login.status == 200 && login.text().contains("QUICKSTART_HOMEPAGE");
        let reply = match self.get("/system/console/bundles.json").await {
            Ok(r) => r,
            Err(AemError::NotFound { .. }) => {
                return Err(AemError::NotAem {
                    url: self.base_url().to_string(),
                    detail: "no /system/console/bundles.json".into(),
                });
            }
            Err(e) => return Err(e),
        };
        let bundles: Bundles = reply.json()?;
        if bundles.data.is_empty() && !bundles.status.contains("bundles") {
            return Err(AemError::NotAem {
                url: self.base_url().to_string(),
                detail: "/system/console/bundles.json is not the Felix bundle list".into(),
            });
        }
        let not_active: Vec<String> = bundles
            .data
            .iter()
            .filter(|b| !b.fragment && b.state != "Active")
            .map(|b| b.name.clone())
            .collect();
        let active = bundles.data.iter().filter(|b| b.state == "Active").count();
        let product = match self.get("/system/console/status-productinfo.json").await {
            Ok(r) => r
                .json::<Vec<String>>()
                .ok()
                .and_then(|v| v.into_iter().find(|s| s.contains("Experience Manager"))),
            Err(_) => None,
        };
        let ims_core = bundles
            .data
            .iter()
            .find(|b| {
                b.symbolic_name
                    .to_ascii_lowercase()
                    .ends_with("adobeims.core")
            })
            .map(|b| b.version.clone());
        Ok(Readiness {
            login_page,
            bundles_total: bundles.data.len(),
            bundles_active: active,
            not_active,
            product,
            ims_core,
        })
    }
}
