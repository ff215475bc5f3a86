//! Sling's default GET servlet, POST servlet and DELETE, over the sandbox repository.

use super::http::{self, Request, Response, escape};
use super::repo::{Prop, PropType, Repo, Value, join, name_of, normalize, parent_of};
use super::state::{World, now_ms};
use serde_json::{Value as Json, json};

/// A request path split the way Sling splits it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    /// The resource path (existing or not).
    pub path: String,
    pub exists: bool,
    pub selectors: Vec<String>,
    pub extension: Option<String>,
}

/// Finds the longest existing resource the path names, cutting at dots of the last segment.
pub fn resolve(repo: &Repo, path: &str) -> Resolved {
    if repo.exists(path) {
        return Resolved {
            path: path.to_string(),
            exists: true,
            selectors: vec![],
            extension: None,
        };
    }
    let (dir, last) = match path.rfind('/') {
        Some(i) => (&path[..i], &path[i + 1..]),
        None => ("", path),
    };
    let dir = if dir.is_empty() { "/" } else { dir };
    let parts: Vec<&str> = last.split('.').collect();
    let split = |k: usize, exists: bool| {
        let rest: Vec<String> = parts[k..].iter().map(|s| s.to_string()).collect();
        let (selectors, extension) = match rest.split_last() {
            Some((ext, sel)) => (sel.to_vec(), Some(ext.clone())),
            None => (vec![], None),
        };
        Resolved {
            path: join(dir, &parts[..k].join(".")),
            exists,
            selectors,
            extension,
        }
    };
    for k in (1..parts.len()).rev() {
        let candidate = join(dir, &parts[..k].join("."));
        if repo.exists(&candidate) {
            return split(k, true);
        }
    }
    split(1, false)
}

/// Sling GET/HEAD of a resource in JSON or HTML.
pub fn get(w: &World, req: &Request, r: &Resolved) -> Response {
    if !r.exists {
        return http::not_found(&req.path);
    }
    match r.extension.as_deref() {
        Some("json") => get_json(w, r),
        Some("html") if r.selectors.is_empty() => html_dump(&w.repo, &r.path),
        None => {
            let is_page = w
                .repo
                .get(&r.path)
                .is_some_and(|n| n.primary_type() == "cq:Page");
            if is_page {
                http::redirect(302, &format!("{}.html", r.path))
            } else {
                html_dump(&w.repo, &r.path)
            }
        }
        _ => http::not_found(&req.path),
    }
}

fn get_json(w: &World, r: &Resolved) -> Response {
    let mut tidy = false;
    let mut depth: Option<usize> = Some(0);
    let sels: Vec<&str> = r
        .selectors
        .iter()
        .map(String::as_str)
        .filter(|s| {
            let known = matches!(*s, "tidy" | "harray");
            tidy |= *s == "tidy";
            !known
        })
        .collect();
    if let Some(last) = sels.last() {
        depth = match *last {
            "infinity" | "-1" => None,
            n => match n.parse::<usize>() {
                Ok(d) => Some(d),
                Err(_) => {
                    return http::error_page(
                        400,
                        &format!("Invalid recursion selector value '{n}'"),
                    );
                }
            },
        };
    }
    let limit = w.cfg.json_max_results;
    if w.repo.count(&r.path, depth) > limit {
        // As Sling: 300 with the shallower renderings that would fit, deepest first.
        let max = depth.unwrap_or_else(|| w.repo.height(&r.path));
        let options: Vec<Json> = (0..max)
            .rev()
            .filter(|d| w.repo.count(&r.path, Some(*d)) <= limit)
            .map(|d| Json::String(format!("{}.{d}.json", r.path)))
            .collect();
        return http::json(300, &Json::Array(options));
    }
    let Some(body) = w.repo.render(&r.path, depth) else {
        return http::not_found(&r.path);
    };
    if tidy {
        let text = serde_json::to_string_pretty(&body).unwrap_or_default();
        return http::bytes(200, "application/json;charset=utf-8", text);
    }
    http::json(200, &body)
}

