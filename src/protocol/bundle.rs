//! The bundle and receipt formats (see docs/bundle-format.md): pure functions over bytes.

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

pub const MAGIC: [u8; 4] = *b"LNGB";
pub const VERSION: u8 = 1;
/// Signed along with the header so a signature over something else can never pass for one.
pub(crate) const BUNDLE_DOMAIN: &[u8] = b"langnghe-bundle-v1";
pub(crate) const RECEIPT_DOMAIN: &[u8] = b"langnghe-receipt-v1";
pub const RECEIPT_MAGIC: [u8; 4] = *b"LNRC";
/// Receipt format version, right after its magic.
pub(crate) const RECEIPT_VERSION: u8 = 1;
/// Version of a sealed item's plaintext (what the hub decrypts), kept apart from the device
/// store's schema byte so that a change to the store never breaks a mixed fleet. Version 2 is
/// the first one written (it matched the store's schema at the time); 1 reads the same. 3:
/// interviews carry the training mark (a hub of before cannot read them: update hubs first).
pub const PAYLOAD_VERSION: u8 = 3;
/// First byte of a sealed tombstone's plaintext (an interview's is [`PAYLOAD_VERSION`]).
pub(crate) const TOMBSTONE_TAG: u8 = b'T';
/// First byte of a sealed form definition's plaintext: the exact form (TOML) that interviews
/// in the same bundle were taken with, so the hub can always read them.
pub(crate) const FORM_TAG: u8 = b'F';
/// First byte of a sealed referral notice's plaintext.
pub(crate) const REFERRAL_TAG: u8 = b'R';
/// The high half of a form item's id; the low half is the form's content hash.
const FORM_ID_HIGH: u64 = u64::from_be_bytes(*b"LNFORM\0\0");
pub(crate) const ENROLL_DOMAIN: &[u8] = b"langnghe-enroll-v1";
pub(crate) const FORMS_DOMAIN: &[u8] = b"langnghe-forms-v1";
/// magic 4 | version 1 | device 16 | seq 8 | hub 16 | count 4 | payload_len 8 | payload_hash 32
pub const HEADER_LEN: usize = 4 + 1 + 16 + 8 + 16 + 4 + 8 + 32;
pub const SIG_LEN: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub device: Uuid,
    pub seq: u64,
    pub hub: Uuid,
    pub count: u32,
    pub payload_len: u64,
    pub payload_hash: [u8; 32],
}

impl Header {
    fn bytes(&self) -> Vec<u8> {
        let mut h = Vec::with_capacity(HEADER_LEN);
        h.extend_from_slice(&MAGIC);
        h.push(VERSION);
        h.extend_from_slice(self.device.as_bytes());
        h.extend_from_slice(&self.seq.to_le_bytes());
        h.extend_from_slice(self.hub.as_bytes());
        h.extend_from_slice(&self.count.to_le_bytes());
        h.extend_from_slice(&self.payload_len.to_le_bytes());
        h.extend_from_slice(&self.payload_hash);
        h
    }

    pub fn parse(b: &[u8]) -> Result<Header, String> {
        if b.len() < HEADER_LEN {
            return Err("too short to be a bundle".into());
        }
        if b[..4] != MAGIC {
            return Err("not a Lắng Nghe bundle (bad magic)".into());
        }
        if b[4] != VERSION {
            return Err(format!("bundle format version {} is not supported", b[4]));
        }
        let u = |r: std::ops::Range<usize>| Uuid::from_slice(&b[r]).map_err(|e| e.to_string());
        let n8 = |r: std::ops::Range<usize>| u64::from_le_bytes(b[r].try_into().unwrap_or([0; 8]));
        Ok(Header {
            device: u(5..21)?,
            seq: n8(21..29),
            hub: u(29..45)?,
            count: u32::from_le_bytes(b[45..49].try_into().unwrap_or([0; 4])),
            payload_len: n8(49..57),
            payload_hash: b[57..89].try_into().unwrap_or([0; 32]),
        })
    }
}

