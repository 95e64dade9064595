//! Getting finalized interviews to the hub: sealing, bundles, receipts, the HTTP client and
//! the outbox worker.

pub mod client;
pub mod error;
pub mod outbox;
pub mod worker;

pub use error::SyncError;
