//! The checks: pure functions of what was read, so that each can be tried on a synthetic
//! author. Sources: `ims-and-brand-portal.md` §0, §4, §5 and `aem-http-api.md` §9, §13, §14.

use super::causes::{self, CauseKind};
use super::evidence::{AgentEvidence, Evidence, agent_tenant, is_brand_portal_agent};
use super::{Finding, Remedy, Status};
use crate::aem::AemError;
use crate::aem::cloud::{CloudConfig, validate_tenant_url};
use crate::aem::keystore::{CertSummary, parse_java_date};
use crate::setup::snapshot::{AuthType, ImsConfig, OauthSupport};

const TROUBLESHOOTING: &str = "Adobe, Brand Portal: Troubleshoot issues in parallel publishing";
const CONFIGURE: &str = "Adobe, AEM 6.5: Configure AEM Assets with Brand Portal";
const IMS_DOC: &str = "Adobe, AEM 6.5: Set up IMS integrations (OAuth Server-to-Server)";
const JWT_EOL: &str =
    "Adobe Developer Console: JWT credentials end of life, migration to OAuth Server-to-Server";
const SOURCING: &str = "Adobe, Brand Portal: Asset Sourcing";
const BP_FAQ: &str = "Adobe, Brand Portal: FAQ";

/// Warn when the certificate has fewer days left.
pub const CERT_WARN_DAYS: i64 = 30;
/// A head item tried more often than this is worth a look.
pub const RETRIES_WARN: u64 = 3;
/// An item waiting longer than this (seconds) is worth a look.
pub const OLDEST_WARN_SECS: i64 = 5 * 60;

/// Every check, in the order of the integration's steps.
pub fn all(ev: &Evidence, test: bool) -> Vec<Finding> {
    let mut out = vec![aem(ev), oauth_support(ev)];
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
            .fix("check the user and BRANDLINK_AEM_PASSWORD (or the profile) and try again"),
        AemError::NotAem { .. } => f.cause("the URL answers, but not as an AEM author").fix(
            "point --url at the author (host:port of the AEM author, not Dispatcher or publish)",
        ),
        _ => f.fix("check that the author is up and reachable from here (URL, proxy, --ca-cert)"),
    }
}

/// The Brand Portal IMS configuration, when there is exactly one.
fn bp_ims(ev: &Evidence) -> Option<&ImsConfig> {
    let list = ev.ims.as_ref().ok()?;
    let bp: Vec<&ImsConfig> = list.iter().filter(|c| c.is_brand_portal()).collect();
    match bp.as_slice() {
        [one] => Some(one),
        _ => None,
    }
}

/// `(6, 5, 21)` from `Adobe Experience Manager (6.5.21.0)`.
fn version(product: Option<&str>) -> Option<(u32, u32, u32)> {
    let p = product?;
    let v = p
        .rsplit_once('(')
        .map(|(_, v)| v.trim_end_matches(')'))
        .unwrap_or(p);
    let parts: Vec<u32> = v.split('.').map_while(|x| x.trim().parse().ok()).collect();
    match parts.as_slice() {
        [a, b, c, ..] => Some((*a, *b, *c)),
        [a, b] => Some((*a, *b, 0)),
        _ => None,
    }
}

fn aem(ev: &Evidence) -> Finding {
    let r = &ev.readiness;
    let product = r
        .product
        .clone()
        .unwrap_or_else(|| "AEM (version not readable)".into());
    if !r.not_active.is_empty() {
        let mut names = r.not_active.clone();
        let more = names.len().saturating_sub(5);
        names.truncate(5);
        let list = names.join(", ")
            + &if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
        return Finding::fail(
            "aem",
            format!("{product}: {} of {} bundles are not active ({list})", r.bundles_total - r.bundles_active, r.bundles_total),
        )
        .cause("AEM is starting, or bundles failed to resolve")
        .fix("wait for the start to finish; if it persists, start the bundles in /system/console/bundles and read error.log");
    }
    if r.bundles_total == 0 {
        return Finding::fail("aem", format!("{product}: the bundle list is empty"))
            .fix("wait for AEM to finish starting");
    }
    if !r.login_page {
        return Finding::warn(
            "aem",
            format!(
                "{product}, {} bundles active; the login page did not answer as AEM's",
                r.bundles_active
            ),
        )
        .cause("a Dispatcher or proxy may stand in front of the author")
        .fix("point --url at the author itself");
    }
    Finding::ok(
        "aem",
        format!(
            "{product}, credentials accepted, all {} bundles active",
            r.bundles_active
        ),
    )
}

