//! Item collections of tables with local secondary indexes: all items sharing a partition key,
//! plus their LSI entries. AWS caps one at 10 GB and reports its size estimate
//! (ReturnItemCollectionMetrics); we keep each collection's exact size, updated with every write.

use item::{Item, Value};
use serde_json::{json, Value as Json};
use store::{StoreError, WriteCtx};

use crate::error::{DynamoError, ErrorCode};
use crate::schema::TableMeta;

const TABLE: &str = "ddb.collections";

/// AWS's limit on one item collection.
pub const MAX_COLLECTION_BYTES: u64 = 10 * 1024 * 1024 * 1024;

/// Bytes an item occupies in its collection: itself plus its entries in every LSI.
fn footprint(meta: &TableMeta, item: Option<&Item>) -> i64 {
    let Some(item) = item else { return 0 };
    let shape = meta.key_shape();
    let mut size = item::size::item_size(item) as i64;
    for index in meta.indexes().iter().filter(|i| !i.global) {
        if index.entry_key(item, &[]).is_some() {
            size += item::size::item_size(&index.project(&shape, item)) as i64;
        }
    }
    size
}

fn collection_key(meta: &TableMeta, hash: &Value) -> Option<Vec<u8>> {
    let mut key = meta.table_id.as_bytes().to_vec();
    key.extend(item::keycodec::partition_key_prefix(hash)?);
    Some(key)
}

fn size_of(ctx: &WriteCtx<'_>, key: &[u8]) -> Result<u64, StoreError> {
    Ok(ctx
        .get(TABLE, key)?
        .and_then(|b| b.try_into().ok())
        .map_or(0, u64::from_be_bytes))
}

/// The collection an item write changes, and its size after the write.
pub struct Change {
    key: Vec<u8>,
    pub hash_name: String,
    pub hash: Value,
    pub size_after: u64,
}

/// Works out the collection change of replacing `old` by `new`; None for tables without LSIs.
/// Refuses a write that would grow a collection past 10 GB, before anything is written.
pub fn plan(
    ctx: &WriteCtx<'_>,
    meta: &TableMeta,
    old: Option<&Item>,
    new: Option<&Item>,
) -> Result<Result<Option<Change>, DynamoError>, StoreError> {
    if meta.local_indexes.is_empty() {
        return Ok(Ok(None));
    }
    let shape = meta.key_shape();
    let Some(hash) = new.or(old).and_then(|i| i.get(&shape.hash.name)).cloned() else {
        return Ok(Ok(None));
    };
    let Some(key) = collection_key(meta, &hash) else {
        return Ok(Ok(None));
    };
    let delta = footprint(meta, new) - footprint(meta, old);
    let size_after = size_of(ctx, &key)?.saturating_add_signed(delta);
    if delta > 0 && size_after > MAX_COLLECTION_BYTES {
        return Ok(Err(DynamoError::new(
            ErrorCode::ItemCollectionSizeLimitExceeded,
            "Item collection size limit exceeded.", // message unverified
        )));
    }
    Ok(Ok(Some(Change {
        key,
        hash_name: shape.hash.name,
        hash,
        size_after,
    })))
}

/// Records a planned change; call in the same job as the write.
pub fn apply(ctx: &mut WriteCtx<'_>, change: &Change) -> Result<(), StoreError> {
    if change.size_after == 0 {
        ctx.remove(TABLE, &change.key)?;
    } else {
        ctx.insert(TABLE, &change.key, &change.size_after.to_be_bytes())?;
    }
    Ok(())
}

/// `ItemCollectionMetrics` as AWS renders it: the partition key and a size range in GB.
pub fn metrics(change: &Change) -> Json {
    let gb = change.size_after as f64 / (1024.0 * 1024.0 * 1024.0);
    let low = gb.floor();
    json!({
        "ItemCollectionKey": { change.hash_name.clone(): item::json::value_to_json(&change.hash) },
        "SizeEstimateRangeGB": [low, low + 1.0],
    })
}

/// Drops every collection counter of a table.
pub fn drop_table(ctx: &mut WriteCtx<'_>, meta: &TableMeta) -> Result<(), StoreError> {
    let prefix = meta.table_id.as_bytes().to_vec();
    let mut keys = Vec::new();
    let end = item::keycodec::prefix_end(&prefix);
    ctx.scan(
        TABLE,
        (
            std::ops::Bound::Included(prefix.as_slice()),
            end.as_ref().map(Vec::as_slice),
        ),
        false,
        |k, _| {
            keys.push(k.to_vec());
            store::ScanControl::Continue
        },
    )?;
    for k in keys {
        ctx.remove(TABLE, &k)?;
    }
    Ok(())
}
