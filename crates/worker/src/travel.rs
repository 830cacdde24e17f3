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
}

impl fmt::Display for AdvanceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AdvanceError::Store(e) => write!(f, "cannot save the clock: {e}"),
            AdvanceError::TooManySteps => {
                write!(f, "background workers took more than {MAX_STEPS} steps")
            }
        }
    }
}

impl Workers {
    /// Moves the clock forward by `by_ms`, running every worker step due inside the span at its
    /// due time, in time order, and returns once they have all finished and the new offset is
    /// durable. Concurrent moves run one after the other.
    pub async fn advance(&self, by_ms: Millis) -> Result<(), AdvanceError> {
        let shared = &self.shared;
        let clock = shared.store.clock().clone();
        let (target, result) = {
            let _travel = shared.travel.write().await;
            let target = clock.now_ms().saturating_add(by_ms);
            let slots = self.slots();
            let mut steps = 0usize;
            // Failed workers are not retried within one move: their backoff would make them
            // due again and again across a long span.
            let mut failing: HashSet<usize> = HashSet::new();
            // First every worker looks at the present: work that arrived between polls is done
            // now, and each says truly when it is next due.
            for (i, slot) in slots.iter().enumerate() {
                let mut st = slot.state.lock().await;
                if !matches!(st.next, Next::At(at) if at > clock.now_ms()) {
                    step(slot, &mut st, clock.now_ms()).await;
                    steps += 1;
                }
                if failed(&st) {
                    failing.insert(i);
                }
            }
            loop {
                let mut earliest: Option<(Millis, usize)> = None;
                for (i, slot) in slots.iter().enumerate() {
                    if failing.contains(&i) {
                        continue;
                    }
                    let due = match slot.state.lock().await.next {
                        Next::Now => clock.now_ms(),
                        Next::At(at) => at,
                        Next::Idle => continue,
                    };
                    if due <= target && earliest.is_none_or(|(e, _)| due < e) {
                        earliest = Some((due, i));
                    }
                }
                let Some((due, i)) = earliest else {
                    break (target, Ok(()));
                };
                if steps >= MAX_STEPS {
                    break (target, Err(AdvanceError::TooManySteps));
                }
                clock.advance_to(due);
                let slot = &slots[i];
                let mut st = slot.state.lock().await;
                step(slot, &mut st, clock.now_ms()).await;
                steps += 1;
                if failed(&st) {
                    failing.insert(i);
                }
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
