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
    /// Global tables: a write replicated from another region's replica.
    Replica,
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
    /// A global table's write: its version (`replication`), which decides which write wins
    /// when two regions write the same item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
}

/// JSON levels a record may nest: its own, and two per level of the images of an item read to
/// [`item::packed::MAX_STORED_DEPTH`] levels.
const MAX_RECORD_DEPTH: usize = 2 * item::packed::MAX_STORED_DEPTH + 8;

/// How deep `bytes` nest as JSON (objects and arrays), without parsing them: a linear scan.
fn json_depth(bytes: &[u8]) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for &b in bytes {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

impl ChangeRecord {
    pub fn encode(&self) -> Result<Vec<u8>, StoreError> {
        serde_json::to_vec(self).map_err(|e| StoreError::Corrupt(e.to_string()))
    }

    pub fn decode(bytes: &[u8]) -> Result<ChangeRecord, StoreError> {
        let corrupt = |e: serde_json::Error| StoreError::Corrupt(format!("change record: {e}"));
        if json_depth(bytes) > MAX_RECORD_DEPTH {
            return Err(StoreError::Corrupt("change record nests too deep".into()));
        }
        // serde_json's own limit (128 levels) is below what the images of an item nested past
        // 64 levels need; the depth was bounded above instead.
        let mut de = serde_json::Deserializer::from_slice(bytes);
        de.disable_recursion_limit();
        let record = ChangeRecord::deserialize(&mut de).map_err(corrupt)?;
        de.end().map_err(corrupt)?;
        Ok(record)
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn nested(levels: usize) -> Json {
        let mut v = serde_json::json!({"S": "leaf"});
        for _ in 0..levels {
            v = serde_json::json!({"M": {"a": v}});
        }
        v
    }

    fn record(levels: usize) -> ChangeRecord {
        ChangeRecord {
            table: "t".into(),
            table_id: "id".into(),
            at_ms: 1,
            origin: Origin::User,
            stream: None,
            keys: serde_json::json!({"k": {"S": "a"}}),
            old: Some(serde_json::json!({"k": {"S": "a"}, "v": nested(levels)})),
            new: None,
            version: None,
        }
    }

    #[test]
    fn records_of_items_nested_past_serde_json_s_limit_decode() {
        let r = record(91);
        assert_eq!(ChangeRecord::decode(&r.encode().unwrap()).unwrap(), r);
        let r = record(item::packed::MAX_STORED_DEPTH);
        assert_eq!(ChangeRecord::decode(&r.encode().unwrap()).unwrap(), r);
    }

    #[test]
    fn deeper_records_are_refused_without_recursing() {
        let bytes = "[".repeat(100_000).into_bytes();
        assert!(ChangeRecord::decode(&bytes).is_err());
        let r = record(item::packed::MAX_STORED_DEPTH + 10);
        assert!(ChangeRecord::decode(&r.encode().unwrap()).is_err());
    }

    #[test]
    fn depth_ignores_brackets_in_strings() {
        assert_eq!(json_depth(br#"{"a": "[[[{{\"]]", "b": [1, {"c": []}]}"#), 4);
    }
}