fn html_dump(repo: &Repo, path: &str) -> Response {
    let mut out = format!(
        "<html><head><title>{0}</title></head><body><h1>Resource dumped by HtmlRendererServlet</h1>\
         <p>Resource path: <b>{0}</b></p><h2>Resource properties</h2><p>",
        escape(path)
    );
    if let Some(node) = repo.get(path) {
        for (k, p) in &node.props {
            out.push_str(&format!(
                "{}: {}<br/>",
                escape(k),
                escape(&p.as_text().unwrap_or_default())
            ));
        }
    }
    out.push_str("</p></body></html>");
    http::html(200, out)
}

/// The outcome of a POST, rendered as Sling's HtmlResponse or JSONResponse.
#[derive(Clone, Debug)]
pub struct PostResult {
    pub status: u16,
    pub path: String,
    pub created: bool,
    pub changes: Vec<(&'static str, String)>,
    pub error: Option<(String, String)>,
    pub title: Option<String>,
}

impl PostResult {
    pub fn ok(path: &str) -> Self {
        PostResult {
            status: 200,
            path: path.to_string(),
            created: false,
            changes: vec![],
            error: None,
            title: None,
        }
    }
    pub fn failed(status: u16, path: &str, class: &str, message: &str) -> Self {
        PostResult {
            status,
            path: path.to_string(),
            created: false,
            changes: vec![],
            error: Some((class.to_string(), message.to_string())),
            title: None,
        }
    }