fn oauth_support(ev: &Evidence) -> Finding {
    let id = "aem.oauth";
    let advice = ev.oauth_support.advice().unwrap_or_default();
    match ev.oauth_support {
        OauthSupport::Yes => Finding::ok(id, "OAuth Server-to-Server is supported (AEM 6.5.21+ or the compatibility hotfix)"),
        OauthSupport::WithHotfix => Finding::warn(id, "OAuth Server-to-Server needs the compatibility hotfix on this service pack")
            .cause(advice)
            .fix("install ims-jwt-compatibility-package-6.5-1.0, or update to AEM 6.5.21 (SP21) or later")
            .source(IMS_DOC),
        OauthSupport::No => Finding::fail(id, "this author cannot use OAuth Server-to-Server, and Adobe has retired JWT")
            .cause(advice)
            .fix("update AEM to 6.5.21 (SP21) or later (or SP11–SP20 with the ims-jwt-compatibility hotfix), then `brandlink account migrate`")
            .source(JWT_EOL),
        OauthSupport::Unknown => Finding::warn(id, "the AEM version could not be read, so OAuth support is unknown")
            .cause(advice)
            .fix("check /system/console/productinfo: OAuth Server-to-Server needs 6.5.21 (SP21)"),
    }
}

fn others_note(list: &[ImsConfig]) -> String {
    let others: Vec<String> = list
        .iter()
        .filter(|c| !c.is_brand_portal())
        .map(|c| c.label())
        .collect();
    if others.is_empty() {
        String::new()
    } else {
        format!(
            "; other integrations' configurations, left alone: {}",
            others.join(", ")
        )
    }
}

fn ims_config(ev: &Evidence) -> Finding {
    let id = "ims.config";
    let list = match &ev.ims {
        Ok(l) => l,
        Err(e) => return Finding::fail(id, format!("cannot read the IMS configurations: {e}")),
    };
    let others = others_note(list);
    let bp: Vec<&ImsConfig> = list.iter().filter(|c| c.is_brand_portal()).collect();
    match bp.as_slice() {
        [] => Finding::fail(id, format!("no Brand Portal IMS configuration{others}"))
            .fix("create it with OAuth Server-to-Server (the Developer Console's credential)")
            .command("brandlink account create")
            .source(CONFIGURE),
        [c] => Finding::ok(id, format!("one Brand Portal IMS configuration: {} ({}){others}", c.label(), c.auth_type)),
        many => Finding::fail(
            id,
            format!(
                "{} Brand Portal IMS configurations: {}{others}",
                many.len(),
                many.iter().map(|c| c.label()).collect::<Vec<_>>().join(", ")
            ),
        )
        .cause("Adobe allows one IMS configuration for Brand Portal; with several, which one AEM uses is undefined")
        .fix("keep the one the cloud configuration names and delete the others (backed up first)")
        .command("brandlink account delete --ims PID")
        .source(CONFIGURE),
    }
}

fn ims_credential(ev: &Evidence, bp: Option<&ImsConfig>) -> Finding {
    let id = "ims.credential";
    let Some(c) = bp else {
        return Finding::skip(id, "no single Brand Portal IMS configuration to look at");
    };
    match c.auth_type {
        AuthType::Jwt => {
            // Whether IMS still takes it is the token check's to say; retired it is either way.
            let f = Finding::warn(id, format!("{} uses a JWT credential, which Adobe has retired", c.label()))
                .cause("no new JWT credentials since 2024; existing ones were switched off or converted by 2026-03-01, after which IMS refuses them")
                .source(JWT_EOL);
            if ev.oauth_support == OauthSupport::No {
                f.fix("update AEM to 6.5.21 (SP21), then migrate the configuration in place to OAuth Server-to-Server")
            } else {
                f.fix("migrate it in place to OAuth Server-to-Server (same configuration, same client id)")
                    .command("brandlink account migrate")
                    .remedy(Remedy::Migrate)
            }
        }
        AuthType::OauthServerToServer => {
            let mut missing = Vec::new();
            if c.client_id.trim().is_empty() {
                missing.push("the client id");
            }
            if c.org_id.as_deref().is_none_or(|o| o.trim().is_empty()) {
                missing.push("the org id");
            }
            if c.scopes.is_empty() {
                missing.push("the scopes");
            }
            if !c.has_secret {
                missing.push("a paired customizer (customizer.type) holding the client secret");
            }
            if missing.is_empty() {
                Finding::ok(
                    id,
                    format!(
                        "OAuth Server-to-Server: client {}, org {}, {} scopes, client secret stored",
                        c.client_id,
                        c.org_id.as_deref().unwrap_or(""),
                        c.scopes.len()
                    ),
                )
            } else {
                Finding::fail(id, format!("{} lacks {}", c.label(), missing.join(", ")))
                    .cause("AEM cannot request a token without them")
                    .fix("enter the Developer Console's OAuth Server-to-Server values again")
                    .command(update_command(c))
                    .source(IMS_DOC)
            }
        }
    }
}

/// `brandlink account update` with the flags for what an OAuth configuration lacks.
fn update_command(c: &ImsConfig) -> String {
    let mut cmd = String::from("brandlink account update");
    if c.client_id.trim().is_empty() {
        cmd.push_str(" --api-key ID");
    }
    if c.org_id.as_deref().is_none_or(|o| o.trim().is_empty()) {
        cmd.push_str(" --org-id ORG");
    }
    if c.scopes.is_empty() {
        cmd.push_str(" --scopes LIST");
    }
    if !c.has_secret {
        cmd.push_str(" --secret");
    }
    cmd
}

