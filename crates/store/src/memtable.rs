//! The memtable: the writes the database file does not hold yet, in memory, in front of redb.
//!
//! Write jobs never touch redb. They apply to the *active* generation: one concurrent skip list
//! per table, where every entry carries the number of the batch that wrote it. A snapshot
//! ([`View`]) is that generation's table set as of a batch, a batch number, and a redb read
//! transaction (the *base*); a reader sees an entry only if its batch is not newer than its
//! view's, so the writer can go on inserting into the lists readers are reading. When the
//! generation is large or old enough it is *frozen* and a new one starts; the fold thread
//! (`fold`) writes the frozen generation into redb in one durable transaction, after which
//! views take the new base and forget the frozen generation.
//!
//! Why not redb alone: a redb commit per batch copies a 4 KiB leaf and its branch pages for
//! every random 1 KB insert and checksums them again at every commit, on the one thread every
//! write waits for. Folding a whole generation in key order, in one transaction, does that work
//! once per page, off that thread.
//!
//! Reads look at the active generation, then the frozen one, then the base; the first that
//! holds the key answers (a removal answers "absent"). A table dropped in a generation starts a
//! fresh list there that hides everything older.

use std::cmp::Reverse;
use std::collections::HashMap;
use std::ops::Bound;
use std::sync::{Arc, Mutex};

use crossbeam_skiplist::SkipMap;
use redb::{ReadOnlyTable, ReadTransaction, ReadableTable, TableDefinition};

use crate::data_keys::{change_record, to_reseal, Keyring};
use crate::tables::{table, CHANGELOG, CHANGELOG_NAME};
use crate::values::{sealed_under, with_value, ReadValues, VALUES};
use crate::StoreError;

/// Whether a scan visitor wants more.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScanControl {
    Continue,
    Stop,
}

/// An entry's key: the table key, then the batch that wrote it, newest first.
type EntryKey = (Box<[u8]>, Reverse<u64>);

/// What a batch left under a key: the value, or `None` where it removed the key.
type Value = Option<Arc<[u8]>>;

/// One table's entries in one generation.
pub(crate) struct Layer {
    entries: SkipMap<EntryKey, Value>,
    /// The table was dropped in this generation: nothing older than this layer counts.
    hides_older: bool,
}

impl Layer {
    fn new(hides_older: bool) -> Arc<Layer> {
        Arc::new(Layer {
            entries: SkipMap::new(),
            hides_older,
        })
    }

    /// The newest entry for `key` written by batch `version` or before.
    fn lookup(&self, key: &[u8], version: u64) -> Option<Value> {
        let from: EntryKey = (key.into(), Reverse(version));
        let e = self.entries.lower_bound(Bound::Included(&from))?;
        (*e.key().0 == *key).then(|| e.value().clone())
    }

    /// The newest entry of each key in `range` visible at `version`, in key order (descending
    /// when `reverse`); removals included, as `None`.
    fn visible<'a>(
        &'a self,
        range: (Bound<&[u8]>, Bound<&[u8]>),
        version: u64,
        reverse: bool,
    ) -> Source<'a> {
        // A key's entries run from (key, Reverse(MAX)), its newest, to (key, Reverse(0)).
        let lower = match range.0 {
            Bound::Included(k) => Bound::Included((k.into(), Reverse(u64::MAX))),
            Bound::Excluded(k) => Bound::Excluded((k.into(), Reverse(0))),
            Bound::Unbounded => Bound::Unbounded,
        };
        let upper = match range.1 {
            Bound::Included(k) => Bound::Included((k.into(), Reverse(0))),
            Bound::Excluded(k) => Bound::Excluded((k.into(), Reverse(u64::MAX))),
            Bound::Unbounded => Bound::Unbounded,
        };
        let bounds: (Bound<EntryKey>, Bound<EntryKey>) = (lower, upper);
        let entries = self.entries.range::<EntryKey, _>(bounds);
        if reverse {
            // Backwards a key's entries come oldest first: the last visible one is the answer.
            let mut entries = entries.rev();
            let mut pending: Option<Owned> = None;
            Box::new(std::iter::from_fn(move || loop {
                let Some(e) = entries.next() else {
                    return pending.take().map(Ok);
                };
                let (key, Reverse(v)) = e.key();
                if *v > version {
                    continue;
                }
                match &mut pending {
                    Some((k, value)) if **k == **key => *value = e.value().clone(),
                    _ => {
                        let out = pending.replace((key.clone(), e.value().clone()));
                        if out.is_some() {
                            return out.map(Ok);
                        }
                    }
                }
            }))
        } else {
            let mut entries = entries;
            let mut last: Option<Box<[u8]>> = None;
            Box::new(std::iter::from_fn(move || loop {
                let e = entries.next()?;
                let (key, Reverse(v)) = e.key();
                if *v > version || last.as_deref() == Some(&**key) {
                    continue;
                }
                last = Some(key.clone());
                return Some(Ok((key.clone(), e.value().clone())));
            }))
        }
    }
}

