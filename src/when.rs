//! Times, written one way everywhere: RFC 3339 (UTC, whole seconds) in JSON and files, and
//! one human format on screen: `2026-11-30` for a day, `2026-11-30 18:55:57 UTC` for a moment,
//! `18:55:57` for a time of day on a live screen.

use chrono::{DateTime, SecondsFormat, Utc};

/// RFC 3339 of epoch seconds (`2026-11-30T18:55:57Z`).
pub fn rfc3339_secs(secs: i64) -> Option<String> {
    DateTime::from_timestamp(secs, 0).map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
}

/// RFC 3339 of epoch milliseconds.
pub fn rfc3339_millis(ms: i64) -> Option<String> {
    DateTime::from_timestamp_millis(ms).map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
}

/// RFC 3339 of now.
pub fn now_rfc3339() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// `2026-11-30` from epoch seconds.
pub fn day(secs: i64) -> String {
    DateTime::from_timestamp(secs, 0)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// `2026-11-30 18:55:57 UTC` from epoch milliseconds.
pub fn moment(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms)
        .map(|d| d.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_default()
}

/// `18:55:57` (UTC) from epoch milliseconds, for live screens.
pub fn clock(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms)
        .map(|d| d.format("%H:%M:%S").to_string())
        .unwrap_or_default()
}

/// `2026-11-30` from an RFC 3339 text (or the text itself when it is not one).
pub fn day_of(rfc3339: &str) -> String {
    DateTime::parse_from_rfc3339(rfc3339)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_else(|_| rfc3339.to_string())
}

/// `serialize_with` helpers: epoch numbers kept in memory, RFC 3339 in JSON.
pub mod json {
    use serde::Serializer;

    pub fn secs<S: Serializer>(v: &i64, s: S) -> Result<S::Ok, S::Error> {
        match super::rfc3339_secs(*v) {
            Some(t) => s.serialize_str(&t),
            None => s.serialize_none(),
        }
    }

    pub fn millis<S: Serializer>(v: &i64, s: S) -> Result<S::Ok, S::Error> {
        match super::rfc3339_millis(*v) {
            Some(t) => s.serialize_str(&t),
            None => s.serialize_none(),
        }
    }

    pub fn opt_secs<S: Serializer>(v: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
        match v.and_then(super::rfc3339_secs) {
            Some(t) => s.serialize_str(&t),
            None => s.serialize_none(),
        }
    }

    pub fn opt_millis<S: Serializer>(v: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
        match v.and_then(super::rfc3339_millis) {
            Some(t) => s.serialize_str(&t),
            None => s.serialize_none(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_format() {
        assert_eq!(rfc3339_secs(1_798_761_600).unwrap(), "2027-01-01T00:00:00Z");
        assert_eq!(
            rfc3339_millis(1_798_761_600_123).unwrap(),
            "2027-01-01T00:00:00Z"
        );
        assert_eq!(day(1_798_761_600), "2027-01-01");
        assert_eq!(clock(1_798_761_661_000), "00:01:01");
        assert_eq!(moment(1_798_761_661_000), "2027-01-01 00:01:01 UTC");
        assert_eq!(day_of("2027-01-01T00:00:00Z"), "2027-01-01");
    }
}
