//! The author's bundles and health checks: the bundles the integration needs (Active), the
//! Adobe IMS bundle's version for OAuth, and the Felix Health Checks about the link.

use super::super::bundles::{self, concerns_link, health_severity};
use super::*;

const BUNDLES_SOURCE: &str = "AEM 6.5 LTS SP3 in-place upgrade: com.adobe.granite.crypto.keystore stays Installed and replication stops (wttech/aemc#355)";
const IMS_BUNDLE_SOURCE: &str =
    "Adobe KB ka-37748: OAuth configuration fails with \"Invalid parameters (empty or null)!\"";
const HEALTH_SOURCE: &str = "Adobe, AEM 6.5 LTS: Felix Health Checks at /system/health";

/// `aem.bundles`: every bundle the integration needs is Active.
pub(super) fn needed_bundles(ev: &Evidence) -> Finding {
    let id = "aem.bundles";
    let r = &ev.readiness;
    let present = bundles::present(r);
    if present.is_empty() {
        return Finding::skip(
            id,
            "the bundle list names none of the bundles the integration needs",
        );
    }
    let down = bundles::inactive(r);
    let Some(first) = down.first() else {
        return Finding::ok(
            id,
            format!(
                "the {} bundles the integration needs are Active (crypto, keystore, IMS, OAuth, replication, Brand Portal)",
                present.len()
            ),
        );
    };
    let lines: Vec<String> = down.iter().map(|d| d.line()).collect();
    let mut fix = first.fix();
    for d in &down[1..] {
        fix.push_str(&format!("; {}", d.fix()));
    }
    Finding::fail(
        id,
        format!("{}: Brand Portal publishing stops", lines.join(", ")),
    )
    .cause(first.why())
    .fix(fix)
    .source(BUNDLES_SOURCE)
}

/// `aem.ims-bundle`: the Adobe IMS bundle is recent enough to save an OAuth configuration.
pub(super) fn ims_bundle(ev: &Evidence) -> Finding {
    let id = "aem.ims-bundle";
    // Where the version already says what OAuth needs (the hotfix that brings the bundle, or
    // an update), aem.oauth says it; this line is for an author that should take OAuth.
    if ev.oauth_support != OauthSupport::Yes {
        return Finding::skip(id, "what OAuth needs on this author is in aem.oauth");
    }
    let Some(old) = bundles::old_ims_bundle(&ev.readiness) else {
        let v = ev.readiness.ims_core.as_deref().unwrap_or("");
        return if v.is_empty() {
            Finding::skip(
                id,
                "the Adobe IMS bundle (adobeims.core) is not in the bundle list",
            )
        } else {
            Finding::ok(
                id,
                format!("the Adobe IMS bundle is {v}: OAuth configurations can be saved"),
            )
        };
    };
    let oauth_now = ev
        .bp_single()
        .is_some_and(|c| c.auth_type == AuthType::OauthServerToServer);
    let f = if oauth_now {
        Finding::fail(
            id,
            format!(
                "the Brand Portal IMS configuration is OAuth, but the Adobe IMS bundle is {}",
                old.version
            ),
        )
    } else {
        Finding::warn(
            id,
            format!(
                "the Adobe IMS bundle is {}: saving an OAuth configuration will fail",
                old.version
            ),
        )
    };
    f.cause(old.warning())
        .fix(old.fix())
        .source(IMS_BUNDLE_SOURCE)
}

/// `aem.health`: the Felix Health Checks about replication, IMS and the keys pass. Silent
/// (skip) where the author serves none.
pub(super) fn health(ev: &Evidence) -> Finding {
    let id = "aem.health";
    let checks = match &ev.health {
        Ok(None) => {
            return Finding::skip(id, "this author serves no Felix health checks");
        }
        Err(e) => return Finding::skip(id, format!("the health checks could not be read: {e}")),
        Ok(Some(c)) => c,
    };
    let ours: Vec<&crate::aem::health::HealthCheck> =
        checks.iter().filter(|h| concerns_link(h)).collect();
    if ours.is_empty() {
        return Finding::skip(
            id,
            format!(
                "none of the {} health checks concerns replication, IMS or the keystore",
                checks.len()
            ),
        );
    }
    let failing: Vec<(&crate::aem::health::HealthCheck, Status)> = ours
        .iter()
        .filter_map(|h| health_severity(h).map(|s| (*h, s)))
        .collect();
    let Some(worst) = failing.iter().map(|(_, s)| *s).max() else {
        return Finding::ok(
            id,
            format!(
                "{} health checks about replication, IMS and the keystore pass",
                ours.len()
            ),
        );
    };
    let names: Vec<String> = failing
        .iter()
        .map(|(h, _)| {
            let msg = h
                .messages
                .first()
                .map(|m| format!(": {m}"))
                .unwrap_or_default();
            format!("{} {}{msg}", h.name, h.status)
        })
        .collect();
    Finding::new(
        id,
        worst,
        format!("health check {}", names.join("; ")),
    )
    .cause("AEM's own health checks about replication, IMS or the keystore do not pass")
    .fix("open /system/health (Tools → Operations → Health Reports) for the check's log and fix what it reports; the doctor's aem.bundles and queue lines say more when they fail too")
    .source(HEALTH_SOURCE)
}