fn signed_message(domain: &[u8], header: &[u8], hash: &[u8; 32]) -> Vec<u8> {
    [domain, header, hash].concat()
}

/// Builds a bundle: header, the sealed interviews, and the device's signature.
pub fn build(
    device: Uuid,
    seq: u64,
    hub: Uuid,
    items: &[(Uuid, Vec<u8>)],
    key: &SigningKey,
) -> Vec<u8> {
    // Built in place, in one buffer of the exact size: a bundle is up to 16 MB, and an old
    // laptop should not hold it three times over (growing, then copied behind the header).
    let payload_len: usize = items.iter().map(|(_, s)| 16 + 4 + s.len()).sum();
    let mut out = Vec::with_capacity(HEADER_LEN + payload_len + SIG_LEN);
    out.resize(HEADER_LEN, 0);
    for (id, sealed) in items {
        out.extend_from_slice(id.as_bytes());
        out.extend_from_slice(&(sealed.len() as u32).to_le_bytes());
        out.extend_from_slice(sealed);
    }
    let header = Header {
        device,
        seq,
        hub,
        count: items.len() as u32,
        payload_len: payload_len as u64,
        payload_hash: Sha256::digest(&out[HEADER_LEN..]).into(),
    };
    let hb = header.bytes();
    out[..HEADER_LEN].copy_from_slice(&hb);
    let sig = key.sign(&signed_message(BUNDLE_DOMAIN, &hb, &header.payload_hash));
    out.extend_from_slice(&sig.to_bytes());
    out
}

/// A bundle whose signature and payload hash check out; its items are still sealed.
#[derive(Debug)]
pub struct Verified<'a> {
    pub header: Header,
    pub items: Vec<(Uuid, &'a [u8])>,
}

/// Checks shape, signature and payload hash — before anything is decrypted.
pub fn verify<'a>(b: &'a [u8], key: &VerifyingKey) -> Result<Verified<'a>, String> {
    let header = checked_header(b)?;
    let sig = Signature::from_bytes(
        b[b.len() - SIG_LEN..]
            .try_into()
            .map_err(|_| "bad signature length")?,
    );
    key.verify(
        &signed_message(BUNDLE_DOMAIN, &b[..HEADER_LEN], &header.payload_hash),
        &sig,
    )
    .map_err(|_| "signature does not match this device's key".to_string())?;
    split(b, header)
}

/// Shape and payload hash only, for someone who holds a sealing key but not the sending
/// device's public key (an escrow holder opening a bundle from a USB stick): it tells damage
/// from a whole file, not who wrote it.
pub fn read_unsigned(b: &[u8]) -> Result<Verified<'_>, String> {
    let header = checked_header(b)?;
    split(b, header)
}

fn checked_header(b: &[u8]) -> Result<Header, String> {
    let header = Header::parse(b)?;
    // Every length read from the wire is checked, never trusted to add up without overflow.
    let expected = (HEADER_LEN as u64)
        .checked_add(header.payload_len)
        .and_then(|n| n.checked_add(SIG_LEN as u64));
    if expected != Some(b.len() as u64) {
        return Err(format!(
            "bundle is {} bytes, its header says {} (cut short or padded)",
            b.len(),
            expected.map_or_else(|| "more than can exist".to_string(), |n| n.to_string())
        ));
    }
    Ok(header)
}

