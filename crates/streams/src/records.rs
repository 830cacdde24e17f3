//! Stream records: change-log records rendered as DynamoDB Streams (and Lambda) shape them, and
//! reading them from the log in order.

use std::hash::{Hash, Hasher};

use dynamodb::changelog::{ChangeRecord, Origin};
use serde_json::{json, Map, Value as Json};
use store::{ReadCtx, ScanControl, StoreError};

/// AWS's sequence numbers are decimal strings of 21 digits or more. Ours are the change-log
/// sequence number plus 10^20: stable across restarts, increasing, and 21 digits long.
const SEQ_BASE: u128 = 100_000_000_000_000_000_000;

pub fn sequence_number(seq: u64) -> String {
    (SEQ_BASE + u128::from(seq)).to_string()
}

/// The change-log sequence number of a stream sequence number, if it is one of ours.
pub fn parse_sequence_number(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let v: u128 = s.parse().ok()?;
    u64::try_from(v.checked_sub(SEQ_BASE)?).ok()
}

/// The region of an ARN (`arn:aws:dynamodb:REGION:...`).
pub fn region_of(arn: &str) -> &str {
    arn.split(':').nth(3).unwrap_or("us-east-1")
}

/// A stable 32-hex-digit event id for the record at `seq` of `stream_arn`.
fn event_id(stream_arn: &str, seq: u64) -> String {
    let mut words = [0u64; 2];
    for (i, w) in words.iter_mut().enumerate() {
        #[allow(deprecated)]
        let mut h = std::hash::SipHasher::new_with_keys(0x0065_7665_6e74, i as u64);
        (stream_arn, seq).hash(&mut h);
        *w = h.finish();
    }
    format!("{:016x}{:016x}", words[0], words[1])
}

fn size_of(wire: &Json) -> usize {
    item::json::item_from_json(wire).map_or(0, |i| item::size::item_size(&i))
}

/// Where a record goes: the GetRecords API names the members of `userIdentity` in PascalCase
/// (`Type`, `PrincipalId`, as the service model does); Lambda's event names them `type` and
/// `principalId`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    Api,
    LambdaEvent,
}

/// The record as GetRecords (or a Lambda event) carries it. `view_type` is the stream's:
/// KEYS_ONLY, NEW_IMAGE, OLD_IMAGE or NEW_AND_OLD_IMAGES decide which images it carries;
/// SizeBytes counts the keys and the images it carries.
pub fn render(
    rec: &ChangeRecord,
    seq: u64,
    stream_arn: &str,
    view_type: &str,
    shape: Shape,
) -> Json {
    let mut d = Map::new();
    d.insert(
        "ApproximateCreationDateTime".into(),
        (rec.at_ms / 1000).into(),
    );
    d.insert("Keys".into(), rec.keys.clone());
    let mut size = size_of(&rec.keys);
    let new = matches!(view_type, "NEW_IMAGE" | "NEW_AND_OLD_IMAGES");
    let old = matches!(view_type, "OLD_IMAGE" | "NEW_AND_OLD_IMAGES");
    if new {
        if let Some(image) = &rec.new {
            size += size_of(image);
            d.insert("NewImage".into(), image.clone());
        }
    }
    if old {
        if let Some(image) = &rec.old {
            size += size_of(image);
            d.insert("OldImage".into(), image.clone());
        }
    }
    d.insert("SequenceNumber".into(), sequence_number(seq).into());
    d.insert("SizeBytes".into(), size.into());
    d.insert("StreamViewType".into(), view_type.into());
    let mut out = Map::new();
    out.insert("eventID".into(), event_id(stream_arn, seq).into());
    out.insert("eventName".into(), rec.event_name().into());
    out.insert("eventVersion".into(), "1.1".into());
    out.insert("eventSource".into(), "aws:dynamodb".into());
    out.insert("awsRegion".into(), region_of(stream_arn).into());
    out.insert("dynamodb".into(), Json::Object(d));
    if rec.origin == Origin::Ttl {
        let who = match shape {
            Shape::Api => json!({"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"}),
            Shape::LambdaEvent => {
                json!({"type": "Service", "principalId": "dynamodb.amazonaws.com"})
            }
        };
        out.insert("userIdentity".into(), who);
    }
    Json::Object(out)
}

