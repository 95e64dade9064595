//! The background sync worker for the app: waits for the hub to appear and sends the outbox,
//! reporting to the UI over a channel. It blocks between attempts; it never polls fast.

use super::client::Client;
use crate::store::{Stamp, Store};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncState {
    NotEnrolled,
    Offline,
    Online,
    Syncing { done: usize, total: usize },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncStatus {
    pub state: SyncState,
    pub queued: u64,
    pub last_sync: Option<chrono::DateTime<chrono::Local>>,
    pub error: Option<String>,
    /// Interviews the supervisor sent back that this check reopened as drafts.
    pub returned: usize,
}

const FIRST_BACKOFF: Duration = Duration::from_secs(5);
const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// Starts the worker. `kick` it after a finalize to try at once; drop the sender to stop it.
pub fn spawn(
    store: Arc<Store>,
    forms_dir: PathBuf,
    report: impl Fn(SyncStatus) + Send + 'static,
) -> Sender<()> {
    let (kick, rx) = channel();
    std::thread::spawn(move || run(store, forms_dir, rx, report));
    kick
}

fn run(store: Arc<Store>, forms_dir: PathBuf, rx: Receiver<()>, report: impl Fn(SyncStatus)) {
    let mut backoff = Duration::ZERO;
    let mut last_sync = None;
    loop {
        match rx.recv_timeout(backoff) {
            Ok(()) => while rx.try_recv().is_ok() {},
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
        let counts = store.counts();
        let queued = counts[0] + counts[1];
        let status = |state, error| SyncStatus {
            state,
            queued,
            last_sync,
            error,
            returned: 0,
        };
        let Ok(client) = Client::new(store.dir()) else {
            report(status(SyncState::NotEnrolled, None));
            backoff = MAX_BACKOFF;
            continue;
        };
        if !client.online() {
            report(status(SyncState::Offline, None));
            backoff = (backoff * 2).clamp(FIRST_BACKOFF, MAX_BACKOFF);
            continue;
        }
        backoff = FIRST_BACKOFF * 12;
        // The counters answer "anything to send?" without walking a large index.
        if counts[0] + counts[1] == 0
            && !store.has_unsent_tombstones()
            && !store.has_unsent_referrals()
        {
            // Nothing to send, but the supervisor may have sent something back.
            let (returned, error) = match super::outbox::take_returns(&store, &client) {
                Ok(t) => (t.reopened, None),
                Err(e) => (0, Some(e.to_string())),
            };
            report(SyncStatus {
                returned,
                ..status(SyncState::Online, error)
            });
            continue;
        }
        let now = || Stamp::from_local(chrono::Local::now().fixed_offset());
        let mut progress = |done, total| {
            report(SyncStatus {
                state: SyncState::Syncing { done, total },
                queued,
                last_sync,
                error: None,
                returned: 0,
            });
        };
        match super::outbox::sync_once(&store, &client, &forms_dir, now, &mut progress) {
            Ok(r) => {
                last_sync = Some(chrono::Local::now());
                let c = store.counts();
                report(SyncStatus {
                    state: SyncState::Online,
                    queued: c[0] + c[1],
                    last_sync,
                    error: r.returns_error,
                    returned: r.returned.reopened,
                });
            }
            Err(e) => {
                report(status(SyncState::Offline, Some(e.to_string())));
                backoff = FIRST_BACKOFF;
            }
        }
    }
}
