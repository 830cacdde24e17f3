//! Table and index statistics (ItemCount, TableSizeBytes), kept exact in the same transaction
//! as each write, in `ddb.stats` under a table's id or `id/index` for an index.

use store::{ReadCtx, StoreError, WriteCtx};

use crate::schema::TableMeta;

const STATS: &str = "ddb.stats";

/// Item count and total item bytes, kept exact in the same transaction as each write.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TableStats {
    pub item_count: u64,
    pub size_bytes: u64,
}

pub fn table(read: &ReadCtx, meta: &TableMeta) -> Result<TableStats, StoreError> {
    get(read, &meta.table_id)
}

/// Statistics under any key: a table's id, or `id/index` for an index.
pub fn get(read: &ReadCtx, key: &str) -> Result<TableStats, StoreError> {
    Ok(decode_stats(read.get(STATS, key.as_bytes())?))
}

pub fn remove(ctx: &mut WriteCtx<'_>, key: &str) -> Result<(), StoreError> {
    ctx.remove(STATS, key.as_bytes())?;
    Ok(())
}

pub fn in_job(ctx: &WriteCtx<'_>, meta: &TableMeta) -> Result<TableStats, StoreError> {
    Ok(decode_stats(ctx.get(STATS, meta.table_id.as_bytes())?))
}

/// Adds the deltas of one write to the table's statistics.
pub fn add(
    ctx: &mut WriteCtx<'_>,
    meta: &TableMeta,
    count_delta: i64,
    size_delta: i64,
) -> Result<(), StoreError> {
    add_for(ctx, &meta.table_id, count_delta, size_delta)
}

pub fn add_for(
    ctx: &mut WriteCtx<'_>,
    key: &str,
    count_delta: i64,
    size_delta: i64,
) -> Result<(), StoreError> {
    if count_delta == 0 && size_delta == 0 {
        return Ok(());
    }
    let cur = decode_stats(ctx.get(STATS, key.as_bytes())?);
    let next = TableStats {
        item_count: cur.item_count.saturating_add_signed(count_delta),
        size_bytes: cur.size_bytes.saturating_add_signed(size_delta),
    };
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&next.item_count.to_be_bytes());
    bytes[8..].copy_from_slice(&next.size_bytes.to_be_bytes());
    ctx.insert(STATS, key.as_bytes(), &bytes)?;
    Ok(())
}

fn decode_stats(bytes: Option<Vec<u8>>) -> TableStats {
    let Some(b) = bytes else {
        return TableStats::default();
    };
    let word = |r: std::ops::Range<usize>| {
        b.get(r)
            .and_then(|s| s.try_into().ok())
            .map_or(0, u64::from_be_bytes)
    };
    TableStats {
        item_count: word(0..8),
        size_bytes: word(8..16),
    }
}
