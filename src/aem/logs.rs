//! AEM's own logs beyond the agents': `error.log` through the Sling log web console plugin's
//! tailer, and the author's time zone from Felix's status dump (log times are written in it).
//! Both need Felix console rights and are missing on some authors: callers degrade to "not
//! known" on 401/403/404.

use super::{AemClient, AemError};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

/// The tailer's appender name for `error.log`.
pub const ERROR_LOG: &str = "/logs/error.log";

impl AemClient {
    /// The last `tail` lines of an appender's log that contain `grep`, oldest first
    /// (`GET /system/console/slinglog/tailer.txt`).
    pub async fn log_tail(
        &self,
        name: &str,
        grep: &str,
        tail: u32,
    ) -> Result<Vec<String>, AemError> {
        let path = format!(
            "/system/console/slinglog/tailer.txt?tail={tail}&grep={}&name={}",
            utf8_percent_encode(grep, NON_ALPHANUMERIC),
            utf8_percent_encode(name, NON_ALPHANUMERIC),
        );
        let body = self.get(&path).await?.text();
        Ok(body
            .lines()
            .map(str::trim_end)
            .filter(|l| !l.trim().is_empty())
            .map(str::to_string)
            .collect())
    }

    /// The author's time zone name (`user.timezone` of the System Properties status dump), when
    /// the console shows it.
    pub async fn time_zone(&self) -> Result<Option<String>, AemError> {
        Ok(self.system_properties().await?.zone)
    }

    /// What the System Properties status dump tells: the time zone and the Java version.
    pub async fn system_properties(&self) -> Result<SystemProperties, AemError> {
        let body = self
            .get("/system/console/status-System%20Properties.txt")
            .await?
            .text();
        Ok(SystemProperties {
            zone: parse_time_zone(&body),
            java_version: property(&body, "java.version"),
        })
    }
}

/// The System Properties the verdicts use.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SystemProperties {
    pub zone: Option<String>,
    /// `java.version`, e.g. `21.0.4`.
    pub java_version: Option<String>,
}

/// `user.timezone = Europe/Berlin` (or `user.timezone: …`) from a status dump.
pub fn parse_time_zone(dump: &str) -> Option<String> {
    property(dump, "user.timezone")
}

/// `name = value` (or `name: value`) from a status dump.
pub fn property(dump: &str, name: &str) -> Option<String> {
    dump.lines().find_map(|l| {
        let rest = l.trim().strip_prefix(name)?;
        // `java.version` must not match `java.version.date`.
        let v = rest.trim_start();
        let v = v.strip_prefix('=').or_else(|| v.strip_prefix(':'))?.trim();
        (!v.is_empty()).then(|| v.to_string())
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_zone_from_the_status_dump() {
        let dump =
            "*** System Properties:\n java.version = 11.0.2\n user.timezone = Asia/Kolkata\n";
        assert_eq!(
            super::parse_time_zone(dump).as_deref(),
            Some("Asia/Kolkata")
        );
        assert_eq!(
            super::parse_time_zone("user.timezone: UTC").as_deref(),
            Some("UTC")
        );
        assert_eq!(super::parse_time_zone("user.timezone = "), None);
        assert_eq!(
            super::property(dump, "java.version").as_deref(),
            Some("11.0.2")
        );
        assert_eq!(
            super::property("java.version.date = x", "java.version"),
            None
        );
    }
}
