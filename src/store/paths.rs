//! Where the data folder is, and making it private.

use std::io;
use std::path::{Path, PathBuf};

/// `--data-dir`, else `LANGNGHE_HOME`, else the platform's data folder
/// (`$XDG_DATA_HOME/langnghe` or `~/.local/share/langnghe` on Linux).
pub fn data_dir(flag: Option<&Path>) -> PathBuf {
    if let Some(p) = flag {
        return p.to_path_buf();
    }
    if let Some(p) = std::env::var_os("LANGNGHE_HOME").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    platform_data_home().join("langnghe")
}

fn platform_data_home() -> PathBuf {
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if cfg!(windows) {
        return env("APPDATA").unwrap_or_else(|| PathBuf::from("."));
    }
    if cfg!(target_os = "macos") {
        return env("HOME").map_or_else(
            || PathBuf::from("."),
            |h| h.join("Library/Application Support"),
        );
    }
    env("XDG_DATA_HOME").unwrap_or_else(|| {
        env("HOME").map_or_else(|| PathBuf::from("."), |h| h.join(".local/share"))
    })
}

/// Creates `dir` (and parents) if missing; a folder we create is private to the user (0700).
pub fn ensure_private_dir(dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// Makes an existing data folder private to its user (0700): a folder made by hand, or by
/// an older version, may be readable by every account on a shared machine. Best effort: a
/// folder we do not own is left as it is.
pub fn make_private(dir: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(m) = std::fs::metadata(dir)
            && m.permissions().mode() & 0o077 != 0
        {
            let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
        }
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// Makes a rename or a new file in `dir` durable (a no-op where folders cannot be synced).
#[cfg(unix)]
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
pub fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}
