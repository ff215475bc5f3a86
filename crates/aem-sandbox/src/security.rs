//! Authentication, the CSRF and Referrer filters, users, the querybuilder look-up, user
//! keystores, and the readiness endpoints.

use super::http::{self, Request, Response, escape};
use super::repo::{Prop, join};
use super::sling::PostResult;
use super::state::{KeyEntry, Keystore, User, World, now_ms};
use super::x509;
use base64::Engine;
use serde_json::{Value as Json, json};
use sha2::{Digest, Sha256};

/// Checks HTTP Basic credentials; returns the user id.
pub fn authenticate(w: &World, req: &Request) -> Option<String> {
    if w.faults.reject_auth {
        return None;
    }
    let h = req.header("authorization")?;
    let b64 = h
        .strip_prefix("Basic ")
        .or_else(|| h.strip_prefix("basic "))?;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (user, pass) = text.split_once(':')?;
    let u = w.users.get(user)?;
    (u.password.as_deref() == Some(pass)).then(|| user.to_string())
}

pub fn unauthorized() -> Response {
    let mut r = http::error_page(401, "Authentication required");
    r.headers_mut().insert(
        http::header::WWW_AUTHENTICATE,
        http::header::HeaderValue::from_static("Basic realm=\"Sling (Development)\""),
    );
    r
}

fn browser_like(req: &Request) -> bool {
    req.header("user-agent")
        .is_some_and(|ua| ua.contains("Mozilla") || ua.contains("Opera"))
}

/// The Sling Referrer filter and the Granite CSRF filter, for browser-like user agents only.
pub fn filter_mutation(w: &mut World, req: &Request) -> Option<Response> {
    let mutating = matches!(
        req.method.as_str(),
        "POST" | "PUT" | "DELETE" | "COPY" | "MOVE"
    );
    if !mutating || !browser_like(req) {
        return None;
    }
    if req.header("referer").is_none_or(str::is_empty) {
        return Some(http::error_page(
            403,
            "Referrer filter: empty Referer header from a browser user agent",
        ));
    }
    let now = now_ms();
    w.csrf_tokens.retain(|_, exp| *exp > now);
    let token = req
        .header("csrf-token")
        .map(str::to_string)
        .or_else(|| req.params.get(":cq_csrf_token"));
    match token {
        Some(t) if w.csrf_tokens.contains_key(&t) => None,
        _ => Some(http::error_page(
            403,
            "isValidRequest: empty CSRF token - rejecting",
        )),
    }
}

/// `GET /libs/granite/csrf/token.json`.
pub fn csrf_token(w: &mut World) -> Response {
    let token = format!("eyJ{}", w.hex(48));
    w.csrf_tokens.insert(token.clone(), now_ms() + 10 * 60_000);
    http::json(200, &json!({ "token": token }))
}

pub fn login_page() -> Response {
    http::html(
        200,
        "<!DOCTYPE html><html><head><title>AEM Sign In</title>\
<script>var QUICKSTART_HOMEPAGE = \"/aem/start.html\";</script></head>\
<body><form name=\"login\" method=\"POST\" action=\"/libs/granite/core/content/login.html/j_security_check\">\
<input name=\"j_username\"/><input name=\"j_password\" type=\"password\"/></form></body></html>",
    )
}

fn password_hash(pw: &str) -> String {
    format!("{{SHA-256}}{}", hex::encode(Sha256::digest(pw.as_bytes())))
}

/// Creates a user node and record. The node name is derived, as AEM's is, not the id.
pub fn create_user(
    w: &mut World,
    id: &str,
    folder: &str,
    password: Option<&str>,
    system: bool,
) -> Result<String, String> {
    if w.users.contains_key(id) {
        return Err(format!("User or Group for '{id}' already exists"));
    }
    let base = if system {
        "/home/users/system"
    } else {
        "/home/users"
    };
    let folder = folder.trim_matches('/');
    let dir = if folder.is_empty() {
        base.to_string()
    } else if folder.starts_with("home/users") {
        format!("/{folder}")
    } else {
        join(base, folder)
    };
    let name = w.hex(20);
    let path = join(&dir, &name);
    w.repo.ensure(
        &path,
        if system { "rep:SystemUser" } else { "rep:User" },
        "rep:AuthorizableFolder",
    );
    w.repo.set(&path, "rep:authorizableId", Prop::str(id));
    w.repo.set(&path, "rep:principalName", Prop::str(id));
    w.repo.set(
        &path,
        "jcr:uuid",
        Prop::str(uuid::Uuid::new_v4().to_string()),
    );
    w.repo.set(&path, "jcr:created", Prop::date(now_ms()));
    w.repo.set(&path, "jcr:createdBy", Prop::str("admin"));
    if let Some(pw) = password {
        w.repo
            .set(&path, "rep:password", Prop::str(password_hash(pw)));
    }
    w.users.insert(
        id.to_string(),
        User {
            id: id.to_string(),
            path: path.clone(),
            password: password.map(str::to_string),
            system,
        },
    );
    w.bump();
    Ok(path)
}

