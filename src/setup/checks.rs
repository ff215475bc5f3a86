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

fn read_all() -> BTreeMap<String, LastCheck> {
    std::fs::read_to_string(file())
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default()
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
    let written = std::fs::create_dir_all(&dir).and_then(|_| {
        let tmp = dir.join(format!("checks.json.{}.tmp", std::process::id()));
        std::fs::write(&tmp, serde_json::to_vec_pretty(&all).unwrap_or_default())?;
        std::fs::rename(&tmp, file())
    });
    if let Err(e) = written {
        tracing::warn!(
            "could not record the health check in {}: {e}",
            dir.display()
        );
    }
}
