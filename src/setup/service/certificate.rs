//! Step 1: the key pair in the service user's keystore and the public certificate on disk
//! (`cert create`, the Certificate tab).

use super::Setup;
use crate::aem::keystore::KeystoreInfo;
use crate::ims::certificate::CertInfo;
use crate::setup::SetupError;
use crate::setup::actions::{self, CertificateOutcome};
use crate::setup::history::{Change, Outcome, Started};
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
        let start = Started::new(
            "cert create",
            Some(req.alias.clone()),
            vec![
                Change::added("keystore", "alias", req.alias.clone()),
                Change::added("keystore", "common name", req.common_name.clone()),
                Change::added("keystore", "days", req.days.to_string()),
            ],
        );
        let work = actions::create_certificate(
            &self.client,
            &req.alias,
            req.days,
            &req.common_name,
            &keystore_password,
            &self.stop,
        );
        let outcome = self
            .recorded(start, work, |o| Outcome {
                problem: (!o.changed)
                    .then(|| "the alias existed already: nothing was written".into()),
                changes: o.certificate.as_ref().map(|c| {
                    vec![
                        Change::added("keystore", "alias", o.alias.clone()),
                        Change::added("certificate", "subject", c.subject.clone()),
                        Change::added("certificate", "serial number", c.serial.clone()),
                        Change::added(
                            "certificate",
                            "not after",
                            crate::when::rfc3339_secs(c.not_after).unwrap_or_default(),
                        ),
                    ]
                }),
                ..Default::default()
            })
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

    /// Whether [`Setup::create_certificate`] will ask for the keystore password: the service
    /// user has no keystore yet (a new one gets it), or `alias` exists and its certificate file
    /// is gone (it is read back from the keystore with it). A front end asks for it before the
    /// change begins. Nothing is written.
    pub async fn keystore_password_needed(
        &self,
        alias: &str,
        out: &CertFile,
    ) -> Result<bool, SetupError> {
        let user = actions::service_user(&self.client).await?;
        let ks = self.client.keystore(&user).await?;
        let lost = matches!(out, CertFile::Exact(p) if !p.exists());
        Ok(!ks.exists || (ks.alias(alias).is_some() && lost))
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
    let mut path = dir.join(crate::setup::defaults::CERT_FILE);
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

/// Removing a key pair nothing signs with any more (`cert delete`): what goes, and who would
/// still use it.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyRemovalPlan {
    pub alias: String,
    /// The service user whose keystore holds it.
    pub user_path: String,
    pub subject: String,
    pub serial_number: String,
    /// RFC 3339.
    pub not_after: String,
    /// JWT IMS configurations on the author (of any integration) that name this alias: while
    /// there is one, the key pair is in use and is not removed.
    pub used_by: Vec<String>,
}

/// What `cert delete` did.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyRemoved {
    pub alias: String,
    /// The record of what was removed (the certificate's summary; never the private key).
    pub backup_dir: PathBuf,
}

