//! Secrets on disk: written privately (0600) and atomically; keys as hex.

use ed25519_dalek::SigningKey;
use std::io::Write;
use std::path::Path;

pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub fn unhex(s: &str) -> Option<Vec<u8>> {
    let s = s.trim();
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Creates a new file only its owner can read (0600), refusing to follow or reuse anything
/// already at `path`: `O_CREAT|O_EXCL` fails on an existing file and on a symlink planted
/// there, so another local user cannot redirect what we write.
pub fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)
}

/// Replaces whatever is at `path` (a file, or a symlink: the link is removed, never its
/// target) with a new private file.
pub fn replace_private(path: &Path) -> std::io::Result<std::fs::File> {
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    create_private(path)
}

/// A temporary name next to `path` that no other writer (thread, process, user) shares.
pub fn temp_name(path: &Path) -> std::path::PathBuf {
    let mut b = [0u8; 8];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut b);
    let name = path
        .file_name()
        .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
    path.with_file_name(format!(".{name}.{}.tmp", hex(&b)))
}

/// Writes a file only its owner can read, via a uniquely named temp file and rename, fsync'd.
pub fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let tmp = temp_name(path);
    let mut f = create_private(&tmp)?;
    let written = f
        .write_all(contents)
        .and_then(|()| f.sync_all())
        .and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => crate::store::paths::sync_dir(dir),
        _ => crate::store::paths::sync_dir(Path::new(".")),
    }
}

pub fn new_signing_key() -> SigningKey {
    SigningKey::generate(&mut rand_core::OsRng)
}

pub fn load_signing_key(path: &Path) -> Result<SigningKey, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let bytes: [u8; 32] = unhex(&text)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| format!("{} does not hold a signing key", path.display()))?;
    Ok(SigningKey::from_bytes(&bytes))
}

pub fn verifying_key(hexed: &str) -> Result<ed25519_dalek::VerifyingKey, String> {
    let bytes: [u8; 32] = unhex(hexed)
        .and_then(|b| b.try_into().ok())
        .ok_or("bad public key")?;
    ed25519_dalek::VerifyingKey::from_bytes(&bytes).map_err(|e| e.to_string())
}

/// A random token (hex), for enrolment and device API access.
pub fn token() -> String {
    let mut b = [0u8; 24];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut b);
    hex(&b)
}

pub fn sha256_hex(s: &str) -> String {
    use sha2::Digest;
    hex(&sha2::Sha256::digest(s.as_bytes()))
}
