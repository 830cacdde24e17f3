//! Items at rest: extracting and checking primary keys, and the write path every item write
//! ends in (`after_write`), so that item, indexes, TTL entry, statistics and change log move
//! together. The stored form of an item is `record`.

use std::borrow::Cow;

use item::size::{item_size, MAX_ITEM_SIZE, MAX_PARTITION_KEY_BYTES, MAX_SORT_KEY_BYTES};
use item::{Item, Value};
use store::{StoreError, WriteCtx};

use crate::changelog::{ChangeRecord, StreamTag};
use crate::error::DynamoError;
use crate::indexes::{self, IndexWrites};
pub use crate::record::{decode_item, encode_item};
use crate::schema::{KeyAttr, KeyShape, TableMeta};
use crate::stats;

/// Where a key came from decides AWS's wording when it is wrong.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum KeySource {
    /// A whole item (PutItem): missing or mistyped keys are described.
    Item,
    /// A `Key` parameter: it must name exactly the key attributes.
    Key,
}

/// Checks the key attributes of `item` against the table and returns the encoded key.
pub fn key_bytes(shape: &KeyShape, item: &Item, source: KeySource) -> Result<Vec<u8>, DynamoError> {
    if source == KeySource::Key {
        let expected = 1 + usize::from(shape.range.is_some());
        if item.len() != expected || shape.names().any(|n| !item.contains_key(n)) {
            return Err(DynamoError::validation(
                "The provided key element does not match the schema",
            ));
        }
    }
    let hash = key_value(&shape.hash, item, source)?;
    let range = match &shape.range {
        Some(r) => Some(key_value(r, item, source)?),
        None => None,
    };
    key_size(hash, true)?;
    if let Some(r) = range {
        key_size(r, false)?;
    }
    item::keycodec::encode_key(hash, range).ok_or_else(|| {
        DynamoError::validation("The provided key element does not match the schema")
    })
}

/// A partition (`hash`) or sort key value past its size limit, in AWS's words for a table's key
/// (for an index's, message unverified).
fn key_size(v: &Value, hash: bool) -> Result<(), DynamoError> {
    if hash && key_part_size(v) > MAX_PARTITION_KEY_BYTES {
        return Err(DynamoError::validation(format!(
            "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of{MAX_PARTITION_KEY_BYTES} bytes"
        )));
    }
    if !hash && key_part_size(v) > MAX_SORT_KEY_BYTES {
        return Err(DynamoError::validation(format!(
            "One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of {MAX_SORT_KEY_BYTES} bytes"
        )));
    }
    Ok(())
}

fn key_part_size(v: &Value) -> usize {
    match v {
        Value::S(s) => s.len(),
        Value::B(b) => b.len(),
        other => item::size::value_size(other),
    }
}

fn key_value<'a>(
    attr: &KeyAttr,
    item: &'a Item,
    source: KeySource,
) -> Result<&'a Value, DynamoError> {
    let Some(v) = item.get(&attr.name) else {
        return Err(DynamoError::validation(match source {
            KeySource::Item => format!(
                "One or more parameter values were invalid: Missing the key {} in the item",
                attr.name
            ),
            KeySource::Key => "The provided key element does not match the schema".to_string(),
        }));
    };
    if v.type_name() != attr.ty {
        return Err(DynamoError::validation(match source {
            KeySource::Item => format!(
                "One or more parameter values were invalid: Type mismatch for key {} expected: {} actual: {}",
                attr.name,
                attr.ty,
                v.type_name()
            ),
            KeySource::Key => "The provided key element does not match the schema".to_string(),
        }));
    }
    let empty_kind = match v {
        Value::S(s) if s.is_empty() => Some("string"),
        Value::B(b) if b.is_empty() => Some("binary"),
        _ => None,
    };
    if let Some(kind) = empty_kind {
        return Err(DynamoError::validation(format!(
            "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty {kind} value. Key: {}",
            attr.name
        )));
    }
    Ok(v)
}

/// Only the key attributes of `item`.
pub fn key_of(shape: &KeyShape, item: &Item) -> Item {
    shape
        .names()
        .filter_map(|n| item.get(n).map(|v| (n.to_string(), v.clone())))
        .collect()
}

pub fn check_item_size(item: &Item) -> Result<usize, DynamoError> {
    let size = item_size(item);
    if size > MAX_ITEM_SIZE {
        return Err(DynamoError::validation(
            "Item size has exceeded the maximum allowed size",
        ));
    }
    Ok(size)
}

pub fn read_item(
    ctx: &WriteCtx<'_>,
    meta: &TableMeta,
    key: &[u8],
) -> Result<Option<Item>, StoreError> {
    ctx.get(&meta.items_table(), key)?
        .map(|b| decode_item(&b))
        .transpose()
}

pub use crate::changelog::Origin;

/// Replaces the item at `key` (`old` is what the job read there) with `new`, or deletes it when
/// `new` is None, in the job's transaction, together with the table statistics and, when the
/// table has an enabled stream, one change-log record. A write that changes nothing leaves no
/// record.
pub fn apply_write(
    ctx: &mut WriteCtx<'_>,
    meta: &TableMeta,
    key: &[u8],
    old: Option<&Item>,
    new: Option<&Item>,
    origin: Origin,
) -> Result<IndexWrites, StoreError> {
    apply_encoded_write(ctx, meta, key, old, new, None, origin)
}