impl Setup {
    /// Plans the removal of a key pair from the service user's keystore: `alias`, or the only
    /// one there. Refused when the keystore or the IMS configurations cannot be read (whether
    /// the key is used would be a guess).
    pub async fn plan_key_removal(
        &self,
        alias: Option<&str>,
    ) -> Result<KeyRemovalPlan, SetupError> {
        let ev = self.evidence(None, false).await?;
        let user_path = ev.service_user.clone()?.ok_or_else(|| {
            SetupError::Refused(format!(
                "the service user {BP_USER} does not exist on this author"
            ))
        })?;
        let keystore = ev.keystore.clone()?.unwrap_or(KeystoreInfo {
            exists: false,
            aliases: vec![],
        });
        let ims = ev.ims.clone()?;
        let names: Vec<&str> = keystore.aliases.iter().map(|a| a.alias.as_str()).collect();
        let entry = match alias {
            Some(a) => keystore.alias(a).ok_or_else(|| {
                SetupError::Refused(format!(
                    "the keystore of {BP_USER} holds no key pair '{a}' (it holds: {})",
                    if names.is_empty() {
                        "none".to_string()
                    } else {
                        names.join(", ")
                    }
                ))
            })?,
            None => match keystore.aliases.as_slice() {
                [only] => only,
                [] => {
                    return Err(SetupError::Refused(format!(
                        "the keystore of {BP_USER} holds no key pair"
                    )));
                }
                _ => {
                    return Err(SetupError::Invalid(vec![format!(
                        "the keystore of {BP_USER} holds {}: name one with --alias",
                        names.join(", ")
                    )]));
                }
            },
        };
        let leaf = entry.chain.first();
        Ok(KeyRemovalPlan {
            alias: entry.alias.clone(),
            user_path,
            subject: leaf.map(|c| c.subject.clone()).unwrap_or_default(),
            serial_number: leaf.map(|c| c.serial_number.clone()).unwrap_or_default(),
            not_after: leaf
                .map(|c| crate::evidence::view::java_date_rfc3339(&c.not_after))
                .unwrap_or_default(),
            used_by: crate::verdict::steps::key_users(&ims, &entry.alias),
        })
    }

    /// Removes the planned key pair after recording its certificate's summary in a new backup
    /// folder under `root`; refused while a JWT configuration names it or when the keystore
    /// changed since the plan. Checks that it is gone.
    pub async fn remove_key(
        &self,
        plan: &KeyRemovalPlan,
        root: &Path,
    ) -> Result<KeyRemoved, SetupError> {
        let now = self.plan_key_removal(Some(&plan.alias)).await?;
        if !now.used_by.is_empty() {
            return Err(SetupError::Refused(format!(
                "the key pair '{}' is in use: {} sign(s) with it (JWT). Migrate to OAuth first (`brandlink account migrate`)",
                plan.alias,
                now.used_by.join(", ")
            )));
        }
        if now.serial_number != plan.serial_number || now.user_path != plan.user_path {
            return Err(SetupError::Refused(format!(
                "the key pair '{}' changed since the plan; run the command again to see what it holds now",
                plan.alias
            )));
        }
        let start = Started::new(
            "cert delete",
            Some(now.alias.clone()),
            vec![
                Change::new("keystore", "alias", Some(vec![now.alias.clone()]), None),
                Change::new(
                    "certificate",
                    "subject",
                    Some(vec![now.subject.clone()]),
                    None,
                ),
                Change::new(
                    "certificate",
                    "serial number",
                    Some(vec![now.serial_number.clone()]),
                    None,
                ),
            ],
        );
        let work = async {
            let dir = actions::record_removed_key(self.client.base_url(), &now, root)?;
            self.stop.check(|| crate::setup::Interrupted {
                backup_dir: Some(dir.clone()),
                ..crate::setup::Interrupted::new("cert delete")
                    .done(format!(
                        "the key pair's record was written to {}; AEM is unchanged",
                        dir.display()
                    ))
                    .not_done(format!("removing the key pair '{}'", now.alias))
                    .next(format!(
                        "to complete it: brandlink cert delete --alias {}",
                        now.alias
                    ))
            })?;
            self.client.remove_alias(&now.user_path, &now.alias).await?;
            let after = self.client.keystore(&now.user_path).await?;
            if after.alias(&now.alias).is_some() {
                return Err(SetupError::Refused(format!(
                    "AEM answered, but the keystore of {BP_USER} still holds '{}'; remove it in Tools › Security › Users › {BP_USER} › Keystore",
                    now.alias
                )));
            }
            Ok(KeyRemoved {
                alias: now.alias.clone(),
                backup_dir: dir,
            })
        };
        self.recorded(start, work, |k| Outcome {
            backup_dir: Some(k.backup_dir.clone()),
            ..Default::default()
        })
        .await
    }
}

const BP_USER: &str = crate::aem::users::BP_SERVICE_USER;
