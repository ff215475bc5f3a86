//! Mishaps: the broken states a lived-in integration ends up in, applied to a configured
//! author (`brandlink sandbox --scenario configured --mishap disabled_agent`, or at run time
//! `POST /sandbox/control/mishaps {"mishap": "…"}`). Unlike faults, which are switches on the
//! wire, a mishap changes the author's, the Console's or the tenant's state once, as an
//! operator, an old integration or time would have, so that each doctor check can be seen
//! failing and then passing after the fix.

use super::brandportal::{ensure_agents, mac_user_id};
use super::felix::{CRYPTO_KEYSTORE, IMS_CORE};
use super::repo::{Prop, join};
use super::scenario::CONFIGURED_ALIAS;
use super::state::{
    AGENTS_ROOT, BP_SERVICE_USER, CLOUD_ROOT, CUSTOMIZER_FACTORY, KeyEntry, Keystore, World, now_ms,
};
use super::x509;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(
    feature = "clap",
    derive(clap::ValueEnum),
    value(rename_all = "snake_case")
)]
#[serde(rename_all = "snake_case")]
pub enum Mishap {
    /// Someone disabled one of the four Brand Portal agents.
    DisabledAgent,
    /// Four agents and a MAC user of an old tenant that has no cloud configuration.
    OrphanAgents,
    /// A second Brand Portal cloud configuration (another tenant) on the same author.
    SecondCloudConfig,
    /// The cloud configuration (and so the agents) use an alias URL, not the tenant-id URL.
    AliasServiceUrl,
    /// The JWT certificate expired (key pair and Console binding both past their end date).
    ExpiredCertificate,
    /// The MAC user holds a key pair older than the service user's current one.
    MacStaleKeystore,
    /// The MAC user is gone.
    MissingMacUser,
    /// The client secret AEM stores is not the Console's.
    WrongSecret,
    /// One Brand Portal queue paused.
    PausedQueue,
    /// Items queued 20 minutes ago at the head of one queue, tried 7 times and blocked: a
    /// queue that has been failing for a while (pair it with a fault to keep it failing).
    StuckItems,
    /// After an in-place upgrade to 6.5 LTS SP3: `com.adobe.granite.crypto.keystore` stays
    /// Installed (it needs a newer Granite Crypto) and replication stops with it.
    BundleInstalled,
    /// `com.day.cq.cq-replication` is Resolved, not Active (stopped): replication stops.
    BundleResolved,
    /// The Adobe IMS bundle (`adobeims.core`) is 1.1.18, older than OAuth needs: saving an
    /// OAuth IMS configuration would fail with "Invalid parameters (empty or null)!".
    OldImsBundle,
    /// The cloud configuration was saved but its four agents are not there (Adobe: save the
    /// cloud configuration again); saving it again makes AEM create them.
    AgentsMissing,
}

impl Mishap {
    /// Every mishap, so that what is checked for each (the doctor's finding, the replay of a
    /// bundle recorded with it) covers a new one without being told; `tests::all_is_every_mishap`
    /// holds it to the enum.
    pub const ALL: &[Mishap] = &[
        Mishap::DisabledAgent,
        Mishap::OrphanAgents,
        Mishap::SecondCloudConfig,
        Mishap::AliasServiceUrl,
        Mishap::ExpiredCertificate,
        Mishap::MacStaleKeystore,
        Mishap::MissingMacUser,
        Mishap::WrongSecret,
        Mishap::PausedQueue,
        Mishap::StuckItems,
        Mishap::BundleInstalled,
        Mishap::BundleResolved,
        Mishap::OldImsBundle,
        Mishap::AgentsMissing,
    ];

    pub fn all() -> &'static [Mishap] {
        Self::ALL
    }

    /// Its name as `--mishap` and the control endpoint take it (`disabled_agent`).
    pub fn name(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_else(|| format!("{self:?}"))
    }
}

/// The old tenant of [`Mishap::OrphanAgents`].
pub const ORPHAN_TENANT: &str = "https://oldco.brand-portal.adobe.com";
/// The tenant of [`Mishap::SecondCloudConfig`].
pub const SECOND_TENANT: &str = "https://wknd-emea.brand-portal.adobe.com";

fn bp_agent_ids(w: &World) -> Vec<String> {
    let mut ids: Vec<String> = w
        .bp_agents(&w.tenant.url)
        .into_iter()
        .map(|a| a.id)
        .collect();
    ids.sort();
    ids
}

fn need_agents(w: &World) -> Result<Vec<String>, String> {
    let ids = bp_agent_ids(w);
    if ids.is_empty() {
        return Err("needs a configured author (--scenario configured)".into());
    }
    Ok(ids)
}

/// The Brand Portal IMS provider the cloud configuration names.
fn bp_provider_pid(w: &World) -> Option<String> {
    let cfg = w.cloud_configs().into_iter().find(|c| !c.legacy)?;
    let id = cfg.ims_config?;
    w.osgi
        .values()
        .find(|c| c.pid == id || c.get("name") == Some(id.as_str()))
        .map(|c| c.pid.clone())
}

