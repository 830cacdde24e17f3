//! The durable record of every DynamoDB stream and its shards, for the Streams API
//! (`crates/streams`) to serve.
//!
//! A stream is born when a table's stream is enabled (CreateTable, UpdateTable) and ends when it
//! is disabled or its table deleted; it stays readable for the retention period after that, as on
//! AWS. A shard is a contiguous range of change-log sequence numbers: the stream's records are the
//! change-log records tagged with its label (`changelog::StreamTag`), and each falls in exactly
//! one shard. Shards are opened and closed only inside write jobs, at `WriteCtx::next_sequence`,
//! so no record can fall between two shards or be assigned to a shard after it was described as
//! closed: a closed shard ends at the last sequence number committed before the job that closed
//! it, and its successor (whose parent it is) starts at the next one.
//!
//! `sync` is called by the catalog whenever a table definition is stored or removed, in the
//! same job, so a stream's first record can never precede its first shard.

use std::ops::Bound;

use serde::{Deserialize, Serialize};
use store::{ReadCtx, ScanControl, StoreError, WriteCtx};

use crate::schema::{KeySchemaElement, TableMeta};

const STREAMS: &str = "ddb.streams";

/// One shard: the change-log sequence numbers `start..=end` (`end` unset while open).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardEntry {
    pub shard_id: String,
    pub start_seq: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_seq: Option<u64>,
    pub created_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_shard_id: Option<String>,
}

impl ShardEntry {
    pub fn is_open(&self) -> bool {
        self.end_seq.is_none()
    }

    /// Whether change-log sequence number `seq` belongs to this shard's range.
    pub fn contains(&self, seq: u64) -> bool {
        seq >= self.start_seq && self.end_seq.is_none_or(|e| seq <= e)
    }
}

/// One stream: what DescribeStream reports and the shards that are still kept.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamEntry {
    pub stream_arn: String,
    pub table_name: String,
    pub table_id: String,
    pub label: String,
    pub view_type: String,
    pub key_schema: Vec<KeySchemaElement>,
    pub created_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled_ms: Option<u64>,
    /// Oldest first; the last one is open while the stream is enabled.
    pub shards: Vec<ShardEntry>,
    /// How many shards this stream has had (names the next one).
    pub shard_count: u64,
}

impl StreamEntry {
    pub fn enabled(&self) -> bool {
        self.disabled_ms.is_none()
    }

    pub fn shard(&self, shard_id: &str) -> Option<&ShardEntry> {
        self.shards.iter().find(|s| s.shard_id == shard_id)
    }

    pub fn open_shard(&self) -> Option<&ShardEntry> {
        self.shards.last().filter(|s| s.is_open())
    }
}

/// The stream ARN of a table's stream with `label`.
pub fn stream_arn(table_arn: &str, label: &str) -> String {
    format!("{table_arn}/stream/{label}")
}

/// AWS's shard id shape: `shardId-` + 20 digits + `-` + 8 hex digits.
fn shard_id(stream_arn: &str, index: u64, created_ms: u64) -> String {
    use std::hash::{Hash, Hasher};
    #[allow(deprecated)]
    let mut h = std::hash::SipHasher::new_with_keys(0x7368_6172, 0x6473);
    (stream_arn, index).hash(&mut h);
    format!("shardId-{created_ms:020}-{:08x}", h.finish() as u32)
}

fn decode(bytes: &[u8]) -> Result<StreamEntry, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt(format!("stream entry: {e}")))
}

fn put(ctx: &mut WriteCtx<'_>, entry: &StreamEntry) -> Result<(), StoreError> {
    let bytes = serde_json::to_vec(entry).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    ctx.insert(STREAMS, entry.stream_arn.as_bytes(), &bytes)?;
    Ok(())
}

pub fn get(read: &ReadCtx, stream_arn: &str) -> Result<Option<StreamEntry>, StoreError> {
    read.get(STREAMS, stream_arn.as_bytes())?
        .map(|b| decode(&b))
        .transpose()
}

pub fn get_in(ctx: &WriteCtx<'_>, stream_arn: &str) -> Result<Option<StreamEntry>, StoreError> {
    ctx.get(STREAMS, stream_arn.as_bytes())?
        .map(|b| decode(&b))
        .transpose()
}