/// The payload, its hash checked, cut into its items.
fn split(b: &[u8], header: Header) -> Result<Verified<'_>, String> {
    let payload = b
        .get(HEADER_LEN..b.len() - SIG_LEN)
        .ok_or("bundle cut short")?;
    let hash: [u8; 32] = Sha256::digest(payload).into();
    if hash != header.payload_hash {
        return Err("payload does not match its hash (damaged in transit)".into());
    }
    // The count comes from the wire: it may not size an allocation beyond what the payload holds.
    let mut items = Vec::with_capacity((header.count as usize).min(payload.len() / 20));
    let mut at = 0usize;
    while at < payload.len() {
        if payload.len() - at < 20 {
            return Err("payload ends inside an item".into());
        }
        let id = Uuid::from_slice(&payload[at..at + 16]).map_err(|e| e.to_string())?;
        let len =
            u32::from_le_bytes(payload[at + 16..at + 20].try_into().unwrap_or([0; 4])) as usize;
        at += 20;
        let sealed = at
            .checked_add(len)
            .and_then(|end| payload.get(at..end))
            .ok_or("payload ends inside an item")?;
        items.push((id, sealed));
        at += len;
    }
    if items.len() != header.count as usize {
        return Err(format!(
            "header says {} interviews, payload holds {}",
            header.count,
            items.len()
        ));
    }
    Ok(Verified { header, items })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ItemStatus {
    Accepted,
    /// Same id, same content: already stored.
    Duplicate,
    /// Same id, different content: kept aside at the hub, nothing overwritten.
    Conflict,
    /// Practice (training mode, simulated) that this hub does not take: delivered, not kept.
    /// Only devices that mark practice (payload 3) are ever told this.
    Refused,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub hub: Uuid,
    pub device: Uuid,
    pub bundle_seq: u64,
    pub items: Vec<(Uuid, ItemStatus)>,
}

/// `RECEIPT_MAGIC | RECEIPT_VERSION | len u32 | body | hub signature`.
pub fn sign_receipt(r: &Receipt, key: &SigningKey) -> Vec<u8> {
    sign_envelope(
        (RECEIPT_MAGIC, RECEIPT_VERSION, RECEIPT_DOMAIN),
        &crate::codec::encode_body(r),
        key,
    )
}

/// A receipt counts only if the hub's key signed it: a captive portal's 200 page does not.
pub fn verify_receipt(b: &[u8], hub_key: &VerifyingKey) -> Result<Receipt, String> {
    let body = open_envelope(
        b,
        (RECEIPT_MAGIC, RECEIPT_VERSION, RECEIPT_DOMAIN),
        "receipt",
        hub_key,
    )?;
    crate::codec::decode_body(body).map_err(|e| e.to_string())
}

/// What a hub-signed envelope is: its magic, format version and signing domain.
pub(crate) type Envelope = ([u8; 4], u8, &'static [u8]);

/// `magic | version | len u32 | body | hub signature` (receipts, returned interviews).
pub(crate) fn sign_envelope(
    (magic, version, domain): Envelope,
    body: &[u8],
    key: &SigningKey,
) -> Vec<u8> {
    let mut out = magic.to_vec();
    out.push(version);
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    let sig = key.sign(&[domain, &out, body].concat());
    out.extend_from_slice(body);
    out.extend_from_slice(&sig.to_bytes());
    out
}

/// The body of an envelope the hub's key signed; `what` names it in errors.
pub(crate) fn open_envelope<'a>(
    b: &'a [u8],
    (magic, version, domain): Envelope,
    what: &str,
    hub_key: &VerifyingKey,
) -> Result<&'a [u8], String> {
    const HEAD: usize = 4 + 1 + 4;
    if b.len() < HEAD + SIG_LEN || b[..4] != magic {
        return Err(format!("the answer is not a hub {what}"));
    }
    if b[4] != version {
        return Err(format!(
            "{what} format version {} is not supported; update the app",
            b[4]
        ));
    }
    let len = u32::from_le_bytes(b[5..9].try_into().unwrap_or([0; 4])) as usize;
    if len.checked_add(HEAD + SIG_LEN) != Some(b.len()) {
        return Err(format!("{what} has the wrong length"));
    }
    let body = b.get(HEAD..HEAD + len).ok_or(format!("{what} cut short"))?;
    let sig = Signature::from_bytes(
        b.get(HEAD + len..)
            .and_then(|s| s.try_into().ok())
            .ok_or("bad signature length")?,
    );
    hub_key
        .verify(&[domain, &b[..HEAD], body].concat(), &sig)
        .map_err(|_| format!("{what} signature does not match the hub's key"))?;
    Ok(body)
}

