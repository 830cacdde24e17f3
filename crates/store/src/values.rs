//! Values out of the key trees. In redb, every table but the change log maps a key to a
//! *stored* value: a tag byte, then either the value itself (short values) or the number of a
//! row of [`VALUES`], one table of values keyed by a number that only grows.
//!
//! Why: a fold writes a generation of random keys at once. With 1 KB values in the key tree
//! that rewrites a 4 KiB leaf per item, and old-item lookups read leaves the cache cannot hold.
//! With 9-byte stored values the key trees stay in cache and a leaf holds ~100 keys, while the
//! values, numbered in fold order, fill the values table's last leaf after one another. An
//! overwrite, a removal or a dropped table frees its values in the same transaction, so no
//! separate collector is needed (docs/performance.md has the measurements).
//!
//! A value of a table with a data key assigned is sealed under it (`data_keys`); the tag says
//! so, and the sealed bytes are what stays inline or goes apart.

use std::sync::Arc;

use redb::{ReadOnlyTable, ReadableTable, Table, WriteTransaction};

use crate::data_keys::{self, Keyring, ValueSealer, ASSIGNMENTS, UNSEALED};
use crate::tables::table;
pub(crate) use crate::tables::{tagged, VALUES};
use crate::StoreError;

/// Values this long or longer go to [`VALUES`]; shorter ones stay inline, where a second
/// lookup would cost more than the leaf space they take.
const APART_FROM: usize = 256;

const INLINE: u8 = 0;
const APART: u8 = 1;
/// As [`INLINE`] and [`APART`], for a value sealed under a data key.
const SEALED_INLINE: u8 = 2;
const SEALED_APART: u8 = 3;

/// Where a tagged table keeps the value under a key.
enum Stored<'a> {
    Inline(&'a [u8]),
    Apart(u64),
}

/// Where the value is, and whether it is sealed.
fn decode(stored: &[u8]) -> Result<(Stored<'_>, bool), StoreError> {
    match stored.split_first() {
        Some((&(INLINE | SEALED_INLINE), value)) => {
            Ok((Stored::Inline(value), stored[0] == SEALED_INLINE))
        }
        Some((&(APART | SEALED_APART), n)) => n
            .try_into()
            .map(|n| {
                (
                    Stored::Apart(u64::from_le_bytes(n)),
                    stored[0] == SEALED_APART,
                )
            })
            .map_err(|_| corrupt()),
        _ => Err(corrupt()),
    }
}

fn corrupt() -> StoreError {
    StoreError::Corrupt("a stored value has an unknown tag".into())
}

/// The values table as a reader sees it (none before the first value apart), and the data
/// keys that open sealed values.
pub(crate) struct ReadValues {
    pub(crate) table: Option<ReadOnlyTable<u64, &'static [u8]>>,
    pub(crate) keys: Arc<Keyring>,
}

/// Visits the value a stored value stands for, looked up in `values` if it is apart and
/// opened if it is sealed.
pub(crate) fn with_value<R>(
    stored: &[u8],
    values: &ReadValues,
    f: impl FnOnce(&[u8]) -> R,
) -> Result<R, StoreError> {
    let (place, sealed) = decode(stored)?;
    let open = |v: &[u8]| -> Result<R, StoreError> {
        if sealed {
            Ok(f(&values.keys.open(v)?))
        } else {
            Ok(f(v))
        }
    };
    match place {
        Stored::Inline(v) => open(v),
        Stored::Apart(n) => {
            let found = match &values.table {
                Some(t) => t.get(n)?,
                None => None,
            };
            let v = found.ok_or_else(|| StoreError::Corrupt(format!("value {n} is missing")))?;
            open(v.value())
        }
    }
}

/// The number of the data key a stored value is sealed under (`None`: not sealed).
pub(crate) fn sealed_under(
    stored: &[u8],
    values: &Option<ReadOnlyTable<u64, &'static [u8]>>,
) -> Result<Option<u64>, StoreError> {
    match decode(stored)? {
        (_, false) => Ok(None),
        (Stored::Inline(v), true) => data_keys::key_of(v).map(Some),
        (Stored::Apart(n), true) => {
            let found = match values {
                Some(t) => t.get(n)?,
                None => None,
            };
            let v = found.ok_or_else(|| StoreError::Corrupt(format!("value {n} is missing")))?;
            data_keys::key_of(v.value()).map(Some)
        }
    }
}

/// Writes to one tagged table of a write transaction, keeping [`VALUES`] in step, sealing
/// values under the table's data key if it has one.
pub(crate) struct TableWriter<'t> {
    tx: &'t WriteTransaction,
    table: Table<'t, &'static [u8], &'static [u8]>,
    values: Table<'t, u64, &'static [u8]>,
    next: u64,
    seal: Seal,
}

/// What a table's values are written as.
pub(crate) enum Seal {
    Plain,
    Sealed(ValueSealer),
    /// A key is assigned but not in memory: written plain, the table listed in [`UNSEALED`]
    /// (once listed, `true`).
    Missing {
        table: String,
        listed: bool,
    },
}

