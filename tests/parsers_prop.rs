//! No parser of outside data panics, whatever it is given: arbitrary text, and arbitrary JSON
//! shaped like what AEM and IMS send.

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