#[cfg(feature = "hub")]
/// What a sealed item holds once opened.
pub enum Payload {
    Interview(Box<crate::record::Finalized>),
    Tombstone(crate::record::Tombstone),
    /// A form definition's TOML source.
    Form(String),
    Referral(crate::record::ReferralNotice),
}

/// Reads a finalized interview's body (the store's records and the sealed payload share
/// it); `before_training` for one written before the training mark (store schema ≤ 3,
/// payload ≤ 2).
pub(crate) fn decode_finalized(
    body: &[u8],
    before_training: bool,
) -> Result<crate::record::Finalized, crate::codec::DecodeError> {
    if before_training {
        crate::codec::decode_body::<crate::record::FinalizedV3>(body).map(Into::into)
    } else {
        crate::codec::decode_body(body)
    }
}

/// The plaintext sealed for the hub: an interview.
pub fn interview_plaintext(f: &crate::record::Finalized) -> Vec<u8> {
    [vec![PAYLOAD_VERSION], crate::codec::encode_body(f)].concat()
}

/// The id a form definition travels under: fixed by its content, so sending it twice is a
/// duplicate, never a conflict.
pub fn form_item_id(hash: u64) -> Uuid {
    Uuid::from_u64_pair(FORM_ID_HIGH, hash)
}

/// The form content hash behind a form item's id, or `None` for an interview or tombstone.
pub fn form_hash_of(id: Uuid) -> Option<u64> {
    let (high, low) = id.as_u64_pair();
    (high == FORM_ID_HIGH).then_some(low)
}

/// The plaintext sealed for the hub: a form definition (its TOML source).
pub(crate) fn form_plaintext(source: &str) -> Vec<u8> {
    [vec![FORM_TAG, PAYLOAD_VERSION], source.as_bytes().to_vec()].concat()
}

/// The plaintext sealed for the hub: a referral notice.
pub(crate) fn referral_plaintext(n: &crate::record::ReferralNotice) -> Vec<u8> {
    [
        vec![REFERRAL_TAG, PAYLOAD_VERSION],
        crate::codec::encode_body(n),
    ]
    .concat()
}

/// The plaintext sealed for the hub: a tombstone (a refusal or withdrawal, for counting).
pub(crate) fn tombstone_plaintext(t: &crate::record::Tombstone) -> Vec<u8> {
    [
        vec![TOMBSTONE_TAG, PAYLOAD_VERSION],
        crate::codec::encode_body(t),
    ]
    .concat()
}

#[cfg(feature = "hub")]
/// Reads an opened sealed item, checking its version.
pub fn read_plaintext(plain: &[u8]) -> Result<Payload, String> {
    let version = |v: u8| {
        if (1..=PAYLOAD_VERSION).contains(&v) {
            Ok(())
        } else {
            Err(format!(
                "sealed item version {v} is not supported here; update the hub"
            ))
        }
    };
    fn body(b: &[u8]) -> Result<(&u8, &[u8]), String> {
        b.split_first()
            .ok_or_else(|| "empty sealed item".to_string())
    }
    // Tagged kinds: tag, version, body.
    let versioned = |rest| -> Result<&[u8], String> {
        let (&v, rest) = body(rest)?;
        version(v)?;
        Ok(rest)
    };
    match body(plain)? {
        (&TOMBSTONE_TAG, rest) => crate::codec::decode_body(versioned(rest)?)
            .map(Payload::Tombstone)
            .map_err(|e| e.to_string()),
        (&REFERRAL_TAG, rest) => crate::codec::decode_body(versioned(rest)?)
            .map(Payload::Referral)
            .map_err(|e| e.to_string()),
        (&FORM_TAG, rest) => String::from_utf8(versioned(rest)?.to_vec())
            .map(Payload::Form)
            .map_err(|_| "a form definition that is not UTF-8 text".to_string()),
        (&v, rest) => {
            version(v)?;
            decode_finalized(rest, v < 3)
                .map(|f| Payload::Interview(Box::new(f)))
                .map_err(|e| e.to_string())
        }
    }
}