/// Puts a bundle in a state (and at a version) other than the author's own.
fn set_bundle(w: &mut World, sym: &str, state: &str, version: Option<&str>) -> String {
    w.bundle_overrides.insert(
        sym.to_string(),
        (state.to_string(), version.map(str::to_string)),
    );
    match version {
        Some(v) => format!("bundle {sym} is {v} ({state})"),
        None => format!("bundle {sym} is {state}"),
    }
}

fn rt_retry(w: &World, id: &str) -> i64 {
    w.agent(id).map_or(60_000, |a| a.retry_delay_ms)
}

/// Applies one mishap; says what changed.
pub fn apply(w: &mut World, m: Mishap) -> Result<String, String> {
    let now = now_ms();
    let said = match m {
        Mishap::DisabledAgent => {
            let ids = need_agents(w)?;
            let id = ids.last().cloned().unwrap_or_default();
            let content = format!("{}/jcr:content", join(AGENTS_ROOT, &id));
            w.repo.set(&content, "enabled", Prop::bool(false));
            format!("agent {id} disabled")
        }
        Mishap::OrphanAgents => {
            let created = ensure_agents(w, ORPHAN_TENANT);
            format!(
                "{} agents of {ORPHAN_TENANT} without a cloud configuration",
                created.len()
            )
        }
        Mishap::SecondCloudConfig => second_cloud_config(w)?,
        Mishap::AliasServiceUrl => alias_service_url(w)?,
        Mishap::ExpiredCertificate => expired_certificate(w)?,
        Mishap::MacStaleKeystore => mac_stale_keystore(w)?,
        Mishap::MissingMacUser => {
            need_agents(w)?;
            let mac = mac_user_id(&w.tenant.url);
            let user = w.users.remove(&mac).ok_or("the MAC user does not exist")?;
            w.keystores.remove(&mac);
            w.repo.delete(&user.path);
            format!("{mac} deleted")
        }
        Mishap::WrongSecret => wrong_secret(w)?,
        Mishap::PausedQueue => {
            let ids = need_agents(w)?;
            let id = ids.first().cloned().unwrap_or_default();
            w.runtime(&id).paused = true;
            w.agent_log(&id, now, &super::logs::AgentLine::QueuePaused);
            format!("queue of {id} paused")
        }
        Mishap::StuckItems => stuck_items(w, now)?,
        Mishap::BundleInstalled => set_bundle(w, CRYPTO_KEYSTORE, "Installed", None),
        Mishap::BundleResolved => set_bundle(w, "com.day.cq.cq-replication", "Resolved", None),
        Mishap::OldImsBundle => set_bundle(w, IMS_CORE, "Active", Some("1.1.18")),
        Mishap::AgentsMissing => {
            let ids = need_agents(w)?;
            for id in &ids {
                w.repo.delete(&join(AGENTS_ROOT, id));
                w.agents.remove(id);
            }
            format!(
                "the {} agents of {} are gone; the cloud configuration stays",
                ids.len(),
                w.tenant.url
            )
        }
    };
    w.bump();
    Ok(said)
}

/// A second cloud configuration, to a tenant of its own, with the same IMS configuration.
fn second_cloud_config(w: &mut World) -> Result<String, String> {
    let ims = bp_provider_pid(w).ok_or("needs a configured author (--scenario configured)")?;
    let path = join(CLOUD_ROOT, "brand-portal-emea");
    let content = format!("{path}/jcr:content");
    w.repo.ensure(&path, "cq:Page", "sling:Folder");
    w.repo.ensure(&content, "cq:PageContent", "nt:unstructured");
    for (k, v) in [
        ("jcr:title", Prop::str("Brand Portal EMEA")),
        ("tenantURL", Prop::str(SECOND_TENANT)),
        ("imsConfig", Prop::str(&ims)),
        (
            "sling:resourceType",
            Prop::str("dam/components/mediaportal/config"),
        ),
    ] {
        w.repo.set(&content, k, v);
    }
    Ok(format!(
        "a second cloud configuration {path} → {SECOND_TENANT}"
    ))
}

/// The cloud configuration and its agents point at the tenant's `-assets` alias.
fn alias_service_url(w: &mut World) -> Result<String, String> {
    let ids = need_agents(w)?;
    let alias = format!("https://{}-assets.brand-portal.adobe.com", w.tenant.id);
    let tenant = w.tenant.url.clone();
    for c in w.cloud_configs().into_iter().filter(|c| !c.legacy) {
        w.repo.set(
            &format!("{}/jcr:content", c.path),
            "tenantURL",
            Prop::str(&alias),
        );
    }
    for id in &ids {
        let content = format!("{}/jcr:content", join(AGENTS_ROOT, id));
        let uri = w.repo.text(&content, "transportUri").unwrap_or_default();
        let moved = format!("{alias}{}", &uri[tenant.len().min(uri.len())..]);
        w.repo.set(&content, "transportUri", Prop::str(moved));
    }
    Ok(format!(
        "the cloud configuration and its agents use the alias {alias}"
    ))
}

