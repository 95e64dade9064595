//! What a verb reports when it fails: the typed errors of the modules below, or a sentence
//! of its own. Printed once, by `main`, as `langnghe: …`.

#[cfg(feature = "hub")]
use crate::hub::HubError;
use crate::store::StoreError;
use crate::sync::SyncError;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[cfg(feature = "hub")]
    #[error(transparent)]
    Hub(#[from] HubError),
    #[error(transparent)]
    Sync(#[from] SyncError),
    #[error("{0}")]
    Other(String),
}

impl From<String> for CliError {
    fn from(s: String) -> CliError {
        CliError::Other(s)
    }
}

impl From<&str> for CliError {
    fn from(s: &str) -> CliError {
        CliError::Other(s.to_string())
    }
}

pub type CliResult = Result<(), CliError>;
