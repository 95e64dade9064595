//! One record encrypted under its own key (XChaCha20-Poly1305, the record's id as associated
//! data), so that destroying the key in the keyring erases every copy of the record that the
//! store, sled's log, the journal or the disk may still hold.

use crate::codec::DecodeError;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use uuid::Uuid;

/// First byte of a locked record: then the id (16), the nonce (24), the ciphertext.
pub(crate) const LOCKED: u8 = 0xE5;
const HEAD: usize = 1 + 16 + 24;

/// A record key: 32 random bytes, kept only in the keyring.
pub(crate) type RecordKey = [u8; 32];

/// Encrypts `plain` for record `id`.
pub(crate) fn lock(key: &RecordKey, id: Uuid, plain: &[u8]) -> Vec<u8> {
    let mut nonce = [0u8; 24];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut nonce);
    let cipher = XChaCha20Poly1305::new(Key::from_slice(key));
    let payload = Payload {
        msg: plain,
        aad: id.as_bytes(),
    };
    // Encryption with a valid key and nonce cannot fail for inputs of this size.
    let ct = cipher
        .encrypt(XNonce::from_slice(&nonce), payload)
        .unwrap_or_default();
    let mut out = Vec::with_capacity(HEAD + ct.len());
    out.push(LOCKED);
    out.extend_from_slice(id.as_bytes());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ct);
    out
}

/// The record id a locked blob names, if it is one.
pub(crate) fn locked_id(blob: &[u8]) -> Option<Uuid> {
    if blob.first() != Some(&LOCKED) || blob.len() < HEAD {
        return None;
    }
    Uuid::from_slice(&blob[1..17]).ok()
}

/// Decrypts a locked blob with its record's key.
pub(crate) fn unlock(key: &RecordKey, blob: &[u8]) -> Result<Vec<u8>, DecodeError> {
    let id = locked_id(blob).ok_or_else(|| DecodeError::Damaged("not a locked record".into()))?;
    let cipher = XChaCha20Poly1305::new(Key::from_slice(key));
    let payload = Payload {
        msg: &blob[HEAD..],
        aad: id.as_bytes(),
    };
    cipher
        .decrypt(XNonce::from_slice(&blob[17..HEAD]), payload)
        .map_err(|_| DecodeError::Damaged("a locked record does not open with its key".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_opens_only_with_its_key_and_its_id() {
        let id = Uuid::now_v7();
        let key = [7u8; 32];
        let blob = lock(&key, id, b"commune 03160");
        assert!(!blob.windows(6).any(|w| w == b"commune"));
        assert_eq!(locked_id(&blob), Some(id));
        assert_eq!(unlock(&key, &blob).unwrap(), b"commune 03160");
        assert!(unlock(&[8u8; 32], &blob).is_err());
        let mut other = blob.clone();
        other[1..17].copy_from_slice(Uuid::now_v7().as_bytes());
        assert!(
            unlock(&key, &other).is_err(),
            "the id is bound to the ciphertext"
        );
    }
}
