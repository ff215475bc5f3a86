//! Step 1: the key pair in the service user's keystore and the public certificate on disk
//! (`cert create`, the Certificate tab).

use super::Setup;
use crate::ims::certificate::CertInfo;
use crate::setup::SetupError;
use crate::setup::actions::{self, CertificateOutcome};
use secrecy::{SecretSlice, SecretString};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Where `cert create` writes the public certificate.
#[derive(Clone, Debug)]
pub enum CertFile {
    /// Exactly this path (the CLI's `--out`).
    Exact(PathBuf),
    /// `AEM-Adobe-IMS.crt` in this folder, or a free name beside it (the TUI).
    FreeNameIn(PathBuf),
}

/// "Create new certificate" with everything it needs.
#[derive(Debug)]
pub struct CertRequest {
    pub alias: String,
    pub days: u32,
    pub common_name: String,
    pub out: CertFile,
    /// Also keep the private key in this new file (mode 0600).
    pub save_key: Option<PathBuf>,
}

/// What "Create new certificate" did.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CertDone {
    #[serde(flatten)]
    pub outcome: CertificateOutcome,
    /// The public certificate file written (None when the alias already existed and its
    /// file is where it should be).
    pub certificate_file: Option<PathBuf>,
    /// The alias existed but its `--out` file did not: written again from AEM's keystore.
    pub certificate_rewritten: bool,
    pub private_key_file: Option<PathBuf>,
    /// PEM of the new certificate, for the Console step.
    #[serde(skip)]
    pub cert_pem: Option<String>,
    /// The new private key, kept in memory for Check Health in the same session.
    #[serde(skip)]
    pub private_key: Option<SecretSlice<u8>>,
}

impl CertDone {
    pub fn info(&self) -> Option<&CertInfo> {
        self.outcome.certificate.as_ref()
    }
}

impl Setup {
    /// Creates the key pair, uploads it to the service user's keystore and writes the public
    /// certificate. Local preconditions are checked before anything is written to AEM.
    pub async fn create_certificate(
        &self,
        req: CertRequest,
        keystore_password: impl Fn() -> Result<SecretString, SetupError>,
    ) -> Result<CertDone, SetupError> {
        if let Some(k) = &req.save_key
            && k.exists()
        {
            return Err(SetupError::Invalid(vec![format!(
                "{} already exists; --save-key writes a new file only",
                k.display()
            )]));
        }
        let outcome = actions::create_certificate(
            &self.client,
            &req.alias,
            req.days,
            &req.common_name,
            &keystore_password,
        )
        .await?;
        let Some(g) = &outcome.generated else {
            // A re-run whose certificate file was lost: AEM's keystore still holds it.
            let (certificate_file, cert_pem) = match &req.out {
                CertFile::Exact(p) if !p.exists() => {
                    let pem = self
                        .keystore_certificate(&req.alias, &keystore_password()?)
                        .await?;
                    write_certificate(p, &pem)?;
                    (Some(p.clone()), Some(pem))
                }
                _ => (None, None),
            };
            let mut outcome = outcome;
            if let Some(pem) = &cert_pem {
                outcome.certificate = crate::ims::certificate::certificate_der(pem.as_bytes())
                    .ok()
                    .and_then(|der| crate::ims::certificate::describe(&der).ok());
            }
            return Ok(CertDone {
                outcome,
                certificate_rewritten: certificate_file.is_some(),
                certificate_file,
                private_key_file: None,
                cert_pem,
                private_key: None,
            });
        };
        let path = match &req.out {
            CertFile::Exact(p) => p.clone(),
            CertFile::FreeNameIn(dir) => free_name(dir, &req.alias),
        };
        write_certificate(&path, &g.cert_pem)?;
        let mut key_file = None;
        if let Some(k) = &req.save_key {
            crate::ims::keyfile::save_private_key(k, g.private_key_der())?;
            key_file = Some(k.clone());
        }
        let cert_pem = Some(g.cert_pem.clone());
        let private_key = Some(g.private_key_secret());
        Ok(CertDone {
            outcome,
            certificate_rewritten: false,
            certificate_file: Some(path),
            private_key_file: key_file,
            cert_pem,
            private_key,
        })
    }

    /// The public certificate (PEM) of `alias` in the service user's keystore, read from its
    /// PKCS#12 with the keystore password.
    async fn keystore_certificate(
        &self,
        alias: &str,
        password: &SecretString,
    ) -> Result<String, SetupError> {
        let user = actions::service_user(&self.client).await?;
        let p12 = self.client.download_keystore(&user).await?;
        let der = crate::ims::keyfile::cert_from_pkcs12(
            &p12,
            secrecy::ExposeSecret::expose_secret(password),
            alias,
        )?;
        Ok(crate::ims::certificate::to_pem("CERTIFICATE", &der))
    }
}

/// Writes the public certificate where the operator asked.
fn write_certificate(path: &Path, pem: &str) -> Result<(), SetupError> {
    std::fs::write(path, pem).map_err(|e| {
        SetupError::Local(format!(
            "the key is in AEM, but {} could not be written: {e}",
            path.display()
        ))
    })
}

/// `AEM-Adobe-IMS.crt` in `dir`, or the first free `AEM-Adobe-IMS-<alias>-<n>.crt`.
fn free_name(dir: &Path, alias: &str) -> PathBuf {
    let mut path = dir.join("AEM-Adobe-IMS.crt");
    let mut n = 1;
    while path.exists() {
        path = dir.join(format!("AEM-Adobe-IMS-{alias}-{n}.crt"));
        n += 1;
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_names_do_not_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let first = free_name(dir.path(), "bp");
        assert!(first.ends_with("AEM-Adobe-IMS.crt"));
        std::fs::write(&first, "x").unwrap();
        let second = free_name(dir.path(), "bp");
        assert!(second.ends_with("AEM-Adobe-IMS-bp-1.crt"));
    }
}
