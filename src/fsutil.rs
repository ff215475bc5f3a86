//! brandlink's own files: folders 0700 and files 0600 whatever the umask, and files read back
//! (backups, journals) only when they are the operator's — as ssh treats a key file others
//! can write. Reads follow no symlink and stop at a size bound.

use std::io::Read;
use std::path::{Component, Path};

/// Why a folder or file is not trusted (or cannot be made private).
#[derive(Debug, thiserror::Error)]
#[error("{path}: {detail}")]
pub struct TrustError {
    pub path: String,
    pub detail: String,
}

fn refuse(path: &Path, detail: impl Into<String>) -> TrustError {
    TrustError {
        path: path.display().to_string(),
        detail: detail.into(),
    }
}

/// The effective user id brandlink runs as.
#[cfg(unix)]
pub fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// Makes every folder and file brandlink creates from now on private (0700 / 0600), whatever
/// umask the process was started with. Explicit modes are set as well; this covers files a
/// library creates (the rotated log).
pub fn private_umask() {
    #[cfg(unix)]
    // SAFETY: umask has no preconditions and cannot fail.
    unsafe {
        libc::umask(0o077);
    }
}

/// Checks that an existing path is the operator's: not a symlink, owned by this user, not
/// writable by group or others.
pub fn check_owned(path: &Path) -> Result<std::fs::Metadata, TrustError> {
    let m = std::fs::symlink_metadata(path).map_err(|e| refuse(path, e.to_string()))?;
    if m.file_type().is_symlink() {
        return Err(refuse(
            path,
            "is a symbolic link; brandlink follows none here: replace it with the folder or file itself",
        ));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if m.uid() != euid() {
            return Err(refuse(
                path,
                format!(
                    "belongs to user id {}, not to you ({}): brandlink trusts only its own files; copy what you need into a folder of yours",
                    m.uid(),
                    euid()
                ),
            ));
        }
        if m.mode() & 0o022 != 0 {
            return Err(refuse(
                path,
                format!(
                    "is writable by {} (mode {:o}): anyone there could change what brandlink reads or writes; fix it with `chmod go-w {}`",
                    if m.mode() & 0o002 != 0 {
                        "every user"
                    } else {
                        "its group"
                    },
                    m.mode() & 0o7777,
                    path.display()
                ),
            ));
        }
    }
    Ok(m)
}

/// Creates `dir` and any missing parent with mode 0700. The folder itself, when it exists
/// already, must be the operator's (see [`check_owned`]); it is then made 0700.
pub fn private_dir(dir: &Path) -> Result<(), TrustError> {
    let mut missing = Vec::new();
    let mut cur = Some(dir);
    while let Some(p) = cur {
        if p.as_os_str().is_empty() || std::fs::symlink_metadata(p).is_ok() {
            break;
        }
        missing.push(p);
        cur = p.parent();
    }
    for p in missing.iter().rev() {
        let mut b = std::fs::DirBuilder::new();
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            b.mode(0o700);
        }
        match b.create(p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(refuse(p, format!("cannot be created: {e}"))),
        }
    }
    let m = check_owned(dir)?;
    if !m.is_dir() {
        return Err(refuse(dir, "is not a folder"));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if m.permissions().mode() & 0o777 != 0o700 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                .map_err(|e| refuse(dir, format!("cannot be made private (0700): {e}")))?;
        }
    }
    Ok(())
}

