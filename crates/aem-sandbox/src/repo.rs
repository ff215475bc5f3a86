//! A JCR-like node tree: path → node with typed properties and ordered children,
//! rendered the way the Sling default GET servlet renders JSON.

use chrono::{DateTime, Utc};
use indexmap::IndexMap;
use serde_json::{Map, Value as Json};
use std::collections::HashMap;

/// One JCR value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Str(String),
    Long(i64),
    Double(f64),
    Bool(bool),
    /// Epoch milliseconds.
    Date(i64),
    Binary(Vec<u8>),
}

/// The JCR property types the sandbox distinguishes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PropType {
    String,
    Long,
    Double,
    Boolean,
    Date,
    Binary,
}

/// A single- or multi-valued property.
#[derive(Clone, Debug, PartialEq)]
pub enum Prop {
    Single(Value),
    Multi(PropType, Vec<Value>),
}

impl Prop {
    pub fn str(s: impl Into<String>) -> Self {
        Prop::Single(Value::Str(s.into()))
    }
    pub fn bool(b: bool) -> Self {
        Prop::Single(Value::Bool(b))
    }
    pub fn long(n: i64) -> Self {
        Prop::Single(Value::Long(n))
    }
    pub fn date(ms: i64) -> Self {
        Prop::Single(Value::Date(ms))
    }
    pub fn strs<I: IntoIterator<Item = S>, S: Into<String>>(items: I) -> Self {
        Prop::Multi(
            PropType::String,
            items.into_iter().map(|s| Value::Str(s.into())).collect(),
        )
    }
    /// The first value as text (for lookups such as `transportUri`).
    pub fn as_text(&self) -> Option<String> {
        let v = match self {
            Prop::Single(v) => v,
            Prop::Multi(_, vs) => vs.first()?,
        };
        Some(match v {
            Value::Str(s) => s.clone(),
            Value::Long(n) => n.to_string(),
            Value::Double(d) => d.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Date(ms) => format_sling_date(*ms),
            Value::Binary(b) => format!("<{} bytes>", b.len()),
        })
    }
    /// Booleans written as `true` or as the string `"true"` both count.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Prop::Single(Value::Bool(b)) => Some(*b),
            Prop::Single(Value::Str(s)) => match s.trim() {
                "true" => Some(true),
                "false" => Some(false),
                _ => None,
            },
            _ => None,
        }
    }
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Prop::Single(Value::Long(n)) => Some(*n),
            Prop::Single(Value::Str(s)) => s.trim().parse().ok(),
            Prop::Single(Value::Double(d)) => Some(*d as i64),
            _ => None,
        }
    }
}

/// `EEE MMM dd yyyy HH:mm:ss 'GMT'Z`, as Sling's JsonObjectCreator writes dates.
pub fn format_sling_date(ms: i64) -> String {
    let dt: DateTime<Utc> = DateTime::from_timestamp_millis(ms).unwrap_or_default();
    dt.format("%a %b %d %Y %H:%M:%S GMT%z").to_string()
}

fn value_json(v: &Value) -> Json {
    match v {
        Value::Str(s) => Json::String(s.clone()),
        Value::Long(n) => Json::from(*n),
        Value::Double(d) => serde_json::Number::from_f64(*d)
            .map(Json::Number)
            .unwrap_or(Json::Null),
        Value::Bool(b) => Json::Bool(*b),
        Value::Date(ms) => Json::String(format_sling_date(*ms)),
        Value::Binary(b) => Json::from(b.len()),
    }
}

#[derive(Clone, Debug, Default)]
pub struct Node {
    pub props: IndexMap<String, Prop>,
    pub children: Vec<String>,
}

impl Node {
    pub fn primary_type(&self) -> &str {
        match self.props.get("jcr:primaryType") {
            Some(Prop::Single(Value::Str(s))) => s,
            _ => "nt:unstructured",
        }
    }
    pub fn text(&self, name: &str) -> Option<String> {
        self.props.get(name).and_then(Prop::as_text)
    }
    pub fn flag(&self, name: &str) -> Option<bool> {
        self.props.get(name).and_then(Prop::as_bool)
    }
}

/// Parent path of an absolute path (`/` for top-level nodes).
pub fn parent_of(path: &str) -> Option<&str> {
    if path == "/" {
        return None;
    }
    match path.rfind('/') {
        Some(0) => Some("/"),
        Some(i) => Some(&path[..i]),
        None => None,
    }
}

pub fn name_of(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or("")
}

pub fn join(parent: &str, name: &str) -> String {
    if parent == "/" {
        format!("/{name}")
    } else {
        format!("{parent}/{name}")
    }
}

