//! Opening every stored item on every core: each costs an X25519 agreement, a decryption
//! and a decompression, and a national export opens a million of them. Items are read in
//! chunks, each chunk opened by all cores at once, and handed on in store order, so memory
//! stays bounded by two chunks and the output does not depend on the number of cores.

use super::Hub;
use super::store::Item;
use crate::protocol::bundle::Payload;

/// Items opened together: enough to keep every core busy, few enough to stay small.
const CHUNK: usize = 512;

/// A chunk of items with what each opened to.
type Opened = Vec<(Item, Result<Payload, String>)>;

impl Hub {
    /// Every stored interview (and tombstone, if asked for) with what it opens to, in store
    /// order. The next chunk is read and opened while `each` takes this one (the CSV writer
    /// would otherwise leave the cores idle between chunks).
    pub(crate) fn open_each(
        &self,
        tombstones: bool,
        each: &mut dyn FnMut(&Item, Result<Payload, String>),
    ) -> Result<(), String> {
        let cores = cores();
        std::thread::scope(|s| {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Opened>(1);
            let opener = s.spawn(move || {
                let mut chunk: Vec<Item> = Vec::with_capacity(CHUNK);
                let mut gone = false;
                let mut hand_on = |chunk: &mut Vec<Item>| {
                    let items = std::mem::replace(chunk, Vec::with_capacity(CHUNK));
                    // Once the taker is gone (it panicked), nothing more is opened.
                    if !gone {
                        let opened = self.open_chunk(&items, cores);
                        gone = tx.send(items.into_iter().zip(opened).collect()).is_err();
                    }
                };
                self.store.each_interview(&mut |item| {
                    if item.tombstone && !tombstones {
                        return;
                    }
                    chunk.push(item);
                    if chunk.len() == CHUNK {
                        hand_on(&mut chunk);
                    }
                })?;
                if !chunk.is_empty() {
                    hand_on(&mut chunk);
                }
                Ok(())
            });
            for opened in rx {
                for (item, payload) in opened {
                    each(&item, payload);
                }
            }
            opener
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p))
        })
    }

    /// The chunk's items opened, in order, on up to `cores` threads (their keys fetched
    /// together first: one query on PostgreSQL, not one per item).
    fn open_chunk(&self, chunk: &[Item], cores: usize) -> Vec<Result<Payload, String>> {
        let unlocked = self.unlock_items(chunk);
        on_cores(&unlocked, cores, |sealed| match sealed {
            Ok(sealed) => self.read_sealed(sealed),
            Err(e) => Err(e.clone()),
        })
    }
}

/// `f` of each of `items`, in order, worked out on up to `cores` threads (one part each).
pub(crate) fn on_cores<T: Sync, R: Send>(
    items: &[T],
    cores: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    if cores <= 1 || items.len() < 2 {
        return items.iter().map(&f).collect();
    }
    let per = items.len().div_ceil(cores);
    let f = &f;
    std::thread::scope(|s| {
        let parts: Vec<_> = items
            .chunks(per)
            .map(|part| s.spawn(move || part.iter().map(f).collect::<Vec<R>>()))
            .collect();
        // A worker that panicked takes the process's panic with it, as the work would have
        // done on this thread.
        parts
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
}

/// Frees `x` on a thread of its own. A bundle's opened interviews are hundreds of thousands
/// of small allocations: freeing them took a tenth of an ingest's one-threaded time, which
/// the device waiting for its receipt need not wait for. Without a thread, freed here.
pub(crate) fn drop_aside<T: Send + 'static>(x: T) {
    // On failure the closure, and `x` with it, is dropped right here.
    let _ = std::thread::Builder::new()
        .name("free".into())
        .spawn(move || drop(x));
}

/// How many threads opening items may use.
pub(crate) fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
