//! Storage failures. They never reach a client as such: services map them to an internal error.

use std::fmt;

#[derive(Clone, Debug)]
pub enum StoreError {
    /// The engine or the file system failed.
    Io(String),
    /// A previous commit failed; the store takes no more writes until restarted.
    Poisoned,
    /// Stored bytes that do not decode, or a format this build does not know.
    Corrupt(String),
    /// The writer thread is gone (shutdown).
    Closed,
    /// The data directory's disk is full: the write was refused, or (when the log could not
    /// be written) its outcome is unknown until space is freed (`space`).
    DiskFull,
    /// A value is sealed under a data key the store was not given (`data_keys`): its table's
    /// key is not available now.
    KeyUnavailable(u64),
}

impl StoreError {
    pub fn io(msg: impl Into<String>) -> StoreError {
        StoreError::Io(msg.into())
    }

    /// Whether this failure is a full disk: the client is told so, and may retry later.
    pub fn is_disk_full(&self) -> bool {
        matches!(self, StoreError::DiskFull)
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Io(m) => write!(f, "storage I/O error: {m}"),
            StoreError::Poisoned => write!(f, "storage refused the write after an earlier failure"),
            StoreError::Corrupt(m) => write!(f, "stored data is corrupt: {m}"),
            StoreError::Closed => write!(f, "storage is shut down"),
            StoreError::DiskFull => write!(f, "the disk is full"),
            StoreError::KeyUnavailable(n) => write!(f, "data key {n} is not available"),
        }
    }
}

impl std::error::Error for StoreError {}

macro_rules! from_redb {
    ($($t:ty),*) => {$(
        impl From<$t> for StoreError {
            fn from(e: $t) -> StoreError {
                StoreError::Io(e.to_string())
            }
        }
    )*};
}
from_redb!(
    redb::Error,
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);
