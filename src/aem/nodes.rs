//! Reading and writing repository nodes through Sling: JSON renderings (with the 300 answer
//! above `json.maximumresults`), full-depth export, POST and delete.

use super::client::{AemClient, Reply};
use super::error::AemError;
use reqwest::Method;
use serde_json::{Map, Value};

/// Outcome of a delete.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Deleted {
    Deleted,
    AlreadyGone,
}

impl AemClient {
    /// `GET <path>.<depth>.json`. On `300` the deepest offered rendering is fetched instead.
    pub async fn node(&self, path: &str, depth: usize) -> Result<Value, AemError> {
        let url = format!("{path}.{depth}.json");
        let reply = self.send(Method::GET, &url, &[200, 300], |b| b).await?;
        if reply.status == 300 {
            let options: Vec<String> = reply.json()?;
            let best = options
                .iter()
                .filter_map(|o| {
                    let d: usize = o
                        .trim_end_matches(".json")
                        .rsplit('.')
                        .next()?
                        .parse()
                        .ok()?;
                    (d <= depth).then_some((d, o))
                })
                .max_by_key(|(d, _)| *d)
                .map(|(_, o)| o.clone())
                .ok_or_else(|| AemError::UnexpectedBody {
                    path: url.clone(),
                    detail: "300 Multiple Choices without a usable alternative".into(),
                })?;
            return self.get_json(&best).await;
        }
        reply.json()
    }

    /// Whether a node exists (`HEAD <path>.json`: 200 yes, 404 no; a 403 is an error, never
    /// "absent").
    pub async fn exists(&self, path: &str) -> Result<bool, AemError> {
        let r = self
            .send(
                Method::HEAD,
                &format!("{path}.json"),
                &[200, 403, 404],
                |b| b,
            )
            .await?;
        if r.status == 403 {
            // Not "gone": brandlink cannot tell, and must not act as if it could.
            return Err(AemError::Forbidden {
                method: "GET".into(),
                path: path.to_string(),
                hint: format!(
                    "user {} may not read it, so brandlink cannot tell whether it is still there; give the user read access",
                    self.user()
                ),
            });
        }
        Ok(r.status == 200)
    }

    /// The whole subtree, fetched level by level when AEM refuses a deep rendering.
    pub async fn export(&self, path: &str) -> Result<Value, AemError> {
        let reply = self
            .send(
                Method::GET,
                &format!("{path}.infinity.json"),
                &[200, 300],
                |b| b,
            )
            .await?;
        if reply.status == 200 {
            return reply.json();
        }
        Box::pin(self.export_by_levels(path)).await
    }

    async fn export_by_levels(&self, path: &str) -> Result<Value, AemError> {
        let mut node = self.get_json::<Value>(&format!("{path}.1.json")).await?;
        if let Value::Object(map) = &mut node {
            let children: Vec<String> = map
                .iter()
                .filter(|(_, v)| v.is_object())
                .map(|(k, _)| k.clone())
                .collect();
            for c in children {
                let child = Box::pin(self.export(&format!("{path}/{c}"))).await?;
                map.insert(c, child);
            }
        }
        Ok(node)
    }

    /// Sling POST with `Accept: application/json`; 200 and 201 are success.
    pub async fn sling_post(
        &self,
        path: &str,
        form: &[(String, String)],
    ) -> Result<Reply, AemError> {
        self.send(Method::POST, path, &[200, 201], |b| {
            b.header("Accept", "application/json").form(form)
        })
        .await
    }

    /// Deletes a node with HTTP DELETE; 403/404 count as gone only after a check confirms it.
    pub async fn delete_node(&self, path: &str) -> Result<Deleted, AemError> {
        let r = self
            .send(Method::DELETE, path, &[200, 204, 403, 404], |b| b)
            .await?;
        match r.status {
            200 | 204 => Ok(Deleted::Deleted),
            _ => {
                if self.exists(path).await? {
                    Err(AemError::Forbidden {
                        method: "DELETE".into(),
                        path: path.to_string(),
                        hint: format!("the node exists but user {} may not delete it", self.user()),
                    })
                } else {
                    Ok(Deleted::AlreadyGone)
                }
            }
        }
    }
}

/// Child node names of a Sling JSON rendering (keys with object values, not `jcr:`/`rep:`).
pub fn child_names(node: &Value) -> Vec<String> {
    node.as_object()
        .map(|m: &Map<String, Value>| {
            m.iter()
                .filter(|(k, v)| v.is_object() && !k.starts_with("jcr:") && !k.starts_with("rep:"))
                .map(|(k, _)| k.clone())
                .collect()
        })
        .unwrap_or_default()
}

/// Reads a property as text, whatever its JSON type.
pub fn text(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Array(a) => a.first().and_then(|x| x.as_str().map(str::to_string)),
        _ => None,
    }
}

/// Reads a boolean written as `true` or `"true"`.
pub fn flag(v: &Value, key: &str) -> Option<bool> {
    match v.get(key)? {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.trim() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
        _ => None,
    }
}
