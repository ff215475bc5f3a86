//! No parser of outside data panics, whatever it is given: arbitrary text, arbitrary JSON
//! shaped like what AEM and IMS send, and damaged certificates: AEM's pages and JSON
//! (queues, keystores, OSGi, bundles, product info, QueryBuilder hits, logs), IMS token
//! answers, X.509 certificates and keys, brandlink's own backup manifests and journals.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test may stop at what it did not expect

use brandlink::aem::agents::{AgentInfo, parse_log, parse_test_output};
use brandlink::aem::keystore::{parse_java_date, parse_keystore_json};
use brandlink::aem::osgi::{parse_config_data, parse_configs};
use brandlink::aem::queue::{parse_jmx, parse_pending_from_page, parse_queue_json};
use brandlink::ims::payload::{payload_from_claim_lines, validate_auth_server, validate_payload};
use proptest::prelude::*;
use serde_json::Value;

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "[a-zA-Z0-9 :/._@-]{0,20}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop_oneof![
                        Just("metaData".to_string()),
                        Just("queueStatus".to_string()),
                        Just("queue".to_string()),
                        Just("isBlocked".to_string()),
                        Just("time".to_string()),
                        Just("nextRetryPeriod".to_string()),
                        Just("numProcessed".to_string()),
                        Just("aliases".to_string()),
                        Just("chain".to_string()),
                        Just("exists".to_string()),
                        Just("pid".to_string()),
                        Just("properties".to_string()),
                        Just("value".to_string()),
                        Just("values".to_string()),
                        Just("exp".to_string()),
                        Just("aud".to_string()),
                        "[a-z:]{1,12}",
                    ],
                    inner
                ),
                0..8
            )
            .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn text_parsers_never_panic(s in ".{0,400}") {
        let _ = parse_queue_json("a", &s);
        let _ = parse_keystore_json(&s);
        let _ = parse_configs(&s);
        let _ = parse_config_data(&s);
        let _ = parse_jmx(&s);
        let _ = parse_pending_from_page(&s);
        let _ = parse_test_output("a", &s);
        let _ = parse_log(&s);
        let _ = parse_java_date(&s);
        let _ = validate_payload(&s, "key", "https://ims-na1.adobelogin.com");
        let _ = validate_auth_server(&s);
        let _ = payload_from_claim_lines(std::slice::from_ref(&s));
        let _ = brandlink::config::parse(&s, "fuzz.toml");
        let _ = brandlink::aem::cloud::validate_tenant_url(&s);
        let _ = brandlink::aem::error::html_summary(&s);
        let _ = brandlink::aem::readiness::parse_bundles(&s);
        let _ = brandlink::aem::readiness::product_from(&s);
        let _ = brandlink::aem::users::parse_hits(&s);
        let _ = serde_json::from_str::<brandlink::setup::upgrade::Manifest>(&s);
        let _ = serde_json::from_str::<brandlink::setup::upgrade::Journal>(&s);
        let _ = brandlink::ims::certificate::certificate_der(s.as_bytes());
        let _ = brandlink::ims::certificate::certificate_chain_der(s.as_bytes());
        let _ = brandlink::ims::certificate::private_key_der(s.as_bytes());
        let _ = brandlink::ims::certificate::describe(s.as_bytes());
    }

    #[test]
    fn token_answers_never_panic(status in 100u16..600, v in json_value(), ms in any::<bool>()) {
        use brandlink::ims::token::parse_token_response;
        let url = "https://ims-na1.adobelogin.com/ims/token/v3";
        let _ = parse_token_response(url, status, v.to_string().as_bytes(), None, None, ms);
        let shaped = serde_json::json!({
            "access_token": v.clone(), "expires_in": v.clone(),
            "error": v.clone(), "error_description": v.clone(),
        });
        let _ = parse_token_response(url, status, shaped.to_string().as_bytes(), Some("id".into()), Some(5), ms);
    }

    #[test]
    fn aem_json_answers_never_panic(v in json_value()) {
        let bundles = serde_json::json!({"status": "Bundle information: 3 bundles", "data": [v.clone(), {"name": v.clone(), "state": v.clone(), "symbolicName": v.clone()}]});
        let _ = brandlink::aem::readiness::parse_bundles(&bundles.to_string());
        let _ = brandlink::aem::readiness::product_from(&serde_json::json!([v.clone()]).to_string());
        let hits = serde_json::json!({"hits": [v.clone(), {"jcr:path": v.clone(), "rep:authorizableId": v.clone()}]});
        let _ = brandlink::aem::users::parse_hits(&hits.to_string());
        let journal = serde_json::json!({"aemUrl": v.clone(), "tenantUrl": "t", "steps": [{"target": v.clone(), "state": v.clone()}], "complete": v.clone()});
        let _ = serde_json::from_str::<brandlink::setup::upgrade::Journal>(&journal.to_string());
        let manifest = serde_json::json!({"version": v.clone(), "createdAt": "x", "aemUrl": "a", "tenantUrl": "t", "nodes": [v.clone()], "users": [], "note": ""});
        let _ = serde_json::from_str::<brandlink::setup::upgrade::Manifest>(&manifest.to_string());
    }

    #[test]
    fn damaged_certificates_never_panic(at in 0usize..2000, byte in any::<u8>(), cut in 0usize..2000) {
        use brandlink::ims::certificate::{certificate_chain_der, certificate_der, describe, to_pem};
        let g = valid_certificate();
        let mut der = certificate_der(g.as_bytes()).unwrap();
        let i = at % der.len();
        der[i] = byte;
        let _ = describe(&der);
        der.truncate(cut % (der.len() + 1));
        let _ = describe(&der);
        let pem = to_pem("CERTIFICATE", &der);
        let _ = certificate_der(pem.as_bytes());
        let _ = certificate_chain_der(format!("{pem}{pem}").as_bytes());
    }

    #[test]
    fn json_parsers_never_panic(v in json_value()) {
        let text = v.to_string();
        let _ = parse_queue_json("a", &text);
        let wrapped = serde_json::json!({"metaData": {"queueStatus": v.clone()}, "queue": [v.clone()]}).to_string();
        let _ = parse_queue_json("a", &wrapped);
        let _ = parse_keystore_json(&text);
        let _ = parse_keystore_json(&serde_json::json!({"aliases": [v.clone()]}).to_string());
        let _ = parse_configs(&text);
        let _ = parse_configs(&serde_json::json!([{"pid": "x", "properties": {"p": v.clone()}}]).to_string());
        let _ = validate_payload(&text, "key", "https://ims-na1.adobelogin.com");
        let _ = AgentInfo::from_content("a", &v);
    }

    #[test]
    fn html_like_input_never_panics(parts in prop::collection::vec(prop_oneof![
        Just("<tr>".to_string()), Just("<td>".to_string()), Just("</td>".to_string()), Just("<br>".to_string()),
        Just("<pre>".to_string()), Just("</pre>".to_string()), Just("Replication test succeeded".to_string()),
        Just("Transfer failed".to_string()), Just(" pending".to_string()), Just("QueueNumEntries".to_string()),
        Just("01.02.2026 03:04:05 - ".to_string()), Just("é".to_string()), Just("&amp;".to_string()), "[0-9]{1,3}",
    ], 0..40)) {
        let s = parts.concat();
        let _ = parse_jmx(&s);
        let _ = parse_pending_from_page(&s);
        let _ = parse_test_output("a", &s);
        let _ = parse_log(&s);
    }
}

/// One generated certificate (PEM), made once.
fn valid_certificate() -> &'static str {
    static PEM: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    PEM.get_or_init(|| {
        brandlink::ims::certificate::generate("fuzz", 1)
            .unwrap()
            .cert_pem
    })
}
