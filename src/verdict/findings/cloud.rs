//! The Brand Portal cloud configuration: one per author, its Service URL, its IMS configuration.

use super::*;

pub(super) fn modern_clouds(ev: &Evidence) -> Vec<&CloudConfig> {
    ev.clouds
        .as_deref()
        .unwrap_or_default()
        .iter()
        .filter(|c| !c.legacy)
        .collect()
}

/// The cloud configuration of the tenant the doctor looks at.
pub(super) fn current_cloud(ev: &Evidence) -> Option<&CloudConfig> {
    let t = ev.tenant_url.as_deref()?;
    ev.clouds
        .as_deref()
        .ok()?
        .iter()
        .filter(|c| c.tenant_url.trim_end_matches('/').eq_ignore_ascii_case(t))
        .min_by_key(|c| c.legacy)
}

pub(super) fn cloud_config(ev: &Evidence) -> Finding {
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

/// Whether AEM's own record says the tenant's host does not resolve.
pub(super) fn unknown_host(ev: &Evidence) -> Option<String> {
    let facts = ev.facts();
    let test = ev.test_entries();
    std::iter::once(test.as_slice())
        .chain(facts.agents.iter().map(|(_, log)| *log))
        .filter_map(|log| facts.explain(log))
        .find(|c| c.kind == CauseKind::UnknownHost)
        .map(|c| c.evidence)
}

pub(super) fn service_url(ev: &Evidence) -> Finding {
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

pub(super) fn cloud_ims(ev: &Evidence) -> Finding {
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
