//! One failed login, not twenty: the credential gate every request of a client goes through.

/// Until AEM has accepted the credentials once, requests go out one at a time; after AEM
/// answers 401, every request fails at once without asking AEM again, until someone asks for a
/// retry (`AemClient::retry_credentials`). A directory-backed account (LDAP, SSO) locks after a
/// handful of failed logins; twenty concurrent reads with a wrong password would lock it.
#[derive(Default)]
pub(super) struct CredentialGate {
    pub(super) accepted: std::sync::atomic::AtomicBool,
    /// When AEM refused the credentials (`None`: it has not).
    pub(super) rejected_at: std::sync::Mutex<Option<std::time::Instant>>,
    /// Held by the request that finds out, while nothing is known yet.
    pub(super) probe: tokio::sync::Mutex<()>,
    /// The probe that found AEM unreachable or silent, and when: the requests queued behind it
    /// fail with the same error instead of each waiting out its own timeout, so a command
    /// against a dead author ends after one timeout, not one per request.
    pub(super) unreachable: std::sync::Mutex<Option<(std::time::Instant, super::AemError)>>,
}

/// How long a probe's "unreachable" answers the requests after it (they were queued behind it,
/// or follow at once from the same read); later ones try again.
const UNREACHABLE_FOR: std::time::Duration = std::time::Duration::from_secs(2);

impl CredentialGate {
    pub(super) fn rejected(&self) -> bool {
        self.rejected_at
            .lock()
            .map(|r| r.is_some())
            .unwrap_or(false)
    }
    pub(super) fn accepted(&self) -> bool {
        self.accepted.load(std::sync::atomic::Ordering::Acquire)
    }
    /// The unreachable error a probe found moments ago, if any.
    pub(super) fn recently_unreachable(&self) -> Option<super::AemError> {
        let r = self.unreachable.lock().ok()?;
        r.as_ref()
            .filter(|(at, _)| at.elapsed() < UNREACHABLE_FOR)
            .map(|(_, e)| e.clone())
    }
    /// A probe's transport failure (timeout, refused connection, TLS): remembered briefly.
    pub(super) fn learn_unreachable(&self, e: &super::AemError) {
        if let Ok(mut r) = self.unreachable.lock() {
            *r = Some((std::time::Instant::now(), e.clone()));
        }
    }
    pub(super) fn learn(&self, status: u16) {
        if let Ok(mut r) = self.unreachable.lock() {
            *r = None;
        }
        if status == 401 {
            self.accepted
                .store(false, std::sync::atomic::Ordering::Release);
            if let Ok(mut r) = self.rejected_at.lock() {
                r.get_or_insert_with(std::time::Instant::now);
            }
        } else {
            self.accepted
                .store(true, std::sync::atomic::Ordering::Release);
        }
    }
}
