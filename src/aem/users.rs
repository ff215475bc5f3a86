//! Users: resolving a user's node path, creating and deleting users, and MAC users.

use super::client::{AemClient, form};
use super::error::AemError;
use serde::{Deserialize, Serialize};

pub const BP_SERVICE_USER: &str = "brandportal-imsconfig-service";
/// Where AEM creates the MAC users of Brand Portal tenants.
pub const MAC_ROOT: &str = "/home/users/mac";

#[derive(Deserialize)]
struct QueryResult {
    #[serde(default)]
    hits: Vec<Hit>,
}

#[derive(Deserialize)]
struct Hit {
    #[serde(alias = "jcr:path")]
    path: String,
    #[serde(default, rename = "rep:authorizableId")]
    id: Option<String>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct UserRef {
    pub id: String,
    pub path: String,
}

/// The hits of a QueryBuilder answer as users (`path` or `jcr:path`, `rep:authorizableId`).
pub fn parse_hits(text: &str) -> Result<Vec<UserRef>, String> {
    let r: QueryResult = serde_json::from_str(text).map_err(|e| format!("invalid JSON ({e})"))?;
    Ok(r.hits
        .into_iter()
        .map(|h| UserRef {
            id: h.id.unwrap_or_default(),
            path: h.path,
        })
        .collect())
}

fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

impl AemClient {
    /// The node path of a user, looked up by id every time (paths differ between authors).
    pub async fn find_user(&self, id: &str) -> Result<Option<String>, AemError> {
        let q = format!(
            "/bin/querybuilder.json?path=/home/users&1_property=rep:authorizableId&1_property.value={}&p.limit=-1",
            enc(id)
        );
        let r: QueryResult = self.get_json(&q).await?;
        Ok(r.hits.into_iter().next().map(|h| h.path))
    }

    /// Users under `/home/users/mac` whose id starts with `mac-` and contains the tenant label.
    pub async fn mac_users(&self, tenant_label: &str) -> Result<Vec<UserRef>, AemError> {
        let q = format!(
            "/bin/querybuilder.json?path={MAC_ROOT}&type=rep:User&property=rep:authorizableId&property.value=mac-%25&property.operation=like&p.hits=full&p.limit=-1"
        );
        let r: QueryResult = self.get_json(&q).await?;
        let label = tenant_label.to_ascii_lowercase();
        Ok(r.hits
            .into_iter()
            .filter_map(|h| {
                let id = h.id?;
                id.to_ascii_lowercase()
                    .contains(&label)
                    .then_some(UserRef { id, path: h.path })
            })
            .collect())
    }

    /// `POST <U>` with `deleteAuthorizable=`; any 2xx, then confirmed by reading the user again.
    pub async fn delete_user(&self, path: &str) -> Result<(), AemError> {
        self.post_form(path, &form([("deleteAuthorizable", "")]), &[200, 201, 204])
            .await?;
        if self.exists(path).await? {
            return Err(AemError::UnexpectedBody {
                path: path.to_string(),
                detail: "AEM answered the delete, but the user is still there".into(),
            });
        }
        Ok(())
    }

    /// Creates a user (or a system user when `password` is None) in `folder`.
    pub async fn create_user(
        &self,
        id: &str,
        password: Option<&str>,
        folder: &str,
    ) -> Result<String, AemError> {
        let mut f = form([("authorizableId", id), ("intermediatePath", folder)]);
        match password {
            Some(pw) => {
                f.push(("createUser".into(), String::new()));
                f.push(("rep:password".into(), pw.into()));
            }
            None => f.push(("createSystemUser".into(), String::new())),
        }
        self.post_form("/libs/granite/security/post/authorizables", &f, &[200, 201])
            .await?;
        self.find_user(id)
            .await?
            .ok_or_else(|| AemError::UnexpectedBody {
                path: "/libs/granite/security/post/authorizables".into(),
                detail: format!("user {id} was created but cannot be found"),
            })
    }
}
