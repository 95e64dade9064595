//! Finalized interviews on disk, independent of sled: append-only segment files of framed,
//! checksummed records, each append fsync'd before the interview counts as saved.
//!
//! Segments (not one file per interview) keep disk use near the payload size: a 1.5 KB
//! interview would otherwise take a whole 4 KB block, twice over with sled's copy.

use super::error::{Result, StoreError};
use super::paths::sync_dir;
use crate::codec::{self, Frame};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// A segment is closed once it passes this size.
pub(crate) const SEGMENT_BYTES: u64 = 8 << 20;

pub(crate) struct Segments {
    dir: PathBuf,
    current: u32,
    file: File,
    len: u64,
}

/// Where one record was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Loc {
    pub segment: u32,
    pub offset: u64,
    pub len: u32,
}

pub fn segment_path(dir: &Path, n: u32) -> PathBuf {
    dir.join(format!("seg-{n:06}.lnr"))
}

/// Segment numbers present in `dir`, ascending.
pub fn list(dir: &Path) -> Vec<u32> {
    let mut out: Vec<u32> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_prefix("seg-")?
                .strip_suffix(".lnr")?
                .parse()
                .ok()
        })
        .collect();
    out.sort_unstable();
    out
}

impl Segments {
    pub fn open(dir: &Path) -> Result<Segments> {
        super::paths::ensure_private_dir(dir).map_err(StoreError::io("create", dir))?;
        let current = list(dir).last().copied().unwrap_or(1);
        let path = segment_path(dir, current);
        let file = open_append(&path)?;
        let len = valid_len(&path)?;
        // Cut a torn tail left by a crash (after the last whole record, nothing valid follows:
        // `scan` resynchronises past damage, so only a real tail is left over), so new records
        // start on a clean boundary. The cut bytes are moved aside first, never dropped.
        let file_len = file.metadata().map(|m| m.len()).unwrap_or(0);
        if file_len > len {
            keep_aside(&path, len)?;
            file.set_len(len).map_err(StoreError::io("repair", &path))?;
            file.sync_all().map_err(StoreError::io("repair", &path))?;
        }
        sync_dir(dir).map_err(StoreError::io("sync", dir))?;
        Ok(Segments {
            dir: dir.to_path_buf(),
            current,
            file,
            len,
        })
    }

    /// Appends records and fsyncs once. Returns where each landed.
    pub fn append(&mut self, payloads: &[Vec<u8>]) -> Result<Vec<Loc>> {
        if self.len >= SEGMENT_BYTES {
            self.roll()?;
        }
        let mut buf = Vec::new();
        let mut locs = Vec::with_capacity(payloads.len());
        for p in payloads {
            let framed = codec::frame(p);
            locs.push(Loc {
                segment: self.current,
                offset: self.len + buf.len() as u64,
                len: framed.len() as u32,
            });
            buf.extend_from_slice(&framed);
        }
        let path = segment_path(&self.dir, self.current);
        let res = self
            .file
            .write_all(&buf)
            .and_then(|()| self.file.sync_data());
        if let Err(e) = res {
            // Do not leave half a record for the next append to follow.
            let _ = self.file.set_len(self.len);
            return Err(StoreError::io("save the finished interview to", path)(e));
        }
        self.len += buf.len() as u64;
        Ok(locs)
    }

    fn roll(&mut self) -> Result<()> {
        self.current += 1;
        let path = segment_path(&self.dir, self.current);
        self.file = open_append(&path)?;
        self.len = 0;
        sync_dir(&self.dir).map_err(StoreError::io("sync", &self.dir))
    }

    /// Overwrites a record in place with an erased marker and zeros, and fsyncs: the data
    /// is gone from the file, not just unlinked from the index.
    pub fn erase(&mut self, loc: Loc) -> Result<()> {
        let path = segment_path(&self.dir, loc.segment);
        plausible(&path, loc)?;
        let mut f = OpenOptions::new()
            .write(true)
            .open(&path)
            .map_err(StoreError::io("open", &path))?;
        f.seek(SeekFrom::Start(loc.offset))
            .and_then(|_| f.write_all(&codec::erased(loc.len as usize)))
            .and_then(|()| f.sync_data())
            .map_err(StoreError::io("erase in", &path))
    }
}

/// Copies the bytes of `path` from `from` to its end into `path.torn-N` (fsync'd), before a
/// torn tail is cut off.
fn keep_aside(path: &Path, from: u64) -> Result<()> {
    let mut src = File::open(path).map_err(StoreError::io("read", path))?;
    src.seek(SeekFrom::Start(from))
        .map_err(StoreError::io("read", path))?;
    let mut tail = Vec::new();
    src.read_to_end(&mut tail)
        .map_err(StoreError::io("read", path))?;
    let name = path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let mut n = 1;
    let aside = loop {
        let p = path.with_file_name(format!("{name}.torn-{n}"));
        if !p.exists() {
            break p;
        }
        n += 1;
    };
    let mut out =
        crate::store::paths::create_private(&aside).map_err(StoreError::io("create", &aside))?;
    out.write_all(&tail)
        .and_then(|()| out.sync_all())
        .map_err(StoreError::io("write", &aside))
}

fn open_append(path: &Path) -> Result<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .read(true)
        .open(path)
        .map_err(StoreError::io("open", path))
}

