//! The fold thread: writes a frozen memtable generation into redb in one durable transaction,
//! with the id of the last log frame it covers, and hands back the database's new state. It is
//! redb's only writer once the store is open; the writer thread goes on taking batches into the
//! next generation meanwhile (see `memtable`).

use std::sync::mpsc::{Receiver, Sender};
use std::sync::Arc;

use redb::{Database, Durability, ReadableDatabase, WriteTransaction};

use crate::data_keys::{self, Keyring, ValueSealer, ASSIGNMENTS};
use crate::memtable::{change_seq, Base, Owned, Tables};
use crate::pacing::Progress;
use crate::tables::{CHANGELOG, CHANGELOG_NAME};
use crate::txn::ENTRY_OVERHEAD;
use crate::values::{self, Seal, TableWriter};
use crate::wal::write_checkpoint;
use crate::StoreError;

/// What the writer hands this thread.
pub(crate) enum Task {
    Fold(Fold),
    /// A folded generation, to free once no view holds it: freeing a large one takes
    /// milliseconds, which would otherwise fall on whichever reader or reply dropped it last.
    Free(Tables),
}

/// A generation to fold, and the last frame it covers (none without a log).
pub(crate) struct Fold {
    pub(crate) tables: Tables,
    pub(crate) covers: Option<u64>,
}

/// The database right after a fold's commit, or why the fold failed.
pub(crate) type Folded = Result<Base, StoreError>;

/// Folds what arrives, in order; ends when the writer thread is gone.
pub(crate) fn run(
    db: &Arc<Database>,
    keys: &Arc<Keyring>,
    progress: &Progress,
    tasks: &Receiver<Task>,
    done: &Sender<Folded>,
) {
    lower_priority();
    while let Ok(task) = tasks.recv() {
        let job = match task {
            Task::Fold(job) => job,
            Task::Free(tables) => {
                free_when_unused(tables);
                continue;
            }
        };
        let started = std::time::Instant::now();
        let outcome = fold(db, keys, progress, &job);
        tracing::debug!(took = ?started.elapsed(), "folded a memtable generation");
        if let Err(e) = &outcome {
            tracing::error!(error = %e, "folding the memtable into the database failed");
        }
        if done.send(outcome).is_err() {
            break;
        }
    }
}

/// Bytes of a generation written per transaction. redb keeps a transaction's dirty pages in a
/// write buffer of half its cache; a transaction dirtying more has pages written out early and
/// read back to be checksummed at its commit. A whole 16 MiB generation of random 1 KB items
/// dirties ~60 MiB of leaves: slices keep each within the buffer.
const SLICE_BYTES: u64 = 4 * 1024 * 1024;

/// Writes the generation in slices, each committed without durability but the last, which
/// records the checkpoint and is durable: a crash before it leaves the database where it was.
fn fold(db: &Database, keys: &Arc<Keyring>, progress: &Progress, job: &Fold) -> Folded {
    let started = std::time::Instant::now();
    let mut slices = Slices {
        db,
        keys,
        progress,
        tx: Some(db.begin_write()?),
        bytes: 0,
    };
    // Data key assignments first: the values they govern may be in this generation.
    let mut tables: Vec<_> = job.tables.newest().collect();
    tables.sort_by_key(|(name, _, _)| *name != ASSIGNMENTS);
    for (name, dropped, mut entries) in tables {
        if dropped && name != CHANGELOG_NAME {
            values::drop_table(slices.tx()?, name)?;
        }
        let mut next = entries.next().transpose()?;
        while next.is_some() {
            next = slices.write(name, next, &mut entries)?;
        }
    }
    let mut tx = slices.tx.take().ok_or_else(lost)?;
    progress.writing_done(started);
    if let Some(id) = job.covers {
        write_checkpoint(&tx, id)?;
    }
    tx.set_durability(Durability::Immediate)
        .map_err(|e| StoreError::io(e.to_string()))?;
    tx.commit()?;
    progress.commit_done(started);
    Base::new(db.begin_read()?, keys.clone())
}

/// Drops `tables` once this is its last holder (views are replaced at every batch), or after a
/// second, leaving the rest to whoever holds it then.
fn free_when_unused(tables: Tables) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
    while tables.is_shared() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    drop(tables);
}

