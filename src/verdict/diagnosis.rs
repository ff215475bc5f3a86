//! Which cause explains what, when several pieces of evidence speak: the precedence every
//! verdict on the link follows (steps, doctor, alerts, exporter, upgrade).
//!
//! - AEM's token comes first. A tenant's 401 is explained by the token when AEM cannot obtain
//!   one (a token failure in error.log, the agent log or the Test Connection; a request sent
//!   without a token; a failing Check Health), and by the MAC user's key only when the token
//!   is fine and the MAC user holds a key other than the current one.
//! - When nothing is conclusive, the cause says so and advises the non-destructive next check.

use super::causes::{self, Cause, CauseKind};
use crate::aem::keystore::{CertSummary, KeystoreInfo};
use crate::evidence::logs::since_last_success;
use crate::evidence::{Entry, Evidence, ImsConfig, Integration, LastCheck, LogEvent, MacEvidence};

/// The facts the precedence reads, borrowed from either the evidence or its view.
pub struct Facts<'a> {
    pub bp: Option<&'a ImsConfig>,
    /// Each agent's id and log (oldest first).
    pub agents: Vec<(&'a str, &'a [Entry])>,
    /// The Test Connection transcript run with this read (empty when none).
    pub test: Vec<Entry>,
    /// `error.log`'s token lines; `None` where the author does not serve its log.
    pub error_log: Option<&'a [Entry]>,
    pub macs: &'a [MacEvidence],
    pub service_keystore: Option<&'a KeystoreInfo>,
    pub last_check: Option<&'a LastCheck>,
    /// A bundle the integration needs that is not Active: it explains every failure to
    /// publish (`verdict::bundles`).
    pub bundle: Option<Cause>,
}

impl Evidence {
    pub fn facts(&self) -> Facts<'_> {
        Facts {
            bp: self.bp_single(),
            agents: self
                .agents
                .iter()
                .map(|a| (a.info.id.as_str(), a.log.as_deref().unwrap_or_default()))
                .collect(),
            test: self.test_entries(),
            error_log: self.error_log.as_deref().ok(),
            macs: &self.macs,
            service_keystore: self.keystore.as_ref().ok().and_then(Option::as_ref),
            last_check: self.last_check.as_ref(),
            bundle: super::bundles::cause(&self.readiness),
        }
    }
}

impl Integration {
    pub fn facts(&self) -> Facts<'_> {
        let bp = match self.bp_ims().as_slice() {
            [one] => Some(*one),
            _ => None,
        };
        Facts {
            bp,
            agents: self
                .agents
                .iter()
                .map(|a| (a.info.id.as_str(), a.log.as_slice()))
                .collect(),
            test: vec![],
            error_log: self.error_log.as_deref(),
            macs: &self.macs,
            service_keystore: Some(&self.keystore),
            last_check: self.last_aem_check.as_ref(),
            bundle: super::bundles::cause(&self.readiness),
        }
    }
}

/// Whether AEM obtains an IMS token with what it stores.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenState {
    /// AEM's own record says it did (a delivery or test went through, or a token was attached).
    Obtained,
    /// It cannot, and why.
    Refused(Cause),
    /// Nothing read says either way.
    Unknown,
}

/// A MAC user holding a key other than the service user's current certificate (Adobe's
/// documented cause of a bare 401): the user, their certificate and the current one.
pub struct StaleMac<'a> {
    pub user: &'a str,
    pub theirs: Option<&'a CertSummary>,
    pub current: &'a CertSummary,
}

pub fn same_cert(a: &CertSummary, b: &CertSummary) -> bool {
    a.serial_number == b.serial_number && a.subject == b.subject
}

/// The service user's current certificate: the alias the IMS configuration names, else the
/// first.
pub fn current_cert<'a>(
    ks: Option<&'a KeystoreInfo>,
    bp: Option<&ImsConfig>,
) -> Option<&'a CertSummary> {
    let k = ks?;
    bp.and_then(|c| c.keypair_alias.as_deref())
        .and_then(|a| k.alias(a))
        .or(k.aliases.first())
        .and_then(|a| a.chain.first())
}