/// Whether `needle` occurs in `haystack`: a cheap test before decoding a record.
fn mentions(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

/// How many change-log records one read may visit before it returns what it has: bounds the
/// cost of a GetRecords on a quiet stream of a busy server (the next iterator goes on from there).
pub const MAX_VISIT: usize = 20_000;

/// GetRecords returns at most this many bytes of records (AWS: 1 MB).
pub const MAX_BYTES: usize = 1024 * 1024;

/// A record of a table's stream found in the log.
pub struct Found {
    pub seq: u64,
    pub record: ChangeRecord,
}

/// What one read of the log found.
pub struct Scan {
    pub found: Vec<Found>,
    /// The first sequence number not looked at.
    pub next: u64,
}

/// Reads the change log from `from` up to `end` (inclusive) for records that `wanted` accepts,
/// at most `limit` of them and `MAX_BYTES` of their item data, visiting at most `MAX_VISIT`
/// records. `table_id` (or the table's name) is tested on the raw bytes first.
pub fn scan(
    read: &ReadCtx,
    from: u64,
    end: Option<u64>,
    limit: usize,
    needle: &str,
    mut wanted: impl FnMut(&ChangeRecord) -> bool,
) -> Result<Scan, StoreError> {
    let mut found = Vec::new();
    let mut next = from;
    let mut visited = 0usize;
    let mut bytes = 0usize;
    let mut bad = None;
    read.changes(from, |seq, raw| {
        if end.is_some_and(|e| seq > e) || found.len() >= limit || bytes >= MAX_BYTES {
            return ScanControl::Stop;
        }
        next = seq + 1;
        visited += 1;
        if mentions(raw, needle.as_bytes()) {
            match ChangeRecord::decode(raw) {
                Ok(record) => {
                    if wanted(&record) {
                        bytes += raw.len();
                        found.push(Found { seq, record });
                    }
                }
                Err(e) => {
                    bad = Some(e);
                    return ScanControl::Stop;
                }
            }
        }
        if visited >= MAX_VISIT {
            ScanControl::Stop
        } else {
            ScanControl::Continue
        }
    })?;
    if let Some(e) = bad {
        return Err(e);
    }
    Ok(Scan { found, next })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn sequence_numbers_round_trip() {
        assert_eq!(sequence_number(1), "100000000000000000001");
        assert_eq!(sequence_number(1).len(), 21);
        assert_eq!(parse_sequence_number("100000000000000000042"), Some(42));
        assert_eq!(parse_sequence_number("42"), None);
        assert_eq!(parse_sequence_number("1000000000000000000x2"), None);
    }

    #[test]
    fn size_bytes_counts_keys_and_images() {
        // AWS's documented example: keys {Id: 101}, NEW_AND_OLD_IMAGES MODIFY of Message.
        let rec = ChangeRecord {
            table: "t".into(),
            table_id: "id".into(),
            at_ms: 1_700_000_000_500,
            origin: Origin::User,
            stream: None,
            keys: json!({"Id": {"N": "101"}}),
            old: Some(json!({"Id": {"N": "101"}, "Message": {"S": "New item!"}})),
            new: Some(json!({"Id": {"N": "101"}, "Message": {"S": "This item has changed"}})),
            version: None,
        };
        let arn = "arn:aws:dynamodb:eu-west-1:1:table/t/stream/x";
        let r = render(&rec, 7, arn, "NEW_AND_OLD_IMAGES", Shape::Api);
        assert_eq!(r["dynamodb"]["SizeBytes"], 59);
        assert_eq!(r["eventName"], "MODIFY");
        assert_eq!(r["awsRegion"], "eu-west-1");
        assert_eq!(
            r["dynamodb"]["ApproximateCreationDateTime"],
            1_700_000_000u64
        );
        let k = render(&rec, 7, arn, "KEYS_ONLY", Shape::Api);
        assert_eq!(k["dynamodb"]["SizeBytes"], 5);
        assert!(k["dynamodb"].get("NewImage").is_none());
        assert!(k.get("userIdentity").is_none());
        let ttl = ChangeRecord {
            origin: Origin::Ttl,
            ..rec
        };
        let api = render(&ttl, 8, arn, "KEYS_ONLY", Shape::Api);
        assert_eq!(
            api["userIdentity"],
            json!({"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"})
        );
        let event = render(&ttl, 8, arn, "KEYS_ONLY", Shape::LambdaEvent);
        assert_eq!(
            event["userIdentity"],
            json!({"type": "Service", "principalId": "dynamodb.amazonaws.com"})
        );
    }
}
