//! The emulated Adobe Developer Console (`/sandbox/console/*`): projects with the AEM Brand
//! Portal API, their Service Account (JWT) and OAuth Server-to-Server credentials, certificates
//! bound to a credential, and the Legacy OAuth Gateway apps of old setups. What it registers is
//! what the emulated IMS (`ims`) accepts.

use super::http::{self, Request, Response};
use super::ims::BP_OAUTH_SCOPES;
use super::state::{BP_METASCOPE, BoundCertificate, IMS_HOST, ImsClient, World, now_ms, upper_hex};
use super::x509;
use serde::Serialize;
use serde_json::{Value as Json, json};

/// What the emulated Developer Console shows for a new project.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsoleProject {
    pub project: String,
    pub org_id: String,
    pub technical_account_id: String,
    pub api_key: String,
    pub client_secret: String,
    pub certificate_fingerprint: String,
    pub jwt_payload: Json,
    pub oauth: ConsoleOAuth,
    pub ims_host: String,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsoleOAuth {
    pub client_id: String,
    pub client_secret: String,
    pub scopes: String,
}

fn bind(der: &[u8]) -> Result<BoundCertificate, String> {
    let info = x509::parse(der)?;
    if info.not_after * 1000 < now_ms() {
        return Err("the certificate has expired; upload a current one".into());
    }
    Ok(BoundCertificate {
        der: der.to_vec(),
        fingerprint: info.sha1,
        public_key_pkcs1: info.public_key,
        not_after: info.not_after,
    })
}

/// Creates a project with the AEM Brand Portal API and an OAuth Server-to-Server credential
/// only (no certificate, no JWT). `apiKey`/`clientSecret` are that credential's.
pub fn create_oauth_project(w: &mut World, name: &str) -> ConsoleProject {
    let tech = format!("{}@techacct.adobe.com", upper_hex(&mut w.rng, 24));
    let client = ImsClient {
        client_id: w.hex(32),
        client_secret: format!("p8e-{}", w.hex(32)),
        org_id: w.ims.org_id.clone(),
        technical_account_id: tech,
        project: name.to_string(),
        jwt: false,
        oauth: true,
        legacy: false,
        metascopes: vec![],
        scopes: BP_OAUTH_SCOPES.iter().map(|s| s.to_string()).collect(),
        certificates: vec![],
    };
    let project = ConsoleProject {
        project: name.to_string(),
        org_id: client.org_id.clone(),
        technical_account_id: client.technical_account_id.clone(),
        api_key: client.client_id.clone(),
        client_secret: client.client_secret.clone(),
        certificate_fingerprint: String::new(),
        jwt_payload: Json::Null,
        oauth: ConsoleOAuth {
            client_id: client.client_id.clone(),
            client_secret: client.client_secret.clone(),
            scopes: client.scopes.join(","),
        },
        ims_host: IMS_HOST.into(),
    };
    w.ims.clients.insert(client.client_id.clone(), client);
    project
}

/// Creates a project with the AEM Brand Portal API: a Service Account (JWT) credential bound
/// to the certificate, and an OAuth Server-to-Server credential.
pub fn create_project(w: &mut World, cert: &[u8], name: &str) -> Result<ConsoleProject, String> {
    let der = x509::cert_der(cert)?;
    let bound = bind(&der)?;
    let tech = format!("{}@techacct.adobe.com", upper_hex(&mut w.rng, 24));
    let jwt_client = ImsClient {
        client_id: w.hex(32),
        client_secret: format!("p8e-{}", w.hex(32)),
        org_id: w.ims.org_id.clone(),
        technical_account_id: tech.clone(),
        project: name.to_string(),
        jwt: true,
        oauth: false,
        legacy: false,
        metascopes: vec![BP_METASCOPE.to_string()],
        scopes: vec![],
        certificates: vec![bound.clone()],
    };
    let oauth_client = ImsClient {
        client_id: w.hex(32),
        client_secret: format!("p8e-{}", w.hex(32)),
        jwt: false,
        oauth: true,
        metascopes: vec![],
        scopes: BP_OAUTH_SCOPES.iter().map(|s| s.to_string()).collect(),
        certificates: vec![],
        ..jwt_client.clone()
    };
    let exp = now_ms() / 1000 + 86_400;
    let payload = json!({
        "exp": exp,
        "iss": jwt_client.org_id,
        "sub": tech,
        format!("{IMS_HOST}/s/{BP_METASCOPE}"): true,
        "aud": format!("{IMS_HOST}/c/{}", jwt_client.client_id),
    });
    let project = ConsoleProject {
        project: name.to_string(),
        org_id: jwt_client.org_id.clone(),
        technical_account_id: jwt_client.technical_account_id.clone(),
        api_key: jwt_client.client_id.clone(),
        client_secret: jwt_client.client_secret.clone(),
        certificate_fingerprint: bound.fingerprint,
        jwt_payload: payload,
        oauth: ConsoleOAuth {
            client_id: oauth_client.client_id.clone(),
            client_secret: oauth_client.client_secret.clone(),
            scopes: oauth_client.scopes.join(","),
        },
        ims_host: IMS_HOST.into(),
    };
    w.ims
        .clients
        .insert(jwt_client.client_id.clone(), jwt_client);
    w.ims
        .clients
        .insert(oauth_client.client_id.clone(), oauth_client);
    Ok(project)
}

