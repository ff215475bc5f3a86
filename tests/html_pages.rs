//! AEM's HTML pages as the public record shows them (JMX console rows whose writable attribute
//! holds its value in a form, entity-encoded log and Test Connection lines), parsed by the
//! client's readers.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test may stop at what it did not expect

use brandlink::aem::agents::{parse_log, parse_test_output};
use brandlink::aem::error::html_summary;
use brandlink::aem::queue::parse_jmx;

#[test]
fn jmx_console_with_a_writable_attribute() {
    let j = parse_jmx(include_str!("fixtures/aem/jmx-agent.html"));
    assert_eq!(j.enabled, Some(true));
    assert_eq!(j.valid, Some(true));
    assert_eq!(j.queue_blocked, Some(true));
    assert_eq!(j.queue_paused, Some(false), "read from the form's input");
    // A narrow no-break space as thousands separator is not a number: no guess.
    assert_eq!(j.queue_num_entries, None);
    let plain = include_str!("fixtures/aem/jmx-agent.html").replace("1&#8239;234", "1234");
    assert_eq!(parse_jmx(&plain).queue_num_entries, Some(1234));
}

#[test]
fn log_lines_are_decoded() {
    let lines = parse_log(include_str!("fixtures/aem/agent-log.html"));
    assert_eq!(lines.len(), 6);
    assert_eq!(lines[0].time.as_deref(), Some("30.11.2026 19:35:01"));
    assert!(
        lines[1].message.ends_with("/\"bali\".jpg"),
        "{:?}",
        lines[1]
    );
    assert!(lines[2].message.ends_with("/wknd/&import"));
    assert!(
        lines[4]
            .message
            .contains("path[0]='/content/dam/wknd/en/adventures/bali.jpg'")
    );
    assert!(lines[4].message.ends_with("<invalid_client>"));
    assert_eq!(lines[5].message, "<< ReplicationAction ACTIVATE failed.");
}

#[test]
fn test_connection_failure_is_explained() {
    let r = parse_test_output(
        "mp_replication_a1",
        include_str!("fixtures/aem/test-connection-failed.html"),
    );
    assert!(!r.success);
    assert!(
        r.summary.starts_with(
            "Transfer failed for ReplicationAction{type=TEST, path[0]='/content/dam'}"
        ),
        "{}",
        r.summary
    );
    assert_eq!(r.explanation.len(), 3, "{:?}", r.explanation);
    assert_eq!(
        r.transcript[0],
        "Replication test to https://wknd.brand-portal.adobe.com/content/dam/mac/wknd"
    );
}

#[test]
fn error_pages_are_summarised() {
    let sling = r#"<html><body><table><tr><td>Status</td><td><div id="Status">500</div></td></tr>
<tr><td>Message</td><td><div id="Message">javax.jcr.RepositoryException: &lt;boom&gt; &amp; more</div></td></tr></table></body></html>"#;
    assert_eq!(
        html_summary(sling),
        "javax.jcr.RepositoryException: <boom> & more"
    );
    let jetty = "<html><head><title>Error 404 Not Found</title></head><body><h2>HTTP ERROR 404</h2><p>Problem accessing /x. Reason:<pre>    Not Found</pre></p></body></html>";
    assert_eq!(
        html_summary(jetty),
        "Error 404 Not Found HTTP ERROR 404 Problem accessing /x. Reason: Not Found"
    );
}