/// Every stream still kept, in ARN order.
pub fn list(read: &ReadCtx) -> Result<Vec<StreamEntry>, StoreError> {
    let mut out = Vec::new();
    let mut bad = None;
    read.scan(
        STREAMS,
        (Bound::Unbounded, Bound::Unbounded),
        false,
        |_, v| {
            match decode(v) {
                Ok(e) => out.push(e),
                Err(e) => {
                    bad = Some(e);
                    return ScanControl::Stop;
                }
            }
            ScanControl::Continue
        },
    )?;
    match bad {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

fn enabled_label(meta: Option<&TableMeta>) -> Option<(&str, &str)> {
    meta.and_then(|m| m.stream.as_ref())
        .filter(|s| s.enabled)
        .map(|s| (s.label.as_str(), s.view_type.as_str()))
}

/// Brings the registry in line with a table definition changing from `old` to `new` (None: the
/// table does not exist), in the job that stores the change.
pub fn sync(
    ctx: &mut WriteCtx<'_>,
    old: Option<&TableMeta>,
    new: Option<&TableMeta>,
) -> Result<(), StoreError> {
    let before = enabled_label(old);
    let after = enabled_label(new);
    let same_table = matches!((old, new), (Some(o), Some(n)) if o.table_id == n.table_id);
    if before == after && same_table {
        return Ok(());
    }
    let now = ctx.now_ms();
    if let (Some(meta), Some((label, _))) = (old, before) {
        if !(same_table && before.map(|b| b.0) == after.map(|a| a.0)) {
            close(ctx, &stream_arn(&meta.table_arn, label), now)?;
        }
    }
    if let (Some(meta), Some((label, view_type))) = (new, after) {
        if !(same_table && before.map(|b| b.0) == Some(label)) {
            let arn = stream_arn(&meta.table_arn, label);
            if get_in(ctx, &arn)?.is_none() {
                let start = ctx.next_sequence();
                let entry = StreamEntry {
                    shards: vec![ShardEntry {
                        shard_id: shard_id(&arn, 0, now),
                        start_seq: start,
                        end_seq: None,
                        created_ms: now,
                        closed_ms: None,
                        parent_shard_id: None,
                    }],
                    stream_arn: arn,
                    table_name: meta.table_name.clone(),
                    table_id: meta.table_id.clone(),
                    label: label.to_string(),
                    view_type: view_type.to_string(),
                    key_schema: meta.key_schema.clone(),
                    created_ms: now,
                    disabled_ms: None,
                    shard_count: 1,
                };
                put(ctx, &entry)?;
            }
        }
    }
    Ok(())
}

/// Closes the open shard of a stream at the last committed sequence number.
fn close_open_shard(ctx: &WriteCtx<'_>, entry: &mut StreamEntry, now: u64) {
    let end = ctx.next_sequence().saturating_sub(1);
    if let Some(open) = entry.shards.last_mut().filter(|s| s.is_open()) {
        open.end_seq = Some(end);
        open.closed_ms = Some(now);
    }
}

fn close(ctx: &mut WriteCtx<'_>, arn: &str, now: u64) -> Result<(), StoreError> {
    let Some(mut entry) = get_in(ctx, arn)? else {
        return Ok(());
    };
    if entry.disabled_ms.is_some() {
        return Ok(());
    }
    close_open_shard(ctx, &mut entry, now);
    entry.disabled_ms = Some(now);
    put(ctx, &entry)
}

/// Shard housekeeping for one stream, in a write job: closes the open shard and opens its
/// successor once it is `rollover_ms` old; forgets shards closed more than `retention_ms` ago
/// (their records are all trimmed), and the whole stream once it has been disabled that long.
/// Returns whether anything changed.
pub fn maintain(
    ctx: &mut WriteCtx<'_>,
    arn: &str,
    now: u64,
    rollover_ms: u64,
    retention_ms: u64,
) -> Result<bool, StoreError> {
    let Some(mut entry) = get_in(ctx, arn)? else {
        return Ok(false);
    };
    if entry
        .disabled_ms
        .is_some_and(|d| now.saturating_sub(d) > retention_ms)
    {
        ctx.remove(STREAMS, arn.as_bytes())?;
        return Ok(true);
    }
    let mut changed = false;
    let due = entry
        .open_shard()
        .is_some_and(|s| now.saturating_sub(s.created_ms) >= rollover_ms);
    if due && entry.enabled() {
        close_open_shard(ctx, &mut entry, now);
        let parent = entry.shards.last().map(|s| s.shard_id.clone());
        let index = entry.shard_count;
        entry.shards.push(ShardEntry {
            shard_id: shard_id(arn, index, now),
            start_seq: ctx.next_sequence(),
            end_seq: None,
            created_ms: now,
            closed_ms: None,
            parent_shard_id: parent,
        });
        entry.shard_count += 1;
        changed = true;
    }
    let before = entry.shards.len();
    entry.shards.retain(|s| {
        s.closed_ms
            .is_none_or(|c| now.saturating_sub(c) <= retention_ms)
    });
    changed |= entry.shards.len() != before;
    if changed {
        put(ctx, &entry)?;
    }
    Ok(changed)
}

/// Whether `maintain` has anything to do for `entry` at `now`.
pub fn needs_maintenance(
    entry: &StreamEntry,
    now: u64,
    rollover_ms: u64,
    retention_ms: u64,
) -> bool {
    next_maintenance(entry, rollover_ms, retention_ms).is_some_and(|at| at <= now)
}

/// When `maintain` next has something to do for `entry`: the open shard's rollover, or the
/// moment a disabled stream or a closed shard passes the retention period.
pub fn next_maintenance(entry: &StreamEntry, rollover_ms: u64, retention_ms: u64) -> Option<u64> {
    let expiry = |t: u64| t.saturating_add(retention_ms).saturating_add(1);
    let rollover = entry
        .enabled()
        .then(|| entry.open_shard())
        .flatten()
        .map(|s| s.created_ms.saturating_add(rollover_ms));
    let forgotten = entry.disabled_ms.map(expiry);
    let trimmed = entry
        .shards
        .iter()
        .filter_map(|s| s.closed_ms.map(expiry))
        .min();
    [rollover, forgotten, trimmed].into_iter().flatten().min()
}
