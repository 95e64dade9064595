//! Why a sync step failed, as a type: the app words its status line from the kind, the CLI
//! prints it.

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("this device is not enrolled: run `langnghe enroll HUB_URL TOKEN`")]
    NotEnrolled,
    /// The hub does not answer (no network, wrong address, hub down).
    #[error("the hub at {0} does not answer")]
    Offline(String),
    /// The connection broke or timed out mid-way.
    #[error("{0}")]
    Transport(String),
    /// The hub answered, and said no.
    #[error("the hub refused ({status}): {reason}")]
    Refused { status: u16, reason: String },
    /// What came back is not a valid answer from our hub (a captive portal, a forged or
    /// damaged receipt or form list).
    #[error("{0}")]
    NotOurHub(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A local file (key, enrolment, bundle, form) could not be read or written.
    #[error("{0}")]
    Local(String),
}

pub type Result<T> = std::result::Result<T, SyncError>;
