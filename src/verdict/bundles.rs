//! The OSGi bundles the integration needs, in one table, and what it means when one is not
//! Active; the Adobe IMS bundle's version OAuth needs; which Felix Health Checks concern the
//! link. Sources: `ims-and-brand-portal.md` §4.3, §5.7, §5.8; `aem-http-api.md` §10.

use super::causes::{Cause, CauseKind};
use super::thresholds::IMS_BUNDLE_OAUTH;
use crate::aem::health::HealthCheck;
use crate::aem::readiness::{BundleInfo, Readiness};

/// A bundle the integration needs: its symbolic names (they differ across versions) and
/// what it does for Brand Portal.
pub struct Needed {
    pub names: &'static [&'static str],
    pub role: &'static str,
}

/// Every bundle the integration needs. One that is present and not Active stops publishing
/// to Brand Portal (a bundle a version does not ship is not asked for).
pub const NEEDED: &[Needed] = &[
    Needed {
        names: &["com.adobe.granite.crypto"],
        role: "Granite Crypto (decrypts the keys and secrets AEM stores)",
    },
    Needed {
        names: &[
            "com.adobe.granite.crypto.keystore",
            "com.adobe.granite.keystore",
        ],
        role: "Granite keystore support (the keys AEM and the MAC user sign with)",
    },
    Needed {
        names: &["com.adobe.granite.auth.ims"],
        role: "Granite IMS (the IMS configurations)",
    },
    Needed {
        names: &["com.adobe.granite.auth.oauth"],
        role: "Granite OAuth (the access token provider)",
    },
    Needed {
        names: &[
            "com.adobe.cq.adobeims.core",
            "com.adobe.granite.adobeims.core",
        ],
        role: "Adobe IMS configuration (adobeims.core)",
    },
    Needed {
        names: &["com.day.cq.cq-replication"],
        role: "CQ Replication (the agents)",
    },
    Needed {
        names: &["com.adobe.granite.replication.core"],
        role: "Granite Replication (the queues)",
    },
    Needed {
        names: &["com.day.cq.dam.cq-dam-mac-sync"],
        role: "Brand Portal's DAM bundle (publishing to Brand Portal)",
    },
];

/// A needed bundle that is not Active.
pub struct Inactive<'a> {
    pub bundle: &'a BundleInfo,
    pub role: &'static str,
}

/// The needed bundles the author has, with their role.
pub fn present(r: &Readiness) -> Vec<(&BundleInfo, &'static str)> {
    NEEDED
        .iter()
        .flat_map(|n| {
            n.names
                .iter()
                .filter_map(|name| r.bundle(name).map(|b| (b, n.role)))
        })
        .collect()
}

/// The needed bundles that are present and not Active (fragments are never Active).
pub fn inactive(r: &Readiness) -> Vec<Inactive<'_>> {
    present(r)
        .into_iter()
        .filter(|(b, _)| !b.fragment && !b.state.eq_ignore_ascii_case("Active"))
        .map(|(bundle, role)| Inactive { bundle, role })
        .collect()
}

impl Inactive<'_> {
    /// `com.adobe.granite.crypto.keystore 4.0.24 is Installed`.
    pub fn line(&self) -> String {
        format!(
            "{} {} is {}",
            self.bundle.symbolic_name, self.bundle.version, self.bundle.state
        )
    }

    /// Why a bundle stays in its state.
    pub fn why(&self) -> String {
        let name = &self.bundle.symbolic_name;
        match self.bundle.state.to_ascii_lowercase().as_str() {
            "installed" => format!(
                "{} is Installed, not Active: OSGi cannot resolve it because a bundle it needs is missing or too old (after an in-place upgrade to 6.5 LTS SP3, com.adobe.granite.crypto.keystore needs a newer Granite Crypto); replication stops with it",
                self.role_of(name)
            ),
            "resolved" => format!(
                "{} is Resolved, not Active: it was stopped, or it failed to start; replication stops with it",
                self.role_of(name)
            ),
            other => format!(
                "{} is {other}, not Active: AEM may still be starting; replication stops until it is",
                self.role_of(name)
            ),
        }
    }

    fn role_of(&self, name: &str) -> String {
        format!("{} ({name})", self.role)
    }

    /// What to do about it.
    pub fn fix(&self) -> String {
        let name = &self.bundle.symbolic_name;
        match self.bundle.state.to_ascii_lowercase().as_str() {
            "installed" => format!(
                "install the bundle {name} needs — the Granite Crypto bundle or Adobe's hotfix for this service pack — then restart AEM; /system/console/bundles/{name} lists the imports it lacks"
            ),
            "resolved" => format!(
                "start {name} (/system/console/bundles → Start); if it does not stay Active, read error.log for it, install what it reports and restart AEM"
            ),
            _ => format!(
                "wait for AEM to finish starting; if {name} stays so, restart AEM and read error.log"
            ),
        }
    }
}

/// The cause of every failure to publish while a needed bundle is not Active: it comes before
/// whatever the logs say (nothing replicates until the bundle is back).
pub fn cause(r: &Readiness) -> Option<Cause> {
    let first = inactive(r).into_iter().next()?;
    Some(Cause {
        kind: CauseKind::BundleInactive,
        cause: first.why(),
        fix: first.fix(),
        command: None,
        evidence: first.line(),
        named: Some(format!(
            "bundle {} is {}",
            first.bundle.symbolic_name, first.bundle.state
        )),
    })
}