fn lost() -> StoreError {
    StoreError::io("the fold lost its transaction")
}

/// The fold's current transaction and how much it has written.
struct Slices<'d> {
    db: &'d Database,
    keys: &'d Keyring,
    progress: &'d Progress,
    tx: Option<WriteTransaction>,
    bytes: u64,
}

impl Slices<'_> {
    fn tx(&self) -> Result<&WriteTransaction, StoreError> {
        self.tx.as_ref().ok_or_else(lost)
    }

    /// Writes `first` and what follows it in `entries` into table `name` until the slice is
    /// full, then starts the next slice; returns the entry not yet written.
    fn write(
        &mut self,
        name: &str,
        first: Option<Owned>,
        entries: &mut dyn Iterator<Item = Result<Owned, StoreError>>,
    ) -> Result<Option<Owned>, StoreError> {
        let mut next = first;
        {
            let tx = self.tx()?;
            let mut bytes = self.bytes;
            let mut apply = |put: &mut dyn FnMut(Owned) -> Result<(), StoreError>| {
                while let Some(entry) = next.take() {
                    let size = (entry.0.len() + entry.1.as_ref().map_or(0, |v| v.len())) as u64;
                    bytes += size;
                    put(entry)?;
                    // As the writer counted it into the generation's size.
                    self.progress.wrote(size + ENTRY_OVERHEAD);
                    next = entries.next().transpose()?;
                    if bytes >= SLICE_BYTES {
                        break;
                    }
                }
                Ok::<(), StoreError>(())
            };
            if name == CHANGELOG_NAME {
                let mut sealers = ChangeSealers::default();
                let mut t = tx.open_table(CHANGELOG)?;
                apply(&mut |(key, value)| {
                    let seq = change_seq(&key)?;
                    match value {
                        Some(v) => match sealers.seal(tx, self.keys, &v)? {
                            Some(sealed) => t.insert(seq, sealed.as_slice())?,
                            None => t.insert(seq, &*v)?,
                        },
                        None => t.remove(seq)?,
                    };
                    Ok(())
                })?;
            } else {
                let mut t = TableWriter::open(tx, name, self.keys)?;
                apply(&mut |(key, value)| match value {
                    Some(v) => t.insert(&key, &v),
                    None => t.remove(&key),
                })?;
            }
            self.bytes = bytes;
        }
        if self.bytes >= SLICE_BYTES {
            let mut tx = self.tx.take().ok_or_else(lost)?;
            tx.set_durability(Durability::None)
                .map_err(|e| StoreError::io(e.to_string()))?;
            tx.commit()?;
            self.tx = Some(self.db.begin_write()?);
            self.bytes = 0;
        }
        Ok(next)
    }
}

/// Seals change-log records that name their table under that table's data key, one sealer
/// per table for the slice.
#[derive(Default)]
struct ChangeSealers(std::collections::HashMap<String, Option<ValueSealer>>);

impl ChangeSealers {
    /// The record as the database keeps it: sealed, or `None` to keep it as it is (a record
    /// of a table with no key, or whose key is not in memory).
    fn seal(
        &mut self,
        tx: &WriteTransaction,
        keys: &Keyring,
        record: &[u8],
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let Some((table, plain)) = data_keys::split_named(record) else {
            return Ok(None);
        };
        if !self.0.contains_key(table) {
            let sealer = match Seal::of(tx, table, keys)? {
                Seal::Sealed(s) => Some(s),
                Seal::Plain | Seal::Missing { .. } => None,
            };
            self.0.insert(table.to_string(), sealer);
        }
        match self.0.get_mut(table) {
            Some(Some(sealer)) => data_keys::sealed_change(table, plain, sealer).map(Some),
            _ => Ok(None),
        }
    }
}

/// A fold is a burst of CPU work no request waits for; at the lowest priority it takes the time
/// requests leave, instead of delaying their replies. Writes wait for it only when it falls
/// far behind (see `writer`).
fn lower_priority() {
    // SAFETY: two system calls about the calling thread; no memory is shared with them.
    let done = unsafe {
        let tid = libc::gettid();
        libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, 19)
    };
    if done != 0 {
        tracing::debug!("could not lower the fold thread's priority");
    }
}
