//! A keyed digest (HMAC-SHA256) over every manifest and journal brandlink writes, with a key
//! only the operator can read (`$XDG_STATE_HOME/brandlink/seal.key`, 0600). A backup or
//! journal edited or planted since is refused: brandlink writes to AEM from its own records
//! only.

use crate::fsutil;
use aws_lc_rs::hmac;
use std::path::{Path, PathBuf};

const KEY_FILE: &str = "seal.key";

/// What a seal covers, so a journal's seal never passes for a manifest's.
#[derive(Clone, Copy)]
pub enum Kind {
    Manifest,
    Journal,
}

impl Kind {
    fn tag(self) -> &'static [u8] {
        match self {
            Kind::Manifest => b"brandlink-backup-manifest-v1\n",
            Kind::Journal => b"brandlink-upgrade-journal-v1\n",
        }
    }
}

fn key_path(state: &Path) -> PathBuf {
    state.join(KEY_FILE)
}

/// The key, read (or created on first use) in `state`.
fn key(state: &Path, create: bool) -> Result<hmac::Key, String> {
    let path = key_path(state);
    if std::fs::symlink_metadata(state).is_ok() {
        // A state folder others can write could hold a key of theirs.
        fsutil::check_owned(state).map_err(|e| e.to_string())?;
    }
    match fsutil::read_trusted(state, KEY_FILE, 1024) {
        Ok(bytes) => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::symlink_metadata(&path)
                    .map(|m| m.permissions().mode())
                    .unwrap_or(0o777);
                if mode & 0o077 != 0 {
                    return Err(format!(
                        "{} can be read by others (mode {:o}): anyone there could seal a forged backup; `chmod 600 {}`",
                        path.display(),
                        mode & 0o777,
                        path.display()
                    ));
                }
            }
            let raw = hex::decode(String::from_utf8_lossy(&bytes).trim())
                .map_err(|_| format!("{} is not a brandlink seal key", path.display()))?;
            if raw.len() < 32 {
                return Err(format!("{} is not a brandlink seal key", path.display()));
            }
            Ok(hmac::Key::new(hmac::HMAC_SHA256, &raw))
        }
        Err(_) if create && std::fs::symlink_metadata(&path).is_err() => {
            fsutil::private_dir(state).map_err(|e| e.to_string())?;
            let raw: [u8; 32] = rand::random();
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                opts.mode(0o600).custom_flags(libc::O_NOFOLLOW);
            }
            {
                use std::io::Write;
                let mut f = opts
                    .open(&path)
                    .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
                f.write_all(hex::encode(raw).as_bytes())
                    .and_then(|_| f.sync_all())
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            }
            Ok(hmac::Key::new(hmac::HMAC_SHA256, &raw))
        }
        Err(e) => Err(e.to_string()),
    }
}

/// The seal of `body` (a canonical serialization, the seal itself left out).
pub fn seal(state: &Path, kind: Kind, body: &[u8]) -> Result<String, String> {
    let k = key(state, true)?;
    let mut ctx = hmac::Context::with_key(&k);
    ctx.update(kind.tag());
    ctx.update(body);
    Ok(hex::encode(ctx.sign().as_ref()))
}

/// Checks `seal` over `body`; the error says what is wrong and what to do.
pub fn verify(state: &Path, kind: Kind, body: &[u8], seal: Option<&str>) -> Result<(), String> {
    let what = match kind {
        Kind::Manifest => "backup",
        Kind::Journal => "journal",
    };
    let Some(seal) = seal else {
        return Err(format!(
            "the {what} carries no seal: brandlink did not write it (or an older version did); nothing is done from a file brandlink cannot vouch for"
        ));
    };
    let k = key(state, false).map_err(|e| {
        format!(
            "the {what} is sealed, but its key cannot be read ({e}); a backup from another machine needs that machine's {}",
            key_path(state).display()
        )
    })?;
    let tag = hex::decode(seal).map_err(|_| format!("the {what}'s seal is damaged"))?;
    let mut msg = kind.tag().to_vec();
    msg.extend_from_slice(body);
    hmac::verify(&k, &msg, &tag).map_err(|_| {
        format!(
            "the {what} was changed since brandlink wrote it (its seal does not match): refused"
        )
    })
}

/// The SHA-256 of a file's bytes, as the manifest records it.
pub fn digest(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_edited_body_or_another_kind_fails() {
        let t = tempfile::tempdir().unwrap();
        let s = seal(t.path(), Kind::Journal, b"{\"a\":1}").unwrap();
        verify(t.path(), Kind::Journal, b"{\"a\":1}", Some(&s)).unwrap();
        assert!(verify(t.path(), Kind::Journal, b"{\"a\":2}", Some(&s)).is_err());
        assert!(verify(t.path(), Kind::Manifest, b"{\"a\":1}", Some(&s)).is_err());
        assert!(verify(t.path(), Kind::Journal, b"{\"a\":1}", None).is_err());
        let other = tempfile::tempdir().unwrap();
        assert!(verify(other.path(), Kind::Journal, b"{\"a\":1}", Some(&s)).is_err());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(t.path().join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
