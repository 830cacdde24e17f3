//! The sync thread: the second stage of the write pipeline. The writer thread runs a batch
//! into the memtable and hands it here; this thread writes the batch's frame to the write-ahead
//! log and fdatasyncs it — while the writer already runs the next batch — then publishes the
//! view the batch left and only then releases the batch's replies.
//!
//! Readers read the published view, never the writer's: they see a batch only once it is
//! durable, so no answer (a read, or a refused condition) ever rests on a write that a
//! crash could still take back. Batches reach this thread in commit order and are published
//! in that order; every batch that queued up while the last fdatasync ran shares the next one.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, TryRecvError};
use std::sync::{Arc, Mutex};

use crate::memtable::View;
use crate::txn::AfterDurable;
use crate::wal::{LogFile, OpLog};
use crate::StoreError;

/// A job's reply, released with the outcome of its batch.
pub(crate) type Completion = Box<dyn FnOnce(Result<(), StoreError>) + Send>;

/// The view readers get: the newest durable state.
#[derive(Clone)]
pub(crate) struct Published(Arc<Mutex<Arc<View>>>);

impl Published {
    pub(crate) fn new(first: View) -> Published {
        Published(Arc::new(Mutex::new(Arc::new(first))))
    }

    pub(crate) fn current(&self) -> Result<Arc<View>, StoreError> {
        self.0
            .lock()
            .map(|s| s.clone())
            .map_err(|_| StoreError::io("the published snapshot's lock is poisoned"))
    }

    fn set(&self, snapshot: Arc<View>) {
        let previous = match self.0.lock() {
            Ok(mut s) => std::mem::replace(&mut *s, snapshot),
            Err(_) => return,
        };
        // Dropped unlocked: readers taking the view never wait for memory being freed.
        drop(previous);
    }
}

/// What the writer thread hands over, in commit order.
// Batch is the common case and a Step crosses the channel once: boxing it would add an
// allocation per batch to save bytes on the rare Rotate.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Step {
    /// A batch the writer ran. `frame` is its log frame (none when it wrote nothing, or
    /// without a log); `view` the state it left (none when it wrote nothing; a view with no
    /// batch of its own after a fold); `outcome` what the writer saw of it; `after_durable`
    /// what its jobs left to run once it is durable.
    Batch {
        frame: Option<(u64, OpLog)>,
        view: Option<View>,
        outcome: Result<(), StoreError>,
        after_durable: Vec<AfterDurable>,
        completions: Vec<Completion>,
    },
    /// The writer froze a generation: later frames go to the other log file, written again
    /// from offset 0 and cut to at most `keep` bytes.
    Rotate { keep: u64 },
    /// Every frame is in the database: both log files are emptied.
    Clear,
}

/// Most steps taken together; bounds how long the first of them waits for the others' frames.
const MAX_STEPS: usize = 64;

pub(crate) fn run(
    mut log: Option<LogFile>,
    rx: &Receiver<Step>,
    published: &Published,
    poisoned: &AtomicBool,
    gate: Option<&Mutex<()>>,
) {
    // Blocks for the first step; ends when the writer thread is gone.
    while let Ok(first) = rx.recv() {
        let mut steps = vec![first];
        while steps.len() < MAX_STEPS {
            match rx.try_recv() {
                Ok(step) => steps.push(step),
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
            }
        }
        let _held = gate.map(|g| g.lock());
        settle(log.as_mut(), steps, published, poisoned);
    }
}

/// Makes `steps` durable (one write and fdatasync for all their frames; a rotation in between
/// flushes what came before it), publishes the last view, runs the batches' changes for
/// after durability, then releases the replies.
fn settle(
    mut log: Option<&mut LogFile>,
    steps: Vec<Step>,
    published: &Published,
    poisoned: &AtomicBool,
) {
    let mut failure: Option<StoreError> = None;
    let mut pending: Vec<(u64, &OpLog)> = Vec::new();
    for step in &steps {
        match step {
            Step::Batch {
                frame: Some((id, ops)),
                ..
            } => pending.push((*id, ops)),
            Step::Batch { frame: None, .. } => {}
            Step::Rotate { .. } | Step::Clear => {
                let Some(file) = log.as_deref_mut() else {
                    continue;
                };
                let done = flush(file, &mut pending).and_then(|()| match step {
                    Step::Rotate { keep } => file.rotate(*keep),
                    _ => file.clear(),
                });
                if let Err(e) = done {
                    failure.get_or_insert(e);
                }
            }
        }
    }
    if let Some(file) = log {
        if let Err(e) = flush(file, &mut pending) {
            failure.get_or_insert(e);
        }
    }
    drop(pending);
    if let Some(e) = &failure {
        tracing::error!(error = %e, "write-ahead log failed; refusing further writes");
        poisoned.store(true, Ordering::Release);
    }
    // An earlier failure poisons everything after it: what those batches read may be lost.
    let failure = failure.or_else(|| {
        poisoned
            .load(Ordering::Acquire)
            .then_some(StoreError::Poisoned)
    });
    let mut newest = None;
    let mut replies = Vec::new();
    let mut changes = Vec::new();
    for step in steps {
        if let Step::Batch {
            view,
            outcome,
            after_durable,
            completions,
            ..
        } = step
        {
            if view.is_some() {
                newest = view;
            }
            let outcome = match &failure {
                Some(e) => Err(e.clone()),
                None => outcome,
            };
            if outcome.is_ok() {
                changes.extend(after_durable);
            }
            replies.push((outcome, completions));
        }
    }
    if failure.is_none() {
        if let Some(s) = newest {
            published.set(Arc::new(s));
        }
        for change in changes {
            change();
        }
    }
    for (outcome, completions) in replies {
        for done in completions {
            done(outcome.clone());
        }
    }
}

fn flush(file: &mut LogFile, pending: &mut Vec<(u64, &OpLog)>) -> Result<(), StoreError> {
    if pending.is_empty() {
        return Ok(());
    }
    let done = file.append(pending);
    pending.clear();
    done
}