/// `POST /libs/granite/security/post/authorizables`.
pub fn authorizables(w: &mut World, req: &Request) -> Response {
    let target = "/libs/granite/security/post/authorizables";
    let system = req.params.has("createSystemUser");
    if !system && !req.params.has("createUser") {
        return PostResult::failed(
            400,
            target,
            "javax.jcr.RepositoryException",
            "createUser or createSystemUser is required",
        )
        .render(req);
    }
    let Some(id) = req
        .params
        .get("authorizableId")
        .filter(|s| !s.trim().is_empty())
    else {
        return PostResult::failed(
            400,
            target,
            "javax.jcr.RepositoryException",
            "authorizableId is required",
        )
        .render(req);
    };
    let pw = req.params.get("rep:password");
    if !system && pw.as_deref().is_none_or(str::is_empty) {
        return PostResult::failed(
            400,
            target,
            "javax.jcr.RepositoryException",
            "rep:password is required for a user",
        )
        .render(req);
    }
    let folder = req.params.get("intermediatePath").unwrap_or_default();
    match create_user(
        w,
        &id,
        &folder,
        if system { None } else { pw.as_deref() },
        system,
    ) {
        Ok(path) => {
            let mut r = PostResult::ok(&path);
            r.created = true;
            r.status = 201;
            r.changes.push(("created", path.clone()));
            r.render(req)
        }
        Err(e) => PostResult::failed(500, target, "javax.jcr.RepositoryException", &e).render(req),
    }
}

/// `POST <U>` with `deleteAuthorizable=`.
pub fn delete_authorizable(w: &mut World, req: &Request, path: &str) -> Response {
    let Some(id) = w.user_by_path(path).map(|u| u.id.clone()) else {
        return PostResult::failed(
            404,
            path,
            "javax.jcr.PathNotFoundException",
            "No authorizable at this path",
        )
        .render(req);
    };
    if id == "admin" {
        return PostResult::failed(
            500,
            path,
            "javax.jcr.RepositoryException",
            "The admin user cannot be removed",
        )
        .render(req);
    }
    w.users.remove(&id);
    w.keystores.remove(&id);
    w.repo.delete(path);
    w.bump();
    let mut r = PostResult::ok(path);
    r.changes.push(("deleted", path.to_string()));
    r.render(req)
}

