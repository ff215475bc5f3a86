//! Every threshold a verdict uses, in one table (the README's "what brandlink concludes"
//! section quotes them).

/// Warn when the JWT certificate has fewer days left.
pub const CERT_WARN_DAYS: i64 = 30;
/// A queue head tried more often than this is worth a look.
pub const RETRIES_WARN: u64 = 3;
/// An item waiting longer than this (seconds) is worth a look.
pub const OLDEST_WARN_SECS: i64 = 5 * 60;
/// A queue with items that has not moved for this long is not draining (ms).
pub const NOT_DRAINING_MS: i64 = 5 * 60_000;
/// AEM creates this many Brand Portal agents per tenant.
pub const EXPECTED_AGENTS: usize = 4;
/// The Adobe IMS bundle (`adobeims.core`) version OAuth Server-to-Server needs: older ones
/// refuse to save an OAuth configuration ("Invalid parameters (empty or null)!", KB ka-37748).
pub const IMS_BUNDLE_OAUTH: [u32; 3] = [1, 1, 26];
