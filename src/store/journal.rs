//! The draft journal: every autosave is appended here with one `write` before it counts as
//! saved, so a killed process loses nothing that was reported saved.
//!
//! sled keeps recent writes in memory and flushes them in the background, so sled alone would
//! lose the last half second on `kill -9`. The journal is appended without fsync (an append
//! is in the OS cache once `write` returns, which survives the process dying); a background
//! thread periodically flushes sled and then drops the journal entries it covered.

use super::error::{Result, StoreError};
use crate::codec::{self, Frame};
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use uuid::Uuid;

use super::record::{Draft, DraftV2};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Entry {
    /// A draft saved: its revision (to replay only what is newer) and its bytes, locked
    /// under its own key.
    Save { id: Uuid, rev: u64, locked: Vec<u8> },
    /// The draft was finalized or discarded: a replay must not bring it back.
    Gone(Uuid),
    /// A draft in clear, as schema versions 1 and 2 wrote it: read, never written.
    Legacy(Box<Draft>),
}

/// A journal entry as schema versions 1 and 2 wrote it (drafts without `held`).
#[derive(Deserialize)]
enum EntryV2 {
    Save(Box<DraftV2>),
    Gone(Uuid),
}

/// Reads a journal entry of any schema version this build knows.
fn decode_entry(bytes: &[u8]) -> std::result::Result<Entry, codec::DecodeError> {
    match codec::split(bytes)? {
        (v, body) if v < 3 => Ok(match codec::decode_body::<EntryV2>(body)? {
            EntryV2::Save(d) => Entry::Legacy(Box::new(Draft::from(*d))),
            EntryV2::Gone(id) => Entry::Gone(id),
        }),
        (_, body) => codec::decode_body(body),
    }
}

pub(crate) struct Journal {
    path: PathBuf,
    file: File,
}

impl Journal {
    pub fn open(dir: &Path) -> Result<Journal> {
        let path = dir.join("drafts.journal");
        let file = append(&path)?;
        Ok(Journal { path, file })
    }

    pub fn append(&mut self, e: &Entry) -> Result<()> {
        let bytes = codec::frame(&codec::encode(e));
        // One write call: the record reaches the OS whole or (on error) is cut off, and a
        // cut-off tail is ignored on replay.
        self.file
            .write_all(&bytes)
            .map_err(StoreError::io("save to", &self.path))
    }

    /// Moves the current journal aside (to be deleted once sled is flushed) and starts a new one.
    pub(crate) fn rotate(&mut self) -> Result<PathBuf> {
        let old = self.path.with_extension("journal.old");
        if old.exists() {
            // A previous rotation did not finish; its entries are older, keep them in order.
            let mut cur = Vec::new();
            File::open(&self.path)
                .and_then(|mut f| f.read_to_end(&mut cur))
                .map_err(StoreError::io("read", &self.path))?;
            append(&old)?
                .write_all(&cur)
                .map_err(StoreError::io("write", &old))?;
        } else {
            std::fs::rename(&self.path, &old).map_err(StoreError::io("rotate", &self.path))?;
        }
        self.file = OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .open(&self.path)
            .map_err(StoreError::io("create", &self.path))?;
        Ok(old)
    }
}

fn append(path: &Path) -> Result<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(StoreError::io("open", path))
}

/// Every readable entry of the old and current journal, oldest first. A torn tail (the
/// process died mid-write) ends a file; a damaged entry elsewhere is skipped and counted.
pub fn replay(dir: &Path) -> (Vec<Entry>, usize) {
    let mut out = Vec::new();
    let mut damaged = 0;
    for name in ["drafts.journal.old", "drafts.journal"] {
        let Ok(bytes) = std::fs::read(dir.join(name)) else {
            continue;
        };
        let mut at = 0;
        while at < bytes.len() {
            match codec::unframe(&bytes[at..]) {
                Frame::Ok(payload, n) => {
                    match decode_entry(payload) {
                        Ok(e) => out.push(e),
                        Err(_) => damaged += 1,
                    }
                    at += n;
                }
                // A torn tail ends the file; a length field damaged mid-file does not: carry
                // on at the next record marker if there is one.
                Frame::Truncated => match resync(&bytes[at + 1..]) {
                    Some(i) => {
                        damaged += 1;
                        at += i + 1;
                    }
                    None => break,
                },
                Frame::Bad(_) => {
                    damaged += 1;
                    at += resync(&bytes[at + 1..]).map_or(bytes.len() - at, |i| i + 1);
                }
            }
        }
    }
    (out, damaged)
}

/// Offset of the next record marker, to carry on past damage.
pub(crate) fn resync(buf: &[u8]) -> Option<usize> {
    buf.windows(codec::MAGIC.len())
        .position(|w| w == codec::MAGIC)
}
