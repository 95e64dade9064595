//! A device's forgotten passphrase: the device sealed its data folder's key to the hub at
//! enrolment (`DATA/datakey.hub`); the hub's owner opens that file and hands the key back,
//! and the device sets a new passphrase with it (`langnghe passphrase --data-key HEX`).

use super::{Hub, HubError};

impl Hub {
    /// The data key inside a device's `datakey.hub`, as hex.
    pub fn recover_device_key(&self, sealed: &[u8]) -> Result<String, HubError> {
        let key = crate::protocol::seal::open(sealed, &self.identity)
            .map_err(|e| HubError::Invalid(format!("not a data key sealed to this hub: {e}")))?;
        if key.len() != 32 {
            return Err(HubError::Invalid("not a data key".into()));
        }
        Ok(crate::protocol::keys::hex(&key))
    }
}
