//! Adobe IMS (JWT exchange and OAuth Server-to-Server) and the emulated Developer Console.
//!
//! The emulator plays production `ims-na1`: JWT `aud` and metascope keys must name
//! `https://ims-na1.adobelogin.com` even though the requests reach the sandbox's own address.

use super::http::{self, Request, Response};
use super::state::{IMS_HOST, ImsClient, World, now_ms};
use super::x509;
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};

/// Metascopes IMS knows; anything else is `invalid_scope`.
const KNOWN_METASCOPES: &[&str] = &[
    "ent_brand_portal_sdk",
    "ent_user_sdk",
    "ent_adobeio_sdk",
    "ent_analytics_bulk_ingest_sdk",
    "ent_smartcontent_sdk",
    "ent_campaign_sdk",
    "ent_aem_cloud_api",
];
/// Scopes the emulated Console grants a Brand Portal OAuth Server-to-Server credential.
pub const BP_OAUTH_SCOPES: &[&str] = &[
    "openid",
    "AdobeID",
    "read_organizations",
    "additional_info.projectedProductContext",
    "ent_brand_portal_sdk",
];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImsError {
    pub status: u16,
    pub error: String,
    pub description: String,
    pub retry_after: Option<u64>,
}

impl ImsError {
    fn new(status: u16, error: &str, description: impl Into<String>) -> Self {
        ImsError {
            status,
            error: error.into(),
            description: description.into(),
            retry_after: None,
        }
    }
    /// The body as IMS writes it: `error_description` first.
    pub fn body(&self) -> String {
        json!({"error_description": self.description, "error": self.error}).to_string()
    }
}

#[derive(Clone, Debug)]
pub struct Issued {
    pub access_token: String,
    /// In the unit of the endpoint: milliseconds for the JWT exchange, seconds for v3.
    pub expires_in: i64,
}

/// Claims of the access tokens the emulator issues (an IMS access token is itself a JWT).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AccessClaims {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub client_id: String,
    pub user_id: String,
    #[serde(rename = "as")]
    pub auth_server: String,
    pub org: String,
    /// Epoch milliseconds, as a string.
    pub created_at: String,
    /// Milliseconds, as a string.
    pub expires_in: String,
    pub scope: String,
}

fn issue(w: &mut World, client: &ImsClient, scope: &str) -> (String, i64) {
    let created = now_ms();
    let lifetime_ms: i64 = 86_400_000;
    w.ims.tokens_issued += 1;
    let claims = AccessClaims {
        id: format!("{}_{}", created, w.hex(8)),
        kind: "access_token".into(),
        client_id: client.client_id.clone(),
        user_id: client.technical_account_id.clone(),
        auth_server: "ims-na1".into(),
        org: client.org_id.clone(),
        created_at: created.to_string(),
        expires_in: lifetime_ms.to_string(),
        scope: scope.into(),
    };
    let token = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(&w.ims.token_secret),
    )
    .unwrap_or_default();
    (token, lifetime_ms)
}

/// Checks an access token as the tenant does; returns its claims.
pub fn validate_access_token(w: &World, token: &str) -> Result<AccessClaims, String> {
    let mut v = Validation::new(Algorithm::HS256);
    v.validate_exp = false;
    v.validate_aud = false;
    v.required_spec_claims.clear();
    let data = jsonwebtoken::decode::<AccessClaims>(
        token,
        &DecodingKey::from_secret(&w.ims.token_secret),
        &v,
    )
    .map_err(|_| "invalid access token".to_string())?;
    let c = data.claims;
    let created: i64 = c.created_at.parse().map_err(|_| "invalid access token")?;
    let life: i64 = c.expires_in.parse().map_err(|_| "invalid access token")?;
    if created + life < now_ms() {
        return Err("access token expired".into());
    }
    match w.ims.clients.get(&c.client_id) {
        Some(cl) if cl.org_id == w.ims.org_id => Ok(c),
        _ => Err("client unknown to this organization".into()),
    }
}

