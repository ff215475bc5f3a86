//! The emulated Adobe IMS and Developer Console over real HTTP: the JWT exchange with real
//! RS256 signatures, OAuth Server-to-Server, and IMS's error table.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test may stop at what it did not expect

mod common;

use brandlink::ims::certificate::{self, GeneratedCertificate};
use brandlink::sandbox::Scenario;
use brandlink::sandbox::ims::sign_rs256;
use common::*;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

const IMS: &str = "https://ims-na1.adobelogin.com";

struct Project {
    cert: GeneratedCertificate,
    creds: Value,
}

async fn project(e: &Env) -> Project {
    let cert = certificate::generate("AEM Brand Portal IMS", 365).unwrap();
    let form = Form::new().part(
        "certificate",
        Part::bytes(cert.cert_pem.clone().into_bytes()).file_name("AEM-Adobe-IMS.crt"),
    );
    let r = e
        .http
        .post(e.url("/sandbox/console/projects"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let creds: Value = r.json().await.unwrap();
    Project { cert, creds }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The Console payload with a fresh exp, as AEM signs it.
fn claims(p: &Project) -> Value {
    let mut c = p.creds["jwtPayload"].clone();
    c["exp"] = json!(now() + 300);
    c
}

async fn exchange(
    e: &Env,
    path: &str,
    p: &Project,
    jwt: &str,
    secret: Option<&str>,
) -> reqwest::Response {
    let api_key = p.creds["apiKey"].as_str().unwrap();
    let secret = secret.unwrap_or(p.creds["clientSecret"].as_str().unwrap());
    e.http
        .post(e.url(path))
        .header("Cache-Control", "no-cache")
        .form(&[
            ("client_id", api_key),
            ("client_secret", secret),
            ("jwt_token", jwt),
        ])
        .send()
        .await
        .unwrap()
}

async fn expect_error(r: reqwest::Response, status: u16, error: &str) -> String {
    assert_eq!(r.status(), status);
    assert!(r.headers().contains_key("x-debug-id"));
    let text = r.text().await.unwrap();
    assert!(
        text.starts_with("{\"error_description\":"),
        "error_description first: {text}"
    );
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["error"], error, "{text}");
    v["error_description"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn console_hands_out_what_the_operator_copies() {
    let e = start(Scenario::Fresh).await;
    let p = project(&e).await;
    let c = &p.creds;
    assert_eq!(c["apiKey"].as_str().unwrap().len(), 32);
    assert!(c["clientSecret"].as_str().unwrap().starts_with("p8e-"));
    assert_eq!(
        c["certificateFingerprint"],
        p.cert.info.sha1_fingerprint.as_str()
    );
    let payload = &c["jwtPayload"];
    assert!(payload["exp"].is_i64());
    assert!(payload["iss"].as_str().unwrap().ends_with("@AdobeOrg"));
    assert!(
        payload["sub"]
            .as_str()
            .unwrap()
            .ends_with("@techacct.adobe.com")
    );
    assert_eq!(payload[format!("{IMS}/s/ent_brand_portal_sdk")], true);
    assert_eq!(
        payload["aud"],
        format!("{IMS}/c/{}", c["apiKey"].as_str().unwrap())
    );
    assert!(c["oauth"]["scopes"].as_str().unwrap().contains(','));
    let list = e
        .http
        .get(e.url("/sandbox/console/projects"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !list.contains(c["clientSecret"].as_str().unwrap()),
        "the list shows no secrets"
    );
    // Not a certificate → 400.
    let r = e
        .http
        .post(e.url("/sandbox/console/projects"))
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn jwt_exchange_succeeds_on_every_documented_path() {
    let e = start(Scenario::Fresh).await;
    let p = project(&e).await;
    let jwt = sign_rs256(&claims(&p), p.cert.private_key_der()).unwrap();
    for path in [
        "/ims/exchange/jwt",
        "/ims/exchange/jwt/",
        "/ims/exchange/v1/jwt",
    ] {
        let r = exchange(&e, path, &p, &jwt, None).await;
        assert_eq!(r.status(), 200, "{path}");
        assert!(r.headers().contains_key("x-debug-id"));
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["token_type"], "bearer");
        let ms = v["expires_in"].as_i64().unwrap();
        assert!(
            (86_399_000..=86_400_000).contains(&ms),
            "milliseconds: {ms}"
        );
        let token = v["access_token"].as_str().unwrap();
        assert_eq!(token.split('.').count(), 3, "the access token is a JWT");
        // The tenant accepts it.
        let r = e
            .http
            .post(e.url("/sandbox/tenant/receive"))
            .bearer_auth(token)
            .header("Action", "Test")
            .header("Path", "/content/dam")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.text().await.unwrap(), "ReplicationAction TEST ok.");
    }
    // Multipart, as Adobe's Node libraries send it.
    let form = Form::new()
        .text("client_id", p.creds["apiKey"].as_str().unwrap().to_string())
        .text(
            "client_secret",
            p.creds["clientSecret"].as_str().unwrap().to_string(),
        )
        .text("jwt_token", jwt.clone());
    let r = e
        .http
        .post(e.url("/ims/exchange/jwt"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // A bad bearer token at the tenant.
    let r = e
        .http
        .post(e.url("/sandbox/tenant/receive"))
        .bearer_auth("nope")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn jwt_exchange_error_table() {
    let e = start(Scenario::Fresh).await;
    let p = project(&e).await;
    let key = p.cert.private_key_der().to_vec();
    let sign = |c: &Value| sign_rs256(c, &key).unwrap();

    // Signature by a key whose certificate is not bound.
    let stranger = certificate::generate("stranger", 30).unwrap();
    let jwt = sign_rs256(&claims(&p), stranger.private_key_der()).unwrap();
    let d = expect_error(
        exchange(&e, "/ims/exchange/jwt", &p, &jwt, None).await,
        400,
        "invalid_token",
    )
    .await;
    assert_eq!(d, "Could not match JWT signature to any of the bindings");
    // Tampered payload (signature no longer fits).
    let good = sign(&claims(&p));
    let mut parts: Vec<String> = good.split('.').map(str::to_string).collect();
    let mut c = claims(&p);
    c["exp"] = json!(now() + 9999);
    parts[1] = base64_url(&c);
    let d = expect_error(
        exchange(&e, "/ims/exchange/jwt", &p, &parts.join("."), None).await,
        400,
        "invalid_token",
    )
    .await;
    assert!(d.contains("signature"));
    // Wrong aud: another client, another environment.
    let mut c = claims(&p);
    c["aud"] = json!(format!("{IMS}/c/0123456789abcdef0123456789abcdef"));
    expect_error(
        exchange(&e, "/ims/exchange/jwt", &p, &sign(&c), None).await,
        400,
        "invalid_client",
    )
    .await;
    let mut c = claims(&p);
    c["aud"] = json!(format!(
        "https://ims-na1-stg1.adobelogin.com/c/{}",
        p.creds["apiKey"].as_str().unwrap()
    ));
    let d = expect_error(
        exchange(&e, "/ims/exchange/jwt", &p, &sign(&c), None).await,
        400,
        "invalid_client",
    )
    .await;
    assert!(d.contains("another IMS environment"));
    // Expired, string and missing exp; non-integer jti.
    let mut c = claims(&p);
    c["exp"] = json!(now() - 10);
    let d = expect_error(
        exchange(&e, "/ims/exchange/jwt", &p, &sign(&c), None).await,
        400,
        "invalid_token",
    )
    .await;
    assert!(d.contains("expired"));
    let mut c = claims(&p);
    c["exp"] = json!((now() + 300).to_string());
    let d = expect_error(
        exchange(&e, "/ims/exchange/jwt", &p, &sign(&c), None).await,
        400,
        "invalid_token",
    )
    .await;
    assert!(d.contains("integer"));
    let mut c = claims(&p);
    c.as_object_mut().unwrap().remove("exp");
    expect_error(
        exchange(&e, "/ims/exchange/jwt", &p, &sign(&c), None).await,
        400,
        "invalid_token",
    )
    .await;
    let mut c = claims(&p);
    c["jti"] = json!("abc");
    expect_error(
        exchange(&e, "/ims/exchange/jwt", &p, &sign(&c), None).await,
        400,
        "invalid_token",
    )
    .await;
    // Metascopes: none, unknown, stage host, not in the binding.
    let ms = format!("{IMS}/s/ent_brand_portal_sdk");
    let mut c = claims(&p);
    c.as_object_mut().unwrap().remove(&ms);
    expect_error(
        exchange(&e, "/ims/exchange/jwt", &p, &sign(&c), None).await,
        400,
        "invalid_scope",
    )
    .await;
    let mut c = claims(&p);
    c[format!("{IMS}/s/ent_bogus_sdk")] = json!(true);
    expect_error(
        exchange(&e, "/ims/exchange/jwt", &p, &sign(&c), None).await,
        400,
        "invalid_scope",
    )
    .await;
    let mut c = claims(&p);
    c.as_object_mut().unwrap().remove(&ms);
    c["https://ims-na1-stg1.adobelogin.com/s/ent_brand_portal_sdk"] = json!(true);
    expect_error(
        exchange(&e, "/ims/exchange/jwt", &p, &sign(&c), None).await,
        400,
        "invalid_scope",
    )
    .await;
    let mut c = claims(&p);
    c[format!("{IMS}/s/ent_user_sdk")] = json!(true);
    let d = expect_error(
        exchange(&e, "/ims/exchange/jwt", &p, &sign(&c), None).await,
        400,
        "invalid_scope",
    )
    .await;
    assert!(d.contains("not a subset"));
    // Badly formed iss / sub.
    let mut c = claims(&p);
    c["iss"] = json!("my org");
    expect_error(
        exchange(&e, "/ims/exchange/jwt", &p, &sign(&c), None).await,
        400,
        "bad_request",
    )
    .await;
    // Not a JWT at all; wrong algorithm.
    let d = expect_error(
        exchange(&e, "/ims/exchange/jwt", &p, "garbage", None).await,
        400,
        "invalid_token",
    )
    .await;
    assert_eq!(
        d,
        "JWT token is incorrectly formatted, and can not be decoded."
    );
    let hs = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims(&p),
        &jsonwebtoken::EncodingKey::from_secret(b"k"),
    )
    .unwrap();
    expect_error(
        exchange(&e, "/ims/exchange/jwt", &p, &hs, None).await,
        400,
        "invalid_signature",
    )
    .await;
    // Client credentials.
    let jwt = sign(&claims(&p));
    expect_error(
        exchange(&e, "/ims/exchange/jwt", &p, &jwt, Some("wrong")).await,
        401,
        "invalid_client",
    )
    .await;
    let r = e
        .http
        .post(e.url("/ims/exchange/jwt"))
        .form(&[
            ("client_id", "unknown"),
            ("client_secret", "x"),
            ("jwt_token", jwt.as_str()),
        ])
        .send()
        .await
        .unwrap();
    expect_error(r, 400, "invalid_client").await;
    // Since 2026 JWT credentials are retired: the sandbox can say so.
    e.set_faults(json!({"jwt_end_of_life": true})).await;
    let d = expect_error(
        exchange(&e, "/ims/exchange/jwt", &p, &jwt, None).await,
        400,
        "invalid_client",
    )
    .await;
    assert!(d.contains("OAuth Server-to-Server"));
    e.set_faults(json!({"jwt_end_of_life": false, "ims_rate_limit": true}))
        .await;
    let r = exchange(&e, "/ims/exchange/jwt", &p, &jwt, None).await;
    assert_eq!(r.headers()["retry-after"], "10");
    expect_error(r, 429, "too_many_requests").await;
    e.reset_faults();
    assert_eq!(
        exchange(&e, "/ims/exchange/jwt", &p, &jwt, None)
            .await
            .status(),
        200
    );
}

fn base64_url(v: &Value) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
}

#[tokio::test]
async fn oauth_server_to_server() {
    let e = start(Scenario::Fresh).await;
    let p = project(&e).await;
    let id = p.creds["oauth"]["clientId"].as_str().unwrap();
    let secret = p.creds["oauth"]["clientSecret"].as_str().unwrap();
    let scopes = p.creds["oauth"]["scopes"].as_str().unwrap();
    let form = [
        ("client_id", id),
        ("client_secret", secret),
        ("grant_type", "client_credentials"),
        ("scope", scopes),
    ];
    let r = e
        .http
        .post(e.url("/ims/token/v3"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["expires_in"], 86_399, "seconds on v3");
    assert_eq!(v["token_type"], "bearer");
    // Query string works too.
    let r = e
        .http
        .post(e.url("/ims/token/v3"))
        .query(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // Errors.
    let bad = |grant: &'static str, sc: &'static str, sec: &'static str| {
        let mut f = vec![
            ("client_id", id.to_string()),
            ("grant_type", grant.to_string()),
            ("scope", sc.to_string()),
        ];
        f.push((
            "client_secret",
            if sec.is_empty() {
                secret.to_string()
            } else {
                sec.to_string()
            },
        ));
        e.http.post(e.url("/ims/token/v3")).form(&f).send()
    };
    expect_error(
        bad("password", "openid", "").await.unwrap(),
        400,
        "unsupported_grant_type",
    )
    .await;
    expect_error(
        bad("client_credentials", "openid AdobeID", "")
            .await
            .unwrap(),
        400,
        "invalid_scope",
    )
    .await;
    expect_error(
        bad("client_credentials", "openid,ent_user_sdk", "")
            .await
            .unwrap(),
        400,
        "invalid_scope",
    )
    .await;
    expect_error(
        bad("client_credentials", "openid", "nope").await.unwrap(),
        401,
        "invalid_client",
    )
    .await;
    // The JWT credential is not an OAuth credential.
    let r = e
        .http
        .post(e.url("/ims/token/v3"))
        .form(&[
            ("client_id", p.creds["apiKey"].as_str().unwrap()),
            ("client_secret", p.creds["clientSecret"].as_str().unwrap()),
            ("grant_type", "client_credentials"),
        ])
        .send()
        .await
        .unwrap();
    expect_error(r, 400, "invalid_client").await;
}
