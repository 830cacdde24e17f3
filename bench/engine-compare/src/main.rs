//! A small measured comparison of embedded key-value engines for Dynostack's
//! storage adapter (crates/store), run with `cargo run --release`.
//!
//! Engines: redb 4 (what crates/store uses) and fjall 3 (an LSM tree).
//! RocksDB is left out on purpose: its C++ build is too heavy for the 2-core
//! machines this project builds on.
//!
//! Every figure comes from the same process, on the same temp dir, with the
//! two engines interleaved phase by phase (and each phase split into rounds
//! that alternate engines), so that drift on a shared, noisy machine hits both
//! engines alike. Read the ratios to redb rather than the absolute numbers.

use std::error::Error;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

type Res<T> = Result<T, Box<dyn Error>>;

const VALUE_LEN: usize = 1024;
/// Phase 1: transactions of one put each, each durable before the next.
const SINGLE_WRITES: u64 = 2_000;
/// Phase 2: puts, grouped `GROUP_SIZE` to a durable commit.
const GROUP_WRITES: u64 = 20_000;
const GROUP_SIZE: u64 = 32;
/// Phases 3-5 work on a fresh database holding this many keys.
const LOADED_KEYS: u64 = 100_000;
/// Puts per durable commit while loading that database (timed, reported as an extra).
const LOAD_BATCH: u64 = 1_000;
const POINT_READS: u64 = 100_000;
const SCANS: u64 = 10_000;
const SCAN_LEN: u64 = 100;
/// Same block/page cache budget for both engines: redb's default (1 GiB), which
/// crates/store keeps. fjall's default would be 32 MiB.
const CACHE_BYTES: u64 = 1 << 30;
/// Each phase is split into this many rounds, alternating engines.
const ROUNDS: u64 = 4;
const SEED: u64 = 0x0D15_EA5E_5EED_2024;

// ---------------------------------------------------------------------------
// Deterministic data

/// SplitMix64: tiny, fixed-seed PRNG (no dependency, same sequence every run).
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

/// Keys are big-endian u64 counters, so byte order equals numeric order.
fn key(i: u64) -> [u8; 8] {
    i.to_be_bytes()
}

/// 1 KiB value derived from the key: distinct per key and incompressible, so an
/// engine's block compression (fjall: LZ4) gains nothing it would not gain on
/// real, already-dense item bytes. The first 8 bytes are checked on read.
fn fill_value(i: u64, buf: &mut [u8; VALUE_LEN]) {
    let mut rng = SplitMix64(i ^ 0xA5A5_A5A5_A5A5_A5A5);
    for chunk in buf.chunks_exact_mut(8) {
        chunk.copy_from_slice(&rng.next_u64().to_le_bytes());
    }
}

fn value_head(i: u64) -> [u8; 8] {
    SplitMix64(i ^ 0xA5A5_A5A5_A5A5_A5A5).next_u64().to_le_bytes()
}

