//! What jobs and readers see of a transaction: named tables of byte keys and values, and the
//! change log. Keeping redb's types behind this keeps the engine swappable.

use std::ops::Bound;
use std::sync::Arc;

use redb::{ReadTransaction, ReadableTable, TableDefinition, WriteTransaction};

use crate::wal::OpLog;
use crate::StoreError;

pub(crate) const CHANGELOG: TableDefinition<u64, &[u8]> = TableDefinition::new("store.changelog");

fn table(name: &str) -> TableDefinition<'_, &'static [u8], &'static [u8]> {
    TableDefinition::new(name)
}

/// Whether a scan visitor wants more.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScanControl {
    Continue,
    Stop,
}

/// A write job's view of the batch transaction.
pub struct WriteCtx<'a> {
    pub(crate) tx: &'a WriteTransaction,
    pub(crate) next_seq: &'a mut u64,
    pub(crate) appended: u64,
    /// Every mutation, for the write-ahead log (None for an in-memory store).
    pub(crate) log: Option<&'a mut OpLog>,
    /// What runs once the batch is durable ([`WriteCtx::after_durable`]).
    pub(crate) after_durable: &'a mut Vec<AfterDurable>,
}

/// A change to memory kept beside the database, applied once the batch that made it is durable.
pub(crate) type AfterDurable = Box<dyn FnOnce() + Send>;

impl WriteCtx<'_> {
    /// Runs `f` on the sync thread once this batch is durable, after the snapshot readers see
    /// is published and before any reply of the batch is released; never if the batch fails.
    /// Changes registered by the batches of one sync round run in commit order.
    pub fn after_durable(&mut self, f: impl FnOnce() + Send + 'static) {
        self.after_durable.push(Box::new(f));
    }

    pub fn get(&self, name: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let t = self.tx.open_table(table(name))?;
        let found = t.get(key)?.map(|v| v.value().to_vec());
        Ok(found)
    }

    /// Stores `value` under `key`, returning what was there.
    pub fn insert(
        &mut self,
        name: &str,
        key: &[u8],
        value: &[u8],
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let mut t = self.tx.open_table(table(name))?;
        let old = t.insert(key, value)?.map(|v| v.value().to_vec());
        if let Some(log) = self.log.as_deref_mut() {
            log.insert(name, key, value);
        }
        Ok(old)
    }

    pub fn remove(&mut self, name: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let mut t = self.tx.open_table(table(name))?;
        let old = t.remove(key)?.map(|v| v.value().to_vec());
        if let (Some(log), Some(_)) = (self.log.as_deref_mut(), &old) {
            log.remove(name, key);
        }
        Ok(old)
    }

    pub fn scan(
        &self,
        name: &str,
        range: (Bound<&[u8]>, Bound<&[u8]>),
        reverse: bool,
        visit: impl FnMut(&[u8], &[u8]) -> ScanControl,
    ) -> Result<(), StoreError> {
        let t = self.tx.open_table(table(name))?;
        scan_table(&t, range, reverse, visit)
    }

    /// Drops a whole table (a DynamoDB table's items, an index); a missing one is fine.
    pub fn drop_table(&mut self, name: &str) -> Result<(), StoreError> {
        self.tx.delete_table(table(name))?;
        if let Some(log) = self.log.as_deref_mut() {
            log.drop_table(name);
        }
        Ok(())
    }

    /// The sequence number the next appended change-log record will get: every record below it
    /// is committed or in this batch, every later one comes after this job.
    pub fn next_sequence(&self) -> u64 {
        *self.next_seq
    }

    /// Appends one change-log record in this transaction and returns its sequence number.
    /// Sequence numbers are dense and increasing in commit order.
    pub fn append_change(&mut self, record: &[u8]) -> Result<u64, StoreError> {
        let seq = *self.next_seq;
        let mut t = self.tx.open_table(CHANGELOG)?;
        t.insert(seq, record)?;
        if let Some(log) = self.log.as_deref_mut() {
            log.change(seq, record);
        }
        *self.next_seq += 1;
        self.appended += 1;
        Ok(seq)
    }
}

/// A consistent snapshot.
pub struct ReadCtx {
    tx: Arc<ReadTransaction>,
}

impl ReadCtx {
    pub(crate) fn new(tx: Arc<ReadTransaction>) -> ReadCtx {
        ReadCtx { tx }
    }

    pub fn get(&self, name: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let t = match self.tx.open_table(table(name)) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let found = t.get(key)?.map(|v| v.value().to_vec());
        Ok(found)
    }

    pub fn scan(
        &self,
        name: &str,
        range: (Bound<&[u8]>, Bound<&[u8]>),
        reverse: bool,
        visit: impl FnMut(&[u8], &[u8]) -> ScanControl,
    ) -> Result<(), StoreError> {
        let t = match self.tx.open_table(table(name)) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        scan_table(&t, range, reverse, visit)
    }

    /// The sequence number of the last change-log record in this snapshot, if any.
    pub fn last_change(&self) -> Result<Option<u64>, StoreError> {
        let t = match self.tx.open_table(CHANGELOG) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let last = t.last()?.map(|(k, _)| k.value());
        Ok(last)
    }

    /// Visits change-log records with sequence numbers from `from` on, in order.
    pub fn changes(
        &self,
        from: u64,
        mut visit: impl FnMut(u64, &[u8]) -> ScanControl,
    ) -> Result<(), StoreError> {
        let t = match self.tx.open_table(CHANGELOG) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        for entry in t.range(from..)? {
            let (k, v) = entry?;
            if visit(k.value(), v.value()) == ScanControl::Stop {
                break;
            }
        }
        Ok(())
    }
}

type Entry<'a> = Result<
    (
        redb::AccessGuard<'a, &'static [u8]>,
        redb::AccessGuard<'a, &'static [u8]>,
    ),
    redb::StorageError,
>;

fn scan_table(
    t: &impl ReadableTable<&'static [u8], &'static [u8]>,
    range: (Bound<&[u8]>, Bound<&[u8]>),
    reverse: bool,
    mut visit: impl FnMut(&[u8], &[u8]) -> ScanControl,
) -> Result<(), StoreError> {
    let iter = t.range::<&[u8]>(range)?;
    let mut step = |entry: Entry<'_>| -> Result<ScanControl, StoreError> {
        let (k, v) = entry?;
        Ok(visit(k.value(), v.value()))
    };
    if reverse {
        for entry in iter.rev() {
            if step(entry)? == ScanControl::Stop {
                break;
            }
        }
    } else {
        for entry in iter {
            if step(entry)? == ScanControl::Stop {
                break;
            }
        }
    }
    Ok(())
}

/// The next change-log sequence number: one past the last committed record.
pub(crate) fn next_sequence(tx: &WriteTransaction) -> Result<u64, StoreError> {
    let t = tx.open_table(CHANGELOG)?;
    let last = t.last()?.map(|(k, _)| k.value());
    Ok(last.map_or(1, |s| s + 1))
}
