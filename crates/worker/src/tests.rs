use std::sync::{Arc, Mutex};
use std::time::Duration;

use clock::{Millis, HOUR, MINUTE};

use crate::{Next, StepFuture, Wake, Worker, Workers};

type Log = Arc<Mutex<Vec<(String, Millis)>>>;

/// Due every `period` from its first step; records when it ran.
struct Periodic {
    name: &'static str,
    period: Millis,
    log: Log,
}

impl Worker for Periodic {
    fn name(&self) -> String {
        self.name.to_string()
    }

    fn step(&mut self, now: Millis) -> StepFuture<'_> {
        Box::pin(async move {
            self.log.lock().unwrap().push((self.name.to_string(), now));
            Ok(Next::At(now + self.period))
        })
    }
}

/// Writes to the store every hour: work the watching workers must look at.
struct Writer {
    store: store::Store,
}

impl Worker for Writer {
    fn name(&self) -> String {
        "writer".into()
    }

    fn step(&mut self, now: Millis) -> StepFuture<'_> {
        Box::pin(async move {
            self.store
                .write(move |ctx| {
                    ctx.insert("test.writes", &now.to_be_bytes(), b"")?;
                    Ok(())
                })
                .await
                .map_err(|e| e.to_string())?;
            Ok(Next::At(now + HOUR))
        })
    }
}

/// Idle until woken; counts its steps.
struct Idler {
    steps: Arc<Mutex<u32>>,
}

impl Worker for Idler {
    fn name(&self) -> String {
        "idler".into()
    }

    fn step(&mut self, _now: Millis) -> StepFuture<'_> {
        Box::pin(async move {
            *self.steps.lock().unwrap() += 1;
            Ok(Next::Idle)
        })
    }
}

/// Fails every step.
struct Failing;

impl Worker for Failing {
    fn name(&self) -> String {
        "failing".into()
    }

    fn step(&mut self, _now: Millis) -> StepFuture<'_> {
        Box::pin(async { Err("no".to_string()) })
    }
}

async fn settle() {
    tokio::time::sleep(Duration::from_millis(50)).await;
}

#[tokio::test]
async fn advancing_runs_due_steps_in_time_order_at_their_due_times() {
    let store = store::Store::in_memory().unwrap();
    let workers = Workers::new(store.clone());
    let log = Log::default();
    workers.spawn(
        Periodic {
            name: "hourly",
            period: HOUR,
            log: log.clone(),
        },
        Wake::default(),
    );
    workers.spawn(
        Periodic {
            name: "every-25-min",
            period: 25 * MINUTE,
            log: log.clone(),
        },
        Wake::default(),
    );
    settle().await;
    let start = store.clock().now_ms();
    log.lock().unwrap().clear();
    workers.advance(2 * HOUR).await.unwrap();
    let ran = log.lock().unwrap().clone();
    let times: Vec<Millis> = ran.iter().map(|(_, t)| *t).collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted, "steps ran in time order: {ran:?}");
    let hourly = ran.iter().filter(|(n, _)| n == "hourly").count();
    let quarter = ran.iter().filter(|(n, _)| n == "every-25-min").count();
    assert_eq!((hourly, quarter), (2, 4), "{ran:?}");
    // Each step ran at its due time, not at the end of the span.
    let first_hourly = ran.iter().find(|(n, _)| n == "hourly").unwrap().1;
    assert!(first_hourly >= start + HOUR - 1000 && first_hourly < start + HOUR + 5000);
    assert!(store.clock().now_ms() >= start + 2 * HOUR);
    workers.shutdown().await;
}

#[tokio::test]
async fn the_offset_survives_in_the_store() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = store::Store::open_dir(dir.path()).unwrap();
        let workers = Workers::new(store.clone());
        workers.advance(3 * HOUR).await.unwrap();
        workers.shutdown().await;
        store.shutdown();
    }
    let store = store::Store::open_dir(dir.path()).unwrap();
    assert!(store.clock().offset_ms() >= (3 * HOUR - MINUTE) as i64);
    store.shutdown();
}

#[tokio::test]
async fn a_woken_worker_steps_and_shutdown_stops_it() {
    let store = store::Store::in_memory().unwrap();
    let workers = Workers::new(store);
    let steps = Arc::new(Mutex::new(0));
    let wake = Wake::default();
    workers.spawn(
        Idler {
            steps: steps.clone(),
        },
        wake.clone(),
    );
    settle().await;
    assert_eq!(*steps.lock().unwrap(), 1, "the first step is due at once");
    wake.wake();
    settle().await;
    assert_eq!(*steps.lock().unwrap(), 2);
    workers.shutdown().await;
    wake.wake();
    settle().await;
    assert_eq!(*steps.lock().unwrap(), 2, "no step after shutdown");
}

#[tokio::test]
async fn a_failing_worker_backs_off_and_does_not_hold_up_a_move() {
    let store = store::Store::in_memory().unwrap();
    let workers = Workers::new(store);
    workers.spawn(Failing, Wake::default());
    settle().await;
    workers.advance(30 * 24 * HOUR).await.unwrap();
    let status = workers.statuses().pop().unwrap();
    assert!(status.failures >= 1 && status.failures < 10, "{status:?}");
    assert_eq!(status.last_error.as_deref(), Some("no"));
    workers.shutdown().await;
}

/// Due far away, but watching (a poll): like the TTL sweeper after a new, earlier expiry.
struct Watcher {
    steps: Arc<Mutex<Vec<Millis>>>,
    retry: bool,
}

impl Worker for Watcher {
    fn name(&self) -> String {
        "watcher".into()
    }

    fn step(&mut self, now: Millis) -> StepFuture<'_> {
        Box::pin(async move {
            self.steps.lock().unwrap().push(now);
            Ok(if self.retry {
                Next::Retry(now + 1000)
            } else {
                Next::At(now + 10 * 24 * HOUR)
            })
        })
    }

    fn poll(&self) -> Option<Duration> {
        Some(Duration::from_secs(5))
    }
}

#[tokio::test]
async fn a_move_looks_at_the_present_through_watching_workers_and_skips_retries() {
    let store = store::Store::in_memory().unwrap();
    let workers = Workers::new(store.clone());
    let watched = Arc::new(Mutex::new(Vec::new()));
    let retried = Arc::new(Mutex::new(Vec::new()));
    workers.spawn(
        Watcher {
            steps: watched.clone(),
            retry: false,
        },
        Wake::default(),
    );
    workers.spawn(
        Watcher {
            steps: retried.clone(),
            retry: true,
        },
        Wake::default(),
    );
    let log = Log::default();
    workers.spawn(
        Periodic {
            name: "quiet",
            period: 10 * 60_000,
            log: log.clone(),
        },
        Wake::default(),
    );
    workers.spawn(Writer { store }, Wake::default());
    settle().await;
    let w = watched.lock().unwrap().len();
    let start = workers.clock().now_ms();
    workers.advance(3 * HOUR).await.unwrap();
    let end = workers.clock().now_ms();
    // Stepped at the start and after each of the three hourly steps that wrote, though not due
    // for days; not after the quiet worker's eighteen steps, which wrote nothing.
    let looked = watched.lock().unwrap().len() - w;
    assert!((4..=8).contains(&looked), "{:?}", watched.lock().unwrap());
    // A worker retrying a failure is left to its backoff in real time, never run in the move.
    let inside = |t: &Millis| *t > start + 1000 && *t < end - 1000;
    assert!(
        !retried.lock().unwrap().iter().any(inside),
        "{:?}",
        retried.lock().unwrap()
    );
    workers.shutdown().await;
}
