//! The writer thread and group commit. Requests queue jobs; the thread takes every job that is
//! waiting (up to a bound), runs them one after another into the memtable's active generation
//! (`memtable`), then hands the batch (its write-ahead log frame, the view it left, its
//! replies) to the sync thread and goes on with the next batch. The sync thread makes the batch
//! durable, publishes the view and releases the replies (`syncer`). When the generation is
//! large or old enough, or writes pause, the thread freezes it and the fold thread writes it
//! into redb (`fold`); the thread learns of the fold between batches.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, SyncSender, TryRecvError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use redb::Database;
use tokio::sync::oneshot;

use crate::fold::{self, Fold, Folded, Task};
use crate::memtable::View;
use crate::pacing::{Pacer, Progress};
use crate::space::Space;
use crate::syncer::{self, Completion, Published, Step};
use crate::txn::WriteCtx;
use crate::wal::{LogFile, LogPosition, OpLog, CHECKPOINT_BYTES, CHECKPOINT_INTERVAL, KEEP_BYTES};
use crate::Options;
use crate::StoreError;

/// How many jobs one commit may carry; bounds the latency a job adds to its batch.
const MAX_BATCH: usize = 512;

/// Batches the writer may run ahead of the sync thread.
const AHEAD: usize = 8;

/// The memtable's bytes, the generation being folded and the active one together, at which
/// writes wait for the fold: memory stays bounded when writes outrun it. Before that they are
/// paced (`pacing`), so that under a steady load each generation settles at half of it.
const MEMTABLE_BUDGET: u64 = 2 * CHECKPOINT_BYTES;

/// Folds this large or larger teach the pacer how long a byte takes to fold.
const PACE_SAMPLE_BYTES: u64 = CHECKPOINT_BYTES / 4;

/// The writer thread's stack.
const WRITER_STACK: usize = 8 * 1024 * 1024;

/// How often a writer with nothing to do looks whether a fold has finished.
const FOLD_POLL: Duration = Duration::from_millis(5);

