//! The records of exports and imports: one JSON document per id in a store table, listed in
//! id order (ids begin with their creation time).

use std::ops::Bound;

use serde::{de::DeserializeOwned, Serialize};
use store::{ReadCtx, ScanControl, StoreError, WriteCtx};

pub fn put<T: Serialize>(
    ctx: &mut WriteCtx<'_>,
    table: &str,
    id: &str,
    record: &T,
) -> Result<(), StoreError> {
    let bytes = serde_json::to_vec(record).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    ctx.insert(table, id.as_bytes(), &bytes)?;
    Ok(())
}

/// Every record of `table`, oldest first.
pub fn all<T: DeserializeOwned>(read: &ReadCtx, table: &str) -> Result<Vec<T>, StoreError> {
    let mut out = Vec::new();
    let mut bad = None;
    read.scan(
        table,
        (Bound::Unbounded, Bound::Unbounded),
        false,
        |_, v| {
            match serde_json::from_slice(v) {
                Ok(r) => out.push(r),
                Err(e) => {
                    bad = Some(StoreError::Corrupt(format!("{table} record: {e}")));
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