    pub fn render(&self, req: &Request) -> Response {
        let message = if let Some((_, msg)) = &self.error {
            msg.clone()
        } else if self.created {
            "Created".to_string()
        } else {
            "OK".to_string()
        };
        let title = self.title.clone().unwrap_or_else(|| {
            if self.error.is_some() {
                format!("Error while processing {}", self.path)
            } else if self.created {
                format!("Content created {}", self.path)
            } else {
                format!("Content modified {}", self.path)
            }
        });
        let parent = parent_of(&self.path).unwrap_or("/").to_string();
        let referer = req.header("referer").unwrap_or("").to_string();
        let mut resp = if req.wants_json() {
            let mut body = json!({
                "changes": self.changes.iter().map(|(t, a)| json!({"type": t, "argument": a})).collect::<Vec<_>>(),
                "path": self.path,
                "location": self.path,
                "parentLocation": parent,
                "referer": referer,
                "isCreate": self.created,
                "status.code": self.status,
                "status.message": message,
                "title": title,
            });
            if let Some((class, msg)) = &self.error {
                body["error"] = json!({"class": class, "message": msg});
            }
            http::json(self.status, &body)
        } else {
            let changes: String = self
                .changes
                .iter()
                .map(|(t, a)| format!("{t}(&quot;{}&quot;);&lt;br/&gt;", escape(a)))
                .collect();
            http::html(
                self.status,
                format!(
                    "<html><head><title>{t}</title></head><body><h1>{t}</h1><table><tbody>\n\
<tr><td>Status</td><td><div id=\"Status\">{s}</div></td></tr>\n\
<tr><td>Message</td><td><div id=\"Message\">{m}</div></td></tr>\n\
<tr><td>Location</td><td><a href=\"{p}\" id=\"Location\">{p}</a></td></tr>\n\
<tr><td>Parent Location</td><td><a href=\"{pp}\" id=\"ParentLocation\">{pp}</a></td></tr>\n\
<tr><td>Path</td><td><div id=\"Path\">{p}</div></td></tr>\n\
<tr><td>Referer</td><td><a href=\"{r}\" id=\"Referer\">{r}</a></td></tr>\n\
<tr><td>ChangeLog</td><td><div id=\"ChangeLog\">&lt;pre&gt;{c}&lt;/pre&gt;</div></td></tr>\n\
</tbody></table><p><a href=\"{r}\">Go Back</a></p><p><a href=\"{p}\">Modified Resource</a></p>\
<p><a href=\"{pp}\">Parent of Modified Resource</a></p></body></html>",
                    t = escape(&title),
                    s = self.status,
                    m = escape(&match &self.error {
                        Some((class, msg)) => format!("{class}: {msg}"),
                        None => message.clone(),
                    }),
                    p = escape(&self.path),
                    pp = escape(&parent),
                    r = escape(&referer),
                    c = changes,
                ),
            )
        };
        if self.created
            && let Ok(v) = http::header::HeaderValue::from_str(&self.path)
        {
            resp.headers_mut().insert(http::header::LOCATION, v);
        }
        resp
    }
}

/// The Sling POST servlet: modify (default), delete, copy and move.
pub fn post(w: &mut World, req: &Request, r: &Resolved) -> PostResult {
    let op = req.params.get(":operation").unwrap_or_default();
    match op.as_str() {
        "" | "modify" => modify(w, req, &r.path),
        "delete" => {
            if w.repo.delete(&r.path) {
                w.bump();
                let mut res = PostResult::ok(&r.path);
                res.changes.push(("deleted", r.path.clone()));
                res
            } else {
                // AEM 6.x answers 403 for a missing path (current Sling: 404).
                PostResult::failed(
                    403,
                    &r.path,
                    "javax.jcr.AccessDeniedException",
                    "Access denied or the resource does not exist",
                )
            }
        }
        "copy" | "move" => copy_or_move(w, req, &r.path, op == "move"),
        other => PostResult::failed(
            500,
            &r.path,
            "org.apache.sling.api.resource.PersistenceException",
            &format!("Invalid operation specified for POST request: {other}"),
        ),
    }
}

fn copy_or_move(w: &mut World, req: &Request, path: &str, is_move: bool) -> PostResult {
    let Some(dest) = req.params.get(":dest") else {
        return PostResult::failed(
            412,
            path,
            "javax.jcr.PathNotFoundException",
            "Missing :dest parameter",
        );
    };
    let parent = parent_of(path).unwrap_or("/");
    let dest = if dest.starts_with('/') {
        dest
    } else {
        join(parent, &dest)
    };
    let dest = if dest.ends_with('/') {
        join(dest.trim_end_matches('/'), name_of(path))
    } else {
        dest
    };
    let Some(dest) = normalize(&dest) else {
        return PostResult::failed(400, path, "javax.jcr.RepositoryException", "Bad :dest");
    };
    if !w.repo.exists(path) {
        return PostResult::failed(
            404,
            path,
            "javax.jcr.PathNotFoundException",
            "Source not found",
        );
    }
    if w.repo.exists(&dest) {
        if req.params.get(":replace").as_deref() == Some("true") {
            w.repo.delete(&dest);
        } else {
            return PostResult::failed(
                412,
                path,
                "javax.jcr.ItemExistsException",
                &format!(
                    "Cannot {} {path} to {dest}: destination exists",
                    if is_move { "move" } else { "copy" }
                ),
            );
        }
    }
    w.repo.copy(path, &dest);
    if is_move {
        w.repo.delete(path);
    }
    w.bump();
    let mut res = PostResult::ok(&dest);
    res.created = true;
    res.status = 201;
    res.changes
        .push((if is_move { "moved" } else { "copied" }, path.to_string()));
    res
}

fn modify(w: &mut World, req: &Request, target: &str) -> PostResult {
    let mut target = target.to_string();
    if target.ends_with("/*") || (target.ends_with('/') && target != "/") {
        let parent = target
            .trim_end_matches('*')
            .trim_end_matches('/')
            .to_string();
        let hint = req
            .params
            .get(":name")
            .or_else(|| req.params.get(":nameHint"))
            .map(|h| slug(&h))
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| now_ms().to_string());
        let mut name = hint.clone();
        let mut n = 0;
        while w.repo.exists(&join(&parent, &name)) {
            n += 1;
            name = format!("{hint}_{n}");
        }
        target = join(if parent.is_empty() { "/" } else { &parent }, &name);
    }
    let primary = req
        .params
        .get("jcr:primaryType")
        .or_else(|| req.params.get("./jcr:primaryType"))
        .unwrap_or_else(|| "nt:unstructured".into());
    let mut res = PostResult::ok(&target);
    if w.repo.ensure(&target, &primary, "nt:unstructured") {
        res.created = true;
        res.status = 201;
        res.changes.push(("created", target.clone()));
    }
    for name in req.params.names() {
        if name.starts_with(':') || name == "_charset_" {
            continue;
        }
        let (base, suffix) = match name.split_once('@') {
            Some((b, s)) => (b.to_string(), Some(s.to_string())),
            None => (name.clone(), None),
        };
        let rel = base.strip_prefix("./").unwrap_or(&base).to_string();
        let (node_path, prop) = match rel.rsplit_once('/') {
            Some((dir, p)) => match normalize(&format!("{target}/{dir}")) {
                Some(n) => (n, p.to_string()),
                None => continue,
            },
            None => (target.clone(), rel.clone()),
        };
        if prop.is_empty() {
            continue;
        }
        match suffix.as_deref() {
            Some("Delete") => {
                if w.repo.remove_prop(&node_path, &prop) {
                    res.changes.push(("deleted", join(&node_path, &prop)));
                }
                continue;
            }
            Some(_) => continue, // @TypeHint, @DefaultValue, … are read with their property
            None => {}
        }
        if w.repo
            .ensure(&node_path, "nt:unstructured", "nt:unstructured")
        {
            res.changes.push(("created", node_path.clone()));
        }
        let hint = req.params.get(&format!("{name}@TypeHint"));
        let params: Vec<_> = req.params.0.iter().filter(|p| p.name == name).collect();
        if prop == "jcr:primaryType" {
            if let Some(v) = params.first() {
                w.repo.set(
                    &node_path,
                    "jcr:primaryType",
                    Prop::str(String::from_utf8_lossy(&v.value)),
                );
            }
            continue;
        }
        let files: Vec<Vec<u8>> = params
            .iter()
            .filter(|p| p.filename.is_some())
            .map(|p| p.value.to_vec())
            .collect();
        let prop_value = if !files.is_empty() {
            Ok(Some(Prop::Single(Value::Binary(files.concat()))))
        } else {
            let values: Vec<String> = params
                .iter()
                .map(|p| String::from_utf8_lossy(&p.value).into_owned())
                .collect();
            typed_prop(&values, hint.as_deref())
        };
        match prop_value {
            Ok(Some(p)) => {
                w.repo.set(&node_path, &prop, p);
                res.changes.push(("modified", join(&node_path, &prop)));
            }
            Ok(None) => {
                if w.repo.remove_prop(&node_path, &prop) {
                    res.changes.push(("deleted", join(&node_path, &prop)));
                }
            }
            Err(msg) => {
                return PostResult::failed(500, &target, "javax.jcr.ValueFormatException", &msg);
            }
        }
    }
    w.bump();
    res
}

