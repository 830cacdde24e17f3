//! What jobs and readers see: named tables of byte keys and values, and the change log, over
//! a [`View`] (the memtable in front of the database file). Keeping redb's and the memtable's
//! types behind this keeps the engine swappable.

use std::ops::Bound;
use std::sync::Arc;

use crate::data_keys::{self, ASSIGNMENTS, UNSEALED};
pub use crate::memtable::ScanControl;
use crate::memtable::View;
use crate::tables::CHANGELOG_NAME;
use crate::wal::OpLog;
use crate::StoreError;

/// A write job's view of its batch: every earlier write, durable or not, and its own.
pub struct WriteCtx<'a> {
    /// The writer's view, at the batch being run.
    pub(crate) view: &'a mut View,
    pub(crate) next_seq: &'a mut u64,
    /// What the batch's mutations take in the memtable, roughly (keys, values and
    /// [`ENTRY_OVERHEAD`] each): the generation's size counts it, and it is zero only for a
    /// batch that changed nothing.
    pub(crate) written: u64,
    /// Every mutation, for the write-ahead log (None for an in-memory store).
    pub(crate) log: Option<&'a mut OpLog>,
    /// What runs once the batch is durable ([`WriteCtx::after_durable`]).
    pub(crate) after_durable: &'a mut Vec<AfterDurable>,
    pub(crate) clock: &'a clock::Clock,
}

/// A memtable entry's cost beyond its key and value: the skip-list node and tower, the key's
/// and the value's allocations, the batch number.
pub(crate) const ENTRY_OVERHEAD: u64 = 96;

/// A change to memory kept beside the database, applied once the batch that made it is durable.
pub(crate) type AfterDurable = Box<dyn FnOnce() + Send>;

