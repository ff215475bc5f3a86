//! The last AEM-side Check Health per author, kept in the state folder so that `status` and
//! the tab bar can show ✗ while AEM cannot obtain a token with what it stores, even in a new
//! process. It holds verdicts and messages only, never a secret.

use std::collections::BTreeMap;
use std::path::PathBuf;

pub use crate::evidence::LastCheck;

use crate::config::state_dir;

fn file() -> PathBuf {
    state_dir().join("checks.json")
}

/// The recorded verdicts, trusted only from the operator's own private state folder: a file
/// another user could write might forge a verdict.
fn read_all() -> BTreeMap<String, LastCheck> {
    let dir = state_dir();
    if crate::fsutil::check_owned(&dir).is_err() {
        return BTreeMap::new();
    }
    match crate::fsutil::read_trusted(&dir, "checks.json", 1024 * 1024) {
        Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_default(),
        Err(e) => {
            if file().exists() {
                tracing::warn!("ignoring the recorded health checks: {e}");
            }
            BTreeMap::new()
        }
    }
}

/// The last AEM-side check of this author, if one was recorded.
pub fn load(aem_url: &str) -> Option<LastCheck> {
    read_all().remove(aem_url)
}

/// Records a verdict; a state folder that cannot be written only costs the memory of it.
pub fn save(aem_url: &str, check: &LastCheck) {
    let mut all = read_all();
    all.insert(aem_url.to_string(), check.clone());
    let dir = state_dir();
    let written = crate::fsutil::private_dir(&dir)
        .map_err(|e| e.to_string())
        .and_then(|_| {
            crate::fsutil::write_private(
                &file(),
                &serde_json::to_vec_pretty(&all).unwrap_or_default(),
            )
            .map_err(|e| e.to_string())
        });
    if let Err(e) = written {
        tracing::warn!(
            "could not record the health check in {}: {e}",
            dir.display()
        );
    }
}
