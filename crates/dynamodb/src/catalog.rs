//! The catalog: every table's definition, persisted in `ddb.tables` and mirrored in memory so
//! that request paths never decode it.
//!
//! Invariant: the in-memory map is changed only by write jobs (on the store's single writer
//! thread), in the same order as their transactions, right after writing the persisted record.
//! A failed commit poisons the store, so memory never outlives a diverging disk for long.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use store::{ReadCtx, ScanControl, StoreError, WriteCtx};

use crate::error::DynamoError;
use crate::schema::TableMeta;

const TABLES: &str = "ddb.tables";
const STATS: &str = "ddb.stats";

#[derive(Default)]
pub struct Catalog {
    tables: RwLock<BTreeMap<String, Arc<TableMeta>>>,
}

/// Item count and total item bytes, kept exact in the same transaction as each write.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TableStats {
    pub item_count: u64,
    pub size_bytes: u64,
}

impl Catalog {
    pub fn load(read: &ReadCtx) -> Result<Catalog, StoreError> {
        let mut tables = BTreeMap::new();
        let mut bad = None;
        read.scan(
            TABLES,
            (std::ops::Bound::Unbounded, std::ops::Bound::Unbounded),
            false,
            |_, v| match serde_json::from_slice::<TableMeta>(v) {
                Ok(meta) => {
                    tables.insert(meta.table_name.clone(), Arc::new(meta));
                    ScanControl::Continue
                }
                Err(e) => {
                    bad = Some(e.to_string());
                    ScanControl::Stop
                }
            },
        )?;
        if let Some(e) = bad {
            return Err(StoreError::Corrupt(format!("catalog record: {e}")));
        }
        Ok(Catalog {
            tables: RwLock::new(tables),
        })
    }

    pub fn get(&self, name: &str) -> Option<Arc<TableMeta>> {
        self.tables.read().ok()?.get(name).cloned()
    }

    /// The table, or DynamoDB's data-plane "Requested resource not found".
    pub fn require(&self, name: &str) -> Result<Arc<TableMeta>, DynamoError> {
        self.get(name).ok_or_else(DynamoError::not_found)
    }

    /// Names in order, from after `start` (exclusive), at most `limit`.
    pub fn names(&self) -> Vec<String> {
        self.tables
            .read()
            .map(|t| t.keys().cloned().collect())
            .unwrap_or_default()
    }

    pub fn all(&self) -> Vec<Arc<TableMeta>> {
        self.tables
            .read()
            .map(|t| t.values().cloned().collect())
            .unwrap_or_default()
    }

    /// Persists `meta` in the job's transaction and publishes it.
    pub fn put(
        &self,
        ctx: &mut WriteCtx<'_>,
        meta: TableMeta,
    ) -> Result<Arc<TableMeta>, StoreError> {
        let bytes = serde_json::to_vec(&meta).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        ctx.insert(TABLES, meta.table_name.as_bytes(), &bytes)?;
        let previous = self.get(&meta.table_name);
        crate::stream_registry::sync(ctx, previous.as_deref(), Some(&meta))?;
        let meta = Arc::new(meta);
        if let Ok(mut t) = self.tables.write() {
            t.insert(meta.table_name.clone(), meta.clone());
        }
        Ok(meta)
    }

    /// Removes a table, its items and its statistics in the job's transaction.
    pub fn remove(&self, ctx: &mut WriteCtx<'_>, meta: &TableMeta) -> Result<(), StoreError> {
        ctx.remove(TABLES, meta.table_name.as_bytes())?;
        ctx.remove(STATS, meta.table_id.as_bytes())?;
        ctx.drop_table(&meta.items_table())?;
        for index in meta.indexes() {
            crate::indexes::drop_index(ctx, meta, &index.name)?;
        }
        crate::collections::drop_table(ctx, meta)?;
        crate::ttl::drop_index(ctx, meta)?;
        crate::stream_registry::sync(ctx, Some(meta), None)?;
        if let Ok(mut t) = self.tables.write() {
            t.remove(&meta.table_name);
        }
        Ok(())
    }

    pub fn stats(read: &ReadCtx, meta: &TableMeta) -> Result<TableStats, StoreError> {
        Catalog::stats_for(read, &meta.table_id)
    }

    /// Statistics under any key: a table's id, or `id/index` for an index.
    pub fn stats_for(read: &ReadCtx, key: &str) -> Result<TableStats, StoreError> {
        Ok(decode_stats(read.get(STATS, key.as_bytes())?))
    }

    pub fn remove_stats_for(ctx: &mut WriteCtx<'_>, key: &str) -> Result<(), StoreError> {
        ctx.remove(STATS, key.as_bytes())?;
        Ok(())
    }

    pub fn stats_in(ctx: &WriteCtx<'_>, meta: &TableMeta) -> Result<TableStats, StoreError> {
        Ok(decode_stats(ctx.get(STATS, meta.table_id.as_bytes())?))
    }

    /// Adds the deltas of one write to the table's statistics.
    pub fn add_stats(
        ctx: &mut WriteCtx<'_>,
        meta: &TableMeta,
        count_delta: i64,
        size_delta: i64,
    ) -> Result<(), StoreError> {
        Catalog::add_stats_for(ctx, &meta.table_id, count_delta, size_delta)
    }

    pub fn add_stats_for(
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
