//! `hub open`: sealed items made readable for a data manager — from a bundle file (a USB
//! stick, a kept copy under `bundles/`) or from the hub's store, with the hub's key or an
//! escrow key — as one JSON object per line, so `jq`, pandas or R read them.

use super::Hub;
use crate::protocol::bundle::{self, Payload};
use crate::protocol::opener::Opener;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use uuid::Uuid;

/// What to open: bundle files and stored interview ids, and the key to open them with
/// (default: the hub's own).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct OpenRequest {
    pub targets: Vec<String>,
    pub identity: Option<PathBuf>,
}

/// Reads an age identity file (`age-keygen`'s output: comments, then the key).
pub fn read_identity(path: &Path) -> Result<age::x25519::Identity, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    text.lines()
        .map(str::trim)
        .find(|l| l.starts_with("AGE-SECRET-KEY-"))
        .ok_or_else(|| format!("{}: no AGE-SECRET-KEY line", path.display()))?
        .parse()
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// With the hub at hand: bundle files are checked against their device's registered key,
/// ids are read from the store. Returns JSON lines.
pub(crate) fn open_with_hub(hub: &Hub, req: &OpenRequest) -> Result<String, String> {
    let identity = match &req.identity {
        Some(p) => Opener::new(&read_identity(p)?)?,
        None => hub.identity.clone(),
    };
    let mut out = String::new();
    for t in &req.targets {
        if let Ok(id) = Uuid::parse_str(t) {
            let item = hub
                .store
                .get(id)?
                .ok_or_else(|| format!("{id}: no such interview on this hub"))?;
            let sealed = hub.unlock_item(&item).map_err(|e| format!("{id}: {e}"))?;
            out.push_str(&line(id, &sealed, &identity, Some(item.received))?);
            continue;
        }
        let bytes = read_file(Path::new(t), hub.config.max_bundle_bytes)?;
        let header = bundle::Header::parse(&bytes).map_err(|e| format!("{t}: {e}"))?;
        let device = hub
            .registry
            .device(header.device)?
            .ok_or_else(|| format!("{t}: sent by device {}, unknown here", header.device))?;
        let key = crate::protocol::keys::verifying_key(&device.public_key)?;
        let v = bundle::verify(&bytes, &key).map_err(|e| format!("{t}: {e}"))?;
        for (id, sealed) in v.items {
            out.push_str(&line(id, sealed, &identity, None)?);
        }
    }
    Ok(out)
}

/// Without the hub (an escrow holder with a bundle file): shape and hash are checked, not
/// the device's signature, and the output says so.
pub fn open_files(identity: &Path, files: &[PathBuf]) -> Result<String, String> {
    let identity = Opener::new(&read_identity(identity)?)?;
    let mut out = String::new();
    for f in files {
        let bytes = read_file(f, 1 << 30)?;
        let v = bundle::read_unsigned(&bytes).map_err(|e| format!("{}: {e}", f.display()))?;
        eprintln!(
            "{}: payload hash checked; the device's signature is not (that needs the hub folder)",
            f.display()
        );
        for (id, sealed) in v.items {
            out.push_str(&line(id, sealed, &identity, None)?);
        }
    }
    Ok(out)
}

fn read_file(path: &Path, limit: usize) -> Result<Vec<u8>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if bytes.len() > limit {
        return Err(format!("{}: over {limit} bytes", path.display()));
    }
    Ok(bytes)
}

/// One sealed item opened and written as a JSON line.
fn line(
    id: Uuid,
    sealed: &[u8],
    identity: &Opener,
    received: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<String, String> {
    let plain = crate::protocol::seal::open(sealed, identity).map_err(|e| format!("{id}: {e}"))?;
    let payload = bundle::read_plaintext(&plain).map_err(|e| format!("{id}: {e}"))?;
    let mut v = payload_json(&payload);
    if let (Some(t), Some(o)) = (received, v.as_object_mut()) {
        o.insert("received".into(), json!(stamp_utc(t)));
    }
    Ok(format!("{v}\n"))
}

fn stamp(s: &crate::record::Stamp) -> String {
    s.local()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, false)
}

fn stamp_utc(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The readable form of a plaintext: every field named, times in RFC 3339 with their offset.
pub fn payload_json(p: &Payload) -> Value {
    match p {
        Payload::Interview(f) => {
            let answers: serde_json::Map<String, Value> = f
                .answers
                .iter()
                .map(|(k, v)| (k.clone(), json!(v)))
                .collect();
            json!({
                "kind": "interview",
                "id": f.id,
                "form": { "id": f.form.id, "version": f.form.version },
                "device": f.device,
                "seq": f.seq,
                "surveyor": f.surveyor,
                "started": stamp(&f.started),
                "finished": stamp(&f.finished),
                "duration_ms": f.duration_ms,
                "referral": f.referral,
                "answers": answers,
                "time_on_questions_ms": f.paradata,
            })
        }
        Payload::Tombstone(t) => json!({
            "kind": "tombstone",
            "id": t.id,
            "form": { "id": t.form_id },
            "at": stamp(&t.at),
            "reason": t.reason,
        }),
        Payload::Referral(n) => json!({
            "kind": "referral",
            "id": n.id,
            "interview": n.interview,
            "device": n.device,
            "form": { "id": n.form_id },
            "surveyor": n.surveyor,
            "at": stamp(&n.at),
            "commune": n.commune,
            "set": n.on,
        }),
        Payload::Form(src) => {
            let (id, version) = crate::form::build("form", src)
                .map(|f| (f.id.clone(), f.version.clone()))
                .unwrap_or_default();
            json!({ "kind": "form", "form": { "id": id, "version": version }, "toml": src })
        }
    }
}
