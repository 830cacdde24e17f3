//! Moving the installation's clock forward (`--test-clock`): every step that falls due inside
//! the span runs, in time order, at its due time, before the move is answered.

use std::collections::HashSet;
use std::fmt;

use clock::{Millis, DAY};

use crate::scheduler::{failed, step};
use crate::{Next, Workers};

/// The longest single move AWS-style tests need: 400 days.
pub const MAX_ADVANCE_MS: Millis = 400 * DAY;

/// Steps one move may take before it gives up: a guard against a worker that is always due.
const MAX_STEPS: usize = 200_000;

#[derive(Debug)]
pub enum AdvanceError {
    /// The clock could not be saved; it moved in memory but a restart would go back.
    Store(store::StoreError),
    /// The workers kept being due; the clock stopped at the last step.
    TooManySteps,
    /// The server stopped during the move.
    Stopped(String),
}

impl fmt::Display for AdvanceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AdvanceError::Store(e) => write!(f, "cannot save the clock: {e}"),
            AdvanceError::TooManySteps => {
                write!(f, "background workers took more than {MAX_STEPS} steps")
            }
            AdvanceError::Stopped(why) => write!(f, "the move was cut short: {why}"),
        }
    }
}

impl Workers {
    /// Moves the clock forward by `by_ms`, running every worker step due inside the span at its
    /// due time, in time order, and returns once they have all finished and the new offset is
    /// durable. Concurrent moves run one after the other. The move runs on its own task, so a
    /// caller that gives up (a client that disconnects) cannot leave it half done.
    pub async fn advance(&self, by_ms: Millis) -> Result<(), AdvanceError> {
        let workers = self.clone();
        match tokio::spawn(async move { workers.advance_here(by_ms).await }).await {
            Ok(result) => result,
            Err(e) => Err(AdvanceError::Stopped(e.to_string())),
        }
    }

    async fn advance_here(&self, by_ms: Millis) -> Result<(), AdvanceError> {
        let shared = &self.shared;
        let clock = shared.store.clock().clone();
        let stop = shared.stop.subscribe();
        let _travel = shared.travel.write().await;
        let target = clock.now_ms().saturating_add(by_ms);
        // The end of the move is durable before any step runs at a later time: a crash midway
        // restarts at the end (the steps not run then run late, as after any stop), never
        // before a time some record already carries.
        shared
            .store
            .save_clock_at_least(clock::Clock::offset_for(target))
            .await
            .map_err(AdvanceError::Store)?;
        let slots = self.slots();
        let mut steps = 0usize;
        // Workers that fail during the move are not retried within it: their backoff would
        // make them due again and again across a long span.
        let mut failing: HashSet<usize> = HashSet::new();
        // What the store looked like when the watching workers last looked: a step that wrote
        // nothing made no work for them, and they need not look again.
        let mut seen_version: Option<u64> = None;
        let result = loop {
            if *stop.borrow() {
                break Err(AdvanceError::Stopped("the server is stopping".into()));
            }
            // Every worker that watches for work nobody announces (new records for a trigger,
            // an earlier expiry for the sweeper) looks at the present, then says truly when it
            // is next due: at the start, and after each step that wrote, which may have made
            // such work.
            let changed = seen_version != Some(shared.store.version());
            let mut present = Vec::new();
            for (i, slot) in slots.iter().enumerate() {
                let st = slot.state.lock().await;
                let polls = st.worker.poll().is_some();
                let retrying = matches!(st.next, Next::Retry(_));
                // At the start, every worker not already waiting for a later time (woken,
                // idle, due); after a step, those that watch for work.
                let waiting = matches!(st.next, Next::At(at) if at > clock.now_ms());
                let first = steps == 0 && !waiting;
                if !failing.contains(&i)
                    && !retrying
                    && ((polls && changed) || first || st.next == Next::Now)
                {
                    present.push(i);
                }
            }
            for i in present {
                let slot = &slots[i];
                let mut st = slot.state.lock().await;
                loop {
                    if steps >= MAX_STEPS {
                        break;
                    }
                    step(slot, &mut st, clock.now_ms()).await;
                    steps += 1;
                    if failed(&st) {
                        failing.insert(i);
                    }
                    if st.next != Next::Now || failing.contains(&i) {
                        break;
                    }
                }
            }
            seen_version = Some(shared.store.version());
            if steps >= MAX_STEPS {
                break Err(AdvanceError::TooManySteps);
            }
            let mut earliest: Option<(Millis, usize)> = None;
            for (i, slot) in slots.iter().enumerate() {
                if failing.contains(&i) {
                    continue;
                }
                let due = match slot.state.lock().await.next {
                    Next::Now => clock.now_ms(),
                    Next::At(at) => at,
                    // A retry is not a step the span owes.
                    Next::Idle | Next::Retry(_) => continue,
                };
                if due <= target && earliest.is_none_or(|(e, _)| due < e) {
                    earliest = Some((due, i));
                }
            }
            let Some((due, i)) = earliest else {
                break Ok(());
            };
            clock.advance_to(due);
            let slot = &slots[i];
            let mut st = slot.state.lock().await;
            step(slot, &mut st, clock.now_ms()).await;
            steps += 1;
            if failed(&st) {
                failing.insert(i);
            }
        };
        if result.is_ok() {
            clock.advance_to(target);
        }
        let saved = shared.store.save_clock().await.map_err(AdvanceError::Store);
        // Sleeping runners recompute their waits on the moved clock.
        shared.moved.send_modify(|n| *n = n.wrapping_add(1));
        result.and(saved)
    }
}
