//! The writer thread and group commit. Requests queue jobs; the thread takes every job that is
//! waiting (up to a bound), runs them in one transaction and commits it to redb without
//! durability, then hands the batch (its write-ahead log frame, a snapshot of the state it
//! left, its replies) to the sync thread and goes on with the next batch. The sync thread makes
//! the batch durable, publishes the snapshot and releases the replies (`syncer`). Every
//! [`crate::wal::CHECKPOINT_INTERVAL`] or so a batch is committed durably instead (a
//! checkpoint), and the log starts again.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, SyncSender, TryRecvError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use redb::{Database, Durability, ReadTransaction, ReadableDatabase, WriteTransaction};
use tokio::sync::oneshot;

use crate::syncer::{self, Completion, Published, Step};
use crate::txn::{next_sequence, WriteCtx};
use crate::wal::{LogFile, LogPosition, OpLog, KEEP_WHEN_IDLE};
use crate::Options;
use crate::StoreError;

/// How many jobs one commit may carry; bounds the latency a job adds to its batch.
const MAX_BATCH: usize = 512;

/// Batches the writer may run ahead of the sync thread.
const AHEAD: usize = 8;

type Job = Box<dyn FnOnce(&mut WriteCtx<'_>) -> Completion + Send>;

thread_local! {
    static ON_WRITER: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether the caller runs on a store's writer thread, i.e. inside a write job: such a caller
/// must see every change of the jobs before it, durable or not, where any other caller must see
/// only durable state.
pub fn on_writer_thread() -> bool {
    ON_WRITER.with(std::cell::Cell::get)
}

#[derive(Clone)]
pub(crate) struct Writer {
    queue: Arc<Mutex<Option<Sender<Job>>>>,
    thread: Arc<Mutex<Option<JoinHandle<()>>>>,
    poisoned: Arc<AtomicBool>,
}

impl Writer {
    /// Starts the writer and sync threads. `wal` is the log (none for an in-memory store).
    pub(crate) fn spawn(
        db: Arc<Database>,
        wal: Option<(LogPosition, LogFile)>,
        options: &Options,
        published: Published,
    ) -> Result<Writer, StoreError> {
        let (tx, rx) = mpsc::channel::<Job>();
        let poisoned = Arc::new(AtomicBool::new(false));
        let (position, file) = match wal {
            Some((p, f)) => (Some(p), Some(f)),
            None => (None, None),
        };
        let (to_sync, steps) = mpsc::sync_channel::<Step>(AHEAD);
        let flag = poisoned.clone();
        let gate = options.sync_gate.clone();
        let idle_checkpoint = options.idle_checkpoint;
        let syncer = std::thread::Builder::new()
            .name("store-sync".into())
            .spawn(move || syncer::run(file, &steps, &published, &flag, gate.as_deref()))
            .map_err(|e| StoreError::io(format!("cannot start the sync thread: {e}")))?;
        let flag = poisoned.clone();
        let thread = std::thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || {
                ON_WRITER.with(|w| w.set(true));
                let mut writer = WriterThread {
                    db: &db,
                    log: position,
                    to_sync,
                    poisoned: &flag,
                    next_seq: None,
                };
                writer.run(&rx, idle_checkpoint);
                // Dropping the sender ends the sync thread once it has settled everything.
                drop(writer);
                let _ = syncer.join();
            })
            .map_err(|e| StoreError::io(format!("cannot start the writer thread: {e}")))?;
        Ok(Writer {
            queue: Arc::new(Mutex::new(Some(tx))),
            thread: Arc::new(Mutex::new(Some(thread))),
            poisoned,
        })
    }

    pub(crate) async fn submit<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        R: Send + 'static,
        F: FnOnce(&mut WriteCtx<'_>) -> Result<R, StoreError> + Send + 'static,
    {
        if self.poisoned.load(Ordering::Acquire) {
            return Err(StoreError::Poisoned);
        }
        let (reply, answer) = oneshot::channel::<Result<R, StoreError>>();
        let job: Job = Box::new(move |ctx| {
            let result = f(ctx);
            Box::new(move |committed: Result<(), StoreError>| {
                let _ = reply.send(committed.and(result));
            })
        });
        let sent = match self.queue.lock() {
            Ok(q) => q.as_ref().map(|s| s.send(job).is_ok()).unwrap_or(false),
            Err(_) => false,
        };
        if !sent {
            return Err(StoreError::Closed);
        }
        answer.await.unwrap_or(Err(StoreError::Closed))
    }

    pub(crate) fn shutdown(&self) {
        if let Ok(mut q) = self.queue.lock() {
            q.take();
        }
        let handle = self.thread.lock().ok().and_then(|mut t| t.take());
        if let Some(h) = handle {
            let _ = h.join();
        }
    }
}

/// The writer thread's state.
struct WriterThread<'a> {
    db: &'a Database,
    /// Where the write-ahead log stands (none for an in-memory store).
    log: Option<LogPosition>,
    to_sync: SyncSender<Step>,
    poisoned: &'a AtomicBool,
    next_seq: Option<u64>,
}

impl WriterThread<'_> {
    fn run(&mut self, rx: &Receiver<Job>, idle_checkpoint: Duration) {
        loop {
            // Blocks for the first job of a batch; ends when every sender is gone. While the
            // database alone lacks logged batches, a pause in writes is used to checkpoint.
            let dirty = self.log.as_ref().is_some_and(LogPosition::has_frames);
            let first = if dirty {
                match rx.recv_timeout(idle_checkpoint) {
                    Ok(job) => job,
                    Err(RecvTimeoutError::Timeout) => {
                        self.checkpoint_now(KEEP_WHEN_IDLE);
                        continue;
                    }
                    Err(RecvTimeoutError::Disconnected) => break,
                }
            } else {
                match rx.recv() {
                    Ok(job) => job,
                    Err(_) => break,
                }
            };
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
                }
            }
            if self.poisoned.load(Ordering::Acquire) {
                fail_all(batch, &StoreError::Poisoned);
                continue;
            }
            if let Err(e) = self.commit_batch(batch) {
                tracing::error!(error = %e, "commit failed; refusing further writes");
                self.poisoned.store(true, Ordering::Release);
            }
        }
        // Leave a database that needs no replay, and an empty log.
        if self.log.is_some() {
            self.checkpoint_now(0);
        }
    }

    /// A durable commit of nothing but the checkpoint mark, when writes pause or stop; the log
    /// file keeps at most `keep` bytes.
    fn checkpoint_now(&mut self, keep: u64) {
        let Some(log) = self.log.as_mut() else {
            return;
        };
        if self.poisoned.load(Ordering::Acquire) {
            return;
        }
        let done = self
            .db
            .begin_write()
            .map_err(StoreError::from)
            .and_then(|tx| {
                log.mark_checkpoint(&tx)?;
                tx.commit().map_err(StoreError::from)
            });
        match done {
            Ok(()) => self.hand_over(Step::Reset { keep }),
            Err(e) => {
                tracing::error!(error = %e, "checkpoint failed; refusing further writes");
                self.poisoned.store(true, Ordering::Release);
            }
        }
    }

    fn hand_over(&self, step: Step) {
        // The sync thread ends only after this thread; a send cannot fail before. Were it gone,
        // dropping the step drops its replies, and their callers get `StoreError::Closed`.
        let _ = self.to_sync.send(step);
    }

    /// Runs the batch in one transaction, commits it (durably when a checkpoint is due or there
    /// is no log), and hands it to the sync thread, which makes it durable and replies.
    fn commit_batch(&mut self, batch: Vec<Job>) -> Result<(), StoreError> {
        let tx = match self.db.begin_write() {
            Ok(tx) => tx,
            Err(e) => {
                let err = StoreError::from(e);
                fail_all(batch, &err);
                return Err(err);
            }
        };
        let mut seq = match self.next_seq {
            Some(s) => s,
            None => match next_sequence(&tx) {
                Ok(s) => s,
                Err(e) => {
                    fail_all(batch, &e);
                    return Err(e);
                }
            },
        };
        let mut ops = OpLog::default();
        let mut completions = Vec::with_capacity(batch.len());
        let mut after_durable = Vec::new();
        {
            let mut ctx = WriteCtx {
                tx: &tx,
                next_seq: &mut seq,
                appended: 0,
                log: self.log.is_some().then_some(&mut ops),
                after_durable: &mut after_durable,
            };
            for job in batch {
                completions.push(job(&mut ctx));
            }
        }
        let (committed, outcome) = match self.commit(tx, ops) {
            Ok(c) => {
                self.next_seq = Some(seq);
                (c, Ok(()))
            }
            Err(e) => (Committed::default(), Err(e)),
        };
        self.hand_over(Step::Batch {
            frame: committed.frame,
            snapshot: committed.snapshot,
            outcome: outcome.clone(),
            after_durable,
            completions,
        });
        if committed.checkpoint {
            self.hand_over(Step::Reset { keep: u64::MAX });
        }
        outcome
    }

    /// Commits `tx`: durably when a checkpoint is due or there is no log, else without
    /// durability, leaving the frame for the sync thread.
    fn commit(&mut self, mut tx: WriteTransaction, ops: OpLog) -> Result<Committed, StoreError> {
        let Some(log) = self.log.as_mut() else {
            tx.commit()?;
            return Ok(Committed {
                snapshot: Some(self.db.begin_read()?),
                ..Committed::default()
            });
        };
        if ops.is_empty() {
            // Nothing written (every job refused): nothing to make durable or to publish.
            tx.abort()?;
            return Ok(Committed::default());
        }
        if log.checkpoint_due() {
            log.mark_checkpoint(&tx)?;
            tx.commit()?;
            return Ok(Committed {
                snapshot: Some(self.db.begin_read()?),
                checkpoint: true,
                ..Committed::default()
            });
        }
        let id = log.take_frame_id(&ops);
        tx.set_durability(Durability::None)
            .map_err(|e| StoreError::io(e.to_string()))?;
        tx.commit()?;
        Ok(Committed {
            frame: Some((id, ops)),
            // Taken before the next batch begins: exactly the state this batch left.
            snapshot: Some(self.db.begin_read()?),
            checkpoint: false,
        })
    }
}

/// What a batch's commit leaves for the sync thread.
#[derive(Default)]
struct Committed {
    /// The log frame to make durable (none after a durable commit, or without a log).
    frame: Option<(u64, OpLog)>,
    /// The state right after the commit, to publish (none when nothing was committed).
    snapshot: Option<ReadTransaction>,
    /// Whether the commit was a checkpoint, after which the log starts again.
    checkpoint: bool,
}

/// Jobs that cannot run are dropped unrun: dropping one drops its reply channel, and its caller
/// then gets `StoreError::Closed`. Nothing of theirs was written.
fn fail_all(batch: Vec<Job>, err: &StoreError) {
    tracing::warn!(jobs = batch.len(), error = %err, "dropping writes that cannot run");
    drop(batch);
}
