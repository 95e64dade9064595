//! The JSON messages of the HTTP API (enrolment); bundles, receipts and the form list are in
//! [`super::bundle`].

use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Serialize, Deserialize)]
pub struct EnrollRequest {
    pub token: String,
    pub device_id: Uuid,
    pub public_key: String,
    /// The device's signature (hex) over [`crate::protocol::bundle::enroll_message`].
    pub proof: String,
    /// The device's age public key: interviews a supervisor sends back are sealed to it.
    /// Absent from devices enrolled before review existed (they re-enrol to get returns).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_key: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct EnrollReply {
    pub hub_id: Uuid,
    pub recipients: Vec<String>,
    pub hub_key: String,
    pub api_token: String,
}