fn token(ev: &Evidence, test: bool) -> Finding {
    let id = "ims.token";
    let Some(run) = &ev.test else {
        return if !test {
            Finding::skip(
                id,
                "Test Connection not run (--no-test): whether AEM obtains a token is not known",
            )
        } else {
            Finding::skip(
                id,
                "no enabled Brand Portal agent to run Test Connection on",
            )
        };
    };
    let t = match run {
        Ok(t) => t,
        Err(e) => return Finding::fail(id, format!("Test Connection could not run: {e}")),
    };
    if t.success {
        return Finding::ok(
            id,
            format!(
                "AEM obtained a token with what it stores, and Brand Portal accepted it (Test Connection on {})",
                t.agent
            ),
        );
    }
    let f = |what: &str| {
        Finding::fail(id, format!("Test Connection on {} failed: {what}", t.agent))
            .source(TROUBLESHOOTING)
    };
    match causes::explain(&t.transcript) {
        Some(c) => {
            let f = f(c.kind.label()).explained(&c);
            match c.kind {
                CauseKind::JwtRetired => f.remedy(Remedy::Migrate),
                CauseKind::Timeout => f.remedy(Remedy::CloseConnection(ev.agents.iter().map(|a| a.info.id.clone()).collect())),
                _ => f,
            }
        }
        None => f(&t.summary).fix("read the agent log (brandlink agents --test shows the transcript) and fix what it reports"),
    }
}

fn days_left(c: &CertSummary, now: i64) -> Option<i64> {
    parse_java_date(&c.not_after).map(|t| (t - now).div_euclid(86_400))
}

fn keypair(ev: &Evidence, bp: Option<&ImsConfig>) -> Finding {
    let id = "jwt.certificate";
    let Some(c) = bp else {
        return Finding::skip(id, "no single Brand Portal IMS configuration to look at");
    };
    if c.auth_type != AuthType::Jwt {
        return Finding::skip(id, "not needed: OAuth Server-to-Server uses no key pair");
    }
    let Some(alias) = c.keypair_alias.as_deref().filter(|a| !a.is_empty()) else {
        return Finding::fail(id, "the JWT configuration names no key pair alias")
            .fix("migrate to OAuth Server-to-Server, which needs none")
            .command("brandlink account migrate")
            .remedy(Remedy::Migrate);
    };
    let ks = match &ev.keystore {
        Err(e) => {
            return Finding::fail(
                id,
                format!("cannot read the keystore of brandportal-imsconfig-service: {e}"),
            );
        }
        Ok(None) => {
            return Finding::fail(id, "the service user brandportal-imsconfig-service does not exist")
                .fix("it comes with the Brand Portal packages of AEM; migrate to OAuth Server-to-Server, which needs no key")
                .command("brandlink account migrate");
        }
        Ok(Some(ks)) => ks,
    };
    let Some(entry) = ks.alias(alias) else {
        return Finding::fail(id, format!("alias '{alias}' is not in the keystore of brandportal-imsconfig-service"))
            .cause("AEM cannot sign the JWT without its private key")
            .fix("migrate to OAuth Server-to-Server (no key needed), or create a key pair again and upload its certificate")
            .command("brandlink account migrate")
            .remedy(Remedy::Migrate);
    };
    let Some(leaf) = entry.chain.first() else {
        return Finding::warn(id, format!("alias '{alias}' holds no certificate"));
    };
    let day = crate::setup::snapshot::java_date_day(&leaf.not_after);
    match days_left(leaf, ev.read_at) {
        Some(d) if d < 0 => Finding::fail(id, format!("the certificate of alias '{alias}' expired on {day}"))
            .cause("IMS refuses a JWT signed for an expired certificate; publishing fails with 401")
            .fix("migrate to OAuth Server-to-Server (no certificate), or create a new certificate and upload it to the Developer Console")
            .command("brandlink account migrate")
            .remedy(Remedy::Migrate)
            .source(JWT_EOL),
        Some(d) if d < CERT_WARN_DAYS => Finding::warn(id, format!("the certificate of alias '{alias}' expires in {d} days ({day})"))
            .cause("Adobe mails the project's technical contact before it expires; after that, IMS refuses the JWT")
            .fix("migrate to OAuth Server-to-Server before then")
            .command("brandlink account migrate")
            .remedy(Remedy::Migrate),
        Some(d) => Finding::ok(id, format!("alias '{alias}', certificate valid until {day} ({d} days)")),
        None => Finding::warn(id, format!("alias '{alias}': the certificate's end date ({}) could not be read", leaf.not_after)),
    }
}

fn modern_clouds(ev: &Evidence) -> Vec<&CloudConfig> {
    ev.clouds
        .as_deref()
        .unwrap_or_default()
        .iter()
        .filter(|c| !c.legacy)
        .collect()
}

