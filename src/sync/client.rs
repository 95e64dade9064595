//! The device's side of the HTTP protocol (ureq): enrol, probe, send a bundle, pull forms.

use super::error::{Result, SyncError};
use crate::protocol::bundle::{self, Receipt};
use crate::protocol::http::{EnrollReply, EnrollRequest};
use crate::protocol::keys;
use crate::store::Store;
use ed25519_dalek::Signer;
use ed25519_dalek::SigningKey;
use serde::{Deserialize, Serialize};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;
use uuid::Uuid;

/// What enrolment leaves on the device (`enrollment.toml`, private).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Enrollment {
    pub hub_url: String,
    pub hub_id: Uuid,
    pub recipients: Vec<String>,
    /// The hub's receipt-signing key, hex.
    pub hub_key: String,
    pub api_token: String,
    /// Days a sent interview stays on the device before it is erased (edit to change).
    #[serde(default = "default_retention")]
    pub retention_days: i64,
}

fn default_retention() -> i64 {
    super::outbox::RETENTION_DAYS
}

pub fn enrollment_path(data_dir: &Path) -> PathBuf {
    data_dir.join("enrollment.toml")
}

pub fn key_path(data_dir: &Path) -> PathBuf {
    data_dir.join("device.key")
}

pub fn load_enrollment(data_dir: &Path) -> Option<Enrollment> {
    toml::from_str(&std::fs::read_to_string(enrollment_path(data_dir)).ok()?).ok()
}

fn agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .build()
        .into()
}

fn url(base: &str, path: &str) -> String {
    format!("{}{path}", base.trim_end_matches('/'))
}

/// Enrols this device with a hub using a one-time token, then seals everything finalized so
/// far to the hub. Returns the enrolment and how many interviews were sealed.
pub fn enroll(store: &Store, hub_url: &str, token: &str) -> Result<(Enrollment, usize)> {
    let dir = store.dir();
    let key = match keys::load_signing_key(&key_path(dir)) {
        Ok(k) => k,
        Err(_) => {
            let k = keys::new_signing_key();
            crate::store::paths::write_private(&key_path(dir), keys::hex(&k.to_bytes()).as_bytes())
                .map_err(|e| SyncError::Local(format!("cannot save the device key: {e}")))?;
            k
        }
    };
    let req = EnrollRequest {
        token: token.trim().to_string(),
        device_id: store.device(),
        public_key: keys::hex(key.verifying_key().as_bytes()),
        proof: keys::hex(
            &key.sign(&bundle::enroll_message(token, store.device()))
                .to_bytes(),
        ),
        return_key: Some(store.return_recipient()?),
    };
    let body = serde_json::to_vec(&req).map_err(|e| SyncError::Local(e.to_string()))?;
    let mut resp = agent(Duration::from_secs(20))
        .post(url(hub_url, "/api/v1/enroll"))
        .header("Content-Type", "application/json")
        .send(&body[..])
        .map_err(|e| SyncError::Offline(format!("{hub_url} ({e})")))?;
    let status = resp.status().as_u16();
    let text = resp.body_mut().read_to_string().unwrap_or_default();
    if status != 201 {
        return Err(SyncError::Refused {
            status,
            reason: text.trim().to_string(),
        });
    }
    let reply: EnrollReply = serde_json::from_str(&text)
        .map_err(|_| SyncError::NotOurHub("the answer is not from a Lắng Nghe hub".into()))?;
    keys::verifying_key(&reply.hub_key).map_err(SyncError::NotOurHub)?;
    let e = Enrollment {
        hub_url: hub_url.trim_end_matches('/').to_string(),
        hub_id: reply.hub_id,
        recipients: reply.recipients,
        hub_key: reply.hub_key,
        api_token: reply.api_token,
        retention_days: default_retention(),
    };
    crate::store::paths::write_private(
        &enrollment_path(dir),
        toml::to_string(&e)
            .map_err(|e| SyncError::Local(e.to_string()))?
            .as_bytes(),
    )
    .map_err(|e| SyncError::Local(format!("cannot save the enrolment: {e}")))?;
    let sealed = store.seal_to(&e.recipients)?;
    Ok((e, sealed))
}

