//! Where the data folder is, making it private, and writing private files safely.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// `--data-dir`, else `LANGNGHE_HOME`, else the platform's data folder
/// (`$XDG_DATA_HOME/langnghe` or `~/.local/share/langnghe` on Linux,
/// `%LOCALAPPDATA%\langnghe` on Windows).
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
        // Local, not roaming (%APPDATA%): a domain's roaming profile would copy children's
        // data to a server at every log-off. The folder inherits the profile's ACL (the user,
        // SYSTEM and Administrators only), which is what 0700 gives on Unix.
        return env("LOCALAPPDATA")
            .or_else(|| env("APPDATA"))
            .unwrap_or_else(|| PathBuf::from("."));
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
pub(crate) fn ensure_private_dir(dir: &Path) -> io::Result<()> {
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
pub(crate) fn make_private(dir: &Path) {
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
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
pub(crate) fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}

/// Creates a new file only its owner can read (0600), refusing to follow or reuse anything
/// already at `path`: `O_CREAT|O_EXCL` fails on an existing file and on a symlink planted
/// there, so another local user cannot redirect what we write.
pub(crate) fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)
}

/// Replaces whatever is at `path` (a file, or a symlink: the link is removed, never its
/// target) with a new private file.
pub fn replace_private(path: &Path) -> std::io::Result<std::fs::File> {
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    create_private(path)
}

/// A temporary name next to `path` that no other writer (thread, process, user) shares.
pub(crate) fn temp_name(path: &Path) -> std::path::PathBuf {
    let mut b = [0u8; 8];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut b);
    let name = path
        .file_name()
        .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
    path.with_file_name(format!(".{name}.{}.tmp", crate::protocol::keys::hex(&b)))
}

/// Writes a file only its owner can read, via a uniquely named temp file and rename, fsync'd.
pub fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let tmp = temp_name(path);
    // The file is closed before the rename: Windows refuses to replace a file that any
    // handle still holds open (two hub threads storing the same bundle did exactly that).
    let written = create_private(&tmp).and_then(|mut f| {
        f.write_all(contents)?;
        f.sync_all()
    });
    let written = written.and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => sync_dir(dir),
        _ => sync_dir(Path::new(".")),
    }
}

/// Stores a file whose name is made from its contents (so every writer of one name writes the
/// same bytes): already there is done, and losing a race to another writer is done too.
/// Windows refuses to replace a file while another thread is replacing it (seen with the same
/// bundle uploaded eight times at once), where Unix lets the last rename win.
#[cfg(feature = "hub")]
pub(crate) fn write_private_once(path: &Path, contents: &[u8]) -> io::Result<()> {
    let complete = || std::fs::metadata(path).is_ok_and(|m| m.len() == contents.len() as u64);
    if complete() {
        return Ok(());
    }
    let mut result = write_private(path, contents);
    for _ in 0..3 {
        if result.is_ok() || complete() {
            return Ok(());
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
        result = write_private(path, contents);
    }
    result
}
