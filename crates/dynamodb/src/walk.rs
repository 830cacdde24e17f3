//! Walking a table's keys in chunks, for the background jobs that visit every item of a table
//! (GSI backfill, TTL index build): each chunk is read from a snapshot and then handled in one
//! write job, so no job holds the writer for long.

use std::ops::Bound;

use store::{ScanControl, Store, StoreError};

/// Up to `chunk` keys of `table` after `after` (from the start without one), in key order.
pub fn next_keys(
    store: &Store,
    table: &str,
    after: Option<&[u8]>,
    chunk: usize,
) -> Result<Vec<Vec<u8>>, StoreError> {
    let chunk = chunk.max(1);
    let mut keys: Vec<Vec<u8>> = Vec::with_capacity(chunk.min(1024));
    let from = after.map_or(Bound::Unbounded, Bound::Excluded);
    store
        .read()?
        .scan(table, (from, Bound::Unbounded), false, |k, _| {
            keys.push(k.to_vec());
            if keys.len() >= chunk {
                ScanControl::Stop
            } else {
                ScanControl::Continue
            }
        })?;
    Ok(keys)
}

/// Where a walk stands: the table (by id, so a table recreated under the same name starts
/// over), what the walk is for, and the last key handled.
#[derive(Clone, Debug, Default)]
pub struct Cursor {
    at: Option<(String, String, Vec<u8>)>,
}

impl Cursor {
    /// The last key handled of this walk, if it is the one under way.
    pub fn after(&self, table_id: &str, purpose: &str) -> Option<&[u8]> {
        match &self.at {
            Some((t, p, k)) if t == table_id && p == purpose => Some(k),
            _ => None,
        }
    }

    pub fn set(&mut self, table_id: &str, purpose: &str, last: Vec<u8>) {
        self.at = Some((table_id.to_string(), purpose.to_string(), last));
    }

    pub fn clear(&mut self) {
        self.at = None;
    }
}
