//! The author itself: reachable and started, OAuth Server-to-Server support, Asset Sourcing.

use super::*;

pub(super) fn aem(ev: &Evidence) -> Finding {
    let r = &ev.readiness;
    let product = ev.aem_info().line();
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
        .cause(if crate::verdict::bundles::inactive(r).is_empty() {
            "AEM is starting, or bundles failed to resolve"
        } else {
            "bundles the integration needs are among them (see aem.bundles)"
        })
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

pub(super) fn oauth_support(ev: &Evidence) -> Finding {
    let id = "aem.oauth";
    let advice = ev.oauth_support.advice().unwrap_or_default();
    let info = ev.aem_info();
    match ev.oauth_support {
        OauthSupport::Yes if info.lts => Finding::ok(id, format!("OAuth Server-to-Server is built into {} (6.5 LTS includes every 6.5 service pack up to SP22): new setups use OAuth", info.label)),
        OauthSupport::Yes => Finding::ok(id, format!("OAuth Server-to-Server is supported on {} (6.5.21+ or the compatibility hotfix)", info.label)),
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

pub(super) fn sourcing(ev: &Evidence) -> Finding {
    let id = "sourcing";
    let Some((major, minor, sp)) = version(ev.readiness.product.as_deref()) else {
        return Finding::skip(
            id,
            "the AEM version could not be read: Asset Sourcing needs 6.5.2+",
        );
    };
    let v = ev.aem_info().label;
    let v = v.trim_start_matches("AEM ");
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
