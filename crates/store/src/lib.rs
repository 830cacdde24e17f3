//! The embedded engine adapter: one redb database, a single writer thread that commits
//! concurrent writes together (group commit), MVCC snapshots for readers, and the ordered
//! change log every committed write appends to.
//!
//! Architecture invariants:
//! - Every write runs as a [`WriteJob`] on the writer thread, one after another, inside the
//!   batch's single redb transaction. A job therefore sees the effect of every job before it and
//!   nothing can interleave with its read-check-write: conditional writes are atomic by
//!   construction, no lock needed.
//! - A job that fails (a refused condition, a validation error) must not have written anything:
//!   jobs check first and write last. The store cannot roll back one job of a batch.
//! - A job's reply is released only after its batch committed with `Durability::Immediate`
//!   (fsync). A failed commit fails every job of the batch and poisons the store: no further write
//!   is taken, since what is on disk is then unknown (the approach redb and fjall take).
//! - Change-log records are written by jobs in the same transaction as the data they describe.
//! - Only this crate names redb; the services see tables of bytes.

mod error;
mod format;
mod txn;
mod writer;

pub use error::StoreError;
pub use txn::{ReadCtx, ScanControl, WriteCtx};

use std::path::Path;
use std::sync::Arc;

use redb::{backends::InMemoryBackend, Database, ReadableDatabase};

use crate::writer::Writer;

/// A handle to the database; cheap to clone, shared by every request.
#[derive(Clone)]
pub struct Store {
    db: Arc<Database>,
    writer: Writer,
}

/// redb's page cache. Its default (1 GiB) would make the server's memory grow with the data;
/// the data lives on disk and the OS page cache already keeps hot pages close.
pub const CACHE_BYTES: usize = 64 * 1024 * 1024;

/// The file name of the database inside the data directory.
pub const DB_FILE: &str = "dynostack.redb";

impl Store {
    /// Opens (or creates) the database in `dir`, checking its format version.
    pub fn open_dir(dir: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError::io(format!("cannot create {}: {e}", dir.display())))?;
        let db = Database::builder()
            .set_cache_size(CACHE_BYTES)
            .create(dir.join(DB_FILE))?;
        Store::start(db)
    }

    /// A database that lives in memory only and is gone when the process ends.
    pub fn in_memory() -> Result<Store, StoreError> {
        let db = Database::builder().create_with_backend(InMemoryBackend::new())?;
        Store::start(db)
    }

    fn start(db: Database) -> Result<Store, StoreError> {
        let db = Arc::new(db);
        format::check_or_initialise(&db)?;
        let writer = Writer::spawn(db.clone())?;
        Ok(Store { db, writer })
    }

    /// Runs `job` on the writer thread inside the current batch's transaction and returns its
    /// result once that transaction is durable. See the crate invariants for what a job may do.
    pub async fn write<R, F>(&self, job: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&mut WriteCtx<'_>) -> Result<R, StoreError> + Send + 'static,
    {
        self.writer.submit(job).await
    }

    /// A consistent snapshot for reading; never blocks writers.
    pub fn read(&self) -> Result<ReadCtx, StoreError> {
        Ok(ReadCtx::new(self.db.begin_read()?))
    }

    /// Waits for the writer thread to finish what was submitted and stop.
    pub fn shutdown(&self) {
        self.writer.shutdown();
    }
}