/// [`apply_write`] with `new` already encoded (`encode_item`) by the caller: encoding before
/// the job keeps that work off the single writer thread.
pub fn apply_encoded_write(
    ctx: &mut WriteCtx<'_>,
    meta: &TableMeta,
    key: &[u8],
    old: Option<&Item>,
    new: Option<&Item>,
    new_encoded: Option<&[u8]>,
    origin: Origin,
) -> Result<IndexWrites, StoreError> {
    let table = meta.items_table();
    // Collection sizes are tracked on every write; the 10 GB limit is enforced by the operations
    // that can grow one (collections::plan before they write).
    if let Ok(Some(change)) = crate::collections::plan(ctx, meta, old, new)? {
        crate::collections::apply(ctx, &change)?;
    }
    let stored = match new {
        Some(item) => {
            let bytes = new_encoded.map_or_else(|| Cow::Owned(encode_item(item)), Cow::Borrowed);
            ctx.insert(&table, key, &bytes)?;
            Some(bytes)
        }
        None => {
            if old.is_none() {
                return Ok(IndexWrites::default());
            }
            ctx.remove(&table, key)?;
            None
        }
    };
    after_write(ctx, meta, key, old, new, stored.as_deref(), origin)
}

/// Stores `new` (encoded as `new_encoded`) at `key` whatever was there, and returns what was:
/// one descent of the tree instead of a read and then a write, for writes that need no look at
/// the old item first (PutItem without a condition). Tables with local indexes are not
/// eligible: their item collections' size limit must be checked before the write.
pub fn put_unconditional(
    ctx: &mut WriteCtx<'_>,
    meta: &TableMeta,
    key: &[u8],
    new: &Item,
    new_encoded: &[u8],
    origin: Origin,
) -> Result<(Option<Item>, IndexWrites), StoreError> {
    debug_assert!(meta.local_indexes.is_empty());
    let old = ctx
        .insert(&meta.items_table(), key, new_encoded)?
        .map(|b| decode_item(&b))
        .transpose()?;
    let index_writes = after_write(
        ctx,
        meta,
        key,
        old.as_ref(),
        Some(new),
        Some(new_encoded),
        origin,
    )?;
    Ok((old, index_writes))
}

/// What follows the item's own write: its index entries, TTL entry, the table statistics, its
/// point-in-time-recovery log entry (`stored` is the new item's stored form) and (for a table
/// with an enabled stream) its change record.
fn after_write(
    ctx: &mut WriteCtx<'_>,
    meta: &TableMeta,
    key: &[u8],
    old: Option<&Item>,
    new: Option<&Item>,
    stored: Option<&[u8]>,
    origin: Origin,
) -> Result<IndexWrites, StoreError> {
    let index_writes = indexes::maintain(ctx, meta, key, old, new)?;
    if meta.pitr.is_some() {
        crate::pitr::log(ctx, meta, key, stored)?;
    }
    crate::ttl::maintain(ctx, meta, key, old, new)?;
    let size = |i: Option<&Item>| i.map_or(0, |i| item_size(i) as i64);
    let count_delta = i64::from(new.is_some()) - i64::from(old.is_some());
    stats::add(ctx, meta, count_delta, size(new) - size(old))?;
    // Only stream readers (the Streams API, triggers) read the change log, and they read only
    // records tagged with a stream: a table without one writes none, which spares every write
    // the JSON of its old and new images.
    let Some(stream) = meta.stream.as_ref().filter(|s| s.enabled) else {
        return Ok(index_writes);
    };
    if old == new {
        return Ok(index_writes);
    }
    // A global table's own writes carry their version to the other regions; replicated ones
    // had theirs stamped where they were made. A strongly consistent group's writes are made
    // in every member at once (`replication::write_through`) and need none.
    let version =
        if meta.replicas.is_empty() || meta.strongly_consistent || origin == Origin::Replica {
            None
        } else {
            Some(crate::replication::stamp_local(ctx, meta, key)?)
        };
    let shape = meta.key_shape();
    let keys = key_of(&shape, new.or(old).unwrap_or(&Item::new()));
    let record = ChangeRecord {
        table: meta.table_name.clone(),
        table_id: meta.table_id.clone(),
        at_ms: ctx.now_ms(),
        origin,
        stream: Some(StreamTag {
            label: stream.label.clone(),
            view_type: stream.view_type.clone(),
        }),
        keys: item::json::item_to_json(&keys),
        old: old.map(item::json::item_to_json),
        new: new.map(item::json::item_to_json),
        version,
    };
    let bytes = record.encode()?;
    ctx.append_change_of(&meta.items_table(), &bytes)?;
    Ok(index_writes)
}

/// AWS refuses an item whose value for an index key attribute has another type than the
/// attribute definition, or is an empty string/binary: it could not be indexed.
pub fn check_index_keys(meta: &TableMeta, item: &Item) -> Result<(), DynamoError> {
    for index in meta.indexes() {
        for attr in std::iter::once(&index.shape.hash).chain(index.shape.range.as_ref()) {
            let Some(v) = item.get(&attr.name) else {
                continue;
            };
            if v.type_name() != attr.ty {
                return Err(DynamoError::validation(format!(
                    "One or more parameter values were invalid: Type mismatch for Index Key {} Expected: {} Actual: {} IndexName: {}",
                    attr.name,
                    attr.ty,
                    v.type_name(),
                    index.name
                )));
            }
            let empty = match v {
                Value::S(s) if s.is_empty() => Some("string"),
                Value::B(b) if b.is_empty() => Some("binary"),
                _ => None,
            };
            if let Some(kind) = empty {
                return Err(DynamoError::validation(format!(
                    "One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty {kind} value. IndexName: {}, IndexKey: {}",
                    index.name, attr.name
                )));
            }
            // An index key has the table key's limits.
            key_size(v, attr.name == index.shape.hash.name)?;
        }
    }
    Ok(())
}
