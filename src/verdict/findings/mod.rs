//! The checks: pure functions of what was read, so that each can be tried on a synthetic
//! author. One file per part of the integration: `platform` (the author), `ims` (IMS
//! configuration, token, key pair), `cloud` (cloud configuration), `agents` (agents and MAC
//! user), `queues`; this file orders them and holds what they share. Sources:
//! `ims-and-brand-portal.md` §0, §4, §5 and `aem-http-api.md` §9, §13, §14.

use super::causes::CauseKind;
use super::diagnosis::Facts;
use super::thresholds::{CERT_WARN_DAYS, OLDEST_WARN_SECS, RETRIES_WARN};
use super::{Finding, Remedy, Status};
use crate::aem::AemError;
use crate::aem::cloud::{CloudConfig, validate_tenant_url};
use crate::aem::keystore::{CertSummary, parse_java_date};
use crate::evidence::{
    AgentEvidence, AuthType, Evidence, ImsConfig, OauthSupport, agent_tenant, is_brand_portal_agent,
};

const TROUBLESHOOTING: &str = "Adobe, Brand Portal: Troubleshoot issues in parallel publishing";
const CONFIGURE: &str = "Adobe, AEM 6.5: Configure AEM Assets with Brand Portal";
const IMS_DOC: &str = "Adobe, AEM 6.5: Set up IMS integrations (OAuth Server-to-Server)";
const JWT_EOL: &str =
    "Adobe Developer Console: JWT credentials end of life, migration to OAuth Server-to-Server";
const SOURCING: &str = "Adobe, Brand Portal: Asset Sourcing";
const BP_FAQ: &str = "Adobe, Brand Portal: FAQ";

mod agents;
mod bundles;
mod cloud;
mod ims;
mod platform;
mod queues;

use agents::*;
use bundles::*;
use cloud::*;
use ims::*;
use platform::*;
use queues::*;

/// Every check, in the order of the integration's steps.
pub fn all(ev: &Evidence, test: bool) -> Vec<Finding> {
    let mut out = vec![
        aem(ev),
        needed_bundles(ev),
        oauth_support(ev),
        ims_bundle(ev),
        health(ev),
    ];
    let bp = bp_ims(ev);
    out.push(ims_config(ev));
    out.push(ims_credential(ev, bp));
    out.push(token(ev, test));
    out.push(keypair(ev, bp));
    out.push(cloud_config(ev));
    out.push(service_url(ev));
    out.push(cloud_ims(ev));
    out.push(agents(ev));
    out.push(close_connection(ev));
    out.push(leftovers(ev));
    out.push(mac_user(ev));
    out.push(mac_keystore(ev, bp));
    out.push(blocked(ev));
    out.push(retries(ev));
    out.push(oldest(ev));
    out.push(paused(ev));
    out.push(sourcing(ev));
    out
}

/// AEM could not be read at all: the one finding there is.
pub fn unreachable(e: &AemError) -> Finding {
    let f = Finding::fail("aem", format!("cannot read the author: {e}"));
    match e {
        AemError::Unauthorized { .. } => f
            .cause("AEM rejects the credentials brandlink was given")
            .fix("check the user and the password (AEM_PASSWORD, --password-env or the profile's password_env) and try again"),
        AemError::NotAem { .. } => f.cause("the URL answers, but not as an AEM author").fix(
            "point --url at the author (host:port of the AEM author, not Dispatcher or publish)",
        ),
        _ => f.fix("check that the author is up and reachable from here (URL, proxy, --ca-cert)"),
    }
}

/// The Brand Portal IMS configuration, when there is exactly one.
fn bp_ims(ev: &Evidence) -> Option<&ImsConfig> {
    ev.bp_single()
}

/// `(6, 5, 21)` from `Adobe Experience Manager (6.5.21.0)`.
fn version(product: Option<&str>) -> Option<(u32, u32, u32)> {
    product
        .and_then(crate::evidence::AemVersion::parse)
        .map(|v| v.triple())
}

fn ids(agents: &[&AgentEvidence]) -> String {
    agents
        .iter()
        .map(|a| a.info.id.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests;