/// A write: run with the batch's context, or refused unrun with an error (a full disk).
type Job = Box<dyn FnOnce(Result<&mut WriteCtx<'_>, StoreError>) -> Completion + Send>;

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
    /// Starts the writer, sync and fold threads from `view`, the state at open. `wal` is the
    /// log (none for an in-memory store).
    pub(crate) fn spawn(
        db: Arc<Database>,
        view: View,
        wal: Option<(LogPosition, LogFile)>,
        options: &Options,
        published: Published,
        clock: clock::Clock,
        space: Option<Arc<Space>>,
    ) -> Result<Writer, StoreError> {
        // The fold seals values under the data keys readers open them with.
        let keys = view.base.keys();
        let next_seq = view.last_change()?.map_or(1, |s| s + 1);
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
        let sync_space = space.clone();
        let syncer = std::thread::Builder::new()
            .name("store-sync".into())
            .spawn(move || {
                let sync = syncer::Sync {
                    published: &published,
                    poisoned: &flag,
                    gate: gate.as_deref(),
                    space: sync_space.as_deref(),
                };
                sync.run(file, &steps);
            })
            .map_err(|e| StoreError::io(format!("cannot start the sync thread: {e}")))?;
        let (to_fold, folds) = mpsc::channel::<Task>();
        let (fold_done, folded) = mpsc::channel::<Folded>();
        let progress = Arc::new(Progress::default());
        let pacer = Pacer::new(progress.clone());
        let folder = std::thread::Builder::new()
            .name("store-fold".into())
            .spawn(move || fold::run(&db, &keys, &progress, &folds, &fold_done))
            .map_err(|e| StoreError::io(format!("cannot start the fold thread: {e}")))?;
        let flag = poisoned.clone();
        let thread = std::thread::Builder::new()
            .name("store-writer".into())
            // As much as a request thread: jobs decode, change and encode stored items, which
            // an earlier build may have nested 256 levels deep (`item::packed`).
            .stack_size(WRITER_STACK)
            .spawn(move || {
                ON_WRITER.with(|w| w.set(true));
                let mut writer = WriterThread {
                    view,
                    log: position,
                    to_sync,
                    to_fold,
                    folded,
                    folding: false,
                    pacer,
                    generation_bytes: 0,
                    generation_since: Instant::now(),
                    poisoned: &flag,
                    next_seq,
                    clock,
                    space,
                };
                writer.run(&rx, idle_checkpoint);
                // Dropping the senders ends the sync and fold threads once they are done.
                drop(writer);
                let _ = syncer.join();
                let _ = folder.join();
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
            let result = ctx.and_then(f);
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
    /// Every batch's writes so far, at the batch being run: what jobs read and write.
    view: View,
    /// Where the write-ahead log stands (none for an in-memory store).
    log: Option<LogPosition>,
    to_sync: SyncSender<Step>,
    to_fold: Sender<Task>,
    folded: Receiver<Folded>,
    /// Whether the fold thread is writing the frozen generation.
    folding: bool,
    pacer: Pacer,
    /// Bytes written to the active generation, and since when it takes writes.
    generation_bytes: u64,
    generation_since: Instant,
    poisoned: &'a AtomicBool,
    next_seq: u64,
    /// The installation's clock, which jobs read their time from.
    clock: clock::Clock,
    /// The data directory's free space (none in memory).
    space: Option<Arc<Space>>,
}

impl WriterThread<'_> {
    fn run(&mut self, rx: &Receiver<Job>, idle_checkpoint: Duration) {
        while let Some(first) = self.next_job(rx, idle_checkpoint) {
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
            if self.space.as_ref().is_some_and(|s| s.refuses_writes()) {
                refuse_all(batch, &StoreError::DiskFull);
                if self.folding {
                    self.poll_fold();
                }
                continue;
            }
            let started = Instant::now();
            let written = self.run_batch(batch);
            self.after_batch(started, written);
        }
        // Leave a database that holds everything, and an empty log.
        self.wait_for_fold();
        if !self.view.active.is_empty() {
            self.freeze(0);
            self.wait_for_fold();
        }
        // Only once the database holds everything: on a full disk the last generation stays
        // in the log, for the next start to replay.
        let folded = self.view.active.is_empty() && self.view.frozen.is_none();
        if self.log.is_some() && folded && !self.poisoned.load(Ordering::Acquire) {
            self.hand_over(Step::Clear);
        }
    }

    /// Blocks for the first job of a batch; none once every sender is gone. Meanwhile it takes
    /// in a finished fold, and freezes the generation when writes pause.
    fn next_job(&mut self, rx: &Receiver<Job>, idle_checkpoint: Duration) -> Option<Job> {
        loop {
            let wait = if self.folding {
                FOLD_POLL
            } else if self.generation_bytes > 0 {
                idle_checkpoint
            } else {
                return rx.recv().ok();
            };
            match rx.recv_timeout(wait) {
                Ok(job) => return Some(job),
                Err(RecvTimeoutError::Disconnected) => return None,
                Err(RecvTimeoutError::Timeout) if self.folding => self.poll_fold(),
                Err(RecvTimeoutError::Timeout) => self.freeze(KEEP_BYTES),
            }
        }
    }

    /// After a batch that started at `started` and wrote `written` bytes: takes in a finished
    /// fold, freezes the generation when it is large or old enough, and paces writes or waits
    /// for the fold when the active generation runs ahead of it.
    fn after_batch(&mut self, started: Instant, written: u64) {
        if self.folding {
            self.poll_fold();
        }
        if self.folding {
            let bound = self.active_bound();
            if self.generation_bytes >= bound {
                let started = Instant::now();
                self.wait_for_fold();
                tracing::debug!(waited = ?started.elapsed(), "writes waited for a fold");
            } else {
                let room = bound.saturating_sub(self.generation_bytes);
                let delay = self.pacer.delay(started, written, room);
                if !delay.is_zero() {
                    std::thread::sleep(delay);
                }
                return;
            }
        }
        let old = self.generation_since.elapsed() >= CHECKPOINT_INTERVAL;
        if self.generation_bytes >= CHECKPOINT_BYTES || (self.generation_bytes > 0 && old) {
            self.freeze(u64::MAX);
        }
    }

    /// Freezes the active generation and has the fold thread write it into the database; the
    /// log goes over to its other file, kept to `keep` bytes. Only one fold runs at a time.
    fn freeze(&mut self, keep: u64) {
        if self.folding || self.poisoned.load(Ordering::Acquire) {
            return;
        }
        // No fold without room for it: redb fails for good on a write the disk refuses. The
        // generation stays in memory and in the log until there is room.
        let bytes = self.generation_bytes;
        if self.space.as_ref().is_some_and(|s| !s.room_for_fold(bytes)) {
            return;
        }
        let tables = std::mem::take(&mut self.view.active);
        self.view.frozen = Some(tables.clone());
        self.generation_bytes = 0;
        let covers = self.log.as_ref().map(LogPosition::last_id);
        if covers.is_some() {
            self.hand_over(Step::Rotate { keep });
        }
        self.folding = true;
        self.pacer.fold_started(bytes);
        if self
            .to_fold
            .send(Task::Fold(Fold { tables, covers }))
            .is_err()
        {
            self.fold_finished(Err(fold_thread_gone()));
        }
    }

    /// How large the active generation may grow while the frozen one is folded.
    fn active_bound(&self) -> u64 {
        MEMTABLE_BUDGET
            .saturating_sub(self.pacer.folding_bytes())
            .max(CHECKPOINT_BYTES / 2)
    }

    fn poll_fold(&mut self) {
        match self.folded.try_recv() {
            Ok(outcome) => self.fold_finished(outcome),
            Err(TryRecvError::Empty) => {}
            Err(TryRecvError::Disconnected) => self.fold_finished(Err(fold_thread_gone())),
        }
    }

    fn wait_for_fold(&mut self) {
        if !self.folding {
            return;
        }
        match self.folded.recv() {
            Ok(outcome) => self.fold_finished(outcome),
            Err(_) => self.fold_finished(Err(fold_thread_gone())),
        }
    }

    /// The frozen generation is in the database: views take its new state and forget the
    /// generation. A failed fold poisons the store (the log still holds the generation).
    fn fold_finished(&mut self, outcome: Folded) {
        self.folding = false;
        self.pacer.fold_finished(PACE_SAMPLE_BYTES);
        match outcome {
            Ok(base) => {
                self.view.base = Arc::new(base);
                let frozen = self.view.frozen.take();
                // Published after the batches before it, like any batch's view.
                self.hand_over(Step::Batch {
                    frame: None,
                    view: Some(self.view.clone()),
                    outcome: Ok(()),
                    after_durable: Vec::new(),
                    completions: Vec::new(),
                });
                if let Some(tables) = frozen {
                    // Freed by the fold thread, at its low priority, once no view holds it.
                    let _ = self.to_fold.send(Task::Free(tables));
                }
            }
            Err(e) => {
                // The frozen generation stays in the views, and its frames in the log: nothing
                // freezes, folds or empties the log any more.
                tracing::error!(error = %e, "fold failed; refusing further writes");
                self.poisoned.store(true, Ordering::Release);
            }
        }
    }

    fn hand_over(&self, step: Step) {
        // The sync thread ends only after this thread: a send fails only if it died. Dropping
        // the step drops its replies (their callers get `StoreError::Closed`), and nothing
        // written after can become durable or visible.
        if self.to_sync.send(step).is_err() {
            tracing::error!("the sync thread is gone; refusing further writes");
            self.poisoned.store(true, Ordering::Release);
        }
    }

    /// Runs the batch into the active generation and hands it to the sync thread, which makes
    /// it durable and replies; returns the bytes it wrote.
    fn run_batch(&mut self, batch: Vec<Job>) -> u64 {
        self.view.version += 1;
        let mut ops = OpLog::default();
        let mut completions = Vec::with_capacity(batch.len());
        let mut after_durable = Vec::new();
        let written = {
            let mut ctx = WriteCtx {
                view: &mut self.view,
                next_seq: &mut self.next_seq,
                written: 0,
                log: self.log.is_some().then_some(&mut ops),
                after_durable: &mut after_durable,
                clock: &self.clock,
            };
            for job in batch {
                completions.push(job(Ok(&mut ctx)));
            }
            ctx.written
        };
        // Nothing written (every job refused): nothing to make durable or to publish.
        let (frame, view) = if written == 0 {
            (None, None)
        } else {
            if self.generation_bytes == 0 {
                self.generation_since = Instant::now();
            }
            self.generation_bytes += written;
            let frame = self.log.as_mut().map(|l| (l.take_frame_id(), ops));
            (frame, Some(self.view.clone()))
        };
        self.hand_over(Step::Batch {
            frame,
            view,
            outcome: Ok(()),
            after_durable,
            completions,
        });
        written
    }
}

fn fold_thread_gone() -> StoreError {
    StoreError::io("the fold thread is gone")
}

/// Jobs that cannot run are dropped unrun: dropping one drops its reply channel, and its caller
/// then gets `StoreError::Closed`. Nothing of theirs was written.
fn fail_all(batch: Vec<Job>, err: &StoreError) {
    tracing::warn!(jobs = batch.len(), error = %err, "dropping writes that cannot run");
    drop(batch);
}

/// Answers every job of `batch` with `err`, unrun: nothing of theirs is written.
fn refuse_all(batch: Vec<Job>, err: &StoreError) {
    for job in batch {
        job(Err(err.clone()))(Ok(()));
    }
}