/// The Adobe IMS bundle when it is older than OAuth needs.
pub struct OldImsBundle {
    pub symbolic_name: String,
    pub version: String,
}

fn numbers(v: &str) -> Vec<u32> {
    v.split('.').map_while(|p| p.trim().parse().ok()).collect()
}

/// `adobeims.core` older than 1.1.26: saving an OAuth configuration fails.
pub fn old_ims_bundle(r: &Readiness) -> Option<OldImsBundle> {
    let (name, version) = r
        .bundles
        .iter()
        .find(|b| {
            b.symbolic_name
                .to_ascii_lowercase()
                .ends_with("adobeims.core")
        })
        .map(|b| (b.symbolic_name.clone(), b.version.clone()))
        .or_else(|| {
            r.ims_core
                .clone()
                .map(|v| ("com.adobe.cq.adobeims.core".to_string(), v))
        })?;
    let n = numbers(&version);
    (!n.is_empty() && n < IMS_BUNDLE_OAUTH.to_vec()).then_some(OldImsBundle {
        symbolic_name: name,
        version,
    })
}

impl OldImsBundle {
    /// The warning, said before the operator saves an OAuth configuration.
    pub fn warning(&self) -> String {
        let [a, b, c] = IMS_BUNDLE_OAUTH;
        format!(
            "the Adobe IMS bundle {} is {}, older than the {a}.{b}.{c} OAuth Server-to-Server needs: saving an OAuth IMS configuration fails with \"Unable to create/update configuration: Invalid parameters (empty or null)!\"",
            self.symbolic_name, self.version
        )
    }

    /// What to install.
    pub fn fix(&self) -> &'static str {
        "install ims-jwt-compatibility-package-6.5-1.0 (AEM 6.5 SP11–SP20), or the service pack that brings adobeims.core 1.1.26 (6.5 SP21 or later, 6.5 LTS); check /system/console/bundles, then save the OAuth configuration"
    }
}

/// Words that mark a health check as one about the link.
const HEALTH_TOPICS: &[&str] = &[
    "replication",
    "ims",
    "keystore",
    "crypto",
    "token",
    "brand portal",
];

/// Whether a health check concerns replication, IMS or the keys (by its tags or name).
pub fn concerns_link(h: &HealthCheck) -> bool {
    let name = h.name.to_ascii_lowercase();
    let word = |t: &str| {
        name.split(|c: char| !c.is_ascii_alphanumeric())
            .any(|w| w == t)
            || (t.contains(' ') && name.contains(t))
    };
    h.tags.iter().any(|t| {
        let t = t.to_ascii_lowercase();
        HEALTH_TOPICS.contains(&t.as_str())
    }) || HEALTH_TOPICS.iter().any(|t| word(t))
}

/// How bad a health check's status is: `None` when fine.
pub fn health_severity(h: &HealthCheck) -> Option<super::Status> {
    match h.status.as_str() {
        "OK" | "INFO" | "DEBUG" => None,
        "WARN" | "TEMPORARILY_UNAVAILABLE" => Some(super::Status::Warn),
        _ => Some(super::Status::Fail),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(name: &str, version: &str, state: &str) -> BundleInfo {
        BundleInfo {
            symbolic_name: name.into(),
            name: name.into(),
            version: version.into(),
            state: state.into(),
            fragment: false,
        }
    }

    #[test]
    fn the_needed_bundles_and_the_ims_version() {
        let mut r = Readiness {
            bundles: vec![
                b("com.adobe.granite.crypto.keystore", "4.0.24", "Installed"),
                b("com.day.cq.cq-replication", "6.4.90", "Active"),
                b("com.adobe.cq.adobeims.core", "1.1.18", "Active"),
                b("org.apache.felix.framework", "7", "Resolved"),
            ],
            ..Default::default()
        };
        let list = inactive(&r);
        assert_eq!(list.len(), 1);
        assert!(list[0].why().contains("Granite Crypto"));
        let c = cause(&r).unwrap();
        assert_eq!(c.kind, CauseKind::BundleInactive);
        assert_eq!(
            c.label(),
            "bundle com.adobe.granite.crypto.keystore is Installed"
        );
        assert!(old_ims_bundle(&r).unwrap().warning().contains("1.1.18"));
        r.bundles[2].version = "1.1.26".into();
        assert!(old_ims_bundle(&r).is_none());
        r.bundles[0].state = "Resolved".into();
        assert!(inactive(&r)[0].fix().starts_with("start "));
        r.bundles[0].state = "Active".into();
        assert!(cause(&r).is_none());
    }

    #[test]
    fn health_checks_about_the_link() {
        let h = |name: &str, tags: &[&str], status: &str| HealthCheck {
            name: name.into(),
            status: status.into(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            messages: vec![],
        };
        assert!(concerns_link(&h("Replication Queue", &[], "OK")));
        assert!(concerns_link(&h("Keys", &["keystore"], "OK")));
        assert!(!concerns_link(&h("Disk Space", &["system"], "WARN")));
        assert!(
            !concerns_link(&h("Timestamps", &[], "WARN")),
            "not 'ims' inside a word"
        );
        assert_eq!(
            health_severity(&h("x", &[], "CRITICAL")),
            Some(super::super::Status::Fail)
        );
        assert_eq!(health_severity(&h("x", &[], "OK")), None);
    }
}
