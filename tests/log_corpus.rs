//! The one log interpreter against the corpus of AEM log lines (both sandbox dialects and the
//! lines the reference quotes): each line must read as the event the corpus names.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test may stop at what it did not expect

use brandlink::evidence::logs::{LogEvent, NetworkKind, interpret, split_time};
use serde::Deserialize;

#[derive(Deserialize)]
struct Corpus {
    line: Vec<Line>,
}

#[derive(Deserialize)]
struct Line {
    source: String,
    text: String,
    event: String,
    status: Option<u16>,
    code: Option<String>,
    network: Option<String>,
}

#[test]
fn every_corpus_line_reads_as_its_event() {
    let text = include_str!("fixtures/aem-log-lines.toml");
    let corpus: Corpus = toml::from_str(text).expect("the corpus parses");
    let mut wrong = Vec::new();
    for l in &corpus.line {
        let ev = interpret(split_time(&l.text).1);
        let mut ok = ev.name() == l.event;
        match &ev {
            LogEvent::TenantAnswer { status } => ok &= l.status.is_none_or(|s| s == *status),
            LogEvent::TokenFailure { status, code, .. } => {
                ok &= l.status.is_none() || *status == l.status;
                ok &= l.code.is_none() || *code == l.code;
            }
            LogEvent::NetworkError { network } => {
                let name = match network {
                    NetworkKind::UnknownHost => "unknown-host",
                    NetworkKind::Timeout => "timeout",
                    NetworkKind::Refused => "refused",
                    NetworkKind::Reset => "reset",
                    NetworkKind::Tls => "tls",
                };
                ok &= l.network.as_deref().is_none_or(|n| n == name);
            }
            _ => {}
        }
        if !ok {
            wrong.push(format!(
                "[{}] {} → {ev:?} (want {})",
                l.source, l.text, l.event
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} lines misread:\n{}",
        wrong.len(),
        corpus.line.len(),
        wrong.join("\n")
    );
}
