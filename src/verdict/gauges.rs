//! The exporter's series that are judgements, from the same read and rulebook as the doctor:
//! whether AEM obtains its token, the JWT certificate's expiry (only while a JWT
//! configuration uses it), and each agent's last Test Connection (AEM's record; the exporter
//! never runs one).

use super::diagnosis::TokenState;
use crate::evidence::{AuthType, Entry, Evidence, Integration};

/// What the exporter serves as judgements.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Gauges {
    /// `None`: nothing read says either way (the series is not served).
    pub token_ok: Option<bool>,
    /// When the certificate expires (epoch seconds); `None` with OAuth (no certificate to
    /// expire) or without a certificate.
    pub cert_expiry: Option<i64>,
    /// Per agent: the last Test Connection's outcome and time (epoch seconds).
    pub last_tests: Vec<(String, bool, f64)>,
}

/// The last Test Connection in a log (oldest first): whether it worked, and when.
pub fn last_test(log: &[Entry]) -> Option<(bool, f64)> {
    let mut out = None;
    for o in crate::evidence::logs::outcomes(log)
        .into_iter()
        .filter(|o| o.test)
    {
        // A footer repeats the verdict of the line before it; keep that line's time.
        out = o.at.map(|t| (o.ok, t as f64)).or(out);
    }
    out
}

/// The gauges of one read.
pub fn of(ev: &Evidence) -> Gauges {
    let token_ok = match ev.facts().token() {
        TokenState::Obtained => Some(true),
        TokenState::Refused(_) => Some(false),
        TokenState::Unknown => None,
    };
    let jwt = ev.bp_single().is_some_and(|c| c.auth_type == AuthType::Jwt);
    let cert_expiry = if jwt {
        Integration::from_evidence(ev)
            .ok()
            .and_then(|i| i.certificate)
            .and_then(|c| c.expires_at)
    } else {
        None
    };
    let last_tests = ev
        .agents
        .iter()
        .filter_map(|a| {
            let (ok, at) = last_test(a.log.as_deref().ok()?)?;
            Some((a.info.id.clone(), ok, at))
        })
        .collect();
    Gauges {
        token_ok,
        cert_expiry,
        last_tests,
    }
}
