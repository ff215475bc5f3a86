//! The two dialects' wording of the same events.

use super::*;

#[test]
fn stamps_follow_the_zone() {
    // 2025-12-05 14:02:11.123 UTC
    let ms = 1_764_943_331_123;
    assert_eq!(LogDialect::Classic.stamp(ms), "05.12.2025 14:02:11");
    assert_eq!(LogDialect::Terse.stamp(ms), "05.12.2025 19:32:11");
    assert_eq!(
        LogDialect::Terse.stamp_millis(ms),
        "05.12.2025 19:32:11.123"
    );
}

#[test]
fn grep_is_a_substring_with_alternatives() {
    let l = "05.12.2025 19:32:11.123 *ERROR* [t] com.x.AccessTokenProvider status: 401";
    assert!(grep_matches("", l));
    assert!(grep_matches("AccessTokenProvider", l));
    assert!(!grep_matches("accesstokenprovider", l));
    assert!(grep_matches("LoginException|AccessTokenProvider", l));
    assert!(grep_matches("ERROR.*status: 401", l));
    assert!(!grep_matches("status: 401.*ERROR", l));
}

#[test]
fn terse_leaves_token_failures_to_error_log() {
    let f = AgentLine::TokenFailure {
        status: 400,
        body: "{}".into(),
    };
    assert!(f.render(LogDialect::Terse).is_none());
    assert!(f.render(LogDialect::Classic).is_some());
    for d in [LogDialect::Classic, LogDialect::Terse] {
        let (logger, message) = f.error_entry(d).expect("an error.log entry");
        assert!(logger.ends_with("AccessTokenProvider"));
        assert!(message.contains("status: 400") && message.ends_with("{}"));
    }
}
