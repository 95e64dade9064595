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
        return key_from(&plain, &prot);
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
            let r = age::scrypt::Recipient::new(age::secrecy::SecretString::from(p.to_string()));
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
