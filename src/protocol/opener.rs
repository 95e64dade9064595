//! An age X25519 identity made to open many sealed items: its public half is computed once.
//! The `age` crate's own identity derives it again for every item (the X25519 recipient
//! stanza's key is derived with it), a fixed-base multiplication that was a quarter of each
//! opening — and a hub opens every interview it receives, reports on or exports. The
//! unwrapping below follows the age specification (c2sp.org/age, "X25519 recipient stanza")
//! step for step, with age's own HKDF and ChaCha20-Poly1305; age still reads the header,
//! checks its MAC with the file key and decrypts the payload.

use age::DecryptError;
use age::secrecy::ExposeSecret;
use age_core::format::{FILE_KEY_BYTES, FileKey, Stanza};
use age_core::primitives::aead_decrypt;
use x25519_dalek::{PublicKey, StaticSecret};

use super::stanza::{self, TAG};

/// The hub's (or an escrow holder's) identity, ready to open items by the million.
#[derive(Clone)]
pub struct Opener {
    secret: StaticSecret,
    public: PublicKey,
}

impl std::fmt::Debug for Opener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secret.
        write!(
            f,
            "Opener({})",
            crate::protocol::keys::hex(self.public.as_bytes())
        )
    }
}

impl Opener {
    pub fn new(identity: &age::x25519::Identity) -> Result<Opener, String> {
        let key = stanza::key_bytes(identity.to_string().expose_secret(), "age-secret-key-")?;
        let secret = StaticSecret::from(*key);
        let public = PublicKey::from(&secret);
        Ok(Opener { secret, public })
    }
}

impl age::Identity for Opener {
    fn unwrap_stanza(&self, stanza: &Stanza) -> Option<Result<FileKey, DecryptError>> {
        if stanza.tag != TAG {
            return None;
        }
        // Canonical form only: one unpadded base64 argument of 32 bytes, a 32-byte body.
        let epk = match &stanza.args[..] {
            [arg] => match stanza::share_of(arg) {
                Some(epk) => epk,
                None => return Some(Err(DecryptError::InvalidHeader)),
            },
            _ => return Some(Err(DecryptError::InvalidHeader)),
        };
        if stanza.body.len() != FILE_KEY_BYTES + 16 {
            return Some(Err(DecryptError::InvalidHeader));
        }
        let epk = PublicKey::from(epk);
        let shared = self.secret.diffie_hellman(&epk);
        // A low-order share gives an all-zero secret anyone could compute: refused.
        if !shared.was_contributory() {
            return Some(Err(DecryptError::InvalidHeader));
        }
        let key = stanza::wrap_key(epk.as_bytes(), self.public.as_bytes(), shared.as_bytes());
        // Not ours (another recipient's stanza) is not an error: the caller tries the next.
        let plain = zeroize::Zeroizing::new(aead_decrypt(&key, FILE_KEY_BYTES, &stanza.body).ok()?);
        Some(Ok(FileKey::init_with_mut(|k| k.copy_from_slice(&plain))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use age::Identity as _;
    use base64::Engine;
    use std::io::{Read, Write};

    fn encrypt(plain: &[u8], to: &[age::x25519::Recipient]) -> Vec<u8> {
        let enc = age::Encryptor::with_recipients(to.iter().map(|r| r as &dyn age::Recipient))
            .expect("recipients");
        let mut out = Vec::new();
        let mut w = enc.wrap_output(&mut out).expect("wrap");
        w.write_all(plain).expect("write");
        w.finish().expect("finish");
        out
    }

    /// Errors as `Debug`: age's `Display` reads its localized messages, which a debug build
    /// loads at run time from age's source folder — absent where the Windows tests run.
    fn decrypt(opener: &Opener, file: &[u8]) -> Result<Vec<u8>, String> {
        let d = age::Decryptor::new_buffered(file).map_err(|e| format!("{e:?}"))?;
        let mut r = d
            .decrypt(std::iter::once(opener as &dyn age::Identity))
            .map_err(|e| format!("{e:?}"))?;
        let mut out = Vec::new();
        r.read_to_end(&mut out).map_err(|e| format!("{e:?}"))?;
        Ok(out)
    }

    #[test]
    fn opens_what_age_seals_to_it_and_nothing_sealed_to_another() {
        let id = age::x25519::Identity::generate();
        let other = age::x25519::Identity::generate();
        let opener = Opener::new(&id).expect("opener");
        // The public half is the one age derives (`to_public` prints it as bech32).
        let public = stanza::key_bytes(&id.to_public().to_string(), "age").expect("bech32");
        assert_eq!(opener.public.as_bytes(), &*public);
        for n in [0usize, 1, 100, 70_000] {
            let plain: Vec<u8> = (0..n).map(|i| (i * 13 % 251) as u8).collect();
            let mine = encrypt(&plain, &[id.to_public()]);
            assert_eq!(decrypt(&opener, &mine).expect("open"), plain, "{n} bytes");
            // Among several recipients, whichever stanza is ours.
            let both = encrypt(&plain, &[other.to_public(), id.to_public()]);
            assert_eq!(decrypt(&opener, &both).expect("open"), plain);
            let theirs = encrypt(&plain, &[other.to_public()]);
            assert!(decrypt(&opener, &theirs).is_err(), "opened another's item");
        }
    }

    fn stanza(args: Vec<String>, body: Vec<u8>) -> Stanza {
        Stanza {
            tag: TAG.into(),
            args,
            body,
        }
    }

    #[test]
    fn malformed_and_low_order_stanzas_are_refused() {
        let opener = Opener::new(&age::x25519::Identity::generate()).expect("opener");
        let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD_NO_PAD.encode(b);
        let refused = |s: Stanza| matches!(opener.unwrap_stanza(&s), Some(Err(_)));
        let some_point = PublicKey::from(&StaticSecret::from([7u8; 32]));
        // No argument, two, a short one, a padded one, a body of the wrong size.
        assert!(refused(stanza(vec![], vec![0; 32])));
        assert!(refused(stanza(
            vec![b64(some_point.as_bytes()); 2],
            vec![0; 32]
        )));
        assert!(refused(stanza(vec![b64(&[1; 31])], vec![0; 32])));
        let padded = base64::engine::general_purpose::STANDARD.encode(some_point.as_bytes());
        assert!(refused(stanza(vec![padded], vec![0; 32])));
        assert!(refused(stanza(
            vec![b64(some_point.as_bytes())],
            vec![0; 31]
        )));
        // The all-zero point (low order): the shared secret would be zero.
        assert!(refused(stanza(vec![b64(&[0; 32])], vec![0; 32])));
        // Well formed but not ours: not an error, just not this identity's.
        assert!(
            opener
                .unwrap_stanza(&stanza(vec![b64(some_point.as_bytes())], vec![0; 32]))
                .is_none()
        );
        // Another recipient type is not ours either.
        let scrypt = Stanza {
            tag: "scrypt".into(),
            args: vec![],
            body: vec![],
        };
        assert!(opener.unwrap_stanza(&scrypt).is_none());
    }
}
