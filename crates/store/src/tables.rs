//! The store's own tables and the rules every module applies to table names, in one place:
//! the modules that read and write them (memtable, values, the log, the fold, the format)
//! depend on this one instead of on each other.

use redb::{TableDefinition, TableHandle};

/// Format version and the log checkpoint.
pub(crate) const META: TableDefinition<&str, &[u8]> = TableDefinition::new("store.meta");

/// The change log: `u64`-keyed in redb; in the memtable, [`CHANGELOG_NAME`] with the sequence
/// numbers big-endian as keys.
pub(crate) const CHANGELOG: TableDefinition<u64, &[u8]> = TableDefinition::new("store.changelog");
pub(crate) const CHANGELOG_NAME: &str = "store.changelog";

/// Values of 256 bytes or more, numbered, apart from their keys (`values`).
pub(crate) const VALUES: TableDefinition<u64, &[u8]> = TableDefinition::new("store.values");

/// The installation clock's offset (`Store::save_clock`).
pub(crate) const CLOCK: &str = "store.clock";

/// A table of byte keys and values, as jobs name them.
pub(crate) fn table(name: &str) -> TableDefinition<'_, &'static [u8], &'static [u8]> {
    TableDefinition::new(name)
}

/// Whether table `name` stores values with a tag: every table jobs write but the change log,
/// and none of the store's own (`store.meta`, [`VALUES`]).
pub(crate) fn tagged(name: &str) -> bool {
    name != CHANGELOG_NAME && name != META.name() && name != VALUES.name()
}

/// A big-endian `u64` (sequence numbers, the format version, the checkpoint).
pub(crate) fn decode_u64(bytes: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(bytes.try_into().ok()?))
}
