//! Sealing many items to the same age X25519 recipient (the hub): the recipient's key gets a
//! precomputed multiplication table, made once per process. age's own recipient does a
//! Montgomery-ladder X25519 for every item — half of a device's sync CPU, since every
//! refusal is sealed when it is sent. X25519(esk, pk) is the u-coordinate of esk·P for the
//! Edwards point P with pk's u-coordinate, and a table for a fixed P makes that product about
//! three times cheaper (it is how the ephemeral key esk·B is computed already). The stanza is
//! then made as the age specification says (c2sp.org/age, "X25519 recipient stanza"), with
//! age's own HKDF and ChaCha20-Poly1305; a test checks the product against X25519 itself and
//! that stock age opens the result.

use age::EncryptError;
use age::secrecy::ExposeSecret;
use age_core::format::{FileKey, Stanza};
use age_core::primitives::aead_encrypt;
use base64::Engine;
use curve25519_dalek::edwards::{EdwardsBasepointTable, EdwardsPoint};
use curve25519_dalek::montgomery::MontgomeryPoint;
use curve25519_dalek::traits::BasepointTable;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use super::stanza::{self, B64, TAG};

/// An age X25519 recipient with its multiplication table.
pub(crate) struct Recipient {
    public: MontgomeryPoint,
    table: Arc<EdwardsBasepointTable>,
}

/// The tables made so far, by recipient key, about 30 KB each: a device seals to its hub and
/// its escrow holders, a handful. A hub also seals returns to each device's own key, once
/// in a while: those beyond the first few get no table (a long-running hub with thousands of
/// devices would otherwise keep a table for each).
static TABLES: Mutex<Option<HashMap<[u8; 32], Arc<EdwardsBasepointTable>>>> = Mutex::new(None);
const MAX_TABLES: usize = 8;

/// `r` with its table, made on first use; `None` for a key that is not a point of large
/// order on the curve (then age's own recipient seals, and refuses, as it always did), or
/// once [`MAX_TABLES`] other keys have theirs (age's own recipient seals then too).
pub(crate) fn with_table(r: &age::x25519::Recipient) -> Option<Recipient> {
    let bytes = key_of(r)?;
    let mut tables = TABLES.lock().unwrap_or_else(|p| p.into_inner());
    let tables = tables.get_or_insert_with(HashMap::new);
    let table = match tables.get(&bytes) {
        Some(t) => t.clone(),
        None if tables.len() >= MAX_TABLES => return None,
        None => {
            let t = table_of(bytes)?;
            tables.insert(bytes, t.clone());
            t
        }
    };
    Some(Recipient {
        public: MontgomeryPoint(bytes),
        table,
    })
}

fn key_of(r: &age::x25519::Recipient) -> Option<[u8; 32]> {
    stanza::key_bytes(&r.to_string(), "age").ok().map(|k| *k)
}

fn table_of(key: [u8; 32]) -> Option<Arc<EdwardsBasepointTable>> {
    let point = MontgomeryPoint(key).to_edwards(0)?;
    if point.is_small_order() {
        return None;
    }
    Some(Arc::new(EdwardsBasepointTable::create(&point)))
}

impl Recipient {
    /// (esk·B, X25519(esk, pk)): the ephemeral share and the shared secret.
    fn agree(&self, esk: [u8; 32]) -> (MontgomeryPoint, MontgomeryPoint) {
        let epk = EdwardsPoint::mul_base_clamped(esk).to_montgomery();
        let shared = self.table.mul_base_clamped(esk).to_montgomery();
        (epk, shared)
    }
}

