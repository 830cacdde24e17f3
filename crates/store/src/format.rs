//! The on-disk format version. A database written by a later, incompatible build is refused
//! rather than misread; one with no version yet is stamped with ours.

use redb::{Database, ReadableDatabase, TableDefinition};

use crate::StoreError;

/// Bump when the layout of stored keys or values changes incompatibly, and keep a fixture of
/// the old format with a test that it still opens (or is migrated).
pub const FORMAT_VERSION: u64 = 1;

pub(crate) const META: TableDefinition<&str, &[u8]> = TableDefinition::new("store.meta");

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
        Some(other) => Err(StoreError::Corrupt(format!(
            "database format version {other:?} is not {FORMAT_VERSION}, the one this build reads"
        ))),
        None => {
            let tx = db.begin_write()?;
            {
                let mut t = tx.open_table(META)?;
                t.insert("format_version", FORMAT_VERSION.to_be_bytes().as_slice())?;
            }
            tx.commit()?;
            Ok(())
        }
    }
}

pub(crate) fn decode_u64(bytes: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(bytes.try_into().ok()?))
}