/// The service user's key pair is one whose certificate expired, still bound in the Console.
fn expired_certificate(w: &mut World) -> Result<String, String> {
    let start = time::OffsetDateTime::now_utc() - time::Duration::days(400);
    let cert = x509::issue("AEM Brand Portal IMS", start, 370)?;
    let store = w
        .keystores
        .get_mut(BP_SERVICE_USER)
        .ok_or("needs a configured JWT author (--scenario configured)")?;
    store.entries.insert(
        CONFIGURED_ALIAS.to_string(),
        KeyEntry {
            pk_der: cert.key_der.clone(),
            chain: vec![cert.cert_der.clone()],
        },
    );
    let info = x509::parse(&cert.cert_der)?;
    // The Console still holds it, bound when it was current.
    for client in w.ims.clients.values_mut().filter(|c| c.jwt) {
        client.certificates = vec![super::state::BoundCertificate {
            der: cert.cert_der.clone(),
            fingerprint: info.sha1.clone(),
            public_key_pkcs1: info.public_key.clone(),
            not_after: info.not_after,
        }];
    }
    Ok("the JWT certificate expired 30 days ago".to_string())
}

/// The MAC user holds a key pair older than the service user's.
fn mac_stale_keystore(w: &mut World) -> Result<String, String> {
    need_agents(w)?;
    let mac = mac_user_id(&w.tenant.url);
    let start = time::OffsetDateTime::now_utc() - time::Duration::days(200);
    let old = x509::issue("AEM Brand Portal IMS", start, 365)?;
    let password = w.hex(16);
    w.keystores.insert(
        mac.clone(),
        Keystore {
            password,
            entries: IndexMap::from([(
                CONFIGURED_ALIAS.to_string(),
                KeyEntry {
                    pk_der: old.key_der,
                    chain: vec![old.cert_der],
                },
            )]),
        },
    );
    Ok(format!(
        "{mac} holds a key pair older than the service user's"
    ))
}

/// The stored client secret is not the Console's.
fn wrong_secret(w: &mut World) -> Result<String, String> {
    let pid = bp_provider_pid(w).ok_or("needs a configured author (--scenario configured)")?;
    let ctype = w
        .osgi
        .get(&pid)
        .and_then(|p| p.get("token.request.customizer.type").map(str::to_string));
    let wrong = format!("p8e-{}", w.hex(32));
    let customizer = w
        .osgi
        .values_mut()
        .filter(|c| c.factory_pid.as_deref() == Some(CUSTOMIZER_FACTORY))
        .find(|c| ctype.is_none() || c.get("customizer.type") == ctype.as_deref())
        .ok_or("the IMS configuration has no customizer")?;
    if let Some(v) = customizer.props.get_mut("auth.ims.client.secret") {
        v.values = vec![wrong];
    }
    Ok("the stored client secret no longer matches the Console's".to_string())
}

/// Five items queued for twenty minutes on the first agent, the first tried seven times.
fn stuck_items(w: &mut World, now: i64) -> Result<String, String> {
    let ids = need_agents(w)?;
    let id = ids.first().cloned().unwrap_or_default();
    // Half a minute past the 20, so that "20 minutes" holds whatever the clock.
    let since = now - 20 * 60_000 - 30_000;
    let retry = rt_retry(w, &id);
    let rt = w.runtime(&id);
    for i in (0..5).rev() {
        rt.queue.push_front(super::state::QueueItem {
            id: format!("stuck/{i}"),
            path: format!("/content/dam/wknd/en/stuck/asset-{i}.jpg"),
            time: since + i64::from(i) * 1000,
            userid: "admin".into(),
            action: "Activate".into(),
            last_processed: now - 30_000,
            num_processed: if i == 0 { 7 } else { 0 },
        });
    }
    rt.next_retry_ms = now + retry;
    w.agent_log(
        &id,
        now - 30_000,
        &super::logs::AgentLine::Answer {
            status: 503,
            reason: "Service Unavailable".into(),
        },
    );
    Ok(format!(
        "5 items queued on {id} for 20 minutes, the first tried 7 times"
    ))
}

#[cfg(test)]
mod tests {
    use super::Mishap;

    /// A new mishap fails to compile here until it has a place in [`Mishap::ALL`].
    fn place(m: Mishap) -> usize {
        match m {
            Mishap::DisabledAgent => 0,
            Mishap::OrphanAgents => 1,
            Mishap::SecondCloudConfig => 2,
            Mishap::AliasServiceUrl => 3,
            Mishap::ExpiredCertificate => 4,
            Mishap::MacStaleKeystore => 5,
            Mishap::MissingMacUser => 6,
            Mishap::WrongSecret => 7,
            Mishap::PausedQueue => 8,
            Mishap::StuckItems => 9,
            Mishap::BundleInstalled => 10,
            Mishap::BundleResolved => 11,
            Mishap::OldImsBundle => 12,
            Mishap::AgentsMissing => 13,
        }
    }

    #[test]
    fn all_is_every_mishap() {
        for (i, m) in Mishap::ALL.iter().enumerate() {
            assert_eq!(place(*m), i, "{m:?}");
        }
        assert_eq!(Mishap::ALL.len(), 14);
        assert_eq!(Mishap::DisabledAgent.name(), "disabled_agent");
    }
}
