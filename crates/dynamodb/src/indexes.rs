//! Secondary indexes: which items an index holds, what of them it projects, and keeping every
//! index in step with each write.
//!
//! An index is a store table of entries keyed by `encode_key(index hash, index range) ++
//! table key`: the index key first so that a Query is one range, the table key after it so that
//! non-unique index keys stay distinct. Items without the index's key attributes (of the declared
//! types) have no entry: indexes are sparse, as on AWS. An entry's value is the table key and the
//! projected item, so index reads never touch the base table unless an LSI read asks for
//! attributes it does not project.

use item::Item;
use store::{ReadCtx, StoreError, WriteCtx};

use crate::record::{decode_item, encode_item};
use crate::schema::{shape_of, KeyShape, Projection, TableMeta};
use crate::stats::{self, TableStats};

/// One index of a table, resolved for reading and writing.
#[derive(Clone, Debug)]
pub struct IndexView {
    pub name: String,
    pub global: bool,
    pub shape: KeyShape,
    pub projection: Projection,
    /// The store table holding the entries.
    pub store_table: String,
    /// Only ACTIVE global indexes may be queried; CREATING ones are maintained and backfilled.
    pub status: String,
}

impl TableMeta {
    pub fn indexes(&self) -> Vec<IndexView> {
        let globals = self.global_indexes.iter().map(|g| IndexView {
            name: g.index_name.clone(),
            global: true,
            shape: shape_of(&g.key_schema, &self.attribute_definitions),
            projection: g.projection.clone(),
            store_table: index_table(&self.table_id, &g.index_name),
            status: g.index_status.clone(),
        });
        let locals = self.local_indexes.iter().map(|l| IndexView {
            name: l.index_name.clone(),
            global: false,
            shape: shape_of(&l.key_schema, &self.attribute_definitions),
            projection: l.projection.clone(),
            store_table: index_table(&self.table_id, &l.index_name),
            status: "ACTIVE".into(),
        });
        globals.chain(locals).collect()
    }

    pub fn index(&self, name: &str) -> Option<IndexView> {
        self.indexes().into_iter().find(|i| i.name == name)
    }
}

pub fn index_table(table_id: &str, index: &str) -> String {
    format!("ddb.index.{table_id}.{index}")
}

fn stats_key(table_id: &str, index: &str) -> String {
    format!("{table_id}/{index}")
}

