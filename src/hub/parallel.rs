//! Opening every stored item on every core: each costs an X25519 agreement, a decryption
//! and a decompression, and a national export opens a million of them. Items are read in
//! chunks, each chunk opened by all cores at once, and handed on in store order, so memory
//! stays bounded by a chunk and the output does not depend on the number of cores.

use super::Hub;
use super::store::Item;
use crate::protocol::bundle::Payload;

/// Items opened together: enough to keep every core busy, few enough to stay small.
const CHUNK: usize = 512;

impl Hub {
    /// Every stored interview (and tombstone, if asked for) with what it opens to, in store
    /// order.
    pub(crate) fn open_each(
        &self,
        tombstones: bool,
        each: &mut dyn FnMut(&Item, Result<Payload, String>),
    ) -> Result<(), String> {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let mut chunk: Vec<Item> = Vec::with_capacity(CHUNK);
        let mut flush = |chunk: &mut Vec<Item>| {
            for (item, opened) in chunk.iter().zip(self.open_chunk(chunk, cores)) {
                each(item, opened);
            }
            chunk.clear();
        };
        self.store.each_interview(&mut |item| {
            if item.tombstone && !tombstones {
                return;
            }
            chunk.push(item);
            if chunk.len() == CHUNK {
                flush(&mut chunk);
            }
        })?;
        flush(&mut chunk);
        Ok(())
    }

    /// The chunk's items opened, in order, on up to `cores` threads.
    fn open_chunk(&self, chunk: &[Item], cores: usize) -> Vec<Result<Payload, String>> {
        if cores <= 1 || chunk.len() < 2 {
            return chunk.iter().map(|i| self.open_item(i)).collect();
        }
        let per = chunk.len().div_ceil(cores);
        std::thread::scope(|s| {
            let parts: Vec<_> = chunk
                .chunks(per)
                .map(|part| {
                    s.spawn(move || part.iter().map(|i| self.open_item(i)).collect::<Vec<_>>())
                })
                .collect();
            parts
                .into_iter()
                .flat_map(|h| {
                    h.join().unwrap_or_else(|_| {
                        let failed =
                            || Err("opening failed (a worker thread panicked)".to_string());
                        std::iter::repeat_with(failed).take(per).collect()
                    })
                })
                .take(chunk.len())
                .collect()
        })
    }
}
