//! Fault injection: what can go wrong between brandlink and an author, IMS or the tenant.
//!
//! Set at start (`brandlink sandbox --fault stale_key --fault error_rate=0.2`) or at run time
//! through `GET|POST /sandbox/control/faults` (POST merges the given keys).

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Added to every answer, in milliseconds.
    pub latency_ms: u64,
    /// Share (0–1) of requests answered with a 500 error page.
    pub error_rate: f64,
    /// Share (0–1) of requests whose connection is dropped without an answer.
    pub drop_rate: f64,
    /// Share (0–1) of JSON answers cut off half-way.
    pub truncated_json_rate: f64,
    /// Share (0–1) of JSON answers replaced by syntactically broken JSON.
    pub malformed_json_rate: f64,
    /// Share (0–1) of JSON answers replaced by an HTML page (as a login redirect would).
    pub html_for_json_rate: f64,
    /// AEM is restarting: every author request gets 503.
    pub unavailable: bool,
    /// Credentials stop working: every author request gets 401.
    pub reject_auth: bool,
    /// Credentials stop working mid-session: after this many accepted author requests
    /// (counted from when the fault is set), every one gets 401. 0: never.
    pub reject_auth_after: u64,
    /// The Brand Portal tenant answers 503 to deliveries.
    pub tenant_outage: bool,
    /// The Brand Portal tenant does not answer in time: deliveries fail with a read timeout.
    pub tenant_timeout: bool,
    /// The certificate bound in the Developer Console no longer matches AEM's key.
    pub stale_key: bool,
    /// The tenant refuses every bearer token (401).
    pub reject_tokens: bool,
    /// IMS refuses the JWT exchange, as it has since Adobe retired JWT credentials.
    pub jwt_end_of_life: bool,
    /// IMS answers 429 with Retry-After.
    pub ims_rate_limit: bool,
    /// Paths (and everything below them) the user may neither read nor change: 403, as a
    /// Dispatcher filter or a deny ACE on the path answers.
    pub forbidden_paths: Vec<String>,
    /// The Sling log web console plugin is not installed: its tailer answers 404.
    pub log_tailer_missing: bool,
    /// The Felix console refuses the log tailer (403), as for a user without console rights.
    pub log_tailer_forbidden: bool,
    /// Health checks (by name, e.g. `Replication Agents`, `Keystore`) that report CRITICAL.
    pub failing_health_checks: Vec<String>,
    /// The author serves no Felix Health Checks (404), even on 6.5 LTS.
    pub health_checks_missing: bool,
    /// The Nth write to the author (any method but GET and HEAD; counted from 1 since the
    /// fault was set) and every one after it are held unanswered until the fault is set back
    /// to 0: a test catches a client in the middle of a write (`held` in
    /// `/sandbox/control/requests` counts them). 0: never.
    pub hold_writes_from: u64,
}

impl Faults {
    /// Whether `path` (an author request path, selectors and extension included) is forbidden.
    pub fn forbids(&self, path: &str) -> bool {
        self.forbidden_paths.iter().any(|p| {
            let p = p.trim_end_matches('/');
            !p.is_empty()
                && path.starts_with(p)
                && matches!(path.as_bytes().get(p.len()), None | Some(b'/' | b'.'))
        })
    }
}

impl Faults {
    /// Merges the keys of a JSON object into these faults. Unknown keys and wrong types are
    /// errors naming the key.
    pub fn merge(&mut self, patch: &Json) -> Result<(), String> {
        let Json::Object(patch) = patch else {
            return Err("expected a JSON object of fault settings".into());
        };
        let mut current = serde_json::to_value(&*self).map_err(|e| e.to_string())?;
        if let Json::Object(cur) = &mut current {
            for (k, v) in patch {
                if !cur.contains_key(k) {
                    return Err(format!(
                        "unknown fault `{k}`; known: {}",
                        Self::names().join(", ")
                    ));
                }
                cur.insert(k.clone(), v.clone());
            }
        }
        let next: Faults =
            serde_json::from_value(current).map_err(|e| format!("invalid fault value: {e}"))?;
        next.validate()?;
        *self = next;
        Ok(())
    }

    /// Parses `name` (a boolean fault switched on) or `name=value`.
    pub fn apply_flag(&mut self, flag: &str) -> Result<(), String> {
        let (name, value) = match flag.split_once('=') {
            Some((n, v)) => (n.trim().replace('-', "_"), v.trim().to_string()),
            None => (flag.trim().replace('-', "_"), "true".to_string()),
        };
        let value: Json = match serde_json::from_str(&value) {
            Ok(v) => v,
            // A list fault takes comma-separated values too: forbidden_paths=/a,/b
            Err(_) if name == "forbidden_paths" || name == "failing_health_checks" => {
                Json::from(value.split(',').map(str::trim).collect::<Vec<_>>())
            }
            Err(_) => Json::String(value),
        };
        self.merge(&serde_json::json!({ name: value }))
    }

    fn validate(&self) -> Result<(), String> {
        for (name, rate) in [
            ("error_rate", self.error_rate),
            ("drop_rate", self.drop_rate),
            ("truncated_json_rate", self.truncated_json_rate),
            ("malformed_json_rate", self.malformed_json_rate),
            ("html_for_json_rate", self.html_for_json_rate),
        ] {
            if !(0.0..=1.0).contains(&rate) {
                return Err(format!("{name} must be between 0 and 1, got {rate}"));
            }
        }
        Ok(())
    }

    pub fn names() -> Vec<String> {
        match serde_json::to_value(Faults::default()) {
            Ok(Json::Object(m)) => m.keys().cloned().collect(),
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_and_merge() {
        let mut f = Faults::default();
        f.apply_flag("stale-key").unwrap();
        f.apply_flag("error_rate=0.5").unwrap();
        f.apply_flag("latency_ms=120").unwrap();
        assert!(f.stale_key);
        assert_eq!(f.error_rate, 0.5);
        assert_eq!(f.latency_ms, 120);
        assert!(
            f.apply_flag("nonsense")
                .unwrap_err()
                .contains("unknown fault")
        );
        assert!(f.apply_flag("error_rate=2").is_err());
        assert!(f.apply_flag("latency_ms=abc").is_err());
        f.apply_flag("forbidden_paths=/home/users/mac,/etc/x")
            .unwrap();
        assert!(f.forbids("/home/users/mac/abc.json"));
        assert!(f.forbids("/home/users/mac.json"));
        assert!(!f.forbids("/home/users/macro"));
        f.merge(&serde_json::json!({"stale_key": false})).unwrap();
        assert!(!f.stale_key);
        assert_eq!(f.latency_ms, 120);
    }
}
