//! Getting finalized interviews to the hub: sealing, bundles, receipts, the HTTP client and
//! the outbox worker.

pub mod bundle;
pub mod client;
pub mod keys;
pub mod outbox;
pub mod seal;
pub mod worker;