fn check_client<'a>(
    w: &'a World,
    client_id: &str,
    client_secret: &str,
) -> Result<&'a ImsClient, ImsError> {
    let client = w
        .ims
        .clients
        .get(client_id)
        .ok_or_else(|| ImsError::new(400, "invalid_client", "invalid client_id parameter"))?;
    if client.client_secret != client_secret {
        return Err(ImsError::new(
            401,
            "invalid_client",
            "invalid client_secret parameter",
        ));
    }
    Ok(client)
}

fn rate_limited(w: &World) -> Result<(), ImsError> {
    if w.faults.ims_rate_limit {
        let mut e = ImsError::new(429, "too_many_requests", "Too many requests, retry later");
        e.retry_after = Some(10);
        return Err(e);
    }
    Ok(())
}

fn decode_part(part: &str) -> Option<Json> {
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .ok()?;
    serde_json::from_slice::<Json>(&raw)
        .ok()
        .filter(Json::is_object)
}

fn is_id(s: &str, suffix: &str) -> bool {
    s.strip_suffix(suffix).is_some_and(|id| {
        !id.is_empty()
            && id
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c.is_ascii_uppercase())
    })
}

/// `POST /ims/exchange/jwt`: client credentials plus a signed JWT → access token (ms).
pub fn exchange_jwt(
    w: &mut World,
    client_id: &str,
    client_secret: &str,
    jwt: &str,
) -> Result<Issued, ImsError> {
    rate_limited(w)?;
    let client = jwt_client(w, client_id, client_secret, jwt)?;
    let claims = decode_jwt(jwt)?;
    check_claims(&claims, client_id)?;
    check_signature(w, &client, jwt, &claims)?;
    let metascopes = metascopes_of(&claims, &client)?;
    let (token, _) = issue(w, &client, &metascopes.join(","));
    let expires_in = 86_400_000 - w.rng.random_range(0..100);
    Ok(Issued {
        access_token: token,
        expires_in,
    })
}

/// The client of a JWT exchange: every parameter given, the secret right, the JWT grant
/// allowed, and JWT credentials not yet at their end of life.
fn jwt_client(
    w: &World,
    client_id: &str,
    client_secret: &str,
    jwt: &str,
) -> Result<ImsClient, ImsError> {
    for (name, v) in [
        ("client_id", client_id),
        ("client_secret", client_secret),
        ("jwt_token", jwt),
    ] {
        if v.is_empty() {
            return Err(ImsError::new(
                400,
                "invalid_request",
                format!("missing {name} parameter"),
            ));
        }
    }
    let client = check_client(w, client_id, client_secret)?.clone();
    if !client.jwt {
        return Err(ImsError::new(
            401,
            "invalid_client",
            "Client is not authorized for the exchange_jwt grant",
        ));
    }
    if w.faults.jwt_end_of_life {
        return Err(ImsError::new(
            400,
            "invalid_client",
            "JWT credentials have reached end of life; migrate to OAuth Server-to-Server",
        ));
    }
    Ok(client)
}

/// The JWT's claims, once it has three parts, a JSON header and body, and the header says RS256.
fn decode_jwt(jwt: &str) -> Result<Json, ImsError> {
    let malformed = || {
        ImsError::new(
            400,
            "invalid_token",
            "JWT token is incorrectly formatted, and can not be decoded.",
        )
    };
    let parts: Vec<&str> = jwt.trim().split('.').collect();
    if parts.len() != 3 {
        return Err(malformed());
    }
    let header = decode_part(parts[0]).ok_or_else(malformed)?;
    let claims = decode_part(parts[1]).ok_or_else(malformed)?;
    if header.get("alg").and_then(Json::as_str) != Some("RS256") {
        return Err(ImsError::new(
            400,
            "invalid_signature",
            "Signature algorithm in the JWT header must be RS256",
        ));
    }
    Ok(claims)
}