impl age::Recipient for Recipient {
    fn wrap_file_key(
        &self,
        file_key: &FileKey,
    ) -> Result<(Vec<Stanza>, HashSet<String>), EncryptError> {
        let mut esk = zeroize::Zeroizing::new([0u8; 32]);
        rand_core::RngCore::try_fill_bytes(&mut rand_core::OsRng, esk.as_mut())
            .map_err(|e| EncryptError::Io(std::io::Error::other(e.to_string())))?;
        let (epk, shared) = self.agree(*esk);
        let shared = zeroize::Zeroizing::new(shared.to_bytes());
        // Only an all-zero esk (a broken random source) gets here, the key being of large
        // order: fail rather than seal under a key anyone knows.
        if *shared == [0u8; 32] {
            return Err(EncryptError::Io(std::io::Error::other(
                "the random source gave a zero key",
            )));
        }
        let key = stanza::wrap_key(epk.as_bytes(), self.public.as_bytes(), &shared);
        let stanza = Stanza {
            tag: TAG.to_string(),
            args: vec![B64.encode(epk.as_bytes())],
            body: aead_encrypt(&key, file_key.expose_secret()),
        };
        Ok((vec![stanza], HashSet::new()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// `r` with a table of its own (the shared cache is bounded and other tests fill it).
    fn uncached(r: &age::x25519::Recipient) -> Option<Recipient> {
        let key = key_of(r)?;
        Some(Recipient {
            public: MontgomeryPoint(key),
            table: table_of(key)?,
        })
    }

    fn recipient_of(key: [u8; 32]) -> age::x25519::Recipient {
        bech32::encode(
            "age",
            bech32::ToBase32::to_base32(&key),
            bech32::Variant::Bech32,
        )
        .expect("bech32")
        .parse()
        .expect("a recipient")
    }

    #[test]
    fn the_table_gives_x25519_itself() {
        for i in 0u8..64 {
            let pk = age::x25519::Identity::generate().to_public();
            let r = uncached(&pk).expect("a hub key");
            let esk: [u8; 32] = std::array::from_fn(|j| (j as u8).wrapping_mul(31) ^ i);
            let (epk, shared) = r.agree(esk);
            assert_eq!(
                epk.to_bytes(),
                x25519_dalek::x25519(esk, x25519_dalek::X25519_BASEPOINT_BYTES)
            );
            assert_eq!(
                shared.to_bytes(),
                x25519_dalek::x25519(esk, r.public.to_bytes())
            );
        }
    }

    #[test]
    fn stock_age_opens_what_is_sealed_with_the_table() {
        let hub = age::x25519::Identity::generate();
        let escrow = age::x25519::Identity::generate();
        let to = [hub.to_public(), escrow.to_public()];
        for n in [0usize, 5, 70_000] {
            let plain: Vec<u8> = (0..n).map(|i| (i * 3 % 256) as u8).collect();
            let fast: Vec<Recipient> = to.iter().map(|r| uncached(r).expect("key")).collect();
            let enc =
                age::Encryptor::with_recipients(fast.iter().map(|r| r as &dyn age::Recipient))
                    .expect("recipients");
            let mut sealed = Vec::new();
            let mut w = enc.wrap_output(&mut sealed).expect("wrap");
            w.write_all(&plain).expect("write");
            w.finish().expect("finish");
            assert_eq!(age::decrypt(&hub, &sealed).expect("hub opens"), plain);
            assert_eq!(age::decrypt(&escrow, &sealed).expect("escrow opens"), plain);
            let stranger = age::x25519::Identity::generate();
            assert!(age::decrypt(&stranger, &sealed).is_err());
        }
    }

    #[test]
    fn only_a_few_keys_get_a_table_and_the_first_keep_theirs() {
        // Other tests in this process seal to new keys too: however full the cache is, new
        // keys stop getting a table within the limit, and the keys held keep theirs.
        let refused = (0..=MAX_TABLES)
            .map(|_| with_table(&age::x25519::Identity::generate().to_public()))
            .filter(Option::is_none)
            .count();
        assert!(refused >= 1, "the cache is bounded");
        let held: Vec<[u8; 32]> = TABLES
            .lock()
            .map(|t| t.as_ref().map(|m| m.keys().copied().collect()))
            .ok()
            .flatten()
            .unwrap_or_default();
        assert_eq!(held.len(), MAX_TABLES);
        for key in held {
            assert!(
                with_table(&recipient_of(key)).is_some(),
                "a key held keeps its table"
            );
        }
        // Sealing to a key without a table still works (age's own recipient).
        let id = age::x25519::Identity::generate();
        let sealed = crate::protocol::seal::seal(b"late", &[id.to_public()]).expect("seal");
        assert_eq!(
            crate::protocol::seal::open(&sealed, &id).expect("open"),
            b"late"
        );
    }

    #[test]
    fn a_low_order_key_gets_no_table() {
        // The all-zero u-coordinate: a point of small order (any secret gives a zero secret).
        assert!(uncached(&recipient_of([0u8; 32])).is_none());
        assert!(with_table(&recipient_of([0u8; 32])).is_none());
    }
}
