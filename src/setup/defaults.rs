//! What an operation starts from when the operator gives nothing else. The CLI's arguments
//! (clap's defaults in `cli/args.rs`) and the TUI's forms read these same constants, so the
//! two front ends cannot drift apart.

/// The key pair's alias in the service user's keystore: `cert create --alias`, `account
/// create --alias`, the Certificate and Account tabs.
pub const KEY_ALIAS: &str = "brandportal";

/// A new certificate's validity in days: `cert create --days`, the Certificate tab. The most
/// the Developer Console accepts.
pub const CERT_DAYS: u32 = crate::ims::certificate::MAX_DAYS;

/// The file the public certificate is written to (`cert create --out`; the TUI writes it under
/// this name in its folder, or beside it when the name is taken).
pub const CERT_FILE: &str = "AEM-Adobe-IMS.crt";

/// The IMS configuration's Authorization Server: production IMS, as Adobe's form wants it
/// (the host with a trailing slash). `account create --auth-server`, the Account tab.
pub const AUTH_SERVER: &str = "https://ims-na1.adobelogin.com/";

/// The title of a new IMS or cloud configuration in the TUI's forms (the CLI asks for one).
pub const TITLE: &str = "Brand Portal";

/// Seconds to wait for AEM to create the four agents after the cloud configuration is saved:
/// `cloud create --wait`, `cloud resave --wait`, the Cloud tab.
pub const AGENT_WAIT_SECS: u64 = 30;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_authorization_server_is_production_ims() {
        assert_eq!(AUTH_SERVER, format!("{}/", crate::ims::payload::PROD_IMS));
        assert_eq!(
            crate::ims::payload::validate_auth_server(AUTH_SERVER).ok(),
            Some(crate::ims::payload::PROD_IMS.to_string())
        );
    }
}
