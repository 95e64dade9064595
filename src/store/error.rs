//! Store errors, worded for the person at the keyboard.

use std::io;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the data folder {dir} is in use by another Lắng Nghe ({holder}); close it first")]
    Locked { dir: PathBuf, holder: String },
    #[error("{}", io_message(action, path, source))]
    Io {
        action: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    #[error(
        "the store in {dir} cannot be opened ({reason}); run `langnghe recover` to rebuild it from the saved interview files"
    )]
    Database { dir: PathBuf, reason: String },
    #[error(
        "the data folder {0} is protected: give its passphrase (LANGNGHE_PASSPHRASE, or type it when asked)"
    )]
    NeedPassphrase(PathBuf),
    #[error("wrong passphrase for the data folder {0}; nothing was changed")]
    WrongPassphrase(PathBuf),
    #[error("no such interview: {0}")]
    NotFound(String),
    #[error("interview {0} is sealed to the hub: only the hub can read it")]
    Sealed(String),
    #[error("cannot seal: {0}")]
    Seal(String),
}

fn io_message(action: &str, path: &std::path::Path, e: &io::Error) -> String {
    let p = path.display();
    match e.kind() {
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => {
            format!(
                "the disk is full ({action} {p}); free some space and try again — nothing already saved was lost"
            )
        }
        io::ErrorKind::ReadOnlyFilesystem => {
            format!("{p} is on a read-only disk ({action}); nothing already saved was lost")
        }
        io::ErrorKind::PermissionDenied => {
            format!(
                "no permission for {p} ({action}); check the folder's owner — nothing already saved was lost"
            )
        }
        _ => format!("could not {action} {p}: {e}"),
    }
}

impl StoreError {
    pub fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(io::Error) -> StoreError {
        let path = path.into();
        move |source| StoreError::Io {
            action,
            path,
            source,
        }
    }

    /// The underlying I/O error kind, for the app to choose its own wording.
    pub(crate) fn io_kind(&self) -> Option<io::ErrorKind> {
        match self {
            StoreError::Io { source, .. } => Some(source.kind()),
            _ => None,
        }
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;