/// A key and what a source holds for it, owned so that sources of different kinds merge.
pub(crate) type Owned = (Box<[u8]>, Value);

/// One ordered source of a merged scan: a layer, or the base.
pub(crate) type Source<'a> = Box<dyn Iterator<Item = Result<Owned, StoreError>> + 'a>;

/// A generation's tables as of some batch. Cloning shares the lists; changing the set of tables
/// (a new table, a drop) copies the map only while a published view still holds it.
#[derive(Clone, Default)]
pub(crate) struct Tables(Arc<HashMap<String, Arc<Layer>>>);

impl Tables {
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether anything but this handle still holds the tables or one of their lists.
    pub(crate) fn is_shared(&self) -> bool {
        Arc::strong_count(&self.0) > 1 || self.0.values().any(|l| Arc::strong_count(l) > 1)
    }

    fn get(&self, name: &str) -> Option<&Layer> {
        self.0.get(name).map(|l| &**l)
    }

    fn layer(&mut self, name: &str) -> Arc<Layer> {
        if let Some(l) = self.0.get(name) {
            return l.clone();
        }
        let layer = Layer::new(false);
        Arc::make_mut(&mut self.0).insert(name.to_owned(), layer.clone());
        layer
    }

    /// Every table of the generation: its name, whether it was dropped in the generation, and
    /// the newest entry of each of its keys in key order (removals as `None`).
    pub(crate) fn newest(&self) -> impl Iterator<Item = (&str, bool, Source<'_>)> {
        self.0.iter().map(|(name, layer)| {
            let all = (Bound::Unbounded, Bound::Unbounded);
            (
                name.as_str(),
                layer.hides_older,
                layer.visible(all, u64::MAX, false),
            )
        })
    }
}

pub(crate) fn change_seq(key: &[u8]) -> Result<u64, StoreError> {
    key.try_into()
        .map(u64::from_be_bytes)
        .map_err(|_| StoreError::Corrupt("a change-log key is not 8 bytes".into()))
}

/// The database file's state under a view: a read transaction, with each table opened once
/// rather than at every read (opening one looks it up in redb's table of tables and checks
/// its definition: a tenth of a GetItem's cost).
pub(crate) struct Base {
    tx: ReadTransaction,
    values: ReadValues,
    /// Tables opened so far; `None` for one that does not exist in this snapshot, which
    /// stays true for the transaction's life.
    opened: Mutex<HashMap<String, Option<Arc<FileTable>>>>,
}

type FileTable = ReadOnlyTable<&'static [u8], &'static [u8]>;

/// A key, and the data key its value is sealed under.
pub(crate) type KeySeal = (Vec<u8>, Option<u64>);

/// Change-log records to reseal (sequence number, record), and where to go on from.
pub(crate) type ChangesToReseal = (Vec<(u64, Vec<u8>)>, Option<u64>);

