//! The one place that calls bincode: values to bytes with a schema-version byte in front,
//! and framed, checksummed records for files.
//!
//! Keeping bincode here means it can be swapped (bincode 3 is an empty tombstone) by
//! changing one module; the version byte lets a later release migrate old stores.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// Schema version of every record written by this build. 2: index entries gained `sent_at`
/// (see `store::record::decode_index_entry` for reading version 1). 3: drafts gained `held`
/// (see `store::record::decode_draft` and `store::journal` for reading older ones). 4:
/// finalized interviews gained `training` (see `record::decode_finalized`).
pub(crate) const SCHEMA: u8 = 4;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DecodeError {
    #[error("empty record")]
    Empty,
    #[error("record written by a newer version of Lắng Nghe (schema {0}); update the app")]
    Newer(u8),
    #[error("record is damaged: {0}")]
    Damaged(String),
    /// Its key was destroyed: the record was erased (a crash may have left a copy behind).
    #[error("record was erased")]
    Erased,
}

pub fn encode<T: Serialize>(v: &T) -> Vec<u8> {
    let mut out = vec![SCHEMA];
    // Serializing plain structs into a Vec cannot fail; an error here is a bug, not I/O.
    if let Err(e) = bincode::serialize_into(&mut out, v) {
        panic!("encoding a record failed: {e}");
    }
    out
}

/// The bincode body alone, without the store's schema byte: for wire formats, which carry
/// their own version (see `sync::bundle`), so a change to the store never changes the wire.
pub(crate) fn encode_body<T: Serialize>(v: &T) -> Vec<u8> {
    let mut out = Vec::new();
    if let Err(e) = bincode::serialize_into(&mut out, v) {
        panic!("encoding a record failed: {e}");
    }
    out
}

/// Decodes a record whose layout has not changed across schema versions.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, DecodeError> {
    decode_body(split(bytes)?.1)
}

/// The schema version a record was written with, and its body.
pub fn split(bytes: &[u8]) -> Result<(u8, &[u8]), DecodeError> {
    let (&version, body) = bytes.split_first().ok_or(DecodeError::Empty)?;
    if version > SCHEMA {
        return Err(DecodeError::Newer(version));
    }
    Ok((version, body))
}

/// Decodes a body already split from its version byte (for migrations).
pub(crate) fn decode_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, DecodeError> {
    use bincode::Options;
    // The same layout as `bincode::serialize`, but no length read from the bytes may claim
    // more than the bytes hold: a damaged or hostile record cannot ask for a huge allocation.
    bincode::DefaultOptions::new()
        .with_fixint_encoding()
        .allow_trailing_bytes()
        .with_limit(body.len() as u64)
        .deserialize(body)
        .map_err(|e| DecodeError::Damaged(e.to_string()))
}

/// Frame magic: marks the start of each record in an append-only file.
pub const MAGIC: [u8; 4] = *b"LNR1";
pub const HEADER: usize = 12;
/// Marks a record erased in place: same length, payload zeroed.
pub(crate) const ERASED: [u8; 4] = *b"LNR0";

/// The bytes that replace an erased record of `total` bytes (header included).
pub fn erased(total: usize) -> Vec<u8> {
    let total = total.max(HEADER);
    let mut out = vec![0u8; total];
    out[..4].copy_from_slice(&ERASED);
    out[4..8].copy_from_slice(&((total - HEADER) as u32).to_le_bytes());
    out
}

/// `MAGIC | length u32 LE | crc32 u32 LE | payload`.
pub fn frame(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER + payload.len());
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
    out.extend_from_slice(payload);
    out
}

/// What the bytes at the start of `buf` hold.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame<'a> {
    /// A whole record whose checksum matches, and the bytes it spans.
    Ok(&'a [u8], usize),
    /// The file ends inside a record: a write that never completed.
    Truncated,
    /// Not a record start, or the checksum does not match.
    Bad(String),
}

/// What a frame header says: its marker, the payload length and checksum it claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    Record,
    Erased,
    None,
}

/// Reads the 12 header bytes of a frame (the one parser for the store's files).
pub fn header(h: &[u8; HEADER]) -> (Marker, usize, u32) {
    let marker = if h[..4] == MAGIC {
        Marker::Record
    } else if h[..4] == ERASED {
        Marker::Erased
    } else {
        Marker::None
    };
    let len = u32::from_le_bytes([h[4], h[5], h[6], h[7]]) as usize;
    let crc = u32::from_le_bytes([h[8], h[9], h[10], h[11]]);
    (marker, len, crc)
}

pub fn unframe(buf: &[u8]) -> Frame<'_> {
    let Some(h) = buf.first_chunk::<HEADER>() else {
        return Frame::Truncated;
    };
    let (len, crc) = match header(h) {
        (Marker::Erased, ..) => return Frame::Bad("erased".into()),
        (Marker::None, ..) => return Frame::Bad("no record marker".into()),
        (Marker::Record, len, crc) => (len, crc),
    };
    let Some(payload) = HEADER.checked_add(len).and_then(|end| buf.get(HEADER..end)) else {
        return Frame::Truncated;
    };
    if crc32fast::hash(payload) != crc {
        return Frame::Bad("checksum mismatch".into());
    }
    Frame::Ok(payload, HEADER + len)
}
