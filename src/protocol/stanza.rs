//! The age X25519 recipient stanza (c2sp.org/age) as `opener` reads it and `recipient`
//! makes it: its tag, the key that wraps the file key, the base64 of its argument, and an
//! age key's 32 bytes from its bech32 text.

use base64::Engine;
use bech32::FromBase32;
use zeroize::Zeroizing;

pub(crate) const TAG: &str = "X25519";
const LABEL: &[u8] = b"age-encryption.org/v1/X25519";
/// The stanza's argument (the ephemeral share): base64 without padding.
pub(crate) const B64: base64::engine::GeneralPurpose =
    base64::engine::general_purpose::STANDARD_NO_PAD;

/// The key that wraps the file key: HKDF-SHA-256 of the shared secret, salted with the
/// ephemeral share and the recipient's key.
pub(crate) fn wrap_key(
    epk: &[u8; 32],
    recipient: &[u8; 32],
    shared: &[u8; 32],
) -> Zeroizing<[u8; 32]> {
    let mut salt = [0u8; 64];
    salt[..32].copy_from_slice(epk);
    salt[32..].copy_from_slice(recipient);
    Zeroizing::new(age_core::primitives::hkdf(&salt, LABEL, shared))
}

/// The ephemeral share of a stanza's argument: canonical only (43 characters, no padding;
/// the decoder refuses non-zero trailing bits).
pub(crate) fn share_of(arg: &str) -> Option<[u8; 32]> {
    let mut buf = [0u8; 33];
    match B64.decode_slice(arg, &mut buf) {
        Ok(32) => buf[..32].try_into().ok(),
        _ => None,
    }
}

/// The 32 bytes of an age key from its bech32 text; `hrp` is "age" for a recipient,
/// "age-secret-key-" for an identity.
pub(crate) fn key_bytes(text: &str, hrp: &str) -> Result<Zeroizing<[u8; 32]>, String> {
    let (found, data, variant) = bech32::decode(text).map_err(|e| format!("age key: {e}"))?;
    if found != hrp || variant != bech32::Variant::Bech32 {
        return Err(format!("not an age X25519 key ({hrp})"));
    }
    let bytes = Zeroizing::new(Vec::<u8>::from_base32(&data).map_err(|e| format!("age key: {e}"))?);
    let key: [u8; 32] = bytes
        .as_slice()
        .try_into()
        .map_err(|_| "age key: wrong length".to_string())?;
    Ok(Zeroizing::new(key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use age::secrecy::ExposeSecret;

    #[test]
    fn an_age_keys_bytes_come_from_its_text_and_the_wrong_kind_is_refused() {
        let id = age::x25519::Identity::generate();
        let secret = key_bytes(id.to_string().expose_secret(), "age-secret-key-").unwrap();
        let public = key_bytes(&id.to_public().to_string(), "age").unwrap();
        let derived = x25519_dalek::PublicKey::from(&x25519_dalek::StaticSecret::from(*secret));
        assert_eq!(derived.as_bytes(), &*public);
        assert!(key_bytes(&id.to_public().to_string(), "age-secret-key-").is_err());
        assert!(key_bytes(id.to_string().expose_secret(), "age").is_err());
        assert!(key_bytes("age1notbech32", "age").is_err());
    }

    #[test]
    fn a_share_is_43_characters_of_unpadded_base64() {
        let share = [7u8; 32];
        let text = B64.encode(share);
        assert_eq!(text.len(), 43);
        assert_eq!(share_of(&text), Some(share));
        assert_eq!(share_of(&format!("{text}=")), None);
        assert_eq!(share_of(&text[..42]), None);
    }
}