/// Talks to the hub this device is enrolled with.
pub struct Client {
    pub enrollment: Enrollment,
    pub key: SigningKey,
    probe: ureq::Agent,
    upload: ureq::Agent,
}

impl Client {
    pub fn new(data_dir: &Path) -> Result<Client> {
        let enrollment = load_enrollment(data_dir).ok_or(SyncError::NotEnrolled)?;
        let key = keys::load_signing_key(&key_path(data_dir)).map_err(SyncError::Local)?;
        Ok(Client {
            enrollment,
            key,
            probe: agent(Duration::from_secs(3)),
            upload: agent(Duration::from_secs(120)),
        })
    }

    /// Whether our hub answers its health check (a captive portal does not: its page is not
    /// our JSON with our hub's id).
    pub fn online(&self) -> bool {
        let Ok(mut r) = self
            .probe
            .get(url(&self.enrollment.hub_url, "/api/v1/health"))
            .call()
        else {
            return false;
        };
        let ok = r.status().as_u16() == 200;
        let body = r
            .body_mut()
            .with_config()
            .limit(4096)
            .read_to_string()
            .unwrap_or_default();
        ok && body.contains(&self.enrollment.hub_id.to_string())
    }

    /// Sends a bundle. Only a receipt signed by the hub, for this device, with 201/202,
    /// counts; anything else (a timeout, a 200 login page) is an error and marks nothing.
    pub fn send(&self, bundle_bytes: &[u8], device: Uuid) -> Result<Receipt> {
        let resp = self
            .upload
            .post(url(&self.enrollment.hub_url, "/api/v1/bundles"))
            .header(
                "Authorization",
                &format!("Bearer {}", self.enrollment.api_token),
            )
            .header("Content-Type", "application/octet-stream")
            .send(bundle_bytes)
            .map_err(|e| SyncError::Transport(format!("upload failed: {e}")))?;
        let body = accepted(resp, "upload", &[201, 202])?;
        verify_receipt_for(&body, &self.enrollment, device)
    }

    /// The interviews a supervisor sent back to this device, verified (signed by our hub, for
    /// this device); still sealed to the device's return key.
    pub fn returns(&self, device: Uuid) -> Result<crate::protocol::returns::Returns> {
        let r = self
            .upload
            .get(url(&self.enrollment.hub_url, "/api/v1/returns"))
            .header(
                "Authorization",
                &format!("Bearer {}", self.enrollment.api_token),
            )
            .call()
            .map_err(|e| SyncError::Transport(e.to_string()))?;
        let body = accepted(r, "returns", &[200])?;
        verify_returns_for(&body, &self.enrollment, device)
    }

