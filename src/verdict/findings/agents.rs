//! The four agents, their Close Connection, leftovers of old integrations, and the MAC user.

use super::*;

pub(super) fn agents(ev: &Evidence) -> Finding {
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
    // A 6.5 cloud configuration for this tenant: saving it again makes AEM create the agents.
    let saved = ev
        .clouds
        .as_deref()
        .unwrap_or_default()
        .iter()
        .any(|c| !c.legacy && c.tenant_url.trim_end_matches('/').eq_ignore_ascii_case(t));
    let resave = |f: Finding| {
        if saved {
            f.command("brandlink cloud resave")
        } else {
            f
        }
    };
    if n == 0 {
        let f = Finding::fail(
            id,
            format!("no Brand Portal replication agents publish to {t}"),
        );
        let f = if saved {
            f.cause("the cloud configuration was saved, but its agents are not there: AEM creates four agents when it is saved")
                .fix("save the cloud configuration again (Adobe's fix; brandlink backs its values up first), then run Test Connection on all four; if they still do not appear, open a ticket with Adobe support")
        } else {
            f.cause("AEM creates four agents when the cloud configuration is saved")
                .fix("open the cloud configuration and save it again (Adobe's fix for a missing agent), then run Test Connection on all four")
        };
        return resave(f).source(TROUBLESHOOTING);
    }
    if !disabled.is_empty() {
        return Finding::fail(id, format!("{} of {n} agents disabled: {}", disabled.len(), ids(&disabled)))
            .cause("publishing goes round-robin over all four agents; a disabled one makes some assets fail")
            .fix("enable it again (Tools → Replication → Agents on author); never disable a Brand Portal agent")
            .source(CONFIGURE);
    }
    if n != 4 {
        return resave(
            Finding::warn(
                id,
                format!("{n} Brand Portal agents publish to {t}; AEM creates four"),
            )
            .fix("save the cloud configuration again, then run Test Connection on all four"),
        )
        .source(TROUBLESHOOTING);
    }
    Finding::ok(id, format!("four agents publish to {t}, all enabled"))
}

pub(super) fn close_connection(ev: &Evidence) -> Finding {
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
    let facts = ev.facts();
    let timeouts = ev.agents.iter().any(|a| {
        facts
            .agent_cause(&a.info.id)
            .is_some_and(|c| c.kind == CauseKind::Timeout)
    });
    if !timeouts {
        // Adobe gives Close Connection as the fix for publish timeouts and otherwise asks to
        // leave the agents' generated settings alone: without timeouts there is nothing to fix.
        return Finding::ok(
            id,
            format!(
                "Close Connection is off on {} of {} agents, and no request has timed out (Adobe's fix for timeouts; not needed otherwise)",
                open.len(),
                ev.agents.len()
            ),
        );
    }
    let finding = format!(
        "Close Connection is off on {} of {} agents: {}",
        open.len(),
        ev.agents.len(),
        ids(&open)
    );
    let f = Finding::fail(id, finding)
        .cause("publishing times out, and Close Connection is Adobe's fix for it");
    f.fix("set Close Connection (agent → Edit → Extended) on all four; brandlink backs up each agent first")
        .command("brandlink agents --close-connection")
        .remedy(Remedy::CloseConnection(open.iter().map(|a| a.info.id.clone()).collect()))
        .source(TROUBLESHOOTING)
}

pub(super) fn leftovers(ev: &Evidence) -> Finding {
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

pub(super) fn publishers(ev: &Evidence) -> Vec<String> {
    let mut users: Vec<String> = ev
        .agents
        .iter()
        .filter_map(|a| a.info.transport_user.clone())
        .collect();
    users.sort();
    users.dedup();
    users
}

pub(super) fn mac_user(ev: &Evidence) -> Finding {
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

pub(super) fn mac_keystore(ev: &Evidence, _bp: Option<&ImsConfig>) -> Finding {
    let id = "mac.keystore";
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
    let facts = ev.facts();
    let Some(stale) = facts.stale_mac() else {
        let with_key = ev.macs.iter().find(|m| {
            m.keystore
                .as_ref()
                .is_ok_and(|k| k.exists && !k.aliases.is_empty())
        });
        return match with_key {
            None => Finding::ok(id, "the MAC user holds no key of its own"),
            Some(m)
                if super::super::diagnosis::current_cert(facts.service_keystore, facts.bp)
                    .is_none() =>
            {
                Finding::ok(
                    id,
                    format!(
                        "{} holds a key; the service user has no certificate to compare it with",
                        m.user.id
                    ),
                )
            }
            Some(m) => Finding::ok(
                id,
                format!("{} holds the service user's current certificate", m.user.id),
            ),
        };
    };
    let tenant = ev.tenant_url.clone().unwrap_or_default();
    let finding = format!(
        "{} holds a certificate ({}) other than the service user's current one (serial {})",
        stale.user,
        stale
            .theirs
            .map(|c| format!(
                "serial {}, until {}",
                c.serial_number,
                crate::evidence::view::java_date_day(&c.not_after)
            ))
            .unwrap_or_default(),
        stale.current.serial_number
    );
    // Positive evidence, but the upgrade is advised only when the token does not explain
    // the tenant's refusal better.
    match facts.token() {
        super::super::TokenState::Refused(c) => Finding::warn(id, finding)
            .cause(format!(
                "a stale MAC key makes Brand Portal answer 401, but AEM cannot obtain its token either ({}): fix that first",
                c.kind.label()
            ))
            .fix("fix the token first (see ims.token); then, if Brand Portal still answers 401, replace the integration")
            .source(TROUBLESHOOTING),
        _ => Finding::fail(id, finding)
            .cause("Adobe's documented cause of a bare 401 unauthorized: the MAC user lacks the current private key")
            .fix("Adobe's fix: delete the four agents, the cloud configuration and the MAC user, then configure anew (the upgrade backs them up first)")
            .command(format!("brandlink upgrade --tenant {tenant}"))
            .remedy(Remedy::Upgrade(tenant))
            .source(TROUBLESHOOTING),
    }
}
