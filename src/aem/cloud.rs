//! The Brand Portal cloud configuration, in the 6.5 `/conf` location and the legacy
//! `/etc/cloudservices` one.

use super::client::{AemClient, form};
use super::error::AemError;
use super::nodes::{child_names, text};
use reqwest::Method;
use serde::Serialize;

pub const CLOUD_ROOT: &str = "/conf/global/settings/cloudconfigs/mediaportal";
pub const LEGACY_ROOT: &str = "/etc/cloudservices/mediaportal";
pub const DEFAULT_SCOPES: &str = "dam-read dam-write dam-sync cc-share";

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct CloudConfig {
    pub path: String,
    pub title: String,
    pub tenant_url: String,
    pub ims_config: Option<String>,
    pub legacy: bool,
}

impl AemClient {
    /// Every Brand Portal cloud configuration on the author.
    pub async fn cloud_configs(&self) -> Result<Vec<CloudConfig>, AemError> {
        let mut out = Vec::new();
        for (root, legacy) in [(CLOUD_ROOT, false), (LEGACY_ROOT, true)] {
            let node = match self.node(root, 2).await {
                Ok(n) => n,
                Err(AemError::NotFound { .. }) => continue,
                Err(e) => return Err(e),
            };
            for name in child_names(&node) {
                let content = &node[&name]["jcr:content"];
                let Some(tenant) = text(content, "tenantURL") else {
                    continue;
                };
                out.push(CloudConfig {
                    path: format!("{root}/{name}"),
                    title: text(content, "jcr:title").unwrap_or_else(|| name.clone()),
                    tenant_url: tenant,
                    ims_config: text(content, "imsConfig"),
                    legacy,
                });
            }
        }
        Ok(out)
    }

    /// `POST /apps/brandportal/config`, as the cloud-service dialog saves it.
    pub async fn create_cloud_config(
        &self,
        title: &str,
        tenant_url: &str,
        ims_config: &str,
    ) -> Result<(), AemError> {
        self.save_cloud_config(None, title, tenant_url, ims_config)
            .await
    }

    /// Saves the Brand Portal configuration as the dialog does: a new one, or (`item`) the one
    /// at that path.
    pub async fn save_cloud_config(
        &self,
        item: Option<&str>,
        title: &str,
        tenant_url: &str,
        ims_config: &str,
    ) -> Result<(), AemError> {
        let f = form([
            ("item", item.unwrap_or("")),
            ("name", title),
            ("tenantURL", tenant_url),
            ("pubFolder", ""),
            ("pubFolder@Delete", ""),
            ("oauthScopes", DEFAULT_SCOPES),
            ("imsConfig", ims_config),
            ("sling:resourceType", "dam/components/mediaportal/config"),
        ]);
        let reply = self
            .send(
                Method::POST,
                "/apps/brandportal/config",
                &[200, 201, 403, 404, 405],
                |b| b.form(&f),
            )
            .await?;
        if reply.status >= 400 {
            return Err(AemError::Status {
                method: "POST".into(),
                path: "/apps/brandportal/config".into(),
                status: reply.status,
                detail: "this author does not accept the Brand Portal configuration over HTTP; create it in Tools → Cloud Services → AEM Brand Portal with the values brandlink prepared".into(),
            });
        }
        Ok(())
    }
}

/// Validates a Brand Portal tenant URL: `https://<tenant>.brand-portal.adobe.com`, no path.
/// Returns the normalised URL (no trailing slash) and the tenant id.
pub fn validate_tenant_url(input: &str) -> Result<(String, String), String> {
    let s = input.trim();
    let url = reqwest::Url::parse(s).map_err(|_| {
        format!("'{s}' is not a URL; expected https://<tenant>.brand-portal.adobe.com")
    })?;
    if url.scheme() != "https" {
        return Err(format!(
            "the tenant URL must use https, not {}",
            url.scheme()
        ));
    }
    let host = url.host_str().unwrap_or("").to_ascii_lowercase();
    let Some(label) = host.strip_suffix(".brand-portal.adobe.com") else {
        return Err(format!(
            "'{host}' is not a Brand Portal host; expected <tenant>.brand-portal.adobe.com"
        ));
    };
    if label.is_empty() || label.contains('.') {
        return Err(format!(
            "'{host}' must have exactly one label before .brand-portal.adobe.com"
        ));
    }
    if label.starts_with("downloads-") {
        return Err(format!("'{host}' is a download host, not a tenant URL"));
    }
    if url.path() != "/" && !url.path().is_empty() || url.query().is_some() {
        return Err(
            "the tenant URL has no path or query; use https://<tenant>.brand-portal.adobe.com"
                .into(),
        );
    }
    if label.len() > 32 {
        return Err(format!(
            "tenant id '{label}' is longer than 32 characters: such tenants are reached through an alias, which AEM must not use; use the tenant-id URL from the Admin Console"
        ));
    }
    Ok((format!("https://{host}"), label.to_string()))
}

/// The tenant id (first DNS label) of a tenant URL.
pub fn tenant_label(url: &str) -> String {
    reqwest::Url::parse(url)
        .ok()
        .and_then(|u| {
            u.host_str()
                .map(|h| h.split('.').next().unwrap_or("").to_string())
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_urls() {
        assert_eq!(
            validate_tenant_url("https://WKND.brand-portal.adobe.com/").unwrap(),
            ("https://wknd.brand-portal.adobe.com".into(), "wknd".into())
        );
        assert!(
            validate_tenant_url("http://wknd.brand-portal.adobe.com")
                .unwrap_err()
                .contains("https")
        );
        assert!(validate_tenant_url("https://wknd.example.com").is_err());
        assert!(validate_tenant_url("https://a.b.brand-portal.adobe.com").is_err());
        assert!(validate_tenant_url("https://wknd.brand-portal.adobe.com/assets").is_err());
        assert!(validate_tenant_url("https://downloads-na1.brand-portal.adobe.com").is_err());
        assert!(validate_tenant_url("wknd").is_err());
        assert_eq!(tenant_label("https://wknd.brand-portal.adobe.com"), "wknd");
    }
}