fn certificate_param(req: &Request) -> Option<Vec<u8>> {
    req.params
        .bytes("certificate")
        .or_else(|| req.params.bytes("file"))
        .map(|b| b.to_vec())
        .or_else(|| (!req.body.is_empty() && req.params.0.is_empty()).then(|| req.body.to_vec()))
}

/// Routes `/sandbox/console/*` (sandbox only: the Adobe Developer Console steps).
pub fn console(w: &mut World, req: &Request) -> Response {
    let rest = req
        .path
        .trim_start_matches("/sandbox/console")
        .trim_matches('/');
    let segs: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    let bad = |m: &str| http::json(400, &json!({"error": m}));
    match (req.method.as_str(), segs.as_slice()) {
        ("GET", ["projects"]) => {
            let list: Vec<Json> = w
                .ims
                .clients
                .values()
                .filter(|c| c.jwt || c.oauth)
                .map(|c| {
                    json!({
                        "project": c.project,
                        "clientId": c.client_id,
                        "credential": match (c.jwt, c.oauth) {
                            (true, true) => "oauth-server-to-server (converted from JWT)",
                            (true, false) => "jwt",
                            _ => "oauth-server-to-server",
                        },
                        "scopes": c.oauth.then(|| c.scopes.join(",")),
                        "technicalAccountId": c.technical_account_id,
                        "certificates": c.certificates.iter().map(|b| json!({"fingerprint": b.fingerprint, "notAfter": b.not_after})).collect::<Vec<_>>(),
                    })
                })
                .collect();
            http::json(200, &json!({"orgId": w.ims.org_id, "projects": list}))
        }
        ("POST", ["projects"]) => {
            let name = req
                .params
                .get("name")
                .unwrap_or_else(|| "AEM Brand Portal".into());
            // Without a certificate: the 2026 way, an OAuth Server-to-Server credential only.
            let Some(cert) = certificate_param(req) else {
                let p = create_oauth_project(w, &name);
                return http::json(201, &serde_json::to_value(p).unwrap_or_default());
            };
            match create_project(w, &cert, &name) {
                Ok(p) => http::json(201, &serde_json::to_value(p).unwrap_or_default()),
                Err(e) => bad(&e),
            }
        }
        ("POST", ["projects", id, "certificates"]) => {
            let Some(cert) = certificate_param(req) else {
                return bad("upload the public certificate as the `certificate` field");
            };
            let bound = match x509::cert_der(&cert).and_then(|d| bind(&d)) {
                Ok(b) => b,
                Err(e) => return bad(&e),
            };
            let Some(client) = w.ims.clients.get_mut(*id).filter(|c| c.jwt) else {
                return http::json(
                    404,
                    &json!({"error": "no JWT credential with that client id"}),
                );
            };
            let fp = bound.fingerprint.clone();
            if !client.certificates.iter().any(|c| c.fingerprint == fp) {
                client.certificates.push(bound);
            }
            w.bump();
            http::json(201, &json!({"clientId": id, "fingerprint": fp}))
        }
        // "Retrieve client secret" and the OAuth Server-to-Server values of one credential.
        ("GET", ["projects", id]) => {
            let Some(c) = w.ims.clients.get(*id).filter(|c| c.jwt || c.oauth) else {
                return http::json(404, &json!({"error": "no credential with that client id"}));
            };
            http::json(
                200,
                &json!({
                    "project": c.project,
                    "clientId": c.client_id,
                    "clientSecret": c.client_secret,
                    "orgId": c.org_id,
                    "technicalAccountId": c.technical_account_id,
                    "jwt": c.jwt,
                    "oauth": c.oauth,
                    "scopes": c.oauth.then(|| c.scopes.join(",")),
                }),
            )
        }
        ("DELETE", ["projects", id, "certificates", fp]) => {
            let Some(client) = w.ims.clients.get_mut(*id) else {
                return http::json(404, &json!({"error": "no credential with that client id"}));
            };
            let before = client.certificates.len();
            client.certificates.retain(|c| c.fingerprint != *fp);
            if client.certificates.len() == before {
                return http::json(
                    404,
                    &json!({"error": "no certificate with that fingerprint"}),
                );
            }
            w.bump();
            http::empty(204)
        }
        _ => http::json(404, &json!({"error": "unknown console endpoint"})),
    }
}

/// Registers a Legacy OAuth Gateway app for the `legacy` scenario.
pub fn register_legacy_client(w: &mut World) -> ImsClient {
    let client = ImsClient {
        client_id: w.hex(32),
        client_secret: w.hex(32),
        org_id: w.ims.org_id.clone(),
        technical_account_id: format!("{}@techacct.adobe.com", upper_hex(&mut w.rng, 24)),
        project: "Legacy OAuth Gateway app".into(),
        jwt: false,
        oauth: false,
        legacy: true,
        metascopes: vec![],
        scopes: vec![
            "dam-read".into(),
            "dam-write".into(),
            "dam-sync".into(),
            "cc-share".into(),
        ],
        certificates: vec![],
    };
    w.ims
        .clients
        .insert(client.client_id.clone(), client.clone());
    client
}
