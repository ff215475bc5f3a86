//! The integration as the front ends show it: a view of the one read ([`super::Evidence`]),
//! with the facts the steps are judged on.

use super::logs::{Entry, LastOutcome};
use super::{Evidence, ImsConfig, LastCheck, MacEvidence, OauthSupport};
use crate::aem::AemError;
use crate::aem::agents::AgentInfo;
use crate::aem::cloud::{CloudConfig, tenant_label};
use crate::aem::keystore::{KeystoreInfo, parse_java_date};
use crate::aem::queue::{Depth, QueueStatus};
use crate::aem::readiness::Readiness;
use crate::aem::users::UserRef;
use serde::Serialize;

/// One Brand Portal agent with its queue.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentState {
    #[serde(flatten)]
    pub info: AgentInfo,
    pub queue: Option<QueueStatus>,
    pub depth: Option<Depth>,
    pub error: Option<String>,
    /// The last replication its log records (Test Connection or delivery), if any.
    pub last_outcome: Option<LastOutcome>,
    /// Its log, read into events (oldest first).
    #[serde(skip)]
    pub log: Vec<Entry>,
}

/// The certificate behind the alias brandlink cares about.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct CertificateState {
    pub alias: String,
    pub subject: String,
    pub not_after: String,
    pub days_left: Option<i64>,
    /// `not_after` in epoch seconds, when it can be read.
    #[serde(skip)]
    pub expires_at: Option<i64>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Integration {
    pub aem_url: String,
    /// The author's version (6.5 LTS named as such) and Java.
    pub aem: super::AemInfo,
    /// When this snapshot was read (epoch seconds; RFC 3339 in JSON).
    #[serde(serialize_with = "crate::when::json::secs")]
    pub read_at: i64,
    pub readiness: Readiness,
    pub service_user: Option<String>,
    pub keystore: KeystoreInfo,
    pub certificate: Option<CertificateState>,
    pub ims_configs: Vec<ImsConfig>,
    pub cloud_configs: Vec<CloudConfig>,
    pub tenant_url: Option<String>,
    pub agents: Vec<AgentState>,
    pub mac_users: Vec<UserRef>,
    /// Whether this author can use OAuth Server-to-Server (from its product version).
    pub oauth_support: OauthSupport,
    /// The author's time zone, when its console tells.
    pub zone: Option<String>,
    /// `error.log`'s lines about the token; `None` where the author does not serve its log.
    #[serde(skip)]
    pub error_log: Option<Vec<Entry>>,
    /// The MAC users the agents publish as, with their keystores.
    #[serde(skip)]
    pub macs: Vec<MacEvidence>,
    /// The last AEM-side Check Health recorded on this machine (see `setup::checks`).
    pub last_aem_check: Option<LastCheck>,
}

impl Integration {
    /// Reads the author (the one reader, no Test Connection) and returns its view.
    pub async fn read(
        client: &crate::aem::Reader,
        tenant: Option<&str>,
    ) -> Result<Integration, AemError> {
        let opts = super::ReadOptions {
            tenant: tenant.map(str::to_string),
            ..Default::default()
        };
        Integration::from_evidence(&super::read(client, &opts).await?)
    }