/// The claims IMS checks before the signature: `aud`, `exp`, `jti`, and the forms of `iss`
/// and `sub`.
fn check_claims(claims: &Json, client_id: &str) -> Result<(), ImsError> {
    // aud: <ims host>/c/<client id>
    let aud = claims.get("aud").and_then(Json::as_str).unwrap_or("");
    match aud.split_once("/c/") {
        Some((host, id)) if host.trim_end_matches('/') == IMS_HOST && id == client_id => {}
        Some((host, _)) if host.trim_end_matches('/') != IMS_HOST => {
            return Err(ImsError::new(
                400,
                "invalid_client",
                format!("The aud claim names another IMS environment ({host})"),
            ));
        }
        _ => {
            return Err(ImsError::new(
                400,
                "invalid_client",
                "The aud claim does not match the client_id",
            ));
        }
    }
    match claims.get("exp") {
        Some(Json::Number(n)) if n.is_i64() || n.is_u64() => {
            let exp = n.as_i64().unwrap_or(i64::MAX);
            if exp * 1000 <= now_ms() {
                return Err(ImsError::new(400, "invalid_token", "JWT token expired"));
            }
        }
        Some(_) => {
            return Err(ImsError::new(
                400,
                "invalid_token",
                "exp claim must be an integer (seconds since epoch)",
            ));
        }
        None => {
            return Err(ImsError::new(400, "invalid_token", "exp claim is missing"));
        }
    }
    if let Some(jti) = claims.get("jti")
        && !(jti.is_i64() || jti.is_u64())
    {
        return Err(ImsError::new(
            400,
            "invalid_token",
            "jti claim must be an integer",
        ));
    }
    if !is_id(claim_str(claims, "iss"), "@AdobeOrg") {
        return Err(ImsError::new(
            400,
            "bad_request",
            "iss claim is not an IMS organization id",
        ));
    }
    if !is_id(claim_str(claims, "sub"), "@techacct.adobe.com") {
        return Err(ImsError::new(
            400,
            "bad_request",
            "sub claim is not a technical account id",
        ));
    }
    Ok(())
}

fn claim_str<'a>(claims: &'a Json, name: &str) -> &'a str {
    claims.get(name).and_then(Json::as_str).unwrap_or("")
}

/// The signature against every certificate bound to the client and not yet expired, and the
/// issuer and subject the client's.
fn check_signature(
    w: &World,
    client: &ImsClient,
    jwt: &str,
    claims: &Json,
) -> Result<(), ImsError> {
    let mut v = Validation::new(Algorithm::RS256);
    v.validate_exp = false;
    v.validate_aud = false;
    v.validate_nbf = false;
    v.required_spec_claims.clear();
    // An expired binding no longer counts.
    let now_secs = now_ms() / 1000;
    let signature_ok = !w.faults.stale_key
        && client
            .certificates
            .iter()
            .filter(|c| c.not_after > now_secs)
            .any(|c| {
                jsonwebtoken::decode::<Json>(
                    jwt.trim(),
                    &DecodingKey::from_rsa_der(&c.public_key_pkcs1),
                    &v,
                )
                .is_ok()
            });
    if !signature_ok
        || claim_str(claims, "iss") != client.org_id
        || claim_str(claims, "sub") != client.technical_account_id
    {
        return Err(ImsError::new(
            400,
            "invalid_token",
            "Could not match JWT signature to any of the bindings",
        ));
    }
    Ok(())
}

/// The metascopes the JWT asks for: each one IMS knows, on IMS's host, `true`, and all of
/// them bound to the client.
fn metascopes_of(claims: &Json, client: &ImsClient) -> Result<Vec<String>, ImsError> {
    let mut metascopes = Vec::new();
    if let Json::Object(map) = claims {
        for (k, val) in map {
            if let Some((host, name)) = k.split_once("/s/") {
                if host != IMS_HOST || !KNOWN_METASCOPES.contains(&name) || val != &Json::Bool(true)
                {
                    return Err(ImsError::new(
                        400,
                        "invalid_scope",
                        format!("Unknown metascope {k}"),
                    ));
                }
                metascopes.push(name.to_string());
            }
        }
    }
    if metascopes.is_empty() {
        return Err(ImsError::new(
            400,
            "invalid_scope",
            "The JWT has no metascope",
        ));
    }
    if !metascopes.iter().all(|m| client.metascopes.contains(m)) {
        return Err(ImsError::new(
            400,
            "invalid_scope",
            "The metascopes in the JWT are not a subset of the metascopes in the binding.",
        ));
    }
    Ok(metascopes)
}

