//! Sealing a finalized interview to the hub: zstd inside an age (X25519) envelope, so a data
//! manager can also open it with the stock `age`/`rage` tools and the hub identity.

use std::io::{Read, Write};

/// First byte of a sealed item (what a bundle carries for each interview or tombstone). In a
/// segment file a sealed record starts with `store::sealed::SEALED_RECORD` (0xA6) and a
/// clear-text header before this.
pub(crate) const SEALED: u8 = 0xA5;

/// Largest decompressed interview accepted when opening (guards against zstd bombs).
pub(crate) const MAX_PLAIN: u64 = 16 << 20;

#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("bad recipient `{0}`: expected an age public key (age1…)")]
    Recipient(String),
    #[error("no recipient to seal to")]
    NoRecipient,
    #[error("sealing failed: {0}")]
    Encrypt(String),
    #[error("cannot open the sealed interview: {0}")]
    Decrypt(String),
}

pub fn parse_recipients(rs: &[String]) -> Result<Vec<age::x25519::Recipient>, SealError> {
    rs.iter()
        .map(|r| {
            r.trim()
                .parse()
                .map_err(|_| SealError::Recipient(r.clone()))
        })
        .collect()
}

/// `SEALED` + age(zstd(plain)) to every recipient.
pub fn seal(plain: &[u8], recipients: &[age::x25519::Recipient]) -> Result<Vec<u8>, SealError> {
    if recipients.is_empty() {
        return Err(SealError::NoRecipient);
    }
    let packed = zstd::bulk::compress(plain, 3).map_err(|e| SealError::Encrypt(e.to_string()))?;
    let enc = age::Encryptor::with_recipients(recipients.iter().map(|r| r as &dyn age::Recipient))
        .map_err(|e| SealError::Encrypt(e.to_string()))?;
    let mut out = vec![SEALED];
    let mut w = enc
        .wrap_output(&mut out)
        .map_err(|e| SealError::Encrypt(e.to_string()))?;
    w.write_all(&packed)
        .map_err(|e| SealError::Encrypt(e.to_string()))?;
    w.finish().map_err(|e| SealError::Encrypt(e.to_string()))?;
    Ok(out)
}

/// Opens what [`seal`] made, with the hub's identity.
pub fn open(sealed: &[u8], identity: &age::x25519::Identity) -> Result<Vec<u8>, SealError> {
    let body = sealed
        .strip_prefix(&[SEALED])
        .ok_or_else(|| SealError::Decrypt("not a sealed record".into()))?;
    let packed = age::decrypt(identity, body).map_err(|e| SealError::Decrypt(e.to_string()))?;
    let mut plain = Vec::new();
    zstd::stream::read::Decoder::new(packed.as_slice())
        .map_err(|e| SealError::Decrypt(e.to_string()))?
        .take(MAX_PLAIN + 1)
        .read_to_end(&mut plain)
        .map_err(|e| SealError::Decrypt(e.to_string()))?;
    if plain.len() as u64 > MAX_PLAIN {
        return Err(SealError::Decrypt("interview too large".into()));
    }
    Ok(plain)
}
