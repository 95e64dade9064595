//! Keys and tokens: ed25519 keys as hex, random tokens, SHA-256 in hex. (Private files are
//! written by `store::paths`.)

use ed25519_dalek::SigningKey;
use std::path::Path;

pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub(crate) fn unhex(s: &str) -> Option<Vec<u8>> {
    let s = s.trim();
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
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

#[cfg(feature = "hub")]
pub(crate) fn sha256_hex(s: &str) -> String {
    use sha2::Digest;
    hex(&sha2::Sha256::digest(s.as_bytes()))
}
