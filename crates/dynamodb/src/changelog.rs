//! The change-log record every item write appends (in the same transaction, see
//! `items::apply_write`), and its decoding for the readers: Streams, triggers, PITR.
//!
//! Records are JSON (the store's format version covers their shape). Items are kept in their
//! wire form, so a stream record can be rendered without re-encoding.

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use store::StoreError;

/// Who made a change: a user's request, or the TTL sweeper (whose stream records carry
/// AWS's service identity).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    User,
    Ttl,
}

/// The table's stream when the write happened: a write belongs to the stream that was enabled
/// at its commit, whatever happens to the table's stream later.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamTag {
    pub label: String,
    pub view_type: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChangeRecord {
    pub table: String,
    pub table_id: String,
    pub at_ms: u64,
    pub origin: Origin,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<StreamTag>,
    /// The key attributes, wire form (`{"pk": {"S": "a"}}`).
    pub keys: Json,
    pub old: Option<Json>,
    pub new: Option<Json>,
}

impl ChangeRecord {
    pub fn encode(&self) -> Result<Vec<u8>, StoreError> {
        serde_json::to_vec(self).map_err(|e| StoreError::Corrupt(e.to_string()))
    }

    pub fn decode(bytes: &[u8]) -> Result<ChangeRecord, StoreError> {
        serde_json::from_slice(bytes)
            .map_err(|e| StoreError::Corrupt(format!("change record: {e}")))
    }

    /// INSERT, MODIFY or REMOVE, as a stream names the change.
    pub fn event_name(&self) -> &'static str {
        match (&self.old, &self.new) {
            (None, Some(_)) => "INSERT",
            (Some(_), Some(_)) => "MODIFY",
            _ => "REMOVE",
        }
    }
}
