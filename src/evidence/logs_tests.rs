//! The log interpreter on AEM's documented lines and both sandbox dialects.

use super::*;

fn ev(line: &str) -> LogEvent {
    interpret(split_time(line).1)
}

#[test]
fn adobes_documented_lines() {
    assert_eq!(
        ev("06.07.2017 21:36:14 - Replication (TEST) of /content successful."),
        LogEvent::ReplicationOk { test: true }
    );
    assert_eq!(ev("Replication test succeeded"), LogEvent::TestSucceeded);
    assert_eq!(
        ev("06.07.2017 21:36:14 - sent. Response: 200 OK"),
        LogEvent::TenantAnswer { status: 200 }
    );
    assert_eq!(
        ev(
            "17.06.2016 18:54:43 - Transfer failed for ReplicationAction{type=TEST, path[0]='/content/dam'}. java.io.IOException: Failed to execute request '...': Server returned status code 401 with message: Authorization required."
        ),
        LogEvent::TenantAnswer { status: 401 }
    );
    assert_eq!(
        ev(
            "17.06.2016 18:54:43 - Error while replicating: com.day.cq.replication.ReplicationException: Transfer failed for ReplicationAction{type=TEST}"
        ),
        LogEvent::ReplicationFailed { test: Some(true) }
    );
    assert_eq!(
        ev(
            "com.adobe.granite.keystore.KeyStoreNotInitialisedException: Uninitialised key store for user x"
        ),
        LogEvent::KeystoreError
    );
    assert_eq!(
        ev(
            "java.security.UnrecoverableKeyException: Could not decrypt key: Could not decrypt data."
        ),
        LogEvent::KeystoreError
    );
    assert_eq!(
        ev("InvalidAlgorithmParameterException: the trustAnchors parameter must be non-empty"),
        LogEvent::NetworkError {
            network: NetworkKind::Tls
        }
    );
    let token = ev(
        r#"05.12.2026 14:02:11.123 *ERROR* [sling-threadpool-3-thread-2] com.adobe.granite.auth.oauth.impl.AccessTokenProvider failed to get access token from authorization server status: 400 response: {"error_description":"JWT credentials are no longer supported","error":"invalid_client"}"#,
    );
    assert_eq!(
        token,
        LogEvent::TokenFailure {
            status: Some(400),
            code: Some("invalid_client".into()),
            description: Some("JWT credentials are no longer supported".into())
        }
    );
    assert_eq!(
        ev("Transfer failed for X. java.net.UnknownHostException: wknd.brand-portal.adobe.com"),
        LogEvent::NetworkError {
            network: NetworkKind::UnknownHost
        }
    );
    assert_eq!(
        ev(
            "Error while replicating: com.day.cq.replication.ReplicationException: org.apache.sling.api.resource.LoginException: Unable to impersonate user mac-wknd-replication"
        ),
        LogEvent::ImpersonationFailure {
            user: Some("mac-wknd-replication".into())
        }
    );
    assert_eq!(
        ev("<< HTTP/1.1 401 Unauthorized"),
        LogEvent::TenantAnswer { status: 401 }
    );
    assert_eq!(ev("adding header: Action:Test"), LogEvent::Other);
}

#[test]
fn times_are_read_in_the_authors_zone() {
    let (t, rest) = split_time("05.12.2026 14:02:11.123 *ERROR* [pool-1] a.b.C hello");
    assert_eq!(t, Some("05.12.2026 14:02:11"));
    assert_eq!(rest, "a.b.C hello");
    let utc = epoch("05.12.2026 14:02:11", None).unwrap();
    let kolkata = epoch("05.12.2026 14:02:11", FixedOffset::east_opt(19_800)).unwrap();
    assert_eq!(utc - kolkata, 19_800);
}

#[test]
fn the_last_outcome_and_what_came_after_the_last_success() {
    let lines = [
        "01.12.2026 10:00:00 - Replication (ACTIVATE) of /content/dam/a.jpg successful.",
        "01.12.2026 10:01:00 - adding header: Action:Test",
        "01.12.2026 10:01:00 - sent. Response: 401 Unauthorized",
        "01.12.2026 10:01:00 - Transfer failed for X. java.io.IOException: status code 401",
    ];
    let es = entries(&lines, LogSource::Agent, None);
    let o = last_outcome(&es).unwrap();
    assert!(!o.ok);
    assert!(o.test, "the action header says it was a test");
    assert_eq!(since_last_success(&es).len(), 3);
}
