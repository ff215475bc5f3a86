//! The author's product version, read once: AEM 6.5 LTS reports itself as 6.6.N, where N is
//! the LTS service pack (6.6.0 = LTS GA, 6.6.3 = LTS SP3); 6.5.N is AEM 6.5 SPN. Every screen
//! and report names the version through [`AemVersion::label`].

use serde::Serialize;

/// A product version as the author reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AemVersion {
    /// As reported, e.g. `6.6.3.0`.
    pub raw: String,
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl AemVersion {
    /// From the product line (`Adobe Experience Manager (6.6.3.0)`) or a bare version.
    pub fn parse(product: &str) -> Option<AemVersion> {
        let v = product
            .rsplit_once('(')
            .map(|(_, v)| v.trim_end_matches(')'))
            .unwrap_or(product)
            .trim();
        let parts: Vec<u32> = v.split('.').map_while(|x| x.trim().parse().ok()).collect();
        let (major, minor, patch) = match parts.as_slice() {
            [a, b, c, ..] => (*a, *b, *c),
            [a, b] => (*a, *b, 0),
            _ => return None,
        };
        Some(AemVersion {
            raw: v.to_string(),
            major,
            minor,
            patch,
        })
    }

    /// AEM 6.5 LTS (reported as 6.6.N).
    pub fn lts(&self) -> bool {
        (self.major, self.minor) == (6, 6)
    }

    /// The service pack: N of 6.5.N or of 6.6.N (LTS SPN); 0 = GA.
    pub fn service_pack(&self) -> u32 {
        self.patch
    }

    /// The three numbers, for comparisons.
    pub fn triple(&self) -> (u32, u32, u32) {
        (self.major, self.minor, self.patch)
    }

    /// `AEM 6.5 LTS SP3`, `AEM 6.5 LTS GA`, `AEM 6.5 SP21`, `AEM 6.4 SP8`.
    pub fn label(&self) -> String {
        let sp = match self.patch {
            0 => "GA".to_string(),
            n => format!("SP{n}"),
        };
        if self.lts() {
            format!("AEM 6.5 LTS {sp}")
        } else if self.major == 6 && self.minor <= 5 {
            format!("AEM {}.{} {sp}", self.major, self.minor)
        } else {
            format!("AEM {}", self.raw)
        }
    }
}

/// The author as every report shows it (`aem` in `status --json` and `doctor --json`).
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct AemInfo {
    /// The version the author reports (`6.6.3.0`); `null` when it could not be read.
    pub version: Option<String>,
    /// AEM 6.5 LTS (reported as 6.6.N).
    pub lts: bool,
    /// The service pack (LTS SPN on LTS; 0 = GA).
    pub service_pack: Option<u32>,
    /// In words: `AEM 6.5 LTS SP3`.
    pub label: String,
    /// `java.version` of the author's JVM, where its console shows it.
    pub java: Option<String>,
}

impl AemInfo {
    pub fn new(product: Option<&str>, java: Option<String>) -> AemInfo {
        let v = product.and_then(AemVersion::parse);
        AemInfo {
            version: v.as_ref().map(|v| v.raw.clone()),
            lts: v.as_ref().is_some_and(AemVersion::lts),
            service_pack: v.as_ref().map(AemVersion::service_pack),
            label: v
                .as_ref()
                .map(AemVersion::label)
                .unwrap_or_else(|| "AEM (version not readable)".into()),
            java,
        }
    }

    /// `AEM 6.5 LTS SP3 (6.6.3.0), Java 21.0.4`.
    pub fn line(&self) -> String {
        let mut s = self.label.clone();
        if let Some(v) = &self.version {
            s.push_str(&format!(" ({v})"));
        }
        if let Some(j) = &self.java {
            s.push_str(&format!(", Java {j}"));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lts_is_named_as_adobe_names_it() {
        let l = |p: &str| AemVersion::parse(p).map(|v| v.label());
        assert_eq!(
            l("Adobe Experience Manager (6.6.3.0)").as_deref(),
            Some("AEM 6.5 LTS SP3")
        );
        assert_eq!(l("6.6.0").as_deref(), Some("AEM 6.5 LTS GA"));
        assert_eq!(
            l("Adobe Experience Manager (6.5.21.0)").as_deref(),
            Some("AEM 6.5 SP21")
        );
        assert_eq!(l("6.4.8.0").as_deref(), Some("AEM 6.4 SP8"));
        assert_eq!(l("Adobe Experience Manager"), None);
        let i = AemInfo::new(
            Some("Adobe Experience Manager (6.6.3.0)"),
            Some("21.0.4".into()),
        );
        assert!(i.lts);
        assert_eq!(i.service_pack, Some(3));
        assert_eq!(i.line(), "AEM 6.5 LTS SP3 (6.6.3.0), Java 21.0.4");
        assert!(!AemInfo::new(Some("6.5.21.0"), None).lts);
    }
}
