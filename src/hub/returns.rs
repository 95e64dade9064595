//! Interviews a supervisor sent back (`rejected`), on their way to the device that took
//! them: each opened with the hub's key and sealed again to that device's own key with the
//! note, the list signed by the hub. The same file goes over HTTP (`GET /api/v1/returns`) and
//! on a stick (`DEVICE.returns`, written by `hub import`). Sent again at every sync until the
//! device's new version arrives (then `edited`): the device applies each return once.

use super::review;
use super::store::Device;
use super::{Hub, HubError};
use crate::protocol::bundle::Payload;
use crate::protocol::returns::{self, Returned, Returns};
use crate::record::SentBack;
use std::path::{Path, PathBuf};

impl Hub {
    /// The signed returns file for `device`, and how many interviews it holds.
    pub(crate) fn returns_for(&self, device: &Device) -> Result<(Vec<u8>, usize), HubError> {
        let sent_back = review::sent_back(&self.reviews(), device.id);
        let mut items = Vec::with_capacity(sent_back.len());
        if !sent_back.is_empty() {
            let key = device.return_key.as_deref().ok_or_else(|| {
                HubError::Conflict(format!(
                    "device {} was enrolled before interviews could be sent back: enrol it \
                     again (a new token) so it can receive them",
                    device.name
                ))
            })?;
            let to = crate::protocol::seal::parse_recipients(&[key.to_string()])
                .map_err(|e| HubError::Internal(e.to_string()))?;
            for r in &sent_back {
                // Erased since (a withdrawal wins): nothing to send.
                let Some(Payload::Interview(f)) = self.stored_payload(r.id)? else {
                    continue;
                };
                let plain = returns::plaintext(&Returned {
                    back: sent_back_note(r),
                    interview: *f,
                });
                let sealed = crate::protocol::seal::seal(&plain, &to)
                    .map_err(|e| HubError::Internal(e.to_string()))?;
                items.push((r.id, sealed));
            }
        }
        let n = items.len();
        let file = Returns {
            hub: self.config.hub_id,
            device: device.id,
            items,
        };
        Ok((returns::sign(&file, &self.signer), n))
    }

    fn stored_payload(&self, id: uuid::Uuid) -> Result<Option<Payload>, HubError> {
        let Some(item) = self.store.get(id).map_err(HubError::Internal)? else {
            return Ok(None);
        };
        if item.tombstone {
            return Ok(None);
        }
        self.open_item(&item)
            .map(Some)
            .map_err(|e| HubError::Internal(format!("interview {id}: {e}")))
    }

    /// Beside imported bundles: a `DEVICE.returns` file for each device that has interviews
    /// sent back, for the stick's way home. Returns the files written.
    pub(crate) fn write_returns(
        &self,
        folder: &Path,
        devices: &[uuid::Uuid],
    ) -> Result<Vec<(PathBuf, usize)>, HubError> {
        let mut out = Vec::new();
        for id in devices {
            let Some(d) = self.registry.device(*id).map_err(HubError::Internal)? else {
                continue;
            };
            let (bytes, n) = self.returns_for(&d)?;
            if n == 0 {
                continue;
            }
            let path = folder.join(format!("{}.returns", d.id));
            crate::store::paths::write_private(&path, &bytes)
                .map_err(|e| HubError::Internal(format!("{}: {e}", path.display())))?;
            out.push((path, n));
        }
        Ok(out)
    }
}

/// The supervisor's last word on a sent-back interview, as the device shows it.
fn sent_back_note(r: &review::Review) -> SentBack {
    let last = r.history.last();
    SentBack {
        round: r.edits,
        note: last.map(|e| e.note.clone()).unwrap_or_default(),
        by: last.map(|e| e.by.clone()).unwrap_or_default(),
        at: last.map_or_else(chrono::Utc::now, |e| e.at),
        questions: last.map(|e| e.questions.clone()).unwrap_or_default(),
    }
}
