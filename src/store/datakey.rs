//! The data folder's key: without it the per-record keys in `keys.slots` are useless (each
//! slot holds its key masked with a value derived from this one). It is kept under the
//! device passphrase (`datakey.age`, age's scrypt), or — for a training folder only — in the
//! clear (`datakey`), which the app then says on its home screen.

use super::error::{Result, StoreError};
use super::paths;
use std::path::Path;

pub(crate) type DataKey = [u8; 32];

const PROTECTED: &str = "datakey.age";
const PLAIN: &str = "datakey";

/// scrypt's work factor for the passphrase: N = 2^16 (with age's r = 8, 64 MiB for a
/// moment; 0.1 s on the build machine, well under a second on an old laptop). age would
/// calibrate it to a second of the machine that sets the passphrase — 2^20 on the build
/// machine, which is 1 GiB of memory at every unlock (measured: `list --json` peaked at
/// 1,055,000 KiB on a protected folder), more than a 1 GB laptop has, and a folder set up
/// on a fast machine could not be opened on a slow one.
pub(crate) const KDF_LOG_N: u8 = 16;

/// Whether this folder's key is under a passphrase.
pub fn is_protected(dir: &Path) -> bool {
    dir.join(PROTECTED).is_file()
}

/// The folder's key: opened with `passphrase`, read from the plain file, or made (protected
/// when a passphrase is given).
pub(crate) fn load_or_create(dir: &Path, passphrase: Option<&str>) -> Result<DataKey> {
    let prot = dir.join(PROTECTED);
    if prot.is_file() {
        let Some(p) = passphrase else {
            return Err(StoreError::NeedPassphrase(dir.to_path_buf()));
        };
        let sealed = std::fs::read(&prot).map_err(StoreError::io("read", &prot))?;
        let id = age::scrypt::Identity::new(age::secrecy::SecretString::from(p.to_string()));
        let plain = age::decrypt(&id, &sealed)
            .map_err(|_| StoreError::WrongPassphrase(dir.to_path_buf()))?;
        let key = key_from(&plain, &prot)?;
        // A folder whose passphrase was set with another work factor (before it was fixed,
        // age calibrated it) is kept under ours from now on: the next unlock costs 64 MiB.
        // Written whole or not at all; if it cannot be written, it is tried next time.
        if work_factor(&sealed) != Some(KDF_LOG_N) {
            let _ = protect(dir, &key, Some(p));
        }
        return Ok(key);
    }
    let plain = dir.join(PLAIN);
    if plain.is_file() {
        let bytes = std::fs::read(&plain).map_err(StoreError::io("read", &plain))?;
        return key_from(&bytes, &plain);
    }
    let mut key = [0u8; 32];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut key);
    protect(dir, &key, passphrase)?;
    Ok(key)
}

/// The scrypt work factor an age file made with a passphrase states in its header
/// (`-> scrypt <salt> <log_n>`).
pub(crate) fn work_factor(sealed: &[u8]) -> Option<u8> {
    let header = &sealed[..sealed.len().min(512)];
    String::from_utf8_lossy(header)
        .lines()
        .find_map(|l| l.strip_prefix("-> scrypt "))
        .and_then(|args| args.split(' ').nth(1))
        .and_then(|n| n.trim().parse().ok())
}

fn key_from(bytes: &[u8], path: &Path) -> Result<DataKey> {
    bytes.try_into().map_err(|_| StoreError::Database {
        dir: path.to_path_buf(),
        reason: "the data key file is damaged".into(),
    })
}

const CHECK: &str = "datakey.check";

/// A value that tells the right data key from a wrong one (a hash; it reveals nothing).
fn check_of(key: &DataKey) -> [u8; 32] {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    h.update(b"langnghe-datakey-check-v1");
    h.update(key);
    h.finalize().into()
}

/// Whether `key` is this folder's data key (a key recovered from the hub, say).
pub(crate) fn is_key_of(dir: &Path, key: &DataKey) -> bool {
    std::fs::read(dir.join(CHECK)).is_ok_and(|c| c == check_of(key))
}

/// Keeps `key` under `passphrase` (or, with none, in the clear for a training folder),
/// replacing whichever file held it.
pub(crate) fn protect(dir: &Path, key: &DataKey, passphrase: Option<&str>) -> Result<()> {
    let (prot, plain) = (dir.join(PROTECTED), dir.join(PLAIN));
    let check = dir.join(CHECK);
    paths::write_private(&check, &check_of(key)).map_err(StoreError::io("write", &check))?;
    match passphrase.filter(|p| !p.is_empty()) {
        Some(p) => {
            let mut r =
                age::scrypt::Recipient::new(age::secrecy::SecretString::from(p.to_string()));
            r.set_work_factor(KDF_LOG_N);
            let sealed = age::encrypt(&r, key).map_err(|e| StoreError::Seal(e.to_string()))?;
            paths::write_private(&prot, &sealed).map_err(StoreError::io("write", &prot))?;
            if plain.exists() {
                // Overwrite before removing: the clear key must not linger in the file's blocks.
                paths::write_private(&plain, &[0u8; 32])
                    .map_err(StoreError::io("write", &plain))?;
                std::fs::remove_file(&plain).map_err(StoreError::io("remove", &plain))?;
            }
        }
        None => {
            paths::write_private(&plain, key).map_err(StoreError::io("write", &plain))?;
            if prot.exists() {
                std::fs::remove_file(&prot).map_err(StoreError::io("remove", &prot))?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASS: &str = "trâu vàng 2026";

    #[test]
    fn the_passphrase_is_kept_with_our_work_factor_not_a_calibrated_one() {
        let dir = tempfile::tempdir().unwrap();
        let key = load_or_create(dir.path(), Some(PASS)).unwrap();
        let sealed = std::fs::read(dir.path().join(PROTECTED)).unwrap();
        assert_eq!(work_factor(&sealed), Some(KDF_LOG_N));
        assert_eq!(load_or_create(dir.path(), Some(PASS)).unwrap(), key);
        assert!(load_or_create(dir.path(), Some("wrong passphrase")).is_err());
    }

    #[test]
    fn a_folder_kept_with_another_work_factor_opens_and_is_kept_with_ours() {
        let dir = tempfile::tempdir().unwrap();
        let key = [7u8; 32];
        // As an earlier version left it: age's own factor (a cheap one here, for speed).
        let mut r = age::scrypt::Recipient::new(age::secrecy::SecretString::from(PASS));
        r.set_work_factor(12);
        let sealed = age::encrypt(&r, &key).unwrap();
        assert_eq!(work_factor(&sealed), Some(12));
        std::fs::write(dir.path().join(PROTECTED), &sealed).unwrap();
        assert_eq!(load_or_create(dir.path(), Some(PASS)).unwrap(), key);
        let now = std::fs::read(dir.path().join(PROTECTED)).unwrap();
        assert_eq!(work_factor(&now), Some(KDF_LOG_N));
        assert_eq!(load_or_create(dir.path(), Some(PASS)).unwrap(), key);
    }
}
