//! The on-disk format version. A database written by a later, incompatible build is refused
//! rather than misread; one with no version yet is stamped with ours.

use redb::{Database, ReadableDatabase, TableHandle};

use crate::tables::{decode_u64, META};
use crate::values;
use crate::StoreError;

/// Bump when the layout of stored keys or values changes incompatibly, and keep a fixture of
/// the old format with a test that it still opens (or is migrated).
///
/// 2: tagged values, long ones apart in `store.values` (see `values`). A database of format 1
/// (untagged values) is migrated when opened.
/// 3: values and change-log records sealed under data keys (`data_keys`), with tags and
/// forms format 2 does not know. A database of format 2 holds none: it is stamped 3.
pub const FORMAT_VERSION: u64 = 3;

pub(crate) fn check_or_initialise(db: &Database) -> Result<(), StoreError> {
    let read = db.begin_read()?;
    let found = match read.open_table(META) {
        Ok(t) => t.get("format_version")?.map(|v| decode_u64(v.value())),
        Err(redb::TableError::TableDoesNotExist(_)) => None,
        Err(e) => return Err(e.into()),
    };
    drop(read);
    match found {
        Some(Some(FORMAT_VERSION)) => Ok(()),
        Some(Some(1)) => migrate_from_1(db),
        Some(Some(2)) => stamp(db),
        Some(other) => Err(StoreError::Corrupt(format!(
            "database format version {other:?} is not {FORMAT_VERSION}, the one this build reads"
        ))),
        None => stamp(db),
    }
}

/// Records that the database is of this build's format.
fn stamp(db: &Database) -> Result<(), StoreError> {
    let tx = db.begin_write()?;
    {
        let mut t = tx.open_table(META)?;
        t.insert("format_version", FORMAT_VERSION.to_be_bytes().as_slice())?;
    }
    tx.commit()?;
    Ok(())
}

/// Tags the values of every table a format-1 database holds, in one durable transaction.
fn migrate_from_1(db: &Database) -> Result<(), StoreError> {
    let tx = db.begin_write()?;
    let names: Vec<String> = tx
        .list_tables()?
        .map(|t| t.name().to_owned())
        .filter(|n| values::tagged(n))
        .collect();
    for name in &names {
        values::tag_table(&tx, name)?;
    }
    {
        let mut t = tx.open_table(META)?;
        t.insert("format_version", FORMAT_VERSION.to_be_bytes().as_slice())?;
    }
    tx.commit()?;
    tracing::info!(
        tables = names.len(),
        "migrated the database to format {FORMAT_VERSION}"
    );
    Ok(())
}
