//! The fold thread: writes a frozen memtable generation into redb in one durable transaction,
//! with the id of the last log frame it covers, and hands back the database's new state. It is
//! redb's only writer once the store is open; the writer thread goes on taking batches into the
//! next generation meanwhile (see `memtable`).

use std::sync::mpsc::{Receiver, Sender};
use std::sync::Arc;

use redb::{Database, ReadTransaction, ReadableDatabase};

use crate::memtable::Tables;
use crate::wal::write_checkpoint;
use crate::StoreError;

/// A generation to fold, and the last frame it covers (none without a log).
pub(crate) struct Fold {
    pub(crate) tables: Tables,
    pub(crate) covers: Option<u64>,
}

/// The database right after a fold's commit, or why the fold failed.
pub(crate) type Folded = Result<ReadTransaction, StoreError>;

/// Folds what arrives, in order; ends when the writer thread is gone.
pub(crate) fn run(db: &Arc<Database>, folds: &Receiver<Fold>, done: &Sender<Folded>) {
    lower_priority();
    while let Ok(job) = folds.recv() {
        let started = std::time::Instant::now();
        let outcome = fold(db, &job);
        tracing::debug!(took = ?started.elapsed(), "folded a memtable generation");
        if let Err(e) = &outcome {
            tracing::error!(error = %e, "folding the memtable into the database failed");
        }
        if done.send(outcome).is_err() {
            break;
        }
    }
}

fn fold(db: &Database, job: &Fold) -> Folded {
    let tx = db.begin_write()?;
    job.tables.fold_into(&tx)?;
    if let Some(id) = job.covers {
        write_checkpoint(&tx, id)?;
    }
    tx.commit()?;
    Ok(db.begin_read()?)
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
