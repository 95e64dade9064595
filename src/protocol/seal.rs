//! Sealing a finalized interview to the hub: zstd inside an age (X25519) envelope, so a data
//! manager can also open it with the stock `age`/`rage` tools and the hub identity.

use std::cell::RefCell;
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
    let packed = pack(plain).map_err(|e| SealError::Encrypt(e.to_string()))?;
    // Each recipient with its table (made once per process); age's own for a key that has none.
    let fast: Vec<Option<super::recipient::Recipient>> = recipients
        .iter()
        .map(super::recipient::with_table)
        .collect();
    let to = recipients.iter().zip(&fast).map(|(r, f)| match f {
        Some(f) => f as &dyn age::Recipient,
        None => r as &dyn age::Recipient,
    });
    let enc = age::Encryptor::with_recipients(to).map_err(|e| SealError::Encrypt(e.to_string()))?;
    // The envelope adds a header (about 200 bytes a recipient) and 16 bytes a 64 KiB chunk:
    // sized once, since a bundle of 16 MB holds thousands of these.
    let mut out = Vec::with_capacity(
        1 + 128 + 200 * recipients.len() + packed.len() + 16 * (packed.len() / 65536 + 1),
    );
    out.push(SEALED);
    let mut w = enc
        .wrap_output(&mut out)
        .map_err(|e| SealError::Encrypt(e.to_string()))?;
    w.write_all(&packed)
        .map_err(|e| SealError::Encrypt(e.to_string()))?;
    w.finish().map_err(|e| SealError::Encrypt(e.to_string()))?;
    Ok(out)
}

thread_local! {
    // One zstd context per thread, made once: a context costs more to set up (allocating
    // and clearing its tables) than compressing or expanding one interview, and a hub
    // export opens a million of them.
    static PACKER: RefCell<Option<zstd::bulk::Compressor<'static>>> = const { RefCell::new(None) };
    static UNPACKER: RefCell<Option<zstd::bulk::Decompressor<'static>>> = const { RefCell::new(None) };
}

fn pack(plain: &[u8]) -> std::io::Result<Vec<u8>> {
    PACKER.with(|c| {
        let mut c = c.borrow_mut();
        if c.is_none() {
            *c = Some(zstd::bulk::Compressor::new(3)?);
        }
        match c.as_mut() {
            Some(c) => c.compress(plain),
            None => Err(std::io::Error::other("no zstd context")),
        }
    })
}

/// zstd(plain) expanded, never past [`MAX_PLAIN`] (a zstd bomb is refused, not expanded).
fn unpack(packed: &[u8]) -> std::io::Result<Vec<u8>> {
    let size = match zstd::zstd_safe::get_frame_content_size(packed) {
        Ok(Some(n)) if n <= MAX_PLAIN => n as usize,
        Ok(Some(_)) => return Err(std::io::Error::other("interview too large")),
        // A frame that does not say its size (not one `seal` makes): read as a stream.
        _ => return unpack_stream(packed),
    };
    UNPACKER.with(|d| {
        let mut d = d.borrow_mut();
        if d.is_none() {
            *d = Some(zstd::bulk::Decompressor::new()?);
        }
        let mut plain = Vec::with_capacity(size);
        match d.as_mut() {
            // Fails, rather than grows, if the frames hold more than the first one said.
            Some(d) => d.decompress_to_buffer(packed, &mut plain).map(|_| plain),
            None => Err(std::io::Error::other("no zstd context")),
        }
    })
}

fn unpack_stream(packed: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut plain = Vec::new();
    zstd::stream::read::Decoder::new(packed)?
        .take(MAX_PLAIN + 1)
        .read_to_end(&mut plain)?;
    Ok(plain)
}

/// Opens what [`seal`] made, with the hub's identity (an [`Opener`](super::opener::Opener)
/// when many items are opened).
pub fn open(sealed: &[u8], identity: &impl age::Identity) -> Result<Vec<u8>, SealError> {
    let body = sealed
        .strip_prefix(&[SEALED])
        .ok_or_else(|| SealError::Decrypt("not a sealed record".into()))?;
    let packed = age::decrypt(identity, body).map_err(|e| SealError::Decrypt(e.to_string()))?;
    let plain = unpack(&packed).map_err(|e| SealError::Decrypt(e.to_string()))?;
    if plain.len() as u64 > MAX_PLAIN {
        return Err(SealError::Decrypt("interview too large".into()));
    }
    Ok(plain)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealed_raw(packed: &[u8], id: &age::x25519::Identity) -> Vec<u8> {
        let r = id.to_public();
        let enc = age::Encryptor::with_recipients(std::iter::once(&r as &dyn age::Recipient))
            .expect("recipient");
        let mut out = vec![SEALED];
        let mut w = enc.wrap_output(&mut out).expect("wrap");
        w.write_all(packed).expect("write");
        w.finish().expect("finish");
        out
    }

    #[test]
    fn what_is_sealed_opens_the_same_again_and_again() {
        let id = age::x25519::Identity::generate();
        for n in [0usize, 1, 700, 70_000, 300_000] {
            let plain: Vec<u8> = (0..n).map(|i| (i * 7 % 251) as u8).collect();
            let sealed = seal(&plain, &[id.to_public()]).expect("seal");
            assert_eq!(open(&sealed, &id).expect("open"), plain, "{n} bytes");
            assert_eq!(
                open(&sealed, &id).expect("again"),
                plain,
                "{n} bytes, reused"
            );
        }
    }

    #[test]
    fn zstd_bombs_and_frames_that_lie_about_their_size_are_refused() {
        let id = age::x25519::Identity::generate();
        let big = vec![0u8; MAX_PLAIN as usize + 1];
        // A frame saying it holds more than an interview may.
        let said = zstd::bulk::compress(&big, 3).expect("compress");
        let e = open(&sealed_raw(&said, &id), &id).expect_err("bomb");
        assert!(e.to_string().contains("too large"), "{e}");
        // The same without its size (a stream): read no further than the limit.
        let unsaid = zstd::stream::encode_all(big.as_slice(), 3).expect("encode");
        assert_eq!(
            zstd::zstd_safe::get_frame_content_size(&unsaid)
                .ok()
                .flatten(),
            None
        );
        let e = open(&sealed_raw(&unsaid, &id), &id).expect_err("stream bomb");
        assert!(e.to_string().contains("too large"), "{e}");
        // A small frame followed by a big one: the first frame's size is all it gets.
        let mut two = zstd::bulk::compress(b"small", 3).expect("compress");
        two.extend(zstd::bulk::compress(&vec![1u8; 100_000], 3).expect("compress"));
        assert!(open(&sealed_raw(&two, &id), &id).is_err());
        // A streamed frame within the limit opens.
        let ok = zstd::stream::encode_all(&b"hello"[..], 3).expect("encode");
        assert_eq!(open(&sealed_raw(&ok, &id), &id).expect("open"), b"hello");
    }
}