    /// The view of one read. Fails when a part every step needs could not be read (the
    /// service user, the IMS or cloud configurations, the keystore, the agents).
    pub fn from_evidence(ev: &Evidence) -> Result<Integration, AemError> {
        let service_user = ev.service_user.clone()?;
        let ims_configs = ev.ims.clone()?;
        let cloud_configs = ev.clouds.clone()?;
        let keystore = ev.keystore.clone()?.unwrap_or(KeystoreInfo {
            exists: false,
            aliases: vec![],
        });
        if ev.tenant_url.is_some() {
            ev.all_agents.as_ref().map_err(Clone::clone)?;
        }
        let agents = ev
            .agents
            .iter()
            .map(|a| {
                let log = a.log.clone().unwrap_or_default();
                AgentState {
                    info: a.info.clone(),
                    queue: a.queue.as_ref().ok().cloned(),
                    depth: a.depth,
                    error: a.queue.as_ref().err().map(ToString::to_string),
                    last_outcome: super::logs::last_outcome(&log),
                    log,
                }
            })
            .collect();
        let label = ev.tenant_url.as_deref().map(tenant_label);
        let mac_users = match (&label, &ev.mac_users) {
            (Some(l), Ok(all)) => all
                .iter()
                .filter(|u| u.id.to_ascii_lowercase().contains(&l.to_ascii_lowercase()))
                .cloned()
                .collect(),
            _ => vec![],
        };
        let wanted_alias = ims_configs
            .iter()
            .filter(|c| c.is_brand_portal())
            .find_map(|c| c.keypair_alias.clone());
        let alias = wanted_alias
            .as_deref()
            .and_then(|a| keystore.alias(a))
            .or_else(|| keystore.aliases.first());
        let certificate = alias.and_then(|a| {
            let leaf = a.chain.first()?;
            Some(CertificateState {
                alias: a.alias.clone(),
                subject: leaf.subject.clone(),
                not_after: java_date_rfc3339(&leaf.not_after),
                days_left: days_until(&leaf.not_after, ev.read_at),
                expires_at: crate::aem::keystore::parse_java_date(&leaf.not_after),
            })
        });
        Ok(Integration {
            aem_url: ev.aem_url.clone(),
            aem: ev.aem_info(),
            read_at: ev.read_at,
            readiness: ev.readiness.clone(),
            service_user,
            keystore,
            certificate,
            ims_configs,
            cloud_configs,
            tenant_url: ev.tenant_url.clone(),
            agents,
            mac_users,
            oauth_support: ev.oauth_support,
            zone: ev.zone.clone(),
            error_log: ev.error_log.as_ref().ok().cloned(),
            macs: ev.macs.clone(),
            last_aem_check: ev.last_check.clone(),
        })
    }

    pub fn enabled_agents(&self) -> usize {
        self.agents.iter().filter(|a| a.info.enabled).count()
    }

    /// The Brand Portal IMS configurations (Adobe allows one).
    pub fn bp_ims(&self) -> Vec<&ImsConfig> {
        self.ims_configs
            .iter()
            .filter(|c| c.is_brand_portal())
            .collect()
    }

    /// The Brand Portal IMS configuration, when there is one.
    pub fn bp_ims_config(&self) -> Option<&ImsConfig> {
        self.ims_configs.iter().find(|c| c.is_brand_portal())
    }

    /// Other integrations' IMS configurations (shown, never touched).
    pub fn other_ims(&self) -> Vec<&ImsConfig> {
        self.ims_configs
            .iter()
            .filter(|c| !c.is_brand_portal())
            .collect()
    }
}

/// Whole days from `now` (epoch seconds) until a keystore date (`not_after` as AEM writes it);
/// negative once expired.
/// A date as AEM's keystore writes it (`Sat Jan 01 00:00:00 UTC 2050`) in RFC 3339, or the
/// text as it is when it cannot be read.
pub fn java_date_rfc3339(text: &str) -> String {
    parse_java_date(text)
        .and_then(crate::when::rfc3339_secs)
        .unwrap_or_else(|| text.to_string())
}

/// `2050-01-01` from a keystore date (or the text as it is).
pub fn java_date_day(text: &str) -> String {
    parse_java_date(text)
        .map(crate::when::day)
        .unwrap_or_else(|| text.to_string())
}

pub fn days_until(not_after: &str, now: i64) -> Option<i64> {
    parse_java_date(not_after).map(|t| (t - now).div_euclid(86_400))
}

/// The Service URL check the cloud configuration step makes (a tenant URL, never an alias).
pub fn check_service_url(url: &str) -> Result<(), String> {
    crate::aem::cloud::validate_tenant_url(url).map(|_| ())
}