    /// Fetches forms the hub offers that this device does not have yet, into `dir`. Only a
    /// list signed by our hub counts, each file must match the hash the list gives, and file
    /// names come from checked ids, never from what the server says.
    pub fn pull_forms(&self, dir: &Path) -> Result<usize> {
        let mut r = self
            .probe
            .get(url(&self.enrollment.hub_url, "/api/v1/forms"))
            .call()
            .map_err(|e| SyncError::Transport(e.to_string()))?;
        if r.status().as_u16() != 200 {
            return Err(SyncError::Refused {
                status: r.status().as_u16(),
                reason: "forms list".into(),
            });
        }
        let text = r
            .body_mut()
            .with_config()
            .limit(1 << 20)
            .read_to_string()
            .map_err(|e| SyncError::Transport(e.to_string()))?;
        let list: bundle::FormList =
            serde_json::from_str(&text).map_err(|e| SyncError::NotOurHub(e.to_string()))?;
        let hub_key = keys::verifying_key(&self.enrollment.hub_key).map_err(SyncError::Local)?;
        bundle::verify_form_list(&list, &hub_key).map_err(SyncError::NotOurHub)?;
        let (have, _) = crate::catalog::load_dir(dir);
        let mut got = 0;
        for f in list.forms {
            if have.iter().any(|h| h.id == f.id && h.version == f.version) {
                continue;
            }
            if !crate::form::valid_name(&f.id) || f.version.len() > 64 {
                continue;
            }
            let mut r = self
                .upload
                .get(url(
                    &self.enrollment.hub_url,
                    &format!("/api/v1/forms/{}/{}", escape(&f.id), escape(&f.version)),
                ))
                .call()
                .map_err(|e| SyncError::Transport(e.to_string()))?;
            if r.status().as_u16() != 200 {
                continue;
            }
            let src = r
                .body_mut()
                .with_config()
                .limit(8 << 20)
                .read_to_string()
                .map_err(|e| SyncError::Transport(e.to_string()))?;
            if keys::hex(&<sha2::Sha256 as sha2::Digest>::digest(src.as_bytes())) != f.sha256 {
                continue;
            }
            // Only a form that passes our checks, and is the one the list named, is kept.
            let Ok(form) = crate::form::build(&f.id, &src) else {
                continue;
            };
            if form.id != f.id || form.version != f.version {
                continue;
            }
            let name = format!("{}-{}.toml", form.id, safe_file_part(&form.version));
            crate::store::paths::ensure_private_dir(dir)
                .and_then(|()| crate::store::paths::write_private(&dir.join(&name), src.as_bytes()))
                .map_err(|e| SyncError::Local(format!("cannot save the form {name}: {e}")))?;
            got += 1;
        }
        Ok(got)
    }
}

/// The body of an answer with one of the `ok` statuses (read no further than 64 MiB); any
/// other status is a refusal with the start of what the hub said.
fn accepted(mut resp: ureq::http::Response<ureq::Body>, what: &str, ok: &[u16]) -> Result<Vec<u8>> {
    let status = resp.status().as_u16();
    let mut body = Vec::new();
    resp.body_mut()
        .as_reader()
        .take(64 << 20)
        .read_to_end(&mut body)
        .map_err(|e| SyncError::Transport(format!("{what} interrupted: {e}")))?;
    if !ok.contains(&status) {
        return Err(SyncError::Refused {
            status,
            reason: String::from_utf8_lossy(&body[..body.len().min(300)])
                .trim()
                .to_string(),
        });
    }
    Ok(body)
}

/// Percent-encodes everything but unreserved URL characters, so an id or version is one
/// path segment whatever it holds.
fn escape(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A version string made safe to use in a file name: letters, digits, `.`, `-`, `_` only,
/// never a leading dot.
fn safe_file_part(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.starts_with('.') {
        out.replace_range(..1, "_");
    }
    out
}

/// A receipt from our hub, signed by it, about this device.
pub(crate) fn verify_receipt_for(bytes: &[u8], e: &Enrollment, device: Uuid) -> Result<Receipt> {
    let key = keys::verifying_key(&e.hub_key).map_err(SyncError::Local)?;
    let r = bundle::verify_receipt(bytes, &key).map_err(SyncError::NotOurHub)?;
    if r.hub != e.hub_id || r.device != device {
        return Err(SyncError::NotOurHub(
            "the receipt is for another hub or device".into(),
        ));
    }
    Ok(r)
}

/// Interviews sent back by our hub, signed by it, for this device.
pub(crate) fn verify_returns_for(
    bytes: &[u8],
    e: &Enrollment,
    device: Uuid,
) -> Result<crate::protocol::returns::Returns> {
    let key = keys::verifying_key(&e.hub_key).map_err(SyncError::Local)?;
    let r = crate::protocol::returns::verify(bytes, &key).map_err(SyncError::NotOurHub)?;
    if r.hub != e.hub_id || r.device != device {
        return Err(SyncError::NotOurHub(
            "the returns file is for another hub or device".into(),
        ));
    }
    Ok(r)
}
