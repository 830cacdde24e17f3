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
use std::sync::mpsc::{Receiver, RecvTimeoutError, TryRecvError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::memtable::View;
use crate::space::Space;
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

/// How often batches held back by a full disk are written again.
const RETRY: Duration = Duration::from_millis(100);

/// The sync thread's company: where it publishes, what it flags.
pub(crate) struct Sync<'a> {
    pub(crate) published: &'a Published,
    pub(crate) poisoned: &'a AtomicBool,
    pub(crate) gate: Option<&'a Mutex<()>>,
    pub(crate) space: Option<&'a Space>,
}

impl Sync<'_> {
    /// Settles steps as they come; ends when the writer thread is gone.
    ///
    /// A log write that meets a full disk neither fails nor poisons: its batches are held, in
    /// order with what follows them, and written again until the disk has room; only then
    /// are they published and their writers answered, as for any batch. Meanwhile the writer
    /// refuses new jobs (`space`), so only the batches already taken wait. (Answering them
    /// with an error instead would be a lie: they take effect once written, and callers treat
    /// an error as nothing written.)
    pub(crate) fn run(&self, mut log: Option<LogFile>, rx: &Receiver<Step>) {
        let mut held: Vec<Step> = Vec::new();
        loop {
            let first = if held.is_empty() {
                match rx.recv() {
                    Ok(step) => Some(step),
                    Err(_) => break,
                }
            } else {
                match rx.recv_timeout(RETRY) {
                    Ok(step) => Some(step),
                    Err(RecvTimeoutError::Timeout) => None,
                    Err(RecvTimeoutError::Disconnected) => {
                        let steps = std::mem::take(&mut held);
                        let left = self.settle(log.as_mut(), steps).len();
                        if left > 0 {
                            // Their writers get `StoreError::Closed`: not written.
                            tracing::error!(
                                steps = left,
                                "stopping with batches a full disk kept out of the log"
                            );
                        }
                        break;
                    }
                }
            };
            let mut steps = std::mem::take(&mut held);
            steps.extend(first);
            let mut taken = 0;
            while taken < MAX_STEPS {
                match rx.try_recv() {
                    Ok(step) => steps.push(step),
                    Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
                }
                taken += 1;
            }
            held = self.settle(log.as_mut(), steps);
        }
    }

    /// Makes `steps` durable (one write and fdatasync for all their frames; a rotation in
    /// between flushes what came before it), publishes the last view, runs the batches' changes
    /// for after durability, then releases the replies. Answers the steps a full disk held
    /// back, their replies still to give.
    fn settle(&self, log: Option<&mut LogFile>, mut steps: Vec<Step>) -> Vec<Step> {
        let _held = self.gate.map(|g| g.lock());
        let Some(file) = log else {
            self.release(steps, None);
            return Vec::new();
        };
        let (mut durable, mut failure) = write_steps(file, &steps);
        if failure.as_ref().is_some_and(StoreError::is_disk_full) {
            if let Some(space) = self.space {
                // Releases the ballast: its room may be enough for what is under way.
                space.mark_full("a write-ahead log write met a full disk");
            }
            let (more, again) = write_steps(file, &steps[durable..]);
            durable += more;
            failure = again;
        }
        let rest = steps.split_off(durable);
        if let Some(space) = self.space {
            // Before the replies: a writer answered once the log took its held batch must find
            // writes taken again, not refused for a stall that is over.
            space.set_log_stalled(failure.as_ref().is_some_and(StoreError::is_disk_full));
        }
        self.release(steps, None);
        match failure {
            None => Vec::new(),
            Some(e) if e.is_disk_full() => rest,
            Some(e) => {
                tracing::error!(error = %e, "write-ahead log failed; refusing further writes");
                self.poisoned.store(true, Ordering::Release);
                self.release(rest, Some(e));
                Vec::new()
            }
        }
    }

    /// Publishes the newest view of `steps`, runs their changes for after durability and
    /// gives their replies — or, after `failure` (or an earlier one), only the replies.
    fn release(&self, steps: Vec<Step>, failure: Option<StoreError>) {
        // An earlier failure poisons everything after it: what those batches read may be lost.
        let failure = failure.or_else(|| {
            self.poisoned
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
                self.published.set(Arc::new(s));
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
}

/// Writes the frames of `steps` to the log in order, a rotation or a clear after the frames
/// before it. Answers how many leading steps are durable, and the failure that stopped the
/// others. Only a frame write can meet a full disk, and then nothing after the last durable
/// step has changed the log's state: writing the same steps again is safe.
fn write_steps(file: &mut LogFile, steps: &[Step]) -> (usize, Option<StoreError>) {
    let mut pending: Vec<(u64, &OpLog)> = Vec::new();
    let mut durable = 0;
    for (i, step) in steps.iter().enumerate() {
        match step {
            Step::Batch {
                frame: Some((id, ops)),
                ..
            } => pending.push((*id, ops)),
            Step::Batch { frame: None, .. } => {}
            Step::Rotate { .. } | Step::Clear => {
                if let Err(e) = flush(file, &mut pending) {
                    return (durable, Some(e));
                }
                durable = i;
                let done = match step {
                    Step::Rotate { keep } => file.rotate(*keep),
                    _ => file.clear(),
                };
                if let Err(e) = done {
                    return (durable, Some(e));
                }
                durable = i + 1;
            }
        }
    }
    match flush(file, &mut pending) {
        Ok(()) => (steps.len(), None),
        Err(e) => (durable, Some(e)),
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