/// Removes duplicate and trailing slashes; resolves `.` segments. Returns None for paths
/// that try to climb above the root.
pub fn normalize(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    Some(format!("/{}", parts.join("/")))
}

#[derive(Clone, Debug)]
pub struct Repo {
    nodes: HashMap<String, Node>,
}

impl Default for Repo {
    fn default() -> Self {
        Self::new()
    }
}

impl Repo {
    pub fn new() -> Self {
        let mut root = Node::default();
        root.props
            .insert("jcr:primaryType".into(), Prop::str("rep:root"));
        let mut nodes = HashMap::new();
        nodes.insert("/".to_string(), root);
        Repo { nodes }
    }

    pub fn get(&self, path: &str) -> Option<&Node> {
        self.nodes.get(path)
    }

    pub fn get_mut(&mut self, path: &str) -> Option<&mut Node> {
        self.nodes.get_mut(path)
    }

    pub fn exists(&self, path: &str) -> bool {
        self.nodes.contains_key(path)
    }

    pub fn prop(&self, path: &str, name: &str) -> Option<&Prop> {
        self.nodes.get(path)?.props.get(name)
    }

    pub fn text(&self, path: &str, name: &str) -> Option<String> {
        self.prop(path, name).and_then(Prop::as_text)
    }

    /// Child node names in order.
    pub fn children(&self, path: &str) -> Vec<String> {
        self.nodes
            .get(path)
            .map(|n| n.children.clone())
            .unwrap_or_default()
    }

    /// Creates `path` (and missing ancestors, typed `intermediate`). Returns true if the node
    /// itself was created.
    pub fn ensure(&mut self, path: &str, primary_type: &str, intermediate: &str) -> bool {
        if self.nodes.contains_key(path) {
            return false;
        }
        if let Some(parent) = parent_of(path) {
            let parent = parent.to_string();
            self.ensure(&parent, intermediate, intermediate);
            if let Some(p) = self.nodes.get_mut(&parent) {
                p.children.push(name_of(path).to_string());
            }
        }
        let mut node = Node::default();
        node.props
            .insert("jcr:primaryType".into(), Prop::str(primary_type));
        self.nodes.insert(path.to_string(), node);
        true
    }

    pub fn set(&mut self, path: &str, name: &str, prop: Prop) {
        if let Some(n) = self.nodes.get_mut(path) {
            n.props.insert(name.to_string(), prop);
        }
    }

    pub fn remove_prop(&mut self, path: &str, name: &str) -> bool {
        self.nodes
            .get_mut(path)
            .map(|n| n.props.shift_remove(name).is_some())
            .unwrap_or(false)
    }

    /// Deletes a node and its subtree. Returns false if it did not exist.
    pub fn delete(&mut self, path: &str) -> bool {
        if path == "/" || !self.nodes.contains_key(path) {
            return false;
        }
        let prefix = format!("{path}/");
        self.nodes
            .retain(|p, _| p != path && !p.starts_with(&prefix));
        if let Some(parent) = parent_of(path)
            && let Some(p) = self.nodes.get_mut(parent)
        {
            let name = name_of(path);
            p.children.retain(|c| c != name);
        }
        true
    }

    /// Copies the subtree at `from` to `to` (which must not exist; its parent is created).
    pub fn copy(&mut self, from: &str, to: &str) -> bool {
        if !self.nodes.contains_key(from) || self.nodes.contains_key(to) {
            return false;
        }
        let prefix = format!("{from}/");
        let mut subtree: Vec<(String, Node)> = self
            .nodes
            .iter()
            .filter(|(p, _)| p.as_str() == from || p.starts_with(&prefix))
            .map(|(p, n)| (format!("{to}{}", &p[from.len()..]), n.clone()))
            .collect();
        subtree.sort_by(|a, b| a.0.cmp(&b.0));
        if let Some(parent) = parent_of(to) {
            let parent = parent.to_string();
            self.ensure(&parent, "nt:unstructured", "nt:unstructured");
            if let Some(p) = self.nodes.get_mut(&parent) {
                p.children.push(name_of(to).to_string());
            }
        }
        for (p, n) in subtree {
            self.nodes.insert(p, n);
        }
        true
    }

    /// Number of nodes rendered for `path` at `depth` levels (None = whole subtree).
    pub fn count(&self, path: &str, depth: Option<usize>) -> usize {
        let Some(node) = self.nodes.get(path) else {
            return 0;
        };
        let mut n = 1;
        if depth != Some(0) {
            for c in &node.children {
                n += self.count(&join(path, c), depth.map(|d| d - 1));
            }
        }
        n
    }