impl<'a> Facts<'a> {
    /// A MAC user whose key is not the service user's current one (positive evidence).
    pub fn stale_mac(&self) -> Option<StaleMac<'a>> {
        let current = current_cert(self.service_keystore, self.bp)?;
        self.macs.iter().find_map(|m| {
            let ks = m.keystore.as_ref().ok()?;
            let certs: Vec<&CertSummary> =
                ks.aliases.iter().filter_map(|a| a.chain.first()).collect();
            (ks.exists && !certs.is_empty() && !certs.iter().any(|c| same_cert(c, current))).then(
                || StaleMac {
                    user: m.user.id.as_str(),
                    theirs: certs.first().copied(),
                    current,
                },
            )
        })
    }

    /// When AEM last delivered or tested successfully (epoch seconds), over every agent.
    fn last_success_at(&self) -> Option<i64> {
        self.agents
            .iter()
            .flat_map(|(_, log)| log.iter())
            .chain(self.test.iter())
            .filter(|e| e.is_success())
            .filter_map(|e| e.at)
            .max()
    }

    /// The newest success over every log, as a mark comparable with `2 × time + 1` of a
    /// failure: logs tell time to the second, so a success that its own log shows failing
    /// again afterwards counts as older than a failure of the same second.
    fn success_mark(&self) -> Option<i64> {
        self.agents
            .iter()
            .map(|(_, l)| *l)
            .chain(std::iter::once(self.test.as_slice()))
            .filter_map(|log| {
                // A transcript's footer has no time: the line before it tells.
                let i = log.iter().rposition(|e| e.is_success() && e.at.is_some())?;
                let failed_since = log[i + 1..]
                    .iter()
                    .any(|e| e.outcome.is_some_and(|o| !o.ok) || e.event.is_failure());
                Some(log[i].at? * 2 + i64::from(!failed_since))
            })
            .max()
    }

    /// Token failures that still hold: in a log since its last success, or in error.log after
    /// the newest success anywhere.
    fn token_failures(&self) -> Vec<&Entry> {
        let mut out: Vec<&Entry> = Vec::new();
        let recent = |log: &'a [Entry]| since_last_success(log);
        let test_recent = since_last_success(&self.test);
        for (_, log) in &self.agents {
            out.extend(
                recent(log)
                    .iter()
                    .filter(|e| matches!(e.event, LogEvent::TokenFailure { .. })),
            );
        }
        out.extend(
            test_recent
                .iter()
                .filter(|e| matches!(e.event, LogEvent::TokenFailure { .. })),
        );
        if let Some(err) = self.error_log {
            let since = self.success_mark();
            out.extend(err.iter().filter(|e| {
                matches!(e.event, LogEvent::TokenFailure { .. })
                    && match (since, e.at) {
                        (Some(s), Some(at)) => at * 2 + 1 > s,
                        (Some(_), None) => false,
                        (None, _) => true,
                    }
            }));
        }
        out.sort_by_key(|e| e.at.unwrap_or(i64::MIN));
        out
    }

    /// Whether AEM obtains a token, from everything read.
    pub fn token(&self) -> TokenState {
        let failures = self.token_failures();
        // The newest failure's cause.
        if let Some(c) = failures.iter().rev().find_map(|e| causes::of_event(e)) {
            return TokenState::Refused(c);
        }
        let all_recent = self
            .agents
            .iter()
            .map(|(_, l)| since_last_success(l))
            .chain(std::iter::once(since_last_success(&self.test)));
        let mut sent_without = None;
        for r in all_recent {
            if let Some(e) = r.iter().find(|e| e.event == LogEvent::NoToken) {
                sent_without = Some(e);
            }
        }
        if let Some(e) = sent_without
            && let Some(c) = causes::of_event(e)
        {
            return TokenState::Refused(c);
        }
        // AEM's latest record: an attempt that went through, or a token attached to the
        // attempt that failed since.
        let logs = self
            .agents
            .iter()
            .map(|(_, l)| *l)
            .chain(std::iter::once(self.test.as_slice()));
        let worked = logs.into_iter().any(|l| {
            crate::evidence::logs::last_outcome(l).is_some_and(|o| o.ok)
                || since_last_success(l)
                    .iter()
                    .any(|e| e.event == LogEvent::TokenObtained)
        });
        if let Some(l) = self.last_check
            && self.bp.is_some_and(|c| c.pid == l.pid)
            && !l.ok
            && !self.recovered_since(l)
        {
            return TokenState::Refused(Cause {
                kind: CauseKind::CheckFailed,
                cause: format!(
                    "the last Check Health ({}) found that AEM cannot obtain a token with what it stores: {}",
                    l.at, l.message
                ),
                fix: "fix what it reports, then check again".into(),
                command: Some("brandlink account check".into()),
                evidence: l.message.clone(),
                named: None,
            });
        }
        if worked {
            TokenState::Obtained
        } else {
            TokenState::Unknown
        }
    }

    /// Whether a delivery or test went through after a recorded check.
    fn recovered_since(&self, l: &LastCheck) -> bool {
        let at = chrono::DateTime::parse_from_rfc3339(&l.at)
            .ok()
            .map(|d| d.timestamp());
        match (at, self.last_success_at()) {
            (Some(at), Some(ok)) => ok > at,
            _ => false,
        }
    }

    /// Why a failure in `entries` (an agent's log or a transcript) happened, all the evidence
    /// considered.
    pub fn explain(&self, entries: &[Entry]) -> Option<Cause> {
        let root = causes::explain(entries)?;
        match root.kind {
            CauseKind::TenantRefused => Some(self.explain_401(root)),
            _ => Some(root),
        }
    }

    /// A tenant's 401: the token when AEM has none, the MAC user's key only when the token is
    /// fine and that key is stale, else inconclusive (with the non-destructive next check).
    fn explain_401(&self, root: Cause) -> Cause {
        let token = self.token();
        if let TokenState::Refused(c) = token {
            return c;
        }
        // The token is fine when AEM's record says it attached one, or when error.log, which
        // records every token failure, is readable and silent.
        let token_fine = token == TokenState::Obtained || self.error_log.is_some();
        if token_fine && let Some(m) = self.stale_mac() {
            return Cause {
                kind: CauseKind::MacKeyStale,
                cause: format!(
                    "Brand Portal refuses AEM's requests (401) while AEM obtains its token, and the MAC user {} holds a key other than the current one: Adobe's documented cause",
                    m.user
                ),
                fix: "Adobe's fix: delete the four agents, the cloud configuration and the MAC user, then configure anew (brandlink upgrade backs them up first)".into(),
                command: Some("brandlink upgrade".into()),
                evidence: root.evidence,
                named: None,
            };
        }
        root
    }

    /// Why each agent's latest failure happened (`None`: nothing failed since its last success).
    /// A needed bundle that is not Active comes first: nothing replicates without it.
    pub fn agent_cause(&self, agent: &str) -> Option<Cause> {
        let (_, log) = self.agents.iter().find(|(id, _)| *id == agent)?;
        if let Some(b) = &self.bundle {
            return Some(b.clone());
        }
        self.explain(log)
    }
}