/// Length of the prefix of a segment made of whole, valid records.
fn valid_len(path: &Path) -> Result<u64> {
    let mut end = 0u64;
    scan(path, 0, |r| {
        if let Ok((_, loc)) = r {
            end = loc.offset + u64::from(loc.len);
        }
    })?;
    Ok(end)
}

/// A location from the index is trusted only as far as a record can be long: a damaged entry
/// must not make us read gigabytes or overwrite less than a frame header.
fn plausible(path: &Path, loc: Loc) -> Result<()> {
    let len = loc.len as usize;
    if (codec::HEADER..=MAX_RECORD + codec::HEADER).contains(&len) {
        Ok(())
    } else {
        Err(StoreError::Database {
            dir: path.to_path_buf(),
            reason: format!("index entry has an impossible length ({})", loc.len),
        })
    }
}

/// Reads one record back, checking its checksum.
pub fn read(dir: &Path, loc: Loc) -> Result<Vec<u8>> {
    let path = segment_path(dir, loc.segment);
    let mut f = File::open(&path).map_err(StoreError::io("open", &path))?;
    f.seek(SeekFrom::Start(loc.offset))
        .map_err(StoreError::io("read", &path))?;
    plausible(&path, loc)?;
    let mut buf = vec![0; loc.len as usize];
    f.read_exact(&mut buf)
        .map_err(StoreError::io("read", &path))?;
    match codec::unframe(&buf) {
        Frame::Ok(p, _) => Ok(p.to_vec()),
        Frame::Truncated => Err(StoreError::Database {
            dir: path,
            reason: "record cut short".into(),
        }),
        Frame::Bad(why) => Err(StoreError::Database {
            dir: path,
            reason: why,
        }),
    }
}

/// One step of a scan: a good record, or damage at an offset (skipped by searching for the
/// next record marker).
pub(crate) type Scanned<'a> = std::result::Result<(&'a [u8], Loc), (u64, String)>;

/// Largest record accepted when scanning; a length beyond it is damage, not a record.
const MAX_RECORD: usize = 64 << 20;

/// Walks the records of segment file `path` from `from`, stopping at a torn tail. Streams
/// the file, so scanning costs a small buffer, not the segment's size in memory.
pub fn scan(path: &Path, from: u64, mut each: impl FnMut(Scanned<'_>)) -> Result<()> {
    let segment = path
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_prefix("seg-")?.strip_suffix(".lnr")?.parse().ok())
        .unwrap_or(0);
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(StoreError::io("read", path)(e)),
    };
    let mut r = std::io::BufReader::with_capacity(64 * 1024, file);
    r.seek(SeekFrom::Start(from))
        .map_err(StoreError::io("read", path))?;
    let mut at = from;
    let mut payload = Vec::new();
    loop {
        let mut hdr = [0u8; codec::HEADER];
        if !read_full(&mut r, &mut hdr).map_err(StoreError::io("read", path))? {
            break; // end of file, or a torn header
        }
        let (marker, len, crc) = codec::header(&hdr);
        if marker == codec::Marker::Erased && len <= MAX_RECORD {
            // Erased on purpose (withdrawal or retention): skip it silently.
            r.seek(SeekFrom::Current(len as i64))
                .map_err(StoreError::io("read", path))?;
            at += (codec::HEADER + len) as u64;
            continue;
        }
        let damage = if marker != codec::Marker::Record {
            Some("no record marker")
        } else if len > MAX_RECORD {
            Some("impossible record length")
        } else {
            payload.resize(len, 0);
            if !read_full(&mut r, &mut payload).map_err(StoreError::io("read", path))? {
                // The file ends inside this record. A torn tail only if no record follows:
                // a flipped bit in a length field must not hide every record after it.
                match find_magic(&mut r, at + 1).map_err(StoreError::io("read", path))? {
                    Some(next) => {
                        each(Err((at, "length runs past the end of the file".into())));
                        at = next;
                        continue;
                    }
                    None => break,
                }
            }
            (crc32fast::hash(&payload) != crc).then_some("checksum mismatch")
        };
        match damage {
            None => {
                let n = codec::HEADER + len;
                each(Ok((
                    &payload,
                    Loc {
                        segment,
                        offset: at,
                        len: n as u32,
                    },
                )));
                at += n as u64;
            }
            Some(why) => {
                each(Err((at, why.to_string())));
                match find_magic(&mut r, at + 1).map_err(StoreError::io("read", path))? {
                    Some(next) => at = next,
                    None => break,
                }
            }
        }
    }
    Ok(())
}

/// Reads exactly `buf.len()` bytes; `false` if the file ends first.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<bool> {
    match r.read_exact(buf) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(false),
        Err(e) => Err(e),
    }
}

/// Offset of the next record marker at or after `from`, leaving the reader there.
fn find_magic<R: Read + Seek>(r: &mut R, from: u64) -> std::io::Result<Option<u64>> {
    r.seek(SeekFrom::Start(from))?;
    let mut window = [0u8; 4];
    let mut filled = 0usize;
    let mut pos = from;
    let mut byte = [0u8; 1];
    loop {
        if r.read(&mut byte)? == 0 {
            return Ok(None);
        }
        window.rotate_left(1);
        window[3] = byte[0];
        filled += 1;
        pos += 1;
        if filled >= 4 && window == codec::MAGIC {
            let start = pos - 4;
            r.seek(SeekFrom::Start(start))?;
            return Ok(Some(start));
        }
    }
}
