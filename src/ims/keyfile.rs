//! Where `account check` finds the private key: a 0600 key file the operator asked for, or
//! the service user's keystore downloaded as PKCS#12 and opened with its password.

use secrecy::SecretSlice;
use std::io::Write;
use std::path::Path;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum KeyFileError {
    #[error(
        "{path} already exists; brandlink does not overwrite private keys (remove it or pick another path)"
    )]
    Exists { path: String },
    #[error("cannot write {path}: {detail}")]
    Write { path: String, detail: String },
    #[error("cannot read {path}: {detail}")]
    Read { path: String, detail: String },
    #[error("{path} is readable by others (mode {mode:o}); run `chmod 600 {path}`")]
    Permissions { path: String, mode: u32 },
    #[error("{path} holds no PKCS#8 private key (`-----BEGIN PRIVATE KEY-----`)")]
    NotAKey { path: String },
    #[error("the keystore could not be opened: {0} (wrong password?)")]
    Pkcs12(String),
    #[error("the keystore has no private key under alias '{0}'")]
    NoAlias(String),
}

/// Writes the private key as PKCS#8 PEM to a new file with mode 0600.
pub fn save_private_key(path: &Path, pkcs8_der: &[u8]) -> Result<(), KeyFileError> {
    let p = path.display().to_string();
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            KeyFileError::Exists { path: p.clone() }
        } else {
            KeyFileError::Write {
                path: p.clone(),
                detail: e.to_string(),
            }
        }
    })?;
    let pem = zeroize::Zeroizing::new(super::certificate::pkcs8_der_to_pem(pkcs8_der));
    f.write_all(pem.as_bytes())
        .map_err(|e| KeyFileError::Write {
            path: p,
            detail: e.to_string(),
        })
}

/// Reads a PKCS#8 key file, refusing one that group or others can read.
pub fn load_private_key(path: &Path) -> Result<SecretSlice<u8>, KeyFileError> {
    let p = path.display().to_string();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(path).map_err(|e| KeyFileError::Read {
            path: p.clone(),
            detail: e.to_string(),
        })?;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(KeyFileError::Permissions { path: p, mode });
        }
    }
    let bytes = zeroize::Zeroizing::new(std::fs::read(path).map_err(|e| KeyFileError::Read {
        path: p.clone(),
        detail: e.to_string(),
    })?);
    let der = super::certificate::private_key_der(&bytes)
        .map_err(|_| KeyFileError::NotAKey { path: p.clone() })?;
    super::certificate::private_key_public_pkcs1(&der)
        .map_err(|_| KeyFileError::NotAKey { path: p })?;
    Ok(der.to_vec().into())
}

/// The private key under `alias` in a PKCS#12 keystore.
pub fn key_from_pkcs12(
    p12: &[u8],
    password: &str,
    alias: &str,
) -> Result<SecretSlice<u8>, KeyFileError> {
    let ks = p12_keystore::KeyStore::from_pkcs12(
        p12,
        password,
        p12_keystore::Pkcs12ImportPolicy::Relaxed,
    )
    .map_err(|e| KeyFileError::Pkcs12(e.to_string()))?;
    match ks.entry(alias) {
        Some(p12_keystore::KeyStoreEntry::PrivateKeyChain(chain)) => {
            Ok(chain.key().as_der().to_vec().into())
        }
        _ => Err(KeyFileError::NoAlias(alias.to_string())),
    }
}

/// The certificate (DER) of the key pair under `alias` in a PKCS#12 keystore.
pub fn cert_from_pkcs12(p12: &[u8], password: &str, alias: &str) -> Result<Vec<u8>, KeyFileError> {
    let ks = p12_keystore::KeyStore::from_pkcs12(
        p12,
        password,
        p12_keystore::Pkcs12ImportPolicy::Relaxed,
    )
    .map_err(|e| KeyFileError::Pkcs12(e.to_string()))?;
    match ks.entry(alias) {
        Some(p12_keystore::KeyStoreEntry::PrivateKeyChain(chain)) => chain
            .certs()
            .first()
            .map(|c| c.as_der().to_vec())
            .ok_or_else(|| KeyFileError::NoAlias(alias.to_string())),
        _ => Err(KeyFileError::NoAlias(alias.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn key_file_is_0600_and_round_trips() {
        let dir = std::env::temp_dir().join(format!("brandlink-key-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("k.pem");
        let _ = std::fs::remove_file(&path);
        let g = super::super::certificate::generate("t", 1).unwrap();
        save_private_key(&path, g.private_key_der()).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        assert!(matches!(
            save_private_key(&path, g.private_key_der()),
            Err(KeyFileError::Exists { .. })
        ));
        assert_eq!(
            load_private_key(&path).unwrap().expose_secret(),
            g.private_key_der()
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            let e = load_private_key(&path).unwrap_err();
            assert!(e.to_string().contains("chmod 600"));
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