/// Converts request values to a property as Sling does; an empty single value removes it.
pub fn typed_prop(values: &[String], hint: Option<&str>) -> Result<Option<Prop>, String> {
    let hint = hint.unwrap_or("String");
    let (base, force_multi) = match hint.strip_suffix("[]") {
        Some(b) => (b, true),
        None => (hint, false),
    };
    type Convert = fn(&str) -> Result<Value, String>;
    let (ty, conv): (PropType, Convert) = match base {
        "Boolean" => (PropType::Boolean, |s| Ok(Value::Bool(s.trim() == "true"))),
        "Long" => (PropType::Long, |s| {
            s.trim()
                .parse()
                .map(Value::Long)
                .map_err(|_| format!("Not a Long: {s}"))
        }),
        "Double" | "Decimal" => (PropType::Double, |s| {
            s.trim()
                .parse()
                .map(Value::Double)
                .map_err(|_| format!("Not a number: {s}"))
        }),
        "Date" => (PropType::Date, |s| parse_date(s).map(Value::Date)),
        _ => (PropType::String, |s| Ok(Value::Str(s.to_string()))),
    };
    if force_multi || values.len() > 1 {
        let vals = values
            .iter()
            .filter(|v| !v.is_empty() || ty == PropType::String)
            .map(|v| conv(v))
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(Some(Prop::Multi(ty, vals)));
    }
    match values.first() {
        None => Ok(None),
        Some(v) if v.is_empty() => Ok(None),
        Some(v) => conv(v).map(|v| Some(Prop::Single(v))),
    }
}

