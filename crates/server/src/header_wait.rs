//! The header timeout: a connection that waits longer than `--header-timeout-seconds` for a
//! request's headers (a client trickling them in, or an idle keep-alive connection) is closed.

use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

/// Since when a connection has waited for a request's headers. hyper's own header timeout
/// starts, registers and cancels a timer for every request (0.8 µs of a GetItem's 24 in the
/// profile, docs/performance.md); this costs two atomic stores a request and one check a
/// second a connection, for a timeout kept to within a second.
pub(crate) struct Waiting {
    base: Instant,
    /// Milliseconds since `base` when the wait began; `SERVING` while a request is served.
    since_ms: AtomicU64,
}

const SERVING: u64 = u64::MAX;

impl Waiting {
    pub(crate) fn new() -> Waiting {
        Waiting {
            base: Instant::now(),
            since_ms: AtomicU64::new(0),
        }
    }

    /// A request's headers arrived: no wait until it is answered.
    pub(crate) fn served(&self) {
        self.since_ms.store(SERVING, Relaxed);
    }

    /// A request was answered: the wait for the next one's headers begins.
    pub(crate) fn started(&self) {
        let now = self.base.elapsed().as_millis() as u64;
        self.since_ms.store(now, Relaxed);
    }

    /// Resolves once the connection has waited `timeout` for headers.
    pub(crate) async fn expired(&self, timeout: Duration) {
        let tick = (timeout / 4).clamp(Duration::from_millis(10), Duration::from_secs(1));
        let mut ticks = tokio::time::interval(tick);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let since = self.since_ms.load(Relaxed);
            let now = self.base.elapsed().as_millis() as u64;
            if since != SERVING && now.saturating_sub(since) >= timeout.as_millis() as u64 {
                return;
            }
        }
    }
}