fn check_value(i: u64, v: &[u8]) -> Res<()> {
    if v.len() != VALUE_LEN || v[..8] != value_head(i) {
        return Err(format!("wrong value for key {i}").into());
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Engines

trait Engine: Sized {
    const NAME: &'static str;
    fn open(dir: &Path) -> Res<Self>;
    /// One atomic write of all `keys`; durable (fsync'd) when this returns.
    fn commit_durable(&mut self, keys: Range<u64>, buf: &mut [u8; VALUE_LEN]) -> Res<()>;
    /// Point read; checks the value.
    fn get(&self, k: u64) -> Res<()>;
    /// Reads keys `start..start + n` in order; checks keys and values.
    fn scan(&self, start: u64, n: u64) -> Res<()>;
    /// Brings the store to its steady on-disk shape before reads (see impls).
    fn settle(&mut self) -> Res<String>;
    fn close(self) -> Res<()>;
}

const REDB_TABLE: redb::TableDefinition<&[u8], &[u8]> = redb::TableDefinition::new("bench");

/// redb the way crates/store uses it: one `&[u8] -> &[u8]` table, default
/// builder (1 GiB cache), `Durability::Immediate` commits, one read
/// transaction per request.
struct Redb {
    db: redb::Database,
}

impl Engine for Redb {
    const NAME: &'static str = "redb 4";

    fn open(dir: &Path) -> Res<Self> {
        std::fs::create_dir_all(dir)?;
        let db = redb::Database::builder()
            .set_cache_size(CACHE_BYTES as usize)
            .create(dir.join("data.redb"))?;
        let tx = db.begin_write()?;
        tx.open_table(REDB_TABLE)?;
        tx.commit()?;
        Ok(Self { db })
    }

    fn commit_durable(&mut self, keys: Range<u64>, buf: &mut [u8; VALUE_LEN]) -> Res<()> {
        let mut tx = self.db.begin_write()?;
        tx.set_durability(redb::Durability::Immediate)?;
        {
            let mut t = tx.open_table(REDB_TABLE)?;
            for i in keys {
                fill_value(i, buf);
                t.insert(&key(i)[..], &buf[..])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn get(&self, k: u64) -> Res<()> {
        use redb::ReadableDatabase;
        let tx = self.db.begin_read()?;
        let t = tx.open_table(REDB_TABLE)?;
        let v = t.get(&key(k)[..])?.ok_or("missing key")?;
        check_value(k, v.value())
    }

    fn scan(&self, start: u64, n: u64) -> Res<()> {
        use redb::ReadableDatabase;
        let tx = self.db.begin_read()?;
        let t = tx.open_table(REDB_TABLE)?;
        let (lo, hi) = (key(start), key(start + n));
        let mut i = start;
        for item in t.range::<&[u8]>(&lo[..]..&hi[..])? {
            let (k, v) = item?;
            if k.value() != key(i) {
                return Err("scan out of order".into());
            }
            check_value(i, v.value())?;
            i += 1;
        }
        if i != start + n {
            return Err("short scan".into());
        }
        Ok(())
    }

    fn settle(&mut self) -> Res<String> {
        Ok("nothing to do (B-tree pages are in place after commit)".into())
    }

    fn close(self) -> Res<()> {
        drop(self.db);
        Ok(())
    }
}

/// fjall with defaults except the cache (same 1 GiB budget as redb). Its
/// equivalent of a durable commit: a write batch whose journal is persisted
/// with `PersistMode::SyncAll` (fsync) before `commit` returns.
struct Fjall {
    db: fjall::Database,
    ks: fjall::Keyspace,
}

impl Engine for Fjall {
    const NAME: &'static str = "fjall 3";

    fn open(dir: &Path) -> Res<Self> {
        let db = fjall::Database::builder(dir).cache_size(CACHE_BYTES).open()?;
        let ks = db.keyspace("bench", fjall::KeyspaceCreateOptions::default)?;
        Ok(Self { db, ks })
    }

    fn commit_durable(&mut self, keys: Range<u64>, buf: &mut [u8; VALUE_LEN]) -> Res<()> {
        let mut batch = self
            .db
            .batch()
            .durability(Some(fjall::PersistMode::SyncAll));
        for i in keys {
            fill_value(i, buf);
            batch.insert(&self.ks, &key(i)[..], &buf[..]);
        }
        batch.commit()?;
        Ok(())
    }

    fn get(&self, k: u64) -> Res<()> {
        let v = self.ks.get(key(k))?.ok_or("missing key")?;
        check_value(k, &v)
    }

    fn scan(&self, start: u64, n: u64) -> Res<()> {
        let (lo, hi) = (key(start), key(start + n));
        let mut i = start;
        for g in self.ks.range(lo..hi) {
            let (k, v) = g.into_inner()?;
            if *k != key(i) {
                return Err("scan out of order".into());
            }
            check_value(i, &v)?;
            i += 1;
        }
        if i != start + n {
            return Err("short scan".into());
        }
        Ok(())
    }

    /// Flush the memtable (default 64 MiB) to SSTables so reads hit the on-disk
    /// tree through the block cache, as in a store that has run a while,
    /// instead of mostly the in-memory memtable.
    fn settle(&mut self) -> Res<String> {
        self.ks.rotate_memtable_and_wait()?;
        Ok(format!(
            "memtable flushed: {} SSTables ({} in L0), journals {}",
            self.ks.table_count(),
            self.ks.l0_table_count(),
            self.db.journal_count()
        ))
    }

    fn close(self) -> Res<()> {
        // Dropping the last handle persists the journal and joins the workers.
        drop(self.ks);
        drop(self.db);
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Phases: each returns the time spent on its share of work.

fn timed(f: impl FnOnce() -> Res<()>) -> Res<Duration> {
    let t = Instant::now();
    f()?;
    Ok(t.elapsed())
}

/// `keys` are written `per_commit` at a time, each commit durable.
/// Per-commit latencies are pushed to `lat`.
fn write_phase<E: Engine>(
    e: &mut E,
    keys: Range<u64>,
    per_commit: u64,
    lat: &mut Vec<Duration>,
) -> Res<Duration> {
    let mut buf = [0u8; VALUE_LEN];
    let mut total = Duration::ZERO;
    let mut i = keys.start;
    while i < keys.end {
        let end = (i + per_commit).min(keys.end);
        let t = Instant::now();
        e.commit_durable(i..end, &mut buf)?;
        let d = t.elapsed();
        lat.push(d);
        total += d;
        i = end;
    }
    Ok(total)
}

// ---------------------------------------------------------------------------
// Driver

#[derive(Default, Clone)]
struct Figures {
    single: Duration,
    single_lat: Vec<Duration>,
    group: Duration,
    load: Duration,
    reads: Duration,
    scans: Duration,
    disk_alloc: u64,
    disk_apparent: u64,
    notes: Vec<String>,
}

/// Splits `0..n` into `ROUNDS` contiguous ranges.
fn rounds(base: u64, n: u64) -> Vec<Range<u64>> {
    (0..ROUNDS)
        .map(|r| base + n * r / ROUNDS..base + n * (r + 1) / ROUNDS)
        .collect()
}

/// Bytes on disk under `dir`: (allocated blocks, apparent file lengths).
fn dir_size(dir: &Path) -> Res<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    let (mut alloc, mut apparent) = (0, 0);
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let md = entry.metadata()?;
        if md.is_dir() {
            let (a, b) = dir_size(&entry.path())?;
            alloc += a;
            apparent += b;
        } else {
            alloc += md.blocks() * 512;
            apparent += md.len();
        }
    }
    Ok((alloc, apparent))
}

fn per_sec(n: u64, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

fn mib(b: u64) -> f64 {
    b as f64 / (1024.0 * 1024.0)
}

fn pct(lat: &[Duration], p: f64) -> f64 {
    let mut v: Vec<Duration> = lat.to_vec();
    v.sort();
    if v.is_empty() {
        return 0.0;
    }
    let idx = ((v.len() - 1) as f64 * p).round() as usize;
    v[idx].as_secs_f64() * 1e3
}

/// Runs `f` for each round, alternating engines (redb first in even rounds,
/// fjall first in odd ones), and adds each engine's time to its total.
fn alternate(
    work: &[Range<u64>],
    r: &mut Redb,
    f: &mut Fjall,
    mut on_r: impl FnMut(&mut Redb, Range<u64>) -> Res<Duration>,
    mut on_f: impl FnMut(&mut Fjall, Range<u64>) -> Res<Duration>,
) -> Res<(Duration, Duration)> {
    let (mut tr, mut tf) = (Duration::ZERO, Duration::ZERO);
    for (n, w) in work.iter().enumerate() {
        if n % 2 == 0 {
            tr += on_r(r, w.clone())?;
            tf += on_f(f, w.clone())?;
        } else {
            tf += on_f(f, w.clone())?;
            tr += on_r(r, w.clone())?;
        }
    }
    Ok((tr, tf))
}

fn utc_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    // Civil-from-days (H. Hinnant), proleptic Gregorian, UTC.
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        rem / 3600,
        (rem % 3600) / 60
    )
}

fn machine() -> String {
    let cores = std::thread::available_parallelism()
        .map(usize::from)
        .unwrap_or(0);
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "unknown".into());
    format!("{cores} cores, {cpu}, Linux {kernel}")
}

fn main() -> Res<()> {
    let total = Instant::now();
    // BENCH_DIR picks the filesystem to measure (default: the system temp dir).
    let parent: PathBuf = std::env::var_os("BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let tmp = tempfile::Builder::new()
        .prefix("engine-compare-")
        .tempdir_in(&parent)?;
    let dir = tmp.path();

    println!("# Embedded engine comparison (Dynostack storage adapter)\n");
    println!("- date: {}", utc_now());
    println!("- machine: {}", machine());
    println!("- data dir: {} (temp, removed at exit)", dir.display());
    println!("- engines: redb 4 (in use), fjall 3 (LSM). RocksDB excluded on purpose: its C++ build is too heavy for this 2-core machine.");
    println!("- values: 1 KiB, incompressible, distinct per key; keys: big-endian u64 counters; cache: 1 GiB for both");
    println!("- durable commit: redb `Durability::Immediate` (fdatasync), fjall batch with `PersistMode::SyncAll` (fsync of the journal)");
    println!("- phases interleaved, each split into {ROUNDS} rounds alternating engines\n");

    let mut fr = Figures::default();
    let mut ff = Figures::default();

    // --- Phases 1 and 2: durable writes into fresh databases -----------------
    {
        let mut r = Redb::open(&dir.join("redb-writes"))?;
        let mut f = Fjall::open(&dir.join("fjall-writes"))?;

        eprintln!("phase 1: {SINGLE_WRITES} durable single-put transactions per engine");
        let (mut lr, mut lf) = (Vec::new(), Vec::new());
        let (tr, tf) = alternate(
            &rounds(0, SINGLE_WRITES),
            &mut r,
            &mut f,
            |e, w| write_phase(e, w, 1, &mut lr),
            |e, w| write_phase(e, w, 1, &mut lf),
        )?;
        (fr.single, fr.single_lat, ff.single, ff.single_lat) = (tr, lr, tf, lf);

        eprintln!("phase 2: {GROUP_WRITES} puts, {GROUP_SIZE} per durable commit");
        let mut sink = Vec::new();
        let (tr, tf) = alternate(
            &rounds(SINGLE_WRITES, GROUP_WRITES),
            &mut r,
            &mut f,
            |e, w| write_phase(e, w, GROUP_SIZE, &mut sink),
            |e, w| write_phase(e, w, GROUP_SIZE, &mut Vec::new()),
        )?;
        (fr.group, ff.group) = (tr, tf);
        r.close()?;
        f.close()?;
    }

    // --- Phases 3-5: a fresh database of 100,000 keys -------------------------
    {
        let (pr, pf) = (dir.join("redb-loaded"), dir.join("fjall-loaded"));
        let mut r = Redb::open(&pr)?;
        let mut f = Fjall::open(&pf)?;

        eprintln!("loading {LOADED_KEYS} keys, {LOAD_BATCH} per durable commit");
        let (tr, tf) = alternate(
            &rounds(0, LOADED_KEYS),
            &mut r,
            &mut f,
            |e, w| write_phase(e, w, LOAD_BATCH, &mut Vec::new()),
            |e, w| write_phase(e, w, LOAD_BATCH, &mut Vec::new()),
        )?;
        (fr.load, ff.load) = (tr, tf);
        fr.notes.push(r.settle()?);
        ff.notes.push(f.settle()?);

        // Every key once, in an order shuffled by a fixed-seed Fisher-Yates.
        let mut order: Vec<u64> = (0..LOADED_KEYS).collect();
        let mut rng = SplitMix64(SEED);
        for i in (1..order.len()).rev() {
            let j = rng.below(i as u64 + 1) as usize;
            order.swap(i, j);
        }
        let order = &order[..POINT_READS as usize];
        eprintln!("phase 3: {POINT_READS} random point reads");
        let (tr, tf) = alternate(
            &rounds(0, POINT_READS),
            &mut r,
            &mut f,
            |e, w| timed(|| order[w.start as usize..w.end as usize].iter().try_for_each(|&k| e.get(k))),
            |e, w| timed(|| order[w.start as usize..w.end as usize].iter().try_for_each(|&k| e.get(k))),
        )?;
        (fr.reads, ff.reads) = (tr, tf);

        let starts: Vec<u64> = (0..SCANS)
            .map(|_| rng.below(LOADED_KEYS - SCAN_LEN + 1))
            .collect();
        eprintln!("phase 4: {SCANS} range scans of {SCAN_LEN} keys");
        let (tr, tf) = alternate(
            &rounds(0, SCANS),
            &mut r,
            &mut f,
            |e, w| timed(|| starts[w.start as usize..w.end as usize].iter().try_for_each(|&s| e.scan(s, SCAN_LEN))),
            |e, w| timed(|| starts[w.start as usize..w.end as usize].iter().try_for_each(|&s| e.scan(s, SCAN_LEN))),
        )?;
        (fr.scans, ff.scans) = (tr, tf);

        r.close()?;
        f.close()?;
        eprintln!("phase 5: on-disk bytes after close");
        (fr.disk_alloc, fr.disk_apparent) = dir_size(&pr)?;
        (ff.disk_alloc, ff.disk_apparent) = dir_size(&pf)?;
    }

    report(&fr, &ff);
    println!(
        "\n(total run time {:.1} s)",
        total.elapsed().as_secs_f64()
    );
    Ok(())
}

fn report(r: &Figures, f: &Figures) {
    let row = |x: &Figures| {
        [
            per_sec(SINGLE_WRITES, x.single),
            per_sec(GROUP_WRITES, x.group),
            per_sec(POINT_READS, x.reads),
            per_sec(SCANS, x.scans),
            mib(x.disk_alloc),
            per_sec(LOADED_KEYS, x.load),
        ]
    };
    let (vr, vf) = (row(r), row(f));

    println!("## Results\n");
    println!("| engine | durable single writes/s | group commit writes/s (32/commit) | point reads/s | 100-key scans/s | on-disk MiB (100k x 1 KiB) | bulk load writes/s (1000/commit) |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for (name, v) in [(Redb::NAME, vr), (Fjall::NAME, vf)] {
        println!(
            "| {name} | {:.0} | {:.0} | {:.0} | {:.0} | {:.1} | {:.0} |",
            v[0], v[1], v[2], v[3], v[4], v[5]
        );
    }

    println!("\n## Ratio to redb (same run)\n");
    println!("Higher is better for every column except on-disk size, where lower is better.\n");
    println!("| engine | durable single writes | group commit | point reads | 100-key scans | on-disk bytes | bulk load |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for (name, v) in [(Redb::NAME, vr), (Fjall::NAME, vf)] {
        let c: Vec<String> = v
            .iter()
            .zip(vr.iter())
            .map(|(a, b)| format!("{:.2}x", a / b))
            .collect();
        println!("| {name} | {} |", c.join(" | "));
    }

    println!("\n## Details\n");
    for (name, x) in [(Redb::NAME, r), (Fjall::NAME, f)] {
        println!(
            "- {name}: durable single-put commit latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; \
             on-disk {:.1} MiB allocated / {:.1} MiB apparent (raw data {:.1} MiB); {}",
            pct(&x.single_lat, 0.50),
            pct(&x.single_lat, 0.99),
            pct(&x.single_lat, 1.0),
            mib(x.disk_alloc),
            mib(x.disk_apparent),
            mib(LOADED_KEYS * (VALUE_LEN as u64 + 8)),
            x.notes.join("; ")
        );
    }
}