/// The cloud configuration of the tenant the doctor looks at.
fn current_cloud(ev: &Evidence) -> Option<&CloudConfig> {
    let t = ev.tenant_url.as_deref()?;
    ev.clouds
        .as_deref()
        .ok()?
        .iter()
        .filter(|c| c.tenant_url.trim_end_matches('/').eq_ignore_ascii_case(t))
        .min_by_key(|c| c.legacy)
}

fn cloud_config(ev: &Evidence) -> Finding {
    let id = "cloud.config";
    let clouds = match &ev.clouds {
        Ok(c) => c,
        Err(e) => return Finding::fail(id, format!("cannot read the cloud configurations: {e}")),
    };
    let modern = modern_clouds(ev);
    let legacy: Vec<&CloudConfig> = clouds.iter().filter(|c| c.legacy).collect();
    match modern.as_slice() {
        [] if !legacy.is_empty() => {
            let t = legacy[0].tenant_url.trim_end_matches('/').to_string();
            Finding::fail(id, format!("only a legacy configuration ({}) for {t}", legacy[0].path))
                .cause("the Legacy OAuth Gateway is gone; Adobe's path is to remove the old integration and configure anew")
                .fix("replace it: the upgrade backs up and removes the old agents, configuration and MAC user")
                .command(format!("brandlink upgrade --tenant {t}"))
                .remedy(Remedy::Upgrade(t))
                .source(CONFIGURE)
        }
        [] => Finding::fail(id, "no Brand Portal cloud configuration")
            .fix("create it (title, IMS configuration, the tenant's Service URL)")
            .command("brandlink cloud create")
            .source(CONFIGURE),
        [c] => {
            let mut f = Finding::ok(
                id,
                format!(
                    "one Brand Portal cloud configuration: {} → {}",
                    c.title, c.tenant_url
                ),
            );
            if !legacy.is_empty() {
                f = Finding::warn(
                    id,
                    format!(
                        "{} → {}, and a legacy configuration beside it ({})",
                        c.title, c.tenant_url, legacy[0].path
                    ),
                )
                .fix("remove the legacy integration")
                .command(format!(
                    "brandlink upgrade --tenant {}",
                    legacy[0].tenant_url.trim_end_matches('/')
                ))
                .remedy(Remedy::Upgrade(
                    legacy[0].tenant_url.trim_end_matches('/').to_string(),
                ));
            }
            f
        }
        many => {
            let current = ev.tenant_url.as_deref().unwrap_or("");
            let other = many
                .iter()
                .map(|c| c.tenant_url.trim_end_matches('/'))
                .find(|t| !t.eq_ignore_ascii_case(current))
                .unwrap_or("")
                .to_string();
            Finding::fail(
                id,
                format!(
                    "{} Brand Portal cloud configurations: {}",
                    many.len(),
                    many.iter().map(|c| format!("{} → {}", c.title, c.tenant_url)).collect::<Vec<_>>().join(", ")
                ),
            )
            .cause("one tenant belongs to one author and one author to one tenant; a second mediaportal configuration breaks Asset Sourcing")
            .fix(format!("keep the configuration of {current} and replace the other (backed up first)"))
            .command(format!("brandlink upgrade --tenant {other}"))
            .remedy(Remedy::Upgrade(other))
            .source(BP_FAQ)
        }
    }
}

/// Whether AEM's own words say the tenant's host does not resolve.
fn unknown_host(ev: &Evidence) -> Option<String> {
    let from_test = ev
        .test
        .as_ref()
        .and_then(|t| t.as_ref().ok())
        .and_then(|t| causes::explain(&t.transcript));
    let from_logs = ev.agents.iter().find_map(|a| {
        let log = a.log.as_ref().ok()?;
        let lines: Vec<&str> = log.iter().map(|l| l.message.as_str()).collect();
        causes::explain(&lines)
    });
    from_test
        .into_iter()
        .chain(from_logs)
        .find(|c| c.kind == CauseKind::UnknownHost)
        .map(|c| c.evidence)
}

fn service_url(ev: &Evidence) -> Finding {
    let id = "cloud.service-url";
    let Some(c) = current_cloud(ev) else {
        return Finding::skip(id, "no cloud configuration for the tenant");
    };
    let url = c.tenant_url.trim_end_matches('/');
    if let Err(e) = validate_tenant_url(url) {
        return Finding::fail(id, format!("Service URL {url}: {e}"))
            .cause("AEM publishes to the Service URL as it is; only the tenant-id URL works")
            .fix("configure anew with https://<tenant-id>.brand-portal.adobe.com")
            .command(format!("brandlink upgrade --tenant {url}"))
            .remedy(Remedy::Upgrade(url.to_string()))
            .source(CONFIGURE);
    }
    if let Some(line) = unknown_host(ev) {
        return Finding::fail(id, format!("Service URL {url} does not reach a tenant"))
            .cause(format!("an alias or mistyped URL: AEM can be configured only with the tenant-id URL ({line})"))
            .fix("configure anew with the tenant-id URL (Brand Portal: Settings → the tenant id)")
            .command(format!("brandlink upgrade --tenant {url}"))
            .remedy(Remedy::Upgrade(url.to_string()))
            .source(CONFIGURE);
    }
    Finding::ok(id, format!("Service URL {url} is a tenant URL"))
}

