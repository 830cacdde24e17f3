//! Pacing writes to the fold. While the fold thread writes the frozen generation into redb,
//! writes go on into the active one, up to a bound where they must wait for the fold (memory
//! stays bounded). Waiting there stops every write for the rest of a fold, hundreds of
//! milliseconds when writes outrun it: the tail of a batch-write load. Instead, each batch is
//! held back just enough that, at the pace the fold is going, the active generation reaches the
//! bound no sooner than the fold ends. Writes then slow down a little all along, and the time
//! they leave is the CPU the fold, at its low priority, needs to finish.
//!
//! The fold's pace comes from its progress (bytes written into redb so far, which the fold
//! thread publishes) and, for its durable commit, which has no progress to report, from how
//! long the last fold's commit took per byte.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Longest a batch is held back: a bound on the latency pacing adds to one write.
const MAX_DELAY: Duration = Duration::from_millis(20);

/// Progress below this is too little to tell the fold's pace from.
const MIN_PROGRESS: u64 = 1024 * 1024;

/// What the fold thread publishes about the generation it is folding.
#[derive(Default)]
pub(crate) struct Progress {
    /// Bytes of the generation written into the database so far.
    written: AtomicU64,
    /// Microseconds from the fold's start to the end of its writing, then of its commit
    /// (0 until then).
    wrote_us: AtomicU64,
    committed_us: AtomicU64,
}

impl Progress {
    pub(crate) fn wrote(&self, bytes: u64) {
        self.written.fetch_add(bytes, Ordering::Relaxed);
    }

    pub(crate) fn writing_done(&self, started: Instant) {
        self.wrote_us
            .store(micros(started.elapsed()), Ordering::Relaxed);
    }

    pub(crate) fn commit_done(&self, started: Instant) {
        self.committed_us
            .store(micros(started.elapsed()), Ordering::Relaxed);
    }

    fn reset(&self) {
        self.written.store(0, Ordering::Relaxed);
        self.wrote_us.store(0, Ordering::Relaxed);
        self.committed_us.store(0, Ordering::Relaxed);
    }
}

/// `s` seconds, if that is a duration (not negative, not absurdly long).
fn secs(s: f64) -> Option<Duration> {
    Duration::try_from_secs_f64(s).ok()
}

/// At least 1: 0 stands for "not yet".
fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX).max(1)
}

/// The writer's side: the fold under way and what the last one cost.
pub(crate) struct Pacer {
    progress: Arc<Progress>,
    started: Instant,
    bytes: u64,
    /// Seconds per byte of the last fold's writing and of its commit.
    write_per_byte: Option<f64>,
    commit_per_byte: Option<f64>,
}

impl Pacer {
    pub(crate) fn new(progress: Arc<Progress>) -> Pacer {
        Pacer {
            progress,
            started: Instant::now(),
            bytes: 0,
            write_per_byte: None,
            commit_per_byte: None,
        }
    }

    /// A fold of `bytes` starts (before the fold thread hears of it).
    pub(crate) fn fold_started(&mut self, bytes: u64) {
        self.progress.reset();
        self.started = Instant::now();
        self.bytes = bytes;
    }

    /// The size of the generation being folded (or last folded).
    pub(crate) fn folding_bytes(&self) -> u64 {
        self.bytes
    }

    /// The fold has ended: its figures pace the next one. Folds smaller than `sample` (a pause
    /// in writes freezes whatever there is) are mostly their commit's fixed cost, and are not
    /// learnt from.
    pub(crate) fn fold_finished(&mut self, sample: u64) {
        let p = &self.progress;
        let (wrote, committed) = (
            p.wrote_us.load(Ordering::Relaxed),
            p.committed_us.load(Ordering::Relaxed),
        );
        if self.bytes >= sample && wrote > 0 && committed >= wrote {
            let bytes = self.bytes as f64;
            self.write_per_byte = Some(wrote as f64 / 1e6 / bytes);
            self.commit_per_byte = Some((committed - wrote) as f64 / 1e6 / bytes);
        }
    }

    /// How long to hold back the batch after one that started at `batch_started` and wrote
    /// `batch_bytes`, with `room` bytes left before the active generation's bound.
    pub(crate) fn delay(&self, batch_started: Instant, batch_bytes: u64, room: u64) -> Duration {
        let Some(remaining) = self.remaining() else {
            return Duration::ZERO;
        };
        // Writes may take the room at no more than room / remaining bytes per second.
        let Some(due) = secs(remaining.as_secs_f64() * batch_bytes as f64 / room.max(1) as f64)
        else {
            return MAX_DELAY;
        };
        due.saturating_sub(batch_started.elapsed()).min(MAX_DELAY)
    }

