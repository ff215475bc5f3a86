//! Every time in every JSON report is RFC 3339, whatever form the author wrote it in.

use super::common::{self, Cli};
use brandlink::sandbox::{LogDialect, Scenario};
use serde_json::Value;

/// Strings that are a time: `2026-12-05…` or the agent logs' `05.12.2026 …` (a log line
/// quoted whole, in a transcript, is text, not a time).
fn dated(v: &Value, at: &str, out: &mut Vec<(String, String)>) {
    match v {
        Value::String(s) => {
            let b = s.as_bytes();
            let iso = b.len() >= 10
                && b[4] == b'-'
                && b[7] == b'-'
                && b[..4].iter().all(u8::is_ascii_digit);
            let dotted = b.len() >= 10
                && b[2] == b'.'
                && b[5] == b'.'
                && b[..2].iter().all(u8::is_ascii_digit);
            if ((iso && b.len() > 10) || dotted) && b.len() <= 32 {
                out.push((at.to_string(), s.clone()));
            }
        }
        Value::Array(a) => a.iter().for_each(|x| dated(x, at, out)),
        Value::Object(o) => o
            .iter()
            .for_each(|(k, x)| dated(x, &format!("{at}.{k}"), out)),
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_time_in_every_report_is_rfc3339() {
    for dialect in [LogDialect::Classic, LogDialect::Terse] {
        let e = common::start_with(common::config_in(Scenario::Busy, dialect)).await;
        let cli = Cli::new(&e);
        let (code, tested) = cli.json(&["agents", "--test"], &[]).await;
        assert_eq!(code, 0);
        let mut found = Vec::new();
        dated(&tested, "agents --test", &mut found);
        for args in [
            vec!["status"],
            vec!["doctor"],
            vec!["queues"],
            vec!["history"],
        ] {
            let (_, v) = cli.json(&args, &[]).await;
            dated(&v, &args.join(" "), &mut found);
        }
        assert!(
            found.iter().any(|(at, _)| at.contains("lastOutcome")),
            "the agents' last Test Connection carries a time: {found:?}"
        );
        for (at, s) in &found {
            assert!(
                chrono::DateTime::parse_from_rfc3339(s).is_ok(),
                "{dialect:?} {at}: {s:?} is not RFC 3339"
            );
        }
    }
}