/// What a device signs when it enrols: proof that it holds the key it registers.
pub fn enroll_message(token: &str, device: Uuid) -> Vec<u8> {
    [ENROLL_DOMAIN, token.trim().as_bytes(), device.as_bytes()].concat()
}

/// One form a hub publishes: id, version and the SHA-256 of its file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormInfo {
    pub id: String,
    pub version: String,
    pub sha256: String,
}

/// The hub's list of published forms, signed by the hub's key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormList {
    pub forms: Vec<FormInfo>,
    /// ed25519 signature (hex) over [`FORMS_DOMAIN`] and every entry.
    pub signature: String,
}

fn form_list_message(forms: &[FormInfo]) -> Vec<u8> {
    let mut m = FORMS_DOMAIN.to_vec();
    for f in forms {
        // Lengths first, so no two different lists can sign the same bytes.
        for part in [&f.id, &f.version, &f.sha256] {
            m.extend_from_slice(&(part.len() as u64).to_le_bytes());
            m.extend_from_slice(part.as_bytes());
        }
    }
    m
}

pub fn sign_form_list(forms: Vec<FormInfo>, key: &SigningKey) -> FormList {
    let sig = key.sign(&form_list_message(&forms));
    FormList {
        forms,
        signature: crate::protocol::keys::hex(&sig.to_bytes()),
    }
}

/// A form list counts only if our hub signed it.
pub(crate) fn verify_form_list(list: &FormList, hub_key: &VerifyingKey) -> Result<(), String> {
    let sig: [u8; 64] = crate::protocol::keys::unhex(&list.signature)
        .and_then(|b| b.try_into().ok())
        .ok_or("the form list is not signed")?;
    hub_key
        .verify(
            &form_list_message(&list.forms),
            &Signature::from_bytes(&sig),
        )
        .map_err(|_| "the form list is not signed by this device's hub".to_string())
}

#[cfg(all(test, feature = "hub"))]
mod tests {
    use super::*;
    use crate::record::{FormRef, Stamp};

    fn interview(training: bool) -> crate::record::Finalized {
        let t = Stamp {
            utc: chrono::DateTime::from_timestamp(1_764_000_000, 0).unwrap(),
            offset_secs: 7 * 3600,
        };
        crate::record::Finalized {
            id: Uuid::now_v7(),
            form: FormRef {
                id: "child_participation".into(),
                version: "3".into(),
                hash: 9,
            },
            device: Uuid::now_v7(),
            seq: 4,
            surveyor: "sv".into(),
            started: t,
            finished: t,
            answers: vec![("age".into(), "12".into())],
            paradata: vec![("age".into(), 3_000)],
            duration_ms: 3_000,
            referral: true,
            training,
        }
    }

    #[test]
    fn interviews_written_before_the_training_mark_still_read_as_real() {
        let f = interview(false);
        // Before the mark the body ended at `referral`: the same bytes without the last one.
        let mut old = crate::codec::encode_body(&f);
        assert_eq!(old.pop(), Some(0));
        assert_eq!(decode_finalized(&old, true).unwrap(), f);
        // As the hub reads a sealed interview of payload version 2 …
        let plain = [vec![2u8], old].concat();
        match read_plaintext_for_test(&plain) {
            Some(back) => assert_eq!(back, f),
            None => panic!("a version 2 interview did not read"),
        }
        // (the device store's records of schema 3: `store::record`'s tests.)
        // Practice keeps its mark through the current version.
        let p = interview(true);
        let now = interview_plaintext(&p);
        assert_eq!(now[0], PAYLOAD_VERSION);
        assert_eq!(read_plaintext_for_test(&now), Some(p));
    }

    /// An interview plaintext read back as the hub reads it.
    fn read_plaintext_for_test(plain: &[u8]) -> Option<crate::record::Finalized> {
        match read_plaintext(plain) {
            Ok(Payload::Interview(f)) => Some(*f),
            _ => None,
        }
    }
}