impl Base {
    pub(crate) fn new(tx: ReadTransaction, keys: Arc<Keyring>) -> Result<Base, StoreError> {
        let values = ReadValues {
            table: open_if_exists(&tx, VALUES)?,
            keys,
        };
        Ok(Base {
            tx,
            values,
            opened: Mutex::new(HashMap::new()),
        })
    }

    /// The data keys values are opened with.
    pub(crate) fn keys(&self) -> Arc<Keyring> {
        self.values.keys.clone()
    }

    /// Change-log records of `table` from sequence number `from` on, among the next `limit`
    /// the database file holds, that are not sealed under data key `wanted` (opened), and the
    /// number to go on from (`None` at the end).
    pub(crate) fn changes_to_reseal(
        &self,
        table: &str,
        wanted: Option<u64>,
        from: u64,
        limit: usize,
    ) -> Result<ChangesToReseal, StoreError> {
        let Some(t) = open_if_exists(&self.tx, CHANGELOG)? else {
            return Ok((Vec::new(), None));
        };
        let (mut out, mut next) = (Vec::new(), None);
        for entry in t.range(from..)?.take(limit) {
            let (seq, v) = entry?;
            next = Some(seq.value() + 1);
            if let Some(record) = to_reseal(v.value(), table, wanted, &self.values.keys)? {
                out.push((seq.value(), record));
            }
        }
        Ok((out, next))
    }

