//! The writer thread and group commit. Requests queue jobs; the thread takes every job that is
//! waiting (up to a bound), runs them in one transaction, commits once (one fsync for all) and
//! only then releases the replies.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use redb::Database;
use tokio::sync::oneshot;

use crate::txn::{next_sequence, WriteCtx};
use crate::StoreError;

/// How many jobs one commit may carry; bounds the latency a job adds to its batch.
const MAX_BATCH: usize = 512;

type Completion = Box<dyn FnOnce(Result<(), StoreError>) + Send>;
type Job = Box<dyn FnOnce(&mut WriteCtx<'_>) -> Completion + Send>;

#[derive(Clone)]
pub(crate) struct Writer {
    queue: Arc<Mutex<Option<Sender<Job>>>>,
    thread: Arc<Mutex<Option<JoinHandle<()>>>>,
    poisoned: Arc<AtomicBool>,
}

impl Writer {
    pub(crate) fn spawn(db: Arc<Database>) -> Result<Writer, StoreError> {
        let (tx, rx) = mpsc::channel::<Job>();
        let poisoned = Arc::new(AtomicBool::new(false));
        let flag = poisoned.clone();
        let thread = std::thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || run(&db, &rx, &flag))
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

fn run(db: &Database, rx: &Receiver<Job>, poisoned: &AtomicBool) {
    let mut next_seq: Option<u64> = None;
    // Blocks for the first job of a batch; returns when every sender is gone.
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
            }
        }
        if poisoned.load(Ordering::Acquire) {
            fail_all(batch, &StoreError::Poisoned);
            continue;
        }
        match commit_batch(db, batch, &mut next_seq) {
            Ok(()) => {}
            Err(e) => {
                tracing::error!(error = %e, "commit failed; refusing further writes");
                poisoned.store(true, Ordering::Release);
            }
        }
    }
}

/// Jobs that cannot run are dropped unrun: dropping one drops its reply channel, and its caller
/// then gets `StoreError::Closed`. Nothing of theirs was written.
fn fail_all(batch: Vec<Job>, err: &StoreError) {
    tracing::warn!(jobs = batch.len(), error = %err, "dropping writes that cannot run");
    drop(batch);
}

fn commit_batch(
    db: &Database,
    batch: Vec<Job>,
    next_seq: &mut Option<u64>,
) -> Result<(), StoreError> {
    let tx = match db.begin_write() {
        Ok(tx) => tx,
        Err(e) => {
            let err = StoreError::from(e);
            fail_all(batch, &err);
            return Err(err);
        }
    };
    let mut seq = match *next_seq {
        Some(s) => s,
        None => match next_sequence(&tx) {
            Ok(s) => s,
            Err(e) => {
                fail_all(batch, &e);
                return Err(e);
            }
        },
    };
    let mut completions = Vec::with_capacity(batch.len());
    {
        let mut ctx = WriteCtx {
            tx: &tx,
            next_seq: &mut seq,
            appended: 0,
        };
        for job in batch {
            completions.push(job(&mut ctx));
        }
    }
    let outcome = tx.commit().map_err(StoreError::from);
    if outcome.is_ok() {
        *next_seq = Some(seq);
    }
    for done in completions {
        done(outcome.clone());
    }
    outcome
}
