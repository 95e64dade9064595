//! Why the hub refused or failed, as a type: the HTTP layer maps each kind to a status
//! (`server::status_of`), the CLI prints it; neither parses text.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum HubError {
    #[error("{} is not a hub folder; run `langnghe hub init --data {}`", .0.display(), .0.display())]
    NotAHub(PathBuf),
    #[error("{} already holds a hub", .0.display())]
    AlreadyAHub(PathBuf),
    /// Another process (a running `hub serve`) holds the hub's store.
    #[error("the hub's store in {} is in use by another process (a running `hub serve`?)", .0.display())]
    InUse(PathBuf),
    #[error("bundle of {size} bytes is over the {limit}-byte limit")]
    TooLarge { size: usize, limit: usize },
    /// Malformed, damaged or wrongly signed input.
    #[error("{0}")]
    Invalid(String),
    /// No or an unknown credential.
    #[error("{0}")]
    Unauthorized(String),
    /// A known credential that may not do this (revoked, another device's bundle).
    #[error("{0}")]
    Forbidden(String),
    /// The request contradicts what the hub holds (an id enrolled with another key).
    #[error("{0}")]
    Conflict(String),
    /// The hub's own files or store failed.
    #[error("{0}")]
    Internal(String),
}

pub type Result<T> = std::result::Result<T, HubError>;
