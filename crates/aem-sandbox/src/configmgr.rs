//! The Felix Web Console configuration manager (`/system/console/configMgr`).

use super::http::{self, Request, Response};
use super::state::{
    CUSTOMIZER_FACTORY, OsgiConfig, OsgiValue, PROVIDER_FACTORY, World, felix_type,
};
use indexmap::IndexMap;
use serde_json::{Value as Json, json};

pub const TEMP_PID: &str = "[Temporary PID replaced by real PID upon save]";
/// What Felix shows instead of a stored password, and accepts back as "keep it".
pub const PASSWORD_PLACEHOLDER: &str = "unmodified";

/// Metatype: (type, multi-valued) of known properties.
fn metatype(factory: Option<&str>, name: &str) -> Option<(u8, bool)> {
    use felix_type::*;
    match (factory, name) {
        (Some(PROVIDER_FACTORY), "auth.token.provider.default.claims") => Some((STRING, true)),
        (
            Some(PROVIDER_FACTORY),
            "auth.token.provider.conn.timeout" | "auth.token.provider.so.timeout",
        ) => Some((INTEGER, false)),
        (
            Some(PROVIDER_FACTORY),
            "auth.token.provider.reuse.access.token" | "auth.token.provider.relaxed.ssl",
        ) => Some((BOOLEAN, false)),
        (Some(PROVIDER_FACTORY), _) => Some((STRING, false)),
        (Some(CUSTOMIZER_FACTORY), "auth.ims.client.secret") => Some((PASSWORD, false)),
        (Some(CUSTOMIZER_FACTORY), _) => Some((STRING, false)),
        _ => None,
    }
}

fn title_of(factory: Option<&str>) -> &'static str {
    match factory {
        Some(PROVIDER_FACTORY) => "Adobe Granite OAuth Access Token Provider",
        Some(CUSTOMIZER_FACTORY) => "Adobe Granite IMS Access Token Request Customizer",
        _ => "Configuration",
    }
}

fn value_json(v: &OsgiValue) -> Json {
    let one = |s: &String| -> Json {
        match v.ty {
            felix_type::INTEGER | felix_type::LONG => {
                s.parse::<i64>().map(Json::from).unwrap_or(json!(s))
            }
            felix_type::BOOLEAN => json!(s == "true"),
            felix_type::PASSWORD => json!(PASSWORD_PLACEHOLDER),
            _ => json!(s),
        }
    };
    if v.multi {
        Json::Array(v.values.iter().map(one).collect())
    } else {
        v.values.first().map(one).unwrap_or(json!(""))
    }
}

pub fn config_json(c: &OsgiConfig) -> Json {
    let mut props = serde_json::Map::new();
    for (k, v) in &c.props {
        let mut p =
            json!({"name": k, "optional": false, "is_set": true, "type": v.ty, "description": ""});
        if v.multi {
            p["values"] = value_json(v);
        } else {
            p["value"] = value_json(v);
        }
        props.insert(k.clone(), p);
    }
    let mut j = json!({
        "pid": c.pid,
        "title": title_of(c.factory_pid.as_deref()),
        "description": "",
        "properties": props,
        "bundle_location": "launchpad:resources/install/0/com.adobe.granite.oauth.server.jar",
        "service_location": "",
    });
    if let Some(f) = &c.factory_pid {
        j["factoryPid"] = json!(f);
    }
    j
}

/// Evaluates the simple LDAP filters the console accepts, e.g. `(service.factoryPid=x)`.
fn filter_matches(filter: &str, c: &OsgiConfig) -> Option<bool> {
    let inner = filter.strip_prefix('(')?.strip_suffix(')')?;
    if let Some(rest) = inner.strip_prefix('&') {
        let mut parts = Vec::new();
        let mut depth = 0;
        let mut start = 0;
        for (i, ch) in rest.char_indices() {
            match ch {
                '(' => {
                    if depth == 0 {
                        start = i;
                    }
                    depth += 1;
                }
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        parts.push(&rest[start..=i]);
                    }
                }
                _ => {}
            }
        }
        return Some(parts.iter().all(|p| filter_matches(p, c).unwrap_or(false)));
    }
    let (key, value) = inner.split_once('=')?;
    Some(match key {
        "service.factoryPid" => c.factory_pid.as_deref() == Some(value),
        "service.pid" => c.pid == value,
        k => c.get(k) == Some(value) || (value == "*" && c.props.contains_key(k)),
    })
}

/// Routes `/system/console/configMgr[/…]`.
pub fn handle(w: &mut World, req: &Request) -> Response {
    let rest = req
        .path
        .trim_start_matches("/system/console/configMgr")
        .trim_start_matches('/');
    if req.method == http::Method::GET || req.method == http::Method::HEAD {
        return read(w, rest);
    }
    if req.method != http::Method::POST {
        return http::error_page(405, "Method not allowed");
    }
    let pid = rest.to_string();
    if req
        .params
        .get("delete")
        .is_some_and(|d| d == "1" || d == "true")
    {
        return if w.osgi.shift_remove(&pid).is_some() {
            w.bump();
            http::json(200, &json!({"reload": true}))
        } else {
            http::error_page(404, &format!("No configuration {pid}"))
        };
    }
    if !req.params.has("apply") {
        return http::error_page(400, "Missing apply parameter");
    }
    let (pid, factory) = match target_of(w, req, pid) {
        Ok(target) => target,
        Err(refused) => return http::error_page(400, &refused),
    };
    let old = w.osgi.get(&pid).cloned();
    let mut props: IndexMap<String, OsgiValue> =
        old.as_ref().map(|o| o.props.clone()).unwrap_or_default();
    if let Err(refused) = apply_properties(req, factory.as_deref(), &mut props) {
        return http::error_page(400, &refused);
    }
    w.osgi.insert(
        pid.clone(),
        OsgiConfig {
            pid: pid.clone(),
            factory_pid: factory,
            props,
        },
    );
    w.bump();
    http::redirect(302, &format!("/system/console/configMgr/{pid}"))
}