/// `POST /ims/token/v3` with `grant_type=client_credentials` → access token (seconds).
pub fn client_credentials(
    w: &mut World,
    grant_type: &str,
    client_id: &str,
    client_secret: &str,
    scope: &str,
) -> Result<Issued, ImsError> {
    rate_limited(w)?;
    if grant_type != "client_credentials" {
        return Err(ImsError::new(
            400,
            "unsupported_grant_type",
            format!("grant_type '{grant_type}' is not supported; use client_credentials"),
        ));
    }
    if client_id.is_empty() {
        return Err(ImsError::new(
            400,
            "invalid_request",
            "missing client_id parameter",
        ));
    }
    let client = check_client(w, client_id, client_secret)?.clone();
    if !client.oauth {
        return Err(ImsError::new(
            400,
            "invalid_client",
            "Client is not an OAuth Server-to-Server credential",
        ));
    }
    let requested: Vec<&str> = scope
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    for s in &requested {
        if s.contains(' ') || !client.scopes.iter().any(|c| c == s) {
            return Err(ImsError::new(
                400,
                "invalid_scope",
                format!("invalid scope '{s}' (scopes are comma-separated)"),
            ));
        }
    }
    let granted = if requested.is_empty() {
        client.scopes.join(",")
    } else {
        requested.join(",")
    };
    let (token, _) = issue(w, &client, &granted);
    Ok(Issued {
        access_token: token,
        expires_in: 86_399,
    })
}

fn ims_response(result: Result<Issued, ImsError>, debug_id: &str) -> Response {
    let mut resp = match result {
        Ok(t) => http::json(
            200,
            &json!({"access_token": t.access_token, "token_type": "bearer", "expires_in": t.expires_in}),
        ),
        Err(e) => {
            let mut r = http::bytes(e.status, "application/json;charset=utf-8", e.body());
            if let Some(s) = e.retry_after
                && let Ok(v) = http::header::HeaderValue::from_str(&s.to_string())
            {
                r.headers_mut().insert(http::header::RETRY_AFTER, v);
            }
            r
        }
    };
    if let Ok(v) = http::header::HeaderValue::from_str(debug_id) {
        resp.headers_mut().insert("x-debug-id", v);
    }
    resp
}

/// Routes `/ims/*`.
pub fn handle(w: &mut World, req: &Request) -> Response {
    let debug_id = uuid::Uuid::new_v4().to_string();
    let p = |n: &str| req.params.get(n).unwrap_or_default();
    let result = match req.path.as_str() {
        "/ims/exchange/jwt" | "/ims/exchange/jwt/" | "/ims/exchange/v1/jwt" => {
            if req.method != http::Method::POST {
                Err(ImsError::new(405, "method_not_allowed", "use POST"))
            } else {
                exchange_jwt(w, &p("client_id"), &p("client_secret"), &p("jwt_token"))
            }
        }
        "/ims/token/v3" => {
            if req.method != http::Method::POST {
                Err(ImsError::new(405, "method_not_allowed", "use POST"))
            } else {
                client_credentials(
                    w,
                    &p("grant_type"),
                    &p("client_id"),
                    &p("client_secret"),
                    &p("scope"),
                )
            }
        }
        _ => Err(ImsError::new(404, "not_found", "no such IMS endpoint")),
    };
    ims_response(result, &debug_id)
}

/// The token a legacy configuration obtains from the Legacy OAuth Gateway.
pub fn legacy_token(w: &mut World, client_id: &str) -> Result<String, ImsError> {
    let client = w
        .ims
        .clients
        .get(client_id)
        .filter(|c| c.legacy)
        .cloned()
        .ok_or_else(|| ImsError::new(400, "invalid_client", "unknown legacy OAuth app"))?;
    Ok(issue(w, &client, &client.scopes.join(",")).0)
}

/// Signs a JWT with a PKCS#8 DER key, as AEM's access-token provider does.
pub fn sign_rs256(claims: &Json, pkcs8_der: &[u8]) -> Result<String, String> {
    let pem = x509::key_pem(pkcs8_der)?;
    let key = EncodingKey::from_rsa_pem(pem.as_bytes()).map_err(|e| e.to_string())?;
    jsonwebtoken::encode(&Header::new(Algorithm::RS256), claims, &key).map_err(|e| e.to_string())
}