/// ISO 8601 / RFC 3339, or Sling's ECMA form `Tue Jun 04 2019 10:01:02 GMT+0200`.
pub fn parse_date(s: &str) -> Result<i64, String> {
    let s = s.trim();
    if let Ok(d) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(d.timestamp_millis());
    }
    if let Ok(d) = chrono::DateTime::parse_from_str(s, "%a %b %d %Y %H:%M:%S GMT%z") {
        return Ok(d.timestamp_millis());
    }
    if let Ok(d) = chrono::DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.3f%:z") {
        return Ok(d.timestamp_millis());
    }
    Err(format!("Not a date: {s}"))
}

/// HTTP DELETE: 204, or 404 when the path does not exist.
pub fn delete(w: &mut World, r: &Resolved) -> Response {
    if r.exists && r.selectors.is_empty() && r.extension.is_none() && w.repo.delete(&r.path) {
        w.bump();
        http::empty(204)
    } else {
        http::error_page(404, &format!("{} not found", r.path))
    }
}

/// Lower-case node name from a title, as AEM derives page names.
pub fn slug(title: &str) -> String {
    let mut out = String::new();
    for c in title.trim().chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_selectors_and_extension() {
        let mut repo = Repo::new();
        repo.ensure(
            "/etc/replication/agents.author/bp/jcr:content",
            "nt:unstructured",
            "cq:Page",
        );
        let r = resolve(&repo, "/etc/replication/agents.author.1.json");
        assert_eq!(r.path, "/etc/replication/agents.author");
        assert!(r.exists);
        assert_eq!(r.selectors, vec!["1"]);
        assert_eq!(r.extension.as_deref(), Some("json"));
        let r = resolve(
            &repo,
            "/etc/replication/agents.author/bp/jcr:content.queue.json",
        );
        assert_eq!(r.path, "/etc/replication/agents.author/bp/jcr:content");
        assert_eq!(r.selectors, vec!["queue"]);
        let r = resolve(&repo, "/etc/replication/agents.author/bp.test.html");
        assert_eq!(r.selectors, vec!["test"]);
        let r = resolve(&repo, "/nope/x.json");
        assert!(!r.exists);
        assert_eq!(r.path, "/nope/x");
        assert_eq!(r.extension.as_deref(), Some("json"));
    }

    #[test]
    fn typed_values() {
        assert_eq!(
            typed_prop(&["true".into()], Some("Boolean")).unwrap(),
            Some(Prop::bool(true))
        );
        assert_eq!(typed_prop(&["".into()], None).unwrap(), None);
        assert!(typed_prop(&["x".into()], Some("Long")).is_err());
        assert_eq!(
            typed_prop(&["a".into()], Some("String[]")).unwrap(),
            Some(Prop::strs(["a"]))
        );
        assert!(parse_date("Tue Jun 04 2019 10:01:02 GMT+0200").is_ok());
        assert!(parse_date("2019-06-04T10:01:02.000+02:00").is_ok());
        assert_eq!(slug("Brand Portal (NA2)"), "brand-portal-na2");
    }
}