/// Whether a command is destructive (it deletes parts of the integration).
pub fn destructive(command: &str) -> bool {
    command.starts_with("brandlink upgrade")
        || command.contains(" delete")
        || command.starts_with("brandlink restore")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aem::keystore::KeyAlias;
    use crate::aem::users::UserRef;
    use crate::evidence::logs::{LogSource, entries};

    fn cert(serial: &str) -> CertSummary {
        CertSummary {
            subject: "CN=AEM".into(),
            issuer: "CN=AEM".into(),
            not_before: "Thu Jan 01 00:00:00 UTC 2026".into(),
            not_after: "Fri Jan 01 00:00:00 UTC 2027".into(),
            serial_number: serial.into(),
        }
    }

    fn store(serial: &str) -> KeystoreInfo {
        KeystoreInfo {
            exists: true,
            aliases: vec![KeyAlias {
                alias: "k".into(),
                entry_type: "privateKey".into(),
                chain: vec![cert(serial)],
            }],
        }
    }

    const TOKEN_LINE: &str = r#"com.adobe.granite.auth.oauth.AccessTokenProvider failed to get access token from authorization server status: 400 response: {"error":"invalid_client","error_description":"JWT credentials are no longer supported"}"#;

    fn leak<T>(v: Vec<T>) -> &'static [T] {
        Box::leak(v.into_boxed_slice())
    }

    fn agent_log(lines: &[&str]) -> &'static [Entry] {
        leak(entries(lines, LogSource::Agent, None))
    }

    /// The MAC user, holding a key the service user no longer has.
    fn stale_macs() -> &'static [MacEvidence] {
        leak(vec![MacEvidence {
            user: UserRef {
                id: "mac-x-replication".into(),
                path: "/home/users/mac/x".into(),
            },
            keystore: Ok(store("old")),
        }])
    }

    /// One agent `a` with `log`, the service user's current key `new`.
    fn facts(
        log: &'static [Entry],
        error_log: Option<&'static [Entry]>,
        macs: &'static [MacEvidence],
    ) -> Facts<'static> {
        let service: &'static KeystoreInfo = Box::leak(Box::new(store("new")));
        Facts {
            bp: None,
            agents: vec![("a", log)],
            test: vec![],
            error_log,
            macs,
            service_keystore: Some(service),
            last_check: None,
            bundle: None,
        }
    }

    /// Every cause the rulebook can produce from an agent's log line, and whether it may advise
    /// a destructive command: only on positive evidence that nothing else explains.
    #[test]
    fn destructive_advice_needs_positive_evidence() {
        let lines: &[(&str, CauseKind)] = &[
            (TOKEN_LINE, CauseKind::JwtRetired),
            (
                "KeyStoreNotInitialisedException: Uninitialised key store for user x",
                CauseKind::KeyMissing,
            ),
            (
                "no access token provider configured with id 'x'",
                CauseKind::ImsConfigMissing,
            ),
            (
                "org.apache.sling.api.resource.LoginException: Unable to impersonate user mac-x-replication",
                CauseKind::MacUserMissing,
            ),
            (
                "java.net.UnknownHostException: x.brand-portal.adobe.com",
                CauseKind::UnknownHost,
            ),
            (
                "java.net.SocketTimeoutException: Read timed out",
                CauseKind::Timeout,
            ),
            (
                "java.net.ConnectException: Connection refused",
                CauseKind::Unreachable,
            ),
            (
                "javax.net.ssl.SSLHandshakeException: PKIX path building failed",
                CauseKind::Tls,
            ),
            (
                "* No access token: sending the request without authorization",
                CauseKind::TokenMissing,
            ),
            ("sent. Response: 401 Unauthorized", CauseKind::TenantRefused),
            ("<< HTTP/1.1 503 Service Unavailable", CauseKind::TenantDown),
        ];
        for (line, kind) in lines {
            let es = entries(&[*line], LogSource::Agent, None);
            let c = crate::verdict::causes::explain(&es).unwrap_or_else(|| panic!("{line}"));
            assert_eq!(c.kind, *kind, "{line}");
            let destructive_ok = matches!(kind, CauseKind::MacUserMissing);
            assert_eq!(
                c.command.as_deref().is_some_and(destructive),
                destructive_ok,
                "{kind:?} advises {:?}",
                c.command
            );
        }
    }

    /// A bare 401 with a stale MAC key: the upgrade only when the token is fine; while
    /// error.log says the token failed, the token explains it.
    #[test]
    fn a_stale_mac_key_explains_a_401_only_when_the_token_is_fine() {
        let log_401 = agent_log(&[
            "* Bearer token from the access token provider",
            "sent. Response: 401 Unauthorized",
        ]);
        let c = facts(log_401, None, stale_macs()).agent_cause("a").unwrap();
        assert_eq!(c.kind, CauseKind::MacKeyStale);
        assert!(c.command.as_deref().is_some_and(destructive));

        let err = leak(entries(&[TOKEN_LINE], LogSource::Error, None));
        let bare = agent_log(&["sent. Response: 401 Unauthorized"]);
        let c = facts(bare, Some(err), stale_macs())
            .agent_cause("a")
            .unwrap();
        assert_eq!(c.kind, CauseKind::JwtRetired);
        assert_eq!(c.command.as_deref(), Some("brandlink account migrate"));
    }

    /// error.log's token failure in the second of a success that its log shows failing again:
    /// the failure is the newer record; before a success of that second that nothing followed,
    /// it is cleared.
    #[test]
    fn a_token_failure_in_the_second_of_a_success_is_ordered_by_what_followed() {
        let again = agent_log(&[
            "01.12.2026 10:00:00 - Replication (TEST) of /content/dam successful.",
            "01.12.2026 10:00:00 - sent. Response: 401 Unauthorized",
        ]);
        let err_same = leak(entries(
            &[format!("01.12.2026 10:00:00.500 *ERROR* [t] {TOKEN_LINE}")],
            LogSource::Error,
            None,
        ));
        let c = facts(again, Some(err_same), stale_macs())
            .agent_cause("a")
            .unwrap();
        assert_eq!(c.kind, CauseKind::JwtRetired);
        let ok =
            agent_log(&["01.12.2026 10:00:00 - Replication (TEST) of /content/dam successful."]);
        assert_eq!(
            facts(ok, Some(err_same), stale_macs()).token(),
            TokenState::Obtained
        );
    }

    /// A bare 401 with nothing else known (error.log unreadable, no token line) is
    /// inconclusive, and without a stale key it is never the upgrade.
    #[test]
    fn an_unexplained_401_advises_nothing_destructive() {
        let bare = agent_log(&["sent. Response: 401 Unauthorized"]);
        let c = facts(bare, None, stale_macs()).agent_cause("a").unwrap();
        assert_eq!(c.kind, CauseKind::TenantRefused);
        assert!(!c.command.as_deref().is_some_and(destructive), "{c:?}");
        let log_401 = agent_log(&[
            "* Bearer token from the access token provider",
            "sent. Response: 401 Unauthorized",
        ]);
        let c = facts(log_401, Some(&[]), leak(Vec::new()))
            .agent_cause("a")
            .unwrap();
        assert!(!c.command.as_deref().is_some_and(destructive), "{c:?}");
    }
}
