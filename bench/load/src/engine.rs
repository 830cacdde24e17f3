//! The load loop: N connections, each sending requests back to back until a deadline or a
//! request budget is reached, recording latency and errors.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::client::{Conn, Signer, Target};
use crate::hist::Histogram;

/// When a run ends.
#[derive(Clone, Copy, Debug)]
pub enum Stop {
    After(Duration),
    Requests(u64),
}

/// What a generator gets to build one request.
pub struct Ctx<'a> {
    /// Dense over the run across all connections: 0, 1, 2, … (unique per request).
    pub seq: u64,
    pub rng: &'a mut Rng,
}

/// Builds the next request: the operation name and its JSON body.
pub type Generator = Arc<dyn Fn(&mut Ctx<'_>) -> (&'static str, Bytes) + Send + Sync>;

/// The outcome of a run.
pub struct RunResult {
    /// Latencies of the successful (HTTP 200) requests.
    pub hist: Histogram,
    pub ok: u64,
    /// Failed requests by "STATUS Code" (e.g. `400 ValidationException`) or transport error.
    pub errors: BTreeMap<String, u64>,
    pub elapsed: Duration,
    pub connections: usize,
}

impl RunResult {
    pub fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }

    pub fn ops_per_sec(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.ok as f64 / secs
        } else {
            0.0
        }
    }

    pub fn merge(&mut self, other: &RunResult) {
        self.hist.merge(&other.hist);
        self.ok += other.ok;
        for (k, v) in &other.errors {
            *self.errors.entry(k.clone()).or_default() += v;
        }
        self.elapsed += other.elapsed;
        self.connections = self.connections.max(other.connections);
    }

    pub fn empty() -> RunResult {
        RunResult {
            hist: Histogram::new(),
            ok: 0,
            errors: BTreeMap::new(),
            elapsed: Duration::ZERO,
            connections: 0,
        }
    }
}

/// A small fast PRNG (xorshift64*), one per connection.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }
}

/// A request that gets no answer within this long counts as a `timeout` error and its
/// connection is replaced; it keeps every loop bounded even against a stuck server.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

pub async fn run(
    target: &Target,
    signer: &Signer,
    connections: usize,
    stop: Stop,
    generator: Generator,
) -> RunResult {
    let connections = connections.max(1);
    let counter = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let deadline = match stop {
        Stop::After(d) => Some(start + d),
        Stop::Requests(_) => None,
    };
    let budget = match stop {
        Stop::After(_) => u64::MAX,
        Stop::Requests(n) => n,
    };
    let mut tasks = Vec::with_capacity(connections);
    for conn_index in 0..connections {
        let target = target.clone();
        let signer = signer.clone();
        let counter = Arc::clone(&counter);
        let generator = Arc::clone(&generator);
        tasks.push(tokio::spawn(async move {
            let mut hist = Histogram::new();
            let mut ok = 0u64;
            let mut errors: BTreeMap<String, u64> = BTreeMap::new();
            let mut rng = Rng::new(conn_index as u64 + 1 + start.elapsed().subsec_nanos() as u64);
            let mut conn: Option<Conn> = None;
            loop {
                if deadline.is_some_and(|d| Instant::now() >= d) {
                    break;
                }
                let seq = counter.fetch_add(1, Ordering::Relaxed);
                if seq >= budget {
                    break;
                }
                let c = match conn.as_mut() {
                    Some(c) => c,
                    None => match Conn::connect(&target).await {
                        Ok(c) => conn.insert(c),
                        Err(e) => {
                            *errors
                                .entry(format!("transport: connect: {}", e.kind()))
                                .or_default() += 1;
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            continue;
                        }
                    },
                };
                let (op, body) = generator(&mut Ctx { seq, rng: &mut rng });
                let sent = Instant::now();
                match tokio::time::timeout(REQUEST_TIMEOUT, c.call(&target, &signer, op, body))
                    .await
                {
                    Ok(Ok(reply)) => match reply.error_key() {
                        None => {
                            hist.record(sent.elapsed().as_nanos() as u64);
                            ok += 1;
                        }
                        Some(key) => *errors.entry(key).or_default() += 1,
                    },
                    Ok(Err(e)) => {
                        *errors.entry(e).or_default() += 1;
                        conn = None;
                    }
                    Err(_) => {
                        *errors.entry("timeout".to_string()).or_default() += 1;
                        conn = None;
                    }
                }
            }
            (hist, ok, errors)
        }));
    }
    let mut result = RunResult::empty();
    result.connections = connections;
    for task in tasks {
        match task.await {
            Ok((hist, ok, errors)) => {
                result.hist.merge(&hist);
                result.ok += ok;
                for (k, v) in errors {
                    *result.errors.entry(k).or_default() += v;
                }
            }
            Err(e) => {
                *result
                    .errors
                    .entry(format!("task failed: {e}"))
                    .or_default() += 1
            }
        }
    }
    result.elapsed = start.elapsed();
    result
}