impl Seal {
    /// How values of table `name` are written in `tx`, by its assignment (`data_keys`).
    pub(crate) fn of(
        tx: &WriteTransaction,
        name: &str,
        keys: &Keyring,
    ) -> Result<Seal, StoreError> {
        if !tagged(name) || name.starts_with("store.") {
            return Ok(Seal::Plain);
        }
        let t = tx.open_table(table(ASSIGNMENTS))?;
        let last = t
            .range::<&[u8]>(..=name.as_bytes())?
            .next_back()
            .transpose()?;
        let number = match &last {
            Some((prefix, stored)) => with_plain(stored.value(), |n| {
                data_keys::assigned(Some((prefix.value(), n)), name)
            })?,
            None => None,
        };
        Ok(match number {
            None => Seal::Plain,
            Some(n) => match keys.get(n) {
                Some(key) => Seal::Sealed(ValueSealer::new(n, key)?),
                None => Seal::Missing {
                    table: name.to_string(),
                    listed: false,
                },
            },
        })
    }

    /// `value` as it is written, and whether it is sealed.
    fn apply<'v>(
        &mut self,
        tx: &WriteTransaction,
        value: &'v [u8],
    ) -> Result<(std::borrow::Cow<'v, [u8]>, bool), StoreError> {
        match self {
            Seal::Plain => Ok((value.into(), false)),
            Seal::Sealed(sealer) => Ok((sealer.seal(value)?.into(), true)),
            Seal::Missing {
                table: name,
                listed,
            } => {
                if !*listed {
                    tx.open_table(table(UNSEALED))?
                        .insert(name.as_bytes(), [INLINE].as_slice())?;
                    *listed = true;
                }
                Ok((value.into(), false))
            }
        }
    }
}

/// The value of a stored value that is inline and not sealed (the store's own tables).
fn with_plain<R>(stored: &[u8], f: impl FnOnce(&[u8]) -> R) -> Result<R, StoreError> {
    match decode(stored)? {
        (Stored::Inline(v), false) => Ok(f(v)),
        _ => Err(corrupt()),
    }
}

impl<'t> TableWriter<'t> {
    pub(crate) fn open(
        tx: &'t WriteTransaction,
        name: &str,
        keys: &Keyring,
    ) -> Result<Self, StoreError> {
        let seal = Seal::of(tx, name, keys)?;
        let table = tx.open_table(table(name))?;
        let values = tx.open_table(VALUES)?;
        let next = values.last()?.map_or(1, |(n, _)| n.value() + 1);
        Ok(TableWriter {
            tx,
            table,
            values,
            next,
            seal,
        })
    }

    pub(crate) fn insert(&mut self, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        let (value, sealed) = self.seal.apply(self.tx, value)?;
        let (inline_tag, apart_tag) = if sealed {
            (SEALED_INLINE, SEALED_APART)
        } else {
            (INLINE, APART)
        };
        let stored = if value.len() >= APART_FROM {
            let n = self.next;
            self.next += 1;
            self.values.insert(n, &*value)?;
            [&[apart_tag][..], &n.to_le_bytes()].concat()
        } else {
            [&[inline_tag][..], &value].concat()
        };
        let old = self.table.insert(key, stored.as_slice())?;
        let freed = old.map(|o| apart(o.value())).transpose()?.flatten();
        self.free(freed)
    }

    pub(crate) fn remove(&mut self, key: &[u8]) -> Result<(), StoreError> {
        let old = self.table.remove(key)?;
        let freed = old.map(|o| apart(o.value())).transpose()?.flatten();
        self.free(freed)
    }

    fn free(&mut self, n: Option<u64>) -> Result<(), StoreError> {
        if let Some(n) = n {
            self.values.remove(n)?;
        }
        Ok(())
    }
}

fn apart(stored: &[u8]) -> Result<Option<u64>, StoreError> {
    Ok(match decode(stored)?.0 {
        Stored::Apart(n) => Some(n),
        Stored::Inline(_) => None,
    })
}

/// Deletes tagged table `name` and frees its values; a missing table is fine.
pub(crate) fn drop_table(tx: &WriteTransaction, name: &str) -> Result<(), StoreError> {
    let mut freed = Vec::new();
    for entry in tx.open_table(table(name))?.iter()? {
        if let Some(n) = apart(entry?.1.value())? {
            freed.push(n);
        }
    }
    if !freed.is_empty() {
        let mut values = tx.open_table(VALUES)?;
        for n in freed {
            values.remove(n)?;
        }
    }
    tx.delete_table(table(name))?;
    Ok(())
}

/// Rewrites a format-1 table, whose values are untagged, into tagged values, in key order a
/// slice at a time.
pub(crate) fn tag_table(tx: &WriteTransaction, name: &str) -> Result<(), StoreError> {
    const SLICE: usize = 4096;
    let mut after: Option<Vec<u8>> = None;
    loop {
        let slice: Vec<(Vec<u8>, Vec<u8>)> = {
            let t = tx.open_table(table(name))?;
            let range = match &after {
                Some(k) => t.range::<&[u8]>((
                    std::ops::Bound::Excluded(k.as_slice()),
                    std::ops::Bound::Unbounded,
                ))?,
                None => t.range::<&[u8]>(..)?,
            };
            let mut out = Vec::with_capacity(SLICE);
            for entry in range.take(SLICE) {
                let (k, v) = entry?;
                out.push((k.value().to_vec(), v.value().to_vec()));
            }
            out
        };
        let Some((last, _)) = slice.last() else {
            return Ok(());
        };
        after = Some(last.clone());
        let mut w = TableWriter::open(tx, name, &Keyring::default())?;
        for (k, v) in &slice {
            // An untagged old value: `insert` must not read it as a tag, so remove it first.
            w.table.remove(k.as_slice())?;
            w.insert(k, v)?;
        }
    }
}
