//! Getting finalized interviews to the hub: sealing, bundles, receipts, the HTTP client and
//! the outbox worker.

pub mod client;
pub mod outbox;
pub mod worker;