/// `GET /bin/querybuilder.json`: path, type, `property`/`N_property` with `.value` and
/// `.operation` (equals, like, exists), `p.limit`, `p.offset`, `p.hits=full`.
pub fn querybuilder(w: &World, req: &Request) -> Response {
    let root = req.params.get("path").unwrap_or_else(|| "/".into());
    let node_type = req.params.get("type");
    let mut preds: Vec<(String, Option<String>, String)> = Vec::new();
    for name in req.params.names() {
        let prefix = if name == "property" {
            String::new()
        } else if let Some(p) = name.strip_suffix("_property") {
            format!("{p}_")
        } else {
            continue;
        };
        let prop = req.params.get(&name).unwrap_or_default();
        let value = req.params.get(&format!("{prefix}property.value"));
        let op = req
            .params
            .get(&format!("{prefix}property.operation"))
            .unwrap_or_else(|| "equals".into());
        preds.push((prop, value, op));
    }
    let matches = w.repo.find(&root, |n| {
        if let Some(t) = &node_type {
            let pt = n.primary_type();
            let ok = pt == t
                || (t == "rep:User" && pt == "rep:SystemUser")
                || (t == "rep:Authorizable"
                    && pt.starts_with("rep:")
                    && pt != "rep:AuthorizableFolder");
            if !ok {
                return false;
            }
        }
        preds.iter().all(|(prop, value, op)| {
            let actual = n.text(prop);
            match (op.as_str(), value, actual) {
                ("exists", _, a) => a.is_some(),
                ("like", Some(v), Some(a)) => like(&a, v),
                (_, Some(v), Some(a)) => &a == v,
                (_, None, Some(_)) => true,
                _ => false,
            }
        })
    });
    let total = matches.len();
    let offset: usize = req
        .params
        .get("p.offset")
        .and_then(|o| o.parse().ok())
        .unwrap_or(0);
    let limit: i64 = req
        .params
        .get("p.limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(10);
    let page: Vec<&String> = matches
        .iter()
        .skip(offset)
        .take(if limit < 0 {
            usize::MAX
        } else {
            limit as usize
        })
        .collect();
    let full = req.params.get("p.hits").as_deref() == Some("full");
    let hits: Vec<Json> = page
        .iter()
        .map(|p| {
            if full {
                let mut j = w.repo.render(p, Some(0)).unwrap_or(json!({}));
                j["jcr:path"] = json!(p);
                j
            } else {
                let name = super::repo::name_of(p);
                json!({"path": p, "excerpt": "", "name": name, "title": name,
                       "lastModified": "2024-06-06 10:00:00", "created": "2024-06-06 10:00:00"})
            }
        })
        .collect();
    http::json(
        200,
        &json!({"success": true, "results": hits.len(), "total": total,
                "more": offset + hits.len() < total, "offset": offset, "hits": hits}),
    )
}

fn like(actual: &str, pattern: &str) -> bool {
    let parts: Vec<&str> = pattern.split('%').collect();
    if parts.len() == 1 {
        return actual == pattern;
    }
    let mut rest = actual;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(part) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(pos) => rest = &rest[pos + part.len()..],
                None => return false,
            }
        }
    }
    true
}

/// A date as `.ks.json` writes it: `Tue Jun 04 10:01:02 UTC 2019`.
pub(crate) fn java_date(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map(|d| d.format("%a %b %d %H:%M:%S UTC %Y").to_string())
        .unwrap_or_default()
}

/// `GET <U>.ks.json`.
pub fn keystore_json(w: &World, user_id: &str) -> Response {
    if let Some(ks) = w.replay.as_ref().and_then(|r| r.keystores.get(user_id)) {
        return http::json(200, ks);
    }
    let Some(store) = w.keystores.get(user_id) else {
        return http::json(200, &json!({"exists": false}));
    };
    let aliases: Vec<Json> = store
        .entries
        .iter()
        .map(|(alias, e)| {
            let chain: Vec<Json> = e
                .chain
                .iter()
                .filter_map(|der| x509::parse(der).ok())
                .map(|c| {
                    // serialNumber may exceed 64 bits; write it as a JSON number all the same.
                    let serial: Json = serde_json::from_str(&c.serial).unwrap_or(json!(c.serial));
                    json!({"subject": c.subject, "issuer": c.issuer,
                           "notBefore": java_date(c.not_before), "notAfter": java_date(c.not_after),
                           "serialNumber": serial})
                })
                .collect();
            json!({"alias": alias, "entryType": "privateKey", "algorithm": "RSA", "format": "PKCS#8", "chain": chain})
        })
        .collect();
    http::json(200, &json!({ "aliases": aliases }))
}