fn cloud_ims(ev: &Evidence) -> Finding {
    let id = "cloud.ims-config";
    let Some(c) = current_cloud(ev) else {
        return Finding::skip(id, "no cloud configuration for the tenant");
    };
    if c.legacy {
        return Finding::skip(id, "a legacy configuration uses no IMS configuration");
    }
    let list = ev.ims.as_deref().unwrap_or_default();
    match &c.ims_config {
        Some(name) => match list.iter().find(|i| i.is(name)) {
            Some(i) => Finding::ok(
                id,
                format!("{} names IMS configuration {}", c.title, i.label()),
            ),
            None => Finding::fail(
                id,
                format!(
                    "{} names IMS configuration '{name}', which does not exist",
                    c.title
                ),
            )
            .cause("AEM has no credentials to publish with")
            .fix("choose the Brand Portal IMS configuration in the cloud configuration again")
            .command("brandlink cloud create")
            .source(CONFIGURE),
        },
        None => Finding::fail(id, format!("{} names no IMS configuration", c.title))
            .fix("choose the Brand Portal IMS configuration in the cloud configuration")
            .command("brandlink cloud create"),
    }
}

fn ids(agents: &[&AgentEvidence]) -> String {
    agents
        .iter()
        .map(|a| a.info.id.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn agents(ev: &Evidence) -> Finding {
    let id = "agents";
    let Some(t) = &ev.tenant_url else {
        return Finding::skip(
            id,
            "no tenant: no cloud configuration names one (--tenant picks one)",
        );
    };
    if let Err(e) = &ev.all_agents {
        return Finding::fail(id, format!("cannot read the replication agents: {e}"));
    }
    let n = ev.agents.len();
    let disabled: Vec<&AgentEvidence> = ev.agents.iter().filter(|a| !a.info.enabled).collect();
    if n == 0 {
        return Finding::fail(id, format!("no Brand Portal replication agents publish to {t}"))
            .cause("AEM creates four agents when the cloud configuration is saved")
            .fix("open the cloud configuration and save it again (Adobe's fix for a missing agent), then run Test Connection on all four")
            .source(TROUBLESHOOTING);
    }
    if !disabled.is_empty() {
        return Finding::fail(id, format!("{} of {n} agents disabled: {}", disabled.len(), ids(&disabled)))
            .cause("publishing goes round-robin over all four agents; a disabled one makes some assets fail")
            .fix("enable it again (Tools → Replication → Agents on author); never disable a Brand Portal agent")
            .source(CONFIGURE);
    }
    if n != 4 {
        return Finding::warn(
            id,
            format!("{n} Brand Portal agents publish to {t}; AEM creates four"),
        )
        .fix("open the cloud configuration and save it again, then run Test Connection on all four")
        .source(TROUBLESHOOTING);
    }
    Finding::ok(id, format!("four agents publish to {t}, all enabled"))
}

fn close_connection(ev: &Evidence) -> Finding {
    let id = "agents.close-connection";
    if ev.agents.is_empty() {
        return Finding::skip(id, "no Brand Portal agents");
    }
    if current_cloud(ev).is_some_and(|c| c.legacy) {
        return Finding::skip(
            id,
            "the agents of a legacy integration: replace it first (cloud.config)",
        );
    }
    let open: Vec<&AgentEvidence> = ev
        .agents
        .iter()
        .filter(|a| !a.info.close_connection)
        .collect();
    if open.is_empty() {
        return Finding::ok(
            id,
            format!("Close Connection is set on all {}", ev.agents.len()),
        );
    }
    let timeouts = ev.agents.iter().any(|a| {
        a.log.as_ref().is_ok_and(|l| {
            let lines: Vec<&str> = l.iter().map(|l| l.message.as_str()).collect();
            causes::explain(&lines).is_some_and(|c| c.kind == CauseKind::Timeout)
        })
    });
    let finding = format!(
        "Close Connection is off on {} of {} agents: {}",
        open.len(),
        ev.agents.len(),
        ids(&open)
    );
    let f = if timeouts {
        Finding::fail(id, finding)
            .cause("publishing times out, and Close Connection is Adobe's fix for it")
    } else {
        Finding::warn(id, finding).cause("Adobe asks for it on all four: without it, publishing can time out with many items pending")
    };
    f.fix("set Close Connection (agent → Edit → Extended) on all four; brandlink backs up each agent first")
        .command("brandlink agents --close-connection")
        .remedy(Remedy::CloseConnection(open.iter().map(|a| a.info.id.clone()).collect()))
        .source(TROUBLESHOOTING)
}

fn leftovers(ev: &Evidence) -> Finding {
    let id = "agents.leftovers";
    let Ok(all) = &ev.all_agents else {
        return Finding::skip(id, "the replication agents could not be read");
    };
    let configured: Vec<String> = ev
        .clouds
        .as_deref()
        .unwrap_or_default()
        .iter()
        .map(|c| c.tenant_url.trim_end_matches('/').to_ascii_lowercase())
        .chain(ev.tenant_url.iter().map(|t| t.to_ascii_lowercase()))
        .collect();
    let mut orphans: Vec<(String, Vec<&str>)> = Vec::new();
    for a in all.iter().filter(|a| is_brand_portal_agent(a)) {
        let Some(t) = agent_tenant(a) else { continue };
        if configured.contains(&t) {
            continue;
        }
        match orphans.iter_mut().find(|(x, _)| *x == t) {
            Some((_, list)) => list.push(&a.id),
            None => orphans.push((t, vec![&a.id])),
        }
    }
    match orphans.first() {
        None => Finding::ok(
            id,
            "no Brand Portal agents of a tenant without a cloud configuration",
        ),
        Some((t, list)) => {
            let more = if orphans.len() > 1 {
                format!(" (and agents of {} more tenants)", orphans.len() - 1)
            } else {
                String::new()
            };
            Finding::warn(id, format!("{} Brand Portal agents publish to {t}, which has no cloud configuration: {}{more}", list.len(), list.join(", ")))
                .cause("leftovers of an old integration: they fail every item routed to them, and their MAC user keeps an old key")
                .fix("remove them with their MAC user (backed up first)")
                .command(format!("brandlink upgrade --tenant {t}"))
                .remedy(Remedy::Upgrade(t.clone()))
                .source(TROUBLESHOOTING)
        }
    }
}

fn publishers(ev: &Evidence) -> Vec<String> {
    let mut users: Vec<String> = ev
        .agents
        .iter()
        .filter_map(|a| a.info.transport_user.clone())
        .collect();
    users.sort();
    users.dedup();
    users
}

fn mac_user(ev: &Evidence) -> Finding {
    let id = "mac.user";
    if ev.agents.is_empty() {
        return Finding::skip(id, "no Brand Portal agents");
    }
    let users = publishers(ev);
    let tenant = ev.tenant_url.clone().unwrap_or_default();
    if users.is_empty() {
        return Finding::fail(id, "the Brand Portal agents name no transport user (MAC user)")
            .fix("configure anew: the upgrade removes the agents, and saving the cloud configuration creates them with their MAC user")
            .command(format!("brandlink upgrade --tenant {tenant}"))
            .remedy(Remedy::Upgrade(tenant))
            .source(TROUBLESHOOTING);
    }
    let missing: Vec<&String> = users
        .iter()
        .filter(|u| !ev.macs.iter().any(|m| &m.user.id == *u))
        .collect();
    if let Some(u) = missing.first() {
        return Finding::fail(id, format!("the agents publish as {u}, which does not exist"))
            .cause("without its MAC user, AEM cannot publish to the tenant")
            .fix("configure anew: the upgrade backs up and removes agents and cloud configuration; saving the cloud configuration creates the MAC user")
            .command(format!("brandlink upgrade --tenant {tenant}"))
            .remedy(Remedy::Upgrade(tenant))
            .source(TROUBLESHOOTING);
    }
    let shown: Vec<String> = ev
        .macs
        .iter()
        .map(|m| format!("{} ({})", m.user.id, m.user.path))
        .collect();
    if users.len() > 1 {
        return Finding::warn(
            id,
            format!(
                "the agents publish as different users: {}",
                shown.join(", ")
            ),
        )
        .cause("AEM creates one MAC user per tenant for its four agents")
        .fix("configure anew so that all four publish as the tenant's MAC user")
        .command(format!("brandlink upgrade --tenant {tenant}"));
    }
    Finding::ok(id, format!("the agents publish as {}", shown.join(", ")))
}

fn same_cert(a: &CertSummary, b: &CertSummary) -> bool {
    a.serial_number == b.serial_number && a.subject == b.subject
}

fn mac_keystore(ev: &Evidence, bp: Option<&ImsConfig>) -> Finding {
    let id = "mac.keystore";
    let with_keys: Vec<_> = ev
        .macs
        .iter()
        .filter_map(|m| match &m.keystore {
            Ok(ks) if ks.exists && !ks.aliases.is_empty() => Some((m, ks)),
            _ => None,
        })
        .collect();
    if ev.macs.is_empty() {
        return Finding::skip(id, "no MAC user to look at");
    }
    if let Some((m, e)) = ev
        .macs
        .iter()
        .find_map(|m| m.keystore.as_ref().err().map(|e| (m, e)))
    {
        return Finding::warn(
            id,
            format!("cannot read the keystore of {}: {e}", m.user.id),
        );
    }
    let Some((m, ks)) = with_keys.first() else {
        return Finding::ok(id, "the MAC user holds no key of its own");
    };
    // The service user's current certificate: the alias the IMS configuration names, else the first.
    let current = ev
        .keystore
        .as_ref()
        .ok()
        .and_then(Option::as_ref)
        .and_then(|k| {
            bp.and_then(|c| c.keypair_alias.as_deref())
                .and_then(|a| k.alias(a))
                .or(k.aliases.first())
                .and_then(|a| a.chain.first())
        });
    let Some(current) = current else {
        return Finding::ok(
            id,
            format!(
                "{} holds a key; the service user has no certificate to compare it with",
                m.user.id
            ),
        );
    };
    let matches = ks
        .aliases
        .iter()
        .filter_map(|a| a.chain.first())
        .any(|c| same_cert(c, current));
    if matches {
        return Finding::ok(
            id,
            format!("{} holds the service user's current certificate", m.user.id),
        );
    }
    let theirs = ks.aliases.iter().filter_map(|a| a.chain.first()).next();
    let tenant = ev.tenant_url.clone().unwrap_or_default();
    Finding::fail(
        id,
        format!(
            "{} holds a certificate ({}) other than the service user's current one ({})",
            m.user.id,
            theirs.map(|c| format!("serial {}, until {}", c.serial_number, crate::setup::snapshot::java_date_day(&c.not_after))).unwrap_or_default(),
            format_args!("serial {}", current.serial_number)
        ),
    )
    .cause("Adobe's documented cause of a bare 401 unauthorized: the MAC user lacks the current private key")
    .fix("Adobe's fix: delete the four agents, the cloud configuration and the MAC user, then configure anew (the upgrade backs them up first)")
    .command(format!("brandlink upgrade --tenant {tenant}"))
    .remedy(Remedy::Upgrade(tenant))
    .source(TROUBLESHOOTING)
}

fn queue_errors(ev: &Evidence) -> Option<Finding> {
    let (a, e) = ev
        .agents
        .iter()
        .find_map(|a| a.queue.as_ref().err().map(|e| (a, e)))?;
    Some(Finding::fail(
        "queues.blocked",
        format!("cannot read the queue of {}: {e}", a.info.id),
    ))
}

fn log_cause(a: &AgentEvidence) -> Option<causes::Cause> {
    let log = a.log.as_ref().ok()?;
    let lines: Vec<&str> = log.iter().map(|l| l.message.as_str()).collect();
    causes::explain(&lines)
}

fn blocked(ev: &Evidence) -> Finding {
    let id = "queues.blocked";
    if ev.agents.is_empty() {
        return Finding::skip(id, "no Brand Portal agents");
    }
    if let Some(f) = queue_errors(ev) {
        return f;
    }
    let stuck: Vec<&AgentEvidence> = ev
        .agents
        .iter()
        .filter(|a| a.queue.as_ref().is_ok_and(|q| q.blocked))
        .collect();
    if stuck.is_empty() {
        return Finding::ok(id, "no queue is blocked");
    }
    let items: usize = stuck
        .iter()
        .filter_map(|a| a.queue.as_ref().ok())
        .map(|q| q.items.len())
        .sum();
    let finding = format!(
        "{} of {} queues blocked ({}; {items} items listed)",
        stuck.len(),
        ev.agents.len(),
        ids(&stuck)
    );
    match stuck.iter().find_map(|a| log_cause(a)) {
        Some(c) => {
            let finding = format!("{finding}: {}", c.kind.label());
            let f = if c.kind.transient() {
                Finding::warn(id, finding)
            } else {
                Finding::fail(id, finding)
            };
            let f = f.explained(&c).source(TROUBLESHOOTING);
            match c.kind {
                CauseKind::JwtRetired => f.remedy(Remedy::Migrate),
                CauseKind::Timeout => f.remedy(Remedy::CloseConnection(
                    stuck.iter().map(|a| a.info.id.clone()).collect(),
                )),
                _ => f,
            }
        }
        None => Finding::fail(id, finding)
            .cause("the agent log does not say why")
            .fix("run Test Connection, fix what it reports; AEM retries by itself")
            .source(TROUBLESHOOTING),
    }
}

fn retries(ev: &Evidence) -> Finding {
    let id = "queues.retries";
    let heads: Vec<(&str, &crate::aem::queue::QueueItem)> = ev
        .agents
        .iter()
        .filter_map(|a| Some((a.info.id.as_str(), a.queue.as_ref().ok()?.items.first()?)))
        .filter(|(_, item)| item.attempts > RETRIES_WARN)
        .collect();
    match heads.iter().max_by_key(|(_, i)| i.attempts) {
        None if ev.agents.is_empty() => Finding::skip(id, "no Brand Portal agents"),
        None => Finding::ok(
            id,
            format!("no head item tried more than {RETRIES_WARN} times"),
        ),
        Some((agent, item)) => Finding::warn(
            id,
            format!(
                "the head item of {agent} ({}) was tried {} times{}",
                item.path,
                item.attempts,
                if heads.len() > 1 {
                    format!(", and {} more queues retry their head", heads.len() - 1)
                } else {
                    String::new()
                }
            ),
        )
        .cause("every attempt fails the same way; the items behind it wait")
        .fix(
            "run Test Connection and fix what it reports (the queues.blocked line names the cause)",
        )
        .source(TROUBLESHOOTING),
    }
}

fn wait_words(secs: i64) -> String {
    match secs {
        s if s < 120 => format!("{s} seconds"),
        s if s < 7200 => format!("{} minutes", s / 60),
        s if s < 172_800 => format!("{} hours", s / 3600),
        s => format!("{} days", s / 86_400),
    }
}

fn oldest(ev: &Evidence) -> Finding {
    let id = "queues.oldest";
    if ev.agents.is_empty() {
        return Finding::skip(id, "no Brand Portal agents");
    }
    let now_ms = ev.read_at * 1000;
    let oldest = ev
        .agents
        .iter()
        .filter_map(|a| {
            let q = a.queue.as_ref().ok()?;
            q.items
                .iter()
                .filter(|i| i.time > 0)
                .min_by_key(|i| i.time)
                .map(|i| (a.info.id.as_str(), i))
        })
        .min_by_key(|(_, i)| i.time);
    match oldest {
        None => Finding::ok(id, "the queues are empty"),
        Some((agent, item)) => {
            let age = (now_ms - item.time) / 1000;
            if age > OLDEST_WARN_SECS {
                Finding::warn(id, format!("the oldest item ({}, on {agent}) has waited {}", item.path, wait_words(age)))
                    .cause("items should reach Brand Portal within minutes")
                    .fix("see queues.blocked and queues.paused; if neither, the tenant is slow: watch the queues (brandlink queues --watch)")
                    .source(TROUBLESHOOTING)
            } else {
                Finding::ok(
                    id,
                    format!("the oldest item has waited {}", wait_words(age.max(0))),
                )
            }
        }
    }
}

fn paused(ev: &Evidence) -> Finding {
    let id = "queues.paused";
    if ev.agents.is_empty() {
        return Finding::skip(id, "no Brand Portal agents");
    }
    let held: Vec<&AgentEvidence> = ev
        .agents
        .iter()
        .filter(|a| a.queue.as_ref().is_ok_and(|q| q.paused))
        .collect();
    if held.is_empty() {
        return Finding::ok(id, "no queue is paused");
    }
    let since: Vec<String> = held
        .iter()
        .map(|a| {
            let when = a.log.as_ref().ok().and_then(|l| {
                l.iter()
                    .rev()
                    .find(|l| l.message.contains("Queue paused"))
                    .and_then(|l| l.time.clone())
            });
            match when {
                Some(t) => format!("{} since {t}", a.info.id),
                None => format!("{} (the log does not say since when)", a.info.id),
            }
        })
        .collect();
    Finding::warn(id, format!("paused: {}", since.join(", ")))
        .cause("a paused queue holds its items; AEM lifts a pause after about an hour, so someone may have paused it on purpose")
        .fix("resume it when the work that needed the pause is done (Replication tab: p)")
        .remedy(Remedy::Resume(held.iter().map(|a| a.info.id.clone()).collect()))
}

fn sourcing(ev: &Evidence) -> Finding {
    let id = "sourcing";
    let Some((major, minor, sp)) = version(ev.readiness.product.as_deref()) else {
        return Finding::skip(
            id,
            "the AEM version could not be read: Asset Sourcing needs 6.5.2+",
        );
    };
    let v = format!("{major}.{minor}.{sp}");
    let two_clouds = modern_clouds(ev).len() > 1;
    let f = if (major, minor) < (6, 5) || (major, minor, sp) < (6, 5, 2) {
        Finding::skip(
            id,
            format!("Asset Sourcing is not available on AEM {v} (needs 6.5.2+)"),
        )
    } else if sp < 9 && (major, minor) == (6, 5) {
        let bug = if sp == 4 {
            "; 6.5.4 has a known bug publishing contributions back to AEM (fixed in 6.5.5)"
        } else {
            ""
        };
        Finding::warn(id, format!("Asset Sourcing on AEM {v} is off unless its feature flag is on{bug}"))
            .fix("turn on the OSGi \"Asset Sourcing Feature Flag Config\" (feature.flag.active.status), or update to 6.5.9+ where it is on by default")
    } else {
        Finding::ok(
            id,
            format!("Asset Sourcing is available on AEM {v} (on by default since 6.5.9)"),
        )
    };
    if two_clouds && f.status != Status::Skip {
        return Finding::fail(id, format!("Asset Sourcing on AEM {v} breaks: this author has more than one Brand Portal cloud configuration"))
            .cause("contributions reach one author only; with two configurations the agent never receives the token")
            .fix("keep one configuration per author (see cloud.config)")
            .source(BP_FAQ);
    }
    f.source(SOURCING)
}

#[cfg(test)]
mod tests;