impl IndexView {
    /// The attributes an entry holds: the table's and the index's keys, plus the projection.
    pub fn project(&self, table: &KeyShape, item: &Item) -> Item {
        if self.projection.projection_type.as_deref() == Some("ALL") {
            return item.clone();
        }
        let extra = self
            .projection
            .non_key_attributes
            .as_deref()
            .unwrap_or_default();
        item.iter()
            .filter(|(name, _)| {
                table.names().any(|k| k == name.as_str())
                    || self.shape.names().any(|k| k == name.as_str())
                    || extra.iter().any(|e| e == *name)
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    pub fn projects_all(&self) -> bool {
        self.projection.projection_type.as_deref() == Some("ALL")
    }

    /// The entry key of `item`, or None when the item is not in the index (sparse).
    pub fn entry_key(&self, item: &Item, table_key: &[u8]) -> Option<Vec<u8>> {
        // Values that cannot be keys (another type, or empty) leave the item out, as AWS's
        // backfill does; writes refuse them before they get here (items::check_index_keys).
        let typed = |name: &str, ty: &str| {
            item.get(name)
                .filter(|v| v.type_name() == ty)
                .filter(|v| match v {
                    item::Value::S(s) => !s.is_empty(),
                    item::Value::B(b) => !b.is_empty(),
                    _ => true,
                })
        };
        let hash = typed(&self.shape.hash.name, &self.shape.hash.ty)?;
        let range = match &self.shape.range {
            Some(r) => Some(typed(&r.name, &r.ty)?),
            None => None,
        };
        let mut key = item::keycodec::encode_key(hash, range)?;
        key.extend_from_slice(table_key);
        Some(key)
    }
}

/// An entry's stored value: the table key (length-prefixed) and the projected item.
fn encode_entry(table_key: &[u8], projected: &Item) -> Vec<u8> {
    let len = u16::try_from(table_key.len()).unwrap_or(u16::MAX);
    let mut out = Vec::with_capacity(2 + table_key.len() + 64);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(table_key);
    out.extend(encode_item(projected));
    out
}

/// Splits an entry into the table key and the projected item.
pub fn decode_entry(bytes: &[u8]) -> Result<(Vec<u8>, Item), StoreError> {
    let corrupt = || StoreError::Corrupt("index entry".into());
    let len_bytes: [u8; 2] = bytes
        .get(..2)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(corrupt)?;
    let len = usize::from(u16::from_be_bytes(len_bytes));
    let table_key = bytes.get(2..2 + len).ok_or_else(corrupt)?.to_vec();
    let item = decode_item(bytes.get(2 + len..).ok_or_else(corrupt)?)?;
    Ok((table_key, item))
}

/// What one write cost an index, for ConsumedCapacity: write units per index.
#[derive(Clone, Debug, Default)]
pub struct IndexWrites {
    pub units: Vec<(String, bool, f64)>,
}

/// Brings every index of `meta` in line with the change of one item from `old` to `new`.
pub fn maintain(
    ctx: &mut WriteCtx<'_>,
    meta: &TableMeta,
    table_key: &[u8],
    old: Option<&Item>,
    new: Option<&Item>,
) -> Result<IndexWrites, StoreError> {
    let mut writes = IndexWrites::default();
    if meta.global_indexes.is_empty() && meta.local_indexes.is_empty() {
        return Ok(writes);
    }
    let table_shape = meta.key_shape();
    for index in meta.indexes() {
        let before = old.and_then(|o| {
            index
                .entry_key(o, table_key)
                .map(|k| (k, index.project(&table_shape, o)))
        });
        let after = new.and_then(|n| {
            index
                .entry_key(n, table_key)
                .map(|k| (k, index.project(&table_shape, n)))
        });
        let mut units = 0.0;
        let mut count_delta = 0i64;
        let mut size_delta = 0i64;
        let size = |i: &Item| item::size::item_size(i) as i64;
        // Statistics follow what the store really held: an entry may be missing (an item written
        // before its GSI existed, not yet backfilled), so removals and inserts are counted by
        // what the store returns, not by what `old` implies.
        if let Some((key, projected)) = &before {
            let moved = after.as_ref().is_none_or(|(k, _)| k != key);
            if moved {
                if ctx.remove(&index.store_table, key)?.is_some() {
                    count_delta -= 1;
                    size_delta -= size(projected);
                }
                units += write_units(projected);
            }
        }
        if let Some((key, projected)) = &after {
            let unchanged = before
                .as_ref()
                .is_some_and(|(k, p)| k == key && p == projected);
            if !unchanged {
                let replaced =
                    ctx.insert(&index.store_table, key, &encode_entry(table_key, projected))?;
                match replaced {
                    None => count_delta += 1,
                    Some(prev) => size_delta -= decode_entry(&prev).map_or(0, |(_, p)| size(&p)),
                }
                size_delta += size(projected);
                units += write_units(projected);
            }
        }
        if count_delta != 0 || size_delta != 0 {
            stats::add_for(
                ctx,
                &stats_key(&meta.table_id, &index.name),
                count_delta,
                size_delta,
            )?;
        }
        if units > 0.0 {
            writes.units.push((index.name.clone(), index.global, units));
        }
    }
    Ok(writes)
}

fn write_units(item: &Item) -> f64 {
    item::size::item_size(item).div_ceil(1024).max(1) as f64
}

/// ItemCount and IndexSizeBytes of one index.
pub fn stats(read: &ReadCtx, meta: &TableMeta, index: &str) -> Result<TableStats, StoreError> {
    stats::get(read, &stats_key(&meta.table_id, index))
}

/// Drops an index's entries and statistics (index deleted, or its table).
pub fn drop_index(ctx: &mut WriteCtx<'_>, meta: &TableMeta, index: &str) -> Result<(), StoreError> {
    ctx.drop_table(&index_table(&meta.table_id, index))?;
    stats::remove(ctx, &stats_key(&meta.table_id, index))
}

/// Adds `item`'s entry to `index` if it has none: the backfill of a GSI created on a table with
/// data. Idempotent, so a backfill can restart from the beginning after a crash.
pub fn backfill_one(
    ctx: &mut WriteCtx<'_>,
    meta: &TableMeta,
    index: &IndexView,
    table_key: &[u8],
    item: &Item,
) -> Result<Option<usize>, StoreError> {
    let Some(key) = index.entry_key(item, table_key) else {
        return Ok(None);
    };
    if ctx.get(&index.store_table, &key)?.is_some() {
        return Ok(None);
    }
    let projected = index.project(&meta.key_shape(), item);
    ctx.insert(
        &index.store_table,
        &key,
        &encode_entry(table_key, &projected),
    )?;
    let size = item::size::item_size(&projected);
    stats::add_for(ctx, &stats_key(&meta.table_id, &index.name), 1, size as i64)?;
    Ok(Some(size))
}
