//! The bundle's container: a gzip-compressed tar of plain files, each 0600.

use super::BundleError;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

/// The largest bundle read back (a real author's is well under a megabyte).
const MAX_BUNDLE: u64 = 64 * 1024 * 1024;

/// The `.tar.gz` of `files`, in memory.
pub fn write(files: &[(String, Vec<u8>)]) -> std::io::Result<Vec<u8>> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    let now = u64::try_from(chrono::Utc::now().timestamp()).unwrap_or(0);
    for (name, bytes) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(bytes.len() as u64);
        h.set_mode(0o600);
        h.set_mtime(now);
        h.set_entry_type(tar::EntryType::Regular);
        tar.append_data(&mut h, name, bytes.as_slice())?;
    }
    tar.into_inner()?.finish()
}

/// Every plain file of a bundle, by name.
pub fn read(path: &Path) -> Result<BTreeMap<String, Vec<u8>>, BundleError> {
    let open = |reason: String| BundleError::Open {
        path: path.to_path_buf(),
        reason,
    };
    let f = std::fs::File::open(path).map_err(|e| open(e.to_string()))?;
    let gz = flate2::read::GzDecoder::new(f.take(MAX_BUNDLE));
    let mut tar = tar::Archive::new(gz);
    let mut out = BTreeMap::new();
    let mut total = 0u64;
    for entry in tar.entries().map_err(|e| open(e.to_string()))? {
        let mut entry = entry.map_err(|e| open(e.to_string()))?;
        if entry.header().entry_type() != tar::EntryType::Regular {
            continue;
        }
        let name = entry
            .path()
            .map_err(|e| open(e.to_string()))?
            .to_string_lossy()
            .into_owned();
        let mut bytes = Vec::new();
        (&mut entry)
            .take(MAX_BUNDLE)
            .read_to_end(&mut bytes)
            .map_err(|e| open(e.to_string()))?;
        total += bytes.len() as u64;
        if total > MAX_BUNDLE {
            return Err(open("it is larger than 64 MiB unpacked".into()));
        }
        out.insert(name, bytes);
    }
    Ok(out)
}

/// `replay.json` of a bundle.
pub fn replay_json(path: &Path) -> Result<Vec<u8>, BundleError> {
    read(path)?
        .remove("replay.json")
        .ok_or_else(|| BundleError::Open {
            path: path.to_path_buf(),
            reason: "it holds no replay.json".into(),
        })
}
