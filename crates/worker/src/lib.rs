//! Background work on the installation's clock: one [`Worker`] trait for every job that runs on
//! its own (TTL sweeps, index builds, stream shard housekeeping, triggers, and the control
//! plane's jobs to come), and [`Workers`], which runs them, stops them on shutdown, retries a
//! failed step with backoff, and moves time forward for tests ([`Workers::advance`]).
//!
//! A worker is a state machine stepped by its runner: each [`Worker::step`] does a bounded unit
//! of work as of a time on the clock and says when the next is due ([`Next`]). Due times are on
//! the installation's clock, so when a test moves the clock forward, [`Workers::advance`] runs
//! every step that falls due inside the span, in time order, with the clock set to each step's
//! due time — the effects a day of real time would have had, in the order they would have had
//! them.
//!
//! Invariants:
//! - A step is cancel-safe at its await points: on shutdown the runner drops it. Work that must
//!   survive a restart keeps its state in the store (index builds start over from the catalog,
//!   triggers from their checkpoint).
//! - No step runs while the clock is being moved: [`Workers::advance`] waits for the steps in
//!   flight, then steps the workers itself, one at a time, in due order.
//! - Due times say when something *will* happen; a worker that must notice changes nobody told
//!   it about (a new item with an earlier expiry) says so with [`Worker::poll`]. In real time
//!   that is an interval; during a move such workers are stepped at the start and again after
//!   every step, at that step's time.

mod scheduler;
mod travel;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use clock::Millis;
use tokio::sync::Notify;

pub use scheduler::{Status, Workers};
pub use travel::{AdvanceError, MAX_ADVANCE_MS};

/// What a step returns: a future the runner may drop (on shutdown) at any await point.
pub type StepFuture<'a> = Pin<Box<dyn Future<Output = Result<Next, String>> + Send + 'a>>;

/// When a worker's next step is due.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// More work is waiting: step again right away.
    Now,
    /// Nothing to do before this time on the installation clock.
    At(Millis),
    /// Nothing to do until woken ([`Wake::wake`]) or polled.
    Idle,
    /// The last attempt failed in a way the worker handles itself (a trigger's command); try
    /// again at this time. A clock move does not run retries.
    Retry(Millis),
}

/// A named background job.
pub trait Worker: Send + 'static {
    /// For logs and status ("ttl-sweeper", "trigger:orders").
    fn name(&self) -> String;

    /// Does one bounded unit of work as of `now` (the installation clock, ms) and says when the
    /// next is due. An error is retried with backoff.
    fn step(&mut self, now: Millis) -> StepFuture<'_>;

    /// Real-time interval at which the worker is stepped even when nothing is due, to notice
    /// changes nobody woke it for. `None`: only when due or woken.
    fn poll(&self) -> Option<Duration> {
        None
    }
}

/// Wakes a worker that went idle: new work arrived (a GSI to backfill, a TTL index to build).
/// A wake sent while the worker is stepping is kept and takes effect after the step.
#[derive(Clone, Debug, Default)]
pub struct Wake(Arc<Notify>);

impl Wake {
    pub fn wake(&self) {
        self.0.notify_one();
    }

    async fn woken(&self) {
        self.0.notified().await;
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