    /// Depth of the deepest descendant below `path` (0 = no children).
    pub fn height(&self, path: &str) -> usize {
        self.children(path)
            .iter()
            .map(|c| 1 + self.height(&join(path, c)))
            .max()
            .unwrap_or(0)
    }

    /// Sling JSON rendering: properties, then children to `depth` levels (None = all).
    pub fn render(&self, path: &str, depth: Option<usize>) -> Option<Json> {
        let node = self.nodes.get(path)?;
        let mut obj = Map::new();
        for (k, p) in &node.props {
            match p {
                Prop::Single(Value::Binary(b)) => {
                    obj.insert(format!(":{k}"), Json::from(b.len()));
                }
                Prop::Single(v) => {
                    obj.insert(k.clone(), value_json(v));
                }
                Prop::Multi(PropType::Binary, vs) => {
                    obj.insert(
                        format!(":{k}"),
                        Json::Array(vs.iter().map(value_json).collect()),
                    );
                }
                Prop::Multi(_, vs) => {
                    obj.insert(k.clone(), Json::Array(vs.iter().map(value_json).collect()));
                }
            }
        }
        if depth != Some(0) {
            for c in &node.children {
                if let Some(child) = self.render(&join(path, c), depth.map(|d| d - 1)) {
                    obj.insert(c.clone(), child);
                }
            }
        }
        Some(Json::Object(obj))
    }

    /// All node paths below `root` (inclusive) whose property `name` satisfies `pred`.
    pub fn find<F: Fn(&Node) -> bool>(&self, root: &str, pred: F) -> Vec<String> {
        let prefix = if root == "/" {
            "/".to_string()
        } else {
            format!("{root}/")
        };
        let mut out: Vec<String> = self
            .nodes
            .iter()
            .filter(|(p, _)| p.as_str() == root || p.starts_with(&prefix))
            .filter(|(_, n)| pred(n))
            .map(|(p, _)| p.clone())
            .collect();
        out.sort();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ensure_creates_intermediates_in_order() {
        let mut r = Repo::new();
        assert!(r.ensure("/a/b/c", "cq:Page", "sling:Folder"));
        assert!(!r.ensure("/a/b/c", "cq:Page", "sling:Folder"));
        r.ensure("/a/b/d", "nt:unstructured", "sling:Folder");
        assert_eq!(r.children("/a/b"), vec!["c", "d"]);
        assert_eq!(r.get("/a").map(|n| n.primary_type()), Some("sling:Folder"));
        assert_eq!(r.count("/a", None), 4);
        assert_eq!(r.count("/a", Some(1)), 2);
        assert_eq!(r.height("/a"), 2);
    }

    #[test]
    fn render_types_and_depth() {
        let mut r = Repo::new();
        r.ensure("/x/y", "nt:unstructured", "nt:unstructured");
        r.set("/x", "n", Prop::long(5));
        r.set("/x", "b", Prop::bool(true));
        r.set("/x", "s", Prop::str("true"));
        r.set("/x", "d", Prop::date(0));
        r.set("/x", "bin", Prop::Single(Value::Binary(vec![1, 2, 3])));
        r.set("/x", "m", Prop::strs(["a", "b"]));
        let j = r.render("/x", Some(0)).unwrap();
        assert_eq!(j["n"], 5);
        assert_eq!(j["b"], true);
        assert_eq!(j["s"], "true");
        assert_eq!(j["d"], "Thu Jan 01 1970 00:00:00 GMT+0000");
        assert_eq!(j[":bin"], 3);
        assert_eq!(j["m"], serde_json::json!(["a", "b"]));
        assert!(j.get("y").is_none());
        assert!(r.render("/x", Some(1)).unwrap().get("y").is_some());
    }

    #[test]
    fn delete_and_copy() {
        let mut r = Repo::new();
        r.ensure("/a/b/c", "nt:unstructured", "nt:unstructured");
        assert!(r.copy("/a/b", "/z/b2"));
        assert!(r.exists("/z/b2/c"));
        assert!(r.delete("/a/b"));
        assert!(!r.exists("/a/b/c"));
        assert!(r.children("/a").is_empty());
        assert!(!r.delete("/a/b"));
    }

    #[test]
    fn normalize_paths() {
        assert_eq!(normalize("//a/./b/").as_deref(), Some("/a/b"));
        assert_eq!(normalize("/a/../b").as_deref(), Some("/b"));
        assert_eq!(normalize("/.."), None);
    }
}