/// `POST <U>.ks.html`: createStore, add key + chain, removeAlias.
pub fn keystore_post(w: &mut World, req: &Request, user_id: &str, user_path: &str) -> Response {
    let target = format!("{user_path}.ks.html");
    let fail = |status: u16, class: &str, msg: &str| {
        PostResult::failed(status, &target, class, msg).render(req)
    };
    if req.params.get(":operation").as_deref() == Some("createStore") {
        let pw = req.params.get("newPassword").unwrap_or_default();
        if pw.is_empty() || Some(&pw) != req.params.get("rePassword").as_ref() {
            return fail(
                400,
                "com.adobe.granite.keystore.KeyStoreException",
                "newPassword and rePassword must be given and equal",
            );
        }
        if w.keystores.contains_key(user_id) {
            return fail(
                409,
                "com.adobe.granite.keystore.KeyStoreException",
                &format!("The key store of {user_id} already exists"),
            );
        }
        w.keystores.insert(
            user_id.to_string(),
            Keystore {
                password: pw,
                entries: Default::default(),
            },
        );
        w.bump();
        let mut r = PostResult::ok(&target);
        r.title = Some(format!("Key store created for {user_id}"));
        return r.render(req);
    }
    if let Some(alias) = req.params.get("removeAlias") {
        let Some(store) = w.keystores.get_mut(user_id) else {
            return fail(
                500,
                "com.adobe.granite.keystore.KeyStoreNotInitialisedException",
                &format!("Uninitialised key store for user {user_id}"),
            );
        };
        store.entries.shift_remove(&alias);
        w.bump();
        let mut r = PostResult::ok(&target);
        r.title = Some(format!("Alias {alias} removed"));
        return r.render(req);
    }
    if req.params.has("pk") || req.params.has("cert-chain") {
        let Some(alias) = req.params.get("alias").filter(|a| !a.trim().is_empty()) else {
            return fail(
                400,
                "com.adobe.granite.keystore.KeyStoreException",
                "alias is required",
            );
        };
        if !w.keystores.contains_key(user_id) {
            return fail(
                500,
                "com.adobe.granite.keystore.KeyStoreNotInitialisedException",
                &format!("Uninitialised key store for user {user_id}"),
            );
        }
        let pk = req
            .params
            .bytes("pk")
            .map(|b| b.to_vec())
            .unwrap_or_default();
        let chain_raw = req
            .params
            .bytes("cert-chain")
            .map(|b| b.to_vec())
            .unwrap_or_default();
        let Ok(pub_of_key) = x509::key_public(&pk) else {
            return fail(
                400,
                "java.security.spec.InvalidKeySpecException",
                "pk is not a PKCS#8 DER RSA private key",
            );
        };
        let chain = match x509::chain_der(&chain_raw) {
            Ok(c) => c,
            Err(e) => {
                return fail(400, "java.security.cert.CertificateException", &e);
            }
        };
        let Some(Ok(leaf)) = chain.first().map(|d| x509::parse(d)) else {
            return fail(
                400,
                "java.security.cert.CertificateException",
                "cert-chain holds no readable X.509 certificate",
            );
        };
        if leaf.public_key != pub_of_key {
            return fail(
                400,
                "java.security.KeyStoreException",
                "The certificate chain does not match the private key",
            );
        }
        let pk_der = x509::key_der(&pk).unwrap_or(pk);
        if let Some(store) = w.keystores.get_mut(user_id) {
            store
                .entries
                .insert(alias.clone(), KeyEntry { pk_der, chain });
        }
        w.bump();
        let mut r = PostResult::ok(&target);
        r.title = Some(format!("Private key added with alias {alias}"));
        return r.render(req);
    }
    fail(
        400,
        "com.adobe.granite.keystore.KeyStoreException",
        "Nothing to do: use :operation=createStore, alias+pk+cert-chain, or removeAlias",
    )
}

/// A short HTML view of a user's keystore (`GET <U>.ks.html`).
pub fn keystore_html(w: &World, user_id: &str) -> Response {
    let body = match w.keystores.get(user_id) {
        None => "<p>No key store</p>".to_string(),
        Some(s) => s
            .entries
            .keys()
            .map(|a| format!("<li class=\"alias\">{}</li>", escape(a)))
            .collect(),
    };
    http::html(
        200,
        format!(
            "<html><body><h1>Key store of {}</h1><ul>{body}</ul></body></html>",
            escape(user_id)
        ),
    )
}

/// `GET <U>/keystore/store.p12`: the user's key store as PKCS#12, protected by its password.
pub fn keystore_p12(w: &World, user_id: &str) -> Response {
    let Some(store) = w.keystores.get(user_id) else {
        return http::error_page(404, &format!("{user_id} has no key store"));
    };
    let mut ks = p12_keystore::KeyStore::new();
    for (alias, e) in &store.entries {
        let Ok(key) = p12_keystore::PrivateKey::from_der(&e.pk_der) else {
            continue;
        };
        let certs: Vec<_> = e
            .chain
            .iter()
            .filter_map(|d| p12_keystore::Certificate::from_der(d).ok())
            .collect();
        let id: Vec<u8> = Sha256::digest(alias.as_bytes()).to_vec();
        ks.add_entry(
            alias,
            p12_keystore::KeyStoreEntry::PrivateKeyChain(p12_keystore::PrivateKeyChain::new(
                id, key, certs,
            )),
        );
    }
    match ks.writer(&store.password).write() {
        Ok(bytes) => http::bytes(200, "application/octet-stream", bytes),
        Err(e) => http::error_page(500, &format!("cannot write the key store: {e}")),
    }
}