/// Writes `bytes` to `path` atomically (a 0600 temporary file renamed over it).
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.{}-{seq}.tmp", std::process::id()));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600).custom_flags(libc::O_NOFOLLOW);
    }
    let written = (|| {
        use std::io::Write;
        let mut f = opts.open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// Whether `name` is a plain relative file name inside a folder: normal components only (no
/// `..`, `.`, root or prefix), no empty name.
pub fn plain_relative(name: &str) -> bool {
    let p = Path::new(name);
    !name.is_empty()
        && !name.contains('\0')
        && !name.contains('\\')
        && p.components().all(|c| matches!(c, Component::Normal(_)))
}

/// Reads `dir/name` the careful way: `name` plain and relative, every folder on the way and
/// the file itself the operator's and no symlink (the file is opened with no-follow), a
/// regular file of at most `max` bytes.
pub fn read_trusted(dir: &Path, name: &str, max: u64) -> Result<Vec<u8>, TrustError> {
    if !plain_relative(name) {
        return Err(refuse(
            dir,
            format!(
                "names the file '{name}', which is not a plain name inside the folder (no absolute path, no `..`)"
            ),
        ));
    }
    let path = dir.join(name);
    // Each folder between `dir` and the file.
    let mut at = dir.to_path_buf();
    let comps: Vec<_> = Path::new(name).components().collect();
    for c in &comps[..comps.len().saturating_sub(1)] {
        at.push(c);
        let m = check_owned(&at)?;
        if !m.is_dir() {
            return Err(refuse(&at, "is not a folder"));
        }
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // No symlink at the last step; a FIFO or device must not block the open.
        opts.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let f = opts.open(&path).map_err(|e| {
        #[cfg(unix)]
        let looped = e.raw_os_error() == Some(libc::ELOOP);
        #[cfg(not(unix))]
        let looped = false;
        if looped {
            refuse(
                &path,
                "is a symbolic link; brandlink follows none in a backup",
            )
        } else {
            refuse(&path, format!("cannot be read: {e}"))
        }
    })?;
    let m = f
        .metadata()
        .map_err(|e| refuse(&path, format!("cannot be read: {e}")))?;
    if !m.is_file() {
        return Err(refuse(&path, "is not a regular file"));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if m.uid() != euid() || m.mode() & 0o022 != 0 {
            check_owned(&path)?;
        }
    }
    if m.len() > max {
        return Err(refuse(
            &path,
            format!(
                "is {} bytes, more than the {} a brandlink backup file holds",
                m.len(),
                crate::net::size_words(max as usize)
            ),
        ));
    }
    let mut out = Vec::new();
    f.take(max + 1)
        .read_to_end(&mut out)
        .map_err(|e| refuse(&path, format!("cannot be read: {e}")))?;
    if out.len() as u64 > max {
        return Err(refuse(&path, "grew past its size bound while being read"));
    }
    Ok(out)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn names_must_be_plain_and_relative() {
        assert!(plain_relative("nodes/000.json"));
        assert!(plain_relative("manifest.json"));
        for bad in ["", "/etc/passwd", "../x", "nodes/../../x", "./x", "a\\b"] {
            assert!(!plain_relative(bad), "{bad}");
        }
    }

    #[test]
    fn folders_are_private_and_lax_ones_refused() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("a/b/c");
        private_dir(&d).unwrap();
        for p in [t.path().join("a"), t.path().join("a/b"), d.clone()] {
            let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o700, "{}", p.display());
        }
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o777)).unwrap();
        let e = private_dir(&d).unwrap_err().to_string();
        assert!(e.contains("chmod go-w"), "{e}");
        let link = t.path().join("link");
        std::os::unix::fs::symlink(t.path().join("a"), &link).unwrap();
        assert!(private_dir(&link).is_err());
    }

    #[test]
    fn reads_refuse_links_devices_and_big_files() {
        let t = tempfile::tempdir().unwrap();
        private_dir(t.path()).unwrap();
        write_private(&t.path().join("ok.json"), b"{}").unwrap();
        assert_eq!(read_trusted(t.path(), "ok.json", 10).unwrap(), b"{}");
        assert!(read_trusted(t.path(), "ok.json", 1).is_err());
        std::os::unix::fs::symlink("/etc/hostname", t.path().join("l.json")).unwrap();
        let e = read_trusted(t.path(), "l.json", 100)
            .unwrap_err()
            .to_string();
        assert!(e.contains("symbolic link"), "{e}");
        std::os::unix::fs::symlink("/dev/zero", t.path().join("z.json")).unwrap();
        assert!(read_trusted(t.path(), "z.json", 100).is_err());
        assert!(read_trusted(t.path(), "../x", 100).is_err());
    }
}