    /// How long the fold under way has left, if anything is known of its pace.
    fn remaining(&self) -> Option<Duration> {
        let commit = secs(self.commit_per_byte? * self.bytes as f64)?;
        let elapsed = self.started.elapsed();
        let wrote_us = self.progress.wrote_us.load(Ordering::Relaxed);
        if wrote_us > 0 {
            // Committing: an overrun is taken to be a quarter of the estimate from its end.
            let committing = elapsed.saturating_sub(Duration::from_micros(wrote_us));
            return Some(commit.saturating_sub(committing).max(commit / 4));
        }
        let written = self.progress.written.load(Ordering::Relaxed);
        let left = self.bytes.saturating_sub(written) as f64;
        let writing = if written >= MIN_PROGRESS {
            secs(elapsed.as_secs_f64() * left / written as f64)?
        } else {
            secs(self.write_per_byte? * self.bytes as f64)?.saturating_sub(elapsed)
        };
        writing.checked_add(commit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1024 * 1024;

    /// A pacer that has learnt from a 16 MiB fold that wrote in 160 ms and committed in 40 ms,
    /// and is folding another 16 MiB.
    fn folding() -> (Pacer, Arc<Progress>) {
        let progress = Arc::new(Progress::default());
        let mut pacer = Pacer::new(progress.clone());
        pacer.fold_started(16 * MIB);
        progress.wrote_us.store(160_000, Ordering::Relaxed);
        progress.committed_us.store(200_000, Ordering::Relaxed);
        pacer.fold_finished(4 * MIB);
        pacer.fold_started(16 * MIB);
        (pacer, progress)
    }

    #[test]
    fn nothing_is_held_back_before_a_fold_has_taught_the_pace() {
        let pacer = Pacer::new(Arc::new(Progress::default()));
        assert_eq!(pacer.delay(Instant::now(), MIB, MIB), Duration::ZERO);
    }

    #[test]
    fn small_folds_teach_nothing() {
        let progress = Arc::new(Progress::default());
        let mut pacer = Pacer::new(progress.clone());
        pacer.fold_started(MIB);
        progress.wrote_us.store(50_000, Ordering::Relaxed);
        progress.committed_us.store(90_000, Ordering::Relaxed);
        pacer.fold_finished(4 * MIB);
        pacer.fold_started(16 * MIB);
        assert_eq!(pacer.delay(Instant::now(), MIB, MIB), Duration::ZERO);
    }

    #[test]
    fn a_batch_takes_its_share_of_the_time_the_fold_has_left() {
        let (pacer, _) = folding();
        // ~200 ms left, 16 MiB of room: a 1 MiB batch may take 1/16 of it, capped at 20 ms.
        let delay = pacer.delay(Instant::now(), MIB, 16 * MIB);
        assert!(delay > Duration::from_millis(10), "{delay:?}");
        assert!(delay <= MAX_DELAY, "{delay:?}");
        // Ten times the room: a tenth of the delay.
        let roomy = pacer.delay(Instant::now(), MIB, 160 * MIB);
        assert!(roomy < delay / 5, "{roomy:?} against {delay:?}");
        // A batch that already took longer than its share is not held back.
        let slow = Instant::now() - Duration::from_millis(50);
        assert_eq!(pacer.delay(slow, MIB, 160 * MIB), Duration::ZERO);
    }

    #[test]
    fn the_fold_s_progress_shortens_the_wait() {
        let (pacer, progress) = folding();
        let before = pacer.delay(Instant::now(), 64 * 1024, 16 * MIB);
        progress.wrote(15 * MIB);
        let after = pacer.delay(Instant::now(), 64 * 1024, 16 * MIB);
        assert!(after < before, "{after:?} against {before:?}");
        // Its commit under way: what remains is the commit's estimate (40 ms) at most.
        progress.writing_done(Instant::now());
        let committing = pacer.remaining().unwrap_or_default();
        assert!(committing <= Duration::from_millis(40), "{committing:?}");
        assert!(committing >= Duration::from_millis(10), "{committing:?}");
    }
}
