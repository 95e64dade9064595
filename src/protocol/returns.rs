//! Interviews a supervisor sent back to the device that took them (docs/bundle-format.md,
//! "Returns"): each sealed to that device's own age key, the list signed by the hub, so only
//! that device can read them and only its hub can send them. Pure functions over bytes.

use super::bundle::{self, Envelope};
use crate::record::{Finalized, SentBack};
use ed25519_dalek::{SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub const RETURNS_MAGIC: [u8; 4] = *b"LNRT";
const RETURNS: Envelope = (RETURNS_MAGIC, 1, b"langnghe-returns-v1");
/// First byte of a returned interview's plaintext.
const RETURN_TAG: u8 = b'B';

/// What the hub sends a device: the interviews sent back to it, each still sealed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Returns {
    pub hub: Uuid,
    pub device: Uuid,
    /// (interview id, sealed [`Returned`]).
    pub items: Vec<(Uuid, Vec<u8>)>,
}

/// One interview sent back, as the device opens it: the supervisor's note and the interview
/// as the hub holds it (the device's own copy was sealed for the hub and cannot be read).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Returned {
    pub back: SentBack,
    pub interview: Finalized,
}

pub fn sign(r: &Returns, key: &SigningKey) -> Vec<u8> {
    bundle::sign_envelope(RETURNS, &crate::codec::encode_body(r), key)
}

/// Returns count only when the hub's key signed them.
pub fn verify(b: &[u8], hub_key: &VerifyingKey) -> Result<Returns, String> {
    let body = bundle::open_envelope(b, RETURNS, "returns file", hub_key)?;
    crate::codec::decode_body(body).map_err(|e| e.to_string())
}

/// Whether `b` starts like a returns file (so `bundle confirm` can take both kinds).
pub fn is_returns(b: &[u8]) -> bool {
    b.starts_with(&RETURNS_MAGIC)
}

/// The plaintext sealed for the device: tag, payload version, body.
pub fn plaintext(r: &Returned) -> Vec<u8> {
    [
        vec![RETURN_TAG, bundle::PAYLOAD_VERSION],
        crate::codec::encode_body(r),
    ]
    .concat()
}

/// Reads an opened returned interview.
pub fn read(plain: &[u8]) -> Result<Returned, String> {
    match plain {
        [RETURN_TAG, v, body @ ..] if (3..=bundle::PAYLOAD_VERSION).contains(v) => {
            crate::codec::decode_body(body).map_err(|e| e.to_string())
        }
        [RETURN_TAG, v, ..] => Err(format!(
            "returned interview version {v} is not supported here; update the app"
        )),
        _ => Err("not a returned interview".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_returns_file_counts_only_signed_by_the_hub_and_unchanged() {
        let hub = crate::protocol::keys::new_signing_key();
        let other = crate::protocol::keys::new_signing_key();
        let r = Returns {
            hub: Uuid::now_v7(),
            device: Uuid::now_v7(),
            items: vec![(Uuid::now_v7(), vec![1, 2, 3])],
        };
        let bytes = sign(&r, &hub);
        assert!(is_returns(&bytes));
        assert_eq!(verify(&bytes, &hub.verifying_key()).unwrap(), r);
        let err = verify(&bytes, &other.verifying_key()).unwrap_err();
        assert!(err.contains("signature"), "{err}");
        let mut flipped = bytes.clone();
        let n = flipped.len();
        flipped[n - 70] ^= 1;
        assert!(verify(&flipped, &hub.verifying_key()).is_err());
        // A receipt is not a returns file, even signed by the same hub.
        let receipt = bundle::sign_receipt(
            &bundle::Receipt {
                hub: r.hub,
                device: r.device,
                bundle_seq: 1,
                items: vec![],
            },
            &hub,
        );
        assert!(!is_returns(&receipt));
        assert!(verify(&receipt, &hub.verifying_key()).is_err());
    }
}
