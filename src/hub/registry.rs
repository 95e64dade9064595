//! Devices and enrolment tokens: small files in the hub folder (an administrator issues
//! tokens and revokes devices while the hub is serving), or, for a hub on PostgreSQL, rows
//! of its database (`pg/registry.rs`) shared by every process serving it.

use super::store::Device;
use std::path::{Path, PathBuf};
use uuid::Uuid;

pub enum Registry {
    Files(Files),
    #[allow(private_interfaces)]
    Postgres(super::pg::Db),
}

/// Runs `$call` on whichever registry this is.
macro_rules! each {
    ($self:ident, $r:ident => $call:expr) => {
        match $self {
            Registry::Files($r) => $call,
            Registry::Postgres($r) => $call,
        }
    };
}

impl Registry {
    /// The registry of the hub in `hub_dir`: its database's when it has one.
    pub fn open(hub_dir: &Path) -> Result<Registry, String> {
        match super::database_of(hub_dir)? {
            Some(url) => super::pg::Db::connect(&url)
                .map(Registry::Postgres)
                .map_err(|e| e.to_string()),
            None => Registry::files(hub_dir),
        }
    }

    /// The registry as files in `hub_dir` (a hub whose settings are already read).
    pub(crate) fn files(hub_dir: &Path) -> Result<Registry, String> {
        Files::open(hub_dir).map(Registry::Files)
    }

    pub(crate) fn add_enroll_token(&self, token_hash: &str, name: &str) -> Result<(), String> {
        each!(self, r => r.add_enroll_token(token_hash, name))
    }

    /// Uses up a one-time token: whoever takes it first has it.
    pub(crate) fn take_enroll_token(&self, token_hash: &str) -> Result<Option<String>, String> {
        if token_hash.is_empty() || !token_hash.chars().all(|c| c.is_ascii_hexdigit()) {
            return Ok(None);
        }
        each!(self, r => r.take_enroll_token(token_hash))
    }

    pub(crate) fn add_device(&self, d: &Device) -> Result<(), String> {
        each!(self, r => r.add_device(d))
    }

    /// Adds a device only if its id is new, so two racing enrolments cannot both win.
    pub(crate) fn add_new_device(&self, d: &Device) -> Result<(), String> {
        each!(self, r => r.add_new_device(d))
    }

    pub fn device(&self, id: Uuid) -> Result<Option<Device>, String> {
        each!(self, r => r.device(id))
    }

    /// Every device, in the order they enrolled.
    pub fn devices(&self) -> Result<Vec<Device>, String> {
        each!(self, r => r.devices())
    }

    pub(crate) fn device_by_token(&self, token_hash: &str) -> Result<Option<Device>, String> {
        each!(self, r => r.device_by_token(token_hash))
    }

    pub(crate) fn set_revoked(&self, id: Uuid, revoked: bool) -> Result<(), String> {
        let mut d = self.device(id)?.ok_or_else(|| format!("no device {id}"))?;
        d.revoked = revoked;
        self.add_device(&d)
    }
}

/// The registry as files: `devices/ID.toml`, `tokens/SHA256`.
pub struct Files {
    devices: PathBuf,
    tokens: PathBuf,
}

impl Files {
    fn open(hub_dir: &Path) -> Result<Files, String> {
        let r = Files {
            devices: hub_dir.join("devices"),
            tokens: hub_dir.join("tokens"),
        };
        for d in [&r.devices, &r.tokens] {
            crate::store::paths::ensure_private_dir(d)
                .map_err(|e| format!("cannot create {}: {e}", d.display()))?;
        }
        Ok(r)
    }

    fn add_enroll_token(&self, token_hash: &str, device_name: &str) -> Result<(), String> {
        crate::store::paths::write_private(&self.tokens.join(token_hash), device_name.as_bytes())
            .map_err(|e| e.to_string())
    }

    /// Whoever removes the file first has it.
    fn take_enroll_token(&self, token_hash: &str) -> Result<Option<String>, String> {
        let path = self.tokens.join(token_hash);
        let Ok(name) = std::fs::read_to_string(&path) else {
            return Ok(None);
        };
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(Some(name)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.to_string()),
        }
    }

    fn path(&self, id: Uuid) -> PathBuf {
        self.devices.join(format!("{id}.toml"))
    }

    fn add_device(&self, d: &Device) -> Result<(), String> {
        let text = toml::to_string(d).map_err(|e| e.to_string())?;
        crate::store::paths::write_private(&self.path(d.id), text.as_bytes())
            .map_err(|e| e.to_string())
    }

    /// The file is written aside, then hard-linked into place, which fails if the name
    /// exists.
    fn add_new_device(&self, d: &Device) -> Result<(), String> {
        let text = toml::to_string(d).map_err(|e| e.to_string())?;
        let path = self.path(d.id);
        let tmp = crate::store::paths::temp_name(&path);
        let mut f = crate::store::paths::create_private(&tmp).map_err(|e| e.to_string())?;
        let r = std::io::Write::write_all(&mut f, text.as_bytes())
            .and_then(|()| f.sync_all())
            .and_then(|()| std::fs::hard_link(&tmp, &path));
        let _ = std::fs::remove_file(&tmp);
        match r {
            Ok(()) => crate::store::paths::sync_dir(&self.devices).map_err(|e| e.to_string()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                Err(format!("device id {} is already enrolled", d.id))
            }
            Err(e) => Err(e.to_string()),
        }
    }

    fn device(&self, id: Uuid) -> Result<Option<Device>, String> {
        match std::fs::read_to_string(self.path(id)) {
            Ok(t) => toml::from_str(&t)
                .map(Some)
                .map_err(|e| format!("device {id}: {e}")),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.to_string()),
        }
    }

    fn devices(&self) -> Result<Vec<Device>, String> {
        let mut out = Vec::new();
        for e in std::fs::read_dir(&self.devices)
            .map_err(|e| e.to_string())?
            .flatten()
        {
            if let Ok(t) = std::fs::read_to_string(e.path())
                && let Ok(d) = toml::from_str::<Device>(&t)
            {
                out.push(d);
            }
        }
        out.sort_by_key(|d| d.enrolled);
        Ok(out)
    }

    fn device_by_token(&self, token_hash: &str) -> Result<Option<Device>, String> {
        Ok(self
            .devices()?
            .into_iter()
            .find(|d| d.token_hash == token_hash))
    }
}