    /// Up to `limit` keys of table `name` after `after` (from its start without one), in the
    /// database file only, with the data key each value is sealed under.
    pub(crate) fn seals(
        &self,
        name: &str,
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<KeySeal>, StoreError> {
        let Some(t) = self.table(name)? else {
            return Ok(Vec::new());
        };
        let from = after.map_or(Bound::Unbounded, Bound::Excluded);
        let mut out = Vec::new();
        for entry in t.range::<&[u8]>((from, Bound::Unbounded))?.take(limit) {
            let (k, v) = entry?;
            out.push((
                k.value().to_vec(),
                sealed_under(v.value(), &self.values.table)?,
            ));
        }
        Ok(out)
    }

    /// Table `name` in this snapshot, if it exists.
    fn table(&self, name: &str) -> Result<Option<Arc<FileTable>>, StoreError> {
        let mut opened = self
            .opened
            .lock()
            .map_err(|_| StoreError::io("the opened tables' lock is poisoned"))?;
        if let Some(t) = opened.get(name) {
            return Ok(t.clone());
        }
        let t = open_if_exists(&self.tx, table(name))?.map(Arc::new);
        opened.insert(name.to_string(), t.clone());
        Ok(t)
    }
}

/// Table `def` in the snapshot `tx`, or `None` if it does not exist there.
fn open_if_exists<K: redb::Key + 'static, V: redb::Value + 'static>(
    tx: &ReadTransaction,
    def: TableDefinition<'_, K, V>,
) -> Result<Option<ReadOnlyTable<K, V>>, StoreError> {
    match tx.open_table(def) {
        Ok(t) => Ok(Some(t)),
        Err(redb::TableError::TableDoesNotExist(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// A consistent state: the active generation's tables as of batch `version`, the frozen
/// generation while the fold thread writes it, and the database file's state under both.
#[derive(Clone)]
pub(crate) struct View {
    pub(crate) active: Tables,
    pub(crate) frozen: Option<Tables>,
    pub(crate) base: Arc<Base>,
    /// The newest batch this view sees. The writer's own view is at the batch it runs.
    pub(crate) version: u64,
}

impl View {
    pub(crate) fn new(base: Base) -> View {
        View {
            active: Tables::default(),
            frozen: None,
            base: Arc::new(base),
            version: 0,
        }
    }

    /// The layers holding `name`, newest first, and whether the base counts under them.
    fn layers(&self, name: &str) -> ([Option<&Layer>; 2], bool) {
        let mut out = [None, None];
        for (slot, tables) in [Some(&self.active), self.frozen.as_ref()]
            .into_iter()
            .enumerate()
        {
            if let Some(layer) = tables.and_then(|t| t.get(name)) {
                out[slot] = Some(layer);
                if layer.hides_older {
                    return (out, false);
                }
            }
        }
        (out, true)
    }

    pub(crate) fn get(&self, name: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let (layers, base) = self.layers(name);
        for layer in layers.into_iter().flatten() {
            if let Some(value) = layer.lookup(key, self.version) {
                return Ok(value.map(|v| v.to_vec()));
            }
        }
        if !base {
            return Ok(None);
        }
        let Some(t) = self.base.table(name)? else {
            return Ok(None);
        };
        let Some(stored) = t.get(key)? else {
            return Ok(None);
        };
        with_value(stored.value(), &self.base.values, <[u8]>::to_vec).map(Some)
    }

    pub(crate) fn scan(
        &self,
        name: &str,
        range: (Bound<&[u8]>, Bound<&[u8]>),
        reverse: bool,
        mut visit: impl FnMut(&[u8], &[u8]) -> ScanControl,
    ) -> Result<(), StoreError> {
        let (layers, base) = self.layers(name);
        let t = if base { self.base.table(name)? } else { None };
        let mut layers: Vec<_> = layers
            .into_iter()
            .flatten()
            .map(|l| l.visible(range, self.version, reverse).peekable())
            .collect();
        let values = &self.base.values;
        if let Some(t) = &t {
            if layers.iter_mut().all(|l| l.peek().is_none()) {
                // Nothing newer than the file in the range: read it in place.
                return scan_table(&**t, values, range, reverse, visit);
            }
        }
        let mut sources: Vec<Source<'_>> = layers
            .into_iter()
            .map(|l| Box::new(l) as Source<'_>)
            .collect();
        let Some(t) = t else {
            return merge(sources, reverse, |k, v| visit(k, v));
        };
        let iter = t.range::<&[u8]>(range)?;
        let owned = move |entry: Entry<'_>| -> Result<Owned, StoreError> {
            let (k, v) = entry?;
            let value: Arc<[u8]> = with_value(v.value(), values, |b| Arc::from(b))?;
            Ok((Box::from(k.value()), Some(value)))
        };
        if reverse {
            sources.push(Box::new(iter.rev().map(owned)));
        } else {
            sources.push(Box::new(iter.map(owned)));
        }
        merge(sources, reverse, |k, v| visit(k, v))
    }

    /// The sequence number of the last change-log record in this view, if any. A record the
    /// retention removed (a deletion marker in the memtable) does not count.
    pub(crate) fn last_change(&self) -> Result<Option<u64>, StoreError> {
        let range = (Bound::Unbounded, Bound::Unbounded);
        let (layers, _) = self.layers(CHANGELOG_NAME);
        let mut sources: Vec<Source<'_>> = layers
            .into_iter()
            .flatten()
            .map(|l| l.visible(range, self.version, true))
            .collect();
        let t = open_if_exists(&self.base.tx, CHANGELOG)?;
        if let Some(t) = &t {
            let iter = t.range(0..)?.rev().map(|e| {
                let (k, v) = e?;
                Ok((
                    Box::from(k.value().to_be_bytes()),
                    Some(Arc::from(v.value())),
                ))
            });
            sources.push(Box::new(iter));
        }
        let mut last = None;
        merge(sources, true, |k, _| {
            last = Some(change_seq(k));
            ScanControl::Stop
        })?;
        last.transpose()
    }

    /// Visits change-log records with sequence numbers from `from` on, in order.
    pub(crate) fn changes(
        &self,
        from: u64,
        mut visit: impl FnMut(u64, &[u8]) -> ScanControl,
    ) -> Result<(), StoreError> {
        let start = from.to_be_bytes();
        let range = (Bound::Included(&start[..]), Bound::Unbounded);
        let (layers, _) = self.layers(CHANGELOG_NAME);
        let mut sources: Vec<Source<'_>> = layers
            .into_iter()
            .flatten()
            .map(|l| l.visible(range, self.version, false))
            .collect();
        let t = open_if_exists(&self.base.tx, CHANGELOG)?;
        if let Some(t) = &t {
            let iter = t.range(from..)?.map(|e| {
                let (k, v) = e?;
                Ok((
                    Box::from(k.value().to_be_bytes()),
                    Some(Arc::from(v.value())),
                ))
            });
            sources.push(Box::new(iter));
        }
        let mut failed = None;
        let keys = &self.base.values.keys;
        merge(sources, false, |k, v| {
            match change_seq(k).and_then(|seq| Ok((seq, change_record(v, keys)?))) {
                Ok((seq, record)) => visit(seq, &record),
                Err(e) => {
                    failed = Some(e);
                    ScanControl::Stop
                }
            }
        })?;
        failed.map_or(Ok(()), Err)
    }

    /// Whether the memtable holds `key` of table `name` (a value or a removal): then the
    /// database file's entry no longer counts.
    pub(crate) fn in_memtable(&self, name: &str, key: &[u8]) -> bool {
        let (layers, _) = self.layers(name);
        layers
            .into_iter()
            .flatten()
            .any(|l| l.lookup(key, self.version).is_some())
    }

    /// Writes `value` under `key` (`None`: removes it) in the batch this view is at.
    pub(crate) fn put(&mut self, name: &str, key: &[u8], value: Option<&[u8]>) {
        let layer = self.active.layer(name);
        layer
            .entries
            .insert((key.into(), Reverse(self.version)), value.map(Arc::from));
    }

    /// Drops the table: from this batch on, nothing older counts.
    pub(crate) fn drop_table(&mut self, name: &str) {
        Arc::make_mut(&mut self.active.0).insert(name.to_owned(), Layer::new(true));
    }
}

/// Visits the live entries of `sources` (each in key order, the first the newest) in key order:
/// where several hold a key the first of them answers, and a removal hides the key.
fn merge(
    mut sources: Vec<Source<'_>>,
    reverse: bool,
    mut visit: impl FnMut(&[u8], &[u8]) -> ScanControl,
) -> Result<(), StoreError> {
    let mut heads = Vec::with_capacity(sources.len());
    for s in &mut sources {
        heads.push(s.next().transpose()?);
    }
    loop {
        let mut best: Option<(usize, &[u8])> = None;
        for (i, head) in heads.iter().enumerate() {
            let Some((key, _)) = head else {
                continue;
            };
            let first = match best {
                None => true,
                Some((_, b)) if reverse => **key > *b,
                Some((_, b)) => **key < *b,
            };
            if first {
                best = Some((i, key));
            }
        }
        let Some(b) = best.map(|(i, _)| i) else {
            return Ok(());
        };
        let Some((key, value)) = heads[b].take() else {
            return Ok(());
        };
        for (i, head) in heads.iter_mut().enumerate() {
            let same = head.as_ref().is_some_and(|(k, _)| *k == key);
            if i == b || same {
                *head = sources[i].next().transpose()?;
            }
        }
        if let Some(v) = value {
            if visit(&key, &v) == ScanControl::Stop {
                return Ok(());
            }
        }
    }
}

type Entry<'a> = Result<
    (
        redb::AccessGuard<'a, &'static [u8]>,
        redb::AccessGuard<'a, &'static [u8]>,
    ),
    redb::StorageError,
>;

/// Visits a base table's entries in `range` where they are, inline values without a copy.
fn scan_table(
    t: &impl ReadableTable<&'static [u8], &'static [u8]>,
    values: &ReadValues,
    range: (Bound<&[u8]>, Bound<&[u8]>),
    reverse: bool,
    mut visit: impl FnMut(&[u8], &[u8]) -> ScanControl,
) -> Result<(), StoreError> {
    let iter = t.range::<&[u8]>(range)?;
    let mut step = |entry: Entry<'_>| -> Result<ScanControl, StoreError> {
        let (k, v) = entry?;
        with_value(v.value(), values, |value| visit(k.value(), value))
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
