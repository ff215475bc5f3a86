//! The Brand Portal cloud configuration, in the 6.5 `/conf` location and the legacy
//! `/etc/cloudservices` one.

use super::client::{AemClient, form};
use super::error::AemError;
use super::nodes::{child_names, text};
use reqwest::Method;
use serde::Serialize;
use serde_json::Value;

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

/// The cloud configuration an operator means when they name none: the 6.5 one
/// (`/conf/global`), else a legacy one (`/etc/cloudservices`).
pub fn current(clouds: &[CloudConfig]) -> Option<&CloudConfig> {
    clouds.iter().find(|c| !c.legacy).or(clouds.first())
}

impl AemClient {
    /// Every Brand Portal cloud configuration on the author: querybuilder under both roots
    /// (`tenantURL` on the configuration node or on its `jcr:content`), else a listing of the
    /// roots' children.
    pub async fn cloud_configs(&self) -> Result<Vec<CloudConfig>, AemError> {
        let under = |root: &'static str, legacy: bool| async move {
            let q = format!(
                "/bin/querybuilder.json?path={root}&property=tenantURL&property.operation=exists&p.hits=full&p.limit=-1"
            );
            match self.get_json::<Value>(&q).await {
                Ok(v) => Ok(configs_from_hits(&v, legacy)),
                Err(AemError::NotFound { .. }) => Ok(vec![]),
                Err(_) => self.cloud_configs_listed(root, legacy).await,
            }
        };
        let (modern, legacy) = tokio::join!(under(CLOUD_ROOT, false), under(LEGACY_ROOT, true));
        let mut out = modern?;
        out.extend(legacy?);
        out.sort_by(|a, b| a.path.cmp(&b.path));
        out.dedup_by(|a, b| a.path == b.path);
        Ok(out)
    }

    /// The fallback: the root's children, two levels deep.
    async fn cloud_configs_listed(
        &self,
        root: &str,
        legacy: bool,
    ) -> Result<Vec<CloudConfig>, AemError> {
        let node = match self.node(root, 2).await {
            Ok(n) => n,
            Err(AemError::NotFound { .. }) => return Ok(vec![]),
            Err(e) => return Err(e),
        };
        let mut out = Vec::new();
        for name in child_names(&node) {
            let page = &node[&name];
            let content = &page["jcr:content"];
            let Some(tenant) = text(content, "tenantURL").or_else(|| text(page, "tenantURL"))
            else {
                continue;
            };
            out.push(CloudConfig {
                path: format!("{root}/{name}"),
                title: text(content, "jcr:title")
                    .or_else(|| text(page, "jcr:title"))
                    .unwrap_or_else(|| name.clone()),
                tenant_url: tenant,
                ims_config: text(content, "imsConfig").or_else(|| text(page, "imsConfig")),
                legacy,
            });
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
        self.post_cloud_form(&f).await
    }

    /// Saves an existing cloud configuration again with the values it holds (Adobe's fix when
    /// its agents are missing: AEM creates them on save).
    pub async fn resave_cloud_config(&self, saved: &SavedCloud) -> Result<(), AemError> {
        let mut f = form([
            ("item", saved.path.as_str()),
            ("name", saved.title.as_str()),
            ("tenantURL", saved.tenant_url.as_str()),
            ("oauthScopes", saved.scopes.as_str()),
            ("imsConfig", saved.ims_config.as_str()),
            ("sling:resourceType", "dam/components/mediaportal/config"),
        ]);
        match &saved.pub_folder {
            Some(p) => f.push(("pubFolder".into(), p.clone())),
            None => f.push(("pubFolder@Delete".into(), String::new())),
        }
        self.post_cloud_form(&f).await
    }

    async fn post_cloud_form(&self, f: &[(String, String)]) -> Result<(), AemError> {
        let reply = self
            .send(
                Method::POST,
                "/apps/brandportal/config",
                &[200, 201, 403, 404, 405],
                |b| b.form(f),
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

/// What a cloud configuration holds, as saved again.
#[derive(Clone, Debug, serde::Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SavedCloud {
    pub path: String,
    pub title: String,
    pub tenant_url: String,
    pub ims_config: String,
    pub scopes: String,
    pub pub_folder: Option<String>,
}

impl AemClient {
    /// The values of a cloud configuration (`<path>/jcr:content`), to save it again.
    pub async fn saved_cloud(&self, c: &CloudConfig) -> Result<SavedCloud, AemError> {
        let node = self.node(&format!("{}/jcr:content", c.path), 0).await?;
        let text = |k: &str| super::nodes::text(&node, k).filter(|v| !v.trim().is_empty());
        Ok(SavedCloud {
            path: c.path.clone(),
            title: text("jcr:title").unwrap_or_else(|| c.title.clone()),
            tenant_url: c.tenant_url.trim_end_matches('/').to_string(),
            ims_config: c.ims_config.clone().unwrap_or_default(),
            scopes: text("oauthScopes").unwrap_or_else(|| DEFAULT_SCOPES.to_string()),
            pub_folder: text("pubFolder"),
        })
    }
}

/// Configurations from querybuilder hits: a hit on `…/jcr:content` stands for its page.
pub fn configs_from_hits(v: &Value, legacy: bool) -> Vec<CloudConfig> {
    v["hits"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|h| {
            let hit_path = h["jcr:path"].as_str()?;
            let tenant = text(h, "tenantURL")?;
            let path = hit_path
                .strip_suffix("/jcr:content")
                .unwrap_or(hit_path)
                .to_string();
            let name = path.rsplit('/').next().unwrap_or("").to_string();
            Some(CloudConfig {
                title: text(h, "jcr:title").unwrap_or(name),
                path,
                tenant_url: tenant,
                ims_config: text(h, "imsConfig"),
                legacy,
            })
        })
        .collect()
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
    // A tenant id longer than 32 characters is fine here: people reach such tenants through an
    // alias, but AEM takes only the tenant-id URL — which is this one.
    if label.len() > 63 {
        return Err(format!("'{label}' is longer than a DNS label can be"));
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
        // A long tenant id is the tenant-id URL AEM needs (only an alias would be wrong).
        let long = format!("https://{}.brand-portal.adobe.com", "a".repeat(40));
        assert!(validate_tenant_url(&long).is_ok());
    }

    #[test]
    fn hits_on_the_node_or_its_content() {
        let v: Value = serde_json::from_str(
            r#"{"hits":[
              {"jcr:path":"/conf/global/settings/cloudconfigs/mediaportal/bp/jcr:content","tenantURL":"https://a.brand-portal.adobe.com","jcr:title":"BP","imsConfig":"x"},
              {"jcr:path":"/conf/global/settings/cloudconfigs/mediaportal/flat","tenantURL":"https://b.brand-portal.adobe.com"},
              {"jcr:path":"/conf/global/settings/cloudconfigs/mediaportal/none"}
            ]}"#,
        )
        .unwrap();
        let c = configs_from_hits(&v, false);
        assert_eq!(c.len(), 2);
        assert_eq!(
            c[0].path,
            "/conf/global/settings/cloudconfigs/mediaportal/bp"
        );
        assert_eq!(c[0].ims_config.as_deref(), Some("x"));
        assert_eq!(c[1].title, "flat");
        assert_eq!(c[1].tenant_url, "https://b.brand-portal.adobe.com");
    }
}