impl WriteCtx<'_> {
    /// Now on the installation's clock: the time a job stamps on what it writes.
    pub fn now_ms(&self) -> clock::Millis {
        self.clock.now_ms()
    }

    /// Runs `f` on the sync thread once this batch is durable, after the snapshot readers see
    /// is published and before any reply of the batch is released; never if the batch fails.
    /// Changes registered by the batches of one sync round run in commit order.
    pub fn after_durable(&mut self, f: impl FnOnce() + Send + 'static) {
        self.after_durable.push(Box::new(f));
    }

    pub fn get(&self, name: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.view.get(name, key)
    }

    /// Stores `value` under `key`, returning what was there.
    pub fn insert(
        &mut self,
        name: &str,
        key: &[u8],
        value: &[u8],
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let old = self.view.get(name, key)?;
        self.view.put(name, key, Some(value));
        self.written += (key.len() + value.len()) as u64 + ENTRY_OVERHEAD;
        if let Some(log) = self.log.as_deref_mut() {
            log.insert(name, key, value);
        }
        Ok(old)
    }

    pub fn remove(&mut self, name: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let old = self.view.get(name, key)?;
        if old.is_some() {
            self.view.put(name, key, None);
            self.written += key.len() as u64 + ENTRY_OVERHEAD;
            if let Some(log) = self.log.as_deref_mut() {
                log.remove(name, key);
            }
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
        self.view.scan(name, range, reverse, visit)
    }

    /// Drops a whole table (a DynamoDB table's items, an index); a missing one is fine.
    pub fn drop_table(&mut self, name: &str) -> Result<(), StoreError> {
        self.view.drop_table(name);
        self.written += name.len() as u64 + ENTRY_OVERHEAD;
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

    /// Removes change-log records with sequence numbers in `seqs`: what no reader needs any more
    /// (past the streams' retention). The newest record is always kept, so the sequence goes on
    /// after a restart; numbers at or past it are ignored, as are ones already gone.
    pub fn trim_changes(&mut self, seqs: std::ops::Range<u64>) -> Result<(), StoreError> {
        let end = seqs.end.min(self.next_seq.saturating_sub(1));
        let mut present = Vec::new();
        self.view.changes(seqs.start, |seq, _| {
            if seq >= end {
                return ScanControl::Stop;
            }
            present.push(seq);
            ScanControl::Continue
        })?;
        for seq in present {
            self.view.put(CHANGELOG_NAME, &seq.to_be_bytes(), None);
            self.written += 8 + ENTRY_OVERHEAD;
            if let Some(log) = self.log.as_deref_mut() {
                log.unchange(seq);
            }
        }
        Ok(())
    }

    /// Seals the values of every table whose name starts with `prefix` under data key `number`
    /// from now on (`None`: no longer sealed), as folds write them (`data_keys`). Values
    /// already in the database stay as they are until [`WriteCtx::reseal`] rewrites them.
    /// Prefixes must not nest.
    pub fn assign_data_key(&mut self, prefix: &str, number: Option<u64>) -> Result<(), StoreError> {
        match number {
            Some(n) => self.insert(ASSIGNMENTS, prefix.as_bytes(), &n.to_le_bytes())?,
            None => self.remove(ASSIGNMENTS, prefix.as_bytes())?,
        };
        Ok(())
    }

    /// The data key the values of table `name` are sealed under now.
    pub fn data_key_of(&self, name: &str) -> Result<Option<u64>, StoreError> {
        let mut last = None;
        self.view.scan(
            ASSIGNMENTS,
            (Bound::Unbounded, Bound::Included(name.as_bytes())),
            true,
            |k, v| {
                last = data_keys::assigned(Some((k, v)), name);
                ScanControl::Stop
            },
        )?;
        Ok(last)
    }

    /// Rewrites the values of table `name` that the database file holds sealed otherwise than
    /// under its data key now, looking at up to `limit` keys after `after`: the next fold
    /// seals them as it writes them. Returns the last key looked at; `None` once the table's
    /// end is reached.
    pub fn reseal(
        &mut self,
        name: &str,
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let wanted = self.data_key_of(name)?;
        let seals = self.view.base.seals(name, after, limit.max(1))?;
        for (key, seal) in &seals {
            if *seal == wanted {
                continue;
            }
            if let Some(value) = self.view.get(name, key)? {
                self.insert(name, key, &value)?;
            }
        }
        Ok(seals.last().map(|(k, _)| k.clone()))
    }

    /// [`WriteCtx::reseal`] for the change-log records of table `table`: looks at up to
    /// `limit` records of the database file from sequence number `from` on, and returns the
    /// number to go on from (`None` once the log's end is reached).
    pub fn reseal_changes(
        &mut self,
        table: &str,
        from: u64,
        limit: usize,
    ) -> Result<Option<u64>, StoreError> {
        let wanted = self.data_key_of(table)?;
        let (found, next) = self
            .view
            .base
            .changes_to_reseal(table, wanted, from, limit.max(1))?;
        for (seq, record) in found {
            if !self.view.in_memtable(CHANGELOG_NAME, &seq.to_be_bytes()) {
                self.put_change(seq, &data_keys::named_change(table, &record));
            }
        }
        Ok(next)
    }

    /// Table `name` was resealed (`reseal` walked it whole): it leaves the list of
    /// [`crate::Store::unsealed_tables`].
    pub fn resealed(&mut self, name: &str) -> Result<(), StoreError> {
        self.remove(UNSEALED, name.as_bytes())?;
        Ok(())
    }

    /// [`WriteCtx::append_change`] for a record of table `table`: the database keeps it sealed
    /// under that table's data key.
    pub fn append_change_of(&mut self, table: &str, record: &[u8]) -> Result<u64, StoreError> {
        self.append_change(&data_keys::named_change(table, record))
    }

    /// Appends one change-log record in this batch and returns its sequence number. Sequence
    /// numbers are dense and increasing in commit order.
    pub fn append_change(&mut self, record: &[u8]) -> Result<u64, StoreError> {
        let seq = *self.next_seq;
        self.put_change(seq, record);
        *self.next_seq += 1;
        Ok(seq)
    }

    /// Writes change-log record `seq` in this batch, for the memtable and the log.
    fn put_change(&mut self, seq: u64, record: &[u8]) {
        self.view
            .put(CHANGELOG_NAME, &seq.to_be_bytes(), Some(record));
        self.written += (8 + record.len()) as u64 + ENTRY_OVERHEAD;
        if let Some(log) = self.log.as_deref_mut() {
            log.change(seq, record);
        }
    }
}

/// A consistent snapshot.
pub struct ReadCtx {
    view: Arc<View>,
}

impl ReadCtx {
    pub(crate) fn new(view: Arc<View>) -> ReadCtx {
        ReadCtx { view }
    }

    pub fn get(&self, name: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.view.get(name, key)
    }

    pub fn scan(
        &self,
        name: &str,
        range: (Bound<&[u8]>, Bound<&[u8]>),
        reverse: bool,
        visit: impl FnMut(&[u8], &[u8]) -> ScanControl,
    ) -> Result<(), StoreError> {
        self.view.scan(name, range, reverse, visit)
    }

    /// The sequence number of the last change-log record in this snapshot, if any.
    pub fn last_change(&self) -> Result<Option<u64>, StoreError> {
        self.view.last_change()
    }

    /// The sequence number of the oldest change-log record still kept, if any: every record
    /// before it was trimmed (or never written).
    pub fn first_change(&self) -> Result<Option<u64>, StoreError> {
        let mut first = None;
        self.view.changes(0, |seq, _| {
            first = Some(seq);
            ScanControl::Stop
        })?;
        Ok(first)
    }

    /// Visits change-log records with sequence numbers from `from` on, in order.
    pub fn changes(
        &self,
        from: u64,
        visit: impl FnMut(u64, &[u8]) -> ScanControl,
    ) -> Result<(), StoreError> {
        self.view.changes(from, visit)
    }
}