/// GET and HEAD: the overview, a configuration's page, or its JSON (by PID or LDAP filter).
fn read(w: &World, rest: &str) -> Response {
    if rest.is_empty() {
        return overview(w);
    }
    let Some(key) = rest.strip_suffix(".json") else {
        return match w.osgi.get(rest) {
            Some(c) => http::html(
                200,
                format!(
                    "<html><body><h1>{}</h1></body></html>",
                    http::escape(&c.pid)
                ),
            ),
            None => http::error_page(404, &format!("No configuration {rest}")),
        };
    };
    if key.starts_with('(') {
        let mut out = Vec::new();
        for c in w.osgi.values() {
            match filter_matches(key, c) {
                Some(true) => out.push(config_json(c)),
                Some(false) => {}
                None => return http::error_page(400, &format!("Invalid filter {key}")),
            }
        }
        return http::json(200, &Json::Array(out));
    }
    match w.osgi.get(key) {
        Some(c) => http::json(200, &Json::Array(vec![config_json(c)])),
        None => http::error_page(404, &format!("No configuration {key}")),
    }
}

/// The PID an apply writes to and its factory: a new factory configuration (`[Temporary PID
/// replaced by real PID upon save]` or no PID with a `factoryPid`), an existing one, or a new
/// singleton. Refused (a 400 saying why) without a PID or factory.
fn target_of(w: &World, req: &Request, pid: String) -> Result<(String, Option<String>), String> {
    let factory_param = req.params.get("factoryPid").filter(|f| !f.is_empty());
    if pid == TEMP_PID || (pid.is_empty() && factory_param.is_some()) {
        let Some(f) = factory_param else {
            return Err("factoryPid is required to create a factory configuration".into());
        };
        Ok((format!("{f}.{}", uuid::Uuid::new_v4()), Some(f)))
    } else if let Some(existing) = w.osgi.get(&pid) {
        Ok((pid.clone(), existing.factory_pid.clone()))
    } else if pid.is_empty() {
        Err("No PID given".into())
    } else {
        Ok((pid, factory_param))
    }
}

/// The properties `propertylist` names, typed by the factory's metatype: an absent boolean is
/// false, an absent other property is removed, a password sent back as Felix shows it
/// (`unmodified`) is kept. Refused (a 400 saying why) when an integer is not one.
fn apply_properties(
    req: &Request,
    factory: Option<&str>,
    props: &mut IndexMap<String, OsgiValue>,
) -> Result<(), String> {
    let list: Vec<String> = req
        .params
        .get("propertylist")
        .unwrap_or_default()
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    for name in list {
        let values = req.params.all(&name);
        let (ty, multi) =
            metatype(factory, &name).unwrap_or((felix_type::STRING, values.len() > 1));
        if values.is_empty() {
            if ty == felix_type::BOOLEAN {
                props.insert(
                    name,
                    OsgiValue {
                        ty,
                        multi,
                        values: vec!["false".into()],
                    },
                );
            } else {
                props.shift_remove(&name);
            }
            continue;
        }
        if ty == felix_type::PASSWORD
            && values.first().map(String::as_str) == Some(PASSWORD_PLACEHOLDER)
        {
            continue;
        }
        if ty == felix_type::INTEGER && values.iter().any(|v| v.trim().parse::<i64>().is_err()) {
            return Err(format!("{name} must be a whole number"));
        }
        props.insert(
            name,
            OsgiValue {
                ty,
                multi: multi || values.len() > 1,
                values,
            },
        );
    }
    Ok(())
}

fn overview(w: &World) -> Response {
    let pids: Vec<Json> = w
        .osgi
        .values()
        .map(|c| {
            json!({"id": c.pid, "name": title_of(c.factory_pid.as_deref()), "has_config": true,
                   "fpid": c.factory_pid, "nameHint": c.get("name").or(c.get("auth.token.provider.title"))})
        })
        .collect();
    let fpids = json!([
        {"id": PROVIDER_FACTORY, "name": title_of(Some(PROVIDER_FACTORY))},
        {"id": CUSTOMIZER_FACTORY, "name": title_of(Some(CUSTOMIZER_FACTORY))},
    ]);
    let data = json!({"status": true, "pids": pids, "fpids": fpids});
    http::html(
        200,
        format!(
            "<!DOCTYPE html><html><head><title>Adobe Experience Manager Web Console - Configuration</title>\
<script type=\"text/javascript\">\n// <![CDATA[\nvar configData = {data};\n// ]]>\n</script></head><body><div id=\"content\"></div></body></html>"
        ),
    )
}
